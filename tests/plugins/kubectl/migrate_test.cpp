// migrate.up / migrate.status: the migrator Job created on stdin, watched to
// Complete or Failed, its logs captured, a dirty database reported.
#include <gtest/gtest.h>

#include "tests/plugins/kubectl/scripted_kubectl.h"

namespace mi2::test {
namespace {

class KubectlMigrateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kubectl.rule({"delete", "jobs"}, {Json{{"stdout", "job.batch \"migrator-old01\" deleted\n"}}});
    kubectl.rule({"create", "-f", "-"}, {Json{{"stdout", "job.batch/migrator created\n"}}});
    kubectl.rule({"get", "pods", "-l"}, {Json{{"stdout_file", "pods-empty.json"}}});
  }
  const std::string config = R"({"poll_interval_s": 0})";
  ScriptedKubectl kubectl;
  SampleFleet fleet;
};

TEST_F(KubectlMigrateTest, CompletedJobSucceedsAndCapturesLogs) {
  kubectl.rule({"get", "job"}, {Json{{"stdout_file", "job-running.json"}},
                                Json{{"stdout_file", "job-complete.json"}}});
  kubectl.rule({"logs"}, {Json{{"stdout_file", "migrator-ok.log"}}});
  auto plugin = make_plugin(kubectl, config);
  PluginCall call = plugin->invoke("migrate", "up", fleet.input());
  ASSERT_EQ(call.status, MI2_OK) << call.error;
  std::string job = call.output["job"];
  EXPECT_EQ(job.rfind("migrator-", 0), 0u);
  EXPECT_EQ(job.size(), 14u);
  EXPECT_EQ(call.output["state"], "Complete");
  EXPECT_NE(call.output["logs"].get<std::string>().find("up-to-date"), std::string::npos);

  auto calls = kubectl.calls();
  ASSERT_EQ(calls.size(), 6u);
  EXPECT_EQ(calls[0].argv,
            kubectl_argv({"delete", "jobs", "-l", "app.kubernetes.io/managed-by=mi2,job=migrator",
                          "--field-selector=metadata.name!=" + job, "--cascade=foreground",
                          "--ignore-not-found=true"}));
  EXPECT_EQ(calls[1].argv, kubectl_argv({"create", "-f", "-"}));
  EXPECT_EQ(calls[2].argv, kubectl_argv({"get", "job", job, "-o", "json"}));
  EXPECT_EQ(calls[3].argv, kubectl_argv({"get", "pods", "-l", "job-name=" + job, "-o", "json"}));
  EXPECT_EQ(calls[4].argv, kubectl_argv({"get", "job", job, "-o", "json"}));
  EXPECT_EQ(calls[5].argv, kubectl_argv({"logs", "job/" + job, "--all-containers=true"}));
  EXPECT_TRUE(plugin->fake.exec_calls[0].mutating);
  EXPECT_TRUE(plugin->fake.exec_calls[1].mutating);
  EXPECT_FALSE(plugin->fake.exec_calls[2].mutating);

  Json manifest = Json::parse(calls[1].stdin_data);
  EXPECT_EQ(manifest["kind"], "Job");
  EXPECT_EQ(manifest["metadata"]["name"], job);
  EXPECT_EQ(manifest["metadata"]["namespace"], "src-acme");
  EXPECT_EQ(manifest["spec"]["backoffLimit"], 0);
  const Json& pod = manifest["spec"]["template"]["spec"];
  EXPECT_EQ(pod["restartPolicy"], "Never");
  EXPECT_EQ(pod["containers"][0]["image"], "index.docker.io/sourcegraph/migrator:4.1.0");
  EXPECT_EQ(pod["containers"][0]["args"], Json::array({"up", "-db=all"}));
  const Json& env = pod["containers"][0]["env"];
  ASSERT_EQ(env.size(), 15u);
  EXPECT_EQ(
      env[0],
      Json::parse(
          R"({"name": "PGHOST", "valueFrom": {"secretKeyRef": {"name": "pgsql-auth", "key": "host"}}})"));
  EXPECT_EQ(env[5]["name"], "CODEINTEL_PGHOST");
  EXPECT_EQ(env[10]["name"], "CODEINSIGHTS_PGHOST");
}

