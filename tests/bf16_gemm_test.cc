// The BF16 GEMM (`--dtype bf16`) on every CPU path against the reference loop on BF16-rounded
// inputs: AMX tiles and AVX512-BF16 dot products (where this CPU has them) and the F32 emulation
// (own, BLAS, Eigen, reference)
// must compute the same products, so they agree to F32 summation error.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "cpu_ops.h"
#include "crossenc/error.h"
#include "crossenc/half.h"
#include "gemm_amx.h"
#include "gemm_bf16_dot.h"
#include "reference.h"

namespace crossenc {
namespace {

struct Shape {
  int64_t m, n, k;
};

// Paths that exist on this CPU (AMX and AVX-512 are absent on some CI machines).
std::vector<std::string> paths() {
  std::vector<std::string> out;
  for (const char* p :
       {"own-amx", "own-avx512bf16", "own-avx512", "own-avx2", "blas", "eigen", "reference"}) {
    try {
      cpu::parse_gemm_path(p);
      out.push_back(p);
    } catch (const Error&) {
    }
  }
  return out;
}

class Bf16Gemm : public testing::TestWithParam<std::string> {};

TEST_P(Bf16Gemm, MatchesReferenceOnRoundedInputs) {
  const cpu::KernelConfig config = cpu::parse_gemm_path(GetParam().c_str());
  cpu::ThreadPool pool(2);
  const Shape shapes[] = {{1, 1, 1},      {7, 13, 5},      {33, 96, 32}, {37, 70, 45},
                          {100, 64, 384}, {70, 384, 1536}, {3, 1, 384},  {130, 1152, 384}};
  for (const Shape& s : shapes) {
    for (Activation act : {Activation::None, Activation::Gelu, Activation::Tanh}) {
      auto a = ref::random_vector(s.m * s.k, 11);
      auto w = ref::random_vector(s.n * s.k, 12, -0.2f, 0.2f);
      const auto bias = ref::random_vector(s.n, 13);
      std::vector<uint16_t> w16(w.size());
      for (size_t i = 0; i < w.size(); ++i) w16[i] = float_to_bf16(w[i]);
      // What the kernels see: both operands rounded to BF16.
      std::vector<float> a_r(a.size()), w_r(w.size());
      for (size_t i = 0; i < a.size(); ++i) a_r[i] = bf16_to_float(float_to_bf16(a[i]));
      for (size_t i = 0; i < w.size(); ++i) w_r[i] = bf16_to_float(w16[i]);
      const auto want = ref::gemm(a_r, w_r, &bias, act, s.m, s.n, s.k);

      std::vector<uint16_t> stored = w16;
      if (config.amx) {
        stored.assign(cpu::amx_packed_size(s.n, s.k), 0xffff);
        cpu::amx_pack_weights(w16.data(), s.n, s.k, stored.data());
      } else if (config.bf16_dot) {
        stored.assign(cpu::bf16_dot_packed_size(s.n, s.k), 0xffff);
        cpu::bf16_dot_pack_weights(w16.data(), s.n, s.k, stored.data());
      }
      // One sentinel row past the output catches writes beyond m x n.
      std::vector<float> out((s.m + 1) * s.n, 12345.0f);
      cpu::gemm(config, a.data(), {stored.data(), DType::BF16}, bias.data(), act, out.data(), s.m,
                s.n, s.k, pool);
      const std::string what = GetParam() + " " + std::to_string(s.m) + "x" + std::to_string(s.n) +
                               "x" + std::to_string(s.k) + " act " +
                               std::to_string(static_cast<int>(act));
      double worst = 0;
      for (int64_t i = 0; i < s.m * s.n; ++i) {
        ASSERT_TRUE(std::isfinite(out[i])) << what << " at " << i;
        worst = std::max(worst,
                         std::fabs(out[i] - want[i]) / std::max(1.0, std::fabs(double{want[i]})));
      }
      EXPECT_LE(worst, 1e-4) << what;
      for (int64_t j = 0; j < s.n; ++j) {
        ASSERT_EQ(out[s.m * s.n + j], 12345.0f) << what << ": write past the output";
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Paths, Bf16Gemm, testing::ValuesIn(paths()),
                         [](const testing::TestParamInfo<std::string>& info) {
                           std::string n = info.param;
                           for (char& c : n) c = c == '-' ? '_' : c;
                           return n;
                         });

TEST(Bf16Gemm, OwnAmxNeedsAmx) {
  if (cpu::amx_available()) {
    EXPECT_TRUE(cpu::parse_gemm_path("own-amx").amx);
  } else {
    try {
      cpu::parse_gemm_path("own-amx");
      FAIL() << "own-amx accepted without AMX";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("needs AMX-BF16"), std::string::npos) << e.what();
    }
  }
  if (cpu::detect_isa() >= cpu::Isa::Avx2) {
    EXPECT_FALSE(cpu::parse_gemm_path("own-avx2").amx);
  }
}

// The order for BF16 weights: AMX, then AVX512-BF16 dot products, then the F32 emulation; a
// named path this CPU cannot run is refused, never silently replaced.
TEST(Bf16Gemm, DotPathChoiceAndRefusal) {
  if (cpu::detect_isa() == cpu::Isa::Generic) GTEST_SKIP() << "no vector kernels on this CPU";
  const cpu::KernelConfig best = cpu::parse_gemm_path("auto");
  EXPECT_EQ(best.amx, cpu::amx_available());
  EXPECT_EQ(best.bf16_dot, !cpu::amx_available() && cpu::bf16_dot_available());
  if (cpu::detect_isa() == cpu::Isa::Avx512) {
    const cpu::KernelConfig emulated = cpu::parse_gemm_path("own-avx512");
    EXPECT_FALSE(emulated.amx || emulated.bf16_dot);
  }
  if (cpu::bf16_dot_available()) {
    const cpu::KernelConfig dot = cpu::parse_gemm_path("own-avx512bf16");
    EXPECT_TRUE(dot.bf16_dot);
    EXPECT_FALSE(dot.amx);
    EXPECT_EQ(cpu::kernel_config_name(dot), "own-avx512+bf16dot");
  } else {
    try {
      cpu::parse_gemm_path("own-avx512bf16");
      FAIL() << "own-avx512bf16 accepted without AVX512_BF16";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("needs AVX512_BF16"), std::string::npos) << e.what();
    }
  }
}

TEST(Bf16Gemm, DotPackingInterleavesPairsAndPadsWithZeros) {
  // 3 columns x 5 k: one panel of 48 columns x 6 k (3 pairs), the rest zero.
  std::vector<uint16_t> w(15);
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<uint16_t>(i + 1);
  std::vector<uint16_t> packed(cpu::bf16_dot_packed_size(3, 5), 0xffff);
  ASSERT_EQ(packed.size(), 48u * 6u);
  cpu::bf16_dot_pack_weights(w.data(), 3, 5, packed.data());
  // Panel row p, column c holds (w[c][2p], w[c][2p + 1]).
  EXPECT_EQ(packed[0 * 96 + 2 * 1 + 0], w[1 * 5 + 0]);
  EXPECT_EQ(packed[1 * 96 + 2 * 2 + 1], w[2 * 5 + 3]);
  EXPECT_EQ(packed[2 * 96 + 2 * 0 + 0], w[0 * 5 + 4]);
  EXPECT_EQ(packed[2 * 96 + 2 * 0 + 1], 0);  // k = 5 is past the end
  EXPECT_EQ(packed[0 * 96 + 2 * 3 + 0], 0);  // column 3 is past the end
  size_t nonzero = 0;
  for (uint16_t v : packed) nonzero += v != 0;
  EXPECT_EQ(nonzero, w.size());
}

TEST(Bf16Gemm, AmxPackingPadsWithZeros) {
  // 3 columns x 5 k: the packed tile is 32 x 32 with the rest zero.
  std::vector<uint16_t> w(15);
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<uint16_t>(i + 1);
  std::vector<uint16_t> packed(cpu::amx_packed_size(3, 5), 0xffff);
  ASSERT_EQ(packed.size(), 32u * 32u);
  cpu::amx_pack_weights(w.data(), 3, 5, packed.data());
  // Tile row r, column c holds (w[c][2r], w[c][2r + 1]).
  EXPECT_EQ(packed[0 * 32 + 2 * 1 + 0], w[1 * 5 + 0]);
  EXPECT_EQ(packed[1 * 32 + 2 * 2 + 1], w[2 * 5 + 3]);
  EXPECT_EQ(packed[2 * 32 + 2 * 0 + 0], w[0 * 5 + 4]);
  EXPECT_EQ(packed[2 * 32 + 2 * 0 + 1], 0);  // k = 5 is past the end
  EXPECT_EQ(packed[0 * 32 + 2 * 3 + 0], 0);  // column 3 is past the end
  size_t nonzero = 0;
  for (uint16_t v : packed) nonzero += v != 0;
  EXPECT_EQ(nonzero, w.size());
}

TEST(Bf16Gemm, AmxPackingFromF32RoundsLikeBf16) {
  const int64_t n = 45, k = 70;
  const auto w = ref::random_vector(n * k, 21);
  std::vector<uint16_t> w16(w.size());
  for (size_t i = 0; i < w.size(); ++i) w16[i] = float_to_bf16(w[i]);
  std::vector<uint16_t> from_f32(cpu::amx_packed_size(n, k), 1), from_bf16(from_f32.size(), 2);
  cpu::amx_pack_weights(w.data(), n, k, from_f32.data());
  cpu::amx_pack_weights(w16.data(), n, k, from_bf16.data());
  EXPECT_EQ(from_f32, from_bf16);
}

}  // namespace
}  // namespace crossenc
