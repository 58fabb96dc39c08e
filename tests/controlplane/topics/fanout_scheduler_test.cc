// FanoutScheduler and the Topic's scheduled passes: parts taken in turn between topics (a small
// topic never waits for a big fan-out to finish), a burst of changes folded into about one pass,
// per-sink order kept, every sink ending at the newest snapshot, and the store's change path free
// while a fan-out is stuck (the head-of-line regression of issue 14).
#include "controlplane/topics/fanout_scheduler.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/substitute.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "controlplane/topics/topic.h"
#include "controlplane/topics/topic_registry.h"
#include "gtest/gtest.h"
#include "tests/support/yaml_fixtures.h"
#include "watchers/store/store.h"

namespace dest {
namespace {

constexpr absl::Duration kDeadline = absl::Seconds(20);

// A job of `parts` parts that records, in a shared log, its name each time one of its parts runs.
// Its first part can be held at a gate.
class LoggingJob : public FanoutJob {
 public:
  LoggingJob(std::string name, int parts, std::vector<std::string>* log, absl::Mutex* mu)
      : name_(std::move(name)), left_(parts), log_(log), mu_(mu) {}
  std::function<void()> TakePart(size_t, bool* more) override {
    int left = --left_;
    *more = left > 0;
    // Decided when the part is taken: with several threads, a second part can be taken before
    // the first one runs (and notifies), and must not take itself for the first.
    const bool first = taken_++ == 0;
    return [this, first] {
      if (first) {
        started_.Notify();
        if (gate_ != nullptr) gate_->WaitForNotificationWithTimeout(kDeadline);
      }
      absl::MutexLock lock(mu_);
      log_->push_back(name_);
    };
  }
  void HoldFirstPartAt(absl::Notification* gate) { gate_ = gate; }
  absl::Notification started_;

 private:
  std::string name_;
  std::atomic<int> left_;
  std::atomic<int> taken_{0};
  std::vector<std::string>* log_;
  absl::Mutex* mu_;
  absl::Notification* gate_ = nullptr;
};

TEST(FanoutSchedulerTest, ASmallTopicQueuedBehindABigFanoutWaitsOnlyForThePartInProgress) {
  FanoutScheduler scheduler(1, 1);
  absl::Mutex mu;
  std::vector<std::string> log;
  absl::Notification gate;
  auto big = std::make_shared<LoggingJob>("big", 50, &log, &mu);
  big->HoldFirstPartAt(&gate);
  scheduler.Schedule(big, 50);
  ASSERT_TRUE(big->started_.WaitForNotificationWithTimeout(kDeadline));
  scheduler.Schedule(std::make_shared<LoggingJob>("small", 1, &log, &mu), 1);
  gate.Notify();
  ASSERT_TRUE(scheduler.WaitIdle(kDeadline));
  absl::MutexLock lock(&mu);
  ASSERT_EQ(log.size(), 51u);
  // big was back in the queue before its first part ran, but a topic that fits in one part goes
  // first: big (the stuck part), small, big...
  auto small_at = std::find(log.begin(), log.end(), "small") - log.begin();
  EXPECT_EQ(small_at, 1) << "the small topic waited for more of the big fan-out";
}

TEST(FanoutSchedulerTest, PartsOfOneJobRunOnEveryThreadAtOnce) {
  FanoutScheduler scheduler(2, 1);
  absl::Mutex mu;
  std::vector<std::string> log;
  absl::Notification gate;
  auto big = std::make_shared<LoggingJob>("big", 20, &log, &mu);
  big->HoldFirstPartAt(&gate);
  scheduler.Schedule(big, 50);
  ASSERT_TRUE(big->started_.WaitForNotificationWithTimeout(kDeadline));
  // The first part is stuck; the other thread runs the other 19.
  absl::Time deadline = absl::Now() + kDeadline;
  for (;;) {
    {
      absl::MutexLock lock(&mu);
      if (log.size() == 19u || absl::Now() > deadline) break;
    }
    absl::SleepFor(absl::Milliseconds(1));
  }
  {
    absl::MutexLock lock(&mu);
    EXPECT_EQ(log.size(), 19u);
  }
  gate.Notify();
  ASSERT_TRUE(scheduler.WaitIdle(kDeadline));
}

TEST(FanoutSchedulerTest, StopDropsWhatIsQueuedAndIgnoresLaterJobs) {
  absl::Mutex mu;
  std::vector<std::string> log;
  absl::Notification gate;
  auto scheduler = std::make_unique<FanoutScheduler>(1, 1);
  auto big = std::make_shared<LoggingJob>("big", 1000, &log, &mu);
  big->HoldFirstPartAt(&gate);
  scheduler->Schedule(big, 1000);
  ASSERT_TRUE(big->started_.WaitForNotificationWithTimeout(kDeadline));
  std::thread stopper([&] { scheduler->Stop(); });
  absl::SleepFor(absl::Milliseconds(20));
  gate.Notify();  // the running part finishes; nothing else of it runs
  stopper.join();
  scheduler->Schedule(std::make_shared<LoggingJob>("late", 1, &log, &mu), 1);
  EXPECT_TRUE(scheduler->WaitIdle(absl::ZeroDuration()));
  absl::MutexLock lock(&mu);
  EXPECT_EQ(log, std::vector<std::string>{"big"});
}

TEST(FanoutSchedulerTest, DefaultThreadsIsOnePerCore) {
  unsigned cores = std::thread::hardware_concurrency();
  EXPECT_EQ(FanoutScheduler::DefaultThreads(), std::clamp<size_t>(cores, 1, 8));
}

// A topic whose snapshot is a bare version, bumped by Bump().
struct Versioned {
  uint64_t version = 0;
};
class CountingTopic : public Topic<Versioned> {
 public:
  void Bump() {
    absl::MutexLock lock(&mu_);
    ++wanted_;
  }

