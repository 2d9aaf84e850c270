// libFuzzer target: convert_hf_folder on a mutated Hugging Face folder (config.json,
// model.safetensors, vocab.txt, tokenizer_config.json, tokenizer.json).
//
// Input: [flags] then the five files' bytes separated by kPartSeparator (fuzz_util.h). Flag
// bits: 0 convert to f16; 1, 2, 3 write vocab.txt, tokenizer_config.json, tokenizer.json
// (config.json and model.safetensors are always written). The files go to a scratch folder:
// the converter and SafetensorsFile read from disk, as they do for users. Invariants: only
// crossenc::Error escapes; an image the converter returns loads with ModelFile::from_bytes.
#include "crossenc/converter.h"
#include "crossenc/error.h"
#include "crossenc/model_file.h"
#include "fuzz_util.h"

namespace fs = std::filesystem;
using crossenc::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  crossenc::fuzz::Reader r(data, size);
  const uint8_t flags = r.u8();
  const auto parts = crossenc::fuzz::split(r.rest(), crossenc::fuzz::kPartSeparator);
  const char* names[] = {"config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json",
                         "tokenizer.json"};
  const bool present[] = {true, true, bool(flags & 2), bool(flags & 4), bool(flags & 8)};
  const fs::path dir = crossenc::fuzz::scratch_dir() / "hf";
  fs::create_directories(dir);
  for (size_t i = 0; i < 5; ++i) {
    std::error_code ec;
    fs::remove(dir / names[i], ec);
    if (present[i]) crossenc::fuzz::write_file(dir / names[i], i < parts.size() ? parts[i] : "");
  }

  std::vector<uint8_t> image;
  try {
    image = crossenc::convert_hf_folder(
        dir.string(), {.dtype = (flags & 1) ? crossenc::DType::F16 : crossenc::DType::F32});
  } catch (const crossenc::Error&) {
    return 0;  // the one way a broken folder may fail
  }
  try {
    crossenc::ModelFile::from_bytes(std::move(image), "converted");
  } catch (const crossenc::Error& e) {
    crossenc::fuzz::fail(std::string("convert produced a file that does not load: ") + e.what());
  }
  return 0;
}
