#include "watchers/store/store.h"

#include <arpa/inet.h>

#include <set>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace dest {

const char* EventTypeName(EventType type) {
  switch (type) {
    case EventType::kAdded:
      return "ADDED";
    case EventType::kModified:
      return "MODIFIED";
    case EventType::kDeleted:
      return "DELETED";
  }
  return "?";
}

std::string CanonicalIp(absl::string_view ip) {
  std::string s(ip);
  char buf[INET6_ADDRSTRLEN];
  in_addr v4;
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    return inet_ntop(AF_INET, &v4, buf, sizeof buf);
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    return inet_ntop(AF_INET6, &v6, buf, sizeof buf);
  }
  return "";
}

Store::Store(prometheus::Registry* registry) {
  if (registry == nullptr) return;
  auto& sizes = prometheus::BuildGauge()
                    .Name("destination_store_objects")
                    .Help("Objects currently in the store, by kind.")
                    .Register(*registry);
  auto& events = prometheus::BuildCounter()
                     .Name("destination_store_events_total")
                     .Help("Events applied to the store, by kind and type.")
                     .Register(*registry);
  for (int k = 0; k < kNumKinds; ++k) {
    const std::string kind = KindLabel(static_cast<Kind>(k));
    size_gauges_[k] = &sizes.Add({{"kind", kind}});
    // Linkerd's destination names this gauge <resource>_cache_size (services_cache_size...); a
    // resource name two groups share gets its group too (httproutes_policy_linkerd_io_...).
    const KindInfo& info = InfoOf(static_cast<Kind>(k));
    std::string resource(info.resource);
    if (NameIsShared(info.kind)) {
      absl::StrAppend(&resource, "_",
                      absl::StrReplaceAll(absl::string_view(info.group.data(), info.group.size()),
                                          {{".", "_"}}));
    }
    cache_gauges_[k] =
        &prometheus::BuildGauge()
             .Name(resource + "_cache_size")
             .Help(absl::StrCat("Objects of kind ", kind,
                                " in the store (Linkerd's name for destination_store_objects)."))
             .Register(*registry)
             .Add({});
    for (int t = 0; t < 3; ++t) {
      event_counters_[k][t] =
          &events.Add({{"kind", kind}, {"type", EventTypeName(static_cast<EventType>(t))}});
    }
  }
}

void Store::AddListener(Listener listener) {
  absl::MutexLock lock(&apply_mu_);
  listeners_.push_back(std::move(listener));
}

size_t Store::Apply(const std::vector<ObjectEvent>& batch) {
  absl::MutexLock apply_lock(&apply_mu_);
  std::vector<StoreChange> changes;
  changes.reserve(batch.size());
  {
    absl::MutexLock lock(&mu_);
    for (const ObjectEvent& ev : batch) {
      const ObjectMeta& meta = MetaOf(ev.object);
      int kind = static_cast<int>(KindOf(ev.object));
      ObjectMap& m = objects_[kind];
      NsName key(meta.ns, meta.name);
      auto it = m.find(key);
      StoreChange change{KeyOf(ev.object), std::nullopt, std::nullopt};
      if (it != m.end()) {
        change.before = it->second;
        IndexLocked(it->second, /*add=*/false);
      }
      if (ev.type == EventType::kDeleted) {
        if (it == m.end()) continue;
        m.erase(it);
      } else {
        m.insert_or_assign(key, ev.object);
        IndexLocked(ev.object, /*add=*/true);
        change.after = ev.object;
      }
      if (event_counters_[kind][static_cast<int>(ev.type)] != nullptr) {
        event_counters_[kind][static_cast<int>(ev.type)]->Increment();
        size_gauges_[kind]->Set(static_cast<double>(m.size()));
        cache_gauges_[kind]->Set(static_cast<double>(m.size()));
      }
      changes.push_back(std::move(change));
    }
  }
  if (!changes.empty()) {
    for (const Listener& l : listeners_) l(changes);
  }
  return changes.size();
}

void Store::UpdateIndex(Index& index, const std::string& key, const NsName& value, bool add) {
  if (add) {
    index[key].insert(value);
    return;
  }
  auto it = index.find(key);
  if (it == index.end()) return;
  it->second.erase(value);
  if (it->second.empty()) index.erase(it);
}

