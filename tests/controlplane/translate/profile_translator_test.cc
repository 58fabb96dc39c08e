#include "controlplane/translate/profile_translator.h"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/substitute.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/support/yaml_fixtures.h"

namespace dest {
namespace {

namespace pb = io::linkerd::proxy::destination;
namespace http = io::linkerd::proxy::http_types;
using testing::ElementsAre;
using testing::HasSubstr;
using testing::Pair;

// ---------------------------------------------------------------------------------------------
// Helpers.

// Compares `got` with the text-format `want`, in order: the parts of a multi-field match come in
// Linkerd's order (requests all, any, method, not, path; responses all, any, status, not).
template <typename M>
testing::AssertionResult ProtoEq(const M& got, const std::string& want_text) {
  M want;
  if (!google::protobuf::TextFormat::ParseFromString(want_text, &want)) {
    return testing::AssertionFailure() << "bad expectation text: " << want_text;
  }
  google::protobuf::util::MessageDifferencer d;
  std::string diff;
  d.ReportDifferencesToString(&diff);
  if (d.Compare(want, got)) return testing::AssertionSuccess();
  return testing::AssertionFailure() << "got:\n"
                                     << got.DebugString() << "want:\n"
                                     << want.DebugString() << "diff:\n"
                                     << diff;
}

RequestMatchSpec PathRe(std::string re) {
  RequestMatchSpec m;
  m.path_regex = std::move(re);
  return m;
}
RequestMatchSpec Method(std::string method) {
  RequestMatchSpec m;
  m.method = std::move(method);
  return m;
}
RequestMatchSpec AllOf(std::vector<RequestMatchSpec> parts) {
  RequestMatchSpec m;
  m.all = std::move(parts);
  return m;
}
RequestMatchSpec AnyOf(std::vector<RequestMatchSpec> parts) {
  RequestMatchSpec m;
  m.any = std::move(parts);
  return m;
}
RequestMatchSpec NotOf(RequestMatchSpec part) {
  RequestMatchSpec m;
  m.not_.push_back(std::move(part));
  return m;
}

ResponseMatchSpec StatusRange(int64_t min, int64_t max) {
  ResponseMatchSpec m;
  m.status = StatusRangeSpec{min, max};
  return m;
}
ResponseMatchSpec RAllOf(std::vector<ResponseMatchSpec> parts) {
  ResponseMatchSpec m;
  m.all = std::move(parts);
  return m;
}
ResponseMatchSpec RAnyOf(std::vector<ResponseMatchSpec> parts) {
  ResponseMatchSpec m;
  m.any = std::move(parts);
  return m;
}
ResponseMatchSpec RNotOf(ResponseMatchSpec part) {
  ResponseMatchSpec m;
  m.not_.push_back(std::move(part));
  return m;
}

RouteSpec Route(std::string name, RequestMatchSpec condition) {
  RouteSpec r;
  r.name = std::move(name);
  r.condition = std::move(condition);
  return r;
}

ServiceProfile Profile(std::vector<RouteSpec> routes) {
  ServiceProfile sp;
  sp.meta.name = "web.emojivoto.svc.cluster.local";
  sp.meta.ns = "emojivoto";
  sp.api_version = "linkerd.io/v1alpha2";
  sp.routes = std::move(routes);
  return sp;
}

ServiceProfile ProfileWithCondition(RequestMatchSpec condition) {
  return Profile({Route("r", std::move(condition))});
}

ServiceProfile ProfileWithResponseClass(ResponseMatchSpec condition, bool is_failure = true) {
  RouteSpec r = Route("r", PathRe("/"));
  ResponseClassSpec rc;
  rc.condition = std::move(condition);
  rc.is_failure = is_failure;
  r.response_classes.push_back(std::move(rc));
  return Profile({std::move(r)});
}

ServiceProfile ProfileWithOverrides(std::vector<DstOverrideSpec> overrides) {
  ServiceProfile sp = Profile({});
  sp.dst_overrides = std::move(overrides);
  return sp;
}

// (authority, weight) of each dst_override, for compact assertions.
std::vector<std::pair<std::string, uint32_t>> Overrides(
    const google::protobuf::RepeatedPtrField<pb::WeightedDst>& dsts) {
  std::vector<std::pair<std::string, uint32_t>> out;
  for (const pb::WeightedDst& d : dsts) out.emplace_back(d.authority(), d.weight());
  return out;
}
std::vector<std::pair<std::string, uint32_t>> Overrides(const std::vector<pb::WeightedDst>& dsts) {
  std::vector<std::pair<std::string, uint32_t>> out;
  for (const pb::WeightedDst& d : dsts) out.emplace_back(d.authority(), d.weight());
  return out;
}

void ExpectDefaultRetryBudget(const pb::RetryBudget& b) {
  EXPECT_FLOAT_EQ(b.retry_ratio(), 0.2f);
  EXPECT_EQ(b.min_retries_per_second(), 10u);
  EXPECT_EQ(b.ttl().seconds(), 10);
  EXPECT_EQ(b.ttl().nanos(), 0);
}

// ---------------------------------------------------------------------------------------------
// WireWeight.

struct WeightCase {
  std::string quantity;
  uint32_t wire;
};
void PrintTo(const WeightCase& c, std::ostream* os) { *os << '"' << c.quantity << '"'; }

class WireWeightGoodTest : public testing::TestWithParam<WeightCase> {};

TEST_P(WireWeightGoodTest, IsMilliValueTimesTen) {
  absl::StatusOr<uint32_t> got = WireWeight(GetParam().quantity);
  ASSERT_TRUE(got.ok()) << GetParam().quantity << ": " << got.status();
  EXPECT_EQ(*got, GetParam().wire) << GetParam().quantity;
}

INSTANTIATE_TEST_SUITE_P(Table, WireWeightGoodTest,
                         testing::Values(WeightCase{"1", 10000}, WeightCase{"500m", 5000},
                                         WeightCase{"10m", 100}, WeightCase{"100", 1000000},
                                         WeightCase{"0.5", 5000}, WeightCase{"1k", 10000000},
                                         WeightCase{"500", 5000000}, WeightCase{"0", 0},
                                         WeightCase{"90", 900000}, WeightCase{"1m", 10},
                                         // The largest wire weight that fits in 32 bits.
                                         WeightCase{"429496729m", 4294967290u}));

struct WeightBadCase {
  std::string quantity;
  absl::StatusCode code;
};
void PrintTo(const WeightBadCase& c, std::ostream* os) { *os << '"' << c.quantity << '"'; }

class WireWeightBadTest : public testing::TestWithParam<WeightBadCase> {};

TEST_P(WireWeightBadTest, Fails) {
  absl::StatusOr<uint32_t> got = WireWeight(GetParam().quantity);
  ASSERT_FALSE(got.ok()) << GetParam().quantity << " gave " << *got;
  EXPECT_EQ(got.status().code(), GetParam().code) << got.status();
}

INSTANTIATE_TEST_SUITE_P(Table, WireWeightBadTest,
                         testing::Values(WeightBadCase{"", absl::StatusCode::kInvalidArgument},
                                         WeightBadCase{"-1", absl::StatusCode::kInvalidArgument},
                                         WeightBadCase{"abc", absl::StatusCode::kInvalidArgument},
                                         WeightBadCase{"1000000k", absl::StatusCode::kOutOfRange},
                                         WeightBadCase{"429496730m", absl::StatusCode::kOutOfRange},
                                         WeightBadCase{"1E", absl::StatusCode::kOutOfRange}));

// ---------------------------------------------------------------------------------------------
// TranslateServiceProfile: request matches.

struct RequestMatchCase {
  std::string name;
  RequestMatchSpec spec;
  std::string want;  // text format of the RequestMatch
};
void PrintTo(const RequestMatchCase& c, std::ostream* os) { *os << c.name; }

class RequestMatchTest : public testing::TestWithParam<RequestMatchCase> {};

TEST_P(RequestMatchTest, Translates) {
  absl::StatusOr<TranslatedServiceProfile> got =
      TranslateServiceProfile(ProfileWithCondition(GetParam().spec), 80);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->routes.size(), 1u);
  EXPECT_TRUE(ProtoEq(got->routes[0].condition(), GetParam().want));
}

INSTANTIATE_TEST_SUITE_P(
    Table, RequestMatchTest,
    testing::Values(
        RequestMatchCase{"PathRegex", PathRe("/api/books/\\d+"),
                         R"(path { regex: "/api/books/\\d+" })"},
        RequestMatchCase{"MethodGet", Method("GET"), "method { registered: GET }"},
        RequestMatchCase{"MethodLowerGet", Method("get"), "method { registered: GET }"},
        RequestMatchCase{"MethodPost", Method("post"), "method { registered: POST }"},
        RequestMatchCase{"MethodPut", Method("Put"), "method { registered: PUT }"},
        RequestMatchCase{"MethodDelete", Method("DELETE"), "method { registered: DELETE }"},
        RequestMatchCase{"MethodPatch", Method("patch"), "method { registered: PATCH }"},
        RequestMatchCase{"MethodOptions", Method("OPTIONS"), "method { registered: OPTIONS }"},
        RequestMatchCase{"MethodConnect", Method("connect"), "method { registered: CONNECT }"},
        RequestMatchCase{"MethodHead", Method("HEAD"), "method { registered: HEAD }"},
        RequestMatchCase{"MethodTrace", Method("trace"), "method { registered: TRACE }"},
        RequestMatchCase{"MethodUnregistered", Method("PURGE"),
                         R"(method { unregistered: "PURGE" })"},
        RequestMatchCase{"All", AllOf({PathRe("/a"), Method("GET")}),
                         R"(all { matches { path { regex: "/a" } }
                                  matches { method { registered: GET } } })"},
        RequestMatchCase{"Any", AnyOf({PathRe("/a"), PathRe("/b")}),
                         R"(any { matches { path { regex: "/a" } }
                                  matches { path { regex: "/b" } } })"},
        RequestMatchCase{"Not", NotOf(Method("POST")), R"(not { method { registered: POST } })"},
        RequestMatchCase{"Nested",
                         AllOf({PathRe("/a"), AnyOf({Method("GET"), NotOf(Method("POST"))})}),
                         R"(all { matches { path { regex: "/a" } }
                     matches { any { matches { method { registered: GET } }
                                     matches { not { method { registered: POST } } } } } })"},
        // Several fields of one match: `all` of them, in Linkerd's order.
        [] {
          RequestMatchSpec m = PathRe("/x");
          m.method = "GET";
          return RequestMatchCase{"MethodAndPathBecomeAllMethodFirst", m,
                                  R"(all { matches { method { registered: GET } }
                                           matches { path { regex: "/x" } } })"};
        }(),
        [] {
          RequestMatchSpec m = NotOf(PathRe("/x"));
          m.any = {Method("GET"), Method("HEAD")};
          return RequestMatchCase{"AnyAndNotBecomeAll", m,
                                  R"(all { matches { any { matches { method { registered: GET } }
                                       matches { method { registered: HEAD } } } }
                       matches { not { path { regex: "/x" } } } })"};
        }(),
        [] {
          RequestMatchSpec m = NotOf(Method("DELETE"));
          m.path_regex = "/y";
          m.method = "POST";
          m.all = {PathRe("/a")};
          m.any = {Method("GET"), Method("HEAD")};
          return RequestMatchCase{"EveryFieldAllAnyMethodNotPath", m,
                                  R"(all { matches { all { matches { path { regex: "/a" } } } }
                                           matches { any { matches { method { registered: GET } }
                                                           matches { method { registered: HEAD } } } }
                                           matches { method { registered: POST } }
                                           matches { not { method { registered: DELETE } } }
                                           matches { path { regex: "/y" } } })"};
        }(),
        [] {
          RequestMatchSpec m = NotOf(Method("DELETE"));
          m.path_regex = "/y";
          return RequestMatchCase{"NotBeforePath", m,
                                  R"(all { matches { not { method { registered: DELETE } } }
                                           matches { path { regex: "/y" } } })"};
        }()));

