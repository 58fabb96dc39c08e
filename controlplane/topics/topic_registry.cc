#include "controlplane/topics/topic_registry.h"

#include <algorithm>
#include <set>
#include <type_traits>

#include "absl/algorithm/container.h"
#include "absl/hash/hash.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "base/log.h"
#include "controlplane/translate/authority.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace dest {
namespace {

std::string EndpointKeyString(const EndpointKey& k) {
  return absl::StrCat(k.port, "/", k.instance, "/", k.zone);
}

}  // namespace

TopicRegistry::TopicRegistry(const Store* store, TranslatorOptions options,
                             prometheus::Registry* registry, FanoutScheduler* scheduler,
                             RecentEvents* events)
    : store_(store), options_(std::move(options)), scheduler_(scheduler), events_(events) {
  if (registry == nullptr) return;
  recomputes_ = &prometheus::BuildCounter()
                     .Name("destination_topic_recomputes_total")
                     .Help("Topic recomputations caused by store changes.")
                     .Register(*registry)
                     .Add({});
  offers_ = &prometheus::BuildCounter()
                 .Name("destination_topic_stream_offers_total")
                 .Help("New snapshots offered to streams (one per stream per change).")
                 .Register(*registry)
                 .Add({});
  invalid_profiles_ = &prometheus::BuildCounter()
                           .Name("destination_serviceprofile_invalid_total")
                           .Help(
                               "ServiceProfile changes rejected as invalid (proxies keep the last "
                               "valid profile).")
                           .Register(*registry)
                           .Add({});
  unusable_splits_ = &prometheus::BuildCounter()
                          .Name("destination_trafficsplit_unusable_total")
                          .Help(
                              "TrafficSplit changes that cannot be applied (spec.matches, bad "
                              "weights, conflicts).")
                          .Register(*registry)
                          .Add({});
  unusable_routes_ = &prometheus::BuildCounter()
                          .Name("destination_httproute_unusable_total")
                          .Help(
                              "HTTPRoute problems found at a change: routes that cannot be "
                              "expressed as weights, conflicts, Service parents of the wrong "
                              "group, backends without a ReferenceGrant.")
                          .Register(*registry)
                          .Add({});
  unknown_pods_ = &prometheus::BuildCounter()
                       .Name("destination_endpoints_pod_unknown_total")
                       .Help(
                           "Ready endpoint addresses left out because the Pod they name is not "
                           "known (yet, or any more), counted at each change that leaves them out.")
                       .Register(*registry)
                       .Add({});
  profile_updates_ = &prometheus::BuildCounter()
                          .Name("profile_updates")
                          .Help(
                              "Profile topics that changed (one per topic per change, whatever its "
                              "number of streams; Linkerd's name).")
                          .Register(*registry)
                          .Add({});
  endpoint_updates_ = &prometheus::BuildCounter()
                           .Name("endpoints_updates")
                           .Help(
                               "Endpoint topics that changed (one per topic per change, whatever "
                               "its number of streams; Linkerd's name).")
                           .Register(*registry)
                           .Add({});
  endpoints_exists_ = &prometheus::BuildGauge()
                           .Name("endpoints_exists")
                           .Help(
                               "Endpoint topics whose Service exists (Linkerd's name; a count, not "
                               "per Service). Updated at each scrape.")
                           .Register(*registry)
                           .Add({});
  topics_gauge_ = &prometheus::BuildGauge()
                       .Name("destination_topics")
                       .Help("Topics (distinct subscribed keys) alive.")
                       .Register(*registry)
                       .Add({});
}

TopicRegistry::Shard& TopicRegistry::ShardFor(const GroupKey& group) {
  return shards_[absl::HashOf(group) % kShards];
}

size_t TopicRegistry::TopicCount() const {
  size_t n = 0;
  for (const Shard& s : shards_) {
    absl::MutexLock lock(&s.mu);
    for (const auto& [k, t] : s.services) n += t.profiles.size() + t.endpoints.size();
  }
  return n;
}

