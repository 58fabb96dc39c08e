// GetProfile through the real Store and TopicRegistry: every precedence state of the dst_overrides
// merge (ServiceProfile, HTTPRoute, TrafficSplit, self) and every transition between two of them,
// in both directions; client-namespace fallback; consumer routes; invalid profiles keeping the
// last valid one; dedup; topic sharing.
#include "controlplane/topics/profile_topic.h"

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/substitute.h"
#include "absl/synchronization/mutex.h"
#include "controlplane/topics/topic_registry.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "tests/support/yaml_fixtures.h"
#include "watchers/store/store.h"

namespace dest {
namespace {

namespace pb = io::linkerd::proxy::destination;

// A stream stand-in: keeps every snapshot offered, in order, ignoring stale ones as streams do.
class RecordingSink : public Sink<ProfileSnapshot> {
 public:
  void Offer(std::shared_ptr<const ProfileSnapshot> s) override {
    absl::MutexLock lock(&mu_);
    if (!got_.empty() && s->version <= got_.back()->version) return;
    got_.push_back(std::move(s));
  }
  std::vector<pb::DestinationProfile> Take() {
    absl::MutexLock lock(&mu_);
    std::vector<pb::DestinationProfile> out;
    for (const auto& s : got_) {
      pb::DestinationProfile p;
      EXPECT_TRUE(p.ParseFromString(s->bytes));
      out.push_back(std::move(p));
    }
    got_.clear();
    return out;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::shared_ptr<const ProfileSnapshot>> got_ ABSL_GUARDED_BY(mu_);
};

using Overrides = std::vector<std::pair<std::string, uint32_t>>;
Overrides OverridesOf(const pb::DestinationProfile& p) {
  Overrides out;
  for (const auto& d : p.dst_overrides()) out.emplace_back(d.authority(), d.weight());
  return out;
}

constexpr char kFqdn[] = "web.prod.svc.cluster.local";

// The Service web in prod, port 8080 (http).
std::shared_ptr<const Service> WebService(bool opaque = false) {
  return Object<Service>(absl::Substitute(R"(
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: prod
  annotations: {$0}
spec:
  clusterIP: 10.96.0.10
  ports: [{name: http, port: 8080, targetPort: 8080}]
)",
                                          opaque ? "config.linkerd.io/opaque-ports: http" : ""));
}

// The ServiceProfile of web in `ns` with one route and these dstOverrides {authority, weight as
// written}. Invalid: the route's condition has no field.
std::shared_ptr<const ServiceProfile> WebProfile(
    const std::string& ns, const std::vector<std::pair<std::string, std::string>>& dsts,
    const std::string& route = "GET /", bool valid = true) {
  std::string yaml = absl::Substitute(
      R"(
apiVersion: linkerd.io/v1alpha2
kind: ServiceProfile
metadata: {name: $0, namespace: $1}
spec:
  routes:
  - name: "$2"
    condition: $3
  dstOverrides:$4
)",
      kFqdn, ns, route, valid ? "{method: GET, pathRegex: /}" : "{}", dsts.empty() ? " []" : "");
  for (const auto& [authority, weight] : dsts) {
    absl::StrAppend(&yaml, "  - {authority: \"", authority, "\", weight: \"", weight, "\"}\n");
  }
  return Object<ServiceProfile>(yaml);
}

// A TrafficSplit of web in prod; backends {service, weight as written}.
std::shared_ptr<const TrafficSplit> WebSplit(
    const std::string& name, const std::string& ts,
    const std::vector<std::pair<std::string, std::string>>& backends, bool with_matches = false) {
  std::string yaml = absl::Substitute(
      R"(
apiVersion: split.smi-spec.io/v1alpha2
kind: TrafficSplit
metadata: {name: $0, namespace: prod, creationTimestamp: "$1"}
spec:
  service: web
  matches: $2
  backends:
)",
      name, ts, with_matches ? "[{kind: HTTPRouteGroup, name: canary-routes}]" : "[]");
  for (const auto& [service, weight] : backends) {
    absl::StrAppend(&yaml, "  - {service: ", service, ", weight: \"", weight, "\"}\n");
  }
  return Object<TrafficSplit>(yaml);
}

