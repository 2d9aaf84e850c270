// Every backend op against the plain reference loops, with sentinel rows around each output.
#include <gtest/gtest.h>

#include <cmath>

#include "backend_cases.h"
#include "crossenc/error.h"
#include "crossenc/half.h"
#include "reference.h"

namespace crossenc {
namespace {

constexpr float kSentinel = 12345.0f;

class OpsTest : public testing::TestWithParam<test::BackendCase> {
 protected:
  void SetUp() override {
    backend_ = test::try_make_backend(GetParam());
    if (!backend_) GTEST_SKIP() << "no Vulkan device (set CROSSENC_REQUIRE_VULKAN=1 to fail)";
  }

  // A tensor with values uploaded.
  Tensor make(int64_t rows, int64_t cols, const std::vector<float>& values, DType dt = DType::F32) {
    Tensor t = backend_->scratch(rows, cols, dt);
    backend_->upload(values.data(), t);
    return t;
  }

  // An output tensor of rows x cols framed by one sentinel row above and below.
  struct Framed {
    Tensor whole, inner;
  };
  Framed framed(int64_t rows, int64_t cols) {
    Framed f;
    f.whole = make(rows + 2, cols, std::vector<float>((rows + 2) * cols, kSentinel));
    f.inner = f.whole;
    f.inner.rows = rows;
    const size_t row_bytes = cols * dtype_size(f.whole.dtype);
    f.inner.offset += row_bytes;
    if (f.inner.data) f.inner.data = static_cast<char*>(f.inner.data) + row_bytes;
    return f;
  }

  // Downloads the framed output, checks the sentinels, returns the inner rows.
  std::vector<float> read(const Framed& f) {
    std::vector<float> all(f.whole.numel());
    backend_->download(f.whole, all.data());
    const int64_t cols = f.whole.cols;
    for (int64_t j = 0; j < cols; ++j) {
      EXPECT_EQ(all[j], kSentinel) << "write before the output at column " << j;
      EXPECT_EQ(all[(f.whole.rows - 1) * cols + j], kSentinel) << "write past the output";
    }
    return {all.begin() + cols, all.end() - cols};
  }

  static void expect_close(const std::vector<float>& got, const std::vector<float>& want,
                           double tol, const std::string& what) {
    ASSERT_EQ(got.size(), want.size()) << what;
    double worst = 0;
    size_t at = 0;
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_TRUE(std::isfinite(got[i])) << what << ": non-finite at " << i;
      const double err = std::fabs(got[i] - want[i]) / std::max(1.0, std::fabs(double{want[i]}));
      if (err > worst) worst = err, at = i;
    }
    EXPECT_LE(worst, tol) << what << ": worst relative error at " << at << " got " << got[at]
                          << " want " << want[at];
  }

  PackedBatch batch_of(const std::vector<int>& lengths, int vocab, int types, uint32_t seed) {
    PackedBatch b;
    uint32_t x = seed;
    for (int len : lengths) {
      std::vector<int32_t> ids(len), tt(len);
      for (int i = 0; i < len; ++i) {
        x = x * 1664525u + 1013904223u;
        ids[i] = static_cast<int32_t>((x >> 8) % vocab);
        tt[i] = i >= len / 2 ? types - 1 : 0;
      }
      b.add(ids, tt);
    }
    return b;
  }

  std::unique_ptr<Backend> backend_;
};

struct GemmShape {
  int64_t m, n, k;
};

TEST_P(OpsTest, GemmMatchesReference) {
  const GemmShape shapes[] = {{1, 1, 1}, {7, 13, 5}, {33, 96, 32}, {100, 64, 384}, {70, 384, 1536}};
  const Activation acts[] = {Activation::None, Activation::Gelu, Activation::Tanh};
  for (DType wt : {DType::F32, DType::F16}) {
    for (const auto& s : shapes) {
      for (Activation act : acts) {
        for (bool with_bias : {true, false}) {
          PackedBatch dummy = batch_of({1}, 2, 1, 1);
          backend_->begin_batch(dummy);
          auto a = ref::random_vector(s.m * s.k, 1);
          auto w = ref::random_vector(s.n * s.k, 2, -0.2f, 0.2f);
          auto bias = ref::random_vector(s.n, 3);
          if (wt == DType::F16) {
            for (auto& v : w) v = half_to_float(float_to_half(v));  // what F16 storage holds
          }
          Tensor ta = make(s.m, s.k, a), tw = make(s.n, s.k, w, wt), tb = make(1, s.n, bias);
          Framed out = framed(s.m, s.n);
          backend_->gemm(ta, tw, with_bias ? &tb : nullptr, act, out.inner);
          const auto want = ref::gemm(a, w, with_bias ? &bias : nullptr, act, s.m, s.n, s.k);
          const std::string what = "gemm " + std::to_string(s.m) + "x" + std::to_string(s.n) + "x" +
                                   std::to_string(s.k) + " act " +
                                   std::to_string(static_cast<int>(act)) + " w " +
                                   std::string(dtype_name(wt)) + (with_bias ? " bias" : "");
          expect_close(read(out), want, 1e-4, what);
        }
      }
    }
  }
}

// The op front checks shapes for every backend: a GEMM whose inner dimensions differ is refused
// with a message naming the op and both tensors, on the CPU as on Vulkan.
TEST_P(OpsTest, GemmRefusesMismatchedInnerDimension) {
  PackedBatch dummy = batch_of({1}, 2, 1, 1);
  backend_->begin_batch(dummy);
  Tensor a = make(4, 8, std::vector<float>(32, 1.0f)), w = make(3, 7, std::vector<float>(21, 1.0f));
  Tensor out = backend_->scratch(4, 3, DType::F32);
  try {
    backend_->gemm(a, w, nullptr, Activation::None, out);
    FAIL() << "gemm [4 x 8] x [3 x 7]^T was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("gemm: a [4 x 8 f32] and w [3 x 7 f32] disagree on k"),
              std::string::npos)
        << e.what();
  }
}

