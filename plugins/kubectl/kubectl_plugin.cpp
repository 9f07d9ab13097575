#include "plugins/kubectl/kubectl_plugin.h"

#include "plugins/kubectl/actions.h"

namespace mi2::kubectl {

sdk::About KubectlPlugin::about() {
  sdk::About about{"kubectl",
                   "1.0.0",
                   "Kubernetes provider: kustomize render, kubectl apply with rollout status and "
                   "rollback, the migrator as a Job, pods-health and src-application-version, and "
                   "cluster checkpoints (manifests + CSI VolumeSnapshots).",
                   {std::begin(kChecks), std::end(kChecks)},
                   config_schema()};
  about.version_checks = {"src-application-version"};
  return about;
}

const std::vector<KubectlPlugin::Route>& KubectlPlugin::routes() {
  static const std::vector<Route> table = {
      {"render", "render", &KubectlPlugin::run<&render>},
      {"apply", "apply", &KubectlPlugin::run<&apply>},
      {"apply", "rollback", &KubectlPlugin::run<&rollback>},
      {"apply", "workon", &KubectlPlugin::run<&workon>},
      {"migrate", "up", &KubectlPlugin::run<&migrate_up>},
      {"migrate", "status", &KubectlPlugin::run<&migrate_status>},
      {"healthcheck", "check", &KubectlPlugin::run<&health_check>},
      {"backup", "create", &KubectlPlugin::run<&backup_create>},
      {"backup", "list", &KubectlPlugin::run<&backup_list>},
      {"backup", "restore", &KubectlPlugin::run<&backup_restore>},
      // Under each role, so it is asked whichever of them mi2.yaml binds.
      {"render", "preflight", &KubectlPlugin::run<&preflight>},
      {"apply", "preflight", &KubectlPlugin::run<&preflight>},
      {"migrate", "preflight", &KubectlPlugin::run<&preflight>},
      {"healthcheck", "preflight", &KubectlPlugin::run<&preflight>},
      {"backup", "preflight", &KubectlPlugin::run<&preflight>},
  };
  return table;
}

KubectlPlugin::KubectlPlugin(sdk::Host host, const std::string& config_json)
    : host_(host), settings_(Settings::parse(config_json)) {}

}  // namespace mi2::kubectl
