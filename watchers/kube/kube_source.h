// The Kubernetes source: one reflector per watched kind, each doing list-then-watch against the
// API server and feeding the Store.
//
//   list (paginated, limit/continue) -> diff with the store -> Apply -> mark synced
//   watch from the list's resourceVersion (bookmarks on, randomized timeoutSeconds)
//     ADDED/MODIFIED/DELETED -> Apply (batched per received chunk); every event, bookmarks
//     included, advances the resourceVersion; the stream ending -> watch again from it
//     410 Gone (HTTP status or in-stream ERROR) -> list again; the difference between the fresh
//     list and the store becomes add/update/delete events, so no stream keeps a deleted object
//   errors -> exponential backoff with jitter; 429 waits at least Retry-After
//
// ServiceProfiles and TrafficSplits are optional CRDs: when the API group is not served, that is
// logged once and the kind counts as synced (empty); the group is polled and picked up when it is
// installed. The TrafficSplit version is discovered from the API (the preferred served version
// among v1alpha1..v1alpha4). ReplicaSets, Jobs and Nodes are read as metadata only.
//
// Thread-safe. Start() returns at once; reflector threads run until Stop().
#ifndef WATCHERS_KUBE_KUBE_SOURCE_H_
#define WATCHERS_KUBE_KUBE_SOURCE_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "base/recent_events.h"
#include "watchers/kube/kube_client.h"
#include "watchers/source.h"
#include "watchers/store/store.h"

namespace prometheus {
class Registry;
template <typename T>
class Family;
class Counter;
}  // namespace prometheus

namespace dest {

class Reflector;
struct ReflectorShared;

// One Kubernetes resource the source watches (get, list and watch are the only verbs it needs).
struct WatchedResource {
  Kind kind;
  std::string group;     // "" for the core group
  std::string version;   // the first understood; optional kinds use the discovered one
  std::string resource;  // "services"
  bool metadata_only = false;
  bool optional = false;              // a CRD that may not be installed
  std::vector<std::string> versions;  // versions understood, in preference order (optional)
};

class KubernetesSource : public Source {
 public:
  // The resources watched with `endpoint_slices` (the -enable-endpoint-slices flag): the single
  // list from which the reflectors, the startup log and `destination -print-watched-resources`
  // (and through it the Helm chart's RBAC check) derive.
  static std::vector<WatchedResource> Resources(bool endpoint_slices);

  struct Options {
    bool endpoint_slices = true;  // watch EndpointSlices (true) or Endpoints (false)
    int page_size = 500;
    absl::Duration watch_timeout_min = absl::Minutes(5);
    absl::Duration watch_timeout_max = absl::Minutes(10);
    absl::Duration backoff_initial = absl::Milliseconds(500);
    absl::Duration backoff_max = absl::Seconds(30);
    absl::Duration crd_poll = absl::Minutes(1);  // how often a missing CRD is looked for
    RecentEvents* events = nullptr;              // relists are recorded here; outlives the source
  };

  KubernetesSource(std::shared_ptr<KubeClient> client, Options options, Store* store,
                   prometheus::Registry* registry = nullptr);
  ~KubernetesSource() override;

  absl::Status Start() override;
  void Stop() override;
  std::vector<Kind> Kinds() const override;

 private:
  std::shared_ptr<KubeClient> client_;
  const Options options_;
  Store* const store_;
  std::unique_ptr<ReflectorShared> shared_;             // what the reflectors share
  std::vector<std::unique_ptr<Reflector>> reflectors_;  // one per kind (reflector.h)
  std::vector<std::thread> threads_;
  absl::Notification stop_;

  prometheus::Family<prometheus::Counter>* restarts_ = nullptr;
  prometheus::Family<prometheus::Counter>* relists_ = nullptr;
  prometheus::Family<prometheus::Counter>* errors_ = nullptr;
};

}  // namespace dest

#endif  // WATCHERS_KUBE_KUBE_SOURCE_H_
