// GPTQ rounding (crossenc/gptq.h): the same grid as round-to-nearest, and a smaller output
// error than it on inputs like the calibration ones.
#include "crossenc/gptq.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "crossenc/calibration.h"
#include "crossenc/converter.h"
#include "crossenc/error.h"
#include "crossenc/quantize.h"
#include "test_util.h"

namespace crossenc {
namespace {

std::vector<float> gaussian(size_t n, uint32_t seed, float sd = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, sd);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

// Rows with strongly correlated columns (x = z · mix, mix dense), as hidden states are.
std::vector<float> correlated_rows(int64_t m, int64_t k, uint32_t seed) {
  const auto z = gaussian(static_cast<size_t>(m * k), seed);
  const auto mix = gaussian(static_cast<size_t>(k * k), seed + 1, 1.0f / std::sqrt(float(k)));
  std::vector<float> x(static_cast<size_t>(m * k), 0.0f);
  for (int64_t r = 0; r < m; ++r) {
    for (int64_t c = 0; c < k; ++c) {
      for (int64_t i = 0; i < k; ++i) x[r * k + i] += z[r * k + c] * mix[c * k + i];
      x[r * k + c] += 0.3f * z[r * k + c];  // keep it full rank
    }
  }
  return x;
}

// sum over rows and outputs of (x · (w - q · s)ᵀ)²: what GPTQ minimizes.
double output_error(const std::vector<float>& x, int64_t m, const std::vector<float>& w,
                    const std::vector<int8_t>& q, const std::vector<float>& s, int64_t n,
                    int64_t k) {
  double total = 0;
  for (int64_t r = 0; r < m; ++r) {
    for (int64_t j = 0; j < n; ++j) {
      double e = 0;
      for (int64_t c = 0; c < k; ++c) {
        e += double(x[r * k + c]) * (w[j * k + c] - double(q[j * k + c]) * s[j]);
      }
      total += e * e;
    }
  }
  return total;
}

TEST(InputGram, IsTheSumOfOuterProducts) {
  const int64_t m = 150, k = 7;  // more than one 64-row block
  const auto x = gaussian(static_cast<size_t>(m * k), 3);
  InputGram g(k);
  g.add_rows(x.data(), 100);
  g.add_rows(x.data() + 100 * k, m - 100);
  EXPECT_EQ(g.rows, m);
  for (int64_t i = 0; i < k; ++i) {
    for (int64_t j = 0; j < k; ++j) {
      double want = 0;
      for (int64_t r = 0; r < m; ++r) want += double(x[r * k + i]) * x[r * k + j];
      EXPECT_NEAR(g.sum[i * k + j], want, 1e-4 * std::fabs(want) + 1e-4) << i << "," << j;
    }
  }
}

TEST(Gptq, UncorrelatedInputsGiveRoundToNearest) {
  // With a diagonal Gram no column's error can be offset by another: GPTQ is RTN exactly.
  const int64_t n = 9, k = 40;
  const auto w = gaussian(static_cast<size_t>(n * k), 5);
  InputGram g(k);
  g.rows = 10;
  for (int64_t i = 0; i < k; ++i) g.sum[i * k + i] = 1.0 + i;
  std::vector<int8_t> q_rtn(w.size()), q_gptq(w.size());
  std::vector<float> s_rtn(n), s_gptq(n);
  quantize_rows_int8(w.data(), n, k, q_rtn.data(), s_rtn.data());
  quantize_rows_int8_gptq(w.data(), n, k, g, q_gptq.data(), s_gptq.data());
  EXPECT_EQ(q_rtn, q_gptq);
  EXPECT_EQ(s_rtn, s_gptq);
}

TEST(Gptq, LowersTheOutputErrorOnCorrelatedInputs) {
  const int64_t m = 512, k = 64, n = 32;
  const auto x = correlated_rows(m, k, 7);
  const auto w = gaussian(static_cast<size_t>(n * k), 11, 0.05f);
  InputGram g(k);
  g.add_rows(x.data(), m);
  std::vector<int8_t> q_rtn(w.size()), q_gptq(w.size());
  std::vector<float> s_rtn(n), s_gptq(n);
  quantize_rows_int8(w.data(), n, k, q_rtn.data(), s_rtn.data());
  quantize_rows_int8_gptq(w.data(), n, k, g, q_gptq.data(), s_gptq.data());
  EXPECT_EQ(s_rtn, s_gptq);  // the same grid: the file and the kernels do not change
  size_t moved = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    // Each weight takes one of its two nearest levels or close: never far off.
    EXPECT_LE(std::fabs(q_gptq[i] - w[i] / s_gptq[i / k]), 3.0f) << i;
    moved += q_gptq[i] != q_rtn[i];
  }
  EXPECT_GT(moved, 0u);
  const double rtn = output_error(x, m, w, q_rtn, s_rtn, n, k);
  const double gptq = output_error(x, m, w, q_gptq, s_gptq, n, k);
  std::printf("output error: rtn %.4g, gptq %.4g (ratio %.3f), %zu levels moved\n", rtn, gptq,
              gptq / rtn, moved);
  // Measured 0.552 of round-to-nearest's error (AMD EPYC, 2026-12-04; the integer result is the
  // same on every CPU); 0.7 leaves room for another compiler's float rounding of the Gram.
  EXPECT_LT(gptq, 0.7 * rtn);
}

TEST(Gptq, NeverExcitedColumnsAreRoundedToNearest) {
  const int64_t n = 4, k = 16;
  auto x = correlated_rows(64, k, 13);
  for (int64_t r = 0; r < 64; ++r) x[r * k + 5] = 0;  // column 5 never seen
  const auto w = gaussian(static_cast<size_t>(n * k), 17);
  InputGram g(k);
  g.add_rows(x.data(), 64);
  std::vector<int8_t> q_rtn(w.size()), q_gptq(w.size());
  std::vector<float> s(n);
  quantize_rows_int8(w.data(), n, k, q_rtn.data(), s.data());
  quantize_rows_int8_gptq(w.data(), n, k, g, q_gptq.data(), s.data());
  for (int64_t j = 0; j < n; ++j) EXPECT_EQ(q_gptq[j * k + 5], q_rtn[j * k + 5]) << j;
}

TEST(Gptq, RefusesStatisticsOfAnotherWidthOrNone) {
  const std::vector<float> w(4 * 8, 0.5f);
  std::vector<int8_t> q(w.size());
  std::vector<float> s(4);
  InputGram wrong(7);
  wrong.rows = 1;
  EXPECT_THROW(quantize_rows_int8_gptq(w.data(), 4, 8, wrong, q.data(), s.data()), Error);
  const InputGram empty(8);
  EXPECT_THROW(quantize_rows_int8_gptq(w.data(), 4, 8, empty, q.data(), s.data()), Error);
}

// The calibration pass sees what the engine computes: every token through layer 0 and the
// last layer's QKV, only the [CLS] rows after the last attention.
TEST(Calibration, GramsCoverEveryEncoderMatrixWithTheRowsTheEngineComputes) {
  const auto model = open_model(test::data_path("tiny-random").string(), DType::F32);
  const Tokenizer tokenizer(model->vocab(), model->tokenizer_config());
  const std::vector<Encoding> pairs = {
      tokenizer.encode_pair("what is a flea", "A flea is a small jumping insect."),
      tokenizer.encode_pair("how long do fleas live", "Up to a year, depending on hosts."),
      tokenizer.encode_pair("flea", "Fleas are wingless.")};
  const int64_t tokens = static_cast<int64_t>(
      pairs[0].input_ids.size() + pairs[1].input_ids.size() + pairs[2].input_ids.size());
  const InputGrams grams = collect_input_grams(model, pairs, 1);
  namespace tn = tensor_names;
  ASSERT_EQ(grams.size(), 8u);  // 2 layers x 4 matrices
  const int h = model->config().hidden_size, f = model->config().intermediate_size;
  const struct {
    std::string name;
    int64_t k, rows;
  } want[] = {{tn::layer(0, tn::kQkvW), h, tokens},   {tn::layer(0, tn::kAttnOutW), h, tokens},
              {tn::layer(0, tn::kFfnInW), h, tokens}, {tn::layer(0, tn::kFfnOutW), f, tokens},
              {tn::layer(1, tn::kQkvW), h, tokens},   {tn::layer(1, tn::kAttnOutW), h, 3},
              {tn::layer(1, tn::kFfnInW), h, 3},      {tn::layer(1, tn::kFfnOutW), f, 3}};
  for (const auto& w : want) {
    const auto it = grams.find(w.name);
    ASSERT_NE(it, grams.end()) << w.name;
    EXPECT_EQ(it->second.k, w.k) << w.name;
    EXPECT_EQ(it->second.rows, w.rows) << w.name;
    for (int64_t i = 0; i < w.k; ++i) EXPECT_GT(it->second.sum[i * w.k + i], 0) << w.name;
  }
  EXPECT_THROW(collect_input_grams(model, {}, 1), Error);
  const auto int8 = ModelFile::from_bytes(
      convert_hf_folder(test::data_path("tiny-random").string(), {.dtype = DType::I8}), "int8");
  EXPECT_THROW(collect_input_grams(int8, pairs, 1), Error);
}

// The converter refuses statistics that cannot apply rather than ignore them.
TEST(Calibration, ConverterRefusesStatisticsItCannotUse) {
  const std::string hf = test::data_path("tiny-random").string();
  const InputGrams none;
  EXPECT_THROW(convert_hf_folder(hf, {.dtype = DType::F32, .input_grams = &none}), Error);
  // int8 with statistics missing for a matrix: an error naming it, not round-to-nearest.
  try {
    convert_hf_folder(hf, {.dtype = DType::I8, .input_grams = &none});
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no statistics for 'layer.0.attn.qkv.weight'"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace crossenc
