// DiffUpdates, EndpointSnapshot::MessagesFrom and ComputeEndpoints, asserted as the Update
// messages a proxy would receive on a Get stream (behaviour.md section 2).
#include <arpa/inet.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/substitute.h"
#include "controlplane/translate/endpoint_translator.h"
#include "controlplane/topics/snapshot.h"
#include "destination.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/yaml_fixtures.h"
#include "watchers/objects.h"
#include "watchers/store/store.h"

namespace dest {
namespace {

namespace pb = io::linkerd::proxy::destination;
namespace net = io::linkerd::proxy::net;
using testing::ElementsAre;
using testing::IsEmpty;
using testing::Pair;
using testing::UnorderedElementsAre;

// ---------------------------------------------------------------------------------------------
// Reading messages back as a proxy would.

std::string AddrText(const net::TcpAddress& a) {
  char buf[INET6_ADDRSTRLEN];
  if (a.ip().has_ipv6()) {
    unsigned char bytes[16];
    uint64_t first = a.ip().ipv6().first(), last = a.ip().ipv6().last();
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<unsigned char>(first >> (56 - 8 * i));
    for (int i = 0; i < 8; ++i) bytes[8 + i] = static_cast<unsigned char>(last >> (56 - 8 * i));
    inet_ntop(AF_INET6, bytes, buf, sizeof buf);
    return absl::StrCat("[", buf, "]:", a.port());
  }
  in_addr v4;
  v4.s_addr = htonl(a.ip().ipv4());
  inet_ntop(AF_INET, &v4, buf, sizeof buf);
  return absl::StrCat(buf, ":", a.port());
}

pb::Update Parse(const std::string& bytes) {
  pb::Update u;
  EXPECT_TRUE(u.ParseFromString(bytes)) << "unparseable Update";
  return u;
}

std::string Bytes(const grpc::ByteBuffer& b) {
  std::vector<grpc::Slice> slices;
  EXPECT_TRUE(b.Dump(&slices).ok());
  std::string out;
  for (const grpc::Slice& s : slices) {
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return out;
}

// "add A,B", "remove A", "no_endpoints exists=true".
std::string Describe(const pb::Update& u) {
  std::vector<std::string> addrs;
  switch (u.update_case()) {
    case pb::Update::kAdd:
      for (const pb::WeightedAddr& wa : u.add().addrs()) addrs.push_back(AddrText(wa.addr()));
      return "add " + absl::StrJoin(addrs, ",");
    case pb::Update::kRemove:
      for (const net::TcpAddress& a : u.remove().addrs()) addrs.push_back(AddrText(a));
      return "remove " + absl::StrJoin(addrs, ",");
    case pb::Update::kNoEndpoints:
      return absl::StrCat("no_endpoints exists=", u.no_endpoints().exists() ? "true" : "false");
    default:
      return "empty update";
  }
}

std::vector<std::string> Describe(const std::vector<std::string>& messages) {
  std::vector<std::string> out;
  for (const std::string& m : messages) out.push_back(Describe(Parse(m)));
  return out;
}

std::vector<std::string> Describe(const MessageBatch& batch) {
  std::vector<std::string> out;
  for (size_t i = 0; i < batch.count; ++i) out.push_back(Describe(Parse(Bytes(*batch.messages[i]))));
  return out;
}

// Every add carries the set-level labels; no add or remove is empty.
void ExpectWellFormed(const std::vector<std::string>& messages, const std::string& service,
                      const std::string& ns) {
  for (const std::string& m : messages) {
    pb::Update u = Parse(m);
    ASSERT_NE(u.update_case(), pb::Update::UPDATE_NOT_SET);
    if (u.has_add()) {
      EXPECT_GT(u.add().addrs_size(), 0) << "empty add";
      EXPECT_THAT(u.add().metric_labels(),
                  UnorderedElementsAre(Pair("service", service), Pair("namespace", ns)));
    }
    if (u.has_remove()) {
      EXPECT_GT(u.remove().addrs_size(), 0) << "empty remove";
    }
  }
}

// ---------------------------------------------------------------------------------------------
// DiffUpdates.

constexpr char kSvc[] = "web";
constexpr char kNs[] = "emojivoto";

// An address with a distinguishing label, so metadata changes can be made.
std::shared_ptr<const pb::WeightedAddr> Addr(const std::string& ip, uint32_t port,
                                             const std::string& pod) {
  pb::WeightedAddr wa;
  EXPECT_TRUE(SetTcpAddress(ip, port, wa.mutable_addr()));
  wa.set_weight(10000);
  (*wa.mutable_metric_labels())["pod"] = pod;
  return std::make_shared<const pb::WeightedAddr>(std::move(wa));
}

struct A {
  std::string ip;
  std::string pod = "p";
};

EndpointState State(bool exists, std::vector<A> addrs = {}) {
  EndpointState s;
  s.exists = exists;
  for (const A& a : addrs) s.addrs[absl::StrCat(a.ip, ":8080")] = Addr(a.ip, 8080, a.pod);
  return s;
}

std::vector<std::string> Diff(const EndpointState* from, const EndpointState& to) {
  std::vector<std::string> messages = DiffUpdates(from, to, kSvc, kNs);
  ExpectWellFormed(messages, kSvc, kNs);
  return Describe(messages);
}

TEST(DiffUpdatesTest, FirstMessageWithEndpointsIsOneAddOfAll) {
  EndpointState to = State(true, {{"10.0.0.1"}, {"10.0.0.2"}});
  std::vector<std::string> messages = DiffUpdates(nullptr, to, kSvc, kNs);
  ASSERT_EQ(messages.size(), 1u);
  pb::Update u = Parse(messages[0]);
  ASSERT_TRUE(u.has_add());
  EXPECT_EQ(Describe(u), "add 10.0.0.1:8080,10.0.0.2:8080");
  EXPECT_THAT(u.add().metric_labels(),
              UnorderedElementsAre(Pair("service", "web"), Pair("namespace", "emojivoto")));
  EXPECT_EQ(u.add().addrs(0).weight(), 10000u);
  EXPECT_EQ(u.add().addrs(0).metric_labels().at("pod"), "p");
}

TEST(DiffUpdatesTest, FirstMessageWhenServiceHasNoEndpoints) {
  EndpointState to = State(true);
  EXPECT_THAT(Diff(nullptr, to), ElementsAre("no_endpoints exists=true"));
}

TEST(DiffUpdatesTest, FirstMessageWhenServiceIsAbsent) {
  EndpointState to = State(false);
  EXPECT_THAT(Diff(nullptr, to), ElementsAre("no_endpoints exists=false"));
}

struct TransitionCase {
  std::string name;
  EndpointState from;
  EndpointState to;
  std::vector<std::string> want;
};
void PrintTo(const TransitionCase& c, std::ostream* os) { *os << c.name; }

class DiffTransitionTest : public testing::TestWithParam<TransitionCase> {};

TEST_P(DiffTransitionTest, SendsWhatChanged) {
  EXPECT_EQ(Diff(&GetParam().from, GetParam().to), GetParam().want);
}

INSTANTIATE_TEST_SUITE_P(
    Table, DiffTransitionTest,
    testing::Values(
        TransitionCase{"AddOne",
                       State(true, {{"10.0.0.1"}}),
                       State(true, {{"10.0.0.1"}, {"10.0.0.2"}}),
                       {"add 10.0.0.2:8080"}},
        TransitionCase{"RemoveOne",
                       State(true, {{"10.0.0.1"}, {"10.0.0.2"}}),
                       State(true, {{"10.0.0.1"}}),
                       {"remove 10.0.0.2:8080"}},
        TransitionCase{"RemoveBeforeAdd",
                       State(true, {{"10.0.0.1"}, {"10.0.0.2"}}),
                       State(true, {{"10.0.0.1"}, {"10.0.0.3"}}),
                       {"remove 10.0.0.2:8080", "add 10.0.0.3:8080"}},
        TransitionCase{"ReplaceAll",
                       State(true, {{"10.0.0.1"}, {"10.0.0.2"}}),
                       State(true, {{"10.0.0.3"}, {"10.0.0.4"}}),
                       {"remove 10.0.0.1:8080,10.0.0.2:8080", "add 10.0.0.3:8080,10.0.0.4:8080"}},
        TransitionCase{"MetadataChangeReAddsOnlyThatOne",
                       State(true, {{"10.0.0.1", "a"}, {"10.0.0.2", "b"}}),
                       State(true, {{"10.0.0.1", "a"}, {"10.0.0.2", "b2"}}),
                       {"add 10.0.0.2:8080"}},
        TransitionCase{"LastEndpointGone",
                       State(true, {{"10.0.0.1"}, {"10.0.0.2"}}),
                       State(true),
                       {"no_endpoints exists=true"}},
        TransitionCase{"ServiceDeleted",
                       State(true, {{"10.0.0.1"}}),
                       State(false),
                       {"no_endpoints exists=false"}},
        TransitionCase{
            "EmptyServiceDeleted", State(true), State(false), {"no_endpoints exists=false"}},
        TransitionCase{
            "ServiceCreatedEmpty", State(false), State(true), {"no_endpoints exists=true"}},
        TransitionCase{"ServiceBack",
                       State(false),
                       State(true, {{"10.0.0.1"}, {"10.0.0.2"}}),
                       {"add 10.0.0.1:8080,10.0.0.2:8080"}},
        TransitionCase{
            "EndpointsBack", State(true), State(true, {{"10.0.0.1"}}), {"add 10.0.0.1:8080"}},
        // Nothing a proxy sees changes: no message at all.
        TransitionCase{"NoOpSameContent",
                       State(true, {{"10.0.0.1"}, {"10.0.0.2"}}),
                       State(true, {{"10.0.0.1"}, {"10.0.0.2"}}),
                       {}},
        TransitionCase{"NoOpAbsent", State(false), State(false), {}},
        TransitionCase{"NoOpEmpty", State(true), State(true), {}}));

TEST(DiffUpdatesTest, SameStateObjectIsNoOp) {
  EndpointState s = State(true, {{"10.0.0.1"}});
  EXPECT_THAT(Diff(&s, s), IsEmpty());
}

TEST(DiffUpdatesTest, ChangedAddressCarriesNewMetadata) {
  EndpointState from = State(true, {{"10.0.0.1", "old"}});
  EndpointState to = State(true, {{"10.0.0.1", "new"}});
  std::vector<std::string> messages = DiffUpdates(&from, to, kSvc, kNs);
  ASSERT_EQ(messages.size(), 1u);
  pb::Update u = Parse(messages[0]);
  ASSERT_TRUE(u.has_add());
  ASSERT_EQ(u.add().addrs_size(), 1);
  EXPECT_EQ(u.add().addrs(0).metric_labels().at("pod"), "new");
}

// ---------------------------------------------------------------------------------------------
// EndpointSnapshot::MessagesFrom.

// Fills a snapshot whose delta is the DiffUpdates from `prev`.
void Fill(EndpointSnapshot* s, uint64_t version, const EndpointSnapshot* prev,
          EndpointState state) {
  s->version = version;
  s->prev_version = prev ? prev->version : 0;
  s->service = kSvc;
  s->ns = kNs;
  s->state = std::move(state);
  for (const std::string& m : DiffUpdates(prev ? &prev->state : nullptr, s->state, kSvc, kNs)) {
    s->delta.push_back(MakeByteBuffer(m));
  }
}

TEST(EndpointSnapshotTest, NewStreamGetsFullState) {
  EndpointSnapshot s;
  Fill(&s, 1, nullptr, State(true, {{"10.0.0.1"}, {"10.0.0.2"}}));
  EXPECT_THAT(Describe(s.MessagesFrom(nullptr)), ElementsAre("add 10.0.0.1:8080,10.0.0.2:8080"));
  // Computed once, same answer every time.
  EXPECT_THAT(Describe(s.MessagesFrom(nullptr)), ElementsAre("add 10.0.0.1:8080,10.0.0.2:8080"));

  EndpointSnapshot absent;
  Fill(&absent, 1, nullptr, State(false));
  EXPECT_THAT(Describe(absent.MessagesFrom(nullptr)), ElementsAre("no_endpoints exists=false"));

  EndpointSnapshot empty;
  Fill(&empty, 1, nullptr, State(true));
  EXPECT_THAT(Describe(empty.MessagesFrom(nullptr)), ElementsAre("no_endpoints exists=true"));
}

TEST(EndpointSnapshotTest, FromPreviousUsesDelta) {
  EndpointSnapshot s1, s2;
  Fill(&s1, 1, nullptr, State(true, {{"10.0.0.1"}}));
  Fill(&s2, 2, &s1, State(true, {{"10.0.0.1"}, {"10.0.0.2"}}));
  // Replace the delta with a marker: MessagesFrom(previous) must hand it out unchanged.
  pb::Update marker;
  marker.mutable_no_endpoints()->set_exists(true);
  s2.delta = {MakeByteBuffer(SerializeDeterministic(marker))};
  EXPECT_THAT(Describe(s2.MessagesFrom(&s1)), ElementsAre("no_endpoints exists=true"));
}

TEST(EndpointSnapshotTest, FromPreviousGivesTheChange) {
  EndpointSnapshot s1, s2;
  Fill(&s1, 1, nullptr, State(true, {{"10.0.0.1"}, {"10.0.0.2"}}));
  Fill(&s2, 2, &s1, State(true, {{"10.0.0.1"}, {"10.0.0.3"}}));
  EXPECT_THAT(Describe(s2.MessagesFrom(&s1)),
              ElementsAre("remove 10.0.0.2:8080", "add 10.0.0.3:8080"));
}

TEST(EndpointSnapshotTest, FromOlderComputesFreshDiff) {
  EndpointSnapshot s1, s2, s3;
  Fill(&s1, 1, nullptr, State(true, {{"10.0.0.1"}, {"10.0.0.2"}}));
  Fill(&s2, 2, &s1, State(true, {{"10.0.0.1"}}));
  Fill(&s3, 3, &s2, State(true, {{"10.0.0.1"}, {"10.0.0.3"}}));
  // s3's delta (from s2) would be "add 10.0.0.3"; a stream at s1 also needs 10.0.0.2 removed.
  EXPECT_THAT(Describe(s3.MessagesFrom(&s1)),
              ElementsAre("remove 10.0.0.2:8080", "add 10.0.0.3:8080"));
  EXPECT_THAT(Describe(s3.MessagesFrom(&s2)), ElementsAre("add 10.0.0.3:8080"));
}

TEST(EndpointSnapshotTest, FromOlderAcrossDeletion) {
  EndpointSnapshot s1, s2, s3;
  Fill(&s1, 1, nullptr, State(true, {{"10.0.0.1"}}));
  Fill(&s2, 2, &s1, State(false));
  Fill(&s3, 3, &s2, State(true, {{"10.0.0.1"}}));
  // The stream at s1 never saw the deletion: nothing changed for it.
  EXPECT_THAT(Describe(s3.MessagesFrom(&s1)), IsEmpty());
  EXPECT_THAT(Describe(s3.MessagesFrom(&s2)), ElementsAre("add 10.0.0.1:8080"));
}

TEST(EndpointSnapshotTest, FromItselfIsNothing) {
  EndpointSnapshot s1;
  Fill(&s1, 1, nullptr, State(true, {{"10.0.0.1"}}));
  EXPECT_THAT(Describe(s1.MessagesFrom(&s1)), IsEmpty());
}

// ---------------------------------------------------------------------------------------------
// ComputeEndpoints against a real Store.

template <typename T>
ObjectEvent Added(T obj) {
  return ObjectEvent{EventType::kAdded, AnyObject(std::make_shared<const T>(std::move(obj)))};
}
template <typename T>
ObjectEvent Deleted(T obj) {
  return ObjectEvent{EventType::kDeleted, AnyObject(std::make_shared<const T>(std::move(obj)))};
}

ObjectMeta Meta(const std::string& name, const std::string& ns = kNs) {
  ObjectMeta m;
  m.name = name;
  m.ns = ns;
  m.creation_timestamp = "2024-01-01T00:00:00Z";
  return m;
}

// The objects are YAML, decoded by the real decoder (tests/support/yaml_fixtures.h); these
// helpers write the parts.
std::string IntPort(int32_t p) { return absl::StrCat(p); }
std::string NamedPort(const std::string& name) { return absl::StrCat("\"", name, "\""); }

std::string SvcPort(const std::string& name, int32_t port, const std::string& target) {
  return absl::Substitute("{name: $0, port: $1, targetPort: $2}", name, port, target);
}

// A Service in kNs with cluster IP 10.96.0.10 and these ports (SvcPort).
Service ServiceNamed(const std::string& name, const std::vector<std::string>& ports) {
  return *Object<Service>(absl::Substitute(R"(
apiVersion: v1
kind: Service
metadata: {name: $0, namespace: $1, creationTimestamp: "2024-01-01T00:00:00Z"}
spec:
  clusterIP: 10.96.0.10
  ports: [$2]
)",
                                           name, kNs, absl::StrJoin(ports, ", ")));
}

// One endpoint of a slice: an address, its Pod (none when empty), its ready condition (absent
// when nullopt) and hostname.
std::string Ep(const std::string& ip, const std::string& pod = "",
               std::optional<bool> ready = std::nullopt, const std::string& hostname = "") {
  std::string out = absl::StrCat("- addresses: [\"", ip, "\"]\n");
  if (ready) absl::StrAppend(&out, "  conditions: {ready: ", *ready ? "true" : "false", "}\n");
  if (!hostname.empty()) absl::StrAppend(&out, "  hostname: ", hostname, "\n");
  if (!pod.empty()) {
    absl::StrAppend(&out, "  targetRef: {kind: Pod, name: ", pod, ", namespace: ", kNs, "}\n");
  }
  return out;
}

std::string SlicePort(const std::string& name, int32_t port) {
  return absl::Substitute("{name: $0, port: $1}", name, port);
}

// An EndpointSlice of `service` in kNs with these ports (SlicePort) and endpoints (Ep).
EndpointSlice SliceNamed(const std::string& name, const std::string& service,
                         const std::vector<std::string>& ports,
                         const std::vector<std::string>& endpoints,
                         const std::string& address_type = "IPv4") {
  return *Object<EndpointSlice>(absl::StrCat(
      absl::Substitute(R"(
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: $0
  namespace: $1
  creationTimestamp: "2024-01-01T00:00:00Z"
  labels: {kubernetes.io/service-name: $2}
addressType: $3
ports: [$4]
endpoints:$5
)",
                       name, kNs, service, address_type, absl::StrJoin(ports, ", "),
                       endpoints.empty() ? " []" : ""),
      absl::StrJoin(endpoints, "")));
}

OwnerReference Owner(const std::string& kind, const std::string& name) {
  OwnerReference o;
  o.api_version =
      kind == "ReplicaSet" || kind == "Deployment" || kind == "StatefulSet" || kind == "DaemonSet"
          ? "apps/v1"
          : "batch/v1";
  o.kind = kind;
  o.name = name;
  o.controller = true;
  return o;
}

// A running pod in kNs on node-1 (192.168.0.1) at `ip`, container port 8080 named web-http.
Pod PodNamed(const std::string& name, const std::string& ip) {
  return *Object<Pod>(absl::Substitute(R"(
apiVersion: v1
kind: Pod
metadata: {name: $0, namespace: $1, creationTimestamp: "2024-01-01T00:00:00Z"}
spec:
  nodeName: node-1
  containers: [{name: app, ports: [{name: web-http, containerPort: 8080}]}]
status: {phase: Running, podIPs: [{ip: "$2"}], hostIP: 192.168.0.1}
)",
                                       name, kNs, ip));
}

