#include "core/sys/clock.h"

#include <thread>

namespace mi2 {

void SystemClock::sleep_for(std::chrono::milliseconds duration, const std::function<bool()>& stop) {
  constexpr std::chrono::milliseconds kSlice{20};
  for (auto until = now() + duration; now() < until;) {
    if (stop && stop()) return;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - now());
    std::this_thread::sleep_for(std::min(left, kSlice));
  }
}

Clock& system_clock() {
  static SystemClock clock;
  return clock;
}

double seconds_between(Clock::TimePoint from, Clock::TimePoint to) {
  return std::chrono::duration<double>(to - from).count();
}

}  // namespace mi2