void Store::IndexLocked(const AnyObject& o, bool add) {
  const ObjectMeta& meta = MetaOf(o);
  const NsName self(meta.ns, meta.name);
  std::visit([&](const auto& object)
                 ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { IndexKindLocked(*object, self, add); },
             o);
}

void Store::IndexKindLocked(const EndpointSlice& s, const NsName& self, bool add) {
  if (!s.service_name.empty()) {
    UpdateIndex(slices_by_service_, ServiceRef{s.meta.ns, s.service_name}.ToString(), self, add);
  }
  std::set<std::string> pods;
  for (const SliceEndpoint& ep : s.endpoints) {
    if (auto pod = PodRefOf(ep.target_ref, s.meta.ns)) pods.insert(pod->ToString());
  }
  for (const std::string& pod : pods) UpdateIndex(slices_by_pod_, pod, self, add);
}

void Store::IndexKindLocked(const Endpoints& e, const NsName& self, bool add) {
  std::set<std::string> pods;
  for (const EndpointSubset& subset : e.subsets) {
    for (const auto* list : {&subset.addresses, &subset.not_ready_addresses}) {
      for (const EndpointAddress& a : *list) {
        if (auto pod = PodRefOf(a.target_ref, e.meta.ns)) pods.insert(pod->ToString());
      }
    }
  }
  for (const std::string& pod : pods) UpdateIndex(endpoints_by_pod_, pod, self, add);
}

void Store::IndexKindLocked(const TrafficSplit& s, const NsName& self, bool add) {
  if (!s.service.empty()) {
    UpdateIndex(splits_by_service_, ServiceRef{s.meta.ns, s.service}.ToString(), self, add);
  }
}

void Store::IndexKindLocked(const Service& s, const NsName& self, bool add) {
  for (const std::string& ip : s.cluster_ips) {
    std::string c = CanonicalIp(ip);
    if (!c.empty()) UpdateIndex(services_by_ip_, c, self, add);
  }
}

void Store::IndexRouteLocked(const HTTPRoute& r, Index& index, const NsName& self, bool add) {
  std::set<std::string> parents;
  for (const RouteParentRef& parent : r.parent_refs) {
    if (parent.kind != "Service" || parent.name.empty()) continue;
    parents.insert(ServiceRef{parent.ns.empty() ? r.meta.ns : parent.ns, parent.name}.ToString());
  }
  for (const std::string& parent : parents) UpdateIndex(index, parent, self, add);
}

void Store::IndexKindLocked(const ReferenceGrant& g, const NsName& self, bool add) {
  UpdateIndex(grants_by_ns_, g.meta.ns, self, add);
}

void Store::IndexKindLocked(const Server& s, const NsName& self, bool add) {
  UpdateIndex(servers_by_ns_, s.meta.ns, self, add);
}

void Store::IndexKindLocked(const Pod& p, const NsName& self, bool add) {
  if (!p.host_network) {
    for (const std::string& ip : p.pod_ips) {
      std::string c = CanonicalIp(ip);
      if (!c.empty()) UpdateIndex(pods_by_ip_, c, self, add);
    }
  }
  for (const OwnerReference& owner : p.meta.owner_references) {
    UpdateIndex(pods_by_owner_, ServiceRef{p.meta.ns, owner.name}.ToString(), self, add);
  }
  const std::string host = CanonicalIp(p.host_ip);
  if (host.empty()) return;
  for (const Container& c : p.containers) {
    for (const ContainerPort& port : c.ports) {
      // Host-network pods expose their container ports on the host (the API server defaults
      // hostPort to containerPort for them; manifests may omit it).
      int32_t hp = port.host_port > 0 ? port.host_port : (p.host_network ? port.container_port : 0);
      if (hp > 0) UpdateIndex(pods_by_host_port_, absl::StrCat(host, ":", hp), self, add);
    }
  }
}

template <typename T>
std::vector<std::shared_ptr<const T>> Store::LookupLocked(const Index& index,
                                                          const std::string& key) const {
  std::vector<std::shared_ptr<const T>> out;
  auto it = index.find(key);
  if (it == index.end()) return out;
  const ObjectMap& m = objects_[static_cast<int>(KindFor<T>)];
  for (const NsName& nn : it->second) {
    auto o = m.find(nn);
    if (o != m.end()) out.push_back(std::get<std::shared_ptr<const T>>(o->second));
  }
  return out;
}

void Store::MarkSynced(Kind kind) {
  absl::MutexLock lock(&mu_);
  synced_[static_cast<int>(kind)] = true;
}

