// Fault matrix: damaged models, hostile inputs, full or read-only disks, missing devices; each
// must end in a clear error (exit 1 at the CLI, 4xx from the server) and never in a crash, a
// hang or a half-written file. docs/reliability.md lists what the user sees for each fault.
//
// Cases already covered elsewhere are not repeated here:
//   ModelFile.TruncationAtEverySectionBoundaryIsNamed, AFlippedByteInAnySectionIsCaught,
//   WrongMagicAndVersionAreNamed (from_bytes), ModelFile.WriteIsAtomicAndFailsCleanly (library
//   writer on a full / read-only disk), Converter.NonFiniteWeightIsRejected (library),
//   Engine.HugePassageIsTruncatedNotFatal (1 MB of ASCII words),
//   Engine.InvalidUtf8IsRejectedWithItsPosition (passage),
//   Cli.BadLinesAreNamedAndNothingIsWritten (invalid UTF-8 in "passage"),
//   Cli.MissingFilesAndCorruptModels (score with a missing / corrupt model),
//   ServerTest.GrpcTooManyPairsIsInvalidArgument / GrpcMalformedProtobufAndInvalidUtf8AreErrors
//   (the gRPC side of 10,000 pairs and invalid UTF-8),
//   ServerTest.HttpErrorsAreJsonWithTheRightStatus (invalid UTF-8 in /rerank's query).
#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "crossenc/converter.h"
#include "crossenc/engine.h"
#include "crossenc/model_file.h"
#include "test_util.h"

extern char** environ;

namespace crossenc {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------------------------
// Fixtures: a scratch folder, the tiny model, the CLI run as a child process.

// Removes the scratch folder after the last test (read-only subfolders included).
class ScratchCleanup : public testing::Environment {
 public:
  void TearDown() override;
};

const fs::path& work_dir() {
  static const fs::path dir = [] {
    auto d = fs::temp_directory_path() / ("crossenc_fault_" + std::to_string(::getpid()));
    fs::create_directories(d);
    fs::permissions(d, fs::perms::all);  // the read-only case runs the CLI as another user
    return d;
  }();
  return dir;
}

void ScratchCleanup::TearDown() {
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(work_dir(), ec)) {
    if (e.is_directory(ec)) fs::permissions(e.path(), fs::perms::owner_all, ec);
  }
  fs::remove_all(work_dir(), ec);
}
// gtest takes ownership of the raw pointer.
const auto* const g_cleanup =
    testing::AddGlobalTestEnvironment(std::make_unique<ScratchCleanup>().release());

// A fresh, empty folder under work_dir().
fs::path fresh_dir(const std::string& name) {
  static int counter = 0;
  const fs::path d = work_dir() / (name + "_" + std::to_string(counter++));
  fs::create_directories(d);
  return d;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// `unit` repeated until the text is at least `bytes` long.
std::string repeat_to(const std::string& unit, size_t bytes) {
  std::string s;
  s.reserve(bytes + unit.size());
  while (s.size() < bytes) s += unit;
  return s;
}

void spit(const fs::path& p, std::string_view bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

const std::vector<uint8_t>& tiny_image() {
  static const auto image = convert_hf_folder(test::data_path("tiny-random").string());
  return image;
}

const std::string& tiny_model() {
  static const std::string path = [] {
    const auto p = work_dir() / "tiny.cenc";
    write_model_file(p.string(), tiny_image());
    return p.string();
  }();
  return path;
}

struct RunOptions {
  std::string stdin_text;
  std::vector<std::string> env;            // NAME=value, added to (or replacing in) ours
  rlim_t file_size_limit = RLIM_INFINITY;  // RLIMIT_FSIZE: a full disk without a full disk
  bool as_nobody = false;                  // drop root, so that directory permissions apply
  int timeout_s = 300;
};

struct Result {
  int code = -1;  // exit status; -1 when killed or timed out
  std::string out, err;
  bool timed_out = false;
};

// Runs `crossenc ARGS` in a child process; bounded by the timeout (killed after it).
Result run_cli(const std::vector<std::string>& args, const RunOptions& o = {}) {
  static int counter = 0;
  const fs::path base = work_dir() / ("run" + std::to_string(counter++));
  const std::string in = base.string() + ".in", out = base.string() + ".out",
                    err = base.string() + ".err";
  spit(in, o.stdin_text);

  // Everything the child needs is built before fork(): it only calls async-signal-safe code.
  std::vector<std::string> argv_s = {CROSSENC_CLI_PATH};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<std::string> env_s;
  for (char** e = environ; *e; ++e) {
    const std::string kv = *e;
    const std::string name = kv.substr(0, kv.find('='));
    const bool replaced = std::any_of(o.env.begin(), o.env.end(), [&](const std::string& x) {
      return x.substr(0, x.find('=')) == name;
    });
    if (!replaced) env_s.push_back(kv);
  }
  env_s.insert(env_s.end(), o.env.begin(), o.env.end());
  std::vector<char*> argv, envp;
  for (auto& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);
  for (auto& s : env_s) envp.push_back(s.data());
  envp.push_back(nullptr);

  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fin = ::open(in.c_str(), O_RDONLY);
    const int fout = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0666);
    const int ferr = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fin < 0 || fout < 0 || ferr < 0) ::_exit(126);
    ::dup2(fin, 0);
    ::dup2(fout, 1);
    ::dup2(ferr, 2);
    if (o.file_size_limit != RLIM_INFINITY) {
      ::signal(SIGXFSZ, SIG_IGN);  // a write past the limit fails with EFBIG instead
      const rlimit limit{o.file_size_limit, o.file_size_limit};
      ::setrlimit(RLIMIT_FSIZE, &limit);
    }
    if (o.as_nobody) {
      if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) {
        ::_exit(125);
      }
    }
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  Result r;
  const auto deadline = Clock::now() + std::chrono::seconds(o.timeout_s);
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (Clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      r.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (!r.timed_out && WIFEXITED(status)) r.code = WEXITSTATUS(status);
  r.out = slurp(out);
  r.err = slurp(err);
  for (const auto& f : {in, out, err}) fs::remove(f);
  return r;
}

