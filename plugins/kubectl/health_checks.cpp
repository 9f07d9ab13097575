// healthcheck.check: pods-health from `kubectl get pods -o json`, and
// src-application-version from GET https://<domain>/__version.
#include <optional>
#include <set>

#include "plugins/kubectl/actions.h"

namespace mi2::kubectl {
namespace {

struct Problem {
  std::string pod, container, reason, message;
};

const std::set<std::string>& bad_waiting_reasons() {
  static const std::set<std::string> reasons = {
      "CrashLoopBackOff",           "ImagePullBackOff",     "ErrImagePull",     "InvalidImageName",
      "CreateContainerConfigError", "CreateContainerError", "RunContainerError"};
  return reasons;
}

std::string owner_kind(const Json& pod) {
  Json owners = pod["metadata"].value("ownerReferences", Json::array());
  for (const Json& o : owners)
    if (o.value("controller", false)) return o.value("kind", "");
  return owners.empty() ? "" : owners[0].value("kind", "");
}

// Problems of one container status (waiting in a bad state, a recent restart).
void check_container(const std::string& pod, const Json& cs, bool within_grace, int window,
                     long long now, std::vector<Problem>& problems, bool& starting) {
  std::string name = cs.value("name", "");
  const Json state = cs.value("state", Json::object());
  if (state.contains("waiting")) {
    std::string reason = state["waiting"].value("reason", "");
    if (bad_waiting_reasons().count(reason)) {
      problems.push_back({pod, name, reason, state["waiting"].value("message", "")});
      return;
    }
  }
  if (state.contains("terminated") && state["terminated"].value("reason", "") == "OOMKilled") {
    problems.push_back({pod, name, "OOMKilled", "the container ran out of memory"});
    return;
  }
  const Json last = cs.value("lastState", Json::object());
  int restarts = cs.value("restartCount", 0);
  if (restarts > 0 && last.contains("terminated")) {
    long long finished = parse_timestamp(last["terminated"].value("finishedAt", ""));
    if (finished >= 0 && now - finished <= window) {
      std::string reason = last["terminated"].value("reason", "Error");
      problems.push_back({pod, name, reason == "OOMKilled" ? "OOMKilled" : "Restarted",
                          "restarted " + std::to_string(restarts) + " times, last " + reason +
                              " (exit code " +
                              std::to_string(last["terminated"].value("exitCode", 0)) + ") " +
                              std::to_string(now - finished) + "s ago"});
      return;
    }
  }
  if (!cs.value("ready", false)) {
    if (within_grace) {
      starting = true;
      return;
    }
    problems.push_back({pod, name, "NotReady", "the container is not ready"});
  }
}

Json pods_health(const KubectlClient& kubectl) {
  const Settings& s = kubectl.settings();
  Json pods = kubectl.read_json({"get", "pods", "-o", "json"});
  long long now = now_seconds();
  std::vector<Problem> problems;
  int total = 0, starting_pods = 0;
  for (const Json& pod : pods.value("items", Json::array())) {
    const Json& meta = pod["metadata"];
    if (meta.contains("deletionTimestamp")) continue;  // replaced by a rolling update
    ++total;
    std::string name = meta.value("name", "");
    std::string phase = pod.value("status", Json::object()).value("phase", "Unknown");
    bool job_pod = owner_kind(pod) == "Job";
    long long created = parse_timestamp(meta.value("creationTimestamp", ""));
    bool within_grace = created >= 0 && now - created <= s.grace_period_s;
    const Json status = pod.value("status", Json::object());
    if (phase == "Succeeded") {
      if (!job_pod)
        problems.push_back({name, "", "Completed", "the pod exited; it is not a Job's pod"});
      continue;
    }
    if (phase == "Failed") {
      problems.push_back({name, "", job_pod ? "JobPodFailed" : status.value("reason", "Failed"),
                          status.value("message", "the pod failed")});
      continue;
    }
    if (phase == "Unknown") {
      problems.push_back({name, "", "Unknown", "the node of the pod does not report it"});
      continue;
    }
    bool starting = false;
    size_t before = problems.size();
    for (const char* key : {"initContainerStatuses", "containerStatuses"}) {
      for (const Json& cs : status.value(key, Json::array())) {
        if (std::string(key) == "initContainerStatuses") {
          std::string reason = cs.value("state", Json::object())
                                   .value("waiting", Json::object())
                                   .value("reason", "");
          if (bad_waiting_reasons().count(reason))
            problems.push_back(
                {name, cs.value("name", ""), reason, cs["state"]["waiting"].value("message", "")});
          continue;
        }
        check_container(name, cs, within_grace, s.restart_window_s, now, problems, starting);
      }
    }
    if (phase == "Pending" && problems.size() == before) {
      if (within_grace) {
        starting = true;
      } else {
        std::string why = "Pending for " + std::to_string(created >= 0 ? now - created : 0) + "s";
        for (const Json& c : status.value("conditions", Json::array()))
          if (c.value("status", "") == "False" && c.contains("message"))
            why += ": " + c.value("message", "");
        problems.push_back({name, "", "Pending", why});
      }
    }
    if (starting && problems.size() == before) ++starting_pods;
  }

  Json details = Json::array();
  std::string listed;
  for (const Problem& p : problems) {
    details.push_back(
        {{"pod", p.pod}, {"container", p.container}, {"reason", p.reason}, {"message", p.message}});
    if (listed.size() < 400)
      listed += (listed.empty() ? "" : "; ") + p.pod +
                (p.container.empty() ? "" : "/" + p.container) + " " + p.reason;
  }
  std::set<std::string> bad_pods;
  for (const Problem& p : problems) bad_pods.insert(p.pod);
  std::string ns = kubectl.target().namespace_name;
  bool ok = problems.empty() && total > 0;
  std::string summary;
  if (total == 0) {
    summary = "no pods in namespace " + ns;
  } else if (ok) {
    summary = std::to_string(total) + " pods healthy in namespace " + ns;
    if (starting_pods)
      summary += " (" + std::to_string(starting_pods) + " still starting within the grace period)";
  } else {
    summary = std::to_string(bad_pods.size()) + " of " + std::to_string(total) +
              " pods unhealthy in namespace " + ns + ": " + listed;
  }
  return Json{{"name", "pods-health"}, {"ok", ok}, {"summary", summary}, {"details", details}};
}

std::string trim_version(std::string v) {
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.pop_back();
  size_t start = v.find_first_not_of(" \t\r\n");
  v = start == std::string::npos ? "" : v.substr(start);
  if (!v.empty() && v[0] == 'v') v.erase(0, 1);
  return v;
}

// kubectl exec into the frontend: the in-cluster view when the domain is unreachable.
std::optional<std::string> version_in_cluster(const KubectlClient& kubectl, std::string& why) {
  const Settings& s = kubectl.settings();
  Args args = {"exec", s.version_exec_target, "-c", s.version_exec_container, "--"};
  args.insert(args.end(), s.version_exec_command.begin(), s.version_exec_command.end());
  sdk::ExecResult r = kubectl.run(args, 60000);
  if (!r.ok()) {
    why += "; " + kubectl.failure(kubectl.argv(args), r);
    return std::nullopt;
  }
  return r.out;
}

Json application_version(const KubectlClient& kubectl) {
  const Target& t = kubectl.target();
  const Settings& s = kubectl.settings();
  std::string expected = t.in.version().empty() ? t.in.target_version : t.in.version();
  if (s.version_url.find("{domain}") != std::string::npos && t.in.domain().empty())
    throw sdk::failed("instance " + t.in.instance_id +
                      " has no spec.domain, so src-application-version "
                      "cannot tell where to ask; set spec.domain.primaryDNSName in config.yaml or "
                      "plugins.kubectl.version_url in mi2.yaml.");
  std::string url = t.expand(s.version_url);
  std::optional<std::string> body;
  std::string why;
  try {
    sdk::HttpRequest request;
    request.url = url;
    request.timeout_ms = 15000;
    sdk::HttpResponse response = kubectl.host().http(request);
    if (response.status == 200)
      body = response.body;
    else
      why = "GET " + url + " answered HTTP " + std::to_string(response.status);
  } catch (const sdk::Error& e) {
    if (e.status() == MI2_CANCELLED) throw;
    why = e.what();
  }
  std::string source = url;
  if (!body && s.version_exec_fallback) {
    source = "kubectl exec " + s.version_exec_target;
    body = version_in_cluster(kubectl, why);
  }
  Json details = Json::array();
  if (!body)
    return Json{{"name", "src-application-version"},
                {"ok", false},
                {"summary", "could not read the running version: " + why},
                {"details", Json::array({{{"url", url}, {"expected", expected}, {"error", why}}})}};
  std::string actual = trim_version(*body);
  bool ok = actual == trim_version(expected);
  if (t.in.dry_run && !ok) {
    // A dry run deployed nothing: the remote still runs the old version.
    details.push_back(
        {{"url", url}, {"source", source}, {"expected", expected}, {"actual", actual}});
    return Json{{"name", "src-application-version"},
                {"ok", true},
                {"summary", "dry run: remote version is " + actual +
                                "; after the deploy it must be " + expected},
                {"details", details}};
  }
  details.push_back({{"url", url}, {"source", source}, {"expected", expected}, {"actual", actual}});
  std::string summary =
      ok ? "remote version " + actual + " equals spec.sourcegraphVersion"
         : "remote version " + actual + " is not spec.sourcegraphVersion " + expected;
  return Json{
      {"name", "src-application-version"}, {"ok", ok}, {"summary", summary}, {"details", details}};
}

}  // namespace

Json health_check(const KubectlClient& kubectl) {
  Json names = kubectl.target().in.params.value("checks", Json::array());
  if (!names.is_array())
    throw sdk::invalid_input("healthcheck params.checks must be a list of names.");
  if (names.empty())
    for (const char* c : kChecks) names.push_back(c);
  Json results = Json::array();
  bool ok = true;
  for (const Json& n : names) {
    std::string name = n.is_string() ? n.get<std::string>() : n.dump();
    Json result;
    if (name == "pods-health")
      result = pods_health(kubectl);
    else if (name == "src-application-version")
      result = application_version(kubectl);
    else
      throw sdk::invalid_input("the kubectl plugin has no check named '" + name +
                               "'; it provides pods-health and src-application-version.");
    ok = ok && result["ok"].get<bool>();
    results.push_back(result);
  }
  return Json{{"ok", ok}, {"checks", results}};
}

}  // namespace mi2::kubectl
