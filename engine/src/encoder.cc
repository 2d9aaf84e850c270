// Encoder::forward: the op sequence of BertForSequenceClassification on packed tokens.
#include "encoder.h"

#include <algorithm>
#include <string>

#include "crossenc/error.h"
#include "crossenc/half.h"

namespace crossenc {

Encoder::Encoder(std::shared_ptr<const ModelFile> model, Backend& backend, DType dtype)
    : model_(std::move(model)), backend_(backend) {
  namespace tn = tensor_names;
  const ModelFile& f = *model_;
  // Matrices and embedding tables (half of all weight bytes) in the requested dtype; biases and
  // LayerNorm parameters stay F32. BF16 is a GEMM mode (its inputs rounded to BF16): the
  // embedding tables, read by no GEMM, keep F32 there.
  auto load = [&](const std::string& name, DType dt) {
    // F16 from an F32 file: a weight beyond the F16 range would become Inf and wreck every score.
    const TensorInfo& info = f.info(name);
    // INT8 weights are not widened back: their rounding would pass for the requested precision.
    if (info.dtype == DType::I8 && dt != DType::I8) {
      throw Error("model stores INT8 weights ('" + name + "'): run it with --dtype int8, or " +
                  "convert the Hugging Face folder again with --dtype f32 or f16 for " +
                  std::string(dtype_name(dt)));
    }
    if (dt == DType::F16 && info.dtype == DType::F32) {
      const auto* w = static_cast<const float*>(f.data(info));
      const size_t n = static_cast<size_t>(info.numel());
      if (const size_t i = first_f16_overflow(w, n); i < n) {
        throw Error("weight '" + name + "' holds " + std::to_string(w[i]) + " at index " +
                    std::to_string(i) +
                    ", outside the f16 range (+-65504): use --dtype f32 or bf16");
      }
    }
    return backend_.load_weight(f, name, dt);
  };
  auto matrix = [&](const std::string& name) { return load(name, dtype); };
  auto vector = [&](const std::string& name) { return backend_.load_weight(f, name, DType::F32); };
  const DType table_dtype = dtype == DType::BF16 || dtype == DType::I8 ? DType::F32 : dtype;
  // INT8: the pooler and classifier (one row per pair, <1% of the work) stay F32, so the logit
  // itself is not quantized.
  const DType head_dtype = dtype == DType::I8 ? DType::F32 : dtype;
  auto table = [&](const std::string& name) { return load(name, table_dtype); };
  word_ = table(tn::kWordEmb);
  position_ = table(tn::kPosEmb);
  token_type_ = table(tn::kTypeEmb);
  emb_ln_g_ = vector(tn::kEmbLnGamma);
  emb_ln_b_ = vector(tn::kEmbLnBeta);
  for (int i = 0; i < config().num_layers; ++i) {
    Layer l;
    l.qkv_w = matrix(tn::layer(i, tn::kQkvW));
    l.qkv_b = vector(tn::layer(i, tn::kQkvB));
    l.attn_out_w = matrix(tn::layer(i, tn::kAttnOutW));
    l.attn_out_b = vector(tn::layer(i, tn::kAttnOutB));
    l.attn_ln_g = vector(tn::layer(i, tn::kAttnLnGamma));
    l.attn_ln_b = vector(tn::layer(i, tn::kAttnLnBeta));
    l.ffn_in_w = matrix(tn::layer(i, tn::kFfnInW));
    l.ffn_in_b = vector(tn::layer(i, tn::kFfnInB));
    l.ffn_out_w = matrix(tn::layer(i, tn::kFfnOutW));
    l.ffn_out_b = vector(tn::layer(i, tn::kFfnOutB));
    l.ffn_ln_g = vector(tn::layer(i, tn::kFfnLnGamma));
    l.ffn_ln_b = vector(tn::layer(i, tn::kFfnLnBeta));
    layers_.push_back(l);
  }
  pooler_w_ = load(tn::kPoolerW, head_dtype);
  pooler_b_ = vector(tn::kPoolerB);
  classifier_w_ = load(tn::kClassifierW, head_dtype);
  classifier_b_ = vector(tn::kClassifierB);
}

void Encoder::validate(const PackedBatch& batch) const {
  const ModelConfig& c = config();
  if (batch.num_seqs() == 0) throw Error("empty batch");
  if (batch.token_type_ids.size() != batch.input_ids.size() ||
      batch.positions.size() != batch.input_ids.size()) {
    throw Error("malformed batch: ids, types and positions differ in length");
  }
  if (batch.max_seq_len > c.max_position_embeddings) {
    throw Error("sequence of " + std::to_string(batch.max_seq_len) +
                " tokens exceeds the model's maximum of " +
                std::to_string(c.max_position_embeddings));
  }
  for (size_t t = 0; t < batch.input_ids.size(); ++t) {
    if (batch.input_ids[t] < 0 || batch.input_ids[t] >= c.vocab_size) {
      throw Error("token id " + std::to_string(batch.input_ids[t]) +
                  " is outside the vocabulary (0.." + std::to_string(c.vocab_size - 1) + ")");
    }
    if (batch.token_type_ids[t] < 0 || batch.token_type_ids[t] >= c.type_vocab_size) {
      throw Error("token type id " + std::to_string(batch.token_type_ids[t]) + " is outside 0.." +
                  std::to_string(c.type_vocab_size - 1));
    }
    if (batch.positions[t] < 0 || batch.positions[t] >= c.max_position_embeddings) {
      throw Error("position " + std::to_string(batch.positions[t]) + " is out of range");
    }
  }
}

namespace {

// Rows [r0, r0 + n) of a row-major host tensor (INT8 weights are CPU-only, so data is set).
Tensor row_slice(const Tensor& t, int64_t r0, int64_t n) {
  Tensor s = t;
  s.data = static_cast<char*>(t.data) + static_cast<size_t>(r0 * t.cols) * dtype_size(t.dtype);
  s.rows = n;
  return s;
}

}  // namespace

// out = GELU(x · w_inᵀ + b_in) · w_outᵀ + b_out through mid. With INT8 weights, in chunks of
// rows: one chunk's GELU output (kRows x 1536 floats for MiniLM) stays in cache for the second
// GEMM, instead of an 18 MB round trip through memory per layer at batch 32 (the INT8 GEMMs
// are fast enough for that to be a tenth of the pass). Every op here works row by row, so the
// result is the same as unchunked.
void Encoder::run_ffn(const Layer& l, const Tensor& x, Tensor& mid, Tensor& out) {
  Backend& be = backend_;
  constexpr int64_t kRows = 256;
  const bool chunked = l.ffn_in_w.dtype == DType::I8 && l.ffn_out_w.dtype == DType::I8 && x.data &&
                       mid.data && out.data && x.rows > 2 * kRows;
  if (!chunked) {
    be.gemm(x, l.ffn_in_w, &l.ffn_in_b, Activation::Gelu, mid);
    be.gemm(mid, l.ffn_out_w, &l.ffn_out_b, Activation::None, out);
    return;
  }
  for (int64_t r0 = 0; r0 < x.rows; r0 += kRows) {
    const int64_t n = std::min(kRows, x.rows - r0);
    const Tensor xs = row_slice(x, r0, n);
    Tensor ms = row_slice(mid, r0, n), os = row_slice(out, r0, n);
    be.gemm(xs, l.ffn_in_w, &l.ffn_in_b, Activation::Gelu, ms);
    be.gemm(ms, l.ffn_out_w, &l.ffn_out_b, Activation::None, os);
  }
}

std::vector<float> Encoder::forward(const PackedBatch& batch) {
  validate(batch);
  const ModelConfig& c = config();
  const int64_t tokens = batch.total_tokens(), seqs = batch.num_seqs();
  const int64_t h = c.hidden_size;
  const float eps = c.layer_norm_eps;
  Backend& be = backend_;

  be.begin_batch(batch);
  // Activations are F32 on every backend, whatever the weights' dtype.
  Tensor x = be.scratch(tokens, h, DType::F32);
  be.embed(word_, position_, token_type_, emb_ln_g_, emb_ln_b_, eps, x);

  // qkv is dead once attention has read it, before the FFN writes: one buffer serves both
  // (the two largest activations; this keeps peak memory ~30% lower).
  Tensor qkv = be.scratch(tokens, std::max<int64_t>(3 * h, c.intermediate_size), DType::F32);
  Tensor ffn = qkv;
  qkv.cols = 3 * h;
  ffn.cols = c.intermediate_size;
  Tensor ctx = be.scratch(tokens, h, DType::F32);
  Tensor proj = be.scratch(tokens, h, DType::F32);
  for (size_t i = 0; i < layers_.size(); ++i) {
    const Layer& l = layers_[i];
    be.gemm(x, l.qkv_w, &l.qkv_b, Activation::None, qkv);
    // The classifier reads only [CLS]: after the last attention, carry just those rows.
    const bool last = i + 1 == layers_.size();
    const int64_t rows = last ? seqs : tokens;
    Tensor ctx_rows = ctx, proj_rows = proj, ffn_rows = ffn;
    ctx_rows.rows = proj_rows.rows = ffn_rows.rows = rows;
    be.attention(qkv, c.num_heads, last, ctx_rows);
    Tensor residual = x;
    if (last) {
      residual = be.scratch(seqs, h, DType::F32);
      be.gather_cls(x, residual);
    }
    be.gemm(ctx_rows, l.attn_out_w, &l.attn_out_b, Activation::None, proj_rows);
    be.add_layernorm(proj_rows, residual, l.attn_ln_g, l.attn_ln_b, eps, residual);
    run_ffn(l, residual, ffn_rows, proj_rows);
    be.add_layernorm(proj_rows, residual, l.ffn_ln_g, l.ffn_ln_b, eps, residual);
    x = residual;
  }
  // x now holds one row per sequence: the final [CLS] hidden states.
  Tensor pooled = be.scratch(seqs, h, DType::F32);
  be.gemm(x, pooler_w_, &pooler_b_, Activation::Tanh, pooled);
  Tensor logits = be.scratch(seqs, c.num_labels, DType::F32);
  be.gemm(pooled, classifier_w_, &classifier_b_, Activation::None, logits);
  std::vector<float> out(static_cast<size_t>(seqs * c.num_labels));
  be.download(logits, out.data());
  return out;
}

}  // namespace crossenc
