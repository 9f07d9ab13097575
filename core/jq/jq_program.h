// A compiled jq program (libjq). Not thread-safe: one per thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/base/json.h"
#include "core/base/result.h"

struct jq_state;

namespace mi2 {

class JqProgram {
 public:
  // Error: "jq expression '<expr>' does not compile: <jq's message>".
  static Result<JqProgram> compile(const std::string& expression);

  JqProgram(JqProgram&&) noexcept;
  JqProgram& operator=(JqProgram&&) noexcept;
  ~JqProgram();

  // Every output of the program on `input`.
  Result<std::vector<Json>> run(const Json& input) const;
  // For filters: the single output must be a boolean. The error names the
  // expression and `subject` (e.g. the instance id).
  Result<bool> matches(const Json& input, const std::string& subject) const;

  const std::string& expression() const { return expression_; }
  // The libjq state, for core code that feeds jv values itself (jq_native.h).
  jq_state* native() const { return state_; }

 private:
  JqProgram(jq_state* state, std::string expression);
  jq_state* state_ = nullptr;
  std::string expression_;
};

}  // namespace mi2
