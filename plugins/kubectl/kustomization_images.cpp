#include "plugins/kubectl/kustomization_images.h"

#include <yaml-cpp/yaml.h>
#include <mi2/sdk/host.hpp>

#include <regex>

#include "lib/text_edit/yaml_edit.h"

namespace mi2::kubectl {
namespace {

std::string strip_docker_hub(std::string ref) {
  for (const char* prefix : {"index.docker.io/", "docker.io/"})
    if (ref.rfind(prefix, 0) == 0) return ref.substr(std::string(prefix).size());
  return ref;
}

std::string last_part(const std::string& ref) {
  size_t slash = ref.rfind('/');
  return slash == std::string::npos ? ref : ref.substr(slash + 1);
}

}  // namespace

bool is_image_tag(const std::string& tag) {
  static const std::regex tag_re("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
  return std::regex_match(tag, tag_re);
}

ImageFilter application_images(const Settings& settings) {
  if (!settings.images.empty()) {
    std::vector<std::string> wanted = settings.images;
    return [wanted](const std::string& name, const std::string& new_name) {
      for (const auto& w : wanted) {
        for (const auto& ref : {name, new_name}) {
          if (ref.empty()) continue;
          if (ref == w || strip_docker_hub(ref) == strip_docker_hub(w) || last_part(ref) == w)
            return true;
        }
      }
      return false;
    };
  }
  std::string prefix = strip_docker_hub(settings.registry) + "/";
  return [prefix](const std::string& name, const std::string& new_name) {
    const std::string& ref = new_name.empty() ? name : new_name;
    return strip_docker_hub(ref).rfind(prefix, 0) == 0;
  };
}

ImageTagResult set_image_tags(const std::string& yaml_text, const ImageFilter& is_app_image,
                              const std::string& tag, const std::string& file_label) {
  text_edit::BlockYaml yaml(yaml_text);
  text_edit::TopLevelList list = text_edit::top_level_list(yaml, "images");
  ImageTagResult result;
  result.text = yaml_text;
  if (!list.found) return result;
  if (!list.is_block)
    throw sdk::failed(file_label +
                      " lists images in flow style; write them one per line "
                      "(block style) so mi2 can set their tags.");

  text_edit::TextEdits edits(yaml.lines());
  for (const text_edit::ListEntry& entry : list.entries) {
    std::string name = yaml.entry_value(entry, "name");
    if (name.empty() || !is_app_image(name, yaml.entry_value(entry, "newName"))) continue;
    ImageTagEdit edit{name, yaml.entry_value(entry, "newTag"), tag, false};
    std::string refused = text_edit::set_entry_scalar(yaml, edits, entry, "newTag", tag);
    if (!refused.empty()) throw sdk::failed(file_label + ": " + refused);
    // A pinned digest would override the new tag.
    if (auto digest = yaml.entry_field(entry, "digest")) {
      edits.remove_line(digest->line);
      edit.digest_removed = true;
    }
    result.edits.push_back(edit);
  }
  result.text = edits.apply();
  result.changed = result.text != yaml_text;

  // The edit must read back as intended, or it is not written.
  try {
    YAML::Node root = YAML::Load(result.text);
    for (const ImageTagEdit& edit : result.edits) {
      bool found = false;
      for (const auto& entry : root["images"])
        if (entry["name"] && entry["name"].as<std::string>() == edit.name && entry["newTag"] &&
            entry["newTag"].as<std::string>() == tag)
          found = true;
      if (!found) throw sdk::failed("");
    }
  } catch (const std::exception&) {
    throw sdk::failed("mi2 could not set the image tags in " + file_label +
                      " without breaking it; set newTag: " + tag +
                      " on the application's images: entries by hand.");
  }
  return result;
}

}  // namespace mi2::kubectl