template <typename T>
std::shared_ptr<T> TopicRegistry::Find(
    const GroupKey& group, const std::string& id,
    std::map<std::string, Entry<T>> ServiceTopics::*member) const {
  const Shard& shard = shards_[absl::HashOf(group) % kShards];
  absl::MutexLock lock(&shard.mu);
  auto svc = shard.services.find(group);
  if (svc == shard.services.end()) return nullptr;
  const auto& topics = svc->second.*member;
  auto it = topics.find(id);
  return it == topics.end() ? nullptr : it->second.topic;
}

std::shared_ptr<ProfileTopic> TopicRegistry::FindProfile(const ProfileKey& key) const {
  return Find(GroupKey::Service(key.service_ref()), absl::StrCat(key.port, "/", key.client_ns),
              &ServiceTopics::profiles);
}

std::shared_ptr<EndpointTopic> TopicRegistry::FindEndpoints(const EndpointKey& key) const {
  return Find(GroupKey::Service(ServiceRef{key.ns, key.service}), EndpointKeyString(key),
              &ServiceTopics::endpoints);
}

std::shared_ptr<EndpointProfileTopic> TopicRegistry::FindEndpointProfile(
    const EndpointProfileKey& key) const {
  return Find(key.Group(), key.ToString(), &ServiceTopics::endpoint_profiles);
}

namespace {

template <typename T>
void FillListing(T& topic, TopicRegistry::Listing* l) {
  auto stats = topic.GetStats();
  l->version = stats.version;
  l->last_change = stats.last_change;
  l->offers = stats.offers;
  l->subscribers = stats.subscribers;
}

}  // namespace

std::vector<TopicRegistry::Listing> TopicRegistry::ListTopics() const {
  std::vector<std::shared_ptr<ProfileTopic>> profiles;
  std::vector<std::shared_ptr<EndpointTopic>> endpoints;
  std::vector<std::shared_ptr<EndpointProfileTopic>> endpoint_profiles;
  for (const Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mu);
    for (const auto& [group, t] : shard.services) {
      for (const auto& [k, e] : t.profiles) profiles.push_back(e.topic);
      for (const auto& [k, e] : t.endpoints) endpoints.push_back(e.topic);
      for (const auto& [k, e] : t.endpoint_profiles) endpoint_profiles.push_back(e.topic);
    }
  }
  const std::string& cd = options_.cluster_domain;
  std::vector<Listing> out;
  out.reserve(profiles.size() + endpoints.size() + endpoint_profiles.size());
  for (const auto& t : profiles) {
    const ProfileKey& k = t->key();
    Listing& l = out.emplace_back();
    l.kind = "profile";
    l.key = k.ToString();
    l.authority = JoinHostPort(ServiceFqdn{k.service_ref()}.Format(cd), k.port);
    if (!k.client_ns.empty()) l.context_token = absl::StrCat("{\"ns\":\"", k.client_ns, "\"}");
    FillListing(*t, &l);
  }
  for (const auto& t : endpoints) {
    const EndpointKey& k = t->key();
    Listing& l = out.emplace_back();
    l.kind = "endpoints";
    l.key = k.ToString();
    l.authority = JoinHostPort(absl::StrCat(k.instance.empty() ? "" : k.instance + ".",
                                            ServiceFqdn{ServiceRef{k.ns, k.service}}.Format(cd)),
                               k.port);
    FillListing(*t, &l);
  }
  for (const auto& t : endpoint_profiles) {
    const EndpointProfileKey& k = t->key();
    Listing& l = out.emplace_back();
    l.kind = "endpoint_profile";
    l.key = k.ToString();
    l.authority =
        k.mode == EndpointProfileKey::Mode::kInstance
            ? JoinHostPort(absl::StrCat(k.instance, ".",
                                        ServiceFqdn{ServiceRef{k.ns, k.service}}.Format(cd)),
                           k.port)
            : JoinHostPort(k.ip, k.port);
    FillListing(*t, &l);
  }
  return out;
}

