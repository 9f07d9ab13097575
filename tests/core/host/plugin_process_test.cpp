// Plugins run in a process of their own (isolation: process), against the
// built mi2 as the child (`mi2 __plugin-host`) and the `echo` test plugin:
// the same answers as in process, every host service answered by this
// process's HostContext (dry-run, journal records, redaction, cancellation),
// and a segfault, abort or exit in the plugin turned into a failed call that
// names the plugin, the action and the signal while this process lives on.
#include "core/host/plugin_process.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "core/base/redactor.h"
#include "core/fleet/fleet_config.h"
#include "core/host/plugin_protocol.h"
#include "core/host/providers.h"
#include "core/sys/http_client.h"
#include "core/sys/process_runner.h"
#include "tests/support/recording_observer.h"
#include "tests/support/temp_dir.h"

namespace mi2 {
namespace {

using test::RecordingObserver;
using test::test_plugin;

namespace fs = std::filesystem;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

class PluginProcessTest : public ::testing::Test {
 protected:
  HostEnvironment environment() {
    HostEnvironment environment{&runner_, &http_, &redactor_};
    environment.plugin_host = MI2_EXE;
    return environment;
  }

  std::unique_ptr<ProcessPluginInstance> isolated(const std::string& name,
                                                  const Json& config = Json::object()) {
    auto launched = ProcessPluginInstance::launch(test_plugin(name), environment());
    EXPECT_TRUE(launched) << launched.message();
    if (!launched) return nullptr;
    Status created = (*launched)->create(config);
    EXPECT_TRUE(created) << created.message();
    return created ? std::move(*launched) : nullptr;
  }

  std::unique_ptr<PluginInstance> in_process(const std::string& name,
                                             const Json& config = Json::object()) {
    auto plugin = loader_.load_file(test_plugin(name));
    EXPECT_TRUE(plugin) << plugin.message();
    if (!plugin) return nullptr;
    auto instance = (*plugin)->create(config, environment());
    EXPECT_TRUE(instance) << instance.message();
    return instance ? std::move(*instance) : nullptr;
  }

  static PluginInstance::Outcome call(PluginInstance& instance, const Json& params,
                                      const CallSettings& settings = {},
                                      const std::string& role = "apply",
                                      const std::string& action = "apply") {
    instance.context().set_call_settings(settings);
    auto outcome = instance.invoke(role, action, Json{{"params", params}}.dump());
    instance.context().set_call_settings({});
    return outcome;
  }

