// The real `destination` binary on the Kubernetes source, against the fake API server loaded with
// the example objects: it serves the same answers as on the manifests source, and follows changes
// made through the API (including across a 410 Gone relist).
#include <grpcpp/grpcpp.h>

#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "destination.grpc.pb.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/support/fake_api_server.h"
#include "tests/support/kube_fixtures.h"
#include "tests/support/test_process.h"

namespace dest::testing {
namespace {

namespace pb = io::linkerd::proxy::destination;
constexpr absl::Duration kWait = absl::Seconds(15);
const char kBackend[] = "backend-svc.trafficsplit-sample.svc.cluster.local:8080";

struct Server {
  DestinationProcess dest;
  std::unique_ptr<pb::Destination::Stub> stub;

  // Starts the server and, unless told otherwise, waits until it is ready (every kind listed):
  // proxies reach a replica only then (the chart's readiness probe), and a stream opened earlier
  // would see the objects listed so far.
  bool Start(const std::vector<std::string>& extra, bool wait_ready = true) {
    if (!dest.Start(extra, -1, kWait)) return false;
    stub = pb::Destination::NewStub(grpc::CreateChannel(absl::StrCat("127.0.0.1:", dest.grpc_port),
                                                        grpc::InsecureChannelCredentials()));
    return !wait_ready ||
           WaitUntil([this] { return HttpGet(dest.admin_port, "/ready").first == 200; }, kWait);
  }
  // Opens a stream on `ctx` ending at `deadline`: GetProfile when Msg is a DestinationProfile,
  // else Get.
  template <typename Msg>
  std::unique_ptr<grpc::ClientReader<Msg>> Open(const std::string& authority,
                                                grpc::ClientContext* ctx,
                                                absl::Duration deadline = absl::Seconds(30)) {
    pb::GetDestination req;
    req.set_path(authority);
    ctx->set_deadline(absl::ToChronoTime(absl::Now() + deadline));
    if constexpr (std::is_same_v<Msg, pb::DestinationProfile>) {
      return stub->GetProfile(ctx, req);
    } else {
      return stub->Get(ctx, req);
    }
  }
  // Reads `n` messages of a stream (each within the deadline).
  template <typename Msg>
  std::vector<Msg> Read(bool profile, const std::string& authority, size_t n,
                        grpc::ClientContext* ctx) {
    std::vector<Msg> out;
    std::unique_ptr<grpc::ClientReader<Msg>> reader = Open<Msg>(authority, ctx, absl::Seconds(15));
    (void)profile;
    Msg m;
    while (out.size() < n && reader->Read(&m)) out.push_back(m);
    ctx->TryCancel();
    return out;
  }
};

bool Same(const google::protobuf::Message& a, const google::protobuf::Message& b) {
  google::protobuf::util::MessageDifferencer d;
  d.TreatAsSet(pb::WeightedAddrSet::descriptor()->FindFieldByName("addrs"));
  return d.Compare(a, b);
}

class KubeEndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override { Load("trafficsplit-sample"); }
  // Serves the objects of examples/NAME through the fake API server.
  void Load(const std::string& example) {
    const char* src = std::getenv("DEST_SOURCE_DIR");
    examples_ = std::string(src ? src : DEST_SOURCE_DIR_DEFAULT) + "/examples/" + example;
    ServeAll(fake_);
    ASSERT_GT(LoadManifests(fake_, examples_), 5);
    dir_ = MakeTempDir();
    WriteFile(
        dir_ + "/kubeconfig",
        absl::StrCat("apiVersion: v1\nkind: Config\ncurrent-context: fake\n"
                     "clusters:\n- name: fake\n  cluster:\n    server: ",
                     fake_.url(),
                     "\n"
                     "users:\n- name: u\n  user:\n    token: secret\n"
                     "contexts:\n- name: fake\n  context:\n    cluster: fake\n    user: u\n"));
    fake_.SetRequiredToken("secret");
  }
  void TearDown() override { RemoveTree(dir_); }
  FakeApiServer fake_;
  std::string examples_, dir_;
};

TEST_F(KubeEndToEndTest, SameAnswersAsTheManifestsSourceAndFollowsApiChanges) {
  Server kube, manifests;
  ASSERT_TRUE(kube.Start({"-source=kubernetes", "-kubeconfig=" + dir_ + "/kubeconfig"}));
  ASSERT_TRUE(manifests.Start({"-manifests=" + examples_}));
  EXPECT_EQ(HttpGet(kube.dest.admin_port, "/ready").first, 200);

  for (const char* authority : {kBackend, "failing-svc.trafficsplit-sample.svc.cluster.local:8080",
                                "10.244.1.10:8080", "10.96.10.1:8080"}) {
    SCOPED_TRACE(authority);
    grpc::ClientContext c1, c2;
    auto a = kube.Read<pb::DestinationProfile>(true, authority, 1, &c1);
    auto b = manifests.Read<pb::DestinationProfile>(true, authority, 1, &c2);
    ASSERT_EQ(a.size(), 1u);
    ASSERT_EQ(b.size(), 1u);
    EXPECT_TRUE(Same(a[0], b[0])) << a[0].DebugString() << "\nvs\n" << b[0].DebugString();
  }
  {
    grpc::ClientContext c1, c2;
    auto a = kube.Read<pb::Update>(false, kBackend, 1, &c1);
    auto b = manifests.Read<pb::Update>(false, kBackend, 1, &c2);
    ASSERT_EQ(a.size(), 1u);
    ASSERT_EQ(b.size(), 1u);
    EXPECT_TRUE(Same(a[0], b[0])) << a[0].DebugString() << "\nvs\n" << b[0].DebugString();
  }

  // A change through the API reaches an open stream; so does a deletion missed during an outage
  // and recovered by a relist after 410 Gone.
  grpc::ClientContext ctx;
  auto reader = kube.Open<pb::DestinationProfile>(kBackend, &ctx);
  pb::DestinationProfile p;
  ASSERT_TRUE(reader->Read(&p));
  EXPECT_EQ(p.dst_overrides_size(), 2);
  std::string split = CollectionFor("TrafficSplit");
  fake_.Upsert(
      split,
      R"({"apiVersion":"split.smi-spec.io/v1alpha2","kind":"TrafficSplit","metadata":{"name":"backend-split","namespace":"trafficsplit-sample"},"spec":{"service":"backend-svc","backends":[{"service":"backend-svc","weight":900},{"service":"failing-svc","weight":100}]}})");
  ASSERT_TRUE(reader->Read(&p));
  ASSERT_EQ(p.dst_overrides_size(), 2);
  EXPECT_EQ(p.dst_overrides(0).weight(), 9000000u);
  EXPECT_EQ(p.dst_overrides(1).weight(), 1000000u);

  fake_.FailNext(split, 503, 3);
  fake_.CutWatches(split, false);
  fake_.Delete(split, "trafficsplit-sample", "backend-split");
  fake_.Compact(FakeApiServer::GoneMode::kInStreamError);
  ASSERT_TRUE(reader->Read(&p));
  ASSERT_EQ(p.dst_overrides_size(), 1);
  EXPECT_EQ(p.dst_overrides(0).authority(),
            "backend-svc.trafficsplit-sample.svc.cluster.local.:8080");
  ctx.TryCancel();
  reader->Finish();
}

TEST_F(KubeEndToEndTest, NotReadyUntilEveryKindIsListed) {
  // Services cannot be listed at first (three 503s, retried with backoff from 0.5 s): the
  // service is live but not ready, then ready once the list succeeds.
  fake_.FailNext("/api/v1/services", 503, 3);
  Server kube;
  ASSERT_TRUE(kube.Start({"-source=kubernetes", "-kubeconfig=" + dir_ + "/kubeconfig"},
                         /*wait_ready=*/false));
  // The gRPC health status says the same as /ready (destctl health, gRPC probes).
  auto health = [&] {
    auto stub = grpc::health::v1::Health::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", kube.dest.grpc_port), grpc::InsecureChannelCredentials()));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    grpc::health::v1::HealthCheckRequest req;
    grpc::health::v1::HealthCheckResponse resp;
    return stub->Check(&ctx, req, &resp).ok() ? resp.status()
                                              : grpc::health::v1::HealthCheckResponse::UNKNOWN;
  };
  EXPECT_EQ(HttpGet(kube.dest.admin_port, "/live").first, 200);
  EXPECT_EQ(HttpGet(kube.dest.admin_port, "/ready").first, 503);
  EXPECT_EQ(health(), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  ASSERT_TRUE(kube.dest.process.WaitForLine({"\"msg\":\"listed\"", "\"kind\":\"Service\""}, kWait));
  EXPECT_EQ(HttpGet(kube.dest.admin_port, "/ready").first, 200);
  EXPECT_TRUE(
      WaitUntil([&] { return health() == grpc::health::v1::HealthCheckResponse::SERVING; }, kWait));
}

// A Service migrated from its TrafficSplit to an equivalent HTTPRoute through the API, the way a
// rollout tool does it: the route is created (it takes precedence), the split deleted, then the
// route's weights move. The open stream's next message is the moved weights: nothing was sent in
// between, in particular never the Service's self override.
TEST_F(KubeEndToEndTest, MigrationFromTrafficSplitToHTTPRouteThroughTheApi) {
  Server kube;
  ASSERT_TRUE(kube.Start({"-source=kubernetes", "-kubeconfig=" + dir_ + "/kubeconfig"}));
  grpc::ClientContext ctx;
  auto reader = kube.Open<pb::DestinationProfile>(kBackend, &ctx);
  pb::DestinationProfile p;
  ASSERT_TRUE(reader->Read(&p));
  ASSERT_EQ(p.dst_overrides_size(), 2);
  EXPECT_EQ(p.dst_overrides(0).weight(), 5000000u);

  const std::string routes = CollectionFor("HTTPRoute");
  auto route = [](int backend, int failing) {
    return absl::StrCat(
        R"({"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","metadata":{"name":"backend-route","namespace":"trafficsplit-sample"},"spec":{"parentRefs":[{"group":"core","kind":"Service","name":"backend-svc","port":8080}],"rules":[{"backendRefs":[{"name":"backend-svc","port":8080,"weight":)",
        backend, R"(},{"name":"failing-svc","port":8080,"weight":)", failing, "}]}]}}");
  };
  fake_.Upsert(routes, route(500, 500));
  // A tool deletes the split once the route is in place; each kind has its own watch, so wait for
  // the service to hold the route (its cache gauge) as the tool waits for the route's status.
  ASSERT_TRUE(WaitUntil(
      [&] {
        return ScrapeMetrics(
                   kube.dest.admin_port)["httproutes_gateway_networking_k8s_io_cache_size"] == 1;
      },
      kWait));
  fake_.Delete(CollectionFor("TrafficSplit"), "trafficsplit-sample", "backend-split");
  fake_.Upsert(routes, route(900, 100));
  ASSERT_TRUE(reader->Read(&p));
  ASSERT_EQ(p.dst_overrides_size(), 2) << p.DebugString();
  EXPECT_EQ(p.dst_overrides(0).authority(),
            "backend-svc.trafficsplit-sample.svc.cluster.local.:8080");
  EXPECT_EQ(p.dst_overrides(0).weight(), 9000000u);
  EXPECT_EQ(p.dst_overrides(1).weight(), 1000000u);
  ctx.TryCancel();
  reader->Finish();
}

// examples/httproute-sample through the API serves what it serves from the manifests.
class HTTPRouteExampleEndToEndTest : public KubeEndToEndTest {
 protected:
  void SetUp() override { Load("httproute-sample"); }
};

TEST_F(HTTPRouteExampleEndToEndTest, SameAnswersOnBothSources) {
  Server kube, manifests;
  ASSERT_TRUE(kube.Start({"-source=kubernetes", "-kubeconfig=" + dir_ + "/kubeconfig"}));
  ASSERT_TRUE(manifests.Start({"-manifests=" + examples_}));
  grpc::ClientContext c1, c2;
  const std::string authority = "backend-svc.httproute-sample.svc.cluster.local:8080";
  auto a = kube.Read<pb::DestinationProfile>(true, authority, 1, &c1);
  auto b = manifests.Read<pb::DestinationProfile>(true, authority, 1, &c2);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_TRUE(Same(a[0], b[0])) << a[0].DebugString() << "\nvs\n" << b[0].DebugString();
  ASSERT_EQ(a[0].dst_overrides_size(), 2);
  EXPECT_EQ(a[0].dst_overrides(1).authority(),
            "failing-svc.httproute-sample.svc.cluster.local.:8080");
  EXPECT_EQ(a[0].dst_overrides(1).weight(), 5000000u);
}

// examples/multicluster-sample: a TrafficSplit shifts part of backend-svc's traffic to the mirror
// of the west cluster's backend-svc. Both sources serve the gateway with its identity, the h2
// hint and the remote authority, at the gateway's port; API changes to the mirror's annotations
// and to the split's weights reach open streams.
class MulticlusterEndToEndTest : public KubeEndToEndTest {
 protected:
  void SetUp() override { Load("multicluster-sample"); }
};

constexpr char kMcBackend[] = "backend-svc.multicluster-sample.svc.cluster.local:8080";
constexpr char kMcMirror[] = "backend-svc-west.multicluster-sample.svc.cluster.local:8080";
constexpr char kGateway[] =
    "linkerd-gateway.linkerd-multicluster.serviceaccount.identity.linkerd.cluster.local";

void ExpectGateway(const pb::Update& u, const std::string& identity) {
  ASSERT_TRUE(u.has_add()) << u.DebugString();
  ASSERT_EQ(u.add().addrs_size(), 1);
  const pb::WeightedAddr& wa = u.add().addrs(0);
  EXPECT_EQ(wa.addr().ip().ipv4(), (203u << 24) | (113u << 8) | 10u);  // 203.0.113.10
  EXPECT_EQ(wa.addr().port(), 4143u);
  EXPECT_EQ(wa.tls_identity().dns_like_identity().name(), identity);
  EXPECT_EQ(wa.tls_identity().server_name().name(), identity);
  EXPECT_TRUE(wa.protocol_hint().has_h2());
  EXPECT_EQ(wa.authority_override().authority_override(),
            "backend-svc.multicluster-sample.svc.cluster.local:8080");
}

TEST_F(MulticlusterEndToEndTest, SplitShiftsToAMirrorOnBothSources) {
  Server kube, manifests;
  ASSERT_TRUE(kube.Start({"-source=kubernetes", "-kubeconfig=" + dir_ + "/kubeconfig"}));
  ASSERT_TRUE(manifests.Start({"-manifests=" + examples_}));
  for (Server* server : {&kube, &manifests}) {
    grpc::ClientContext c1, c2;
    auto profile = server->Read<pb::DestinationProfile>(true, kMcBackend, 1, &c1);
    ASSERT_EQ(profile.size(), 1u);
    ASSERT_EQ(profile[0].dst_overrides_size(), 2);
    EXPECT_EQ(profile[0].dst_overrides(1).authority(),
              "backend-svc-west.multicluster-sample.svc.cluster.local.:8080");
    EXPECT_EQ(profile[0].dst_overrides(1).weight(), 1000000u);
    auto mirror = server->Read<pb::Update>(false, kMcMirror, 1, &c2);
    ASSERT_EQ(mirror.size(), 1u);
    ExpectGateway(mirror[0], kGateway);
  }

  // The link's gateway identity changes through the API: the open stream gets the gateway again.
  grpc::ClientContext ctx;
  auto reader = kube.Open<pb::Update>(kMcMirror, &ctx);
  pb::Update u;
  ASSERT_TRUE(reader->Read(&u));
  ExpectGateway(u, kGateway);
  fake_.Upsert(CollectionFor("EndpointSlice"), R"({"apiVersion":"discovery.k8s.io/v1",
"kind":"EndpointSlice","metadata":{"name":"backend-svc-west-m2n8p","namespace":"multicluster-sample",
"labels":{"kubernetes.io/service-name":"backend-svc-west","mirror.linkerd.io/mirrored-service":"true"},
"annotations":{"mirror.linkerd.io/remote-svc-fq-name":"backend-svc.multicluster-sample.svc.cluster.local",
"mirror.linkerd.io/remote-gateway-identity":"gw-2.west.identity"}},
"addressType":"IPv4","ports":[{"name":"http","port":4143,"protocol":"TCP"}],
"endpoints":[{"addresses":["203.0.113.10"],"conditions":{"ready":true}}]})");
  ASSERT_TRUE(reader->Read(&u));
  ExpectGateway(u, "gw-2.west.identity");
  ctx.TryCancel();
  reader->Finish();

  // Failover: all the weight to the mirror.
  grpc::ClientContext pctx;
  auto profiles = kube.Open<pb::DestinationProfile>(kMcBackend, &pctx);
  pb::DestinationProfile p;
  ASSERT_TRUE(profiles->Read(&p));
  fake_.Upsert(CollectionFor("TrafficSplit"), R"({"apiVersion":"split.smi-spec.io/v1alpha2",
"kind":"TrafficSplit","metadata":{"name":"backend-failover","namespace":"multicluster-sample"},
"spec":{"service":"backend-svc","backends":[{"service":"backend-svc","weight":0},
{"service":"backend-svc-west","weight":100}]}})");
  ASSERT_TRUE(profiles->Read(&p));
  ASSERT_EQ(p.dst_overrides_size(), 2);
  EXPECT_EQ(p.dst_overrides(0).weight(), 0u);
  EXPECT_EQ(p.dst_overrides(1).weight(), 1000000u);
  pctx.TryCancel();
  profiles->Finish();
}

