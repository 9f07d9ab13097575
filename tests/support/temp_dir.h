// A fresh folder under the system temp dir, removed with its contents at scope exit.
#pragma once

#include <filesystem>
#include <string>

namespace mi2::test {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "mi2-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Writes `contents` to `path`, creating parent folders.
void write_file(const std::filesystem::path& path, const std::string& contents);
std::string read_file(const std::filesystem::path& path);

}  // namespace mi2::test
