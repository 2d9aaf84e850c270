// crossenc info MODEL: header, config, tokenizer settings and the tensor table.
#include <chrono>
#include <cstdio>

#include "cli_common.h"
#include "commands.h"
#include "crossenc/converter.h"
#include "crossenc/device_list.h"

namespace crossenc::cli {

namespace {
std::string shape_str(const std::vector<int64_t>& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) out += (i ? " x " : "") + std::to_string(s[i]);
  return out;
}

void print_model(const std::string& path) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto m = open_model(path);
  const double load_ms = seconds_since(t0) * 1e3;
  const FileHeader& h = m->header();
  const ModelConfig& c = m->config();
  const TokenizerConfig& t = m->tokenizer_config();
  std::printf("file        %s (%.1f MB, loaded and verified in %.1f ms)\n", path.c_str(),
              m->file_size() / 1e6, load_ms);
  std::printf("format      crossenc v%u, header %u bytes\n", h.version, h.header_size);
  const std::pair<const char*, const FileSection*> sections[] = {
      {"metadata", &h.metadata}, {"vocab", &h.vocab}, {"data", &h.data}};
  for (const auto& [name, s] : sections) {
    std::printf("  %-9s offset %10llu  size %10llu  checksum %016llx\n", name,
                static_cast<unsigned long long>(s->offset),
                static_cast<unsigned long long>(s->size),
                static_cast<unsigned long long>(s->checksum));
  }
  std::printf("\nmodel       %s\n", c.architecture.c_str());
  std::printf("  layers %d, hidden %d, heads %d (head dim %d), intermediate %d\n", c.num_layers,
              c.hidden_size, c.num_heads, c.head_dim(), c.intermediate_size);
  std::printf("  vocab %d, max positions %d, token types %d, labels %d\n", c.vocab_size,
              c.max_position_embeddings, c.type_vocab_size, c.num_labels);
  std::printf("  activation %s (erf), layer_norm_eps %g, weights %s\n", c.hidden_act.c_str(),
              c.layer_norm_eps, std::string(dtype_name(c.dtype)).c_str());
  std::printf("\ntokenizer   WordPiece, %zu tokens, lowercase %s, strip accents %s, CJK split %s\n",
              m->vocab().size(), t.lowercase ? "yes" : "no", t.strip_accents ? "yes" : "no",
              t.handle_chinese_chars ? "yes" : "no");
  std::printf("  max length %d, max chars per word %d, specials %s %s %s %s %s\n", t.max_length,
              t.max_input_chars_per_word, t.cls_token.c_str(), t.sep_token.c_str(),
              t.pad_token.c_str(), t.unk_token.c_str(), t.mask_token.c_str());
  std::printf("\ntensors (%zu)\n", m->tensors().size());
  for (const TensorInfo& ti : m->tensors()) {
    std::printf("  %-28s %-4s %-14s offset %10llu  %10llu bytes\n", ti.name.c_str(),
                std::string(dtype_name(ti.dtype)).c_str(), shape_str(ti.shape).c_str(),
                static_cast<unsigned long long>(ti.offset),
                static_cast<unsigned long long>(ti.nbytes));
  }
}
}  // namespace

Command add_info(CLI::App& root) {
  struct Args {
    std::string model;
    bool devices = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* app =
      root.add_subcommand("info",
                          "Print a model's header, config, tokenizer settings and tensor table; "
                          "or, with --devices, the compute devices this build can use.");
  app->add_option("model", args->model, ".cenc file or Hugging Face folder");
  app->add_flag("--devices", args->devices, "list CPU and Vulkan devices");
  return {app, [args] {
            if (args->devices) {
              std::printf("%s", describe_devices().c_str());
              if (args->model.empty()) return 0;
              std::printf("\n");
            }
            if (args->model.empty()) throw Error("give a MODEL (or --devices)");
            print_model(args->model);
            return 0;
          }};
}

}  // namespace crossenc::cli
