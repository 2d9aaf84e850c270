// crossenc score: JSONL pairs (or pre-tokenized ids) in, the same lines plus "score" out.
#include <algorithm>
#include <cstdio>
#include <limits>

#include "cli_common.h"
#include "commands.h"

namespace crossenc::cli {

Command add_score(CLI::App& root) {
  struct Args {
    EngineArgs engine;
    std::string input, output = "-";
    bool progress = false, skip_invalid = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* app = root.add_subcommand(
      "score",
      "Score {\"query\", \"passage\"} JSONL lines (or lines with input_ids/token_type_ids, scored "
      "as given). Each output line keeps every input field and adds \"score\", the raw logit. "
      "Output order = input order.");
  add_engine_options(app, args->engine);
  add_profile_flag(app, args->engine);
  add_long_pair_options(app, args->engine);
  app->add_option("--input,-i", args->input, "input JSONL ('-' = stdin)")->required();
  app->add_option("--output,-o", args->output, "output JSONL ('-' = stdout)")
      ->capture_default_str();
  app->add_flag("--progress", args->progress, "show progress even when stderr is not a terminal");
  app->add_flag("--skip-invalid", args->skip_invalid,
                "write {\"line\", \"error\"} for bad lines and score the rest (exit 3)");
  return {app, [args] {
            auto lines = read_jsonl(args->input);
            Engine engine = open_engine(args->engine);
            // Validate and tokenize everything first, so a bad line never leaves partial output.
            std::vector<Encoding> encodings;
            std::vector<size_t> owner;  // encodings[k] belongs to lines[owner[k]]
            for (size_t i = 0; i < lines.size(); ++i) {
              auto pair = pair_from_line(lines[i]);
              try {
                if (pair && pair->encoding) {
                  encodings.push_back(std::move(*pair->encoding));
                  owner.push_back(i);
                } else if (pair) {  // a long passage may be several windows (--max-windows)
                  for (Encoding& w : engine.tokenize_windows(pair->query, pair->passage).windows) {
                    encodings.push_back(std::move(w));
                    owner.push_back(i);
                  }
                }
              } catch (const Error& e) {
                lines[i].error = e.what();
              }
            }
            const size_t bad = report_invalid_lines(lines, args->input, args->skip_invalid);
            // A line scores as the best of its windows.
            std::vector<float> scores(lines.size(), -std::numeric_limits<float>::infinity());
            Progress progress(encodings.size(), args->progress);
            const size_t chunk = static_cast<size_t>(std::max(1, args->engine.batch_size)) * 8;
            for (size_t k = 0; k < encodings.size(); k += chunk) {
              const size_t n = std::min(chunk, encodings.size() - k);
              const auto s = engine.score_encoded(std::span(encodings).subspan(k, n));
              for (size_t j = 0; j < n; ++j) {
                scores[owner[k + j]] = std::max(scores[owner[k + j]], s[j]);
              }
              progress.update(k + n);
            }
            progress.finish();
            OutputFile file(args->output);
            for (size_t i = 0; i < lines.size(); ++i) {
              if (!lines[i].error.empty()) {
                file.write_line(to_line({{"line", lines[i].line_no}, {"error", lines[i].error}}));
                continue;
              }
              ordered_json v = lines[i].value;
              v["score"] = scores[i];
              file.write_line(to_line(v));
            }
            file.commit();
            print_profile(engine, args->engine);
            return bad ? 3 : 0;
          }};
}

}  // namespace crossenc::cli
