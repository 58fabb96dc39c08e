// Gateway API HTTPRoutes as dst_overrides (behaviour.md 3.2): what can be expressed as plain
// weights and what cannot (never a partial application), attachment to a Service port,
// ReferenceGrants for backends in other namespaces, conflicts between routes, consumer routes,
// and the place of a route between a ServiceProfile and a TrafficSplit, with the notes Explain
// shows.
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/substitute.h"
#include "controlplane/translate/profile_translator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/yaml_fixtures.h"

namespace dest {
namespace {

namespace pb = io::linkerd::proxy::destination;
using testing::ElementsAre;
using testing::HasSubstr;
using testing::Pair;

using Overrides = std::vector<std::pair<std::string, uint32_t>>;

// {authority, weight} of a profile's dst_overrides or of RouteOverrides' answer.
template <typename Dsts>
Overrides OverridesOf(const Dsts& dsts) {
  Overrides out;
  for (const pb::WeightedDst& d : dsts) out.emplace_back(d.authority(), d.weight());
  return out;
}

// An HTTPRoute in `ns` (shop unless said) created at `created`, whose spec is `spec` (YAML
// indented by two spaces, parentRefs included).
std::shared_ptr<const HTTPRoute> Route(
    const std::string& spec, const std::string& name = "web",
    const std::string& created = "2026-01-01T00:00:00Z",
    const std::string& api_version = "gateway.networking.k8s.io/v1",
    const std::string& ns = "shop") {
  const std::string yaml = absl::Substitute(R"(apiVersion: $0
kind: HTTPRoute
metadata: {name: $1, namespace: $2, creationTimestamp: "$3"}
spec:
$4)",
                                            api_version, name, ns, created, spec);
  std::vector<ObjectEvent> events = Events(yaml);
  if (events.size() != 1) {
    ADD_FAILURE() << "want one HTTPRoute in:\n" << yaml;
    return std::make_shared<const GatewayHTTPRoute>();
  }
  const AnyObject& o = events[0].object;
  if (auto* g = std::get_if<std::shared_ptr<const GatewayHTTPRoute>>(&o)) return *g;
  if (auto* l = std::get_if<std::shared_ptr<const PolicyHTTPRoute>>(&o)) return *l;
  ADD_FAILURE() << "not an HTTPRoute:\n" << yaml;
  return std::make_shared<const GatewayHTTPRoute>();
}

constexpr char kParent[] = "  parentRefs: [{group: core, kind: Service, name: web}]\n";

// A route attached to shop/web with the one rule `rule` (YAML of the rule's fields, indented by
// four spaces, the first line after "  - ").
std::shared_ptr<const HTTPRoute> RuleRoute(const std::string& rule) {
  return Route(absl::StrCat(kParent, "  rules:\n  - ", rule));
}

std::shared_ptr<const ReferenceGrant> Grant(const std::string& ns, const std::string& spec) {
  return Object<ReferenceGrant>(absl::Substitute(R"(apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: allow, namespace: $0}
spec:
$1)",
                                                 ns, spec));
}

// ---------------------------------------------------------------------------------------------
// What can become dst_overrides, for port 8080 of shop/web.

struct ExpressibleCase {
  std::string name;
  std::string rule;
  Overrides want;
};

void PrintTo(const ExpressibleCase& c, std::ostream* os) { *os << c.name; }

class ExpressibleTest : public testing::TestWithParam<ExpressibleCase> {};

TEST_P(ExpressibleTest, BecomesExactWeights) {
  auto route = RuleRoute(GetParam().rule);
  auto dsts = RouteOverrides(*route, 8080, {}, TranslatorOptions{});
  ASSERT_TRUE(dsts.ok()) << dsts.status();
  EXPECT_EQ(OverridesOf(*dsts), GetParam().want);
}

const char kStable[] = "web-stable.shop.svc.cluster.local.:8080";
const char kCanary[] = "web-canary.shop.svc.cluster.local.:8080";

