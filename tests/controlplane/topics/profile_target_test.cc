// GetProfile's choice of topic for an authority (controlplane/topics/profile_target.h), as a table
// over one store built from YAML: each row an authority and client token, and the topic key or the
// error a proxy would get.
#include "controlplane/topics/profile_target.h"

#include <ostream>
#include <string>
#include <variant>

#include "gtest/gtest.h"
#include "tests/support/yaml_fixtures.h"

namespace dest {
namespace {

constexpr char kCluster[] = R"(
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  clusterIP: 10.96.0.10
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: dup-a, namespace: shop}
spec: {clusterIP: 10.96.0.20, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: dup-b, namespace: other}
spec: {clusterIP: 10.96.0.20, ports: [{port: 80}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-1
  namespace: shop
  labels: {kubernetes.io/service-name: web}
addressType: IPv4
ports: [{name: http, port: 8080}]
endpoints:
- addresses: [10.1.0.5]
  hostname: web-0
  targetRef: {kind: Pod, name: web-0, namespace: shop}
- addresses: [10.1.0.6]
  hostname: web-1
  conditions: {ready: false}
  targetRef: {kind: Pod, name: web-1, namespace: shop}
---
apiVersion: v1
kind: Pod
metadata: {name: web-0, namespace: shop}
spec: {containers: [{name: app, ports: [{containerPort: 8080}]}]}
status: {phase: Running, podIP: 10.1.0.5, podIPs: [{ip: 10.1.0.5}]}
---
apiVersion: v1
kind: Pod
metadata: {name: twin-a, namespace: shop}
spec: {containers: [{name: app}]}
status: {phase: Running, podIP: 10.1.0.7}
---
apiVersion: v1
kind: Pod
metadata: {name: twin-b, namespace: shop}
spec: {containers: [{name: app}]}
status: {phase: Running, podIP: 10.1.0.7}
---
apiVersion: v1
kind: Pod
metadata: {name: done, namespace: shop}
spec: {containers: [{name: app}]}
status: {phase: Succeeded, podIP: 10.1.0.8}
---
apiVersion: v1
kind: Pod
metadata: {name: hostport, namespace: shop}
spec: {containers: [{name: app, ports: [{containerPort: 8080, hostPort: 30080}]}]}
status: {phase: Running, podIP: 10.1.0.9, hostIP: 192.168.1.1}
)";

ProfileKey Service(std::string ns, std::string name, uint32_t port, std::string client_ns = "") {
  return ProfileKey{std::move(name), std::move(ns), port, std::move(client_ns)};
}
EndpointProfileKey Endpoint(EndpointProfileKey::Mode mode, std::string ip, uint32_t port) {
  EndpointProfileKey k;
  k.mode = mode;
  k.ip = std::move(ip);
  k.port = port;
  return k;
}
EndpointProfileKey Instance(std::string ns, std::string svc, std::string instance, uint32_t port) {
  EndpointProfileKey k;
  k.mode = EndpointProfileKey::Mode::kInstance;
  k.ns = std::move(ns);
  k.service = std::move(svc);
  k.instance = std::move(instance);
  k.port = port;
  return k;
}

struct Case {
  std::string name;
  std::string authority;
  std::string token;
  absl::StatusCode code = absl::StatusCode::kOk;
  ProfileTarget want;          // when code is kOk
  std::string message_has;     // when it is not
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

Case Ok(std::string name, std::string authority, std::string token, ProfileTarget want) {
  return Case{std::move(name), std::move(authority), std::move(token), absl::StatusCode::kOk,
              std::move(want), ""};
}
Case Err(std::string name, std::string authority, absl::StatusCode code, std::string message) {
  return Case{std::move(name), std::move(authority), "", code, ProfileKey{}, std::move(message)};
}

std::string Describe(const ProfileTarget& t) {
  return std::visit([](const auto& k) { return k.ToString(); }, t);
}

class ProfileTargetTest : public ::testing::TestWithParam<Case> {};

TEST_P(ProfileTargetTest, Resolves) {
  const Case& c = GetParam();
  Store store;
  Apply(store, kCluster);
  TranslatorOptions options;
  absl::StatusOr<Authority> auth = ParseAuthority(c.authority, options.cluster_domain);
  ASSERT_TRUE(auth.ok()) << auth.status();
  absl::StatusOr<ProfileTarget> got =
      ResolveProfileTarget(store, *auth, ParseContextToken(c.token), options);
  ASSERT_EQ(got.status().code(), c.code) << got.status();
  if (c.code != absl::StatusCode::kOk) {
    EXPECT_NE(got.status().message().find(c.message_has), std::string_view::npos)
        << got.status();
    return;
  }
  EXPECT_EQ(*got, c.want) << "got " << Describe(*got) << ", want " << Describe(c.want);
}

using Mode = EndpointProfileKey::Mode;

INSTANTIATE_TEST_SUITE_P(
    Table, ProfileTargetTest,
    ::testing::Values(
        Ok("ServiceSameNamespace", "web.shop.svc.cluster.local:80", "ns:shop",
           Service("shop", "web", 80)),
        Ok("ServiceNoToken", "web.shop.svc.cluster.local:80", "", Service("shop", "web", 80)),
        Ok("ServiceOtherNamespaceKeysByClient", "web.shop.svc.cluster.local:8080",
           R"({"ns":"ops","nodeName":"n1"})", Service("shop", "web", 8080, "ops")),
        // A Service that does not exist yet still gets its topic (the default profile).
        Ok("UnknownService", "nope.shop.svc.cluster.local:80", "ns:x",
           Service("shop", "nope", 80, "x")),
        Ok("ReadyInstance", "web-0.web.shop.svc.cluster.local:80", "ns:ops",
           Instance("shop", "web", "web-0", 80)),
        Err("NotReadyInstance", "web-1.web.shop.svc.cluster.local:80", absl::StatusCode::kNotFound,
            "no ready endpoint named \"web-1\" in Service shop/web"),
        Ok("ClusterIp", "10.96.0.10:80", "ns:ops", Service("shop", "web", 80, "ops")),
        Err("ClusterIpOfTwoServices", "10.96.0.20:80", absl::StatusCode::kFailedPrecondition,
            "IP 10.96.0.20 (as a cluster IP) is claimed by several"),
        Ok("PodIp", "10.1.0.5:8080", "ns:shop", Endpoint(Mode::kPodIp, "10.1.0.5", 8080)),
        Err("PodIpOfTwoPods", "10.1.0.7:80", absl::StatusCode::kFailedPrecondition,
            "IP 10.1.0.7 (as a pod IP) is claimed by several shop/twin-a, shop/twin-b"),
        // A finished pod no longer claims its IP: the pod-IP topic (default profile) serves it.
        Ok("FinishedPodIp", "10.1.0.8:80", "", Endpoint(Mode::kPodIp, "10.1.0.8", 80)),
        Ok("HostPort", "192.168.1.1:30080", "", Endpoint(Mode::kHostPort, "192.168.1.1", 30080)),
        Ok("HostIpOtherPort", "192.168.1.1:30081", "",
           Endpoint(Mode::kPodIp, "192.168.1.1", 30081)),
        Ok("UnknownIp", "10.9.9.9:80", "", Endpoint(Mode::kPodIp, "10.9.9.9", 80))),
    [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

}  // namespace
}  // namespace dest
