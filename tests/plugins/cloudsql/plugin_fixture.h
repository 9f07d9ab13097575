// A cloudsql plugin driven through the real C adapter (sdk::PluginDriver)
// whose exec calls run the scripted gcloud as real processes.
#pragma once

#include <gtest/gtest.h>
#include <mi2/sdk/test_driver.hpp>

#include <memory>
#include <string>

#include "plugins/cloudsql/cloudsql_plugin.h"
#include "tests/plugins/cloudsql/scripted_cli.h"

namespace mi2::test {

using Driver = sdk::PluginDriver<cloudsql::CloudsqlPlugin>;

// Fast pauses, so the tests never sleep long.
inline std::string fast_config(const std::string& extra = "") {
  return R"({"instance": "{instance_id}-pg", "poll_interval_s": 0.01, "busy_backoff_s": 0.01)" +
         (extra.empty() ? std::string() : ", " + extra) + "}";
}

class CloudsqlTest : public ::testing::Test {
 protected:
  void start(const std::string& config = fast_config()) {
    driver = std::make_unique<Driver>(config);
    ASSERT_EQ(driver->create_status, MI2_OK) << driver->create_error;
    driver->fake.on_exec = process_runner(tools_env({&gcloud}));
  }
  Driver::Reply invoke(const std::string& action, const Json& params = Json::object()) {
    return driver->invoke("backup", action, sample_input(params));
  }
  // The scripted answers of a backup that goes PENDING -> RUNNING -> DONE.
  void script_backup(const std::vector<Json>& describe = {answer("op-backup-pending.json"),
                                                          answer("op-backup-running.json"),
                                                          answer("op-backup-done.json")}) {
    gcloud.rule({"sql", "backups", "create"}, {answer("op-backup-pending.json")});
    gcloud.rule({"sql", "operations", "wait"}, {Json{{"stdout", ""}}});
    gcloud.rule({"sql", "operations", "describe"}, describe);
    gcloud.rule({"sql", "backups", "describe"}, {answer("backup-successful.json")});
  }

  ScriptedCli gcloud = ScriptedCli::gcloud();
  std::unique_ptr<Driver> driver;
};

constexpr const char* kOp = "5b6a1f0e-7c2d-4e3f-9a8b-00000000c0de";
constexpr const char* kRestoreOp = "9e8d7c6b-5a49-4382-b1a0-0000000fee1d";

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace mi2::test