// An HTTPRoute of web in prod (port unset), one rule with backendRefs {service, weight}; `group`
// picks gateway.networking.k8s.io/v1 or policy.linkerd.io/v1beta3; `rule_extra` is added to the
// rule (say, a header match); `parent_extra` to the parentRef (say, a port); `ns` the route's own
// namespace (a consumer route when not prod).
AnyObject WebRoute(const std::string& name, const std::string& ts,
                   const std::vector<std::pair<std::string, int>>& backends,
                   const std::string& rule_extra = "", const std::string& parent_extra = "",
                   const std::string& api_version = "gateway.networking.k8s.io/v1",
                   const std::string& ns = "prod") {
  std::string yaml = absl::Substitute(R"(
apiVersion: $0
kind: HTTPRoute
metadata: {name: $1, namespace: $2, creationTimestamp: "$3"}
spec:
  parentRefs: [{group: core, kind: Service, name: web, namespace: prod$4}]
  rules:
  - $5backendRefs:
)",
                                      api_version, name, ns, ts, parent_extra,
                                      rule_extra.empty() ? "" : rule_extra + "\n    ");
  for (const auto& [service, weight] : backends) {
    absl::StrAppend(&yaml, "    - {name: ", service, ", port: 8080, weight: ", weight, "}\n");
  }
  std::vector<ObjectEvent> events = Events(yaml);
  EXPECT_EQ(events.size(), 1u) << yaml;
  return events.empty() ? AnyObject{} : events[0].object;
}

class ProfileTopicTest : public ::testing::Test {
 protected:
  ProfileTopicTest() : topics_(&store_, TranslatorOptions{}, &registry_, nullptr) {
    store_.AddListener([this](const std::vector<StoreChange>& c) { topics_.OnStoreChanges(c); });
  }

  // Makes the store hold exactly `objects` (adds, updates and deletes as needed), in one batch.
  void SetWorld(const std::vector<AnyObject>& objects) {
    std::vector<ObjectEvent> events;
    std::map<ObjectKey, AnyObject> want;
    for (const AnyObject& o : objects) want.emplace(KeyOf(o), o);
    for (const auto& [k, o] : world_) {
      if (!want.count(k)) events.push_back({EventType::kDeleted, o});
    }
    for (const auto& [k, o] : want) {
      events.push_back({world_.count(k) ? EventType::kModified : EventType::kAdded, o});
    }
    world_ = want;
    if (!events.empty()) store_.Apply(events);
  }

  std::shared_ptr<ProfileTopic> Subscribe(std::shared_ptr<RecordingSink> sink,
                                          const std::string& client_ns = "") {
    ProfileKey key{"web", "prod", 8080, client_ns};
    auto topic = topics_.AcquireProfile(key);
    sink->Offer(topic->Subscribe(sink));
    return topic;
  }

  prometheus::Registry registry_;
  Store store_{&registry_};
  TopicRegistry topics_;
  std::map<ObjectKey, AnyObject> world_;
};

// The precedence states of behaviour.md 3.2 and what a proxy must see in each.
struct MergeState {
  std::string name;
  std::vector<AnyObject> objects;
  Overrides expected;
  size_t routes;
};

