// Surgical edits of config.yaml: change one scalar, keep every other byte
// (comments, key order, quoting, unknown fields) as it was. The text edit is
// the shared line-preserving editor (lib/text_edit/yaml_edit.h); here it gets
// the host's Result, the libyaml check before and after, and the atomic write.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/result.h"

namespace mi2 {

// Sets the scalar at `path` (e.g. {"spec", "sourcegraphVersion"}) in block-style
// YAML text to `value`, keeping the existing quoting style (plain values that
// would change type, like 4.10 or yes, get double quotes). A missing last key is
// added under its parent, indented like its siblings. Error when a parent is
// missing or the node is not a scalar.
Result<std::string> set_yaml_scalar(std::string_view yaml_text,
                                    const std::vector<std::string>& path, std::string_view value);

// set_yaml_scalar on the file + write_file_atomic. The error names the file.
Status set_yaml_scalar_in_file(const std::filesystem::path& path,
                               const std::vector<std::string>& key_path, std::string_view value);

}  // namespace mi2
