// Typed views of the Kubernetes objects the destination service reads.
//
// Only the fields the service uses are kept (see shared/spec/behaviour.md section 6). Objects are
// immutable once built and shared between the store, topics and streams as
// `std::shared_ptr<const T>`. Both sources (manifests and the Kubernetes API) produce these types.
// Every struct has a defaulted operator==, so a comparison (the decoder-equality tests) covers
// every field, including one added later.
#ifndef WATCHERS_OBJECTS_H_
#define WATCHERS_OBJECTS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "watchers/kinds.h"

namespace dest {

// The annotations the service reads, on any object. The decoders keep only these in
// ObjectMeta::annotations: the others (kubectl's last-applied-configuration alone is often several
// KB) would cost memory on every object held and change nothing a proxy sees.
namespace annotation {
inline constexpr char kOpaquePorts[] = "config.linkerd.io/opaque-ports";
inline constexpr char kSkipInboundPorts[] = "config.linkerd.io/skip-inbound-ports";
inline constexpr char kIdentityMode[] = "linkerd.io/identity-mode";
inline constexpr char kRemoteSvcFqName[] = "mirror.linkerd.io/remote-svc-fq-name";
inline constexpr char kRemoteGatewayIdentity[] = "mirror.linkerd.io/remote-gateway-identity";
inline constexpr std::string_view kRead[] = {kOpaquePorts, kSkipInboundPorts, kIdentityMode,
                                             kRemoteSvcFqName, kRemoteGatewayIdentity};
inline bool IsRead(std::string_view key) {
  for (std::string_view k : kRead) {
    if (k == key) return true;
  }
  return false;
}
}  // namespace annotation

struct OwnerReference {
  std::string api_version;
  std::string kind;
  std::string name;
  bool controller = false;
  bool operator==(const OwnerReference&) const = default;
};

struct ObjectMeta {
  std::string name;
  std::string ns;  // empty for cluster-scoped objects (Node)
  std::string uid;
  std::string resource_version;
  std::string creation_timestamp;  // RFC 3339 as written; compares lexicographically
  bool deleting = false;           // metadata.deletionTimestamp is set
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;  // only those in annotation::kRead
  std::vector<OwnerReference> owner_references;
  bool operator==(const ObjectMeta&) const = default;
};

// A port number or a port name (Service targetPort).
struct IntOrString {
  bool is_int = true;
  int32_t int_value = 0;
  std::string str_value;
  bool operator==(const IntOrString&) const = default;
};

struct ServicePort {
  std::string name;
  std::string protocol = "TCP";
  int32_t port = 0;
  // Absent targetPort means "same as port" (Kubernetes defaulting): decoders set it to `port`.
  IntOrString target_port;
  bool operator==(const ServicePort&) const = default;
};

struct Service {
  static constexpr Kind kKind = Kind::kService;
  ObjectMeta meta;
  std::string type = "ClusterIP";        // ClusterIP, NodePort, LoadBalancer, ExternalName
  std::vector<std::string> cluster_ips;  // clusterIPs, or [clusterIP]; "None" dropped
  std::string external_name;
  std::vector<ServicePort> ports;
  bool operator==(const Service&) const = default;
};

struct ObjectReference {
  std::string kind;
  std::string name;
  std::string ns;
  bool operator==(const ObjectReference&) const = default;
};

struct EndpointPort {
  std::string name;
  int32_t port = 0;
  std::string protocol = "TCP";
  bool operator==(const EndpointPort&) const = default;
};

struct SliceEndpoint {
  std::vector<std::string> addresses;
  std::optional<bool> ready;  // absent means ready
  std::string hostname;
  std::string node_name;
  std::string zone;
  std::vector<std::string> hint_zones;  // hints.forZones[].name
  bool has_hints = false;               // hints.forZones present (possibly empty)
  std::optional<ObjectReference> target_ref;
  bool operator==(const SliceEndpoint&) const = default;
};

struct EndpointSlice {
  static constexpr Kind kKind = Kind::kEndpointSlice;
  ObjectMeta meta;
  std::string service_name;           // label kubernetes.io/service-name
  std::string address_type = "IPv4";  // IPv4, IPv6, FQDN
  std::vector<EndpointPort> ports;
  std::vector<SliceEndpoint> endpoints;
  bool operator==(const EndpointSlice&) const = default;
};

struct EndpointAddress {
  std::string ip;
  std::string hostname;
  std::string node_name;
  std::optional<ObjectReference> target_ref;
  bool operator==(const EndpointAddress&) const = default;
};

struct EndpointSubset {
  std::vector<EndpointAddress> addresses;
  std::vector<EndpointAddress> not_ready_addresses;
  std::vector<EndpointPort> ports;
  bool operator==(const EndpointSubset&) const = default;
};

struct Endpoints {
  static constexpr Kind kKind = Kind::kEndpoints;
  ObjectMeta meta;
  std::vector<EndpointSubset> subsets;
  bool operator==(const Endpoints&) const = default;
};

struct ContainerPort {
  std::string name;
  int32_t container_port = 0;
  int32_t host_port = 0;  // 0 when unset
  std::string protocol = "TCP";
  bool operator==(const ContainerPort&) const = default;
};

struct EnvVar {
  std::string name;
  std::string value;
  bool operator==(const EnvVar&) const = default;
};

struct Container {
  std::string name;
  std::vector<ContainerPort> ports;
  std::vector<EnvVar> env;
  bool operator==(const Container&) const = default;
};

struct Pod {
  static constexpr Kind kKind = Kind::kPod;
  ObjectMeta meta;
  std::string service_account_name;
  bool host_network = false;
  std::string node_name;
  std::vector<Container> containers;
  std::string phase;                 // Pending, Running, Succeeded, Failed, Unknown
  std::vector<std::string> pod_ips;  // podIPs, or [podIP]
  std::string host_ip;
  bool operator==(const Pod&) const = default;
};

// ReplicaSets, Jobs and Nodes are read as metadata only.
struct ReplicaSet {
  static constexpr Kind kKind = Kind::kReplicaSet;
  ObjectMeta meta;
  bool operator==(const ReplicaSet&) const = default;
};
struct Job {
  static constexpr Kind kKind = Kind::kJob;
  ObjectMeta meta;
  bool operator==(const Job&) const = default;
};
struct Node {
  static constexpr Kind kKind = Kind::kNode;
  ObjectMeta meta;
  bool operator==(const Node&) const = default;
};

// ServiceProfile spec, kept structurally as written; validation and translation into the wire
// types happen in controlplane/ so an invalid profile is still visible to operators.
struct RequestMatchSpec {
  std::vector<RequestMatchSpec> all;
  std::vector<RequestMatchSpec> any;
  std::vector<RequestMatchSpec> not_;  // zero or one element
  std::optional<std::string> path_regex;
  std::optional<std::string> method;
  bool operator==(const RequestMatchSpec&) const = default;
};

struct StatusRangeSpec {
  int64_t min = 0;
  int64_t max = 0;
  bool operator==(const StatusRangeSpec&) const = default;
};

struct ResponseMatchSpec {
  std::vector<ResponseMatchSpec> all;
  std::vector<ResponseMatchSpec> any;
  std::vector<ResponseMatchSpec> not_;  // zero or one element
  std::optional<StatusRangeSpec> status;
  bool operator==(const ResponseMatchSpec&) const = default;
};

struct ResponseClassSpec {
  std::optional<ResponseMatchSpec> condition;
  bool is_failure = false;
  bool operator==(const ResponseClassSpec&) const = default;
};

struct RouteSpec {
  std::string name;
  std::optional<RequestMatchSpec> condition;
  std::vector<ResponseClassSpec> response_classes;
  bool is_retryable = false;
  std::optional<std::string> timeout;
  bool operator==(const RouteSpec&) const = default;
};

struct RetryBudgetSpec {
  double retry_ratio = 0;
  int64_t min_retries_per_second = 0;
  std::string ttl;
  bool operator==(const RetryBudgetSpec&) const = default;
};

// A weight as written: a Kubernetes quantity string ("500m", "1") or an integer rendered as its
// decimal string ("500"). Converted to wire weights by controlplane (milli-value x 10).
struct DstOverrideSpec {
  std::string authority;
  std::string weight;
  bool operator==(const DstOverrideSpec&) const = default;
};

struct ServiceProfile {
  static constexpr Kind kKind = Kind::kServiceProfile;
  ObjectMeta meta;
  std::string api_version;
  std::vector<RouteSpec> routes;
  std::optional<RetryBudgetSpec> retry_budget;
  std::vector<DstOverrideSpec> dst_overrides;
  bool opaque_ports_set = false;  // spec.opaquePorts present (legacy, ignored but noted)
  bool operator==(const ServiceProfile&) const = default;
};

struct TrafficSplitBackend {
  std::string service;
  std::string weight;  // quantity or integer, as a string (see DstOverrideSpec)
  bool operator==(const TrafficSplitBackend&) const = default;
};

struct TrafficSplitMatch {
  std::string kind;
  std::string name;
  std::string api_group;
  bool operator==(const TrafficSplitMatch&) const = default;
};

struct TrafficSplit {
  static constexpr Kind kKind = Kind::kTrafficSplit;
  ObjectMeta meta;
  std::string api_version;  // split.smi-spec.io/v1alpha1 .. v1alpha4
  std::string service;      // spec.service: the apex Service
  std::vector<TrafficSplitBackend> backends;
  std::vector<TrafficSplitMatch> matches;
  bool operator==(const TrafficSplit&) const = default;
};

// Linkerd's policy resource Server (policy.linkerd.io v1beta1..v1beta3), of which the service
// reads what marks a pod's port opaque: the pods it selects, the port, the protocol.
struct LabelSelectorRequirement {
  std::string key;
  std::string op;  // In, NotIn, Exists, DoesNotExist
  std::vector<std::string> values;
  bool operator==(const LabelSelectorRequirement&) const = default;
};

struct LabelSelector {
  std::map<std::string, std::string> match_labels;
  std::vector<LabelSelectorRequirement> match_expressions;
  bool operator==(const LabelSelector&) const = default;
};

struct Server {
  static constexpr Kind kKind = Kind::kServer;
  ObjectMeta meta;
  std::string api_version;
  LabelSelector pod_selector;  // spec.podSelector; empty selects every pod of the namespace
  IntOrString port;            // spec.port: a container port number or name
  // spec.proxyProtocol: unknown (default), HTTP/1, HTTP/2, gRPC, opaque or TLS.
  std::string proxy_protocol;
  bool operator==(const Server&) const = default;
};

// An HTTPRoute (Gateway API, or Linkerd's policy.linkerd.io copy of it), of which the service
// reads what decides whether it can become dst_overrides (behaviour.md 3.2): its Service parents,
// and per rule the matches, filters and backends. Defaults are the API's, applied by the decoder
// where the API server would (a manifest file has no API server). Validation and translation
// happen in controlplane/, so a route that cannot be applied is still visible to operators.
struct RouteParentRef {
  std::string group = "gateway.networking.k8s.io";  // a Service parent says "" or "core"
  std::string kind = "Gateway";
  std::string ns;  // empty: the route's namespace
  std::string name;
  std::optional<int32_t> port;
  std::string section_name;  // a Service port's name, when set
  bool operator==(const RouteParentRef&) const = default;
};

struct RouteMatchSpec {
  std::string path_type = "PathPrefix";  // path.type; the default match is PathPrefix "/"
  std::string path_value = "/";          // path.value
  size_t headers = 0;                    // headers[] entries
  size_t query_params = 0;               // queryParams[] entries
  std::string method;                    // empty: any
  bool operator==(const RouteMatchSpec&) const = default;
};

struct RouteBackendRef {
  std::string group;  // "" or "core" for a Service
  std::string kind = "Service";
  std::string ns;  // empty: the route's namespace
  std::string name;
  std::optional<int32_t> port;
  int64_t weight = 1;
  size_t filters = 0;  // filters[] entries on this backend
  bool operator==(const RouteBackendRef&) const = default;
};

struct RouteRuleSpec {
  std::vector<RouteMatchSpec> matches;  // empty: the default match
  size_t filters = 0;                   // filters[] entries
  std::vector<RouteBackendRef> backend_refs;
  // The other fields the rule sets (timeouts, retry, sessionPersistence...), by name: none of
  // them can be expressed as weights, and none may be dropped silently.
  std::vector<std::string> other_fields;
  bool operator==(const RouteRuleSpec&) const = default;
};

// The fields both HTTPRoute kinds share; the store and the translator read routes through it.
struct HTTPRoute {
  ObjectMeta meta;
  std::string api_version;  // gateway.networking.k8s.io/v1, policy.linkerd.io/v1beta3, ...
  std::vector<RouteParentRef> parent_refs;
  std::vector<RouteRuleSpec> rules;
  bool operator==(const HTTPRoute&) const = default;
};
struct GatewayHTTPRoute : HTTPRoute {
  static constexpr Kind kKind = Kind::kGatewayHTTPRoute;
  bool operator==(const GatewayHTTPRoute&) const = default;
};
struct PolicyHTTPRoute : HTTPRoute {
  static constexpr Kind kKind = Kind::kPolicyHTTPRoute;
  bool operator==(const PolicyHTTPRoute&) const = default;
};

// A Gateway API ReferenceGrant: lets objects of the `from` kinds in other namespaces refer to the
// `to` objects in the grant's namespace (here: an HTTPRoute's backendRefs to a Service).
struct GrantFrom {
  std::string group;
  std::string kind;
  std::string ns;
  bool operator==(const GrantFrom&) const = default;
};
struct GrantTo {
  std::string group;  // "" for core
  std::string kind;
  std::string name;  // empty: every object of the kind
  bool operator==(const GrantTo&) const = default;
};
struct ReferenceGrant {
  static constexpr Kind kKind = Kind::kReferenceGrant;
  ObjectMeta meta;
  std::vector<GrantFrom> from;
  std::vector<GrantTo> to;
  bool operator==(const ReferenceGrant&) const = default;
};

// One object of any watched kind.
using AnyObject =
    std::variant<std::shared_ptr<const Service>, std::shared_ptr<const EndpointSlice>,
                 std::shared_ptr<const Endpoints>, std::shared_ptr<const Pod>,
                 std::shared_ptr<const ReplicaSet>, std::shared_ptr<const Job>,
                 std::shared_ptr<const Node>, std::shared_ptr<const ServiceProfile>,
                 std::shared_ptr<const TrafficSplit>, std::shared_ptr<const Server>,
                 std::shared_ptr<const GatewayHTTPRoute>, std::shared_ptr<const PolicyHTTPRoute>,
                 std::shared_ptr<const ReferenceGrant>>;

// The object type of a kind, and the kind of an object type.
template <Kind K>
using ObjectOf = std::remove_const_t<
    typename std::variant_alternative_t<static_cast<size_t>(K), AnyObject>::element_type>;
template <typename T>
inline constexpr Kind KindFor = T::kKind;

namespace kinds_internal {
template <size_t... I>
constexpr bool VariantFollowsTable(std::index_sequence<I...>) {
  return ((ObjectOf<static_cast<Kind>(I)>::kKind == static_cast<Kind>(I)) && ...);
}
}  // namespace kinds_internal
static_assert(std::variant_size_v<AnyObject> == kNumKinds,
              "AnyObject lists one type per row of kKinds (kinds.h)");
static_assert(kinds_internal::VariantFollowsTable(std::make_index_sequence<kNumKinds>()),
              "AnyObject's alternative i is the type whose kKind is Kind i");

// The variant index equals the Kind value.
inline Kind KindOf(const AnyObject& o) { return static_cast<Kind>(o.index()); }
const ObjectMeta& MetaOf(const AnyObject& o);
// The HTTPRoute of either group that `o` holds, or null for another kind.
const HTTPRoute* RouteOf(const AnyObject& o);

// Identifies an object within its kind.
// A namespaced name, most often a Service's ("the Service web in shop"): what the store's
// per-Service indexes and the topic registry's groups are keyed by. Its text form is "ns/name".
struct ServiceRef {
  std::string ns;
  std::string name;

  std::string ToString() const;
  // The inverse of ToString: exactly one '/', both sides non-empty; nullopt otherwise.
  static std::optional<ServiceRef> Parse(std::string_view text);
  auto operator<=>(const ServiceRef&) const = default;
};

// The Pod a targetRef names, in `ns` (the referring object's namespace) when the reference has
// none; nullopt when it names no Pod. One reading of targetRef for the store's indexes and the
// endpoint translator.
std::optional<ServiceRef> PodRefOf(const std::optional<ObjectReference>& ref,
                                   const std::string& ns);

struct ObjectKey {
  Kind kind;
  std::string ns;
  std::string name;
  auto operator<=>(const ObjectKey&) const = default;
};
inline ObjectKey KeyOf(const AnyObject& o) {
  const ObjectMeta& m = MetaOf(o);
  return ObjectKey{KindOf(o), m.ns, m.name};
}

}  // namespace dest

#endif  // WATCHERS_OBJECTS_H_