struct InvalidCase {
  std::string name;
  ServiceProfile profile;
  std::string path;  // the message names this field
};
void PrintTo(const InvalidCase& c, std::ostream* os) { *os << c.name; }

class InvalidProfileTest : public testing::TestWithParam<InvalidCase> {};

TEST_P(InvalidProfileTest, IsInvalidArgumentNamingTheField) {
  absl::StatusOr<TranslatedServiceProfile> got = TranslateServiceProfile(GetParam().profile, 80);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument) << got.status();
  EXPECT_THAT(std::string(got.status().message()), HasSubstr(GetParam().path));
}

INSTANTIATE_TEST_SUITE_P(
    Table, InvalidProfileTest,
    testing::Values(
        InvalidCase{"EmptyRequestMatch", ProfileWithCondition(RequestMatchSpec{}),
                    "spec.routes[0].condition"},
        InvalidCase{"EmptyNestedRequestMatch",
                    ProfileWithCondition(AllOf({PathRe("/a"), RequestMatchSpec{}})),
                    "spec.routes[0].condition.all[1]"},
        InvalidCase{"EmptyNotRequestMatch", ProfileWithCondition(NotOf(RequestMatchSpec{})),
                    "spec.routes[0].condition.not"},
        InvalidCase{"MissingCondition",
                    [] {
                      RouteSpec r;
                      r.name = "r";
                      return Profile({r});
                    }(),
                    "spec.routes[0].condition"},
        InvalidCase{"SecondRouteInvalid",
                    Profile({Route("a", PathRe("/a")), Route("b", RequestMatchSpec{})}),
                    "spec.routes[1].condition"},
        InvalidCase{"EmptyResponseMatch", ProfileWithResponseClass(ResponseMatchSpec{}),
                    "spec.routes[0].responseClasses[0].condition"},
        InvalidCase{"StatusMinGreaterThanMax", ProfileWithResponseClass(StatusRange(500, 400)),
                    "spec.routes[0].responseClasses[0].condition"},
        InvalidCase{"StatusMin600", ProfileWithResponseClass(StatusRange(600, 0)),
                    "spec.routes[0].responseClasses[0].condition"},
        InvalidCase{"StatusMax600", ProfileWithResponseClass(StatusRange(500, 600)),
                    "spec.routes[0].responseClasses[0].condition"},
        InvalidCase{"StatusMin99", ProfileWithResponseClass(StatusRange(99, 0)),
                    "spec.routes[0].responseClasses[0].condition"},
        InvalidCase{"StatusNegative", ProfileWithResponseClass(StatusRange(-1, 0)),
                    "spec.routes[0].responseClasses[0].condition"},
        InvalidCase{"StatusUnset", ProfileWithResponseClass(StatusRange(0, 0)),
                    "spec.routes[0].responseClasses[0].condition"},
        InvalidCase{"NestedStatusInvalid",
                    ProfileWithResponseClass(RAnyOf({StatusRange(500, 599), StatusRange(600, 0)})),
                    "spec.routes[0].responseClasses[0].condition.any[1]"},
        InvalidCase{"BadTimeout",
                    [] {
                      RouteSpec r = Route("r", PathRe("/"));
                      r.timeout = "ten seconds";
                      return Profile({r});
                    }(),
                    "spec.routes[0].timeout"},
        InvalidCase{"TimeoutWithoutUnit",
                    [] {
                      RouteSpec r = Route("r", PathRe("/"));
                      r.timeout = "100";
                      return Profile({r});
                    }(),
                    "spec.routes[0].timeout"},
        InvalidCase{"BadRetryBudgetTtl",
                    [] {
                      ServiceProfile sp = Profile({});
                      sp.retry_budget = RetryBudgetSpec{0.2, 10, "ten"};
                      return sp;
                    }(),
                    "spec.retryBudget.ttl"},
        InvalidCase{"BadOverrideWeight",
                    ProfileWithOverrides({{"web-v2.emojivoto.svc.cluster.local", "abc"}}),
                    "spec.dstOverrides[0].weight"},
        InvalidCase{"EmptyOverrideAuthority", ProfileWithOverrides({{"", "1"}}),
                    "spec.dstOverrides[0].authority"}));

