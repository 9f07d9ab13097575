// mi2/sdk/step.hpp — the step input every invoke receives, typed; the one
// failure type that carries partial output; placeholder expansion.
//
//   sdk::StepInput in = sdk::StepInput::parse(input_json);   // throws invalid_input
//   std::string db = sdk::expand("app_{instance_id}", in);   // "app_src-1a2b3c"
//   throw sdk::Failure(MI2_FAILED, "migration 4.1.0 failed", {{"dirty", true}});
//
// The fields are those of docs/plugin-guide.md ("Step input"). Header-only,
// C++17; needs nlohmann/json (Debian: nlohmann-json3-dev).
#ifndef MI2_SDK_STEP_HPP
#define MI2_SDK_STEP_HPP

#include <mi2/sdk/host.hpp>
#include <nlohmann/json.hpp>

#include <initializer_list>
#include <map>
#include <string>
#include <utility>

namespace mi2::sdk {

using Json = nlohmann::json;

// A failure that still hands the host a partial output object (plugin.h
// allows output next to a non-OK status): a migration's dirty state, the
// per-stack plan report. The adapter returns output() with the error.
class Failure : public Error {
 public:
  Failure(mi2_status status, const std::string& message, Json output)
      : Error(status, message, output.dump()), json_(std::move(output)) {}
  Failure(const std::string& message, Json output)
      : Failure(MI2_FAILED, message, std::move(output)) {}
  const Json& json_output() const { return json_; }

 private:
  Json json_;
};

// The string at a JSON pointer ("/spec/domain"), numbers as their text, or "".
inline std::string string_at(const Json& object, const char* pointer) {
  Json::json_pointer p(pointer);
  if (!object.is_object() || !object.contains(p)) return "";
  const Json& value = object.at(p);
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number()) return value.dump();
  return "";
}

// The first non-empty string among the pointers.
inline std::string first_string_at(const Json& object,
                                   std::initializer_list<const char*> pointers) {
  for (const char* p : pointers) {
    std::string value = string_at(object, p);
    if (!value.empty()) return value;
  }
  return "";
}

// spec.domain is a string in old configs and an object in newer ones; a
// custom domain marked primary wins over the default DNS name.
inline std::string primary_domain(const Json& instance) {
  Json::json_pointer pointer("/spec/domain");
  if (!instance.is_object() || !instance.contains(pointer)) return "";
  const Json& domain = instance.at(pointer);
  if (domain.is_string()) return domain.get<std::string>();
  if (!domain.is_object()) return "";
  auto custom = domain.find("customDomains");
  if (custom != domain.end() && custom->is_array())
    for (const Json& c : *custom)
      if (c.is_object() && c.value("primary", false) && c.contains("dnsName") &&
          c["dnsName"].is_string())
        return c["dnsName"].get<std::string>();
  return domain.value("primaryDNSName", "");
}

// The step input, typed. Absent fields are empty; `raw` keeps the whole object.
struct StepInput {
  std::string run_id;  // empty outside a run (e.g. `mi2 instance check`)
  std::string step;    // the recipe step's name, or the CLI command
  bool dry_run = false;
  std::string fleet_root, environment, instance_id, slug;
  std::string instance_dir;        // absolute
  std::string state_dir;           // a plugin keeps its own state in state_dir/<plugin name>/
  Json instance = Json::object();  // config.yaml as JSON, as it is now
  std::string target_version;      // upgrade runs; else the configured version
  std::string previous_version;    // upgrade runs: the version before the bump
  bool force = false;
  Json params = Json::object();       // the step's params from the recipe / CLI
  Json checkpoints = Json::object();  // <plugin> -> backup.create output earlier in the run
  std::string run_log;
  Json raw = Json::object();