std::vector<MergeState> MergeStates() {
  const std::string self = "web.prod.svc.cluster.local.:8080";
  const std::string canary = "web-canary.prod.svc.cluster.local.:8080";
  const std::string primary = "web-primary.prod.svc.cluster.local.:8080";
  const std::string stable = "web-stable.prod.svc.cluster.local.:8080";
  auto svc = WebService();
  auto split =
      WebSplit("web-split", "2026-01-01T00:00:00Z", {{"web-primary", "90"}, {"web-canary", "10"}});
  auto older = WebSplit("a-older", "2025-01-01T00:00:00Z", {{"web-canary", "1"}});
  auto matches = WebSplit("web-split", "2026-01-01T00:00:00Z", {{"web-canary", "1"}}, true);
  auto sp_dst =
      WebProfile("prod", {{"web-v2.prod.svc.cluster.local", "500m"}, {"web-v1.prod:9090", "1"}});
  auto sp_plain = WebProfile("prod", {});
  const Overrides split_dsts = {{primary, 900000}, {canary, 100000}};
  const Overrides sp_dsts = {{"web-v2.prod.svc.cluster.local:8080", 5000},
                             {"web-v1.prod:9090", 10000}};
  // The route's weights differ from the split's, so a test can tell which one applies.
  auto route =
      WebRoute("web-route", "2026-02-01T00:00:00Z", {{"web-stable", 3}, {"web-canary", 1}});
  const Overrides route_dsts = {{stable, 30000}, {canary, 10000}};
  auto headers = WebRoute("web-route", "2026-02-01T00:00:00Z", {{"web-canary", 1}},
                          "matches: [{headers: [{name: x-canary, value: \"1\"}]}]");

  // Every combination of the three sources: ServiceProfile {none, without dstOverrides, with},
  // HTTPRoute {none, applicable, not expressible}, TrafficSplit {none, applicable, with matches}.
  struct Choice {
    std::string name;
    std::optional<AnyObject> object;
    std::optional<Overrides> dsts;  // set when this choice supplies dst_overrides
    size_t routes = 0;
  };
  const std::vector<Choice> sps = {
      {"", std::nullopt, std::nullopt, 0},
      {"sp_without_dst", sp_plain, std::nullopt, 1},
      {"sp_dst", sp_dst, sp_dsts, 1},
  };
  const std::vector<Choice> routes = {
      {"", std::nullopt, std::nullopt},
      {"route", route, route_dsts},
      {"route_with_headers", headers, std::nullopt},
  };
  const std::vector<Choice> splits = {
      {"", std::nullopt, std::nullopt},
      {"split", split, split_dsts},
      {"split_with_matches", matches, std::nullopt},
  };
  std::vector<MergeState> states;
  for (const Choice& sp : sps) {
    for (const Choice& rt : routes) {
      for (const Choice& sl : splits) {
        MergeState state;
        std::vector<std::string> names;
        state.objects.push_back(svc);
        Overrides expected = {{self, 10000}};  // the precedence of behaviour.md 3.2, highest last
        for (const Choice* c : {&sl, &rt, &sp}) {
          if (!c->name.empty()) names.insert(names.begin(), c->name);
          if (c->object) state.objects.push_back(*c->object);
          if (c->dsts) expected = *c->dsts;
        }
        state.name = names.empty() ? "nothing" : absl::StrJoin(names, "+");
        state.expected = std::move(expected);
        state.routes = sp.routes;
        states.push_back(std::move(state));
      }
    }
  }
  // Conflicts, the other group, and attachment.
  states.push_back({"two_splits_oldest_wins", {svc, split, older}, {{canary, 10000}}, 0});
  states.push_back({"two_routes_oldest_wins",
                    {svc, route, WebRoute("z-older", "2025-06-01T00:00:00Z", {{"web-primary", 1}})},
                    {{primary, 10000}},
                    0});
  states.push_back({"same_age_routes_name_wins",
                    {svc, route, WebRoute("a-route", "2026-02-01T00:00:00Z", {{"web-primary", 1}})},
                    {{primary, 10000}},
                    0});
  states.push_back({"linkerd_policy_route",
                    {svc, split,
                     WebRoute("web-route", "2026-02-01T00:00:00Z", {{"web-primary", 1}}, "", "",
                              "policy.linkerd.io/v1beta3")},
                    {{primary, 10000}},
                    0});
  states.push_back(
      {"route_for_another_port",
       {svc, split,
        WebRoute("web-route", "2026-02-01T00:00:00Z", {{"web-primary", 1}}, "", ", port: 9090")},
       split_dsts,
       0});
  states.push_back({"route_for_this_port",
                    {svc, WebRoute("web-route", "2026-02-01T00:00:00Z", {{"web-primary", 1}}, "",
                                   ", port: 8080")},
                    {{primary, 10000}},
                    0});
  states.push_back({"route_zero_weight_backend",
                    {svc, WebRoute("web-route", "2026-02-01T00:00:00Z",
                                   {{"web-primary", 1}, {"web-canary", 0}})},
                    {{primary, 10000}, {canary, 0}},
                    0});
  states.push_back({"no_service", {}, {{self, 10000}}, 0});
  return states;
}