// ---------------------------------------------------------------------------------------------
// TranslateServiceProfile: response classes.

struct ResponseClassCase {
  std::string name;
  ResponseMatchSpec spec;
  std::string want;  // text format of the ResponseMatch
};
void PrintTo(const ResponseClassCase& c, std::ostream* os) { *os << c.name; }

class ResponseClassTest : public testing::TestWithParam<ResponseClassCase> {};

TEST_P(ResponseClassTest, Translates) {
  absl::StatusOr<TranslatedServiceProfile> got =
      TranslateServiceProfile(ProfileWithResponseClass(GetParam().spec), 80);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->routes.size(), 1u);
  ASSERT_EQ(got->routes[0].response_classes_size(), 1);
  const pb::ResponseClass& rc = got->routes[0].response_classes(0);
  EXPECT_TRUE(rc.is_failure());
  EXPECT_TRUE(ProtoEq(rc.condition(), GetParam().want));
}

INSTANTIATE_TEST_SUITE_P(
    Table, ResponseClassTest,
    testing::Values(
        ResponseClassCase{"Range", StatusRange(500, 599), "status { min: 500 max: 599 }"},
        ResponseClassCase{"OneStatus", StatusRange(429, 429), "status { min: 429 max: 429 }"},
        ResponseClassCase{"MinOnly", StatusRange(500, 0), "status { min: 500 max: 599 }"},
        ResponseClassCase{"MaxOnly", StatusRange(0, 399), "status { min: 100 max: 399 }"},
        ResponseClassCase{"Bounds", StatusRange(100, 599), "status { min: 100 max: 599 }"},
        ResponseClassCase{"Any", RAnyOf({StatusRange(500, 0), StatusRange(429, 429)}),
                          R"(any { matches { status { min: 500 max: 599 } }
                                   matches { status { min: 429 max: 429 } } })"},
        ResponseClassCase{"All", RAllOf({StatusRange(500, 0), RNotOf(StatusRange(503, 503))}),
                          R"(all { matches { status { min: 500 max: 599 } }
                                   matches { not { status { min: 503 max: 503 } } } })"},
        // Several fields of one match: `all` of them, in Linkerd's order (status before not).
        [] {
          ResponseMatchSpec m = StatusRange(500, 0);
          m.not_.push_back(StatusRange(503, 503));
          return ResponseClassCase{"StatusAndNotBecomeAllStatusFirst", m,
                                   R"(all { matches { status { min: 500 max: 599 } }
                                            matches { not { status { min: 503 max: 503 } } } })"};
        }(),
        [] {
          ResponseMatchSpec m = RNotOf(StatusRange(404, 404));
          m.status = StatusRange(400, 499).status;
          m.all = {StatusRange(400, 0)};
          m.any = {StatusRange(429, 429), StatusRange(499, 499)};
          return ResponseClassCase{"EveryFieldAllAnyStatusNot", m,
                                   R"(all { matches { all { matches { status { min: 400 max: 599 } } } }
                                            matches { any { matches { status { min: 429 max: 429 } }
                                                            matches { status { min: 499 max: 499 } } } }
                                            matches { status { min: 400 max: 499 } }
                                            matches { not { status { min: 404 max: 404 } } } })"};
        }()));

