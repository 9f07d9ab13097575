// The `scripted` test plugin. Config (mi2.yaml plugins.scripted):
//   fail:     {"<role>.<action>": {"status": "failed|retryable|invalid", "times": N}}
//             (times: how many calls fail before they succeed; absent: always)
//   sleep_ms: {"<role>.<action>": N}   sleeps, polling cancelled()
//   crash:    {"<role>.<action>": "segv|abort|exit"}  ends the process (SIGSEGV,
//             abort(), exit(3)) after recording the call, outside dry-run
//   unhealthy: ["check-name", ...]      checks that report ok=false
//   unhealthy_after_apply: bool        checks fail while the applied version is the target
//   unhealthy_instances: ["id", ...]   checks of these instances fail until
//                                      <state_dir>/scripted/healed exists
// Every call is appended to <state_dir>/scripted/calls.jsonl as
// {"role", "action", "step", "target_version", "dry_run"}; failure counters
// live in <state_dir>/scripted/counters.json so they survive process restarts.
#include <mi2/sdk/plugin.hpp>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

json read_json(const fs::path& path, json fallback) {
  std::ifstream in(path);
  if (!in) return fallback;
  std::stringstream ss;
  ss << in.rdbuf();
  json parsed = json::parse(ss.str(), nullptr, false);
  return parsed.is_discarded() ? fallback : parsed;
}

