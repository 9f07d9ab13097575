// The fleet scan's cache: each instance's config.yaml as JSON text, keyed by
// the file's inode, size, mtime and ctime, in <root>/.mi2/cache/scan-<env>.
// Any write to a config.yaml changes its ctime, so a stale entry is never
// used; a missing, corrupt or unwritable cache only costs a full parse.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>

namespace mi2 {

struct FileStamp {
  std::uint64_t inode = 0;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::int64_t ctime_ns = 0;

  static FileStamp of(const struct stat& st);
  bool operator==(const FileStamp&) const = default;
};

class ScanCache {
 public:
  // Reads the cache file if there is one (a bad one counts as empty).
  explicit ScanCache(std::filesystem::path file);

  // The JSON text cached for instance `id` when `stamp` matches, else empty.
  std::string_view find(const std::string& id, const FileStamp& stamp) const;
  bool contains(const std::string& id) const { return entries_.count(id) != 0; }
  size_t size() const { return entries_.size(); }
  const std::filesystem::path& file() const { return file_; }

  // Serialization of one entry, for write().
  static void append_entry(std::string& out, const std::string& id, const FileStamp& stamp,
                           std::string_view json);
  // Replaces the cache file with `contents` (built with append_entry);
  // false when it could not be written.
  bool write(const std::string& contents) const;

 private:
  struct Entry {
    FileStamp stamp;
    std::string_view json;  // into buffer_
  };
  std::filesystem::path file_;
  std::string buffer_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace mi2
