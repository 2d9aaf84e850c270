// The INT8 GEMM (`--dtype int8`): every integer kernel this CPU runs gives bit-identical outputs
// (the sums are exact integers, the dequantization the same IEEE multiplies), and all of them are
// close to the float GEMM of the quantized operands. AMX-INT8 is not built; kernels this CPU
// lacks are covered by the same integer math on the kernels it has.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "cpu_ops.h"
#include "crossenc/error.h"
#include "gemm_int8.h"
#include "packed_weights.h"
#include "reference.h"

namespace crossenc {
namespace {

struct Shape {
  int64_t m, n, k;
};

const Shape kShapes[] = {{1, 1, 1},      {7, 13, 5},      {33, 96, 32}, {37, 70, 45},
                         {100, 64, 384}, {70, 384, 1536}, {3, 1, 384},  {130, 1152, 384},
                         {13, 17, 6},    {200, 48, 12}};

std::vector<cpu::Int8Kernel> kernels_here() {
  std::vector<cpu::Int8Kernel> out;
  const cpu::Isa isa = cpu::detect_isa();
  for (cpu::Int8Kernel k : {cpu::Int8Kernel::Avx512Vnni, cpu::Int8Kernel::AvxVnni,
                            cpu::Int8Kernel::Avx2, cpu::Int8Kernel::Scalar}) {
    if (cpu::int8_kernel_available(k, isa)) out.push_back(k);
  }
  return out;
}

std::vector<float> run(cpu::Int8Kernel kernel, const std::vector<float>& a,
                       const cpu::PackedWeight& w, const std::vector<float>& bias, Activation act,
                       int64_t m, cpu::ThreadPool& pool) {
  std::vector<float> out((m + 1) * w.n, 12345.0f);  // one sentinel row past the output
  cpu::gemm_int8(kernel, cpu::detect_isa(), a.data(), w.int8, bias.data(), act, out.data(), m,
                 pool);
  for (int64_t j = 0; j < w.n; ++j) EXPECT_EQ(out[m * w.n + j], 12345.0f) << "write past the end";
  out.resize(m * w.n);
  return out;
}

TEST(Int8Gemm, EveryKernelIsBitIdentical) {
  const auto kernels = kernels_here();
  ASSERT_FALSE(kernels.empty());
  cpu::ThreadPool pool(2);
  for (const Shape& s : kShapes) {
    for (Activation act : {Activation::None, Activation::Gelu, Activation::Tanh}) {
      const auto a = ref::random_vector(s.m * s.k, 21);
      const auto w = ref::random_vector(s.n * s.k, 22, -0.2f, 0.2f);
      const auto bias = ref::random_vector(s.n, 23);
      const auto packed = cpu::pack_int8(w.data(), s.n, s.k);
      const auto want = run(cpu::Int8Kernel::Scalar, a, *packed, bias, act, s.m, pool);
      for (cpu::Int8Kernel k : kernels) {
        const auto got = run(k, a, *packed, bias, act, s.m, pool);
        ASSERT_EQ(0, std::memcmp(got.data(), want.data(), got.size() * sizeof(float)))
            << cpu::int8_kernel_name(k) << " " << s.m << "x" << s.n << "x" << s.k;
      }
    }
  }
}

// Against the float64 GEMM of the unquantized operands: the error is the quantization's, about
// |a| |w| sqrt(k) / 127 per output. Relative to sum |a_p w_p|, measured worst 1.06e-2 over these
// shapes with asymmetric activation rows (2026-12-04; 1.65e-2 with symmetric ones; at k = 6: few
// terms to average the rounding out): the bound is 2e-2.
TEST(Int8Gemm, CloseToTheFloatGemm) {
  cpu::ThreadPool pool(2);
  for (const Shape& s : kShapes) {
    const auto a = ref::random_vector(s.m * s.k, 31);
    const auto w = ref::random_vector(s.n * s.k, 32, -0.2f, 0.2f);
    const auto bias = ref::random_vector(s.n, 33);
    const auto packed = cpu::pack_int8(w.data(), s.n, s.k);
    const auto got = run(cpu::best_int8_kernel(cpu::detect_isa()), a, *packed, bias,
                         Activation::None, s.m, pool);
    const auto want = ref::gemm(a, w, &bias, Activation::None, s.m, s.n, s.k);
    double worst = 0;
    for (int64_t i = 0; i < s.m; ++i) {
      for (int64_t j = 0; j < s.n; ++j) {
        double mag = 0;
        for (int64_t p = 0; p < s.k; ++p) mag += std::fabs(double{a[i * s.k + p]} * w[j * s.k + p]);
        worst = std::max(worst, std::fabs(got[i * s.n + j] - want[i * s.n + j]) / mag);
      }
    }
    EXPECT_LE(worst, 2e-2) << s.m << "x" << s.n << "x" << s.k;
  }
}

// The activation quantization on every ISA gives the scalar version's bytes, scales and zero
// points: every tail length, a zero row, one-sided rows, and exact ties (range 255: a * 255 /
// range = a, so x.5 must round to even everywhere).
TEST(Int8Gemm, QuantizationIsTheSameOnEveryIsa) {
  for (int64_t k : {1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 384, 1536}) {
    const int64_t k_pad = (k + 3) / 4 * 4, m = 5;
    auto a = ref::random_vector(m * k, 41, -3.0f, 3.0f);
    const auto gelu_like = ref::random_vector(k, 42, -0.17f, 3.0f);
    for (int64_t p = 0; p < k; ++p) {
      a[k + p] = 0.0f;                                                      // row 1: zeros
      a[2 * k + p] = p == 0 ? 255.0f : static_cast<float>(p % 9) + 0.5f;    // 2: ties, >= 0
      a[3 * k + p] = p == 0 ? -255.0f : -static_cast<float>(p % 9) - 0.5f;  // 3: ties, <= 0
      a[4 * k + p] = gelu_like[p];                                          // 4: mostly > 0
    }
    std::vector<uint8_t> want(m * k_pad), got(m * k_pad);
    std::vector<float> want_s(m), got_s(m);
    std::vector<int32_t> want_z(m), got_z(m);
    cpu::int8_quantize_rows_scalar(a.data(), k, k_pad, 0, m, want.data(), want_s.data(),
                                   want_z.data());
    EXPECT_EQ(want_z[1], 0);
    EXPECT_EQ(want_s[1], 0.0f);
    EXPECT_EQ(want_z[2], 0);
    EXPECT_EQ(want_z[3], 255);
    for (cpu::Isa isa : {cpu::Isa::Avx2, cpu::Isa::Avx512}) {
      if (isa > cpu::detect_isa()) continue;
      std::fill(got.begin(), got.end(), uint8_t{7});
      cpu::int8_quantizer(isa)(a.data(), k, k_pad, 0, m, got.data(), got_s.data(), got_z.data());
      EXPECT_EQ(got, want) << cpu::isa_name(isa) << " k=" << k;
      EXPECT_EQ(got_z, want_z) << cpu::isa_name(isa) << " k=" << k;
      EXPECT_EQ(0, std::memcmp(got_s.data(), want_s.data(), m * sizeof(float)))
          << cpu::isa_name(isa) << " k=" << k;
    }
  }
}

// Asymmetric rows: a row in [-0.17, 3] (GELU outputs, the FFN-out input) spans all 256 levels,
// and every value comes back within half a step (range / 510) of itself.
TEST(Int8Gemm, OneSidedRowsUseTheWholeByte) {
  const int64_t k = 1536;
  auto a = ref::random_vector(k, 43, -0.17f, 3.0f);
  a[0] = -0.17f;
  a[1] = 3.0f;
  std::vector<uint8_t> q(k);
  float scale = 0;
  int32_t zero = 0;
  cpu::int8_quantize_rows_scalar(a.data(), k, k, 0, 1, q.data(), &scale, &zero);
  EXPECT_EQ(*std::min_element(q.begin(), q.end()), 0);
  EXPECT_EQ(*std::max_element(q.begin(), q.end()), 255);
  for (int64_t p = 0; p < k; ++p) {
    EXPECT_LE(std::fabs(scale * static_cast<float>(q[p] - zero) - a[p]), 3.17f / 510 * 1.0001f);
  }
}

TEST(Int8Gemm, NamedPathsPickTheirKernel) {
  for (cpu::Int8Kernel k : kernels_here()) {
    std::string flat = cpu::int8_kernel_name(k);
    flat.erase(std::remove(flat.begin(), flat.end(), '-'), flat.end());
    EXPECT_EQ(cpu::parse_gemm_path(("int8-" + flat).c_str()).int8, k);
  }
  EXPECT_THROW(cpu::parse_gemm_path("int8-avx1024"), Error);
}

TEST(Int8Gemm, NonFiniteWeightIsRefused) {
  std::vector<float> w(8, 0.5f);
  w[5] = NAN;
  EXPECT_THROW(cpu::pack_int8(w.data(), 2, 4), Error);
}

}  // namespace
}  // namespace crossenc