void TopicRegistry::UpdateScrapeGauges() const {
  if (endpoints_exists_ == nullptr) return;
  std::vector<std::shared_ptr<EndpointTopic>> endpoints;
  for (const Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mu);
    for (const auto& [group, t] : shard.services) {
      for (const auto& [k, e] : t.endpoints) endpoints.push_back(e.topic);
    }
  }
  size_t exists = 0;
  for (const auto& t : endpoints) {
    auto current = t->Current();
    exists += current != nullptr && current->state.exists;
  }
  endpoints_exists_->Set(static_cast<double>(exists));
}

template <typename T, typename Key>
std::shared_ptr<T> TopicRegistry::Acquire(const GroupKey& group, const std::string& id,
                                          const Key& key,
                                          std::map<std::string, Entry<T>> ServiceTopics::*member) {
  Shard& shard = ShardFor(group);
  absl::MutexLock lock(&shard.mu);
  Entry<T>& entry = (shard.services[group].*member)[id];
  if (entry.topic == nullptr) {
    if constexpr (std::is_same_v<T, ProfileTopic>) {
      entry.topic = std::make_shared<T>(key, store_, &options_, &last_valid_);
    } else {
      entry.topic = std::make_shared<T>(key, store_, &options_);
    }
    if (topics_gauge_) topics_gauge_->Increment();
  }
  ++entry.refs;
  return entry.topic;
}

template <typename T>
void TopicRegistry::Release(const GroupKey& group, const std::string& id,
                            std::map<std::string, Entry<T>> ServiceTopics::*member) {
  Shard& shard = ShardFor(group);
  absl::MutexLock lock(&shard.mu);
  auto svc = shard.services.find(group);
  if (svc == shard.services.end()) return;
  auto& topics = svc->second.*member;
  auto it = topics.find(id);
  if (it == topics.end() || --it->second.refs > 0) return;
  topics.erase(it);
  if (topics_gauge_) topics_gauge_->Decrement();
  if (svc->second.empty()) shard.services.erase(svc);
}

std::shared_ptr<ProfileTopic> TopicRegistry::AcquireProfile(const ProfileKey& key) {
  return Acquire(GroupKey::Service(key.service_ref()), absl::StrCat(key.port, "/", key.client_ns),
                 key, &ServiceTopics::profiles);
}

void TopicRegistry::ReleaseProfile(const ProfileTopic& topic) {
  Release(GroupKey::Service(topic.key().service_ref()),
          absl::StrCat(topic.key().port, "/", topic.key().client_ns), &ServiceTopics::profiles);
}

std::shared_ptr<EndpointTopic> TopicRegistry::AcquireEndpoints(const EndpointKey& key) {
  return Acquire(GroupKey::Service(ServiceRef{key.ns, key.service}), EndpointKeyString(key), key,
                 &ServiceTopics::endpoints);
}

void TopicRegistry::ReleaseEndpoints(const EndpointTopic& topic) {
  Release(GroupKey::Service(ServiceRef{topic.key().ns, topic.key().service}),
          EndpointKeyString(topic.key()), &ServiceTopics::endpoints);
}

std::shared_ptr<EndpointProfileTopic> TopicRegistry::AcquireEndpointProfile(
    const EndpointProfileKey& key) {
  return Acquire(key.Group(), key.ToString(), key, &ServiceTopics::endpoint_profiles);
}

void TopicRegistry::ReleaseEndpointProfile(const EndpointProfileTopic& topic) {
  Release(topic.key().Group(), topic.key().ToString(), &ServiceTopics::endpoint_profiles);
}

void TopicRegistry::AddPodGroups(const Pod& pod, std::set<GroupKey>* groups) const {
  for (const auto& slice : store_->SlicesForPod(pod.meta.ns, pod.meta.name)) {
    groups->insert(GroupKey::Service(ServiceRef{slice->meta.ns, slice->service_name}));
  }
  for (const auto& eps : store_->EndpointsForPod(pod.meta.ns, pod.meta.name)) {
    groups->insert(GroupKey::Service(ServiceRef{eps->meta.ns, eps->meta.name}));
  }
  for (const std::string& ip : pod.pod_ips) {
    std::string c = CanonicalIp(ip);
    if (!c.empty()) groups->insert(GroupKey::Address(c));
  }
  std::string host = CanonicalIp(pod.host_ip);
  if (!host.empty()) groups->insert(GroupKey::Address(host));
}

