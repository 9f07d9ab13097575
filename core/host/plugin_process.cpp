#include "core/host/plugin_process.h"

#include <nlohmann/json.hpp>
#include <optional>

#include "core/host/plugin_protocol.h"
#include "core/host/plugin_status.h"
#include "core/host/service_calls.h"
#include "core/sys/connected_child.h"

namespace mi2 {
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

// How often a waiting parent looks at the cancel flag and the deadline.
constexpr std::chrono::milliseconds kPollInterval{100};
// How long a child that closed its socket (or was asked to end) may take to exit.
constexpr std::chrono::milliseconds kExitGrace{2000};

// This very binary, even when its file was replaced or removed since it
// started (a package upgrade during a batch): the child must speak our protocol.
constexpr const char* kOwnExecutable = "/proc/self/exe";

// The name the child shows in ps: the path of our binary.
std::string own_executable_name() {
  std::error_code ec;
  fs::path self = fs::read_symlink(kOwnExecutable, ec);
  return ec ? std::string("mi2") : self.string();
}

// Loading and create get a deadline of their own (environment's
// plugin_load_timeout, or the caller's if sooner); the caller's other call
// settings (dry run, cancel flag, observer) stay, and all come back after.
class LoadDeadline {
 public:
  explicit LoadDeadline(HostContext& context) : context_(context), saved_(context.call_settings()) {
    CallSettings settings = saved_;
    auto deadline = Clock::now() + context.environment().plugin_load_timeout;
    if (!settings.deadline || deadline < *settings.deadline) settings.deadline = deadline;
    context.set_call_settings(settings);
  }
  ~LoadDeadline() { context_.set_call_settings(saved_); }
  LoadDeadline(const LoadDeadline&) = delete;
  LoadDeadline& operator=(const LoadDeadline&) = delete;

 private:
  HostContext& context_;
  CallSettings saved_;
};

}  // namespace

// What a request got: the awaited answer, or why there is none (a sentence
// naming the plugin, with the status the call ends with).
struct ProcessPluginInstance::Reply {
  std::optional<Json> message;
  mi2_status status = MI2_FAILED;
  std::string error;
};

ProcessPluginInstance::ProcessPluginInstance(fs::path plugin_file,
                                             std::unique_ptr<HostContext> context)
    : PluginInstance(std::move(context)), plugin_file_(std::move(plugin_file)) {}

Result<std::unique_ptr<ProcessPluginInstance>> ProcessPluginInstance::launch(
    const fs::path& plugin_file, const HostEnvironment& environment) {
  auto context = std::make_unique<HostContext>(plugin_name_from_file(plugin_file), environment);
  std::unique_ptr<ProcessPluginInstance> instance(
      new ProcessPluginInstance(plugin_file, std::move(context)));
  instance->host_program_ =
      environment.plugin_host.empty() ? kOwnExecutable : environment.plugin_host;
  Status started = instance->start();
  if (!started) return started.error();
  return instance;
}

ProcessPluginInstance::~ProcessPluginInstance() {
  if (!child_) return;
  try {
    // destroy may still call services; it gets the grace as its deadline.
    CallSettings settings;
    settings.deadline = Clock::now() + kStopGrace;
    context().set_call_settings(settings);
    exchange({{"op", "destroy"}}, "destroy", "destroy");
  } catch (...) {
  }
  if (child_) child_->finish(kExitGrace);
}

Status ProcessPluginInstance::start() {
  const std::string& name = context().plugin_name();
  child_.reset();
  std::string shown = host_program_ == kOwnExecutable ? own_executable_name() : host_program_;
  auto child = ConnectedChild::start(host_program_,
                                     {shown, plugin_protocol::kHostCommand, plugin_file_.string()});
  if (!child)
    return make_error("plugin '" + name +
                      "' could not be started in a process of its own: " + child.message());
  child_ = std::move(*child);
  stop_asked_.reset();
  LoadDeadline deadline(context());
  Reply hello = await("loading");
  if (!hello.message) return make_error(hello.error);
  std::string op = hello.message->value("op", "");
  if (op == "refused") {
    child_->finish(kExitGrace);
    child_.reset();
    return make_error(hello.message->value("error", "plugin '" + name + "' was refused"));
  }
  auto description =
      op == "hello" ? parse_description(plugin_protocol::text_field(*hello.message, "describe"))
                    : Result<PluginDescription>(make_error("its process did not say hello"));
  if (!description) {
    child_.reset();
    return make_error("plugin '" + plugin_file_.string() +
                      "' is refused: " + description.message() + "; fix the plugin's describe()");
  }
  description_ = std::move(*description);
  return {};
}

Status ProcessPluginInstance::create(const Json& config) {
  // Secrets are masked before the plugin can log or echo them.
  register_sensitive_config(description_, config, context().environment());
  config_json_ = config.is_null() ? "{}" : config.dump();
  return create_in_child();
}

