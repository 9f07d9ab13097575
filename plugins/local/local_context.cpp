#include "local_context.h"

#include <cctype>
#include <chrono>
#include <ctime>
#include <optional>
#include <vector>

#include "lib/text_edit/text_file.h"

namespace mi2::local {

// One line an option; plugins/local/README.md says more about each.
void LocalConfig::read(sdk::ConfigReader& cfg) {
  cfg.read("forge_dir", forge_dir, "folder of the local forge (default <fleet>/.mi2/forge)");
  cfg.read("forge_url", forge_url, "base URL of PR and issue links (default file://forge_dir)");
  cfg.read("releases_dir", releases_dir, "release catalog, from the fleet root (releases)");
  cfg.read("workload_binary", workload_binary, "the mi2-workload program (default next to mi2)");
  cfg.read("rollout_timeout_ms", rollout_timeout_ms, "deadline of a new workload (default 15000)");
  cfg.read("ready_after_ms", ready_after_ms, "simulated start-up time of a workload (default 300)");
}

LocalConfig LocalConfig::parse(const std::string& config_json) {
  return sdk::read_settings<LocalConfig>("local", config_json);
}

LocalContext LocalContext::from_input(sdk::Host host, const LocalConfig& config,
                                      const sdk::StepInput& in, bool needs_instance) {
  LocalContext ctx;
  ctx.host = host;
  ctx.config = config;
  ctx.in = in;
  auto path_field = [](const std::string& value, const char* key) -> fs::path {
    if (value.empty())
      throw sdk::invalid_input(std::string("the step input lacks '") + key +
                               "', which the local plugin needs");
    fs::path p = value;
    if (!p.is_absolute())
      throw sdk::invalid_input(std::string("the step input's '") + key + "' must be absolute");
    return p.lexically_normal();
  };
  ctx.fleet_root = path_field(in.fleet_root, "fleet_root");
  if (needs_instance) {
    ctx.instance_dir = path_field(in.instance_dir, "instance_dir");
    ctx.state = path_field(in.state_dir, "state_dir") / "local";
    ctx.instance_id =
        in.instance_id.empty() ? ctx.instance_dir.filename().string() : in.instance_id;
    ctx.slug = in.slug.empty() ? ctx.instance_id : in.slug;
  }
  return ctx;
}

fs::path LocalContext::releases_dir() const {
  fs::path dir = config.releases_dir;
  return dir.is_absolute() ? dir : fleet_root / dir;
}

fs::path LocalContext::forge_dir() const {
  if (config.forge_dir.empty()) return fleet_root / ".mi2" / "forge";
  fs::path dir = config.forge_dir;
  return dir.is_absolute() ? dir : fleet_root / dir;
}

ReleaseCatalog LocalContext::catalog() const {
  return ReleaseCatalog::load(releases_dir(), {"local", "migrations", true});
}

bool LocalContext::dry_run() const {
  return in.dry_run || host.dry_run();
}

std::string now_utc() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

std::string read_text(const fs::path& path) {
  std::optional<std::string> text = text_edit::read_text_file(path);
  if (!text) throw sdk::failed("cannot read " + path.string());
  return *text;
}

void write_text_atomic(const fs::path& path, const std::string& text) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  std::string failed = text_edit::write_file_atomic(path, text);
  if (!failed.empty()) throw sdk::failed(failed);
}

json read_json_file(const fs::path& path) {
  json value = json::parse(read_text(path), nullptr, false);
  if (value.is_discarded()) throw sdk::failed(path.string() + " is not valid JSON");
  return value;
}

void write_json_file(const fs::path& path, const json& value) {
  write_text_atomic(path, value.dump(2) + "\n");
}

bool is_safe_name(const std::string& name) {
  if (name.empty() || name.size() > 128 || name[0] == '.') return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-')
      return false;
  return true;
}

}  // namespace mi2::local