bool Store::IsSynced(Kind kind) const {
  absl::ReaderMutexLock lock(&mu_);
  return synced_[static_cast<int>(kind)];
}

bool Store::AllSynced(const std::vector<Kind>& kinds) const {
  absl::ReaderMutexLock lock(&mu_);
  for (Kind k : kinds) {
    if (!synced_[static_cast<int>(k)]) return false;
  }
  return true;
}

std::vector<AnyObject> Store::ListAny(Kind kind) const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<AnyObject> out;
  for (const auto& [k, v] : objects_[static_cast<int>(kind)]) out.push_back(v);
  return out;
}

size_t Store::Count(Kind kind) const {
  absl::ReaderMutexLock lock(&mu_);
  return objects_[static_cast<int>(kind)].size();
}

std::vector<std::shared_ptr<const EndpointSlice>> Store::SlicesForService(
    const std::string& ns, const std::string& svc) const {
  absl::ReaderMutexLock lock(&mu_);
  return LookupLocked<EndpointSlice>(slices_by_service_, ServiceRef{ns, svc}.ToString());
}

std::vector<std::shared_ptr<const Server>> Store::ServersInNamespace(const std::string& ns) const {
  absl::ReaderMutexLock lock(&mu_);
  return LookupLocked<Server>(servers_by_ns_, ns);
}

std::vector<std::shared_ptr<const HTTPRoute>> Store::RoutesForService(
    const std::string& ns, const std::string& svc) const {
  const std::string key = ServiceRef{ns, svc}.ToString();
  absl::ReaderMutexLock lock(&mu_);
  std::vector<std::shared_ptr<const HTTPRoute>> out;
  for (auto& r : LookupLocked<GatewayHTTPRoute>(gateway_routes_by_parent_, key)) {
    out.push_back(std::move(r));
  }
  for (auto& r : LookupLocked<PolicyHTTPRoute>(policy_routes_by_parent_, key)) {
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<std::shared_ptr<const ReferenceGrant>> Store::GrantsInNamespace(
    const std::string& ns) const {
  absl::ReaderMutexLock lock(&mu_);
  return LookupLocked<ReferenceGrant>(grants_by_ns_, ns);
}

std::vector<std::shared_ptr<const TrafficSplit>> Store::SplitsForService(
    const std::string& ns, const std::string& svc) const {
  absl::ReaderMutexLock lock(&mu_);
  return LookupLocked<TrafficSplit>(splits_by_service_, ServiceRef{ns, svc}.ToString());
}

std::vector<std::shared_ptr<const Service>> Store::ServicesByClusterIP(
    const std::string& ip) const {
  absl::ReaderMutexLock lock(&mu_);
  return LookupLocked<Service>(services_by_ip_, CanonicalIp(ip));
}

std::vector<std::shared_ptr<const Pod>> Store::PodsByIP(const std::string& ip) const {
  absl::ReaderMutexLock lock(&mu_);
  return LookupLocked<Pod>(pods_by_ip_, CanonicalIp(ip));
}

std::vector<std::shared_ptr<const EndpointSlice>> Store::SlicesForPod(
    const std::string& ns, const std::string& pod) const {
  absl::ReaderMutexLock lock(&mu_);
  return LookupLocked<EndpointSlice>(slices_by_pod_, ServiceRef{ns, pod}.ToString());
}

std::vector<std::shared_ptr<const Endpoints>> Store::EndpointsForPod(const std::string& ns,
                                                                     const std::string& pod) const {
  absl::ReaderMutexLock lock(&mu_);
  return LookupLocked<Endpoints>(endpoints_by_pod_, ServiceRef{ns, pod}.ToString());
}

std::vector<std::shared_ptr<const Pod>> Store::PodsOwnedBy(const std::string& ns,
                                                           const std::string& owner) const {
  absl::ReaderMutexLock lock(&mu_);
  return LookupLocked<Pod>(pods_by_owner_, ServiceRef{ns, owner}.ToString());
}

std::vector<std::shared_ptr<const Pod>> Store::PodsByHostPort(const std::string& host_ip,
                                                              int32_t host_port) const {
  absl::ReaderMutexLock lock(&mu_);
  return LookupLocked<Pod>(pods_by_host_port_, absl::StrCat(CanonicalIp(host_ip), ":", host_port));
}

}  // namespace dest
