// mi2/sdk/host.hpp — C++ view of the host's services, for plugin authors.
//
// Header-only, C++17, standard library only. A plugin receives a `Host` in its
// constructor and uses it instead of its own fork/exec/sockets, so the host can
// apply dry-run, deadlines, cancellation, redaction and journaling.
#ifndef MI2_SDK_HOST_HPP
#define MI2_SDK_HOST_HPP

#include <mi2/plugin.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace mi2::sdk {

// The one exception type a plugin throws to fail a call with a given status.
// Any other exception becomes MI2_FAILED with its what() as the error.
// `output`, when given, is a JSON object with partial results that the host
// still receives on failure (e.g. a migration's dirty state).
class Error : public std::runtime_error {
 public:
  Error(mi2_status status, const std::string& message, std::string output = {})
      : std::runtime_error(message), status_(status), output_(std::move(output)) {}
  mi2_status status() const noexcept { return status_; }
  const std::string& output() const noexcept { return output_; }

 private:
  mi2_status status_;
  std::string output_;
};

// Convenience constructors for the common statuses.
inline Error invalid_input(const std::string& message) {
  return {MI2_INVALID_INPUT, message};
}
inline Error failed(const std::string& message) {
  return {MI2_FAILED, message};
}
inline Error retryable(const std::string& message) {
  return {MI2_RETRYABLE, message};
}
inline Error not_supported(const std::string& message) {
  return {MI2_NOT_SUPPORTED, message};
}

struct ExecOptions {
  std::vector<std::string> env;  // "NAME=value" entries added to the host's environment
  std::string cwd;               // empty: the host's working directory
  std::string stdin_data;        // written to the child's stdin
  uint32_t timeout_ms = 0;       // 0: only the step deadline applies
  bool mutating = false;         // true: recorded, not run, in dry-run
  int stop_signal = 0;           // 1.1: sent on timeout/cancel (0: SIGTERM), e.g. SIGINT
  uint32_t kill_grace_ms = 0;    // 1.1: then SIGKILL after this long (0: 2000)
};

// A detached long-running process (ABI 1.1; see mi2_spawn_request).
struct SpawnOptions {
  std::vector<std::string> env;
  std::string cwd;
  std::string log_path;  // stdout+stderr appended; empty: /dev/null
  std::string pid_file;  // written by the host before the process runs
};

struct ExecResult {
  int exit_code = -1;
  int term_signal = 0;
  bool timed_out = false;
  bool skipped_dry_run = false;
  std::string out;
  std::string err;
  bool ok() const { return exit_code == 0 && !timed_out && term_signal == 0; }
};

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  Headers headers;
  std::string body;
  uint32_t timeout_ms = 0;
  bool mutating = false;
};

struct HttpResponse {
  int status = 0;
  Headers headers;  // names lower-cased by the host
  std::string body;
  bool skipped_dry_run = false;

  // The first header with this (lower-case) name, if any.
  std::optional<std::string> header(const std::string& lower_name) const {
    for (const auto& [name, value] : headers)
      if (name == lower_name) return value;
    return std::nullopt;
  }
};

// A thin, copyable handle over the service table and this instance's context.
class Host {
 public:
  Host() = default;
  Host(const mi2_host_services* services, mi2_host_context* context)
      : services_(services), context_(context) {}

  void log(mi2_log_level level, const std::string& message) const {
    if (services_ && services_->log) services_->log(context_, level, message.c_str());
  }
  void debug(const std::string& m) const { log(MI2_LOG_DEBUG, m); }
  void info(const std::string& m) const { log(MI2_LOG_INFO, m); }
  void warn(const std::string& m) const { log(MI2_LOG_WARN, m); }
  void error(const std::string& m) const { log(MI2_LOG_ERROR, m); }

  void progress(double fraction, const std::string& message) const {
    if (services_ && services_->progress) services_->progress(context_, fraction, message.c_str());
  }
  bool cancelled() const {
    return services_ && services_->cancelled && services_->cancelled(context_);
  }
  bool dry_run() const {
    return services_ && MI2_HAS_FIELD(services_, mi2_host_services, dry_run) &&
           services_->dry_run && services_->dry_run(context_);
  }
  void redact(const std::string& secret) const {
    if (!secret.empty() && services_ && services_->redact)
      services_->redact(context_, secret.c_str());
  }

  // Runs argv (never through a shell). Throws Error when the process could not
  // be run at all, was cancelled or timed out; a non-zero exit is returned,
  // not thrown: check result.ok().
  ExecResult exec(const std::vector<std::string>& argv, const ExecOptions& options = {}) const {
    if (!services_ || !services_->exec) throw failed("the host offers no exec service");
    if (argv.empty()) throw invalid_input("exec needs a program to run");
    std::vector<const char*> cargv = c_strings(argv);
    std::vector<const char*> cenv = c_strings(options.env);

    mi2_exec_request request{};
    request.struct_size = sizeof request;
    request.argv = cargv.data();
    request.env = options.env.empty() ? nullptr : cenv.data();
    request.cwd = options.cwd.empty() ? nullptr : options.cwd.c_str();
    request.stdin_data = options.stdin_data.data();
    request.stdin_size = options.stdin_data.size();
    request.timeout_ms = options.timeout_ms;
    request.mutating = options.mutating;
    request.stop_signal = options.stop_signal;
    request.kill_grace_ms = options.kill_grace_ms;

    mi2_exec_result raw{};
    raw.struct_size = sizeof raw;
    mi2_status status = services_->exec(context_, &request, &raw);
    ExecResult result;
    result.exit_code = raw.exit_code;
    result.term_signal = raw.term_signal;
    result.timed_out = raw.timed_out;
    result.skipped_dry_run = raw.skipped_dry_run;
    if (raw.stdout_data) result.out.assign(raw.stdout_data, raw.stdout_size);
    if (raw.stderr_data) result.err.assign(raw.stderr_data, raw.stderr_size);
    if (status == MI2_OK) return result;
    std::string what = "'" + argv[0] + "' ";
    if (status == MI2_TIMEOUT) throw Error(status, what + "timed out");
    if (status == MI2_CANCELLED) throw Error(status, what + "was cancelled");
    throw Error(status, what + "could not be run: " + result.err);
  }

