// .cenc format and converter: round trip, and a clear error for every kind of damaged input.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "crossenc/converter.h"
#include "crossenc/engine.h"
#include "crossenc/error.h"
#include "crossenc/model_file.h"
#include "safetensors.h"
#include "test_util.h"

namespace crossenc {
namespace {

namespace fs = std::filesystem;

// A scratch folder removed at the end of each test.
class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("crossenc_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::permissions(path_, fs::perms::owner_all, ec);
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

std::vector<uint8_t> tiny_image(DType dtype = DType::F32) {
  return convert_hf_folder(test::data_path("tiny-random").string(), {.dtype = dtype});
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

void expect_error(const std::function<void()>& fn, const std::string& needle) {
  const std::string msg = error_of(fn);
  EXPECT_NE(msg, "") << "expected an Error mentioning '" << needle << "'";
  EXPECT_NE(msg.find(needle), std::string::npos) << "message: " << msg;
}

TEST(ModelFile, RoundTripKeepsConfigVocabAndTensors) {
  TempDir dir;
  const auto path = (dir.path() / "tiny.cenc").string();
  write_model_file(path, tiny_image());
  const auto m = ModelFile::open(path);
  EXPECT_EQ(m->config().hidden_size, 32);
  EXPECT_EQ(m->config().num_layers, 2);
  EXPECT_EQ(m->config().num_heads, 2);
  EXPECT_EQ(m->config().num_labels, 1);
  EXPECT_FLOAT_EQ(m->config().layer_norm_eps, 1e-12f);
  EXPECT_EQ(m->vocab().size(), 30522u);
  EXPECT_EQ(m->vocab()[101], "[CLS]");
  EXPECT_TRUE(m->tokenizer_config().lowercase);
  EXPECT_EQ(m->tokenizer_config().max_length, 512);

  // Tensors equal the safetensors values; Q, K, V are stacked in that order.
  SafetensorsFile st(test::data_path("tiny-random/model.safetensors").string());
  const auto& hf = st.tensors();
  auto values = [&](const std::string& name) { return SafetensorsFile::to_f32(hf.at(name)); };
  const auto q = values("bert.encoder.layer.1.attention.self.query.weight");
  const auto v = values("bert.encoder.layer.1.attention.self.value.weight");
  const TensorInfo& qkv = m->info(tensor_names::layer(1, tensor_names::kQkvW));
  ASSERT_EQ(qkv.shape, (std::vector<int64_t>{96, 32}));
  const auto* p = static_cast<const float*>(m->data(qkv));
  EXPECT_EQ(std::memcmp(p, q.data(), q.size() * 4), 0);
  EXPECT_EQ(std::memcmp(p + 2 * 32 * 32, v.data(), v.size() * 4), 0);
  const auto word = values("bert.embeddings.word_embeddings.weight");
  EXPECT_EQ(std::memcmp(m->data(m->info(tensor_names::kWordEmb)), word.data(), word.size() * 4), 0);
  for (const auto& t : m->tensors()) {
    EXPECT_EQ(reinterpret_cast<uintptr_t>(m->data(t)) % kModelAlignment, 0u) << t.name;
  }
}

TEST(ModelFile, F16StoresMatricesHalfSizeAndVectorsF32) {
  const auto f32 = tiny_image(DType::F32), f16 = tiny_image(DType::F16);
  EXPECT_LT(f16.size(), f32.size() * 6 / 10);
  const auto m = ModelFile::from_bytes(f16);
  EXPECT_EQ(m->config().dtype, DType::F16);
  EXPECT_EQ(m->info(tensor_names::kWordEmb).dtype, DType::F16);
  EXPECT_EQ(m->info(tensor_names::layer(0, tensor_names::kQkvW)).dtype, DType::F16);
  EXPECT_EQ(m->info(tensor_names::kEmbLnGamma).dtype, DType::F32);
  EXPECT_EQ(m->info(tensor_names::kClassifierB).dtype, DType::F32);
}

TEST(ModelFile, TruncationAtEverySectionBoundaryIsNamed) {
  const auto image = tiny_image();
  const auto whole = ModelFile::from_bytes(image);
  const FileHeader h = whole->header();
  for (uint64_t cut :
       {uint64_t{0}, uint64_t{64}, uint64_t{127}, h.metadata.offset,
        h.metadata.offset + h.metadata.size / 2, h.vocab.offset, h.vocab.offset + 100,
        h.data.offset, h.data.offset + h.data.size / 2, h.file_size - 1}) {
    std::vector<uint8_t> bytes(image.begin(), image.begin() + cut);
    expect_error([&] { ModelFile::from_bytes(bytes); }, "truncated");
  }
}

TEST(ModelFile, AFlippedByteInAnySectionIsCaught) {
  const auto image = tiny_image();
  const FileHeader h = ModelFile::from_bytes(image)->header();
  const std::pair<uint64_t, std::string> flips[] = {
      {20, "header checksum"},
      {h.metadata.offset + 10, "section 'metadata'"},
      {h.vocab.offset + 1000, "section 'vocab'"},
      {h.data.offset + 12345, "section 'data'"},
      {h.data.offset + h.data.size - 1, "section 'data'"}};
  for (const auto& [at, needle] : flips) {
    auto bytes = image;
    bytes[at] ^= 0x10;
    expect_error([&] { ModelFile::from_bytes(bytes); }, needle);
  }
}

TEST(ModelFile, WrongMagicAndVersionAreNamed) {
  auto bytes = tiny_image();
  bytes[0] = 'X';
  expect_error([&] { ModelFile::from_bytes(bytes); }, "wrong magic");
  bytes = tiny_image();
  bytes[8] = 99;  // version field
  expect_error([&] { ModelFile::from_bytes(bytes); }, "format version 99");
  expect_error([] { ModelFile::from_bytes(std::vector<uint8_t>(10, 0)); }, "truncated");
}

// The tensors of an image, for rebuilding it with one of them changed.
std::vector<TensorData> tensors_of(const ModelFile& m) {
  std::vector<TensorData> out;
  for (const TensorInfo& t : m.tensors()) {
    const auto b = m.bytes(t);
    out.push_back({t, std::vector<uint8_t>(b.begin(), b.end())});
  }
  return out;
}

// convert --dtype int8 (format version 2): encoder matrices INT8 + per-row scales, the rest F32;
// it scores bit for bit like INT8 quantized at load from the F32 file.
TEST(ModelFile, Int8FileScoresLikeInt8QuantizedAtLoad) {
  const auto image = tiny_image(DType::I8);
  const auto m = ModelFile::from_bytes(image);
  EXPECT_EQ(m->config().dtype, DType::I8);
  EXPECT_EQ(m->info(tensor_names::layer(0, tensor_names::kQkvW)).dtype, DType::I8);
  EXPECT_EQ(m->info(tensor_names::kWordEmb).dtype, DType::F32);
  EXPECT_EQ(m->info(tensor_names::kPoolerW).dtype, DType::F32);
  TempDir dir;
  const std::string path = (dir.path() / "int8.cenc").string();
  write_model_file(path, image);
  Engine from_file = Engine::open(path, {.backend = "cpu"});  // dtype: the file's (int8)
  Engine at_load =
      Engine::open(test::data_path("tiny-random").string(), {.backend = "cpu", .dtype = DType::I8});
  const std::vector<Pair> pairs = {{"what is a flea", "a small insect"},
                                   {"berlin", "Berlin is the capital of Germany."}};
  const auto a = from_file.score(std::span(pairs)), b = at_load.score(std::span(pairs));
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i], b[i]) << i;
  expect_error([&] { Engine::open(path, {.backend = "cpu", .dtype = DType::F32}); },
               "stores INT8 weights");
  expect_error([&] { Engine::open(path, {.backend = "vulkan"}); }, "cpu backend only");
}

TEST(ModelFile, Int8ScalesAreValidated) {
  const auto good = ModelFile::from_bytes(tiny_image(DType::I8));
  const std::string scales =
      tensor_names::int8_scales(tensor_names::layer(1, tensor_names::kFfnInW));
  for (const float bad : {std::nanf(""), 0.0f, -0.5f, INFINITY}) {
    auto tensors = tensors_of(*good);
    for (auto& t : tensors) {
      if (t.info.name == scales) std::memcpy(t.bytes.data() + 4 * 3, &bad, sizeof bad);
    }
    const auto image =
        serialize_model(good->config(), good->tokenizer_config(), good->vocab(), tensors);
    expect_error([&] { ModelFile::from_bytes(image); }, "scales must be finite and positive");
  }
  auto tensors = tensors_of(*good);
  std::erase_if(tensors, [&](const TensorData& t) { return t.info.name == scales; });
  expect_error(
      [&] {
        ModelFile::from_bytes(
            serialize_model(good->config(), good->tokenizer_config(), good->vocab(), tensors));
      },
      "has no scales tensor");
  // Only encoder layer matrices may be INT8: not a layer's bias, even with a scales tensor.
  tensors = tensors_of(*good);
  const std::string bias = tensor_names::layer(0, tensor_names::kQkvB);
  for (auto& t : tensors) {
    if (t.info.name != bias) continue;
    const int64_t n = t.info.shape[0];
    t.info.dtype = DType::I8;
    t.bytes.assign(static_cast<size_t>(n), 1);
    t.info.nbytes = t.bytes.size();
    const std::vector<float> ones(static_cast<size_t>(n), 1.0f);
    TensorData s{{.name = tensor_names::int8_scales(bias), .dtype = DType::F32, .shape = {n}}, {}};
    s.bytes.resize(ones.size() * sizeof(float));
    std::memcpy(s.bytes.data(), ones.data(), s.bytes.size());
    s.info.nbytes = s.bytes.size();
    tensors.push_back(std::move(s));
    break;
  }
  expect_error(
      [&] {
        ModelFile::from_bytes(
            serialize_model(good->config(), good->tokenizer_config(), good->vocab(), tensors));
      },
      "only encoder layer matrices may be");
}

// Version 1 files (F32/F16 only) still load; an INT8 tensor in one is refused.
TEST(ModelFile, Version1FilesStillLoad) {
  auto v1 = [](std::vector<uint8_t> bytes) {
    FileHeader h;
    std::memcpy(&h, bytes.data(), sizeof h);
    h.version = 1;
    h.header_checksum = checksum64(&h, offsetof(FileHeader, header_checksum));
    std::memcpy(bytes.data(), &h, sizeof h);
    return bytes;
  };
  EXPECT_EQ(ModelFile::from_bytes(v1(tiny_image(DType::F16)))->config().dtype, DType::F16);
  expect_error([&] { ModelFile::from_bytes(v1(tiny_image(DType::I8))); },
               "format version 1 does not allow");
}

TEST(ModelFile, OpenReportsMissingFileAndFolders) {
  expect_error([] { ModelFile::open("/nonexistent/model.cenc"); }, "cannot open model");
  expect_error([] { open_model("/nonexistent/model.cenc"); }, "does not exist");
  TempDir dir;
  expect_error([&] { open_model(dir.path().string()); }, "not a Hugging Face model");
  // A model file that is really a text file.
  const auto txt = dir.path() / "notes.cenc";
  std::ofstream(txt) << std::string(400, 'a');
  expect_error([&] { ModelFile::open(txt.string()); }, "wrong magic");
}

TEST(ModelFile, WriteIsAtomicAndFailsCleanly) {
  TempDir dir;
  const auto ro = dir.path() / "readonly";
  fs::create_directories(ro);
  fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec);
  if (::geteuid() != 0) {  // root ignores directory permissions
    expect_error([&] { write_model_file((ro / "m.cenc").string(), tiny_image()); }, "cannot write");
    EXPECT_TRUE(fs::is_empty(ro)) << "a failed write left a file behind";
  }
  expect_error(
      [&] { write_model_file((dir.path() / "no/such/dir/m.cenc").string(), tiny_image()); },
      "cannot write");
  // A full disk, simulated with a file-size limit in a child process: the write must fail with
  // an Error and leave no file, temporary or final, behind.
  const auto target = dir.path() / "full" / "m.cenc";
  fs::create_directories(target.parent_path());
  const auto image = tiny_image();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{64 * 1024, 64 * 1024};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    try {
      write_model_file(target.string(), image);
    } catch (const Error&) {
      ::_exit(0);
    }
    ::_exit(1);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "write past the limit did not throw";
  EXPECT_TRUE(fs::is_empty(target.parent_path())) << "a failed write left a file behind";
}

// Copies the tiny HF folder so a test can damage one file of it.
fs::path copy_tiny(const TempDir& dir) {
  const auto out = dir.path() / "hf";
  fs::copy(test::data_path("tiny-random"), out);
  return out;
}

nlohmann::json read_json(const fs::path& p) { return nlohmann::json::parse(std::ifstream(p)); }
void write_json(const fs::path& p, const nlohmann::json& j) { std::ofstream(p) << j.dump(); }

// Rewrites model.safetensors through fn(header, data).
void edit_safetensors(const fs::path& p,
                      const std::function<void(nlohmann::json&, std::vector<uint8_t>&)>& fn) {
  std::ifstream in(p, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
  uint64_t n;
  std::memcpy(&n, bytes.data(), 8);
  auto header = nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + n);
  std::vector<uint8_t> data(bytes.begin() + 8 + n, bytes.end());
  fn(header, data);
  const std::string hs = header.dump();
  const uint64_t len = hs.size();
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(&len), 8);
  out.write(hs.data(), hs.size());
  out.write(reinterpret_cast<const char*>(data.data()), data.size());
}

