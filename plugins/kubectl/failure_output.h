// A failure that still hands the host a partial output (plugin.h allows output
// next to a non-OK status; the migrate contract needs {dirty, failed_version,
// repair}, and apply's per-workload report is what an operator reads first).
// The SDK hands the output it carries to the host next to the error.
#pragma once

#include <mi2/sdk/host.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <utility>

namespace mi2::kubectl {

class FailureWithOutput : public sdk::Error {
 public:
  FailureWithOutput(mi2_status status, const std::string& message, nlohmann::json output)
      : sdk::Error(status, message, output.dump()), output_(std::move(output)) {}
  const nlohmann::json& output() const { return output_; }

 private:
  nlohmann::json output_;
};

}  // namespace mi2::kubectl
