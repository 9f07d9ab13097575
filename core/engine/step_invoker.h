// What the engine needs of the plugins: which providers a role has, and one
// call to one of them. The provider set is the real implementation; tests
// drive the engine in-process with a fake (tests/support/fake_invoker.h).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/json.h"
#include "core/host/host_context.h"

namespace mi2 {

class ProviderSet;

struct StepReply {
  mi2_status status = MI2_FAILED;
  Json output;        // the plugin's output object (null when none)
  std::string error;  // one sentence naming the plugin, role and action
  bool ok() const { return status == MI2_OK; }
};

class StepInvoker {
 public:
  virtual ~StepInvoker() = default;
  // Names of the providers bound to `role`, in mi2.yaml's order.
  virtual std::vector<std::string> providers(std::string_view role) = 0;
  // The health checks `provider` declares in its describe document; with
  // `health_only`, without those it marks as version checks.
  virtual std::vector<std::string> checks(const std::string& provider, bool health_only) = 0;
  virtual bool serves(const std::string& provider, std::string_view role,
                      std::string_view action) = 0;
  virtual StepReply invoke(const std::string& provider, std::string_view role,
                           std::string_view action, const Json& input,
                           const CallSettings& settings) = 0;
};

// The real invoker: the plugins mi2.yaml binds, loaded and created.
class ProviderInvoker final : public StepInvoker {
 public:
  explicit ProviderInvoker(ProviderSet& providers) : providers_(providers) {}
  std::vector<std::string> providers(std::string_view role) override;
  std::vector<std::string> checks(const std::string& provider, bool health_only) override;
  bool serves(const std::string& provider, std::string_view role, std::string_view action) override;
  StepReply invoke(const std::string& provider, std::string_view role, std::string_view action,
                   const Json& input, const CallSettings& settings) override;

 private:
  ProviderSet& providers_;
};

}  // namespace mi2
