// The actions the kubectl plugin serves, one function per role/action. Each
// takes the client for the instance and returns the action's output object
// (docs/plugin-guide.md), or throws sdk::Error with a one-sentence reason.
#pragma once

#include "plugins/kubectl/kubectl_client.h"

namespace mi2::kubectl {

// render.render: image tags in kubernetes/, then `kubectl kustomize` must succeed.
Json render(const KubectlClient& kubectl);

// apply.apply / apply.rollback / apply.workon
Json apply(const KubectlClient& kubectl);
Json rollback(const KubectlClient& kubectl);
Json workon(const KubectlClient& kubectl);

// migrate.up / migrate.status: the migrator as a Kubernetes Job.
Json migrate_up(const KubectlClient& kubectl);
Json migrate_status(const KubectlClient& kubectl);

// healthcheck.check: pods-health, src-application-version.
Json health_check(const KubectlClient& kubectl);
inline constexpr const char* kChecks[] = {"pods-health", "src-application-version"};

// backup.create / backup.list / backup.restore: manifests + VolumeSnapshots.
Json backup_create(const KubectlClient& kubectl);
Json backup_list(const KubectlClient& kubectl);
Json backup_restore(const KubectlClient& kubectl);

// preflight (every role, before the bump, read-only): what the roles in
// params.roles need — kubectl, the kustomization, the cluster and namespace,
// a migrator tag. {"kubectl", "context", "server", "namespace"}.
Json preflight(const KubectlClient& kubectl);

// Plugin state under <state_dir>/kubectl/ (never written in dry-run).
Json read_state(const Target& target, const std::string& name);  // null when absent
void write_state(const Target& target, const std::string& name, const Json& value);

}  // namespace mi2::kubectl