 protected:
  std::shared_ptr<const Versioned> ComputeLocked(const std::shared_ptr<const Versioned>& previous)
      override ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (previous != nullptr && previous->version == wanted_) return previous;
    return std::make_shared<Versioned>(Versioned{wanted_});
  }

 private:
  uint64_t wanted_ ABSL_GUARDED_BY(mu_) = 1;
};

// Records every version offered; accepts only newer ones, as a stream does. Its first offer can
// be held at a gate.
class RecordingSink : public Sink<Versioned> {
 public:
  void Offer(std::shared_ptr<const Versioned> s) override {
    if (gate_ != nullptr && !held_once_.exchange(true)) {
      reached_gate_.Notify();
      gate_->WaitForNotificationWithTimeout(kDeadline);
    }
    absl::MutexLock lock(&mu_);
    offered_.push_back(s->version);
    if (s->version > accepted_)
      accepted_ = s->version;
    else
      ++ignored_;
  }
  uint64_t accepted() {
    absl::MutexLock lock(&mu_);
    return accepted_;
  }
  std::vector<uint64_t> offered() {
    absl::MutexLock lock(&mu_);
    return offered_;
  }
  absl::Notification* gate_ = nullptr;
  absl::Notification reached_gate_;

 private:
  std::atomic<bool> held_once_{false};
  absl::Mutex mu_;
  std::vector<uint64_t> offered_ ABSL_GUARDED_BY(mu_);
  uint64_t accepted_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t ignored_ ABSL_GUARDED_BY(mu_) = 0;
};

std::vector<std::shared_ptr<RecordingSink>> SubscribeMany(CountingTopic& topic, int n) {
  std::vector<std::shared_ptr<RecordingSink>> sinks;
  for (int i = 0; i < n; ++i) {
    auto s = std::make_shared<RecordingSink>();
    s->Offer(topic.Subscribe(s));
    sinks.push_back(s);
  }
  return sinks;
}

TEST(TopicPassTest, ABurstOfChangesCostsAboutOnePassAndEverySinkEndsAtTheNewest) {
  constexpr int kSinks = 1000;
  constexpr uint64_t kChanges = 50;
  FanoutScheduler scheduler(1, 100);
  auto topic = std::make_shared<CountingTopic>();
  auto sinks = SubscribeMany(*topic, kSinks);
  absl::Notification gate;
  sinks[0]->gate_ = &gate;  // the first part sticks at its first sink
  topic->Bump();
  topic->Recompute(&scheduler);
  ASSERT_TRUE(sinks[0]->reached_gate_.WaitForNotificationWithTimeout(kDeadline));
  for (uint64_t i = 1; i < kChanges; ++i) {
    topic->Bump();
    topic->Recompute(&scheduler);
  }
  gate.Notify();
  ASSERT_TRUE(scheduler.WaitIdle(kDeadline));
  const uint64_t newest = 1 + kChanges;
  size_t offers = 0;
  for (const auto& s : sinks) {
    EXPECT_EQ(s->accepted(), newest);
    std::vector<uint64_t> got = s->offered();
    offers += got.size() - 1;  // less the first snapshot
    // Per-sink order: nothing older after something newer (all offers here are accepted ones).
    EXPECT_TRUE(std::is_sorted(got.begin(), got.end()));
  }
  // One part with the first change, then one whole pass with the newest: not 50 passes.
  EXPECT_LE(offers, static_cast<size_t>(kSinks + 100));
}

TEST(TopicPassTest, SubscribersThatLeaveOrArriveDuringAPassAreHandled) {
  FanoutScheduler scheduler(1, 10);
  auto topic = std::make_shared<CountingTopic>();
  auto sinks = SubscribeMany(*topic, 200);
  absl::Notification gate;
  sinks[0]->gate_ = &gate;
  topic->Bump();
  topic->Recompute(&scheduler);
  ASSERT_TRUE(sinks[0]->reached_gate_.WaitForNotificationWithTimeout(kDeadline));
  for (int i = 1; i < 200; i += 2) topic->Unsubscribe(sinks[i].get());  // half leave mid-pass
  auto late = SubscribeMany(*topic, 50);                                // and 50 arrive
  topic->Bump();
  topic->Recompute(&scheduler);
  gate.Notify();
  ASSERT_TRUE(scheduler.WaitIdle(kDeadline));
  for (int i = 0; i < 200; i += 2) EXPECT_EQ(sinks[i]->accepted(), 3u) << i;
  for (int i = 1; i < 200; i += 2) EXPECT_LT(sinks[i]->accepted(), 3u) << i;
  for (const auto& s : late) EXPECT_EQ(s->accepted(), 3u);
  EXPECT_EQ(topic->SubscriberCount(), 150u);
  // A later change reaches exactly the 150 left.
  topic->Bump();
  EXPECT_EQ(topic->Recompute(&scheduler), 150u);
  ASSERT_TRUE(scheduler.WaitIdle(kDeadline));
  for (int i = 0; i < 200; i += 2) EXPECT_EQ(sinks[i]->accepted(), 4u) << i;
  for (const auto& s : late) EXPECT_EQ(s->accepted(), 4u);
}

TEST(TopicPassTest, WithoutASchedulerTheCallerOffersToEverySink) {
  auto topic = std::make_shared<CountingTopic>();
  auto sinks = SubscribeMany(*topic, 5);
  topic->Bump();
  EXPECT_EQ(topic->Recompute(nullptr), 5u);
  for (const auto& s : sinks) EXPECT_EQ(s->accepted(), 2u);  // already, synchronously
}

// The regression of issue 14: applying a store change used to wait until every stream of every
// affected topic had been offered the result, so one big (here: stuck) fan-out held every later
// change. Now the store's Apply returns once the snapshots are computed, and a change to another
// Service reaches its stream while the first fan-out is still stuck.
class GatedProfileSink : public Sink<ProfileSnapshot> {
 public:
  explicit GatedProfileSink(absl::Notification* gate) : gate_(gate) {}
  void Offer(std::shared_ptr<const ProfileSnapshot> s) override {
    if (first_.exchange(false)) {  // the first snapshot is offered by the test itself
      Record(s);
      return;
    }
    if (gate_ != nullptr) {
      reached_gate_.Notify();
      gate_->WaitForNotificationWithTimeout(kDeadline);
    }
    Record(s);
  }
  uint64_t version() {
    absl::MutexLock lock(&mu_);
    return version_;
  }
  absl::Notification reached_gate_;