Status ProcessPluginInstance::create_in_child() {
  const std::string& name = context().plugin_name();
  LoadDeadline deadline(context());
  Reply reply = exchange({{"op", "create"}, {"config", config_json_}}, "created", "create");
  if (!reply.message) return make_error(reply.error);
  mi2_status status = known_status(reply.message->value("status", static_cast<int>(MI2_FAILED)));
  if (status != MI2_OK) {
    std::string reason = reply.message->value("error", "");
    if (reason.empty())
      reason = "it gave no reason (status " + std::string(status_name(status)) + ")";
    return make_error("plugin '" + name + "' refused its configuration: " + reason);
  }
  if (!reply.message->value("instance", false))
    return make_error("plugin '" + name +
                      "' reported success but created no instance; this is a bug in the plugin");
  return {};
}

PluginInstance::Outcome ProcessPluginInstance::invoke(std::string_view role,
                                                      std::string_view action,
                                                      const std::string& input_json) {
  std::string during = std::string(role) + "." + std::string(action);
  Outcome outcome;
  if (!child_) {  // the last call's process ended: a fresh one, created as before
    Status restarted = start();
    if (restarted) restarted = create_in_child();
    if (!restarted) {
      child_.reset();  // the next call tries afresh
      outcome.crashed = true;
      outcome.error = "plugin '" + context().plugin_name() + "' could not be restarted for " +
                      during + " after its process ended: " + restarted.message();
      return outcome;
    }
  }
  Reply reply = exchange({{"op", "invoke"},
                          {"role", role},
                          {"action", action},
                          {"input", input_json},
                          {"dry_run", context().call_settings().dry_run}},
                         "result", during);
  if (!reply.message) {
    outcome.status = reply.status;
    outcome.error = reply.error;
    outcome.crashed = true;
    return outcome;
  }
  outcome.status = known_status(reply.message->value("status", static_cast<int>(MI2_FAILED)));
  const char* output = plugin_protocol::text_field(*reply.message, "output");
  outcome.output_json = output && output[0] ? output : "{}";
  if (outcome.status != MI2_OK) outcome.error = reply.message->value("error", "");
  return outcome;
}

ProcessPluginInstance::Reply ProcessPluginInstance::exchange(const Json& request,
                                                             std::string_view expected,
                                                             const std::string& during) {
  stop_asked_.reset();
  if (!child_->send(plugin_protocol::encode(request))) return ended(during);
  Reply reply = await(during);
  if (reply.message && reply.message->value("op", "") != expected) return garbled(during);
  return reply;
}

ProcessPluginInstance::Reply ProcessPluginInstance::await(const std::string& during) {
  std::string frame;
  while (true) {
    if (auto stopped = stop_if_overdue(during)) return std::move(*stopped);
    FrameRead got = child_->receive(frame, kPollInterval);
    if (got == FrameRead::kTimeout) continue;
    if (got != FrameRead::kFrame) return ended(during);
    auto message = plugin_protocol::decode(frame);
    if (!message) return garbled(during);
    Served served = Served::kNotAService;
    try {
      served = serve(*message);
    } catch (const std::exception&) {
      return garbled(during);
    }
    if (served == Served::kAnswered) continue;
    if (served == Served::kLost) return ended(during);
    return {std::move(message), MI2_OK, ""};
  }
}

ProcessPluginInstance::Served ProcessPluginInstance::serve(const Json& message) {
  if (message.value("op", "") == "call") {
    bool sent = child_->send(plugin_protocol::encode(answer_service_call(context(), message)));
    return sent ? Served::kAnswered : Served::kLost;
  }
  return take_service_notice(context(), message) ? Served::kAnswered : Served::kNotAService;
}

ProcessPluginInstance::Reply ProcessPluginInstance::ended(const std::string& during) {
  int status = child_->finish(kExitGrace);
  child_.reset();
  return {std::nullopt, MI2_FAILED,
          "plugin '" + context().plugin_name() + "' crashed during " + during + " (" +
              describe_wait_status(status) + ")"};
}

ProcessPluginInstance::Reply ProcessPluginInstance::garbled(const std::string& during) {
  child_->finish(std::chrono::milliseconds(0));
  child_.reset();
  return {std::nullopt, MI2_FAILED,
          "plugin '" + context().plugin_name() +
              "' sent a message mi2 does not understand during " + during +
              ", so its process was stopped"};
}

std::optional<ProcessPluginInstance::Reply> ProcessPluginInstance::stop_if_overdue(
    const std::string& during) {
  if (!context().cancelled()) return std::nullopt;
  auto now = Clock::now();
  if (!stop_asked_) stop_asked_ = now;
  if (now - *stop_asked_ < kStopGrace) return std::nullopt;
  const auto* flag = context().call_settings().cancel_flag;
  bool by_user = flag && flag->load();
  child_->finish(std::chrono::milliseconds(0));
  child_.reset();
  std::string seconds = std::to_string(kStopGrace.count() / 1000);
  return Reply{std::nullopt, by_user ? MI2_CANCELLED : MI2_TIMEOUT,
               "plugin '" + context().plugin_name() + "' did not return from " + during +
                   " within " + seconds + " s of " +
                   (by_user ? "being cancelled" : "passing its deadline") +
                   ", so its process was killed"};
}

}  // namespace mi2