// A Server (policy.linkerd.io) with proxyProtocol opaque selecting backend-svc's pod and port:
// created through the API it reaches an open Get stream; from a manifest it is in the first one.
TEST_F(MulticlusterEndToEndTest, ServerMarksThePortOpaqueOnBothSources) {
  constexpr char kServerJson[] = R"({"apiVersion":"policy.linkerd.io/v1beta1","kind":"Server",
"metadata":{"name":"backend-http","namespace":"multicluster-sample"},
"spec":{"podSelector":{"matchLabels":{"app":"backend"}},"port":"http","proxyProtocol":"opaque"}})";
  auto opaque_port = [](const pb::Update& u) -> int64_t {
    if (!u.has_add() || u.add().addrs_size() != 1) return -1;
    const auto& hint = u.add().addrs(0).protocol_hint();
    return hint.has_opaque_transport() ? hint.opaque_transport().inbound_port() : 0;
  };
  Server kube;
  ASSERT_TRUE(kube.Start({"-source=kubernetes", "-kubeconfig=" + dir_ + "/kubeconfig"}));
  grpc::ClientContext ctx;
  auto reader = kube.Open<pb::Update>(kMcBackend, &ctx);
  pb::Update u;
  ASSERT_TRUE(reader->Read(&u));
  EXPECT_EQ(opaque_port(u), 0) << u.DebugString();
  fake_.Upsert(CollectionFor("Server"), kServerJson);
  ASSERT_TRUE(reader->Read(&u));
  EXPECT_EQ(opaque_port(u), 4143) << u.DebugString();
  ctx.TryCancel();
  reader->Finish();

  const std::string copy = dir_ + "/manifests";
  std::filesystem::copy(examples_, copy, std::filesystem::copy_options::recursive);
  WriteFile(copy + "/server.json", kServerJson);
  Server manifests;
  ASSERT_TRUE(manifests.Start({"-manifests=" + copy}));
  grpc::ClientContext c1;
  auto first = manifests.Read<pb::Update>(false, kMcBackend, 1, &c1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(opaque_port(first[0]), 4143) << first[0].DebugString();
}

