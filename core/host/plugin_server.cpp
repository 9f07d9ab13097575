#include "core/host/plugin_server.h"

#include <mi2/plugin.h>

#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/host/plugin_loader.h"
#include "core/host/plugin_protocol.h"
#include "core/host/plugin_status.h"
#include "core/host/sized_struct.h"
#include "core/sys/connected_child.h"

namespace mi2 {
namespace {

using plugin_protocol::decode;
using plugin_protocol::encode;
using plugin_protocol::strings_or_null;
using plugin_protocol::text_or_null;

// This process's one channel to its parent, and the storage behind what the
// forwarders hand back to the plugin. A plugin server serves one instance, so
// this state is the process's.
struct Channel {
  int fd = -1;
  std::mutex mutex;      // one exchange at a time, whatever thread the plugin calls from
  bool in_call = false;  // a create, invoke or destroy runs: the parent listens
  bool broken = false;   // the parent is gone
  bool dry_run = false;  // of the running invoke
  std::string exec_out, exec_err, http_body;
  std::vector<std::string> header_text;
  std::vector<mi2_http_header> headers;
};

Channel& channel() {
  static auto* state = new Channel();  // never destroyed: a plugin thread may outlive main
  return *state;
}

constexpr const char* kParentGone = "the mi2 process this plugin serves is gone";

// Sends one of the protocol's answers (hello, created, result, ...).
bool answer(const Json& message) {
  Channel& c = channel();
  std::lock_guard lock(c.mutex);
  if (c.broken || !write_frame(c.fd, encode(message))) c.broken = true;
  return !c.broken;
}

void set_in_call(bool in_call, bool dry_run = false) {
  std::lock_guard lock(channel().mutex);
  channel().in_call = in_call;
  channel().dry_run = dry_run;
}

// A service notice that needs no answer; dropped when the parent does not listen.
void notify(const Json& message) {
  Channel& c = channel();
  std::lock_guard lock(c.mutex);
  if (!c.in_call || c.broken) return;
  if (!write_frame(c.fd, encode(message))) c.broken = true;
}

// A service call and its reply; nullopt when the parent is gone or does not
// listen (a call from a plugin thread outside create, invoke and destroy).
std::optional<Json> call(Json message) {
  Channel& c = channel();
  std::lock_guard lock(c.mutex);
  if (!c.in_call || c.broken) return std::nullopt;
  message["op"] = "call";
  std::string frame;
  std::optional<Json> reply;
  if (write_frame(c.fd, encode(message)) && read_frame(c.fd, frame) == FrameRead::kFrame)
    reply = decode(frame);
  if (!reply || reply->value("op", "") != "reply") {
    c.broken = true;
    return std::nullopt;
  }
  return reply;
}

// No reply: cancelled when the parent is gone (stop working), else failed.
mi2_status status_of(const std::optional<Json>& reply) {
  if (!reply) return channel().broken ? MI2_CANCELLED : MI2_FAILED;
  return known_status(reply->value("status", static_cast<int>(MI2_FAILED)));
}

Json bytes_or_null(const char* data, size_t size) {
  return data ? Json(std::string(data, size)) : Json(nullptr);
}

void log_forward(mi2_host_context* ctx, mi2_log_level level, const char* message) {
  if (!ctx || !message) return;
  try {
    notify({{"op", "log"}, {"level", static_cast<int>(level)}, {"message", message}});
  } catch (...) {
  }
}

void progress_forward(mi2_host_context* ctx, double fraction, const char* message) {
  if (!ctx) return;
  try {
    notify({{"op", "progress"}, {"fraction", fraction}, {"message", text_or_null(message)}});
  } catch (...) {
  }
}

void redact_forward(mi2_host_context* ctx, const char* secret) {
  (void)ctx;
  if (!secret) return;
  try {
    notify({{"op", "redact"}, {"secret", secret}});
  } catch (...) {
  }
}

bool cancelled_forward(mi2_host_context* ctx) {
  if (!ctx) return false;
  try {
    auto reply = call({{"service", "cancelled"}});
    return !reply || reply->value("cancelled", true);
  } catch (...) {
    return true;
  }
}

bool dry_run_forward(mi2_host_context* ctx) {
  std::lock_guard lock(channel().mutex);
  return ctx && channel().dry_run;
}

mi2_status exec_forward(mi2_host_context* ctx, const mi2_exec_request* raw_request,
                        mi2_exec_result* raw_result) {
  if (!ctx || !raw_request || !raw_result || raw_result->struct_size < sizeof(uint32_t))
    return MI2_INVALID_INPUT;
  try {
    mi2_exec_request request = read_sized(raw_request);
    auto reply = call({{"service", "exec"},
                       {"argv", strings_or_null(request.argv)},
                       {"env", strings_or_null(request.env)},
                       {"cwd", text_or_null(request.cwd)},
                       {"stdin", bytes_or_null(request.stdin_data, request.stdin_size)},
                       {"timeout_ms", request.timeout_ms},
                       {"mutating", request.mutating},
                       {"stop_signal", request.stop_signal},
                       {"kill_grace_ms", request.kill_grace_ms}});
    Channel& c = channel();
    mi2_exec_result result;
    std::memset(&result, 0, sizeof result);
    result.exit_code = reply ? reply->value("exit_code", -1) : -1;
    result.term_signal = reply ? reply->value("term_signal", 0) : 0;
    result.timed_out = reply && reply->value("timed_out", false);
    result.skipped_dry_run = reply && reply->value("skipped_dry_run", false);
    c.exec_out = reply ? reply->value("stdout", "") : "";
    c.exec_err = reply ? reply->value("stderr", "") : kParentGone;
    result.stdout_data = c.exec_out.data();
    result.stdout_size = c.exec_out.size();
    result.stderr_data = c.exec_err.data();
    result.stderr_size = c.exec_err.size();
    write_sized(raw_result, result);
    return status_of(reply);
  } catch (...) {
    return MI2_FAILED;
  }
}

Json headers_of(const mi2_http_request& request) {
  if (!request.headers) return nullptr;
  Json list = Json::array();
  for (size_t i = 0; i < request.header_count; ++i)
    list.push_back({text_or_null(request.headers[i].name), text_or_null(request.headers[i].value)});
  return list;
}

// Keeps the reply's headers and body where the plugin's response points.
void publish_http(const Json& reply, mi2_http_response& response) {
  Channel& c = channel();
  c.http_body = reply.value("body", "");
  c.header_text.clear();
  c.headers.clear();
  for (const auto& pair : reply.value("headers", Json::array()))
    for (const auto& text : pair) c.header_text.push_back(text.get<std::string>());
  for (size_t i = 0; i + 1 < c.header_text.size(); i += 2)
    c.headers.push_back({c.header_text[i].c_str(), c.header_text[i + 1].c_str()});
  response.status = reply.value("http_status", 0);
  response.skipped_dry_run = reply.value("skipped_dry_run", false);
  response.headers = c.headers.data();
  response.header_count = c.headers.size();
  response.body = c.http_body.data();
  response.body_size = c.http_body.size();
}

mi2_status http_forward(mi2_host_context* ctx, const mi2_http_request* raw_request,
                        mi2_http_response* raw_response) {
  if (!ctx || !raw_request || !raw_response || raw_response->struct_size < sizeof(uint32_t))
    return MI2_INVALID_INPUT;
  try {
    mi2_http_request request = read_sized(raw_request);
    auto reply = call({{"service", "http"},
                       {"method", text_or_null(request.method)},
                       {"url", text_or_null(request.url)},
                       {"headers", headers_of(request)},
                       {"body", bytes_or_null(request.body, request.body_size)},
                       {"timeout_ms", request.timeout_ms},
                       {"mutating", request.mutating}});
    mi2_http_response response;
    std::memset(&response, 0, sizeof response);
    publish_http(reply ? *reply : Json::object(), response);
    write_sized(raw_response, response);
    return status_of(reply);
  } catch (...) {
    return MI2_FAILED;
  }
}

mi2_status spawn_forward(mi2_host_context* ctx, const mi2_spawn_request* raw_request,
                         mi2_spawn_result* raw_result) {
  if (!ctx || !raw_request || !raw_result || raw_result->struct_size < sizeof(uint32_t))
    return MI2_INVALID_INPUT;
  try {
    mi2_spawn_request request = read_sized(raw_request);
    auto reply = call({{"service", "spawn"},
                       {"argv", strings_or_null(request.argv)},
                       {"env", strings_or_null(request.env)},
                       {"cwd", text_or_null(request.cwd)},
                       {"log_path", text_or_null(request.log_path)},
                       {"pid_file", text_or_null(request.pid_file)}});
    mi2_spawn_result result;
    std::memset(&result, 0, sizeof result);
    result.pid = reply ? reply->value("pid", int64_t{0}) : 0;
    result.skipped_dry_run = reply && reply->value("skipped_dry_run", false);
    write_sized(raw_result, result);
    return status_of(reply);
  } catch (...) {
    return MI2_FAILED;
  }
}

mi2_status process_signal_forward(mi2_host_context* ctx, int64_t pid, const char* program,
                                  int32_t signal) {
  if (!ctx) return MI2_INVALID_INPUT;
  try {
    return status_of(call({{"service", "process_signal"},
                           {"pid", pid},
                           {"program", text_or_null(program)},
                           {"signal", signal}}));
  } catch (...) {
    return MI2_FAILED;
  }
}

mi2_status process_wait_forward(mi2_host_context* ctx, int64_t pid, const char* program,
                                uint32_t timeout_ms) {
  if (!ctx) return MI2_INVALID_INPUT;
  try {
    return status_of(call({{"service", "process_wait"},
                           {"pid", pid},
                           {"program", text_or_null(program)},
                           {"timeout_ms", timeout_ms}}));
  } catch (...) {
    return MI2_FAILED;
  }
}

mi2_status free_port_forward(mi2_host_context* ctx, uint16_t* port) {
  if (!ctx || !port) return MI2_INVALID_INPUT;
  try {
    auto reply = call({{"service", "free_port"}});
    *port = reply ? reply->value("port", uint16_t{0}) : 0;
    return status_of(reply);
  } catch (...) {
    return MI2_FAILED;
  }
}

const mi2_host_services* forwarding_services() {
  static const mi2_host_services services = {
      sizeof(mi2_host_services), &log_forward,          &progress_forward,
      &cancelled_forward,        &exec_forward,         &http_forward,
      &redact_forward,           &dry_run_forward,      &spawn_forward,
      &process_signal_forward,   &process_wait_forward, &free_port_forward};
  return &services;
}

// Runs the parent's requests against the one plugin instance.
class Server {
 public:
  explicit Server(const mi2_plugin_api* api) : api_(api) {}

