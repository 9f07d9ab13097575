#include "core/host/service_calls.h"

#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/host/plugin_protocol.h"

namespace mi2 {
namespace {

using plugin_protocol::text_field;

// A NULL-terminated C string array over a JSON list (NULL for null).
class CStrings {
 public:
  explicit CStrings(const Json& list) {
    if (list.is_null()) return;
    for (const auto& item : list) storage_.push_back(item.get<std::string>());
    for (const auto& item : storage_) pointers_.push_back(item.c_str());
    pointers_.push_back(nullptr);
  }
  const char* const* get() const { return pointers_.empty() ? nullptr : pointers_.data(); }

 private:
  std::vector<std::string> storage_;
  std::vector<const char*> pointers_;
};

const Json& field(const Json& message, const char* name) {
  static const Json kNull;
  auto found = message.find(name);
  return found == message.end() ? kNull : *found;
}

// A zeroed exec or spawn request of this build's size with the command the
// call names: argv, env (kept alive by the caller's CStrings) and cwd.
template <typename Request>
Request command_request(const Json& call, const CStrings& argv, const CStrings& env) {
  Request request;
  std::memset(&request, 0, sizeof request);
  request.struct_size = sizeof request;
  request.argv = argv.get();
  request.env = env.get();
  request.cwd = text_field(call, "cwd");
  return request;
}

Json exec(HostContext& context, const Json& call) {
  CStrings argv(field(call, "argv")), env(field(call, "env"));
  const Json& stdin_data = field(call, "stdin");
  auto request = command_request<mi2_exec_request>(call, argv, env);
  if (stdin_data.is_string()) {
    request.stdin_data = stdin_data.get_ref<const std::string&>().data();
    request.stdin_size = stdin_data.get_ref<const std::string&>().size();
  }
  request.timeout_ms = call.value("timeout_ms", 0u);
  request.mutating = call.value("mutating", false);
  request.stop_signal = call.value("stop_signal", 0);
  request.kill_grace_ms = call.value("kill_grace_ms", 0u);
  mi2_exec_result result;
  std::memset(&result, 0, sizeof result);
  result.struct_size = sizeof result;
  mi2_status status = host_services()->exec(context.handle(), &request, &result);
  auto bytes = [](const char* data, size_t size) {
    return data ? std::string(data, size) : std::string();
  };
  return {{"status", status},
          {"exit_code", result.exit_code},
          {"term_signal", result.term_signal},
          {"timed_out", result.timed_out},
          {"skipped_dry_run", result.skipped_dry_run},
          {"stdout", bytes(result.stdout_data, result.stdout_size)},
          {"stderr", bytes(result.stderr_data, result.stderr_size)}};
}

// The request's headers as C structs; a null name stays NULL (the host refuses it).
class CHeaders {
 public:
  explicit CHeaders(const Json& headers) {
    if (!headers.is_array()) return;
    for (const auto& pair : headers) {
      named_.push_back(!pair.at(0).is_null());
      names_.push_back(named_.back() ? pair.at(0).get<std::string>() : std::string());
      values_.push_back(pair.at(1).is_null() ? std::string() : pair.at(1).get<std::string>());
    }
    for (size_t i = 0; i < names_.size(); ++i)
      list_.push_back({named_[i] ? names_[i].c_str() : nullptr, values_[i].c_str()});
    present_ = true;
  }
  const mi2_http_header* get() const { return present_ ? list_.data() : nullptr; }
  size_t size() const { return list_.size(); }

 private:
  bool present_ = false;
  std::vector<bool> named_;
  std::vector<std::string> names_, values_;
  std::vector<mi2_http_header> list_;
};

Json http(HostContext& context, const Json& call) {
  CHeaders headers(field(call, "headers"));
  const Json& body = field(call, "body");
  mi2_http_request request;
  std::memset(&request, 0, sizeof request);
  request.struct_size = sizeof request;
  request.method = text_field(call, "method");
  request.url = text_field(call, "url");
  request.headers = headers.get();
  request.header_count = headers.size();
  if (body.is_string()) {
    request.body = body.get_ref<const std::string&>().data();
    request.body_size = body.get_ref<const std::string&>().size();
  }
  request.timeout_ms = call.value("timeout_ms", 0u);
  request.mutating = call.value("mutating", false);
  mi2_http_response response;
  std::memset(&response, 0, sizeof response);
  response.struct_size = sizeof response;
  mi2_status status = host_services()->http(context.handle(), &request, &response);
  Json reply_headers = Json::array();
  for (size_t i = 0; response.headers && i < response.header_count; ++i)
    reply_headers.push_back({response.headers[i].name, response.headers[i].value});
  return {{"status", status},
          {"http_status", response.status},
          {"headers", reply_headers},
          {"body", response.body ? std::string(response.body, response.body_size) : ""},
          {"skipped_dry_run", response.skipped_dry_run}};
}

Json spawn(HostContext& context, const Json& call) {
  CStrings argv(field(call, "argv")), env(field(call, "env"));
  auto request = command_request<mi2_spawn_request>(call, argv, env);
  request.log_path = text_field(call, "log_path");
  request.pid_file = text_field(call, "pid_file");
  mi2_spawn_result result;
  std::memset(&result, 0, sizeof result);
  result.struct_size = sizeof result;
  mi2_status status = host_services()->spawn(context.handle(), &request, &result);
  return {{"status", status}, {"pid", result.pid}, {"skipped_dry_run", result.skipped_dry_run}};
}

}  // namespace

Json answer_service_call(HostContext& context, const Json& call) {
  const std::string& service = call.at("service").get_ref<const std::string&>();
  const mi2_host_services* services = host_services();
  mi2_host_context* handle = context.handle();
  Json reply;
  if (service == "cancelled") {
    reply = {{"cancelled", services->cancelled(handle)}};
  } else if (service == "exec") {
    reply = exec(context, call);
  } else if (service == "http") {
    reply = http(context, call);
  } else if (service == "spawn") {
    reply = spawn(context, call);
  } else if (service == "process_signal") {
    reply = {{"status", services->process_signal(handle, call.at("pid").get<int64_t>(),
                                                 text_field(call, "program"),
                                                 call.at("signal").get<int32_t>())}};
  } else if (service == "process_wait") {
    reply = {{"status", services->process_wait(handle, call.at("pid").get<int64_t>(),
                                               text_field(call, "program"),
                                               call.at("timeout_ms").get<uint32_t>())}};
  } else if (service == "free_port") {
    uint16_t port = 0;
    reply = {{"status", services->free_port(handle, &port)}, {"port", port}};
  } else {
    throw std::runtime_error("unknown service '" + service + "'");
  }
  reply["op"] = "reply";
  return reply;
}

bool take_service_notice(HostContext& context, const Json& notice) {
  const std::string& op = notice.at("op").get_ref<const std::string&>();
  const mi2_host_services* services = host_services();
  if (op == "log") {
    int level = notice.at("level").get<int>();
    if (level < MI2_LOG_DEBUG || level > MI2_LOG_ERROR) level = MI2_LOG_INFO;
    services->log(context.handle(), static_cast<mi2_log_level>(level),
                  notice.at("message").get_ref<const std::string&>().c_str());
    return true;
  }
  if (op == "progress") {
    services->progress(context.handle(), notice.at("fraction").get<double>(),
                       text_field(notice, "message"));
    return true;
  }
  if (op == "redact") {
    services->redact(context.handle(), notice.at("secret").get_ref<const std::string&>().c_str());
    return true;
  }
  return false;
}

}  // namespace mi2
