// The profile of one (Service, port, client namespace): ServiceProfile selection (client namespace
// first), translation with last-valid fallback, and the dst_overrides merge.
//
// Thread-safe (see Topic).
#ifndef CONTROLPLANE_PROFILE_TOPIC_H_
#define CONTROLPLANE_PROFILE_TOPIC_H_

#include <optional>
#include <string>

#include "controlplane/profile_translator.h"
#include "controlplane/split_history.h"
#include "controlplane/topic.h"
#include "watchers/store.h"

namespace dest {

struct ProfileKey {
  std::string service;
  std::string ns;
  uint32_t port = 80;
  // The client's namespace when it differs from the Service's (a ServiceProfile there wins);
  // empty otherwise, so clients in the Service's namespace share one topic.
  std::string client_ns;

  std::string ServiceKey() const { return ns + "/" + service; }
  std::string ToString() const;
};

class ProfileTopic : public Topic<ProfileSnapshot> {
 public:
  // `splits`, when set, supplies the last valid version of TrafficSplits that turned invalid.
  ProfileTopic(ProfileKey key, const Store* store, const TranslatorOptions* options,
               const SplitHistory* splits = nullptr)
      : key_(std::move(key)), store_(store), options_(options), splits_(splits) {}
  const ProfileKey& key() const { return key_; }

 protected:
  std::shared_ptr<const ProfileSnapshot> ComputeLocked(
      const std::shared_ptr<const ProfileSnapshot>& previous) override
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

 private:
  const ProfileKey key_;
  const Store* const store_;
  const TranslatorOptions* const options_;
  const SplitHistory* const splits_;
  // The last valid translation of the ServiceProfile in use, and which one it was (ns/name), so
  // an invalid edit keeps what proxies had.
  std::optional<TranslatedServiceProfile> last_valid_ ABSL_GUARDED_BY(mu_);
  std::string last_valid_id_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dest

#endif  // CONTROLPLANE_PROFILE_TOPIC_H_