TEST_F(KubectlMigrateTest, FailedJobReportsTheDirtyDatabaseAndTheRepairPath) {
  kubectl.rule({"get", "job"}, {Json{{"stdout_file", "job-failed.json"}}});
  kubectl.rule({"logs"}, {Json{{"stdout_file", "migrator-failed.log"}}});
  auto plugin = make_plugin(kubectl, config);
  PluginCall call = plugin->invoke("migrate", "up", fleet.input());
  ASSERT_EQ(call.status, MI2_FAILED);
  EXPECT_NE(call.error.find("left database schema frontend dirty at migration 1528395968"),
            std::string::npos)
      << call.error;
  EXPECT_NE(call.error.find("ignore_single_dirty_log"), std::string::npos);
  EXPECT_NE(call.error.find("migrations/frontend/1528395968/up.sql"), std::string::npos);
  EXPECT_NE(call.error.find("`migrator add-log -db=frontend -version=1528395968`"),
            std::string::npos);
  EXPECT_NE(call.error.find("The old workload keeps serving"), std::string::npos);
  // The contract's partial output on failure.
  EXPECT_TRUE(call.output["dirty"]);
  EXPECT_EQ(call.output["failed_version"], "1528395968");
  EXPECT_NE(call.output["repair"].get<std::string>().find("add-log"), std::string::npos);
  // The failing log lines reach the journal through the host's log.
  bool logged = false;
  for (const auto& line : plugin->fake.logs)
    logged |= line.level == MI2_LOG_ERROR &&
              line.message.find("marked the following") != std::string::npos;
  EXPECT_TRUE(logged);

  kubectl.rule({"get", "jobs", "-l"}, {Json{{"stdout_file", "jobs-list.json"}}});
  PluginCall status = plugin->invoke("migrate", "status", fleet.input());
  ASSERT_EQ(status.status, MI2_OK) << status.error;
  EXPECT_TRUE(status.output["dirty"]);
  EXPECT_EQ(status.output["failed_version"], "1528395968");
  EXPECT_EQ(status.output["schema"], "frontend");
  EXPECT_EQ(status.output["job"]["name"], "migrator-new02");
  EXPECT_EQ(status.output["job"]["state"], "Failed");
  EXPECT_EQ(kubectl.argvs().back(),
            kubectl_argv({"get", "jobs", "-l", "app.kubernetes.io/managed-by=mi2,job=migrator",
                          "-o", "json"}));
}

TEST_F(KubectlMigrateTest, IgnoreSingleDirtyLogIsPassedToTheMigrator) {
  kubectl.rule({"get", "job"}, {Json{{"stdout_file", "job-complete.json"}}});
  kubectl.rule({"logs"}, {Json{{"stdout_file", "migrator-ok.log"}}});
  auto plugin = make_plugin(kubectl, config);
  ASSERT_EQ(
      plugin->invoke("migrate", "up", fleet.input({{"ignore_single_dirty_log", true}})).status,
      MI2_OK);
  Json manifest = Json::parse(kubectl.calls()[1].stdin_data);
  EXPECT_EQ(manifest["spec"]["template"]["spec"]["containers"][0]["args"],
            Json::array({"up", "-db=all", "--ignore-single-dirty-log"}));
}

TEST_F(KubectlMigrateTest, SkippingMinorsIsRefusedBeforeAnyJob) {
  auto plugin = make_plugin(kubectl, config);
  PluginCall call = plugin->invoke("migrate", "up", fleet.input({}, "4.3.0", "4.0.0"));
  EXPECT_EQ(call.status, MI2_FAILED);
  EXPECT_NE(call.error.find("would skip more than one minor version (4.0.0 to 4.3.0)"),
            std::string::npos)
      << call.error;
  EXPECT_NE(call.error.find("mi2 instance upgrade --from 4.0.0 --to 4.3.0"), std::string::npos);
  EXPECT_TRUE(kubectl.calls().empty());
}

TEST_F(KubectlMigrateTest, MultiVersionPathRunsUpgradeFromTo) {
  kubectl.rule({"get", "job"}, {Json{{"stdout_file", "job-complete.json"}}});
  kubectl.rule({"logs"}, {Json{{"stdout", "done\n"}}});
  auto plugin = make_plugin(kubectl, config);
  PluginCall call =
      plugin->invoke("migrate", "up", fleet.input({{"multi_version", true}}, "4.3.0", "4.0.0"));
  ASSERT_EQ(call.status, MI2_OK) << call.error;
  Json manifest = Json::parse(kubectl.calls()[1].stdin_data);
  EXPECT_EQ(manifest["spec"]["template"]["spec"]["containers"][0]["args"],
            Json::array({"upgrade", "--from=v4.0", "--to=v4.3", "--disable-animation"}));
  EXPECT_EQ(manifest["spec"]["template"]["spec"]["containers"][0]["image"],
            "index.docker.io/sourcegraph/migrator:4.3.0");
}

TEST_F(KubectlMigrateTest, ForcedRunTakesTheMultiVersionPath) {
  kubectl.rule({"get", "job"}, {Json{{"stdout_file", "job-complete.json"}}});
  kubectl.rule({"logs"}, {Json{{"stdout", ""}}});
  write_file(fleet.root() / "run.jsonl",
             R"({"event":"run_started","run_id":"r","force":true,"target_version":"4.3.0"})"
             "\n");
  Json input = fleet.input({}, "4.3.0", "4.0.0");
  input["run_log"] = (fleet.root() / "run.jsonl").string();
  auto plugin = make_plugin(kubectl, config);
  ASSERT_EQ(plugin->invoke("migrate", "up", input).status, MI2_OK);
  Json manifest = Json::parse(kubectl.calls()[1].stdin_data);
  EXPECT_EQ(manifest["spec"]["template"]["spec"]["containers"][0]["args"][0], "upgrade");
}