// ---------------------------------------------------------------------------------------------
// TranslateServiceProfile: routes.

TEST(TranslateServiceProfileTest, RoutesInOrderWithLabelsRetryableAndTimeouts) {
  RouteSpec a = Route("GET /books", AllOf({Method("GET"), PathRe("/books")}));
  a.is_retryable = true;
  a.timeout = "200ms";
  RouteSpec b = Route("POST /books", Method("POST"));
  b.timeout = "1m30s";
  RouteSpec c = Route("slow", PathRe("/slow"));
  c.timeout = "1.5s";
  RouteSpec d = Route("untimed", PathRe("/untimed"));
  ResponseClassSpec ok;
  ok.condition = StatusRange(200, 299);
  ok.is_failure = false;
  d.response_classes.push_back(ok);
  ResponseClassSpec fail;
  fail.condition = StatusRange(500, 0);
  fail.is_failure = true;
  d.response_classes.push_back(fail);

  absl::StatusOr<TranslatedServiceProfile> got = TranslateServiceProfile(Profile({a, b, c, d}), 80);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->routes.size(), 4u);

  const pb::Route& ra = got->routes[0];
  EXPECT_THAT(ra.metrics_labels(), testing::UnorderedElementsAre(Pair("route", "GET /books")));
  EXPECT_TRUE(ra.is_retryable());
  ASSERT_TRUE(ra.has_timeout());
  EXPECT_EQ(ra.timeout().seconds(), 0);
  EXPECT_EQ(ra.timeout().nanos(), 200000000);
  EXPECT_TRUE(ProtoEq(ra.condition(), R"(all { matches { method { registered: GET } }
                                               matches { path { regex: "/books" } } })"));
  EXPECT_EQ(ra.response_classes_size(), 0);

  const pb::Route& rb = got->routes[1];
  EXPECT_THAT(rb.metrics_labels(), testing::UnorderedElementsAre(Pair("route", "POST /books")));
  EXPECT_FALSE(rb.is_retryable());
  ASSERT_TRUE(rb.has_timeout());
  EXPECT_EQ(rb.timeout().seconds(), 90);
  EXPECT_EQ(rb.timeout().nanos(), 0);

  const pb::Route& rc = got->routes[2];
  EXPECT_EQ(rc.metrics_labels().at("route"), "slow");
  ASSERT_TRUE(rc.has_timeout());
  EXPECT_EQ(rc.timeout().seconds(), 1);
  EXPECT_EQ(rc.timeout().nanos(), 500000000);

  const pb::Route& rd = got->routes[3];
  EXPECT_EQ(rd.metrics_labels().at("route"), "untimed");
  EXPECT_FALSE(rd.has_timeout());  // absent = unset
  ASSERT_EQ(rd.response_classes_size(), 2);
  EXPECT_FALSE(rd.response_classes(0).is_failure());
  EXPECT_TRUE(ProtoEq(rd.response_classes(0).condition(), "status { min: 200 max: 299 }"));
  EXPECT_TRUE(rd.response_classes(1).is_failure());
  EXPECT_TRUE(ProtoEq(rd.response_classes(1).condition(), "status { min: 500 max: 599 }"));

  // No retryBudget in the profile: the default one.
  ExpectDefaultRetryBudget(got->retry_budget);
  EXPECT_TRUE(got->dst_overrides.empty());
}

TEST(TranslateServiceProfileTest, EmptyProfileHasNoRoutesAndTheDefaultBudget) {
  absl::StatusOr<TranslatedServiceProfile> got = TranslateServiceProfile(Profile({}), 80);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(got->routes.empty());
  ExpectDefaultRetryBudget(got->retry_budget);
  EXPECT_TRUE(got->dst_overrides.empty());
}

TEST(TranslateServiceProfileTest, CustomRetryBudgetReplacesTheDefault) {
  ServiceProfile sp = Profile({});
  sp.retry_budget = RetryBudgetSpec{0.5, 20, "1m"};
  absl::StatusOr<TranslatedServiceProfile> got = TranslateServiceProfile(sp, 80);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_FLOAT_EQ(got->retry_budget.retry_ratio(), 0.5f);
  EXPECT_EQ(got->retry_budget.min_retries_per_second(), 20u);
  EXPECT_EQ(got->retry_budget.ttl().seconds(), 60);
  EXPECT_EQ(got->retry_budget.ttl().nanos(), 0);

  sp.retry_budget = RetryBudgetSpec{0.25, 5, "1.5s"};
  got = TranslateServiceProfile(sp, 80);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_FLOAT_EQ(got->retry_budget.retry_ratio(), 0.25f);
  EXPECT_EQ(got->retry_budget.min_retries_per_second(), 5u);
  EXPECT_EQ(got->retry_budget.ttl().seconds(), 1);
  EXPECT_EQ(got->retry_budget.ttl().nanos(), 500000000);
}

