#include "controlplane/topics/endpoint_profile_topic.h"

#include "absl/strings/str_cat.h"

namespace dest {
namespace pb = io::linkerd::proxy::destination;

GroupKey EndpointProfileKey::Group() const {
  return mode == Mode::kInstance ? GroupKey::Service(ServiceRef{ns, service})
                                 : GroupKey::Address(ip);
}

std::string EndpointProfileKey::ToString() const {
  switch (mode) {
    case Mode::kPodIp:
      return absl::StrCat("pod ", ip, ":", port);
    case Mode::kHostPort:
      return absl::StrCat("host ", ip, ":", port);
    case Mode::kInstance:
      return absl::StrCat("instance ", instance, ".", service, ".", ns, ":", port);
  }
  return "";
}

std::vector<std::shared_ptr<const Pod>> LivePodsAt(const Store& store,
                                                   EndpointProfileKey::Mode mode,
                                                   const std::string& ip, uint32_t port) {
  std::vector<std::shared_ptr<const Pod>> pods =
      mode == EndpointProfileKey::Mode::kHostPort
          ? store.PodsByHostPort(ip, static_cast<int32_t>(port))
          : store.PodsByIP(ip);
  std::erase_if(pods, [](const auto& p) { return !PodIsLive(*p); });
  return pods;
}

pb::DestinationProfile ComputeEndpointProfile(const EndpointProfileKey& key, const Store& store,
                                              const TranslatorOptions& options,
                                              std::shared_ptr<const Pod>* pod_out) {
  pb::DestinationProfile profile;
  std::shared_ptr<const Pod> pod;
  if (key.mode == EndpointProfileKey::Mode::kInstance) {
    EndpointState state = ComputeEndpoints(
        store, EndpointKey{key.service, key.ns, key.port, key.instance, ""}, options);
    std::string ip;
    uint32_t port = key.port;
    if (!state.addrs.empty()) {
      const pb::WeightedAddr& wa = *state.addrs.begin()->second;
      const auto& ref = wa.resource_ref().resource();
      if (!ref.name().empty()) pod = store.Get<Pod>(ref.namespace_(), ref.name());
      port = wa.addr().port();
      ip = state.addrs.begin()->first.substr(0, state.addrs.begin()->first.rfind(':'));
      if (!ip.empty() && ip.front() == '[') ip = ip.substr(1, ip.size() - 2);
    }
    profile = BuildEndpointProfile(store, ip, port, pod.get(), options);
    if (pod == nullptr && !state.addrs.empty()) {
      *profile.mutable_endpoint() = *state.addrs.begin()->second;
    }
  } else {
    auto pods = LivePodsAt(store, key.mode, key.ip, key.port);
    // Zero or several claimants: the default profile (a new stream is refused with
    // FAILED_PRECONDITION while the conflict lasts).
    if (pods.size() == 1) pod = pods[0];
    profile = BuildEndpointProfile(store, key.ip, key.port, pod.get(), options);
  }
  if (pod_out != nullptr) *pod_out = std::move(pod);
  return profile;
}

std::shared_ptr<const ProfileSnapshot> EndpointProfileTopic::ComputeLocked(
    const std::shared_ptr<const ProfileSnapshot>& previous) {
  return NextProfileSnapshot(previous, ComputeEndpointProfile(key_, *store_, *options_));
}

}  // namespace dest
