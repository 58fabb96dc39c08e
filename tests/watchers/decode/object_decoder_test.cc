#include "watchers/decode/object_decoder.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <memory>
#include <ostream>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/hostile_yaml.h"
#include "watchers/decode/decode_node.h"
#include "watchers/decode/json_decoder.h"
#include "watchers/objects.h"

namespace dest {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

// Parses `content` as the manifest file "m.yaml", failing the test on error.
DecodedManifest Parse(const std::string& content) {
  absl::StatusOr<DecodedManifest> m = ParseManifest("m.yaml", content);
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? *std::move(m) : DecodedManifest{};
}

// The only object of `content`, as a T.
template <typename T>
std::shared_ptr<const T> ParseOne(const std::string& content) {
  DecodedManifest m = Parse(content);
  EXPECT_EQ(m.objects.size(), 1u);
  EXPECT_THAT(m.skipped, IsEmpty());
  if (m.objects.size() != 1 || !std::holds_alternative<std::shared_ptr<const T>>(m.objects[0])) {
    ADD_FAILURE() << "not a single object of the expected kind";
    return std::make_shared<const T>();
  }
  return std::get<std::shared_ptr<const T>>(m.objects[0]);
}

// The error message ParseManifest gives for `content`.
std::string ParseError(const std::string& content) {
  absl::StatusOr<DecodedManifest> m = ParseManifest("m.yaml", content);
  if (m.ok()) return "(no error)";
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(m.status().message());
}

// --- objects.h helpers.

TEST(ObjectsTest, KindNames) {
  EXPECT_STREQ(KindName(Kind::kService), "Service");
  EXPECT_STREQ(KindName(Kind::kEndpointSlice), "EndpointSlice");
  EXPECT_STREQ(KindName(Kind::kEndpoints), "Endpoints");
  EXPECT_STREQ(KindName(Kind::kPod), "Pod");
  EXPECT_STREQ(KindName(Kind::kReplicaSet), "ReplicaSet");
  EXPECT_STREQ(KindName(Kind::kJob), "Job");
  EXPECT_STREQ(KindName(Kind::kNode), "Node");
  EXPECT_STREQ(KindName(Kind::kServiceProfile), "ServiceProfile");
  EXPECT_STREQ(KindName(Kind::kTrafficSplit), "TrafficSplit");
}

TEST(ObjectsTest, MetaOfAndKeyOf) {
  auto pod = std::make_shared<Pod>();
  pod->meta.name = "web-1";
  pod->meta.ns = "shop";
  AnyObject o = std::shared_ptr<const Pod>(pod);
  EXPECT_EQ(&MetaOf(o), &pod->meta);
  EXPECT_EQ(KindOf(o), Kind::kPod);
  EXPECT_EQ(KeyOf(o), (ObjectKey{Kind::kPod, "shop", "web-1"}));
}

// --- Each kind, YAML and JSON.

TEST(ObjectDecoderTest, ServiceFromYaml) {
  auto svc = ParseOne<Service>(R"(
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
  uid: 1234-abcd
  resourceVersion: "42"
  creationTimestamp: 2024-01-02T03:04:05Z
  labels:
    app: web
  annotations:
    config.linkerd.io/opaque-ports: 3306
    note: "text"
spec:
  type: LoadBalancer
  clusterIP: 10.0.0.1
  clusterIPs: [10.0.0.1, fd00::1]
  ports:
  - name: http
    port: 80
    targetPort: 8080
  - name: admin
    port: 9990
    protocol: UDP
    targetPort: admin-http
  - port: 443
  unknownField: {nested: [1, 2]}
)");
  EXPECT_EQ(svc->meta.name, "web");
  EXPECT_EQ(svc->meta.ns, "shop");
  EXPECT_EQ(svc->meta.uid, "1234-abcd");
  EXPECT_EQ(svc->meta.resource_version, "42");
  EXPECT_EQ(svc->meta.creation_timestamp, "2024-01-02T03:04:05Z");
  EXPECT_FALSE(svc->meta.deleting);
  EXPECT_THAT(svc->meta.labels, ElementsAre(Pair("app", "web")));
  // Only the annotations the service reads are kept ("note" is checked, then dropped).
  EXPECT_THAT(svc->meta.annotations, ElementsAre(Pair("config.linkerd.io/opaque-ports", "3306")));
  EXPECT_EQ(svc->type, "LoadBalancer");
  EXPECT_THAT(svc->cluster_ips, ElementsAre("10.0.0.1", "fd00::1"));
  ASSERT_EQ(svc->ports.size(), 3u);
  EXPECT_EQ(svc->ports[0].name, "http");
  EXPECT_EQ(svc->ports[0].protocol, "TCP");
  EXPECT_EQ(svc->ports[0].port, 80);
  EXPECT_TRUE(svc->ports[0].target_port.is_int);
  EXPECT_EQ(svc->ports[0].target_port.int_value, 8080);
  EXPECT_EQ(svc->ports[1].protocol, "UDP");
  EXPECT_FALSE(svc->ports[1].target_port.is_int);
  EXPECT_EQ(svc->ports[1].target_port.str_value, "admin-http");
  // Absent targetPort means the same as port.
  EXPECT_EQ(svc->ports[2].name, "");
  EXPECT_EQ(svc->ports[2].port, 443);
  EXPECT_TRUE(svc->ports[2].target_port.is_int);
  EXPECT_EQ(svc->ports[2].target_port.int_value, 443);
}

TEST(ObjectDecoderTest, ServiceDefaults) {
  auto svc = ParseOne<Service>(R"(
apiVersion: v1
kind: Service
metadata: {name: headless}
spec:
  clusterIP: None
)");
  EXPECT_EQ(svc->meta.ns, "default");
  EXPECT_EQ(svc->type, "ClusterIP");
  EXPECT_THAT(svc->cluster_ips, IsEmpty());
  EXPECT_THAT(svc->ports, IsEmpty());

  auto single = ParseOne<Service>(R"(
apiVersion: v1
kind: Service
metadata: {name: one}
spec: {clusterIP: 10.1.2.3, clusterIPs: ~}
)");
  EXPECT_THAT(single->cluster_ips, ElementsAre("10.1.2.3"));

  auto external = ParseOne<Service>(R"(
apiVersion: v1
kind: Service
metadata: {name: ext}
spec: {type: ExternalName, externalName: example.com, clusterIPs: ["None"]}
)");
  EXPECT_EQ(external->type, "ExternalName");
  EXPECT_EQ(external->external_name, "example.com");
  EXPECT_THAT(external->cluster_ips, IsEmpty());
}

TEST(ObjectDecoderTest, KeepsOnlyTheAnnotationsTheServiceReads) {
  auto pod = ParseOne<Pod>(R"(
apiVersion: v1
kind: Pod
metadata:
  name: web-0
  namespace: shop
  annotations:
    config.linkerd.io/opaque-ports: "3306"
    config.linkerd.io/skip-inbound-ports: "4190"
    linkerd.io/identity-mode: default
    mirror.linkerd.io/remote-svc-fq-name: web.shop.svc.cluster.local
    mirror.linkerd.io/remote-gateway-identity: gw.linkerd.serviceaccount.identity.linkerd.cluster.local
    linkerd.io/proxy-version: stable-2.14.10
    kubectl.kubernetes.io/last-applied-configuration: '{"apiVersion":"v1","kind":"Pod","metadata":{}}'
spec: {containers: [{name: app}]}
)");
  ASSERT_NE(pod, nullptr);
  std::vector<std::string> keys;
  for (const auto& [k, v] : pod->meta.annotations) keys.push_back(k);
  std::vector<std::string> want(std::begin(annotation::kRead), std::end(annotation::kRead));
  std::sort(want.begin(), want.end());
  EXPECT_EQ(keys, want);
}

TEST(ObjectDecoderTest, ServiceFromJson) {
  auto svc = ParseOne<Service>(R"({
  "apiVersion": "v1",
  "kind": "Service",
  "metadata": {"name": "web", "namespace": "shop",
               "annotations": {"a": "b", "mirror.linkerd.io/remote-svc-fq-name": "web.shop.svc.east"}},
  "spec": {
    "clusterIP": "10.0.0.1",
    "ports": [{"name": "http", "port": 80, "targetPort": "http"}, {"port": 81, "targetPort": 9091}]
  }
})");
  EXPECT_EQ(svc->meta.name, "web");
  EXPECT_EQ(svc->meta.ns, "shop");
  EXPECT_THAT(svc->meta.annotations,
              ElementsAre(Pair("mirror.linkerd.io/remote-svc-fq-name", "web.shop.svc.east")));
  EXPECT_THAT(svc->cluster_ips, ElementsAre("10.0.0.1"));
  ASSERT_EQ(svc->ports.size(), 2u);
  EXPECT_FALSE(svc->ports[0].target_port.is_int);
  EXPECT_EQ(svc->ports[0].target_port.str_value, "http");
  EXPECT_TRUE(svc->ports[1].target_port.is_int);
  EXPECT_EQ(svc->ports[1].target_port.int_value, 9091);
}