INSTANTIATE_TEST_SUITE_P(
    RouteOverrides, ExpressibleTest,
    testing::Values(ExpressibleCase{"default_weight_is_one",
                                    "backendRefs: [{name: web-stable, port: 8080}]",
                                    {{kStable, 10000}}},
                    ExpressibleCase{"weights_times_ten_thousand",
                                    "backendRefs: [{name: web-stable, port: 8080, weight: 90}, "
                                    "{name: web-canary, port: 8080, weight: 10}]",
                                    {{kStable, 900000}, {kCanary, 100000}}},
                    ExpressibleCase{
                        "zero_weight_sends_nothing_there",
                        "backendRefs: [{name: web-stable, weight: 1}, {name: web-canary, "
                        "weight: 0}]",
                        {{kStable, 10000}, {kCanary, 0}}},
                    ExpressibleCase{"unset_port_is_the_requested_one",
                                    "backendRefs: [{name: web-stable}]",
                                    {{kStable, 10000}}},
                    ExpressibleCase{"backend_port_is_kept",
                                    "backendRefs: [{name: web-stable, port: 9090, weight: 3}]",
                                    {{"web-stable.shop.svc.cluster.local.:9090", 30000}}},
                    ExpressibleCase{"default_match_written_out",
                                    "matches: [{path: {type: PathPrefix, value: /}}]\n"
                                    "    backendRefs: [{name: web-stable}]",
                                    {{kStable, 10000}}},
                    ExpressibleCase{"empty_match_is_the_default",
                                    "matches: [{}]\n    backendRefs: [{name: web-stable}]",
                                    {{kStable, 10000}}},
                    ExpressibleCase{"core_group_and_kind_written_out",
                                    "backendRefs: [{group: \"\", kind: Service, name: web-stable}]",
                                    {{kStable, 10000}}},
                    ExpressibleCase{"same_namespace_written_out",
                                    "backendRefs: [{name: web-stable, namespace: shop}]",
                                    {{kStable, 10000}}},
                    ExpressibleCase{"largest_weight_that_fits",
                                    "backendRefs: [{name: web-stable, weight: 429496}]",
                                    {{kStable, 4294960000u}}}),
    [](const auto& info) { return info.param.name; });

struct NotExpressibleCase {
  std::string name;
  std::string rules;  // the whole rules list, after "  rules:\n"
  absl::StatusCode code;
  std::string reason;
};

void PrintTo(const NotExpressibleCase& c, std::ostream* os) { *os << c.name; }

class NotExpressibleTest : public testing::TestWithParam<NotExpressibleCase> {};

TEST_P(NotExpressibleTest, IsRefusedWholeWithItsReason) {
  auto route = Route(absl::StrCat(kParent, "  rules:\n", GetParam().rules));
  auto dsts = RouteOverrides(*route, 8080, {}, TranslatorOptions{});
  ASSERT_FALSE(dsts.ok()) << "applied: " << testing::PrintToString(OverridesOf(*dsts));
  EXPECT_EQ(dsts.status().code(), GetParam().code) << dsts.status();
  EXPECT_THAT(std::string(dsts.status().message()), HasSubstr(GetParam().reason));
}

constexpr char kCannot[] = "which plain weights cannot express";
constexpr absl::StatusCode kPrecondition = absl::StatusCode::kFailedPrecondition;
constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;

