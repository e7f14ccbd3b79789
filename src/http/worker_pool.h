// Runs request handlers on a bounded set of threads, in arrival order, with
// about one runnable thread per core (docs/RELIABILITY.md, "Worker threads").
//
// More runnable workers than cores only add context switches: with 16 workers
// on 2 cores every GET by id woke a sleeping thread and paid ~1.6 switches.
// So Post() wakes a worker only while fewer than `runnable_target` are awake,
// and awake workers take the next task without sleeping. A worker waiting on
// something other than the CPU (common/blocking.h) stops counting, and a
// monitor, every `stall_after` while tasks are queued, wakes one more worker
// when fewer than `runnable_target` are making progress (a worker in one task
// for longer than `stall_after` is stuck: a long query, a page read from
// disk): slow requests never hold the fast ones for much longer than that, up
// to `max_threads` at once.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "common/blocking.h"

namespace mr::http {

class WorkerPool : private BlockingObserver {
 public:
  WorkerPool(int max_threads, int runnable_target, std::chrono::microseconds stall_after);
  ~WorkerPool() override;
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void Post(std::function<void()> task);

  // Runs what is queued, then joins the threads. Post() must not be called
  // once it has begun.
  void Shutdown();

  // Threads started so far (at most max_threads; they start on demand).
  int threads() const;

 private:
  void EnterBlocking() override;
  void LeaveBlocking() override;
  void Run(size_t index);
  void Monitor();
  // REQUIRES: mu_ held, for all three. Takes an idle worker off idle_ (the
  // caller then notifies work_cv_: true) or starts a new one (false).
  bool WakeOne();
  int Runnable() const;
  // Runnable workers not stuck in one task for longer than stall_after_.
  int Progressing(std::chrono::steady_clock::time_point now) const;

  const int max_threads_;
  const int runnable_target_;
  const std::chrono::microseconds stall_after_;

  mutable std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable monitor_cv_;
  std::deque<std::function<void()>> tasks_;
  std::vector<std::thread> threads_;
  // When each worker took its current task; max() between tasks.
  std::vector<std::chrono::steady_clock::time_point> busy_since_;
  std::thread monitor_;
  int idle_ = 0;     // workers waiting for work_cv_
  int wakes_ = 0;    // notifications not yet taken by an idle worker
  int blocked_ = 0;  // workers inside a ScopedBlocking
  bool monitor_armed_ = false;
  bool stopping_ = false;    // Shutdown() began: workers leave once the queue is empty
  size_t joined_ = 0;        // workers Shutdown() has joined
  bool all_joined_ = false;  // no worker starts any more
  bool monitor_stopping_ = false;
};

}  // namespace mr::http