void TopicRegistry::AddServerGroups(const StoreChange& c, std::set<GroupKey>* groups) const {
  // The pods it selects, before and after (one pass over the pods): their ports' opaque hint may
  // change.
  std::vector<const Server*> servers;
  for (const auto* o : {&c.before, &c.after}) {
    if (*o) servers.push_back(std::get<std::shared_ptr<const Server>>(**o).get());
  }
  for (const auto& pod : store_->List<Pod>()) {
    if (pod->meta.ns != c.key.ns) continue;
    for (const Server* server : servers) {
      if (SelectorMatches(server->pod_selector, pod->meta.labels)) {
        AddPodGroups(*pod, groups);
        break;
      }
    }
  }
}

void TopicRegistry::ReportProfile(const ServiceProfile& sp) {
  absl::StatusOr<TranslatedServiceProfile> t = TranslateServiceProfile(sp, 80);
  if (t.ok()) return;
  if (invalid_profiles_) invalid_profiles_->Increment();
  Log(LogLevel::kWarn, "invalid ServiceProfile ignored; proxies keep the last valid profile",
      {{"namespace", sp.meta.ns}, {"name", sp.meta.name}, {"reason", t.status().message()}});
  if (events_) {
    events_->Record(
        "serviceprofile_invalid",
        absl::StrCat("ServiceProfile ", ServiceRef{sp.meta.ns, sp.meta.name}.ToString()),
        absl::StrCat(t.status().message(),
                     last_valid_.profiles.HasLastValid(sp.meta.ns, sp.meta.name)
                         ? " (its last valid version stays in force)"
                         : " (no valid version yet: served without it)"));
  }
}

void TopicRegistry::ReportSplit(const TrafficSplit& split, std::set<std::string>* reported) {
  ProfileInputs in;
  in.service_name = split.service;
  in.service_ns = split.meta.ns;
  in.splits = last_valid_.SplitsInForce(store_->SplitsForService(split.meta.ns, split.service));
  ProfileNotes notes;
  BuildProfile(in, nullptr, options_, &notes);
  auto is_this = [&split](const TrafficSplit* s) {
    return s != nullptr && s->meta.ns == split.meta.ns && s->meta.name == split.meta.name;
  };
  // What this change leaves unapplied: this split (its own problem, or a conflict with an older
  // one), or the splits it now wins a conflict against. The split that applies is never reported.
  std::vector<std::pair<const TrafficSplit*, std::string>> problems;
  for (const ProfileNotes::IgnoredSplit& ignored : notes.splits_ignored) {
    if (is_this(ignored.split) || is_this(ignored.conflicts_with)) {
      problems.emplace_back(ignored.split, ignored.reason);
    }
  }
  if (absl::Status valid = ValidateSplitWeights(split);
      !valid.ok() && last_valid_.splits.HasLastValid(split.meta.ns, split.meta.name)) {
    problems.emplace_back(&split,
                          absl::StrCat(valid.message(), ": its last valid weights stay in force"));
  }
  for (const auto& [ignored, reason] : problems) {
    const std::string name = ServiceRef{ignored->meta.ns, ignored->meta.name}.ToString();
    // Two splits of one conflict changing in one batch report the loser once.
    if (!reported->insert(name).second) continue;
    if (unusable_splits_) unusable_splits_->Increment();
    Log(LogLevel::kWarn, "TrafficSplit problem",
        {{"trafficsplit", name}, {"service", ignored->service}, {"reason", reason}});
    if (events_) events_->Record("trafficsplit_not_applied", "TrafficSplit " + name, reason);
  }
}

void TopicRegistry::AddRouteGroups(const HTTPRoute& route, std::set<GroupKey>* groups) const {
  for (const RouteParentRef& parent : route.parent_refs) {
    if (parent.kind != "Service") continue;
    groups->insert(
        GroupKey::Service(ServiceRef{parent.ns.empty() ? route.meta.ns : parent.ns, parent.name}));
  }
}

