#include "controlplane/topic_registry.h"

#include <set>

#include "absl/hash/hash.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "watchers/log.h"

namespace dest {
namespace {

std::string EndpointKeyString(const EndpointKey& k) {
  return absl::StrCat(k.port, "/", k.instance);
}

}  // namespace

TopicRegistry::TopicRegistry(const Store* store, TranslatorOptions options,
                             prometheus::Registry* registry)
    : store_(store), options_(std::move(options)) {
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
  topics_gauge_ = &prometheus::BuildGauge()
                       .Name("destination_topics")
                       .Help("Topics (distinct subscribed keys) alive.")
                       .Register(*registry)
                       .Add({});
}

TopicRegistry::Shard& TopicRegistry::ShardFor(const std::string& service_key) {
  return shards_[absl::HashOf(service_key) % kShards];
}

size_t TopicRegistry::TopicCount() const {
  size_t n = 0;
  for (const Shard& s : shards_) {
    absl::MutexLock lock(&s.mu);
    for (const auto& [k, t] : s.services) n += t.profiles.size() + t.endpoints.size();
  }
  return n;
}

std::shared_ptr<ProfileTopic> TopicRegistry::AcquireProfile(const ProfileKey& key) {
  std::string skey = key.ServiceKey();
  Shard& shard = ShardFor(skey);
  absl::MutexLock lock(&shard.mu);
  auto& entry = shard.services[skey].profiles[absl::StrCat(key.port, "/", key.client_ns)];
  if (entry.topic == nullptr) {
    entry.topic = std::make_shared<ProfileTopic>(key, store_, &options_);
    if (topics_gauge_) topics_gauge_->Increment();
  }
  ++entry.refs;
  return entry.topic;
}

void TopicRegistry::ReleaseProfile(const ProfileTopic& topic) {
  std::string skey = topic.key().ServiceKey();
  Shard& shard = ShardFor(skey);
  absl::MutexLock lock(&shard.mu);
  auto svc = shard.services.find(skey);
  if (svc == shard.services.end()) return;
  auto it = svc->second.profiles.find(absl::StrCat(topic.key().port, "/", topic.key().client_ns));
  if (it == svc->second.profiles.end() || --it->second.refs > 0) return;
  svc->second.profiles.erase(it);
  if (topics_gauge_) topics_gauge_->Decrement();
  if (svc->second.profiles.empty() && svc->second.endpoints.empty()) shard.services.erase(svc);
}

std::shared_ptr<EndpointTopic> TopicRegistry::AcquireEndpoints(const EndpointKey& key) {
  std::string skey = key.ns + "/" + key.service;
  Shard& shard = ShardFor(skey);
  absl::MutexLock lock(&shard.mu);
  auto& entry = shard.services[skey].endpoints[EndpointKeyString(key)];
  if (entry.topic == nullptr) {
    entry.topic = std::make_shared<EndpointTopic>(key, store_, &options_);
    if (topics_gauge_) topics_gauge_->Increment();
  }
  ++entry.refs;
  return entry.topic;
}

void TopicRegistry::ReleaseEndpoints(const EndpointTopic& topic) {
  std::string skey = topic.ServiceKey();
  Shard& shard = ShardFor(skey);
  absl::MutexLock lock(&shard.mu);
  auto svc = shard.services.find(skey);
  if (svc == shard.services.end()) return;
  auto it = svc->second.endpoints.find(EndpointKeyString(topic.key()));
  if (it == svc->second.endpoints.end() || --it->second.refs > 0) return;
  svc->second.endpoints.erase(it);
  if (topics_gauge_) topics_gauge_->Decrement();
  if (svc->second.profiles.empty() && svc->second.endpoints.empty()) shard.services.erase(svc);
}

void TopicRegistry::ReportProfile(const ServiceProfile& sp) {
  absl::StatusOr<TranslatedServiceProfile> t = TranslateServiceProfile(sp, 80);
  if (t.ok()) return;
  if (invalid_profiles_) invalid_profiles_->Increment();
  Log(LogLevel::kWarn, "invalid ServiceProfile ignored; proxies keep the last valid profile",
      {{"namespace", sp.meta.ns}, {"name", sp.meta.name}, {"reason", t.status().message()}});
}

void TopicRegistry::ReportSplit(const TrafficSplit& split) {
  ProfileInputs in;
  in.service_name = split.service;
  in.service_ns = split.meta.ns;
  in.splits = store_->SplitsForService(split.meta.ns, split.service);
  ProfileNotes notes;
  BuildProfile(in, nullptr, options_, &notes);
  for (const std::string& w : notes.warnings) {
    if (unusable_splits_) unusable_splits_->Increment();
    Log(LogLevel::kWarn, "TrafficSplit problem",
        {{"namespace", split.meta.ns}, {"service", split.service}, {"reason", w}});
  }
}

void TopicRegistry::OnStoreChanges(const std::vector<StoreChange>& changes) {
  std::set<std::string> services;    // "ns/svc" whose topics depend on the change
  std::set<std::string> namespaces;  // endpoint topics of every Service in these namespaces
  bool all_endpoints = false;
  const std::string profile_suffix = absl::StrCat(".svc.", options_.cluster_domain);
  for (const StoreChange& c : changes) {
    switch (c.key.kind) {
      case Kind::kService:
      case Kind::kEndpoints:
        services.insert(c.key.ns + "/" + c.key.name);
        break;
      case Kind::kEndpointSlice:
        for (const auto* o : {&c.before, &c.after}) {
          if (*o) {
            services.insert(c.key.ns + "/" +
                            std::get<std::shared_ptr<const EndpointSlice>>(**o)->service_name);
          }
        }
        break;
      case Kind::kServiceProfile: {
        // Named svc.ns.svc.CD; it may live in the Service's or a client's namespace.
        if (absl::EndsWith(c.key.name, profile_suffix)) {
          std::vector<std::string> parts =
              absl::StrSplit(c.key.name.substr(0, c.key.name.size() - profile_suffix.size()), '.');
          if (parts.size() == 2) services.insert(parts[1] + "/" + parts[0]);
        }
        if (c.after) ReportProfile(*std::get<std::shared_ptr<const ServiceProfile>>(*c.after));
        break;
      }
      case Kind::kTrafficSplit:
        for (const auto* o : {&c.before, &c.after}) {
          if (*o) {
            services.insert(c.key.ns + "/" +
                            std::get<std::shared_ptr<const TrafficSplit>>(**o)->service);
          }
        }
        if (c.after) ReportSplit(*std::get<std::shared_ptr<const TrafficSplit>>(*c.after));
        break;
      case Kind::kPod:
      case Kind::kReplicaSet:
      case Kind::kJob:
        namespaces.insert(c.key.ns);
        break;
      case Kind::kNode:
        all_endpoints = true;
        break;
    }
  }

  std::vector<std::shared_ptr<ProfileTopic>> profiles;
  std::vector<std::shared_ptr<EndpointTopic>> endpoints;
  if (namespaces.empty() && !all_endpoints) {
    // The common case: look up only the Services named by the changes.
    for (const std::string& skey : services) {
      Shard& shard = ShardFor(skey);
      absl::MutexLock lock(&shard.mu);
      auto it = shard.services.find(skey);
      if (it == shard.services.end()) continue;
      for (const auto& [k, e] : it->second.profiles) profiles.push_back(e.topic);
      for (const auto& [k, e] : it->second.endpoints) endpoints.push_back(e.topic);
    }
  } else {
    for (Shard& shard : shards_) {
      absl::MutexLock lock(&shard.mu);
      for (const auto& [skey, topics] : shard.services) {
        bool svc_hit = services.count(skey) > 0;
        bool ep_hit = svc_hit || all_endpoints ||
                      (!namespaces.empty() && namespaces.count(skey.substr(0, skey.find('/'))));
        if (svc_hit) {
          for (const auto& [k, e] : topics.profiles) profiles.push_back(e.topic);
        }
        if (ep_hit) {
          for (const auto& [k, e] : topics.endpoints) endpoints.push_back(e.topic);
        }
      }
    }
  }
  size_t offered = 0;
  for (const auto& t : profiles) offered += t->Recompute();
  for (const auto& t : endpoints) offered += t->Recompute();
  if (recomputes_) {
    recomputes_->Increment(static_cast<double>(profiles.size() + endpoints.size()));
    offers_->Increment(static_cast<double>(offered));
  }
}

}  // namespace dest
