#include "plugins/terraform/stacks.h"

#include <mi2/sdk/host.hpp>

#include <algorithm>
#include <filesystem>
#include <regex>

#include "lib/text_edit/text_file.h"

namespace mi2::terraform {
namespace {

namespace fs = std::filesystem;

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_config_file(const fs::path& file) {
  std::string name = file.filename().string();
  return ends_with(name, ".tf") || ends_with(name, ".tf.json");
}

bool holds_configuration(const fs::path& dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.is_regular_file(ec) && is_config_file(entry.path())) return true;
  return false;
}

// terraform { backend "<type>" {...} } or cloud {...} in JSON syntax: the
// "terraform" value is an object or an array of objects.
std::string backend_in_json(const Json& doc) {
  if (!doc.is_object() || !doc.contains("terraform")) return "";
  Json blocks = doc["terraform"].is_array() ? doc["terraform"] : Json::array({doc["terraform"]});
  for (const Json& block : blocks) {
    if (!block.is_object()) continue;
    if (block.contains("cloud")) return "cloud";
    auto backend = block.find("backend");
    if (backend == block.end()) continue;
    const Json& b = backend->is_array() && !backend->empty() ? (*backend)[0] : *backend;
    if (b.is_object() && !b.empty()) return b.begin().key();
  }
  return "";
}

// The same in native syntax, by pattern: good enough to tell local from not.
std::string backend_in_hcl(const std::string& text) {
  static const std::regex backend(R"re((^|\n)\s*backend\s+"([A-Za-z0-9_]+)")re");
  static const std::regex cloud(R"re((^|\n)\s*cloud\s*\{)re");
  std::smatch m;
  if (std::regex_search(text, m, backend)) return m[2].str();
  if (std::regex_search(text, cloud)) return "cloud";
  return "";
}

Stack make_stack(const std::string& name, const fs::path& dir, const Settings& settings,
                 const std::string& state_dir) {
  Stack s;
  s.name = name;
  s.dir = dir.string();
  s.relative = (fs::path(settings.stacks_dir) / name).lexically_normal().generic_string();
  s.backend = declared_backend(s.dir);
  s.state_dir = state_dir + "/terraform/" + name;
  return s;
}

}  // namespace

std::string declared_backend(const std::string& stack_dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(stack_dir, ec))
    if (entry.is_regular_file(ec) && is_config_file(entry.path())) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    std::string text = text_edit::read_text_file(file).value_or("");
    std::string found;
    if (ends_with(file.string(), ".json")) {
      found = backend_in_json(Json::parse(text, nullptr, false));
    } else {
      found = backend_in_hcl(text);
    }
    if (!found.empty()) return found;
  }
  return "";
}

std::vector<Stack> find_stacks(const Settings& settings, const std::string& instance_dir,
                               const std::string& state_dir, const std::string& instance_id) {
  fs::path root = fs::path(instance_dir) / settings.stacks_dir;
  std::vector<Stack> stacks;
  std::error_code ec;
  if (!settings.stacks.empty()) {
    for (const std::string& name : settings.stacks) {
      if (!fs::is_directory(root / name, ec) || !holds_configuration(root / name))
        throw sdk::failed("instance " + instance_id + " has no terraform stack '" + name +
                          "' under " + settings.stacks_dir +
                          " (a folder with *.tf or *.tf.json files); fix plugins.terraform.stacks "
                          "in mi2.yaml or add the stack.");
      stacks.push_back(make_stack(name, root / name, settings, state_dir));
    }
    return stacks;
  }
  if (!fs::is_directory(root, ec)) return stacks;
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    std::string name = entry.path().filename().string();
    if (!entry.is_directory(ec) || name.front() == '.' || !holds_configuration(entry.path()))
      continue;
    if (!is_stack_name(name))
      throw sdk::failed("instance " + instance_id + " has a stack folder '" + name + "' under " +
                        settings.stacks_dir +
                        " whose name is not plain (letters, digits, '_', '-', '.'); rename it.");
    names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  for (const std::string& name : names)
    stacks.push_back(make_stack(name, root / name, settings, state_dir));
  return stacks;
}

}  // namespace mi2::terraform
