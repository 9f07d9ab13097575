// Placeholder: replaced by the real commands of this group.
#include "core/cli/commands.h"

namespace mi2::cli {

int run_list(CommandContext& ctx) {
  int code = 0;
  po::options_description options("Options");
  if (!parse(ctx, "[options]", options, code, "args")) return code;
  return fail(ctx, "this command is not available yet in this build.");
}

int run_show(CommandContext& ctx) {
  int code = 0;
  po::options_description options("Options");
  if (!parse(ctx, "[options]", options, code, "args")) return code;
  return fail(ctx, "this command is not available yet in this build.");
}

}  // namespace mi2::cli
