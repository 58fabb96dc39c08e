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

std::shared_ptr<const ProfileSnapshot> EndpointProfileTopic::ComputeLocked(
    const std::shared_ptr<const ProfileSnapshot>& previous) {
  pb::DestinationProfile profile;
  if (key_.mode == EndpointProfileKey::Mode::kInstance) {
    EndpointState state = ComputeEndpoints(
        *store_, EndpointKey{key_.service, key_.ns, key_.port, key_.instance, ""}, *options_);
    std::shared_ptr<const Pod> pod;
    std::string ip;
    uint32_t port = key_.port;
    if (!state.addrs.empty()) {
      const pb::WeightedAddr& wa = *state.addrs.begin()->second;
      const auto& ref = wa.resource_ref().resource();
      if (!ref.name().empty()) pod = store_->Get<Pod>(ref.namespace_(), ref.name());
      port = wa.addr().port();
      ip = state.addrs.begin()->first.substr(0, state.addrs.begin()->first.rfind(':'));
      if (!ip.empty() && ip.front() == '[') ip = ip.substr(1, ip.size() - 2);
    }
    if (pod != nullptr) {
      profile = BuildEndpointProfile(*store_, ip, port, pod.get(), *options_);
    } else {
      profile = BuildEndpointProfile(*store_, ip, port, nullptr, *options_);
      if (!state.addrs.empty()) *profile.mutable_endpoint() = *state.addrs.begin()->second;
    }
  } else {
    auto pods = LivePodsAt(*store_, key_.mode, key_.ip, key_.port);
    // Zero or several claimants: the default profile (a new stream is refused with
    // FAILED_PRECONDITION while the conflict lasts).
    profile = BuildEndpointProfile(*store_, key_.ip, key_.port,
                                   pods.size() == 1 ? pods[0].get() : nullptr, *options_);
  }
  return NextProfileSnapshot(previous, profile);
}

}  // namespace dest
