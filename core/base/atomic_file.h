// Writing a file so that readers see the old contents or the new, never half
// of either: a temp file beside it, fsync, keep the mode, rename, sync the
// folder. One implementation for host and plugins (lib/text_edit/text_file.h);
// here its sentence becomes a Status.
#pragma once

#include <filesystem>
#include <string_view>

#include "core/base/result.h"

namespace mi2 {

// Writes `contents` to a temp file beside `path`, fsyncs it, keeps the old
// file's mode, then renames it over `path`. The error names the file and the
// system call that failed; on error the file is unchanged.
Status write_file_atomic(const std::filesystem::path& path, std::string_view contents);

}  // namespace mi2
