// Explain through the real Store, TopicRegistry and translators: the decision a proxy's stream
// gets, and every reason the issue asks for: the ServiceProfile chosen or rejected, the
// TrafficSplit applied and those ignored, the opaque ports' source, the endpoints left out, the
// subscribers of the topic.
#include "controlplane/topics/explainer.h"

#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "base/recent_events.h"
#include "controlplane/topics/topic_registry.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/yaml_fixtures.h"
#include "watchers/store/store.h"

namespace dest {
namespace {

namespace dbg = io::destination::debug::v1;
using ::testing::HasSubstr;

constexpr char kWorld[] = R"(
apiVersion: v1
kind: Service
metadata: {name: web, namespace: prod}
spec:
  clusterIP: 10.96.0.10
  ports: [{name: http, port: 8080, targetPort: 8080}]
---
apiVersion: v1
kind: Pod
metadata:
  name: web-1
  namespace: prod
  labels: {app: web, linkerd.io/control-plane-ns: linkerd}
spec:
  serviceAccountName: web
  containers: [{name: web, ports: [{containerPort: 8080}]}]
status: {phase: Running, podIP: 10.1.0.1}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-abc
  namespace: prod
  labels: {kubernetes.io/service-name: web}
addressType: IPv4
ports: [{name: http, port: 8080}]
endpoints:
  - addresses: [10.1.0.1]
    conditions: {ready: true}
    targetRef: {kind: Pod, name: web-1, namespace: prod}
  - addresses: [10.1.0.2]
    conditions: {ready: false}
    targetRef: {kind: Pod, name: web-2, namespace: prod}
  - addresses: [10.1.0.3]
    conditions: {ready: true}
    targetRef: {kind: Pod, name: web-3, namespace: prod}
)";

// Two TrafficSplits for web: the older one applies.
constexpr char kSplits[] = R"(
apiVersion: split.smi-spec.io/v1alpha2
kind: TrafficSplit
metadata: {name: web-canary, namespace: prod, creationTimestamp: "2026-01-01T00:00:00Z"}
spec:
  service: web
  backends: [{service: web, weight: 900}, {service: web-v2, weight: 100}]
---
apiVersion: split.smi-spec.io/v1alpha2
kind: TrafficSplit
metadata: {name: web-rollout, namespace: prod, creationTimestamp: "2026-02-01T00:00:00Z"}
spec:
  service: web
  backends: [{service: web, weight: 500}, {service: web-v3, weight: 500}]
)";

// A ServiceProfile whose only route's condition has no field: invalid.
constexpr char kInvalidProfile[] = R"(
apiVersion: linkerd.io/v1alpha2
kind: ServiceProfile
metadata: {name: web.prod.svc.cluster.local, namespace: prod}
spec:
  routes: [{name: GET /, condition: {}}]
)";

constexpr char kValidProfile[] = R"(
apiVersion: linkerd.io/v1alpha2
kind: ServiceProfile
metadata: {name: web.prod.svc.cluster.local, namespace: prod}
spec:
  routes: [{name: GET /, condition: {method: GET, pathRegex: /}}]
)";

class RecordingSink : public Sink<ProfileSnapshot> {
 public:
  void Offer(std::shared_ptr<const ProfileSnapshot> s) override { last = std::move(s); }
  SubscriberInfo Info() const override { return SubscriberInfo{"ipv4:10.9.9.9:1234", {}, {}, 3}; }
  std::shared_ptr<const ProfileSnapshot> last;
};

class ExplainerTest : public ::testing::Test {
 protected:
  ExplainerTest() : topics_(&store_, TranslatorOptions{}, nullptr, nullptr, &events_) {
    store_.AddListener([this](const std::vector<StoreChange>& c) { topics_.OnStoreChanges(c); });
    Apply(store_, kWorld);
  }

  dbg::Explanation Explain(const std::string& authority, const std::string& token = "") {
    absl::StatusOr<dbg::Explanation> e = explainer_.Explain(authority, token);
    EXPECT_TRUE(e.ok()) << e.status();
    return e.ok() ? *e : dbg::Explanation();
  }

  RecentEvents events_;
  Store store_;
  TopicRegistry topics_;
  Explainer explainer_{&store_, &topics_, &events_};
};