TEST_F(ProfileTopicTest, EveryMergeStateAndEveryTransitionBothWays) {
  std::vector<MergeState> states = MergeStates();
  for (const MergeState& from : states) {
    for (const MergeState& to : states) {
      if (from.name == to.name) continue;
      SCOPED_TRACE(absl::StrCat(from.name, " -> ", to.name));
      SetWorld(from.objects);
      auto sink = std::make_shared<RecordingSink>();
      auto topic = Subscribe(sink);
      std::vector<pb::DestinationProfile> first = sink->Take();
      ASSERT_EQ(first.size(), 1u);  // one complete first message
      EXPECT_EQ(OverridesOf(first[0]), from.expected);
      EXPECT_EQ(static_cast<size_t>(first[0].routes_size()), from.routes);

      SetWorld(to.objects);
      std::vector<pb::DestinationProfile> after = sink->Take();
      bool same = OverridesOf(first[0]) == to.expected && from.routes == to.routes;
      if (same) {
        // Nothing a proxy sees changed: nothing is sent (only the opaque/parent fields could
        // differ, and they do not between these states).
        EXPECT_TRUE(after.empty());
      } else {
        ASSERT_EQ(after.size(), 1u);
        EXPECT_EQ(OverridesOf(after[0]), to.expected);
        EXPECT_EQ(static_cast<size_t>(after[0].routes_size()), to.routes);
        EXPECT_EQ(after[0].fully_qualified_name(), kFqdn);
      }
      topic->Unsubscribe(sink.get());
      topics_.ReleaseProfile(*topic);
    }
  }
}

TEST_F(ProfileTopicTest, ClientNamespaceProfileWinsWhileItExists) {
  auto svc = WebService();
  auto server_sp = WebProfile("prod", {}, "server-route");
  auto client_sp = WebProfile("shop", {}, "client-route");
  SetWorld({svc, server_sp});
  auto client = std::make_shared<RecordingSink>();
  auto local = std::make_shared<RecordingSink>();
  auto t1 = Subscribe(client, "shop");
  auto t2 = Subscribe(local, "");
  auto route = [](const pb::DestinationProfile& p) {
    return p.routes_size() ? p.routes(0).metrics_labels().at("route") : "";
  };
  EXPECT_EQ(route(client->Take().at(0)), "server-route");
  EXPECT_EQ(route(local->Take().at(0)), "server-route");

  SetWorld({svc, server_sp, client_sp});  // appears: the client switches, the local one does not
  auto c = client->Take();
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(route(c[0]), "client-route");
  EXPECT_EQ(c[0].profile_ref().resource().namespace_(), "shop");
  EXPECT_TRUE(local->Take().empty());

  SetWorld({svc, server_sp});  // disappears: back to the Service's namespace
  c = client->Take();
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(route(c[0]), "server-route");
  EXPECT_EQ(c[0].profile_ref().resource().namespace_(), "prod");

  SetWorld({svc});  // none at all: no routes, default budget, no profile_ref
  c = client->Take();
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].routes_size(), 0);
  EXPECT_FALSE(c[0].has_profile_ref());
  EXPECT_FLOAT_EQ(c[0].retry_budget().retry_ratio(), 0.2f);
}