TEST(TranslateServiceProfileTest, DstOverridesGetThePortWhenMissing) {
  ServiceProfile sp = ProfileWithOverrides({
      {"web-v1.emojivoto.svc.cluster.local", "1"},
      {"web-v2.emojivoto.svc.cluster.local.:9090", "500m"},
      {"web-v3.emojivoto.svc.cluster.local.", "10m"},
      {"web-v4.emojivoto.svc.cluster.local:8080", "100"},
      {"10.1.2.3", "1"},
      {"[fd00::1]", "1"},
      {"[fd00::1]:81", "1"},
  });
  absl::StatusOr<TranslatedServiceProfile> got = TranslateServiceProfile(sp, 8080);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_THAT(Overrides(got->dst_overrides),
              ElementsAre(Pair("web-v1.emojivoto.svc.cluster.local:8080", 10000u),
                          Pair("web-v2.emojivoto.svc.cluster.local.:9090", 5000u),
                          Pair("web-v3.emojivoto.svc.cluster.local.:8080", 100u),
                          Pair("web-v4.emojivoto.svc.cluster.local:8080", 1000000u),
                          Pair("10.1.2.3:8080", 10000u), Pair("[fd00::1]:8080", 10000u),
                          Pair("[fd00::1]:81", 10000u)));
}

// ---------------------------------------------------------------------------------------------
// BuildProfile: the dst_overrides merge and the rest of the profile.

constexpr char kNs[] = "emojivoto";
constexpr char kFqdn[] = "web.emojivoto.svc.cluster.local";
constexpr char kSelf80[] = "web.emojivoto.svc.cluster.local.:80";

// The Service web, ports 80 (http, to 8080) and 9090 (grpc).
std::shared_ptr<const Service> WebService(std::optional<std::string> opaque_ports = std::nullopt) {
  return Object<Service>(absl::Substitute(R"(
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: emojivoto
  annotations: {$0}
spec:
  clusterIP: 10.96.0.10
  ports:
  - {name: http, port: 80, targetPort: 8080}
  - {name: grpc, port: 9090, targetPort: 9090}
)",
                                          opaque_ports ? absl::StrCat("config.linkerd.io/opaque-ports: \"",
                                                                      *opaque_ports, "\"")
                                                       : ""));
}

// A TrafficSplit of the Service web; each backend {service, weight as written}, each match
// {kind, name, apiGroup}.
std::shared_ptr<const TrafficSplit> WebSplit(
    const std::string& name, const std::string& created,
    const std::vector<std::pair<std::string, std::string>>& backends,
    const std::string& api_version = "split.smi-spec.io/v1alpha2",
    const std::vector<std::array<std::string, 3>>& matches = {}) {
  std::string yaml = absl::Substitute(R"(
apiVersion: $0
kind: TrafficSplit
metadata: {name: $1, namespace: emojivoto, creationTimestamp: "$2"}
spec:
  service: web
  backends:
)",
                                      api_version, name, created);
  for (const auto& [service, weight] : backends) {
    absl::StrAppend(&yaml, "  - {service: ", service, ", weight: \"", weight, "\"}\n");
  }
  if (!matches.empty()) absl::StrAppend(&yaml, "  matches:\n");
  for (const auto& [kind, match_name, group] : matches) {
    absl::StrAppend(&yaml, "  - {kind: ", kind, ", name: ", match_name, ", apiGroup: \"", group,
                    "\"}\n");
  }
  return Object<TrafficSplit>(yaml);
}

ProfileInputs Inputs(uint32_t port = 80) {
  ProfileInputs in;
  in.service_name = "web";
  in.service_ns = kNs;
  in.port = port;
  in.service = WebService();
  return in;
}

void ExpectSelfOverride(const pb::DestinationProfile& p, const std::string& authority) {
  ASSERT_EQ(p.dst_overrides_size(), 1) << p.DebugString();
  EXPECT_EQ(p.dst_overrides(0).authority(), authority);
  EXPECT_EQ(p.dst_overrides(0).weight(), 10000u);
}

void ExpectBackendRef(const pb::WeightedDst& d, const std::string& name) {
  ASSERT_TRUE(d.has_backend_ref()) << d.DebugString();
  ASSERT_TRUE(d.backend_ref().has_resource()) << d.DebugString();
  EXPECT_EQ(d.backend_ref().resource().kind(), "Service");
  EXPECT_EQ(d.backend_ref().resource().name(), name);
  EXPECT_EQ(d.backend_ref().resource().namespace_(), kNs);
}

bool AnyWarningMentions(const ProfileNotes& notes, const std::string& s) {
  for (const std::string& w : notes.warnings) {
    if (w.find(s) != std::string::npos) return true;
  }
  return false;
}

// (a) No ServiceProfile, no TrafficSplit: one override for the Service itself.
TEST(BuildProfileTest, NoProfileNoSplitGivesSelfOverride) {
  ProfileInputs in = Inputs(80);
  ProfileNotes notes;
  pb::DestinationProfile p = BuildProfile(in, nullptr, TranslatorOptions{}, &notes);
  ExpectSelfOverride(p, kSelf80);
  EXPECT_EQ(notes.overrides_source, "self");
  EXPECT_EQ(p.routes_size(), 0);
  EXPECT_FALSE(p.has_endpoint());

  in = Inputs(9090);
  p = BuildProfile(in, nullptr, TranslatorOptions{}, nullptr);  // notes are optional
  ExpectSelfOverride(p, "web.emojivoto.svc.cluster.local.:9090");
}

// The self override does not depend on the Service existing.
TEST(BuildProfileTest, AbsentServiceStillGetsNameAndSelfOverride) {
  ProfileInputs in = Inputs(80);
  in.service = nullptr;
  pb::DestinationProfile p = BuildProfile(in, nullptr, TranslatorOptions{}, nullptr);
  EXPECT_EQ(p.fully_qualified_name(), kFqdn);
  ExpectSelfOverride(p, kSelf80);
  ExpectDefaultRetryBudget(p.retry_budget());
}