  PluginLoader loader_{{fs::path(MI2_TEST_PLUGIN_DIR)}};
  SystemProcessRunner runner_;
  CurlHttpClient http_;
  SecretRedactor redactor_;
  test::TempDir dir_{"mi2-isolation"};
};

TEST_F(PluginProcessTest, AnIsolatedInvokeAnswersAsTheSamePluginInProcess) {
  auto child = isolated("echo");
  auto local = in_process("echo");
  ASSERT_TRUE(child && local);
  EXPECT_EQ(child->description().describe_json,
            loader_.load_file(test_plugin("echo")).value()->description().describe_json);
  const std::vector<Json> cases = {
      Json::object(),
      {{"nested", {{"list", {1, 2.5, "three", nullptr, true}}}}, {"unicode", "héllo ✓"}},
      {{"exec", {"echo", "from", "the host"}}},
      {{"fail", "retryable"}},
      {{"fail", "invalid"}},
      {{"fail", "std"}},
  };
  for (const Json& params : cases) {
    for (const auto& [role, action] : {std::pair{"apply", "apply"}, {"vcs", "publish"}}) {
      auto a = call(*child, params, {}, role, action);
      auto b = call(*local, params, {}, role, action);
      EXPECT_EQ(a.status, b.status) << params.dump();
      EXPECT_EQ(Json::parse(a.output_json), Json::parse(b.output_json)) << params.dump();
      EXPECT_EQ(a.error, b.error) << params.dump();
      EXPECT_FALSE(a.crashed);
    }
  }
  auto unserved = call(*child, Json::object(), {}, "apply", "no-such-action");
  EXPECT_EQ(unserved.status, call(*local, Json::object(), {}, "apply", "no-such-action").status);
}

TEST_F(PluginProcessTest, ThePluginsCodeIsNeverLoadedIntoTheParent) {
  // A copy of its own, so another test's in-process load cannot be mistaken for it.
  fs::create_directories(dir_.path() / "plugins");
  fs::path copy = dir_.path() / "plugins" / plugin_file_name("echo");
  fs::copy_file(test_plugin("echo"), copy);
  auto launched = ProcessPluginInstance::launch(copy, environment());
  ASSERT_TRUE(launched) << launched.message();
  ASSERT_TRUE((*launched)->create(Json::object()));
  EXPECT_EQ(call(**launched, Json::object()).status, MI2_OK);
  std::ifstream maps("/proc/self/maps");
  std::stringstream text;
  text << maps.rdbuf();
  EXPECT_THAT(text.str(), Not(HasSubstr(copy.string())));
}

TEST_F(PluginProcessTest, ExecIsRunByTheParentAndRecordedNotRunInDryRun) {
  auto child = isolated("echo");
  ASSERT_TRUE(child);
  RecordingObserver observer;
  fs::path marker = dir_.path() / "touched";
  auto dry = call(*child, {{"exec", {"touch", marker.string()}}, {"mutating", true}},
                  {true, std::nullopt, nullptr, &observer});
  ASSERT_EQ(dry.status, MI2_OK) << dry.error;
  Json out = Json::parse(dry.output_json);
  EXPECT_TRUE(out["dry_run"]);
  EXPECT_TRUE(out["exec"]["skipped_dry_run"]);
  EXPECT_FALSE(fs::exists(marker));
  ASSERT_EQ(observer.commands.size(), 1u);
  EXPECT_EQ(observer.commands[0].kind, "exec");
  EXPECT_EQ(observer.commands[0].record["argv"], Json({"touch", marker.string()}));
  EXPECT_TRUE(observer.commands[0].record["skipped_dry_run"]);

  auto real = call(*child, {{"exec", {"sh", "-c", "echo out; echo err >&2; exit 4"}}},
                   {false, std::nullopt, nullptr, &observer});
  ASSERT_EQ(real.status, MI2_OK) << real.error;
  out = Json::parse(real.output_json);
  EXPECT_EQ(out["exec"]["exit_code"], 4);
  EXPECT_EQ(out["exec"]["out"], "out\n");
  EXPECT_EQ(out["exec"]["err"], "err\n");
  ASSERT_EQ(observer.commands.size(), 2u);
  EXPECT_EQ(observer.commands[1].record["stdout"], "out\n");  // captured for the journal
}

TEST_F(PluginProcessTest, LogLinesAndProgressAreTheParentsAndRedacted) {
  auto child = isolated("echo", {{"token", "tok-config-secret"}});
  ASSERT_TRUE(child);
  RecordingObserver observer;
  auto outcome = call(*child,
                      {{"redact", "runtime-secret-42"},
                       {"log", "using tok-config-secret and runtime-secret-42"},
                       {"progress", "halfway with runtime-secret-42"}},
                      {false, std::nullopt, nullptr, &observer});
  ASSERT_EQ(outcome.status, MI2_OK) << outcome.error;
  EXPECT_THAT(observer.messages(), Contains("using *** and ***"));
  ASSERT_EQ(observer.progress.size(), 1u);
  EXPECT_EQ(observer.progress[0].first, 0.5);
  EXPECT_EQ(observer.progress[0].second, "halfway with ***");
  EXPECT_EQ(redactor_.apply("runtime-secret-42"), "***");  // registered in this process
}

TEST_F(PluginProcessTest, CancellationIsTheParents) {
  auto child = isolated("echo");
  ASSERT_TRUE(child);
  std::atomic<bool> cancel{false};
  auto running = call(*child, {{"poll_cancelled", true}}, {false, std::nullopt, &cancel, nullptr});
  EXPECT_FALSE(Json::parse(running.output_json)["cancelled"]);
  cancel = true;
  auto stopped = call(*child, {{"poll_cancelled", true}}, {false, std::nullopt, &cancel, nullptr});
  EXPECT_TRUE(Json::parse(stopped.output_json)["cancelled"]);
}

// A plugin whose create never returns cannot hang the run: it is killed
// kStopGrace after the load timeout, with a sentence naming it and the call.
TEST_F(PluginProcessTest, APluginThatHangsInCreateIsKilledAfterTheLoadTimeout) {
  HostEnvironment env = environment();
  env.plugin_load_timeout = std::chrono::milliseconds(200);
  auto launched = ProcessPluginInstance::launch(test_plugin("echo"), env);
  ASSERT_TRUE(launched) << launched.message();
  auto started = std::chrono::steady_clock::now();
  Status created = (*launched)->create({{"hang_create_ms", 120000}});
  auto waited = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(created);
  EXPECT_EQ(created.message(),
            "plugin 'echo' did not return from create within 3 s of passing its deadline, so its "
            "process was killed");
  EXPECT_LT(waited, std::chrono::seconds(30)) << "not the plugin's 120 s";
  // The caller's settings are back: no deadline left behind.
  EXPECT_FALSE((*launched)->context().call_settings().deadline.has_value());
}

TEST_F(PluginProcessTest, HttpIsSentByTheParent) {
  httplib::Server server;
  std::atomic<int> posts{0};
  server.Get("/hello", [](const httplib::Request& req, httplib::Response& res) {
    res.set_header("X-Seen", req.get_header_value("User-Agent").empty() ? "no" : "yes");
    res.set_content("hello from the server", "text/plain");
  });
  server.Post("/change", [&posts](const httplib::Request&, httplib::Response& res) {
    ++posts;
    res.status = 201;
  });
  int port = server.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread thread([&server] { server.listen_after_bind(); });
  std::string base = "http://127.0.0.1:" + std::to_string(port);

  auto child = isolated("echo");
  ASSERT_TRUE(child);
  RecordingObserver observer;
  auto got = call(*child, {{"http", {{"method", "GET"}, {"url", base + "/hello"}}}},
                  {true, std::nullopt, nullptr, &observer});
  auto posted =
      call(*child, {{"http", {{"method", "POST"}, {"url", base + "/change"}, {"mutating", true}}}},
           {true, std::nullopt, nullptr, &observer});
  server.stop();
  thread.join();
  ASSERT_EQ(got.status, MI2_OK) << got.error;
  EXPECT_EQ(Json::parse(got.output_json)["http"]["status"], 200);
  EXPECT_EQ(Json::parse(got.output_json)["http"]["body"], "hello from the server");
  ASSERT_EQ(posted.status, MI2_OK) << posted.error;
  EXPECT_TRUE(Json::parse(posted.output_json)["http"]["skipped_dry_run"]);
  EXPECT_EQ(posts, 0);  // dry run: recorded, not sent
  ASSERT_EQ(observer.commands.size(), 2u);
  EXPECT_EQ(observer.commands[1].kind, "http");
  EXPECT_TRUE(observer.commands[1].record["skipped_dry_run"]);
}

TEST_F(PluginProcessTest, DetachedProcessesAndPortsAreTheParents) {
  auto child = isolated("echo");
  ASSERT_TRUE(child);
  RecordingObserver observer;
  auto outcome = call(*child, {{"spawn", {"/bin/sleep", "30"}}, {"free_port", true}},
                      {false, std::nullopt, nullptr, &observer});
  ASSERT_EQ(outcome.status, MI2_OK) << outcome.error;
  Json out = Json::parse(outcome.output_json);
  EXPECT_GT(out["spawn"]["pid"].get<int64_t>(), 0);
  EXPECT_TRUE(out["spawn"]["alive"]);
  EXPECT_TRUE(out["spawn"]["stopped"]);
  EXPECT_GT(out["port"].get<int>(), 0);
  ASSERT_FALSE(observer.commands.empty());
  EXPECT_TRUE(observer.commands[0].record["detached"]);
}

struct CrashCase {
  const char* how;
  const char* ending;
};

class PluginCrashTest : public PluginProcessTest,
                        public ::testing::WithParamInterface<CrashCase> {};

TEST_P(PluginCrashTest, ACrashFailsTheCallNamingPluginActionAndSignalAndTheNextCallRestarts) {
  auto child = isolated("echo");
  ASSERT_TRUE(child);
  auto crashed = call(*child, {{"crash", GetParam().how}}, {}, "apply", "deploy");
  EXPECT_EQ(crashed.status, MI2_FAILED);
  EXPECT_TRUE(crashed.crashed);
  EXPECT_EQ(crashed.error,
            std::string("plugin 'echo' crashed during apply.deploy (") + GetParam().ending + ")");
  // This process lives on, and the next call gets a fresh child.
  auto next = call(*child, {{"log", "after the crash"}});
  ASSERT_EQ(next.status, MI2_OK) << next.error;
  EXPECT_EQ(Json::parse(next.output_json)["plugin"], "echo");
}

INSTANTIATE_TEST_SUITE_P(Signals, PluginCrashTest,
                         ::testing::Values(CrashCase{"segv", "killed by signal 11, SIGSEGV"},
                                           CrashCase{"abort", "killed by signal 6, SIGABRT"},
                                           CrashCase{"exit", "exited with status 3"}));

TEST_F(PluginProcessTest, ACallThatIgnoresCancellationIsKilledAfterTheGrace) {
  auto child = isolated("echo");
  ASSERT_TRUE(child);
  std::atomic<bool> cancel{true};
  auto start = std::chrono::steady_clock::now();
  auto outcome = call(*child, {{"hang_ms", 60000}}, {false, std::nullopt, &cancel, nullptr});
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(outcome.status, MI2_CANCELLED);
  EXPECT_EQ(outcome.error,
            "plugin 'echo' did not return from apply.apply within 3 s of being cancelled, so its "
            "process was killed");
  EXPECT_GE(took, kStopGrace);
  EXPECT_LT(took, kStopGrace + std::chrono::seconds(5));
}

TEST_F(PluginProcessTest, RefusalsReadAsInProcess) {
  auto refused = ProcessPluginInstance::launch(test_plugin("abimajor2"), environment());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.message(), loader_.load_file(test_plugin("abimajor2")).message());

