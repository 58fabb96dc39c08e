// Finds, creates and retires topics, and turns store changes into topic recomputations: the link
// between the Store and the streams.
//
// Topics are grouped by Service ("ns/svc") into shards, each with its own mutex, so many streams
// opening at once for different Services do not contend, and a change touches only the topics
// that depend on it. A topic lives while at least one stream holds it.
//
// Thread-safe. OnStoreChanges() is called by the Store (one batch at a time); Acquire/Release by
// gRPC threads. No registry lock is held while computing or offering snapshots.
#ifndef CONTROLPLANE_TOPICS_TOPIC_REGISTRY_H_
#define CONTROLPLANE_TOPICS_TOPIC_REGISTRY_H_

#include <array>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "base/recent_events.h"
#include "controlplane/topics/endpoint_profile_topic.h"
#include "controlplane/topics/endpoint_topic.h"
#include "controlplane/topics/fanout_scheduler.h"
#include "controlplane/topics/group_key.h"
#include "controlplane/topics/last_valid.h"
#include "controlplane/topics/profile_topic.h"
#include "watchers/store/store.h"

namespace prometheus {
class Registry;
class Counter;
class Gauge;
}  // namespace prometheus

namespace dest {

class TopicRegistry {
 public:
  // `scheduler` makes the offers of every change off the changing thread (null: every offer on
  // the changing thread, synchronously); it and `store` must outlive the registry. `registry` may
  // be null (no metrics). `events` (may be null) records invalid ServiceProfiles, splits not
  // applied and addresses left out, for the debug page; it must outlive the registry.
  TopicRegistry(const Store* store, TranslatorOptions options, prometheus::Registry* registry,
                FanoutScheduler* scheduler, RecentEvents* events = nullptr);

  // The store listener: recomputes every topic the changes may affect, and logs and counts
  // invalid ServiceProfiles and unusable TrafficSplits once per change.
  void OnStoreChanges(const std::vector<StoreChange>& changes);

  // Returns the topic for key, creating it on first use. Each Acquire is paired with a Release.
  std::shared_ptr<ProfileTopic> AcquireProfile(const ProfileKey& key);
  void ReleaseProfile(const ProfileTopic& topic);
  std::shared_ptr<EndpointTopic> AcquireEndpoints(const EndpointKey& key);
  void ReleaseEndpoints(const EndpointTopic& topic);
  std::shared_ptr<EndpointProfileTopic> AcquireEndpointProfile(const EndpointProfileKey& key);
  void ReleaseEndpointProfile(const EndpointProfileTopic& topic);

  const TranslatorOptions& options() const { return options_; }
  const LastValidObjects& last_valid() const { return last_valid_; }
  size_t TopicCount() const;

  // For Explain: the topic alive for a key, or null (never creates one).
  std::shared_ptr<ProfileTopic> FindProfile(const ProfileKey& key) const;
  std::shared_ptr<EndpointTopic> FindEndpoints(const EndpointKey& key) const;
  std::shared_ptr<EndpointProfileTopic> FindEndpointProfile(const EndpointProfileKey& key) const;

  // One topic alive, for Debug/Topics and the debug page.
  struct Listing {
    std::string kind;  // "profile", "endpoints", "endpoint_profile"
    std::string key;
    std::string authority;      // what explains it
    std::string context_token;  // with this token
    uint64_t version = 0;
    absl::Time last_change = absl::InfinitePast();
    uint64_t offers = 0;
    size_t subscribers = 0;
  };
  // Every topic alive, in no particular order. Takes each shard's lock briefly; the topics' own
  // figures are read after.
  std::vector<Listing> ListTopics() const;

  // Sets the gauges computed on demand (endpoints_exists). Called before a scrape.
  void UpdateScrapeGauges() const;

 private:
  template <typename T>
  struct Entry {
    std::shared_ptr<T> topic;
    size_t refs = 0;
  };
  // The topics of one group (group_key.h).
  struct ServiceTopics {
    std::map<std::string, Entry<ProfileTopic>> profiles;
    std::map<std::string, Entry<EndpointTopic>> endpoints;
    std::map<std::string, Entry<EndpointProfileTopic>> endpoint_profiles;
    bool empty() const {
      return profiles.empty() && endpoints.empty() && endpoint_profiles.empty();
    }
  };
  struct Shard {
    mutable absl::Mutex mu;
    absl::flat_hash_map<GroupKey, ServiceTopics> services ABSL_GUARDED_BY(mu);
  };
  static constexpr size_t kShards = 32;