constexpr char kSliceYaml[] = R"(
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-abc
  namespace: shop
  labels:
    kubernetes.io/service-name: web
addressType: IPv6
ports:
- name: http
  port: 8080
  protocol: TCP
- name: unset
endpoints:
- addresses: ["fd00::10"]
  conditions: {ready: true, serving: true}
  hostname: web-0
  nodeName: node-a
  zone: zone-a
  hints:
    forZones: [{name: zone-a}, {name: zone-b}]
  targetRef: {kind: Pod, name: web-0}
- addresses: ["fd00::11", "fd00::12"]
  conditions: {ready: false}
  hints: {forZones: []}
  targetRef: {kind: Pod, name: web-1, namespace: other}
- addresses: ["fd00::13"]
)";

void ExpectSlice(const EndpointSlice& s) {
  EXPECT_EQ(s.meta.name, "web-abc");
  EXPECT_EQ(s.meta.ns, "shop");
  EXPECT_EQ(s.service_name, "web");
  EXPECT_EQ(s.address_type, "IPv6");
  ASSERT_EQ(s.ports.size(), 2u);
  EXPECT_EQ(s.ports[0].name, "http");
  EXPECT_EQ(s.ports[0].port, 8080);
  EXPECT_EQ(s.ports[0].protocol, "TCP");
  EXPECT_EQ(s.ports[1].name, "unset");
  EXPECT_EQ(s.ports[1].port, 0);
  ASSERT_EQ(s.endpoints.size(), 3u);

  const SliceEndpoint& e0 = s.endpoints[0];
  EXPECT_THAT(e0.addresses, ElementsAre("fd00::10"));
  EXPECT_EQ(e0.ready, std::optional<bool>(true));
  EXPECT_EQ(e0.hostname, "web-0");
  EXPECT_EQ(e0.node_name, "node-a");
  EXPECT_EQ(e0.zone, "zone-a");
  EXPECT_TRUE(e0.has_hints);
  EXPECT_THAT(e0.hint_zones, ElementsAre("zone-a", "zone-b"));
  ASSERT_TRUE(e0.target_ref.has_value());
  EXPECT_EQ(e0.target_ref->kind, "Pod");
  EXPECT_EQ(e0.target_ref->name, "web-0");
  EXPECT_EQ(e0.target_ref->ns, "shop");  // defaults to the slice's namespace

  const SliceEndpoint& e1 = s.endpoints[1];
  EXPECT_THAT(e1.addresses, ElementsAre("fd00::11", "fd00::12"));
  EXPECT_EQ(e1.ready, std::optional<bool>(false));
  EXPECT_TRUE(e1.has_hints);  // present but empty
  EXPECT_THAT(e1.hint_zones, IsEmpty());
  ASSERT_TRUE(e1.target_ref.has_value());
  EXPECT_EQ(e1.target_ref->ns, "other");

  const SliceEndpoint& e2 = s.endpoints[2];
  EXPECT_EQ(e2.ready, std::nullopt);  // absent: ready
  EXPECT_FALSE(e2.has_hints);
  EXPECT_FALSE(e2.target_ref.has_value());
}

TEST(ObjectDecoderTest, EndpointSliceFromYaml) {
  ExpectSlice(*ParseOne<EndpointSlice>(kSliceYaml));
}

TEST(ObjectDecoderTest, EndpointSliceFromJson) {
  // The same slice as kSliceYaml, as the API server would send it.
  ExpectSlice(*ParseOne<EndpointSlice>(R"({"apiVersion":"discovery.k8s.io/v1",
"kind":"EndpointSlice",
"metadata":{"name":"web-abc","namespace":"shop","labels":{"kubernetes.io/service-name":"web"}},
"addressType":"IPv6",
"ports":[{"name":"http","port":8080,"protocol":"TCP"},{"name":"unset","port":null}],
"endpoints":[
 {"addresses":["fd00::10"],"conditions":{"ready":true,"serving":true},"hostname":"web-0",
  "nodeName":"node-a","zone":"zone-a","hints":{"forZones":[{"name":"zone-a"},{"name":"zone-b"}]},
  "targetRef":{"kind":"Pod","name":"web-0"}},
 {"addresses":["fd00::11","fd00::12"],"conditions":{"ready":false},"hints":{"forZones":[]},
  "targetRef":{"kind":"Pod","name":"web-1","namespace":"other"}},
 {"addresses":["fd00::13"],"conditions":{}}
]})"));
}

