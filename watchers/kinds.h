// The one table of the Kubernetes kinds the service watches.
//
// Everything that depends on the set of kinds derives from `kKinds`: the decoder's dispatch
// (decode/object_decoder_rules.h), the store's typing and per-kind metrics (store/), the
// Kubernetes reflectors and `destination -print-watched-resources` (kube/, and through it the Helm
// chart's RBAC check), the readiness list (each source's Kinds()), and the tests' fake API server
// routes (tests/support/kube_fixtures.cc). objects.h checks with static_asserts that its object
// variant lists one type per row, in the table's order. Adding a kind: docs/architecture.md.
#ifndef WATCHERS_KINDS_H_
#define WATCHERS_KINDS_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace dest {

// Values are stable: they index kKinds, the store's arrays and the object variant.
enum class Kind : uint8_t {
  kService = 0,
  kEndpointSlice,
  kEndpoints,
  kPod,
  kReplicaSet,
  kJob,
  kNode,
  kServiceProfile,
  kTrafficSplit,
  kServer,
  kGatewayHTTPRoute,
  kPolicyHTTPRoute,
  kReferenceGrant,
};

// Which endpoint source a kind belongs to: with -enable-endpoint-slices the Kubernetes source
// watches EndpointSlices, without it Endpoints. The manifests source reads both.
enum class EndpointMode : uint8_t { kAny, kSlicesOnly, kEndpointsOnly };

struct KindInfo {
  Kind kind;
  std::string_view name;      // the `kind` field: "Service"
  std::string_view group;     // the API group; "" for the core group
  std::string_view resource;  // the plural resource in API paths: "services"
  // The versions understood, preferred first; the unused tail is empty. Optional kinds choose
  // among them by API discovery, the others use the first.
  std::array<std::string_view, 4> versions;
  bool namespaced;
  bool metadata_only;  // only metadata is read (PartialObjectMetadata from the API)
  bool optional;       // a CRD that may not be installed: tolerated, picked up when installed
  EndpointMode mode;

  constexpr std::span<const std::string_view> Versions() const {
    size_t n = 0;
    while (n < versions.size() && !versions[n].empty()) ++n;
    return {versions.data(), n};
  }
};

inline constexpr KindInfo kKinds[] = {
    {Kind::kService, "Service", "", "services", {"v1"}, true, false, false, EndpointMode::kAny},
    {Kind::kEndpointSlice,
     "EndpointSlice",
     "discovery.k8s.io",
     "endpointslices",
     {"v1"},
     true,
     false,
     false,
     EndpointMode::kSlicesOnly},
    {Kind::kEndpoints,
     "Endpoints",
     "",
     "endpoints",
     {"v1"},
     true,
     false,
     false,
     EndpointMode::kEndpointsOnly},
    {Kind::kPod, "Pod", "", "pods", {"v1"}, true, false, false, EndpointMode::kAny},
    {Kind::kReplicaSet,
     "ReplicaSet",
     "apps",
     "replicasets",
     {"v1"},
     true,
     true,
     false,
     EndpointMode::kAny},
    {Kind::kJob, "Job", "batch", "jobs", {"v1"}, true, true, false, EndpointMode::kAny},
    {Kind::kNode, "Node", "", "nodes", {"v1"}, false, true, false, EndpointMode::kAny},
    {Kind::kServiceProfile,
     "ServiceProfile",
     "linkerd.io",
     "serviceprofiles",
     {"v1alpha2"},
     true,
     false,
     true,
     EndpointMode::kAny},
    {Kind::kTrafficSplit,
     "TrafficSplit",
     "split.smi-spec.io",
     "trafficsplits",
     {"v1alpha4", "v1alpha3", "v1alpha2", "v1alpha1"},
     true,
     false,
     true,
     EndpointMode::kAny},
    {Kind::kServer,
     "Server",
     "policy.linkerd.io",
     "servers",
     {"v1beta3", "v1beta2", "v1beta1"},
     true,
     false,
     true,
     EndpointMode::kAny},
    // The Gateway API's HTTPRoute and Linkerd's copy of it: one kind name in two groups.
    {Kind::kGatewayHTTPRoute,
     "HTTPRoute",
     "gateway.networking.k8s.io",
     "httproutes",
     {"v1", "v1beta1"},
     true,
     false,
     true,
     EndpointMode::kAny},
    {Kind::kPolicyHTTPRoute,
     "HTTPRoute",
     "policy.linkerd.io",
     "httproutes",
     {"v1beta3", "v1beta2", "v1beta1"},
     true,
     false,
     true,
     EndpointMode::kAny},
    {Kind::kReferenceGrant,
     "ReferenceGrant",
     "gateway.networking.k8s.io",
     "referencegrants",
     {"v1", "v1beta1", "v1alpha2"},
     true,
     false,
     true,
     EndpointMode::kAny},
};
inline constexpr int kNumKinds = static_cast<int>(std::size(kKinds));

constexpr const KindInfo& InfoOf(Kind kind) { return kKinds[static_cast<size_t>(kind)]; }

// "Service", "EndpointSlice", ... as in the `kind` field.
constexpr const char* KindName(Kind kind) { return InfoOf(kind).name.data(); }

// The API group of an apiVersion: "apps" for "apps/v1", "" (core) for "v1".
constexpr std::string_view GroupOf(std::string_view api_version) {
  const size_t slash = api_version.find('/');
  return slash == std::string_view::npos ? std::string_view() : api_version.substr(0, slash);
}

// Whether another row has the same kind name (HTTPRoute in two groups).
constexpr bool NameIsShared(Kind kind) {
  for (const KindInfo& k : kKinds) {
    if (k.kind != kind && k.name == InfoOf(kind).name) return true;
  }
  return false;
}

// The `kind` label of per-kind metrics and log fields: the kind name ("Service"), qualified by
// its group when another group has a kind of the same name ("HTTPRoute.policy.linkerd.io"), so
// that no two kinds share a time series.
inline std::string KindLabel(Kind kind) {
  const KindInfo& info = InfoOf(kind);
  if (!NameIsShared(kind)) return std::string(info.name);
  return std::string(info.name) + "." + std::string(info.group);
}

// Whether the Kubernetes source watches `kind` with or without -enable-endpoint-slices.
constexpr bool WatchedWith(const KindInfo& info, bool endpoint_slices) {
  return info.mode == EndpointMode::kAny ||
         (info.mode == EndpointMode::kSlicesOnly) == endpoint_slices;
}

namespace kinds_internal {
constexpr bool TableIsConsistent() {
  for (size_t i = 0; i < std::size(kKinds); ++i) {
    const KindInfo& k = kKinds[i];
    if (static_cast<size_t>(k.kind) != i) return false;  // row i describes Kind i
    if (k.name.empty() || k.resource.empty() || k.Versions().empty()) return false;
    for (size_t j = 0; j < i; ++j) {
      if (kKinds[j].name == k.name && kKinds[j].group == k.group) return false;
      if (kKinds[j].resource == k.resource && kKinds[j].group == k.group) return false;
    }
  }
  return true;
}
}  // namespace kinds_internal
static_assert(kinds_internal::TableIsConsistent(),
              "kKinds: row i must describe Kind i, with a name, a resource and a version, and no "
              "two rows may share a group and a kind or a group and a resource");

}  // namespace dest

#endif  // WATCHERS_KINDS_H_
