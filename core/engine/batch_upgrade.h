// Upgrades many instances of one environment from this machine: in waves, with
// a concurrency cap and a cumulative failure threshold. Every instance keeps
// its own run journal; the batch keeps a state file so it can be resumed.
#pragma once

#include <atomic>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

#include "core/base/json.h"
#include "core/base/result.h"
#include "core/engine/recipe.h"
#include "core/engine/run_result.h"
#include "core/fleet/fleet.h"
#include "core/fleet/fleet_config.h"
#include "core/host/plugin_loader.h"

namespace mi2 {

struct BatchOptions {
  std::string environment;
  std::string filter;  // jq; instances where it is true are selected
  std::string target_version;
  int max_parallel = 4;
  std::vector<std::string> waves = {"100%"};  // sizes: N or P%; the last repeats
  double max_fail_percentage = 0;             // stop starting new instances once crossed
  bool dry_run = false;
  bool force = false;
  std::string resume_batch_id;
  std::ostream* out = nullptr;
  bool live = false;        // keep a live status block at the bottom (a terminal)
  size_t live_width = 100;  // the terminal's columns: no block line is longer
  const std::atomic<bool>* cancel_flag = nullptr;
};

struct BatchEntry {
  std::string instance;  // id
  std::string slug;
  int wave = 0;  // 1-based
  std::string run_id;
  BatchResult result = BatchResult::kPending;
  double seconds = 0;
  std::string pr_url;
  std::string failed_step;
  std::string error;
  std::string log;  // the instance's run log (its plugins' log lines)
};

struct BatchReport {
  std::string batch_id;
  std::string environment;
  std::string target_version;
  std::vector<BatchEntry> entries;
  std::string stop_reason;  // why no new instance was started, when the batch stopped early
  std::filesystem::path state_file;

  bool ok() const;
  Json to_json() const;
  std::string recap_table() const;
};

// What the live status block shows (a terminal): counts, times, and the
// instances in flight with their current step.
struct BatchStatus {
  int wave = 0, waves = 0;
  size_t done = 0, running = 0, failed = 0, remaining = 0;
  double elapsed = 0;
  double estimate = -1;  // seconds left; negative when nothing finished yet
  std::vector<std::pair<std::string, std::string>> in_flight;  // instance, step
};
// The block's lines (no escape codes), at most `width` columns each:
//   Wave 2/3: 4 done, 2 running, 1 failed, 13 remaining | 1m15s elapsed, ~3m10s left
//     src-a  [8/10] deploy - local: waiting for frontend to answer /healthz
std::vector<std::string> render_batch_status(const BatchStatus& status, size_t width = 100);
// "45s", "3m05s", "1h02m".
std::string format_clock(double seconds);

// The wave sizes for `total` instances: "1,5,25%,100%" → 1, 5, 25% of total,
// then the rest. Percentages round up. Errors name the bad entry.
Result<std::vector<size_t>> plan_waves(size_t total, const std::vector<std::string>& specs);

Result<BatchReport> run_batch_upgrade(const Fleet& fleet, const FleetConfig& config,
                                      PluginLoader& loader, const Recipe& recipe,
                                      const BatchOptions& options);

}  // namespace mi2
