// The last valid version of every ServiceProfile and TrafficSplit, so that an edit that makes one
// invalid keeps what proxies had (a typo in a canary's weights or a route must not drop them).
// Kept per object, not per topic, so that every topic applies the same version: the streams
// opened before the bad edit and those opened after it.
//
// Thread-safe. Observe() is called by the store listener before topics recompute; InForce() by
// topics while they compute.
#ifndef CONTROLPLANE_TOPICS_LAST_VALID_H_
#define CONTROLPLANE_TOPICS_LAST_VALID_H_

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "watchers/objects.h"

namespace dest {

template <typename T>
class LastValid {
 public:
  using Validator = absl::Status (*)(const T&);
  explicit LastValid(Validator valid) : valid_(valid) {}

  // Notes the store's version of object ns/name (null: deleted).
  void Observe(const std::string& ns, const std::string& name, std::shared_ptr<const T> object)
      ABSL_LOCKS_EXCLUDED(mu_) {
    const bool valid = object != nullptr && valid_(*object).ok();
    absl::MutexLock lock(&mu_);
    if (object == nullptr) {
      last_valid_.erase({ns, name});
    } else if (valid) {
      last_valid_[{ns, name}] = std::move(object);
    }  // invalid: the last valid version, if any, stays
  }

  // `current` (the store's version) when it is valid or never was; else its last valid version.
  std::shared_ptr<const T> InForce(std::shared_ptr<const T> current) const ABSL_LOCKS_EXCLUDED(mu_) {
    if (current == nullptr) return current;
    std::shared_ptr<const T> last;
    {
      absl::MutexLock lock(&mu_);
      auto it = last_valid_.find({current->meta.ns, current->meta.name});
      if (it == last_valid_.end() || it->second == current) return current;
      last = it->second;
    }
    // Validated outside the lock: topics of many Services read through this object at once.
    return valid_(*current).ok() ? current : last;
  }

  bool HasLastValid(const std::string& ns, const std::string& name) const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return last_valid_.count({ns, name}) != 0;
  }

 private:
  const Validator valid_;
  mutable absl::Mutex mu_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<const T>> last_valid_
      ABSL_GUARDED_BY(mu_);
};

// What profile topics read through: the selected ServiceProfile and the TrafficSplits of a
// Service, each as in force.
struct LastValidObjects {
  LastValid<ServiceProfile> profiles;
  LastValid<TrafficSplit> splits;
  LastValidObjects();

  // The store's splits of one Service, each as in force. A split that an invalid edit re-pointed
  // to another Service stays as it is: its last valid version belongs to that other Service.
  std::vector<std::shared_ptr<const TrafficSplit>> SplitsInForce(
      const std::vector<std::shared_ptr<const TrafficSplit>>& current) const;
};

}  // namespace dest

#endif  // CONTROLPLANE_TOPICS_LAST_VALID_H_
