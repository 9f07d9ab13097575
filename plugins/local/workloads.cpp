#include "workloads.h"

#include <dlfcn.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "render.h"

namespace mi2::local {
namespace {

using Clock = std::chrono::steady_clock;

json load_state(const LocalContext& ctx) {
  std::error_code ec;
  if (!fs::exists(ctx.deployment_path(), ec))
    return json{{"version", ""}, {"workloads", json::array()}, {"candidates", json::array()}};
  json state = read_json_file(ctx.deployment_path());
  if (!state.contains("workloads")) state["workloads"] = json::array();
  if (!state.contains("candidates")) state["candidates"] = json::array();
  return state;
}

fs::path pid_file(const LocalContext& ctx, const json& process) {
  return ctx.state / "pids" /
         (process["name"].get<std::string>() + "-" + process["version"].get<std::string>() +
          ".pid");
}

void save_state(const LocalContext& ctx, const json& state) {
  write_json_file(ctx.deployment_path(), state);
}

std::string program_name(const LocalContext& ctx) {
  return fs::path(workload_binary(ctx)).filename().string();
}

int read_pid(const fs::path& file) {
  std::ifstream in(file);
  int pid = 0;
  in >> pid;
  return pid;
}

bool alive(const LocalContext& ctx, int64_t pid) {
  return ctx.host.process_alive(pid, program_name(ctx));
}

// SIGTERM, then SIGKILL after the grace period; returns once the process is
// gone (through the host: the plugin never signals processes itself).
void stop_pid(const LocalContext& ctx, int64_t pid, uint32_t grace_ms = 3000) {
  std::string program = program_name(ctx);
  if (!ctx.host.signal_process(pid, SIGTERM, program)) return;
  if (ctx.host.wait_process(pid, grace_ms, program)) return;
  ctx.host.signal_process(pid, SIGKILL, program);
  if (!ctx.host.wait_process(pid, 5000, program))
    throw sdk::failed("workload process " + std::to_string(pid) + " did not stop after SIGKILL");
}

void stop_process(const LocalContext& ctx, const json& process) {
  int pid = process.value("pid", 0);
  stop_pid(ctx, pid);
  // The file may already name a newer process of the same name and version.
  std::error_code ec;
  if (read_pid(pid_file(ctx, process)) == pid) fs::remove(pid_file(ctx, process), ec);
}

json start_process(LocalContext& ctx, const std::string& name, const std::string& version,
                   const Release& release) {
  int port = ctx.host.free_port();
  fs::path log = ctx.state / "logs" / (name + "-" + version + ".log");
  fs::create_directories(log.parent_path());
  std::vector<std::string> argv = {workload_binary(ctx),
                                   "--version",
                                   version,
                                   "--port",
                                   std::to_string(port),
                                   "--ready-after-ms",
                                   std::to_string(ctx.config.ready_after_ms)};
  if (release.workload_unhealthy(name)) argv.push_back("--unhealthy");
  json process = {{"name", name},
                  {"version", version},
                  {"port", port},
                  {"log", log.string()},
                  {"started", now_utc()}};
  sdk::SpawnOptions options;
  options.log_path = log.string();
  options.pid_file = pid_file(ctx, process).string();
  int64_t pid = ctx.host.spawn(argv, options);
  process["pid"] = pid;
  ctx.host.info("started " + name + " " + version + " (pid " + std::to_string(pid) +
                ", 127.0.0.1:" + std::to_string(port) + ", log " + log.string() + ")");
  return process;
}

std::string url(const json& process, const char* path) {
  return "http://127.0.0.1:" + std::to_string(process.value("port", 0)) + path;
}

// One probe: the process lives and GET path answers 200. `body` gets the reply.
bool probe(const LocalContext& ctx, const json& process, const char* path, std::string* body,
           std::string* why) {
  if (!alive(ctx, process.value("pid", 0))) {
    if (why) *why = "process " + std::to_string(process.value("pid", 0)) + " is not running";
    return false;
  }
  sdk::HttpRequest request;
  request.url = url(process, path);
  request.timeout_ms = 1000;
  try {
    sdk::HttpResponse response = ctx.host.http(request);
    if (body) *body = response.body;
    if (response.status == 200) return true;
    if (why) *why = "GET " + std::string(path) + " answered " + std::to_string(response.status);
  } catch (const sdk::Error& e) {
    if (why) *why = e.what();
  }
  return false;
}

std::string describe_process(const json& p) {
  return p["name"].get<std::string>() + " " + p["version"].get<std::string>() + " (pid " +
         std::to_string(p.value("pid", 0)) + ", 127.0.0.1:" + std::to_string(p.value("port", 0)) +
         ")";
}

json workload_output(const json& processes, bool ok) {
  json out = json::array();
  for (const auto& p : processes)
    out.push_back({{"name", p["name"]},
                   {"version", p["version"]},
                   {"ok", ok},
                   {"pid", p["pid"]},
                   {"url", url(p, "")},
                   {"log", p["log"]}});
  return out;
}

// Stops what an interrupted or failed rollout left behind: the candidates it
// recorded, and any process whose pid file no record names (mi2 killed between
// starting a process and saving deployment.json).
void stop_candidates(LocalContext& ctx, json& state) {
  for (const auto& c : state["candidates"]) stop_process(ctx, c);
  state["candidates"] = json::array();
  std::set<int> known;
  for (const auto& w : state["workloads"]) known.insert(w.value("pid", 0));
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(ctx.state / "pids", ec)) {
    if (entry.path().extension() != ".pid") continue;
    int pid = read_pid(entry.path());
    if (known.count(pid)) continue;
    stop_pid(ctx, pid);
    fs::remove(entry.path(), ec);
  }
}

// What a dry run reports: per workload, keep the running process or start one.
json plan_rollout(const LocalContext& ctx, const json& state,
                  const std::vector<DesiredWorkload>& desired) {
  json plan = json::array();
  for (const auto& d : desired) {
    bool keep = false;
    for (const auto& w : state["workloads"])
      keep |= w["name"] == d.name && w["version"] == d.version && alive(ctx, w.value("pid", 0));
    plan.push_back({{"name", d.name}, {"version", d.version}, {"action", keep ? "keep" : "start"}});
    ctx.host.info(std::string(keep ? "would keep " : "would start ") + d.name + " " + d.version +
                  (keep ? "" : ", wait for /healthz, then stop the process it replaces"));
  }
  return {{"workloads", plan}, {"dry_run", true}};
}

// Waits until every candidate answers /healthz, the deadline
// (rollout_timeout_ms) passes, a candidate dies or the host cancels the step.
// Returns the first candidate that is not healthy (null when all are), `why`
// says what its last probe saw.
json wait_until_healthy(const LocalContext& ctx, const json& candidates, std::string& why) {
  auto deadline = Clock::now() + std::chrono::milliseconds(ctx.config.rollout_timeout_ms);
  const size_t starting = candidates.size();
  std::string reported;
  for (;;) {
    json failing;
    size_t ready = 0;
    for (const auto& c : candidates) {
      if (!probe(ctx, c, "/healthz", nullptr, &why)) {
        failing = c;
        break;
      }
      ++ready;
    }
    if (failing.is_null()) {
      if (starting > 0)
        ctx.host.progress(1.0, std::to_string(starting) + "/" + std::to_string(starting) +
                                   " new workloads healthy");
      return failing;
    }
    if (std::string name = failing.value("name", ""); name != reported) {
      reported = name;  // one progress message per workload waited for
      ctx.host.progress(static_cast<double>(ready) / static_cast<double>(starting),
                        "waiting for " + name + " to answer /healthz (" + std::to_string(ready) +
                            "/" + std::to_string(starting) + " healthy)");
    }
    bool dead = !alive(ctx, failing.value("pid", 0));
    if (dead || Clock::now() > deadline || ctx.host.cancelled()) return failing;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// A rollout whose new process did not become healthy fails. With keep_stuck
// (apply) the new processes stay next to the old ones, which keep serving, as
// a Deployment whose new pods never get ready: pods-health reports them and
// apply.rollback removes them; the failure carries the per-workload report.
// Without it (rollback, restore) the new processes are stopped at once.
[[noreturn]] void fail_rollout(LocalContext& ctx, json& state, const json& failing,
                               const std::string& why, const std::string& version,
                               bool keep_stuck) {
  std::string error = "workload " + describe_process(failing) + " of instance " + ctx.instance_id +
                      " did not become healthy within " +
                      std::to_string(ctx.config.rollout_timeout_ms) + " ms (" + why + "; log " +
                      failing["log"].get<std::string>() + "); the previous processes keep serving";
  if (!keep_stuck) {
    stop_candidates(ctx, state);
    state["rollout"]["state"] = "failed";
    state["rollout"]["error"] = error;
    save_state(ctx, state);
    throw sdk::failed(error);
  }
  state["rollout"]["state"] = "stuck";
  state["rollout"]["error"] = error;
  save_state(ctx, state);
  json workloads = workload_output(state["workloads"], true);
  for (const auto& c : state["candidates"]) {
    std::string reason;
    bool healthy = probe(ctx, c, "/healthz", nullptr, &reason);
    json w = workload_output(json::array({c}), healthy)[0];
    if (!healthy) w["message"] = reason;
    workloads.push_back(w);
  }
  throw sdk::Failure(
      error + "; `mi2 instance rollback` removes the new ones",
      {{"workloads", workloads}, {"version", version}, {"rollout", "stuck"}, {"error", error}});
}

// Every new process is healthy: retire what they replace and record the result.
json finish_rollout(LocalContext& ctx, json& state, const std::vector<DesiredWorkload>& desired,
                    std::map<std::string, json>& current, const std::string& version) {
  std::string old_version = state.value("version", "");
  json next = json::array();
  for (const auto& d : desired) {
    json chosen;
    for (const auto& c : state["candidates"])
      if (c["name"] == d.name) chosen = c;
    auto it = current.find(d.name);
    if (chosen.is_null()) {
      chosen = it->second;  // kept as it was
    } else if (it != current.end()) {
      stop_process(ctx, it->second);
    }
    if (it != current.end()) current.erase(it);
    next.push_back(chosen);
  }
  for (const auto& [name, process] : current) stop_process(ctx, process);  // removed workloads
  if (old_version != version && !old_version.empty()) state["previous_version"] = old_version;
  state["version"] = version;
  state["workloads"] = next;
  state["candidates"] = json::array();
  state["rollout"]["state"] = "done";
  state["rollout"]["finished"] = now_utc();
  save_state(ctx, state);
  return {{"workloads", workload_output(next, true)}, {"version", version}};
}

}  // namespace

std::string workload_binary(const LocalContext& ctx) {
  if (const char* env = std::getenv("MI2_WORKLOAD_BINARY"); env && *env) return env;
  if (!ctx.config.workload_binary.empty()) {
    fs::path p = ctx.config.workload_binary;
    return (p.is_absolute() ? p : ctx.fleet_root / p).lexically_normal().string();
  }
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&workload_binary), &info) && info.dli_fname) {
    fs::path here = fs::absolute(info.dli_fname).parent_path();
    for (const fs::path& candidate :
         {here / ".." / "bin" / "mi2-workload", here / "mi2-workload",
          here / ".." / ".." / ".." / "bin" / "mi2-workload"}) {  // installed: lib/mi2/plugins
      std::error_code ec;
      if (fs::exists(candidate, ec)) return candidate.lexically_normal().string();
    }
  }
  throw sdk::failed(
      "cannot find the mi2-workload program; build it (cmake --build <build> --target "
      "mi2-workload) or set plugins.local.workload_binary in mi2.yaml");
}

