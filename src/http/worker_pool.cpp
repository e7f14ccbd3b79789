#include "http/worker_pool.h"

#include <algorithm>
#include <utility>

namespace mr::http {

using Clock = std::chrono::steady_clock;

namespace {
// The calling worker's index in its pool, and how many ScopedBlocking scopes
// it is inside (only the outermost one counts).
thread_local size_t worker_index = 0;
thread_local int blocking_depth = 0;
}  // namespace

WorkerPool::WorkerPool(int max_threads, int runnable_target, std::chrono::microseconds stall_after)
    : max_threads_(std::max(1, max_threads)),
      runnable_target_(std::clamp(runnable_target, 1, max_threads_)),
      stall_after_(stall_after) {
  threads_.reserve(max_threads_);
  busy_since_.reserve(max_threads_);
  monitor_ = std::thread([this] { Monitor(); });
}

WorkerPool::~WorkerPool() { Shutdown(); }

int WorkerPool::threads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(threads_.size());
}

void WorkerPool::Post(std::function<void()> task) {
  bool notify = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    tasks_.push_back(std::move(task));
    if (Runnable() < runnable_target_) {
      notify = WakeOne();
    } else if (!monitor_armed_) {
      monitor_armed_ = true;
      monitor_cv_.notify_one();  // at most once per stall period
    }
  }
  // After unlocking: a worker woken while the lock is held wakes only to wait
  // for it (one more context switch per request at one connection).
  if (notify) work_cv_.notify_one();
}

void WorkerPool::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  work_cv_.notify_all();
  // Workers may still start while the queue drains (a task that waits lets
  // another take the next one), so join by index until none is left.
  for (;;) {
    std::thread worker;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (joined_ == threads_.size()) {
        all_joined_ = true;
        break;
      }
      worker = std::move(threads_[joined_++]);
    }
    worker.join();
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    monitor_stopping_ = true;
  }
  monitor_cv_.notify_all();
  monitor_.join();
}

bool WorkerPool::WakeOne() {
  if (idle_ > 0) {
    --idle_;
    ++wakes_;
    return true;
  }
  if (static_cast<int>(threads_.size()) < max_threads_ && !all_joined_) {
    busy_since_.push_back(Clock::time_point::max());
    threads_.emplace_back([this, index = threads_.size()] { Run(index); });
  }
  return false;
}

int WorkerPool::Runnable() const { return static_cast<int>(threads_.size()) - idle_ - blocked_; }

int WorkerPool::Progressing(Clock::time_point now) const {
  int stuck = 0;
  for (Clock::time_point since : busy_since_) {
    if (since != Clock::time_point::max() && now - since > stall_after_) ++stuck;
  }
  return Runnable() - stuck;
}

void WorkerPool::EnterBlocking() {
  if (blocking_depth++ > 0) return;
  bool notify = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++blocked_;
    busy_since_[worker_index] = Clock::time_point::max();  // waiting is not being stuck
    if (!tasks_.empty() && Runnable() < runnable_target_) notify = WakeOne();
  }
  if (notify) work_cv_.notify_one();
}

void WorkerPool::LeaveBlocking() {
  if (--blocking_depth > 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  --blocked_;
  busy_since_[worker_index] = Clock::now();
}

void WorkerPool::Run(size_t index) {
  worker_index = index;
  SetThreadBlockingObserver(this);
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    // More workers are runnable than cores after waits ended or the monitor
    // woke one: this one sleeps unless the others are stuck.
    bool surplus =
        !stopping_ && Runnable() > runnable_target_ && Progressing(Clock::now()) > runnable_target_;
    if (!tasks_.empty() && !surplus) {
      std::function<void()> task = std::move(tasks_.front());
      tasks_.pop_front();
      busy_since_[index] = Clock::now();
      lock.unlock();
      task();
      task = nullptr;  // destroy the captures before the lock is taken again
      lock.lock();
      busy_since_[index] = Clock::time_point::max();
      continue;
    }
    if (stopping_ && tasks_.empty()) return;
    ++idle_;
    work_cv_.wait(lock, [this] { return wakes_ > 0 || stopping_; });
    if (wakes_ > 0) {
      --wakes_;  // WakeOne() took this worker off idle_
    } else {
      --idle_;
    }
  }
}

void WorkerPool::Monitor() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    monitor_cv_.wait(lock, [this] { return monitor_stopping_ || monitor_armed_; });
    if (monitor_stopping_) return;
    if (monitor_cv_.wait_for(lock, stall_after_, [this] { return monitor_stopping_; })) return;
    if (!tasks_.empty() && Progressing(Clock::now()) < runnable_target_ && WakeOne()) {
      work_cv_.notify_one();
    }
    monitor_armed_ = !tasks_.empty();
  }
}

}  // namespace mr::http