Pod Meshed(Pod p, const std::string& controller_ns = "linkerd") {
  p.meta.labels["linkerd.io/control-plane-ns"] = controller_ns;
  return p;
}

class ComputeEndpointsTest : public testing::Test {
 protected:
  void Apply(std::vector<ObjectEvent> batch) { store_.Apply(batch); }

  // The first message a new Get stream would receive.
  std::vector<std::string> First(const EndpointKey& key) {
    EndpointState state = ComputeEndpoints(store_, key, options_);
    std::vector<std::string> messages = DiffUpdates(nullptr, state, key.service, key.ns);
    ExpectWellFormed(messages, key.service, key.ns);
    return Describe(messages);
  }

  // The addresses of the first message, which must be one add, by "ip:port".
  std::map<std::string, pb::WeightedAddr> FirstAdd(const EndpointKey& key) {
    EndpointState state = ComputeEndpoints(store_, key, options_);
    std::vector<std::string> messages = DiffUpdates(nullptr, state, key.service, key.ns);
    std::map<std::string, pb::WeightedAddr> out;
    EXPECT_EQ(messages.size(), 1u);
    if (messages.empty()) return out;
    pb::Update u = Parse(messages[0]);
    EXPECT_TRUE(u.has_add()) << Describe(u);
    for (const pb::WeightedAddr& wa : u.add().addrs()) out[AddrText(wa.addr())] = wa;
    return out;
  }

