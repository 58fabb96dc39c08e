// Which topic answers GetProfile for an authority: a Service's profile (ProfileTopic), or the
// profile of one endpoint (EndpointProfileTopic) for an instance name, a pod IP or a host port.
// Linkerd's destination server makes the same choice in its GetProfile handler; here it is one
// function beside the registry, so the server only admits, resolves and serves.
#ifndef CONTROLPLANE_TOPICS_PROFILE_TARGET_H_
#define CONTROLPLANE_TOPICS_PROFILE_TARGET_H_

#include <variant>

#include "absl/status/statusor.h"
#include "controlplane/topics/endpoint_profile_topic.h"
#include "controlplane/topics/profile_topic.h"
#include "controlplane/translate/authority.h"
#include "controlplane/translate/endpoint_translator.h"
#include "watchers/store/store.h"

namespace dest {

using ProfileTarget = std::variant<ProfileKey, EndpointProfileKey>;

// The topic key for `authority` asked by a client with `token`, from the store as it is now:
//  - a Service name: that Service's profile, keyed by the client's namespace when it differs;
//  - an instance name (pod-0.svc.ns...): that endpoint's profile; kNotFound when the Service has no
//    ready endpoint of that name;
//  - an IP that is a Service's cluster IP: that Service's profile; else a pod's IP: the pod's
//    profile; else a host IP with a pod exposing the port as a host port: that pod's profile; else
//    the pod-IP topic, which serves the default profile until a pod takes the IP.
// kFailedPrecondition when an IP is claimed by several Services or several pods.
absl::StatusOr<ProfileTarget> ResolveProfileTarget(const Store& store, const Authority& authority,
                                                   const ContextToken& token,
                                                   const TranslatorOptions& options);

// The endpoint topic key for `authority` (Get): a Service or an instance name, with the zone of
// the client's node. kInvalidArgument for an IP (Get takes a name) and for an ExternalName Service,
// which has no endpoints.
absl::StatusOr<EndpointKey> ResolveEndpointTarget(const Store& store, const Authority& authority,
                                                  const ContextToken& token);

}  // namespace dest

#endif  // CONTROLPLANE_TOPICS_PROFILE_TARGET_H_
