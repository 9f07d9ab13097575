#include "lib/text_edit/text_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace mi2::text_edit {

std::optional<std::string> read_text_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string write_file_atomic(const std::filesystem::path& path, std::string_view contents) {
  namespace fs = std::filesystem;
  fs::path dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  std::string pattern = (dir / ("." + path.filename().string() + ".tmp-XXXXXX")).string();
  auto fail = [&](const std::string& what, int err, const std::string& temp) {
    if (!temp.empty()) ::unlink(temp.c_str());
    return "cannot write " + path.string() + ": " + what + " failed (" + std::strerror(err) +
           "); the file is unchanged.";
  };

  mode_t mode = 0644;
  struct stat old {};
  if (::stat(path.c_str(), &old) == 0) {
    mode = old.st_mode & 07777;
  } else {
    mode_t mask = ::umask(0);
    ::umask(mask);
    mode = 0666 & ~mask;
  }

  std::string temp = pattern;
  int fd = ::mkstemp(temp.data());
  if (fd < 0) return fail("creating a temp file in " + dir.string(), errno, "");
  size_t written = 0;
  while (written < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + written, contents.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : EIO;
      ::close(fd);
      return fail("writing", err, temp);
    }
    written += static_cast<size_t>(n);
  }
  if (::fchmod(fd, mode) != 0 || ::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    return fail("syncing", err, temp);
  }
  if (::close(fd) != 0) return fail("closing", errno, temp);
  if (::rename(temp.c_str(), path.c_str()) != 0) return fail("renaming", errno, temp);
  // The rename is durable only once the folder is synced.
  int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return "";
}

}  // namespace mi2::text_edit
