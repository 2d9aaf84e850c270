// Test helper: a Hugging Face folder converted to INT8 with GPTQ rounding, calibrated on the 32
// pairs of examples/calibration_dl19.jsonl, as `crossenc convert --dtype int8 --calibrate` does.
#pragma once

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "crossenc/calibration.h"
#include "crossenc/converter.h"
#include "test_util.h"

namespace crossenc::test {

// Writes the model into this test program's temp folder as `name`; returns its path.
inline std::string write_gptq_model(const std::string& hf_dir, const std::string& name) {
  const auto f32 = open_model(hf_dir, DType::F32);
  const Tokenizer tokenizer(f32->vocab(), f32->tokenizer_config());
  std::vector<Encoding> calibration;
  std::ifstream in(std::string(CROSSENC_SOURCE_DIR) + "/examples/calibration_dl19.jsonl");
  for (std::string line; std::getline(in, line);) {
    const auto j = nlohmann::json::parse(line);
    calibration.push_back(tokenizer.encode_pair(j.at("query").get<std::string>(),
                                                j.at("passage").get<std::string>()));
  }
  EXPECT_EQ(calibration.size(), 32u);
  const InputGrams grams = collect_input_grams(f32, calibration, 2);
  const std::string path = (temp_dir() / name).string();
  write_model_file(path, convert_hf_folder(hf_dir, {.dtype = DType::I8, .input_grams = &grams}));
  return path;
}

}  // namespace crossenc::test
