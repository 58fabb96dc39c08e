// The object store: the one place every source (manifests, Kubernetes API) feeds, holding the
// current typed objects of every watched kind and the indexes the controlplane needs.
//
// Data flow: Source -> Store::Apply(batch) -> listeners (controlplane topics) -> streams.
//
// Thread-safe. Readers take a shared lock for the duration of one lookup; Apply() takes the
// exclusive lock only while mutating maps, then calls listeners with no data lock held. Apply()
// calls are serialized, so listeners see batches one at a time and in order.
#ifndef WATCHERS_STORE_STORE_H_
#define WATCHERS_STORE_STORE_H_

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "watchers/objects.h"

namespace prometheus {
class Registry;
template <typename T>
class Family;
class Gauge;
class Counter;
}  // namespace prometheus

namespace dest {

enum class EventType { kAdded, kModified, kDeleted };
const char* EventTypeName(EventType type);

// The canonical text form of an IPv4 or IPv6 address ("fd00::1", "10.0.0.1"), or "" when `ip` is
// not an address. Indexes and lookups use this form so "FD00:0::1" finds "fd00::1".
std::string CanonicalIp(absl::string_view ip);

// An event from a source. For kDeleted the object is the last known state (only its key is used).
struct ObjectEvent {
  EventType type;
  AnyObject object;
};

// What one event did to the store: the object before and after (nullopt = absent).
struct StoreChange {
  ObjectKey key;
  std::optional<AnyObject> before;
  std::optional<AnyObject> after;
};

class Store {
 public:
  using Listener = std::function<void(const std::vector<StoreChange>&)>;
  using NsName = std::pair<std::string, std::string>;

  // `registry` may be null (no metrics).
  explicit Store(prometheus::Registry* registry = nullptr);
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Applies a batch atomically (readers see all of it or none), then calls every listener with
  // the changes, in order. Adds of an existing key act as modifies; deletes of absent keys are
  // ignored. Returns the number of changes.
  size_t Apply(const std::vector<ObjectEvent>& batch) ABSL_LOCKS_EXCLUDED(mu_, apply_mu_);

  // Listeners must not call Apply(). Add them before the source starts.
  void AddListener(Listener listener) ABSL_LOCKS_EXCLUDED(apply_mu_);

  // Readiness: a source marks each kind it feeds as synced once its initial load is in the store.
  void MarkSynced(Kind kind) ABSL_LOCKS_EXCLUDED(mu_);
  bool IsSynced(Kind kind) const ABSL_LOCKS_EXCLUDED(mu_);
  // True once every kind in `kinds` is synced.
  bool AllSynced(const std::vector<Kind>& kinds) const ABSL_LOCKS_EXCLUDED(mu_);

  // Typed point lookup; null when absent. Cluster-scoped kinds use ns "".
  template <typename T>
  std::shared_ptr<const T> Get(const std::string& ns, const std::string& name) const
      ABSL_LOCKS_EXCLUDED(mu_) {
    absl::ReaderMutexLock lock(&mu_);
    const auto& m = objects_[static_cast<int>(KindFor<T>)];
    auto it = m.find(NsName(ns, name));
    if (it == m.end()) return nullptr;
    return std::get<std::shared_ptr<const T>>(it->second);
  }

  // All objects of a kind, ordered by (namespace, name).
  template <typename T>
  std::vector<std::shared_ptr<const T>> List() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::ReaderMutexLock lock(&mu_);
    std::vector<std::shared_ptr<const T>> out;
    for (const auto& [k, v] : objects_[static_cast<int>(KindFor<T>)]) {
      out.push_back(std::get<std::shared_ptr<const T>>(v));
    }
    return out;
  }
  size_t Count(Kind kind) const ABSL_LOCKS_EXCLUDED(mu_);
  // All objects of a kind, untyped, ordered by (namespace, name).
  std::vector<AnyObject> ListAny(Kind kind) const ABSL_LOCKS_EXCLUDED(mu_);

