// The dry-run plan: the run's header, each step, and every command a plugin
// ran (read-only) or would run (mutating, recorded by the host, not run).
#include <nlohmann/json.hpp>

#include "core/base/text.h"
#include "core/engine/run.h"

namespace mi2 {

void Run::print_plan_header() {
  std::string what = instance_.environment + "/" + instance_.id;
  if (options_.dry_run) {
    print("Plan for " + what + ": " + recipe_.name + " " + previous_ + " -> " + target_ +
          " (dry run: mutating commands are shown, not run; nothing on disk changes)");
    return;
  }
  print((options_.resume_run_id.empty() ? "Run " : "Resuming run ") + run_id_ + ": " +
        recipe_.name + " of " + what + " " + previous_ + " -> " + target_);
}

void Run::print_planned_step(const std::string& counter, const RecipeStep& step) {
  if (!options_.dry_run) return;
  std::string via = step.role.empty() ? "built in" : step.role + "." + step.action;
  print(counter + step.name + " (" + via + "): " + step.description);
}

void Run::print_planned_command(const std::string& kind, const Json& record) {
  bool skipped = record.value("skipped_dry_run", false);
  std::string line;
  if (kind == "exec") {
    line = "      $";
    for (const auto& arg : record.value("argv", Json::array()))
      line += " " + shell_quote(arg.get<std::string>());
    if (record.contains("cwd") && record["cwd"].is_string() &&
        !record["cwd"].get<std::string>().empty())
      line += "   (in " + record["cwd"].get<std::string>() + ")";
  } else if (kind == "signal") {
    line = "      kill -" + std::to_string(record.value("signal", 0)) + " " +
           std::to_string(record.value("pid", 0));
  } else {
    line = "      " + record.value("method", "?") + " " + record.value("url", "?");
  }
  line += skipped ? "   [would run]" : "   [ran: read-only]";
  print(line);
}

}  // namespace mi2
