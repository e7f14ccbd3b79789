// The request worker pool (src/http/worker_pool.*): order, the runnable
// target, and the two ways a waiting worker is replaced (ScopedBlocking and the
// stall monitor). Waits are bounded so that a broken pool fails, never hangs.
#include "http/worker_pool.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "common/blocking.h"

namespace mr::http {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr auto kNever = std::chrono::duration_cast<std::chrono::microseconds>(seconds(60));
constexpr auto kGiveUp = seconds(10);

// A flag one task sets and another waits for, at most kGiveUp.
class Signal {
 public:
  void Set() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      set_ = true;
    }
    cv_.notify_all();
  }
  bool WaitFor() {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kGiveUp, [this] { return set_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool set_ = false;
};

TEST_CASE("One worker runs tasks in arrival order", "[http][workers]") {
  std::vector<int> order;
  {
    WorkerPool pool(1, 1, kNever);
    for (int i = 0; i < 100; ++i) pool.Post([&order, i] { order.push_back(i); });
    pool.Shutdown();
  }
  REQUIRE(order.size() == 100);
  for (int i = 0; i < 100; ++i) CHECK(order[i] == i);
}

TEST_CASE("No more tasks run at once than the runnable target while none waits",
          "[http][workers]") {
  std::atomic<int> running{0};
  std::atomic<int> most{0};
  std::atomic<int> done{0};
  WorkerPool pool(8, 2, kNever);
  for (int i = 0; i < 40; ++i) {
    pool.Post([&] {
      int now = ++running;
      int seen = most.load();
      while (now > seen && !most.compare_exchange_weak(seen, now)) {
      }
      std::this_thread::sleep_for(milliseconds(1));  // asleep, but not in a ScopedBlocking
      --running;
      ++done;
    });
  }
  pool.Shutdown();
  CHECK(done == 40);
  CHECK(most == 2);
  CHECK(pool.threads() == 2);
}

TEST_CASE("A task waiting inside ScopedBlocking lets the next task run", "[http][workers]") {
  Signal second_ran;
  bool first_saw_second = false;
  WorkerPool pool(4, 1, kNever);  // the stall monitor never steps in
  pool.Post([&] {
    ScopedBlocking waiting;
    first_saw_second = second_ran.WaitFor();
  });
  pool.Post([&] { second_ran.Set(); });
  pool.Shutdown();
  CHECK(first_saw_second);
  CHECK(pool.threads() == 2);
}

TEST_CASE("A task stuck without saying so is overtaken after the stall time", "[http][workers]") {
  Signal second_ran;
  bool first_saw_second = false;
  WorkerPool pool(4, 1, std::chrono::milliseconds(5));
  pool.Post([&] { first_saw_second = second_ran.WaitFor(); });
  pool.Post([&] { second_ran.Set(); });
  pool.Shutdown();
  CHECK(first_saw_second);
}

TEST_CASE("A long wait inside ScopedBlocking does not count as stuck", "[http][workers]") {
  // One worker waits 1 s, well past the 300 ms stall time, while ~500 ms of
  // short tasks queue up; one more worker is enough for them, so no third one
  // starts. (The margins make a worker preempted long enough to look stuck
  // implausible even on a loaded machine.)
  WorkerPool pool(8, 1, std::chrono::milliseconds(300));
  std::atomic<int> done{0};
  pool.Post([&] {
    ScopedBlocking waiting;
    std::this_thread::sleep_for(seconds(1));
  });
  for (int i = 0; i < 500; ++i) {
    pool.Post([&] {
      const auto until = std::chrono::steady_clock::now() + milliseconds(1);
      while (std::chrono::steady_clock::now() < until) {
      }
      ++done;
    });
  }
  pool.Shutdown();
  CHECK(done == 500);
  CHECK(pool.threads() == 2);
}

TEST_CASE("Waiting tasks never start more than max_threads workers", "[http][workers]") {
  Signal release;
  std::atomic<int> waiting{0};
  std::atomic<int> done{0};
  WorkerPool pool(3, 1, std::chrono::milliseconds(1));
  for (int i = 0; i < 10; ++i) {
    pool.Post([&] {
      ++waiting;
      ScopedBlocking blocked;
      release.WaitFor();
      ++done;
    });
  }
  // Three tasks wait; the other seven stay queued however long this lasts.
  for (int i = 0; i < 2000 && waiting < 3; ++i) std::this_thread::sleep_for(milliseconds(5));
  std::this_thread::sleep_for(milliseconds(20));
  CHECK(waiting == 3);
  CHECK(pool.threads() == 3);
  release.Set();
  pool.Shutdown();
  CHECK(done == 10);
}

}  // namespace
}  // namespace mr::http
