// Answers the Debug API (proto/debug.proto): for an authority and context token, what Get and
// GetProfile serve and why; the topics alive; the recent decisions. Every answer comes from the
// code that serves proxies (ResolveProfileTarget, ComputeProfile, ComputeEndpoints...), run again
// with its notes kept, so an explanation cannot disagree with what a new stream receives.
//
// Thread-safe. Reads the store and the registry like a stream opening; creates no topic.
#ifndef CONTROLPLANE_TOPICS_EXPLAINER_H_
#define CONTROLPLANE_TOPICS_EXPLAINER_H_

#include <string>

#include "absl/status/statusor.h"
#include "base/recent_events.h"
#include "controlplane/topics/topic_registry.h"
#include "debug.pb.h"
#include "watchers/store/store.h"

namespace dest {

class Explainer {
 public:
  // All must outlive the explainer; `events` may be null.
  Explainer(const Store* store, const TopicRegistry* topics, const RecentEvents* events)
      : store_(store), topics_(topics), events_(events) {}

  // kInvalidArgument when `authority` is not one (the message GetProfile would refuse it with).
  absl::StatusOr<io::destination::debug::v1::Explanation> Explain(
      const std::string& authority, const std::string& context_token) const;

  // Topics alive, most subscribers first; at most `limit` (0: all).
  io::destination::debug::v1::TopicList Topics(size_t limit) const;

  // Recent events, newest first; at most `limit` (0: all kept).
  io::destination::debug::v1::EventList Events(size_t limit) const;

 private:
  const Store* const store_;
  const TopicRegistry* const topics_;
  const RecentEvents* const events_;
};

}  // namespace dest

#endif  // CONTROLPLANE_TOPICS_EXPLAINER_H_
