// The host side of the service table a plugin calls (log, progress, cancelled,
// exec, http, redact, dry_run). One HostContext per plugin instance; the engine
// sets the per-call settings (dry-run, deadline, observer) before each invoke.
#pragma once

#include <mi2/plugin.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/base/json.h"

namespace mi2 {

class ProcessRunner;
class HttpClient;
class SecretRedactor;

// Receives what a plugin does during a call: for the journal and the dry-run plan.
class StepObserver {
 public:
  virtual ~StepObserver() = default;
  // kind "exec": {argv, cwd, mutating, skipped_dry_run, exit_code, term_signal,
  //               timed_out, stdout, stderr (redacted, truncated to 64 KiB), seconds}
  // kind "http": {method, url, mutating, skipped_dry_run, status, seconds}
  virtual void on_command(const std::string& plugin, const std::string& kind,
                          const Json& record) = 0;
  virtual void on_log(const std::string& plugin, mi2_log_level level,
                      const std::string& message) = 0;
  virtual void on_progress(const std::string& plugin, double fraction, const std::string& message) {
    (void)plugin, (void)fraction, (void)message;
  }
  // True when the observer writes plugin log lines somewhere of its own (a run
  // log): then they are not also sent to the process's logger.
  virtual bool takes_logs() const { return false; }
};

// Shared by every context of one process.
struct HostEnvironment {
  ProcessRunner* runner = nullptr;     // required
  HttpClient* http = nullptr;          // required
  SecretRedactor* redactor = nullptr;  // required
  // The mi2 binary that serves plugins run in their own process (`mi2
  // __plugin-host`); empty: this process's own executable.
  std::string plugin_host;
  // An isolated plugin that has not finished loading (its describe()) or its
  // create within this is killed (kStopGrace later), so a hang there cannot
  // hang the run.
  std::chrono::milliseconds plugin_load_timeout{30000};
};

struct CallSettings {
  bool dry_run = false;
  std::optional<std::chrono::steady_clock::time_point> deadline;
  const std::atomic<bool>* cancel_flag = nullptr;  // set by SIGINT handling
  StepObserver* observer = nullptr;                // may be null
};

class HostContext {
 public:
  HostContext(std::string plugin_name, HostEnvironment environment);
  HostContext(const HostContext&) = delete;
  HostContext& operator=(const HostContext&) = delete;

  void set_call_settings(const CallSettings& settings) { settings_ = settings; }
  const CallSettings& call_settings() const { return settings_; }
  const std::string& plugin_name() const { return plugin_name_; }
  const HostEnvironment& environment() const { return environment_; }

  // true once the cancel flag is set or the deadline has passed.
  bool cancelled() const;

  mi2_host_context* handle() { return reinterpret_cast<mi2_host_context*>(this); }
  static HostContext* from(mi2_host_context* handle) {
    return reinterpret_cast<HostContext*>(handle);
  }

  // Storage behind the pointers handed out by exec/http (valid until the next
  // call of the same service on this context).
  struct Buffers {
    std::string exec_out, exec_err;
    std::string http_body;
    std::vector<std::string> http_header_storage;
    std::vector<mi2_http_header> http_headers;
  };
  Buffers& buffers() { return buffers_; }

 private:
  std::string plugin_name_;
  HostEnvironment environment_;
  CallSettings settings_;
  Buffers buffers_;
};

// The one service table the host passes to every plugin's entry.
const mi2_host_services* host_services();

}  // namespace mi2
