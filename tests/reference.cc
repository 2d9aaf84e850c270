// Reference ops: the textbook formulas, no blocking, no vector tricks, double accumulators.
#include "reference.h"

#include <cmath>
#include <cstring>
#include <random>

#include "crossenc/half.h"

namespace crossenc::ref {

namespace {
double activate(double v, Activation act) {
  switch (act) {
    case Activation::Gelu: return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
    case Activation::Tanh: return std::tanh(v);
    case Activation::None: return v;
  }
  return v;
}

std::vector<double> tensor(const ModelFile& m, const std::string& name) {
  const TensorInfo& t = m.info(name);
  const size_t n = static_cast<size_t>(t.numel());
  std::vector<double> out(n);
  if (t.dtype == DType::F16) {
    const auto* p = static_cast<const uint16_t*>(m.data(t));
    for (size_t i = 0; i < n; ++i) out[i] = half_to_float(p[i]);
  } else {
    const auto* p = static_cast<const float*>(m.data(t));
    for (size_t i = 0; i < n; ++i) out[i] = p[i];
  }
  return out;
}

using Mat = std::vector<double>;  // row-major, rows x cols known by the caller

Mat linear(const Mat& x, int64_t rows, int64_t in, const Mat& w, const Mat& b, int64_t out,
           Activation act = Activation::None) {
  Mat y(static_cast<size_t>(rows * out));
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < out; ++j) {
      double acc = b[j];
      for (int64_t p = 0; p < in; ++p) acc += x[i * in + p] * w[j * in + p];
      y[i * out + j] = activate(acc, act);
    }
  }
  return y;
}

void layernorm_rows(Mat& x, int64_t rows, int64_t cols, const Mat& g, const Mat& b, double eps) {
  for (int64_t i = 0; i < rows; ++i) {
    double mean = 0, var = 0;
    for (int64_t j = 0; j < cols; ++j) mean += x[i * cols + j];
    mean /= cols;
    for (int64_t j = 0; j < cols; ++j) var += (x[i * cols + j] - mean) * (x[i * cols + j] - mean);
    var /= cols;
    const double inv = 1.0 / std::sqrt(var + eps);
    for (int64_t j = 0; j < cols; ++j)
      x[i * cols + j] = (x[i * cols + j] - mean) * inv * g[j] + b[j];
  }
}

// One head's attention for queries [0, q_rows) of a sequence; qkv rows of width 3*hidden.
template <typename T>
void attend(const T* qkv, int64_t len, int64_t q_rows, int hidden, int heads, T* out) {
  const int d = hidden / heads;
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  std::vector<double> s(static_cast<size_t>(len));
  for (int h = 0; h < heads; ++h) {
    for (int64_t i = 0; i < q_rows; ++i) {
      double mx = -INFINITY;
      for (int64_t j = 0; j < len; ++j) {
        double dot = 0;
        for (int e = 0; e < d; ++e) {
          dot += static_cast<double>(qkv[i * 3 * hidden + h * d + e]) *
                 qkv[j * 3 * hidden + hidden + h * d + e];
        }
        s[j] = dot * scale;
        mx = std::max(mx, s[j]);
      }
      double sum = 0;
      for (int64_t j = 0; j < len; ++j) sum += s[j] = std::exp(s[j] - mx);
      for (int e = 0; e < d; ++e) {
        double acc = 0;
        for (int64_t j = 0; j < len; ++j)
          acc += s[j] * qkv[j * 3 * hidden + 2 * hidden + h * d + e];
        out[i * hidden + h * d + e] = static_cast<T>(acc / sum);
      }
    }
  }
}
}  // namespace

std::vector<float> gemm(const std::vector<float>& a, const std::vector<float>& w,
                        const std::vector<float>* bias, Activation act, int64_t m, int64_t n,
                        int64_t k) {
  std::vector<float> out(static_cast<size_t>(m * n));
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double acc = bias ? (*bias)[j] : 0.0;
      for (int64_t p = 0; p < k; ++p) acc += static_cast<double>(a[i * k + p]) * w[j * k + p];
      out[i * n + j] = static_cast<float>(activate(acc, act));
    }
  }
  return out;
}

std::vector<float> add_layernorm(const std::vector<float>& x, const std::vector<float>& residual,
                                 const std::vector<float>& gamma, const std::vector<float>& beta,
                                 float eps, int64_t rows, int64_t cols) {
  Mat v(x.size()), g(gamma.begin(), gamma.end()), b(beta.begin(), beta.end());
  for (size_t i = 0; i < x.size(); ++i) v[i] = static_cast<double>(x[i]) + residual[i];
  layernorm_rows(v, rows, cols, g, b, eps);
  return {v.begin(), v.end()};
}

