// The embedded default: every role on one machine. Workloads are local
// processes, the database is SQLite, the forge is a folder of JSON next to a
// real git origin. See docs/plugin-guide.md for the step contract.
#pragma once

#include <mi2/sdk/routes.hpp>

#include <string>
#include <vector>

#include "local_context.h"

namespace mi2::local {

class LocalPlugin : public sdk::RoutedPlugin<LocalPlugin> {
 public:
  static sdk::About about();
  static const std::vector<Route>& routes();

  LocalPlugin(sdk::Host host, const std::string& config_json);

 private:
  // One route: the action on a context made from the step input. The vcs
  // actions work on the fleet (no instance folder needed).
  template <json (*Action)(LocalContext&), bool kNeedsInstance = true>
  json run(const sdk::StepInput& in) {
    LocalContext ctx = LocalContext::from_input(host_, config_, in, kNeedsInstance);
    return Action(ctx);
  }

  sdk::Host host_;
  LocalConfig config_;
};

}  // namespace mi2::local
