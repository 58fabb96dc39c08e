// The last decisions worth a person's look (an invalid ServiceProfile, a TrafficSplit not applied,
// addresses left out, a Kubernetes relist), kept for the debug page and Debug/Events: the log has
// them too, but the log is not what a paged engineer opens first.
//
// A bounded ring: the newest `capacity` events are kept, whatever the rate.
//
// Thread-safe.
#ifndef BASE_RECENT_EVENTS_H_
#define BASE_RECENT_EVENTS_H_

#include <cstddef>
#include <deque>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace dest {

struct RecentEvent {
  absl::Time time;
  std::string kind;     // "serviceprofile_invalid", "trafficsplit_not_applied", ...
  std::string object;   // "ServiceProfile emojivoto/web.emojivoto.svc.cluster.local"
  std::string message;  // the reason, in one sentence
};

class RecentEvents {
 public:
  explicit RecentEvents(size_t capacity = 200) : capacity_(capacity) {}

  void Record(std::string kind, std::string object, std::string message) ABSL_LOCKS_EXCLUDED(mu_);

  // Newest first; at most `limit` (0: all kept).
  std::vector<RecentEvent> Newest(size_t limit = 0) const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  const size_t capacity_;
  mutable absl::Mutex mu_;
  std::deque<RecentEvent> events_ ABSL_GUARDED_BY(mu_);  // oldest first
};

}  // namespace dest

#endif  // BASE_RECENT_EVENTS_H_