  // The one address of the first message.
  pb::WeightedAddr OnlyAddr(const EndpointKey& key) {
    std::map<std::string, pb::WeightedAddr> addrs = FirstAdd(key);
    EXPECT_EQ(addrs.size(), 1u);
    return addrs.empty() ? pb::WeightedAddr() : addrs.begin()->second;
  }

  // A Service web:80 -> 8080 with one pod endpoint.
  void OnePod(Pod pod) {
    std::string ip = pod.pod_ips[0];
    std::string name = pod.meta.name;
    Apply({Added(ServiceNamed("web", {SvcPort("http", 80, IntPort(8080))})),
           Added(SliceNamed("web-1", "web", {SlicePort("http", 8080)}, {Ep(ip, name)})),
           Added(std::move(pod))});
  }

  static EndpointKey Key(uint32_t port = 80, const std::string& instance = "") {
    return EndpointKey{kSvc, kNs, port, instance, ""};
  }

  Store store_;
  TranslatorOptions options_;
};

TEST_F(ComputeEndpointsTest, AbsentServiceIsNoEndpointsFalse) {
  EXPECT_THAT(First(Key()), ElementsAre("no_endpoints exists=false"));
}

TEST_F(ComputeEndpointsTest, ServiceWithoutSlicesIsNoEndpointsTrue) {
  Apply({Added(ServiceNamed("web", {SvcPort("http", 80, IntPort(8080))}))});
  EXPECT_THAT(First(Key()), ElementsAre("no_endpoints exists=true"));
}

