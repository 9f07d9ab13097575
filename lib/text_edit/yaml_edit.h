// Line-preserving edits of block-style YAML: set one scalar, keep every other
// byte (comments, key order, quoting, unknown fields) as it was. core's
// config.yaml bump (core/yaml/config_edit.h) and the plugins' kustomization
// editors are thin users of these.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lib/text_edit/block_yaml.h"
#include "lib/text_edit/text_lines.h"

namespace mi2::text_edit {

// An edited text, or (error not empty) the sentence saying why the edit was
// refused. Core turns it into a Result, plugins into a failure.
struct EditedText {
  std::string text;
  std::string error;
  explicit operator bool() const { return error.empty(); }
};

// Sets the scalar at `path` (e.g. {"spec", "sourcegraphVersion"}) in block-style
// YAML text to `value`, keeping the existing quoting style (plain values that
// would change type, like 4.10 or yes, get double quotes). A missing last key is
// added under its parent, indented like its siblings. Refused when a parent is
// missing or the node is not a scalar; the sentence names the key path and line.
EditedText set_yaml_scalar(std::string_view yaml_text, const std::vector<std::string>& path,
                           std::string_view value);

// Sets `key: value` in one entry of a block list: the existing value is
// replaced keeping its quoting, a missing key is added after the entry's last
// line in the column of its keys. Returns "" or, when the key holds something
// other than one scalar, the sentence why not (naming `key` and its line).
std::string set_entry_scalar(const BlockYaml& yaml, TextEdits& edits, const ListEntry& entry,
                             const std::string& key, std::string_view value);

// The block list under the top-level `key`.
struct TopLevelList {
  bool found = false;     // the document has the key
  bool is_block = false;  // its value is a block list (else flow style, a scalar, a mapping)
  size_t key_line = 0;
  std::vector<ListEntry> entries;
};
TopLevelList top_level_list(const BlockYaml& yaml, const std::string& key);

}  // namespace mi2::text_edit
