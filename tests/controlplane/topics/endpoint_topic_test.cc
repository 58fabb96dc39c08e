// Get through the real Store and TopicRegistry. A stream model replays every message it receives
// (add/remove/no_endpoints) and, after every step, must equal what the store says the endpoints
// are: rolling restarts, scale to zero and back, slow streams that miss snapshots, and every input
// that changes an address's metadata (pod labels and annotations, owners, nodes).
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/substitute.h"
#include "absl/synchronization/mutex.h"
#include "controlplane/topics/endpoint_profile_topic.h"
#include "controlplane/topics/topic_registry.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "tests/support/stream_models.h"
#include "tests/support/yaml_fixtures.h"
#include "watchers/store/store.h"

namespace dest {
namespace {

namespace pb = io::linkerd::proxy::destination;

constexpr char kNs[] = "shop";

// A YAML flow map of string pairs: {"k": "v", ...}.
std::string FlowMap(const std::map<std::string, std::string>& m) {
  std::string out = "{";
  for (const auto& [k, v] : m) absl::StrAppend(&out, out.size() > 1 ? ", " : "", "\"", k, "\": \"", v, "\"");
  return out + "}";
}

// A Service in shop, port 80 (http) to 8080, or to the container port named web-http.
std::shared_ptr<const Service> Svc(const std::string& name = "web", bool named_target = false) {
  return Object<Service>(absl::Substitute(R"(
apiVersion: v1
kind: Service
metadata: {name: $0, namespace: shop}
spec:
  ports: [{name: http, port: 80, targetPort: $1}]
)",
                                          name, named_target ? "web-http" : "8080"));
}

// A meshed, running pod of the ReplicaSet `rs` at `ip` (node IP 192.0.2.1), container port 8080
// named web-http.
std::shared_ptr<const Pod> PodAt(const std::string& name, const std::string& ip,
                                 std::map<std::string, std::string> labels = {},
                                 const std::map<std::string, std::string>& annotations = {},
                                 const std::string& rs = "web-abc") {
  labels["linkerd.io/control-plane-ns"] = "linkerd";
  return Object<Pod>(absl::Substitute(R"(
apiVersion: v1
kind: Pod
metadata:
  name: $0
  namespace: shop
  labels: $2
  annotations: $3
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: $4, controller: true}]
spec:
  serviceAccountName: web
  containers: [{name: app, ports: [{name: web-http, containerPort: 8080}]}]
status: {phase: Running, podIPs: [{ip: "$1"}], hostIP: 192.0.2.1}
)",
                                      name, ip, FlowMap(labels), FlowMap(annotations), rs));
}

struct Ep {
  std::string ip;
  std::string pod;
  bool ready = true;
  std::vector<std::string> zones = {};
  bool hints = false;
  std::string hostname = "";
};

// An EndpointSlice of `svc` in shop, port http 8080, with these endpoints.
std::shared_ptr<const EndpointSlice> Slice(const std::string& name, std::vector<Ep> eps,
                                           const std::string& svc = "web") {
  const bool v4 = eps.empty() || eps[0].ip.find(':') == std::string::npos;
  std::string yaml = absl::Substitute(R"(
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: $0
  namespace: shop
  labels: {kubernetes.io/service-name: $1}
addressType: $2
ports: [{name: http, port: 8080, protocol: TCP}]
endpoints:$3
)",
                                      name, svc, v4 ? "IPv4" : "IPv6", eps.empty() ? " []" : "");
  for (const Ep& e : eps) {
    absl::StrAppend(&yaml, "- addresses: [\"", e.ip, "\"]\n  conditions: {ready: ",
                    e.ready ? "true" : "false", "}\n");
    if (!e.hostname.empty()) absl::StrAppend(&yaml, "  hostname: ", e.hostname, "\n");
    if (e.hints) {
      absl::StrAppend(&yaml, "  hints: {forZones: [");
      for (size_t i = 0; i < e.zones.size(); ++i) {
        absl::StrAppend(&yaml, i ? ", " : "", "{name: ", e.zones[i], "}");
      }
      absl::StrAppend(&yaml, "]}\n");
    }
    if (!e.pod.empty()) {
      absl::StrAppend(&yaml, "  targetRef: {kind: Pod, name: ", e.pod, ", namespace: shop}\n");
    }
  }
  return Object<EndpointSlice>(yaml);
}

