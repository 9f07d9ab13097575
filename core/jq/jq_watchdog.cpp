#include "core/jq/jq_watchdog.h"

#include <unistd.h>

#include <cstdio>

// libjq 1.6 headers have no extern "C" guards.
extern "C" {
#include <jq.h>
}

namespace mi2 {

namespace {

constexpr auto kTick = std::chrono::milliseconds(10);

// Resident pages of this process, or -1.
long resident_pages() {
  std::FILE* file = std::fopen("/proc/self/statm", "r");
  if (!file) return -1;
  long size = 0, resident = -1;
  if (std::fscanf(file, "%ld %ld", &size, &resident) != 2) resident = -1;
  std::fclose(file);
  return resident;
}

std::string seconds_text(std::chrono::milliseconds ms) {
  if (ms.count() % 1000 == 0) return std::to_string(ms.count() / 1000) + " s";
  return std::to_string(ms.count()) + " ms";
}

}  // namespace

JqWatchdog::~JqWatchdog() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void JqWatchdog::begin() {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    ++generation_;
    running_ = true;
    started_ = std::chrono::steady_clock::now();
    halted_.clear();
    wake = idle_;
    if (!thread_.joinable()) thread_ = std::thread([this] { loop(); });
  }
  if (wake) wake_.notify_one();
}

std::string JqWatchdog::end() {
  std::lock_guard lock(mutex_);  // also orders the watchdog's jq_halt before us
  running_ = false;
  return halted_;
}

void JqWatchdog::halt(std::string reason) {
  halted_ = std::move(reason);
  // Invalid values only: libjq 1.6 frees the halt's values at every reset
  // without clearing them, which is harmless for invalid ones alone.
  if (!jq_halted(state_)) jq_halt(state_, jv_invalid(), jv_invalid());
}

void JqWatchdog::check(std::chrono::steady_clock::duration elapsed) {
  if (elapsed >= limits_.time) {
    halt("it ran for more than " + seconds_text(limits_.time));
    return;
  }
  if (elapsed < kTick) return;
  long pages = resident_pages();
  if (pages < 0) return;
  if (measured_generation_ != generation_) {
    measured_generation_ = generation_;
    baseline_pages_ = pages;
    return;
  }
  if (pages <= baseline_pages_) return;
  size_t grown =
      static_cast<size_t>(pages - baseline_pages_) * static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  if (grown > limits_.memory_bytes)
    halt("it used more than " + std::to_string(limits_.memory_bytes >> 20) + " MiB of memory");
}

void JqWatchdog::loop() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    if (!running_) {
      idle_ = true;
      wake_.wait(lock, [this] { return stop_ || running_; });
      idle_ = false;
      continue;
    }
    if (halted_.empty()) check(std::chrono::steady_clock::now() - started_);
    wake_.wait_for(lock, kTick);
  }
}

}  // namespace mi2
