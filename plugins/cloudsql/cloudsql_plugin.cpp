#include "plugins/cloudsql/cloudsql_plugin.h"

#include "plugins/cloudsql/backups.h"
#include "plugins/cloudsql/gcloud.h"

namespace mi2::cloudsql {

sdk::About CloudsqlPlugin::about() {
  sdk::About about;
  about.name = "cloudsql";
  about.version = "0.1.0";
  about.description =
      "Cloud SQL on-demand backups (the database half of the checkpoint) and explicit "
      "restores, through the gcloud CLI";
  about.config_schema = Settings::schema();
  return about;
}

const std::vector<CloudsqlPlugin::Route>& CloudsqlPlugin::routes() {
  static const std::vector<Route> table = {
      {"backup", "create", &CloudsqlPlugin::backup_create},
      {"backup", "list", &CloudsqlPlugin::backup_list},
      {"backup", "restore", &CloudsqlPlugin::backup_restore},
      {"backup", "preflight", &CloudsqlPlugin::preflight},
  };
  return table;
}

CloudsqlPlugin::CloudsqlPlugin(sdk::Host host, const std::string& config_json)
    : host_(host), settings_(Settings::parse(config_json)) {}

Json CloudsqlPlugin::backup_create(const sdk::StepInput& input) {
  return create_backup(Gcloud(host_, settings_, resolve_target(settings_, input)), input);
}

Json CloudsqlPlugin::backup_list(const sdk::StepInput& input) {
  return list_backups(Gcloud(host_, settings_, resolve_target(settings_, input)));
}

Json CloudsqlPlugin::backup_restore(const sdk::StepInput& input) {
  return restore_backup(Gcloud(host_, settings_, resolve_target(settings_, input)), input);
}

Json CloudsqlPlugin::preflight(const sdk::StepInput& input) {
  return preflight_instance(Gcloud(host_, settings_, resolve_target(settings_, input)));
}

}  // namespace mi2::cloudsql
