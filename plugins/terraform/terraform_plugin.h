// The terraform provider: renders the version each stack pins, plans and
// applies every stack of an instance with real terraform, and checks for
// drift. All commands go through the host's exec (see README.md).
#pragma once

#include <mi2/sdk/routes.hpp>

#include <string>
#include <vector>

#include "plugins/terraform/settings.h"

namespace mi2::terraform {

class TerraformPlugin : public sdk::RoutedPlugin<TerraformPlugin> {
 public:
  static sdk::About about();
  static const std::vector<Route>& routes();

  TerraformPlugin(sdk::Host host, const std::string& config_json);

  Json render(const sdk::StepInput& in);
  Json apply(const sdk::StepInput& in);
  Json rollback(const sdk::StepInput& in);
  Json check(const sdk::StepInput& in);
  Json preflight(const sdk::StepInput& in);

 private:
  sdk::Host host_;
  Settings settings_;
};

}  // namespace mi2::terraform
