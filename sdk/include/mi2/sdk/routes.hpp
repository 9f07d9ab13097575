// mi2/sdk/routes.hpp — a plugin as a route table: (role, action, handler).
// describe()'s "roles" and invoke's dispatch both come from the one table, so
// they cannot disagree.
//
//   class TerraformPlugin : public mi2::sdk::RoutedPlugin<TerraformPlugin> {
//    public:
//     static mi2::sdk::About about();               // name, version, checks, schema
//     static const std::vector<Route>& routes() {   // Route = sdk::Route<TerraformPlugin>
//       static const std::vector<Route> table = {
//           {"render", "render", &TerraformPlugin::render},
//           {"apply", "apply", &TerraformPlugin::apply}};
//       return table;
//     }
//     TerraformPlugin(mi2::sdk::Host host, const std::string& config_json);
//     mi2::sdk::Json render(const mi2::sdk::StepInput& in);
//     mi2::sdk::Json apply(const mi2::sdk::StepInput& in);
//   };
//   MI2_PLUGIN(TerraformPlugin)
//
// A handler returns the step output (a JSON object) or throws sdk::Error /
// sdk::Failure. Header-only, C++17; needs nlohmann/json.
#ifndef MI2_SDK_ROUTES_HPP
#define MI2_SDK_ROUTES_HPP

#include <mi2/sdk/plugin.hpp>
#include <mi2/sdk/step.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace mi2::sdk {

template <class T>
struct Route {
  std::string_view role;
  std::string_view action;
  Json (T::*run)(const StepInput& input);
};

// What describe() says besides the roles.
struct About {
  std::string name;     // [a-z0-9_-]+
  std::string version;  // the plugin's own version
  std::string description;
  std::vector<std::string> checks;  // health checks the plugin provides
  Json config_schema = Json{{"type", "object"}, {"properties", Json::object()}};
  Json extra = Json::object();  // more top-level fields (e.g. "check_details")
  // Those of `checks` that pass only once the target version runs: a recipe
  // step with check_set "health" (before the deploy) leaves them out.
  std::vector<std::string> version_checks = {};
};

// The describe document of a routed plugin.
template <class T>
std::string describe_document(const About& about, const std::vector<Route<T>>& routes) {
  Json roles = Json::object();
  for (const Route<T>& r : routes) {
    Json& actions = roles[std::string(r.role)];
    if (actions.is_null()) actions = Json::array();
    actions.push_back(std::string(r.action));
  }
  Json doc = about.extra.is_object() ? about.extra : Json::object();
  doc["name"] = about.name;
  doc["version"] = about.version;
  doc["description"] = about.description;
  doc["roles"] = roles;
  doc["checks"] = about.checks;
  if (!about.version_checks.empty()) doc["version_checks"] = about.version_checks;
  doc["config_schema"] = about.config_schema;
  return doc.dump();
}

// CRTP base: gives Derived `describe()` and `invoke()` from Derived::about()
// and Derived::routes().
template <class Derived>
class RoutedPlugin {
 public:
  using Route = ::mi2::sdk::Route<Derived>;

  static const char* describe() {
    static const std::string document = describe_document(Derived::about(), Derived::routes());
    return document.c_str();
  }

  std::string invoke(std::string_view role, std::string_view action,
                     const std::string& input_json) {
    for (const Route& route : Derived::routes()) {
      if (route.role != role || route.action != action) continue;
      StepInput input = StepInput::parse(input_json);
      Json output = (static_cast<Derived&>(*this).*route.run)(input);
      return output.is_null() ? "{}" : output.dump();
    }
    throw not_supported("the " + Derived::about().name + " plugin does not serve " +
                        std::string(role) + "." + std::string(action) + ".");
  }
};

}  // namespace mi2::sdk

#endif  // MI2_SDK_ROUTES_HPP
