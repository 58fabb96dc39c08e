#include "controlplane/split_history.h"

#include "controlplane/profile_translator.h"

namespace dest {

void SplitHistory::Observe(const std::string& ns, const std::string& name,
                           std::shared_ptr<const TrafficSplit> split) {
  const bool valid = split != nullptr && ValidateSplitWeights(*split).ok();
  absl::MutexLock lock(&mu_);
  if (split == nullptr) {
    last_valid_.erase({ns, name});
  } else if (valid) {
    last_valid_[{ns, name}] = std::move(split);
  }  // invalid: the last valid version, if any, stays
}

std::vector<std::shared_ptr<const TrafficSplit>> SplitHistory::InForce(
    std::vector<std::shared_ptr<const TrafficSplit>> current) const {
  absl::MutexLock lock(&mu_);
  for (auto& split : current) {
    auto it = last_valid_.find({split->meta.ns, split->meta.name});
    if (it == last_valid_.end() || it->second == split) continue;
    if (it->second->service != split->service) continue;  // re-pointed: the old one is elsewhere
    if (!ValidateSplitWeights(*split).ok()) split = it->second;
  }
  return current;
}

bool SplitHistory::HasLastValid(const std::string& ns, const std::string& name) const {
  absl::MutexLock lock(&mu_);
  return last_valid_.count({ns, name}) != 0;
}

}  // namespace dest
