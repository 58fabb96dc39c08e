// A topic: the merged state for one subscribed key, computed once per change and shared by every
// stream subscribed to that key.
//
// Thread-safe. Recompute() runs on the store-listener thread or on a gRPC thread opening the first
// stream; the topic's mutex serializes computations and guards the subscriber set, and is never
// held while offering snapshots to streams. With a FanoutScheduler the offers are made on its
// threads, part by part (TakePart), so the thread that applied the change is free as soon as the
// snapshot is computed.
#ifndef CONTROLPLANE_TOPICS_TOPIC_H_
#define CONTROLPLANE_TOPICS_TOPIC_H_

#include <algorithm>
#include <functional>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "controlplane/topics/fanout_scheduler.h"
#include "controlplane/topics/snapshot.h"

namespace dest {

template <typename Snapshot>
class Topic : public FanoutJob, public std::enable_shared_from_this<Topic<Snapshot>> {
 public:
  using SinkT = Sink<Snapshot>;
  // Slots visited per part at most, removed ones included, so taking a part stays short.
  static constexpr size_t kMaxVisitsPerPart = 4;
  ~Topic() override = default;

  // Adds a subscriber and returns the current snapshot (computing it if this is the first use).
  // The caller offers it to the sink; later snapshots are offered by Recompute().
  std::shared_ptr<const Snapshot> Subscribe(std::shared_ptr<SinkT> sink) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    if (current_ == nullptr) {  // first use
      current_ = ComputeLocked(nullptr);
      last_change_ = absl::Now();
    }
    SinkT* key = sink.get();
    if (index_.emplace(key, slots_.size()).second) slots_.push_back(std::move(sink));
    ++offers_;  // the caller offers it
    return current_;
  }

  void Unsubscribe(SinkT* sink) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    auto it = index_.find(sink);
    if (it == index_.end()) return;
    slots_[it->second] = nullptr;  // a pass in progress skips it; positions never move during one
    index_.erase(it);
    ++removed_;
    MaybeCompactLocked();
  }

  // Recomputes from the store. When the result differs, publishes it to every subscriber: through
  // `scheduler` (the caller only queues this topic; see fanout_scheduler.h), or on this thread when
  // it is null (or when this topic is not owned by a shared_ptr). `changed_at` is when the store
  // change that caused it was applied. Returns the number of streams the new snapshot is for;
  // *changed (when given) says whether there was a new snapshot.
  size_t Recompute(FanoutScheduler* scheduler, absl::Time changed_at = absl::Now(),
                   bool* changed = nullptr) ABSL_LOCKS_EXCLUDED(mu_) {
    std::shared_ptr<Topic> self;
    if (scheduler != nullptr) self = this->weak_from_this().lock();
    std::vector<std::shared_ptr<SinkT>> targets;  // offered here, without a scheduler
    std::shared_ptr<const Snapshot> next;
    size_t subscribers = 0;
    bool schedule = false;
    {
      absl::MutexLock lock(&mu_);
      next = ComputeLocked(current_);
      if (changed != nullptr) *changed = next != nullptr && next != current_;
      if (next == nullptr || next == current_) return 0;
      current_ = next;
      last_change_ = changed_at;
      subscribers = index_.size();
      offers_ += subscribers;
      if (subscribers == 0) return 0;
      if (self != nullptr) {
        // (Re)start the pass from where it is: every stream is covered once more, from here round
        // to here, and each part takes the newest snapshot when it is taken.
        pass_stop_ = cursor_;
        wrapped_ = false;
        if (!queued_) queued_ = schedule = true;
      } else {
        targets.reserve(subscribers);
        for (const auto& sink : slots_) {
          if (sink != nullptr) targets.push_back(sink);
        }
      }
    }
    if (schedule && scheduler != nullptr) scheduler->Schedule(std::move(self), subscribers);
    for (const auto& sink : targets) sink->OfferChange(next, changed_at);
    return subscribers;
  }

  // FanoutJob: the next part of the pass in progress, with the newest snapshot.
  std::function<void()> TakePart(size_t max, bool* more) override ABSL_LOCKS_EXCLUDED(mu_) {
    std::vector<std::shared_ptr<SinkT>> part;
    std::shared_ptr<const Snapshot> snapshot;
    absl::Time changed_at;
    {
      absl::MutexLock lock(&mu_);
      part.reserve(std::min(max, index_.size()));
      for (size_t visits = 0;
           part.size() < max && visits < max * kMaxVisitsPerPart && !PassDoneLocked(); ++visits) {
        if (cursor_ >= slots_.size()) {
          cursor_ = 0;
          wrapped_ = true;
          continue;
        }
        if (slots_[cursor_] != nullptr) part.push_back(slots_[cursor_]);
        ++cursor_;
      }
      *more = !PassDoneLocked();
      if (!*more) {
        queued_ = false;
        MaybeCompactLocked();
      }
      snapshot = current_;
      changed_at = last_change_;
    }
    if (part.empty()) return {};
    return [part = std::move(part), snapshot = std::move(snapshot), changed_at] {
      for (const auto& sink : part) sink->OfferChange(snapshot, changed_at);
    };
  }

  std::shared_ptr<const Snapshot> Current() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return current_;
  }

  size_t SubscriberCount() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return index_.size();
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
    return Stats{current_ ? current_->version : 0, last_change_, offers_, index_.size()};
  }

  // The subscribers' own accounts (Sink::Info), at most `limit` of them, most recently updated
  // first. Each sink is asked outside the topic's lock.
  std::vector<SubscriberInfo> Subscribers(size_t limit) ABSL_LOCKS_EXCLUDED(mu_) {
    std::vector<std::shared_ptr<SinkT>> sinks;
    {
      absl::MutexLock lock(&mu_);
      sinks.reserve(index_.size());
      for (const auto& sink : slots_) {
        if (sink != nullptr) sinks.push_back(sink);
      }
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
  // The pass is over once it has wrapped round to where it (re)started.
  bool PassDoneLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return wrapped_ && cursor_ >= pass_stop_;
  }
  // Drops removed slots once they are the majority, between passes only (a pass relies on
  // positions staying put).
  void MaybeCompactLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (queued_ || removed_ < 32 || removed_ * 2 < slots_.size()) return;
    size_t out = 0;
    for (auto& sink : slots_) {
      if (sink == nullptr) continue;
      index_[sink.get()] = out;
      slots_[out++] = std::move(sink);
    }
    slots_.resize(out);
    removed_ = 0;
    cursor_ = pass_stop_ = 0;
  }

  std::shared_ptr<const Snapshot> current_ ABSL_GUARDED_BY(mu_);
  absl::Time last_change_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  uint64_t offers_ ABSL_GUARDED_BY(mu_) = 0;
  // Subscribers in the order they came; null where one left (until compacted).
  std::vector<std::shared_ptr<SinkT>> slots_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<SinkT*, size_t> index_ ABSL_GUARDED_BY(mu_);  // sink -> its slot
  size_t removed_ ABSL_GUARDED_BY(mu_) = 0;                         // null slots
  // The scheduled pass: the next slot to offer, where the pass ends, and whether it went past the
  // last slot back to the first. queued_: this topic is in the scheduler's queue.
  size_t cursor_ ABSL_GUARDED_BY(mu_) = 0;
  size_t pass_stop_ ABSL_GUARDED_BY(mu_) = 0;
  bool wrapped_ ABSL_GUARDED_BY(mu_) = true;
  bool queued_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace dest

#endif  // CONTROLPLANE_TOPICS_TOPIC_H_
