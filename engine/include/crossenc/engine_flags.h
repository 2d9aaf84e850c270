// Engine settings as a command line or a bench experiment gives them (the dtype by name), and
// their one mapping to Options: tools/cli_common.cc and bench/harness/experiment.cc both use
// it, so neither can drop a field.
#pragma once

#include <string>

#include "crossenc/engine.h"

namespace crossenc {

struct EngineFlags {
  std::string backend = "cpu";            // cpu | vulkan | auto
  int threads = 0;                        // CPU threads; 0 = all cores
  int batch_size = 32;                    // pairs per forward pass
  int max_batch_tokens = 0;               // also cap a batch by total tokens; 0 = no cap
  int max_length = 0;                     // token budget per pair; 0 = the model's
  std::string dtype;                      // "" = the model file's; f32 | f16 | bf16 | int8
  int device = -1;                        // Vulkan device index; -1 = best
  std::string gemm = "auto";              // CPU GEMM path (see Options::gemm)
  bool profile = false;                   // time every op
  std::string truncation_side = "right";  // right | left
  int max_windows = 1;                    // windows a long passage may be scored in

  // Every field as Options; throws Error for an unknown dtype name.
  Options options() const;
};

}  // namespace crossenc
