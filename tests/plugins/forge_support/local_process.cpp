#include "tests/plugins/forge_support/local_process.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace mi2::test {

sdk::ExecResult run_local(const sdk::FakeHost::ExecCall& call) {
  ScratchDir capture;
  fs::path out_path = capture.path() / "out", err_path = capture.path() / "err";
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int in = open("/dev/null", O_RDONLY);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    if (!call.cwd.empty() && chdir(call.cwd.c_str()) != 0) _exit(126);
    for (const auto& entry : call.env) {
      size_t eq = entry.find('=');
      if (eq != std::string::npos)
        setenv(entry.substr(0, eq).c_str(), entry.substr(eq + 1).c_str(), 1);
    }
    std::vector<char*> argv;
    for (const auto& a : call.argv) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  sdk::ExecResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.term_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  result.out = read_text(out_path);
  result.err = read_text(err_path);
  return result;
}

std::string git_in(const fs::path& dir, const std::vector<std::string>& args) {
  sdk::FakeHost::ExecCall call;
  call.argv = {"git"};
  call.argv.insert(call.argv.end(), args.begin(), args.end());
  call.cwd = dir.string();
  sdk::ExecResult result = run_local(call);
  if (!result.ok()) throw std::runtime_error("git " + args.front() + " failed: " + result.err);
  std::string out = result.out;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

ScratchDir::ScratchDir() {
  std::string pattern = (fs::temp_directory_path() / "mi2-forge-XXXXXX").string();
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (!mkdtemp(buffer.data())) throw std::runtime_error("mkdtemp failed");
  path_ = buffer.data();
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void write_text(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string instance_config_yaml(const FleetInstance& i) {
  return "apiVersion: sourcegraph.com/v1\n"
         "kind: SourcegraphCloud\n"
         "metadata:\n"
         "  name: " +
         i.id +
         "\n"
         "  labels:\n"
         "    instance-type: " +
         i.type +
         "\n"
         "spec:\n"
         "  displayName: " +
         i.slug +
         "\n"
         "  sourcegraphVersion: " +
         i.version +
         "\n"
         "  releaseChannel: " +
         i.channel +
         "\n"
         "  domain: " +
         i.slug + ".example.com\n";
}

fs::path make_fleet_repo(const fs::path& root, const std::string& mi2_yaml,
                         const std::vector<FleetInstance>& instances) {
  fs::path origin = root / "origin.git";
  fs::path fleet = root / "fleet";
  fs::create_directories(origin);
  fs::create_directories(fleet);
  git_in(origin, {"init", "-q", "--bare", "-b", "main"});
  git_in(fleet, {"init", "-q", "-b", "main"});
  git_in(fleet, {"config", "user.name", "mi2 test"});
  git_in(fleet, {"config", "user.email", "mi2-test@example.com"});
  git_in(fleet, {"remote", "add", "origin", origin.string()});
  write_text(fleet / "mi2.yaml", mi2_yaml);
  for (const auto& i : instances) {
    fs::path dir = fleet / "environments" / i.environment / "deployments" / i.id;
    write_text(dir / "config.yaml", instance_config_yaml(i));
    write_text(dir / "kubernetes" / "kustomization.yaml", "resources: []\n");
  }
  git_in(fleet, {"add", "-A"});
  git_in(fleet, {"commit", "-q", "-m", "fleet"});
  git_in(fleet, {"push", "-q", "origin", "main"});
  return fleet;
}

}  // namespace mi2::test
