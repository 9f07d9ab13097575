// The kubectl provider: render, apply, migrate, healthcheck and backup for an
// instance on a real Kubernetes cluster, all through the host's exec service.
#pragma once

#include <mi2/sdk/host.hpp>

#include <string>
#include <string_view>

#include "plugins/kubectl/settings.h"

namespace mi2::kubectl {

class KubectlPlugin {
 public:
  static const char* describe();
  KubectlPlugin(sdk::Host host, const std::string& config_json);
  std::string invoke(std::string_view role, std::string_view action, const std::string& input_json);
  // The partial output of the last failed invoke ("" when none).
  const std::string& failure_output() const { return failure_output_; }

 private:
  sdk::Host host_;
  Settings settings_;
  std::string failure_output_;
};

}  // namespace mi2::kubectl