// The CLI must have failed cleanly: exit 1, one "error: ..." naming the problem.
void expect_clean_failure(const Result& r, const std::string& needle) {
  EXPECT_FALSE(r.timed_out) << "the CLI hung";
  EXPECT_EQ(r.code, 1) << "stderr: " << r.err;
  EXPECT_NE(r.err.find("error: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << "expected '" << needle << "' in: " << r.err;
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// ---------------------------------------------------------------------------------------------
// Damaged model files.

FileHeader header_of(const std::vector<uint8_t>& image) {
  FileHeader h;
  std::memcpy(&h, image.data(), sizeof(h));
  return h;
}

// Rebuilds a .cenc image with its metadata JSON edited; sections, offsets, checksums redone.
std::vector<uint8_t> with_metadata(const std::vector<uint8_t>& image,
                                   const std::function<void(json&)>& edit) {
  const FileHeader old = header_of(image);
  const auto meta_begin = image.begin() + static_cast<ptrdiff_t>(old.metadata.offset);
  json meta = json::parse(meta_begin, meta_begin + static_cast<ptrdiff_t>(old.metadata.size));
  edit(meta);
  const std::string m = meta.dump();
  auto align = [](uint64_t x) {
    return (x + kModelAlignment - 1) / kModelAlignment * kModelAlignment;
  };
  FileHeader h = old;
  h.metadata = {align(sizeof(FileHeader)), m.size(), checksum64(m.data(), m.size())};
  h.vocab.offset = align(h.metadata.offset + h.metadata.size);
  h.data.offset = align(h.vocab.offset + h.vocab.size);
  h.file_size = h.data.offset + h.data.size;
  h.header_checksum = checksum64(&h, offsetof(FileHeader, header_checksum));
  std::vector<uint8_t> out(h.file_size, 0);
  std::memcpy(out.data(), &h, sizeof(h));
  std::memcpy(out.data() + h.metadata.offset, m.data(), m.size());
  std::memcpy(out.data() + h.vocab.offset, image.data() + old.vocab.offset, old.vocab.size);
  std::memcpy(out.data() + h.data.offset, image.data() + old.data.offset, old.data.size);
  return out;
}

json& tensor_entry(json& meta, const std::string& name) {
  for (auto& t : meta["tensors"]) {
    if (t["name"] == name) return t;
  }
  throw std::runtime_error("no tensor " + name);
}

TEST(FaultMatrix, TruncatedModelAtEverySectionBoundary) {
  // Every section edge and its neighbours, through the mmap path (ModelFile::open) and the CLI.
  const auto& image = tiny_image();
  const FileHeader h = header_of(image);
  std::set<uint64_t> cuts = {0, 1, 8, 127, 128, h.file_size - 1};
  for (const FileSection& s : {h.metadata, h.vocab, h.data}) {
    for (uint64_t at : {s.offset, s.offset + s.size}) {
      for (int64_t d : {-1, 0, 1}) {
        const uint64_t cut = at + d;
        if (cut < h.file_size) cuts.insert(cut);
      }
    }
  }
  const fs::path dir = fresh_dir("trunc");
  for (uint64_t cut : cuts) {
    SCOPED_TRACE("cut at byte " + std::to_string(cut));
    const fs::path p = dir / ("cut" + std::to_string(cut) + ".cenc");
    spit(p, std::string_view(reinterpret_cast<const char*>(image.data()), cut));
    EXPECT_NE(error_of([&] { ModelFile::open(p.string()); }).find("truncated"), std::string::npos);
    expect_clean_failure(run_cli({"info", p.string()}), "truncated");
  }
  // Bytes appended after a valid image are caught too.
  auto padded = image;
  padded.resize(padded.size() + 64, 0);
  const fs::path p = dir / "padded.cenc";
  spit(p, std::string_view(reinterpret_cast<const char*>(padded.data()), padded.size()));
  expect_clean_failure(run_cli({"score", "-m", p.string(), "-i", "-"}, {.stdin_text = "{}"}),
                       "truncated or padded");
}

TEST(FaultMatrix, FlippedByteInEverySection) {
  const auto& image = tiny_image();
  const FileHeader h = header_of(image);
  // Every byte of the header: magic and version have their own message, the rest the checksum.
  for (size_t i = 0; i < sizeof(FileHeader); ++i) {
    auto bytes = image;
    bytes[i] ^= 0x01;
    const std::string msg = error_of([&] { ModelFile::from_bytes(bytes); });
    const char* want = i < 8 ? "wrong magic" : i < 12 ? "format version" : "header checksum";
    EXPECT_NE(msg.find(want), std::string::npos) << "header byte " << i << ": " << msg;
  }
  // First, middle and last byte of each section, through a file on disk and the CLI.
  const fs::path dir = fresh_dir("flip");
  const std::pair<const char*, FileSection> sections[] = {
      {"metadata", h.metadata}, {"vocab", h.vocab}, {"data", h.data}};
  for (const auto& [name, s] : sections) {
    for (uint64_t at : {s.offset, s.offset + s.size / 2, s.offset + s.size - 1}) {
      SCOPED_TRACE(std::string(name) + " byte " + std::to_string(at));
      auto bytes = image;
      bytes[at] ^= 0x80;
      const fs::path p = dir / "flipped.cenc";
      spit(p, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
      expect_clean_failure(run_cli({"rank", "-m", p.string(), "-q", "q", "p"}),
                           std::string("checksum mismatch in section '") + name + "'");
    }
  }
}

TEST(FaultMatrix, WrongFormatVersion) {
  const fs::path dir = fresh_dir("version");
  // 1 (the oldest) and kModelFormatVersion load; one above, below, and far off do not.
  for (uint32_t version : {0u, kModelFormatVersion + 1, 99u, 0xFFFFFFFFu}) {
    auto bytes = tiny_image();
    std::memcpy(bytes.data() + offsetof(FileHeader, version), &version, 4);
    const fs::path p = dir / ("v" + std::to_string(version) + ".cenc");
    spit(p, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    for (const char* cmd : {"info", "score"}) {
      SCOPED_TRACE(std::string(cmd) + " version " + std::to_string(version));
      const auto r = std::string(cmd) == "info"
                         ? run_cli({"info", p.string()})
                         : run_cli({"score", "-m", p.string(), "-i", "-"}, {.stdin_text = "{}"});
      expect_clean_failure(r, "format version " + std::to_string(version) +
                                  "; this build reads versions 1 to " +
                                  std::to_string(kModelFormatVersion));
    }
  }
}

TEST(FaultMatrix, ZeroSizedNegativeAndHugeTensorShapes) {
  struct Case {
    const char* what;
    std::function<void(json&)> edit;
    const char* needle;
  };
  const std::string cls_b = tensor_names::kClassifierB;
  const std::vector<Case> cases = {
      {"required tensor with a 0 dimension",
       [&](json& m) { tensor_entry(m, cls_b)["shape"] = {0}; }, "invalid shape [0]"},
      {"extra tensor with a 0 dimension",
       [](json& m) {
         m["tensors"].push_back({{"name", "extra.empty"},
                                 {"dtype", "f32"},
                                 {"shape", {0, 32}},
                                 {"offset", 0},
                                 {"nbytes", 0}});
       },
       "invalid shape [0, 32]"},
      {"negative dimension", [&](json& m) { tensor_entry(m, cls_b)["shape"] = {-1}; },
       "invalid shape [-1]"},
      {"empty shape (scalar) for a vector",
       [&](json& m) { tensor_entry(m, cls_b)["shape"] = json::array(); }, "expected [1]"},
      // 2^32 x 2^32 x 2^32 elements: must not overflow while being checked.
      {"dimensions whose product overflows",
       [&](json& m) {
         tensor_entry(m, cls_b)["shape"] = {int64_t{1} << 32, int64_t{1} << 32, int64_t{1} << 32};
       },
       "larger than the data section"},
      {"nbytes past the data section",
       [&](json& m) { tensor_entry(m, cls_b)["offset"] = uint64_t{1} << 62; }, "outside the data"},
      {"unknown dtype", [&](json& m) { tensor_entry(m, cls_b)["dtype"] = "f8"; }, "unknown dtype"},
      {"tensor table is not an array", [](json& m) { m["tensors"] = 5; }, "invalid metadata"},
      {"hidden_size of 0", [](json& m) { m["config"]["hidden_size"] = 0; }, "hidden_size"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const auto bytes = with_metadata(tiny_image(), c.edit);
    const std::string msg = error_of([&] { ModelFile::from_bytes(bytes); });
    EXPECT_NE(msg.find(c.needle), std::string::npos) << msg;
  }
  // The rebuild itself is sound: an unedited rebuild loads.
  EXPECT_NO_THROW(ModelFile::from_bytes(with_metadata(tiny_image(), [](json&) {})));
}

// Rewrites model.safetensors of a copied HF folder through fn(header, data).
void edit_safetensors(const fs::path& p, const std::function<void(json&, std::string&)>& fn) {
  std::string bytes = slurp(p);
  uint64_t n;
  std::memcpy(&n, bytes.data(), 8);
  json header = json::parse(bytes.substr(8, n));
  std::string data = bytes.substr(8 + n);
  fn(header, data);
  const std::string hs = header.dump();
  const uint64_t len = hs.size();
  spit(p, std::string(reinterpret_cast<const char*>(&len), 8) + hs + data);
}

fs::path copy_tiny_hf(const std::string& name) {
  const fs::path out = fresh_dir(name) / "hf";
  fs::copy(test::data_path("tiny-random"), out);
  return out;
}

TEST(FaultMatrix, ZeroSizedTensorsInACheckpoint) {
  // An unused empty tensor is ignored; a required one with a 0 dimension is a shape error.
  const fs::path hf = copy_tiny_hf("st_zero");
  edit_safetensors(hf / "model.safetensors", [](json& h, std::string& d) {
    h["extra.empty"] = {
        {"dtype", "F32"}, {"shape", {0, 4}}, {"data_offsets", {d.size(), d.size()}}};
  });
  EXPECT_NO_THROW(convert_hf_folder(hf.string()));
  edit_safetensors(hf / "model.safetensors", [](json& h, std::string& d) {
    h["classifier.bias"] = {
        {"dtype", "F32"}, {"shape", {0}}, {"data_offsets", {d.size(), d.size()}}};
  });
  const auto out = hf.parent_path() / "out.cenc";
  expect_clean_failure(run_cli({"convert", hf.string(), out.string()}),
                       "'classifier.bias' has shape [0], expected [1]");
  EXPECT_FALSE(fs::exists(out));
}

TEST(FaultMatrix, NonFiniteWeightsAreReportedAtConvertTime) {
  struct Case {
    const char* tensor;
    float value;
    const char* dtype;  // of the checkpoint
    std::vector<std::string> flags;
    const char* needle;
  };
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<Case> cases = {
      {"bert.embeddings.word_embeddings.weight", std::nanf(""), "F32", {}, "non-finite"},
      {"bert.encoder.layer.1.attention.self.key.bias", inf, "F32", {}, "non-finite"},
      {"classifier.weight", -inf, "F32", {"--dtype", "f16"}, "non-finite"},
      {"bert.pooler.dense.weight", std::nanf(""), "BF16", {}, "non-finite"},
      // Finite in the checkpoint, but beyond what f16 can hold: would become Inf silently.
      {"bert.encoder.layer.0.intermediate.dense.weight",
       1e5f,
       "F32",
       {"--dtype", "f16"},
       "outside the f16 range"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.tensor) + " = " + std::to_string(c.value) + " in " + c.dtype);
    const fs::path hf = copy_tiny_hf("nonfinite");
    edit_safetensors(hf / "model.safetensors", [&](json& h, std::string& d) {
      const auto off = h[c.tensor]["data_offsets"][0].get<size_t>() + 4;  // the second value
      if (std::string(c.dtype) == "F32") {
        std::memcpy(d.data() + off, &c.value, 4);
        return;
      }
      // Re-encode the whole tensor as BF16 with the bad value in it.
      const auto o = h[c.tensor]["data_offsets"].get<std::vector<size_t>>();
      std::string bf;
      for (size_t i = o[0]; i < o[1]; i += 4) {
        float f;
        std::memcpy(&f, d.data() + i, 4);
        if (i == off) f = c.value;
        uint32_t bits;
        std::memcpy(&bits, &f, 4);
        bf.push_back(static_cast<char>(bits >> 16));
        bf.push_back(static_cast<char>(bits >> 24));
      }
      h[c.tensor]["dtype"] = "BF16";
      h[c.tensor]["data_offsets"] = {d.size(), d.size() + bf.size()};
      d += bf;
    });
    const fs::path out = hf.parent_path() / "out.cenc";
    std::vector<std::string> args = {"convert", hf.string(), out.string()};
    args.insert(args.end(), c.flags.begin(), c.flags.end());
    const auto r = run_cli(args);
    expect_clean_failure(r, c.needle);
    EXPECT_NE(r.err.find(c.tensor), std::string::npos) << "the tensor is not named: " << r.err;
    // Nothing next to the source folder: no output, no temporary file.
    EXPECT_EQ(std::distance(fs::directory_iterator(hf.parent_path()), fs::directory_iterator()), 1)
        << "a failed convert left a file behind";
  }
}

TEST(FaultMatrix, F16AtLoadRefusesWeightsBeyondItsRange) {
  // An F32 file is fine as F32 (and BF16, whose range is F32's), but rounding it to F16 at load
  // would turn 1e5 into Inf: refused with the tensor named, as convert --dtype f16 does.
  const fs::path hf = copy_tiny_hf("f16_range");
  const std::string tensor = "bert.encoder.layer.1.output.dense.weight";
  edit_safetensors(hf / "model.safetensors", [&](json& h, std::string& d) {
    const float big = 1e5f;
    std::memcpy(d.data() + h[tensor]["data_offsets"][0].get<size_t>(), &big, 4);
  });
  const fs::path model = hf.parent_path() / "big.cenc";
  ASSERT_EQ(run_cli({"convert", hf.string(), model.string()}).code, 0);
  const auto r = run_cli({"rank", "-m", model.string(), "--dtype", "f16", "-q", "q", "p"});
  expect_clean_failure(r, "outside the f16 range");
  EXPECT_NE(r.err.find("'layer.1.ffn.out.weight'"), std::string::npos)  // its name in the .cenc
      << "the tensor is not named: " << r.err;
  for (const char* dtype : {"f32", "bf16"}) {
    EXPECT_EQ(run_cli({"rank", "-m", model.string(), "--dtype", dtype, "-q", "q", "p"}).code, 0)
        << dtype;
  }
}

// ---------------------------------------------------------------------------------------------
// Hostile inputs: huge texts, many passages, invalid UTF-8.

TEST(FaultMatrix, OneMegabyteTexts) {
  // ASCII words are Engine.HugePassageIsTruncatedNotFatal; these are the other shapes of 1 MB.
  Engine e = Engine::open(tiny_model(), {.threads = 2});
  const size_t mb = 1 << 20;
  const std::vector<std::pair<const char*, std::string>> texts = {
      {"one 1 MB word", std::string(mb, 'a')},
      {"CJK ideographs", repeat_to("\xE4\xB8\xAD\xE6\x96\x87", mb)},
      {"punctuation", std::string(mb, '!')},
      {"accented words", repeat_to("r\xC3\xA9sum\xC3\xA9 na\xC3\xAFve ", mb)},
      {"control and format characters", repeat_to("\x01\xE2\x80\x8B\t", mb)},
      {"special-token literals", repeat_to("[SEP]", mb)},
  };
  for (const auto& [what, text] : texts) {
    SCOPED_TRACE(what);
    for (const bool as_query : {false, true}) {
      const Pair p = as_query ? Pair{text, "a passage"} : Pair{"a query", text};
      const Encoding enc = e.tokenize(p.query, p.passage);
      EXPECT_LE(enc.input_ids.size(), 512u);
      const auto s = e.score({p});
      EXPECT_TRUE(std::isfinite(s[0])) << (as_query ? "query" : "passage");
    }
  }
  // Through the CLI (JSONL) and with invalid UTF-8 past the truncation point: still rejected.
  const std::string big = repeat_to("the quick brown fox ", mb);
  auto r = run_cli({"score", "-m", tiny_model(), "-i", "-"},
                   {.stdin_text = json{{"query", "q"}, {"passage", big}}.dump() + "\n"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("\"score\""), std::string::npos);
  const std::string bad_tail = big + "\xFF";
  const std::string msg = error_of([&] { e.score({{"q", bad_tail}}); });
  EXPECT_NE(msg.find("invalid UTF-8 in passage at byte offset " + std::to_string(big.size())),
            std::string::npos)
      << msg;
}

TEST(FaultMatrix, TenThousandPassagesInOneRank) {
  Engine e = Engine::open(tiny_model(), {.threads = 2});
  std::vector<std::string> passages;
  for (int i = 0; i < 10000; ++i) {
    passages.push_back("passage " + std::to_string(i) + (i % 3 ? " about fleas" : " on dogs"));
  }
  const auto ranked = e.rank("what is a flea", passages);
  ASSERT_EQ(ranked.size(), passages.size());
  std::vector<bool> seen(passages.size(), false);
  for (size_t i = 0; i < ranked.size(); ++i) {
    ASSERT_LT(ranked[i].index, passages.size());
    EXPECT_FALSE(seen[ranked[i].index]) << "index " << ranked[i].index << " twice";
    seen[ranked[i].index] = true;
    EXPECT_TRUE(std::isfinite(ranked[i].score));
    if (i > 0) {
      EXPECT_GE(ranked[i - 1].score, ranked[i].score);
    }
  }
  const auto top = e.rank("what is a flea", passages, 10);
  ASSERT_EQ(top.size(), 10u);
  for (size_t i = 0; i < top.size(); ++i) EXPECT_EQ(top[i].index, ranked[i].index);
}

// Invalid UTF-8 of every kind, at the start, middle and end of a text.
const std::vector<std::pair<const char*, std::string>>& bad_utf8() {
  static const std::vector<std::pair<const char*, std::string>> v = {
      {"0xFF", "\xFF"},
      {"lone continuation byte", "\x80"},
      {"truncated 3-byte sequence", "\xE2\x82"},
      {"overlong '/'", "\xC0\xAF"},
      {"UTF-16 surrogate", "\xED\xA0\x80"},
      {"above U+10FFFF", "\xF4\x90\x80\x80"},
  };
  return v;
}

TEST(FaultMatrix, InvalidUtf8ThroughTheEngineApi) {
  Engine e = Engine::open(tiny_model(), {.threads = 1});
  for (const auto& [what, bytes] : bad_utf8()) {
    for (const std::string& text : {bytes + "abc", "abc " + bytes + " def", "abc" + bytes}) {
      SCOPED_TRACE(std::string(what) + " in '" + text + "'");
      const std::string q = error_of([&] { e.score({{text, "fine"}}); });
      EXPECT_NE(q.find("invalid UTF-8 in query"), std::string::npos) << q;
      const std::string p = error_of([&] { e.score({{"fine", text}}); });
      EXPECT_NE(p.find("invalid UTF-8 in passage"), std::string::npos) << p;
      const std::string t = error_of([&] { e.tokenize(text, ""); });
      EXPECT_NE(t.find("invalid UTF-8"), std::string::npos) << t;
    }
  }
  // One bad passage among many fails the call, names the problem, and the engine carries on.
  std::vector<std::string> passages(50, "fine");
  passages[37] = "bad \xFF";
  EXPECT_NE(error_of([&] { e.rank("q", passages); }).find("invalid UTF-8"), std::string::npos);
  EXPECT_TRUE(std::isfinite(e.score({{"q", "p"}})[0]));
}

TEST(FaultMatrix, InvalidUtf8InEveryCliField) {
  const std::string bad = "\xC0\xAF";
  // JSONL: the line is rejected whatever field (or key) holds the bytes.
  const std::vector<std::string> lines = {
      "{\"query\": \"" + bad + "\", \"passage\": \"p\"}",
      "{\"query\": \"q\", \"passage\": \"" + bad + "\"}",
      "{\"id\": \"" + bad + "\", \"query\": \"q\", \"passage\": \"p\"}",
      "{\"" + bad + "\": 1, \"query\": \"q\", \"passage\": \"p\"}",
      "{\"query\": \"q\", \"passage\": \"p\", \"meta\": {\"tags\": [\"" + bad + "\"]}}",
  };
  for (const char* cmd : {"score", "tokenize"}) {
    for (const std::string& line : lines) {
      SCOPED_TRACE(std::string(cmd) + ": " + line);
      const auto r = run_cli({cmd, "-m", tiny_model(), "-i", "-"}, {.stdin_text = line + "\n"});
      expect_clean_failure(r, "-:1: invalid UTF-8");
    }
  }
  // rank: the query argument, a positional passage, a line of a passages file.
  expect_clean_failure(run_cli({"rank", "-m", tiny_model(), "-q", bad, "p"}),
                       "invalid UTF-8 in query");
  expect_clean_failure(run_cli({"rank", "-m", tiny_model(), "-q", "q", "ok", bad}),
                       "invalid UTF-8 in passage");
  const fs::path file = fresh_dir("utf8") / "passages.txt";
  spit(file, "good one\nbad " + bad + " one\n");
  expect_clean_failure(run_cli({"rank", "-m", tiny_model(), "-q", "q", "-p", file.string()}),
                       "invalid UTF-8 in passage");
}

TEST(FaultMatrix, MissingOrUnusableModelForEveryCommand) {
  const std::string missing = (work_dir() / "no_such_model.cenc").string();
  const fs::path dir = fresh_dir("unusable");
  const fs::path empty = dir / "empty.cenc", folder = dir / "folder", fifo = dir / "fifo.cenc";
  spit(empty, "");
  fs::create_directories(folder);
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  struct Case {
    std::vector<std::string> args;
    std::string stdin_text;
  };
  const std::vector<Case> commands = {
      {{"info"}, ""},
      {{"score", "-i", "-", "-m"}, "{\"query\": \"q\", \"passage\": \"p\"}\n"},
      {{"tokenize", "-i", "-", "-m"}, "{\"query\": \"q\", \"passage\": \"p\"}\n"},
      {{"rank", "-q", "q", "p", "-m"}, ""},
      {{"bench", "--pairs", test::data_path("scores_tiny_sample.jsonl").string(), "-m"}, ""},
      {{"serve", "--grpc-port", "0", "--http-port", "0", "-m"}, ""},
  };
  const std::vector<std::pair<std::string, std::string>> models = {
      {missing, "does not exist"},
      {empty.string(), "truncated"},
      {folder.string(), "not a Hugging Face model"},
      {fifo.string(), "not a regular file"},  // must not block waiting for a writer
  };
  for (const Case& c : commands) {
    for (const auto& [model, needle] : models) {
      auto args = c.args;
      args.push_back(model);
      SCOPED_TRACE(args.front() + " " + model);
      const auto r = run_cli(args, {.stdin_text = c.stdin_text, .timeout_s = 60});
      if (args.front() == "serve" && r.err.find("built without the server") != std::string::npos) {
        continue;
      }
      expect_clean_failure(r, needle);
    }
  }
  // convert from a folder that is not there, or not a model.
  expect_clean_failure(run_cli({"convert", missing, (dir / "out.cenc").string()}), "not a folder");
  expect_clean_failure(run_cli({"convert", folder.string(), (dir / "out.cenc").string()}),
                       "no config.json");
  EXPECT_FALSE(fs::exists(dir / "out.cenc"));
}

// ---------------------------------------------------------------------------------------------
// Disks and devices.

TEST(FaultMatrix, ConvertToAFullDiskLeavesNothingBehind) {
  // RLIMIT_FSIZE makes every write past 64 KB fail with EFBIG, as a full disk would.
  const fs::path out_dir = fresh_dir("full");
  const auto r =
      run_cli({"convert", test::data_path("tiny-random").string(), (out_dir / "m.cenc").string()},
              {.file_size_limit = 64 * 1024});
  expect_clean_failure(r, "cannot write");
  EXPECT_TRUE(fs::is_empty(out_dir)) << "a failed convert left a file behind";

  // score -o: the same for an output file that outgrows the limit.
  const std::string input =
      repeat_to("{\"query\": \"q\", \"passage\": \"some passage text to make it long\"}\n",
                200 * 1024);  // ~3000 lines: the output (fields + score) is well past 64 KB
  const auto s =
      run_cli({"score", "-m", tiny_model(), "-i", "-", "-o", (out_dir / "scores.jsonl").string()},
              {.stdin_text = input, .file_size_limit = 64 * 1024});
  expect_clean_failure(s, "cannot write");
  EXPECT_TRUE(fs::is_empty(out_dir)) << "a failed score left a file behind";
}

TEST(FaultMatrix, ConvertToAReadOnlyFolder) {
  const fs::path out_dir = fresh_dir("readonly");
  fs::permissions(out_dir, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                               fs::perms::group_exec | fs::perms::others_read |
                               fs::perms::others_exec);
  // Root ignores directory permissions: then run the CLI as "nobody".
  const bool root = ::geteuid() == 0;
  if (root && run_cli({"--help"}, {.as_nobody = true}).code != 0) {
    GTEST_SKIP() << "cannot run the CLI as nobody here";
  }
  const auto r =
      run_cli({"convert", test::data_path("tiny-random").string(), (out_dir / "m.cenc").string()},
              {.as_nobody = root});
  expect_clean_failure(r, "cannot write");
  EXPECT_NE(r.err.find("Permission denied"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::is_empty(out_dir));
  // The output folder does not exist at all.
  expect_clean_failure(run_cli({"convert", test::data_path("tiny-random").string(),
                                (out_dir / "no/such/dir/m.cenc").string()}),
                       "cannot write");
}

TEST(FaultMatrix, VulkanRequestedWhereNoneExists) {
  // No Vulkan driver at all: the loader finds no ICD (or this binary has no Vulkan backend).
  const RunOptions no_vulkan = {.env = {"VK_ICD_FILENAMES=/nonexistent.json",
                                        "VK_DRIVER_FILES=/nonexistent.json",
                                        "XDG_RUNTIME_DIR=/tmp"}};
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"rank", "-m", tiny_model(), "--backend", "vulkan", "-q", "q", "p"},
           {"score", "-m", tiny_model(), "--backend", "vulkan", "-i", "-"},
           {"bench", "-m", tiny_model(), "--backend", "vulkan", "--pairs",
            test::data_path("scores_tiny_sample.jsonl").string()}}) {
    SCOPED_TRACE(args.front());
    auto o = no_vulkan;
    o.stdin_text = "{\"query\": \"q\", \"passage\": \"p\"}\n";
    const auto r = run_cli(args, o);
    EXPECT_EQ(r.code, 1) << r.err;
    EXPECT_NE(r.err.find("error: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("Vulkan"), std::string::npos) << r.err;
  }
  // "auto" falls back to the CPU; the device listing says there is no Vulkan device.
  const auto a =
      run_cli({"rank", "-m", tiny_model(), "--backend", "auto", "-q", "q", "p"}, no_vulkan);
  EXPECT_EQ(a.code, 0) << a.err;
  const auto d = run_cli({"info", "--devices"}, no_vulkan);
  EXPECT_EQ(d.code, 0) << d.err;
  EXPECT_NE(d.out.find("cpu"), std::string::npos) << d.out;
}

// ---------------------------------------------------------------------------------------------
// The server (crossenc serve): when built, the same faults over HTTP.

struct HttpReply {
  int status = -1;
  std::string body;
};

// One POST on a fresh loopback connection (Connection: close), bounded by the timeout.
HttpReply http_post(int port, const std::string& path, const std::string& body,
                    int timeout_s = 300) {
  HttpReply reply;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return reply;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return reply;
  }
  const std::string request = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                              "Content-Type: application/json\r\nConnection: close\r\n" +
                              "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  const auto deadline = Clock::now() + std::chrono::seconds(timeout_s);
  for (size_t sent = 0; sent < request.size();) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may answer (413) before reading everything
    sent += static_cast<size_t>(n);
  }
  std::string raw;
  char buf[65536];
  while (Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    raw.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  if (raw.rfind("HTTP/1.", 0) == 0 && raw.size() > 12) reply.status = std::atoi(raw.c_str() + 9);
  if (const auto at = raw.find("\r\n\r\n"); at != std::string::npos) {
    reply.body = raw.substr(at + 4);
  }
  return reply;
}

// `crossenc serve` on loopback, HTTP only, accepting 10,000 pairs per request.
class ServeProcess {
 public:
  ServeProcess() {
    out_ = work_dir() / "serve.out";
    err_ = work_dir() / "serve.err";
    std::vector<std::string> args = {CROSSENC_CLI_PATH,
                                     "serve",
                                     "-m",
                                     tiny_model(),
                                     "--grpc-port",
                                     "-1",
                                     "--http-port",
                                     "0",
                                     "--threads",
                                     "2",
                                     "--max-client-batch-size",
                                     "10000",
                                     "--http-threads",
                                     "4"};
    std::vector<char*> argv;
    for (auto& s : args) argv.push_back(s.data());
    argv.push_back(nullptr);
    const std::string out = out_.string(), err = err_.string();
    pid_ = ::fork();
    if (pid_ == 0) {
      const int fo = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int fe = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fo < 0 || fe < 0) ::_exit(126);
      ::dup2(fo, 1);
      ::dup2(fe, 2);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    // "listening grpc=G http=H" on stdout once both listeners are up (or an early exit).
    for (int i = 0; i < 1200 && port_ <= 0; ++i) {  // up to ~120 s (sanitizer builds are slow)
      int grpc = 0, http = 0;
      if (std::sscanf(slurp(out_).c_str(), "listening grpc=%d http=%d", &grpc, &http) == 2) {
        port_ = http;
        break;
      }
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  ~ServeProcess() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 600 && ::waitpid(pid_, &status, WNOHANG) == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ::kill(pid_, SIGKILL);  // no-op when it has exited
    ::waitpid(pid_, &status, WNOHANG);
  }
  int port() const { return port_; }
  std::string stderr_text() const { return slurp(err_); }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  fs::path out_, err_;
};

class FaultMatrixServer : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    const auto help = run_cli({"serve", "--help"});
    if (help.out.find("--http-port") == std::string::npos) return;  // built without the server
    server_ = std::make_unique<ServeProcess>();
  }
  static void TearDownTestSuite() { server_.reset(); }
  void SetUp() override {
    if (!server_) GTEST_SKIP() << "crossenc was built without the server (-DCROSSENC_SERVER=OFF)";
    ASSERT_GT(server_->port(), 0) << "crossenc serve did not start: " << server_->stderr_text();
  }
  HttpReply post(const std::string& path, const std::string& body) {
    return http_post(server_->port(), path, body);
  }
  static inline std::unique_ptr<ServeProcess> server_;
};

void expect_validation_error(const HttpReply& r, int status, const std::string& needle) {
  EXPECT_EQ(r.status, status) << r.body;
  ASSERT_TRUE(json::accept(r.body)) << r.body;
  const json j = json::parse(r.body);
  EXPECT_EQ(j.value("error_type", ""), "validation") << r.body;
  EXPECT_NE(j.value("error", "").find(needle), std::string::npos) << r.body;
}

// The Cohere routes answer errors in Cohere's shape, {"message": ...}, with the same status.
void expect_cohere_validation_error(const HttpReply& r, int status, const std::string& needle) {
  EXPECT_EQ(r.status, status) << r.body;
  ASSERT_TRUE(json::accept(r.body)) << r.body;
  EXPECT_NE(json::parse(r.body).value("message", "").find(needle), std::string::npos) << r.body;
}

TEST_F(FaultMatrixServer, TenThousandPassagesInOneRequest) {
  json texts = json::array(), pairs = json::array();
  for (int i = 0; i < 10000; ++i) {
    texts.push_back("passage " + std::to_string(i));
    pairs.push_back({"q", "passage " + std::to_string(i)});
  }
  auto r = post("/rerank", json{{"query", "q"}, {"texts", texts}}.dump());
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
  EXPECT_EQ(json::parse(r.body).size(), 10000u);
  r = post("/v1/rerank", json{{"query", "q"}, {"documents", texts}, {"top_n", 5}}.dump());
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
  EXPECT_EQ(json::parse(r.body)["results"].size(), 5u);
  r = post("/score", json{{"pairs", pairs}}.dump());
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
  EXPECT_EQ(json::parse(r.body)["scores"].size(), 10000u);
  // One over the limit: 413, naming the flag that raises it.
  texts.push_back("one too many");
  expect_validation_error(post("/rerank", json{{"query", "q"}, {"texts", texts}}.dump()), 413,
                          "max-client-batch-size");
}

TEST_F(FaultMatrixServer, OneMegabyteText) {
  const std::string big = repeat_to("the quick brown fox ", 1 << 20);
  const auto r = post("/rerank", json{{"query", "q"}, {"texts", {big, "short"}}}.dump());
  EXPECT_EQ(r.status, 200) << r.body.substr(0, 300);
  // truncate: false turns the same text into a 422 that says why.
  expect_validation_error(
      post("/rerank", json{{"query", "q"}, {"texts", {big}}, {"truncate", false}}.dump()), 422, "");
}

TEST_F(FaultMatrixServer, InvalidUtf8InEveryField) {
  const std::string b = "\xED\xA0\x80";  // a UTF-16 surrogate, encoded as if it were UTF-8
  const std::vector<std::pair<const char*, std::string>> bodies = {
      {"/rerank", "{\"query\": \"q\", \"texts\": [\"ok\", \"" + b + "\"]}"},
      {"/rerank", "{\"query\": \"q\", \"texts\": [\"ok\"], \"x-" + b + "\": 1}"},
      {"/v1/rerank", "{\"query\": \"" + b + "\", \"documents\": [\"d\"]}"},
      {"/v1/rerank", "{\"query\": \"q\", \"documents\": [\"" + b + "\"]}"},
      {"/v1/rerank", "{\"query\": \"q\", \"documents\": [{\"text\": \"" + b + "\"}]}"},
      {"/v1/rerank", "{\"model\": \"" + b + "\", \"query\": \"q\", \"documents\": [\"d\"]}"},
      {"/score", "[[\"" + b + "\", \"p\"]]"},
      {"/score", "[[\"q\", \"" + b + "\"]]"},
      {"/score", "{\"pairs\": [{\"query\": \"" + b + "\", \"passage\": \"p\"}]}"},
      {"/score", "{\"pairs\": [{\"query\": \"q\", \"document\": \"" + b + "\"}]}"},
  };
  for (const auto& [path, body] : bodies) {
    SCOPED_TRACE(std::string(path) + " " + body);
    if (std::string_view(path).starts_with("/v1/rerank"))
      expect_cohere_validation_error(post(path, body), 422, "UTF-8");
    else
      expect_validation_error(post(path, body), 422, "UTF-8");
  }
  // The server is unharmed.
  EXPECT_EQ(post("/score", R"([["q", "p"]])").status, 200);
}

}  // namespace
}  // namespace crossenc