void TopicRegistry::ReportRoute(const HTTPRoute& route, std::set<std::string>* reported) {
  auto is_this = [&route](const HTTPRoute* r) {
    return r != nullptr && r->meta.ns == route.meta.ns && r->meta.name == route.meta.name &&
           r->api_version == route.api_version;
  };
  // One look per Service parent, at its port (or each port of the Service when it names none),
  // as a client of the route's namespace sees it (so a consumer route is looked at as applying).
  std::vector<std::pair<const HTTPRoute*, std::string>> problems;
  std::set<std::string> seen;
  for (const RouteParentRef& parent : route.parent_refs) {
    if (parent.kind != "Service") continue;
    ProfileInputs in;
    in.service_ns = parent.ns.empty() ? route.meta.ns : parent.ns;
    in.service_name = parent.name;
    in.service = store_->Get<Service>(in.service_ns, in.service_name);
    if (route.meta.ns != in.service_ns) in.client_ns = route.meta.ns;
    ReadRoutes(*store_, in.service_ns, in.service_name, &in);
    std::vector<uint32_t> ports;
    if (parent.port) {
      ports.push_back(static_cast<uint32_t>(*parent.port));
    } else if (in.service != nullptr && !in.service->ports.empty()) {
      for (const ServicePort& p : in.service->ports) ports.push_back(static_cast<uint32_t>(p.port));
    } else {
      ports.push_back(80);
    }
    for (uint32_t port : ports) {
      in.port = port;
      ProfileNotes notes;
      BuildProfile(in, nullptr, options_, &notes);
      for (const ProfileNotes::IgnoredRoute& ignored : notes.routes_ignored) {
        if (!ignored.problem || !(is_this(ignored.route) || is_this(ignored.conflicts_with))) {
          continue;
        }
        // The same problem seen from several ports or parents is one problem.
        if (seen.insert(absl::StrCat(RouteName(*ignored.route), "\n", ignored.reason)).second) {
          problems.emplace_back(ignored.route, ignored.reason);
        }
      }
    }
    // The routes of `in` die with it: report what this parent found before the next.
    for (const auto& [ignored, reason] : problems) {
      const std::string name = RouteName(*ignored);
      if (!reported->insert(absl::StrCat(name, "\n", reason)).second) continue;
      if (unusable_routes_) unusable_routes_->Increment();
      Log(LogLevel::kWarn, "HTTPRoute not applied",
          {{"httproute", name},
           {"service", ServiceRef{in.service_ns, in.service_name}.ToString()},
           {"reason", reason}});
      if (events_) events_->Record("httproute_not_applied", name, reason);
    }
    problems.clear();
  }
}

void TopicRegistry::OnRouteChange(const StoreChange& c, std::set<GroupKey>* groups,
                                  std::set<std::string>* reported) {
  for (const auto* o : {&c.before, &c.after}) {
    if (*o) AddRouteGroups(*RouteOf(**o), groups);
  }
  if (c.after) ReportRoute(*RouteOf(*c.after), reported);
}

void TopicRegistry::OnGrantChange(const StoreChange& c, std::set<GroupKey>* groups,
                                  std::set<std::string>* reported) {
  // Rare, and routes are few: a pass over the routes of both kinds for those with a backend in
  // the grant's namespace, from another.
  auto visit = [&](const auto& routes) {
    for (const auto& route : routes) {
      for (const std::string& ns : CrossNamespaceBackends({route})) {
        if (ns != c.key.ns) continue;
        AddRouteGroups(*route, groups);
        ReportRoute(*route, reported);
      }
    }
  };
  visit(store_->List<GatewayHTTPRoute>());
  visit(store_->List<PolicyHTTPRoute>());
}

template <typename T>
void TopicRegistry::ReportUnknownPods(const T& object) {
  // Before the first full list of Pods every Pod is unknown: that is startup, not news.
  if (!store_->IsSynced(Kind::kPod)) return;
  LogUnknownPods(KindFor<T>, object.meta, UnknownPods(*store_, ReadyPodRefs(object)));
}