INSTANTIATE_TEST_SUITE_P(
    RouteOverrides, NotExpressibleTest,
    testing::Values(
        NotExpressibleCase{"header_match",
                           "  - matches: [{headers: [{name: x-canary, value: \"1\"}]}]\n"
                           "    backendRefs: [{name: web-canary}]\n",
                           kPrecondition, "spec.rules[0].matches[0] matches headers"},
        NotExpressibleCase{"query_match",
                           "  - matches: [{queryParams: [{name: v, value: \"2\"}]}]\n"
                           "    backendRefs: [{name: web-canary}]\n",
                           kPrecondition, "matches query parameters"},
        NotExpressibleCase{"method_match",
                           "  - matches: [{method: POST}]\n    backendRefs: [{name: web-canary}]\n",
                           kPrecondition, "matches method POST"},
        NotExpressibleCase{"path_prefix_match",
                           "  - matches: [{path: {type: PathPrefix, value: /api}}]\n"
                           "    backendRefs: [{name: web-canary}]\n",
                           kPrecondition, "matches path PathPrefix \"/api\""},
        NotExpressibleCase{"exact_root_match",
                           "  - matches: [{path: {type: Exact, value: /}}]\n"
                           "    backendRefs: [{name: web-canary}]\n",
                           kPrecondition, "matches path Exact \"/\""},
        NotExpressibleCase{
            "two_matches",
            "  - matches: [{}, {method: GET}]\n    backendRefs: [{name: web-canary}]\n",
            kPrecondition, "spec.rules[0] has 2 matches"},
        NotExpressibleCase{"two_rules",
                           "  - backendRefs: [{name: web-stable}]\n"
                           "  - backendRefs: [{name: web-canary}]\n",
                           kPrecondition, "has 2 rules"},
        NotExpressibleCase{"rule_filter",
                           "  - filters: [{type: RequestHeaderModifier, requestHeaderModifier: "
                           "{set: [{name: x, value: y}]}}]\n"
                           "    backendRefs: [{name: web-canary}]\n",
                           kPrecondition, "spec.rules[0] has filters"},
        NotExpressibleCase{"backend_filter",
                           "  - backendRefs: [{name: web-canary, filters: [{type: "
                           "RequestHeaderModifier, requestHeaderModifier: {set: [{name: x, "
                           "value: y}]}}]}]\n",
                           kPrecondition, "spec.rules[0].backendRefs[0] has filters"},
        NotExpressibleCase{"timeouts",
                           "  - timeouts: {request: 10s}\n    backendRefs: [{name: web-canary}]\n",
                           kPrecondition, "spec.rules[0] sets timeouts"},
        NotExpressibleCase{"no_backends", "  - matches: [{}]\n", kPrecondition,
                           "spec.rules[0] has no backendRefs"},
        NotExpressibleCase{"multicluster_service_import",
                           "  - backendRefs: [{group: multicluster.x-k8s.io, kind: ServiceImport, "
                           "name: web}]\n",
                           kPrecondition, "is a ServiceImport of group \"multicluster.x-k8s.io\""},
        NotExpressibleCase{"one_bad_backend_among_good_ones",
                           "  - backendRefs: [{name: web-stable, weight: 9}, {kind: Pod, name: "
                           "web-0, weight: 1}]\n",
                           kPrecondition, "spec.rules[0].backendRefs[1] is a Pod"},
        NotExpressibleCase{"every_weight_zero",
                           "  - backendRefs: [{name: web-stable, weight: 0}, {name: web-canary, "
                           "weight: 0}]\n",
                           kPrecondition, "every backendRef has weight 0"},
        NotExpressibleCase{"cross_namespace_without_grant",
                           "  - backendRefs: [{name: web, namespace: prod}]\n", kPrecondition,
                           "no ReferenceGrant in prod"},
        NotExpressibleCase{"negative_weight", "  - backendRefs: [{name: web-stable, weight: -1}]\n",
                           kInvalid, "spec.rules[0].backendRefs[0].weight: -1 is negative"},
        NotExpressibleCase{"weight_too_large_for_the_wire",
                           "  - backendRefs: [{name: web-stable, weight: 429497}]\n", kInvalid,
                           "too large"},
        NotExpressibleCase{"port_out_of_range",
                           "  - backendRefs: [{name: web-stable, port: 70000}]\n", kInvalid,
                           "port: 70000 is not in 1..65535"}),
    [](const auto& info) { return info.param.name; });