// A route in the client's namespace naming the Service (a consumer route) applies to that
// client only, over the Service's own (producer) route; other clients keep the producer route.
TEST_F(ProfileTopicTest, ConsumerRouteAppliesOnlyToItsNamespace) {
  const std::string primary = "web-primary.prod.svc.cluster.local.:8080";
  // A backendRef without a namespace is in the route's namespace: shop's own canary.
  const std::string canary = "web-canary.shop.svc.cluster.local.:8080";
  auto svc = WebService();
  auto producer = WebRoute("web-route", "2026-02-01T00:00:00Z", {{"web-primary", 1}});
  // Older than the producer route: age does not matter across the two kinds of route.
  auto consumer = WebRoute("shop-view", "2025-01-01T00:00:00Z", {{"web-canary", 1}}, "", "",
                           "gateway.networking.k8s.io/v1", "shop");
  SetWorld({svc, producer});
  auto shop = std::make_shared<RecordingSink>();
  auto prod = std::make_shared<RecordingSink>();
  auto t1 = Subscribe(shop, "shop");
  auto t2 = Subscribe(prod, "");
  EXPECT_EQ(OverridesOf(shop->Take().at(0)), (Overrides{{primary, 10000}}));
  EXPECT_EQ(OverridesOf(prod->Take().at(0)), (Overrides{{primary, 10000}}));

  SetWorld({svc, producer, consumer});
  auto s = shop->Take();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(OverridesOf(s[0]), (Overrides{{canary, 10000}}));
  EXPECT_TRUE(prod->Take().empty());

  // Without the producer route, the consumer route still applies to shop only.
  SetWorld({svc, consumer});
  EXPECT_TRUE(shop->Take().empty());
  auto p = prod->Take();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(OverridesOf(p[0]), (Overrides{{"web.prod.svc.cluster.local.:8080", 10000}}));
}

// A backend in another namespace applies only while a ReferenceGrant there allows it: granting it
// (or taking the grant back) reaches open streams without an edit to the route.
TEST_F(ProfileTopicTest, ReferenceGrantAppliesAndWithdrawsACrossNamespaceRoute) {
  const Overrides self = {{"web.prod.svc.cluster.local.:8080", 10000}};
  auto svc = WebService();
  std::vector<ObjectEvent> route = Events(R"(
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web-route, namespace: prod}
spec:
  parentRefs: [{group: core, kind: Service, name: web}]
  rules: [{backendRefs: [{name: web, namespace: canaries, port: 8080}]}]
)");
  std::vector<ObjectEvent> grant = Events(R"(
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: from-prod, namespace: canaries}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: prod}]
  to: [{group: "", kind: Service, name: web}]
)");
  ASSERT_EQ(route.size(), 1u);
  ASSERT_EQ(grant.size(), 1u);
  SetWorld({svc, route[0].object});
  auto sink = std::make_shared<RecordingSink>();
  auto topic = Subscribe(sink);
  EXPECT_EQ(OverridesOf(sink->Take().at(0)), self);

  SetWorld({svc, route[0].object, grant[0].object});
  auto granted = sink->Take();
  ASSERT_EQ(granted.size(), 1u);
  EXPECT_EQ(OverridesOf(granted[0]), (Overrides{{"web.canaries.svc.cluster.local.:8080", 10000}}));

  SetWorld({svc, route[0].object});
  auto withdrawn = sink->Take();
  ASSERT_EQ(withdrawn.size(), 1u);
  EXPECT_EQ(OverridesOf(withdrawn[0]), self);
}