TEST(ObjectDecoderTest, EndpointSliceV1beta1AndDefaults) {
  auto s = ParseOne<EndpointSlice>(R"(
apiVersion: discovery.k8s.io/v1beta1
kind: EndpointSlice
metadata: {name: bare}
)");
  EXPECT_EQ(s->meta.ns, "default");
  EXPECT_EQ(s->service_name, "");
  EXPECT_EQ(s->address_type, "IPv4");
  EXPECT_THAT(s->ports, IsEmpty());
  EXPECT_THAT(s->endpoints, IsEmpty());
}

TEST(ObjectDecoderTest, Endpoints) {
  auto e = ParseOne<Endpoints>(R"(
apiVersion: v1
kind: Endpoints
metadata: {name: web, namespace: shop}
subsets:
- addresses:
  - ip: 10.0.0.5
    hostname: web-0
    nodeName: node-a
    targetRef: {kind: Pod, name: web-0, namespace: shop}
  - ip: 10.0.0.6
    targetRef: {kind: Pod, name: web-1}
  notReadyAddresses:
  - ip: 10.0.0.7
  ports:
  - {name: http, port: 8080}
  - {name: dns, port: 53, protocol: UDP}
- addresses: [{ip: 10.0.1.1}]
)");
  ASSERT_EQ(e->subsets.size(), 2u);
  const EndpointSubset& s = e->subsets[0];
  ASSERT_EQ(s.addresses.size(), 2u);
  EXPECT_EQ(s.addresses[0].ip, "10.0.0.5");
  EXPECT_EQ(s.addresses[0].hostname, "web-0");
  EXPECT_EQ(s.addresses[0].node_name, "node-a");
  ASSERT_TRUE(s.addresses[0].target_ref.has_value());
  EXPECT_EQ(s.addresses[0].target_ref->name, "web-0");
  ASSERT_TRUE(s.addresses[1].target_ref.has_value());
  EXPECT_EQ(s.addresses[1].target_ref->ns, "shop");
  ASSERT_EQ(s.not_ready_addresses.size(), 1u);
  EXPECT_EQ(s.not_ready_addresses[0].ip, "10.0.0.7");
  EXPECT_FALSE(s.not_ready_addresses[0].target_ref.has_value());
  ASSERT_EQ(s.ports.size(), 2u);
  EXPECT_EQ(s.ports[0].name, "http");
  EXPECT_EQ(s.ports[0].port, 8080);
  EXPECT_EQ(s.ports[0].protocol, "TCP");
  EXPECT_EQ(s.ports[1].protocol, "UDP");
  EXPECT_THAT(e->subsets[1].ports, IsEmpty());
  ASSERT_EQ(e->subsets[1].addresses.size(), 1u);
  EXPECT_EQ(e->subsets[1].addresses[0].ip, "10.0.1.1");
}

TEST(ObjectDecoderTest, PodFromYaml) {
  auto pod = ParseOne<Pod>(R"(
apiVersion: v1
kind: Pod
metadata:
  name: web-0
  namespace: shop
  deletionTimestamp: "2024-01-02T03:04:05Z"
  labels:
    linkerd.io/control-plane-ns: linkerd
    pod-template-hash: 5d8f
  annotations:
    config.linkerd.io/opaque-ports: "3306"
  ownerReferences:
  - apiVersion: apps/v1
    kind: ReplicaSet
    name: web-5d8f
    uid: x
    controller: true
  - {apiVersion: v1, kind: Other, name: o}
spec:
  serviceAccountName: web-sa
  serviceAccount: ignored
  hostNetwork: true
  nodeName: node-a
  initContainers:
  - name: linkerd-init
    ports: [{containerPort: 1}]
  - name: native-sidecar
    restartPolicy: Always
    ports: [{name: sidecar, containerPort: 7000}]
  containers:
  - name: app
    ports:
    - name: http
      containerPort: 8080
    - containerPort: 53
      hostPort: 5353
      protocol: UDP
  - name: linkerd-proxy
    env:
    - name: LINKERD2_PROXY_INBOUND_LISTEN_ADDR
      value: 0.0.0.0:4143
    - name: FROM_FIELD
      valueFrom: {fieldRef: {fieldPath: status.podIP}}
status:
  phase: Running
  podIP: 10.0.0.5
  podIPs:
  - ip: 10.0.0.5
  - ip: fd00::5
  hostIP: 192.168.1.10
)");
  EXPECT_TRUE(pod->meta.deleting);
  EXPECT_THAT(pod->meta.labels, ElementsAre(Pair("linkerd.io/control-plane-ns", "linkerd"),
                                            Pair("pod-template-hash", "5d8f")));
  ASSERT_EQ(pod->meta.owner_references.size(), 2u);
  EXPECT_EQ(pod->meta.owner_references[0].api_version, "apps/v1");
  EXPECT_EQ(pod->meta.owner_references[0].kind, "ReplicaSet");
  EXPECT_EQ(pod->meta.owner_references[0].name, "web-5d8f");
  EXPECT_TRUE(pod->meta.owner_references[0].controller);
  EXPECT_FALSE(pod->meta.owner_references[1].controller);
  EXPECT_EQ(pod->service_account_name, "web-sa");
  EXPECT_TRUE(pod->host_network);
  EXPECT_EQ(pod->node_name, "node-a");
  // Native sidecars follow the app containers; plain init containers are left out.
  ASSERT_EQ(pod->containers.size(), 3u);
  const Container& app = pod->containers[0];
  EXPECT_EQ(app.name, "app");
  ASSERT_EQ(app.ports.size(), 2u);
  EXPECT_EQ(app.ports[0].name, "http");
  EXPECT_EQ(app.ports[0].container_port, 8080);
  EXPECT_EQ(app.ports[0].host_port, 0);
  EXPECT_EQ(app.ports[0].protocol, "TCP");
  EXPECT_EQ(app.ports[1].host_port, 5353);
  EXPECT_EQ(app.ports[1].protocol, "UDP");
  const Container& proxy = pod->containers[1];
  EXPECT_EQ(proxy.name, "linkerd-proxy");
  ASSERT_EQ(proxy.env.size(), 2u);
  EXPECT_EQ(proxy.env[0].name, "LINKERD2_PROXY_INBOUND_LISTEN_ADDR");
  EXPECT_EQ(proxy.env[0].value, "0.0.0.0:4143");
  EXPECT_EQ(proxy.env[1].name, "FROM_FIELD");
  EXPECT_EQ(proxy.env[1].value, "");
  EXPECT_EQ(pod->containers[2].name, "native-sidecar");
  ASSERT_EQ(pod->containers[2].ports.size(), 1u);
  EXPECT_EQ(pod->containers[2].ports[0].name, "sidecar");
  EXPECT_EQ(pod->phase, "Running");
  EXPECT_THAT(pod->pod_ips, ElementsAre("10.0.0.5", "fd00::5"));
  EXPECT_EQ(pod->host_ip, "192.168.1.10");
}

