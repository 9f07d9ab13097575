// core/sys/workers.h — the one way the host runs work on several threads: a
// fixed number of workers that each pull from shared state until it is done
// (the fleet scan, batch upgrades, workflow dispatches).
#ifndef MI2_CORE_SYS_WORKERS_H
#define MI2_CORE_SYS_WORKERS_H

#include <thread>
#include <utility>
#include <vector>

namespace mi2 {

// Calls work(w) for w in 0..count-1 at once, worker 0 on the calling thread,
// and returns when every call has returned. `work` must not throw.
template <class Work>
void run_workers(unsigned count, Work&& work) {
  std::vector<std::thread> threads;
  if (count > 1) threads.reserve(count - 1);
  for (unsigned w = 1; w < count; ++w) threads.emplace_back([&work, w] { work(w); });
  if (count > 0) work(0u);
  for (std::thread& t : threads) t.join();
}

}  // namespace mi2

#endif  // MI2_CORE_SYS_WORKERS_H
