// crossenc serve: placeholder until the server lands.
#include "cli_common.h"
#include "commands.h"

namespace crossenc::cli {

Command add_serve(CLI::App& root) {
  CLI::App* app = root.add_subcommand("serve", "Run the gRPC + HTTP reranking server.");
  return {app, [] {
            throw Error("the server is not built into this binary yet");
            return 1;
          }};
}

}  // namespace crossenc::cli
