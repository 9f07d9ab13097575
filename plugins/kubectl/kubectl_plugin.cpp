#include "plugins/kubectl/kubectl_plugin.h"

#include "plugins/kubectl/actions.h"
#include "plugins/kubectl/failure_output.h"

namespace mi2::kubectl {

const char* KubectlPlugin::describe() {
  static const std::string document = [] {
    Json checks = Json::array();
    for (const char* c : kChecks) checks.push_back(c);
    return Json{{"name", "kubectl"},
                {"version", "1.0.0"},
                {"description",
                 "Kubernetes provider: kustomize render, kubectl apply with rollout status and "
                 "rollback, the migrator as a Job, pods-health and src-application-version, and "
                 "cluster checkpoints (manifests + CSI VolumeSnapshots)."},
                {"roles",
                 {{"render", {"render"}},
                  {"apply", {"apply", "rollback", "workon"}},
                  {"migrate", {"up", "status"}},
                  {"healthcheck", {"check"}},
                  {"backup", {"create", "list", "restore"}}}},
                {"checks", checks},
                {"version_checks", {"src-application-version"}},
                {"config_schema", config_schema()}}
        .dump();
  }();
  return document.c_str();
}

KubectlPlugin::KubectlPlugin(sdk::Host host, const std::string& config_json)
    : host_(host), settings_(Settings::parse(config_json)) {}

std::string KubectlPlugin::invoke(std::string_view role, std::string_view action,
                                  const std::string& input_json) {
  using Action = Json (*)(const KubectlClient&);
  struct Route {
    std::string_view role, action;
    Action run;
  };
  static const Route routes[] = {
      {"render", "render", &render},           {"apply", "apply", &apply},
      {"apply", "rollback", &rollback},        {"apply", "workon", &workon},
      {"migrate", "up", &migrate_up},          {"migrate", "status", &migrate_status},
      {"healthcheck", "check", &health_check}, {"backup", "create", &backup_create},
      {"backup", "list", &backup_list},        {"backup", "restore", &backup_restore},
  };
  for (const Route& route : routes) {
    if (route.role != role || route.action != action) continue;
    failure_output_.clear();
    Target target = resolve_target(settings_, input_json);
    KubectlClient client(host_, settings_, target);
    try {
      return route.run(client).dump();
    } catch (const FailureWithOutput& failure) {
      failure_output_ = failure.output().dump();
      throw;
    }
  }
  throw sdk::not_supported("the kubectl plugin does not serve " + std::string(role) + "." +
                           std::string(action) + ".");
}

}  // namespace mi2::kubectl
