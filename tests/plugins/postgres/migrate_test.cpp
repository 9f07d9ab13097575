// migrate.up / migrate.status / db-health on the real test server: the sample
// catalog's Postgres migrations, migration_logs, the dirty state and its
// repair path, the advisory lock, dry-run, a wrong password, several databases.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "tests/plugins/postgres/plugin_harness.h"

namespace mi2::postgres::test {
namespace {

using sdk::Json;

const std::vector<std::string> k410 = {"4.0.0/001_create_users.sql", "4.0.0/002_create_repos.sql",
                                       "4.1.0/001_add_repo_stars.sql",
                                       "4.1.0/002_create_settings.sql"};

class PostgresMigrateTest : public PgPluginTest {};

TEST_F(PostgresMigrateTest, FirstDeployAppliesEveryMigrationUpToTheVersionAndRecordsEach) {
  MI2_REQUIRE_POSTGRES();
  auto d = driver();
  auto up = d->invoke("migrate", "up", input("4.1.0"));
  ASSERT_TRUE(up.ok()) << up.error;
  EXPECT_EQ(up.output["applied"], Json(k410));
  EXPECT_EQ(up.output["schema_version"], "4.1.0");
  EXPECT_EQ(sql("SELECT version, success, finished_at >= started_at, error_message IS NULL "
                "FROM migration_logs ORDER BY id"),
            (std::vector<std::string>{k410[0] + "|t|t|t", k410[1] + "|t|t|t", k410[2] + "|t|t|t",
                                      k410[3] + "|t|t|t"}));
  EXPECT_EQ(sql("SELECT count(*), sum(stars) FROM users, repos WHERE users.id = 1"),
            std::vector<std::string>{"2|0"});
  EXPECT_EQ(sql("SELECT version FROM versions WHERE service = 'frontend'"),
            std::vector<std::string>{"4.1.0"});

  // Each migration: its own psql session and transaction, mutating, the
  // password only in the child's environment.
  int migrations = 0;
  for (const auto& call : d->fake.exec_calls) {
    EXPECT_EQ(call.argv[0], "psql");
    bool is_migration = shown(call.argv).find("mi2_file=") != std::string::npos;
    if (is_migration) {
      ++migrations;
      EXPECT_TRUE(call.mutating);
      EXPECT_NE(std::find(call.argv.begin(), call.argv.end(), "--single-transaction"),
                call.argv.end());
      EXPECT_NE(call.stdin_data.find("pg_advisory_xact_lock"), std::string::npos);
    }
    EXPECT_NE(std::find(call.env.begin(), call.env.end(), PgServer::get().password_env()),
              call.env.end());
  }
  EXPECT_EQ(migrations, 4);
  EXPECT_EQ(all_argv(d->fake).find(PgServer::get().password()), std::string::npos);
  EXPECT_NE(std::find(d->fake.secrets.begin(), d->fake.secrets.end(), PgServer::get().password()),
            d->fake.secrets.end());

  auto status = d->invoke("migrate", "status", input("4.1.0"));
  ASSERT_TRUE(status.ok()) << status.error;
  EXPECT_EQ(status.output["dirty"], false);
  EXPECT_EQ(status.output["applied"], Json(k410));
  EXPECT_EQ(status.output["pending"], Json::array());
  EXPECT_EQ(status.output["schema_version"], "4.1.0");
}

TEST_F(PostgresMigrateTest, AnUpgradeAppliesOnlyTheNewReleaseAndSkipsReleaseCandidates) {
  MI2_REQUIRE_POSTGRES();
  auto d = driver();
  ASSERT_TRUE(d->invoke("migrate", "up", input("4.1.0")).ok());
  auto status = d->invoke("migrate", "status", input("4.2.0"));
  EXPECT_EQ(status.output["pending"],
            Json({"4.2.0/001_create_audit_log.sql", "4.2.0/002_create_repo_topics.sql"}));
  auto up = d->invoke("migrate", "up", input("4.2.0"));
  ASSERT_TRUE(up.ok()) << up.error;
  EXPECT_EQ(up.output["applied"],
            Json({"4.2.0/001_create_audit_log.sql", "4.2.0/002_create_repo_topics.sql"}));
  EXPECT_EQ(sql("SELECT action FROM audit_log"), std::vector<std::string>{"upgrade to 4.2.0"});
  auto again = d->invoke("migrate", "up", input("4.2.0"));
  EXPECT_EQ(again.output["applied"], Json::array());
  EXPECT_EQ(sql("SELECT count(*) FROM migration_logs"), std::vector<std::string>{"6"});
}

TEST_F(PostgresMigrateTest, AFailedMigrationLeavesTheDatabaseDirtyUntilRepairReappliesOnlyThatOne) {
  MI2_REQUIRE_POSTGRES();
  auto d = driver();
  ASSERT_TRUE(d->invoke("migrate", "up", input("4.1.0")).ok());
  const std::string failed = "4.2.0-rc.2/002_unique_user_email.sql";

  auto up = d->invoke("migrate", "up", input("4.2.0-rc.2"));
  ASSERT_EQ(up.status, MI2_FAILED);
  EXPECT_EQ(up.output["dirty"], true);
  EXPECT_EQ(up.output["failed_version"], failed);
  EXPECT_EQ(up.output["applied"], Json({"4.2.0-rc.2/001_create_user_emails.sql"}));
  EXPECT_NE(up.output["error"].get<std::string>().find("could not create unique index"),
            std::string::npos);
  std::string repair = up.output["repair"];
  EXPECT_NE(repair.find("`mi2 instance db repair`"), std::string::npos) << repair;
  EXPECT_NE(repair.find("--resume 20260101T000000Z-test"), std::string::npos) << repair;
  EXPECT_NE(repair.find("002_unique_user_email.sql"), std::string::npos) << repair;
  EXPECT_NE(up.error.find("dirty"), std::string::npos);
  EXPECT_EQ(up.error.find('\n'), std::string::npos) << up.error;
  // 001 committed; 002 rolled back as a whole; the failure logged.
  EXPECT_EQ(sql("SELECT count(*) FROM user_emails"), std::vector<std::string>{"4"});
  EXPECT_EQ(sql("SELECT count(*) FROM pg_indexes WHERE indexname = 'users_email_unique'"),
            std::vector<std::string>{"0"});
  EXPECT_EQ(sql("SELECT success, error_message LIKE '%duplicated%' FROM migration_logs "
                "WHERE version = '" +
                failed + "'"),
            std::vector<std::string>{"f|t"});

  // The next run refuses, names it, applies nothing (003 stays pending).
  auto refused = d->invoke("migrate", "up", input("4.2.0-rc.2"));
  EXPECT_EQ(refused.status, MI2_FAILED);
  EXPECT_EQ(refused.output["failed_version"], failed);
  EXPECT_NE(refused.error.find("is dirty"), std::string::npos) << refused.error;
  auto status = d->invoke("migrate", "status", input("4.2.0-rc.2"));
  EXPECT_EQ(status.output["dirty"], true);
  EXPECT_EQ(status.output["failed_version"], failed);
  EXPECT_EQ(status.output["pending"], Json({"4.2.0-rc.2/003_add_repo_topics.sql"}));

  // Repair before the fix fails again; after it, only 002 is re-applied.
  Json repair_params = {{"ignore_single_dirty_log", true}};
  EXPECT_EQ(d->invoke("migrate", "up", input("4.2.0-rc.2", repair_params)).status, MI2_FAILED);
  PgServer::get().query(db_, "DELETE FROM users WHERE username = 'alice-old'");
  auto repaired = d->invoke("migrate", "up", input("4.2.0-rc.2", repair_params));
  ASSERT_TRUE(repaired.ok()) << repaired.error;
  EXPECT_EQ(repaired.output["applied"], Json({failed}));
  EXPECT_EQ(sql("SELECT count(*) FROM information_schema.columns WHERE column_name = 'topics'"),
            std::vector<std::string>{"0"});
  auto resumed = d->invoke("migrate", "up", input("4.2.0-rc.2"));
  ASSERT_TRUE(resumed.ok()) << resumed.error;
  EXPECT_EQ(resumed.output["applied"], Json({"4.2.0-rc.2/003_add_repo_topics.sql"}));
  auto clean = d->invoke("migrate", "status", input("4.2.0-rc.2"));
  EXPECT_EQ(clean.output["dirty"], false);
  EXPECT_EQ(clean.output["schema_version"], "4.2.0-rc.2");
}

TEST_F(PostgresMigrateTest, DryRunReadsTheStateButAppliesNothing) {
  MI2_REQUIRE_POSTGRES();
  auto d = driver();
  d->fake.dry_run = true;
  Json in = input("4.1.0");
  in["dry_run"] = true;
  auto up = d->invoke("migrate", "up", in);
  ASSERT_TRUE(up.ok()) << up.error;
  EXPECT_EQ(up.output["applied"], Json::array());
  EXPECT_EQ(up.output["would_apply"], Json(k410));
  EXPECT_EQ(sql("SELECT to_regclass('migration_logs') IS NULL"), std::vector<std::string>{"t"});
  int read_only = 0, shown_only = 0;
  for (const auto& call : d->fake.exec_calls) (call.mutating ? shown_only : read_only)++;
  EXPECT_EQ(read_only, 1);   // the status query ran
  EXPECT_EQ(shown_only, 5);  // four migrations and the schema version, recorded only
}

TEST_F(PostgresMigrateTest, WhileAnotherSessionHoldsTheLockUpWaitsThenRefusesApplyingNothing) {
  MI2_REQUIRE_POSTGRES();
  // Another migrator: a psql session holding the advisory lock for 3 s.
  pid_t holder = fork();
  if (holder == 0) {
    run_command({"psql", "-X", "-q", "-d", PgServer::get().conninfo(db_), "-c",
                 "SELECT pg_advisory_lock(hashtext('mi2.postgres.migrations')), pg_sleep(3)"},
                {PgServer::get().password_env()});
    _exit(0);
  }
  bool held = false;
  for (int i = 0; i < 200 && !held; ++i) {
    held = sql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted") ==
           std::vector<std::string>{"1"};
    if (!held) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(held);
  auto d = driver({{"lock_timeout_s", 1}});
  auto start = std::chrono::steady_clock::now();
  auto up = d->invoke("migrate", "up", input("4.1.0"));
  double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(up.status, MI2_RETRYABLE) << up.error;
  EXPECT_NE(up.error.find("another mi2 has been migrating database pgsql of instance src-test"),
            std::string::npos)
      << up.error;
  EXPECT_GE(waited, 0.9);
  EXPECT_EQ(sql("SELECT to_regclass('migration_logs') IS NULL"), std::vector<std::string>{"t"});
  waitpid(holder, nullptr, 0);
  auto after = d->invoke("migrate", "up", input("4.1.0"));
  EXPECT_TRUE(after.ok()) << after.error;
}

TEST_F(PostgresMigrateTest, AWrongPasswordIsOneSentenceAndNeverEchoed) {
  MI2_REQUIRE_POSTGRES();
  const std::string wrong = "not-the-pw-31337";
  setenv(kPasswordVariable, wrong.c_str(), 1);
  auto d = driver();
  for (const char* action : {"status", "up"}) {
    auto reply = d->invoke("migrate", action, input("4.1.0"));
    EXPECT_EQ(reply.status, MI2_FAILED) << action;
    EXPECT_NE(reply.error.find("cannot connect to database pgsql of instance src-test"),
              std::string::npos)
        << reply.error;
    EXPECT_NE(reply.error.find("password authentication failed for user \"mi2\""),
              std::string::npos)
        << reply.error;
    EXPECT_NE(reply.error.find("check the password in " + std::string(kPasswordVariable)),
              std::string::npos);
    EXPECT_EQ(reply.error.find('\n'), std::string::npos) << reply.error;
    EXPECT_EQ(reply.error.find(wrong), std::string::npos) << reply.error;
  }
  EXPECT_EQ(all_argv(d->fake).find(wrong), std::string::npos);
  auto health = d->invoke("healthcheck", "check", input("4.1.0"));
  ASSERT_TRUE(health.ok()) << health.error;
  EXPECT_EQ(health.output["ok"], false);
  EXPECT_EQ(health.output.dump().find(wrong), std::string::npos);
}

TEST_F(PostgresMigrateTest, AMissingDatabaseIsCreatedOnlyWhenConfigured) {
  MI2_REQUIRE_POSTGRES();
  std::string fresh = db_ + "_fresh";
  auto refuse = driver({{"connection", PgServer::get().conninfo(fresh)}});
  auto refused = refuse->invoke("migrate", "up", input("4.1.0"));
  EXPECT_EQ(refused.status, MI2_FAILED);
  EXPECT_NE(refused.error.find("does not exist; create it, or set "
                               "plugins.postgres.create_database: true"),
            std::string::npos)
      << refused.error;
  auto status = refuse->invoke("migrate", "status", input("4.1.0"));
  ASSERT_TRUE(status.ok()) << status.error;
  EXPECT_EQ(status.output["databases"]["pgsql"]["exists"], false);
  EXPECT_EQ(status.output["pending"].size(), 4u);

  auto create =
      driver({{"connection", PgServer::get().conninfo(fresh)}, {"create_database", true}});
  auto up = create->invoke("migrate", "up", input("4.1.0"));
  ASSERT_TRUE(up.ok()) << up.error;
  EXPECT_EQ(up.output["applied"].size(), 4u);
  EXPECT_EQ(PgServer::get().query(fresh, "SELECT count(*) FROM users"),
            std::vector<std::string>{"4"});
}

TEST_F(PostgresMigrateTest, DbHealthWantsReachableCleanAndAtTheInstancesVersion) {
  MI2_REQUIRE_POSTGRES();
  auto d = driver();
  auto before = d->invoke("healthcheck", "check", input("4.1.0"));
  ASSERT_TRUE(before.ok()) << before.error;
  EXPECT_EQ(before.output["ok"], false);
  EXPECT_NE(before.output["checks"][0]["summary"].get<std::string>().find("is at no version"),
            std::string::npos)
      << before.output.dump();
  ASSERT_TRUE(d->invoke("migrate", "up", input("4.1.0")).ok());
  auto healthy = d->invoke("healthcheck", "check", input("4.1.0", {{"checks", {"db-health"}}}));
  EXPECT_EQ(healthy.output["ok"], true) << healthy.output.dump();
  EXPECT_EQ(healthy.output["checks"][0]["name"], "db-health");
  auto behind = d->invoke("healthcheck", "check", input("4.2.0"));
  EXPECT_EQ(behind.output["ok"], false);
  EXPECT_EQ(d->invoke("migrate", "up", input("4.2.0-rc.2")).status, MI2_FAILED);
  auto dirty = d->invoke("healthcheck", "check", input("4.1.0"));
  EXPECT_NE(dirty.output["checks"][0]["summary"].get<std::string>().find("is dirty at migration "
                                                                         "4.2.0-rc.2/002"),
            std::string::npos)
      << dirty.output.dump();
  EXPECT_EQ(d->invoke("healthcheck", "check", input("4.1.0", {{"checks", {"pods-health"}}})).status,
            MI2_INVALID_INPUT);
}

TEST_F(PostgresMigrateTest, SeveralDatabasesEachMigrateFromTheirOwnCatalogFolder) {
  MI2_REQUIRE_POSTGRES();
  fs::path releases = dir_.path() / "releases";
  mi2::test::write_file(releases / "1.0.0/migrations/postgres/pgsql/001_a.sql",
                        "CREATE TABLE a (x int);\n"
                        "CREATE FUNCTION a_touch() RETURNS trigger AS $$\nBEGIN\n"
                        "  NEW.x := 1;\n  RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;\n");
  mi2::test::write_file(releases / "1.0.0/migrations/postgres/codeintel-db/001_b.sql",
                        "CREATE TABLE b (y int);\n");
  mi2::test::write_file(releases / "1.1.0/migrations/postgres/codeintel-db/001_begin.sql",
                        "BEGIN;\nCREATE TABLE c (z int);\nCOMMIT;\n");
  std::string codeintel = PgServer::get().create_database("codeintel");
  auto d = driver({{"connection", nullptr},
                   {"releases_dir", releases.string()},
                   {"databases",
                    {{"pgsql", PgServer::get().conninfo(db_)},
                     {"codeintel-db", PgServer::get().conninfo(codeintel)}}}});
  auto up = d->invoke("migrate", "up", input("1.0.0"));
  ASSERT_TRUE(up.ok()) << up.error;
  EXPECT_EQ(up.output["applied"], Json({"codeintel-db:1.0.0/001_b.sql", "pgsql:1.0.0/001_a.sql"}));
  EXPECT_EQ(sql("SELECT version FROM migration_logs"), std::vector<std::string>{"1.0.0/001_a.sql"});
  EXPECT_EQ(PgServer::get().query(codeintel, "SELECT version FROM migration_logs"),
            std::vector<std::string>{"1.0.0/001_b.sql"});
  auto refused = d->invoke("migrate", "up", input("1.1.0"));
  EXPECT_EQ(refused.status, MI2_FAILED);
  EXPECT_NE(refused.error.find("controls its own transaction"), std::string::npos) << refused.error;
}

}  // namespace
}  // namespace mi2::postgres::test
