#include "render.h"

#include <algorithm>
#include <mi2/sdk/host.hpp>
#include <mi2/sdk/text.hpp>
#include <sstream>

#include "local_context.h"

namespace mi2::local {
namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

std::string unquote(std::string s) {
  size_t hash = s.find(" #");
  if (hash != std::string::npos) s = trim(s.substr(0, hash));
  if (s.size() >= 2 && (s[0] == '"' || s[0] == '\'') && s.back() == s[0])
    return s.substr(1, s.size() - 2);
  return s;
}

size_t indent_of(const std::string& line) {
  return line.find_first_not_of(' ');
}

// The line-level view of the top-level `images:` list: for each item, its
// name and the index of its newTag line (or npos).
struct ImageItem {
  std::string name;
  size_t tag_line = std::string::npos;
  size_t last_line = 0;
  size_t key_indent = 0;
};

std::vector<ImageItem> scan_images(const std::vector<std::string>& lines) {
  std::vector<ImageItem> items;
  bool in_images = false;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    size_t indent = indent_of(line);
    if (indent == 0 && t.rfind("- ", 0) != 0) {
      in_images = t == "images:";
      continue;
    }
    if (!in_images) continue;
    std::string body = t;
    if (t.rfind("- ", 0) == 0) {
      items.push_back({});
      items.back().key_indent = indent + 2;
      body = trim(t.substr(2));
    }
    if (items.empty()) continue;
    items.back().last_line = i;
    if (body.rfind("name:", 0) == 0) items.back().name = unquote(trim(body.substr(5)));
    if (body.rfind("newTag:", 0) == 0) items.back().tag_line = i;
  }
  return items;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

constexpr const char* kImagePrefix = "sourcegraph/";

bool is_app_image(const std::string& name) {
  return name.rfind(kImagePrefix, 0) == 0;
}

fs::path kustomization(const fs::path& instance_dir) {
  return instance_dir / "kubernetes" / "kustomization.yaml";
}

}  // namespace

std::vector<WorkloadImage> read_workload_images(const fs::path& instance_dir) {
  fs::path file = kustomization(instance_dir);
  std::error_code ec;
  if (!fs::exists(file, ec))
    throw sdk::failed(file.string() + " does not exist; the local plugin runs the images it lists");
  auto lines = split_lines(read_text(file));
  std::vector<WorkloadImage> images;
  for (const auto& item : scan_images(lines)) {
    if (!is_app_image(item.name)) continue;
    std::string tag;
    if (item.tag_line != std::string::npos) {
      std::string t = trim(lines[item.tag_line]);
      if (t.rfind("- ", 0) == 0) t = trim(t.substr(2));
      tag = unquote(trim(t.substr(7)));
    }
    std::string workload = item.name.substr(std::string(kImagePrefix).size());
    if (!is_safe_name(workload))
      throw sdk::failed(file.string() + ": image name '" + item.name + "' is not a plain name");
    images.push_back({workload, item.name, tag});
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

  fs::path file = kustomization(instance_dir);
  auto lines = split_lines(read_text(file));
  auto original = lines;
  auto items = scan_images(lines);
  // Insert from the bottom so earlier indices stay valid.
  std::reverse(items.begin(), items.end());
  for (const auto& item : items) {
    if (!is_app_image(item.name)) continue;
    std::string value = "\"" + version + "\"";
    if (item.tag_line == std::string::npos) {
      lines.insert(lines.begin() + static_cast<long>(item.last_line) + 1,
                   std::string(item.key_indent, ' ') + "newTag: " + value);
      continue;
    }
    std::string& line = lines[item.tag_line];
    size_t key = line.find("newTag:");
    std::string comment;
    size_t hash = line.find(" #", key);
    if (hash != std::string::npos) comment = line.substr(hash);
    line = line.substr(0, key) + "newTag: " + value + comment;
  }
  if (lines != original) {
    if (write) write_text_atomic(file, sdk::join(lines, "\n") + "\n");
    changed.push_back("kubernetes/kustomization.yaml");
  }

  // Stack pins: locals.sourcegraph_version in each cdk.tf.json that has one.
  fs::path stacks = instance_dir / "terraform" / "stacks";
  std::error_code ec;
  std::vector<fs::path> stack_files;
  if (fs::is_directory(stacks, ec))
    for (const auto& entry : fs::directory_iterator(stacks, ec))
      if (fs::exists(entry.path() / "cdk.tf.json"))
        stack_files.push_back(entry.path() / "cdk.tf.json");
  std::sort(stack_files.begin(), stack_files.end());
  for (const auto& stack : stack_files) {
    auto doc = nlohmann::ordered_json::parse(read_text(stack), nullptr, false);
    if (doc.is_discarded()) throw sdk::failed(stack.string() + " is not valid JSON");
    auto locals = doc.find("locals");
    if (locals == doc.end() || !locals->is_object() || !locals->contains("sourcegraph_version"))
      continue;
    if ((*locals)["sourcegraph_version"] == version) continue;
    (*locals)["sourcegraph_version"] = version;
    if (write) write_text_atomic(stack, doc.dump(2) + "\n");
    changed.push_back(fs::relative(stack, instance_dir).generic_string());
  }
  return changed;
}

}  // namespace mi2::local
