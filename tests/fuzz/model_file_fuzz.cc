// libFuzzer target: ModelFile::from_bytes on mutated .cenc images; only crossenc::Error may escape.
//
// Each input is tried twice: as is (the checksums reject nearly every mutation), then "resealed"
// (section and header checksums recomputed) so mutations reach the metadata JSON, the tensor
// table and the vocabulary. A file that loads is then used the way the engine uses it: every
// tensor's bytes are read, a Tokenizer is built and, when the model is small, the file is
// opened by Engine and scores a pair (fuzzed configs must not crash the encoder either).
#include <cmath>
#include <cstddef>

#include "crossenc/engine.h"
#include "crossenc/error.h"
#include "crossenc/model_file.h"
#include "fuzz_util.h"

namespace {

using crossenc::FileHeader;
using crossenc::fuzz::require;

// Recomputes the checksums of every section that lies inside the image, then the header's.
bool reseal(std::vector<uint8_t>& image) {
  if (image.size() < sizeof(FileHeader)) return false;
  FileHeader h;
  std::memcpy(&h, image.data(), sizeof(h));
  for (crossenc::FileSection* s : {&h.metadata, &h.vocab, &h.data}) {
    if (s->offset > image.size() || s->size > image.size() - s->offset) continue;
    s->checksum = crossenc::checksum64(image.data() + s->offset, s->size);
  }
  h.file_size = image.size();  // so that truncations and extensions get past the size check
  h.header_checksum = crossenc::checksum64(&h, offsetof(FileHeader, header_checksum));
  std::memcpy(image.data(), &h, sizeof(h));
  return true;
}

// Everything a loaded model promises: tensors inside the image, a usable tokenizer, a forward.
void exercise(const crossenc::ModelFile& m, const std::vector<uint8_t>& image) {
  const uint8_t* lo = nullptr;
  uint64_t sum = 0;
  for (const auto& t : m.tensors()) {
    const auto bytes = m.bytes(t);
    require(bytes.size() == t.nbytes, "tensor span size differs from nbytes");
    if (!bytes.empty()) sum += bytes.front() + bytes.back();  // ASan: both ends in bounds
    if (!lo || bytes.data() < lo) lo = bytes.data();
  }
  (void)sum;
  try {
    crossenc::Tokenizer tok(m.vocab(), m.tokenizer_config());
    const int max_length = std::max(3, std::min(m.tokenizer_config().max_length, 64));
    tok.encode_pair("what is a flea", "A flea is a small insect.", max_length);
  } catch (const crossenc::Error&) {
    // e.g. a vocabulary without [CLS]: Engine::open reports the same error.
  }
  // The encoder on a fuzzed config: only for small models, so that a run stays fast.
  const auto& c = m.config();
  const int64_t work = int64_t{c.num_layers} * c.hidden_size * c.intermediate_size;
  if (image.size() > (1u << 20) || work > (1 << 20) || c.max_position_embeddings > 4096) return;
  const auto path = crossenc::fuzz::scratch_dir() / "model.cenc";
  crossenc::fuzz::write_file(path, {reinterpret_cast<const char*>(image.data()), image.size()});
  try {
    auto engine = crossenc::Engine::open(path.string(), {.threads = 1, .gemm = "reference"});
    const auto s = engine.score({{"what is a flea", "A flea is a small insect."}, {"", ""}});
    require(s.size() == 2, "score returned the wrong count");
  } catch (const crossenc::Error&) {
  }
}

void try_load(const std::vector<uint8_t>& image) {
  std::shared_ptr<const crossenc::ModelFile> m;
  try {
    m = crossenc::ModelFile::from_bytes(image, "fuzz");
  } catch (const crossenc::Error&) {
    return;  // the one way a damaged file may fail
  }
  exercise(*m, image);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> image(data, data + size);
  try_load(image);
  if (reseal(image)) try_load(image);
  return 0;
}
