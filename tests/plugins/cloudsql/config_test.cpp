// The cloudsql plugin's describe document and configuration: every option in
// the schema, defaults from config.yaml, placeholders, and one sentence for
// each wrong name before gcloud runs.
#include "tests/plugins/cloudsql/plugin_fixture.h"

namespace mi2::test {
namespace {

using CloudsqlConfig = CloudsqlTest;

TEST_F(CloudsqlConfig, DescribeListsTheBackupActionsAndEveryOption) {
  start();
  Json doc = driver->describe();
  EXPECT_EQ(doc["name"], "cloudsql");
  EXPECT_EQ(doc["roles"], (Json{{"backup", {"create", "list", "restore", "preflight"}}}));
  std::vector<std::string> keys;
  for (const auto& [key, value] : doc["config_schema"]["properties"].items()) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{"busy_backoff_max_s", "busy_backoff_s", "busy_retries",
                                            "command_timeout_s", "gcloud_binary", "instance",
                                            "poll_interval_s", "project", "wait_timeout_s"}));
  EXPECT_EQ(doc["config_schema"]["properties"]["wait_timeout_s"]["type"], "integer");
}

TEST_F(CloudsqlConfig, InstanceAndProjectDefaultToConfigYamlStatus) {
  gcloud.rule({"sql", "backups", "list"}, {Json{{"stdout", "[]"}}});
  start(R"({"poll_interval_s": 0.01})");
  auto reply = invoke("list");
  ASSERT_EQ(reply.status, MI2_OK) << reply.error;
  EXPECT_EQ(gcloud.argvs()[0], (Argv{"gcloud", "sql", "backups", "list", "--instance=src-acme-sql",
                                     "--project=src-acme-prj", "--format=json"}));
}

TEST_F(CloudsqlConfig, PlaceholdersExpandInInstanceAndProject) {
  gcloud.rule({"sql", "backups", "list"}, {Json{{"stdout", "[]"}}});
  start(R"({"instance": "{slug}-{environment}-db", "project": "{project}-data"})");
  ASSERT_EQ(invoke("list").status, MI2_OK);
  EXPECT_EQ(gcloud.argvs()[0][4], "--instance=acme-dev-db");
  EXPECT_EQ(gcloud.argvs()[0][5], "--project=src-acme-prj-data");
}

TEST_F(CloudsqlConfig, WrongNamesAreRefusedBeforeGcloudRuns) {
  start(R"({"instance": "{slug}_PG"})");
  auto reply = invoke("list");
  EXPECT_EQ(reply.status, MI2_INVALID_INPUT);
  EXPECT_EQ(reply.error,
            "'acme_PG' (plugins.cloudsql.instance for instance src-1a2b3c) is not a Cloud SQL "
            "instance id: use lower-case letters, digits and '-', starting with a letter, at most "
            "98 characters.");
  Driver project(R"({"project": "x;rm"})");
  project.fake.on_exec = process_runner(tools_env({&gcloud}));
  auto bad = project.invoke("backup", "list", sample_input());
  EXPECT_EQ(bad.status, MI2_INVALID_INPUT);
  EXPECT_EQ(bad.error,
            "'x;rm' (the GCP project of instance src-1a2b3c) is not a project id: use 6 to 30 "
            "lower-case letters, digits and '-', starting with a letter.");
  Driver source(fast_config());
  auto restore = source.invoke("backup", "restore",
                               sample_input({{"backup_id", "1"}, {"backup_instance", "../etc"}}));
  EXPECT_EQ(restore.status, MI2_INVALID_INPUT);
  EXPECT_TRUE(gcloud.argvs().empty());
  EXPECT_TRUE(project.fake.exec_calls.empty());
  EXPECT_TRUE(source.fake.exec_calls.empty());
}

TEST_F(CloudsqlConfig, NoInstanceAnywhereIsASentence) {
  start("{}");
  Json in = sample_input();
  in["instance"]["status"]["gcp"].erase("cloudSQL");
  auto reply = driver->invoke("backup", "create", in);
  EXPECT_EQ(reply.status, MI2_INVALID_INPUT);
  EXPECT_EQ(reply.error,
            "the cloudsql plugin has no Cloud SQL instance for instance src-1a2b3c: set "
            "plugins.cloudsql.instance in mi2.yaml (e.g. \"{instance_id}-pg\") or "
            "status.gcp.cloudSQL[0].name in its config.yaml.");
}

TEST_F(CloudsqlConfig, UnknownKeysAndWrongTypesAreRefusedAtCreate) {
  Driver typo(R"({"instanse": "x"})");
  EXPECT_EQ(typo.create_status, MI2_INVALID_INPUT);
  EXPECT_EQ(typo.create_error,
            "plugins.cloudsql.instanse in mi2.yaml is not an option of the cloudsql plugin; `mi2 "
            "plugin describe cloudsql` lists them.");
  Driver wrong(R"({"wait_timeout_s": "30m"})");
  EXPECT_EQ(wrong.create_status, MI2_INVALID_INPUT);
  EXPECT_EQ(wrong.create_error,
            "plugins.cloudsql.wait_timeout_s in mi2.yaml must be an integer (got \"30m\").");
}

TEST_F(CloudsqlConfig, ProgressIsReportedWhileWaiting) {
  script_backup();
  // The SDK's FakeHost drops progress; a copy of its table records it.
  static std::vector<std::string> seen;
  seen.clear();
  sdk::FakeHost fake;
  fake.on_exec = process_runner(tools_env({&gcloud}));
  mi2_host_services services = *fake.services();
  services.progress = [](mi2_host_context*, double, const char* message) {
    seen.emplace_back(message ? message : "");
  };
  cloudsql::CloudsqlPlugin plugin(sdk::Host(&services, fake.context()), fast_config());
  std::string error;
  mi2_status status = sdk::barrier(error, [&] {
    plugin.invoke("backup", "create", sample_input().dump());
    return MI2_OK;
  });
  ASSERT_EQ(status, MI2_OK) << error;
  ASSERT_EQ(seen.size(), 2u);  // after PENDING and after RUNNING
  EXPECT_TRUE(contains(seen[0], std::string("Cloud SQL operation ") + kOp +
                                    " (the backup of src-1a2b3c-pg): PENDING after"))
      << seen[0];
  EXPECT_TRUE(contains(seen[1], "RUNNING after")) << seen[1];
}

}  // namespace
}  // namespace mi2::test