TEST(ObjectDecoderTest, PodFallbacks) {
  auto legacy = ParseOne<Pod>(R"(
apiVersion: v1
kind: Pod
metadata: {name: p}
spec: {serviceAccount: legacy-sa}
status: {podIP: 10.0.0.9}
)");
  EXPECT_EQ(legacy->meta.ns, "default");
  EXPECT_FALSE(legacy->meta.deleting);
  EXPECT_EQ(legacy->service_account_name, "legacy-sa");
  EXPECT_FALSE(legacy->host_network);
  EXPECT_THAT(legacy->pod_ips, ElementsAre("10.0.0.9"));

  auto bare = ParseOne<Pod>("{apiVersion: v1, kind: Pod, metadata: {name: p}}");
  EXPECT_EQ(bare->service_account_name, "default");
  EXPECT_THAT(bare->containers, IsEmpty());
  EXPECT_EQ(bare->phase, "");
  EXPECT_THAT(bare->pod_ips, IsEmpty());
  EXPECT_EQ(bare->host_ip, "");
}

TEST(ObjectDecoderTest, PodFromJson) {
  auto pod = ParseOne<Pod>(R"({"apiVersion":"v1","kind":"Pod",
"metadata":{"name":"p","namespace":"ns","deletionTimestamp":null,
 "ownerReferences":[{"apiVersion":"batch/v1","kind":"Job","name":"j","controller":true}]},
"spec":{"hostNetwork":false,"containers":[{"name":"c","ports":[{"containerPort":80}]}]},
"status":{"phase":"Pending","podIPs":[{"ip":"10.0.0.1"}]}})");
  EXPECT_FALSE(pod->meta.deleting);
  ASSERT_EQ(pod->meta.owner_references.size(), 1u);
  EXPECT_TRUE(pod->meta.owner_references[0].controller);
  ASSERT_EQ(pod->containers.size(), 1u);
  ASSERT_EQ(pod->containers[0].ports.size(), 1u);
  EXPECT_EQ(pod->containers[0].ports[0].container_port, 80);
  EXPECT_EQ(pod->phase, "Pending");
  EXPECT_THAT(pod->pod_ips, ElementsAre("10.0.0.1"));
}

TEST(ObjectDecoderTest, MetadataOnlyKinds) {
  DecodedManifest m = Parse(R"(
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-5d8f
  namespace: shop
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, controller: true}]
spec: {replicas: 3}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: nightly-123
  ownerReferences: [{apiVersion: batch/v1, kind: CronJob, name: nightly, controller: true}]
---
apiVersion: v1
kind: Node
metadata:
  name: node-a
  namespace: ignored
  labels: {topology.kubernetes.io/zone: zone-a}
)");
  ASSERT_EQ(m.objects.size(), 3u);
  auto rs = std::get<std::shared_ptr<const ReplicaSet>>(m.objects[0]);
  EXPECT_EQ(rs->meta.ns, "shop");
  ASSERT_EQ(rs->meta.owner_references.size(), 1u);
  EXPECT_EQ(rs->meta.owner_references[0].kind, "Deployment");
  auto job = std::get<std::shared_ptr<const Job>>(m.objects[1]);
  EXPECT_EQ(job->meta.ns, "default");
  ASSERT_EQ(job->meta.owner_references.size(), 1u);
  EXPECT_EQ(job->meta.owner_references[0].kind, "CronJob");
  auto node = std::get<std::shared_ptr<const Node>>(m.objects[2]);
  EXPECT_EQ(node->meta.name, "node-a");
  EXPECT_EQ(node->meta.ns, "");  // cluster-scoped
  EXPECT_THAT(node->meta.labels, ElementsAre(Pair("topology.kubernetes.io/zone", "zone-a")));
}

// --- ServiceProfile: the route tree exactly as written.

TEST(ObjectDecoderTest, ServiceProfileTree) {
  auto sp = ParseOne<ServiceProfile>(R"(
apiVersion: linkerd.io/v1alpha2
kind: ServiceProfile
metadata:
  name: web.shop.svc.cluster.local
  namespace: shop
spec:
  opaquePorts: {"3306": true}
  routes:
  - name: GET /books/{id}
    condition:
      method: GET
      pathRegex: /books/[^/]*
    responseClasses:
    - condition:
        status: {min: 500, max: 599}
      isFailure: true
    - condition:
        not:
          status: {min: 200}
    isRetryable: true
    timeout: 300ms
  - name: complex
    condition:
      all:
      - method: POST
      - any:
        - pathRegex: /a
        - not: {pathRegex: /b}
    responseClasses:
    - condition:
        any:
        - status: {max: 404, min: 404}
        - all: [{status: {min: 429, max: 429}}]
  - name: bare
  retryBudget:
    retryRatio: 0.2
    minRetriesPerSecond: 10
    ttl: 10s
  dstOverrides:
  - authority: web-v1.shop.svc.cluster.local:80
    weight: 500m
  - authority: web-v2.shop.svc.cluster.local
    weight: 1
  - authority: web-v3
    weight: 0.5
  - authority: web-v4
    weight: "500"
)");
  EXPECT_EQ(sp->api_version, "linkerd.io/v1alpha2");
  EXPECT_EQ(sp->meta.name, "web.shop.svc.cluster.local");
  EXPECT_TRUE(sp->opaque_ports_set);
  ASSERT_EQ(sp->routes.size(), 3u);

  const RouteSpec& get = sp->routes[0];
  EXPECT_EQ(get.name, "GET /books/{id}");
  ASSERT_TRUE(get.condition.has_value());
  EXPECT_EQ(get.condition->method, std::optional<std::string>("GET"));
  EXPECT_EQ(get.condition->path_regex, std::optional<std::string>("/books/[^/]*"));
  EXPECT_THAT(get.condition->all, IsEmpty());
  EXPECT_THAT(get.condition->any, IsEmpty());
  EXPECT_THAT(get.condition->not_, IsEmpty());
  ASSERT_EQ(get.response_classes.size(), 2u);
  ASSERT_TRUE(get.response_classes[0].condition.has_value());
  ASSERT_TRUE(get.response_classes[0].condition->status.has_value());
  EXPECT_EQ(get.response_classes[0].condition->status->min, 500);
  EXPECT_EQ(get.response_classes[0].condition->status->max, 599);
  EXPECT_TRUE(get.response_classes[0].is_failure);
  const ResponseMatchSpec& not_ok = *get.response_classes[1].condition;
  EXPECT_FALSE(not_ok.status.has_value());
  ASSERT_EQ(not_ok.not_.size(), 1u);
  ASSERT_TRUE(not_ok.not_[0].status.has_value());
  EXPECT_EQ(not_ok.not_[0].status->min, 200);
  EXPECT_EQ(not_ok.not_[0].status->max, 0);
  EXPECT_FALSE(get.response_classes[1].is_failure);
  EXPECT_TRUE(get.is_retryable);
  EXPECT_EQ(get.timeout, std::optional<std::string>("300ms"));

  const RouteSpec& complex = sp->routes[1];
  ASSERT_TRUE(complex.condition.has_value());
  const RequestMatchSpec& c = *complex.condition;
  EXPECT_FALSE(c.method.has_value());
  EXPECT_FALSE(c.path_regex.has_value());
  ASSERT_EQ(c.all.size(), 2u);
  EXPECT_EQ(c.all[0].method, std::optional<std::string>("POST"));
  ASSERT_EQ(c.all[1].any.size(), 2u);
  EXPECT_EQ(c.all[1].any[0].path_regex, std::optional<std::string>("/a"));
  ASSERT_EQ(c.all[1].any[1].not_.size(), 1u);
  EXPECT_EQ(c.all[1].any[1].not_[0].path_regex, std::optional<std::string>("/b"));
  ASSERT_EQ(complex.response_classes.size(), 1u);
  const ResponseMatchSpec& rc = *complex.response_classes[0].condition;
  ASSERT_EQ(rc.any.size(), 2u);
  EXPECT_EQ(rc.any[0].status->min, 404);
  EXPECT_EQ(rc.any[0].status->max, 404);
  ASSERT_EQ(rc.any[1].all.size(), 1u);
  EXPECT_EQ(rc.any[1].all[0].status->min, 429);
  EXPECT_FALSE(complex.is_retryable);
  EXPECT_FALSE(complex.timeout.has_value());

  const RouteSpec& bare = sp->routes[2];
  EXPECT_EQ(bare.name, "bare");
  EXPECT_FALSE(bare.condition.has_value());
  EXPECT_THAT(bare.response_classes, IsEmpty());

  ASSERT_TRUE(sp->retry_budget.has_value());
  EXPECT_DOUBLE_EQ(sp->retry_budget->retry_ratio, 0.2);
  EXPECT_EQ(sp->retry_budget->min_retries_per_second, 10);
  EXPECT_EQ(sp->retry_budget->ttl, "10s");

  ASSERT_EQ(sp->dst_overrides.size(), 4u);
  EXPECT_EQ(sp->dst_overrides[0].authority, "web-v1.shop.svc.cluster.local:80");
  EXPECT_EQ(sp->dst_overrides[0].weight, "500m");
  EXPECT_EQ(sp->dst_overrides[1].weight, "1");
  EXPECT_EQ(sp->dst_overrides[2].weight, "0.5");
  EXPECT_EQ(sp->dst_overrides[3].weight, "500");
}

