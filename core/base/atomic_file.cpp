#include "core/base/atomic_file.h"

#include "lib/text_edit/text_file.h"

namespace mi2 {

Status write_file_atomic(const std::filesystem::path& path, std::string_view contents) {
  std::string failed = text_edit::write_file_atomic(path, contents);
  if (!failed.empty()) return make_error(failed);
  return {};
}

}  // namespace mi2