TEST(Converter, MissingRequiredTensorIsNamed) {
  TempDir dir;
  const auto hf = copy_tiny(dir);
  edit_safetensors(hf / "model.safetensors", [](nlohmann::json& h, std::vector<uint8_t>&) {
    h.erase("bert.encoder.layer.1.output.dense.weight");
  });
  expect_error([&] { convert_hf_folder(hf.string()); }, "bert.encoder.layer.1.output.dense.weight");
}

TEST(Converter, WrongShapeIsNamed) {
  TempDir dir;
  const auto hf = copy_tiny(dir);
  auto cfg = read_json(hf / "config.json");
  cfg["intermediate_size"] = 128;
  write_json(hf / "config.json", cfg);
  expect_error([&] { convert_hf_folder(hf.string()); }, "expected [128, 32]");
}

TEST(Converter, NonFiniteWeightIsRejected) {
  TempDir dir;
  const auto hf = copy_tiny(dir);
  edit_safetensors(hf / "model.safetensors", [](nlohmann::json& h, std::vector<uint8_t>& d) {
    const auto off = h["classifier.weight"]["data_offsets"][0].get<size_t>();
    const float nan = NAN;
    std::memcpy(d.data() + off + 4, &nan, 4);
  });
  expect_error([&] { convert_hf_folder(hf.string()); }, "non-finite");
}

