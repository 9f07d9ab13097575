// backup.preflight: before the bump, one read-only `gcloud sql instances
// describe`, which proves at once that gcloud runs, that its account is
// authenticated and may see the instance, and that the instance exists; a
// suspended, failed or stopped instance cannot be backed up, so it is refused
// before anything changes.
#include "plugins/cloudsql/backups.h"

namespace mi2::cloudsql {

Json preflight_instance(const Gcloud& gcloud) {
  Json described = gcloud.read_json({"sql", "instances", "describe", gcloud.target().instance,
                                     gcloud.project_flag(), "--format=json"});
  if (!described.is_object())
    throw sdk::failed("`gcloud sql instances describe` printed no instance for " + gcloud.where() +
                      "; check the installed gcloud with `gcloud version`.");
  std::string state = described.value("state", "");
  std::string activation;
  if (described.contains("settings") && described["settings"].is_object())
    activation = described["settings"].value("activationPolicy", "");
  if (!state.empty() && state != "RUNNABLE")
    throw sdk::failed(gcloud.where() + " is " + state +
                      ", not RUNNABLE, so no backup can be taken before the migration; wait for "
                      "it (or repair it) until `gcloud sql instances describe " +
                      gcloud.target().instance + " " + gcloud.project_flag() +
                      "` says RUNNABLE, then run the upgrade again.");
  if (activation == "NEVER")
    throw sdk::failed(gcloud.where() +
                      " is stopped (settings.activationPolicy NEVER), so no backup can be taken "
                      "before the migration; start it with `gcloud sql instances patch " +
                      gcloud.target().instance + " " + gcloud.project_flag() +
                      " --activation-policy=ALWAYS`, then run the upgrade again.");
  return {{"instance", gcloud.target().instance},
          {"project", gcloud.target().project},
          {"state", state},
          {"database_version", described.value("databaseVersion", "")}};
}

}  // namespace mi2::cloudsql
