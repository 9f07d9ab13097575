// mi2/sdk/fake_host.hpp — a scripted host for plugin unit tests.
//
//   mi2::sdk::FakeHost fake;
//   fake.on_exec = [](const mi2::sdk::FakeHost::ExecCall& call) {
//     return mi2::sdk::ExecResult{0, 0, false, false, "{\"items\":[]}", ""};
//   };
//   MyPlugin plugin(fake.host(), "{}");
//   plugin.invoke("healthcheck", "check", R"({"checks":["pods-health"]})");
//   EXPECT_EQ(fake.exec_calls[0].argv[0], "kubectl");
//
// Every service call is recorded. Nothing is run and nothing is sent.
// Header-only, C++17, standard library only.
#ifndef MI2_SDK_FAKE_HOST_HPP
#define MI2_SDK_FAKE_HOST_HPP

#include <mi2/plugin.h>
#include <mi2/sdk/host.hpp>

#include <functional>
#include <string>
#include <vector>

namespace mi2::sdk {

class FakeHost {
 public:
  struct ExecCall {
    std::vector<std::string> argv;
    std::vector<std::string> env;
    std::string cwd;
    std::string stdin_data;
    uint32_t timeout_ms = 0;
    bool mutating = false;
    int stop_signal = 0;
    uint32_t kill_grace_ms = 0;
  };
  struct LogLine {
    mi2_log_level level;
    std::string message;
  };

  struct SpawnCall {
    std::vector<std::string> argv;
    std::vector<std::string> env;
    std::string cwd, log_path, pid_file;
  };
  struct SignalCall {
    int64_t pid;
    std::string program;
    int signal;
  };

  // Scripted replies. Defaults: exec exits 0 with no output; http answers 404;
  // spawn hands out pids from 1000 up and records them in `running`; a signal
  // other than 0 ends a running pid; free_port answers `next_port`.
  std::function<ExecResult(const ExecCall&)> on_exec;
  std::function<HttpResponse(const HttpRequest&)> on_http;
  std::function<int64_t(const SpawnCall&)> on_spawn;
  // Set both to make processes real (e.g. a test that runs real workloads):
  // on_signal answers "running?" and sends the signal; on_wait: gone in time?
  std::function<bool(int64_t pid, const std::string& program, int signal)> on_signal;
  std::function<bool(int64_t pid, const std::string& program, uint32_t timeout_ms)> on_wait;
  std::function<uint16_t()> on_free_port;

  std::vector<SpawnCall> spawn_calls;
  std::vector<SignalCall> signal_calls;
  std::vector<int64_t> running;
  uint16_t next_port = 40000;
  // false: the service table ends after dry_run, as a 1.0 host's does.
  void set_abi_1_0(bool old) {
    services_.struct_size =
        old ? static_cast<uint32_t>(offsetof(mi2_host_services, dry_run) + sizeof services_.dry_run)
            : static_cast<uint32_t>(sizeof services_);
  }

  bool dry_run = false;
  bool cancelled = false;

  std::vector<ExecCall> exec_calls;
  std::vector<HttpRequest> http_calls;
  std::vector<LogLine> logs;
  std::vector<std::string> secrets;

  FakeHost() {
    services_.struct_size = sizeof services_;
    services_.log = &log_thunk;
    services_.progress = &progress_thunk;
    services_.cancelled = &cancelled_thunk;
    services_.exec = &exec_thunk;
    services_.http = &http_thunk;
    services_.redact = &redact_thunk;
    services_.dry_run = &dry_run_thunk;
    services_.spawn = &spawn_thunk;
    services_.process_signal = &signal_thunk;
    services_.process_wait = &wait_thunk;
    services_.free_port = &port_thunk;
  }
  FakeHost(const FakeHost&) = delete;
  FakeHost& operator=(const FakeHost&) = delete;

  Host host() { return Host(&services_, context()); }
  const mi2_host_services* services() const { return &services_; }
  mi2_host_context* context() { return reinterpret_cast<mi2_host_context*>(this); }

 private:
  static FakeHost& self(mi2_host_context* ctx) { return *reinterpret_cast<FakeHost*>(ctx); }

  static void log_thunk(mi2_host_context* ctx, mi2_log_level level, const char* message) {
    self(ctx).logs.push_back({level, message ? message : ""});
  }
  static void progress_thunk(mi2_host_context*, double, const char*) {}
  static bool cancelled_thunk(mi2_host_context* ctx) { return self(ctx).cancelled; }
  static bool dry_run_thunk(mi2_host_context* ctx) { return self(ctx).dry_run; }
  static void redact_thunk(mi2_host_context* ctx, const char* secret) {
    if (secret) self(ctx).secrets.emplace_back(secret);
  }