  Shard& ShardFor(const GroupKey& group);
  template <typename T>
  std::shared_ptr<T> Find(const GroupKey& group, const std::string& id,
                          std::map<std::string, Entry<T>> ServiceTopics::*member) const;
  template <typename T, typename Key>
  std::shared_ptr<T> Acquire(const GroupKey& group, const std::string& id, const Key& key,
                             std::map<std::string, Entry<T>> ServiceTopics::*member);
  template <typename T>
  void Release(const GroupKey& group, const std::string& id,
               std::map<std::string, Entry<T>> ServiceTopics::*member);
  // Adds the groups whose topics depend on a pod: its Services (through the slices and Endpoints
  // that reference it) and its addresses.
  void AddPodGroups(const Pod& pod, std::set<GroupKey>* groups) const;
  // The groups whose topics the changes can affect (and last valid objects and problem reports
  // updated on the way); *zones set when a Node changed (zone-filtered endpoint topics).
  std::set<GroupKey> GroupsAffectedBy(const std::vector<StoreChange>& changes, bool* zones);
  // Recomputes the topics of those groups (and every zone-filtered endpoint topic when `zones`).
  void RecomputeGroups(const std::set<GroupKey>& groups, bool zones, absl::Time changed_at);
  void AddServerGroups(const StoreChange& change, std::set<GroupKey>* groups) const;
  // A ServiceProfile or TrafficSplit change: its last valid version noted, the groups it affects
  // added, its problems reported.
  void OnProfileChange(const StoreChange& c, std::set<GroupKey>* groups);
  void OnSplitChange(const StoreChange& c, std::set<GroupKey>* groups,
                     std::set<std::string>* reported);
  // An HTTPRoute change: the Services it names before and after; a ReferenceGrant change: the
  // Services of the routes with backends in its namespace. Problems reported on the way.
  void OnRouteChange(const StoreChange& c, std::set<GroupKey>* groups,
                     std::set<std::string>* reported);
  void OnGrantChange(const StoreChange& c, std::set<GroupKey>* groups,
                     std::set<std::string>* reported);
  void AddRouteGroups(const HTTPRoute& route, std::set<GroupKey>* groups) const;
  // Logs, counts and records what this route's change leaves unapplied (the route, or the routes
  // it now wins a conflict against), at each Service port it attaches to.
  void ReportRoute(const HTTPRoute& route, std::set<std::string>* reported);
  void ReportProfile(const ServiceProfile& sp);
  // Logs, counts and records the splits this change leaves unapplied; `reported` holds those
  // already reported in the same batch.
  void ReportSplit(const TrafficSplit& split, std::set<std::string>* reported);
  // Logs and counts ready addresses of a slice or Endpoints left out because their Pod is unknown
  // (once Pods have synced): at each change of the slice, and when a Pod they name goes.
  template <typename T>  // EndpointSlice or Endpoints
  void ReportUnknownPods(const T& object);
  void ReportGonePod(const Pod& pod);
  void LogUnknownPods(Kind kind, const ObjectMeta& meta, const std::vector<std::string>& pods);

  const Store* const store_;
  const TranslatorOptions options_;
  FanoutScheduler* const scheduler_;
  RecentEvents* const events_;
  LastValidObjects last_valid_;
  std::array<Shard, kShards> shards_;

  prometheus::Counter* recomputes_ = nullptr;
  prometheus::Counter* offers_ = nullptr;
  prometheus::Counter* invalid_profiles_ = nullptr;
  prometheus::Counter* unusable_splits_ = nullptr;
  prometheus::Counter* unusable_routes_ = nullptr;
  prometheus::Counter* unknown_pods_ = nullptr;
  prometheus::Gauge* topics_gauge_ = nullptr;
  prometheus::Counter* profile_updates_ = nullptr;
  prometheus::Counter* endpoint_updates_ = nullptr;
  prometheus::Gauge* endpoints_exists_ = nullptr;
};

}  // namespace dest

#endif  // CONTROLPLANE_TOPICS_TOPIC_REGISTRY_H_
