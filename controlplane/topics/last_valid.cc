#include "controlplane/topics/last_valid.h"

#include "controlplane/translate/profile_translator.h"

namespace dest {
namespace {

// Validity does not depend on the port asked for; 80 stands for any.
absl::Status ValidateProfile(const ServiceProfile& profile) {
  return TranslateServiceProfile(profile, 80).status();
}

}  // namespace

LastValidObjects::LastValidObjects() : profiles(&ValidateProfile), splits(&ValidateSplitWeights) {}

std::vector<std::shared_ptr<const TrafficSplit>> LastValidObjects::SplitsInForce(
    const std::vector<std::shared_ptr<const TrafficSplit>>& current) const {
  std::vector<std::shared_ptr<const TrafficSplit>> out;
  out.reserve(current.size());
  for (const auto& split : current) {
    auto in_force = splits.InForce(split);
    out.push_back(in_force->service == split->service ? std::move(in_force) : split);
  }
  return out;
}

}  // namespace dest
