// Fuzz target: a run journal (core/engine/journal + run_history): the events,
// the run summary, the resume state and the version before the last upgrade.
#include <nlohmann/json.hpp>

#include "core/engine/journal.h"
#include "core/engine/run_history.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto runs = [] {
    auto dir = mi2::fuzz::scratch_dir() / "runs";
    std::filesystem::create_directories(dir);
    return dir;
  }();
  const char* id = "20261127T101500Z-3f2a9c";
  auto path = mi2::fuzz::write_input(std::string("runs/") + id + ".jsonl", data, size);
  auto events = mi2::RunJournal::read(path);
  if (events) (void)mi2::summarize_run(id, *events);
  (void)mi2::read_resume_state(path, "upgrade-instance");
  (void)mi2::version_before_last_upgrade(runs);
  return 0;
}