std::vector<float> attention(const std::vector<float>& qkv, const std::vector<int32_t>& offsets,
                             int hidden, int heads, bool cls_only) {
  const size_t seqs = offsets.size() - 1;
  std::vector<float> out((cls_only ? seqs : static_cast<size_t>(offsets.back())) * hidden);
  for (size_t s = 0; s < seqs; ++s) {
    const int64_t len = offsets[s + 1] - offsets[s];
    attend(qkv.data() + int64_t{offsets[s]} * 3 * hidden, len, cls_only ? 1 : len, hidden, heads,
           out.data() + (cls_only ? s : static_cast<size_t>(offsets[s])) * hidden);
  }
  return out;
}

std::vector<float> embed(const PackedBatch& batch, const std::vector<float>& word,
                         const std::vector<float>& position, const std::vector<float>& token_type,
                         const std::vector<float>& gamma, const std::vector<float>& beta, float eps,
                         int hidden) {
  const int64_t t = batch.total_tokens();
  Mat v(static_cast<size_t>(t * hidden)), g(gamma.begin(), gamma.end()),
      b(beta.begin(), beta.end());
  for (int64_t i = 0; i < t; ++i) {
    for (int j = 0; j < hidden; ++j) {
      v[i * hidden + j] = static_cast<double>(word[int64_t{batch.input_ids[i]} * hidden + j]) +
                          position[int64_t{batch.positions[i]} * hidden + j] +
                          token_type[int64_t{batch.token_type_ids[i]} * hidden + j];
    }
  }
  layernorm_rows(v, t, hidden, g, b, eps);
  return {v.begin(), v.end()};
}

std::vector<double> forward(const ModelFile& m, const PackedBatch& batch) {
  namespace tn = tensor_names;
  const ModelConfig& c = m.config();
  const int64_t h = c.hidden_size, f = c.intermediate_size;
  const Mat word = tensor(m, tn::kWordEmb), pos = tensor(m, tn::kPosEmb),
            type = tensor(m, tn::kTypeEmb), eg = tensor(m, tn::kEmbLnGamma),
            eb = tensor(m, tn::kEmbLnBeta);
  std::vector<double> logits;
  for (int s = 0; s < batch.num_seqs(); ++s) {
    const int64_t off = batch.offsets[s], len = batch.offsets[s + 1] - off;
    Mat x(static_cast<size_t>(len * h));
    for (int64_t i = 0; i < len; ++i) {
      for (int64_t j = 0; j < h; ++j) {
        x[i * h + j] = word[batch.input_ids[off + i] * h + j] + pos[i * h + j] +
                       type[batch.token_type_ids[off + i] * h + j];
      }
    }
    layernorm_rows(x, len, h, eg, eb, c.layer_norm_eps);
    for (int l = 0; l < c.num_layers; ++l) {
      auto w = [&](const char* suffix) { return tensor(m, tn::layer(l, suffix)); };
      const Mat qkv = linear(x, len, h, w(tn::kQkvW), w(tn::kQkvB), 3 * h);
      Mat ctx(static_cast<size_t>(len * h));
      attend(qkv.data(), len, len, static_cast<int>(h), c.num_heads, ctx.data());
      Mat a = linear(ctx, len, h, w(tn::kAttnOutW), w(tn::kAttnOutB), h);
      for (size_t i = 0; i < a.size(); ++i) a[i] += x[i];
      layernorm_rows(a, len, h, w(tn::kAttnLnGamma), w(tn::kAttnLnBeta), c.layer_norm_eps);
      const Mat inter = linear(a, len, h, w(tn::kFfnInW), w(tn::kFfnInB), f, Activation::Gelu);
      Mat o = linear(inter, len, f, w(tn::kFfnOutW), w(tn::kFfnOutB), h);
      for (size_t i = 0; i < o.size(); ++i) o[i] += a[i];
      layernorm_rows(o, len, h, w(tn::kFfnLnGamma), w(tn::kFfnLnBeta), c.layer_norm_eps);
      x = std::move(o);
    }
    const Mat cls(x.begin(), x.begin() + h);
    const Mat pooled =
        linear(cls, 1, h, tensor(m, tn::kPoolerW), tensor(m, tn::kPoolerB), h, Activation::Tanh);
    const Mat out = linear(pooled, 1, h, tensor(m, tn::kClassifierW), tensor(m, tn::kClassifierB),
                           c.num_labels);
    logits.insert(logits.end(), out.begin(), out.end());
  }
  return logits;
}

std::vector<float> random_vector(size_t n, uint32_t seed, float lo, float hi) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

}  // namespace crossenc::ref