 private:
  void Record(const std::shared_ptr<const ProfileSnapshot>& s) {
    absl::MutexLock lock(&mu_);
    version_ = std::max(version_, s->version);
  }
  absl::Notification* gate_;
  std::atomic<bool> first_{true};
  absl::Mutex mu_;
  uint64_t version_ ABSL_GUARDED_BY(mu_) = 0;
};

std::string SplitYaml(const std::string& svc, int weight) {
  return absl::Substitute(R"(apiVersion: v1
kind: Service
metadata: {name: $0, namespace: ns}
spec: {clusterIP: 10.0.0.$2, ports: [{port: 80}]}
---
apiVersion: split.smi-spec.io/v1alpha2
kind: TrafficSplit
metadata: {name: $0, namespace: ns}
spec:
  service: $0
  backends:
  - {service: $0, weight: $1}
  - {service: $0-canary, weight: 10}
)",
                          svc, weight, svc == "hot" ? 1 : 2);
}

TEST(TopicRegistryFanoutTest, AStuckFanoutHoldsNeitherTheStoreNorAnotherTopic) {
  Store store;
  FanoutScheduler scheduler(2);
  TopicRegistry topics(&store, TranslatorOptions(), nullptr, &scheduler);
  store.AddListener([&](const std::vector<StoreChange>& c) { topics.OnStoreChanges(c); });
  store.Apply(Events(SplitYaml("hot", 90) + "---\n" + SplitYaml("quiet", 90)));

  absl::Notification gate;
  auto hot_topic = topics.AcquireProfile(ProfileKey{"hot", "ns", 80, ""});
  auto stuck = std::make_shared<GatedProfileSink>(&gate);
  stuck->Offer(hot_topic->Subscribe(stuck));
  auto quiet_topic = topics.AcquireProfile(ProfileKey{"quiet", "ns", 80, ""});
  auto quiet = std::make_shared<GatedProfileSink>(nullptr);
  quiet->Offer(quiet_topic->Subscribe(quiet));
  const uint64_t quiet_before = quiet->version();

  // The hot change: its one stream sticks. Applied on a thread so the test itself cannot hang.
  absl::Notification applied;
  std::thread writer([&] {
    store.Apply(Events(SplitYaml("hot", 80)));
    applied.Notify();
  });
  ASSERT_TRUE(stuck->reached_gate_.WaitForNotificationWithTimeout(kDeadline));
  EXPECT_TRUE(applied.WaitForNotificationWithTimeout(absl::Seconds(5)))
      << "the store's Apply waited for the fan-out";
  // A change to another Service reaches its stream while the hot fan-out is still stuck.
  store.Apply(Events(SplitYaml("quiet", 70)));
  absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (quiet->version() == quiet_before && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  EXPECT_GT(quiet->version(), quiet_before) << "the quiet topic waited for the hot fan-out";
  EXPECT_EQ(stuck->version(), hot_topic->Current()->version - 1) << "stuck, as the test meant";

  gate.Notify();
  writer.join();
  ASSERT_TRUE(scheduler.WaitIdle(kDeadline));
  EXPECT_EQ(stuck->version(), hot_topic->Current()->version);
  hot_topic->Unsubscribe(stuck.get());
  quiet_topic->Unsubscribe(quiet.get());
  topics.ReleaseProfile(*hot_topic);
  topics.ReleaseProfile(*quiet_topic);
  scheduler.Stop();
}

}  // namespace
}  // namespace dest
