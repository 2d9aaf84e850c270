// crossenc convert HF_DIR OUT.cenc [--dtype f32|f16|int8]
#include <chrono>
#include <cstdio>

#include "cli_common.h"
#include "commands.h"
#include "crossenc/converter.h"

namespace crossenc::cli {

Command add_convert(CLI::App& root) {
  struct Args {
    std::string input, output, dtype = "f32";
  };
  auto args = std::make_shared<Args>();
  CLI::App* app = root.add_subcommand(
      "convert",
      "Convert a Hugging Face BertForSequenceClassification folder (config.json, "
      "model.safetensors, vocab.txt/tokenizer.json, tokenizer_config.json) into one .cenc file.");
  app->add_option("hf_dir", args->input, "Hugging Face model folder")->required();
  app->add_option("output", args->output, "output .cenc file (written atomically)")->required();
  app->add_option("--dtype", args->dtype,
                  "storage of the weight matrices: f32 | f16 | int8 (int8: the encoder layers' "
                  "matrices quantized per output channel with their scales, run with --dtype "
                  "int8 on the cpu backend; embeddings, pooler and classifier stay f32)")
      ->capture_default_str();
  return {app, [args] {
            const auto t0 = std::chrono::steady_clock::now();
            const auto image = convert_hf_folder(args->input, {.dtype = parse_dtype(args->dtype)});
            write_model_file(args->output, image);
            const auto model = ModelFile::open(args->output);  // prove it loads
            const ModelConfig& c = model->config();
            std::fprintf(stderr,
                         "wrote %s: %d layers, hidden %d, %d heads, %s weights, %.1f MB, "
                         "%zu tensors, %.2fs\n",
                         args->output.c_str(), c.num_layers, c.hidden_size, c.num_heads,
                         std::string(dtype_name(c.dtype)).c_str(), model->file_size() / 1e6,
                         model->tensors().size(), seconds_since(t0));
            return 0;
          }};
}

}  // namespace crossenc::cli