class EndpointTopicTest : public ::testing::Test {
 protected:
  EndpointTopicTest() : topics_(&store_, Options(), nullptr, nullptr) {
    store_.AddListener([this](const std::vector<StoreChange>& c) { topics_.OnStoreChanges(c); });
  }
  static TranslatorOptions Options() {
    TranslatorOptions o;
    o.default_opaque_ports = PortSet::Parse("3306");
    return o;
  }
  void Put(std::vector<AnyObject> objects) {
    std::vector<ObjectEvent> ev;
    for (auto& o : objects) ev.push_back({EventType::kModified, std::move(o)});
    store_.Apply(ev);
  }
  template <typename T>
  void Delete(const std::string& name) {
    auto o = store_.Get<T>(std::is_same_v<T, Node> ? "" : kNs, name);
    ASSERT_NE(o, nullptr) << name;
    store_.Apply({{EventType::kDeleted, AnyObject(o)}});
  }
  std::shared_ptr<EndpointTopic> Subscribe(const std::shared_ptr<ModelStream>& s,
                                           const std::string& svc = "web",
                                           const std::string& zone = "") {
    auto topic = topics_.AcquireEndpoints(EndpointKey{svc, kNs, 80, "", zone});
    s->Offer(topic->Subscribe(s));
    held_.push_back(topic);
    return topic;
  }
  // The truth: what the store says now, as a proxy would hold it.
  ProxyModel Truth(const std::string& svc = "web", const std::string& zone = "") {
    EndpointState st = ComputeEndpoints(store_, EndpointKey{svc, kNs, 80, "", zone}, Options());
    ProxyModel m;
    m.exists = st.exists;
    for (const auto& [id, wa] : st.addrs) m.addrs[AddrId(wa->addr())] = SerializeDeterministic(*wa);
    return m;
  }
  void ExpectInSync(ModelStream& s, const std::string& svc = "web") {
    ProxyModel got = s.Model(), want = Truth(svc);
    EXPECT_TRUE(got.known);
    EXPECT_EQ(got.exists, want.exists);
    EXPECT_EQ(got.addrs, want.addrs);
  }

  Store store_;
  TopicRegistry topics_;
  std::vector<std::shared_ptr<EndpointTopic>> held_;
};

TEST_F(EndpointTopicTest, RollingRestartReplaysToTheStoreAfterEveryStep) {
  const int kPods = 4;
  std::vector<AnyObject> init = {Svc()};
  std::vector<Ep> eps;
  for (int i = 0; i < kPods; ++i) {
    std::string name = absl::StrCat("web-old-", i), ip = absl::StrCat("10.0.0.", i + 1);
    init.push_back(PodAt(name, ip, {{"pod-template-hash", "old"}}));
    eps.push_back({ip, name});
  }
  init.push_back(Slice("web-1", eps));
  Put(init);
  auto eager = std::make_shared<ModelStream>();
  auto lazy = std::make_shared<ModelStream>(/*lazy=*/true);
  Subscribe(eager);
  Subscribe(lazy);
  lazy->Pump();
  ExpectInSync(*eager);
  EXPECT_EQ(eager->Model().kinds, (std::vector<std::string>{"add"}));

  // Replace pods one by one: new pod (not ready), ready, old one terminating (not ready), gone.
  for (int i = 0; i < kPods; ++i) {
    SCOPED_TRACE(i);
    std::string fresh = absl::StrCat("web-new-", i), ip = absl::StrCat("10.0.1.", i + 1);
    Put({PodAt(fresh, ip, {{"pod-template-hash", "new"}}, {}, "web-def")});
    eps.push_back({ip, fresh, false});
    Put({Slice("web-1", eps)});
    ExpectInSync(*eager);
    eps.back().ready = true;
    Put({Slice("web-1", eps)});
    ExpectInSync(*eager);
    eps[i].ready = false;
    Put({Slice("web-1", eps)});
    ExpectInSync(*eager);
    Delete<Pod>(absl::StrCat("web-old-", i));
    ExpectInSync(*eager);
    if (i % 2 == 1) {
      lazy->Pump();  // the slow stream catches up every other round, whatever it missed
      ExpectInSync(*lazy);
    }
  }
  lazy->Pump();
  ExpectInSync(*lazy);
  EXPECT_EQ(eager->Model().addrs.size(), static_cast<size_t>(kPods));
  // Never an empty or no-op message, and a slow stream sends fewer messages for the same result.
  EXPECT_LT(lazy->Messages(), eager->Messages());
}