TEST_F(ComputeEndpointsTest, OnlyReadyEndpoints) {
  Apply({Added(ServiceNamed("web", {SvcPort("http", 80, IntPort(8080))})),
         Added(SliceNamed("web-1", "web", {SlicePort("http", 8080)},
                         {Ep("10.0.0.1", "", std::nullopt), Ep("10.0.0.2", "", true),
                          Ep("10.0.0.3", "", false)}))});
  EXPECT_THAT(First(Key()), ElementsAre("add 10.0.0.1:8080,10.0.0.2:8080"));
}

TEST_F(ComputeEndpointsTest, NoReadyEndpointsIsNoEndpointsTrue) {
  Apply({Added(ServiceNamed("web", {SvcPort("http", 80, IntPort(8080))})),
         Added(SliceNamed("web-1", "web", {SlicePort("http", 8080)}, {Ep("10.0.0.3", "", false)}))});
  EXPECT_THAT(First(Key()), ElementsAre("no_endpoints exists=true"));
}

TEST_F(ComputeEndpointsTest, OtherServicesSlicesAreIgnored) {
  Apply({Added(ServiceNamed("web", {SvcPort("http", 80, IntPort(8080))})),
         Added(ServiceNamed("api", {SvcPort("http", 80, IntPort(8080))})),
         Added(SliceNamed("web-1", "web", {SlicePort("http", 8080)}, {Ep("10.0.0.1")})),
         Added(SliceNamed("api-1", "api", {SlicePort("http", 8080)}, {Ep("10.0.0.9")}))});
  EXPECT_THAT(First(Key()), ElementsAre("add 10.0.0.1:8080"));
}

TEST_F(ComputeEndpointsTest, NamedTargetPortResolvedThroughSlicePort) {
  Apply({Added(ServiceNamed("web", {SvcPort("http", 80, NamedPort("web-http")),
                                   SvcPort("admin", 9990, NamedPort("web-admin"))})),
         Added(SliceNamed("web-1", "web", {SlicePort("admin", 9991), SlicePort("http", 8080)},
                         {Ep("10.0.0.1"), Ep("10.0.0.2")}))});
  EXPECT_THAT(First(Key(80)), ElementsAre("add 10.0.0.1:8080,10.0.0.2:8080"));
  EXPECT_THAT(First(Key(9990)), ElementsAre("add 10.0.0.1:9991,10.0.0.2:9991"));
}