TEST(RouteOverridesTest, NoRulesIsNotExpressible) {
  auto route = Route(kParent);
  auto dsts = RouteOverrides(*route, 8080, {}, TranslatorOptions{});
  ASSERT_FALSE(dsts.ok());
  EXPECT_EQ(dsts.status().code(), kPrecondition);
  EXPECT_THAT(std::string(dsts.status().message()), HasSubstr("has no rules"));
}

TEST(RouteOverridesTest, BackendRefCarriesTheServiceAndPort) {
  auto route = RuleRoute("backendRefs: [{name: web-stable}]");
  auto dsts = RouteOverrides(*route, 8080, {}, TranslatorOptions{});
  ASSERT_TRUE(dsts.ok()) << dsts.status();
  ASSERT_EQ(dsts->size(), 1u);
  const auto& ref = (*dsts)[0].backend_ref().resource();
  EXPECT_EQ(ref.group(), "core");
  EXPECT_EQ(ref.kind(), "Service");
  EXPECT_EQ(ref.name(), "web-stable");
  EXPECT_EQ(ref.namespace_(), "shop");
  EXPECT_EQ(ref.port(), 8080u);
}

TEST(RouteOverridesTest, CustomClusterDomain) {
  TranslatorOptions options;
  options.cluster_domain = "example.org";
  auto dsts = RouteOverrides(*RuleRoute("backendRefs: [{name: web-stable}]"), 80, {}, options);
  ASSERT_TRUE(dsts.ok()) << dsts.status();
  EXPECT_THAT(OverridesOf(*dsts), ElementsAre(Pair("web-stable.shop.svc.example.org.:80", 10000)));
}

// ---------------------------------------------------------------------------------------------
// ReferenceGrants: a backend in another namespace needs one there, from HTTPRoutes of the route's
// group in the route's namespace, to that Service (or every Service).

struct GrantCase {
  std::string name;
  std::string grant_ns;
  std::string grant_spec;
  bool granted;
};

void PrintTo(const GrantCase& c, std::ostream* os) { *os << c.name; }

class ReferenceGrantTest : public testing::TestWithParam<GrantCase> {};

TEST_P(ReferenceGrantTest, DecidesCrossNamespaceBackends) {
  auto route = RuleRoute("backendRefs: [{name: web, namespace: prod, weight: 2}]");
  auto dsts = RouteOverrides(*route, 8080, {Grant(GetParam().grant_ns, GetParam().grant_spec)},
                             TranslatorOptions{});
  if (GetParam().granted) {
    ASSERT_TRUE(dsts.ok()) << dsts.status();
    EXPECT_THAT(OverridesOf(*dsts), ElementsAre(Pair("web.prod.svc.cluster.local.:8080", 20000)));
  } else {
    ASSERT_FALSE(dsts.ok());
    EXPECT_EQ(dsts.status().code(), kPrecondition);
    EXPECT_THAT(std::string(dsts.status().message()),
                HasSubstr("is the Service prod/web in another namespace, and no ReferenceGrant "
                          "in prod lets HTTPRoutes of gateway.networking.k8s.io in shop refer"));
  }
}

constexpr char kFromShop[] =
    "  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: shop}]\n";