TEST_F(EndpointTopicTest, ScaleToZeroDeleteAndBack) {
  Put({Svc(), PodAt("a", "10.0.0.1"), Slice("s1", {{"10.0.0.1", "a"}})});
  auto s = std::make_shared<ModelStream>();
  Subscribe(s);
  Put({Slice("s1", {})});
  ExpectInSync(*s);
  Delete<Service>("web");
  ExpectInSync(*s);
  Put({Svc()});  // back, still empty: exists again
  ExpectInSync(*s);
  Put({Slice("s1", {{"10.0.0.1", "a"}})});
  ExpectInSync(*s);
  EXPECT_EQ(s->Model().kinds, (std::vector<std::string>{"add", "none", "gone", "none", "add"}));
}

TEST_F(EndpointTopicTest, ServiceCreatedAfterSubscription) {
  auto s = std::make_shared<ModelStream>();
  Subscribe(s, "late");
  EXPECT_EQ(s->Model().kinds, (std::vector<std::string>{"gone"}));
  Put({PodAt("a", "10.0.0.1"), Slice("late-1", {{"10.0.0.1", "a"}}, "late")});
  EXPECT_EQ(s->Messages(), 1u);  // a slice without its Service changes nothing a proxy sees
  Put({Svc("late")});
  ExpectInSync(*s, "late");
  EXPECT_EQ(s->Model().kinds, (std::vector<std::string>{"gone", "add"}));
}

TEST_F(EndpointTopicTest, DeletingOneSliceRemovesOnlyItsAddresses) {
  Put({Svc(), PodAt("a", "10.0.0.1"), PodAt("b", "10.0.0.2"), Slice("s1", {{"10.0.0.1", "a"}}),
       Slice("s2", {{"10.0.0.2", "b"}})});
  auto s = std::make_shared<ModelStream>();
  Subscribe(s);
  Delete<EndpointSlice>("s2");
  ExpectInSync(*s);
  EXPECT_EQ(s->Model().addrs.size(), 1u);
  EXPECT_EQ(s->Model().kinds.back(), "remove");
}

// An address naming a Pod the store has not seen is left out (served without its Pod it would
// have no identity, and a meshed Pod would be reached in plaintext); it is added when the Pod
// arrives and left out again when the Pod goes. An address naming no Pod is served as it is.
TEST_F(EndpointTopicTest, AddressWaitsForItsPod) {
  Put({Svc(), PodAt("a", "10.0.0.1"),
       Slice("s1", {{"10.0.0.1", "a"}, {"10.0.0.2", "b"}, {"10.0.0.3", ""}})});
  auto s = std::make_shared<ModelStream>();
  Subscribe(s);
  ExpectInSync(*s);
  auto addrs = [&] {
    std::vector<std::string> out;
    for (const auto& [id, bytes] : s->Model().addrs) out.push_back(id);
    return out;
  };
  EXPECT_EQ(addrs(), (std::vector<std::string>{"10.0.0.1:8080", "10.0.0.3:8080"}));
  Put({PodAt("b", "10.0.0.2")});
  ExpectInSync(*s);
  EXPECT_EQ(addrs(),
            (std::vector<std::string>{"10.0.0.1:8080", "10.0.0.2:8080", "10.0.0.3:8080"}));
  pb::WeightedAddr b;
  ASSERT_TRUE(b.ParseFromString(s->Model().addrs["10.0.0.2:8080"]));
  EXPECT_EQ(b.tls_identity().dns_like_identity().name(),
            "web.shop.serviceaccount.identity.linkerd.cluster.local");
  Delete<Pod>("b");
  ExpectInSync(*s);
  EXPECT_EQ(addrs(), (std::vector<std::string>{"10.0.0.1:8080", "10.0.0.3:8080"}));
  EXPECT_EQ(s->Model().kinds, (std::vector<std::string>{"add", "add", "remove"}));
}

