#include "plugins/kubectl/kubectl_client.h"

#include <yaml-cpp/yaml.h>
#include <mi2/sdk/text.hpp>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iomanip>
#include <sstream>
#include <thread>

#include <unistd.h>

namespace mi2::kubectl {
namespace {

namespace fs = std::filesystem;

std::string first_line(const std::string& text) {
  std::string trimmed = text;
  while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == ' ')) trimmed.pop_back();
  size_t nl = trimmed.find('\n');
  return nl == std::string::npos ? trimmed : trimmed.substr(0, nl);
}

bool on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  if (!path) return false;
  std::stringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    std::error_code ec;
    fs::path candidate = fs::path(dir.empty() ? "." : dir) / program;
    if (fs::is_regular_file(candidate, ec) && access(candidate.c_str(), X_OK) == 0) return true;
  }
  return false;
}

fs::path kustomization_file(const fs::path& dir) {
  for (const char* name : {"kustomization.yaml", "kustomization.yml", "Kustomization"})
    if (fs::exists(dir / name)) return dir / name;
  return {};
}

bool uses_helm_charts(const fs::path& file) {
  try {
    YAML::Node root = YAML::LoadFile(file.string());
    return root.IsMap() && root["helmCharts"] && root["helmCharts"].size() > 0;
  } catch (const YAML::Exception&) {
    return false;  // kustomize itself reports the syntax error
  }
}

}  // namespace

void KubectlClient::require_context() const {
  if (!target_.context.empty()) return;
  throw sdk::invalid_input(
      "the kubectl plugin cannot tell the cluster context of instance " + target_.in.instance_id +
      ": set plugins.kubectl.context in mi2.yaml, or status.gcp.projectId, status.gcp.region and "
      "status.gcp.gkeClusters[0].name in its config.yaml.");
}

Args KubectlClient::argv(const Args& args) const {
  require_context();
  Args out = {"kubectl", "--context=" + target_.context, "--namespace=" + target_.namespace_name};
  out.insert(out.end(), args.begin(), args.end());
  return out;
}

std::string KubectlClient::failure(const Args& argv, const sdk::ExecResult& result) const {
  std::string why = first_line(result.err);
  if (why.empty()) why = first_line(result.out);
  if (result.timed_out) why = "timed out";
  if (why.empty()) why = "exit code " + std::to_string(result.exit_code);
  return "`" + sdk::join(argv, " ") + "` failed for instance " + target_.in.instance_id + ": " +
         why + ".";
}

sdk::ExecResult KubectlClient::run(const Args& args, uint32_t timeout_ms) const {
  sdk::ExecOptions options;
  options.timeout_ms = timeout_ms;
  return host_.exec(argv(args), options);
}

std::string KubectlClient::read(const Args& args, uint32_t timeout_ms) const {
  Args full = argv(args);
  sdk::ExecOptions options;
  options.timeout_ms = timeout_ms;
  sdk::ExecResult result = host_.exec(full, options);
  if (!result.ok()) throw sdk::failed(failure(full, result));
  return result.out;
}

Json KubectlClient::read_json(const Args& args) const {
  std::string out = read(args);
  Json parsed = Json::parse(out, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object())
    throw sdk::failed("`" + sdk::join(argv(args), " ") + "` for instance " +
                      target_.in.instance_id +
                      " did not print a JSON object; check that kubectl is a real kubectl.");
  return parsed;
}

sdk::ExecResult KubectlClient::change(const Args& args, const std::string& stdin_data,
                                      uint32_t timeout_ms) const {
  sdk::ExecOptions options;
  options.stdin_data = stdin_data;
  options.timeout_ms = timeout_ms;
  options.mutating = true;
  return host_.exec(argv(args), options);
}

sdk::ExecResult KubectlClient::change_or_throw(const Args& args, const std::string& stdin_data,
                                               uint32_t timeout_ms) const {
  sdk::ExecResult result = change(args, stdin_data, timeout_ms);
  if (!result.ok()) throw sdk::failed(failure(argv(args), result));
  return result;
}

Args KubectlClient::kustomize_argv() const {
  fs::path dir = target_.kubernetes_path;
  if (target_.kubernetes_path.empty())
    throw sdk::invalid_input(
        "the step input names no instance_dir, so the kubectl plugin has no "
        "kustomization to build.");
  fs::path file = kustomization_file(dir);
  if (file.empty())
    throw sdk::failed("instance " + target_.in.instance_id + " has no kustomization.yaml in " +
                      dir.string() + "; generate its kubernetes/ folder first.");
  bool helm = settings_.enable_helm == "true" ||
              (settings_.enable_helm == "auto" && uses_helm_charts(file));
  Args args = {"kubectl", "kustomize", "--load-restrictor", "LoadRestrictionsNone"};
  if (helm) {
    if (!on_path("helm"))
      throw sdk::failed("the kustomization " + file.string() +
                        " inflates Helm charts (--enable-helm) but no `helm` is on PATH; install "
                        "Helm 3 or put it on PATH.");
    args.push_back("--enable-helm");
  }
  args.push_back(dir.string());
  return args;
}

std::string KubectlClient::build_manifests() const {
  Args args = kustomize_argv();
  sdk::ExecOptions options;
  options.timeout_ms = 300000;
  sdk::ExecResult result = host_.exec(args, options);
  if (!result.ok()) throw sdk::failed(failure(args, result));
  return result.out;
}

void pause(const sdk::Host& host, double seconds) {
  auto until = std::chrono::steady_clock::now() +
               std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
  while (std::chrono::steady_clock::now() < until) {
    if (host.cancelled()) throw sdk::Error(MI2_CANCELLED, "the kubectl plugin was asked to stop.");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (host.cancelled()) throw sdk::Error(MI2_CANCELLED, "the kubectl plugin was asked to stop.");
}

long long parse_timestamp(const std::string& text) {
  std::tm tm{};
  std::istringstream in(text);
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
  if (in.fail()) return -1;
  return static_cast<long long>(timegm(&tm));
}

long long now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace mi2::kubectl
