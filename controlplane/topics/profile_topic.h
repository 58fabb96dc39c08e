// The profile of one (Service, port, client namespace): ServiceProfile selection (client namespace
// first), translation of the version in force (the last valid one when an edit made it invalid:
// LastValidObjects), and the dst_overrides merge.
//
// Thread-safe (see Topic).
#ifndef CONTROLPLANE_TOPICS_PROFILE_TOPIC_H_
#define CONTROLPLANE_TOPICS_PROFILE_TOPIC_H_

#include <optional>
#include <string>

#include "controlplane/translate/profile_translator.h"
#include "controlplane/topics/last_valid.h"
#include "controlplane/topics/topic.h"
#include "watchers/store/store.h"

namespace dest {

struct ProfileKey {
  std::string service;
  std::string ns;
  uint32_t port = 80;
  // The client's namespace when it differs from the Service's (a ServiceProfile there wins);
  // empty otherwise, so clients in the Service's namespace share one topic.
  std::string client_ns;

  ServiceRef service_ref() const { return ServiceRef{ns, service}; }
  bool operator==(const ProfileKey&) const = default;
  std::string ToString() const;
};

class ProfileTopic : public Topic<ProfileSnapshot> {
 public:
  // `in_force` supplies the last valid version of a ServiceProfile or TrafficSplit that turned
  // invalid (the same for every topic).
  ProfileTopic(ProfileKey key, const Store* store, const TranslatorOptions* options,
               const LastValidObjects* in_force)
      : key_(std::move(key)), store_(store), options_(options), in_force_(in_force) {}
  const ProfileKey& key() const { return key_; }

 protected:
  std::shared_ptr<const ProfileSnapshot> ComputeLocked(
      const std::shared_ptr<const ProfileSnapshot>& previous) override
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

 private:
  const ProfileKey key_;
  const Store* const store_;
  const TranslatorOptions* const options_;
  const LastValidObjects* const in_force_;
};

}  // namespace dest

#endif  // CONTROLPLANE_TOPICS_PROFILE_TOPIC_H_