// A mirror's annotations change (the link's gateway identity rotated): open streams get the
// gateway address again with the new identity.
TEST_F(EndpointTopicTest, MirrorAnnotationChangesUpdateOpenStreams) {
  const std::string slice = R"(
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-west
  namespace: shop
  labels: {kubernetes.io/service-name: web, mirror.linkerd.io/mirrored-service: "true"}
  annotations:
    mirror.linkerd.io/remote-svc-fq-name: web.shop.svc.cluster.local
    mirror.linkerd.io/remote-gateway-identity: $0
addressType: IPv4
ports: [{name: http, port: 4143}]
endpoints: [{addresses: [203.0.113.7]}]
)";
  Put({Svc()});
  Apply(store_, absl::Substitute(slice, "gw-1.west"));
  auto s = std::make_shared<ModelStream>();
  Subscribe(s);
  ExpectInSync(*s);
  auto identity = [&] {
    pb::WeightedAddr wa;
    EXPECT_TRUE(wa.ParseFromString(s->Model().addrs["203.0.113.7:4143"]));
    return wa.tls_identity().dns_like_identity().name();
  };
  EXPECT_EQ(identity(), "gw-1.west");
  Apply(store_, absl::Substitute(slice, "gw-2.west"));
  ExpectInSync(*s);
  EXPECT_EQ(identity(), "gw-2.west");
  EXPECT_EQ(s->Model().kinds, (std::vector<std::string>{"add", "add"}));
}

// A Server marking the pods' port opaque, changed and deleted: open Get streams re-add the
// address with the opaque transport hint, then without it; the pod-IP profile follows too.
TEST_F(EndpointTopicTest, ServerChangesUpdateOpenStreams) {
  Put({Svc(), PodAt("a", "10.0.0.1", {{"app", "web"}}), Slice("s1", {{"10.0.0.1", "a"}})});
  auto s = std::make_shared<ModelStream>();
  Subscribe(s);
  auto opaque = [&] {
    pb::WeightedAddr wa;
    EXPECT_TRUE(wa.ParseFromString(s->Model().addrs["10.0.0.1:8080"]));
    return wa.protocol_hint().has_opaque_transport();
  };
  auto profile = topics_.AcquireEndpointProfile(
      EndpointProfileKey{EndpointProfileKey::Mode::kPodIp, "10.0.0.1", 8080, "", "", ""});
  profile->Recompute(nullptr);  // its first snapshot; store changes recompute it from then on
  auto profile_opaque = [&] {
    pb::DestinationProfile p;
    EXPECT_TRUE(p.ParseFromString(profile->Current()->bytes));
    return p.opaque_protocol();
  };
  EXPECT_FALSE(opaque());
  EXPECT_FALSE(profile_opaque());
  const std::string server = R"(
apiVersion: policy.linkerd.io/v1beta2
kind: Server
metadata: {name: web-http, namespace: shop}
spec: {podSelector: {matchLabels: {app: web}}, port: web-http, proxyProtocol: $0}
)";
  Apply(store_, absl::Substitute(server, "opaque"));
  ExpectInSync(*s);
  EXPECT_TRUE(opaque());
  EXPECT_TRUE(profile_opaque());
  Apply(store_, absl::Substitute(server, "HTTP/1"));
  ExpectInSync(*s);
  EXPECT_FALSE(opaque());
  Apply(store_, absl::Substitute(server, "opaque"));
  EXPECT_TRUE(opaque());
  Apply(store_, absl::Substitute(server, "opaque"), EventType::kDeleted);
  ExpectInSync(*s);
  EXPECT_FALSE(opaque());
  EXPECT_FALSE(profile_opaque());
  EXPECT_EQ(s->Model().kinds, (std::vector<std::string>{"add", "add", "add", "add", "add"}));
  topics_.ReleaseEndpointProfile(*profile);
}