TEST(ObjectDecoderTest, ServiceProfileV1alpha1FromJsonAndEmptySpec) {
  auto sp = ParseOne<ServiceProfile>(R"({"apiVersion":"linkerd.io/v1alpha1",
"kind":"ServiceProfile","metadata":{"name":"a.b.svc.cluster.local","namespace":"b"},
"spec":{"routes":[{"name":"r","condition":{"pathRegex":"/x"},"isRetryable":false}],
"dstOverrides":[{"authority":"x","weight":100}]}})");
  EXPECT_EQ(sp->api_version, "linkerd.io/v1alpha1");
  ASSERT_EQ(sp->routes.size(), 1u);
  EXPECT_EQ(sp->routes[0].condition->path_regex, std::optional<std::string>("/x"));
  EXPECT_FALSE(sp->retry_budget.has_value());
  EXPECT_FALSE(sp->opaque_ports_set);
  ASSERT_EQ(sp->dst_overrides.size(), 1u);
  EXPECT_EQ(sp->dst_overrides[0].weight, "100");

  auto empty = ParseOne<ServiceProfile>(
      "{apiVersion: linkerd.io/v1alpha2, kind: ServiceProfile, metadata: {name: n}, spec: {}}");
  EXPECT_THAT(empty->routes, IsEmpty());
  EXPECT_THAT(empty->dst_overrides, IsEmpty());
}

// --- TrafficSplit: both weight forms in any version.

TEST(ObjectDecoderTest, TrafficSplitWeights) {
  DecodedManifest m = Parse(R"(
apiVersion: split.smi-spec.io/v1alpha1
kind: TrafficSplit
metadata: {name: split-a, namespace: shop, creationTimestamp: "2024-01-01T00:00:00Z"}
spec:
  service: web
  backends:
  - service: web-v1
    weight: 500m
  - service: web-v2
    weight: "1"
---
apiVersion: split.smi-spec.io/v1alpha4
kind: TrafficSplit
metadata: {name: split-b, namespace: shop}
spec:
  service: web
  backends:
  - {service: web-v1, weight: 90}
  - {service: web-v2, weight: 10}
  matches:
  - {kind: HTTPRouteGroup, name: canary, apiGroup: specs.smi-spec.io}
  - {kind: HTTPRouteGroup, name: other}
---
{"apiVersion": "split.smi-spec.io/v1alpha2", "kind": "TrafficSplit",
 "metadata": {"name": "split-c"},
 "spec": {"service": "api", "backends": [{"service": "api-v1", "weight": 100}]}}
)");
  ASSERT_EQ(m.objects.size(), 3u);
  auto a = std::get<std::shared_ptr<const TrafficSplit>>(m.objects[0]);
  EXPECT_EQ(a->api_version, "split.smi-spec.io/v1alpha1");
  EXPECT_EQ(a->service, "web");
  ASSERT_EQ(a->backends.size(), 2u);
  EXPECT_EQ(a->backends[0].service, "web-v1");
  EXPECT_EQ(a->backends[0].weight, "500m");
  EXPECT_EQ(a->backends[1].weight, "1");
  EXPECT_THAT(a->matches, IsEmpty());

  auto b = std::get<std::shared_ptr<const TrafficSplit>>(m.objects[1]);
  EXPECT_EQ(b->api_version, "split.smi-spec.io/v1alpha4");
  ASSERT_EQ(b->backends.size(), 2u);
  EXPECT_EQ(b->backends[0].weight, "90");
  EXPECT_EQ(b->backends[1].weight, "10");
  ASSERT_EQ(b->matches.size(), 2u);
  EXPECT_EQ(b->matches[0].kind, "HTTPRouteGroup");
  EXPECT_EQ(b->matches[0].name, "canary");
  EXPECT_EQ(b->matches[0].api_group, "specs.smi-spec.io");
  EXPECT_EQ(b->matches[1].api_group, "");

  auto c = std::get<std::shared_ptr<const TrafficSplit>>(m.objects[2]);
  EXPECT_EQ(c->meta.ns, "default");
  EXPECT_EQ(c->api_version, "split.smi-spec.io/v1alpha2");
  ASSERT_EQ(c->backends.size(), 1u);
  EXPECT_EQ(c->backends[0].weight, "100");
}

// --- Files: documents, lists, skipped kinds.