json rollout(LocalContext& ctx, const std::vector<DesiredWorkload>& desired,
             const std::string& version, bool keep_stuck) {
  ReleaseCatalog catalog = ctx.catalog();
  for (const auto& d : desired) catalog.get(d.version);  // fail before touching anything
  std::string binary = workload_binary(ctx);
  std::error_code ec;
  if (!fs::exists(binary, ec))
    throw sdk::failed("the workload program " + binary + " does not exist; build mi2-workload");

  json state = load_state(ctx);
  if (ctx.dry_run()) return plan_rollout(ctx, state, desired);

  fs::create_directories(ctx.state);
  stop_candidates(ctx, state);
  std::map<std::string, json> current;
  for (const auto& w : state["workloads"]) current[w["name"].get<std::string>()] = w;

  // Start every workload whose running process is missing or at another version.
  for (const auto& d : desired) {
    auto it = current.find(d.name);
    if (it != current.end() && it->second["version"] == d.version &&
        alive(ctx, it->second.value("pid", 0)))
      continue;
    state["rollout"] = {{"version", version}, {"state", "in-progress"}, {"started", now_utc()}};
    state["candidates"].push_back(start_process(ctx, d.name, d.version, catalog.get(d.version)));
    save_state(ctx, state);  // after each start: a killed mi2 leaves nothing unrecorded
  }
  state["rollout"] = {{"version", version}, {"state", "in-progress"}, {"started", now_utc()}};
  save_state(ctx, state);

  std::string why;
  json failing = wait_until_healthy(ctx, state["candidates"], why);
  if (!failing.is_null()) fail_rollout(ctx, state, failing, why, version, keep_stuck);
  return finish_rollout(ctx, state, desired, current, version);
}

