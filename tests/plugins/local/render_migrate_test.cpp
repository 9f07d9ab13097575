// render and migrate on a copy of the sample fleet (the release catalog itself:
// tests/plugins/release_catalog).
#include <dlfcn.h>

#include "local_fixture.h"
#include "sqlite_db.h"

namespace mi2::local::test {
namespace {

using LocalRenderTest = LocalFleetTest;

TEST_F(LocalRenderTest, RewritesTagsAndPinsAndKeepsTheRest) {
  json out = call("render", "render", input("4.2.0"));
  EXPECT_EQ(out["changed_files"],
            json({"kubernetes/kustomization.yaml", "terraform/stacks/app/cdk.tf.json",
                  "terraform/stacks/executors/cdk.tf.json"}));
  std::string k = slurp(instance_dir() / "kubernetes/kustomization.yaml");
  EXPECT_NE(k.find("# Rendered by mi2"), std::string::npos);  // comments survive
  EXPECT_NE(k.find("newTag: \"4.2.0\""), std::string::npos);
  EXPECT_EQ(k.find("4.1.0"), std::string::npos);
  json app = json::parse(slurp(instance_dir() / "terraform/stacks/app/cdk.tf.json"));
  EXPECT_EQ(app["locals"]["sourcegraph_version"], "4.2.0");
  EXPECT_EQ(app["locals"]["instance_id"], "src-1a2b3c");
  // Rendering again changes nothing.
  EXPECT_TRUE(call("render", "render", input("4.2.0"))["changed_files"].empty());
}

TEST_F(LocalRenderTest, DryRunChangesNothing) {
  fake().dry_run = true;
  json out = call("render", "render", input("4.2.0"));
  EXPECT_EQ(out["changed_files"].size(), 3u);
  EXPECT_NE(slurp(instance_dir() / "kubernetes/kustomization.yaml").find("4.1.0"),
            std::string::npos);
}

using LocalMigrateTest = LocalFleetTest;

TEST_F(LocalMigrateTest, AppliesAndRecordsEachMigrationOnce) {
  json out = call("migrate", "up", input("4.1.0"));
  EXPECT_EQ(out["applied"].size(), 4u);
  EXPECT_TRUE(call("migrate", "up", input("4.1.0"))["applied"].empty());
  SqliteDb db(state() / "db.sqlite", false);
  auto rows =
      db.query("SELECT version, success, finished_at IS NOT NULL FROM migration_logs ORDER BY id");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[3][0], "4.1.0/002_create_settings.sql");
  EXPECT_EQ(rows[3][1], "1");
  EXPECT_EQ(rows[3][2], "1");
  EXPECT_EQ(db.query("SELECT value FROM settings")[0][0], "Sourcegraph");

