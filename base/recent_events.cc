#include "base/recent_events.h"

#include <algorithm>
#include <utility>

#include "absl/time/clock.h"

namespace dest {

void RecentEvents::Record(std::string kind, std::string object, std::string message) {
  RecentEvent event{absl::Now(), std::move(kind), std::move(object), std::move(message)};
  absl::MutexLock lock(&mu_);
  events_.push_back(std::move(event));
  while (events_.size() > capacity_) events_.pop_front();
}

std::vector<RecentEvent> RecentEvents::Newest(size_t limit) const {
  absl::MutexLock lock(&mu_);
  const size_t n = limit == 0 ? events_.size() : std::min(limit, events_.size());
  return std::vector<RecentEvent>(events_.rbegin(), events_.rbegin() + static_cast<long>(n));
}

}  // namespace dest