json apply_workloads(LocalContext& ctx) {
  std::vector<DesiredWorkload> desired;
  std::string version;
  for (const auto& image : read_workload_images(ctx.instance_dir)) {
    if (image.tag.empty())
      throw sdk::failed("kubernetes/kustomization.yaml of instance " + ctx.instance_id +
                        " gives no newTag for " + image.image + "; run the render step first");
    require_version(image.tag, "the tag of " + image.image);
    desired.push_back({image.workload, image.tag});
    if (version.empty() || image.workload == "frontend") version = image.tag;
  }
  return rollout(ctx, desired, version, true);
}

json rollback_workloads(LocalContext& ctx) {
  json state = load_state(ctx);
  std::string to = ctx.in.params.value("to_version", "");
  if (to.empty()) to = state.value("previous_version", "");
  if (to.empty()) to = ctx.in.previous_version;
  if (to.empty())
    throw sdk::failed("instance " + ctx.instance_id +
                      " has no earlier version to roll back to; pass to_version");
  require_version(to, "the version to roll back to");
  std::vector<DesiredWorkload> desired;
  std::vector<std::string> names;
  for (const auto& w : state["workloads"]) names.push_back(w["name"]);
  if (names.empty())
    for (const auto& image : read_workload_images(ctx.instance_dir))
      names.push_back(image.workload);
  for (const auto& name : names) desired.push_back({name, to});
  return rollout(ctx, desired, to, false);
}

