// Turns the store's objects for one (Service, port, client namespace) into the DestinationProfile
// a proxy receives (behaviour.md 3.1 and 3.2): ServiceProfile translation and the dst_overrides
// merge of ServiceProfile dstOverrides, Gateway API HTTPRoute, SMI TrafficSplit and the self
// override, in that order of precedence.
//
// Thread-safe (stateless apart from const options).
#ifndef CONTROLPLANE_TRANSLATE_PROFILE_TRANSLATOR_H_
#define CONTROLPLANE_TRANSLATE_PROFILE_TRANSLATOR_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "controlplane/translate/port_set.h"
#include "destination.pb.h"
#include "watchers/objects.h"

namespace dest {

struct TranslatorOptions {
  std::string cluster_domain = "cluster.local";
  std::string controller_namespace = "linkerd";
  std::string identity_trust_domain = "cluster.local";
  bool enable_h2_upgrade = true;
  bool enable_identity = true;
  // Endpoints from discovery.k8s.io/v1 EndpointSlices (default) or core/v1 Endpoints.
  bool endpoint_slices = true;
  PortSet default_opaque_ports;
};

// The inputs of one profile, as read from the store.
struct ProfileInputs {
  std::string service_name;
  std::string service_ns;
  uint32_t port = 80;
  std::shared_ptr<const Service> service;                   // null when absent
  std::shared_ptr<const ServiceProfile> profile;            // the selected one, or null
  std::vector<std::shared_ptr<const TrafficSplit>> splits;  // spec.service == service_name
  // The HTTPRoutes (both groups) with a parentRef of kind Service naming the Service.
  std::vector<std::shared_ptr<const HTTPRoute>> routes;
  // The ReferenceGrants of the namespaces those routes' backends are in, when not the route's.
  std::vector<std::shared_ptr<const ReferenceGrant>> grants;
  // The client's namespace when it differs from the Service's (a consumer route there applies),
  // else empty.
  std::string client_ns;
};

// The ServiceProfile part of a profile, valid or not.
struct TranslatedServiceProfile {
  std::vector<io::linkerd::proxy::destination::Route> routes;
  io::linkerd::proxy::destination::RetryBudget retry_budget;
  std::vector<io::linkerd::proxy::destination::WeightedDst> dst_overrides;  // port added
};

// Validates and translates a ServiceProfile's spec. kInvalidArgument names the first problem
// ("spec.routes[2].condition: a match needs at least one field").
absl::StatusOr<TranslatedServiceProfile> TranslateServiceProfile(const ServiceProfile& profile,
                                                                 uint32_t port);

// The default retry budget {0.2, 10, 10s}.
io::linkerd::proxy::destination::RetryBudget DefaultRetryBudget();

// Converts a quantity weight ("1", "500m", "500") to the wire weight (milli-value x 10).
absl::StatusOr<uint32_t> WireWeight(absl::string_view quantity);

// A TrafficSplit's backends as dst_overrides for `port` of a Service in `service_ns`, or
// kInvalidArgument when its weights cannot be applied: no backends, a backend without a service,
// a weight that is not a quantity, or only zero weights. (`matches` is not checked here.)
absl::StatusOr<std::vector<io::linkerd::proxy::destination::WeightedDst>> SplitOverrides(
    const TrafficSplit& split, const std::string& service_ns, uint32_t port,
    const TranslatorOptions& options);

// Whether the split's weights can be applied (SplitOverrides' checks, for any port).
absl::Status ValidateSplitWeights(const TrafficSplit& split);

// An HTTPRoute's single rule as dst_overrides for a Service port, or kFailedPrecondition saying
// why the route cannot be expressed as weights (matches, filters, several rules, backends that
// are not Services or lack a ReferenceGrant, other rule fields), or kInvalidArgument when its
// weights cannot be sent (negative, or too large for the wire). Never a partial translation.
// `grants` are those of the backends' namespaces.
absl::StatusOr<std::vector<io::linkerd::proxy::destination::WeightedDst>> RouteOverrides(
    const HTTPRoute& route, uint32_t port,
    const std::vector<std::shared_ptr<const ReferenceGrant>>& grants,
    const TranslatorOptions& options);

// The namespaces of `routes`' backends that are not their route's own, sorted, without
// repeats: where ProfileInputs::grants come from.
std::vector<std::string> CrossNamespaceBackends(
    const std::vector<std::shared_ptr<const HTTPRoute>>& routes);

// "HTTPRoute ns/name" qualified by its group: "HTTPRoute.policy.linkerd.io shop/web-split" for
// Linkerd's copy; the Gateway API's own reads "HTTPRoute shop/web-split".
std::string RouteName(const HTTPRoute& route);

// Notes about how a profile was built, for logs, metrics and Explain. The pointers point into the
// ProfileInputs the profile was built from.
struct ProfileNotes {
  std::string overrides_source;  // "serviceprofile", "httproute", "trafficsplit", "self"
  std::string split_used;        // "ns/name" of the TrafficSplit applied, if any
  const TrafficSplit* split_applied = nullptr;
  struct IgnoredSplit {
    const TrafficSplit* split;
    std::string reason;  // "has spec.matches, which plain weights cannot express"
    const TrafficSplit* conflicts_with = nullptr;  // the older split that applies instead
  };
  // The splits not applied. With notes, the sources of lower precedence are still looked at, so
  // a split that a ServiceProfile or an HTTPRoute takes precedence over is listed too.
  std::vector<IgnoredSplit> splits_ignored;
  const HTTPRoute* route_applied = nullptr;
  struct IgnoredRoute {
    const HTTPRoute* route;
    std::string reason;  // "spec.rules[0].matches[0] matches headers, which ..."
    // A problem of the route (logged and counted when it changes), as opposed to a route that is
    // simply not for this port or this client, or that a source of higher precedence overrides.
    bool problem = false;
    const HTTPRoute* conflicts_with = nullptr;  // the older route that applies instead
  };
  std::vector<IgnoredRoute> routes_ignored;
  std::string opaque_source;  // where opaque_protocol came from, in words
  // One sentence per problem, for the log: splits not applied, annotation problems.
  std::vector<std::string> warnings;
};

// Builds the full profile. `sp` is the translated selected ServiceProfile, or null when none is in
// force (absent, or invalid with no last valid translation).
io::linkerd::proxy::destination::DestinationProfile BuildProfile(const ProfileInputs& in,
                                                                 const TranslatedServiceProfile* sp,
                                                                 const TranslatorOptions& options,
                                                                 ProfileNotes* notes);

}  // namespace dest

#endif  // CONTROLPLANE_TRANSLATE_PROFILE_TRANSLATOR_H_
