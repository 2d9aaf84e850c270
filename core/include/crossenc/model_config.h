// Hyper-parameters of a BERT-family sequence-classification encoder.
#pragma once

#include <cstdint>
#include <string>

#include "crossenc/tokenizer.h"
#include "crossenc/types.h"

namespace crossenc {

struct ModelConfig {
  std::string architecture = "BertForSequenceClassification";
  int vocab_size = 0;
  int hidden_size = 0;
  int num_layers = 0;
  int num_heads = 0;
  int intermediate_size = 0;
  int max_position_embeddings = 0;
  int type_vocab_size = 0;
  int num_labels = 1;
  float layer_norm_eps = 1e-12f;
  std::string hidden_act = "gelu";  // exact erf GELU; the only one supported
  DType dtype = DType::F32;         // storage type of the weight matrices

  int head_dim() const { return hidden_size / num_heads; }
  // Throws Error naming the first inconsistent field.
  void validate() const;
};

}  // namespace crossenc
