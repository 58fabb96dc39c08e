#include "bench/arrivals.h"

#include <algorithm>
#include <chrono>
#include <limits>

namespace dest::bench {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::vector<int64_t> Arrivals::Sorted() const {
  size_t n = std::min(count(), times_.size());
  std::vector<int64_t> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t t = times_[i].load(std::memory_order_acquire);
    // A recorder counted but has not stored its time yet: it is about to.
    WaitUntil([&] { return (t = times_[i].load(std::memory_order_acquire)) != 0; },
              absl::Seconds(1));
    if (t != 0) out.push_back(t);
  }
  std::sort(out.begin(), out.end());
  return out;
}

ChurnLog::ChurnLog(uint32_t base, uint32_t count)
    : base_(base), reached_(count), first_(count), last_(count) {
  for (auto& f : first_) f.store(std::numeric_limits<int64_t>::max());
}

void ChurnLog::Reached(uint32_t from, uint32_t to, int64_t now_ns) {
  uint32_t lo = std::max(from, base_);
  uint32_t hi =
      static_cast<uint32_t>(std::min<uint64_t>(to, static_cast<uint64_t>(base_) + reached_.size()));
  for (uint32_t g = lo + 1; g <= hi; ++g) {
    size_t i = g - base_ - 1;
    reached_[i].fetch_add(1, std::memory_order_relaxed);
    int64_t seen = first_[i].load(std::memory_order_relaxed);
    while (now_ns < seen && !first_[i].compare_exchange_weak(seen, now_ns)) {
    }
    seen = last_[i].load(std::memory_order_relaxed);
    while (now_ns > seen && !last_[i].compare_exchange_weak(seen, now_ns)) {
    }
  }
}

uint32_t ChurnLog::ReachedCount(uint32_t generation) const {
  return reached_[generation - base_ - 1].load();
}
int64_t ChurnLog::FirstNs(uint32_t generation) const {
  return first_[generation - base_ - 1].load();
}
int64_t ChurnLog::LastNs(uint32_t generation) const { return last_[generation - base_ - 1].load(); }

}  // namespace dest::bench