  // One HTTP exchange. Throws Error when no response arrived; any HTTP status
  // (including 4xx/5xx) is returned.
  HttpResponse http(const HttpRequest& req) const {
    if (!services_ || !services_->http) throw failed("the host offers no http service");
    std::vector<mi2_http_header> headers;
    for (const auto& [name, value] : req.headers) headers.push_back({name.c_str(), value.c_str()});
    mi2_http_request request{};
    request.struct_size = sizeof request;
    request.method = req.method.c_str();
    request.url = req.url.c_str();
    request.headers = headers.data();
    request.header_count = headers.size();
    request.body = req.body.data();
    request.body_size = req.body.size();
    request.timeout_ms = req.timeout_ms;
    request.mutating = req.mutating;

    mi2_http_response raw{};
    raw.struct_size = sizeof raw;
    mi2_status status = services_->http(context_, &request, &raw);
    if (status != MI2_OK) {
      throw Error(status, req.method + " " + req.url + " got no response" +
                              (status == MI2_TIMEOUT ? " (timed out)" : ""));
    }
    HttpResponse response;
    response.status = raw.status;
    response.skipped_dry_run = raw.skipped_dry_run;
    for (size_t i = 0; i < raw.header_count; ++i)
      response.headers.emplace_back(raw.headers[i].name, raw.headers[i].value);
    if (raw.body) response.body.assign(raw.body, raw.body_size);
    return response;
  }

  // ABI 1.1 services: absent when the host is 1.0 (its table is shorter).
  bool has_processes() const {
    return services_ && MI2_HAS_FIELD(services_, mi2_host_services, free_port) &&
           services_->spawn && services_->process_signal && services_->process_wait &&
           services_->free_port;
  }

  // Starts argv detached; returns its pid (0 when skipped in dry-run).
  int64_t spawn(const std::vector<std::string>& argv, const SpawnOptions& options = {}) const {
    require_processes("spawn");
    if (argv.empty()) throw invalid_input("spawn needs a program to run");
    std::vector<const char*> cargv = c_strings(argv);
    std::vector<const char*> cenv = c_strings(options.env);
    mi2_spawn_request request{};
    request.struct_size = sizeof request;
    request.argv = cargv.data();
    request.env = options.env.empty() ? nullptr : cenv.data();
    request.cwd = options.cwd.empty() ? nullptr : options.cwd.c_str();
    request.log_path = options.log_path.empty() ? nullptr : options.log_path.c_str();
    request.pid_file = options.pid_file.empty() ? nullptr : options.pid_file.c_str();
    mi2_spawn_result result{};
    result.struct_size = sizeof result;
    mi2_status status = services_->spawn(context_, &request, &result);
    if (status != MI2_OK) throw Error(status, "cannot start " + argv[0]);
    return result.pid;
  }

  // True when pid runs and its executable is named `program` ("" : any).
  bool process_alive(int64_t pid, const std::string& program = {}) const {
    require_processes("process_signal");
    if (pid <= 0) return false;
    return services_->process_signal(context_, pid, program.empty() ? nullptr : program.c_str(),
                                     0) == MI2_OK;
  }
  // Sends `signal`; false when the process was not running.
  bool signal_process(int64_t pid, int signal, const std::string& program = {}) const {
    require_processes("process_signal");
    if (pid <= 0) return false;
    return services_->process_signal(context_, pid, program.empty() ? nullptr : program.c_str(),
                                     signal) == MI2_OK;
  }
  // True once the process is gone; false when it still runs after timeout_ms.
  bool wait_process(int64_t pid, uint32_t timeout_ms, const std::string& program = {}) const {
    require_processes("process_wait");
    if (pid <= 0) return true;
    mi2_status status = services_->process_wait(
        context_, pid, program.empty() ? nullptr : program.c_str(), timeout_ms);
    if (status == MI2_CANCELLED)
      throw Error(status, "waiting for process " + std::to_string(pid) + " was cancelled");
    return status == MI2_OK;
  }
  // A loopback TCP port that was free a moment ago.
  uint16_t free_port() const {
    require_processes("free_port");
    uint16_t port = 0;
    mi2_status status = services_->free_port(context_, &port);
    if (status != MI2_OK || port == 0) throw failed("the host found no free loopback port");
    return port;
  }

  const mi2_host_services* services() const { return services_; }
  mi2_host_context* context() const { return context_; }

 private:
  // NULL-terminated pointers into `items` (which must outlive the result).
  static std::vector<const char*> c_strings(const std::vector<std::string>& items) {
    std::vector<const char*> out;
    out.reserve(items.size() + 1);
    for (const auto& item : items) out.push_back(item.c_str());
    out.push_back(nullptr);
    return out;
  }

  void require_processes(const char* service) const {
    if (!has_processes())
      throw not_supported(std::string("this mi2 host offers ABI 1.0 services only, without '") +
                          service + "' (added in 1.1); upgrade mi2 to 0.2 or newer.");
  }

  const mi2_host_services* services_ = nullptr;
  mi2_host_context* context_ = nullptr;
};

}  // namespace mi2::sdk

#endif  // MI2_SDK_HOST_HPP
