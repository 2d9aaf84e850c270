// The calibration pass of `crossenc convert --dtype int8 --calibrate`: the F32 model runs a few
// pairs and every encoder GEMM's inputs are summed into a Gram matrix (crossenc/gptq.h), which
// GPTQ rounding then uses.
#pragma once

#include <memory>
#include <span>

#include "crossenc/gptq.h"
#include "crossenc/model_file.h"
#include "crossenc/tokenizer.h"

namespace crossenc {

// Runs `pairs` through `model` (F32 or F16 weights) on the CPU backend in batches of 32 and
// returns, per encoder matrix name, the Gram of the rows that GEMM read: the rows the engine
// computes, so the last layer's attention output and FFN see only the [CLS] rows.
// Throws Error if pairs is empty or an id is outside the model's tables.
InputGrams collect_input_grams(std::shared_ptr<const ModelFile> model,
                               std::span<const Encoding> pairs, int threads = 0);

}  // namespace crossenc
