// Replaces one value inside JSON text without re-dumping the document: key
// order, indentation, spacing and every other byte stay as they were, so a
// version bump in a rendered cdk.tf.json is a one-line diff.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mi2::text_edit {

// Where a value's text starts and ends (end is one past the last byte).
struct TextSpan {
  size_t begin = 0;
  size_t end = 0;
};

// The span of the value reached through `path` (object keys, outermost
// first) in the JSON document `text`; nullopt when a key is missing or a step
// is not an object. Throws std::invalid_argument when `text` is not JSON.
std::optional<TextSpan> find_json_value(std::string_view text,
                                        const std::vector<std::string>& path);

// `text` with the value at `path` replaced by `replacement` (JSON text, e.g.
// "\"4.2.0\""); nullopt when the path does not exist.
std::optional<std::string> replace_json_value(std::string_view text,
                                              const std::vector<std::string>& path,
                                              const std::string& replacement);

// "locals.sourcegraph_version" -> {"locals", "sourcegraph_version"}.
std::vector<std::string> split_key_path(const std::string& dotted);

}  // namespace mi2::text_edit
