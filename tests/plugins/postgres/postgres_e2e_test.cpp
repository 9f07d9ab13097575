// End-to-end on a real PostgreSQL: the built mi2 on a git copy of
// examples/fleet whose mi2.yaml is examples/fleet/mi2.postgres.yaml (migrate
// and backup by the postgres plugin, the rest local), pointed at the test
// server through PGHOST/PGPORT/PGUSER/PGPASSWORD. Asserts database rows,
// migration_logs, exit codes and journals.
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <iostream>

#include "tests/e2e/e2e_fixture.h"
#include "tests/plugins/postgres/pg_server.h"

namespace mi2::postgres::test {
namespace {

using e2e::json;
using e2e::slurp;
namespace fs = std::filesystem;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class PostgresFleetTest : public e2e::FleetE2eTest {
 protected:
  void SetUp() override {
    e2e::FleetE2eTest::SetUp();
    fs::copy_file(root() / "mi2.postgres.yaml", root() / "mi2.yaml",
                  fs::copy_options::overwrite_existing);
    PgServer& pg = PgServer::get();
    if (!pg.running()) return;  // the test skips, saying why
    env_.insert(env_.end(), {"PGHOST=127.0.0.1", "PGPORT=" + std::to_string(pg.port()),
                             "PGUSER=mi2", pg.password_env()});
  }

  std::vector<std::string> sql(const std::string& id, const std::string& query) {
    return PgServer::get().query("app_" + id, query);
  }

  // Every file under .mi2 (journals, locks, checkpoints' manifests) as text.
  std::string all_state_text() {
    std::string text;
    for (const auto& entry : fs::recursive_directory_iterator(root() / ".mi2"))
      if (entry.is_regular_file() && entry.path().extension() != ".dump")
        text += slurp(entry.path());
    return text;
  }

