// apply.apply, apply.rollback and apply.workon: build and apply the instance's
// kustomization, wait for the workloads whose spec changed, undo them or
// re-apply origin/main's manifests, and print the commands to reach the cluster.
#include <yaml-cpp/yaml.h>
#include <mi2/sdk/text.hpp>

#include <map>
#include <regex>

#include "plugins/kubectl/actions.h"

namespace mi2::kubectl {
namespace {

struct Workload {
  std::string kind;  // deployment | statefulset
  std::string name;
  long long generation = 0;
  std::string update_strategy;
  Json images = Json::array();
  std::string ref() const { return kind + "/" + name; }
};

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string tag_of(const std::string& image) {
  size_t at = image.find('@');
  std::string ref = image.substr(0, at);
  size_t colon = ref.rfind(':');
  if (colon == std::string::npos || ref.find('/', colon) != std::string::npos) return "";
  return ref.substr(colon + 1);
}

std::map<std::string, Workload> live_workloads(const KubectlClient& kubectl) {
  Json list = kubectl.read_json({"get", "deployments,statefulsets", "-o", "json"});
  std::map<std::string, Workload> out;
  for (const Json& item : list.value("items", Json::array())) {
    Workload w;
    w.kind = lower(item.value("kind", ""));
    w.name = item["metadata"].value("name", "");
    w.generation = item["metadata"].value("generation", 0LL);
    if (item.contains("spec")) {
      w.update_strategy = item["spec"].value("updateStrategy", Json::object()).value("type", "");
      for (const Json& c : item["spec"]["template"]["spec"].value("containers", Json::array()))
        w.images.push_back(c.value("image", ""));
    }
    out[w.ref()] = w;
  }
  return out;
}

// The Deployments and StatefulSets the manifests declare.
std::map<std::string, Workload> declared_workloads(const std::string& manifests) {
  std::map<std::string, Workload> out;
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(manifests);
  } catch (const YAML::Exception& e) {
    throw sdk::failed("the manifests kubectl kustomize printed are not YAML (" +
                      std::string(e.what()) +
                      "); check the kustomization and its kubectl version.");
  }
  for (const YAML::Node& doc : docs) {
    if (!doc.IsMap() || !doc["kind"]) continue;
    std::string kind = lower(doc["kind"].as<std::string>());
    if (kind != "deployment" && kind != "statefulset") continue;
    Workload w;
    w.kind = kind;
    w.name = doc["metadata"]["name"].as<std::string>("");
    auto containers = doc["spec"]["template"]["spec"]["containers"];
    if (containers && containers.IsSequence())
      for (const auto& c : containers) w.images.push_back(c["image"].as<std::string>(""));
    out[w.ref()] = w;
  }
  return out;
}

std::string last_line(const std::string& text) {
  std::string t = text;
  while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
  size_t nl = t.rfind('\n');
  return nl == std::string::npos ? t : t.substr(nl + 1);
}

Json workload_report(const Workload& w, bool changed) {
  std::string version = w.images.empty() ? "" : tag_of(w.images[0].get<std::string>());
  return Json{{"name", w.name},     {"kind", w.kind},     {"version", version},
              {"images", w.images}, {"changed", changed}, {"ok", true}};
}

// Waits for each workload's rollout; fills ok/message. Returns the failures.
std::vector<std::string> wait_for_rollouts(const KubectlClient& kubectl, Json& workloads) {
  const int timeout = kubectl.settings().rollout_timeout_s;
  std::vector<std::string> failures;
  size_t done = 0, total = 0;
  for (const Json& w : workloads) total += w.value("changed", false) ? 1 : 0;
  for (Json& w : workloads) {
    if (!w.value("changed", false)) continue;
    std::string ref = w["kind"].get<std::string>() + "/" + w["name"].get<std::string>();
    if (w.value("update_strategy", "") == "OnDelete") {
      w["message"] = "updateStrategy OnDelete: its pods change only when deleted";
      continue;
    }
    kubectl.host().progress(total ? double(done) / total : -1, "waiting for " + ref);
    sdk::ExecResult r =
        kubectl.run({"rollout", "status", ref, "--timeout=" + std::to_string(timeout) + "s"},
                    (timeout + 30) * 1000u);
    ++done;
    w["ok"] = r.ok();
    w["message"] = last_line(r.ok() ? r.out : (r.err.empty() ? r.out : r.err));
    if (!r.ok()) {
      failures.push_back(ref + " (" + w["message"].get<std::string>() + ")");
      kubectl.host().error("rollout of " + ref + " failed: " + w["message"].get<std::string>());
    } else {
      kubectl.host().info("rollout of " + ref + " finished");
    }
  }
  return failures;
}

// Applies `manifests`, records what changed, waits for those rollouts.
Json apply_manifests(const KubectlClient& kubectl, const std::string& manifests,
                     const std::string& what) {
  const Target& t = kubectl.target();
  std::map<std::string, Workload> declared = declared_workloads(manifests);
  if (t.in.dry_run) {
    kubectl.change_or_throw({"apply", "-f", "-"}, manifests);
    Json workloads = Json::array();
    for (const auto& [ref, w] : declared) workloads.push_back(workload_report(w, false));
    return Json{{"workloads", workloads}, {"dry_run", true}};
  }
  std::map<std::string, Workload> before = live_workloads(kubectl);
  kubectl.change_or_throw({"apply", "-f", "-"}, manifests);
  std::map<std::string, Workload> after = live_workloads(kubectl);

  Json workloads = Json::array();
  Json changed_record = Json::array();
  for (const auto& [ref, declared_w] : declared) {
    auto now = after.find(ref);
    const Workload& w = now == after.end() ? declared_w : now->second;
    auto old = before.find(ref);
    bool created = old == before.end();
    // The API server bumps metadata.generation only when the spec changed.
    bool changed = created || old->second.generation != w.generation;
    Json report = workload_report(w, changed);
    report["update_strategy"] = w.update_strategy;
    workloads.push_back(report);
    if (changed)
      changed_record.push_back({{"kind", w.kind}, {"name", w.name}, {"created", created}});
  }
  // Written before waiting, so a rollback can undo a rollout that got stuck.
  write_state(t, "last-apply.json",
              Json{{"run_id", t.in.run_id},
                   {"at", now_seconds()},
                   {"context", t.context},
                   {"namespace", t.namespace_name},
                   {"version", t.in.version()},
                   {"changed", changed_record},
                   {"rolled_back", false}});
  std::vector<std::string> failures = wait_for_rollouts(kubectl, workloads);
  for (Json& w : workloads) w.erase("update_strategy");
  if (!failures.empty())
    throw sdk::Failure(MI2_FAILED,
                       "the rollout of " + sdk::join(failures, ", ") + " did not finish within " +
                           std::to_string(kubectl.settings().rollout_timeout_s) + "s after " +
                           what + " in instance " + t.in.instance_id +
                           "; run `mi2 instance rollback` to undo it.",
                       Json{{"workloads", workloads}});
  return Json{{"workloads", workloads}};
}

Json undo_changed(const KubectlClient& kubectl) {
  const Target& t = kubectl.target();
  Json record = read_state(t, "last-apply.json");
  if (!record.is_object() || record.value("changed", Json::array()).empty())
    throw sdk::failed("instance " + t.in.instance_id +
                      " has no record of workloads an mi2 apply "
                      "changed (in " +
                      t.state_dir +
                      "/last-apply.json); roll back with mode "
                      "restore-origin-main instead.");
  if (record.value("rolled_back", false))
    throw sdk::failed("the workloads of instance " + t.in.instance_id +
                      " changed by the last mi2 "
                      "apply were already rolled back; undoing again would redo the upgrade.");
  Json workloads = Json::array();
  for (const Json& c : record["changed"]) {
    std::string kind = c.value("kind", ""), name = c.value("name", "");
    if ((kind != "deployment" && kind != "statefulset") || !is_dns_label(name.substr(0, 63)))
      continue;
    Json w = {{"name", name}, {"kind", kind}, {"changed", true}, {"ok", true}};
    if (c.value("created", false)) {
      w["changed"] = false;
      w["message"] = "created by the apply; no earlier revision to return to";
      workloads.push_back(w);
      continue;
    }
    kubectl.change_or_throw({"rollout", "undo", kind + "/" + name});
    workloads.push_back(w);
  }
  if (t.in.dry_run) return Json{{"workloads", workloads}, {"mode", "undo"}, {"dry_run", true}};
  record["rolled_back"] = true;
  write_state(t, "last-apply.json", record);
  std::vector<std::string> failures = wait_for_rollouts(kubectl, workloads);
  if (!failures.empty())
    throw sdk::Failure(MI2_FAILED,
                       "the rollback of " + sdk::join(failures, ", ") + " in instance " +
                           t.in.instance_id +
                           " did not finish; restore the data with `mi2 instance "
                           "restore` if the workload stays down.",
                       Json{{"workloads", workloads}, {"mode", "undo"}});
  return Json{{"workloads", workloads}, {"mode", "undo"}};
}

Json restore_origin_main(const KubectlClient& kubectl) {
  const Target& t = kubectl.target();
  Args git = {"git",        "restore", "--source=origin/main",
              "--worktree", "--",      kubectl.settings().kubernetes_dir};
  sdk::ExecOptions options;
  options.cwd = t.in.instance_dir;
  options.mutating = true;
  options.timeout_ms = 60000;
  sdk::ExecResult r = kubectl.host().exec(git, options);
  if (!r.ok()) throw sdk::failed(kubectl.failure(git, r));
  Json out = apply_manifests(kubectl, kubectl.build_manifests(), "re-applying origin/main");
  out["mode"] = "restore-origin-main";
  return out;
}

bool is_zone(const std::string& location) {
  static const std::regex zone("[a-z]+-[a-z]+[0-9]+-[a-z]");
  return std::regex_match(location, zone);
}

}  // namespace