// Left-out addresses are counted at each change that leaves them out, once Pods have synced
// (before, every Pod is unknown: that is startup, not news).
TEST(UnknownPodCountTest, CountedPerChangeAfterPodsSync) {
  prometheus::Registry registry;
  Store store;
  TopicRegistry topics(&store, TranslatorOptions{}, &registry, nullptr);
  store.AddListener([&topics](const std::vector<StoreChange>& c) { topics.OnStoreChanges(c); });
  auto counted = [&registry] {
    for (const auto& family : registry.Collect()) {
      if (family.name == "destination_endpoints_pod_unknown_total") {
        return family.metric.at(0).counter.value;
      }
    }
    return -1.0;
  };
  const std::string one = R"(
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: s1, namespace: shop, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
endpoints:
- addresses: [10.0.0.1]
  targetRef: {kind: Pod, name: a, namespace: shop}
)";
  store.Apply(Events(one));
  EXPECT_EQ(counted(), 0);  // Pods not synced yet
  store.MarkSynced(Kind::kPod);
  const std::string two = one + R"(- addresses: [10.0.0.2]
  targetRef: {kind: Pod, name: b}
- addresses: [10.0.0.3]
  conditions: {ready: false}
  targetRef: {kind: Pod, name: c}
)";
  store.Apply(Events(two));
  EXPECT_EQ(counted(), 2);  // a and b; c is not ready, so not served anyway
  store.Apply(Events(R"(
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: shop}
status: {podIPs: [{ip: 10.0.0.1}]}
)"));
  EXPECT_EQ(counted(), 2);
  store.Apply(Events(R"(
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: shop}
)",
                     EventType::kDeleted));
  EXPECT_EQ(counted(), 3);  // a gone while the slice still lists it
}

// The same in Endpoints mode.
TEST_F(EndpointTopicTest, EndpointsAddressWaitsForItsPod) {
  TranslatorOptions o = Options();
  o.endpoint_slices = false;
  TopicRegistry topics(&store_, o, nullptr, nullptr);
  store_.AddListener([&topics](const std::vector<StoreChange>& c) { topics.OnStoreChanges(c); });
  Apply(store_, R"(
apiVersion: v1
kind: Endpoints
metadata: {name: web, namespace: shop}
subsets:
- addresses:
  - {ip: 10.0.0.1, targetRef: {kind: Pod, name: a, namespace: shop}}
  - {ip: 10.0.0.9}
  ports: [{name: http, port: 8080}]
)");
  Put({Svc()});
  auto topic = topics.AcquireEndpoints(EndpointKey{"web", kNs, 80, "", ""});
  auto s = std::make_shared<ModelStream>();
  s->Offer(topic->Subscribe(s));
  EXPECT_EQ(s->Model().addrs.size(), 1u);
  EXPECT_TRUE(s->Model().addrs.count("10.0.0.9:8080"));
  Put({PodAt("a", "10.0.0.1")});
  EXPECT_EQ(s->Model().addrs.size(), 2u);
  EXPECT_TRUE(s->Model().addrs.count("10.0.0.1:8080"));
  topic->Unsubscribe(s.get());
  topics.ReleaseEndpoints(*topic);
}

