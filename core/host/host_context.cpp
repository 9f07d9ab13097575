#include "core/host/host_context.h"

#include <signal.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "core/base/redactor.h"
#include "core/host/sized_struct.h"
#include "core/sys/detached_process.h"
#include "core/sys/http_client.h"
#include "core/sys/process_runner.h"

namespace mi2 {

HostContext::HostContext(std::string plugin_name, HostEnvironment environment)
    : plugin_name_(std::move(plugin_name)), environment_(environment) {}

bool HostContext::cancelled() const {
  if (settings_.cancel_flag && settings_.cancel_flag->load()) return true;
  return settings_.deadline && std::chrono::steady_clock::now() >= *settings_.deadline;
}

namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kCapturedOutputLimit = 64 * 1024;
constexpr std::chrono::milliseconds kDefaultHttpTimeout{30000};

std::string redact(const HostContext& ctx, std::string_view text) {
  std::string result =
      ctx.environment().redactor ? ctx.environment().redactor->apply(text) : std::string(text);
  return SecretRedactor::global().apply(result);
}

// Captured output may be binary or cut mid-character; the journal is JSON, so
// every invalid UTF-8 sequence becomes U+FFFD.
std::string valid_utf8(std::string_view text) {
  std::string result;
  result.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    size_t length = c < 0x80           ? 1
                    : (c >> 5) == 0x6  ? 2
                    : (c >> 4) == 0xE  ? 3
                    : (c >> 3) == 0x1E ? 4
                                       : 0;
    bool ok = length > 0 && i + length <= text.size();
    for (size_t k = 1; ok && k < length; ++k)
      ok = (static_cast<unsigned char>(text[i + k]) >> 6) == 0x2;
    if (ok && length == 2 && c < 0xC2) ok = false;  // overlong
    if (!ok) {
      result += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    result.append(text.substr(i, length));
    i += length;
  }
  return result;
}

// Redacted first, so a cut can never leave half a secret visible.
std::string for_journal(const HostContext& ctx, std::string_view output) {
  std::string text = redact(ctx, output);
  if (text.size() > kCapturedOutputLimit) {
    size_t dropped = text.size() - kCapturedOutputLimit;
    text.resize(kCapturedOutputLimit);
    text += "\n[... " + std::to_string(dropped) + " more bytes not kept]";
  }
  return valid_utf8(text);
}

spdlog::level::level_enum spdlog_level(mi2_log_level level) {
  switch (level) {
    case MI2_LOG_DEBUG:
      return spdlog::level::debug;
    case MI2_LOG_WARN:
      return spdlog::level::warn;
    case MI2_LOG_ERROR:
      return spdlog::level::err;
    default:
      return spdlog::level::info;
  }
}

void log_line(HostContext& ctx, mi2_log_level level, std::string_view message) {
  std::string text = valid_utf8(redact(ctx, message));
  StepObserver* observer = ctx.call_settings().observer;
  if (auto logger = spdlog::default_logger(); logger && !(observer && observer->takes_logs()))
    logger->log(spdlog_level(level), "{}: {}", ctx.plugin_name(), text);
  if (observer) observer->on_log(ctx.plugin_name(), level, text);
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The time a call may take: the request's own limit, capped by the step's
// deadline. Zero means no limit; nullopt means the deadline already passed.
std::optional<std::chrono::milliseconds> effective_timeout(const HostContext& ctx,
                                                           std::chrono::milliseconds own) {
  const auto& deadline = ctx.call_settings().deadline;
  if (!deadline) return own;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now());
  if (left.count() <= 0) return std::nullopt;
  if (own.count() == 0 || left < own) return left;
  return own;
}

std::vector<std::string> string_list(const char* const* items) {
  std::vector<std::string> result;
  if (!items) return result;
  for (const char* const* item = items; *item; ++item) result.emplace_back(*item);
  return result;
}

// The user asked to stop (the deadline is handled as a timeout instead).
bool cancel_requested(const HostContext& ctx) {
  const auto* flag = ctx.call_settings().cancel_flag;
  return flag && flag->load();
}

void record(HostContext& ctx, const char* kind, const Json& record) {
  if (ctx.call_settings().observer)
    ctx.call_settings().observer->on_command(ctx.plugin_name(), kind, record);
}

mi2_status exec_impl(HostContext& ctx, const mi2_exec_request* raw_request,
                     mi2_exec_result* raw_result) {
  if (!raw_request || !raw_result || raw_result->struct_size < sizeof(uint32_t))
    return MI2_INVALID_INPUT;
  mi2_exec_request request = read_sized(raw_request);
  mi2_exec_result result;
  std::memset(&result, 0, sizeof result);
  result.exit_code = -1;
  auto& buffers = ctx.buffers();
  auto publish = [&](mi2_status status) {
    result.stdout_data = buffers.exec_out.data();
    result.stdout_size = buffers.exec_out.size();
    result.stderr_data = buffers.exec_err.data();
    result.stderr_size = buffers.exec_err.size();
    write_sized(raw_result, result);
    return status;
  };
  buffers.exec_out.clear();
  buffers.exec_err.clear();

  if (!MI2_HAS_FIELD(&request, mi2_exec_request, argv) || !request.argv || !request.argv[0] ||
      !request.argv[0][0]) {
    buffers.exec_err = "the exec request has no program to run (argv is empty)";
    return publish(MI2_INVALID_INPUT);
  }

  ProcessRequest process;
  process.argv = string_list(request.argv);
  process.env = string_list(request.env);
  if (request.cwd) process.cwd = request.cwd;
  if (request.stdin_data) process.stdin_data.assign(request.stdin_data, request.stdin_size);
  const std::string& program = process.argv[0];

  Json entry = {{"argv", Json::array()},
                {"cwd", process.cwd.empty() ? Json(nullptr) : Json(redact(ctx, process.cwd))},
                {"mutating", request.mutating},
                {"skipped_dry_run", false}};
  for (const auto& arg : process.argv) entry["argv"].push_back(valid_utf8(redact(ctx, arg)));
  Clock::time_point start = Clock::now();
  auto finish = [&](mi2_status status, const ProcessResult& ran) {
    entry["exit_code"] = ran.exit_code;
    entry["term_signal"] = ran.term_signal;
    entry["timed_out"] = ran.timed_out;
    entry["stdout"] = for_journal(ctx, ran.out);
    entry["stderr"] = for_journal(ctx, ran.spawn_error.empty() ? ran.err : ran.spawn_error);
    entry["seconds"] = seconds_since(start);
    record(ctx, "exec", entry);
    return publish(status);
  };

  if (cancel_requested(ctx)) {
    buffers.exec_err = "'" + program + "' was not run: the run was cancelled";
    ProcessResult none;
    none.spawn_error = buffers.exec_err;
    return finish(MI2_CANCELLED, none);
  }
  if (ctx.call_settings().dry_run && request.mutating) {
    entry["skipped_dry_run"] = true;
    result.exit_code = 0;
    result.skipped_dry_run = true;
    ProcessResult skipped;
    skipped.exit_code = 0;
    return finish(MI2_OK, skipped);
  }
  auto timeout = effective_timeout(ctx, std::chrono::milliseconds(request.timeout_ms));
  if (!timeout) {
    buffers.exec_err = "'" + program + "' was not run: the step's deadline has passed";
    result.timed_out = true;
    ProcessResult none;
    none.timed_out = true;
    none.spawn_error = buffers.exec_err;
    return finish(MI2_TIMEOUT, none);
  }
  process.timeout = *timeout;
  process.cancelled = [&ctx] { return cancel_requested(ctx); };
  if (request.stop_signal > 0 && request.stop_signal < 65)
    process.stop_signal = request.stop_signal;
  if (request.kill_grace_ms > 0)
    process.kill_grace = std::chrono::milliseconds(request.kill_grace_ms);

  // Debug detail for -v only; the observer gets the command as a record instead.
  if (auto logger = spdlog::default_logger())
    logger->debug("{}: running {}", ctx.plugin_name(), entry["argv"].dump());
  ProcessResult ran = ctx.environment().runner->run(process);
  buffers.exec_out = ran.out;
  buffers.exec_err = ran.started() ? ran.err : ran.spawn_error;
  result.exit_code = ran.exit_code;
  result.term_signal = ran.term_signal;
  result.timed_out = ran.timed_out;
  if (!ran.started()) {
    log_line(ctx, MI2_LOG_ERROR, ran.spawn_error);
    return finish(MI2_FAILED, ran);
  }
  if (ran.timed_out) return finish(MI2_TIMEOUT, ran);
  if (ran.cancelled) return finish(MI2_CANCELLED, ran);
  return finish(MI2_OK, ran);
}

bool valid_url(std::string_view url) {
  return url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
}

mi2_status http_impl(HostContext& ctx, const mi2_http_request* raw_request,
                     mi2_http_response* raw_response) {
  if (!raw_request || !raw_response || raw_response->struct_size < sizeof(uint32_t))
    return MI2_INVALID_INPUT;
  mi2_http_request request = read_sized(raw_request);
  mi2_http_response response;
  std::memset(&response, 0, sizeof response);
  auto& buffers = ctx.buffers();
  buffers.http_body.clear();
  buffers.http_header_storage.clear();
  buffers.http_headers.clear();
  auto publish = [&](mi2_status status) {
    response.headers = buffers.http_headers.data();
    response.header_count = buffers.http_headers.size();
    response.body = buffers.http_body.data();
    response.body_size = buffers.http_body.size();
    write_sized(raw_response, response);
    return status;
  };

  if (!MI2_HAS_FIELD(&request, mi2_http_request, url) || !request.method || !request.url ||
      !request.method[0] || !valid_url(request.url)) {
    log_line(ctx, MI2_LOG_ERROR,
             "an http request needs a method and an absolute http:// or https:// URL");
    return publish(MI2_INVALID_INPUT);
  }
  HttpRequest http;
  http.method = request.method;
  http.url = request.url;
  if (request.headers) {
    for (size_t i = 0; i < request.header_count; ++i) {
      const mi2_http_header& h = request.headers[i];
      if (!h.name) return publish(MI2_INVALID_INPUT);
      http.headers.emplace_back(h.name, h.value ? h.value : "");
    }
  }
  if (request.body) http.body.assign(request.body, request.body_size);

  Json entry = {{"method", http.method},
                {"url", valid_utf8(redact(ctx, http.url))},
                {"mutating", request.mutating},
                {"skipped_dry_run", false}};
  Clock::time_point start = Clock::now();
  auto finish = [&](mi2_status status, const std::string& error) {
    entry["status"] = response.status;
    if (!error.empty()) entry["error"] = valid_utf8(redact(ctx, error));
    entry["seconds"] = seconds_since(start);
    record(ctx, "http", entry);
    return publish(status);
  };

  if (cancel_requested(ctx)) return finish(MI2_CANCELLED, "not sent: the run was cancelled");
  if (ctx.call_settings().dry_run && request.mutating) {
    entry["skipped_dry_run"] = true;
    response.skipped_dry_run = true;
    return finish(MI2_OK, "");
  }
  auto own =
      request.timeout_ms ? std::chrono::milliseconds(request.timeout_ms) : kDefaultHttpTimeout;
  auto timeout = effective_timeout(ctx, own);
  if (!timeout) return finish(MI2_TIMEOUT, "not sent: the step's deadline has passed");
  http.timeout = timeout->count() == 0 ? kDefaultHttpTimeout : *timeout;

  http.cancelled = [&ctx] { return cancel_requested(ctx); };
  HttpResponse got = ctx.environment().http->send(http);
  if (!got.error.empty()) {
    log_line(ctx, MI2_LOG_WARN, http.method + " " + http.url + ": " + got.error);
    mi2_status status = got.cancelled || cancel_requested(ctx) ? MI2_CANCELLED
                        : got.timed_out                        ? MI2_TIMEOUT
                                                               : MI2_RETRYABLE;
    return finish(status, got.error);
  }
  response.status = got.status;
  buffers.http_body = std::move(got.body);
  // Strings first, pointers after: the vector of strings must not move again.
  buffers.http_header_storage.reserve(got.headers.size() * 2);
  for (auto& [name, value] : got.headers) {
    buffers.http_header_storage.push_back(std::move(name));
    buffers.http_header_storage.push_back(std::move(value));
  }
  for (size_t i = 0; i + 1 < buffers.http_header_storage.size(); i += 2)
    buffers.http_headers.push_back(
        {buffers.http_header_storage[i].c_str(), buffers.http_header_storage[i + 1].c_str()});
  return finish(MI2_OK, "");
}

// The thunks: C entry points; nothing may throw through them.
void log_thunk(mi2_host_context* handle, mi2_log_level level, const char* message) {
  if (!handle || !message) return;
  try {
    log_line(*HostContext::from(handle), level, message);
  } catch (...) {
  }
}

void progress_thunk(mi2_host_context* handle, double fraction, const char* message) {
  if (!handle) return;
  try {
    HostContext& ctx = *HostContext::from(handle);
    std::string text = message ? valid_utf8(redact(ctx, message)) : std::string();
    if (ctx.call_settings().observer)
      ctx.call_settings().observer->on_progress(ctx.plugin_name(), fraction, text);
  } catch (...) {
  }
}

bool cancelled_thunk(mi2_host_context* handle) {
  return handle && HostContext::from(handle)->cancelled();
}

mi2_status exec_thunk(mi2_host_context* handle, const mi2_exec_request* request,
                      mi2_exec_result* result) {
  if (!handle) return MI2_INVALID_INPUT;
  try {
    return exec_impl(*HostContext::from(handle), request, result);
  } catch (...) {
    return MI2_FAILED;
  }
}

mi2_status http_thunk(mi2_host_context* handle, const mi2_http_request* request,
                      mi2_http_response* response) {
  if (!handle) return MI2_INVALID_INPUT;
  try {
    return http_impl(*HostContext::from(handle), request, response);
  } catch (...) {
    return MI2_FAILED;
  }
}

void redact_thunk(mi2_host_context* handle, const char* secret) {
  if (!secret) return;
  try {
    if (handle && HostContext::from(handle)->environment().redactor)
      HostContext::from(handle)->environment().redactor->add(secret);
    SecretRedactor::global().add(secret);
  } catch (...) {
  }
}

bool dry_run_thunk(mi2_host_context* handle) {
  return handle && HostContext::from(handle)->call_settings().dry_run;
}

mi2_status spawn_impl(HostContext& ctx, const mi2_spawn_request* raw_request,
                      mi2_spawn_result* raw_result) {
  if (!raw_request || !raw_result || raw_result->struct_size < sizeof(uint32_t))
    return MI2_INVALID_INPUT;
  mi2_spawn_request request = read_sized(raw_request);
  mi2_spawn_result result;
  std::memset(&result, 0, sizeof result);
  if (!request.argv || !request.argv[0] || !request.argv[0][0]) return MI2_INVALID_INPUT;
  DetachedRequest detached;
  detached.argv = string_list(request.argv);
  detached.env = string_list(request.env);
  if (request.cwd) detached.cwd = request.cwd;
  if (request.log_path) detached.log_path = request.log_path;
  if (request.pid_file) detached.pid_file = request.pid_file;
  Json entry = {{"argv", Json::array()},
                {"detached", true},
                {"mutating", true},
                {"skipped_dry_run", ctx.call_settings().dry_run}};
  for (const auto& arg : detached.argv) entry["argv"].push_back(valid_utf8(redact(ctx, arg)));
  if (ctx.call_settings().dry_run) {
    record(ctx, "exec", entry);
    result.skipped_dry_run = true;
    write_sized(raw_result, result);
    return MI2_OK;
  }
  std::string error;
  pid_t pid = spawn_detached(detached, error);
  entry["pid"] = pid;
  if (pid <= 0) entry["stderr"] = error;
  record(ctx, "exec", entry);
  if (pid <= 0) {
    log_line(ctx, MI2_LOG_ERROR, error);
    return MI2_FAILED;
  }
  result.pid = pid;
  write_sized(raw_result, result);
  return MI2_OK;
}

mi2_status spawn_thunk(mi2_host_context* handle, const mi2_spawn_request* request,
                       mi2_spawn_result* result) {
  if (!handle) return MI2_INVALID_INPUT;
  try {
    return spawn_impl(*HostContext::from(handle), request, result);
  } catch (...) {
    return MI2_FAILED;
  }
}

mi2_status process_signal_thunk(mi2_host_context* handle, int64_t pid, const char* program,
                                int32_t signal) {
  if (!handle || pid <= 0 || signal < 0 || signal > 64) return MI2_INVALID_INPUT;
  try {
    HostContext& ctx = *HostContext::from(handle);
    std::string name = program ? program : "";
    if (!process_alive(static_cast<pid_t>(pid), name)) return MI2_FAILED;
    if (signal == 0) return MI2_OK;
    record(ctx, "signal",
           Json{{"pid", pid},
                {"signal", signal},
                {"mutating", true},
                {"skipped_dry_run", ctx.call_settings().dry_run}});
    if (ctx.call_settings().dry_run) return MI2_OK;
    return ::kill(static_cast<pid_t>(pid), signal) == 0 ? MI2_OK : MI2_FAILED;
  } catch (...) {
    return MI2_FAILED;
  }
}

mi2_status process_wait_thunk(mi2_host_context* handle, int64_t pid, const char* program,
                              uint32_t timeout_ms) {
  if (!handle || pid <= 0) return MI2_INVALID_INPUT;
  try {
    HostContext& ctx = *HostContext::from(handle);
    bool gone = wait_process_gone(static_cast<pid_t>(pid), program ? program : "",
                                  std::chrono::milliseconds(timeout_ms),
                                  [&ctx] { return cancel_requested(ctx); });
    if (gone) return MI2_OK;
    return cancel_requested(ctx) ? MI2_CANCELLED : MI2_TIMEOUT;
  } catch (...) {
    return MI2_FAILED;
  }
}

mi2_status free_port_thunk(mi2_host_context* handle, uint16_t* port) {
  if (!handle || !port) return MI2_INVALID_INPUT;
  *port = free_loopback_port();
  return *port ? MI2_OK : MI2_FAILED;
}

}  // namespace

const mi2_host_services* host_services() {
  static const mi2_host_services services = {sizeof(mi2_host_services),
                                             &log_thunk,
                                             &progress_thunk,
                                             &cancelled_thunk,
                                             &exec_thunk,
                                             &http_thunk,
                                             &redact_thunk,
                                             &dry_run_thunk,
                                             &spawn_thunk,
                                             &process_signal_thunk,
                                             &process_wait_thunk,
                                             &free_port_thunk};
  return &services;
}

}  // namespace mi2