TEST(ObjectDecoderTest, MultiDocumentWithSkippedKinds) {
  DecodedManifest m = Parse(R"(# leading comment
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {a: b}
---
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
---
apiVersion: v1
kind: Service
metadata: {name: web}
---
# only a comment
---
apiVersion: serving.knative.dev/v1
kind: Service
metadata: {name: knative}
...
---
apiVersion: v1
kind: Pod
metadata: {name: web-0}
)");
  ASSERT_EQ(m.objects.size(), 2u);
  EXPECT_EQ(KindOf(m.objects[0]), Kind::kService);
  EXPECT_EQ(KindOf(m.objects[1]), Kind::kPod);
  EXPECT_THAT(m.skipped,
              ElementsAre("v1/ConfigMap", "apps/v1/Deployment", "serving.knative.dev/v1/Service"));
}

TEST(ObjectDecoderTest, EmptyFiles) {
  for (const char* content :
       {"", "\n\n", "# nothing\n", "---\n", "---\n...\n---\n", "{}", "---\n~\n---\nnull\n"}) {
    DecodedManifest m = Parse(content);
    EXPECT_THAT(m.objects, IsEmpty()) << content;
    EXPECT_THAT(m.skipped, IsEmpty()) << content;
  }
}

TEST(ObjectDecoderTest, ListWithItems) {
  DecodedManifest m = Parse(R"(
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Service
  metadata: {name: web, namespace: shop}
- apiVersion: v1
  kind: Secret
  metadata: {name: s}
- apiVersion: linkerd.io/v1alpha2
  kind: ServiceProfile
  metadata: {name: web.shop.svc.cluster.local, namespace: shop}
---
apiVersion: v1
kind: List
items: []
)");
  ASSERT_EQ(m.objects.size(), 2u);
  EXPECT_EQ(KindOf(m.objects[0]), Kind::kService);
  EXPECT_EQ(KindOf(m.objects[1]), Kind::kServiceProfile);
  EXPECT_EQ(std::get<std::shared_ptr<const ServiceProfile>>(m.objects[1])->api_version,
            "linkerd.io/v1alpha2");
  EXPECT_THAT(m.skipped, ElementsAre("v1/Secret"));
}

TEST(ObjectDecoderTest, TypedListItemsInheritKind) {
  DecodedManifest m = Parse(R"({
  "apiVersion": "discovery.k8s.io/v1",
  "kind": "EndpointSliceList",
  "metadata": {"resourceVersion": "7"},
  "items": [
    {"metadata": {"name": "a", "namespace": "shop"}, "addressType": "IPv4"},
    {"metadata": {"name": "b", "namespace": "shop"}, "addressType": "IPv6"}
  ]
}
---
apiVersion: v1
kind: ServiceList
items:
- metadata: {name: one}
- apiVersion: v1
  kind: Pod
  metadata: {name: explicit}
---
apiVersion: v1
kind: ConfigMapList
items:
- metadata: {name: c}
)");
  ASSERT_EQ(m.objects.size(), 4u);
  auto a = std::get<std::shared_ptr<const EndpointSlice>>(m.objects[0]);
  EXPECT_EQ(a->meta.name, "a");
  auto b = std::get<std::shared_ptr<const EndpointSlice>>(m.objects[1]);
  EXPECT_EQ(b->address_type, "IPv6");
  auto one = std::get<std::shared_ptr<const Service>>(m.objects[2]);
  EXPECT_EQ(one->meta.ns, "default");
  EXPECT_EQ(KindOf(m.objects[3]), Kind::kPod);
  EXPECT_THAT(m.skipped, ElementsAre("v1/ConfigMap"));
}

// --- Errors.

struct ErrorCase {
  std::string name;
  std::string content;
  std::string error;  // the full message, "m.yaml:LINE: path: reason"
};

void PrintTo(const ErrorCase& c, std::ostream* os) { *os << c.name; }

class ManifestErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ManifestErrorTest, ReportsLineAndPath) {
  EXPECT_EQ(ParseError(GetParam().content), GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ManifestErrorTest,
    ::testing::Values(
        ErrorCase{"PortNotInteger", R"(apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  ports:
  - name: http
    port: http
)",
                  "m.yaml:7: spec.ports[0].port: expected an integer"},
        ErrorCase{"PortFloat", R"(apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  ports:
  - port: 80
  - port: 8080.5
)",
                  "m.yaml:7: spec.ports[1].port: expected an integer"},
        ErrorCase{"PortQuotedString", R"({"apiVersion": "v1", "kind": "Service",
"metadata": {"name": "web"},
"spec": {"ports": [{"port": "80"}]}})",
                  "m.yaml:3: spec.ports[0].port: expected an integer"},
        ErrorCase{"PortOutOfInt32", R"(apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  ports:
  - port: 2147483648
)",
                  "m.yaml:6: spec.ports[0].port: integer out of range"},
        ErrorCase{"PortOutOfInt64", R"(apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  ports:
  - port: 99999999999999999999
)",
                  "m.yaml:6: spec.ports[0].port: integer out of range"},
        ErrorCase{"PortMissing", R"(apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  ports:
  - name: http
    targetPort: 8080
)",
                  "m.yaml:6: spec.ports[0].port: required"},
        ErrorCase{"TargetPortFloat", R"(apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  ports:
  - port: 80
    targetPort: 80.5
)",
                  "m.yaml:7: spec.ports[0].targetPort: expected an integer or a name"},
        ErrorCase{"TargetPortMap", R"(apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  ports:
  - port: 80
    targetPort: {a: 1}
)",
                  "m.yaml:7: spec.ports[0].targetPort: expected an integer or a name"},
        ErrorCase{"PortsNotList", R"(apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  ports: {port: 80}
)",
                  "m.yaml:5: spec.ports: expected a list"},
        ErrorCase{"SpecNotMap", R"(apiVersion: v1
kind: Service
metadata: {name: web}
spec: [1, 2]
)",
                  "m.yaml:4: spec: expected a map"},
        ErrorCase{"MapWhereStringExpected", R"(apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type:
    nested: true
)",
                  "m.yaml:6: spec.type: expected a string"},
        ErrorCase{"LabelValueList", R"(apiVersion: v1
kind: Pod
metadata:
  name: p
  labels:
    app: [a, b]
)",
                  "m.yaml:6: metadata.labels.app: expected a string"},
        ErrorCase{"ReadyNotBool", R"(apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: s}
addressType: IPv4
endpoints:
- addresses: [10.0.0.1]
- addresses: [10.0.0.2]
  conditions:
    ready: maybe
)",
                  "m.yaml:9: endpoints[1].conditions.ready: expected a boolean"},
        ErrorCase{"ReadyQuoted", R"(apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: s}
endpoints:
- conditions: {ready: "true"}
)",
                  "m.yaml:5: endpoints[0].conditions.ready: expected a boolean"},
        ErrorCase{"AddressNotString", R"(apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: s}
endpoints:
- addresses:
  - {ip: 10.0.0.1}
)",
                  "m.yaml:6: endpoints[0].addresses[0]: expected a string"},
        ErrorCase{"HostNetworkNotBool", R"(apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  hostNetwork: 1.5
)",
                  "m.yaml:5: spec.hostNetwork: expected a boolean"},
        ErrorCase{"ContainerPortNotInteger", R"(apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: app
  - name: proxy
    ports:
    - containerPort: 4143
    - containerPort: four
)",
                  "m.yaml:10: spec.containers[1].ports[1].containerPort: expected an integer"},
        ErrorCase{"OwnerControllerNotBool", R"(apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: rs
  ownerReferences:
  - kind: Deployment
    controller: yes please
)",
                  "m.yaml:7: metadata.ownerReferences[0].controller: expected a boolean"},
        ErrorCase{"RoutesNotList", R"(apiVersion: linkerd.io/v1alpha2
kind: ServiceProfile
metadata: {name: web.shop.svc.cluster.local}
spec:
  routes:
    name: r
)",
                  "m.yaml:6: spec.routes: expected a list"},
        ErrorCase{"NestedNotIsList", R"(apiVersion: linkerd.io/v1alpha2
kind: ServiceProfile
metadata: {name: web.shop.svc.cluster.local}
spec:
  routes:
  - name: r
    condition:
      all:
      - any:
        - not: [pathRegex: /x]
)",
                  "m.yaml:10: spec.routes[0].condition.all[0].any[0].not: expected a map"},
        ErrorCase{"StatusMinNotInteger", R"(apiVersion: linkerd.io/v1alpha2
kind: ServiceProfile
metadata: {name: web.shop.svc.cluster.local}
spec:
  routes:
  - name: r
    responseClasses:
    - condition:
        status:
          min: 5xx
)",
                  "m.yaml:10: spec.routes[0].responseClasses[0].condition.status.min: expected an "
                  "integer"},
        ErrorCase{"RetryRatioNotNumber", R"(apiVersion: linkerd.io/v1alpha2
kind: ServiceProfile
metadata: {name: web.shop.svc.cluster.local}
spec:
  retryBudget:
    retryRatio: lots
)",
                  "m.yaml:6: spec.retryBudget.retryRatio: expected a number"},
        ErrorCase{"WeightMap", R"(apiVersion: linkerd.io/v1alpha2
kind: ServiceProfile
metadata: {name: web.shop.svc.cluster.local}
spec:
  dstOverrides:
  - authority: a
    weight: {value: 1}
)",
                  "m.yaml:7: spec.dstOverrides[0].weight: expected a quantity (an integer or a "
                  "string)"},
        ErrorCase{"BackendsNotList", R"(apiVersion: split.smi-spec.io/v1alpha2
kind: TrafficSplit
metadata: {name: t}
spec:
  service: web
  backends: web-v1
)",
                  "m.yaml:6: spec.backends: expected a list"},
        ErrorCase{"NameMissing", R"(apiVersion: v1
kind: Service
metadata:
  namespace: shop
)",
                  "m.yaml:4: metadata.name: required"},
        ErrorCase{"MetadataMissing", R"(apiVersion: v1
kind: Service
spec: {}
)",
                  "m.yaml:1: metadata.name: required"},
        ErrorCase{"KindMissing", R"(apiVersion: v1
metadata: {name: x}
)",
                  "m.yaml:1: kind: required"},
        ErrorCase{"ApiVersionMissing", R"(kind: Service
metadata: {name: x}
)",
                  "m.yaml:1: apiVersion: required"},
        ErrorCase{"DocumentNotMap", "- a\n- b\n", "m.yaml:1: expected an object (a map)"},
        ErrorCase{"SecondDocumentBadFailsFile", R"(apiVersion: v1
kind: Service
metadata: {name: good}
---
apiVersion: v1
kind: Service
metadata: {name: bad}
spec: {ports: [{port: x}]}
)",
                  "m.yaml:8: spec.ports[0].port: expected an integer"},
        ErrorCase{"ListItemBad", R"(apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Service
  metadata: {name: a}
- apiVersion: v1
  kind: Service
  metadata: {name: b}
  spec:
    clusterIPs: 10.0.0.1
)",
                  "m.yaml:11: items[1].spec.clusterIPs: expected a list"},
        ErrorCase{"ListItemsNotList", R"(apiVersion: v1
kind: List
items: {a: b}
)",
                  "m.yaml:3: items: expected a list"},
        ErrorCase{"PlainListItemWithoutKind", R"(apiVersion: v1
kind: List
items:
- metadata: {name: a}
)",
                  "m.yaml:4: items[0].kind: required"},
        // Syntax errors: yaml-cpp's reason, at the 1-based line.
        ErrorCase{"SyntaxBadIndent", R"(apiVersion: v1
kind: Service
metadata:
  name: web
 namespace: shop
)",
                  "m.yaml:5: end of map not found"},
        ErrorCase{"SyntaxUnclosedFlow", R"(apiVersion: v1
kind: Service
---
metadata: {name: web
spec: {}
)",
                  "m.yaml:5: end of map flow not found"},
        ErrorCase{"SyntaxJson", R"({
  "apiVersion": "v1",
  "kind": "Service",
  "metadata": {"name": "web"}}
})",
                  "m.yaml:5: illegal flow end"},
        // Inputs on which yaml-cpp 0.7's LoadAll would loop forever.
        ErrorCase{"StrayComma", ",\n", "m.yaml:1: unexpected ',' at the start of a document"},
        ErrorCase{"StrayCommaAfterDocuments", R"(apiVersion: v1
kind: Service
metadata: {name: web}
---
, kind: Pod
)",
                  "m.yaml:5: unexpected ',' at the start of a document"},
        ErrorCase{"StrayCommaAfterTag", "--- !tag ,\n",
                  "m.yaml:1: unexpected ',' at the start of a document"},
        ErrorCase{"StrayCommaAfterDocumentEnd", "a: 1\n...\n,\n",
                  "m.yaml:3: unexpected ',' at the start of a document"}),
    [](const ::testing::TestParamInfo<ErrorCase>& info) { return info.param.name; });

TEST(DecodeObjectTest, DecodesOneNode) {
  YAML::Node node = YAML::Load("{apiVersion: v1, kind: Service, metadata: {name: web}}");
  absl::StatusOr<AnyObject> o = DecodeObject(node);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(KeyOf(*o), (ObjectKey{Kind::kService, "default", "web"}));
}

