// mi2/sdk/config.hpp — read a plugin's mi2.yaml config with sentences for
// every mistake, and describe it in the same place.
//
//   sdk::ConfigReader cfg("terraform", config_json);
//   s.stacks_dir = cfg.string("stacks_dir", "terraform/stacks", "stack folders, per instance");
//   s.lock_timeout_s = cfg.integer("lock_timeout_s", 300, "terraform -lock-timeout, seconds");
//   cfg.finish();                      // refuses keys nobody read, naming them
//   Json schema = cfg.schema();        // the describe document's config_schema
//
// Or read every option in one `void Settings::read(sdk::ConfigReader&)` and
// let read_settings / settings_schema (and sdk::Provider, routes.hpp) run it
// both ways, so the parser and the schema cannot drift apart.
//
// A wrong type is MI2_INVALID_INPUT: "plugins.terraform.lock_timeout_s in mi2.yaml must be
// an integer (got "5m")." Header-only, C++17; needs nlohmann/json.
#ifndef MI2_SDK_CONFIG_HPP
#define MI2_SDK_CONFIG_HPP

#include <mi2/sdk/step.hpp>

#include <limits>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace mi2::sdk {

class ConfigReader {
 public:
  ConfigReader(std::string plugin, const std::string& config_json) : plugin_(std::move(plugin)) {
    config_ = Json::parse(config_json.empty() ? "{}" : config_json, nullptr, false);
    if (config_.is_null()) config_ = Json::object();
    if (config_.is_discarded() || !config_.is_object())
      throw invalid_input("plugins." + plugin_ + " in mi2.yaml must be a mapping of options.");
  }

  std::string string(const std::string& key, const std::string& fallback,
                     const std::string& description, bool sensitive = false) {
    declare(key, "string", description, sensitive);
    const Json* v = find(key);
    if (!v) return fallback;
    if (!v->is_string()) throw bad(key, "a string", *v);
    return v->get<std::string>();
  }
  long long integer(const std::string& key, long long fallback, const std::string& description,
                    long long min = 0) {
    declare(key, "integer", description);
    const Json* v = find(key);
    if (!v) return fallback;
    if (!v->is_number_integer()) throw bad(key, "an integer", *v);
    long long n = v->get<long long>();
    if (n < min) throw bad(key, "an integer of at least " + std::to_string(min), *v);
    return n;
  }
  double number(const std::string& key, double fallback, const std::string& description) {
    declare(key, "number", description);
    const Json* v = find(key);
    if (!v) return fallback;
    if (!v->is_number() || v->get<double>() < 0) throw bad(key, "a non-negative number", *v);
    return v->get<double>();
  }
  bool boolean(const std::string& key, bool fallback, const std::string& description) {
    declare(key, "boolean", description);
    const Json* v = find(key);
    if (!v) return fallback;
    if (!v->is_boolean()) throw bad(key, "true or false", *v);
    return v->get<bool>();
  }
  std::vector<std::string> strings(const std::string& key, std::vector<std::string> fallback,
                                   const std::string& description) {
    declare(key, "array", description);
    const Json* v = find(key);
    if (!v) return fallback;
    if (!v->is_array()) throw bad(key, "a list of strings", *v);
    std::vector<std::string> out;
    for (const Json& item : *v) {
      if (!item.is_string()) throw bad(key, "a list of strings", *v);
      out.push_back(item.get<std::string>());
    }
    return out;
  }
  // A mapping of name -> string (e.g. env).
  std::map<std::string, std::string> string_map(const std::string& key,
                                                const std::string& description) {
    declare(key, "object", description);
    std::map<std::string, std::string> out;
    const Json* v = find(key);
    if (!v) return out;
    if (!v->is_object()) throw bad(key, "a mapping of names to strings", *v);
    for (auto it = v->begin(); it != v->end(); ++it) {
      if (!it.value().is_string()) throw bad(key + "." + it.key(), "a string", it.value());
      out[it.key()] = it.value().get<std::string>();
    }
    return out;
  }
  // Any JSON value, validated by the caller.
  Json raw(const std::string& key, const std::string& type, const std::string& description,
           bool sensitive = false) {
    declare(key, type, description, sensitive);
    const Json* v = find(key);
    return v ? *v : Json();
  }