TEST_F(ProfileTopicTest, InvalidProfileKeepsTheLastValidOne) {
  auto svc = WebService();
  SetWorld({svc, WebProfile("prod", {{"a.prod.svc.cluster.local", "1"}}, "good")});
  auto sink = std::make_shared<RecordingSink>();
  auto topic = Subscribe(sink);
  auto first = sink->Take();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].routes(0).metrics_labels().at("route"), "good");

  // An invalid edit: nothing is sent, the metric counts it.
  SetWorld({svc, WebProfile("prod", {}, "bad", /*valid=*/false)});
  EXPECT_TRUE(sink->Take().empty());
  pb::DestinationProfile current;
  ASSERT_TRUE(current.ParseFromString(topic->Current()->bytes));
  EXPECT_EQ(current.routes(0).metrics_labels().at("route"), "good");

  // A topic created after the bad edit (a client in another namespace) serves the same last
  // valid profile: the last valid version is kept per object, not per topic.
  auto other = std::make_shared<RecordingSink>();
  auto other_topic = Subscribe(other, "shop");
  auto other_first = other->Take();
  ASSERT_EQ(other_first.size(), 1u);
  ASSERT_EQ(other_first[0].routes_size(), 1);
  EXPECT_EQ(other_first[0].routes(0).metrics_labels().at("route"), "good");

  // Other inputs still flow while the profile is invalid: the Service becomes opaque.
  SetWorld({WebService(/*opaque=*/true), WebProfile("prod", {}, "bad", false)});
  auto opaque = sink->Take();
  ASSERT_EQ(opaque.size(), 1u);
  EXPECT_TRUE(opaque[0].opaque_protocol());
  EXPECT_EQ(opaque[0].routes(0).metrics_labels().at("route"), "good");

  // Fixed: the new valid profile is sent.
  SetWorld({WebService(true), WebProfile("prod", {}, "fixed")});
  auto fixed = sink->Take();
  ASSERT_EQ(fixed.size(), 1u);
  EXPECT_EQ(fixed[0].routes(0).metrics_labels().at("route"), "fixed");

  bool counted = false;
  for (const auto& family : registry_.Collect()) {
    if (family.name == "destination_serviceprofile_invalid_total") {
      counted = family.metric.at(0).counter.value >= 1;
    }
  }
  EXPECT_TRUE(counted);
}

TEST_F(ProfileTopicTest, InvalidProfileFirstSeenServesTheDefault) {
  SetWorld({WebService(), WebProfile("prod", {}, "bad", /*valid=*/false)});
  auto sink = std::make_shared<RecordingSink>();
  Subscribe(sink);
  auto first = sink->Take();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].routes_size(), 0);
  EXPECT_FALSE(first[0].has_profile_ref());
  EXPECT_EQ(OverridesOf(first[0]), (Overrides{{"web.prod.svc.cluster.local.:8080", 10000}}));
}

TEST_F(ProfileTopicTest, StreamsShareOneTopicAndOneSerialization) {
  SetWorld({WebService()});
  std::vector<std::shared_ptr<RecordingSink>> sinks;
  std::vector<std::shared_ptr<ProfileTopic>> held;
  for (int i = 0; i < 100; ++i) {
    sinks.push_back(std::make_shared<RecordingSink>());
    held.push_back(Subscribe(sinks.back()));
  }
  for (const auto& t : held) EXPECT_EQ(t, held[0]);
  EXPECT_EQ(topics_.TopicCount(), 1u);
  auto before = held[0]->Current();
  SetWorld({WebService(), WebSplit("s", "2026-01-01T00:00:00Z", {{"web", "1"}, {"web-b", "1"}})});
  auto after = held[0]->Current();
  EXPECT_NE(before, after);
  for (const auto& s : sinks) EXPECT_EQ(s->Take().size(), 2u);  // first + one change each
  // An unrelated change reaches nobody.
  auto other = std::make_shared<Service>(*WebService());
  other->meta.name = "other";
  SetWorld(
      {WebService(), other, WebSplit("s", "2026-01-01T00:00:00Z", {{"web", "1"}, {"web-b", "1"}})});
  for (const auto& s : sinks) EXPECT_TRUE(s->Take().empty());
  for (const auto& s : sinks) held[0]->Unsubscribe(s.get());
  for (const auto& t : held) topics_.ReleaseProfile(*t);
  EXPECT_EQ(topics_.TopicCount(), 0u);
}

}  // namespace
}  // namespace dest
