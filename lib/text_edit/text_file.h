// Reading a text file whole, and writing one so that readers see the old
// contents or the new, never half of either: what every editor here ends with.
// Errors are sentences (no exceptions): core wraps them in a Status, plugins
// throw them as their failure.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace mi2::text_edit {

// The bytes of `path`; nullopt when it cannot be opened.
std::optional<std::string> read_text_file(const std::filesystem::path& path);

// Writes `contents` to a temp file beside `path`, fsyncs it, keeps the old
// file's mode, renames it over `path` and syncs the folder. Returns "" or the
// sentence naming the file and the system call that failed; on failure the
// file is unchanged and no temp file is left.
std::string write_file_atomic(const std::filesystem::path& path, std::string_view contents);

}  // namespace mi2::text_edit
