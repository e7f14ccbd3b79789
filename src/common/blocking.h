// Tells the thread pool that runs the current thread when that thread is about
// to wait for something other than the CPU (a PostgreSQL round trip, the
// SQLite group commit, a free database connection), so that the pool can run
// another queued task meanwhile. Threads outside such a pool are unaffected.
// See docs/RELIABILITY.md, "Worker threads".
#pragma once

namespace mr {

class BlockingObserver {
 public:
  virtual ~BlockingObserver() = default;
  virtual void EnterBlocking() = 0;
  virtual void LeaveBlocking() = 0;
};

// The observer told about the calling thread's waits; null for none.
void SetThreadBlockingObserver(BlockingObserver* observer);

// Marks the scope in which the calling thread waits.
class ScopedBlocking {
 public:
  ScopedBlocking();
  ~ScopedBlocking();
  ScopedBlocking(const ScopedBlocking&) = delete;
  ScopedBlocking& operator=(const ScopedBlocking&) = delete;

 private:
  BlockingObserver* observer_;
};

}  // namespace mr
