// Placeholder: replaced by the real commands of this group.
#include "core/cli/commands.h"

namespace mi2::cli {

int instance_upgrade(CommandContext& ctx) {
  int code = 0;
  po::options_description options("Options");
  if (!parse(ctx, "[options]", options, code, "args")) return code;
  return fail(ctx, "this command is not available yet in this build.");
}

int instance_check(CommandContext& ctx) {
  int code = 0;
  po::options_description options("Options");
  if (!parse(ctx, "[options]", options, code, "args")) return code;
  return fail(ctx, "this command is not available yet in this build.");
}

int instance_rollback(CommandContext& ctx) {
  int code = 0;
  po::options_description options("Options");
  if (!parse(ctx, "[options]", options, code, "args")) return code;
  return fail(ctx, "this command is not available yet in this build.");
}

int instance_unlock(CommandContext& ctx) {
  int code = 0;
  po::options_description options("Options");
  if (!parse(ctx, "[options]", options, code, "args")) return code;
  return fail(ctx, "this command is not available yet in this build.");
}

int instance_workon(CommandContext& ctx) {
  int code = 0;
  po::options_description options("Options");
  if (!parse(ctx, "[options]", options, code, "args")) return code;
  return fail(ctx, "this command is not available yet in this build.");
}

int instance_backup(CommandContext& ctx) {
  int code = 0;
  po::options_description options("Options");
  if (!parse(ctx, "[options]", options, code, "args")) return code;
  return fail(ctx, "this command is not available yet in this build.");
}

int instance_restore(CommandContext& ctx) {
  int code = 0;
  po::options_description options("Options");
  if (!parse(ctx, "[options]", options, code, "args")) return code;
  return fail(ctx, "this command is not available yet in this build.");
}

int instance_db(CommandContext& ctx) {
  int code = 0;
  po::options_description options("Options");
  if (!parse(ctx, "[options]", options, code, "args")) return code;
  return fail(ctx, "this command is not available yet in this build.");
}

}  // namespace mi2::cli
