// A small fixed pool that splits one fan-out (offering a snapshot to many streams) across
// threads, so a change reaches tens of thousands of streams on every core rather than one.
//
// Owned by main and handed to the TopicRegistry (tests make their own, or none).
//
// Thread-safe. ParallelFor blocks until every part is done, so a topic's next snapshot is never
// offered before the previous one reached all its streams (per-stream order is kept: each stream
// is in exactly one part).
#ifndef CONTROLPLANE_TOPICS_FANOUT_POOL_H_
#define CONTROLPLANE_TOPICS_FANOUT_POOL_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace dest {

class FanoutPool {
 public:
  // `threads` helpers besides the caller; 0 runs everything on the caller.
  explicit FanoutPool(size_t threads);
  ~FanoutPool();
  FanoutPool(const FanoutPool&) = delete;
  FanoutPool& operator=(const FanoutPool&) = delete;

  // Calls fn(begin, end) over [0, n) split into at most threads+1 contiguous parts, one on the
  // caller; returns when all are done. Parts smaller than `min_part` are not split off.
  void ParallelFor(size_t n, size_t min_part, const std::function<void(size_t, size_t)>& fn)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Helpers for a pool that uses every core: one per core besides the caller's, at most 7.
  static size_t DefaultThreads();

  size_t threads() const { return threads_.size(); }

 private:
  void Work();
  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace dest

#endif  // CONTROLPLANE_TOPICS_FANOUT_POOL_H_
