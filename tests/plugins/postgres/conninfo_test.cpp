// Connection strings and config: keyword strings and URIs normalize to one
// keyword string; a password anywhere in them is refused without echoing it;
// placeholders expand per instance. No server needed.
#include <gtest/gtest.h>

#include <mi2/sdk/test_driver.hpp>

#include "plugins/postgres/conninfo.h"
#include "plugins/postgres/migrations.h"
#include "plugins/postgres/postgres_plugin.h"

namespace mi2::postgres {
namespace {

TEST(PostgresConninfoTest, KeywordStringsKeepOrderAndQuoteWhatNeedsIt) {
  Conninfo c = Conninfo::parse("host=/tmp/pg port = 5433  dbname='app one' user=mi2");
  EXPECT_EQ(c.get("host"), "/tmp/pg");
  EXPECT_EQ(c.get("dbname"), "app one");
  EXPECT_EQ(c.str(), "host=/tmp/pg port=5433 dbname='app one' user=mi2");
  EXPECT_EQ(Conninfo::parse(c.str()).str(), c.str());
  EXPECT_EQ(Conninfo::parse(R"(dbname='it\'s')").get("dbname"), "it's");
}

TEST(PostgresConninfoTest, UrisBecomeKeywords) {
  Conninfo c = Conninfo::parse(
      "postgresql://mi2@db.example.com:5433/app%5Fx?sslmode=require&connect_timeout=3");
  EXPECT_EQ(
      c.str(),
      "user=mi2 host=db.example.com port=5433 dbname=app_x sslmode=require connect_timeout=3");
  EXPECT_EQ(Conninfo::parse("postgres://h1:1,h2:2/db").str(), "host=h1,h2 port=1,2 dbname=db");
  EXPECT_EQ(Conninfo::parse("app").str(), "dbname=app");
}

TEST(PostgresConninfoTest, MalformedStringsSayWhyWithoutQuotingThem) {
  try {
    Conninfo::parse("host=x password='s3cr3t");
    FAIL() << "parsed";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), "a quoted value is not closed");
  }
  EXPECT_THROW(Conninfo::parse("host x"), std::invalid_argument);
  EXPECT_THROW(Conninfo::parse(""), std::invalid_argument);
}

TEST(PostgresConfigTest, APasswordInTheConnectionIsRefusedAndNeverEchoed) {
  for (const char* connection : {"host=127.0.0.1 user=mi2 password=hunter2-secret dbname=app",
                                 "postgresql://mi2:hunter2-secret@127.0.0.1/app"}) {
    sdk::PluginDriver<PostgresPlugin> driver(sdk::Json{{"connection", connection}}.dump());
    EXPECT_EQ(driver.create_status, MI2_INVALID_INPUT) << connection;
    EXPECT_NE(driver.create_error.find("contains a password"), std::string::npos)
        << driver.create_error;
    EXPECT_NE(driver.create_error.find("password_env"), std::string::npos);
    EXPECT_EQ(driver.create_error.find("hunter2"), std::string::npos) << driver.create_error;
  }
}

TEST(PostgresConfigTest, ConfigMistakesAreSentencesNamingTheKey) {
  auto error = [](const sdk::Json& config) {
    sdk::PluginDriver<PostgresPlugin> driver(config.dump());
    EXPECT_EQ(driver.create_status, MI2_INVALID_INPUT) << config.dump();
    return driver.create_error;
  };
  EXPECT_NE(error(sdk::Json::object()).find("needs connection"), std::string::npos);
  EXPECT_NE(error({{"connection", "dbname=a"}, {"databases", {{"pgsql", "dbname=b"}}}})
                .find("both connection and databases"),
            std::string::npos);
  EXPECT_NE(error({{"databases", {{"Bad Name", "dbname=b"}}}}).find("databases.Bad Name"),
            std::string::npos);
  EXPECT_NE(error({{"connection", "dbname=a"}, {"lock_timeout_s", "5m"}}).find("lock_timeout_s"),
            std::string::npos);
  EXPECT_NE(error({{"connection", "dbname=a"}, {"pasword_env", "X"}}).find("pasword_env"),
            std::string::npos);
}

