// echo: a test plugin written with the C++ SDK (one class, one macro). It
// serves every role and action of the plugin guide and answers
//   {"plugin": "echo", "role", "action", "input": <the step input>}
// Step params steer it:
//   "fail": "failed" | "retryable" | "invalid" | "not_supported" | "timeout"
//           (throws mi2::sdk::Error), "std" (std::runtime_error), "int" (throws
//           an int), "bad_alloc"
//   "exec": ["prog", "arg", ...]  runs it via the host; "mutating": bool;
//           "timeout_ms": n; the output gains "exec": {exit_code, out, err,
//           skipped_dry_run, timed_out}
//   "http": {"method", "url", "mutating"}  one exchange via the host; the
//           output gains "http": {status, body, skipped_dry_run}
//   "log": "message"  logged at info;  "redact": "secret"  registered
//   "progress": "message"  reported at 0.5
//   "crash": "segv" | "abort" | "exit"  ends the process: SIGSEGV (a null
//           write, with the default handler restored first), abort(), exit(3)
//   "hang_ms": n  sleeps without polling cancelled();  "poll_cancelled":
//           true  the output gains "cancelled": host.cancelled()
//   "spawn": ["/abs/prog", ...]  starts it detached; the output gains
//           "spawn": {pid, alive, stopped} after probing, SIGTERM and a wait
//   "free_port": true  the output gains "port"
// Config: {"refuse": true} makes create fail; {"hang_create_ms": n} sleeps in
// create; "token" is marked sensitive.
#include <mi2/sdk/plugin.hpp>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <new>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

namespace {

using nlohmann::json;

class EchoPlugin {
 public:
  static const char* describe() {
    return R"({
      "name": "echo",
      "version": "0.9.0",
      "description": "Echoes its input; a test plugin for every role",
      "roles": {
        "render": ["render"],
        "healthcheck": ["check"],
        "backup": ["create", "list", "restore"],
        "migrate": ["up", "status"],
        "apply": ["apply", "rollback", "workon"],
        "vcs": ["publish", "tracking-issue", "tracking-issue-check", "pr-list", "pr-view",
                "pr-approve", "pr-merge", "dispatch-workflow", "latest-version"]
      },
      "checks": ["echo-ok"],
      "config_schema": {
        "properties": {
          "token": {"type": "string", "sensitive": true},
          "refuse": {"type": "boolean"},
          "hang_create_ms": {"type": "integer"}
        }
      }
    })";
  }

  EchoPlugin(mi2::sdk::Host host, const std::string& config_json) : host_(host) {
    json config = json::parse(config_json);
    if (config.contains("hang_create_ms"))
      std::this_thread::sleep_for(std::chrono::milliseconds(config["hang_create_ms"].get<int>()));
    if (config.value("refuse", false))
      throw mi2::sdk::invalid_input("echo was told to refuse its configuration");
  }

  std::string invoke(std::string_view role, std::string_view action, const std::string& input) {
    json in = json::parse(input);
    json params = in.value("params", json::object());
    json out = {{"plugin", "echo"}, {"role", role}, {"action", action}, {"input", in}};
    fail_if_asked(params.value("fail", ""));
    if (params.contains("redact")) host_.redact(params["redact"].get<std::string>());
    if (params.contains("log")) host_.info(params["log"].get<std::string>());
    if (params.contains("progress")) host_.progress(0.5, params["progress"].get<std::string>());
    crash_if_asked(params.value("crash", ""));
    if (params.contains("hang_ms"))
      std::this_thread::sleep_for(std::chrono::milliseconds(params["hang_ms"].get<int>()));
    if (params.value("poll_cancelled", false)) out["cancelled"] = host_.cancelled();
    if (params.contains("spawn")) out["spawn"] = spawn(params["spawn"]);
    if (params.value("free_port", false)) out["port"] = host_.free_port();
    if (params.contains("exec")) {
      mi2::sdk::ExecOptions options;
      options.mutating = params.value("mutating", false);
      options.timeout_ms = params.value("timeout_ms", 0u);
      auto result = host_.exec(params["exec"].get<std::vector<std::string>>(), options);
      out["exec"] = {{"exit_code", result.exit_code},
                     {"out", result.out},
                     {"err", result.err},
                     {"timed_out", result.timed_out},
                     {"skipped_dry_run", result.skipped_dry_run}};
    }
    if (params.contains("http")) {
      mi2::sdk::HttpRequest request;
      request.method = params["http"].value("method", "GET");
      request.url = params["http"].value("url", "");
      request.mutating = params["http"].value("mutating", false);
      auto response = host_.http(request);
      out["http"] = {{"status", response.status},
                     {"body", response.body},
                     {"skipped_dry_run", response.skipped_dry_run}};
    }
    out["dry_run"] = host_.dry_run();
    return out.dump();
  }

 private:
  static void crash_if_asked(const std::string& how) {
    if (how == "segv") {
      // Dies by SIGSEGV as a bad access would, without the undefined
      // behaviour UBSan reports first (and turns into an exit) in a sanitizer
      // build; a sanitizer's own SIGSEGV handler is put aside for the same reason.
      std::signal(SIGSEGV, SIG_DFL);
      std::raise(SIGSEGV);
    }
    if (how == "abort") std::abort();
    if (how == "exit") std::exit(3);
  }

  json spawn(const json& argv) {
    std::string program = argv[0].get<std::string>();
    program = program.substr(program.rfind('/') + 1);
    int64_t pid = host_.spawn(argv.get<std::vector<std::string>>());
    bool alive = host_.process_alive(pid, program);
    bool signalled = host_.signal_process(pid, SIGTERM, program);
    bool stopped = signalled && host_.wait_process(pid, 5000, program);
    return {{"pid", pid}, {"alive", alive}, {"stopped", stopped}};
  }

  static void fail_if_asked(const std::string& how) {
    if (how.empty()) return;
    if (how == "failed") throw mi2::sdk::failed("echo was told to fail");
    if (how == "retryable") throw mi2::sdk::retryable("echo was told to fail transiently");
    if (how == "invalid") throw mi2::sdk::invalid_input("echo was told its input is invalid");
    if (how == "not_supported") throw mi2::sdk::not_supported("echo was told not to serve this");
    if (how == "timeout") throw mi2::sdk::Error(MI2_TIMEOUT, "echo was told to time out");
    if (how == "std") throw std::runtime_error("echo threw a std::runtime_error");
    if (how == "int") throw 42;
    if (how == "bad_alloc") throw std::bad_alloc();
    throw mi2::sdk::invalid_input("echo does not know the failure '" + how + "'");
  }

  mi2::sdk::Host host_;
};

}  // namespace

MI2_PLUGIN(EchoPlugin)