TEST(Converter, IgnoresPositionIdsAndUnknownBuffers) {
  TempDir dir;
  const auto hf = copy_tiny(dir);
  edit_safetensors(hf / "model.safetensors", [](nlohmann::json& h, std::vector<uint8_t>& d) {
    const size_t off = d.size();
    d.resize(off + 8 * 4);
    h["bert.embeddings.position_ids"] = {
        {"dtype", "I64"}, {"shape", {1, 4}}, {"data_offsets", {off, off + 32}}};
  });
  EXPECT_NO_THROW(convert_hf_folder(hf.string()));
}

TEST(Converter, ReadsBf16AndF16Checkpoints) {
  TempDir dir;
  const auto hf = copy_tiny(dir);
  // Re-encode every F32 tensor as BF16 (what many checkpoints ship).
  edit_safetensors(hf / "model.safetensors", [](nlohmann::json& h, std::vector<uint8_t>& d) {
    std::vector<uint8_t> out;
    for (auto& [name, t] : h.items()) {
      if (name == "__metadata__") continue;
      const auto o = t["data_offsets"].get<std::vector<size_t>>();
      const size_t begin = out.size();
      if (t["dtype"] != "F32") {  // e.g. I64 position_ids: copied unchanged
        out.insert(out.end(), d.begin() + o[0], d.begin() + o[1]);
        t["data_offsets"] = {begin, out.size()};
        continue;
      }
      for (size_t i = o[0]; i < o[1]; i += 4) {
        uint32_t bits;
        std::memcpy(&bits, d.data() + i, 4);
        out.push_back(static_cast<uint8_t>(bits >> 16));
        out.push_back(static_cast<uint8_t>(bits >> 24));
      }
      t["dtype"] = "BF16";
      t["data_offsets"] = {begin, out.size()};
    }
    d = out;
  });
  const auto m = ModelFile::from_bytes(convert_hf_folder(hf.string()));
  EXPECT_EQ(m->config().hidden_size, 32);
}

