// Shared by the local plugin's tests: the plugin driven through the SDK's C
// adapter (PluginDriver, as the host calls it) with a FakeHost that really
// runs programs and really sends HTTP to 127.0.0.1, a copy of the sample fleet
// in a temp folder, and a TearDown that stops every workload process the test
// started.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include <mi2/sdk/test_driver.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/sys/detached_process.h"
#include "core/sys/process_runner.h"
#include "local_plugin.h"
#include "tests/support/temp_dir.h"

namespace mi2::local::test {

namespace fs = std::filesystem;
using nlohmann::json;
using Driver = sdk::PluginDriver<LocalPlugin>;

// GET http://127.0.0.1:port/path with plain sockets: {status, body}, status 0
// when nothing answered.
inline std::pair<int, std::string> http_get(int port, const std::string& path) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  timeval timeout{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return {0, ""};
  }
  std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  if (write(fd, request.data(), request.size()) < 0) {
    close(fd);
    return {0, ""};
  }
  std::string response;
  char buffer[4096];
  for (ssize_t n; (n = read(fd, buffer, sizeof buffer)) > 0;) response.append(buffer, n);
  close(fd);
  size_t space = response.find(' ');
  size_t body = response.find("\r\n\r\n");
  if (space == std::string::npos || body == std::string::npos) return {0, ""};
  return {std::atoi(response.c_str() + space + 1), response.substr(body + 4)};
}

// A FakeHost whose exec and http are real (argv only; 127.0.0.1 only).
inline void make_real(sdk::FakeHost& fake) {
  fake.on_exec = [](const sdk::FakeHost::ExecCall& call) {
    ProcessRequest request;
    request.argv = call.argv;
    request.env = call.env;
    request.cwd = call.cwd;
    request.stdin_data = call.stdin_data;
    request.timeout = std::chrono::milliseconds(call.timeout_ms ? call.timeout_ms : 60000);
    ProcessResult r = SystemProcessRunner().run(request);
    return sdk::ExecResult{r.exit_code, r.term_signal, r.timed_out,
                           false,       r.out,         r.err + r.spawn_error};
  };
  fake.on_spawn = [](const sdk::FakeHost::SpawnCall& call) -> int64_t {
    DetachedRequest request{call.argv, call.env, call.cwd, call.log_path, call.pid_file};
    std::string error;
    pid_t pid = spawn_detached(request, error);
    if (pid <= 0) ADD_FAILURE() << error;
    return pid;
  };
  fake.on_signal = [](int64_t pid, const std::string& program, int signal) {
    if (!process_alive(static_cast<pid_t>(pid), program)) return false;
    return signal == 0 || kill(static_cast<pid_t>(pid), signal) == 0;
  };
  fake.on_wait = [](int64_t pid, const std::string& program, uint32_t timeout_ms) {
    return wait_process_gone(static_cast<pid_t>(pid), program,
                             std::chrono::milliseconds(timeout_ms), nullptr);
  };
  fake.on_free_port = [] { return static_cast<uint16_t>(free_loopback_port()); };
  fake.on_http = [](const sdk::HttpRequest& request) {
    const std::string prefix = "http://127.0.0.1:";
    if (request.url.rfind(prefix, 0) != 0) return sdk::HttpResponse{0, {}, "", false};
    std::string rest = request.url.substr(prefix.size());
    int port = std::stoi(rest.substr(0, rest.find('/')));
    std::string path = rest.substr(rest.find('/'));
    auto [status, body] = http_get(port, path);
    if (status == 0) throw sdk::Error(MI2_FAILED, "GET " + request.url + " got no response");
    return sdk::HttpResponse{status, {}, body, false};
  };
}

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class LocalFleetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("MI2_WORKLOAD_BINARY", MI2_BINARY_DIR "/bin/mi2-workload", 1);
    fs::copy(MI2_SOURCE_DIR "/examples/fleet", root(), fs::copy_options::recursive);
    fs::remove_all(root() / ".github");  // not needed here
    plugin_ = make_plugin(config_json());
  }

  // Another instance of the plugin on the same fleet, with `config`.
  std::unique_ptr<Driver> make_plugin(const std::string& config) const {
    auto driver = std::make_unique<Driver>(config);
    EXPECT_EQ(driver->create_status, MI2_OK) << driver->create_error;
    make_real(driver->fake);
    return driver;
  }
  sdk::FakeHost& fake() { return plugin_->fake; }

  void TearDown() override {
    // Every process any instance of this fleet still runs: stop it by its pid file.
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(root() / ".mi2", ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->path().extension() != ".pid") continue;
      pid_t pid = std::stoi(slurp(it->path()));
      if (pid > 0) kill(pid, SIGKILL);
    }
  }

  virtual std::string config_json() const {
    return R"({"releases_dir": "releases", "rollout_timeout_ms": 2500, "ready_after_ms": 50})";
  }

  fs::path root() const { return dir_.path() / "fleet"; }
  fs::path instance_dir(const std::string& id = "src-1a2b3c") const {
    return root() / "environments/dev/deployments" / id;
  }
  fs::path state(const std::string& id = "src-1a2b3c") const {
    return root() / ".mi2/state/dev" / id / "local";
  }

  // The step input for an instance whose config.yaml says `version`.
  json input(const std::string& version, json params = json::object(),
             const std::string& id = "src-1a2b3c") const {
    return {
        {"fleet_root", root().string()},
        {"environment", "dev"},
        {"instance_id", id},
        {"slug", "acme"},
        {"instance_dir", instance_dir(id).string()},
        {"state_dir", (root() / ".mi2/state/dev" / id).string()},
        {"instance", {{"metadata", {{"name", id}}}, {"spec", {{"sourcegraphVersion", version}}}}},
        {"target_version", version},
        {"params", params}};
  }

  // One invoke as the host sees it (status, output, error).
  Driver::Reply invoke(const std::string& role, const std::string& action, const json& in) {
    return plugin_->invoke(role, action, in);
  }
  // The output of an invoke; a failure throws sdk::Error with its status,
  // error and partial output.
  json call(const std::string& role, const std::string& action, const json& in) {
    Driver::Reply reply = invoke(role, action, in);
    if (!reply.ok())
      throw sdk::Error(reply.status, reply.error,
                       reply.output.is_null() ? "" : reply.output.dump());
    return reply.output;
  }

  // Renders, migrates and deploys `version` (the demo's first deploy).
  void deploy(const std::string& version, const std::string& id = "src-1a2b3c") {
    call("render", "render", input(version, {}, id));
    call("migrate", "up", input(version, {}, id));
    call("apply", "apply", input(version, {}, id));
  }

  std::string get(int port, const std::string& path) {
    auto [status, body] = http_get(port, path);
    return status ? std::to_string(status) + " " + body : "no response";
  }

  json deployment(const std::string& id = "src-1a2b3c") {
    return json::parse(slurp(state(id) / "deployment.json"));
  }

  mi2::test::TempDir dir_{"mi2-local"};
  std::unique_ptr<Driver> plugin_;
};

}  // namespace mi2::local::test
