// A git copy of the sample fleet (with a bare origin) driven through the real
// mi2 binary. TearDown stops every workload process the test started, by the
// pid files the local plugin writes, and any mi2 still running in the background.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/mi2_process.h"
#include "tests/support/temp_dir.h"

namespace mi2::e2e {

namespace fs = std::filesystem;
using nlohmann::json;

class FleetE2eTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Replaces `from` by `to` in the fleet's mi2.yaml (before the first mi2 call).
  void edit_mi2_yaml(const std::string& from, const std::string& to);

  // mi2 ARGS run inside the instance folder (as the runbook does).
  mi2::test::Mi2Result mi2(const std::vector<std::string>& args,
                           const std::string& id = "src-1a2b3c");
  pid_t mi2_in_background(const std::vector<std::string>& args,
                          const std::string& id = "src-1a2b3c");
  // Starts the instance at its configured version (the first-deploy recipe).
  void first_deploy(const std::string& id);

  fs::path root() const { return dir_.path() / "fleet"; }
  fs::path origin() const { return dir_.path() / "origin.git"; }
  fs::path instance_dir(const std::string& id) const;
  fs::path local_state(const std::string& id) const;
  json deployment(const std::string& id);
  // The body of GET http://127.0.0.1:<frontend port>/path ("" when no answer).
  std::string frontend_get(const std::string& id, const std::string& path);
  // The newest run of `recipe` and a run's journal events.
  std::string latest_run(const std::string& id, const std::string& recipe = "upgrade-instance");
  std::vector<json> journal(const std::string& id, const std::string& run);
  std::string git(const std::vector<std::string>& args);
  // Rows of a query on the instance's SQLite database, columns joined by '|'.
  std::vector<std::string> sql(const std::string& id, const std::string& query);
  // True while any process recorded in a pid file of this fleet is alive.
  std::vector<int> live_workload_pids();
  bool wait_for_file(const fs::path& path, int timeout_ms);

  std::vector<std::string> env_;
  std::vector<pid_t> background_;
  mi2::test::TempDir dir_{"mi2-e2e"};
};

std::string slurp(const fs::path& path);

}  // namespace mi2::e2e
