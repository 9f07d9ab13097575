// The parent's side of a plugin that runs in its own process (`isolation:
// process` in mi2.yaml, or --isolation process): a PluginInstance whose calls
// go to a child `mi2 __plugin-host PLUGIN_FILE` (plugin_server.h) over a
// socket. Every host service the plugin calls comes back here and is answered
// with this process's HostContext (service_calls.h), so dry-run, the journal,
// redaction and cancellation are the parent's, as for an in-process plugin.
//
// A child that dies during a call (a segfault, an abort, an exit) makes that
// call fail with one sentence naming the plugin, the action and the signal or
// exit status; this process lives on. A child that does not return within
// kStopGrace after its call was cancelled or passed its deadline is killed.
// The next call after either starts a fresh child: it loads the plugin again
// and creates the instance with the same config (the plugin's in-memory state
// is lost, as after a restart of mi2).
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/json.h"
#include "core/base/result.h"
#include "core/host/plugin_loader.h"

namespace mi2 {

class ConnectedChild;

// How long a cancelled or overdue call may take to return before its process is killed.
inline constexpr std::chrono::milliseconds kStopGrace{3000};

class ProcessPluginInstance final : public PluginInstance {
 public:
  // Starts the child for `plugin_file` and waits until it has loaded the
  // plugin. The error is the loader's refusal (the same sentence an
  // in-process load gives) or says how the child ended. The child program is
  // environment.plugin_host, or this process's own executable.
  static Result<std::unique_ptr<ProcessPluginInstance>> launch(
      const std::filesystem::path& plugin_file, const HostEnvironment& environment);
  ~ProcessPluginInstance() override;

  // What the plugin's describe() said, read in the child.
  const PluginDescription& description() const { return description_; }

  // create(config) in the child: "plugin 'x' refused its configuration: ..."
  // as in process, or how the child ended. Sensitive values are registered
  // with the redactor first.
  Status create(const Json& config);

  Outcome invoke(std::string_view role, std::string_view action,
                 const std::string& input_json) override;

 private:
  struct Reply;
  ProcessPluginInstance(std::filesystem::path plugin_file, std::unique_ptr<HostContext> context);

  Status start();
  Status create_in_child();
  // Sends `request` and serves the plugin's service calls until the child
  // answers with `expected`; `during` names the call in failure sentences.
  Reply exchange(const Json& request, std::string_view expected, const std::string& during);
  Reply await(const std::string& during);
  // Answers a service call or notice (kLost: the answer could not be sent).
  enum class Served { kAnswered, kNotAService, kLost };
  Served serve(const Json& message);
  Reply ended(const std::string& during);    // the child closed its end
  Reply garbled(const std::string& during);  // the child broke the protocol
  std::optional<Reply> stop_if_overdue(const std::string& during);

  std::filesystem::path plugin_file_;
  std::string host_program_;
  std::unique_ptr<ConnectedChild> child_;
  PluginDescription description_;
  std::string config_json_ = "{}";
  std::optional<std::chrono::steady_clock::time_point> stop_asked_;
};

}  // namespace mi2
