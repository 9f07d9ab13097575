// The fleet's vcs provider as the forge-neutral commands call it (`mi2 pr
// ...`, `mi2 env create-tracking-issue`, `mi2 env tracking-issue sync`): with
// fleet-level input, no instance.
#pragma once

#include <string>

#include "core/base/result.h"
#include "core/cli/cli.h"
#include "core/cli/session.h"

namespace mi2::cli {

struct ForgeSession {
  Session session;
  Provider* vcs = nullptr;
  bool dry_run = false;
};

// The fleet around the current directory and the plugin bound to `vcs`.
Result<ForgeSession> open_forge(const CommandContext& ctx);

// Invokes vcs.<action> with {step, dry_run, fleet_root, params[, environment]}.
InvokeResult invoke_forge(ForgeSession& forge, const std::string& step, const std::string& action,
                          const Json& params, const std::string& environment = "");

// As invoke_forge: the output object, or the error sentence.
Result<Json> call_forge(ForgeSession& forge, const std::string& step, const std::string& action,
                        const Json& params, const std::string& environment = "");

}  // namespace mi2::cli