// One readable line per workload (what `mi2 instance check` prints and the PR
// embeds), plus the same as objects under "workloads" for machines.
std::string detail_line(const json& w) {
  return (w["ok"].get<bool>() ? "ok     " : "FAILED ") + w["workload"].get<std::string>() + " " +
         w["version"].get<std::string>() + "  pid " + std::to_string(w["pid"].get<int>()) + "  " +
         w["url"].get<std::string>() + "  " + w["message"].get<std::string>();
}

json check_pods_health(LocalContext& ctx) {
  json state = load_state(ctx);
  json details = json::array();
  bool ok = !state["workloads"].empty();
  int healthy = 0;
  for (const auto& w : state["workloads"]) {
    std::string why;
    bool good = probe(ctx, w, "/healthz", nullptr, &why);
    healthy += good;
    ok &= good;
    details.push_back({{"workload", w["name"]},
                       {"version", w["version"]},
                       {"ok", good},
                       {"pid", w["pid"]},
                       {"url", url(w, "/healthz")},
                       {"message", good ? "healthy" : why}});
  }
  for (const auto& c : state["candidates"]) {  // a rollout that is under way or died
    ok = false;
    std::string why;
    bool good = probe(ctx, c, "/healthz", nullptr, &why);
    details.push_back({{"workload", c["name"]},
                       {"version", c["version"]},
                       {"ok", false},
                       {"pid", c["pid"]},
                       {"url", url(c, "/healthz")},
                       {"message", good ? "new process of an unfinished rollout"
                                        : "new process of an unfinished rollout: " + why}});
  }
  std::string summary =
      state["workloads"].empty()
          ? "no workload of instance " + ctx.instance_id +
                " has been deployed; deploy it first (the sample fleet's mi2.yaml has a "
                "first-deploy recipe: mi2 instance upgrade --recipe first-deploy -target-version V)"
          : std::to_string(healthy) + "/" + std::to_string(state["workloads"].size()) +
                " workloads healthy" +
                (state["candidates"].empty()
                     ? ""
                     : "; " + std::to_string(state["candidates"].size()) +
                           " new processes of an unfinished rollout (apply.rollback "
                           "removes them)");
  json lines = json::array();
  for (const auto& d : details) lines.push_back(detail_line(d));
  return {{"name", "pods-health"},
          {"ok", ok},
          {"summary", summary},
          {"details", lines},
          {"workloads", details}};
}

json check_application_version(LocalContext& ctx) {
  std::string expected = ctx.configured_version();
  json state = load_state(ctx);
  json frontend;
  for (const auto& w : state["workloads"])
    if (frontend.is_null() || w["name"] == "frontend") frontend = w;
  if (frontend.is_null())
    return {{"name", "src-application-version"},
            {"ok", false},
            {"summary", "no workload of instance " + ctx.instance_id + " is deployed"},
            {"details", json::array()}};
  std::string body, why;
  bool answered = probe(ctx, frontend, "/__version", &body, &why);
  std::string remote = answered ? body : "";
  while (!remote.empty() && (remote.back() == '\n' || remote.back() == '\r')) remote.pop_back();
  bool ok = answered && !expected.empty() && remote == expected;
  std::string summary = !answered ? "cannot read " + url(frontend, "/__version") + ": " + why
                        : ok      ? "remote version " + remote + " equals spec.sourcegraphVersion"
                                  : "remote version " + remote +
                                   " differs from spec.sourcegraphVersion " +
                                   (expected.empty() ? "(unset)" : expected);
  return {{"name", "src-application-version"},
          {"ok", ok},
          {"summary", summary},
          {"details", json::array({"GET " + url(frontend, "/__version") + " -> " +
                                   (answered ? remote : "no answer") + " (expected " +
                                   (expected.empty() ? "unset" : expected) + ")"})},
          {"remote_version", remote},
          {"expected_version", expected}};
}

void stop_all_workloads(LocalContext& ctx) {
  json state = load_state(ctx);
  for (const auto& w : state["workloads"]) stop_process(ctx, w);
  stop_candidates(ctx, state);
  state["workloads"] = json::array();
  if (fs::exists(ctx.deployment_path())) save_state(ctx, state);
}

}  // namespace mi2::local