  bool is_running(int64_t pid) const {
    for (int64_t p : running)
      if (p == pid) return true;
    return false;
  }
  static mi2_status spawn_thunk(mi2_host_context* ctx, const mi2_spawn_request* request,
                                mi2_spawn_result* result) {
    FakeHost& fake = self(ctx);
    if (!request || !request->argv || !request->argv[0]) return MI2_INVALID_INPUT;
    SpawnCall call;
    for (const char* const* a = request->argv; *a; ++a) call.argv.emplace_back(*a);
    if (request->env)
      for (const char* const* e = request->env; *e; ++e) call.env.emplace_back(*e);
    if (request->cwd) call.cwd = request->cwd;
    if (request->log_path) call.log_path = request->log_path;
    if (request->pid_file) call.pid_file = request->pid_file;
    fake.spawn_calls.push_back(call);
    if (fake.dry_run) {
      result->pid = 0;
      result->skipped_dry_run = true;
      return MI2_OK;
    }
    int64_t pid = fake.on_spawn ? fake.on_spawn(call) : 1000 + (int64_t)fake.spawn_calls.size();
    if (pid <= 0) return MI2_FAILED;
    fake.running.push_back(pid);
    result->pid = pid;
    result->skipped_dry_run = false;
    return MI2_OK;
  }
  static mi2_status signal_thunk(mi2_host_context* ctx, int64_t pid, const char* program,
                                 int32_t signal) {
    FakeHost& fake = self(ctx);
    fake.signal_calls.push_back({pid, program ? program : "", signal});
    if (fake.on_signal)
      return fake.on_signal(pid, program ? program : "", fake.dry_run ? 0 : signal) ? MI2_OK
                                                                                    : MI2_FAILED;
    if (!fake.is_running(pid)) return MI2_FAILED;
    if (signal != 0 && !fake.dry_run)
      for (size_t i = 0; i < fake.running.size(); ++i)
        if (fake.running[i] == pid) fake.running.erase(fake.running.begin() + (long)i--);
    return MI2_OK;
  }
  static mi2_status wait_thunk(mi2_host_context* ctx, int64_t pid, const char* program,
                               uint32_t timeout_ms) {
    FakeHost& fake = self(ctx);
    if (fake.on_wait)
      return fake.on_wait(pid, program ? program : "", timeout_ms) ? MI2_OK : MI2_TIMEOUT;
    return fake.is_running(pid) ? MI2_TIMEOUT : MI2_OK;
  }
  static mi2_status port_thunk(mi2_host_context* ctx, uint16_t* port) {
    FakeHost& fake = self(ctx);
    *port = fake.on_free_port ? fake.on_free_port() : fake.next_port++;
    if (*port == 0) return MI2_FAILED;
    return MI2_OK;
  }

  static mi2_status exec_thunk(mi2_host_context* ctx, const mi2_exec_request* request,
                               mi2_exec_result* result) {
    FakeHost& fake = self(ctx);
    if (!request || !request->argv || !request->argv[0]) return MI2_INVALID_INPUT;
    ExecCall call;
    for (const char* const* a = request->argv; *a; ++a) call.argv.emplace_back(*a);
    if (request->env)
      for (const char* const* e = request->env; *e; ++e) call.env.emplace_back(*e);
    if (request->cwd) call.cwd = request->cwd;
    if (request->stdin_data) call.stdin_data.assign(request->stdin_data, request->stdin_size);
    call.timeout_ms = request->timeout_ms;
    call.mutating = request->mutating;
    if (MI2_HAS_FIELD(request, mi2_exec_request, kill_grace_ms)) {
      call.stop_signal = request->stop_signal;
      call.kill_grace_ms = request->kill_grace_ms;
    }
    fake.exec_calls.push_back(call);

    if (fake.dry_run && call.mutating) {
      fake.last_exec_ = ExecResult{0, 0, false, true, "", ""};
    } else if (fake.on_exec) {
      fake.last_exec_ = fake.on_exec(call);
    } else {
      fake.last_exec_ = ExecResult{0, 0, false, false, "", ""};
    }
    const ExecResult& r = fake.last_exec_;
    result->exit_code = r.exit_code;
    result->term_signal = r.term_signal;
    result->timed_out = r.timed_out;
    result->skipped_dry_run = r.skipped_dry_run;
    result->stdout_data = r.out.data();
    result->stdout_size = r.out.size();
    result->stderr_data = r.err.data();
    result->stderr_size = r.err.size();
    return r.timed_out ? MI2_TIMEOUT : MI2_OK;
  }

  static mi2_status http_thunk(mi2_host_context* ctx, const mi2_http_request* request,
                               mi2_http_response* response) {
    FakeHost& fake = self(ctx);
    if (!request || !request->method || !request->url) return MI2_INVALID_INPUT;
    HttpRequest call;
    call.method = request->method;
    call.url = request->url;
    for (size_t i = 0; i < request->header_count; ++i)
      call.headers.emplace_back(request->headers[i].name, request->headers[i].value);
    if (request->body) call.body.assign(request->body, request->body_size);
    call.timeout_ms = request->timeout_ms;
    call.mutating = request->mutating;
    fake.http_calls.push_back(call);

    if (fake.dry_run && call.mutating) {
      fake.last_http_ = HttpResponse{0, {}, "", true};
    } else if (fake.on_http) {
      fake.last_http_ = fake.on_http(call);
    } else {
      fake.last_http_ = HttpResponse{404, {}, "{\"message\":\"Not Found\"}", false};
    }
    fake.last_headers_.clear();
    for (const auto& [name, value] : fake.last_http_.headers)
      fake.last_headers_.push_back({name.c_str(), value.c_str()});
    response->status = fake.last_http_.status;
    response->headers = fake.last_headers_.data();
    response->header_count = fake.last_headers_.size();
    response->body = fake.last_http_.body.data();
    response->body_size = fake.last_http_.body.size();
    response->skipped_dry_run = fake.last_http_.skipped_dry_run;
    return MI2_OK;
  }

  mi2_host_services services_{};
  ExecResult last_exec_;
  HttpResponse last_http_;
  std::vector<mi2_http_header> last_headers_;
};

}  // namespace mi2::sdk

#endif  // MI2_SDK_FAKE_HOST_HPP
