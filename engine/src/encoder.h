// The BERT encoder graph, expressed only in Backend ops: embeddings -> N layers -> pooler ->
// logits.
#pragma once

#include <memory>
#include <vector>

#include "crossenc/backend.h"
#include "crossenc/model_file.h"

namespace crossenc {

class Encoder {
 public:
  // Makes the weights resident on `backend` in `dtype` (F32 or F16 storage).
  Encoder(std::shared_ptr<const ModelFile> model, Backend& backend, DType dtype);

  // Logits for every sequence of the batch: num_seqs x num_labels, row-major.
  // Throws Error if an id, type or position is outside the model's tables.
  std::vector<float> forward(const PackedBatch& batch);

  const ModelConfig& config() const { return model_->config(); }

 private:
  struct Layer {
    Tensor qkv_w, qkv_b, attn_out_w, attn_out_b, attn_ln_g, attn_ln_b;
    Tensor ffn_in_w, ffn_in_b, ffn_out_w, ffn_out_b, ffn_ln_g, ffn_ln_b;
  };
  void validate(const PackedBatch& batch) const;
  void run_ffn(const Layer& l, const Tensor& x, Tensor& mid, Tensor& out);

  std::shared_ptr<const ModelFile> model_;
  Backend& backend_;
  Tensor word_, position_, token_type_, emb_ln_g_, emb_ln_b_;
  std::vector<Layer> layers_;
  Tensor pooler_w_, pooler_b_, classifier_w_, classifier_b_;
};

}  // namespace crossenc