// Each input that feeds an address's metadata produces exactly one re-add of that address.
TEST_F(EndpointTopicTest, MetadataChangesReAddOnlyTheAffectedAddress) {
  auto rs = std::make_shared<ReplicaSet>();
  rs->meta.name = "web-abc";
  rs->meta.ns = kNs;
  Put({Svc(), rs, PodAt("a", "10.0.0.1"), PodAt("b", "10.0.0.2", {}, {}, "other-rs"),
       Slice("s1", {{"10.0.0.1", "a"}, {"10.0.0.2", "b"}})});
  auto s = std::make_shared<ModelStream>();
  Subscribe(s);
  auto label = [&](const std::string& key) {
    pb::WeightedAddr wa;
    wa.ParseFromString(s->Model().addrs.at("10.0.0.1:8080"));
    auto it = wa.metric_labels().find(key);
    return it == wa.metric_labels().end() ? std::string("<none>") : it->second;
  };
  EXPECT_EQ(label("replicaset"), "web-abc");

  struct Step {
    std::string name;
    std::function<void()> apply;
    std::string key, want;
  };
  std::vector<Step> steps = {
      {"owner gets a Deployment",
       [&] {
         auto r = std::make_shared<ReplicaSet>(*rs);
         r->meta.owner_references.push_back({"apps/v1", "Deployment", "web", true});
         Put({r});
       },
       "deployment", "web"},
      {"pod label", [&] { Put({PodAt("a", "10.0.0.1", {{"pod-template-hash", "h2"}})}); },
       "pod_template_hash", "h2"},
      {"service account",
       [&] {
         auto p = std::make_shared<Pod>(*PodAt("a", "10.0.0.1", {{"pod-template-hash", "h2"}}));
         p->service_account_name = "other";
         Put({p});
       },
       "serviceaccount", "other"},
  };
  for (const Step& step : steps) {
    SCOPED_TRACE(step.name);
    size_t before = s->Messages();
    step.apply();
    ExpectInSync(*s);
    EXPECT_EQ(s->Messages(), before + 1);
    EXPECT_EQ(s->Model().kinds.back(), "add");
    EXPECT_EQ(label(step.key), step.want);
  }
  // Opaque annotation on the pod: the hint appears.
  size_t before = s->Messages();
  Put({PodAt("a", "10.0.0.1", {}, {{"config.linkerd.io/opaque-ports", "8000-8100"}})});
  EXPECT_EQ(s->Messages(), before + 1);
  pb::WeightedAddr wa;
  wa.ParseFromString(s->Model().addrs.at("10.0.0.1:8080"));
  EXPECT_EQ(wa.protocol_hint().opaque_transport().inbound_port(), 4143u);
  // A pod outside the Service changes nothing.
  before = s->Messages();
  Put({PodAt("unrelated", "10.0.9.9")});
  EXPECT_EQ(s->Messages(), before);
}

TEST_F(EndpointTopicTest, ZoneHintsFilterForTheClientsZone) {
  auto node = std::make_shared<Node>();
  node->meta.name = "node-a";
  node->meta.labels["topology.kubernetes.io/zone"] = "zone-a";
  Put({Svc(), node, PodAt("a", "10.0.0.1"), PodAt("b", "10.0.0.2"),
       Slice("s1", {{"10.0.0.1", "a", true, {"zone-a"}, true}, {"10.0.0.2", "b", true, {"zone-b"}, true}})});
  EXPECT_EQ(ZoneOfNode(store_, "node-a"), "zone-a");
  EXPECT_EQ(Truth("web", "zone-a").addrs.size(), 1u);
  EXPECT_EQ(Truth("web", "zone-b").addrs.size(), 1u);
  EXPECT_EQ(Truth("web", "zone-c").addrs.size(), 2u);  // nothing hinted for it: all
  EXPECT_EQ(Truth("web", "").addrs.size(), 2u);
  // One endpoint without hints: no filtering at all.
  Put({Slice("s1", {{"10.0.0.1", "a", true, {"zone-a"}, true}, {"10.0.0.2", "b", true, {}, false}})});
  EXPECT_EQ(Truth("web", "zone-a").addrs.size(), 2u);
}