void TopicRegistry::ReportGonePod(const Pod& pod) {
  if (!store_->IsSynced(Kind::kPod)) return;
  const ServiceRef self{pod.meta.ns, pod.meta.name};
  auto report_if_listed = [&](const auto& object) {
    if (absl::c_linear_search(ReadyPodRefs(object), self)) {
      LogUnknownPods(KindFor<std::decay_t<decltype(object)>>, object.meta, {self.ToString()});
    }
  };
  for (const auto& slice : store_->SlicesForPod(pod.meta.ns, pod.meta.name)) {
    report_if_listed(*slice);
  }
  for (const auto& eps : store_->EndpointsForPod(pod.meta.ns, pod.meta.name)) {
    report_if_listed(*eps);
  }
}

void TopicRegistry::LogUnknownPods(Kind kind, const ObjectMeta& meta,
                                   const std::vector<std::string>& pods) {
  if (pods.empty()) return;
  if (unknown_pods_) unknown_pods_->Increment(static_cast<double>(pods.size()));
  if (events_) {
    events_->Record(
        "endpoints_pod_unknown",
        absl::StrCat(KindName(kind), " ", ServiceRef{meta.ns, meta.name}.ToString()),
        absl::StrCat(
            pods.size(),
            " ready address(es) left out until their Pod is "
            "known: ",
            absl::StrJoin(pods.begin(), pods.begin() + std::min<size_t>(pods.size(), 5), ",")));
  }
  Log(LogLevel::kInfo, "endpoint addresses left out until their Pod is known",
      {{"kind", KindName(kind)},
       {"namespace", meta.ns},
       {"name", meta.name},
       {"addresses", pods.size()},
       {"pods",
        absl::StrJoin(pods.begin(), pods.begin() + std::min<size_t>(pods.size(), 5), ",")}});
}

void TopicRegistry::OnStoreChanges(const std::vector<StoreChange>& changes) {
  const absl::Time changed_at = absl::Now();  // the store applied them just now
  bool zones = false;
  const std::set<GroupKey> groups = GroupsAffectedBy(changes, &zones);
  RecomputeGroups(groups, zones, changed_at);
}

void TopicRegistry::OnProfileChange(const StoreChange& c, std::set<GroupKey>* groups) {
  last_valid_.profiles.Observe(
      c.key.ns, c.key.name,
      c.after ? std::get<std::shared_ptr<const ServiceProfile>>(*c.after) : nullptr);
  // Named svc.ns.svc.CD; it may live in the Service's or a client's namespace.
  if (auto fqdn = ServiceFqdn::Parse(c.key.name, options_.cluster_domain)) {
    groups->insert(GroupKey::Service(fqdn->service));
  }
  if (c.after) ReportProfile(*std::get<std::shared_ptr<const ServiceProfile>>(*c.after));
}

void TopicRegistry::OnSplitChange(const StoreChange& c, std::set<GroupKey>* groups,
                                  std::set<std::string>* reported) {
  last_valid_.splits.Observe(
      c.key.ns, c.key.name,
      c.after ? std::get<std::shared_ptr<const TrafficSplit>>(*c.after) : nullptr);
  for (const auto* o : {&c.before, &c.after}) {  // the apex Service before and after
    if (*o) {
      groups->insert(GroupKey::Service(
          ServiceRef{c.key.ns, std::get<std::shared_ptr<const TrafficSplit>>(**o)->service}));
    }
  }
  if (c.after) ReportSplit(*std::get<std::shared_ptr<const TrafficSplit>>(*c.after), reported);
}

