// crossenc convert HF_DIR OUT.cenc [--dtype f32|f16|int8] [--calibrate PAIRS.jsonl]
#include <chrono>
#include <cstdio>

#include "cli_common.h"
#include "commands.h"
#include "crossenc/calibration.h"
#include "crossenc/converter.h"

namespace crossenc::cli {

namespace {

struct ConvertArgs {
  std::string input, output, dtype = "f32", calibrate;
  int calibrate_pairs = 32;
  int threads = 0;
};

// The first `n` pairs of the calibration file, tokenized as `crossenc score` would.
std::vector<Encoding> read_calibration_pairs(const ConvertArgs& args, const ModelFile& model) {
  auto lines = read_jsonl(args.calibrate);
  const Tokenizer tokenizer(model.vocab(), model.tokenizer_config());
  std::vector<Encoding> pairs;
  for (auto& line : lines) {
    if (pairs.size() == static_cast<size_t>(args.calibrate_pairs)) break;
    auto p = pair_from_line(line);
    if (!p) throw Error(args.calibrate + ":" + std::to_string(line.line_no) + ": " + line.error);
    pairs.push_back(p->encoding ? *p->encoding : tokenizer.encode_pair(p->query, p->passage));
  }
  if (pairs.size() < static_cast<size_t>(args.calibrate_pairs)) {
    throw Error(args.calibrate + " has " + std::to_string(pairs.size()) +
                " pairs; --calibrate-pairs asks for " + std::to_string(args.calibrate_pairs));
  }
  return pairs;
}

}  // namespace

Command add_convert(CLI::App& root) {
  auto args = std::make_shared<ConvertArgs>();
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
  app->add_option("--calibrate", args->calibrate,
                  "int8 only: JSONL pairs ({\"query\", \"passage\"} or {\"input_ids\", "
                  "\"token_type_ids\"}, as `score` reads) that the F32 model runs first; each "
                  "encoder matrix is then rounded with GPTQ on its inputs' statistics instead "
                  "of to nearest (same scales, file format and speed; closer to F32)");
  app->add_option("--calibrate-pairs", args->calibrate_pairs,
                  "how many pairs of --calibrate to use (the first ones)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  app->add_option("--threads", args->threads, "CPU threads for the calibration; 0 = all cores")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  return {app, [args] {
            const auto t0 = std::chrono::steady_clock::now();
            const DType dtype = parse_dtype(args->dtype);
            ConvertOptions options{.dtype = dtype};
            InputGrams grams;
            if (!args->calibrate.empty()) {
              if (dtype != DType::I8) throw Error("--calibrate goes with --dtype int8");
              const auto f32 = open_model(args->input, DType::F32);
              const auto pairs = read_calibration_pairs(*args, *f32);
              size_t tokens = 0;
              for (const Encoding& e : pairs) tokens += e.input_ids.size();
              try {
                grams = collect_input_grams(f32, pairs, args->threads);
              } catch (const Error& e) {  // e.g. an input_ids line with an id past the vocabulary
                throw Error(args->calibrate + ": " + e.what());
              }
              std::fprintf(stderr, "calibration: %zu pairs, %zu tokens, %.2fs\n", pairs.size(),
                           tokens, seconds_since(t0));
              options.input_grams = &grams;
            }
            const auto image = convert_hf_folder(args->input, options);
            write_model_file(args->output, image);
            const auto model = ModelFile::open(args->output);  // prove it loads
            const ModelConfig& c = model->config();
            std::fprintf(stderr,
                         "wrote %s: %d layers, hidden %d, %d heads, %s weights%s, %.1f MB, "
                         "%zu tensors, %.2fs\n",
                         args->output.c_str(), c.num_layers, c.hidden_size, c.num_heads,
                         std::string(dtype_name(c.dtype)).c_str(),
                         options.input_grams ? " (GPTQ-rounded)" : "", model->file_size() / 1e6,
                         model->tensors().size(), seconds_since(t0));
            return 0;
          }};
}

}  // namespace crossenc::cli