INSTANTIATE_TEST_SUITE_P(
    RouteOverrides, ReferenceGrantTest,
    testing::Values(
        GrantCase{"every_service", "prod",
                  absl::StrCat(kFromShop, "  to: [{group: \"\", kind: Service}]\n"), true},
        GrantCase{"that_service", "prod",
                  absl::StrCat(kFromShop, "  to: [{group: \"\", kind: Service, name: web}]\n"),
                  true},
        GrantCase{"another_service", "prod",
                  absl::StrCat(kFromShop, "  to: [{group: \"\", kind: Service, name: db}]\n"),
                  false},
        GrantCase{"in_the_route_namespace", "shop",
                  absl::StrCat(kFromShop, "  to: [{group: \"\", kind: Service}]\n"), false},
        GrantCase{"from_another_namespace", "prod",
                  "  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: "
                  "other}]\n  to: [{group: \"\", kind: Service}]\n",
                  false},
        GrantCase{"from_linkerd_routes_only", "prod",
                  "  from: [{group: policy.linkerd.io, kind: HTTPRoute, namespace: shop}]\n"
                  "  to: [{group: \"\", kind: Service}]\n",
                  false},
        GrantCase{"from_grpc_routes_only", "prod",
                  "  from: [{group: gateway.networking.k8s.io, kind: GRPCRoute, namespace: "
                  "shop}]\n  to: [{group: \"\", kind: Service}]\n",
                  false},
        GrantCase{"to_secrets_only", "prod",
                  absl::StrCat(kFromShop, "  to: [{group: \"\", kind: Secret}]\n"), false}),
    [](const auto& info) { return info.param.name; });

// ---------------------------------------------------------------------------------------------
// BuildProfile: attachment, conflicts, consumer routes and precedence, with their notes.

ProfileInputs WebInputs(uint32_t port = 8080) {
  ProfileInputs in;
  in.service_name = "web";
  in.service_ns = "shop";
  in.port = port;
  in.service = Object<Service>(R"(apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  clusterIP: 10.96.0.10
  ports:
  - {name: http, port: 8080}
  - {name: admin, port: 9990}
)");
  return in;
}

const ProfileNotes::IgnoredRoute* Ignored(const ProfileNotes& notes, const HTTPRoute& route) {
  for (const auto& i : notes.routes_ignored) {
    if (i.route == &route) return &i;
  }
  return nullptr;
}

struct AttachCase {
  std::string name;
  std::string parent_refs;  // the parentRefs line
  uint32_t port;
  bool attached;
  std::string reason;  // why not, when not: "" when the route names the Service in no way told
  bool problem;
};

void PrintTo(const AttachCase& c, std::ostream* os) { *os << c.name; }

class AttachmentTest : public testing::TestWithParam<AttachCase> {};

TEST_P(AttachmentTest, ParentRefsDecide) {
  const AttachCase& c = GetParam();
  ProfileInputs in = WebInputs(c.port);
  in.routes = {Route(absl::StrCat("  parentRefs: ", c.parent_refs,
                                  "\n  rules:\n  - backendRefs: [{name: web-canary}]\n"))};
  ProfileNotes notes;
  pb::DestinationProfile p = BuildProfile(in, nullptr, TranslatorOptions{}, &notes);
  if (c.attached) {
    EXPECT_EQ(notes.overrides_source, "httproute");
    EXPECT_EQ(notes.route_applied, in.routes[0].get());
    EXPECT_EQ(p.dst_overrides(0).authority(),
              absl::StrCat("web-canary.shop.svc.cluster.local.:", c.port));
    return;
  }
  EXPECT_EQ(notes.overrides_source, "self");
  const ProfileNotes::IgnoredRoute* ignored = Ignored(notes, *in.routes[0]);
  if (c.reason.empty()) {
    EXPECT_EQ(ignored, nullptr);
    return;
  }
  ASSERT_NE(ignored, nullptr);
  EXPECT_THAT(ignored->reason, HasSubstr(c.reason));
  EXPECT_EQ(ignored->problem, c.problem);
}

