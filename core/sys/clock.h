// Time as the engine sees it: a monotonic now(), the wall clock, and a sleep
// that wakes early when asked to stop. Behind an interface so retry, backoff
// and deadline tests run on a fake clock and never sleep.
#pragma once

#include <chrono>
#include <functional>

namespace mi2 {

class Clock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
  virtual std::chrono::system_clock::time_point wall() const = 0;
  // Sleeps `duration`, or less when `stop()` turns true (polled).
  virtual void sleep_for(std::chrono::milliseconds duration, const std::function<bool()>& stop) = 0;
};

class SystemClock : public Clock {
 public:
  TimePoint now() const override { return std::chrono::steady_clock::now(); }
  std::chrono::system_clock::time_point wall() const override {
    return std::chrono::system_clock::now();
  }
  void sleep_for(std::chrono::milliseconds duration, const std::function<bool()>& stop) override;
};

// The process-wide real clock.
Clock& system_clock();

double seconds_between(Clock::TimePoint from, Clock::TimePoint to);

}  // namespace mi2
