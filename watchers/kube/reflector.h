// One reflector: the list-then-watch loop of one Kubernetes resource, feeding the Store (the
// protocol is summarized in kube_source.h). KubernetesSource runs one per watched kind, each on
// its own thread; they share the client, the store, the options, the stop notification and the
// metric families.
//
// Thread-compatible: Run() is called on one thread.
#ifndef WATCHERS_KUBE_REFLECTOR_H_
#define WATCHERS_KUBE_REFLECTOR_H_

#include <cstddef>
#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "base/recent_events.h"
#include "simdjson.h"
#include "watchers/kube/kube_client.h"
#include "watchers/kube/kube_source.h"
#include "watchers/kube/watch_event.h"
#include "watchers/store/store.h"

namespace prometheus {
class Counter;
}  // namespace prometheus

namespace dest {

// What the reflectors of one source share.
struct ReflectorShared {
  KubeClient* client;
  Store* store;
  KubernetesSource::Options options;
  const absl::Notification* stop;
  // Families labelled by kind; null without metrics.
  prometheus::Family<prometheus::Counter>* restarts = nullptr;
  prometheus::Family<prometheus::Counter>* relists = nullptr;
  prometheus::Family<prometheus::Counter>* errors = nullptr;
  RecentEvents* events = nullptr;  // relists are recorded here (may be null)
};

class Reflector {
 public:
  // `shared` outlives the reflector.
  Reflector(const ReflectorShared& shared, WatchedResource spec);
  Reflector(const Reflector&) = delete;
  Reflector& operator=(const Reflector&) = delete;

  // Lists and watches until shared.stop is notified.

  void Run();

 private:
  enum class Result { kOk, kGone, kMissing, kError, kStopped };

  bool Stopped() const { return shared_.stop->HasBeenNotified(); }
  void WaitStop(absl::Duration d) { shared_.stop->WaitForNotificationWithTimeout(d); }

  std::string ApiVersion() const;
  const std::string& version() const { return version_.empty() ? spec_.version : version_; }
  std::string Collection() const;
  std::string Accept(bool list) const;

  void CountError(const std::string& reason);

  void ResetBackoff();
  // Sleeps the current backoff with jitter (at least Retry-After), then doubles it.
  void Backoff();

  // Notes an HTTP error answer: its reason, and Retry-After for 429.
  void HttpError(const KubeClient::Response& r, const char* what);

  // For optional CRDs: is the group served, and in which version?
  bool Discover();
  // Whether GET /apis/GROUP/VERSION lists spec_.resource (a group can be served, for another of
  // its kinds, without this one: policy.linkerd.io with Servers and no HTTPRoutes).
  bool ServesResource(const std::string& version);

  // The CRD is not installed: an empty kind, synced; logged once.
  void Missing();

  // Turns the difference between a full list and the store into events.
  void ApplyList(const std::vector<AnyObject>& items);

  Result List();

  // The error reason counted for a failed request.
  static const char* ReasonOf(const absl::Status& status);

  // An object of another kind than the one watched (a confused or hostile API server) is never
  // stored as this kind: counted, logged once per reflector, skipped. Objects without a kind (list
  // items of built-in groups) and metadata-only objects (PartialObjectMetadata) are this kind.
  bool KindMatches(simdjson::dom::element object);

  void DecodeFailed(simdjson::dom::element object, const absl::Status& why);

  // What one watch has seen so far.
  struct WatchState {
    simdjson::dom::parser parser;
    size_t lines_seen = 0;
    size_t garbage = 0;
    Result result = Result::kOk;  // set when a line ends the watch
  };

  Result Watch();

  // One parsed watch line; false ends the watch (state.result says how).
  bool OnLine(const WatchObject& l, absl::string_view, WatchState&,
              std::vector<ObjectEvent>& events);
  bool OnLine(const WatchBookmark& l, absl::string_view, WatchState&, std::vector<ObjectEvent>&);
  bool OnLine(const WatchError& l, absl::string_view, WatchState& state, std::vector<ObjectEvent>&);
  bool OnLine(const WatchUnknownType&, absl::string_view, WatchState&, std::vector<ObjectEvent>&);
  bool OnLine(const WatchGarbage&, absl::string_view line, WatchState& state,
              std::vector<ObjectEvent>&);

  // How a watch that no line ended has ended: the connection, the HTTP status, or the server
  // closing it (normal at its timeout; abnormal at once and empty).
  Result WatchEnded(const absl::StatusOr<KubeClient::Response>& r, size_t lines_seen,
                    absl::Time started);

  const ReflectorShared& shared_;
  const WatchedResource spec_;
  // The kind's label in logs and metrics ("HTTPRoute.policy.linkerd.io"), and the name its
  // objects carry in their `kind` field ("HTTPRoute").
  std::string kind_name_;
  std::string object_kind_;
  std::string version_;  // discovered
  std::string rv_;
  // A list at least this long (a few MB of JSON) gives the allocator's free pages back after it.
  static constexpr size_t kReleaseHeapAfterObjects = 5000;
  size_t last_list_objects_ = 0;  // of the last complete list
  bool served_ = true;
  bool reported_missing_ = false;
  bool reported_wrong_kind_ = false;
  absl::Duration backoff_;
  absl::Duration retry_after_ = absl::ZeroDuration();
  std::mt19937_64 rng_;
  prometheus::Counter* restarts_ = nullptr;
  prometheus::Counter* relists_ = nullptr;
};

}  // namespace dest

#endif  // WATCHERS_KUBE_REFLECTOR_H_