TEST_F(ExplainerTest, ConflictingSplitsAndAnInvalidProfileAreNamedWithTheirReasons) {
  Apply(store_, kSplits);
  Apply(store_, kInvalidProfile);
  const dbg::Explanation e = Explain("web.prod.svc.cluster.local:8080");

  EXPECT_EQ(e.target().kind(), "service");
  EXPECT_EQ(e.target().service(), "prod/web");
  EXPECT_TRUE(e.target().service_exists());
  const dbg::ProfileDecision& p = e.profile();
  EXPECT_EQ(p.overrides_source(), "trafficsplit");
  EXPECT_EQ(p.split_applied().name(), "prod/web-canary");
  EXPECT_EQ(p.split_applied().api_version(), "split.smi-spec.io/v1alpha2");
  EXPECT_EQ(p.split_applied().created().seconds(), 1767225600);
  ASSERT_EQ(p.splits_ignored_size(), 1);
  EXPECT_EQ(p.splits_ignored(0).split().name(), "prod/web-rollout");
  EXPECT_THAT(p.splits_ignored(0).reason(), HasSubstr("conflicts with prod/web-canary"));

  // The invalid profile: named, with its reason, and no valid version to fall back to.
  ASSERT_EQ(p.service_profile().candidates_size(), 1);
  const dbg::ServiceProfileCandidate& c = p.service_profile().candidates(0);
  EXPECT_EQ(c.name(), "prod/web.prod.svc.cluster.local");
  EXPECT_TRUE(c.exists());
  EXPECT_THAT(c.invalid_reason(), HasSubstr("spec.routes[0].condition"));
  EXPECT_FALSE(c.last_valid_in_force());
  EXPECT_EQ(p.service_profile().selected(), "");
  EXPECT_THAT(p.service_profile().reason(), HasSubstr("never had a valid version"));

  // The profile itself: the older split's weights.
  ASSERT_EQ(p.profile().dst_overrides_size(), 2);
  EXPECT_EQ(p.profile().dst_overrides(1).authority(), "web-v2.prod.svc.cluster.local.:8080");
  EXPECT_EQ(p.profile().dst_overrides(1).weight(), 1000000u);
  EXPECT_THAT(p.opaque().source(), HasSubstr("default opaque ports"));

  // The same decisions were recorded as events for the debug page.
  std::vector<std::string> kinds;
  for (const RecentEvent& ev : events_.Newest()) {
    kinds.push_back(ev.kind);
    // The split that applies is never reported as not applied (it was, once, for the conflict).
    if (ev.kind == "trafficsplit_not_applied") {
      EXPECT_EQ(ev.object, "TrafficSplit prod/web-rollout") << ev.message;
    }
  }
  // Once each: both splits of the conflict arrived in one batch, the loser is reported once.
  EXPECT_THAT(
      kinds, ::testing::UnorderedElementsAre("serviceprofile_invalid", "trafficsplit_not_applied"));
}

