// crossenc tokenize: JSONL pairs in, the same lines plus input_ids/token_type_ids out.
#include <cstdio>

#include "cli_common.h"
#include "commands.h"
#include "crossenc/converter.h"

namespace crossenc::cli {

Command add_tokenize(CLI::App& root) {
  struct Args {
    std::string model, input, output = "-";
    int max_length = 0;
    bool skip_invalid = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* app = root.add_subcommand(
      "tokenize",
      "Tokenize {\"query\", \"passage\"} JSONL lines exactly as Hugging Face's BertTokenizerFast; "
      "each output line keeps every input field and adds input_ids and token_type_ids.");
  app->add_option("--model,-m", args->model, ".cenc file or Hugging Face folder")->required();
  app->add_option("--input,-i", args->input, "input JSONL ('-' = stdin)")->required();
  app->add_option("--output,-o", args->output, "output JSONL ('-' = stdout)")
      ->capture_default_str();
  app->add_option("--max-length", args->max_length, "token budget incl. specials (0 = model's)");
  app->add_flag("--skip-invalid", args->skip_invalid,
                "write {\"line\", \"error\"} for bad lines and go on (exit 3) instead of stopping");
  return {app, [args] {
            const auto model = open_model(args->model);
            const Tokenizer tok(model->vocab(), model->tokenizer_config());
            auto lines = read_jsonl(args->input);
            std::vector<std::optional<Encoding>> out(lines.size());
            for (size_t i = 0; i < lines.size(); ++i) {
              auto pair = pair_from_line(lines[i]);
              if (pair && pair->encoding) {
                lines[i].error = "line already has input_ids";
              } else if (pair) {
                try {
                  out[i] = tok.encode_pair(pair->query, pair->passage, args->max_length);
                } catch (const Error& e) {
                  lines[i].error = e.what();
                }
              }
            }
            const size_t bad = report_invalid_lines(lines, args->input, args->skip_invalid);
            OutputFile file(args->output);
            for (size_t i = 0; i < lines.size(); ++i) {
              if (!out[i]) {
                file.write_line(to_line({{"line", lines[i].line_no}, {"error", lines[i].error}}));
                continue;
              }
              ordered_json v = lines[i].value;
              v["input_ids"] = out[i]->input_ids;
              v["token_type_ids"] = out[i]->token_type_ids;
              file.write_line(to_line(v));
            }
            file.commit();
            return bad ? 3 : 0;
          }};
}

}  // namespace crossenc::cli
