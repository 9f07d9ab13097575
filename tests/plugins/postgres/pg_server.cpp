#include "tests/plugins/postgres/pg_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

namespace mi2::postgres::test {
namespace {

namespace fs = std::filesystem;

// The server binaries; MI2_TEST_PG_BINDIR points elsewhere (another install).
std::string bin_dir() {
  const char* dir = std::getenv("MI2_TEST_PG_BINDIR");
  return dir && *dir ? dir : "/usr/lib/postgresql/15/bin";
}

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0)
    port = ntohs(address.sin_port);
  close(fd);
  return port;
}

std::string random_word(size_t n) {
  static const char alphabet[] = "abcdefghijkmnopqrstuvwxyz23456789";
  std::random_device device;
  std::string out;
  for (size_t i = 0; i < n; ++i) out += alphabet[device() % (sizeof alphabet - 1)];
  return out;
}

// Started by the first test that needs it (running()), stopped at the end.
class PgServerEnvironment : public ::testing::Environment {
 public:
  void TearDown() override { PgServer::get().stop(); }
};

[[maybe_unused]] ::testing::Environment* const registered =
    ::testing::AddGlobalTestEnvironment(new PgServerEnvironment);

}  // namespace

PgServer& PgServer::get() {
  static PgServer* server = new PgServer();
  return *server;
}

CommandResult PgServer::as_postgres(const std::vector<std::string>& argv) {
  std::vector<std::string> full;
  if (geteuid() == 0) full = {"runuser", "-u", "postgres", "--"};
  full.insert(full.end(), argv.begin(), argv.end());
  return run_command(full, {"LC_ALL=C"}, "", dir_.string());
}

// initdb once per machine and user into a template folder (renamed into
// place, so a half-written one is never used); each server copies it.
// Local (socket) connections use peer auth for the superuser, TCP uses scram.
std::string PgServer::template_dir() {
  fs::path dir = "/tmp/mi2-pg15-template-v2-" + std::to_string(geteuid());
  if (fs::exists(dir / "PG_VERSION")) return dir.string();
  fs::path fresh = dir.string() + ".new-" + std::to_string(getpid());
  fs::create_directories(fresh);
  if (geteuid() == 0) own(fresh);
  auto init = as_postgres({bin_dir() + "/initdb", "-D", fresh.string(), "-U", superuser_,
                           "--auth-local=peer", "--auth-host=scram-sha-256", "-E", "UTF8",
                           "--wal-segsize=1", "--no-sync", "--no-instructions"});
  if (!init.ok()) {
    skip_reason_ = "initdb failed: " + init.err;
    return "";
  }
  std::error_code ec;
  fs::rename(fresh, dir, ec);
  if (ec) fs::remove_all(fresh, ec);  // another test binary made it first
  return dir.string();
}

void PgServer::own(const fs::path& path) {
  passwd* pw = getpwnam("postgres");
  if (!pw || chown(path.c_str(), pw->pw_uid, pw->pw_gid) != 0)
    skip_reason_ = "cannot chown " + path.string() + " to postgres";
}

void PgServer::start() {
  started_ = true;
  for (const char* tool : {"initdb", "pg_ctl", "postgres"})
    if (!fs::exists(fs::path(bin_dir()) / tool)) {
      skip_reason_ = bin_dir() + "/" + tool +
                     " is missing; install postgresql-15 (scripts/install-deps.sh does)";
      missing_ = true;
      return;
    }
  if (geteuid() == 0 && !getpwnam("postgres")) {
    skip_reason_ = "the tests run as root but there is no user 'postgres' to run the server";
    missing_ = true;
    return;
  }
  passwd* me = getpwuid(geteuid());
  superuser_ = geteuid() == 0 || !me ? "postgres" : me->pw_name;
  // Servers live in memory when /dev/shm is there: copying the template and
  // writing the WAL then cost no disk I/O.
  std::string base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  std::string pattern = base + "/mi2-pg-XXXXXX";
  if (!mkdtemp(pattern.data())) {
    skip_reason_ = "cannot make a temp folder";
    return;
  }
  dir_ = pattern.c_str();
  data_ = dir_ / "data";
  if (geteuid() == 0) own(dir_);
  std::string source = template_dir();
  if (source.empty() || !skip_reason_.empty()) return;
  auto copied = as_postgres({"cp", "-a", source, data_.string()});
  if (!copied.ok()) {
    skip_reason_ = "cannot copy the initdb template: " + copied.err;
    return;
  }
  password_ = "pw-" + random_word(16);
  for (int attempt = 0; attempt < 5 && !running_; ++attempt) running_ = try_start(free_port());
  if (!running_) {
    std::ifstream log(dir_ / "server.log");
    skip_reason_ = "pg_ctl start failed: " + std::string(std::istreambuf_iterator<char>(log), {});
    return;
  }
  auto role = superuser_sql("CREATE ROLE mi2 LOGIN CREATEDB PASSWORD '" + password_ + "'");
  if (!role.ok()) {
    skip_reason_ = "cannot create the role mi2: " + role.err;
    stop();
  }
}

bool PgServer::try_start(int port) {
  if (port <= 0) return false;
  std::string options = "-c listen_addresses=127.0.0.1 -p " + std::to_string(port) +
                        " -c unix_socket_directories=" + dir_.string() +
                        " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
                        " -c max_connections=40 -c shared_buffers=16MB";
  auto r = as_postgres({bin_dir() + "/pg_ctl", "-D", data_.string(), "-l",
                        (dir_ / "server.log").string(), "-w", "-t", "30", "-o", options, "start"});
  if (r.ok()) port_ = port;
  return r.ok();
}

void PgServer::stop() {
  if (running_)
    as_postgres({bin_dir() + "/pg_ctl", "-D", data_.string(), "-m", "fast", "-w", "stop"});
  running_ = false;
  std::error_code ec;
  if (!dir_.empty()) fs::remove_all(dir_, ec);
}

std::string PgServer::conninfo(const std::string& db) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=mi2 dbname=" + db;
}

CommandResult PgServer::superuser_sql(const std::string& sql) {
  return as_postgres({"psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d",
                      "host=" + dir_.string() + " port=" + std::to_string(port_) +
                          " user=" + superuser_ + " dbname=postgres",
                      "-c", sql});
}

std::string PgServer::create_database(const std::string& prefix) {
  std::string name = prefix + "_" + std::to_string(getpid()) + "_" + std::to_string(++databases_);
  auto r = superuser_sql("CREATE DATABASE \"" + name + "\" OWNER mi2");
  EXPECT_TRUE(r.ok()) << r.err;
  return name;
}

CommandResult PgServer::psql(const std::string& db, const std::string& sql) {
  return run_command(
      {"psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", conninfo(db), "-f", "-"},
      {password_env()}, sql);
}

std::vector<std::string> PgServer::query(const std::string& db, const std::string& sql) {
  auto r = psql(db, sql);
  EXPECT_TRUE(r.ok()) << sql << ": " << r.err;
  std::vector<std::string> rows;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) rows.push_back(line);
  return rows;
}

}  // namespace mi2::postgres::test
