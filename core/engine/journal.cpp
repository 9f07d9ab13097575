#include "core/engine/journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>

#include "core/base/redactor.h"

namespace mi2 {

Result<RunJournal> RunJournal::create(const std::filesystem::path& runs_dir,
                                      const std::string& run_id) {
  std::error_code ec;
  std::filesystem::create_directories(runs_dir, ec);
  if (ec)
    return make_error("cannot create the runs folder " + runs_dir.string() + ": " + ec.message());
  auto path = runs_dir / (run_id + ".jsonl");
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0)
    return make_error("cannot create the run journal " + path.string() + ": " +
                      std::strerror(errno));
  return RunJournal(path, fd);
}

Result<RunJournal> RunJournal::open(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0)
    return make_error("cannot open the run journal " + path.string() + ": " + std::strerror(errno));
  // A torn last line from a killed writer would glue onto our first event.
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (in.tellg() > 0) {
    in.seekg(-1, std::ios::end);
    if (in.get() != '\n' && ::write(fd, "\n", 1) != 1) {
      ::close(fd);
      return make_error("cannot write to the run journal " + path.string());
    }
  }
  return RunJournal(path, fd);
}

Result<std::vector<Json>> RunJournal::read(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("cannot read the run journal " + path.string());
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<Json> events;
  size_t line_no = 0;
  for (size_t start = 0; start < content.size();) {
    size_t end = content.find('\n', start);
    bool complete = end != std::string::npos;
    std::string line = content.substr(start, complete ? end - start : std::string::npos);
    start = complete ? end + 1 : content.size();
    ++line_no;
    if (line.empty()) continue;
    Json event = Json::parse(line, nullptr, false);
    if (event.is_discarded() || !event.is_object()) {
      if (!complete) break;  // torn last line of a killed run
      // A line torn by a kill and then continued by a resume.
      if (start >= content.size()) break;
      continue;
    }
    events.push_back(std::move(event));
  }
  return events;
}

RunJournal::RunJournal(RunJournal&& other) noexcept
    : path_(std::move(other.path_)), fd_(other.fd_) {
  other.fd_ = -1;
}

RunJournal& RunJournal::operator=(RunJournal&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    path_ = std::move(other.path_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

RunJournal::~RunJournal() {
  if (fd_ >= 0) ::close(fd_);
}

Status RunJournal::append(Json event) {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  event["ts"] = std::chrono::duration<double>(now).count();
  std::string line =
      SecretRedactor::global().apply(event.dump(-1, ' ', false, Json::error_handler_t::replace)) +
      "\n";
  const char* data = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, data, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      return make_error("cannot write to the run journal " + path_.string() + ": " +
                        std::strerror(errno));
    data += n;
    left -= static_cast<size_t>(n);
  }
  ::fdatasync(fd_);
  return {};
}

std::string new_run_id() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  std::random_device rd;
  char suffix[8];
  std::snprintf(suffix, sizeof suffix, "%06x", rd() & 0xffffff);
  return std::string(stamp) + "-" + suffix;
}

bool is_valid_run_id(const std::string& id) {
  static const std::regex pattern(R"(\d{8}T\d{6}Z-[0-9a-f]{6})");
  return std::regex_match(id, pattern);
}

}  // namespace mi2
