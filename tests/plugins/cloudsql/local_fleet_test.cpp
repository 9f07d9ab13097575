// `backup: [local, cloudsql]` on a git copy of examples/fleet, end to end: the
// built mi2 upgrades a real local instance (processes, SQLite, git) while the
// scripted gcloud plays Cloud SQL. The database checkpoint finishes before the
// migration starts; a failed backup leaves the migrations unapplied.
#include "tests/e2e/e2e_fixture.h"
#include "tests/plugins/cloudsql/scripted_cli.h"

namespace mi2::e2e {
namespace {

using mi2::test::answer;
using mi2::test::Argv;

class CloudsqlLocalFleet : public FleetE2eTest {
 protected:
  void SetUp() override {
    FleetE2eTest::SetUp();
    edit_mi2_yaml("backup: [local]", "backup: [local, cloudsql]");
    edit_mi2_yaml(
        "plugins:\n",
        "plugins:\n  cloudsql: {instance: \"{instance_id}-pg\", poll_interval_s: 0.01}\n");
    auto tools = mi2::test::tools_env({&gcloud});
    env_.insert(env_.end(), tools.begin(), tools.end());
  }
  void script_gcloud(const std::string& last) {
    gcloud.rule({"sql", "instances", "describe"}, {answer("instance-runnable.json")});
    gcloud.rule({"sql", "backups", "create"}, {answer("op-backup-pending.json")});
    // The real `operations wait` exits 1 once the operation carries an error.
    json failed_wait = {{"stderr",
                         "ERROR: (gcloud.sql.operations.wait) [INTERNAL_ERROR] An internal error "
                         "has occurred while backing up the instance; retry the operation.\n"},
                        {"exit", 1}};
    gcloud.rule({"sql", "operations", "wait"},
                {json{{"stdout", ""}},
                 last == "op-backup-failed.json" ? failed_wait : json{{"stdout", ""}}});
    gcloud.rule({"sql", "operations", "describe"},
                {answer("op-backup-running.json"), answer(last)});
    gcloud.rule({"sql", "backups", "describe"}, {answer("backup-successful.json")});
  }
  static long find(const std::vector<json>& events, const std::string& kind,
                   const std::string& step) {
    for (size_t i = 0; i < events.size(); ++i)
      if (events[i].value("event", "") == kind && events[i].value("step", "") == step)
        return static_cast<long>(i);
    return -1;
  }

  mi2::test::ScriptedCli gcloud = mi2::test::ScriptedCli::gcloud();
};

TEST_F(CloudsqlLocalFleet, TheDatabaseCheckpointFinishesBeforeTheMigrationStarts) {
  first_deploy("src-1a2b3c");
  EXPECT_TRUE(gcloud.argvs().empty());  // the first deploy takes no checkpoint
  script_gcloud("op-backup-done.json");
  auto r = mi2({"instance", "upgrade", "-target-version", "4.2.0"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(frontend_get("src-1a2b3c", "/__version"), "4.2.0");

  std::vector<Argv> argvs = gcloud.argvs();
  ASSERT_GE(argvs.size(), 2u);
  EXPECT_EQ(argvs[0], (Argv{"gcloud", "sql", "instances", "describe", "src-1a2b3c-pg",
                            "--project=src-acme-dev", "--format=json"}));  // the preflight
  EXPECT_EQ(Argv(argvs[1].begin(), argvs[1].begin() + 6),
            (Argv{"gcloud", "sql", "backups", "create", "--instance=src-1a2b3c-pg",
                  "--project=src-acme-dev"}));
  std::vector<json> events = journal("src-1a2b3c", latest_run("src-1a2b3c"));
  long finished = find(events, "step_finished", "checkpoint");
  long migrate = find(events, "step_started", "migrate");
  ASSERT_GE(finished, 0);
  ASSERT_GT(migrate, finished);
  EXPECT_EQ(events[finished]["outputs"]["cloudsql"]["checkpoint"]["backup_id"], "1764236100000");
  EXPECT_TRUE(events[finished]["outputs"]["local"]["checkpoint"].is_object());
  for (size_t i = 0; i < events.size(); ++i) {
    if (events[i].value("plugin", "") == "cloudsql" && events[i].value("event", "") == "command") {
      EXPECT_LT(static_cast<long>(i), finished);
    }
  }
}

TEST_F(CloudsqlLocalFleet, AFailedBackupLeavesTheMigrationsUnapplied) {
  first_deploy("src-1a2b3c");
  script_gcloud("op-backup-failed.json");
  auto r = mi2({"instance", "upgrade", "-target-version", "4.2.0"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE((r.out + r.err).find("An internal error has occurred while backing up the instance"),
            std::string::npos)
      << r.out << r.err;
  std::vector<json> events = journal("src-1a2b3c", latest_run("src-1a2b3c"));
  EXPECT_EQ(find(events, "step_started", "migrate"), -1);
  EXPECT_TRUE(
      sql("src-1a2b3c", "SELECT version FROM migration_logs WHERE release = '4.2.0'").empty());
  EXPECT_EQ(frontend_get("src-1a2b3c", "/__version"), "4.1.0");  // the old workload serves on
}

// Preflight (#13): gcloud without credentials (its own words) stops the
// upgrade before the bump: config.yaml byte for byte as it was, no backup
// attempted, the old workload serving.
TEST_F(CloudsqlLocalFleet, AnUnauthenticatedGcloudIsRefusedBeforeConfigYamlChanges) {
  first_deploy("src-1a2b3c");
  gcloud.rule({"sql"}, {mi2::test::gcloud_error("sql.instances.describe", mi2::test::kNoAccount)});
  std::string before = slurp(instance_dir("src-1a2b3c") / "config.yaml");
  auto r = mi2({"instance", "upgrade", "-target-version", "4.2.0"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("preflight: plugin 'cloudsql' backup.preflight failed: gcloud has no "
                       "active account to reach Cloud SQL instance src-1a2b3c-pg (project "
                       "src-acme-dev): run `gcloud auth login`"),
            std::string::npos)
      << r.out << r.err;
  EXPECT_NE(r.err.find("nothing was changed"), std::string::npos) << r.err;
  EXPECT_EQ(slurp(instance_dir("src-1a2b3c") / "config.yaml"), before);
  EXPECT_EQ(gcloud.argvs(),
            (std::vector<Argv>{{"gcloud", "sql", "instances", "describe", "src-1a2b3c-pg",
                                "--project=src-acme-dev", "--format=json"}}));
  EXPECT_EQ(frontend_get("src-1a2b3c", "/__version"), "4.1.0");
}

}  // namespace
}  // namespace mi2::e2e
