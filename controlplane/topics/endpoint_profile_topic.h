// The profile of one endpoint (behaviour.md 3.3): for a pod IP, a host-network `hostIP:hostPort`
// or an instance authority. It follows the pod: a pod replaced at the same IP, relabelled or
// reannotated, produces a new profile; an address that maps to nothing gets the default profile.
//
// Thread-safe (see Topic).
#ifndef CONTROLPLANE_TOPICS_ENDPOINT_PROFILE_TOPIC_H_
#define CONTROLPLANE_TOPICS_ENDPOINT_PROFILE_TOPIC_H_

#include <string>

#include "controlplane/topics/group_key.h"
#include "controlplane/topics/topic.h"
#include "controlplane/translate/endpoint_translator.h"

namespace dest {

struct EndpointProfileKey {
  enum class Mode { kPodIp, kHostPort, kInstance };
  Mode mode = Mode::kPodIp;
  std::string ip;  // kPodIp, kHostPort (the host IP)
  uint32_t port = 0;
  std::string service, ns, instance;  // kInstance

  // The registry group: the address, or the Service of an instance.
  dest::GroupKey Group() const;
  std::string ToString() const;
  bool operator==(const EndpointProfileKey&) const = default;
};

class EndpointProfileTopic : public Topic<ProfileSnapshot> {
 public:
  EndpointProfileTopic(EndpointProfileKey key, const Store* store, const TranslatorOptions* options)
      : key_(std::move(key)), store_(store), options_(options) {}
  const EndpointProfileKey& key() const { return key_; }

 protected:
  std::shared_ptr<const ProfileSnapshot> ComputeLocked(
      const std::shared_ptr<const ProfileSnapshot>& previous) override
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

 private:
  const EndpointProfileKey key_;
  const Store* const store_;
  const TranslatorOptions* const options_;
};

// The profile of one endpoint from the store as it is now (what its topic serves). `pod` (may be
// null) receives the pod it describes, if any.
io::linkerd::proxy::destination::DestinationProfile ComputeEndpointProfile(
    const EndpointProfileKey& key, const Store& store, const TranslatorOptions& options,
    std::shared_ptr<const Pod>* pod = nullptr);

// Live pods at an address: by pod IP (kPodIp) or exposing ip:port as a host port (kHostPort).
std::vector<std::shared_ptr<const Pod>> LivePodsAt(const Store& store,
                                                   EndpointProfileKey::Mode mode,
                                                   const std::string& ip, uint32_t port);

}  // namespace dest

#endif  // CONTROLPLANE_TOPICS_ENDPOINT_PROFILE_TOPIC_H_