TEST_F(ComputeEndpointsTest, NamedTargetPortDiffersPerSlice) {
  // Two slices of one Service may carry different numbers for the same named port.
  Apply({Added(ServiceNamed("web", {SvcPort("http", 80, NamedPort("web-http"))})),
         Added(SliceNamed("web-1", "web", {SlicePort("http", 8080)}, {Ep("10.0.0.1")})),
         Added(SliceNamed("web-2", "web", {SlicePort("http", 8081)}, {Ep("10.0.0.2")}))});
  EXPECT_THAT(First(Key(80)), ElementsAre("add 10.0.0.1:8080,10.0.0.2:8081"));
}

TEST_F(ComputeEndpointsTest, NumericTargetPort) {
  Apply({Added(ServiceNamed("web", {SvcPort("http", 80, IntPort(8080))})),
         Added(SliceNamed("web-1", "web", {SlicePort("http", 8080)}, {Ep("10.0.0.1")}))});
  EXPECT_THAT(First(Key(80)), ElementsAre("add 10.0.0.1:8080"));
}

TEST_F(ComputeEndpointsTest, PortNotInServiceIsUsedUnchanged) {
  Apply({Added(ServiceNamed("web", {SvcPort("http", 80, IntPort(8080))})),
         Added(SliceNamed("web-1", "web", {SlicePort("http", 8080)}, {Ep("10.0.0.1")}))});
  EXPECT_THAT(First(Key(9999)), ElementsAre("add 10.0.0.1:9999"));
}

TEST_F(ComputeEndpointsTest, InstanceSelectsByHostname) {
  Apply({Added(ServiceNamed("web", {SvcPort("http", 80, IntPort(8080))})),
         Added(SliceNamed(
             "web-1", "web", {SlicePort("http", 8080)},
             {Ep("10.0.0.1", "", std::nullopt, "web-0"), Ep("10.0.0.2", "", std::nullopt, "web-1"),
              Ep("10.0.0.3", "", std::nullopt, "")}))});
  EXPECT_THAT(First(Key(80, "web-1")), ElementsAre("add 10.0.0.2:8080"));
  EXPECT_THAT(First(Key(80, "web-0")), ElementsAre("add 10.0.0.1:8080"));
  EXPECT_THAT(First(Key(80, "web-7")), ElementsAre("no_endpoints exists=true"));
  EXPECT_THAT(First(Key(80)), ElementsAre("add 10.0.0.1:8080,10.0.0.2:8080,10.0.0.3:8080"));
}

TEST_F(ComputeEndpointsTest, Ipv6EndpointsAreServed) {
  Apply({Added(ServiceNamed("web", {SvcPort("http", 80, IntPort(8080))})),
         Added(SliceNamed("web-v6", "web", {SlicePort("http", 8080)},
                         {Ep("fd00::1"), Ep("FD00:0:0::2")}, "IPv6"))});
  EXPECT_THAT(First(Key()), ElementsAre("add [fd00::1]:8080,[fd00::2]:8080"));
  std::map<std::string, pb::WeightedAddr> addrs = FirstAdd(Key());
  ASSERT_EQ(addrs.count("[fd00::1]:8080"), 1u);
  const net::IPAddress& ip = addrs["[fd00::1]:8080"].addr().ip();
  ASSERT_TRUE(ip.has_ipv6());
  EXPECT_EQ(ip.ipv6().first(), 0xfd00000000000000ULL);
  EXPECT_EQ(ip.ipv6().last(), 1ULL);
  EXPECT_EQ(addrs["[fd00::1]:8080"].addr().port(), 8080u);
}

TEST_F(ComputeEndpointsTest, DualStackSlicesMerge) {
  Apply({Added(ServiceNamed("web", {SvcPort("http", 80, IntPort(8080))})),
         Added(SliceNamed("web-v4", "web", {SlicePort("http", 8080)}, {Ep("10.0.0.1")})),
         Added(SliceNamed("web-v6", "web", {SlicePort("http", 8080)}, {Ep("fd00::1")}, "IPv6"))});
  EXPECT_THAT(First(Key()), ElementsAre("add 10.0.0.1:8080,[fd00::1]:8080"));
}

TEST_F(ComputeEndpointsTest, FqdnSlicesAreIgnored) {
  Apply({Added(ServiceNamed("web", {SvcPort("http", 80, IntPort(8080))})),
         Added(SliceNamed("web-1", "web", {SlicePort("http", 8080)}, {Ep("10.0.0.1")})),
         Added(SliceNamed("web-fqdn", "web", {SlicePort("http", 8080)}, {Ep("example.com")},
                         "FQDN"))});
  EXPECT_THAT(First(Key()), ElementsAre("add 10.0.0.1:8080"));
}

TEST_F(ComputeEndpointsTest, AddressInTwoSlicesIsSentOnce) {
  Apply({Added(ServiceNamed("web", {SvcPort("http", 80, IntPort(8080))})),
         Added(SliceNamed("web-1", "web", {SlicePort("http", 8080)}, {Ep("10.0.0.1")})),
         Added(SliceNamed("web-2", "web", {SlicePort("http", 8080)},
                         {Ep("10.0.0.1"), Ep("10.0.0.2")}))});
  EXPECT_THAT(First(Key()), ElementsAre("add 10.0.0.1:8080,10.0.0.2:8080"));
}

TEST_F(ComputeEndpointsTest, DeletingOneSliceRemovesOnlyItsAddresses) {
  EndpointSlice second = SliceNamed("web-2", "web", {SlicePort("http", 8080)}, {Ep("10.0.0.2")});
  Apply({Added(ServiceNamed("web", {SvcPort("http", 80, IntPort(8080))})),
         Added(SliceNamed("web-1", "web", {SlicePort("http", 8080)}, {Ep("10.0.0.1")})),
         Added(second)});
  EndpointState before = ComputeEndpoints(store_, Key(), options_);
  Apply({Deleted(second)});
  EndpointState after = ComputeEndpoints(store_, Key(), options_);
  EXPECT_THAT(Diff(&before, after), ElementsAre("remove 10.0.0.2:8080"));
}

