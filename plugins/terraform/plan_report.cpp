#include "plugins/terraform/plan_report.h"

#include <nlohmann/json.hpp>

#include <regex>
#include <sstream>

namespace mi2::terraform {
namespace {

using Json = nlohmann::json;

std::string trim(const std::string& text) {
  size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string::npos) return "";
  size_t end = text.find_last_not_of(" \t\r\n");
  return text.substr(start, end - start + 1);
}

std::string first_line(const std::string& text) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!trim(line).empty()) return trim(line);
  return "";
}

std::string without_period(std::string text) {
  while (!text.empty() && (text.back() == '.' || text.back() == ':')) text.pop_back();
  return text;
}

void read_summary(const Json& changes, PlanReport& report) {
  report.summary_seen = true;
  report.add = changes.value("add", 0);
  report.change = changes.value("change", 0);
  report.destroy = changes.value("remove", 0);
}

void read_change(const Json& change, PlanReport& report) {
  ResourceChange c;
  if (change.contains("resource") && change["resource"].is_object())
    c.address = change["resource"].value("addr", "");
  c.action = change.value("action", "");
  c.reason = change.value("reason", "");
  if (!c.address.empty() && c.action != "noop") report.changes.push_back(c);
}

void read_diagnostic(const Json& diagnostic, PlanReport& report) {
  if (diagnostic.value("severity", "") != "error") return;
  std::string summary = diagnostic.value("summary", "");
  std::string detail = diagnostic.value("detail", "");
  std::string line = first_line(detail);
  report.errors.push_back(line.empty() ? summary : summary + ": " + line);
  report.error_text += "Error: " + summary + "\n\n" + detail + "\n";
}

}  // namespace

std::vector<ResourceChange> PlanReport::destructive_changes() const {
  std::vector<ResourceChange> out;
  for (const ResourceChange& c : changes)
    if (c.destructive()) out.push_back(c);
  return out;
}

PlanReport parse_plan_json(const std::string& lines) {
  PlanReport report;
  std::istringstream in(lines);
  for (std::string line; std::getline(in, line);) {
    Json message = Json::parse(line, nullptr, false);
    if (!message.is_object()) continue;
    std::string type = message.value("type", "");
    if (type == "change_summary" && message.contains("changes"))
      read_summary(message["changes"], report);
    else if (type == "planned_change" && message.contains("change"))
      read_change(message["change"], report);
    else if (type == "diagnostic" && message.contains("diagnostic"))
      read_diagnostic(message["diagnostic"], report);
  }
  return report;
}

PlanReport parse_plan_text(const std::string& text) {
  static const std::regex summary(R"(Plan: (\d+) to add, (\d+) to change, (\d+) to destroy)");
  static const std::regex resource(
      R"(^\s*# (\S+) (will be created|will be updated in-place|will be destroyed|must be replaced|will be read during apply|is tainted, so must be replaced))");
  PlanReport report;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_search(line, m, summary)) {
      report.summary_seen = true;
      report.add = std::stoi(m[1].str());
      report.change = std::stoi(m[2].str());
      report.destroy = std::stoi(m[3].str());
    } else if (std::regex_search(line, m, resource)) {
      std::string what = m[2].str();
      ResourceChange c{m[1].str(), "", ""};
      c.action = what == "will be created"             ? "create"
                 : what == "will be updated in-place"  ? "update"
                 : what == "will be destroyed"         ? "delete"
                 : what == "will be read during apply" ? "read"
                                                       : "replace";
      if (what.rfind("is tainted", 0) == 0) c.reason = "tainted";
      report.changes.push_back(c);
    }
  }
  if (text.find("No changes.") != std::string::npos) report.summary_seen = true;
  report.errors = text_errors(text);
  if (!report.errors.empty()) report.error_text = text;
  return report;
}

std::vector<std::string> text_errors(const std::string& text) {
  std::vector<std::string> errors;
  std::istringstream in(text);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string line = trim(lines[i]);
    // Boxed diagnostics start with "│ Error: ", plain ones with "Error: ".
    size_t at = line.find("Error: ");
    if (at == std::string::npos || (at != 0 && line.rfind("\xE2\x94\x82", 0) != 0)) continue;
    std::string summary = trim(line.substr(at + 7));
    std::string detail;
    for (size_t k = i + 1; k < lines.size() && detail.empty(); ++k) {
      std::string next = trim(lines[k]);
      if (next.rfind("\xE2\x94\x82", 0) == 0) next = trim(next.substr(3));
      if (next.rfind("Error: ", 0) == 0 || next.rfind("\xE2\x95", 0) == 0) break;
      if (!next.empty() && next.rfind("with ", 0) != 0 && next.rfind("on ", 0) != 0) detail = next;
    }
    errors.push_back(detail.empty() ? summary : summary + ": " + detail);
  }
  return errors;
}

std::optional<LockHolder> lock_holder(const std::string& text) {
  if (text.find("Error acquiring the state lock") == std::string::npos) return std::nullopt;
  auto field = [&](const char* name) {
    std::regex pattern(std::string(R"((^|\n)\s*)") + name + R"(:[ \t]*([^\n]*))");
    std::smatch m;
    return std::regex_search(text, m, pattern) ? trim(m[2].str()) : std::string();
  };
  LockHolder lock{field("ID"), field("Who"), field("Created"), field("Operation")};
  return lock;
}

std::string first_error(const PlanReport& report, const std::string& stderr_text) {
  if (!report.errors.empty()) return without_period(report.errors.front());
  std::vector<std::string> errors = text_errors(stderr_text);
  if (!errors.empty()) return without_period(errors.front());
  return without_period(first_line(stderr_text));
}

}  // namespace mi2::terraform
