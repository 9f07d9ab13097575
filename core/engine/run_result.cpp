#include "core/engine/run_result.h"

#include <array>
#include <utility>

namespace mi2 {
namespace {

constexpr std::array<std::pair<StepStatus, const char*>, 5> kStepNames{{
    {StepStatus::kOk, "ok"},
    {StepStatus::kFailed, "failed"},
    {StepStatus::kSkipped, "skipped"},
    {StepStatus::kTimeout, "timeout"},
    {StepStatus::kCancelled, "cancelled"},
}};

constexpr std::array<std::pair<RunResult, const char*>, 6> kRunNames{{
    {RunResult::kSucceeded, "succeeded"},
    {RunResult::kPlanned, "planned"},
    {RunResult::kFailed, "failed"},
    {RunResult::kRolledBack, "rolled_back"},
    {RunResult::kCancelled, "cancelled"},
    {RunResult::kRefused, "refused"},
}};

constexpr std::array<std::pair<BatchResult, const char*>, 8> kBatchNames{{
    {BatchResult::kPending, "pending"},
    {BatchResult::kRunning, "running"},
    {BatchResult::kSucceeded, "succeeded"},
    {BatchResult::kFailed, "failed"},
    {BatchResult::kRolledBack, "rolled_back"},
    {BatchResult::kCancelled, "cancelled"},
    {BatchResult::kRefused, "refused"},
    {BatchResult::kNotStarted, "not_started"},
}};

template <class E, size_t N>
const char* name_of(const std::array<std::pair<E, const char*>, N>& names, E value) {
  for (const auto& [v, name] : names)
    if (v == value) return name;
  return "unknown";
}

template <class E, size_t N>
std::optional<E> value_of(const std::array<std::pair<E, const char*>, N>& names,
                          std::string_view text) {
  for (const auto& [v, name] : names)
    if (text == name) return v;
  return std::nullopt;
}

}  // namespace

const char* to_string(StepStatus status) {
  return name_of(kStepNames, status);
}
const char* to_string(RunResult result) {
  return name_of(kRunNames, result);
}
const char* to_string(BatchResult result) {
  return name_of(kBatchNames, result);
}
std::optional<StepStatus> parse_step_status(std::string_view n) {
  return value_of(kStepNames, n);
}
std::optional<RunResult> parse_run_result(std::string_view n) {
  return value_of(kRunNames, n);
}
std::optional<BatchResult> parse_batch_result(std::string_view n) {
  return value_of(kBatchNames, n);
}

BatchResult batch_result_of(RunResult result) {
  switch (result) {
    case RunResult::kSucceeded:
    case RunResult::kPlanned:
      return BatchResult::kSucceeded;
    case RunResult::kRolledBack:
      return BatchResult::kRolledBack;
    case RunResult::kCancelled:
      return BatchResult::kCancelled;
    case RunResult::kRefused:
      return BatchResult::kRefused;
    case RunResult::kFailed:
      break;
  }
  return BatchResult::kFailed;
}

bool is_failure(BatchResult result) {
  return result == BatchResult::kFailed || result == BatchResult::kRolledBack ||
         result == BatchResult::kRefused || result == BatchResult::kCancelled;
}

}  // namespace mi2
