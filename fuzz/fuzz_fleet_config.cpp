// Fuzz target: mi2.yaml (core/fleet/fleet_config): role bindings, plugin
// config, plugin_dirs, and every recipe it defines (core/engine/recipe).
#include <string>

#include <nlohmann/json.hpp>

#include "core/engine/recipe.h"
#include "core/fleet/fleet_config.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto path = mi2::fuzz::write_input("mi2.yaml", data, size);
  auto config = mi2::load_fleet_config(path);
  if (!config) return 0;
  for (const char* role : mi2::kRoles) (void)config->providers(role);
  (void)mi2::find_recipe(config->raw, "upgrade-instance");
  const mi2::Json& recipes = config->raw.contains("recipes") ? config->raw["recipes"] : mi2::Json();
  if (!recipes.is_object()) return 0;
  for (const auto& [name, json] : recipes.items()) {
    auto recipe = mi2::recipe_from_json(name, json);
    if (!recipe) continue;
    (void)mi2::check_recipe_bindings(*recipe,
                                     [&](const std::string& role) { return role.size() % 2 == 0; });
    (void)mi2::verification_step(*recipe);
  }
  return 0;
}