std::set<GroupKey> TopicRegistry::GroupsAffectedBy(const std::vector<StoreChange>& changes,
                                                   bool* zones) {
  std::set<GroupKey> groups;
  std::set<std::string> reported_splits;  // "ns/name" of the splits reported in this batch
  std::set<std::string> reported_routes;  // route and reason of the problems reported
  for (const StoreChange& c : changes) {
    switch (c.key.kind) {
      case Kind::kService:
        groups.insert(GroupKey::Service(ServiceRef{c.key.ns, c.key.name}));
        break;
      case Kind::kEndpoints:
        groups.insert(GroupKey::Service(ServiceRef{c.key.ns, c.key.name}));
        if (c.after) ReportUnknownPods(*std::get<std::shared_ptr<const Endpoints>>(*c.after));
        break;
      case Kind::kEndpointSlice:
        for (const auto* o : {&c.before, &c.after}) {
          if (*o) {
            groups.insert(GroupKey::Service(ServiceRef{
                c.key.ns, std::get<std::shared_ptr<const EndpointSlice>>(**o)->service_name}));
          }
        }
        if (c.after) ReportUnknownPods(*std::get<std::shared_ptr<const EndpointSlice>>(*c.after));
        break;
      case Kind::kServiceProfile:
        OnProfileChange(c, &groups);
        break;
      case Kind::kTrafficSplit:
        OnSplitChange(c, &groups, &reported_splits);
        break;
      case Kind::kPod:
        for (const auto* o : {&c.before, &c.after}) {
          if (*o) AddPodGroups(*std::get<std::shared_ptr<const Pod>>(**o), &groups);
        }
        if (c.before && !c.after) ReportGonePod(*std::get<std::shared_ptr<const Pod>>(*c.before));
        break;
      case Kind::kReplicaSet:
      case Kind::kJob:
        // The owner chain of the pods it owns changed.
        for (const auto& pod : store_->PodsOwnedBy(c.key.ns, c.key.name)) {
          AddPodGroups(*pod, &groups);
        }
        break;
      case Kind::kNode:
        *zones = true;
        break;
      case Kind::kServer:
        AddServerGroups(c, &groups);
        break;
      case Kind::kGatewayHTTPRoute:
      case Kind::kPolicyHTTPRoute:
        OnRouteChange(c, &groups, &reported_routes);
        break;
      case Kind::kReferenceGrant:
        OnGrantChange(c, &groups, &reported_routes);
        break;
    }
  }
  return groups;
}

void TopicRegistry::RecomputeGroups(const std::set<GroupKey>& groups, bool zones,
                                    absl::Time changed_at) {
  std::vector<std::shared_ptr<ProfileTopic>> profiles;
  std::vector<std::shared_ptr<EndpointTopic>> endpoints;
  std::vector<std::shared_ptr<EndpointProfileTopic>> endpoint_profiles;
  auto collect = [&](const ServiceTopics& t) {
    for (const auto& [k, e] : t.profiles) profiles.push_back(e.topic);
    for (const auto& [k, e] : t.endpoints) endpoints.push_back(e.topic);
    for (const auto& [k, e] : t.endpoint_profiles) endpoint_profiles.push_back(e.topic);
  };
  for (const GroupKey& group : groups) {
    Shard& shard = ShardFor(group);
    absl::MutexLock lock(&shard.mu);
    auto it = shard.services.find(group);
    if (it != shard.services.end()) collect(it->second);
  }
  if (zones) {
    // Rare: a Node changed. Recompute zone-filtered endpoint topics (their key's zone was taken
    // when the stream opened; their hints may select differently now).
    for (Shard& shard : shards_) {
      absl::MutexLock lock(&shard.mu);
      for (const auto& [group, t] : shard.services) {
        if (groups.count(group)) continue;
        for (const auto& [k, e] : t.endpoints) {
          if (!e.topic->key().zone.empty()) endpoints.push_back(e.topic);
        }
      }
    }
  }
  size_t offered = 0;
  size_t profile_changes = 0;
  size_t endpoint_changes = 0;
  auto recompute = [&](auto& topic, size_t* changes) {
    bool changed = false;
    offered += topic->Recompute(scheduler_, changed_at, &changed);
    *changes += changed;
  };
  for (const auto& t : profiles) recompute(t, &profile_changes);
  for (const auto& t : endpoints) recompute(t, &endpoint_changes);
  for (const auto& t : endpoint_profiles) recompute(t, &profile_changes);
  if (recomputes_) {
    profile_updates_->Increment(static_cast<double>(profile_changes));
    endpoint_updates_->Increment(static_cast<double>(endpoint_changes));
    recomputes_->Increment(
        static_cast<double>(profiles.size() + endpoints.size() + endpoint_profiles.size()));
    offers_->Increment(static_cast<double>(offered));
  }
}

}  // namespace dest
