// What the benchmark records as messages land: the arrival times of one event at many streams, and
// for overlapping changes, when each generation reached its first and its last stream.
//
// Thread-safe: recorded from gRPC reaction threads without locks, read by the benchmark thread.
#ifndef BENCH_ARRIVALS_H_
#define BENCH_ARRIVALS_H_

#include <atomic>
#include <cstdint>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace dest::bench {

// Nanoseconds of the monotonic clock.
int64_t NowNs();

// Waits until `done()` or the deadline, checking every millisecond (the figures are timestamped
// where they happen, so the polling period does not enter them). Returns done().
template <typename Pred>
bool WaitUntil(Pred done, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() >= deadline) return done();
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

// Arrival times of one event at many streams.
class Arrivals {
 public:
  explicit Arrivals(size_t capacity) : times_(capacity) {}
  void Record(int64_t now_ns) {
    size_t i = count_.fetch_add(1, std::memory_order_relaxed);
    if (i < times_.size()) times_[i].store(now_ns, std::memory_order_release);
  }
  size_t count() const { return count_.load(std::memory_order_acquire); }
  // The recorded times, sorted (waits for recorders that counted but have not stored yet).
  std::vector<int64_t> Sorted() const;

 private:
  std::atomic<size_t> count_{0};
  std::vector<std::atomic<int64_t>> times_;
};

// Per-generation arrivals when changes overlap.
class ChurnLog {
 public:
  // Generations base+1 .. base+count are recorded; base is in force at every stream already.
  ChurnLog(uint32_t base, uint32_t count);
  // A stream that had reached `from` received generation `to`.
  void Reached(uint32_t from, uint32_t to, int64_t now_ns);
  uint32_t base() const { return base_; }
  uint32_t count() const { return static_cast<uint32_t>(reached_.size()); }
  uint32_t ReachedCount(uint32_t generation) const;
  int64_t FirstNs(uint32_t generation) const;
  int64_t LastNs(uint32_t generation) const;

 private:
  const uint32_t base_;
  std::vector<std::atomic<uint32_t>> reached_;
  std::vector<std::atomic<int64_t>> first_;
  std::vector<std::atomic<int64_t>> last_;
};

}  // namespace dest::bench

#endif  // BENCH_ARRIVALS_H_
