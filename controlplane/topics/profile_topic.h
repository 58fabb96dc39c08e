// The profile of one (Service, port, client namespace): ServiceProfile selection (client namespace
// first), translation of the version in force (the last valid one when an edit made it invalid:
// LastValidObjects), and the dst_overrides merge.
//
// Thread-safe (see Topic).
#ifndef CONTROLPLANE_TOPICS_PROFILE_TOPIC_H_
#define CONTROLPLANE_TOPICS_PROFILE_TOPIC_H_

#include <optional>
#include <string>
#include <vector>

#include "controlplane/topics/last_valid.h"
#include "controlplane/topics/topic.h"
#include "controlplane/translate/profile_translator.h"
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

// Why a profile is what it is, for Explain: the inputs read, the ServiceProfiles looked at, and
// the translator's notes (which point into `inputs`).
struct ProfileWhy {
  struct Candidate {
    std::string ns, name;
    std::string role;  // "client namespace", "service namespace"
    bool exists = false;
    std::string invalid_reason;  // the stored version is invalid
    bool last_valid_in_force = false;
  };
  ProfileInputs inputs;
  std::vector<Candidate> candidates;  // in the order looked at
  bool translated = false;            // a ServiceProfile is in force (inputs.profile, valid)
  ProfileNotes notes;
};

// Reads into `in` the HTTPRoutes naming Service ns/service and the ReferenceGrants their
// cross-namespace backends need.
void ReadRoutes(const Store& store, const std::string& ns, const std::string& service,
                ProfileInputs* in);

// The profile of `key` from the store as it is now: the ServiceProfile in the client's namespace,
// else in the Service's; the version of it (and of each TrafficSplit) in force; the merge.
// `why` (may be null) receives the reasons; the profile is the same either way.
io::linkerd::proxy::destination::DestinationProfile ComputeProfile(const ProfileKey& key,
                                                                   const Store& store,
                                                                   const TranslatorOptions& options,
                                                                   const LastValidObjects& in_force,
                                                                   ProfileWhy* why);

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
