// core/fleet/yaml_tree.h — the one YAML tree reader (yaml-cpp) for the files
// read whole: mi2.yaml and an instance's config.yaml (`instance get`, runs).
// The fleet scan reads many config.yaml files through libyaml instead
// (yaml_jv.h); both type plain scalars with yaml/yaml_scalar.h.
#ifndef MI2_CORE_FLEET_YAML_TREE_H
#define MI2_CORE_FLEET_YAML_TREE_H

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <nlohmann/json.hpp>  // YamlTree holds Json by value

#include "core/base/json.h"
#include "core/base/result.h"

namespace mi2 {

// One parse of a file: the node (for readers that report lines) and the same
// document as JSON.
struct YamlTree {
  YAML::Node node;
  Json json;
};

// Reads and parses `path` once; errors name the file and line.
Result<YamlTree> load_yaml_tree(const std::filesystem::path& path);

// `node` as JSON: plain scalars typed as YAML 1.2 core, quoted ones strings.
Result<Json> node_to_json(const YAML::Node& node, const std::filesystem::path& path);

}  // namespace mi2

#endif  // MI2_CORE_FLEET_YAML_TREE_H
