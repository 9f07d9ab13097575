#include "local_context.h"

#include <unistd.h>

#include <cctype>
#include <chrono>
#include <ctime>
#include <fstream>
#include <sstream>
#include <vector>

namespace mi2::local {

LocalConfig LocalConfig::parse(const std::string& config_json) {
  LocalConfig config;
  json doc = json::parse(config_json.empty() ? "{}" : config_json, nullptr, false);
  if (doc.is_discarded() || !(doc.is_object() || doc.is_null()))
    throw sdk::invalid_input("the local plugin's config in mi2.yaml must be a mapping");
  if (doc.is_null()) return config;
  auto text = [&](const char* key, std::string& out) {
    if (!doc.contains(key)) return;
    if (!doc[key].is_string())
      throw sdk::invalid_input(std::string("plugins.local.") + key +
                               " in mi2.yaml must be a string");
    out = doc[key].get<std::string>();
  };
  auto number = [&](const char* key, int& out) {
    if (!doc.contains(key)) return;
    if (!doc[key].is_number_integer() || doc[key].get<long>() < 0)
      throw sdk::invalid_input(std::string("plugins.local.") + key +
                               " in mi2.yaml must be a non-negative whole number");
    out = doc[key].get<int>();
  };
  text("forge_dir", config.forge_dir);
  text("releases_dir", config.releases_dir);
  text("workload_binary", config.workload_binary);
  text("forge_url", config.forge_url);
  number("rollout_timeout_ms", config.rollout_timeout_ms);
  number("ready_after_ms", config.ready_after_ms);
  return config;
}

LocalContext LocalContext::from_input(sdk::Host host, const LocalConfig& config,
                                      const std::string& input_json, bool needs_instance) {
  LocalContext ctx;
  ctx.host = host;
  ctx.config = config;
  ctx.input = json::parse(input_json.empty() ? "{}" : input_json, nullptr, false);
  if (ctx.input.is_discarded() || !ctx.input.is_object())
    throw sdk::invalid_input("the step input given to the local plugin is not a JSON object");
  ctx.params = ctx.input.value("params", json::object());
  if (!ctx.params.is_object()) ctx.params = json::object();
  auto path_field = [&](const char* key) -> fs::path {
    auto it = ctx.input.find(key);
    if (it == ctx.input.end() || !it->is_string() || it->get<std::string>().empty())
      throw sdk::invalid_input(std::string("the step input lacks '") + key +
                               "', which the local plugin needs");
    fs::path p = it->get<std::string>();
    if (!p.is_absolute())
      throw sdk::invalid_input(std::string("the step input's '") + key + "' must be absolute");
    return p.lexically_normal();
  };
  ctx.fleet_root = path_field("fleet_root");
  if (needs_instance) {
    ctx.instance_dir = path_field("instance_dir");
    ctx.state = path_field("state_dir") / "local";
    ctx.instance_id = ctx.input.value("instance_id", ctx.instance_dir.filename().string());
    ctx.slug = ctx.input.value("slug", ctx.instance_id);
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

std::string LocalContext::configured_version() const {
  const json* instance = input.contains("instance") ? &input["instance"] : nullptr;
  if (!instance || !instance->is_object() || !instance->contains("spec")) return "";
  const json& spec = (*instance)["spec"];
  if (!spec.is_object()) return "";
  auto it = spec.find("sourcegraphVersion");
  return it != spec.end() && it->is_string() ? it->get<std::string>() : "";
}

bool LocalContext::dry_run() const {
  return input.value("dry_run", false) || host.dry_run();
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
  std::ifstream in(path, std::ios::binary);
  if (!in) throw sdk::failed("cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_text_atomic(const fs::path& path, const std::string& text) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  fs::path temp = path;
  temp += ".tmp." + std::to_string(getpid());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) throw sdk::failed("cannot write " + path.string());
    out << text;
    if (!out.flush()) throw sdk::failed("cannot write " + path.string());
  }
  fs::rename(temp, path, ec);
  if (ec) throw sdk::failed("cannot write " + path.string() + ": " + ec.message());
}

json read_json_file(const fs::path& path) {
  json value = json::parse(read_text(path), nullptr, false);
  if (value.is_discarded()) throw sdk::failed(path.string() + " is not valid JSON");
  return value;
}

void write_json_file(const fs::path& path, const json& value) {
  write_text_atomic(path, value.dump(2) + "\n");
}

namespace {

struct ParsedVersion {
  long major = 0, minor = 0, patch = 0;
  std::string pre;
};

bool parse_version(const std::string& text, ParsedVersion& out) {
  size_t i = 0;
  long* parts[] = {&out.major, &out.minor, &out.patch};
  for (int k = 0; k < 3; ++k) {
    if (i >= text.size() || !std::isdigit(static_cast<unsigned char>(text[i]))) return false;
    long value = 0;
    size_t digits = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) && digits < 9) {
      value = value * 10 + (text[i++] - '0');
      ++digits;
    }
    *parts[k] = value;
    if (k < 2) {
      if (i >= text.size() || text[i] != '.') return false;
      ++i;
    }
  }
  if (i == text.size()) return true;
  if (text[i] != '-' || i + 1 == text.size() || text.size() > 64) return false;
  out.pre = text.substr(i + 1);
  for (char c : out.pre)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') return false;
  return true;
}

int compare_prerelease(const std::string& a, const std::string& b) {
  if (a == b) return 0;
  if (a.empty()) return 1;  // a release sorts after its pre-releases
  if (b.empty()) return -1;
  auto split = [](const std::string& s) {
    std::vector<std::string> parts;
    std::stringstream in(s);
    for (std::string p; std::getline(in, p, '.');) parts.push_back(p);
    return parts;
  };
  auto pa = split(a), pb = split(b);
  for (size_t i = 0; i < pa.size() && i < pb.size(); ++i) {
    bool na = !pa[i].empty() && pa[i].find_first_not_of("0123456789") == std::string::npos;
    bool nb = !pb[i].empty() && pb[i].find_first_not_of("0123456789") == std::string::npos;
    if (na && nb && pa[i].size() != pb[i].size()) return pa[i].size() < pb[i].size() ? -1 : 1;
    if (na != nb) return na ? -1 : 1;
    if (pa[i] != pb[i]) return pa[i] < pb[i] ? -1 : 1;
  }
  return pa.size() == pb.size() ? 0 : (pa.size() < pb.size() ? -1 : 1);
}

}  // namespace

bool is_version(const std::string& version) {
  ParsedVersion v;
  return parse_version(version, v);
}

void require_version(const std::string& version, const std::string& what) {
  if (!is_version(version))
    throw sdk::invalid_input(what + " '" + version +
                             "' is not a version like 4.1.0 or 4.2.0-rc.1 (no 'v' prefix)");
}

int compare_versions(const std::string& a, const std::string& b) {
  ParsedVersion va, vb;
  if (!parse_version(a, va) || !parse_version(b, vb)) return a.compare(b) < 0 ? -1 : a == b ? 0 : 1;
  if (va.major != vb.major) return va.major < vb.major ? -1 : 1;
  if (va.minor != vb.minor) return va.minor < vb.minor ? -1 : 1;
  if (va.patch != vb.patch) return va.patch < vb.patch ? -1 : 1;
  return compare_prerelease(va.pre, vb.pre);
}

bool is_safe_name(const std::string& name) {
  if (name.empty() || name.size() > 128 || name[0] == '.') return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-')
      return false;
  return true;
}

}  // namespace mi2::local
