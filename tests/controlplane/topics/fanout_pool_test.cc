// FanoutPool: every index visited exactly once, in contiguous parts no smaller than min_part, one
// of them on the caller, with several callers at once; no pool threads means all on the caller.
#include "controlplane/topics/fanout_pool.h"

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"

namespace dest {
namespace {

struct Parts {
  absl::Mutex mu;
  std::vector<std::pair<size_t, size_t>> ranges ABSL_GUARDED_BY(mu);
  std::set<std::thread::id> threads ABSL_GUARDED_BY(mu);
};

// Runs ParallelFor and returns the parts it made, sorted, checking that they tile [0, n).
std::vector<std::pair<size_t, size_t>> SplitRun(FanoutPool& pool, size_t n, size_t min_part,
                                           size_t* thread_count = nullptr,
                                           bool* caller_took_part = nullptr) {
  Parts parts;
  std::vector<std::atomic<int>> seen(n);
  const std::thread::id caller = std::this_thread::get_id();
  pool.ParallelFor(n, min_part, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) seen[i].fetch_add(1);
    absl::MutexLock lock(&parts.mu);
    parts.ranges.emplace_back(begin, end);
    parts.threads.insert(std::this_thread::get_id());
  });
  for (size_t i = 0; i < n; ++i) EXPECT_EQ(seen[i].load(), 1) << "index " << i;
  absl::MutexLock lock(&parts.mu);
  std::sort(parts.ranges.begin(), parts.ranges.end());
  size_t next = 0;
  for (const auto& [begin, end] : parts.ranges) {
    EXPECT_EQ(begin, next) << "parts must be contiguous";
    EXPECT_LT(begin, end) << "empty part";
    next = end;
  }
  EXPECT_EQ(next, n);
  if (thread_count != nullptr) *thread_count = parts.threads.size();
  if (caller_took_part != nullptr) *caller_took_part = parts.threads.count(caller) > 0;
  return parts.ranges;
}

TEST(FanoutPoolTest, SplitsLargeWorkAcrossEveryThreadAndTheCaller) {
  FanoutPool pool(3);
  size_t threads = 0;
  bool caller = false;
  auto parts = SplitRun(pool, 10000, 1000, &threads, &caller);
  EXPECT_EQ(parts.size(), 4u);  // three helpers and the caller
  EXPECT_TRUE(caller);
  EXPECT_GE(threads, 1u);  // which thread takes which part is the scheduler's business
  EXPECT_LE(threads, 4u);
}

TEST(FanoutPoolTest, NeverMakesPartsSmallerThanMinPart) {
  FanoutPool pool(7);
  EXPECT_EQ(SplitRun(pool, 2500, 1000).size(), 2u);  // 2 parts of 1250, not 8 of 313
  EXPECT_EQ(SplitRun(pool, 999, 1000).size(), 1u);   // below one part: all on the caller
  EXPECT_EQ(SplitRun(pool, 0, 1000).size(), 0u);     // nothing to do, nothing called
}

TEST(FanoutPoolTest, WithoutHelpersEverythingRunsOnTheCaller) {
  FanoutPool pool(0);
  EXPECT_EQ(pool.threads(), 0u);
  size_t threads = 0;
  bool caller = false;
  EXPECT_EQ(SplitRun(pool, 100000, 10, &threads, &caller).size(), 1u);
  EXPECT_TRUE(caller);
  EXPECT_EQ(threads, 1u);
}

TEST(FanoutPoolTest, ConcurrentCallersEachGetTheirOwnCompleteRun) {
  FanoutPool pool(2);
  std::vector<std::thread> callers;
  for (int c = 0; c < 4; ++c) {
    callers.emplace_back([&pool] {
      for (int round = 0; round < 50; ++round) SplitRun(pool, 3000 + round, 500);
    });
  }
  for (auto& t : callers) t.join();
}

TEST(FanoutPoolTest, DefaultThreadsLeavesTheCallersCore) {
  const unsigned cores = std::thread::hardware_concurrency();
  EXPECT_EQ(FanoutPool::DefaultThreads(), cores > 1 ? std::min(cores - 1, 7u) : 0u);
}

}  // namespace
}  // namespace dest
