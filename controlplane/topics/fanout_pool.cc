#include "controlplane/topics/fanout_pool.h"

#include <algorithm>

#include "absl/synchronization/blocking_counter.h"

namespace dest {

FanoutPool::FanoutPool(size_t threads) {
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Work(); });
}

FanoutPool::~FanoutPool() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& t : threads_) t.join();
}

size_t FanoutPool::DefaultThreads() {
  const unsigned cores = std::thread::hardware_concurrency();
  return cores > 1 ? std::min(cores - 1, 7u) : 0;
}

void FanoutPool::Work() {
  for (;;) {
    std::function<void()> task;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || !queue_.empty(); };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;  // stopping, nothing left
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

void FanoutPool::ParallelFor(size_t n, size_t min_part,
                             const std::function<void(size_t, size_t)>& fn) {
  if (n == 0) return;
  size_t parts =
      std::min(threads_.size() + 1, std::max<size_t>(1, n / std::max<size_t>(1, min_part)));
  if (parts <= 1) {
    fn(0, n);
    return;
  }
  size_t per = (n + parts - 1) / parts;
  absl::BlockingCounter done(static_cast<int>(parts - 1));
  {
    absl::MutexLock lock(&mu_);
    for (size_t p = 1; p < parts; ++p) {
      size_t begin = p * per, end = std::min(n, begin + per);
      queue_.push_back([&fn, &done, begin, end] {
        if (begin < end) fn(begin, end);
        done.DecrementCount();
      });
    }
  }
  fn(0, std::min(n, per));
  done.Wait();
}

}  // namespace dest