TEST(DecodeObjectTest, UnwatchedKindIsNotFound) {
  absl::StatusOr<AnyObject> o =
      DecodeObject(YAML::Load("{apiVersion: v1, kind: ConfigMap, metadata: {name: c}}"));
  EXPECT_EQ(o.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(o.status().message(), "kind not watched: v1/ConfigMap");
  // The group matters: a Service of another API group is not a core Service.
  o = DecodeObject(
      YAML::Load("{apiVersion: serving.knative.dev/v1, kind: Service, metadata: {name: c}}"));
  EXPECT_EQ(o.status().code(), absl::StatusCode::kNotFound);
}

TEST(DecodeObjectTest, ErrorsCarryLineAndPath) {
  absl::StatusOr<AnyObject> o = DecodeObject(YAML::Load(R"(apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  ports:
  - port: 80
    name: http
  - port: eighty
)"));
  EXPECT_EQ(o.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(o.status().message(), "line 8: spec.ports[1].port: expected an integer");

  o = DecodeObject(YAML::Load("[1, 2]"));
  EXPECT_EQ(o.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(o.status().message(), "line 1: expected an object (a map)");
}

TEST(DecodeObjectTest, DecodeObjectAsFillsMissingKind) {
  YAML::Node item = YAML::Load(R"({"metadata": {"name": "n1"}})");
  absl::StatusOr<AnyObject> o = DecodeObjectAs(item, "v1", "Node");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(KeyOf(*o), (ObjectKey{Kind::kNode, "", "n1"}));
  // The node's own apiVersion and kind win.
  o = DecodeObjectAs(YAML::Load("{apiVersion: v1, kind: Pod, metadata: {name: p}}"), "v1", "Node");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(KindOf(*o), Kind::kPod);
  EXPECT_EQ(DecodeObject(item).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace dest

// --- Hostile YAML: bounded before decoding.

namespace dest {
namespace {

using testing::AliasBombProfile;
using testing::RecursiveAliasProfile;

const std::string kProfileHead = testing::ProfileHead("web.default.svc.cluster.local", "default");

TEST(HostileYamlTest, RecursiveAliasIsRejectedWithItsLine) {
  const std::string error =
      ParseError(RecursiveAliasProfile("web.default.svc.cluster.local", "default"));
  EXPECT_THAT(error, ::testing::StartsWith("m.yaml:7: "));
  EXPECT_THAT(error, ::testing::HasSubstr("nested deeper than 64 levels"));
}

TEST(HostileYamlTest, AliasBombIsRejectedQuickly) {
  const std::string yaml = AliasBombProfile("web.default.svc.cluster.local", "default");
  ASSERT_LT(yaml.size(), 1200u);
  const absl::Time start = absl::Now();
  const std::string error = ParseError(yaml);
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  EXPECT_THAT(error, ::testing::HasSubstr("aliases expand to more than 100000 nodes"));
}

TEST(HostileYamlTest, DeepNestingIsRejected) {
  std::string deep = "x: ";
  for (int i = 0; i < 200; ++i) deep += "[";
  for (int i = 0; i < 200; ++i) deep += "]";
  EXPECT_THAT(ParseError("apiVersion: v1\nkind: Service\nmetadata: {name: a}\n" + deep + "\n"),
              ::testing::HasSubstr("nested deeper than 64 levels"));
}

// Conditions are bounded in the decoder itself too, for JSON (no aliases, parser depth only).
TEST(HostileYamlTest, ConditionDepthIsBoundedForJson) {
  std::string cond = R"({"method":"GET"})";
  for (int i = 0; i < 40; ++i) cond = absl::StrCat(R"({"not":)", cond, "}");
  const std::string json = absl::StrCat(
      R"({"apiVersion":"linkerd.io/v1alpha2","kind":"ServiceProfile","metadata":{"name":"a","namespace":"b"},"spec":{"routes":[{"name":"r","condition":)",
      cond, "}]}}");
  absl::StatusOr<AnyObject> o = DecodeJsonObject(json, "", "");
  ASSERT_FALSE(o.ok());
  EXPECT_THAT(o.status().message(), ::testing::HasSubstr("conditions nested deeper than 32"));
}

// A key given twice is refused (which value wins would be the parser's choice), with its line.
TEST(HostileYamlTest, DuplicateKeysAreRejected) {
  EXPECT_EQ(ParseError("apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n  namespace: n\n"
                       "  name: b\n"),
            "m.yaml:6: key \"name\" given twice in one map");
}

// A slice may hold 1000 endpoints, as the API server allows; more is refused before decoding.
TEST(HostileYamlTest, SliceOfMoreThanAThousandEndpointsIsRejected) {
  auto slice = [](int n) {
    std::string y =
        "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
        "metadata: {name: s, namespace: n, labels: {kubernetes.io/service-name: web}}\n"
        "addressType: IPv4\nendpoints:\n";
    for (int i = 0; i < n; ++i) {
      y += absl::StrCat("- addresses: [10.0.", i / 250, ".", i % 250 + 1, "]\n");
    }
    return y;
  };
  EXPECT_EQ(ParseOne<EndpointSlice>(slice(1000))->endpoints.size(), 1000u);
  EXPECT_EQ(ParseError(slice(1001)),
            "m.yaml:6: endpoints: 1001 endpoints; Kubernetes caps an EndpointSlice at 1000");
}

// Honest anchors still work: a shared condition used twice.
TEST(HostileYamlTest, OrdinaryAnchorsStillDecode) {
  auto sp = ParseOne<ServiceProfile>(kProfileHead +
                                     "    condition: &get {method: GET, pathRegex: /a}\n"
                                     "  - name: r2\n"
                                     "    condition: *get\n");
  ASSERT_EQ(sp->routes.size(), 2u);
  ASSERT_TRUE(sp->routes[1].condition.has_value());
  EXPECT_EQ(sp->routes[1].condition->method, "GET");
}

}  // namespace
}  // namespace dest

namespace dest {
namespace {

TEST(Utf8Test, WellFormedOnly) {
  for (const char* good : {"", "plain", "caf\xc3\xa9", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf",
                           "\xe2\x82\xac", "\xed\x9f\xbf"}) {
    EXPECT_TRUE(decode_text::IsUtf8(good)) << good;
  }
  for (const char* bad : {"\xff", "\x80", "\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xed\xa0\x80",
                          "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xe2\x82", "a\xc3", "\xc3("}) {
    EXPECT_FALSE(decode_text::IsUtf8(bad)) << ::testing::PrintToString(std::string(bad));
  }
}

// Invalid UTF-8 never reaches the store, so never the wire: the object is rejected with its line
// and field.
TEST(Utf8Test, InvalidStringsRejectTheObject) {
  EXPECT_EQ(ParseError("apiVersion: linkerd.io/v1alpha2\nkind: ServiceProfile\n"
                       "metadata: {name: web.default.svc.cluster.local, namespace: default}\n"
                       "spec:\n  routes:\n  - name: \"r\xff\"\n"),
            "m.yaml:6: spec.routes[0].name: invalid UTF-8");
  EXPECT_EQ(ParseError("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: n}\n"
                       "spec:\n  serviceAccountName: \"sa\xc0\xaf\"\n"),
            "m.yaml:5: spec.serviceAccountName: invalid UTF-8");
  EXPECT_THAT(ParseError("apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  labels:\n"
                         "    \"k\xed\xa0\x80\": v\n"),
              ::testing::HasSubstr("metadata.labels: invalid UTF-8 in a key"));
}

}  // namespace
}  // namespace dest
