// Drives the postgres plugin class through the SDK's PluginDriver (the same C
// adapter the host uses) with a FakeHost whose exec runs the real psql,
// pg_dump and pg_restore, so every call is both recorded (argv, env,
// mutating) and real against the test server.
#pragma once

#include <gtest/gtest.h>

#include <mi2/sdk/test_driver.hpp>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "plugins/postgres/postgres_plugin.h"
#include "tests/plugins/postgres/pg_server.h"
#include "tests/plugins/postgres/run_command.h"
#include "tests/support/temp_dir.h"

namespace mi2::postgres::test {

namespace fs = std::filesystem;
using Driver = sdk::PluginDriver<PostgresPlugin>;

// The variable the tests' config names in password_env.
inline constexpr const char* kPasswordVariable = "MI2_PG_TEST_PASSWORD";

inline sdk::ExecResult run_for_real(const sdk::FakeHost::ExecCall& call) {
  CommandResult r = run_command(call.argv, call.env, call.stdin_data, call.cwd);
  return sdk::ExecResult{r.exit_code, 0, false, false, r.out, r.err};
}

class PgPluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!PgServer::get().running()) return;
    setenv(kPasswordVariable, PgServer::get().password().c_str(), 1);
    db_ = PgServer::get().create_database("plugin");
  }

  // A driver for `extra` config on top of {connection: <this test's db>,
  // releases_dir: the sample catalog, password_env}.
  std::unique_ptr<Driver> driver(sdk::Json extra = sdk::Json::object()) {
    sdk::Json config = {{"connection", PgServer::get().conninfo(db_)},
                        {"releases_dir", MI2_SOURCE_DIR "/examples/fleet/releases"},
                        {"password_env", kPasswordVariable}};
    for (auto& [k, v] : extra.items()) config[k] = v;
    for (auto it = config.begin(); it != config.end();)
      it = it.value().is_null() ? config.erase(it) : std::next(it);
    auto d = std::make_unique<Driver>(config.dump());
    d->fake.on_exec = run_for_real;
    return d;
  }

  // The step input of instance src-test at `version` (also the target).
  sdk::Json input(const std::string& version, sdk::Json params = sdk::Json::object()) const {
    return {{"run_id", "20260101T000000Z-test"},
            {"instance_id", "src-test"},
            {"environment", "dev"},
            {"fleet_root", dir_.path().string()},
            {"instance_dir", (dir_.path() / "environments/dev/deployments/src-test").string()},
            {"state_dir", (dir_.path() / "state").string()},
            {"instance",
             {{"metadata", {{"name", "src-test"}}},
              {"spec", {{"displayName", "acme"}, {"sourcegraphVersion", version}}}}},
            {"target_version", version},
            {"params", params}};
  }

  std::vector<std::string> sql(const std::string& query) {
    return PgServer::get().query(db_, query);
  }

  std::string db_;
  mi2::test::TempDir dir_{"mi2-pg-plugin"};
};

// Every recorded argv joined, for "never in argv" assertions.
inline std::string all_argv(const sdk::FakeHost& fake) {
  std::string text;
  for (const auto& call : fake.exec_calls) text += shown(call.argv) + "\n";
  return text;
}

}  // namespace mi2::postgres::test