// (b) A TrafficSplit alone: its backends, in order, trailing-dot authorities and backend refs.
TEST(BuildProfileTest, SplitOnlyGivesBackendsInOrder) {
  ProfileInputs in = Inputs(80);
  in.splits = {WebSplit("web-split", "2024-01-01T00:00:00Z", {{"web-v2", "90"}, {"web-v1", "10"}},
                         "split.smi-spec.io/v1alpha4")};
  ProfileNotes notes;
  pb::DestinationProfile p = BuildProfile(in, nullptr, TranslatorOptions{}, &notes);
  EXPECT_THAT(Overrides(p.dst_overrides()),
              ElementsAre(Pair("web-v2.emojivoto.svc.cluster.local.:80", 900000u),
                          Pair("web-v1.emojivoto.svc.cluster.local.:80", 100000u)));
  ASSERT_EQ(p.dst_overrides_size(), 2);
  ExpectBackendRef(p.dst_overrides(0), "web-v2");
  ExpectBackendRef(p.dst_overrides(1), "web-v1");
  EXPECT_EQ(notes.overrides_source, "trafficsplit");
  EXPECT_EQ(notes.split_used, "emojivoto/web-split");
  EXPECT_TRUE(notes.warnings.empty()) << testing::PrintToString(notes.warnings);
  ExpectDefaultRetryBudget(p.retry_budget());
  EXPECT_FALSE(p.has_profile_ref());
}

TEST(BuildProfileTest, SplitV1alpha1QuantityWeights) {
  ProfileInputs in = Inputs(9090);
  in.splits = {WebSplit("web-split", "2024-01-01T00:00:00Z", {{"web-v1", "500m"}, {"web-v2", "1"}},
                         "split.smi-spec.io/v1alpha1")};
  pb::DestinationProfile p = BuildProfile(in, nullptr, TranslatorOptions{}, nullptr);
  EXPECT_THAT(Overrides(p.dst_overrides()),
              ElementsAre(Pair("web-v1.emojivoto.svc.cluster.local.:9090", 5000u),
                          Pair("web-v2.emojivoto.svc.cluster.local.:9090", 10000u)));
}

TEST(BuildProfileTest, SplitWithCustomClusterDomain) {
  ProfileInputs in = Inputs(80);
  in.splits = {WebSplit("web-split", "2024-01-01T00:00:00Z", {{"web-v1", "1"}})};
  TranslatorOptions opts;
  opts.cluster_domain = "example.org";
  pb::DestinationProfile p = BuildProfile(in, nullptr, opts, nullptr);
  EXPECT_THAT(Overrides(p.dst_overrides()),
              ElementsAre(Pair("web-v1.emojivoto.svc.example.org.:80", 10000u)));
  EXPECT_EQ(p.fully_qualified_name(), "web.emojivoto.svc.example.org");
}

// (c) A ServiceProfile with dstOverrides wins over a TrafficSplit.
TEST(BuildProfileTest, ProfileOverridesWinOverSplit) {
  ProfileInputs in = Inputs(80);
  ServiceProfile spec = ProfileWithOverrides(
      {{"web-sp.emojivoto.svc.cluster.local", "1"}, {"web-sp2.emojivoto.svc.cluster.local", "3"}});
  in.profile = std::make_shared<ServiceProfile>(spec);
  in.splits = {WebSplit("web-split", "2024-01-01T00:00:00Z", {{"web-v1", "1"}})};
  absl::StatusOr<TranslatedServiceProfile> sp = TranslateServiceProfile(spec, in.port);
  ASSERT_TRUE(sp.ok()) << sp.status();
  ProfileNotes notes;
  pb::DestinationProfile p = BuildProfile(in, &*sp, TranslatorOptions{}, &notes);
  EXPECT_THAT(Overrides(p.dst_overrides()),
              ElementsAre(Pair("web-sp.emojivoto.svc.cluster.local:80", 10000u),
                          Pair("web-sp2.emojivoto.svc.cluster.local:80", 30000u)));
  EXPECT_EQ(notes.overrides_source, "serviceprofile");
  EXPECT_TRUE(p.has_profile_ref());
}

// (d) A ServiceProfile without dstOverrides: the TrafficSplit applies, the routes stay.
TEST(BuildProfileTest, ProfileWithoutOverridesLetsSplitApply) {
  ProfileInputs in = Inputs(80);
  ServiceProfile spec = Profile({Route("books", PathRe("/books"))});
  spec.retry_budget = RetryBudgetSpec{0.5, 3, "30s"};
  in.profile = std::make_shared<ServiceProfile>(spec);
  in.splits = {WebSplit("web-split", "2024-01-01T00:00:00Z", {{"web-v1", "1"}, {"web-v2", "1"}})};
  absl::StatusOr<TranslatedServiceProfile> sp = TranslateServiceProfile(spec, in.port);
  ASSERT_TRUE(sp.ok()) << sp.status();
  ProfileNotes notes;
  pb::DestinationProfile p = BuildProfile(in, &*sp, TranslatorOptions{}, &notes);
  EXPECT_THAT(Overrides(p.dst_overrides()),
              ElementsAre(Pair("web-v1.emojivoto.svc.cluster.local.:80", 10000u),
                          Pair("web-v2.emojivoto.svc.cluster.local.:80", 10000u)));
  EXPECT_EQ(notes.overrides_source, "trafficsplit");
  ASSERT_EQ(p.routes_size(), 1);
  EXPECT_EQ(p.routes(0).metrics_labels().at("route"), "books");
  EXPECT_FLOAT_EQ(p.retry_budget().retry_ratio(), 0.5f);
  EXPECT_EQ(p.retry_budget().min_retries_per_second(), 3u);
  EXPECT_EQ(p.retry_budget().ttl().seconds(), 30);
}