  // spec.sourcegraphVersion as config.yaml says now (after the bump in a run).
  std::string version() const { return string_at(instance, "/spec/sourcegraphVersion"); }
  std::string domain() const { return primary_domain(instance); }
  // GCP project of the instance: status.gcp.projectId (older: status.gcpProjectId).
  std::string project() const {
    return first_string_at(instance, {"/status/gcp/projectId", "/status/gcpProjectId"});
  }
  // state_dir/<plugin>, the plugin's own folder ("" when state_dir is absent).
  std::string plugin_state_dir(const std::string& plugin) const {
    return state_dir.empty() ? "" : state_dir + "/" + plugin;
  }
  // A string param, or `fallback`.
  std::string param(const std::string& name, const std::string& fallback = {}) const {
    auto it = params.find(name);
    return it != params.end() && it->is_string() ? it->get<std::string>() : fallback;
  }
  // Throws invalid_input naming `field` when it is empty.
  const std::string& require(const std::string& value, const char* field) const {
    if (value.empty())
      throw invalid_input(std::string("the step input has no ") + field +
                          " (run the step through mi2 inside a fleet).");
    return value;
  }

  // Parses the step input; throws invalid_input when it is not a JSON object.
  static StepInput parse(const std::string& input_json) {
    Json in = Json::parse(input_json.empty() ? "{}" : input_json, nullptr, false);
    if (in.is_discarded() || !in.is_object())
      throw invalid_input("the step input is not a JSON object.");
    StepInput s;
    auto text = [&](const char* key) {
      auto it = in.find(key);
      return it != in.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    auto flag = [&](const char* key) {
      auto it = in.find(key);
      return it != in.end() && it->is_boolean() && it->get<bool>();
    };
    s.run_id = text("run_id");
    s.step = text("step");
    s.dry_run = flag("dry_run");
    s.fleet_root = text("fleet_root");
    s.environment = text("environment");
    s.instance_dir = text("instance_dir");
    s.state_dir = text("state_dir");
    if (in.contains("instance") && in["instance"].is_object()) s.instance = in["instance"];
    s.instance_id = text("instance_id");
    if (s.instance_id.empty()) s.instance_id = string_at(s.instance, "/metadata/name");
    s.slug = text("slug");
    if (s.slug.empty()) s.slug = string_at(s.instance, "/spec/displayName");
    s.previous_version = text("previous_version");
    s.target_version = text("target_version");
    if (s.target_version.empty()) s.target_version = s.version();
    s.force = flag("force");
    if (in.contains("params") && in["params"].is_object()) s.params = in["params"];
    if (in.contains("checkpoints") && in["checkpoints"].is_object())
      s.checkpoints = in["checkpoints"];
    s.run_log = text("run_log");
    s.raw = std::move(in);
    return s;
  }
};

using Placeholders = std::map<std::string, std::string>;

// The values every plugin's config strings may name: {instance_id} {slug}
// {environment} {domain} {project} {version} {target_version}
// {previous_version} {run_id} {fleet_root} {instance_dir} {state_dir}.
// A plugin adds its own (kubectl: {location} {cluster}) to the map.
inline Placeholders placeholders(const StepInput& in) {
  return {{"instance_id", in.instance_id},
          {"slug", in.slug},
          {"environment", in.environment},
          {"domain", in.domain()},
          {"project", in.project()},
          {"version", in.version()},
          {"target_version", in.target_version},
          {"previous_version", in.previous_version},
          {"run_id", in.run_id},
          {"fleet_root", in.fleet_root},
          {"instance_dir", in.instance_dir},
          {"state_dir", in.state_dir}};
}

// Replaces each {name} whose name is in `values`; any other brace text stays
// as it is (JSON or shell-like text in a config is not mangled).
inline std::string expand(const std::string& text, const Placeholders& values) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    size_t open = text.find('{', i);
    if (open == std::string::npos) break;
    size_t close = text.find('}', open + 1);
    if (close == std::string::npos) break;
    auto it = values.find(text.substr(open + 1, close - open - 1));
    out.append(text, i, open - i);
    if (it != values.end()) {
      out += it->second;
    } else {
      out.append(text, open, close - open + 1);
    }
    i = close + 1;
  }
  out.append(text, i, std::string::npos);
  return out;
}

inline std::string expand(const std::string& text, const StepInput& in) {
  return expand(text, placeholders(in));
}

}  // namespace mi2::sdk

#endif  // MI2_SDK_STEP_HPP