  // EndpointSlices labelled kubernetes.io/service-name=svc in ns, ordered by name.
  std::vector<std::shared_ptr<const EndpointSlice>> SlicesForService(const std::string& ns,
                                                                     const std::string& svc) const
      ABSL_LOCKS_EXCLUDED(mu_);
  // TrafficSplits in ns whose spec.service is svc, ordered by name.
  std::vector<std::shared_ptr<const TrafficSplit>> SplitsForService(const std::string& ns,
                                                                    const std::string& svc) const
      ABSL_LOCKS_EXCLUDED(mu_);
  // The HTTPRoutes of both groups with a parentRef of kind Service naming ns/svc (any group and
  // port: whether the route attaches is the translator's decision, so it can say why not).
  std::vector<std::shared_ptr<const HTTPRoute>> RoutesForService(const std::string& ns,
                                                                 const std::string& svc) const
      ABSL_LOCKS_EXCLUDED(mu_);
  // The ReferenceGrants of a namespace.
  std::vector<std::shared_ptr<const ReferenceGrant>> GrantsInNamespace(const std::string& ns) const
      ABSL_LOCKS_EXCLUDED(mu_);
  // The Servers (policy.linkerd.io) of a namespace.
  std::vector<std::shared_ptr<const Server>> ServersInNamespace(const std::string& ns) const
      ABSL_LOCKS_EXCLUDED(mu_);
  // Services whose clusterIPs contain ip (normalized text form).
  std::vector<std::shared_ptr<const Service>> ServicesByClusterIP(const std::string& ip) const
      ABSL_LOCKS_EXCLUDED(mu_);
  // Pods whose podIPs contain ip (host-network pods are excluded: their IP is the node's).
  std::vector<std::shared_ptr<const Pod>> PodsByIP(const std::string& ip) const
      ABSL_LOCKS_EXCLUDED(mu_);
  // EndpointSlices with an endpoint whose targetRef is the Pod ns/name, ordered by name.
  std::vector<std::shared_ptr<const EndpointSlice>> SlicesForPod(const std::string& ns,
                                                                 const std::string& pod) const
      ABSL_LOCKS_EXCLUDED(mu_);
  // Endpoints objects with an address whose targetRef is the Pod ns/name.
  std::vector<std::shared_ptr<const Endpoints>> EndpointsForPod(const std::string& ns,
                                                                const std::string& pod) const
      ABSL_LOCKS_EXCLUDED(mu_);
  // Pods in ns whose ownerReferences name `owner` (a ReplicaSet or Job name).
  std::vector<std::shared_ptr<const Pod>> PodsOwnedBy(const std::string& ns,
                                                      const std::string& owner) const
      ABSL_LOCKS_EXCLUDED(mu_);
  // Pods exposing hostPort on hostIP (for host-network pods, their container ports).
  std::vector<std::shared_ptr<const Pod>> PodsByHostPort(const std::string& host_ip,
                                                         int32_t host_port) const
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  using ObjectMap = std::map<NsName, AnyObject>;
  using Index = absl::flat_hash_map<std::string, std::set<NsName>>;

  static void UpdateIndex(Index& index, const std::string& key, const NsName& value, bool add);
  // Adds an object to (or removes it from) the indexes of its kind.
  void IndexLocked(const AnyObject& o, bool add) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void IndexKindLocked(const EndpointSlice& s, const NsName& self, bool add)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void IndexKindLocked(const Endpoints& e, const NsName& self, bool add)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void IndexKindLocked(const TrafficSplit& s, const NsName& self, bool add)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void IndexKindLocked(const Service& s, const NsName& self, bool add)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void IndexKindLocked(const Pod& p, const NsName& self, bool add)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void IndexKindLocked(const Server& s, const NsName& self, bool add)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  template <typename T>
  requires std::is_base_of_v<HTTPRoute, T>
  void IndexKindLocked(const T& r, const NsName& self, bool add)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    IndexRouteLocked(r,
                     KindFor<T> == Kind::kGatewayHTTPRoute ? gateway_routes_by_parent_
                                                           : policy_routes_by_parent_,
                     self, add);
  }
  void IndexRouteLocked(const HTTPRoute& r, Index& index, const NsName& self, bool add)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void IndexKindLocked(const ReferenceGrant& g, const NsName& self, bool add)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  template <typename T>  // the kinds found only by name
  void IndexKindLocked(const T&, const NsName&, bool) {}
  template <typename T>
  std::vector<std::shared_ptr<const T>> LookupLocked(const Index& index,
                                                     const std::string& key) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);

  absl::Mutex apply_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  std::vector<Listener> listeners_ ABSL_GUARDED_BY(apply_mu_);

  mutable absl::Mutex mu_;
  std::array<ObjectMap, kNumKinds> objects_ ABSL_GUARDED_BY(mu_);
  std::array<bool, kNumKinds> synced_ ABSL_GUARDED_BY(mu_) = {};
  // Keyed by ServiceRef::ToString() ("ns/name") for the namespaced ones, by the canonical IP
  // text for the address ones.
  Index slices_by_service_ ABSL_GUARDED_BY(mu_);  // ServiceRef of the Service
  Index splits_by_service_ ABSL_GUARDED_BY(mu_);  // ServiceRef of the apex Service
  Index services_by_ip_ ABSL_GUARDED_BY(mu_);     // "ip"
  Index pods_by_ip_ ABSL_GUARDED_BY(mu_);         // "ip"
  Index pods_by_host_port_ ABSL_GUARDED_BY(mu_);  // "hostIP:port"
  Index slices_by_pod_ ABSL_GUARDED_BY(mu_);      // ServiceRef of the Pod
  Index endpoints_by_pod_ ABSL_GUARDED_BY(mu_);   // ServiceRef of the Pod
  Index pods_by_owner_ ABSL_GUARDED_BY(mu_);      // ServiceRef of the owner
  Index servers_by_ns_ ABSL_GUARDED_BY(mu_);      // namespace
  Index grants_by_ns_ ABSL_GUARDED_BY(mu_);       // namespace
  // ServiceRef of each Service parent, one index per HTTPRoute kind.
  Index gateway_routes_by_parent_ ABSL_GUARDED_BY(mu_);
  Index policy_routes_by_parent_ ABSL_GUARDED_BY(mu_);

  // Metrics (null when no registry).
  std::array<prometheus::Gauge*, kNumKinds> size_gauges_ = {};
  std::array<prometheus::Gauge*, kNumKinds> cache_gauges_ = {};
  std::array<std::array<prometheus::Counter*, 3>, kNumKinds> event_counters_ = {};
};

}  // namespace dest

#endif  // WATCHERS_STORE_STORE_H_
