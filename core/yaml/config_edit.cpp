#include "core/yaml/config_edit.h"

#include <cerrno>
#include <cstring>

#include "core/base/atomic_file.h"
#include "core/yaml/yaml_guard.h"
#include "lib/text_edit/text_file.h"
#include "lib/text_edit/yaml_edit.h"

namespace mi2 {

namespace {

std::string join_path(const std::vector<std::string>& path) {
  std::string out;
  for (const std::string& key : path) out += (out.empty() ? "" : ".") + key;
  return out;
}

}  // namespace

Result<std::string> set_yaml_scalar(std::string_view yaml_text,
                                    const std::vector<std::string>& path, std::string_view value) {
  text_edit::EditedText edited = text_edit::set_yaml_scalar(yaml_text, path, value);
  if (!edited) return make_error(edited.error);
  return std::move(edited.text);
}

Status set_yaml_scalar_in_file(const std::filesystem::path& path,
                               const std::vector<std::string>& key_path, std::string_view value) {
  std::optional<std::string> text = text_edit::read_text_file(path);
  if (!text) return make_error("cannot read " + path.string() + ": " + std::strerror(errno) + ".");
  // What libyaml refuses is not edited (an unclosed quote further down would
  // swallow the new value, a key given twice would be read the other way).
  if (auto valid = check_yaml_document(*text, path.string()); !valid)
    return make_error(valid.message() + " Fix the file; it was not changed.");
  auto edited = set_yaml_scalar(*text, key_path, value);
  if (!edited) return make_error(path.string() + ": " + edited.message());
  if (*edited == *text) return {};
  if (auto valid = check_yaml_document(*edited, path.string()); !valid)
    return make_error("setting " + join_path(key_path) + " would leave " + path.string() +
                      " invalid (" + valid.message() + "); it was not changed.");
  return write_file_atomic(path, *edited);
}

}  // namespace mi2