INSTANTIATE_TEST_SUITE_P(
    BuildProfile, AttachmentTest,
    testing::Values(
        AttachCase{"core_group", "[{group: core, kind: Service, name: web}]", 8080, true, "",
                   false},
        AttachCase{"empty_group", "[{group: \"\", kind: Service, name: web}]", 8080, true, "",
                   false},
        AttachCase{"namespace_written_out",
                   "[{group: core, kind: Service, name: web, namespace: shop}]", 8080, true, "",
                   false},
        AttachCase{"port_matches", "[{group: core, kind: Service, name: web, port: 8080}]", 8080,
                   true, "", false},
        AttachCase{"port_differs", "[{group: core, kind: Service, name: web, port: 9990}]", 8080,
                   false, "spec.parentRefs[0] attaches it to port 9990 only", false},
        AttachCase{"second_parent_ref_matches",
                   "[{group: core, kind: Service, name: web, port: 9990}, {group: core, kind: "
                   "Service, name: web, port: 8080}]",
                   8080, true, "", false},
        AttachCase{"section_name_of_the_port",
                   "[{group: core, kind: Service, name: web, sectionName: http}]", 8080, true, "",
                   false},
        AttachCase{"section_name_of_another_port",
                   "[{group: core, kind: Service, name: web, sectionName: admin}]", 8080, false,
                   "sectionName \"admin\" is not the name of the Service's port 8080", false},
        AttachCase{"group_left_out_means_gateway_api", "[{kind: Service, name: web}]", 8080, false,
                   "names the Service in group \"gateway.networking.k8s.io\"", true},
        AttachCase{"a_gateway", "[{name: web}]", 8080, false, "", false},
        AttachCase{"another_service", "[{group: core, kind: Service, name: api}]", 8080, false, "",
                   false},
        AttachCase{"the_same_name_in_another_namespace",
                   "[{group: core, kind: Service, name: web, namespace: prod}]", 8080, false, "",
                   false}),
    [](const auto& info) { return info.param.name; });

TEST(BuildProfileRouteTest, OldestRouteWinsAndTheOthersAreConflicts) {
  ProfileInputs in = WebInputs();
  const std::string rules = absl::StrCat(kParent, "  rules:\n  - backendRefs: [{name: ");
  in.routes = {
      Route(absl::StrCat(rules, "newer}]\n"), "b-newer", "2026-03-01T00:00:00Z"),
      Route(absl::StrCat(rules, "oldest}]\n"), "z-oldest", "2025-01-01T00:00:00Z"),
      // As old as the newer one: its name decides between them, not the order of the list.
      Route(absl::StrCat(rules, "tie}]\n"), "a-tie", "2026-03-01T00:00:00Z"),
  };
  ProfileNotes notes;
  pb::DestinationProfile p = BuildProfile(in, nullptr, TranslatorOptions{}, &notes);
  EXPECT_THAT(OverridesOf(p.dst_overrides()),
              ElementsAre(Pair("oldest.shop.svc.cluster.local.:8080", 10000)));
  EXPECT_EQ(notes.route_applied, in.routes[1].get());
  for (size_t i : {0u, 2u}) {
    const ProfileNotes::IgnoredRoute* ignored = Ignored(notes, *in.routes[i]);
    ASSERT_NE(ignored, nullptr) << i;
    EXPECT_EQ(ignored->conflicts_with, in.routes[1].get());
    EXPECT_TRUE(ignored->problem);
    EXPECT_THAT(ignored->reason, HasSubstr("conflicts with HTTPRoute shop/z-oldest, which is older "
                                           "(created 2025-01-01T00:00:00Z)"));
  }
  EXPECT_THAT(notes.warnings,
              testing::Contains(HasSubstr("3 HTTPRoutes apply to web.shop.svc.cluster.local:8080; "
                                          "the oldest, HTTPRoute shop/z-oldest, is used")));

  // Without the oldest, the tie goes to namespace/name: a-tie before b-newer.
  in.routes.erase(in.routes.begin() + 1);
  ProfileNotes tie_notes;
  p = BuildProfile(in, nullptr, TranslatorOptions{}, &tie_notes);
  EXPECT_THAT(OverridesOf(p.dst_overrides()),
              ElementsAre(Pair("tie.shop.svc.cluster.local.:8080", 10000)));
}

