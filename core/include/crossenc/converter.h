// Hugging Face BertForSequenceClassification folder -> .cenc model image.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "crossenc/gptq.h"
#include "crossenc/model_file.h"
#include "crossenc/types.h"

namespace crossenc {

struct ConvertOptions {
  DType dtype = DType::F32;  // storage of the 2-D weight matrices (F32, F16 or I8)
  // I8 only: every encoder matrix rounded with GPTQ on these statistics of its inputs (from
  // collect_input_grams, crossenc/calibration.h) instead of to nearest; same scales and format.
  const InputGrams* input_grams = nullptr;
};

// Reads config.json, model.safetensors and vocab.txt / tokenizer.json / tokenizer_config.json.
// Throws Error naming the missing file or tensor, a wrong shape, or a NaN/Inf weight.
std::vector<uint8_t> convert_hf_folder(const std::string& dir, const ConvertOptions& options = {});

// True when `path` is a folder that looks like a Hugging Face model (has config.json).
bool is_hf_folder(const std::string& path);

// Opens a .cenc file, or converts a Hugging Face folder in memory.
std::shared_ptr<const ModelFile> open_model(const std::string& path, DType hf_dtype = DType::F32);

}  // namespace crossenc