class ScriptedPlugin {
 public:
  static const char* describe() {
    return R"({"name": "scripted", "version": "1.0.0",
      "description": "test plugin: records calls, fails and sleeps on command",
      "roles": {"render": ["render"], "healthcheck": ["check"],
                "backup": ["create", "list", "restore"], "migrate": ["up", "status"],
                "apply": ["apply", "rollback", "workon"],
                "vcs": ["publish", "tracking-issue", "latest-version", "pr-list"]},
      "checks": ["pods-health", "src-application-version"],
      "config_schema": {"properties": {"token": {"type": "string", "sensitive": true}}}})";
  }

  ScriptedPlugin(mi2::sdk::Host host, const std::string& config_json) : host_(host) {
    config_ = json::parse(config_json, nullptr, false);
    if (!config_.is_object())
      throw mi2::sdk::invalid_input("the scripted plugin's config is not an object");
    if (config_.value("refuse", false)) throw mi2::sdk::invalid_input("told to refuse its config");
    token_ = config_.value("token", "");
  }

  std::string invoke(std::string_view role, std::string_view action,
                     const std::string& input_json) {
    json input = json::parse(input_json);
    std::string key = std::string(role) + "." + std::string(action);
    fs::path dir = fs::path(input.value("state_dir", "/tmp")) / "scripted";
    bool dry_run = host_.dry_run();
    if (!token_.empty()) host_.info("calling the forge with token " + token_);
    if (!dry_run) {
      fs::create_directories(dir);
      std::ofstream(dir / "calls.jsonl", std::ios::app)
          << json{{"role", role},
                  {"action", action},
                  {"step", input.value("step", "")},
                  {"target_version", input.value("target_version", "")}}
                 .dump()
          << "\n";
    }

    if (auto crash = config_.value("crash", json::object()); crash.contains(key) && !dry_run)
      crash_as(crash[key].get<std::string>());

    if (auto sleep = config_.value("sleep_ms", json::object()); sleep.contains(key)) {
      auto until =
          std::chrono::steady_clock::now() + std::chrono::milliseconds(sleep[key].get<int>());
      while (std::chrono::steady_clock::now() < until) {
        if (host_.cancelled()) throw mi2::sdk::Error(MI2_CANCELLED, key + " was cancelled");
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }

    if (auto fail = config_.value("fail", json::object()); fail.contains(key) && !dry_run) {
      json counters = read_json(dir / "counters.json", json::object());
      int seen = counters.value(key, 0);
      counters[key] = seen + 1;
      std::ofstream(dir / "counters.json") << counters.dump();
      int times = fail[key].value("times", 1 << 30);
      if (seen < times) {
        std::string status = fail[key].value("status", "failed");
        mi2_status code = status == "retryable" ? MI2_RETRYABLE
                          : status == "invalid" ? MI2_INVALID_INPUT
                                                : MI2_FAILED;
        throw mi2::sdk::Error(
            code, "scripted failure of " + key + " (call " + std::to_string(seen + 1) + ")");
      }
    }

    std::string target = input.value("target_version", "");
    if (key == "render.render") {
      host_.exec({"ls", input.value("instance_dir", ".")});
      return json{{"changed_files", {"kubernetes/kustomization.yaml"}}}.dump();
    }
    if (key == "apply.rollback") target = input["params"].value("to_version", target);
    if (key == "apply.apply" || key == "apply.rollback") {
      auto r = host_.exec({"touch", (dir / ("applied-" + target)).string()}, {{}, "", "", 0, true});
      if (!dry_run) std::ofstream(dir / "applied") << target;
      return json{{"workloads", {{{"name", "app"}, {"version", target}, {"ok", r.ok()}}}}}.dump();
    }
    if (key == "apply.workon")
      return json{{"commands", {{"echo", "workon", input.value("instance_id", "")}}}}.dump();
    if (key == "healthcheck.check") return check(input, dir);
    if (key == "backup.create")
      return json{{"checkpoint", {{"id", "cp-" + input.value("run_id", "none")}}}}.dump();
    if (key == "backup.list") return json{{"backups", json::array()}}.dump();
    if (key == "backup.restore")
      return json{{"restored", input["params"].value("backup_name", "")}}.dump();
    if (key == "migrate.up") return json{{"applied", json::array()}}.dump();
    if (key == "migrate.status") return json{{"dirty", false}}.dump();
    if (key == "vcs.tracking-issue")
      return json{
          {"issue", {{"number", 7}, {"url", "https://forge.test/issues/7"}, {"created", false}}}}
          .dump();
    if (key == "vcs.latest-version")
      return json{{"version", config_.value("latest", "4.1.0")}}.dump();
    if (key == "vcs.publish") {
      if (!dry_run) std::ofstream(dir / "publish.json") << input["params"].dump(2);
      return json{{"branch", input["params"].value("branch", "")},
                  {"pr", {{"number", 1}, {"url", "https://forge.test/pulls/1"}, {"created", true}}}}
          .dump();
    }
    if (key == "vcs.pr-list") return json{{"prs", json::array()}}.dump();
    throw mi2::sdk::not_supported("scripted does not serve " + key);
  }

 private:
  static void crash_as(const std::string& how) {
    if (how == "abort") std::abort();
    if (how == "exit") std::exit(3);
    // Dies by SIGSEGV as a bad access would, without the undefined behaviour
    // UBSan reports first; a sanitizer's SIGSEGV handler would make it an exit.
    std::signal(SIGSEGV, SIG_DFL);
    std::raise(SIGSEGV);
  }

  std::string check(const json& input, const fs::path& dir) {
    json unhealthy = config_.value("unhealthy", json::array());
    std::ifstream applied_file(dir / "applied");
    std::string applied;
    std::getline(applied_file, applied);
    bool bad_release = config_.value("unhealthy_after_apply", false) && !applied.empty() &&
                       applied == config_.value("bad_version", "");
    json sick = config_.value("unhealthy_instances", json::array());
    bool sick_instance =
        std::find(sick.begin(), sick.end(), input.value("instance_id", "")) != sick.end() &&
        !fs::exists(dir / "healed");
    bad_release = bad_release || sick_instance;
    json checks = json::array();
    bool all_ok = true;
    json names = input["params"].value("checks", json::array());
    if (names.empty()) names = {"pods-health", "src-application-version"};
    for (const auto& name : names) {
      bool ok =
          !bad_release && std::find(unhealthy.begin(), unhealthy.end(), name) == unhealthy.end();
      all_ok = all_ok && ok;
      checks.push_back(
          {{"name", name}, {"ok", ok}, {"summary", ok ? "healthy" : "unhealthy on purpose"}});
    }
    return json{{"ok", all_ok}, {"checks", checks}}.dump();
  }

  mi2::sdk::Host host_;
  json config_;
  std::string token_;
};

}  // namespace

MI2_PLUGIN(ScriptedPlugin)