  auto echo = ProcessPluginInstance::launch(test_plugin("echo"), environment());
  ASSERT_TRUE(echo) << echo.message();
  Status created = (*echo)->create(Json{{"refuse", true}});
  ASSERT_FALSE(created);
  EXPECT_EQ(created.message(),
            "plugin 'echo' refused its configuration: echo was told to refuse its configuration");
}

TEST_F(PluginProcessTest, ProviderSetRunsAnIsolatedBindingAndReportsItsCrashInOneSentence) {
  FleetConfig config;
  config.roles["apply"] = {"echo"};
  config.roles["healthcheck"] = {"cplain"};
  config.plugin_isolation["echo"] = Isolation::kProcess;
  auto set = ProviderSet::open(config, loader_, environment());
  ASSERT_TRUE(set) << set.message();
  Provider* echo = (*set)->first("apply").value();
  EXPECT_NE(dynamic_cast<ProcessPluginInstance*>(echo->instance.get()), nullptr);
  EXPECT_EQ((*set)->first("healthcheck").value()->instance->context().plugin_name(), "cplain");
  EXPECT_EQ(
      dynamic_cast<ProcessPluginInstance*>((*set)->first("healthcheck").value()->instance.get()),
      nullptr);  // in process: not isolated by default

  auto ok = ProviderSet::invoke(*echo, "apply", "apply", {{"params", {{"x", 1}}}}, {});
  ASSERT_TRUE(ok.ok()) << ok.error;
  EXPECT_EQ(ok.output["input"]["params"]["x"], 1);
  auto crashed =
      ProviderSet::invoke(*echo, "apply", "apply", {{"params", {{"crash", "segv"}}}}, {});
  EXPECT_EQ(crashed.status, MI2_FAILED);
  EXPECT_EQ(crashed.error,
            "plugin 'echo' crashed during apply.apply (killed by signal 11, SIGSEGV)");
}

TEST_F(PluginProcessTest, TheDefaultIsolationAppliesWhereTheBindingNamesNone) {
  FleetConfig config;
  config.roles["apply"] = {"echo"};
  config.roles["healthcheck"] = {"cplain"};
  config.isolation = Isolation::kProcess;
  config.plugin_isolation["cplain"] = Isolation::kInProcess;  // the binding wins
  auto set = ProviderSet::open(config, loader_, environment());
  ASSERT_TRUE(set) << set.message();
  EXPECT_NE(dynamic_cast<ProcessPluginInstance*>((*set)->first("apply").value()->instance.get()),
            nullptr);
  EXPECT_EQ(
      dynamic_cast<ProcessPluginInstance*>((*set)->first("healthcheck").value()->instance.get()),
      nullptr);
}

TEST(PluginProtocolTest, BytesThatAreNotUtf8CrossUnchanged) {
  std::string bytes = std::string("\xff\xfe\x00 binary", 10);
  Json message = {{"op", "reply"}, {"stdout", bytes}};
  auto decoded = plugin_protocol::decode(plugin_protocol::encode(message));
  ASSERT_TRUE(decoded);
  EXPECT_EQ((*decoded)["stdout"].get<std::string>(), bytes);
  EXPECT_FALSE(plugin_protocol::decode("not msgpack"));
}

}  // namespace
}  // namespace mi2
