// Validation of encoder hyper-parameters.
#include "crossenc/model_config.h"

#include <cmath>

#include "crossenc/error.h"

namespace crossenc {

void ModelConfig::validate() const {
  auto require = [](bool ok, const std::string& what) {
    if (!ok) throw Error("invalid model config: " + what);
  };
  require(vocab_size > 0, "vocab_size must be > 0");
  require(hidden_size > 0, "hidden_size must be > 0");
  require(num_layers > 0, "num_hidden_layers must be > 0");
  require(num_heads > 0, "num_attention_heads must be > 0");
  require(hidden_size % num_heads == 0, "hidden_size " + std::to_string(hidden_size) +
                                            " is not divisible by num_attention_heads " +
                                            std::to_string(num_heads));
  require(intermediate_size > 0, "intermediate_size must be > 0");
  require(max_position_embeddings > 0, "max_position_embeddings must be > 0");
  require(type_vocab_size > 0, "type_vocab_size must be > 0");
  require(num_labels >= 1, "num_labels must be >= 1");
  // Finite too: 1e300 in a config.json reads as +Inf, which would flatten every LayerNorm.
  require(layer_norm_eps > 0.0f && std::isfinite(layer_norm_eps),
          "layer_norm_eps must be finite and > 0");
  require(hidden_act == "gelu",
          "hidden_act '" + hidden_act + "' is not supported (only the exact erf 'gelu')");
  require(dtype == DType::F32 || dtype == DType::F16 || dtype == DType::I8,
          "weight dtype must be f32, f16 or int8");
}

}  // namespace crossenc
