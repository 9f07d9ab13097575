// What does `isolation: process` cost per invoke? Runs the same calls on the
// `echo` test plugin loaded in this process and in a child `mi2
// __plugin-host`, checks both answer the same, and prints the best mean time
// per invoke of each over several passes, and the difference.
//
//   plugin_isolation_bench [INVOKES] [PASSES]      (default 1000 invokes, 5 passes)
//
// Cases: an empty invoke; one with a 64 KiB input; one whose plugin asks the
// host cancelled() once (a service call that goes back to the parent and
// waits for the answer); one that logs a line (a one-way notice); and one
// that runs `true` through the host's exec.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/base/redactor.h"
#include "core/host/plugin_loader.h"
#include "core/host/plugin_process.h"
#include "core/sys/http_client.h"
#include "core/sys/process_runner.h"

namespace {

using mi2::Json;
using Clock = std::chrono::steady_clock;

// Quiet: log lines go to the observer, not to stderr.
class Sink : public mi2::StepObserver {
 public:
  void on_command(const std::string&, const std::string&, const Json&) override {}
  void on_log(const std::string&, mi2_log_level, const std::string&) override {}
  bool takes_logs() const override { return true; }
};

// Best mean microseconds per invoke over `passes` runs of `invokes` calls.
double best_us(mi2::PluginInstance& instance, const std::string& input, int invokes, int passes) {
  Sink sink;
  instance.context().set_call_settings({false, std::nullopt, nullptr, &sink});
  double best = 1e30;
  for (int p = 0; p < passes; ++p) {
    auto start = Clock::now();
    for (int i = 0; i < invokes; ++i) {
      auto outcome = instance.invoke("apply", "apply", input);
      if (outcome.status != MI2_OK) {
        std::fprintf(stderr, "bench: invoke failed: %s\n", outcome.error.c_str());
        std::exit(1);
      }
    }
    std::chrono::duration<double, std::micro> took = Clock::now() - start;
    best = std::min(best, took.count() / invokes);
  }
  instance.context().set_call_settings({});
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  int invokes = argc > 1 ? std::atoi(argv[1]) : 1000;
  int passes = argc > 2 ? std::atoi(argv[2]) : 5;
  std::filesystem::path plugin = std::filesystem::path(MI2_TEST_PLUGIN_DIR) / "mi2-plugin-echo.so";
  mi2::SystemProcessRunner runner;
  mi2::CurlHttpClient http;
  mi2::SecretRedactor redactor;
  mi2::HostEnvironment environment{&runner, &http, &redactor};
  environment.plugin_host = MI2_EXE;

  mi2::PluginLoader loader({});
  auto loaded = loader.load_file(plugin);
  if (!loaded) {
    std::fprintf(stderr, "bench: %s\n", loaded.message().c_str());
    return 1;
  }
  auto local = (*loaded)->create(Json::object(), environment);
  auto start = Clock::now();
  auto child = mi2::ProcessPluginInstance::launch(plugin, environment);
  if (!local || !child || !(*child)->create(Json::object())) {
    std::fprintf(stderr, "bench: the echo plugin did not start\n");
    return 1;
  }
  std::chrono::duration<double, std::milli> startup = Clock::now() - start;

  const std::vector<std::pair<const char*, Json>> cases = {
      {"empty invoke", Json::object()},
      {"64 KiB input", {{"blob", std::string(64 * 1024, 'x')}}},
      {"+1 cancelled() call", {{"poll_cancelled", true}}},
      {"+1 log line", {{"log", "a line from the plugin"}}},
      {"+1 exec of true", {{"exec", {"true"}}}},
  };
  std::printf("%-22s %14s %14s %14s\n", "case", "in-process_us", "process_us", "overhead_us");
  for (const auto& [name, params] : cases) {
    std::string input = Json{{"params", params}}.dump();
    Sink sink;
    (*local)->context().set_call_settings({false, std::nullopt, nullptr, &sink});
    (*child)->context().set_call_settings({false, std::nullopt, nullptr, &sink});
    auto a = (*local)->invoke("apply", "apply", input);
    auto b = (*child)->invoke("apply", "apply", input);
    if (a.status != b.status || Json::parse(a.output_json) != Json::parse(b.output_json)) {
      std::fprintf(stderr, "bench: the two answers differ for %s\n", name);
      return 1;
    }
    int n = params.contains("exec") ? std::max(1, invokes / 10) : invokes;
    double in_process = best_us(**local, input, n, passes);
    double process = best_us(**child, input, n, passes);
    std::printf("%-22s %14.1f %14.1f %14.1f\n", name, in_process, process, process - in_process);
  }
  std::printf("child start (fork/exec, load, describe, create): %.1f ms\n", startup.count());
  std::printf("%d invokes per pass (exec: %d), best of %d passes\n", invokes,
              std::max(1, invokes / 10), passes);
  return 0;
}
