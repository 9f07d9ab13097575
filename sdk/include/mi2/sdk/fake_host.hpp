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
  };
  struct LogLine {
    mi2_log_level level;
    std::string message;
  };

  // Scripted replies. Defaults: exec exits 0 with no output; http answers 404.
  std::function<ExecResult(const ExecCall&)> on_exec;
  std::function<HttpResponse(const HttpRequest&)> on_http;

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