// A slice names a Pod before the Pod exists (the EndpointSlice controller raced the watch): the
// address is left out and counted, then served with its identity once the Pod arrives. On both
// sources: through the API, and as manifest files written one after the other.
TEST_F(MulticlusterEndToEndTest, AddressWaitsForItsPodOnBothSources) {
  const std::string slice = R"({"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice",
"metadata":{"name":"backend-svc-new","namespace":"multicluster-sample",
"labels":{"kubernetes.io/service-name":"backend-svc"}},"addressType":"IPv4",
"ports":[{"name":"http","port":8080,"protocol":"TCP"}],
"endpoints":[{"addresses":["10.244.1.21"],"conditions":{"ready":true},
"targetRef":{"kind":"Pod","name":"backend-new","namespace":"multicluster-sample"}}]})";
  const std::string pod = R"({"apiVersion":"v1","kind":"Pod",
"metadata":{"name":"backend-new","namespace":"multicluster-sample",
"labels":{"app":"backend","linkerd.io/control-plane-ns":"linkerd"}},
"spec":{"serviceAccountName":"backend","containers":[{"name":"backend","ports":[{"name":"http","containerPort":8080}]}]},
"status":{"phase":"Running","podIPs":[{"ip":"10.244.1.21"}]}})";
  const std::string copy = dir_ + "/manifests";
  std::filesystem::copy(examples_, copy, std::filesystem::copy_options::recursive);
  Server kube, manifests;
  ASSERT_TRUE(kube.Start({"-source=kubernetes", "-kubeconfig=" + dir_ + "/kubeconfig"}));
  ASSERT_TRUE(manifests.Start({"-manifests=" + copy}));
  auto left_out = [](Server& s) {
    return ScrapeMetrics(s.dest.admin_port)["destination_endpoints_pod_unknown_total"];
  };
  for (Server* server : {&kube, &manifests}) {
    grpc::ClientContext ctx;
    auto reader = server->Open<pb::Update>(kMcBackend, &ctx);
    pb::Update u;
    ASSERT_TRUE(reader->Read(&u));
    ASSERT_EQ(u.add().addrs_size(), 1);  // the example's one pod
    if (server == &kube) {
      fake_.Upsert(CollectionFor("EndpointSlice"), slice);
    } else {
      WriteFile(copy + "/new-slice.json", slice);
    }
    ASSERT_TRUE(WaitUntil([&] { return left_out(*server) >= 1; }, kWait));
    if (server == &kube) {
      fake_.Upsert(CollectionFor("Pod"), pod);
    } else {
      WriteFile(copy + "/new-pod.json", pod);
    }
    ASSERT_TRUE(reader->Read(&u));  // the next message is the new address, with its Pod
    ASSERT_TRUE(u.has_add()) << u.DebugString();
    ASSERT_EQ(u.add().addrs_size(), 1);
    EXPECT_EQ(u.add().addrs(0).addr().ip().ipv4(), (10u << 24) | (244u << 16) | (1u << 8) | 21u);
    EXPECT_EQ(u.add().addrs(0).tls_identity().dns_like_identity().name(),
              "backend.multicluster-sample.serviceaccount.identity.linkerd.cluster.local");
    ctx.TryCancel();
    reader->Finish();
  }
}

