#include "render.h"

#include <algorithm>
#include <mi2/sdk/host.hpp>

#include "lib/text_edit/json_value_edit.h"
#include "lib/text_edit/yaml_edit.h"
#include "local_context.h"

namespace mi2::local {
namespace {

constexpr const char* kImagePrefix = "sourcegraph/";

bool is_app_image(const std::string& name) {
  return name.rfind(kImagePrefix, 0) == 0;
}

fs::path kustomization(const fs::path& instance_dir) {
  return instance_dir / "kubernetes" / "kustomization.yaml";
}

// The entries of the top-level `images:` block list (none when it has none).
std::vector<text_edit::ListEntry> image_entries(const text_edit::BlockYaml& yaml) {
  return text_edit::top_level_list(yaml, "images").entries;
}

// Sets newTag on the application's images; true when the text changed.
bool render_kustomization(const fs::path& file, const std::string& version, bool write) {
  std::string text = read_text(file);
  text_edit::BlockYaml yaml(text);
  text_edit::TextEdits edits(yaml.lines());
  for (const auto& entry : image_entries(yaml)) {
    if (!is_app_image(yaml.entry_value(entry, "name"))) continue;
    std::string refused = text_edit::set_entry_scalar(yaml, edits, entry, "newTag", version);
    if (!refused.empty()) throw sdk::failed(file.string() + ": " + refused);
  }
  std::string edited = edits.apply();
  if (edited == text) return false;
  if (write) write_text_atomic(file, edited);
  return true;
}

// Pins locals.sourcegraph_version in one stack's cdk.tf.json, in place; true
// when the pin changed (a stack without the pin is left alone).
bool render_stack_pin(const fs::path& stack, const std::string& version, bool write) {
  static const std::vector<std::string> kPin = {"locals", "sourcegraph_version"};
  std::string text = read_text(stack);
  std::optional<text_edit::TextSpan> span;
  try {
    span = text_edit::find_json_value(text, kPin);
  } catch (const std::invalid_argument&) {
    throw sdk::failed(stack.string() + " is not valid JSON");
  }
  if (!span) return false;
  json current = json::parse(text.substr(span->begin, span->end - span->begin));
  if (current == version) return false;
  if (write)
    write_text_atomic(stack, *text_edit::replace_json_value(text, kPin, json(version).dump()));
  return true;
}

}  // namespace

std::vector<WorkloadImage> read_workload_images(const fs::path& instance_dir) {
  fs::path file = kustomization(instance_dir);
  std::error_code ec;
  if (!fs::exists(file, ec))
    throw sdk::failed(file.string() + " does not exist; the local plugin runs the images it lists");
  std::string text = read_text(file);
  text_edit::BlockYaml yaml(text);
  std::vector<WorkloadImage> images;
  for (const auto& entry : image_entries(yaml)) {
    std::string name = yaml.entry_value(entry, "name");
    if (!is_app_image(name)) continue;
    std::string workload = name.substr(std::string(kImagePrefix).size());
    if (!is_safe_name(workload))
      throw sdk::failed(file.string() + ": image name '" + name + "' is not a plain name");
    images.push_back({workload, name, yaml.entry_value(entry, "newTag")});
  }
  if (images.empty())
    throw sdk::failed(file.string() + " lists no " + kImagePrefix +
                      "* image under images:, so there is no workload to run");
  return images;
}

std::vector<std::string> render_version(const fs::path& instance_dir, const std::string& version,
                                        bool write) {
  require_version(version, "the version to render");
  std::vector<std::string> changed;
  if (render_kustomization(kustomization(instance_dir), version, write))
    changed.push_back("kubernetes/kustomization.yaml");

  // Stack pins: locals.sourcegraph_version in each cdk.tf.json that has one.
  fs::path stacks = instance_dir / "terraform" / "stacks";
  std::error_code ec;
  std::vector<fs::path> stack_files;
  if (fs::is_directory(stacks, ec))
    for (const auto& entry : fs::directory_iterator(stacks, ec))
      if (fs::exists(entry.path() / "cdk.tf.json"))
        stack_files.push_back(entry.path() / "cdk.tf.json");
  std::sort(stack_files.begin(), stack_files.end());
  for (const auto& stack : stack_files)
    if (render_stack_pin(stack, version, write))
      changed.push_back(fs::relative(stack, instance_dir).generic_string());
  return changed;
}

}  // namespace mi2::local
