// What the host services tell a StepObserver, recorded for assertions, and the
// path of a plugin built for tests (build/test-plugins).
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "core/host/host_context.h"
#include "core/host/plugin_loader.h"

namespace mi2::test {

class RecordingObserver : public StepObserver {
 public:
  struct Command {
    std::string plugin, kind;
    Json record;
  };
  struct Log {
    std::string plugin;
    mi2_log_level level;
    std::string message;
  };

  void on_command(const std::string& plugin, const std::string& kind, const Json& record) override {
    commands.push_back({plugin, kind, record});
  }
  void on_log(const std::string& plugin, mi2_log_level level, const std::string& message) override {
    logs.push_back({plugin, level, message});
  }
  void on_progress(const std::string&, double fraction, const std::string& message) override {
    progress.emplace_back(fraction, message);
  }

  // The logged messages alone, in order.
  std::vector<std::string> messages() const {
    std::vector<std::string> out;
    for (const Log& log : logs) out.push_back(log.message);
    return out;
  }

  std::vector<Command> commands;
  std::vector<Log> logs;
  std::vector<std::pair<double, std::string>> progress;
};

#ifdef MI2_TEST_PLUGIN_DIR
// A plugin built only for tests, by name ("echo" -> .../mi2-plugin-echo.so).
inline std::filesystem::path test_plugin(const std::string& name) {
  return std::filesystem::path(MI2_TEST_PLUGIN_DIR) / plugin_file_name(name);
}
#endif

}  // namespace mi2::test