TEST_F(ComputeEndpointsTest, ServiceDeletedAndBack) {
  Service svc = ServiceNamed("web", {SvcPort("http", 80, IntPort(8080))});
  Apply(
      {Added(svc), Added(SliceNamed("web-1", "web", {SlicePort("http", 8080)}, {Ep("10.0.0.1")}))});
  EndpointState s1 = ComputeEndpoints(store_, Key(), options_);
  Apply({Deleted(svc)});
  EndpointState s2 = ComputeEndpoints(store_, Key(), options_);
  EXPECT_THAT(Diff(&s1, s2), ElementsAre("no_endpoints exists=false"));
  Apply({Added(svc)});
  EndpointState s3 = ComputeEndpoints(store_, Key(), options_);
  EXPECT_THAT(Diff(&s2, s3), ElementsAre("add 10.0.0.1:8080"));
}

TEST_F(ComputeEndpointsTest, EndpointWithoutPodHasOnlyAddrAndWeight) {
  Apply({Added(ServiceNamed("web", {SvcPort("http", 80, IntPort(8080))})),
         Added(SliceNamed("web-1", "web", {SlicePort("http", 8080)}, {Ep("10.0.0.1")}))});
  pb::WeightedAddr wa = OnlyAddr(Key());
  EXPECT_EQ(wa.weight(), 10000u);
  EXPECT_FALSE(wa.has_tls_identity());
  EXPECT_FALSE(wa.has_protocol_hint());
}

TEST_F(ComputeEndpointsTest, OwnerChainsAndPodLabels) {
  Pod deploy_pod = PodNamed("web-5d9f-abcde", "10.0.0.1");
  deploy_pod.meta.owner_references = {Owner("ReplicaSet", "web-5d9f")};
  deploy_pod.meta.labels["pod-template-hash"] = "5d9f";
  deploy_pod.service_account_name = "web-sa";
  ReplicaSet rs;
  rs.meta = Meta("web-5d9f");
  rs.meta.owner_references = {Owner("Deployment", "web")};

  Pod cron_pod = PodNamed("nightly-123-xyz", "10.0.0.2");
  cron_pod.meta.owner_references = {Owner("Job", "nightly-123")};
  Job cron_job;
  cron_job.meta = Meta("nightly-123");
  cron_job.meta.owner_references = {Owner("CronJob", "nightly")};

  Pod job_pod = PodNamed("once-abc", "10.0.0.3");
  job_pod.meta.owner_references = {Owner("Job", "once")};
  Job job;
  job.meta = Meta("once");

  Pod sts_pod = PodNamed("db-0", "10.0.0.4");
  sts_pod.meta.owner_references = {Owner("StatefulSet", "db")};

  Pod ds_pod = PodNamed("agent-x", "10.0.0.5");
  ds_pod.meta.owner_references = {Owner("DaemonSet", "agent")};

  Pod bare_rs_pod = PodNamed("bare-abc", "10.0.0.6");
  bare_rs_pod.meta.owner_references = {Owner("ReplicaSet", "bare")};
  ReplicaSet bare_rs;
  bare_rs.meta = Meta("bare");

  Apply({Added(ServiceNamed("web", {SvcPort("http", 80, IntPort(8080))})),
         Added(SliceNamed("web-1", "web", {SlicePort("http", 8080)},
                         {Ep("10.0.0.1", "web-5d9f-abcde"), Ep("10.0.0.2", "nightly-123-xyz"),
                          Ep("10.0.0.3", "once-abc"), Ep("10.0.0.4", "db-0"),
                          Ep("10.0.0.5", "agent-x"), Ep("10.0.0.6", "bare-abc")})),
         Added(deploy_pod), Added(rs), Added(cron_pod), Added(cron_job), Added(job_pod), Added(job),
         Added(sts_pod), Added(ds_pod), Added(bare_rs_pod), Added(bare_rs)});

  std::map<std::string, pb::WeightedAddr> addrs = FirstAdd(Key());
  ASSERT_EQ(addrs.size(), 6u);
  EXPECT_THAT(
      addrs["10.0.0.1:8080"].metric_labels(),
      UnorderedElementsAre(Pair("pod", "web-5d9f-abcde"), Pair("deployment", "web"),
                           Pair("serviceaccount", "web-sa"), Pair("pod_template_hash", "5d9f")));
  EXPECT_THAT(addrs["10.0.0.2:8080"].metric_labels(),
              UnorderedElementsAre(Pair("pod", "nightly-123-xyz"), Pair("cronjob", "nightly"),
                                   Pair("serviceaccount", "default")));
  EXPECT_THAT(addrs["10.0.0.3:8080"].metric_labels(),
              UnorderedElementsAre(Pair("pod", "once-abc"), Pair("k8s_job", "once"),
                                   Pair("serviceaccount", "default")));
  EXPECT_THAT(addrs["10.0.0.4:8080"].metric_labels(),
              UnorderedElementsAre(Pair("pod", "db-0"), Pair("statefulset", "db"),
                                   Pair("serviceaccount", "default")));
  EXPECT_THAT(addrs["10.0.0.5:8080"].metric_labels(),
              UnorderedElementsAre(Pair("pod", "agent-x"), Pair("daemonset", "agent"),
                                   Pair("serviceaccount", "default")));
  EXPECT_THAT(addrs["10.0.0.6:8080"].metric_labels(),
              UnorderedElementsAre(Pair("pod", "bare-abc"), Pair("replicaset", "bare"),
                                   Pair("serviceaccount", "default")));
  for (auto& [id, wa] : addrs) {
    EXPECT_EQ(wa.weight(), 10000u) << id;
    ASSERT_TRUE(wa.resource_ref().has_resource()) << id;
    EXPECT_EQ(wa.resource_ref().resource().kind(), "Pod") << id;
    EXPECT_EQ(wa.resource_ref().resource().namespace_(), kNs) << id;
    EXPECT_EQ(wa.resource_ref().resource().name(), wa.metric_labels().at("pod")) << id;
    // None of these pods is meshed.
    EXPECT_FALSE(wa.has_tls_identity()) << id;
    EXPECT_FALSE(wa.has_protocol_hint()) << id;
  }
}

constexpr char kWebSaIdentity[] = "web-sa.emojivoto.serviceaccount.identity.linkerd.cluster.local";

