// What a terraform run said, read from its output: the change summary and the
// changed resources of a plan (`plan -json` lines, or the human text a remote
// backend streams), error diagnostics, and the holder of a state lock.
// Values are never kept: only addresses, actions and counts, so no sensitive
// plan value can reach the step output.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace mi2::terraform {

struct ResourceChange {
  std::string address;  // e.g. "terraform_data.app_release"
  std::string action;   // create, update, replace, delete, read, move, remove, import
  std::string reason;   // e.g. "tainted", "cannot_update" ("" when not given)

  // Deletes or replaces a resource that exists (a tainted one never finished
  // being created, so replacing it loses nothing).
  bool destructive() const {
    return action == "delete" || (action == "replace" && reason != "tainted");
  }
};

struct PlanReport {
  int add = 0, change = 0, destroy = 0;
  bool summary_seen = false;
  std::vector<ResourceChange> changes;
  std::vector<std::string> errors;  // "summary: first line of detail", in order
  std::string error_text;           // every error diagnostic in full, for the lock parse

  bool has_changes() const { return add + change + destroy > 0 || !changes.empty(); }
  std::vector<ResourceChange> destructive_changes() const;
};

// Reads the JSON lines of `terraform plan -json`.
PlanReport parse_plan_json(const std::string& lines);
// Reads terraform's human plan output ("# x will be created", "Plan: 1 to add, ...").
PlanReport parse_plan_text(const std::string& text);
// The "Error: ..." diagnostics of human output (stderr of init, apply).
std::vector<std::string> text_errors(const std::string& text);

struct LockHolder {
  std::string id, who, created, operation;
};
// The lock in an "Error acquiring the state lock" message, if that is what it says.
std::optional<LockHolder> lock_holder(const std::string& text);

// The first error sentence fragment of an output (no trailing period), or "".
std::string first_error(const PlanReport& report, const std::string& stderr_text);

}  // namespace mi2::terraform