// A ServiceProfile route whose condition has several fields reaches proxies as `all` of them in
// Linkerd's order (requests: method before path; responses: status before not), on both sources.
TEST_F(MulticlusterEndToEndTest, MultiFieldMatchInLinkerdOrderOnBothSources) {
  constexpr char kProfile[] = R"({"apiVersion":"linkerd.io/v1alpha2",
"kind":"ServiceProfile","metadata":{"name":"backend-svc.multicluster-sample.svc.cluster.local",
"namespace":"multicluster-sample"},"spec":{"routes":[{"name":"GET /books",
"condition":{"pathRegex":"/books","method":"GET"},
"responseClasses":[{"condition":{"not":{"status":{"min":404,"max":404}},"status":{"min":400}},"isFailure":true}]}]}})";
  const std::string copy = dir_ + "/manifests";
  std::filesystem::copy(examples_, copy, std::filesystem::copy_options::recursive);
  WriteFile(copy + "/profile.json", kProfile);
  fake_.Upsert(CollectionFor("ServiceProfile"), kProfile);
  Server kube, manifests;
  ASSERT_TRUE(kube.Start({"-source=kubernetes", "-kubeconfig=" + dir_ + "/kubeconfig"}));
  ASSERT_TRUE(manifests.Start({"-manifests=" + copy}));
  for (Server* server : {&kube, &manifests}) {
    grpc::ClientContext ctx;
    auto got = server->Read<pb::DestinationProfile>(true, kMcBackend, 1, &ctx);
    ASSERT_EQ(got.size(), 1u);
    ASSERT_EQ(got[0].routes_size(), 1) << got[0].DebugString();
    const auto& all = got[0].routes(0).condition().all().matches();
    ASSERT_EQ(all.size(), 2) << got[0].DebugString();
    EXPECT_TRUE(all[0].has_method());
    EXPECT_TRUE(all[1].has_path());
    const auto& rc = got[0].routes(0).response_classes(0).condition().all().matches();
    ASSERT_EQ(rc.size(), 2) << got[0].DebugString();
    EXPECT_TRUE(rc[0].has_status());
    EXPECT_TRUE(rc[1].has_not_());
  }
}

}  // namespace
}  // namespace dest::testing
