// canveg's one way of running work on several threads: units of work taken in order from a shared
// counter by `threads` workers (std::thread), used by the forward run (chunks of half-hours), the
// loss and gradient (batches), and the dispersion-matrix generator (blocks of particles).
// Results never depend on which worker ran a unit: callers write per-unit outputs or reduce
// per-worker partial sums in worker order.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace canveg::run {

// Worker threads to use: `requested`, or all hardware threads for 0, never more than there are
// units of work, at least 1.
inline int resolve_threads(int requested, std::size_t work_units) {
  int t = requested > 0 ? requested : static_cast<int>(std::thread::hardware_concurrency());
  t = std::max(1, t);
  return static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(t), std::max<std::size_t>(1, work_units)));
}

// Per-worker set-up kept for the worker's lifetime (e.g. ad::TapeGuard, which frees the thread's
// tape when the worker ends).
struct NoWorkerScope {};

// Runs work(worker index, unit) for every unit in [0, n_units) on `threads` workers. The first
// exception stops the remaining units and is rethrown here. With `progress`, the calling thread
// waits and calls progress() every `progress_interval_s` seconds while work is left (the callers
// count their own progress); without it, a single worker runs on the calling thread.
template <class WorkerScope = NoWorkerScope>
void parallel_units(int threads, std::size_t n_units, const std::function<void(int, std::size_t)>& work,
                    const std::function<void()>& progress = {}, double progress_interval_s = 0.2) {
  threads = std::max(1, threads);
  std::atomic<std::size_t> next{0};
  std::exception_ptr failure;
  std::mutex mutex;
  std::condition_variable finished;
  int running = threads;
  auto worker = [&](int w) {
    {
      [[maybe_unused]] WorkerScope scope;
      try {
        for (;;) {
          const std::size_t unit = next.fetch_add(1);
          if (unit >= n_units) break;
          work(w, unit);
        }
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex);
        if (!failure) failure = std::current_exception();
        next = n_units;
      }
    }
    std::lock_guard<std::mutex> lock(mutex);
    if (--running == 0) finished.notify_all();
  };
  if (threads == 1 && !progress) {
    worker(0);
  } else {
    std::vector<std::thread> pool;
    pool.reserve(static_cast<std::size_t>(threads));
    for (int w = 0; w < threads; ++w) pool.emplace_back(worker, w);
    if (progress) {
      const auto interval = std::chrono::duration<double>(progress_interval_s > 0 ? progress_interval_s : 0.2);
      std::unique_lock<std::mutex> lock(mutex);
      while (running > 0) {
        finished.wait_for(lock, interval, [&] { return running == 0; });
        if (running > 0) {
          lock.unlock();
          progress();
          lock.lock();
        }
      }
    }
    for (auto& t : pool) t.join();
  }
  if (failure) std::rethrow_exception(failure);
}

}  // namespace canveg::run
