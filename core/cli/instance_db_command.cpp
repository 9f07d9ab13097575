// `mi2 instance db status|repair`: the instance database's migration state as
// a table (or JSON), and the repair of the one failed migration.
#include <nlohmann/json.hpp>
#include <ostream>

#include "core/base/text.h"
#include "core/cli/commands.h"
#include "core/cli/output.h"
#include "core/cli/session.h"

namespace mi2::cli {
namespace {

std::string text_of(const Json& value) {
  return escape_control(value.is_string() ? value.get<std::string>() : value.dump());
}

Json array_at(const Json& output, const char* key) {
  return output.contains(key) && output[key].is_array() ? output[key] : Json::array();
}

// The migrate plugin's status (applied, pending, dirty_logs, schema_version,
// repair) as one table of migrations and their state.
void print_status(const CommandContext& ctx, const Session& session, const Json& status) {
  Style style = style_for(*ctx.out);
  bool dirty = status.value("dirty", false);
  std::ostream& out = *ctx.out;
  out << "Database of " << session.instance.environment << '/' << session.instance.id << ": "
      << style.result(dirty ? "dirty" : "clean") << '\n';
  if (status.contains("schema_version") && !status["schema_version"].is_null() &&
      !text_of(status["schema_version"]).empty())
    out << "Schema version: " << text_of(status["schema_version"]) << '\n';
  std::vector<TableRow> rows = {{"MIGRATION", "STATE", "ERROR"}};
  for (const auto& id : array_at(status, "applied")) rows.push_back({text_of(id), "applied", ""});
  for (const auto& log : array_at(status, "dirty_logs"))
    if (log.is_object())
      rows.push_back({text_of(log.value("version", Json(""))),
                      text_of(log.value("state", Json("failed"))),
                      text_of(log.value("error", Json("")))});
  for (const auto& id : array_at(status, "pending")) rows.push_back({text_of(id), "pending", ""});
  bool any_error = false;
  for (const auto& row : rows) any_error = any_error || (&row != &rows[0] && !row[2].empty());
  if (!any_error)
    for (auto& row : rows) row.pop_back();
  out << '\n';
  if (rows.size() == 1)
    out << "No migrations applied or pending.\n";
  else
    print_table(out, rows, style, 1);
  if (dirty && status.contains("repair")) out << "\nRepair: " << text_of(status["repair"]) << '\n';
}

void print_repair(const CommandContext& ctx, const Json& output) {
  std::vector<std::string> applied;
  for (const auto& id : array_at(output, "applied")) applied.push_back(text_of(id));
  if (output.contains("repaired"))
    *ctx.out << "Re-applied the failed migration " << text_of(output["repaired"]) << ".\n";
  else
    *ctx.out << "No failed migration to repair.\n";
  if (!applied.empty()) *ctx.out << "Applied: " << join(applied, ", ") << '\n';
  *ctx.out << "Resume the upgrade with: mi2 instance upgrade --resume RUN_ID (see mi2 run list)\n";
}

}  // namespace

int instance_db(CommandContext& ctx) {
  int code = 0;
  po::options_description options("Options");
  add_instance_options(options);
  add_output_options(options);
  auto parsed =
      parse(ctx,
            "status | repair [--json | -o json | -q]\n\n"
            "  status  the migration state (dirty or not, applied, pending); exit 1 when dirty\n"
            "  repair  re-apply only the one failed migration (like the migrator's\n"
            "          --ignore-single-dirty-log), then resume the upgrade with --resume",
            options, code, "subcommand", 1);
  if (!parsed) return code;
  auto mode = output_mode(ctx, *parsed, code);
  if (!mode) return code;
  std::string sub = parsed->positional.empty() ? "" : parsed->positional[0];
  if (sub != "status" && sub != "repair") return usage_error(ctx, "say 'db status' or 'db repair'");
  auto session = open_instance_session(ctx, option_string(*parsed, "environment"),
                                       option_string(*parsed, "slug"), {"migrate"});
  if (!session) return fail(ctx, session.message());
  auto output = sub == "status"
                    ? invoke_first(*session, "migrate", "status", Json::object(), "db status")
                    : invoke_first(*session, "migrate", "up", {{"ignore_single_dirty_log", true}},
                                   "db repair");
  if (!output) return fail(ctx, output.message());
  bool failed = sub == "status" && output->value("dirty", false);
  if (*mode == OutputMode::kJson)
    *ctx.out << output->dump(2) << '\n';
  else if (*mode == OutputMode::kTable && sub == "status")
    print_status(ctx, *session, *output);
  else if (*mode == OutputMode::kTable)
    print_repair(ctx, *output);
  return failed ? kExitFailure : kExitOk;
}

}  // namespace mi2::cli