TEST_F(ComputeEndpointsTest, MeshedPodGetsIdentityAndH2) {
  Pod pod = Meshed(PodNamed("web-0", "10.0.0.1"));
  pod.service_account_name = "web-sa";
  OnePod(pod);
  pb::WeightedAddr wa = OnlyAddr(Key());
  ASSERT_TRUE(wa.has_tls_identity());
  EXPECT_EQ(wa.tls_identity().dns_like_identity().name(), kWebSaIdentity);
  EXPECT_EQ(wa.tls_identity().server_name().name(), kWebSaIdentity);
  ASSERT_TRUE(wa.has_protocol_hint());
  EXPECT_TRUE(wa.protocol_hint().has_h2());
  EXPECT_FALSE(wa.protocol_hint().has_opaque_transport());
  EXPECT_EQ(wa.metric_labels().at("control_plane_ns"), "linkerd");
  EXPECT_EQ(wa.metric_labels().at("serviceaccount"), "web-sa");
}

TEST_F(ComputeEndpointsTest, IdentityUsesTrustDomainAndControllerNamespace) {
  options_.controller_namespace = "mesh";
  options_.identity_trust_domain = "example.org";
  OnePod(Meshed(PodNamed("web-0", "10.0.0.1"), "mesh"));
  pb::WeightedAddr wa = OnlyAddr(Key());
  EXPECT_EQ(wa.tls_identity().dns_like_identity().name(),
            "default.emojivoto.serviceaccount.identity.mesh.example.org");
  EXPECT_EQ(wa.tls_identity().server_name().name(),
            "default.emojivoto.serviceaccount.identity.mesh.example.org");
}

TEST_F(ComputeEndpointsTest, PodOfAnotherControlPlaneHasNoIdentity) {
  OnePod(Meshed(PodNamed("web-0", "10.0.0.1"), "other-linkerd"));
  pb::WeightedAddr wa = OnlyAddr(Key());
  EXPECT_FALSE(wa.has_tls_identity());
  EXPECT_FALSE(wa.has_protocol_hint());
  EXPECT_EQ(wa.metric_labels().at("control_plane_ns"), "other-linkerd");
}

TEST_F(ComputeEndpointsTest, UnmeshedPodHasNoIdentityNorHint) {
  OnePod(PodNamed("web-0", "10.0.0.1"));
  pb::WeightedAddr wa = OnlyAddr(Key());
  EXPECT_FALSE(wa.has_tls_identity());
  EXPECT_FALSE(wa.has_protocol_hint());
  EXPECT_EQ(wa.metric_labels().count("control_plane_ns"), 0u);
}

TEST_F(ComputeEndpointsTest, IdentityModeOtherThanDefaultHasNoIdentity) {
  Pod pod = Meshed(PodNamed("web-0", "10.0.0.1"));
  pod.meta.annotations["linkerd.io/identity-mode"] = "disabled";
  OnePod(pod);
  pb::WeightedAddr wa = OnlyAddr(Key());
  EXPECT_FALSE(wa.has_tls_identity());
}

TEST_F(ComputeEndpointsTest, IdentityModeDefaultHasIdentity) {
  Pod pod = Meshed(PodNamed("web-0", "10.0.0.1"));
  pod.meta.annotations["linkerd.io/identity-mode"] = "default";
  OnePod(pod);
  EXPECT_TRUE(OnlyAddr(Key()).has_tls_identity());
}

TEST_F(ComputeEndpointsTest, IdentityDisabledByOption) {
  options_.enable_identity = false;
  OnePod(Meshed(PodNamed("web-0", "10.0.0.1")));
  EXPECT_FALSE(OnlyAddr(Key()).has_tls_identity());
}

TEST_F(ComputeEndpointsTest, NoH2WhenUpgradeDisabled) {
  options_.enable_h2_upgrade = false;
  OnePod(Meshed(PodNamed("web-0", "10.0.0.1")));
  pb::WeightedAddr wa = OnlyAddr(Key());
  EXPECT_TRUE(wa.has_tls_identity());
  EXPECT_FALSE(wa.protocol_hint().has_h2());
}

struct SkipCase {
  std::string name;
  std::string skip;
  bool skipped;
};
void PrintTo(const SkipCase& c, std::ostream* os) { *os << c.name; }

class SkipInboundPortsTest : public ComputeEndpointsTest,
                             public testing::WithParamInterface<SkipCase> {};

TEST_P(SkipInboundPortsTest, SuppressesIdentityAndHints) {
  Pod pod = Meshed(PodNamed("web-0", "10.0.0.1"));
  pod.meta.annotations["config.linkerd.io/skip-inbound-ports"] = GetParam().skip;
  OnePod(pod);
  pb::WeightedAddr wa = OnlyAddr(Key());
  EXPECT_EQ(wa.has_tls_identity(), !GetParam().skipped);
  EXPECT_EQ(wa.has_protocol_hint(), !GetParam().skipped);
  // The labels are there either way.
  EXPECT_EQ(wa.metric_labels().at("pod"), "web-0");
}

INSTANTIATE_TEST_SUITE_P(Table, SkipInboundPortsTest,
                         testing::Values(SkipCase{"Number", "8080", true},
                                         SkipCase{"InList", "25,8080,3306", true},
                                         SkipCase{"Range", "8000-8100", true},
                                         SkipCase{"ContainerPortName", "web-http", true},
                                         SkipCase{"OtherPort", "9999", false},
                                         SkipCase{"Empty", "", false}));

struct OpaqueCase {
  std::string name;
  std::optional<std::string> annotation;
  std::string default_ports;
  std::optional<std::string> inbound_listen_addr;  // linkerd-proxy env
  std::optional<uint32_t> want_inbound_port;       // nullopt: not opaque
};
void PrintTo(const OpaqueCase& c, std::ostream* os) { *os << c.name; }

class OpaquePortsTest : public ComputeEndpointsTest,
                        public testing::WithParamInterface<OpaqueCase> {};

