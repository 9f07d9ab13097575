// mi2 instance get | list: an instance's config.yaml as JSON (the same object
// filters see), optionally through a jq expression; list prints a table
// unless --json, -o json or -jq asks for JSON.
#include <nlohmann/json.hpp>
#include <ostream>

#include "core/base/text.h"
#include "core/cli/commands.h"
#include "core/cli/output.h"
#include "core/fleet/fleet.h"
#include "core/fleet/fleet_scan.h"
#include "core/jq/jq_program.h"

namespace mi2::cli {
namespace {

std::string dump(const Json& value, int indent) {
  return value.dump(indent, ' ', false, Json::error_handler_t::replace);
}

// Prints `value` pretty, or each output of `expression` on its own line as
// `jq -c` does.
int print(CommandContext& ctx, const Json& value, const std::string& expression) {
  if (expression.empty()) {
    *ctx.out << dump(value, 2) << '\n';
    return kExitOk;
  }
  auto program = JqProgram::compile(expression);
  if (!program) return fail(ctx, program.message() + "; fix the -jq expression.");
  auto outputs = program->run(value);
  if (!outputs) return fail(ctx, outputs.message());
  for (const auto& output : *outputs) *ctx.out << dump(output, -1) << '\n';
  return kExitOk;
}

std::string option(const Parsed& parsed, const char* name) {
  return parsed.vm.count(name) ? parsed.vm[name].as<std::string>() : std::string();
}

// spec.domain is a name or an object naming it (primaryDNSName).
std::string domain_of(const Json& instance) {
  if (instance.contains("spec") && instance["spec"].is_object() &&
      instance["spec"].contains("domain") && instance["spec"]["domain"].is_object())
    return instance_text(instance["spec"], "domain", "primaryDNSName");
  return instance_text(instance, "spec", "domain");
}

void print_instance_table(CommandContext& ctx, const Json& all) {
  std::vector<TableRow> rows = {{"ID", "SLUG", "TYPE", "VERSION", "CHANNEL", "DOMAIN"}};
  for (const auto& instance : all)
    rows.push_back({instance_text(instance, "metadata", "name"),
                    instance_text(instance, "spec", "displayName"), instance_type(instance),
                    instance_text(instance, "spec", "sourcegraphVersion"),
                    instance_text(instance, "spec", "releaseChannel"), domain_of(instance)});
  for (auto& row : rows)
    for (auto& cell : row) cell = escape_control(cell);
  print_table(*ctx.out, rows, style_for(*ctx.out));
}

}  // namespace

int instance_get(CommandContext& ctx) {
  int code = 0;
  po::options_description options("Options");
  options.add_options()("environment,e", po::value<std::string>(), "Environment (e.g. prod)")(
      "slug,s", po::value<std::string>(), "Instance slug (spec.displayName) or id")(
      "jq", po::value<std::string>(), "Print each output of this jq expression, one JSON per line");
  auto parsed = parse(ctx, "[-e ENV] [--slug SLUG] [-jq EXPR]", options, code);
  if (!parsed) return code;

  auto fleet = Fleet::discover(ctx.cwd);
  if (!fleet) return fail(ctx, fleet.message());
  auto instance = fleet->resolve(option(*parsed, "environment"), option(*parsed, "slug"), ctx.cwd);
  if (!instance) return fail(ctx, instance.message());
  auto json = load_instance(*instance);
  if (!json) return fail(ctx, json.message());
  return print(ctx, *json, option(*parsed, "jq"));
}

int instance_list(CommandContext& ctx) {
  int code = 0;
  po::options_description options("Options");
  options.add_options()("environment,e", po::value<std::string>(),
                        "Environment (default: the one the current folder is in)")(
      "jq", po::value<std::string>(),
      "Apply this jq expression to the array; print each output, one JSON per line");
  add_output_options(options);
  auto parsed = parse(ctx, "-e ENV [--json | -o json | -jq EXPR | -q]", options, code);
  if (!parsed) return code;
  auto mode = output_mode(ctx, *parsed, code);
  if (!mode) return code;

  auto fleet = Fleet::discover(ctx.cwd);
  if (!fleet) return fail(ctx, fleet.message());
  std::string env = option(*parsed, "environment");
  if (env.empty()) {
    auto here = fleet->infer(ctx.cwd);
    if (!here)
      return usage_error(ctx, "pass -e ENV or run inside environments/<env>/deployments/<id>/");
    env = here->environment;
  }
  // The parallel, cached scan: same JSON as load_instance, fast on big fleets.
  auto scanned = scan_instances(*fleet, env, ScanOptions{});
  if (!scanned) return fail(ctx, scanned.message());
  Json all = Json::array();
  for (auto& instance : *scanned) all.push_back(std::move(instance.instance));
  std::string jq = option(*parsed, "jq");
  if (*mode == OutputMode::kJson || !jq.empty()) return print(ctx, all, jq);
  if (*mode == OutputMode::kQuiet) {
    for (const auto& instance : *scanned) *ctx.out << instance.ref.id << '\n';
    return kExitOk;
  }
  if (all.empty()) {
    *ctx.out << "No instances in environment " << env << '\n';
    return kExitOk;
  }
  print_instance_table(ctx, all);
  return kExitOk;
}

}  // namespace mi2::cli
