#include "core/fleet/yaml_tree.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/yaml/yaml_guard.h"
#include "core/yaml/yaml_scalar.h"

namespace mi2 {

namespace fs = std::filesystem;

namespace {

Json scalar_to_json(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  const std::string& tag = node.Tag();
  // "!" marks a quoted or block scalar: always a string. An explicit !!str too.
  if (tag == "!" || tag == "tag:yaml.org,2002:str") return Json(text);
  return typed_plain_scalar(text);
}

}  // namespace

Result<Json> node_to_json(const YAML::Node& node, const fs::path& path) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return Json(nullptr);
    case YAML::NodeType::Scalar:
      return scalar_to_json(node);
    case YAML::NodeType::Sequence: {
      Json array = Json::array();
      for (const auto& item : node) {
        auto value = node_to_json(item, path);
        if (!value) return value;
        array.push_back(std::move(*value));
      }
      return array;
    }
    case YAML::NodeType::Map: {
      Json object = Json::object();
      for (const auto& entry : node) {
        if (!entry.first.IsScalar()) {
          return make_error(path.string() + ":" + std::to_string(entry.first.Mark().line + 1) +
                            ": a mapping key must be a plain value, not a list or a mapping.");
        }
        auto value = node_to_json(entry.second, path);
        if (!value) return value;
        object[entry.first.Scalar()] = std::move(*value);
      }
      return object;
    }
  }
  return Json(nullptr);
}

Result<YamlTree> load_yaml_tree(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("cannot read " + path.string() + ": " + std::strerror(errno) + ".");
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  if (!ec && size > kMaxYamlBytes) return make_error(yaml_too_big(path.string(), size));
  std::stringstream text;
  text << in.rdbuf();
  // libyaml under YamlEventGuard first: yaml-cpp accepts some broken YAML (an
  // unclosed quote swallows the rest), keeps the last of a key given twice,
  // and would expand an alias bomb below. Then the tree for exact typing.
  if (auto valid = check_yaml_document(text.str(), path.string()); !valid) return valid.error();
  try {
    YamlTree tree{YAML::Load(text.str()), Json()};
    auto json = node_to_json(tree.node, path);
    if (!json) return json.error();
    tree.json = std::move(*json);
    return tree;
  } catch (const YAML::Exception& e) {
    return make_error(path.string() + ":" + std::to_string(e.mark.line + 1) +
                      ": invalid YAML: " + e.msg + ".");
  }
}

}  // namespace mi2