TEST(Converter, BadFoldersGiveClearErrors) {
  TempDir dir;
  expect_error([&] { convert_hf_folder((dir.path() / "missing").string()); }, "is not a folder");
  expect_error([&] { convert_hf_folder(dir.path().string()); }, "no config.json");
  const auto hf = copy_tiny(dir);
  fs::remove(hf / "model.safetensors");
  expect_error([&] { convert_hf_folder(hf.string()); }, "no model.safetensors");
  std::ofstream(hf / "pytorch_model.bin") << "torch";
  expect_error([&] { convert_hf_folder(hf.string()); }, "has pytorch_model.bin but no");
  std::ofstream(hf / "model.safetensors") << "garbage";
  expect_error([&] { convert_hf_folder(hf.string()); }, "safetensors");
  std::ofstream(hf / "config.json") << "{not json";
  expect_error([&] { convert_hf_folder(hf.string()); }, "not valid JSON");
  write_json(hf / "config.json", {{"model_type", "gpt2"}});
  expect_error([&] { convert_hf_folder(hf.string()); }, "not supported");
}

TEST(Converter, NoWeightsMessageNamesOnlyFilesThatCouldBeThere) {
  TempDir dir;
  const auto hf = copy_tiny(dir);
  fs::remove(hf / "model.safetensors");
  const std::string msg = error_of([&] { convert_hf_folder(hf.string()); });
  EXPECT_NE(msg.find("no model.safetensors"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("pytorch_model.bin"), std::string::npos) << msg;
}

TEST(Converter, GitLfsPointerIsNamedWithTheFix) {
  // The pointer `git clone` leaves without git-lfs (format: git-lfs.github.com/spec/v1).
  TempDir dir;
  const auto hf = copy_tiny(dir);
  std::ofstream(hf / "model.safetensors")
      << "version https://git-lfs.github.com/spec/v1\n"
         "oid sha256:4c8f9f3a5e2b6d1c0a9b8e7f6d5c4b3a2918f7e6d5c4b3a29180f7e6d5c4b3a2\n"
         "size 90903017\n";
  expect_error([&] { convert_hf_folder(hf.string()); }, "is a Git LFS pointer, not the weights");
  expect_error([&] { convert_hf_folder(hf.string()); }, "git lfs pull");
}

TEST(Converter, ChecksumIsStableAndSensitive) {
  std::vector<uint8_t> a(1000, 7);
  const uint64_t h = checksum64(a.data(), a.size());
  EXPECT_EQ(h, checksum64(a.data(), a.size()));
  for (size_t i : {0, 31, 32, 999}) {
    auto b = a;
    b[i] ^= 1;
    EXPECT_NE(checksum64(b.data(), b.size()), h) << "flip at " << i;
  }
}

}  // namespace
}  // namespace crossenc