TEST_P(OpaquePortsTest, OpaqueTransportWithInboundPort) {
  const OpaqueCase& c = GetParam();
  options_.default_opaque_ports = PortSet::Parse(c.default_ports);
  Pod pod = Meshed(PodNamed("web-0", "10.0.0.1"));
  if (c.annotation) pod.meta.annotations["config.linkerd.io/opaque-ports"] = *c.annotation;
  if (c.inbound_listen_addr) {
    Container proxy;
    proxy.name = "linkerd-proxy";
    proxy.env = {{"LINKERD2_PROXY_LOG", "warn"},
                 {"LINKERD2_PROXY_INBOUND_LISTEN_ADDR", *c.inbound_listen_addr}};
    pod.containers.push_back(proxy);
  }
  OnePod(pod);
  pb::WeightedAddr wa = OnlyAddr(Key());
  EXPECT_TRUE(wa.has_tls_identity());
  if (c.want_inbound_port) {
    ASSERT_TRUE(wa.protocol_hint().has_opaque_transport()) << wa.DebugString();
    EXPECT_EQ(wa.protocol_hint().opaque_transport().inbound_port(), *c.want_inbound_port);
  } else {
    EXPECT_FALSE(wa.protocol_hint().has_opaque_transport()) << wa.DebugString();
    EXPECT_TRUE(wa.protocol_hint().has_h2());
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, OpaquePortsTest,
    testing::Values(OpaqueCase{"AnnotationDefaultInbound", "8080", "", std::nullopt, 4143},
                    OpaqueCase{"AnnotationRange", "8000-8100", "", std::nullopt, 4143},
                    OpaqueCase{"AnnotationContainerPortName", "web-http", "", std::nullopt, 4143},
                    OpaqueCase{"InboundFromProxyEnv", "8080", "", "0.0.0.0:4243", 4243},
                    OpaqueCase{"InboundFromProxyEnvV6", "8080", "", "[::]:4244", 4244},
                    OpaqueCase{"AnnotationOtherPort", "3306", "8080", std::nullopt, std::nullopt},
                    OpaqueCase{"EmptyAnnotationMeansNone", "", "8080", std::nullopt, std::nullopt},
                    OpaqueCase{"AbsentUsesDefault", std::nullopt, "25,8080", std::nullopt, 4143},
                    OpaqueCase{"AbsentNotInDefault", std::nullopt, "25,3306", std::nullopt,
                               std::nullopt}));

TEST_F(ComputeEndpointsTest, OpaqueIsJudgedOnTheTargetPort) {
  // The request is for Service port 80; the pod listens on 8080, which is opaque.
  Pod pod = Meshed(PodNamed("web-0", "10.0.0.1"));
  pod.meta.annotations["config.linkerd.io/opaque-ports"] = "8080";
  OnePod(pod);
  pb::WeightedAddr wa = OnlyAddr(Key(80));
  EXPECT_EQ(wa.addr().port(), 8080u);
  EXPECT_TRUE(wa.protocol_hint().has_opaque_transport());
}

}  // namespace
}  // namespace dest

namespace dest {
namespace {

// --- Multicluster mirrors (behaviour.md section 2): a mirror Service's slice or Endpoints lists
// the remote gateway's addresses, with no Pod.

struct MirrorCase {
  std::string name;
  bool slices;                  // EndpointSlice, else Endpoints
  std::string identity;         // the gateway identity annotation ("" for none)
  std::string want_identity;    // tls_identity and server_name ("" for none)
  bool want_h2;
};
void PrintTo(const MirrorCase& c, std::ostream* os) { *os << c.name; }

class MirrorTest : public testing::TestWithParam<MirrorCase> {};

TEST_P(MirrorTest, ServesTheGatewayWithTheRemoteAuthority) {
  const MirrorCase& c = GetParam();
  Store store;
  TranslatorOptions options;
  options.endpoint_slices = c.slices;
  // The mirror Service's own port is 8080 (targetPort 8080); the gateway listens on 4143.
  Apply(store, R"(
apiVersion: v1
kind: Service
metadata: {name: backend-west, namespace: shop, labels: {mirror.linkerd.io/mirrored-service: "true"}}
spec:
  clusterIP: 10.96.0.50
  ports: [{name: http, port: 8080, targetPort: 8080}]
)");
  const std::string annotations = absl::Substitute(
      R"({mirror.linkerd.io/remote-svc-fq-name: backend.shop.svc.cluster.local$0})",
      c.identity.empty() ? ""
                         : absl::StrCat(", mirror.linkerd.io/remote-gateway-identity: ", c.identity));
  if (c.slices) {
    Apply(store, absl::Substitute(R"(
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: backend-west-1
  namespace: shop
  labels: {kubernetes.io/service-name: backend-west, mirror.linkerd.io/mirrored-service: "true"}
  annotations: $0
addressType: IPv4
ports: [{name: http, port: 4143}]
endpoints: [{addresses: [203.0.113.7]}]
)",
                                  annotations));
  } else {
    Apply(store, absl::Substitute(R"(
apiVersion: v1
kind: Endpoints
metadata:
  name: backend-west
  namespace: shop
  labels: {mirror.linkerd.io/mirrored-service: "true"}
  annotations: $0
subsets:
- addresses: [{ip: 203.0.113.7}]
  ports: [{name: http, port: 4143}]
)",
                                  annotations));
  }
  EndpointState state =
      ComputeEndpoints(store, EndpointKey{"backend-west", "shop", 8080, "", ""}, options);
  ASSERT_EQ(state.addrs.size(), 1u);
  EXPECT_EQ(state.addrs.begin()->first, "203.0.113.7:4143");  // the gateway's port
  const pb::WeightedAddr& wa = *state.addrs.begin()->second;
  EXPECT_EQ(wa.addr().port(), 4143u);
  EXPECT_EQ(wa.authority_override().authority_override(), "backend.shop.svc.cluster.local:8080");
  EXPECT_EQ(wa.tls_identity().dns_like_identity().name(), c.want_identity);
  EXPECT_EQ(wa.tls_identity().server_name().name(), c.want_identity);
  EXPECT_EQ(wa.protocol_hint().has_h2(), c.want_h2);
  EXPECT_FALSE(wa.has_resource_ref());
}

INSTANTIATE_TEST_SUITE_P(
    Table, MirrorTest,
    testing::Values(
        MirrorCase{"SliceWithGatewayIdentity", true,
                   "linkerd-gateway.linkerd-multicluster.serviceaccount.identity.linkerd.west",
                   "linkerd-gateway.linkerd-multicluster.serviceaccount.identity.linkerd.west",
                   true},
        MirrorCase{"SliceWithoutIdentity", true, "", "", false},
        MirrorCase{"EndpointsWithGatewayIdentity", false, "gw.west.identity", "gw.west.identity",
                   true},
        MirrorCase{"EndpointsWithoutIdentity", false, "", "", false}),
    [](const testing::TestParamInfo<MirrorCase>& info) { return info.param.name; });

}  // namespace
}  // namespace dest