// A ServiceProfile without dstOverrides and no split: self.
TEST(BuildProfileTest, ProfileWithoutOverridesAndNoSplitGivesSelf) {
  ProfileInputs in = Inputs(80);
  ServiceProfile spec = Profile({Route("books", PathRe("/books"))});
  in.profile = std::make_shared<ServiceProfile>(spec);
  absl::StatusOr<TranslatedServiceProfile> sp = TranslateServiceProfile(spec, in.port);
  ASSERT_TRUE(sp.ok()) << sp.status();
  pb::DestinationProfile p = BuildProfile(in, &*sp, TranslatorOptions{}, nullptr);
  ExpectSelfOverride(p, kSelf80);
  EXPECT_EQ(p.routes_size(), 1);
}

// (e) A split with spec.matches cannot be expressed as weights: not applied, and noted.
TEST(BuildProfileTest, SplitWithMatchesIsNotApplied) {
  ProfileInputs in = Inputs(80);
  in.splits = {WebSplit("web-split", "2024-01-01T00:00:00Z", {{"web-v1", "1"}},
                         "split.smi-spec.io/v1alpha3", {{"HTTPRouteGroup", "canary", ""}})};
  ProfileNotes notes;
  pb::DestinationProfile p = BuildProfile(in, nullptr, TranslatorOptions{}, &notes);
  ExpectSelfOverride(p, kSelf80);
  EXPECT_EQ(notes.overrides_source, "self");
  EXPECT_TRUE(notes.split_used.empty());
  EXPECT_TRUE(AnyWarningMentions(notes, "web-split")) << testing::PrintToString(notes.warnings);
}

// A split with matches does not hide another, plain split.
TEST(BuildProfileTest, SplitWithMatchesDoesNotHidePlainSplit) {
  ProfileInputs in = Inputs(80);
  in.splits = {WebSplit("a-matching", "2020-01-01T00:00:00Z", {{"web-v1", "1"}},
                         "split.smi-spec.io/v1alpha4", {{"HTTPRouteGroup", "canary", ""}}),
               WebSplit("b-plain", "2024-01-01T00:00:00Z", {{"web-v2", "1"}})};
  ProfileNotes notes;
  pb::DestinationProfile p = BuildProfile(in, nullptr, TranslatorOptions{}, &notes);
  EXPECT_THAT(Overrides(p.dst_overrides()),
              ElementsAre(Pair("web-v2.emojivoto.svc.cluster.local.:80", 10000u)));
  EXPECT_EQ(notes.split_used, "emojivoto/b-plain");
}

// (f) Several splits: the oldest applies (creationTimestamp, then name), and the conflict is noted.
struct SplitConflictCase {
  std::string name;
  std::vector<std::shared_ptr<const TrafficSplit>> splits;
  std::string want_split;
  std::string want_backend;
};
void PrintTo(const SplitConflictCase& c, std::ostream* os) { *os << c.name; }

class SplitConflictTest : public testing::TestWithParam<SplitConflictCase> {};

TEST_P(SplitConflictTest, OldestWins) {
  ProfileInputs in = Inputs(80);
  in.splits = GetParam().splits;
  ProfileNotes notes;
  pb::DestinationProfile p = BuildProfile(in, nullptr, TranslatorOptions{}, &notes);
  EXPECT_THAT(
      Overrides(p.dst_overrides()),
      ElementsAre(Pair(GetParam().want_backend + ".emojivoto.svc.cluster.local.:80", 10000u)));
  EXPECT_EQ(notes.overrides_source, "trafficsplit");
  EXPECT_EQ(notes.split_used, "emojivoto/" + GetParam().want_split);
  EXPECT_FALSE(notes.warnings.empty()) << "the conflict is not noted";
}

INSTANTIATE_TEST_SUITE_P(
    Table, SplitConflictTest,
    testing::Values(SplitConflictCase{"OlderFirst",
                                      {WebSplit("b", "2023-01-01T00:00:00Z", {{"old", "1"}}),
                                       WebSplit("a", "2024-01-01T00:00:00Z", {{"new", "1"}})},
                                      "b",
                                      "old"},
                    SplitConflictCase{"OlderLast",
                                      {WebSplit("a", "2024-01-01T00:00:00Z", {{"new", "1"}}),
                                       WebSplit("b", "2023-01-01T00:00:00Z", {{"old", "1"}})},
                                      "b",
                                      "old"},
                    SplitConflictCase{"SameTimeThenName",
                                      {WebSplit("zeta", "2024-01-01T00:00:00Z", {{"z", "1"}}),
                                       WebSplit("alpha", "2024-01-01T00:00:00Z", {{"a", "1"}})},
                                      "alpha",
                                      "a"},
                    SplitConflictCase{"ThreeSplits",
                                      {WebSplit("c", "2024-03-01T00:00:00Z", {{"c", "1"}}),
                                       WebSplit("b", "2024-01-01T00:00:00Z", {{"b", "1"}}),
                                       WebSplit("a", "2024-02-01T00:00:00Z", {{"a", "1"}})},
                                      "b",
                                      "b"}));

// (g) A split with a bad weight is not applied.
TEST(BuildProfileTest, SplitWithBadWeightIsNotApplied) {
  ProfileInputs in = Inputs(80);
  in.splits = {
      WebSplit("web-split", "2024-01-01T00:00:00Z", {{"web-v1", "1"}, {"web-v2", "abc"}})};
  ProfileNotes notes;
  pb::DestinationProfile p = BuildProfile(in, nullptr, TranslatorOptions{}, &notes);
  ExpectSelfOverride(p, kSelf80);
  EXPECT_EQ(notes.overrides_source, "self");
  EXPECT_TRUE(AnyWarningMentions(notes, "web-split")) << testing::PrintToString(notes.warnings);
}

TEST(BuildProfileTest, SplitWithNegativeOrOverflowingWeightIsNotApplied) {
  for (const char* w : {"-1", "1000000k", ""}) {
    ProfileInputs in = Inputs(80);
    in.splits = {WebSplit("web-split", "2024-01-01T00:00:00Z", {{"web-v1", w}})};
    pb::DestinationProfile p = BuildProfile(in, nullptr, TranslatorOptions{}, nullptr);
    ExpectSelfOverride(p, kSelf80);
  }
}