TEST(BuildProfileRouteTest, AnUnusableRouteDoesNotHideAnUsableOne) {
  ProfileInputs in = WebInputs();
  in.routes = {
      Route(absl::StrCat(kParent,
                         "  rules:\n  - matches: [{method: GET}]\n"
                         "    backendRefs: [{name: old}]\n"),
            "old-headers", "2020-01-01T00:00:00Z"),
      Route(absl::StrCat(kParent, "  rules:\n  - backendRefs: [{name: plain}]\n"), "plain"),
  };
  ProfileNotes notes;
  pb::DestinationProfile p = BuildProfile(in, nullptr, TranslatorOptions{}, &notes);
  EXPECT_THAT(OverridesOf(p.dst_overrides()),
              ElementsAre(Pair("plain.shop.svc.cluster.local.:8080", 10000)));
  const ProfileNotes::IgnoredRoute* ignored = Ignored(notes, *in.routes[0]);
  ASSERT_NE(ignored, nullptr);
  EXPECT_TRUE(ignored->problem);
  EXPECT_EQ(ignored->conflicts_with, nullptr);
  EXPECT_THAT(ignored->reason, HasSubstr("matches method GET, " + std::string(kCannot)));
  EXPECT_THAT(notes.warnings, testing::Contains(HasSubstr("HTTPRoute shop/old-headers spec.rules[0]"
                                                          ".matches[0] matches method GET")));
}

TEST(BuildProfileRouteTest, LinkerdRoutesAreNamedWithTheirGroup) {
  ProfileInputs in = WebInputs();
  in.routes = {Route(absl::StrCat(kParent,
                                  "  rules:\n  - matches: [{method: GET}]\n"
                                  "    backendRefs: [{name: web-canary}]\n"),
                     "web", "2026-01-01T00:00:00Z", "policy.linkerd.io/v1beta3")};
  EXPECT_EQ(RouteName(*in.routes[0]), "HTTPRoute.policy.linkerd.io shop/web");
  ProfileNotes notes;
  BuildProfile(in, nullptr, TranslatorOptions{}, &notes);
  EXPECT_THAT(notes.warnings,
              testing::Contains(HasSubstr("HTTPRoute.policy.linkerd.io shop/web spec.rules[0]")));
}

TEST(BuildProfileRouteTest, ConsumerRouteAppliesOnlyToClientsOfItsNamespace) {
  ProfileInputs in = WebInputs();
  auto producer = Route(absl::StrCat(kParent, "  rules:\n  - backendRefs: [{name: producer}]\n"),
                        "producer", "2026-01-01T00:00:00Z");
  auto consumer = Route(
      "  parentRefs: [{group: core, kind: Service, name: web, namespace: shop}]\n"
      "  rules:\n  - backendRefs: [{name: consumer}]\n",
      "consumer", "2027-01-01T00:00:00Z", "gateway.networking.k8s.io/v1", "checkout");
  in.routes = {producer, consumer};

  ProfileNotes local;  // a client in shop itself, or with no namespace
  pb::DestinationProfile p = BuildProfile(in, nullptr, TranslatorOptions{}, &local);
  EXPECT_THAT(OverridesOf(p.dst_overrides()),
              ElementsAre(Pair("producer.shop.svc.cluster.local.:8080", 10000)));
  const ProfileNotes::IgnoredRoute* ignored = Ignored(local, *consumer);
  ASSERT_NE(ignored, nullptr);
  EXPECT_FALSE(ignored->problem);
  EXPECT_THAT(ignored->reason, HasSubstr("is a consumer route (in checkout, not the Service's "
                                         "namespace): it applies only to clients in checkout"));

  in.client_ns = "checkout";
  ProfileNotes remote;
  p = BuildProfile(in, nullptr, TranslatorOptions{}, &remote);
  EXPECT_THAT(OverridesOf(p.dst_overrides()),
              ElementsAre(Pair("consumer.checkout.svc.cluster.local.:8080", 10000)));
  EXPECT_EQ(remote.route_applied, consumer.get());
  ignored = Ignored(remote, *producer);
  ASSERT_NE(ignored, nullptr);
  EXPECT_FALSE(ignored->problem);
  EXPECT_THAT(ignored->reason, HasSubstr("is overridden for clients in checkout by a route of "
                                         "their own namespace"));
}

