// The Store's indexes, built from YAML: every lookup finds what it should after adds, follows
// updates that move an object from one key to another, and forgets deleted objects.
#include "watchers/store/store.h"

#include <set>
#include <string>

#include "gtest/gtest.h"
#include "tests/support/yaml_fixtures.h"

namespace dest {
namespace {

template <typename T>
std::set<std::string> Names(const std::vector<std::shared_ptr<const T>>& objects) {
  std::set<std::string> out;
  for (const auto& o : objects) out.insert(o->meta.ns + "/" + o->meta.name);
  return out;
}

constexpr char kCluster[] = R"(
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {clusterIP: 10.96.0.10, ports: [{port: 80}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-1
  namespace: shop
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-rs, uid: u1, controller: true}]
spec:
  containers: [{name: c, ports: [{containerPort: 8080, hostPort: 31000}]}]
status: {phase: Running, podIP: 10.0.0.1, hostIP: 192.168.0.1}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-abc, namespace: shop, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{port: 8080}]
endpoints: [{addresses: [10.0.0.1], targetRef: {kind: Pod, name: web-1, namespace: shop}}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: web, namespace: shop}
subsets: [{addresses: [{ip: 10.0.0.1, targetRef: {kind: Pod, name: web-1, namespace: shop}}], ports: [{port: 8080}]}]
---
apiVersion: split.smi-spec.io/v1alpha2
kind: TrafficSplit
metadata: {name: web-split, namespace: shop}
spec: {service: web, backends: [{service: web, weight: 1}]}
)";

TEST(StoreTest, IndexesFindWhatWasAdded) {
  Store store;
  Apply(store, kCluster);
  EXPECT_EQ(Names(store.SlicesForService("shop", "web")), std::set<std::string>{"shop/web-abc"});
  EXPECT_EQ(Names(store.SplitsForService("shop", "web")), std::set<std::string>{"shop/web-split"});
  EXPECT_EQ(Names(store.ServicesByClusterIP("10.96.0.10")), std::set<std::string>{"shop/web"});
  EXPECT_EQ(Names(store.PodsByIP("10.0.0.1")), std::set<std::string>{"shop/web-1"});
  EXPECT_EQ(Names(store.SlicesForPod("shop", "web-1")), std::set<std::string>{"shop/web-abc"});
  EXPECT_EQ(Names(store.EndpointsForPod("shop", "web-1")), std::set<std::string>{"shop/web"});
  EXPECT_EQ(Names(store.PodsOwnedBy("shop", "web-rs")), std::set<std::string>{"shop/web-1"});
  EXPECT_EQ(Names(store.PodsByHostPort("192.168.0.1", 31000)), std::set<std::string>{"shop/web-1"});
  // Nothing under other keys.
  EXPECT_TRUE(store.SlicesForService("other", "web").empty());
  EXPECT_TRUE(store.PodsByIP("10.0.0.2").empty());
  EXPECT_TRUE(store.PodsByHostPort("192.168.0.1", 31001).empty());
}

TEST(StoreTest, UpdatesMoveIndexEntries) {
  Store store;
  Apply(store, kCluster);
  // The pod gets a new IP, the slice now belongs to another Service, the split to another apex.
  Apply(store, R"(
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: shop}
spec: {containers: [{name: c}]}
status: {phase: Running, podIP: 10.0.0.9}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-abc, namespace: shop, labels: {kubernetes.io/service-name: api}}
addressType: IPv4
endpoints: []
---
apiVersion: split.smi-spec.io/v1alpha2
kind: TrafficSplit
metadata: {name: web-split, namespace: shop}
spec: {service: api, backends: [{service: api, weight: 1}]}
)");
  EXPECT_TRUE(store.PodsByIP("10.0.0.1").empty());
  EXPECT_EQ(Names(store.PodsByIP("10.0.0.9")), std::set<std::string>{"shop/web-1"});
  EXPECT_TRUE(store.PodsOwnedBy("shop", "web-rs").empty());
  EXPECT_TRUE(store.PodsByHostPort("192.168.0.1", 31000).empty());
  EXPECT_TRUE(store.SlicesForService("shop", "web").empty());
  EXPECT_EQ(Names(store.SlicesForService("shop", "api")), std::set<std::string>{"shop/web-abc"});
  EXPECT_TRUE(store.SlicesForPod("shop", "web-1").empty());
  EXPECT_TRUE(store.SplitsForService("shop", "web").empty());
  EXPECT_EQ(Names(store.SplitsForService("shop", "api")), std::set<std::string>{"shop/web-split"});
}

TEST(StoreTest, DeletesForgetEveryIndexEntry) {
  Store store;
  Apply(store, kCluster);
  Apply(store, kCluster, EventType::kDeleted);
  EXPECT_TRUE(store.SlicesForService("shop", "web").empty());
  EXPECT_TRUE(store.SplitsForService("shop", "web").empty());
  EXPECT_TRUE(store.ServicesByClusterIP("10.96.0.10").empty());
  EXPECT_TRUE(store.PodsByIP("10.0.0.1").empty());
  EXPECT_TRUE(store.SlicesForPod("shop", "web-1").empty());
  EXPECT_TRUE(store.EndpointsForPod("shop", "web-1").empty());
  EXPECT_TRUE(store.PodsOwnedBy("shop", "web-rs").empty());
  EXPECT_TRUE(store.PodsByHostPort("192.168.0.1", 31000).empty());
  for (Kind k : {Kind::kService, Kind::kPod, Kind::kEndpointSlice, Kind::kEndpoints,
                 Kind::kTrafficSplit}) {
    EXPECT_EQ(store.Count(k), 0u) << KindName(k);
  }
}

TEST(StoreTest, HostNetworkPodsAreNotIndexedByTheirNodesIp) {
  Store store;
  Apply(store, R"(
apiVersion: v1
kind: Pod
metadata: {name: agent, namespace: kube-system}
spec: {hostNetwork: true, containers: [{name: c, ports: [{containerPort: 9100}]}]}
status: {phase: Running, podIP: 192.168.0.1, hostIP: 192.168.0.1}
)");
  EXPECT_TRUE(store.PodsByIP("192.168.0.1").empty());
  EXPECT_EQ(Names(store.PodsByHostPort("192.168.0.1", 9100)),
            std::set<std::string>{"kube-system/agent"});
}

}  // namespace
}  // namespace dest
