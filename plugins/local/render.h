// The render role: the instance's kubernetes/kustomization.yaml image tags and
// terraform/stacks/*/cdk.tf.json version pins follow spec.sourcegraphVersion.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace mi2::local {

// One application image of kubernetes/kustomization.yaml's `images:` list
// (names under sourcegraph/), which the local apply runs as one process.
struct WorkloadImage {
  std::string workload;  // "frontend" for sourcegraph/frontend
  std::string image;
  std::string tag;
};

// The images of <instance_dir>/kubernetes/kustomization.yaml; throws failed
// naming the file when it is missing or lists no sourcegraph/ image.
std::vector<WorkloadImage> read_workload_images(const std::filesystem::path& instance_dir);

// Rewrites tags and pins to `version` with the shared line-preserving editor
// (lib/text_edit), keeping every other byte (comments, order, quoting) as it
// was. Returns the files it changed, relative to instance_dir. With
// write = false only reports what would change.
std::vector<std::string> render_version(const std::filesystem::path& instance_dir,
                                        const std::string& version, bool write);

}  // namespace mi2::local