  // The postgres plugin's command events of a run.
  std::vector<json> postgres_commands(const std::string& id, const std::string& run) {
    std::vector<json> out;
    for (const auto& e : journal(id, run))
      if (e.value("event", "") == "command" && e.value("plugin", "") == "postgres")
        out.push_back(e);
    return out;
  }
};

TEST_F(PostgresFleetTest, FirstDeployAndAnUpgradeApplyTheMigrationsOnPostgres) {
  MI2_REQUIRE_POSTGRES();
  first_deploy("src-1a2b3c");
  EXPECT_EQ(sql("src-1a2b3c", "SELECT count(*) FROM migration_logs WHERE success"),
            std::vector<std::string>{"4"});
  EXPECT_EQ(sql("src-1a2b3c", "SELECT count(*) FROM users"), std::vector<std::string>{"4"});
  EXPECT_FALSE(fs::exists(local_state("src-1a2b3c") / "db.sqlite"));

  auto up = mi2({"instance", "upgrade", "-target-version", "4.2.0"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  EXPECT_EQ(frontend_get("src-1a2b3c", "/__version"), "4.2.0");
  EXPECT_EQ(sql("src-1a2b3c",
                "SELECT version, success FROM migration_logs "
                "WHERE version LIKE '4.2.0/%' ORDER BY id"),
            (std::vector<std::string>{"4.2.0/001_create_audit_log.sql|t",
                                      "4.2.0/002_create_repo_topics.sql|t"}));
  EXPECT_EQ(sql("src-1a2b3c", "SELECT version FROM versions"), std::vector<std::string>{"4.2.0"});
  auto health = mi2({"instance", "check", "db-health"});
  EXPECT_EQ(health.exit_code, 0) << health.out << health.err;
  EXPECT_TRUE(contains(health.out, "ok     db-health")) << health.out;

  // The checkpoint step ran both backup providers; the journal shows the
  // commands, never the password.
  std::string run = latest_run("src-1a2b3c");
  json checkpoint;
  for (const auto& e : journal("src-1a2b3c", run))
    if (e.value("event", "") == "step_finished" && e.value("step", "") == "checkpoint")
      checkpoint = e["outputs"];
  ASSERT_TRUE(checkpoint.contains("postgres")) << checkpoint.dump();
  EXPECT_TRUE(checkpoint.contains("local"));
  std::string id = checkpoint["postgres"]["checkpoint"]["id"];
  EXPECT_TRUE(
      fs::exists(root() / ".mi2/state/dev/src-1a2b3c/postgres/backups" / id / "pgsql.dump"));
  std::string argv;
  for (const auto& c : postgres_commands("src-1a2b3c", run)) argv += c["argv"].dump() + "\n";
  EXPECT_TRUE(contains(argv, R"("pg_dump","--format=custom","--no-owner","--no-privileges")"))
      << argv;
  EXPECT_TRUE(contains(argv, R"("--single-transaction","-d","dbname=app_src-1a2b3c")")) << argv;
  EXPECT_FALSE(contains(all_state_text(), PgServer::get().password()));
  EXPECT_FALSE(contains(up.out + up.err, PgServer::get().password()));
}

TEST_F(PostgresFleetTest, ADirtyReleaseCandidateIsRepairedWithDbStatusDbRepairAndResume) {
  MI2_REQUIRE_POSTGRES();
  first_deploy("src-1a2b3c");
  auto start = std::chrono::steady_clock::now();
  auto failed = mi2({"instance", "upgrade", "-target-version", "4.2.0-rc.2"});
  ASSERT_EQ(failed.exit_code, 1) << failed.out << failed.err;
  std::string said = failed.out + failed.err;
  EXPECT_TRUE(contains(said, "dirty")) << said;
  EXPECT_TRUE(contains(said, "mi2 instance db repair")) << said;
  std::string run = latest_run("src-1a2b3c");
  EXPECT_TRUE(contains(said, "--resume " + run)) << said;
  EXPECT_EQ(frontend_get("src-1a2b3c", "/__version"), "4.1.0");  // the old workload serves

  auto status = mi2({"instance", "db", "status", "--json"});
  EXPECT_EQ(status.exit_code, 1) << status.out << status.err;
  json state = json::parse(status.out, nullptr, false);
  ASSERT_TRUE(state.is_object()) << status.out;
  EXPECT_EQ(state["dirty"], true);
  EXPECT_EQ(state["failed_version"], "4.2.0-rc.2/002_unique_user_email.sql");
  EXPECT_EQ(state["pending"], json({"4.2.0-rc.2/003_add_repo_topics.sql"}));

  sql("src-1a2b3c", "DELETE FROM users WHERE username = 'alice-old'");
  auto repair = mi2({"instance", "db", "repair", "--json"});
  ASSERT_EQ(repair.exit_code, 0) << repair.out << repair.err;
  EXPECT_EQ(json::parse(repair.out, nullptr, false)["applied"],
            json({"4.2.0-rc.2/002_unique_user_email.sql"}));
  auto resumed = mi2({"instance", "upgrade", "--resume", run});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "rc.2 -> db status -> db repair -> --resume cycle: " << seconds << " s\n";
  RecordProperty("rc2_repair_resume_seconds", std::to_string(seconds));

  EXPECT_EQ(frontend_get("src-1a2b3c", "/__version"), "4.2.0-rc.2");
  EXPECT_EQ(sql("src-1a2b3c", "SELECT version FROM versions"),
            std::vector<std::string>{"4.2.0-rc.2"});
  EXPECT_EQ(sql("src-1a2b3c",
                "SELECT count(*) FROM pg_indexes WHERE indexname = "
                "'users_email_unique'"),
            std::vector<std::string>{"1"});
  auto clean = mi2({"instance", "db", "status"});
  EXPECT_EQ(clean.exit_code, 0) << clean.out << clean.err;
}

TEST_F(PostgresFleetTest, ABackupRestoresDeletedRowsByNameAndADamagedOneIsRefused) {
  MI2_REQUIRE_POSTGRES();
  first_deploy("src-1a2b3c");
  auto created = mi2({"instance", "backup", "create", "--name", "before"});
  ASSERT_EQ(created.exit_code, 0) << created.out << created.err;
  // One checkpoint across both backup providers.
  json checkpoints = json::parse(created.out, nullptr, false)["checkpoints"];
  EXPECT_EQ(checkpoints["postgres"]["id"], "before") << created.out;
  EXPECT_TRUE(checkpoints.contains("local")) << created.out;
  sql("src-1a2b3c", "DELETE FROM repos");
  ASSERT_EQ(sql("src-1a2b3c", "SELECT count(*) FROM repos"), std::vector<std::string>{"0"});
  auto list = mi2({"instance", "backup", "list", "--json"});
  bool listed = false;
  json listing = json::parse(list.out, nullptr, false);
  for (const auto& b : listing["backups"])
    listed = listed || (b["provider"] == "postgres" && b["id"] == "before");
  EXPECT_TRUE(listed) << list.out;

  auto restored = mi2({"instance", "restore", "create", "--backup-name", "before"});
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  EXPECT_EQ(json::parse(restored.out, nullptr, false)["restored"]["postgres"]["restored"], "before")
      << restored.out;
  EXPECT_EQ(sql("src-1a2b3c", "SELECT string_agg(name, ',' ORDER BY id) FROM repos"),
            std::vector<std::string>{"github.com/acme/api,github.com/acme/web"});

  fs::path dump = root() / ".mi2/state/dev/src-1a2b3c/postgres/backups/before/pgsql.dump";
  {
    std::fstream f(dump, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(dump) / 2));
    f.write(std::string(64, 'Z').data(), 64);
  }
  sql("src-1a2b3c", "DELETE FROM settings");
  auto refused = mi2({"instance", "restore", "create", "--backup-name", "before"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_TRUE(contains(refused.err, "is corrupt")) << refused.out << refused.err;
  EXPECT_TRUE(contains(refused.err, "nothing was restored")) << refused.err;
  EXPECT_EQ(sql("src-1a2b3c", "SELECT count(*) FROM settings"), std::vector<std::string>{"0"});
}

TEST_F(PostgresFleetTest, TwoMi2ProcessesMigratingOneDatabaseNeverBothApply) {
  MI2_REQUIRE_POSTGRES();
  // Two instances share one database; a slow first migration makes them overlap.
  edit_mi2_yaml("dbname=app_{instance_id}", "dbname=app_shared");
  edit_mi2_yaml("recipes:\n",
                "recipes:\n  migrate-only:\n    steps:\n"
                "      - {name: migrate, role: migrate, action: up}\n");
  std::ofstream(root() / "releases/4.0.0/migrations/postgres/pgsql/000_slow.sql")
      << "SELECT pg_sleep(1.5);\n";
  std::vector<pid_t> pids;
  for (const char* id : {"src-1a2b3c", "src-0d1e2f"})
    pids.push_back(mi2_in_background(
        {"instance", "upgrade", "--recipe", "migrate-only", "-target-version", "4.1.0"}, id));
  for (pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << slurp(dir_.path() / "background-0.log") << slurp(dir_.path() / "background-1.log");
  }
  background_.clear();
  EXPECT_EQ(PgServer::get().query("app_shared",
                                  "SELECT count(*), count(DISTINCT version), "
                                  "bool_and(success) FROM migration_logs"),
            std::vector<std::string>{"5|5|t"});
  // What each run applied: disjoint, together all five.
  // The runs overlapped: one found, under the lock, what the other had applied.
  std::vector<std::string> all;
  size_t by_another = 0;
  for (const char* id : {"src-1a2b3c", "src-0d1e2f"}) {
    for (const auto& e : journal(id, latest_run(id, "migrate-only"))) {
      if (e.value("event", "") != "step_finished" || e.value("step", "") != "migrate") continue;
      const json& out = e["outputs"]["postgres"];
      for (const auto& m : out["applied"]) all.push_back(m);
      by_another += out.value("applied_by_another", json::array()).size();
    }
  }
  EXPECT_GE(by_another, 1u) << "the two migrations did not overlap";
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all,
            (std::vector<std::string>{"4.0.0/000_slow.sql", "4.0.0/001_create_users.sql",
                                      "4.0.0/002_create_repos.sql", "4.1.0/001_add_repo_stars.sql",
                                      "4.1.0/002_create_settings.sql"}));
}

TEST_F(PostgresFleetTest, AWrongPasswordIsOneSentenceAndNeverEchoed) {
  MI2_REQUIRE_POSTGRES();
  const std::string wrong = "wrong-pw-8d1f77";
  for (auto& entry : env_)
    if (entry.rfind("PGPASSWORD=", 0) == 0) entry = "PGPASSWORD=" + wrong;
  auto status = mi2({"instance", "db", "status"});
  EXPECT_EQ(status.exit_code, 1);
  EXPECT_TRUE(contains(status.err, "cannot connect to database pgsql of instance src-1a2b3c"))
      << status.err;
  EXPECT_TRUE(contains(status.err, "password authentication failed for user \"mi2\""))
      << status.err;
  EXPECT_TRUE(contains(status.err, "check the password in PGPASSWORD")) << status.err;
  EXPECT_EQ(std::count(status.err.begin(), status.err.end(), '\n'), 1) << status.err;
  auto deploy =
      mi2({"instance", "upgrade", "--recipe", "first-deploy", "-target-version", "4.1.0"});
  EXPECT_EQ(deploy.exit_code, 1);
  EXPECT_TRUE(contains(deploy.out + deploy.err, "password authentication failed"));
  for (const std::string& text : {status.out, status.err, deploy.out, deploy.err, all_state_text()})
    EXPECT_FALSE(contains(text, wrong));
}

}  // namespace
}  // namespace mi2::postgres::test
