// Server (policy.linkerd.io) semantics: Kubernetes label selectors, and which pod port a Server
// selects; and that a Server with proxyProtocol opaque makes the port opaque for the pod.
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/substitute.h"
#include "controlplane/translate/endpoint_translator.h"
#include "gtest/gtest.h"
#include "tests/support/yaml_fixtures.h"

namespace dest {
namespace {

struct SelectorCase {
  std::string name;
  std::string selector;  // YAML flow map of spec.podSelector
  bool want;             // against the labels {app: web, tier: front}
};
void PrintTo(const SelectorCase& c, std::ostream* os) { *os << c.name; }

class SelectorTest : public testing::TestWithParam<SelectorCase> {};

TEST_P(SelectorTest, MatchesAsKubernetesDoes) {
  auto server = Object<Server>(absl::StrCat(R"(
apiVersion: policy.linkerd.io/v1beta1
kind: Server
metadata: {name: s, namespace: shop}
spec:
  port: 8080
  podSelector: )",
                                            GetParam().selector, "\n"));
  const std::map<std::string, std::string> labels = {{"app", "web"}, {"tier", "front"}};
  EXPECT_EQ(SelectorMatches(server->pod_selector, labels), GetParam().want);
}

INSTANTIATE_TEST_SUITE_P(
    Table, SelectorTest,
    testing::Values(
        SelectorCase{"EmptySelectsAll", "{}", true},
        SelectorCase{"MatchLabels", "{matchLabels: {app: web}}", true},
        SelectorCase{"MatchLabelsAll", "{matchLabels: {app: web, tier: front}}", true},
        SelectorCase{"MatchLabelsOtherValue", "{matchLabels: {app: api}}", false},
        SelectorCase{"MatchLabelsMissing", "{matchLabels: {zone: a}}", false},
        SelectorCase{"In", "{matchExpressions: [{key: tier, operator: In, values: [front, edge]}]}",
                     true},
        SelectorCase{"InNot", "{matchExpressions: [{key: tier, operator: In, values: [back]}]}",
                     false},
        SelectorCase{"InMissingKey", "{matchExpressions: [{key: zone, operator: In, values: [a]}]}",
                     false},
        SelectorCase{"NotIn", "{matchExpressions: [{key: tier, operator: NotIn, values: [back]}]}",
                     true},
        SelectorCase{"NotInListed",
                     "{matchExpressions: [{key: tier, operator: NotIn, values: [front]}]}", false},
        SelectorCase{"NotInMissingKey",
                     "{matchExpressions: [{key: zone, operator: NotIn, values: [a]}]}", true},
        SelectorCase{"Exists", "{matchExpressions: [{key: app, operator: Exists}]}", true},
        SelectorCase{"ExistsMissing", "{matchExpressions: [{key: zone, operator: Exists}]}", false},
        SelectorCase{"DoesNotExist", "{matchExpressions: [{key: zone, operator: DoesNotExist}]}",
                     true},
        SelectorCase{"DoesNotExistPresent",
                     "{matchExpressions: [{key: app, operator: DoesNotExist}]}", false},
        SelectorCase{"UnknownOperatorSelectsNothing",
                     "{matchExpressions: [{key: app, operator: Gt, values: ['1']}]}", false},
        SelectorCase{"LabelsAndExpressionsBothHold",
                     "{matchLabels: {app: web}, matchExpressions: [{key: tier, operator: In, "
                     "values: [back]}]}",
                     false}),
    [](const testing::TestParamInfo<SelectorCase>& info) { return info.param.name; });

constexpr char kPod[] = R"(
apiVersion: v1
kind: Pod
metadata:
  name: web-0
  namespace: shop
  labels: {app: web, linkerd.io/control-plane-ns: linkerd}
spec:
  containers:
  - name: app
    ports: [{name: http, containerPort: 8080}, {name: admin, containerPort: 9990}]
status: {phase: Running, podIPs: [{ip: 10.0.0.1}]}
)";

struct PortCase {
  std::string name;
  std::string server;  // the Server's spec, YAML block at indent 2
  uint32_t port;
  bool want_selected;
};
void PrintTo(const PortCase& c, std::ostream* os) { *os << c.name; }

class ServerPortTest : public testing::TestWithParam<PortCase> {};

TEST_P(ServerPortTest, SelectsThePodPort) {
  const PortCase& c = GetParam();
  auto pod = Object<Pod>(kPod);
  auto server = Object<Server>(absl::StrCat(
      "apiVersion: policy.linkerd.io/v1beta3\nkind: Server\nmetadata: {name: s, namespace: ",
      c.name == "OtherNamespace" ? "other" : "shop", "}\nspec:\n", c.server));
  EXPECT_EQ(ServerSelects(*server, *pod, c.port), c.want_selected);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ServerPortTest,
    testing::Values(
        PortCase{"PortNumber", "  podSelector: {matchLabels: {app: web}}\n  port: 8080\n", 8080,
                 true},
        PortCase{"PortNumberOther", "  podSelector: {matchLabels: {app: web}}\n  port: 8080\n",
                 9990, false},
        PortCase{"PortName", "  podSelector: {matchLabels: {app: web}}\n  port: admin\n", 9990,
                 true},
        PortCase{"PortNameUnknown", "  podSelector: {matchLabels: {app: web}}\n  port: grpc\n",
                 8080, false},
        PortCase{"SelectorMisses", "  podSelector: {matchLabels: {app: api}}\n  port: 8080\n",
                 8080, false},
        PortCase{"OtherNamespace", "  podSelector: {}\n  port: 8080\n", 8080, false}),
    [](const testing::TestParamInfo<PortCase>& info) { return info.param.name; });

// A Server with proxyProtocol opaque makes the port opaque for the pod, in addition to the pod's
// annotation; another protocol does not.
TEST(ServerOpaqueTest, OpaqueServerMarksThePort) {
  Store store;
  TranslatorOptions options;
  options.default_opaque_ports = PortSet();
  Apply(store, kPod);
  auto pod = store.Get<Pod>("shop", "web-0");
  ASSERT_NE(pod, nullptr);
  EXPECT_FALSE(IsOpaquePort(store, *pod, 8080, options));
  const std::string server = R"(
apiVersion: policy.linkerd.io/v1beta1
kind: Server
metadata: {name: web-http, namespace: shop}
spec: {podSelector: {matchLabels: {app: web}}, port: http, proxyProtocol: $0}
)";
  Apply(store, absl::Substitute(server, "HTTP/2"));
  EXPECT_FALSE(IsOpaquePort(store, *pod, 8080, options));
  Apply(store, absl::Substitute(server, "opaque"));
  EXPECT_TRUE(IsOpaquePort(store, *pod, 8080, options));
  EXPECT_FALSE(IsOpaquePort(store, *pod, 9990, options));
  Apply(store, absl::Substitute(server, "opaque"), EventType::kDeleted);
  EXPECT_FALSE(IsOpaquePort(store, *pod, 8080, options));
}

}  // namespace
}  // namespace dest