TEST(PostgresConfigTest, DescribeListsRolesTheCheckAndMarksThePasswordVariable) {
  sdk::PluginDriver<PostgresPlugin> driver(R"({"connection": "dbname=app_{instance_id}"})");
  ASSERT_EQ(driver.create_status, MI2_OK) << driver.create_error;
  sdk::Json doc = driver.describe();
  EXPECT_EQ(doc["name"], "postgres");
  EXPECT_EQ(doc["roles"]["migrate"], sdk::Json({"up", "status", "preflight"}));
  EXPECT_EQ(doc["roles"]["backup"], sdk::Json({"create", "list", "restore", "preflight"}));
  EXPECT_EQ(doc["roles"]["healthcheck"], sdk::Json({"check", "preflight"}));
  EXPECT_EQ(doc["checks"], sdk::Json({"db-health"}));
  EXPECT_TRUE(doc["config_schema"]["properties"]["password_env"].value("sensitive", false));
  EXPECT_TRUE(doc["config_schema"]["properties"].contains("databases"));
}

TEST(PostgresConfigTest, PlaceholdersExpandPerInstanceAndAPasswordSmuggledInIsRefused) {
  sdk::PluginDriver<PostgresPlugin> driver(
      R"({"connection": "host=/nonexistent/sock dbname=app_{instance_id} user={slug}",
          "psql_binary": "/nonexistent/psql", "releases_dir": ")" MI2_SOURCE_DIR
      R"(/examples/fleet/releases"})");
  ASSERT_EQ(driver.create_status, MI2_OK) << driver.create_error;
  sdk::Json in = {
      {"instance_id", "src-1a2b3c"},
      {"fleet_root", "/tmp"},
      {"instance", {{"spec", {{"displayName", "acme"}, {"sourcegraphVersion", "4.1.0"}}}}}};
  driver.fake.on_exec = [](const sdk::FakeHost::ExecCall&) {
    return sdk::ExecResult{2,
                           0,
                           false,
                           false,
                           "",
                           "psql: error: connection to server on socket "
                           "\"/nonexistent/sock/.s.PGSQL.5432\" failed: No "
                           "such file or directory\n"};
  };
  auto reply = driver.invoke("migrate", "status", in);
  ASSERT_FALSE(driver.fake.exec_calls.empty()) << reply.error;
  const auto& argv = driver.fake.exec_calls[0].argv;
  EXPECT_NE(
      std::find(argv.begin(), argv.end(), "host=/nonexistent/sock dbname=app_src-1a2b3c user=acme"),
      argv.end());
  EXPECT_EQ(reply.status, MI2_FAILED);
  EXPECT_NE(reply.error.find("cannot connect to database pgsql of instance src-1a2b3c"),
            std::string::npos)
      << reply.error;

  in["instance_id"] = "x password=oops";
  auto smuggled = driver.invoke("migrate", "status", in);
  EXPECT_EQ(smuggled.status, MI2_INVALID_INPUT) << smuggled.error;
}

TEST(PostgresCatalogTest, VersionsSortSemantically) {
  EXPECT_LT(compare_versions("4.2.0-rc.2", "4.2.0"), 0);
  EXPECT_LT(compare_versions("4.2.0-rc.2", "4.2.0-rc.10"), 0);
  EXPECT_LT(compare_versions("4.9.0", "4.10.0"), 0);
  EXPECT_EQ(compare_versions("4.1.0", "4.1.0"), 0);
  ReleaseCatalog catalog = database_catalog(MI2_SOURCE_DIR "/examples/fleet/releases", "pgsql");
  std::vector<std::string> ids;
  for (const auto& m : catalog.migrations_up_to("4.2.0")) ids.push_back(m.id);
  EXPECT_EQ(ids, (std::vector<std::string>{
                     "4.0.0/001_create_users.sql", "4.0.0/002_create_repos.sql",
                     "4.1.0/001_add_repo_stars.sql", "4.1.0/002_create_settings.sql",
                     "4.2.0/001_create_audit_log.sql", "4.2.0/002_create_repo_topics.sql"}));
  EXPECT_EQ(catalog.migrations_up_to("4.2.0-rc.2").size(), 7u);
}

}  // namespace
}  // namespace mi2::postgres
