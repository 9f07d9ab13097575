// preflight on the real test server: psql/pg_dump/pg_restore run, the target
// is in the release catalog, every database answers SELECT 1 in a read-only
// session — nothing written, the same in a dry run — and each refusal (an
// uncatalogued version, a wrong password, a missing database, a missing tool)
// is one sentence.
#include "tests/plugins/postgres/plugin_harness.h"

namespace mi2::postgres::test {
namespace {

using sdk::Json;

Json roles(std::initializer_list<const char*> names) {
  Json out = Json::array();
  for (const char* n : names) out.push_back(n);
  return {{"roles", out}};
}

class PostgresPreflightTest : public PgPluginTest {};

TEST_F(PostgresPreflightTest, ToolsCatalogAndConnectionAreCheckedReadOnlyAlsoInADryRun) {
  MI2_REQUIRE_POSTGRES();
  for (bool dry_run : {false, true}) {
    auto d = driver();
    d->fake.dry_run = dry_run;
    auto reply = d->invoke("migrate", "preflight",
                           input("4.2.0", roles({"backup", "migrate", "healthcheck"})));
    ASSERT_TRUE(reply.ok()) << reply.error;
    EXPECT_EQ(reply.output["psql"].get<std::string>().rfind("psql (PostgreSQL) ", 0), 0u)
        << reply.output;
    EXPECT_EQ(reply.output["pg_dump"].get<std::string>().rfind("pg_dump (PostgreSQL) ", 0), 0u);
    EXPECT_EQ(reply.output["pg_restore"].get<std::string>().rfind("pg_restore (PostgreSQL) ", 0),
              0u);
    EXPECT_EQ(reply.output["databases"], Json::array({"pgsql"}));
    std::vector<std::string> programs;
    for (const auto& call : d->fake.exec_calls) {
      EXPECT_FALSE(call.mutating) << shown(call.argv);
      programs.push_back(fs::path(call.argv[0]).filename().string());
    }
    EXPECT_EQ(programs, (std::vector<std::string>{"psql", "pg_dump", "pg_restore", "psql"}));
    EXPECT_EQ(d->fake.exec_calls.back().stdin_data,
              "SET default_transaction_read_only = on;\nSELECT 1;\n");
  }
  EXPECT_EQ(sql("SELECT to_regclass('migration_logs') IS NULL"), std::vector<std::string>{"t"});
}

TEST_F(PostgresPreflightTest, AVersionWithoutMigrationsInTheCatalogIsRefused) {
  MI2_REQUIRE_POSTGRES();
  auto d = driver();
  auto reply = d->invoke("migrate", "preflight", input("4.2.7", roles({"migrate"})));
  EXPECT_EQ(reply.status, MI2_FAILED);
  std::string catalog = MI2_SOURCE_DIR "/examples/fleet/releases";
  EXPECT_EQ(reply.error,
            "the postgres plugin cannot migrate database pgsql of instance src-test "
            "to 4.2.7: version 4.2.7 is not in the release catalog " +
                catalog +
                " (it has 4.0.0, 4.1.0, 4.2.0-rc.1, 4.2.0-rc.2, 4.2.0); choose a "
                "version it has, or add " +
                catalog + "/4.2.7/migrations/postgres/pgsql/.");
  EXPECT_TRUE(d->fake.exec_calls.size() == 1u) << all_argv(d->fake);  // psql --version only
}

TEST_F(PostgresPreflightTest, BoundOnlyToBackupTheCatalogIsNotAsked) {
  MI2_REQUIRE_POSTGRES();
  auto d = driver();
  auto reply = d->invoke("backup", "preflight", input("4.2.7", roles({"backup"})));
  ASSERT_TRUE(reply.ok()) << reply.error;
}

TEST_F(PostgresPreflightTest, AWrongPasswordIsOneSentenceAndNeverEchoed) {
  MI2_REQUIRE_POSTGRES();
  const std::string wrong = "preflight-wrong-pw-4242";
  setenv(kPasswordVariable, wrong.c_str(), 1);
  auto d = driver();
  auto reply = d->invoke("migrate", "preflight", input("4.2.0", roles({"migrate"})));
  EXPECT_EQ(reply.status, MI2_FAILED);
  EXPECT_EQ(reply.error.rfind("cannot connect to database pgsql of instance src-test (", 0), 0u)
      << reply.error;
  EXPECT_NE(reply.error.find("password authentication failed for user \"mi2\"; check the "
                             "password in " +
                             std::string(kPasswordVariable)),
            std::string::npos)
      << reply.error;
  EXPECT_EQ(reply.error.find(wrong), std::string::npos);
  EXPECT_EQ(all_argv(d->fake).find(wrong), std::string::npos);
  EXPECT_EQ(d->fake.secrets.front(), wrong);
}

TEST_F(PostgresPreflightTest, AMissingDatabasePassesOnlyWhenMigrateCreatesIt) {
  MI2_REQUIRE_POSTGRES();
  std::string fresh = db_ + "_absent";
  auto refuse = driver({{"connection", PgServer::get().conninfo(fresh)}});
  auto refused = refuse->invoke("migrate", "preflight", input("4.2.0", roles({"migrate"})));
  EXPECT_EQ(refused.status, MI2_FAILED);
  EXPECT_NE(refused.error.find("does not exist; create it, or set "
                               "plugins.postgres.create_database: true"),
            std::string::npos)
      << refused.error;
  auto create =
      driver({{"connection", PgServer::get().conninfo(fresh)}, {"create_database", true}});
  auto passed = create->invoke("migrate", "preflight", input("4.2.0", roles({"migrate"})));
  EXPECT_TRUE(passed.ok()) << passed.error;
  auto backup_only =
      driver({{"connection", PgServer::get().conninfo(fresh)}, {"create_database", true}});
  EXPECT_EQ(backup_only->invoke("backup", "preflight", input("4.2.0", roles({"backup"}))).status,
            MI2_FAILED);
}

TEST_F(PostgresPreflightTest, AMissingToolIsNamedWithItsSetting) {
  MI2_REQUIRE_POSTGRES();
  auto d = driver({{"pg_dump_binary", "/nonexistent/bin/pg_dump"}});
  auto reply = d->invoke("backup", "preflight", input("4.2.0", roles({"backup"})));
  EXPECT_EQ(reply.status, MI2_FAILED);
  EXPECT_NE(reply.error.find("the postgres plugin cannot run /nonexistent/bin/pg_dump for "
                             "instance src-test ("),
            std::string::npos)
      << reply.error;
  EXPECT_NE(reply.error.find("install the PostgreSQL client tools or set "
                             "plugins.postgres.pg_dump_binary in mi2.yaml."),
            std::string::npos)
      << reply.error;
}

}  // namespace
}  // namespace mi2::postgres::test
