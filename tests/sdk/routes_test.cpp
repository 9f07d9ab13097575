// The SDK's route layer: one table gives describe()'s roles and invoke's
// dispatch; typed step input; placeholders; config errors; partial output of
// a Failure; the ABI 1.1 services on a 1.0 host. All through the C adapter.
#include <gtest/gtest.h>

#include <mi2/sdk/config.hpp>
#include <mi2/sdk/routes.hpp>
#include <mi2/sdk/test_driver.hpp>

#include <csignal>

namespace {

using mi2::sdk::Json;
using mi2::sdk::StepInput;

struct EchoSettings {
  std::string greeting;
  long long retries = 0;
  std::vector<std::string> stacks;
  static mi2::sdk::Json schema() {
    mi2::sdk::ConfigReader cfg("echoroute", "{}");
    EchoSettings s;
    s.read(cfg);
    return cfg.schema();
  }
  void read(mi2::sdk::ConfigReader& cfg) {
    greeting = cfg.string("greeting", "hello {slug}", "what to say (placeholders allowed)");
    retries = cfg.integer("retries", 2, "how often", 0);
    stacks = cfg.strings("stacks", {}, "names");
    cfg.string("token", "", "a secret", true);
  }
};

class EchoRoutePlugin : public mi2::sdk::RoutedPlugin<EchoRoutePlugin> {
 public:
  static mi2::sdk::About about() {
    return {"echoroute", "1.2.3", "routes for tests", {"echo-ok"}, EchoSettings::schema()};
  }
  static const std::vector<Route>& routes() {
    static const std::vector<Route> table = {
        {"render", "render", &EchoRoutePlugin::render},
        {"backup", "create", &EchoRoutePlugin::create},
        {"backup", "list", &EchoRoutePlugin::list},
        {"apply", "apply", &EchoRoutePlugin::apply},
    };
    return table;
  }
  EchoRoutePlugin(mi2::sdk::Host host, const std::string& config_json) : host_(host) {
    mi2::sdk::ConfigReader cfg("echoroute", config_json);
    settings_.read(cfg);
    cfg.finish();
  }
  Json render(const StepInput& in) {
    return {{"said", mi2::sdk::expand(settings_.greeting, in)}, {"version", in.target_version}};
  }
  Json create(const StepInput& in) {
    throw mi2::sdk::Failure("backup of " + in.instance_id + " half done", {{"partial", true}});
  }
  Json list(const StepInput&) { return nullptr; }
  Json apply(const StepInput& in) {
    int64_t pid = host_.spawn({"/bin/true"}, {});
    return {{"pid", pid}, {"dry", in.dry_run}, {"port", host_.free_port()}};
  }

 private:
  mi2::sdk::Host host_;
  EchoSettings settings_;
};

Json sample_input() {
  return {{"run_id", "r1"},
          {"instance_id", "src-1"},
          {"environment", "dev"},
          {"instance",
           {{"metadata", {{"name", "src-1"}}},
            {"spec",
             {{"displayName", "acme"},
              {"sourcegraphVersion", "4.1.0"},
              {"domain", {{"primaryDNSName", "acme.example.com"}}}}},
            {"status", {{"gcp", {{"projectId", "proj-1"}}}}}}}};
}

TEST(Routes, DescribeListsTheRolesOfTheTable) {
  mi2::sdk::PluginDriver<EchoRoutePlugin> driver;
  Json doc = driver.describe();
  EXPECT_EQ(doc["name"], "echoroute");
  EXPECT_EQ(doc["roles"]["backup"], Json::array({"create", "list"}));
  EXPECT_EQ(doc["roles"]["render"], Json::array({"render"}));
  EXPECT_EQ(doc["checks"], Json::array({"echo-ok"}));
  EXPECT_EQ(doc["config_schema"]["properties"]["retries"]["type"], "integer");
  EXPECT_EQ(doc["config_schema"]["properties"]["token"]["sensitive"], true);
}

TEST(Routes, InvokeDispatchesWithTypedInputAndPlaceholders) {
  mi2::sdk::PluginDriver<EchoRoutePlugin> driver(
      R"({"greeting": "hi {slug} at {domain} in {project} {unknown}"})");
  ASSERT_EQ(driver.create_status, MI2_OK) << driver.create_error;
  auto reply = driver.invoke("render", "render", sample_input());
  ASSERT_TRUE(reply.ok()) << reply.error;
  EXPECT_EQ(reply.output["said"], "hi acme at acme.example.com in proj-1 {unknown}");
  EXPECT_EQ(reply.output["version"], "4.1.0");
}

TEST(Routes, UnknownRouteIsNotSupportedNamingThePlugin) {
  mi2::sdk::PluginDriver<EchoRoutePlugin> driver;
  auto reply = driver.invoke("migrate", "up", sample_input());
  EXPECT_EQ(reply.status, MI2_NOT_SUPPORTED);
  EXPECT_EQ(reply.error, "the echoroute plugin does not serve migrate.up.");
}

TEST(Routes, FailureCarriesPartialOutputThroughTheAdapter) {
  mi2::sdk::PluginDriver<EchoRoutePlugin> driver;
  auto reply = driver.invoke("backup", "create", sample_input());
  EXPECT_EQ(reply.status, MI2_FAILED);
  EXPECT_EQ(reply.error, "backup of src-1 half done");
  EXPECT_EQ(reply.output["partial"], true);
}

TEST(Routes, NullOutputIsAnEmptyObject) {
  mi2::sdk::PluginDriver<EchoRoutePlugin> driver;
  auto reply = driver.invoke("backup", "list", sample_input());
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply.output, Json::object());
}

