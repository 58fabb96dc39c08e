// A topic: the merged state for one subscribed key, computed once per change and shared by every
// stream subscribed to that key.
//
// Thread-safe. Recompute() runs on the store-listener thread or on a gRPC thread opening the first
// stream; the topic's mutex serializes computations and guards the subscriber set, and is never
// held while offering snapshots to streams.
#ifndef CONTROLPLANE_TOPICS_TOPIC_H_
#define CONTROLPLANE_TOPICS_TOPIC_H_

#include <algorithm>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "controlplane/topics/fanout_pool.h"
#include "controlplane/topics/snapshot.h"

namespace dest {

template <typename Snapshot>
class Topic {
 public:
  using SinkT = Sink<Snapshot>;
  // Below this many streams per part, a fan-out is not worth a thread hand-off.
  static constexpr size_t kMinPart = 1024;
  virtual ~Topic() = default;

  // Adds a subscriber and returns the current snapshot (computing it if this is the first use).
  // The caller offers it to the sink; later snapshots are offered by Recompute().
  std::shared_ptr<const Snapshot> Subscribe(std::shared_ptr<SinkT> sink) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    if (current_ == nullptr) {  // first use
      current_ = ComputeLocked(nullptr);
      last_change_ = absl::Now();
    }
    subscribers_.emplace(sink.get(), std::move(sink));
    ++offers_;  // the caller offers it
    return current_;
  }

  void Unsubscribe(SinkT* sink) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    subscribers_.erase(sink);
  }

  // Recomputes from the store; when the result differs, publishes it to every subscriber, split
  // across `pool` when there are many (null: all on this thread). `changed_at` is when the store
  // change that caused it was applied. Returns the number of streams offered the new snapshot;
  // *changed (when given) says whether there was a new snapshot.
  size_t Recompute(FanoutPool* pool, absl::Time changed_at = absl::Now(), bool* changed = nullptr)
      ABSL_LOCKS_EXCLUDED(mu_) {
    std::vector<std::shared_ptr<SinkT>> targets;
    std::shared_ptr<const Snapshot> next;
    {
      absl::MutexLock lock(&mu_);
      next = ComputeLocked(current_);
      if (changed != nullptr) *changed = next != nullptr && next != current_;
      if (next == nullptr || next == current_) return 0;
      current_ = next;
      last_change_ = changed_at;
      offers_ += subscribers_.size();
      targets.reserve(subscribers_.size());
      for (const auto& [ptr, sink] : subscribers_) targets.push_back(sink);
    }
    // Large fan-outs are split across cores; small ones stay on this thread.
    auto offer = [&](size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i) targets[i]->OfferChange(next, changed_at);
    };
    if (pool != nullptr) {
      pool->ParallelFor(targets.size(), kMinPart, offer);
    } else {
      offer(0, targets.size());
    }
    return targets.size();
  }

  std::shared_ptr<const Snapshot> Current() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return current_;
  }

  size_t SubscriberCount() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return subscribers_.size();
  }

  // What Explain and Topics show of a topic.
  struct Stats {
    uint64_t version = 0;                           // of the current snapshot (0: never computed)
    absl::Time last_change = absl::InfinitePast();  // the store change that last changed it
    uint64_t offers = 0;  // snapshots offered to its streams (first ones included), per stream
    size_t subscribers = 0;
  };
  Stats GetStats() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return Stats{current_ ? current_->version : 0, last_change_, offers_, subscribers_.size()};
  }

  // The subscribers' own accounts (Sink::Info), at most `limit` of them, most recently updated
  // first. Each sink is asked outside the topic's lock.
  std::vector<SubscriberInfo> Subscribers(size_t limit) ABSL_LOCKS_EXCLUDED(mu_) {
    std::vector<std::shared_ptr<SinkT>> sinks;
    {
      absl::MutexLock lock(&mu_);
      sinks.reserve(subscribers_.size());
      for (const auto& [ptr, sink] : subscribers_) sinks.push_back(sink);
    }
    std::vector<SubscriberInfo> out;
    out.reserve(sinks.size());
    for (const auto& sink : sinks) out.push_back(sink->Info());
    std::sort(out.begin(), out.end(), [](const SubscriberInfo& a, const SubscriberInfo& b) {
      return a.last_update > b.last_update;
    });
    if (out.size() > limit) out.resize(limit);
    return out;
  }

 protected:
  // Computes the snapshot from the store. Returns `previous` itself when nothing a proxy would see
  // changed, otherwise a new snapshot with a higher version. Never returns null.
  virtual std::shared_ptr<const Snapshot> ComputeLocked(
      const std::shared_ptr<const Snapshot>& previous) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) = 0;

  absl::Mutex mu_;

 private:
  std::shared_ptr<const Snapshot> current_ ABSL_GUARDED_BY(mu_);
  absl::Time last_change_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  uint64_t offers_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<SinkT*, std::shared_ptr<SinkT>> subscribers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dest

#endif  // CONTROLPLANE_TOPICS_TOPIC_H_
