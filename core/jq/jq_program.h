// A compiled jq program (libjq). Not thread-safe: one per thread. Each
// evaluation is bounded in time and memory (JqLimits, enforced by a
// JqWatchdog); a filter that passes a bound fails with a sentence saying which.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/base/json.h"
#include "core/base/result.h"
#include "core/jq/jq_watchdog.h"

struct jq_state;

namespace mi2 {

class JqProgram {
 public:
  // Error: "jq expression '<expr>' does not compile: <jq's message>".
  static Result<JqProgram> compile(const std::string& expression, JqLimits limits = {});

  JqProgram(JqProgram&&) noexcept;
  JqProgram& operator=(JqProgram&&) noexcept;
  ~JqProgram();

  // Every output of the program on `input`.
  Result<std::vector<Json>> run(const Json& input) const;
  // For filters: the single output must be a boolean. The error names the
  // expression and `subject` (e.g. the instance id). Evaluation stops at the
  // first output that is not a boolean, and at the second output.
  Result<bool> matches(const Json& input, const std::string& subject) const;

  const std::string& expression() const { return expression_; }
  // The libjq state, for core code that feeds jv values itself (jq_native.h).
  jq_state* native() const { return state_; }
  JqWatchdog& watchdog() const { return *watchdog_; }

 private:
  JqProgram(jq_state* state, std::string expression, JqLimits limits);
  jq_state* state_ = nullptr;
  std::string expression_;
  std::unique_ptr<JqWatchdog> watchdog_;
};

}  // namespace mi2