Json apply(const KubectlClient& kubectl) {
  return apply_manifests(kubectl, kubectl.build_manifests(), "the apply");
}

Json rollback(const KubectlClient& kubectl) {
  std::string mode = kubectl.target().in.params.value("mode", kubectl.settings().rollback_mode);
  if (mode.empty()) mode = kubectl.settings().rollback_mode;
  if (mode == "undo") return undo_changed(kubectl);
  if (mode == "restore-origin-main") return restore_origin_main(kubectl);
  throw sdk::invalid_input("rollback mode '" + mode +
                           "' is unknown to the kubectl plugin; use "
                           "undo or restore-origin-main.");
}

Json workon(const KubectlClient& kubectl) {
  const Target& t = kubectl.target();
  kubectl.argv({});  // the same sentence as every cluster call when no context is known
  Json commands = Json::array();
  if (!t.project.empty() && !t.cluster.empty() && !t.location.empty()) {
    commands.push_back({"gcloud", "container", "clusters", "get-credentials", t.cluster,
                        "--project=" + t.project,
                        (is_zone(t.location) ? "--zone=" : "--region=") + t.location});
  }
  commands.push_back({"kubectl", "config", "use-context", t.context});
  commands.push_back(
      {"kubectl", "config", "set-context", "--current", "--namespace=" + t.namespace_name});
  bool exec = t.in.params.value("exec", false);
  if (exec) {
    for (const Json& command : commands) {
      Args argv = command.get<Args>();
      sdk::ExecOptions options;
      options.mutating = true;  // rewrites the user's kubeconfig
      options.timeout_ms = 120000;
      sdk::ExecResult r = kubectl.host().exec(argv, options);
      if (!r.ok()) throw sdk::failed(kubectl.failure(argv, r));
    }
  }
  return Json{{"commands", commands}, {"executed", exec && !t.in.dry_run}};
}

}  // namespace mi2::kubectl
