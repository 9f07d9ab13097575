// backup.list and backup.restore: the exact commands (the restore's --quiet),
// a restore only of an explicitly named SUCCESSFUL backup, what it overwrote,
// a failed restore operation, restore types that are not the database's, and
// dry run.
#include "tests/plugins/cloudsql/plugin_fixture.h"

namespace mi2::test {
namespace {

const Argv kList = {
    "gcloud",       "sql", "backups", "list", "--instance=src-1a2b3c-pg", "--project=src-acme-prj",
    "--format=json"};

Argv restore_argv(const std::string& id, const std::vector<std::string>& more = {}) {
  Argv argv = {"gcloud",
               "sql",
               "backups",
               "restore",
               id,
               "--restore-instance=src-1a2b3c-pg",
               "--project=src-acme-prj"};
  argv.insert(argv.end(), more.begin(), more.end());
  argv.insert(argv.end(), {"--async", "--quiet", "--format=json"});
  return argv;
}

class CloudsqlRestore : public CloudsqlTest {
 protected:
  void script_restore(const std::string& done = "op-restore-done.json") {
    gcloud.rule({"sql", "backups", "list"}, {answer("backups-list.json")});
    gcloud.rule({"sql", "backups", "restore"}, {answer("op-restore-pending.json")});
    gcloud.rule({"sql", "operations", "wait"}, {Json{{"stdout", ""}}});
    gcloud.rule({"sql", "operations", "describe"}, {answer(done)});
  }
};

TEST_F(CloudsqlRestore, ListMapsBackupRunsOldestFirst) {
  gcloud.rule({"sql", "backups", "list"}, {answer("backups-list.json")});
  start();
  auto reply = invoke("list");
  ASSERT_EQ(reply.status, MI2_OK) << reply.error;
  EXPECT_EQ(gcloud.argvs(), std::vector<Argv>{kList});
  const Json& backups = reply.output["backups"];
  ASSERT_EQ(backups.size(), 4u);
  EXPECT_EQ(backups[0], (Json{{"id", "1764140000000"},
                              {"status", "SUCCESSFUL"},
                              {"type", "ON_DEMAND"},
                              {"description", "before-test"},
                              {"created", "2026-11-26T07:13:20.000Z"},
                              {"started", "2026-11-26T07:13:20.000Z"},
                              {"finished", "2026-11-26T07:13:20.000Z"},
                              {"instance", "src-1a2b3c-pg"},
                              {"project", "src-acme-prj"}}));
  EXPECT_EQ(backups[2]["type"], "AUTOMATED");
  EXPECT_EQ(backups[2]["description"], "");
  EXPECT_EQ(backups[3]["id"], "1764236100000");
  EXPECT_EQ(backups[3]["description"], "mi2-20261127t101500z-3f2a");
}

TEST_F(CloudsqlRestore, NeedsTheBackupNamedAndRunsNothingWithout) {
  start();
  auto reply = invoke("restore");
  EXPECT_EQ(reply.status, MI2_INVALID_INPUT);
  EXPECT_EQ(reply.error,
            "a restore overwrites all data of Cloud SQL instance src-1a2b3c-pg (project "
            "src-acme-prj), so it needs the backup named explicitly: pass --backup-name (a "
            "checkpoint name or a Cloud SQL backup id from `mi2 instance backup list`).");
  EXPECT_TRUE(gcloud.argvs().empty());
  // A checkpoint of the run is no request to restore.
  Json in = sample_input();
  in["checkpoints"] = {{"cloudsql", {{"id", "mi2-x"}, {"backup_id", "1764236100000"}}}};
  EXPECT_EQ(driver->invoke("backup", "restore", in).status, MI2_INVALID_INPUT);
  EXPECT_TRUE(gcloud.argvs().empty());
}

TEST_F(CloudsqlRestore, ByNameRestoresTheSuccessfulBackupWithQuietAndSaysWhatItOverwrote) {
  script_restore();
  start();
  auto reply = invoke("restore", {{"backup_name", "before-test"}});
  ASSERT_EQ(reply.status, MI2_OK) << reply.error;
  std::vector<Argv> argvs = gcloud.argvs();
  ASSERT_EQ(argvs.size(), 4u);
  EXPECT_EQ(argvs[0], kList);
  EXPECT_EQ(argvs[1], restore_argv("1764140000000"));  // the SUCCESSFUL one, not the FAILED
  EXPECT_EQ(Argv(argvs[2].begin(), argvs[2].begin() + 6),
            (Argv{"gcloud", "sql", "operations", "wait", kRestoreOp, "--project=src-acme-prj"}));
  EXPECT_EQ(argvs[3], (Argv{"gcloud", "sql", "operations", "describe", kRestoreOp,
                            "--project=src-acme-prj", "--format=json"}));
  EXPECT_TRUE(driver->fake.exec_calls[1].mutating);
  EXPECT_EQ(reply.output["restored"], "before-test");
  EXPECT_EQ(reply.output["backup_id"], "1764140000000");
  EXPECT_EQ(reply.output["operation"], kRestoreOp);
  EXPECT_EQ(reply.output["overwrote"],
            "All data of Cloud SQL instance src-1a2b3c-pg (project src-acme-prj) was replaced by "
            "Cloud SQL backup 1764140000000 (before-test) of instance src-1a2b3c-pg taken "
            "2026-11-26T07:13:20.000Z; what was written after that backup is gone.");
}

TEST_F(CloudsqlRestore, ByIdFromAnotherInstancePassesBackupInstance) {
  gcloud.rule({"sql", "backups", "describe"}, {answer("backup-successful.json")});
  script_restore();
  start();
  auto reply =
      invoke("restore", {{"backup_id", "1764236100000"}, {"backup_instance", "src-old-pg"}});
  ASSERT_EQ(reply.status, MI2_OK) << reply.error;
  std::vector<Argv> argvs = gcloud.argvs();
  ASSERT_GE(argvs.size(), 2u);
  EXPECT_EQ(argvs[0], (Argv{"gcloud", "sql", "backups", "describe", "1764236100000",
                            "--instance=src-old-pg", "--project=src-acme-prj", "--format=json"}));
  EXPECT_EQ(argvs[1], restore_argv("1764236100000", {"--backup-instance=src-old-pg"}));
  EXPECT_EQ(reply.output["backup_instance"], "src-old-pg");
}

TEST_F(CloudsqlRestore, OnlyASuccessfulBackupIsRestored) {
  gcloud.rule({"sql", "backups", "describe"}, {answer("backup-failed.json")});
  script_restore();
  start();
  auto reply = invoke("restore", {{"backup_name", "1764236100000"}});
  EXPECT_EQ(reply.status, MI2_FAILED);
  EXPECT_EQ(reply.error,
            "Cloud SQL backup 1764236100000 of instance src-1a2b3c-pg is FAILED; only a "
            "SUCCESSFUL backup is restored: pick one from `mi2 instance backup list`. Nothing was "
            "changed on Cloud SQL instance src-1a2b3c-pg (project src-acme-prj).");
  for (const Argv& argv : gcloud.argvs()) EXPECT_NE(argv[3], "restore");

  auto unknown = invoke("restore", {{"backup_name", "never-taken"}});
  EXPECT_EQ(unknown.status, MI2_FAILED);
  EXPECT_EQ(unknown.error,
            "Cloud SQL instance src-1a2b3c-pg (project src-acme-prj) has no backup named "
            "'never-taken'; `mi2 instance backup list` shows its backups (name or id).");
}

TEST_F(CloudsqlRestore, AFailedRestoreOperationSaysTheInstanceMayHoldPartialData) {
  script_restore("op-restore-failed.json");
  start();
  auto reply = invoke("restore", {{"backup_name", "before-test"}});
  EXPECT_EQ(reply.status, MI2_FAILED);
  EXPECT_EQ(reply.error,
            std::string("The restore of Cloud SQL backup 1764140000000 onto Cloud SQL instance "
                        "src-1a2b3c-pg (project src-acme-prj) failed: ERROR_RDBMS: Restore "
                        "failed: the target instance ran out of disk space. (operation ") +
                kRestoreOp +
                "); the instance may hold partial data: check it before it serves again, and "
                "restore again once the cause is fixed.");
}

TEST_F(CloudsqlRestore, RestoreTypesOfTheClusterLeaveTheDatabaseAlone) {
  start();
  auto reply = invoke("restore", {{"backup_name", "before-test"}, {"restore_type", "manifests"}});
  EXPECT_EQ(reply.status, MI2_NOT_SUPPORTED);
  EXPECT_EQ(reply.error,
            "restore type 'manifests' does not restore a database, so the cloudsql plugin left "
            "Cloud SQL instance src-1a2b3c-pg (project src-acme-prj) untouched; use "
            "--restore-type full-replace (or database) to restore it.");
  EXPECT_TRUE(gcloud.argvs().empty());
}

TEST_F(CloudsqlRestore, Busy409DuringTheRestoreIsRetried) {
  gcloud.rule({"sql", "backups", "restore"},
              {gcloud_error("sql.backups.restore", kBusy), answer("op-restore-pending.json")});
  script_restore();
  start();
  auto reply =
      invoke("restore", {{"backup_name", "before-test"}, {"restore_type", "full-replace"}});
  ASSERT_EQ(reply.status, MI2_OK) << reply.error;
  std::vector<Argv> argvs = gcloud.argvs();
  EXPECT_EQ(std::count(argvs.begin(), argvs.end(), restore_argv("1764140000000")), 2);
}

TEST_F(CloudsqlRestore, DryRunRecordsTheRestoreAndRunsOnlyReads) {
  script_restore();
  gcloud.rule({"sql", "operations", "list"}, {answer("operations-idle.json")});
  start();
  driver->fake.dry_run = true;
  auto reply = invoke("restore", {{"backup_name", "before-test"}});
  ASSERT_EQ(reply.status, MI2_OK) << reply.error;
  for (const Argv& argv : gcloud.argvs()) EXPECT_NE(argv[3], "restore");
  EXPECT_EQ(driver->fake.exec_calls[1].argv, restore_argv("1764140000000"));
  EXPECT_EQ(reply.output["restored"], "");
  EXPECT_TRUE(contains(reply.output["would_overwrite"],
                       "All data of Cloud SQL instance "
                       "src-1a2b3c-pg"));
  EXPECT_EQ(reply.output["note"],
            "no operation is running on Cloud SQL instance src-1a2b3c-pg (project src-acme-prj) "
            "now");
}

}  // namespace
}  // namespace mi2::test
