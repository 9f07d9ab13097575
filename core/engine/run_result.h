// The results a step, a run and a batch entry can have: enums inside the
// engine, their names only where they are written (journal, batch state, JSON).
#pragma once

#include <optional>
#include <string_view>

namespace mi2 {

enum class StepStatus { kOk, kFailed, kSkipped, kTimeout, kCancelled };

enum class RunResult {
  kSucceeded,
  kPlanned,     // a dry run printed its plan
  kFailed,      // resumable
  kRolledBack,  // verification failed, the workload was rolled back
  kCancelled,   // interrupted; resumable
  kRefused,     // nothing started: lock held, bad version, bad journal, preflight
};

enum class BatchResult {
  kPending,
  kRunning,
  kSucceeded,
  kFailed,
  kRolledBack,
  kCancelled,
  kRefused,
  kNotStarted,
};

const char* to_string(StepStatus status);
const char* to_string(RunResult result);
const char* to_string(BatchResult result);
std::optional<StepStatus> parse_step_status(std::string_view name);
std::optional<RunResult> parse_run_result(std::string_view name);
std::optional<BatchResult> parse_batch_result(std::string_view name);

// A finished run's result as a batch entry's.
BatchResult batch_result_of(RunResult result);
// true for the batch results that count against the failure threshold.
bool is_failure(BatchResult result);

}  // namespace mi2