  // Reads `key` into `field`, whose value is the default: the reader of the
  // field's type (string, list of strings, boolean, integer of at least `min`,
  // non-negative number), so each option is named once.
  void read(const std::string& key, std::string& field, const std::string& description) {
    field = string(key, field, description);
  }
  void read(const std::string& key, std::vector<std::string>& field,
            const std::string& description) {
    field = strings(key, field, description);
  }
  void read(const std::string& key, bool& field, const std::string& description) {
    field = boolean(key, field, description);
  }
  void read(const std::string& key, double& field, const std::string& description) {
    field = number(key, field, description);
  }
  template <class Int,
            class = std::enable_if_t<std::is_integral_v<Int> && !std::is_same_v<Int, bool>>>
  void read(const std::string& key, Int& field, const std::string& description, long long min = 0) {
    long long value = integer(key, field, description, min);
    if constexpr (sizeof(Int) < sizeof(long long)) {
      long long max = std::numeric_limits<Int>::max();
      if (value > max) throw bad(key, "an integer of at most " + std::to_string(max), Json(value));
    }
    field = static_cast<Int>(value);
  }

  // Refuses keys no reader asked for (a typo must not be ignored silently).
  void finish() const {
    for (auto it = config_.begin(); it != config_.end(); ++it)
      if (!read_.count(it.key()))
        throw invalid_input("plugins." + plugin_ + "." + it.key() +
                            " in mi2.yaml is not an option of the " + plugin_ +
                            " plugin; `mi2 plugin describe " + plugin_ + "` lists them.");
  }

  Json schema() const { return Json{{"type", "object"}, {"properties", properties_}}; }
  const Json& json() const { return config_; }

  // The error for a bad value, for checks the caller makes itself.
  Error bad(const std::string& key, const std::string& expected, const Json& got) const {
    std::string shown = got.dump();
    if (shown.size() > 60) shown = shown.substr(0, 57) + "...";
    return invalid_input("plugins." + plugin_ + "." + key + " in mi2.yaml must be " + expected +
                         " (got " + shown + ").");
  }

 private:
  void declare(const std::string& key, const std::string& type, const std::string& description,
               bool sensitive = false) {
    read_.insert(key);
    Json p{{"type", type}, {"description", description}};
    if (sensitive) p["sensitive"] = true;
    properties_[key] = p;
  }
  const Json* find(const std::string& key) const {
    auto it = config_.find(key);
    if (it == config_.end() || it->is_null()) return nullptr;
    return &*it;
  }

  std::string plugin_;
  Json config_;
  std::set<std::string> read_;
  Json properties_ = Json::object();
};

namespace detail {

template <class S, class = void>
struct reads_config : std::false_type {};
template <class S>
struct reads_config<S,
                    std::void_t<decltype(std::declval<S&>().read(std::declval<ConfigReader&>()))>>
    : std::true_type {};

}  // namespace detail

// The settings of plugin `plugin` from its mi2.yaml config: Settings{} with
// `read` run on the config, then unknown keys refused. read() refuses a bad
// value itself with `throw config.bad(key, expected, value)`.
template <class Settings>
Settings read_settings(const std::string& plugin, const std::string& config_json) {
  static_assert(detail::reads_config<Settings>::value,
                "read_settings needs: void Settings::read(mi2::sdk::ConfigReader& config);");
  ConfigReader config(plugin, config_json);
  Settings settings;
  settings.read(config);
  config.finish();
  return settings;
}

// The config_schema of describe() from the same read(), run on an empty
// config (so the defaults must pass read()'s own checks).
template <class Settings>
Json settings_schema(const std::string& plugin) {
  ConfigReader config(plugin, "{}");
  Settings settings;
  settings.read(config);
  return config.schema();
}

}  // namespace mi2::sdk

#endif  // MI2_SDK_CONFIG_HPP
