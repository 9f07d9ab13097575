// render.render: the new version's tags on the application's images in the
// instance's kustomization, then a full `kubectl kustomize` as the proof.
#include <filesystem>

#include "lib/text_edit/text_file.h"
#include "plugins/kubectl/actions.h"
#include "plugins/kubectl/kustomization_images.h"

namespace mi2::kubectl {
namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& path) {
  return text_edit::read_text_file(path).value_or("");
}

// A reader sees the old kustomization or the new one.
void write_text_atomic(const fs::path& path, const std::string& text) {
  std::string failed = text_edit::write_file_atomic(path, text);
  if (!failed.empty()) throw sdk::failed(failed);
}

}  // namespace

Json render(const KubectlClient& kubectl) {
  const Target& t = kubectl.target();
  const std::string& version = t.in.target_version;
  if (!is_image_tag(version))
    throw sdk::invalid_input("the version '" + version + "' of instance " + t.in.instance_id +
                             " cannot be an image tag; set spec.sourcegraphVersion to a release "
                             "like 4.1.0.");
  fs::path dir = t.kubernetes_path;
  fs::path file;
  for (const char* name : {"kustomization.yaml", "kustomization.yml", "Kustomization"})
    if (fs::exists(dir / name)) {
      file = dir / name;
      break;
    }
  if (file.empty())
    throw sdk::failed("instance " + t.in.instance_id + " has no kustomization.yaml in " +
                      dir.string() + "; generate its kubernetes/ folder first.");
  std::string relative = fs::relative(file, t.in.instance_dir).string();

  ImageTagResult result =
      set_image_tags(read_text(file), application_images(kubectl.settings()), version, relative);
  if (result.edits.empty())
    throw sdk::failed(relative + " of instance " + t.in.instance_id +
                      " has no images: entry for the application (registry " +
                      kubectl.settings().registry +
                      "); add them there or list them in plugins.kubectl.images in mi2.yaml.");

  Json images = Json::array();
  for (const ImageTagEdit& edit : result.edits) {
    images.push_back({{"name", edit.name}, {"from", edit.old_tag}, {"to", edit.new_tag}});
    if (edit.digest_removed)
      kubectl.host().warn("removed the pinned digest of image " + edit.name + " in " + relative +
                          " so that tag " + version + " takes effect");
  }
  Json changed = Json::array();
  if (result.changed) {
    changed.push_back(relative);
    if (!t.in.dry_run) write_text_atomic(file, result.text);
  }
  // Proof that the folder still builds; read-only, so it runs in dry-run too
  // (where it builds the unchanged files).
  std::string manifests = kubectl.build_manifests();
  kubectl.host().info("rendered " + relative + " for version " + version + " (" +
                      std::to_string(result.edits.size()) + " application images)");
  return Json{{"changed_files", changed},
              {"images", images},
              {"manifest_bytes", manifests.size()},
              {"dry_run", t.in.dry_run}};
}

Json read_state(const Target& target, const std::string& name) {
  if (target.state_dir.empty()) return nullptr;
  fs::path path = fs::path(target.state_dir) / name;
  if (!fs::exists(path)) return nullptr;
  Json value = Json::parse(read_text(path), nullptr, false);
  return value.is_discarded() ? Json(nullptr) : value;
}

void write_state(const Target& target, const std::string& name, const Json& value) {
  if (target.in.dry_run || target.state_dir.empty()) return;
  fs::path path = fs::path(target.state_dir) / name;
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  write_text_atomic(path, value.dump(2) + "\n");
}

}  // namespace mi2::kubectl