TEST(BuildProfileTest, BadSplitDoesNotHideGoodSplit) {
  ProfileInputs in = Inputs(80);
  in.splits = {WebSplit("a-bad", "2020-01-01T00:00:00Z", {{"web-v1", "abc"}}),
               WebSplit("b-good", "2024-01-01T00:00:00Z", {{"web-v2", "1"}})};
  ProfileNotes notes;
  pb::DestinationProfile p = BuildProfile(in, nullptr, TranslatorOptions{}, &notes);
  EXPECT_THAT(Overrides(p.dst_overrides()),
              ElementsAre(Pair("web-v2.emojivoto.svc.cluster.local.:80", 10000u)));
  EXPECT_EQ(notes.split_used, "emojivoto/b-good");
}

// (h) opaque_protocol.
struct OpaqueCase {
  std::string name;
  bool has_service = true;
  std::optional<std::string> annotation;
  std::string default_ports;
  uint32_t port;
  bool want;
};
void PrintTo(const OpaqueCase& c, std::ostream* os) { *os << c.name; }

class OpaqueProtocolTest : public testing::TestWithParam<OpaqueCase> {};

TEST_P(OpaqueProtocolTest, FromAnnotationOrDefault) {
  const OpaqueCase& c = GetParam();
  ProfileInputs in = Inputs(c.port);
  in.service = c.has_service ? WebService(c.annotation) : nullptr;
  TranslatorOptions opts;
  opts.default_opaque_ports = PortSet::Parse(c.default_ports);
  pb::DestinationProfile p = BuildProfile(in, nullptr, opts, nullptr);
  EXPECT_EQ(p.opaque_protocol(), c.want);
}

INSTANTIATE_TEST_SUITE_P(
    Table, OpaqueProtocolTest,
    testing::Values(OpaqueCase{"NumberListed", true, "80,3306", "", 80, true},
                    OpaqueCase{"NumberNotListed", true, "3306", "80", 80, false},
                    OpaqueCase{"RangeInside", true, "9000-9100", "", 9050, true},
                    OpaqueCase{"RangeEdge", true, "9000-9100", "", 9100, true},
                    OpaqueCase{"RangeOutside", true, "9000-9100", "", 9101, false},
                    OpaqueCase{"PortName", true, "grpc", "", 9090, true},
                    OpaqueCase{"PortNameOther", true, "grpc", "", 80, false},
                    OpaqueCase{"PortNameHttp", true, "http", "", 80, true},
                    OpaqueCase{"Mixed", true, "25, 4000-4100 grpc", "", 9090, true},
                    OpaqueCase{"UnknownNameIgnored", true, "nope,80", "", 80, true},
                    OpaqueCase{"EmptyAnnotationMeansNone", true, "", "80,9090", 80, false},
                    OpaqueCase{"AbsentUsesDefault", true, std::nullopt, "25,80,3306", 80, true},
                    OpaqueCase{"AbsentDefaultRange", true, std::nullopt, "4000-4100", 4001, true},
                    OpaqueCase{"AbsentNotInDefault", true, std::nullopt, "25,3306", 80, false},
                    OpaqueCase{"AbsentEmptyDefault", true, std::nullopt, "", 80, false},
                    OpaqueCase{"NoServiceUsesDefault", false, std::nullopt, "80", 80, true}));

// (i) Names and references.
TEST(BuildProfileTest, NamesAndRefsWithoutProfile) {
  ProfileInputs in = Inputs(80);
  // A profile object that is not in force (invalid, never valid): no profile_ref.
  in.profile = std::make_shared<ServiceProfile>(Profile({}));
  pb::DestinationProfile p = BuildProfile(in, nullptr, TranslatorOptions{}, nullptr);
  EXPECT_EQ(p.fully_qualified_name(), kFqdn);
  EXPECT_TRUE(ProtoEq(p.parent_ref(), R"(resource { group: "core" kind: "Service" name: "web"
                                                    namespace: "emojivoto" port: 80 })"));
  EXPECT_FALSE(p.has_profile_ref());
  EXPECT_EQ(p.routes_size(), 0);
  ExpectDefaultRetryBudget(p.retry_budget());
}

TEST(BuildProfileTest, ProfileRefWhenProfileInForce) {
  ProfileInputs in = Inputs(9090);
  ServiceProfile spec = Profile({});
  spec.meta.ns = "client-ns";  // selected from the client's namespace
  in.profile = std::make_shared<ServiceProfile>(spec);
  absl::StatusOr<TranslatedServiceProfile> sp = TranslateServiceProfile(spec, in.port);
  ASSERT_TRUE(sp.ok()) << sp.status();
  pb::DestinationProfile p = BuildProfile(in, &*sp, TranslatorOptions{}, nullptr);
  EXPECT_EQ(p.fully_qualified_name(), kFqdn);
  EXPECT_TRUE(ProtoEq(p.parent_ref(), R"(resource { group: "core" kind: "Service" name: "web"
                                                    namespace: "emojivoto" port: 9090 })"));
  EXPECT_TRUE(ProtoEq(p.profile_ref(), R"(resource { group: "linkerd.io" kind: "ServiceProfile"
                                                     name: "web.emojivoto.svc.cluster.local"
                                                     namespace: "client-ns" })"));
  ExpectSelfOverride(p, "web.emojivoto.svc.cluster.local.:9090");
  ExpectDefaultRetryBudget(p.retry_budget());  // the profile has no retryBudget
}

TEST(BuildProfileTest, FullNameHasNoTrailingDotNorPort) {
  ProfileInputs in = Inputs(8080);
  TranslatorOptions opts;
  opts.cluster_domain = "example.org";
  pb::DestinationProfile p = BuildProfile(in, nullptr, opts, nullptr);
  EXPECT_EQ(p.fully_qualified_name(), "web.emojivoto.svc.example.org");
  ExpectSelfOverride(p, "web.emojivoto.svc.example.org.:8080");
}

}  // namespace
}  // namespace dest