TEST(BuildProfileRouteTest, ServiceProfileOverRouteOverSplitAndTheNotesSaySo) {
  ProfileInputs in = WebInputs();
  in.routes = {Route(absl::StrCat(kParent, "  rules:\n  - backendRefs: [{name: web-canary}]\n"))};
  in.splits = {Object<TrafficSplit>(R"(apiVersion: split.smi-spec.io/v1alpha2
kind: TrafficSplit
metadata: {name: web-split, namespace: shop}
spec:
  service: web
  backends: [{service: web-stable, weight: 1}]
)")};
  TranslatedServiceProfile sp;
  pb::WeightedDst d;
  d.set_authority("web-v2.shop.svc.cluster.local:8080");
  d.set_weight(10000);
  sp.dst_overrides = {d};
  sp.retry_budget = DefaultRetryBudget();
  in.profile = Object<ServiceProfile>(R"(apiVersion: linkerd.io/v1alpha2
kind: ServiceProfile
metadata: {name: web.shop.svc.cluster.local, namespace: shop}
spec: {}
)");

  ProfileNotes notes;
  pb::DestinationProfile p = BuildProfile(in, &sp, TranslatorOptions{}, &notes);
  EXPECT_THAT(OverridesOf(p.dst_overrides()),
              ElementsAre(Pair("web-v2.shop.svc.cluster.local:8080", 10000)));
  EXPECT_EQ(notes.overrides_source, "serviceprofile");
  EXPECT_EQ(notes.route_applied, nullptr);
  const ProfileNotes::IgnoredRoute* ignored = Ignored(notes, *in.routes[0]);
  ASSERT_NE(ignored, nullptr);
  EXPECT_FALSE(ignored->problem);
  EXPECT_EQ(ignored->reason,
            "applies, but the ServiceProfile shop/web.shop.svc.cluster.local's "
            "dstOverrides take precedence");
  ASSERT_EQ(notes.splits_ignored.size(), 1u);
  EXPECT_EQ(notes.splits_ignored[0].reason,
            "applies, but the ServiceProfile shop/web.shop.svc.cluster.local's dstOverrides take "
            "precedence");

  // Without the ServiceProfile's overrides: the route, and the split is shadowed by it.
  ProfileNotes route_notes;
  p = BuildProfile(in, nullptr, TranslatorOptions{}, &route_notes);
  EXPECT_THAT(OverridesOf(p.dst_overrides()), ElementsAre(Pair(kCanary, 10000)));
  EXPECT_EQ(route_notes.overrides_source, "httproute");
  EXPECT_EQ(route_notes.route_applied, in.routes[0].get());
  EXPECT_EQ(route_notes.split_applied, nullptr);
  ASSERT_EQ(route_notes.splits_ignored.size(), 1u);
  EXPECT_EQ(route_notes.splits_ignored[0].reason,
            "applies, but HTTPRoute shop/web takes precedence");

  // Without notes, the same answer (the fast path stops at the first source in force).
  pb::DestinationProfile fast = BuildProfile(in, nullptr, TranslatorOptions{}, nullptr);
  EXPECT_EQ(fast.SerializeAsString(), p.SerializeAsString());
}

TEST(CrossNamespaceBackendsTest, TheOtherNamespacesSortedOnce) {
  auto a =
      RuleRoute("backendRefs: [{name: x, namespace: prod}, {name: y}, {name: z, namespace: shop}]");
  auto b = RuleRoute("backendRefs: [{name: x, namespace: edge}, {name: y, namespace: prod}]");
  EXPECT_THAT(CrossNamespaceBackends({a, b}), ElementsAre("edge", "prod"));
}

}  // namespace
}  // namespace dest
