// gather: each sequence's [CLS] row of the packed activations (a row copy per sequence).
#include <cstring>

#include "cpu_ops.h"

namespace crossenc::cpu {

void gather_cls(const float* x, const int32_t* offsets, int num_seqs, int64_t cols, float* out) {
  for (int s = 0; s < num_seqs; ++s) {
    std::memcpy(out + s * cols, x + int64_t{offsets[s]} * cols, cols * sizeof(float));
  }
}

}  // namespace crossenc::cpu
