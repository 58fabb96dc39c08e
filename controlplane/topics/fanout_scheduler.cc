#include "controlplane/topics/fanout_scheduler.h"

#include <algorithm>
#include <utility>

namespace dest {

FanoutScheduler::FanoutScheduler(size_t threads, size_t part) : part_(std::max<size_t>(1, part)) {
  for (size_t i = 0; i < std::max<size_t>(1, threads); ++i) {
    threads_.emplace_back([this] { Work(); });
  }
}

FanoutScheduler::~FanoutScheduler() { Stop(); }

size_t FanoutScheduler::DefaultThreads() {
  const unsigned cores = std::thread::hardware_concurrency();
  return std::clamp<size_t>(cores, 1, 8);
}

void FanoutScheduler::Schedule(std::shared_ptr<FanoutJob> job, size_t streams) {
  absl::MutexLock lock(&mu_);
  if (stopping_) return;
  (streams <= part_ ? small_ : queue_).push_back(std::move(job));
}

bool FanoutScheduler::WaitIdle(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return small_.empty() && queue_.empty() && running_ == 0;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&idle), timeout);
}

void FanoutScheduler::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    small_.clear();
    queue_.clear();
  }
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

uint64_t FanoutScheduler::parts_run() {
  absl::MutexLock lock(&mu_);
  return parts_run_;
}

void FanoutScheduler::Work() {
  for (;;) {
    std::shared_ptr<FanoutJob> job;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || !small_.empty() || !queue_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (stopping_) return;
      auto& from = small_.empty() ? queue_ : small_;  // a topic that fits in one part goes first
      job = std::move(from.front());
      from.pop_front();
      ++running_;
    }
    bool more = false;
    std::function<void()> offers = job->TakePart(part_, &more);
    if (more) {
      // Back at the tail before offering: another thread can take the next part meanwhile, and
      // every other queued topic gets its turn before this one's next part. (A job with more
      // than one part left is never small.)
      absl::MutexLock lock(&mu_);
      if (!stopping_) queue_.push_back(job);
    }
    if (offers) offers();
    absl::MutexLock lock(&mu_);
    --running_;
    ++parts_run_;
  }
}

}  // namespace dest