// Three HTTPRoutes for web: one applies over the splits, a newer one conflicts with it, one with a
// header match cannot be expressed as weights; a Linkerd route for port 9990 only is not for 8080
// (and conflicts, on 9990, with the older routes that name no port).
constexpr char kRoutes[] = R"(
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web-route, namespace: prod, creationTimestamp: "2026-03-01T00:00:00Z"}
spec:
  parentRefs: [{group: core, kind: Service, name: web}]
  rules: [{backendRefs: [{name: web, weight: 3}, {name: web-v4, weight: 1}]}]
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: HTTPRoute
metadata: {name: web-newer, namespace: prod, creationTimestamp: "2026-04-01T00:00:00Z"}
spec:
  parentRefs: [{group: core, kind: Service, name: web}]
  rules: [{backendRefs: [{name: web-v5}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web-headers, namespace: prod, creationTimestamp: "2025-01-01T00:00:00Z"}
spec:
  parentRefs: [{group: core, kind: Service, name: web}]
  rules: [{matches: [{headers: [{name: x-canary, value: "1"}]}], backendRefs: [{name: web-v6}]}]
---
apiVersion: policy.linkerd.io/v1beta3
kind: HTTPRoute
metadata: {name: web-admin, namespace: prod, creationTimestamp: "2026-05-01T00:00:00Z"}
spec:
  parentRefs: [{group: core, kind: Service, name: web, port: 9990}]
  rules: [{backendRefs: [{name: web-admin}]}]
)";

TEST_F(ExplainerTest, TheRouteAppliedAndEveryRouteIgnoredWithItsReason) {
  Apply(store_, kSplits);
  Apply(store_, kRoutes);
  const dbg::ProfileDecision p = Explain("web.prod.svc.cluster.local:8080").profile();
  EXPECT_EQ(p.overrides_source(), "httproute");
  EXPECT_EQ(p.route_applied().name(), "prod/web-route");
  EXPECT_EQ(p.route_applied().group(), "gateway.networking.k8s.io");
  EXPECT_EQ(p.route_applied().api_version(), "gateway.networking.k8s.io/v1");
  EXPECT_EQ(p.route_applied().created().seconds(), 1772323200);
  ASSERT_EQ(p.profile().dst_overrides_size(), 2);
  EXPECT_EQ(p.profile().dst_overrides(1).authority(), "web-v4.prod.svc.cluster.local.:8080");
  EXPECT_EQ(p.profile().dst_overrides(1).weight(), 10000u);

  std::map<std::string, const dbg::IgnoredRoute*> ignored;
  for (const dbg::IgnoredRoute& r : p.routes_ignored()) ignored[r.route().name()] = &r;
  ASSERT_EQ(ignored.size(), 3u) << p.DebugString();
  EXPECT_THAT(ignored["prod/web-newer"]->reason(), HasSubstr("conflicts with HTTPRoute "
                                                             "prod/web-route, which is older"));
  EXPECT_TRUE(ignored["prod/web-newer"]->problem());
  EXPECT_EQ(ignored["prod/web-headers"]->reason(),
            "spec.rules[0].matches[0] matches headers, which plain weights cannot express");
  EXPECT_TRUE(ignored["prod/web-headers"]->problem());
  EXPECT_EQ(ignored["prod/web-admin"]->route().group(), "policy.linkerd.io");
  EXPECT_EQ(ignored["prod/web-admin"]->reason(),
            "spec.parentRefs[0] attaches it to port 9990 only");
  EXPECT_FALSE(ignored["prod/web-admin"]->problem());

  // Both splits are shadowed by the route, and say so; none of this is repeated in the notes.
  ASSERT_EQ(p.splits_ignored_size(), 2);
  for (const dbg::IgnoredSplit& s : p.splits_ignored()) {
    if (s.split().name() == "prod/web-canary") {
      EXPECT_EQ(s.reason(), "applies, but HTTPRoute prod/web-route takes precedence");
    }
  }
  for (const std::string& note : p.notes()) {
    EXPECT_THAT(note, ::testing::Not(HasSubstr("HTTPRoute"))) << note;
  }

  // The routes' problems were recorded as events, once each, whichever port shows them: the one
  // applied never is.
  std::multiset<std::string> routes_reported;
  for (const RecentEvent& ev : events_.Newest()) {
    if (ev.kind == "httproute_not_applied") routes_reported.insert(ev.object);
  }
  EXPECT_THAT(routes_reported, ::testing::UnorderedElementsAre(
                                   "HTTPRoute prod/web-headers", "HTTPRoute prod/web-newer",
                                   "HTTPRoute.policy.linkerd.io prod/web-admin"));
}

TEST_F(ExplainerTest, AnInvalidEditKeepsTheLastValidProfileAndSaysSo) {
  Apply(store_, kValidProfile);
  Apply(store_, kInvalidProfile);
  const dbg::ProfileDecision p = Explain("web.prod.svc.cluster.local:8080").profile();
  ASSERT_EQ(p.service_profile().candidates_size(), 1);
  EXPECT_TRUE(p.service_profile().candidates(0).last_valid_in_force());
  EXPECT_EQ(p.service_profile().selected(), "prod/web.prod.svc.cluster.local");
  EXPECT_THAT(p.service_profile().reason(), HasSubstr("last valid version is in force"));
  EXPECT_EQ(p.profile().routes_size(), 1);
  EXPECT_EQ(p.overrides_source(), "self");
}

TEST_F(ExplainerTest, TheClientNamespaceProfileWinsAndBothAreShown) {
  Apply(store_, kValidProfile);
  Apply(store_, R"(
apiVersion: linkerd.io/v1alpha2
kind: ServiceProfile
metadata: {name: web.prod.svc.cluster.local, namespace: client}
spec:
  routes: [{name: POST /, condition: {method: POST}}]
)");
  const dbg::Explanation e = Explain("web.prod.svc.cluster.local:8080", R"({"ns":"client"})");
  EXPECT_EQ(e.client().namespace_(), "client");
  const dbg::ServiceProfileChoice& choice = e.profile().service_profile();
  ASSERT_EQ(choice.candidates_size(), 2);
  EXPECT_EQ(choice.candidates(0).role(), "client namespace");
  EXPECT_EQ(choice.candidates(1).role(), "service namespace");
  EXPECT_EQ(choice.selected(), "client/web.prod.svc.cluster.local");
  EXPECT_THAT(choice.reason(), HasSubstr("wins over"));
}

TEST_F(ExplainerTest, EndpointsWithIdentitiesAndTheAddressesLeftOut) {
  const dbg::EndpointsDecision d = Explain("web.prod.svc.cluster.local:8080").endpoints();
  EXPECT_TRUE(d.service_exists());
  EXPECT_EQ(d.source(), "EndpointSlice");
  ASSERT_EQ(d.endpoints_size(), 1);
  EXPECT_EQ(d.endpoints(0).address(), "10.1.0.1:8080");
  EXPECT_EQ(d.endpoints(0).pod(), "prod/web-1");
  EXPECT_EQ(d.endpoints(0).addr().tls_identity().dns_like_identity().name(),
            "web.prod.serviceaccount.identity.linkerd.cluster.local");
  ASSERT_EQ(d.left_out_size(), 2);
  std::map<std::string, std::string> why;
  for (const dbg::LeftOut& l : d.left_out()) why[l.address()] = l.reason();
  EXPECT_THAT(why["10.1.0.2:8080"], HasSubstr("not ready"));
  EXPECT_THAT(why["10.1.0.3:8080"], HasSubstr("Pod is not known"));

  // The client's zone is known, but no endpoint carries zone hints: no filter applies, and the
  // explanation must not claim one.
  Apply(store_, R"(
apiVersion: v1
kind: Node
metadata: {name: node-1, labels: {topology.kubernetes.io/zone: zone-a}}
)");
  const dbg::Explanation zoned =
      Explain("web.prod.svc.cluster.local:8080", R"({"ns":"prod","nodeName":"node-1"})");
  EXPECT_EQ(zoned.client().zone(), "zone-a");
  EXPECT_EQ(zoned.endpoints().zone_filter(), "");
  EXPECT_EQ(zoned.endpoints().endpoints_size(), 1);
}

TEST_F(ExplainerTest, TheTopicAndItsSubscribersWhenAStreamHoldsIt) {
  EXPECT_FALSE(Explain("web.prod.svc.cluster.local:8080").profile().topic().alive());
  auto sink = std::make_shared<RecordingSink>();
  auto topic = topics_.AcquireProfile(ProfileKey{"web", "prod", 8080, ""});
  sink->Offer(topic->Subscribe(sink));
  const dbg::Explanation e = Explain("web.prod.svc.cluster.local:8080");
  const dbg::TopicState& t = e.profile().topic();
  EXPECT_TRUE(t.alive());
  EXPECT_EQ(t.subscriber_count(), 1u);
  ASSERT_EQ(t.subscribers_size(), 1);
  EXPECT_EQ(t.subscribers(0).peer(), "ipv4:10.9.9.9:1234");
  EXPECT_EQ(t.subscribers(0).messages(), 3u);
  // What Explain shows is what the stream received.
  EXPECT_EQ(e.profile().profile().SerializeAsString(), sink->last->bytes);

  const dbg::TopicList list = explainer_.Topics(0);
  ASSERT_EQ(list.total(), 1u);
  EXPECT_EQ(list.topics(0).kind(), "profile");
  EXPECT_EQ(list.topics(0).authority(), "web.prod.svc.cluster.local:8080");
  EXPECT_EQ(list.topics(0).subscribers(), 1u);
  topic->Unsubscribe(sink.get());
  topics_.ReleaseProfile(*topic);
}

TEST_F(ExplainerTest, PodIpsBadAuthoritiesAndWhatGetRefuses) {
  const dbg::Explanation pod = Explain("10.1.0.1:8080");
  EXPECT_EQ(pod.target().kind(), "pod_ip");
  EXPECT_EQ(pod.target().pod(), "prod/web-1");
  EXPECT_THAT(pod.target().get_error(), HasSubstr("INVALID_ARGUMENT"));
  EXPECT_THAT(pod.profile().opaque().source(), HasSubstr("the pod has no"));
  EXPECT_TRUE(pod.profile().profile().has_endpoint());

  EXPECT_EQ(Explain("10.1.0.99:80").target().kind(), "unknown_ip");
  EXPECT_EQ(Explain("10.96.0.10:8080").target().kind(), "cluster_ip");
  EXPECT_FALSE(explainer_.Explain("not a host:x", "").ok());
  const dbg::Explanation missing = Explain("nope.prod.svc.cluster.local:80");
  EXPECT_FALSE(missing.target().service_exists());
  EXPECT_FALSE(missing.endpoints().service_exists());
}

}  // namespace
}  // namespace dest