TEST_F(KubectlMigrateTest, NextMajorZeroIsAStandardUpgrade) {
  kubectl.rule({"get", "job"}, {Json{{"stdout_file", "job-complete.json"}}});
  kubectl.rule({"logs"}, {Json{{"stdout", ""}}});
  auto plugin = make_plugin(kubectl, config);
  EXPECT_EQ(plugin->invoke("migrate", "up", fleet.input({}, "4.0.0", "3.43.2")).status, MI2_OK);
}

TEST_F(KubectlMigrateTest, DryRunRecordsTheJobAndWaitsForNothing) {
  auto plugin = make_plugin(kubectl, config);
  plugin->fake.dry_run = true;
  Json input = fleet.input();
  input["dry_run"] = true;
  PluginCall call = plugin->invoke("migrate", "up", input);
  ASSERT_EQ(call.status, MI2_OK) << call.error;
  ASSERT_EQ(plugin->fake.exec_calls.size(), 2u);
  EXPECT_EQ(plugin->fake.exec_calls[0].argv[3], "delete");
  EXPECT_EQ(plugin->fake.exec_calls[1].argv, kubectl_argv({"create", "-f", "-"}));
  EXPECT_TRUE(plugin->fake.exec_calls[0].mutating);
  EXPECT_TRUE(plugin->fake.exec_calls[1].mutating);
  EXPECT_TRUE(kubectl.calls().empty());
}

TEST_F(KubectlMigrateTest, PodThatCannotPullItsImageFailsFast) {
  ScriptedKubectl pulling;
  pulling.rule({"delete", "jobs"}, {Json{{"stdout", ""}}});
  pulling.rule({"create", "-f", "-"}, {Json{{"stdout", "created\n"}}});
  pulling.rule({"get", "job"}, {Json{{"stdout_file", "job-running.json"}}});
  pulling.rule({"get", "pods", "-l"}, {Json{{"stdout_file", "pods-imagepull.json"}}});
  auto plugin = make_plugin(pulling, config);
  PluginCall call = plugin->invoke("migrate", "up", fleet.input());
  EXPECT_EQ(call.status, MI2_FAILED);
  EXPECT_NE(call.error.find("cannot start its pod (ImagePullBackOff"), std::string::npos)
      << call.error;
  EXPECT_EQ(pulling.calls().size(), 4u);
}

TEST_F(KubectlMigrateTest, JobStillRunningAtTheDeadlineTimesOut) {
  kubectl.rule({"get", "job"}, {Json{{"stdout_file", "job-running.json"}}});
  kubectl.rule({"logs"}, {Json{{"stdout", "Applying migration\n"}}});
  auto plugin = make_plugin(kubectl, R"({"poll_interval_s": 0, "migrate_timeout_s": 0})");
  PluginCall call = plugin->invoke("migrate", "up", fleet.input());
  EXPECT_EQ(call.status, MI2_TIMEOUT);
  EXPECT_NE(call.error.find("did not finish within 0s"), std::string::npos) << call.error;
}

TEST_F(KubectlMigrateTest, ConfiguredEnvReplacesTheDefaultAndPasswordsAreRedacted) {
  kubectl.rule({"get", "job"}, {Json{{"stdout_file", "job-complete.json"}}});
  kubectl.rule({"logs"}, {Json{{"stdout", ""}}});
  auto plugin =
      make_plugin(kubectl, R"({"poll_interval_s": 0, "registry": "us-docker.pkg.dev/acme/sg",
      "migrator_env": {"PGHOST": "{instance_id}-db.internal", "PGPASSWORD": "s3cret",
                       "PGUSER": {"secretKeyRef": {"name": "{slug}-db", "key": "user"}}}})");
  ASSERT_EQ(plugin->invoke("migrate", "up", fleet.input()).status, MI2_OK);
  Json container =
      Json::parse(kubectl.calls()[1].stdin_data)["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(container["image"], "us-docker.pkg.dev/acme/sg/migrator:4.1.0");
  EXPECT_EQ(container["env"].size(), 3u);
  EXPECT_EQ(container["env"][0]["value"], "src-1a2b3c-db.internal");
  EXPECT_EQ(container["env"][2]["valueFrom"]["secretKeyRef"]["name"], "acme-db");
  EXPECT_EQ(plugin->fake.secrets, std::vector<std::string>{"s3cret"});
}

}  // namespace
}  // namespace mi2::test
