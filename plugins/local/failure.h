// A failure that carries a partial output object, which the SDK hands to the
// host next to the error (plugin.h allows output on failure).
#pragma once

#include <mi2/sdk/host.hpp>

#include <nlohmann/json.hpp>

namespace mi2::local {

class FailureWithOutput : public sdk::Error {
 public:
  FailureWithOutput(const std::string& message, nlohmann::json output)
      : sdk::Error(MI2_FAILED, message, output.dump()), output_(std::move(output)) {}
  const nlohmann::json& output() const { return output_; }

 private:
  nlohmann::json output_;
};

}  // namespace mi2::local
