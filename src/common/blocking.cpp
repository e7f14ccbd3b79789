#include "common/blocking.h"

namespace mr {
namespace {
thread_local BlockingObserver* thread_observer = nullptr;
}  // namespace

void SetThreadBlockingObserver(BlockingObserver* observer) { thread_observer = observer; }

ScopedBlocking::ScopedBlocking() : observer_(thread_observer) {
  if (observer_ != nullptr) observer_->EnterBlocking();
}

ScopedBlocking::~ScopedBlocking() {
  if (observer_ != nullptr) observer_->LeaveBlocking();
}

}  // namespace mr