TEST_P(OpsTest, AddLayerNormMatchesReference) {
  for (int64_t cols : {32, 384}) {
    const int64_t rows = 9;
    PackedBatch dummy = batch_of({1}, 2, 1, 1);
    backend_->begin_batch(dummy);
    auto x = ref::random_vector(rows * cols, 4, -3, 3), r = ref::random_vector(rows * cols, 5);
    auto g = ref::random_vector(cols, 6, 0.5f, 1.5f), b = ref::random_vector(cols, 7);
    Tensor tx = make(rows, cols, x), tg = make(1, cols, g), tb = make(1, cols, b);
    Framed out = framed(rows, cols);
    backend_->upload(r.data(), out.inner);
    // In place on the residual, as the encoder does.
    backend_->add_layernorm(tx, out.inner, tg, tb, 1e-12f, out.inner);
    expect_close(read(out), ref::add_layernorm(x, r, g, b, 1e-12f, rows, cols), 1e-4,
                 "add_layernorm cols " + std::to_string(cols));
  }
}

TEST_P(OpsTest, AttentionMatchesReference) {
  struct Case {
    int hidden, heads;
    std::vector<int> lengths;
  };
  const Case cases[] = {{64, 2, {1, 7, 16}},
                        {384, 12, {3, 70, 129}},
                        {128, 4, {300}},
                        {384, 12, {5, 33, 1, 95, 17, 64, 2, 40, 128}}};  // many: per-sequence tasks
  for (const auto& c : cases) {
    for (bool cls_only : {false, true}) {
      PackedBatch batch = batch_of(c.lengths, 2, 1, 9);
      backend_->begin_batch(batch);
      const int64_t t = batch.total_tokens();
      auto qkv = ref::random_vector(t * 3 * c.hidden, 10, -2, 2);
      Tensor tq = make(t, 3 * c.hidden, qkv);
      const int64_t rows = cls_only ? batch.num_seqs() : t;
      Framed out = framed(rows, c.hidden);
      backend_->attention(tq, c.heads, cls_only, out.inner);
      expect_close(read(out), ref::attention(qkv, batch.offsets, c.hidden, c.heads, cls_only), 1e-4,
                   "attention hidden " + std::to_string(c.hidden) + (cls_only ? " cls_only" : ""));
    }
  }
}

TEST_P(OpsTest, EmbedMatchesReference) {
  const int vocab = 50, positions = 300, types = 2;
  for (int hidden : {64, 384}) {
    PackedBatch batch = batch_of({1, 5, 260}, vocab, types, 11);
    backend_->begin_batch(batch);
    auto word = ref::random_vector(vocab * hidden, 12),
         pos = ref::random_vector(positions * hidden, 13);
    auto type = ref::random_vector(types * hidden, 14),
         g = ref::random_vector(hidden, 15, 0.5f, 1.5f);
    auto b = ref::random_vector(hidden, 16);
    Tensor tw = make(vocab, hidden, word), tp = make(positions, hidden, pos),
           tt = make(types, hidden, type), tg = make(1, hidden, g), tb = make(1, hidden, b);
    Framed out = framed(batch.total_tokens(), hidden);
    backend_->embed(tw, tp, tt, tg, tb, 1e-12f, out.inner);
    expect_close(read(out), ref::embed(batch, word, pos, type, g, b, 1e-12f, hidden), 1e-4,
                 "embed hidden " + std::to_string(hidden));
  }
}

TEST_P(OpsTest, GatherClsTakesFirstRowOfEachSequence) {
  PackedBatch batch = batch_of({4, 1, 9}, 2, 1, 17);
  backend_->begin_batch(batch);
  const int64_t cols = 64, t = batch.total_tokens();
  auto x = ref::random_vector(t * cols, 18);
  Tensor tx = make(t, cols, x);
  Framed out = framed(batch.num_seqs(), cols);
  backend_->gather_cls(tx, out.inner);
  std::vector<float> want;
  for (int s = 0; s < batch.num_seqs(); ++s) {
    want.insert(want.end(), x.begin() + batch.offsets[s] * cols,
                x.begin() + (batch.offsets[s] + 1) * cols);
  }
  expect_close(read(out), want, 0.0, "gather_cls");
}

INSTANTIATE_TEST_SUITE_P(Backends, OpsTest, testing::ValuesIn(test::backend_cases()),
                         test::case_name);

}  // namespace
}  // namespace crossenc