  // Answers one request; false when the server should end.
  bool handle(const Json& request) {
    std::string op = request.value("op", "");
    if (op == "create") return answer(create(request.value("config", "{}")));
    if (op == "invoke") return answer(invoke(request));
    if (op == "destroy") {
      set_in_call(true);
      if (instance_) api_->destroy(instance_);
      instance_ = nullptr;
      set_in_call(false);
      answer({{"op", "destroyed"}});
    }
    return false;  // destroy, or a request this server does not know
  }

 private:
  mi2_host_context* context() { return reinterpret_cast<mi2_host_context*>(&context_tag_); }

  Json create(const std::string& config) {
    set_in_call(true);
    mi2_status status = known_status(api_->create(context(), config.c_str(), &instance_));
    std::string error;
    if (status != MI2_OK && instance_) {
      const char* reason = api_->last_error(instance_);
      error = reason ? reason : "";
      api_->destroy(instance_);
      instance_ = nullptr;
    }
    set_in_call(false);
    return {{"op", "created"},
            {"status", status},
            {"error", error},
            {"instance", instance_ != nullptr}};
  }

  Json invoke(const Json& request) {
    if (!instance_)
      return {{"op", "result"},
              {"status", MI2_FAILED},
              {"error", "the plugin has no instance: its create failed"}};
    std::string role = request.value("role", ""), action = request.value("action", "");
    std::string input = request.value("input", "{}");
    const char* output = nullptr;
    set_in_call(true, request.value("dry_run", false));
    mi2_status status =
        known_status(api_->invoke(instance_, role.c_str(), action.c_str(), input.c_str(), &output));
    std::string error;
    if (status != MI2_OK) {
      const char* reason = api_->last_error(instance_);
      error = reason ? reason : "";
    }
    set_in_call(false);
    return {
        {"op", "result"}, {"status", status}, {"output", text_or_null(output)}, {"error", error}};
  }

  const mi2_plugin_api* api_;
  mi2_plugin_instance* instance_ = nullptr;
  char context_tag_ = 0;  // its address is the context handle the plugin passes back
};

}  // namespace

int serve_plugin(const std::filesystem::path& plugin_file, int fd) {
  channel().fd = fd;
  end_with_parent();
  PluginLoader loader({}, forwarding_services());
  auto plugin = loader.load_file(plugin_file);
  if (!plugin) {
    answer({{"op", "refused"}, {"error", plugin.message()}});
    return 1;
  }
  if (!answer({{"op", "hello"}, {"describe", (*plugin)->description().describe_json}})) return 0;
  Server server((*plugin)->api());
  std::string frame;
  while (read_frame(fd, frame) == FrameRead::kFrame) {
    auto request = decode(frame);
    if (!request || !server.handle(*request)) break;
  }
  return 0;
}

}  // namespace mi2
