// `mi2 run list` and `mi2 run show`: read an instance's run journals.
#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>

#include "core/cli/commands.h"
#include "core/cli/output.h"
#include "core/cli/session.h"
#include "core/engine/engine.h"
#include "core/engine/journal.h"
#include "core/engine/run.h"
#include "core/engine/run_history.h"

namespace mi2::cli {

int run_list(CommandContext& ctx) {
  int code = 0;
  po::options_description options("Options");
  add_instance_options(options);
  add_output_options(options);
  auto parsed = parse(ctx, "[-e ENV --slug SLUG] [--json | -o json | -q]", options, code);
  if (!parsed) return code;
  auto mode = output_mode(ctx, *parsed, code);
  if (!mode) return code;
  auto session = open_instance_session(ctx, option_string(*parsed, "environment"),
                                       option_string(*parsed, "slug"), {});
  if (!session) return fail(ctx, session.message());
  auto dir = runs_dir(*session->fleet, session->instance);
  std::vector<std::filesystem::path> journals;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    if (entry.path().extension() == ".jsonl") journals.push_back(entry.path());
  std::sort(journals.begin(), journals.end());

  Json list = Json::array();
  for (const auto& path : journals) {
    auto events = RunJournal::read(path);
    if (!events) continue;
    auto s = summarize_run(path.stem().string(), *events);
    list.push_back({{"run_id", s.id},
                    {"recipe", s.recipe},
                    {"from", s.from},
                    {"to", s.to},
                    {"result", s.result},
                    {"failed_step", s.failed_step},
                    {"started", s.started},
                    {"seconds", s.seconds},
                    {"journal", path.string()}});
  }
  if (*mode == OutputMode::kJson) {
    *ctx.out << list.dump(2) << '\n';
    return kExitOk;
  }
  if (*mode == OutputMode::kQuiet) {
    for (const auto& r : list) *ctx.out << r["run_id"].get<std::string>() << '\n';
    return kExitOk;
  }
  if (list.empty()) {
    *ctx.out << "No runs for " << session->instance.environment << '/' << session->instance.id
             << '\n';
    return kExitOk;
  }
  std::vector<TableRow> rows = {
      {"RUN", "STARTED", "RECIPE", "FROM", "TO", "RESULT", "FAILED STEP", "TOOK"}};
  for (const auto& r : list)
    rows.push_back({r["run_id"].get<std::string>(), format_utc(r["started"].get<double>()),
                    r["recipe"].get<std::string>(), r["from"].get<std::string>(),
                    r["to"].get<std::string>(), r["result"].get<std::string>(),
                    r["failed_step"].get<std::string>(),
                    format_step_seconds(r["seconds"].get<double>())});
  print_table(*ctx.out, rows, style_for(*ctx.out), 5);
  return kExitOk;
}

int run_show(CommandContext& ctx) {
  int code = 0;
  po::options_description options("Options");
  add_instance_options(options);
  options.add_options()("json", "Print the journal's events as JSON lines (the same as -o json)");
  add_output_options(options, false);
  auto parsed = parse(ctx, "RUN_ID [--json | -o json]", options, code, "run-id", 1);
  if (!parsed) return code;
  auto mode = output_mode(ctx, *parsed, code);
  if (!mode) return code;
  if (parsed->positional.size() != 1) return usage_error(ctx, "pass a RUN_ID (see 'mi2 run list')");
  std::string id = parsed->positional[0];
  if (!is_valid_run_id(id))
    return usage_error(ctx, "'" + id + "' is not a run id (see 'mi2 run list')");
  auto session = open_instance_session(ctx, option_string(*parsed, "environment"),
                                       option_string(*parsed, "slug"), {});
  if (!session) return fail(ctx, session.message());
  auto path = runs_dir(*session->fleet, session->instance) / (id + ".jsonl");
  if (!std::filesystem::exists(path))
    return fail(ctx, "no run " + id + " for this instance (see 'mi2 run list')");
  auto events = RunJournal::read(path);
  if (!events) return fail(ctx, events.message());
  if (*mode == OutputMode::kJson) {
    for (const auto& e : *events) *ctx.out << e.dump() << '\n';
    return kExitOk;
  }
  auto s = summarize_run(id, *events);
  *ctx.out << "Run " << id << ": " << s.recipe << ' ' << s.from << " -> " << s.to << ", "
           << s.result << "\nJournal: " << path.string() << "\n\n";
  for (const auto& e : *events) {
    std::string kind = e.value("event", "");
    std::string line = format_utc(e.value("ts", 0.0)) + "  ";
    if (kind == "step_finished") {
      line += "step " + e.value("step", "") + ": " + e.value("result", "");
      if (e.contains("seconds") && e["seconds"].is_number())
        line += " (" + format_step_seconds(e["seconds"].get<double>()) + ")";
      if (!e.value("error", "").empty()) line += " - " + e.value("error", "");
    } else if (kind == "step_started") {
      line += "step " + e.value("step", "") + " started";
    } else if (kind == "command" && e.value("kind", "") == "exec") {
      line += "  $";
      for (const auto& a : e.value("argv", Json::array()))
        line += " " + shell_quote(a.get<std::string>());
      line += e.value("skipped_dry_run", false)
                  ? " (not run)"
                  : " -> exit " + std::to_string(e.value("exit_code", -1));
    } else if (kind == "command") {
      line += "  " + e.value("method", "") + " " + e.value("url", "") + " -> " +
              std::to_string(e.value("status", 0));
    } else if (kind == "log") {
      line += "  [" + e.value("plugin", "") + "] " + e.value("message", "");
    } else {
      line += kind;
      if (e.contains("result")) line += ": " + e.value("result", "");
      if (!e.value("error", "").empty()) line += " - " + e.value("error", "");
    }
    *ctx.out << line << '\n';
  }
  return kExitOk;
}

}  // namespace mi2::cli
