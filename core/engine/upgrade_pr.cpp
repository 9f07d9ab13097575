#include "core/engine/upgrade_pr.h"

#include <filesystem>
#include <nlohmann/json.hpp>

namespace mi2 {
namespace {

std::string table_cell(std::string text) {
  for (auto& c : text)
    if (c == '\n' || c == '|') c = ' ';
  return text;
}

}  // namespace

std::string run_log_link(const UpgradePrContext& ctx) {
  return ctx.ci_run_link.empty() ? ctx.run_log : ctx.ci_run_link;
}

std::string health_summary_markdown(const Json& health_outputs) {
  std::string table = "| check | result | summary |\n|---|---|---|\n";
  size_t rows = 0;
  if (health_outputs.is_object()) {
    for (const auto& [plugin, output] : health_outputs.items()) {
      if (!output.is_object()) continue;
      for (const auto& check : output.value("checks", Json::array())) {
        bool ok = check.value("ok", false);
        table += "| " + table_cell(check.value("name", "?")) + " | " + (ok ? "ok" : "FAILED") +
                 " | " + table_cell(check.value("summary", "")) + " |\n";
        ++rows;
      }
    }
  }
  if (rows == 0) return "No health checks ran.\n";
  return table;
}

// The sections plugins asked for (pr_summary), in step order, each once.
static std::string plugin_sections_markdown(const std::map<std::string, Json>& step_outputs) {
  std::string out;
  for (const auto& [step, outputs] : step_outputs) {
    if (!outputs.is_object()) continue;
    for (const auto& [plugin, output] : outputs.items()) {
      if (!output.is_object() || !output.contains("pr_summary")) continue;
      const Json& summary = output["pr_summary"];
      if (!summary.is_object() || !summary.contains("lines") || !summary["lines"].is_array())
        continue;
      std::string title = summary.value("title", plugin);
      out += "\n## " + table_cell(title) + "\n\n";
      for (const auto& line : summary["lines"])
        if (line.is_string()) out += "- " + table_cell(line.get<std::string>()) + "\n";
    }
  }
  return out;
}

Json pr_params(const UpgradePrContext& ctx) {
  const Json& instance = *ctx.instance_json;
  std::string slug = slug_of(instance, ctx.instance->id);
  std::string title = slug + ": upgrade to " + ctx.target_version;
  std::string body;
  body += "Upgrade of **" + slug + "** (`" + ctx.instance->id + "`, environment `" +
          ctx.instance->environment + "`) from " + ctx.previous_version + " to " +
          ctx.target_version + ", made by `mi2 instance upgrade`.\n\n";
  if (!ctx.tracking_issue_url.empty()) {
    body += "Part of " + ctx.tracking_issue_url + "\n\n";
  } else {
    body += "Tracking issue: not found (" + ctx.tracking_issue_error + ")\n\n";
  }
  body += "Run log: " + run_log_link(ctx) + "\n\n";
  body += "## Test plan\n\nHealth checks after the upgrade:\n\n" +
          health_summary_markdown(ctx.health_outputs);
  body += plugin_sections_markdown(ctx.step_outputs);

  Json paths = Json::array();
  for (const char* p : {"config.yaml", "kubernetes", "terraform/stacks", "charts"}) {
    if (std::filesystem::exists(ctx.instance->dir / p)) paths.push_back(p);
  }
  return {{"branch", slug + "/upgrade-instance"},
          {"base", "main"},
          {"commit_message", title},
          {"title", title},
          {"body", body},
          {"labels", Json::array({kUpgradeLabel})},
          {"paths", paths}};
}

std::string tracking_issue_title(const std::string& environment, const std::string& version) {
  return "Upgrade " + environment + " to " + version;
}

Json tracking_issue_params(const Fleet& fleet, const std::string& environment,
                           const std::string& version) {
  std::string body = "Tracking the upgrade of `" + environment + "` to " + version +
                     ".\n\nInstances (ticked when their upgrade PR is merged):\n\n";
  size_t count = 0;
  if (auto instances = fleet.instances(environment); instances) {
    for (const auto& ref : *instances) {
      auto json = load_instance(ref);
      if (!json) continue;
      auto text_at = [&](const Json::json_pointer& at) {  // "" unless a string (never throws)
        return json->contains(at) && json->at(at).is_string() ? json->at(at).get<std::string>()
                                                              : std::string();
      };
      std::string channel = text_at("/spec/releaseChannel"_json_pointer);
      if (text_at("/spec/sourcegraphVersion"_json_pointer) == version || channel == "insiders" ||
          channel == "pause")
        continue;
      std::string slug = slug_of(*json, ref.id);
      body += "- [ ] " + slug + " (" + ref.id + ")\n";
      ++count;
    }
  }
  if (count == 0) body += "(no instance needs this version)\n";
  return {{"version", version},
          {"environment", environment},
          {"title", tracking_issue_title(environment, version)},
          {"body", body},
          {"labels", Json::array({"team/cloud"})}};
}

}  // namespace mi2