TEST(Routes, MalformedInputIsInvalid) {
  mi2::sdk::PluginDriver<EchoRoutePlugin> driver;
  auto reply = driver.invoke("render", "render", Json::array());
  EXPECT_EQ(reply.status, MI2_INVALID_INPUT);
  EXPECT_EQ(reply.error, "the step input is not a JSON object.");
}

TEST(Config, WrongTypeAndUnknownKeyAreSentences) {
  mi2::sdk::PluginDriver<EchoRoutePlugin> wrong(R"({"retries": "5m"})");
  EXPECT_EQ(wrong.create_status, MI2_INVALID_INPUT);
  EXPECT_EQ(wrong.create_error,
            "plugins.echoroute.retries in mi2.yaml must be an integer (got \"5m\").");
  mi2::sdk::PluginDriver<EchoRoutePlugin> typo(R"({"retires": 3})");
  EXPECT_EQ(typo.create_status, MI2_INVALID_INPUT);
  EXPECT_NE(typo.create_error.find("plugins.echoroute.retires in mi2.yaml is not an option"),
            std::string::npos);
  mi2::sdk::PluginDriver<EchoRoutePlugin> negative(R"({"retries": -1})");
  EXPECT_EQ(negative.create_status, MI2_INVALID_INPUT);
}

TEST(Processes, SpawnAndPortOnA11Host) {
  mi2::sdk::PluginDriver<EchoRoutePlugin> driver;
  auto reply = driver.invoke("apply", "apply", sample_input());
  ASSERT_TRUE(reply.ok()) << reply.error;
  EXPECT_GT(reply.output["pid"].get<int64_t>(), 0);
  EXPECT_EQ(reply.output["port"], 40000);
  ASSERT_EQ(driver.fake.spawn_calls.size(), 1u);
  EXPECT_EQ(driver.fake.spawn_calls[0].argv[0], "/bin/true");
}

TEST(Processes, SpawnIsRecordedNotRunInDryRun) {
  mi2::sdk::PluginDriver<EchoRoutePlugin> driver;
  driver.fake.dry_run = true;
  auto reply = driver.invoke("apply", "apply", sample_input());
  ASSERT_TRUE(reply.ok()) << reply.error;
  EXPECT_EQ(reply.output["pid"], 0);
  EXPECT_TRUE(driver.fake.running.empty());
}

TEST(Processes, A10HostSaysTheServiceIsAbsentInOneSentence) {
  mi2::sdk::PluginDriver<EchoRoutePlugin> driver;
  driver.fake.set_abi_1_0(true);
  auto reply = driver.invoke("apply", "apply", sample_input());
  EXPECT_EQ(reply.status, MI2_NOT_SUPPORTED);
  EXPECT_EQ(reply.error,
            "this mi2 host offers ABI 1.0 services only, without 'spawn' (added in 1.1); "
            "upgrade mi2 to 0.2 or newer.");
}

TEST(Processes, ExecOptionsCarryStopSignalAndGrace) {
  mi2::sdk::FakeHost fake;
  mi2::sdk::ExecOptions options;
  options.stop_signal = SIGINT;
  options.kill_grace_ms = 30000;
  fake.host().exec({"terraform", "apply"}, options);
  ASSERT_EQ(fake.exec_calls.size(), 1u);
  EXPECT_EQ(fake.exec_calls[0].stop_signal, SIGINT);
  EXPECT_EQ(fake.exec_calls[0].kill_grace_ms, 30000u);
}

TEST(StepInputParse, FallsBackToTheInstanceDocument) {
  Json in = sample_input();
  in.erase("instance_id");
  StepInput s = StepInput::parse(in.dump());
  EXPECT_EQ(s.instance_id, "src-1");
  EXPECT_EQ(s.slug, "acme");
  EXPECT_EQ(s.version(), "4.1.0");
  EXPECT_EQ(s.target_version, "4.1.0");
  EXPECT_EQ(s.project(), "proj-1");
  EXPECT_EQ(s.plugin_state_dir("x"), "");
}

class ThrowingRoutedDescribe {
 public:
  static const char* describe() { throw std::runtime_error("schema \"broken\""); }
  ThrowingRoutedDescribe(mi2::sdk::Host, const std::string&) {}
  std::string invoke(std::string_view, std::string_view, const std::string&) { return "{}"; }
};

TEST(Describe, AThrowingDescribeGoesThroughTheBarrier) {
  const char* doc = mi2::sdk::detail::Adapter<ThrowingRoutedDescribe>::describe();
  Json parsed = Json::parse(doc);
  EXPECT_EQ(parsed["describe_error"], "schema \"broken\"");
}

}  // namespace
