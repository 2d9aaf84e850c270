// C++ mirrors of each shader's push-constant block (std430 scalars: 4 bytes each, no padding).
// Keep field order identical to shaders/<op>.comp; the static_asserts catch size drift.
#pragma once

#include <cstdint>

namespace crossenc::vk {

struct EmbedPush {  // shaders/embed.comp
  uint32_t tokens, cols;
  uint32_t ids_off, types_off, positions_off;
  uint32_t word_off, position_off, type_off, gamma_off, beta_off, out_off;
  uint32_t f16_mask;  // bit 0 word, 1 position, 2 type, 3 gamma, 4 beta
  float eps;
};
static_assert(sizeof(EmbedPush) == 13 * 4);

struct AddLayerNormPush {  // shaders/add_layernorm.comp
  uint32_t rows, cols;
  uint32_t x_off, res_off, gamma_off, beta_off, out_off;
  uint32_t f16_mask;  // bit 0 gamma, 1 beta
  float eps;
};
static_assert(sizeof(AddLayerNormPush) == 9 * 4);

struct GemmPush {  // shaders/gemm.comp
  uint32_t m, n, k;
  uint32_t a_off, w_off, bias_off, out_off;
  uint32_t has_bias;
  uint32_t f16_mask;  // bit 0 w, 1 bias
};
static_assert(sizeof(GemmPush) == 9 * 4);
inline constexpr uint32_t kGemmTileM = 64;  // BM, BN in gemm.comp
inline constexpr uint32_t kGemmTileN = 64;

struct AttentionPush {  // shaders/attention.comp
  uint32_t offsets_off;
  uint32_t hidden;
  uint32_t qkv_off, out_off;
  uint32_t cls_only;
  float scale;
};
static_assert(sizeof(AttentionPush) == 6 * 4);
inline constexpr uint32_t kAttentionQueryBlock = 16;   // BQ in attention.comp
inline constexpr uint32_t kAttentionMaxHeadDim = 128;  // MAX_DPT * TPQ

struct GatherClsPush {  // shaders/gather_cls.comp
  uint32_t seqs, cols;
  uint32_t offsets_off, x_off, out_off;
};
static_assert(sizeof(GatherClsPush) == 5 * 4);

}  // namespace crossenc::vk
