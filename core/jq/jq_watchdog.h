// Bounds one libjq state's evaluations in time and memory: a thread that,
// while an evaluation runs, checks the elapsed time and (after the first tick)
// how much the process grew, and halts the evaluation with jq_halt when either
// passes its limit. libjq checks for a halt before every instruction, so a
// filter that never ends (`def f: f; f`, `[repeat(1)]`) stops within a tick;
// one long call into C (a huge sort) stops when it returns.
// Names libjq only as the opaque jq_state: any core source may include it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

struct jq_state;

namespace mi2 {

struct JqLimits {
  std::chrono::milliseconds time{5000};  // per evaluation (one input)
  size_t memory_bytes = 256u << 20;      // growth of the process during one evaluation
};

class JqWatchdog {
 public:
  JqWatchdog(jq_state* state, JqLimits limits) : state_(state), limits_(limits) {}
  ~JqWatchdog();  // stops and joins the thread
  JqWatchdog(const JqWatchdog&) = delete;
  JqWatchdog& operator=(const JqWatchdog&) = delete;

  // Brackets one evaluation (jq_start .. the last jq_next). end() returns ""
  // or the reason the evaluation was halted ("it ran for more than 5 s").
  void begin();
  std::string end();

  const JqLimits& limits() const { return limits_; }

 private:
  void loop();
  void check(std::chrono::steady_clock::duration elapsed);
  void halt(std::string reason);

  jq_state* state_;
  JqLimits limits_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::thread thread_;  // started by the first begin()
  bool stop_ = false;
  bool idle_ = false;     // waiting for an evaluation to start
  bool running_ = false;  // an evaluation is under way
  std::uint64_t generation_ = 0;
  std::chrono::steady_clock::time_point started_;
  std::string halted_;  // why the current evaluation was halted
  std::uint64_t measured_generation_ = 0;
  long baseline_pages_ = -1;
};

}  // namespace mi2
