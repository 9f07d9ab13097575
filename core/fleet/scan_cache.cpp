#include "core/fleet/scan_cache.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <fstream>
#include <sstream>

namespace mi2 {

namespace {

constexpr std::string_view kHeader = "mi2-scan-cache 1\n";

// Reads one unsigned/signed field ending in `end` from `text` at `pos`.
template <class T>
bool read_number(std::string_view text, size_t& pos, char end, T& out) {
  size_t stop = text.find(end, pos);
  if (stop == std::string_view::npos) return false;
  auto [ptr, ec] = std::from_chars(text.data() + pos, text.data() + stop, out);
  if (ec != std::errc() || ptr != text.data() + stop) return false;
  pos = stop + 1;
  return true;
}

}  // namespace

FileStamp FileStamp::of(const struct stat& st) {
  FileStamp stamp;
  stamp.inode = static_cast<std::uint64_t>(st.st_ino);
  stamp.size = static_cast<std::uint64_t>(st.st_size);
  stamp.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  stamp.ctime_ns = static_cast<std::int64_t>(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
  return stamp;
}

ScanCache::ScanCache(std::filesystem::path file) : file_(std::move(file)) {
  std::ifstream in(file_, std::ios::binary);
  if (!in) return;
  std::stringstream text;
  text << in.rdbuf();
  buffer_ = text.str();
  std::string_view all(buffer_);
  if (all.substr(0, kHeader.size()) != kHeader) return;
  // Entry: "<id>\t<inode>\t<size>\t<mtime_ns>\t<ctime_ns>\t<json length>\n<json>\n"
  size_t pos = kHeader.size();
  while (pos < all.size()) {
    size_t tab = all.find('\t', pos);
    if (tab == std::string_view::npos) break;
    std::string id(all.substr(pos, tab - pos));
    pos = tab + 1;
    Entry entry;
    size_t length = 0;
    std::uint64_t mtime = 0, ctime = 0;
    if (!read_number(all, pos, '\t', entry.stamp.inode) ||
        !read_number(all, pos, '\t', entry.stamp.size) || !read_number(all, pos, '\t', mtime) ||
        !read_number(all, pos, '\t', ctime) || !read_number(all, pos, '\n', length) ||
        pos + length + 1 > all.size() || all[pos + length] != '\n') {
      entries_.clear();  // a torn or foreign file: start over
      return;
    }
    entry.stamp.mtime_ns = static_cast<std::int64_t>(mtime);  // written as two's complement
    entry.stamp.ctime_ns = static_cast<std::int64_t>(ctime);
    entry.json = all.substr(pos, length);
    pos += length + 1;
    entries_[std::move(id)] = entry;
  }
}

std::string_view ScanCache::find(const std::string& id, const FileStamp& stamp) const {
  auto it = entries_.find(id);
  if (it == entries_.end() || !(it->second.stamp == stamp)) return {};
  return it->second.json;
}

void ScanCache::append_entry(std::string& out, const std::string& id, const FileStamp& stamp,
                             std::string_view json) {
  if (out.empty()) out = kHeader;
  out += id;
  char number[24];
  for (std::uint64_t value :
       {stamp.inode, stamp.size, static_cast<std::uint64_t>(stamp.mtime_ns),
        static_cast<std::uint64_t>(stamp.ctime_ns), static_cast<std::uint64_t>(json.size())}) {
    out += '\t';
    out.append(number, std::to_chars(number, number + sizeof number, value).ptr);
  }
  out += '\n';
  out += json;
  out += '\n';
}

bool ScanCache::write(const std::string& contents) const {
  std::error_code ec;
  std::filesystem::create_directories(file_.parent_path(), ec);
  if (ec) return false;
  // Atomic (a unique temp file + rename) but not synced: a cache lost in a
  // crash is rebuilt. mkstemp keeps concurrent writers (threads or processes)
  // from sharing a temp file.
  std::string temp = file_.string() + ".tmp-XXXXXX";
  int fd = ::mkstemp(temp.data());
  if (fd < 0) return false;
  size_t written = 0;
  while (written < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + written, contents.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  ::fchmod(fd, 0644);
  bool ok =
      ::close(fd) == 0 && written == contents.size() && ::rename(temp.c_str(), file_.c_str()) == 0;
  if (!ok) ::unlink(temp.c_str());
  return ok;
}

}  // namespace mi2