TEST_F(EndpointTopicTest, EndpointsModeUsesReadyAddressesOnly) {
  TranslatorOptions o = Options();
  o.endpoint_slices = false;
  auto eps = std::make_shared<Endpoints>();
  eps->meta.name = "web";
  eps->meta.ns = kNs;
  EndpointSubset sub;
  sub.addresses.push_back({"10.0.0.1", "", "", ObjectReference{"Pod", "a", kNs}});
  sub.not_ready_addresses.push_back({"10.0.0.2", "", "", ObjectReference{"Pod", "b", kNs}});
  sub.ports.push_back({"http", 8080, "TCP"});
  eps->subsets.push_back(sub);
  Put({Svc("web", /*named_target=*/true), PodAt("a", "10.0.0.1"), eps});
  EndpointState st = ComputeEndpoints(store_, EndpointKey{"web", kNs, 80, "", ""}, o);
  ASSERT_EQ(st.addrs.size(), 1u);
  EXPECT_EQ(st.addrs.begin()->first, "10.0.0.1:8080");
  EXPECT_EQ(st.addrs.begin()->second->metric_labels().at("pod"), "a");
}

TEST_F(EndpointTopicTest, PodIpProfileFollowsThePodAtThatAddress) {
  Put({PodAt("a", "10.0.0.1", {}, {{"config.linkerd.io/opaque-ports", "3306"}})});
  EndpointProfileKey key;
  key.ip = "10.0.0.1";
  key.port = 3306;
  auto topic = topics_.AcquireEndpointProfile(key);
  struct Grab : Sink<ProfileSnapshot> {
    void Offer(std::shared_ptr<const ProfileSnapshot> s) override { last = s; }
    std::shared_ptr<const ProfileSnapshot> last;
  };
  auto sink = std::make_shared<Grab>();
  sink->Offer(topic->Subscribe(sink));
  pb::DestinationProfile p;
  ASSERT_TRUE(p.ParseFromString(sink->last->bytes));
  EXPECT_EQ(p.endpoint().metric_labels().at("pod"), "a");
  EXPECT_EQ(p.endpoint().metric_labels().at("namespace"), kNs);
  EXPECT_TRUE(p.opaque_protocol());
  EXPECT_TRUE(p.fully_qualified_name().empty());
  EXPECT_EQ(p.dst_overrides_size(), 0);
  // Replaced by another pod at the same IP.
  Delete<Pod>("a");
  ASSERT_TRUE(p.ParseFromString(sink->last->bytes));
  EXPECT_FALSE(p.has_endpoint());
  Put({PodAt("a2", "10.0.0.1")});
  ASSERT_TRUE(p.ParseFromString(sink->last->bytes));
  EXPECT_EQ(p.endpoint().metric_labels().at("pod"), "a2");
  EXPECT_TRUE(p.opaque_protocol());  // 3306 is in the default opaque ports
  topic->Unsubscribe(sink.get());
  topics_.ReleaseEndpointProfile(*topic);
}

}  // namespace
}  // namespace dest

namespace dest {
namespace {

TEST_F(EndpointTopicTest, HostNetworkPodByHostIpAndPort) {
  auto p = std::make_shared<Pod>(*PodAt("node-agent", "192.0.2.1"));
  p->host_network = true;
  Put({p});
  EXPECT_TRUE(LivePodsAt(store_, EndpointProfileKey::Mode::kPodIp, "192.0.2.1", 8080).empty());
  auto pods = LivePodsAt(store_, EndpointProfileKey::Mode::kHostPort, "192.0.2.1", 8080);
  ASSERT_EQ(pods.size(), 1u);
  EXPECT_EQ(pods[0]->meta.name, "node-agent");
  // Terminating pods do not count.
  auto gone = std::make_shared<Pod>(*p);
  gone->meta.deleting = true;
  Put({gone});
  EXPECT_TRUE(LivePodsAt(store_, EndpointProfileKey::Mode::kHostPort, "192.0.2.1", 8080).empty());
}

}  // namespace
}  // namespace dest
