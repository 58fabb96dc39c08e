// Hands topics' new snapshots to their streams off the store's change path, fairly between topics.
//
// A topic with a new snapshot schedules itself once (FanoutJob); the scheduler's threads take it
// from a FIFO queue one part at a time (at most `part` streams), put it back at the tail while
// streams remain, and offer that part outside every lock. So:
// - the thread that applied the store change only computes the snapshot and queues the topic;
// - a change to a topic whose streams fit in one part is taken before any part of a bigger one,
//   so it waits only for the parts being offered at that moment, never for a whole
//   100,000-stream fan-out (no head-of-line blocking); big topics take turns part by part;
// - parts of one big topic run on every scheduler thread at once;
// - a topic changed again while it is queued is not queued twice: its remaining streams get the
//   newest snapshot, and the pass restarts from where it is so the streams already served get it
//   too (a burst of changes costs about one pass, not one per change).
// Per-stream order does not depend on the scheduler: a stream ignores a snapshot older than the
// newest it was offered (Sink::Offer).
//
// Owned by main (and by tests) and handed to the TopicRegistry; null there means every offer is
// made on the caller's thread, synchronously.
//
// Thread-safe.
#ifndef CONTROLPLANE_TOPICS_FANOUT_SCHEDULER_H_
#define CONTROLPLANE_TOPICS_FANOUT_SCHEDULER_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace dest {

// A unit of fan-out work the scheduler can split: implemented by Topic.
class FanoutJob {
 public:
  virtual ~FanoutJob() = default;
  // Takes the next part of at most `max` streams together with the snapshot they are to be offered,
  // under the job's own lock, and returns the offers to run outside it (empty when nothing was
  // left). Sets *more when streams remain after this part; when it does not, the job is no longer
  // scheduled and must be scheduled again for its next change.
  virtual std::function<void()> TakePart(size_t max, bool* more) = 0;
};

class FanoutScheduler {
 public:
  // Streams offered per part: small enough that a topic queued behind a big fan-out waits about a
  // millisecond per thread, large enough that taking a part costs little next to its offers.
  static constexpr size_t kDefaultPart = 16;

  explicit FanoutScheduler(size_t threads, size_t part = kDefaultPart);
  ~FanoutScheduler();  // Stop()
  FanoutScheduler(const FanoutScheduler&) = delete;
  FanoutScheduler& operator=(const FanoutScheduler&) = delete;

  // Queues `job`, which has `streams` streams to offer: one that fits in one part goes to the
  // queue served first, others to the tail of the main queue. The job must not be queued already
  // (Topic keeps track).
  void Schedule(std::shared_ptr<FanoutJob> job, size_t streams) ABSL_LOCKS_EXCLUDED(mu_);

  // Waits until no job is queued or running, or the timeout passes; returns whether it is idle.
  bool WaitIdle(absl::Duration timeout) ABSL_LOCKS_EXCLUDED(mu_);

  // Finishes the part each thread is running, drops the queued jobs and joins the threads. Later
  // Schedule calls are ignored. Idempotent.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

  // One thread per core, at least 1 and at most 8: the thread applying store changes only
  // computes, so the fan-out can have every core.
  static size_t DefaultThreads();

  size_t threads() const { return threads_.size(); }
  size_t part() const { return part_; }

  // Parts taken since the start (for tests and the debug view).
  uint64_t parts_run() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Work();

  const size_t part_;
  absl::Mutex mu_;
  std::deque<std::shared_ptr<FanoutJob>> small_ ABSL_GUARDED_BY(mu_);  // served first
  std::deque<std::shared_ptr<FanoutJob>> queue_ ABSL_GUARDED_BY(mu_);
  size_t running_ ABSL_GUARDED_BY(mu_) = 0;  // parts being offered now
  uint64_t parts_run_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace dest

#endif  // CONTROLPLANE_TOPICS_FANOUT_SCHEDULER_H_
