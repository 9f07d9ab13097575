// backup.create / list / restore: a cluster checkpoint made of the namespace's
// manifests (exported to <state_dir>/kubectl/checkpoints/<id>/) and one CSI
// VolumeSnapshot per bound PVC; restore re-applies them.
#include <mi2/sdk/text.hpp>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "plugins/kubectl/actions.h"

namespace mi2::kubectl {
namespace {

namespace fs = std::filesystem;
const char* kCheckpointLabel = "mi2.sourcegraph.com/checkpoint";

std::string sanitize(const std::string& text, size_t max) {
  std::string out;
  for (char c : text) {
    char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out += (std::isalnum(static_cast<unsigned char>(l)) ? l : '-');
  }
  while (!out.empty() && out.front() == '-') out.erase(0, 1);
  if (out.size() > max) out.resize(max);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

std::string checkpoint_id(const Target& t) {
  std::string name = t.in.params.value("name", "");
  if (!name.empty()) {
    if (!is_dns_label(name) || name.size() > 40)
      throw sdk::invalid_input("backup name '" + name +
                               "' must be lower-case letters, digits and "
                               "'-' (at most 40) to name VolumeSnapshots.");
    return name;
  }
  if (!t.in.run_id.empty()) return "mi2-" + sanitize(t.in.run_id, 36);
  char stamp[32];
  std::time_t now = static_cast<std::time_t>(now_seconds());
  std::strftime(stamp, sizeof stamp, "%Y%m%dt%H%M%Sz", std::gmtime(&now));
  return std::string("mi2-") + stamp;
}

// What the API server added, so that the object can be applied again.
Json exportable(Json item) {
  Json& meta = item["metadata"];
  for (const char* key : {"uid", "resourceVersion", "generation", "creationTimestamp",
                          "managedFields", "selfLink", "deletionTimestamp"})
    meta.erase(key);
  if (meta.contains("annotations")) {
    Json kept = Json::object();
    for (const auto& [k, v] : meta["annotations"].items())
      if (k.rfind("kubectl.kubernetes.io/last-applied", 0) != 0 &&
          k.rfind("deployment.kubernetes.io/", 0) != 0 && k.rfind("pv.kubernetes.io/", 0) != 0 &&
          k.rfind("volume.", 0) != 0)
        kept[k] = v;
    meta["annotations"] = kept;
  }
  item.erase("status");
  if (item.value("kind", "") == "Service" && item.contains("spec")) {
    item["spec"].erase("clusterIP");
    item["spec"].erase("clusterIPs");
  }
  return item;
}

std::string snapshot_name(const std::string& id, const std::string& pvc) {
  std::string name = id + "-" + pvc;
  if (name.size() <= 63) return name;
  uint32_t h = 2166136261u;
  for (unsigned char c : name) h = (h ^ c) * 16777619u;
  char suffix[10];
  std::snprintf(suffix, sizeof suffix, "-%08x", h);
  return sanitize(name.substr(0, 54), 54) + suffix;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_text(const fs::path& path, const std::string& text) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw sdk::failed("cannot write the checkpoint file " + path.string() + ".");
}

fs::path checkpoints_dir(const Target& t) {
  if (t.state_dir.empty())
    throw sdk::invalid_input(
        "the step input names no state_dir, so the kubectl plugin has no "
        "place for cluster checkpoints.");
  return fs::path(t.state_dir) / "checkpoints";
}

Json wait_for_snapshots(const KubectlClient& kubectl, const std::string& id, size_t expected) {
  const Settings& s = kubectl.settings();
  long long deadline = now_seconds() + s.snapshot_timeout_s;
  while (true) {
    Json list = kubectl.read_json(
        {"get", "volumesnapshots", "-l", std::string(kCheckpointLabel) + "=" + id, "-o", "json"});
    Json snapshots = Json::array();
    size_t ready = 0;
    for (const Json& item : list.value("items", Json::array())) {
      Json status = item.value("status", Json::object());
      std::string name = item["metadata"].value("name", "");
      if (status.contains("error") && status["error"].contains("message"))
        throw sdk::failed("VolumeSnapshot " + name + " of instance " +
                          kubectl.target().in.instance_id +
                          " failed: " + status["error"].value("message", "") +
                          "; the checkpoint is incomplete, so the upgrade must not go on.");
      bool is_ready = status.value("readyToUse", false);
      ready += is_ready ? 1 : 0;
      snapshots.push_back(
          {{"name", name},
           {"pvc", item["spec"]["source"].value("persistentVolumeClaimName", "")},
           {"readyToUse", is_ready},
           {"restoreSize", status.contains("restoreSize") && status["restoreSize"].is_string()
                               ? status["restoreSize"]
                               : Json("")}});
    }
    if (ready >= expected && snapshots.size() >= expected) return snapshots;
    if (now_seconds() >= deadline)
      throw sdk::Error(MI2_TIMEOUT,
                       std::to_string(expected - std::min(ready, expected)) +
                           " VolumeSnapshots of checkpoint " + id +
                           " were not readyToUse "
                           "within " +
                           std::to_string(s.snapshot_timeout_s) +
                           "s; check the CSI snapshotter with `kubectl get volumesnapshots`.");
    kubectl.host().progress(expected ? double(ready) / expected : -1,
                            "waiting for VolumeSnapshots of " + id);
    pause(kubectl.host(), s.poll_interval_s);
  }
}

}  // namespace

Json backup_create(const KubectlClient& kubectl) {
  const Target& t = kubectl.target();
  const Settings& s = kubectl.settings();
  std::string id = checkpoint_id(t);
  fs::path dir = checkpoints_dir(t) / id;

  Json exported = kubectl.read_json({"get", sdk::join(s.backup_kinds, ","), "-o", "json"});
  Json items = Json::array();
  for (const Json& item : exported.value("items", Json::array())) {
    const Json& meta = item["metadata"];
    if (meta.contains("ownerReferences") || meta.value("name", "") == "kube-root-ca.crt") continue;
    items.push_back(exportable(item));
  }
  Json manifests = {{"apiVersion", "v1"}, {"kind", "List"}, {"items", items}};

  Json pvcs = kubectl.read_json({"get", "persistentvolumeclaims", "-o", "json"});
  Json snapshot_list = {{"apiVersion", "v1"}, {"kind", "List"}, {"items", Json::array()}};
  Json volumes = Json::array();
  for (const Json& pvc : pvcs.value("items", Json::array())) {
    if (pvc.value("status", Json::object()).value("phase", "") != "Bound") continue;
    std::string claim = pvc["metadata"].value("name", "");
    Json spec = {{"source", {{"persistentVolumeClaimName", claim}}}};
    if (!s.snapshot_class.empty()) spec["volumeSnapshotClassName"] = s.snapshot_class;
    std::string name = snapshot_name(id, claim);
    snapshot_list["items"].push_back(
        {{"apiVersion", "snapshot.storage.k8s.io/v1"},
         {"kind", "VolumeSnapshot"},
         {"metadata",
          {{"name", name},
           {"namespace", t.namespace_name},
           {"labels", {{kCheckpointLabel, id}, {"app.kubernetes.io/managed-by", "mi2"}}}}},
         {"spec", spec}});
    volumes.push_back({{"name", name},
                       {"pvc", claim},
                       {"spec", exportable(pvc)["spec"]},
                       {"labels", pvc["metadata"].value("labels", Json::object())}});
  }
  Json checkpoint = {{"id", id},
                     {"created", now_seconds()},
                     {"context", t.context},
                     {"namespace", t.namespace_name},
                     {"version", t.in.version()},
                     {"path", dir.string()},
                     {"objects", items.size()},
                     {"snapshots", volumes}};
  if (!volumes.empty())
    kubectl.change_or_throw({"create", "-f", "-"}, snapshot_list.dump(2) + "\n");
  if (t.in.dry_run) {
    checkpoint["dry_run"] = true;
    return Json{{"checkpoint", checkpoint}};
  }
  write_text(dir / "manifests.json", manifests.dump(2) + "\n");
  if (!volumes.empty()) {
    Json ready = wait_for_snapshots(kubectl, id, volumes.size());
    for (Json& v : checkpoint["snapshots"])
      for (const Json& r : ready)
        if (r["pvc"] == v["pvc"]) v["restoreSize"] = r["restoreSize"];
  }
  write_text(dir / "checkpoint.json", checkpoint.dump(2) + "\n");
  kubectl.host().info("cluster checkpoint " + id + ": " + std::to_string(items.size()) +
                      " objects, " + std::to_string(volumes.size()) + " volume snapshots");
  return Json{{"checkpoint", checkpoint}};
}

Json backup_list(const KubectlClient& kubectl) {
  fs::path dir = checkpoints_dir(kubectl.target());
  Json backups = Json::array();
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    Json c = Json::parse(read_text(entry.path() / "checkpoint.json"), nullptr, false);
    if (c.is_discarded() || !c.is_object()) continue;
    backups.push_back({{"id", c.value("id", "")},
                       {"created", c.value("created", 0)},
                       {"version", c.value("version", "")},
                       {"namespace", c.value("namespace", "")},
                       {"snapshots", c.value("snapshots", Json::array()).size()}});
  }
  std::sort(backups.begin(), backups.end(),
            [](const Json& a, const Json& b) { return a["created"] < b["created"]; });
  return Json{{"backups", backups}};
}

Json backup_restore(const KubectlClient& kubectl) {
  const Target& t = kubectl.target();
  std::string id = t.in.params.value("backup_name", t.in.params.value("name", ""));
  // In a run, the engine hands back this plugin's checkpoint from backup.create.
  Json from_run = t.in.checkpoints.value("kubectl", Json::object());
  if (id.empty() && from_run.is_object()) id = from_run.value("id", "");
  if (id.empty() || !is_dns_label(id))
    throw sdk::invalid_input(
        "restore needs --backup-name with the id of a cluster checkpoint of "
        "instance " +
        t.in.instance_id + " (see `mi2 instance backup list`).");
  fs::path dir = checkpoints_dir(t) / id;
  Json checkpoint = Json::parse(read_text(dir / "checkpoint.json"), nullptr, false);
  Json manifests = Json::parse(read_text(dir / "manifests.json"), nullptr, false);
  if (checkpoint.is_discarded() || manifests.is_discarded())
    throw sdk::failed("cluster checkpoint " + id + " of instance " + t.in.instance_id +
                      " is not in " + dir.string() + "; pick one from `mi2 instance backup list`.");
  std::string type = t.in.params.value("restore_type", "full-replace");
  if (type.empty()) type = "full-replace";
  if (type != "manifests" && type != "full-replace" && type != "gitserver" &&
      type != "indexed-search")
    throw sdk::invalid_input("restore type '" + type +
                             "' is unknown; use full-replace, gitserver, "
                             "indexed-search or manifests.");
  // gitserver / indexed-search: only the volumes and workloads with that name.
  std::string only = (type == "gitserver" || type == "indexed-search") ? type : "";

  Json restored_volumes = Json::array();
  if (type != "manifests") {
    Args scale = {"scale"};
    for (const Json& item : manifests["items"]) {
      std::string kind = item.value("kind", ""), name = item["metadata"].value("name", "");
      if ((kind == "Deployment" || kind == "StatefulSet") && name.find(only) != std::string::npos)
        scale.push_back((kind == "Deployment" ? "deployment/" : "statefulset/") + name);
    }
    Args remove = {"delete", "persistentvolumeclaim"};
    Json claims = {{"apiVersion", "v1"}, {"kind", "List"}, {"items", Json::array()}};
    for (const Json& v : checkpoint.value("snapshots", Json::array())) {
      std::string pvc = v.value("pvc", "");
      if (pvc.find(only) == std::string::npos) continue;
      remove.push_back(pvc);
      Json spec = v.value("spec", Json::object());
      spec.erase("volumeName");
      spec["dataSource"] = {{"apiGroup", "snapshot.storage.k8s.io"},
                            {"kind", "VolumeSnapshot"},
                            {"name", v.value("name", "")}};
      claims["items"].push_back({{"apiVersion", "v1"},
                                 {"kind", "PersistentVolumeClaim"},
                                 {"metadata",
                                  {{"name", pvc},
                                   {"namespace", t.namespace_name},
                                   {"labels", v.value("labels", Json::object())}}},
                                 {"spec", spec}});
      restored_volumes.push_back({{"pvc", pvc}, {"snapshot", v.value("name", "")}});
    }
    // The claims can only be replaced once no pod holds them.
    if (scale.size() > 1) {
      scale.push_back("--replicas=0");
      kubectl.change_or_throw(scale);
    }
    if (remove.size() > 2) {
      remove.push_back("--wait=true");
      remove.push_back("--timeout=" + std::to_string(kubectl.settings().rollout_timeout_s) + "s");
      kubectl.change_or_throw(remove);
      kubectl.change_or_throw({"apply", "-f", "-"}, claims.dump(2) + "\n");
    }
    // The restored claims replace the exported ones.
    Json kept = Json::array();
    for (const Json& item : manifests["items"])
      if (item.value("kind", "") != "PersistentVolumeClaim") kept.push_back(item);
    manifests["items"] = kept;
  }
  kubectl.change_or_throw({"apply", "-f", "-"}, manifests.dump(2) + "\n");
  kubectl.host().info("restored cluster checkpoint " + id + " (" + type + ") in namespace " +
                      t.namespace_name);
  return Json{{"restored", id},
              {"restore_type", type},
              {"volumes", restored_volumes},
              {"dry_run", t.in.dry_run}};
}

}  // namespace mi2::kubectl
