// A Clock whose time moves only when told: sleeps advance it at once, so
// retry, backoff and deadline tests never sleep.
#pragma once

#include <chrono>
#include <functional>
#include <vector>

#include "core/sys/clock.h"

namespace mi2::test {

class FakeClock : public Clock {
 public:
  TimePoint now() const override { return now_; }
  std::chrono::system_clock::time_point wall() const override {
    return std::chrono::system_clock::time_point(now_.time_since_epoch());
  }
  void sleep_for(std::chrono::milliseconds d, const std::function<bool()>&) override {
    sleeps.push_back(d);
    now_ += d;
  }
  void advance(std::chrono::milliseconds d) { now_ += d; }

  std::vector<std::chrono::milliseconds> sleeps;

 private:
  TimePoint now_ = TimePoint(std::chrono::hours(1000));
};

}  // namespace mi2::test
