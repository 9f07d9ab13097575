#include "tests/e2e/e2e_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/sys/process_runner.h"

namespace mi2::e2e {

std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

namespace {

std::pair<int, std::string> http_get(int port, const std::string& path) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  timeval timeout{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    std::string request =
        "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (write(fd, request.data(), request.size()) > 0) {
      char buffer[4096];
      for (ssize_t n; (n = read(fd, buffer, sizeof buffer)) > 0;) response.append(buffer, n);
    }
  }
  close(fd);
  size_t space = response.find(' ');
  size_t body = response.find("\r\n\r\n");
  if (space == std::string::npos || body == std::string::npos) return {0, ""};
  return {std::atoi(response.c_str() + space + 1), response.substr(body + 4)};
}

}  // namespace

void FleetE2eTest::SetUp() {
  fs::copy(MI2_SOURCE_DIR "/examples/fleet", root(), fs::copy_options::recursive);
  fs::remove_all(root() / ".mi2");
  env_ = {"MI2_WORKLOAD_BINARY=" MI2_BINARY_DIR "/bin/mi2-workload", "GIT_AUTHOR_NAME=e2e",
          "GIT_AUTHOR_EMAIL=e2e@localhost", "GIT_COMMITTER_NAME=e2e",
          "GIT_COMMITTER_EMAIL=e2e@localhost"};
  git({"init", "-q", "--bare", "-b", "main", origin().string()});
  git({"init", "-q", "-b", "main"});
  git({"add", "-A"});
  git({"commit", "-q", "-m", "sample fleet"});
  git({"remote", "add", "origin", origin().string()});
  git({"push", "-q", "origin", "main"});
}

void FleetE2eTest::TearDown() {
  for (pid_t pid : background_) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  for (int pid : live_workload_pids()) kill(pid, SIGKILL);
  for (int i = 0; i < 100 && !live_workload_pids().empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_TRUE(live_workload_pids().empty()) << "workload processes outlived the test";
}

std::vector<int> FleetE2eTest::live_workload_pids() {
  std::vector<int> pids;
  std::error_code ec;
  if (!fs::exists(root() / ".mi2")) return pids;
  for (auto it = fs::recursive_directory_iterator(root() / ".mi2", ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->path().extension() != ".pid") continue;
    int pid = std::atoi(slurp(it->path()).c_str());
    if (pid <= 0 || kill(pid, 0) != 0) continue;
    std::string status = slurp("/proc/" + std::to_string(pid) + "/status");
    if (status.find("mi2-workload") == std::string::npos) continue;  // a reused pid
    if (status.find("State:\tZ") != std::string::npos) continue;     // exited, not yet reaped
    pids.push_back(pid);
  }
  return pids;
}

void FleetE2eTest::edit_mi2_yaml(const std::string& from, const std::string& to) {
  std::string text = slurp(root() / "mi2.yaml");
  size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos) << from;
  text.replace(at, from.size(), to);
  std::ofstream(root() / "mi2.yaml") << text;
}

fs::path FleetE2eTest::instance_dir(const std::string& id) const {
  return root() / "environments/dev/deployments" / id;
}

fs::path FleetE2eTest::local_state(const std::string& id) const {
  return root() / ".mi2/state/dev" / id / "local";
}

mi2::test::Mi2Result FleetE2eTest::mi2(const std::vector<std::string>& args,
                                       const std::string& id) {
  return mi2::test::run_mi2(args, instance_dir(id), env_);
}

pid_t FleetE2eTest::mi2_in_background(const std::vector<std::string>& args, const std::string& id) {
  pid_t pid = mi2::test::spawn_mi2(
      args, instance_dir(id),
      dir_.path() / ("background-" + std::to_string(background_.size()) + ".log"), env_);
  background_.push_back(pid);
  return pid;
}

void FleetE2eTest::first_deploy(const std::string& id) {
  json config = json::parse(mi2({"instance", "get"}, id).out, nullptr, false);
  std::string version = "4.1.0";
  if (config.is_object()) version = config["spec"].value("sourcegraphVersion", version);
  auto r = mi2({"instance", "upgrade", "--recipe", "first-deploy", "-target-version", version}, id);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
}

json FleetE2eTest::deployment(const std::string& id) {
  return json::parse(slurp(local_state(id) / "deployment.json"));
}

std::string FleetE2eTest::frontend_get(const std::string& id, const std::string& path) {
  json d = deployment(id);
  for (const auto& w : d["workloads"])
    if (w["name"] == "frontend") return http_get(w["port"].get<int>(), path).second;
  return "";
}

std::string FleetE2eTest::latest_run(const std::string& id, const std::string& recipe) {
  // Run ids sort by the second only, so pick by recipe and then by file time.
  std::string newest;
  fs::file_time_type newest_time{};
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root() / ".mi2/state/dev" / id / "runs", ec)) {
    if (entry.path().extension() != ".jsonl") continue;
    std::string run = entry.path().stem().string();
    auto events = journal(id, run);
    if (events.empty() || events.front().value("recipe", "") != recipe) continue;
    auto time = fs::last_write_time(entry.path(), ec);
    if (newest.empty() || time > newest_time) {
      newest = run;
      newest_time = time;
    }
  }
  return newest;
}

std::vector<json> FleetE2eTest::journal(const std::string& id, const std::string& run) {
  std::vector<json> events;
  std::istringstream in(slurp(root() / ".mi2/state/dev" / id / "runs" / (run + ".jsonl")));
  for (std::string line; std::getline(in, line);)
    if (json e = json::parse(line, nullptr, false); e.is_object()) events.push_back(e);
  return events;
}

std::string FleetE2eTest::git(const std::vector<std::string>& args) {
  ProcessRequest request;
  request.argv = {"git"};
  request.argv.insert(request.argv.end(), args.begin(), args.end());
  request.cwd = root().string();
  request.env = env_;
  ProcessResult r = SystemProcessRunner().run(request);
  EXPECT_TRUE(r.ok()) << "git " << args[0] << ": " << r.err;
  return r.out;
}

std::vector<std::string> FleetE2eTest::sql(const std::string& id, const std::string& query) {
  std::vector<std::string> rows;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2((local_state(id) / "db.sqlite").c_str(), &db, SQLITE_OPEN_READWRITE,
                      nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    ADD_FAILURE() << "cannot open the database of " << id;
    return rows;
  }
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, query.c_str(), -1, &stmt, nullptr) == SQLITE_OK) {
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      std::string row;
      for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
        const unsigned char* text = sqlite3_column_text(stmt, c);
        row += (c ? "|" : "") + std::string(text ? reinterpret_cast<const char*>(text) : "");
      }
      rows.push_back(row);
    }
  } else {
    ADD_FAILURE() << sqlite3_errmsg(db);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return rows;
}

bool FleetE2eTest::wait_for_file(const fs::path& path, int timeout_ms) {
  for (int waited = 0; waited < timeout_ms; waited += 20) {
    if (fs::exists(path)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace mi2::e2e
