#include "forge_common/forge_config.h"

#include <algorithm>
#include <cstdlib>

namespace mi2::forge {

namespace {

std::string field(const ForgeConfigSpec& spec, const char* key) {
  return "mi2.yaml: plugins." + spec.plugin + "." + key;
}

std::optional<std::vector<std::string>> tracking_labels_from(const Json& config,
                                                             const ForgeConfigSpec& spec) {
  if (!config.contains("tracking_labels")) return std::nullopt;
  const Json& labels = config["tracking_labels"];
  std::vector<std::string> values;
  if (labels.is_string()) values.push_back(labels.get<std::string>());
  if (labels.is_array())
    for (const auto& label : labels)
      if (label.is_string()) values.push_back(label.get<std::string>());
  if (values.empty() && !(labels.is_array() && labels.empty()))
    throw sdk::invalid_input(field(spec, "tracking_labels") +
                             " must be a label or a list of labels.");
  return values;
}

bool valid_input_name(const std::string& name) {
  if (name.size() > 100) return false;
  for (unsigned char c : name)
    if (!std::isalnum(c) && c != '_' && c != '-') return false;
  return true;
}

void read_token(const sdk::Host& host, const Json& config, const ForgeConfigSpec& spec,
                ForgeSettings& s) {
  s.token = config_string(config, spec.plugin, "token");
  s.token_source = "plugins." + spec.plugin + ".token";
  for (const auto& name : spec.token_env) {
    if (!s.token.empty()) break;
    const char* value = std::getenv(name.c_str());
    if (value && *value) {
      s.token = value;
      s.token_source = "$" + name;
    }
  }
  host.redact(s.token);
}

void read_int(const Json& config, const ForgeConfigSpec& spec, const char* key, long long min,
              long long max, auto& out) {
  if (!config.contains(key)) return;
  const Json& value = config[key];
  if (!value.is_number_integer() || value.get<long long>() < min || value.get<long long>() > max)
    throw sdk::invalid_input(field(spec, key) + " must be a whole number from " +
                             std::to_string(min) + " to " + std::to_string(max) + ".");
  out = static_cast<std::decay_t<decltype(out)>>(value.get<long long>());
}

}  // namespace

Json parse_config_object(const std::string& config_json, const std::string& plugin) {
  Json config = Json::parse(config_json.empty() ? "null" : config_json, nullptr, false);
  if (config.is_discarded() || !(config.is_object() || config.is_null()))
    throw sdk::invalid_input("mi2.yaml: the " + plugin + " plugin's config must be a mapping.");
  return config.is_null() ? Json::object() : config;
}

std::string config_checked(const Json& config, const std::string& plugin, const char* key,
                           const std::function<bool(const std::string&)>& valid,
                           const std::string& what, const std::string& fallback, bool required) {
  std::string value = config_string(config, plugin, key, fallback);
  if ((required || !value.empty()) && !valid(value))
    throw sdk::invalid_input("mi2.yaml: plugins." + plugin + "." + key + " must be " + what +
                             ", not '" + value + "'.");
  return value;
}

Json shared_config_schema(const ForgeConfigSpec& spec) {
  std::string token_default;
  for (const auto& name : spec.token_env)
    token_default += (token_default.empty() ? "default: $" : ", else $") + name;
  const RetryPolicy retry;  // the defaults retry_policy_from starts from
  const std::pair<const char*, Json> properties[] = {
      {"latest_source",
       {{"type", "string"},
        {"default", "release"},
        {"description",
         "latest-version: the latest release, or main-tag: the newest main-branch build tag"}}},
      {"tracking_labels",
       {{"type", "array"},
        {"items", {{"type", "string"}}},
        {"description",
         "labels of tracking issues (created and searched with them); default: the host's "
         "(team/cloud)"}}},
      {"token", {{"type", "string"}, {"sensitive", true}, {"description", token_default}}},
      {"max_attempts", {{"type", "integer"}, {"default", retry.max_attempts}}},
      {"backoff_base_ms", {{"type", "integer"}, {"default", retry.backoff_base_ms}}},
      {"max_retry_wait_ms",
       {{"type", "integer"},
        {"default", retry.max_retry_wait_ms},
        {"description", "longest rate-limit wait honoured; longer gives up"}}},
      {"timeout_ms", {{"type", "integer"}, {"default", retry.timeout_ms}}},
  };
  Json schema = Json::object();
  for (const auto& [key, property] : properties) schema[key] = property;
  return schema;
}

ForgeSettings load_forge_settings(const sdk::Host& host, const Json& config,
                                  const ForgeConfigSpec& spec) {
  ForgeSettings s;
  s.latest_source = config_string(config, spec.plugin, "latest_source", s.latest_source);
  if (s.latest_source != "release" && s.latest_source != "main-tag")
    throw sdk::invalid_input(field(spec, "latest_source") + " must be release or main-tag.");
  s.api_url = config_string(config, spec.plugin, "api_url", spec.default_api_url);
  while (!s.api_url.empty() && s.api_url.back() == '/') s.api_url.pop_back();
  if (s.api_url.rfind("https://", 0) != 0 && s.api_url.rfind("http://", 0) != 0)
    throw sdk::invalid_input(field(spec, "api_url") + " must be an http(s) URL.");
  s.retry = retry_policy_from(config);
  read_int(config, spec, "run_lookup_attempts", 0, 30, s.run_lookup_attempts);
  read_int(config, spec, "run_lookup_wait_ms", 0, 60000, s.run_lookup_wait_ms);
  s.dispatch_id_input =
      config_checked(config, spec.plugin, "dispatch_id_input", valid_input_name,
                     "a workflow input name (letters, digits, _ or -) or '' for none",
                     spec.default_dispatch_input);
  s.tracking_labels = tracking_labels_from(config, spec);
  read_token(host, config, spec, s);
  return s;
}

}  // namespace mi2::forge