  json status = call("migrate", "status", input("4.2.0"));
  EXPECT_FALSE(status["dirty"]);
  EXPECT_EQ(status["pending"],
            json({"4.2.0/001_create_audit_log.sql", "4.2.0/002_create_repo_topics.sql"}));
}

TEST_F(LocalMigrateTest, FailureLeavesDirtyStateAndRepairReappliesOnlyThatOne) {
  call("migrate", "up", input("4.1.0"));
  Driver::Reply failed = invoke("migrate", "up", input("4.2.0-rc.2"));
  ASSERT_EQ(failed.status, MI2_FAILED) << "the failing migration passed";
  EXPECT_TRUE(failed.output["dirty"]);  // the partial output, next to the error
  EXPECT_EQ(failed.output["failed_version"], "4.2.0-rc.2/002_unique_user_email.sql");
  EXPECT_NE(failed.error.find("mi2 instance db repair"), std::string::npos) << failed.error;
  // Halfway: 001 of the release stays applied, 002's change was rolled back.
  SqliteDb db(state() / "db.sqlite", false);
  EXPECT_EQ(db.query("SELECT COUNT(*) FROM user_emails")[0][0], "4");
  EXPECT_TRUE(db.query("SELECT name FROM sqlite_master WHERE name = 'users_email_unique'").empty());

  json status = call("migrate", "status", input("4.2.0-rc.2"));
  EXPECT_TRUE(status["dirty"]);
  EXPECT_EQ(status["failed_version"], "4.2.0-rc.2/002_unique_user_email.sql");
  EXPECT_EQ(status["pending"], json({"4.2.0-rc.2/003_add_repo_topics.sql"}));

  // The next plain run refuses, naming the failed migration.
  Driver::Reply refused = invoke("migrate", "up", input("4.2.0-rc.2"));
  ASSERT_EQ(refused.status, MI2_FAILED) << "a dirty database was migrated";
  EXPECT_NE(refused.error.find("is dirty"), std::string::npos) << refused.error;
  // Repair: fix the data, re-apply only the dirty migration.
  db.exec_or_throw("DELETE FROM users WHERE username = 'alice-old'");
  json repaired = call("migrate", "up", input("4.2.0-rc.2", {{"ignore_single_dirty_log", true}}));
  EXPECT_EQ(repaired["applied"], json({"4.2.0-rc.2/002_unique_user_email.sql"}));
  EXPECT_EQ(call("migrate", "status", input("4.2.0-rc.2"))["pending"].size(), 1u);
  EXPECT_EQ(call("migrate", "up", input("4.2.0-rc.2"))["applied"],
            json({"4.2.0-rc.2/003_add_repo_topics.sql"}));
  EXPECT_FALSE(call("migrate", "status", input("4.2.0-rc.2"))["dirty"]);
}

TEST_F(LocalMigrateTest, AnUnfinishedMigrationCountsAsDirty) {
  call("migrate", "up", input("4.1.0"));
  {
    SqliteDb db(state() / "db.sqlite", false);  // as if mi2 was killed mid-migration
    db.exec_or_throw(
        "INSERT INTO migration_logs (version, release, up, started_at) "
        "VALUES ('4.2.0/001_create_audit_log.sql', '4.2.0', 1, 'now')");
  }
  json status = call("migrate", "status", input("4.2.0"));
  EXPECT_TRUE(status["dirty"]);
  EXPECT_EQ(status["dirty_logs"][0]["state"], "unfinished");
  EXPECT_EQ(call("migrate", "up", input("4.2.0", {{"ignore_single_dirty_log", true}}))["applied"],
            json({"4.2.0/001_create_audit_log.sql"}));
}

// The built .so, through the C ABI: a failed call still hands over its output.
TEST_F(LocalMigrateTest, PluginSoGivesPartialOutputOnFailure) {
  void* so = dlopen(MI2_BUILD_PLUGIN_DIR "/mi2-plugin-local.so", RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(so, nullptr) << dlerror();
  using Entry =
      const mi2_plugin_api* (*)(uint32_t, uint32_t, const mi2_host_services*, const char**);
  auto entry = reinterpret_cast<Entry>(dlsym(so, "mi2_plugin_entry"));
  ASSERT_NE(entry, nullptr);
  const char* error = nullptr;
  const mi2_plugin_api* api =
      entry(MI2_ABI_VERSION_MAJOR, MI2_ABI_VERSION_MINOR, fake().services(), &error);
  ASSERT_NE(api, nullptr);
  EXPECT_EQ(json::parse(api->describe())["name"], "local");
  mi2_plugin_instance* instance = nullptr;
  ASSERT_EQ(api->create(fake().context(), R"({"releases_dir": "releases"})", &instance), MI2_OK);
  const char* output = nullptr;
  ASSERT_EQ(api->invoke(instance, "migrate", "up", input("4.1.0").dump().c_str(), &output), MI2_OK);
  ASSERT_EQ(api->invoke(instance, "migrate", "up", input("4.2.0-rc.2").dump().c_str(), &output),
            MI2_FAILED);
  ASSERT_NE(output, nullptr);
  EXPECT_EQ(json::parse(output)["failed_version"], "4.2.0-rc.2/002_unique_user_email.sql");
  EXPECT_NE(std::string(api->last_error(instance)).find("dirty"), std::string::npos);
  EXPECT_EQ(api->invoke(instance, "apply", "nope", input("4.1.0").dump().c_str(), &output),
            MI2_NOT_SUPPORTED);
  api->destroy(instance);
}

// The config is read by the SDK's ConfigReader: its sentences, its schema.
TEST(LocalConfigTest, WrongTypeAndUnknownKeyAreSentences) {
  Driver wrong(R"({"rollout_timeout_ms": "8s"})");
  EXPECT_EQ(wrong.create_status, MI2_INVALID_INPUT);
  EXPECT_EQ(wrong.create_error,
            "plugins.local.rollout_timeout_ms in mi2.yaml must be an integer (got \"8s\").");
  Driver typo(R"({"forge_directory": "x"})");
  EXPECT_EQ(typo.create_status, MI2_INVALID_INPUT);
  EXPECT_NE(typo.create_error.find(
                "plugins.local.forge_directory in mi2.yaml is not an option of the local plugin"),
            std::string::npos)
      << typo.create_error;
  json properties = Driver().describe()["config_schema"]["properties"];
  EXPECT_EQ(properties["ready_after_ms"]["type"], "integer");
  EXPECT_EQ(properties.size(), 6u);
}

}  // namespace
}  // namespace mi2::local::test
