// The kubectl provider: render, apply, migrate, healthcheck and backup for an
// instance on a real Kubernetes cluster, all through the host's exec service.
#pragma once

#include <mi2/sdk/routes.hpp>

#include <string>
#include <vector>

#include "plugins/kubectl/kubectl_client.h"
#include "plugins/kubectl/settings.h"

namespace mi2::kubectl {

class KubectlPlugin : public sdk::RoutedPlugin<KubectlPlugin> {
 public:
  static sdk::About about();
  static const std::vector<Route>& routes();

  KubectlPlugin(sdk::Host host, const std::string& config_json);

 private:
  // One route: the action with a client for the step input's instance.
  template <Json (*Action)(const KubectlClient&)>
  Json run(const sdk::StepInput& in) {
    Target target = resolve_target(settings_, in);
    return Action(KubectlClient(host_, settings_, target));
  }

  sdk::Host host_;
  Settings settings_;
};

}  // namespace mi2::kubectl
