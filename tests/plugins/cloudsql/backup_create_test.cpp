// backup.create: the exact gcloud commands, PENDING -> RUNNING -> DONE, a DONE
// operation with an error, a backup run that is not SUCCESSFUL, HTTP 409 once
// and for good, an unauthenticated gcloud, a missing instance, cancel and the
// wait deadline, dry run, and the checkpoint's name.
#include <regex>

#include "tests/plugins/cloudsql/plugin_fixture.h"

namespace mi2::test {
namespace {

const Argv kCreate = {"gcloud",
                      "sql",
                      "backups",
                      "create",
                      "--instance=src-1a2b3c-pg",
                      "--project=src-acme-prj",
                      "--description=mi2-20261127t101500z-3f2a",
                      "--async",
                      "--format=json"};
const Argv kDescribeOp = {
    "gcloud", "sql", "operations", "describe", kOp, "--project=src-acme-prj", "--format=json"};
const Argv kDescribeBackup = {"gcloud",
                              "sql",
                              "backups",
                              "describe",
                              "1764236100000",
                              "--instance=src-1a2b3c-pg",
                              "--project=src-acme-prj",
                              "--format=json"};

// `gcloud sql operations wait OP --project=P --timeout=N` with N near `limit`.
void expect_wait(const Argv& argv, long long limit = 1800) {
  ASSERT_EQ(argv.size(), 7u) << testing::PrintToString(argv);
  EXPECT_EQ(Argv(argv.begin(), argv.begin() + 6),
            (Argv{"gcloud", "sql", "operations", "wait", kOp, "--project=src-acme-prj"}));
  ASSERT_EQ(argv[6].rfind("--timeout=", 0), 0u);
  long long timeout = std::stoll(argv[6].substr(10));
  EXPECT_LE(timeout, limit);
  EXPECT_GT(timeout, limit - 10);
}

using CloudsqlCreate = CloudsqlTest;

TEST_F(CloudsqlCreate, WaitsThroughPendingAndRunningThenChecksTheBackupRun) {
  script_backup();
  start();
  auto reply = invoke("create");
  ASSERT_EQ(reply.status, MI2_OK) << reply.error;

  std::vector<Argv> argvs = gcloud.argvs();
  ASSERT_EQ(argvs.size(), 8u);
  EXPECT_EQ(argvs[0], kCreate);
  for (size_t i : {1, 3, 5}) expect_wait(argvs[i]);
  for (size_t i : {2, 4, 6}) EXPECT_EQ(argvs[i], kDescribeOp);
  EXPECT_EQ(argvs[7], kDescribeBackup);
  // Only the create changes anything, so only it is recorded in a dry run.
  for (const auto& call : driver->fake.exec_calls)
    EXPECT_EQ(call.mutating, call.argv[3] == "create") << call.argv[3];

  const Json& c = reply.output["checkpoint"];
  EXPECT_EQ(c["id"], "mi2-20261127t101500z-3f2a");
  EXPECT_EQ(c["description"], "mi2-20261127t101500z-3f2a");
  EXPECT_EQ(c["backup_id"], "1764236100000");
  EXPECT_EQ(c["instance"], "src-1a2b3c-pg");
  EXPECT_EQ(c["project"], "src-acme-prj");
  EXPECT_EQ(c["operation"], kOp);
  EXPECT_EQ(c["status"], "SUCCESSFUL");
  std::regex rfc3339(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  EXPECT_TRUE(std::regex_match(c["started"].get<std::string>(), rfc3339)) << c.dump();
  EXPECT_TRUE(std::regex_match(c["finished"].get<std::string>(), rfc3339)) << c.dump();
}

TEST_F(CloudsqlCreate, DoneWithAnErrorFailsWithTheOperationsMessage) {
  // As the real `operations wait` does once the operation carries an error.
  gcloud.rule({"sql", "operations", "wait"},
              {Json{{"stdout", ""}},
               gcloud_error("sql.operations.wait",
                            "[INTERNAL_ERROR] An internal error has occurred while backing up the "
                            "instance; retry the operation.")});
  script_backup({answer("op-backup-running.json"), answer("op-backup-failed.json")});
  start();
  auto reply = invoke("create");
  EXPECT_EQ(reply.status, MI2_FAILED);
  EXPECT_EQ(
      reply.error,
      std::string("The Cloud SQL backup of Cloud SQL instance src-1a2b3c-pg (project "
                  "src-acme-prj) failed: INTERNAL_ERROR: An internal error has occurred while "
                  "backing up the instance; retry the operation. (operation ") +
          kOp +
          "); without the database checkpoint the upgrade must not go on: fix the cause, "
          "then run again.");
  EXPECT_EQ(reply.output["checkpoint"]["operation"], kOp);  // partial output for the journal
  for (const Argv& argv : gcloud.argvs()) EXPECT_NE(argv, kDescribeBackup);
}

TEST_F(CloudsqlCreate, ABackupRunThatFailedIsNoCheckpoint) {
  gcloud.rule({"sql", "backups", "describe"}, {answer("backup-failed.json")});  // first match wins
  script_backup({answer("op-backup-done.json")});
  start();
  auto reply = invoke("create");
  EXPECT_EQ(reply.status, MI2_FAILED);
  EXPECT_TRUE(contains(reply.error,
                       "Cloud SQL backup 1764236100000 of Cloud SQL instance "
                       "src-1a2b3c-pg (project src-acme-prj) is FAILED, not "
                       "SUCCESSFUL (BACKUP_FAILED: The backup could not be written "
                       "to storage.)"))
      << reply.error;
}

TEST_F(CloudsqlCreate, ARunningBackupRunIsAskedAgainUntilItSettles) {
  gcloud.rule({"sql", "backups", "describe"},
              {answer("backup-running.json"), answer("backup-successful.json")});
  script_backup({answer("op-backup-done.json")});
  start();
  auto reply = invoke("create");
  ASSERT_EQ(reply.status, MI2_OK) << reply.error;
  std::vector<Argv> argvs = gcloud.argvs();
  EXPECT_EQ(std::count(argvs.begin(), argvs.end(), kDescribeBackup), 2);
}

TEST_F(CloudsqlCreate, Busy409OnceIsRetriedAfterABackoff) {
  gcloud.rule({"sql", "backups", "create"},
              {gcloud_error("sql.backups.create", kBusy), answer("op-backup-pending.json")});
  script_backup({answer("op-backup-done.json")});
  start();
  auto reply = invoke("create");
  ASSERT_EQ(reply.status, MI2_OK) << reply.error;
  std::vector<ScriptedCli::Call> calls = gcloud.calls();
  ASSERT_GE(calls.size(), 2u);
  EXPECT_EQ(calls[0].argv, kCreate);
  EXPECT_EQ(calls[1].argv, kCreate);
  EXPECT_GE(calls[1].time - calls[0].time, 0.01);  // busy_backoff_s
  bool warned = false;
  for (const auto& line : driver->fake.logs)
    warned |= line.level == MI2_LOG_WARN && contains(line.message, "HTTP 409 operationInProgress");
  EXPECT_TRUE(warned);
  EXPECT_EQ(reply.output["checkpoint"]["backup_id"], "1764236100000");
}

TEST_F(CloudsqlCreate, Busy409ThroughEveryAttemptIsRetryableWithASentence) {
  gcloud.rule({"sql", "backups", "create"}, {gcloud_error("sql.backups.create", kBusy)});
  start(fast_config(R"("busy_retries": 2)"));
  auto reply = invoke("create");
  EXPECT_EQ(reply.status, MI2_RETRYABLE);
  EXPECT_EQ(reply.error,
            "Cloud SQL instance src-1a2b3c-pg (project src-acme-prj) stayed busy with another "
            "operation (HTTP 409 operationInProgress) through 3 attempts, so the backup did not "
            "start; see `gcloud sql operations list --instance=src-1a2b3c-pg "
            "--project=src-acme-prj`, wait for that operation to finish, then run again.");
  EXPECT_EQ(gcloud.argvs(), std::vector<Argv>(3, kCreate));
}

TEST_F(CloudsqlCreate, AnUnauthenticatedGcloudNamesAuthLoginAndWorkloadIdentity) {
  gcloud.rule({"sql"}, {gcloud_error("sql.backups.create", kNoAccount)});
  start();
  auto reply = invoke("create");
  EXPECT_EQ(reply.status, MI2_FAILED);
  EXPECT_EQ(reply.error,
            "gcloud has no active account to reach Cloud SQL instance src-1a2b3c-pg (project "
            "src-acme-prj): run `gcloud auth login` (or `gcloud auth activate-service-account`), "
            "or run mi2 where workload identity gives gcloud a service account, then try again.");
  EXPECT_EQ(gcloud.argvs().size(), 1u);  // not retried
}

TEST_F(CloudsqlCreate, AMissingInstanceIsNamed) {
  gcloud.rule({"sql"}, {gcloud_error("sql.backups.create",
                                     "HTTPError 404: The Cloud SQL instance does not exist.")});
  start();
  auto reply = invoke("create");
  EXPECT_EQ(reply.status, MI2_FAILED);
  EXPECT_EQ(reply.error,
            "Cloud SQL instance src-1a2b3c-pg does not exist in project src-acme-prj (gcloud: "
            "HTTPError 404: The Cloud SQL instance does not exist); set plugins.cloudsql.instance "
            "in mi2.yaml or status.gcp.cloudSQL in the config.yaml of src-1a2b3c.");
}

TEST_F(CloudsqlCreate, CancelStopsTheWaitAndSaysTheBackupGoesOn) {
  script_backup({answer("op-backup-running.json")});
  start();
  auto run = driver->fake.on_exec;
  int describes = 0;
  driver->fake.on_exec = [&](const sdk::FakeHost::ExecCall& call) {
    sdk::ExecResult r = run(call);
    if (call.argv[2] == "operations" && call.argv[3] == "describe" && ++describes == 2)
      driver->fake.cancelled = true;  // SIGINT while the backup runs
    return r;
  };
  auto reply = invoke("create");
  EXPECT_EQ(reply.status, MI2_CANCELLED);
  EXPECT_EQ(reply.error, std::string("Stopped waiting for Cloud SQL operation ") + kOp +
                             " (the backup of Cloud SQL instance src-1a2b3c-pg (project "
                             "src-acme-prj)): the backup itself goes on in Google's hands, and "
                             "`mi2 instance backup list` shows it once it is done.");
  EXPECT_EQ(reply.output["operation"], kOp);
  EXPECT_EQ(describes, 2);
}

TEST_F(CloudsqlCreate, WaitTimeoutSaysTheOperationIsStillRunning) {
  gcloud.rule({"sql", "operations", "wait"},
              {gcloud_error("sql.operations.wait",
                            std::string("Operation https://sqladmin.googleapis.com/sql/v1beta4/"
                                        "projects/src-acme-prj/operations/") +
                                kOp +
                                " is taking longer than expected. You can continue waiting for "
                                "the operation by running `gcloud beta sql operations wait "
                                "--project src-acme-prj " +
                                kOp + "`")});
  script_backup({answer("op-backup-running.json")});
  start(R"({"instance": "{instance_id}-pg", "poll_interval_s": 0.2, "wait_timeout_s": 1})");
  auto reply = invoke("create");
  EXPECT_EQ(reply.status, MI2_TIMEOUT);
  EXPECT_TRUE(contains(reply.error,
                       "was still RUNNING after plugins.cloudsql.wait_timeout_s=1s: "
                       "the backup itself goes on in Google's hands"))
      << reply.error;
  std::vector<Argv> argvs = gcloud.argvs();
  ASSERT_GE(argvs.size(), 2u);
  expect_wait(argvs[1], 1);
}

TEST_F(CloudsqlCreate, DryRunRecordsTheCreateAndReportsTheOperationInProgress) {
  gcloud.rule({"sql", "operations", "list"}, {answer("operations-busy.json")});
  start();
  driver->fake.dry_run = true;
  auto reply = invoke("create");
  ASSERT_EQ(reply.status, MI2_OK) << reply.error;
  // The create was handed to the host as mutating (recorded, not run) ...
  ASSERT_EQ(driver->fake.exec_calls.size(), 2u);
  EXPECT_EQ(driver->fake.exec_calls[0].argv, kCreate);
  EXPECT_TRUE(driver->fake.exec_calls[0].mutating);
  // ... and only the read-only look at the instance's operations ran.
  EXPECT_EQ(gcloud.argvs(),
            (std::vector<Argv>{{"gcloud", "sql", "operations", "list", "--instance=src-1a2b3c-pg",
                                "--project=src-acme-prj", "--format=json", "--limit=5"}}));
  EXPECT_EQ(reply.output["dry_run"], true);
  ASSERT_EQ(reply.output["operations_in_progress"].size(), 1u);
  EXPECT_EQ(reply.output["operations_in_progress"][0]["operationType"], "BACKUP_VOLUME");
  EXPECT_TRUE(contains(reply.output["note"], "is RUNNING on Cloud SQL instance src-1a2b3c-pg"));
  EXPECT_EQ(reply.output["checkpoint"]["id"], "mi2-20261127t101500z-3f2a");
}

TEST_F(CloudsqlCreate, TheCheckpointIsNamedByParamsOrTheRunOrTheTime) {
  script_backup({answer("op-backup-done.json")});
  start();
  auto named = invoke("create", {{"name", "before-test"}});
  ASSERT_EQ(named.status, MI2_OK) << named.error;
  EXPECT_EQ(gcloud.argvs()[0][6], "--description=before-test");
  EXPECT_EQ(named.output["checkpoint"]["id"], "before-test");

  Json outside_a_run = sample_input();
  outside_a_run.erase("run_id");
  auto stamped = driver->invoke("backup", "create", outside_a_run);
  ASSERT_EQ(stamped.status, MI2_OK) << stamped.error;
  EXPECT_TRUE(std::regex_match(stamped.output["checkpoint"]["id"].get<std::string>(),
                               std::regex(R"(mi2-\d{8}t\d{6}z)")))
      << stamped.output.dump();

  size_t before = gcloud.argvs().size();
  auto bad = invoke("create", {{"name", "no spaces please"}});
  EXPECT_EQ(bad.status, MI2_INVALID_INPUT);
  EXPECT_EQ(bad.error,
            "backup name 'no spaces please' for instance src-1a2b3c must be 1 to 63 letters, "
            "digits, '.', '_' or '-'.");
  EXPECT_EQ(gcloud.argvs().size(), before);
}

}  // namespace
}  // namespace mi2::test
