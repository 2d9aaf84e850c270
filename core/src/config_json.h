// Reading the BERT dimensions from JSON: Hugging Face config.json and the .cenc metadata use
// the same key names for them, so both readers share this.
#pragma once

#include <nlohmann/json.hpp>

#include "crossenc/model_config.h"
#include "json_int.h"

namespace crossenc {

// Sets vocab, hidden, layers, heads, intermediate and max positions; each key is required and
// range-checked (throws Error naming it).
inline void read_encoder_dims(const nlohmann::json& j, ModelConfig& c) {
  c.vocab_size = json_int<int>(j.at("vocab_size"), "vocab_size");
  c.hidden_size = json_int<int>(j.at("hidden_size"), "hidden_size");
  c.num_layers = json_int<int>(j.at("num_hidden_layers"), "num_hidden_layers");
  c.num_heads = json_int<int>(j.at("num_attention_heads"), "num_attention_heads");
  c.intermediate_size = json_int<int>(j.at("intermediate_size"), "intermediate_size");
  c.max_position_embeddings =
      json_int<int>(j.at("max_position_embeddings"), "max_position_embeddings");
}

}  // namespace crossenc
