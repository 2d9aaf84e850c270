// The op front of Backend: shapes and dtypes checked once here, for every backend, before the
// backend's <op>_impl runs (the backends keep only checks of their own limits).
#include "crossenc/backend.h"
#include "crossenc/op_checks.h"

namespace crossenc {

const PackedBatch& Backend::current_batch(const char* op) const {
  if (!checked_batch_) throw Error(cat(op, ": called before begin_batch()"));
  return *checked_batch_;
}

void Backend::begin_batch(const PackedBatch& batch) {
  if (batch.offsets.size() < 2 || batch.offsets.front() != 0 ||
      batch.offsets.back() != batch.total_tokens())
    throw Error("begin_batch: malformed offsets");
  for (size_t s = 1; s < batch.offsets.size(); ++s)
    if (batch.offsets[s] < batch.offsets[s - 1])
      throw Error("begin_batch: offsets are not ascending");
  if (batch.token_type_ids.size() != batch.input_ids.size() ||
      batch.positions.size() != batch.input_ids.size())
    throw Error("begin_batch: ids, types and positions differ in length");
  checked_batch_ = nullptr;  // a failed begin leaves no batch
  begin_batch_impl(batch);
  checked_batch_ = &batch;
}

void Backend::embed(const Tensor& word, const Tensor& position, const Tensor& token_type,
                    const Tensor& gamma, const Tensor& beta, float eps, Tensor& out) {
  const PackedBatch& b = current_batch("embed");
  const int64_t tokens = b.total_tokens();
  const int64_t h = word.cols;
  expect_activation("embed", "out", out, tokens, h);
  if (position.cols != h || token_type.cols != h)
    throw Error(cat("embed: embedding tables differ in width (", shape_of(word), ", ",
                    shape_of(position), ", ", shape_of(token_type), ")"));
  expect_vector("embed", "gamma", gamma, h);
  expect_vector("embed", "beta", beta, h);
  // The kernels trust the ids: check them here against the table sizes.
  for (int64_t t = 0; t < tokens; ++t) {
    if (b.input_ids[t] < 0 || b.input_ids[t] >= word.rows)
      throw Error(
          cat("embed: token id ", b.input_ids[t], " outside the vocabulary of ", word.rows));
    if (b.positions[t] < 0 || b.positions[t] >= position.rows)
      throw Error(cat("embed: position ", b.positions[t], " outside the position table of ",
                      position.rows));
    if (b.token_type_ids[t] < 0 || b.token_type_ids[t] >= token_type.rows)
      throw Error(cat("embed: token type ", b.token_type_ids[t], " outside the type table of ",
                      token_type.rows));
  }
  embed_impl(word, position, token_type, gamma, beta, eps, out);
}

void Backend::gemm(const Tensor& a, const Tensor& w, const Tensor* bias, Activation act,
                   Tensor& out) {
  expect_activation("gemm", "a", a, -1, -1);
  if (w.cols != a.cols)
    throw Error(cat("gemm: a ", shape_of(a), " and w ", shape_of(w), " disagree on k"));
  expect_activation("gemm", "out", out, a.rows, w.rows);
  if (bias) expect_vector("gemm", "bias", *bias, w.rows);
  if (act != Activation::None && act != Activation::Gelu && act != Activation::Tanh)
    throw Error("gemm: unknown activation");
  gemm_impl(a, w, bias, act, out);
}

void Backend::add_layernorm(const Tensor& x, const Tensor& residual, const Tensor& gamma,
                            const Tensor& beta, float eps, Tensor& out) {
  expect_activation("add_layernorm", "x", x, -1, -1);
  expect_activation("add_layernorm", "residual", residual, x.rows, x.cols);
  expect_activation("add_layernorm", "out", out, x.rows, x.cols);
  expect_vector("add_layernorm", "gamma", gamma, x.cols);
  expect_vector("add_layernorm", "beta", beta, x.cols);
  add_layernorm_impl(x, residual, gamma, beta, eps, out);
}

void Backend::attention(const Tensor& qkv, int num_heads, bool cls_only, Tensor& out) {
  const PackedBatch& b = current_batch("attention");
  if (qkv.cols % 3 != 0) throw Error(cat("attention: qkv width ", qkv.cols, " is not 3*hidden"));
  const int64_t hidden = qkv.cols / 3;
  if (num_heads <= 0 || hidden % num_heads != 0)
    throw Error(cat("attention: hidden ", hidden, " is not divisible by ", num_heads, " heads"));
  expect_activation("attention", "qkv", qkv, b.total_tokens(), 3 * hidden);
  expect_activation("attention", "out", out, cls_only ? b.num_seqs() : b.total_tokens(), hidden);
  attention_impl(qkv, num_heads, cls_only, out);
}

void Backend::gather_cls(const Tensor& x, Tensor& out) {
  const PackedBatch& b = current_batch("gather_cls");
  expect_activation("gather_cls", "x", x, b.total_tokens(), -1);
  expect_activation("gather_cls", "out", out, b.num_seqs(), x.cols);
  gather_cls_impl(x, out);
}

}  // namespace crossenc
