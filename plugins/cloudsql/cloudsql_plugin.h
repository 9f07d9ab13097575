// The cloudsql provider: the database half of the upgrade's checkpoint. Cloud
// SQL on-demand backups through `gcloud sql`: backup.create (waits for the
// backup to be SUCCESSFUL), backup.list, backup.restore (only on an explicit
// request naming the backup; it overwrites the instance's data).
#pragma once

#include <mi2/sdk/routes.hpp>

#include <string>
#include <vector>

#include "plugins/cloudsql/settings.h"

namespace mi2::cloudsql {

class CloudsqlPlugin : public sdk::RoutedPlugin<CloudsqlPlugin> {
 public:
  static sdk::About about();
  static const std::vector<Route>& routes();

  CloudsqlPlugin(sdk::Host host, const std::string& config_json);

  Json backup_create(const sdk::StepInput& input);
  Json backup_list(const sdk::StepInput& input);
  Json backup_restore(const sdk::StepInput& input);
  Json preflight(const sdk::StepInput& input);

 private:
  sdk::Host host_;
  Settings settings_;
};

}  // namespace mi2::cloudsql
