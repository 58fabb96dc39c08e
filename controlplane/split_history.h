// The last valid version of every TrafficSplit, so that an edit that makes a split invalid (a
// weight that is not a quantity, no backends, only zero weights) keeps the weights proxies had, as
// an invalid ServiceProfile does. Kept per object, not per topic, so that every topic (the
// streams opened before the bad edit and those opened after it) applies the same version.
//
// Thread-safe. Observe() is called by the store listener before topics recompute; InForce() by
// topics while they compute.
#ifndef CONTROLPLANE_SPLIT_HISTORY_H_
#define CONTROLPLANE_SPLIT_HISTORY_H_

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "watchers/objects.h"

namespace dest {

class SplitHistory {
 public:
  // Notes the store's version of split ns/name (null: deleted).
  void Observe(const std::string& ns, const std::string& name,
               std::shared_ptr<const TrafficSplit> split) ABSL_LOCKS_EXCLUDED(mu_);

  // `current` (the store's splits of one Service) with each invalid split replaced by its last
  // valid version, when it had one for the same Service.
  std::vector<std::shared_ptr<const TrafficSplit>> InForce(
      std::vector<std::shared_ptr<const TrafficSplit>> current) const ABSL_LOCKS_EXCLUDED(mu_);

  // Whether split ns/name has a last valid version in force.
  bool HasLastValid(const std::string& ns, const std::string& name) const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<const TrafficSplit>> last_valid_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace dest

#endif  // CONTROLPLANE_SPLIT_HISTORY_H_
