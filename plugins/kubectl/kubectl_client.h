// Every kubectl/gcloud/git call of the plugin goes through here: argv arrays
// run by the host's exec service, `mutating` set for what changes the cluster
// or the worktree, so the host's dry-run records those instead of running them.
#pragma once

#include <mi2/sdk/host.hpp>

#include <string>
#include <vector>

#include "plugins/kubectl/settings.h"

namespace mi2::kubectl {

using Args = std::vector<std::string>;

class KubectlClient {
 public:
  KubectlClient(sdk::Host host, const Settings& settings, const Target& target)
      : host_(host), settings_(settings), target_(target) {}

  // kubectl --context=<ctx> --namespace=<ns> <args...>
  Args argv(const Args& args) const;

  // Runs a read-only kubectl command; throws sdk::Error with a sentence naming
  // the command, the instance and kubectl's own message when it fails.
  std::string read(const Args& args, uint32_t timeout_ms = 120000) const;
  Json read_json(const Args& args) const;

  // Runs a command that changes the cluster (recorded, not run, in dry-run).
  sdk::ExecResult change(const Args& args, const std::string& stdin_data = "",
                         uint32_t timeout_ms = 300000) const;
  // Same, throwing the sentence on failure.
  sdk::ExecResult change_or_throw(const Args& args, const std::string& stdin_data = "",
                                  uint32_t timeout_ms = 300000) const;

  // Runs a cluster command that may fail as part of its answer (rollout status).
  sdk::ExecResult run(const Args& args, uint32_t timeout_ms) const;

  // kubectl kustomize --load-restrictor LoadRestrictionsNone [--enable-helm] <dir>
  Args kustomize_argv() const;
  // Builds the instance's manifests (read-only, runs in dry-run too).
  std::string build_manifests() const;

  // A sentence for a failed command: "`kubectl ... get pods` failed for instance X: <stderr>".
  std::string failure(const Args& argv, const sdk::ExecResult& result) const;

  const sdk::Host& host() const { return host_; }
  const Settings& settings() const { return settings_; }
  const Target& target() const { return target_; }

 private:
  void require_context() const;

  sdk::Host host_;
  const Settings& settings_;
  const Target& target_;
};

// Sleeps `seconds` in small slices; throws MI2_CANCELLED when the host asks to stop.
void pause(const sdk::Host& host, double seconds);

// Seconds since the epoch of an RFC 3339 UTC timestamp ("2026-11-27T10:15:00Z"), or -1.
long long parse_timestamp(const std::string& text);
long long now_seconds();

}  // namespace mi2::kubectl
