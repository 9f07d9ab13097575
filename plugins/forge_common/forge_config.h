// The config both forge plugins read the same way: the mapping itself, the
// REST root, the token (config, else the forge's environment variables;
// registered with the redactor at once), the retry knobs, latest_source, the
// run lookup knobs and the tracking labels. Each plugin adds only its own keys
// (GitHub repositories, GitLab projects) on top.
#pragma once

#include <mi2/sdk/host.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "forge_common/rest_client.h"

namespace mi2::forge {

using Json = nlohmann::json;

// What differs between the forges in reading the shared keys.
struct ForgeConfigSpec {
  std::string plugin;                  // "github": names plugins.github.<key> in errors
  std::string default_api_url;         // "https://api.github.com"
  std::vector<std::string> token_env;  // {"GITHUB_TOKEN", "GH_TOKEN"}
  std::string default_dispatch_input;  // the workflow input carrying the dispatch id; "" none
};

struct ForgeSettings {
  std::string api_url;  // no trailing slash
  std::string token;
  std::string token_source;               // "plugins.github.token", "$GITHUB_TOKEN"
  std::string latest_source = "release";  // latest-version: "release" or "main-tag"
  RetryPolicy retry;
  int run_lookup_attempts = 5;         // dispatch: looks for the run this many times
  uint32_t run_lookup_wait_ms = 2000;  // between looks
  std::string dispatch_id_input;       // workflow input carrying the dispatch id
  // tracking_labels: the tracking issue's labels, used to create and to find
  // it whatever labels the host asks for. Unset: the host's labels.
  std::optional<std::vector<std::string>> tracking_labels;
};

// The plugin's config JSON as an object (null becomes {}); anything else is
// an error naming the plugin.
Json parse_config_object(const std::string& config_json, const std::string& plugin);

// describe()'s config_schema properties of the shared keys every forge reads
// alike (latest_source, tracking_labels, token, the retry knobs), so they are
// documented once: {"token": {"type": "string", "sensitive": true, ...}, ...}.
Json shared_config_schema(const ForgeConfigSpec& spec);

// Reads the shared keys of `config`. Errors name plugins.<plugin>.<key>.
ForgeSettings load_forge_settings(const sdk::Host& host, const Json& config,
                                  const ForgeConfigSpec& spec);

// A string key that must pass `valid` when present (or when `required`);
// the error says "must be <what>" and quotes the bad value.
std::string config_checked(const Json& config, const std::string& plugin, const char* key,
                           const std::function<bool(const std::string&)>& valid,
                           const std::string& what, const std::string& fallback = "",
                           bool required = false);

}  // namespace mi2::forge
