// A run's append-only journal: one JSON object per line, flushed to disk
// (fdatasync) after every event, so a run killed at any point can be resumed
// or rolled back from what the journal says.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/base/json.h"
#include "core/base/result.h"

namespace mi2 {

class RunJournal {
 public:
  // Creates <runs_dir>/<run_id>.jsonl (the file must not exist yet).
  static Result<RunJournal> create(const std::filesystem::path& runs_dir,
                                   const std::string& run_id);
  // Opens an existing journal to append to it (resume).
  static Result<RunJournal> open(const std::filesystem::path& path);
  // Every complete event of a journal. A line torn by a kill while it was
  // being written is skipped.
  static Result<std::vector<Json>> read(const std::filesystem::path& path);

  RunJournal(RunJournal&&) noexcept;
  RunJournal& operator=(RunJournal&&) noexcept;
  RunJournal(const RunJournal&) = delete;
  ~RunJournal();

  // Adds "ts" (seconds since the epoch, UTC) and writes the event as one line.
  // Text is redacted with the global SecretRedactor before it reaches disk.
  Status append(Json event);
  const std::filesystem::path& path() const { return path_; }

 private:
  RunJournal(std::filesystem::path path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::filesystem::path path_;
  int fd_ = -1;
};

// "20261127T101500Z-3f2a9c": sortable by start time, unique per host.
std::string new_run_id();
bool is_valid_run_id(const std::string& id);

}  // namespace mi2
