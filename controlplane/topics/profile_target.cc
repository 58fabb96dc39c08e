#include "controlplane/topics/profile_target.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace dest {
namespace {

template <typename T>
absl::Status Claimed(const std::string& what,
                     const std::vector<std::shared_ptr<const T>>& objects) {
  std::vector<std::string> names;
  for (const auto& o : objects) names.push_back(ServiceRef{o->meta.ns, o->meta.name}.ToString());
  return absl::FailedPreconditionError(
      absl::StrCat(what, " is claimed by several ", absl::StrJoin(names, ", ")));
}

absl::StatusOr<ProfileTarget> ResolveInstance(const Store& store, const Authority& a,
                                              const TranslatorOptions& options) {
  EndpointState state =
      ComputeEndpoints(store, EndpointKey{a.service, a.ns, a.port, a.instance, ""}, options);
  if (state.addrs.empty()) {
    return absl::NotFoundError(absl::StrCat("no ready endpoint named \"", a.instance,
                                            "\" in Service ",
                                            ServiceRef{a.ns, a.service}.ToString()));
  }
  EndpointProfileKey k;
  k.mode = EndpointProfileKey::Mode::kInstance;
  k.port = a.port;
  k.service = a.service;
  k.ns = a.ns;
  k.instance = a.instance;
  return k;
}

// An IP that is no Service's cluster IP: a pod IP, a host port, or the pod-IP topic.
absl::StatusOr<ProfileTarget> ResolveEndpointIp(const Store& store, const Authority& a) {
  EndpointProfileKey k;
  k.ip = a.ip;
  k.port = a.port;
  auto pods = LivePodsAt(store, EndpointProfileKey::Mode::kPodIp, a.ip, a.port);
  if (pods.size() > 1) return Claimed(absl::StrCat("IP ", a.ip, " (as a pod IP)"), pods);
  if (pods.empty()) {
    auto host = LivePodsAt(store, EndpointProfileKey::Mode::kHostPort, a.ip, a.port);
    if (host.size() > 1) return Claimed(absl::StrCat(a.ip, ":", a.port, " (as a host port)"), host);
    if (host.size() == 1) k.mode = EndpointProfileKey::Mode::kHostPort;
  }
  return k;
}

}  // namespace

absl::StatusOr<ProfileTarget> ResolveProfileTarget(const Store& store, const Authority& authority,
                                                   const ContextToken& token,
                                                   const TranslatorOptions& options) {
  ProfileKey key;
  key.port = authority.port;
  switch (authority.type) {
    case Authority::Type::kService:
      key.service = authority.service;
      key.ns = authority.ns;
      break;
    case Authority::Type::kInstance:
      return ResolveInstance(store, authority, options);
    case Authority::Type::kIp: {
      auto services = store.ServicesByClusterIP(authority.ip);
      if (services.size() > 1) {
        return Claimed(absl::StrCat("IP ", authority.ip, " (as a cluster IP)"), services);
      }
      if (services.empty()) return ResolveEndpointIp(store, authority);
      key.service = services[0]->meta.name;
      key.ns = services[0]->meta.ns;
      break;
    }
  }
  if (token.ns != key.ns) key.client_ns = token.ns;
  return key;
}

absl::StatusOr<EndpointKey> ResolveEndpointTarget(const Store& store, const Authority& authority,
                                                  const ContextToken& token) {
  if (authority.type == Authority::Type::kIp) {
    return absl::InvalidArgumentError(absl::StrCat("cannot resolve endpoints for an IP address (\"",
                                                   authority.ip, "\"): Get takes a Service name"));
  }
  if (auto svc = store.Get<Service>(authority.ns, authority.service);
      svc != nullptr && svc->type == "ExternalName") {
    return absl::InvalidArgumentError(
        absl::StrCat("Service ", ServiceRef{authority.ns, authority.service}.ToString(),
                     " is of type ExternalName and has no endpoints"));
  }
  return EndpointKey{authority.service, authority.ns, authority.port, authority.instance,
                     ZoneOfNode(store, token.node_name)};
}

}  // namespace dest
