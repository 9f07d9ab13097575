// preflight: before the bump, read-only, what the roles mi2.yaml binds the
// plugin to will need. render: kubectl runs, the instance has a kustomization
// (and helm when it inflates charts). A cluster role (apply, migrate,
// healthcheck, backup): the context answers `kubectl version` with a server
// version, and the instance's namespace exists. migrate: the target version
// can be the migrator image's tag and the registry has that image (its HTTP
// API, anonymous pull token; a registry that cannot say is a warning).
#include <mi2/sdk/text.hpp>

#include <algorithm>

#include "plugins/kubectl/actions.h"
#include "plugins/kubectl/kustomization_images.h"
#include "plugins/kubectl/registry.h"

namespace mi2::kubectl {
namespace {

bool bound_to(const sdk::StepInput& in, const char* role) {
  auto roles = in.params.find("roles");
  if (roles == in.params.end() || !roles->is_array()) return true;  // not said: every role
  return std::find(roles->begin(), roles->end(), role) != roles->end();
}

std::string reason_line(const std::string& text) {
  size_t begin = text.find_first_not_of(" \n\r\t");
  if (begin == std::string::npos) return "";
  std::string line = text.substr(begin, text.find('\n', begin) - begin);
  while (!line.empty() && (line.back() == ' ' || line.back() == '.')) line.pop_back();
  return line;
}

// `kubectl version --client -o json`: kubectl is on PATH and answers.
std::string client_version(const KubectlClient& kubectl) {
  sdk::ExecOptions options;
  options.timeout_ms = 30000;
  Args argv = {"kubectl", "version", "--client", "-o", "json"};
  sdk::ExecResult r;
  try {
    r = kubectl.host().exec(argv, options);
  } catch (const sdk::Error& e) {
    if (e.status() != MI2_FAILED) throw;
    throw sdk::failed("the kubectl plugin cannot run kubectl for instance " +
                      kubectl.target().in.instance_id + " (" + reason_line(e.what()) +
                      "); install kubectl or put it on PATH.");
  }
  Json v = Json::parse(r.out, nullptr, false);
  if (!r.ok() || !v.is_object() || !v.contains("clientVersion"))
    throw sdk::failed(kubectl.failure(argv, r));
  return v["clientVersion"].value("gitVersion", "");
}

// `kubectl --context --namespace version -o json`: the cluster answers.
std::string server_version(const KubectlClient& kubectl) {
  const Target& t = kubectl.target();
  sdk::ExecResult r = kubectl.run({"version", "-o", "json", "--request-timeout=30s"}, 60000);
  Json v = Json::parse(r.out, nullptr, false);
  if (r.ok() && v.is_object() && v.contains("serverVersion") && v["serverVersion"].is_object())
    return v["serverVersion"].value("gitVersion", "");
  std::string why = reason_line(r.err);
  if (r.timed_out) why = "no answer within 60 s";
  if (why.empty()) why = "exit code " + std::to_string(r.exit_code);
  throw sdk::failed("the kubectl plugin cannot reach the cluster of instance " + t.in.instance_id +
                    " through context " + t.context + " (" + why +
                    "); check that the context is in your kubeconfig and its credentials work "
                    "(`mi2 instance workon -exec` sets it up), or set plugins.kubectl.context in "
                    "mi2.yaml.");
}

// The instance's namespace exists; a token that may not read namespaces is
// no reason to refuse (a warning says it was not checked).
void namespace_exists(const KubectlClient& kubectl) {
  const Target& t = kubectl.target();
  sdk::ExecResult r = kubectl.run(
      {"get", "namespace", t.namespace_name, "--ignore-not-found", "-o", "name"}, 60000);
  if (!r.ok()) {
    kubectl.host().warn("could not check that namespace " + t.namespace_name + " exists (" +
                        reason_line(r.err) + ")");
    return;
  }
  if (reason_line(r.out).empty())
    throw sdk::failed("namespace " + t.namespace_name + " of instance " + t.in.instance_id +
                      " does not exist in the cluster of context " + t.context +
                      "; set status.kubernetes.namespace in its config.yaml or "
                      "plugins.kubectl.namespace in mi2.yaml.");
}

// <registry>/migrator:<version> is in the registry: 404 refuses the run; a
// registry that does not answer, or wants credentials, is a warning.
void migrator_image_exists(const KubectlClient& kubectl, Json& out) {
  const Settings& s = kubectl.settings();
  const sdk::StepInput& in = kubectl.target().in;
  std::string api = registry_api_base(s);
  if (api.empty()) return;  // registry_api: off
  std::string image = s.registry + "/migrator:" + in.target_version;
  ImageLookup found = lookup_image(kubectl.host(), api, registry_repository(s.registry, "migrator"),
                                   in.target_version);
  if (found.answer == ImageLookup::kFound) {
    out["migrator_image"] = image;
  } else if (found.answer == ImageLookup::kMissing) {
    throw sdk::failed("the migrator image " + image + " of instance " + in.instance_id +
                      " is not in its registry (GET " + found.url + " answered " + found.why +
                      "); choose a released version, or set plugins.kubectl.registry to where "
                      "the images are.");
  } else {
    kubectl.host().warn("could not check that the migrator image " + image +
                        " is in its registry (" + reason_line(found.why) +
                        "); set plugins.kubectl.registry_api, or off to skip the check");
  }
}

}  // namespace

Json preflight(const KubectlClient& kubectl) {
  const Target& t = kubectl.target();
  const sdk::StepInput& in = t.in;
  Json out = {{"kubectl", client_version(kubectl)}};
  if (bound_to(in, "render")) kubectl.kustomize_argv();  // throws: no kustomization, no helm
  if (bound_to(in, "migrate") && !in.target_version.empty() && !is_image_tag(in.target_version))
    throw sdk::failed("the version '" + in.target_version + "' of instance " + in.instance_id +
                      " cannot be the tag of the migrator image " + kubectl.settings().registry +
                      "/migrator; choose a release like 4.1.0.");
  if (bound_to(in, "migrate") && !in.target_version.empty()) migrator_image_exists(kubectl, out);
  bool cluster = bound_to(in, "apply") || bound_to(in, "migrate") || bound_to(in, "healthcheck") ||
                 bound_to(in, "backup");
  if (!cluster) return out;
  out["context"] = t.context;
  out["server"] = server_version(kubectl);
  namespace_exists(kubectl);
  out["namespace"] = t.namespace_name;
  return out;
}

}  // namespace mi2::kubectl
