// The Kubernetes source against a fake API server that speaks the real list/watch protocol:
// pagination, watch events, bookmarks, 410 Gone both ways, 401 with token rotation, 429 with
// Retry-After, connections cut mid-event, garbage lines, objects with wrong types, missing and
// later-installed CRDs, TrafficSplit version discovery, metadata-only kinds. After each fault the
// store must hold exactly what the API server holds.
#include "watchers/kube/kube_source.h"

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/log.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "tests/support/fake_api_server.h"
#include "tests/support/kube_fixtures.h"
#include "tests/support/log_capture.h"
#include "tests/support/test_process.h"

namespace dest {
namespace {

using testing::CollectionFor;
using testing::FakeApiServer;
using testing::StoreWaiter;

constexpr absl::Duration kWait = absl::Seconds(15);
const std::string kServices = "/api/v1/services";

std::string ServiceJson(const std::string& name, int port = 80, const std::string& ns = "default") {
  return absl::StrCat(R"({"apiVersion":"v1","kind":"Service","metadata":{"name":")", name,
                      R"(","namespace":")", ns, R"("},"spec":{"clusterIP":"10.96.0.)", name.size(),
                      R"(","ports":[{"name":"http","port":)", port, "}]}}");
}

class KubeSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::ServeAll(fake_);
    token_dir_ = testing::MakeTempDir();
  }
  void TearDown() override {
    if (source_) source_->Stop();
    testing::RemoveTree(token_dir_);
  }

  void Start(KubeConfig config = {}, bool endpoint_slices = true) {
    if (config.server.empty()) config.server = fake_.url();
    client_ = std::make_shared<KubeClient>(config, client_options_);
    KubernetesSource::Options o;
    o.endpoint_slices = endpoint_slices;
    o.page_size = 2;
    o.backoff_initial = absl::Milliseconds(20);
    o.backoff_max = absl::Milliseconds(200);
    o.crd_poll = absl::Milliseconds(100);
    o.watch_timeout_min = absl::Seconds(30);
    o.watch_timeout_max = absl::Seconds(60);
    source_ = std::make_unique<KubernetesSource>(client_, o, &store_, &registry_);
    ASSERT_TRUE(source_->Start().ok());
  }
  bool Synced() {
    return waiter_.WaitFor([&] { return store_.AllSynced(source_->Kinds()); }, kWait);
  }
  // The store's Services, as "ns/name:port" of their first port.
  std::set<std::string> StoreServices() {
    std::set<std::string> out;
    for (const auto& s : store_.List<Service>()) {
      out.insert(absl::StrCat(s->meta.ns, "/", s->meta.name, ":",
                              s->ports.empty() ? 0 : s->ports[0].port));
    }
    return out;
  }
  bool ServicesAre(const std::set<std::string>& want) {
    return waiter_.WaitFor([&] { return StoreServices() == want; }, kWait);
  }
  double Metric(const std::string& family, const std::string& label, const std::string& value) {
    double total = 0;
    for (const auto& f : registry_.Collect()) {
      if (f.name != family) continue;
      for (const auto& m : f.metric) {
        for (const auto& l : m.label) {
          if (l.name == label && l.value == value) total += m.counter.value;
        }
      }
    }
    return total;
  }
  size_t WatchRequests(const std::string& collection) {
    size_t n = 0;
    for (const auto& r : fake_.Requests()) {
      if (r.path == collection && r.Param("watch") == "1") ++n;
    }
    return n;
  }

  KubeClient::Options client_options_{.request_timeout = absl::Seconds(10)};
  FakeApiServer fake_;
  prometheus::Registry registry_;
  Store store_{&registry_};
  StoreWaiter waiter_{&store_};
  std::shared_ptr<KubeClient> client_;
  std::unique_ptr<KubernetesSource> source_;
  std::string token_dir_;
};

TEST_F(KubeSourceTest, ListsPaginatedThenFollowsWatchEvents) {
  for (int i = 0; i < 5; ++i) fake_.Upsert(kServices, ServiceJson(absl::StrCat("s", i)));
  Start();
  ASSERT_TRUE(Synced());
  EXPECT_EQ(store_.Count(Kind::kService), 5u);
  // Pagination: several list pages with continue tokens, and the user agent.
  int pages = 0;
  for (const auto& r : fake_.Requests()) {
    if (r.path == kServices && r.Param("watch").empty()) {
      ++pages;
      EXPECT_EQ(r.Param("limit"), "2");
      EXPECT_EQ(r.user_agent.rfind("destination/", 0), 0u) << r.user_agent;
    }
  }
  EXPECT_EQ(pages, 3);
  ASSERT_TRUE(fake_.WaitForOpenWatches(kServices, 1, kWait));
  for (const auto& r : fake_.Requests()) {
    if (r.path == kServices && r.Param("watch") == "1") {
      EXPECT_EQ(r.Param("allowWatchBookmarks"), "true");
      EXPECT_FALSE(r.Param("resourceVersion").empty());
      EXPECT_FALSE(r.Param("timeoutSeconds").empty());
    }
  }
  fake_.Upsert(kServices, ServiceJson("s0", 8080));
  fake_.Delete(kServices, "default", "s1");
  fake_.Upsert(kServices, ServiceJson("s9"));
  EXPECT_TRUE(ServicesAre(
      {"default/s0:8080", "default/s2:80", "default/s3:80", "default/s4:80", "default/s9:80"}));
}

TEST_F(KubeSourceTest, GoneInStreamRelistsAndDeletesWhatWentMissing) {
  fake_.Upsert(kServices, ServiceJson("keep"));
  fake_.Upsert(kServices, ServiceJson("doomed"));
  Start();
  ASSERT_TRUE(Synced());
  ASSERT_TRUE(fake_.WaitForOpenWatches(kServices, 1, kWait));
  // The client misses changes while its watch is down and history is compacted.
  fake_.FailNext(kServices, 503, 3);
  fake_.CutWatches(kServices, /*mid_event=*/false);
  fake_.Delete(kServices, "default", "doomed");
  fake_.Upsert(kServices, ServiceJson("new"));
  fake_.Compact(FakeApiServer::GoneMode::kInStreamError);
  EXPECT_TRUE(ServicesAre({"default/keep:80", "default/new:80"}));
  EXPECT_GE(Metric("destination_kube_relists_total", "kind", "Service"), 1);
}

TEST_F(KubeSourceTest, GoneAsHttpStatusRelists) {
  fake_.Upsert(kServices, ServiceJson("a"));
  Start();
  ASSERT_TRUE(Synced());
  ASSERT_TRUE(fake_.WaitForOpenWatches(kServices, 1, kWait));
  fake_.FailNext(kServices, 500, 2);
  fake_.CutWatches(kServices, false);
  fake_.Delete(kServices, "default", "a");
  fake_.Upsert(kServices, ServiceJson("b"));
  fake_.Compact(FakeApiServer::GoneMode::kHttpStatus);
  EXPECT_TRUE(ServicesAre({"default/b:80"}));
}

TEST_F(KubeSourceTest, BookmarksAdvanceTheResourceVersion) {
  Start();
  ASSERT_TRUE(Synced());
  ASSERT_TRUE(fake_.WaitForOpenWatches(kServices, 1, kWait));
  fake_.Upsert("/api/v1/pods", R"({"metadata":{"name":"p","namespace":"default"}})");  // moves RV
  fake_.SendBookmark(kServices);
  std::string bookmark = fake_.CurrentResourceVersion();
  // Give the bookmark time to be read: wait until the watch would have seen it by cutting after
  // another event on the same stream is observed.
  fake_.Upsert(kServices, ServiceJson("after"));
  ASSERT_TRUE(ServicesAre({"default/after:80"}));
  size_t before = WatchRequests(kServices);
  fake_.EndWatches(kServices);
  ASSERT_TRUE(fake_.WaitForRequests(
      [](const FakeApiServer::Request& r) {
        return r.path == "/api/v1/services" && r.Param("watch") == "1";
      },
      before + 1, kWait));
  std::string last;
  for (const auto& r : fake_.Requests()) {
    if (r.path == kServices && r.Param("watch") == "1") last = r.Param("resourceVersion");
  }
  EXPECT_GE(std::stoll(last), std::stoll(bookmark));
}

TEST_F(KubeSourceTest, CutMidEventAndGarbageLinesLoseNothing) {
  fake_.Upsert(kServices, ServiceJson("a"));
  Start();
  ASSERT_TRUE(Synced());
  ASSERT_TRUE(fake_.WaitForOpenWatches(kServices, 1, kWait));
  fake_.InjectGarbage(kServices, "this is not json");
  fake_.InjectGarbage(kServices, R"({"json":"but not an event"})");
  fake_.Upsert(kServices, ServiceJson("b"));
  ASSERT_TRUE(ServicesAre({"default/a:80", "default/b:80"}));
  EXPECT_GE(Metric("destination_kube_errors_total", "reason", "garbage_line"), 2);
  fake_.CutWatches(kServices, /*mid_event=*/true);
  fake_.Upsert(kServices, ServiceJson("c"));
  EXPECT_TRUE(ServicesAre({"default/a:80", "default/b:80", "default/c:80"}));
}

TEST_F(KubeSourceTest, WrongTypesRejectThatObjectOnly) {
  fake_.Upsert(
      kServices,
      R"({"metadata":{"name":"bad","namespace":"default"},"spec":{"ports":[{"port":"eighty"}]}})");
  fake_.Upsert(kServices, ServiceJson("good"));
  Start();
  ASSERT_TRUE(Synced());
  EXPECT_EQ(StoreServices(), (std::set<std::string>{"default/good:80"}));
  ASSERT_TRUE(fake_.WaitForOpenWatches(kServices, 1, kWait));
  fake_.Upsert(
      kServices,
      R"({"metadata":{"name":"bad2","namespace":"default"},"spec":{"ports":"not-a-list"}})");
  fake_.Upsert(kServices, ServiceJson("good2"));
  EXPECT_TRUE(ServicesAre({"default/good:80", "default/good2:80"}));
  EXPECT_GE(Metric("destination_kube_errors_total", "reason", "decode"), 2);
}

TEST_F(KubeSourceTest, UnauthorizedRereadsTheRotatedToken) {
  std::string token_file = token_dir_ + "/token";
  testing::WriteFile(token_file, "token-1");
  fake_.SetRequiredToken("token-1");
  fake_.Upsert(kServices, ServiceJson("a"));
  KubeConfig c;
  c.token_file = token_file;
  Start(c);
  ASSERT_TRUE(Synced());
  ASSERT_TRUE(fake_.WaitForOpenWatches(kServices, 1, kWait));
  // The token rotates: the old one is refused from now on.
  testing::WriteFile(token_file, "token-2");
  fake_.SetRequiredToken("token-2");
  fake_.CutWatches("", false);
  fake_.Upsert(kServices, ServiceJson("b"));
  EXPECT_TRUE(ServicesAre({"default/a:80", "default/b:80"}));
  bool saw_new = false;
  for (const auto& r : fake_.Requests()) saw_new |= r.authorization == "Bearer token-2";
  EXPECT_TRUE(saw_new);
}

TEST_F(KubeSourceTest, TooManyRequestsHonoursRetryAfter) {
  fake_.Upsert(kServices, ServiceJson("a"));
  fake_.FailNext(kServices, 429, 1, "1");
  absl::Time start = absl::Now();
  Start();
  ASSERT_TRUE(waiter_.WaitFor([&] { return store_.IsSynced(Kind::kService); }, kWait));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(900));  // backoff alone would be ~20 ms
  EXPECT_GE(Metric("destination_kube_errors_total", "reason", "http_429"), 1);
}

TEST_F(KubeSourceTest, MissingCrdIsToleratedAndNoticedWhenInstalled) {
  FakeApiServer::Options none;
  fake_.StopServing(CollectionFor("TrafficSplit"));
  Start();
  ASSERT_TRUE(Synced());  // ready although the CRD is absent
  EXPECT_EQ(store_.Count(Kind::kTrafficSplit), 0u);
  // Installed later, in v1alpha4: discovered and watched.
  std::string v4 = CollectionFor("TrafficSplit", "v1alpha4");
  fake_.ServeResource(v4, "TrafficSplitList");
  fake_.Upsert(
      v4,
      R"({"apiVersion":"split.smi-spec.io/v1alpha4","kind":"TrafficSplit","metadata":{"name":"s","namespace":"default"},"spec":{"service":"web","backends":[{"service":"web-v2","weight":100}]}})");
  ASSERT_TRUE(waiter_.WaitFor([&] { return store_.Count(Kind::kTrafficSplit) == 1; }, kWait));
  auto split = store_.Get<TrafficSplit>("default", "s");
  ASSERT_NE(split, nullptr);
  EXPECT_EQ(split->backends.at(0).weight, "100");
}

// The HTTPRoute CRDs of both groups and ReferenceGrant's are optional: absent at start (ready
// anyway), each picked up when installed, at a version of its own, and the two HTTPRoutes of one
// name in one namespace are two objects.
TEST_F(KubeSourceTest, HTTPRouteCrdsOfBothGroupsArePickedUpWhenInstalled) {
  const std::string gateway = CollectionFor("HTTPRoute");
  const std::string linkerd = CollectionFor("HTTPRoute.policy.linkerd.io");
  const std::string grants = CollectionFor("ReferenceGrant");
  ASSERT_EQ(gateway, "/apis/gateway.networking.k8s.io/v1/httproutes");
  ASSERT_EQ(linkerd, "/apis/policy.linkerd.io/v1beta3/httproutes");
  fake_.StopServing(gateway);
  fake_.StopServing(linkerd);
  fake_.StopServing(grants);
  Start();
  ASSERT_TRUE(Synced());  // ready although the CRDs are absent
  EXPECT_EQ(store_.Count(Kind::kGatewayHTTPRoute) + store_.Count(Kind::kPolicyHTTPRoute), 0u);
  // policy.linkerd.io is served (for Servers) without httproutes: discovery sees that the
  // resource is absent, so its collection is not asked for (it was, in a tight loop, when only
  // the group was looked at).
  absl::SleepFor(absl::Milliseconds(300));  // three -crd-poll intervals of this fixture
  int asked = 0;
  for (const auto& r : fake_.Requests()) asked += absl::StartsWith(r.path, linkerd) ? 1 : 0;
  EXPECT_EQ(asked, 0);

  // Installed later, each at a version that is not its group's preferred one: the Gateway API's
  // HTTPRoutes at v1 but ReferenceGrants at v1beta1 only (as Gateway API v1.0 serves them), and
  // Linkerd's HTTPRoutes at v1beta2 while the group's preferred v1beta3 has only Servers.
  const std::string gateway_v1 = gateway;
  const std::string grants_v1beta1 = "/apis/gateway.networking.k8s.io/v1beta1/referencegrants";
  const std::string linkerd_v1beta2 = "/apis/policy.linkerd.io/v1beta2/httproutes";
  fake_.ServeResource(gateway_v1, "HTTPRouteList");
  fake_.ServeResource(linkerd_v1beta2, "HTTPRouteList");
  fake_.ServeResource(grants_v1beta1, "ReferenceGrantList");
  const std::string spec =
      R"("spec":{"parentRefs":[{"group":"core","kind":"Service","name":"web"}],"rules":[{"backendRefs":[{"name":"web-v2","weight":7}]}]}})";
  fake_.Upsert(
      gateway_v1,
      R"({"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","metadata":{"name":"web","namespace":"default"},)" +
          spec);
  fake_.Upsert(
      linkerd_v1beta2,
      R"({"apiVersion":"policy.linkerd.io/v1beta2","kind":"HTTPRoute","metadata":{"name":"web","namespace":"default"},)" +
          spec);
  fake_.Upsert(
      grants_v1beta1,
      R"({"apiVersion":"gateway.networking.k8s.io/v1beta1","kind":"ReferenceGrant","metadata":{"name":"g","namespace":"default"},"spec":{"from":[{"group":"gateway.networking.k8s.io","kind":"HTTPRoute","namespace":"shop"}],"to":[{"group":"","kind":"Service"}]}})");
  ASSERT_TRUE(waiter_.WaitFor(
      [&] {
        return store_.Count(Kind::kGatewayHTTPRoute) == 1 &&
               store_.Count(Kind::kPolicyHTTPRoute) == 1 &&
               store_.Count(Kind::kReferenceGrant) == 1;
      },
      kWait));
  auto routes = store_.RoutesForService("default", "web");
  ASSERT_EQ(routes.size(), 2u);
  std::set<std::string> versions;
  for (const auto& r : routes) {
    versions.insert(r->api_version);
    ASSERT_EQ(r->rules.size(), 1u);
    EXPECT_EQ(r->rules[0].backend_refs.at(0).weight, 7);
  }
  EXPECT_EQ(versions,
            (std::set<std::string>{"gateway.networking.k8s.io/v1", "policy.linkerd.io/v1beta2"}));
  EXPECT_EQ(store_.GrantsInNamespace("default").size(), 1u);

  // Deleting one leaves the other.
  fake_.Delete(linkerd_v1beta2, "default", "web");
  ASSERT_TRUE(waiter_.WaitFor([&] { return store_.Count(Kind::kPolicyHTTPRoute) == 0; }, kWait));
  EXPECT_EQ(store_.Count(Kind::kGatewayHTTPRoute), 1u);
}

TEST_F(KubeSourceTest, MetadataOnlyKindsAndReadiness) {
  fake_.Upsert(
      CollectionFor("ReplicaSet"),
      R"({"metadata":{"name":"web-abc","namespace":"default","ownerReferences":[{"apiVersion":"apps/v1","kind":"Deployment","name":"web","controller":true}]},"spec":{"replicas":3}})");
  fake_.Upsert(CollectionFor("Node"),
               R"({"metadata":{"name":"n1","labels":{"topology.kubernetes.io/zone":"z1"}}})");
  Start();
  ASSERT_TRUE(Synced());
  auto rs = store_.Get<ReplicaSet>("default", "web-abc");
  ASSERT_NE(rs, nullptr);
  EXPECT_EQ(rs->meta.owner_references.at(0).name, "web");
  auto node = store_.Get<Node>("", "n1");
  ASSERT_NE(node, nullptr);
  EXPECT_EQ(node->meta.labels.at("topology.kubernetes.io/zone"), "z1");
  bool asked_metadata = false;
  for (const auto& r : fake_.Requests()) {
    if (r.path == CollectionFor("ReplicaSet"))
      asked_metadata |= r.accept.find("PartialObjectMetadata") != std::string::npos;
  }
  EXPECT_TRUE(asked_metadata);
}

TEST_F(KubeSourceTest, TlsWithClusterCaAndClientCertificate) {
  FakeApiServer::Options o;
  o.tls = true;
  o.request_client_cert = true;
  o.required_token = "never-sent";  // only the client certificate can authenticate
  FakeApiServer tls(o);
  testing::ServeAll(tls);
  tls.Upsert(kServices, ServiceJson("secure"));
  auto cert = tls.IssueClientCertificate("destination");
  KubeConfig c;
  c.server = tls.url();
  c.ca_pem = tls.ca_pem();
  c.client_cert_pem = cert.cert_pem;
  c.client_key_pem = cert.key_pem;
  Start(c);
  ASSERT_TRUE(Synced());
  EXPECT_EQ(StoreServices(), (std::set<std::string>{"default/secure:80"}));
  EXPECT_EQ(tls.Requests().at(0).client_cert_cn, "destination");
}

}  // namespace
}  // namespace dest

namespace dest {
namespace {

// --- A hostile or broken API server: bounded bodies and lines, backoff, idle watches, kinds.

TEST_F(KubeSourceTest, EndlessListIsCutAtTheBoundAndRetried) {
  fake_.Upsert(kServices, ServiceJson("a"));
  client_options_.max_body_bytes = 1 << 20;
  fake_.MisbehaveNext(kServices, FakeApiServer::Hostile::kEndlessBody, 2);
  Start();
  ASSERT_TRUE(Synced());
  EXPECT_TRUE(ServicesAre({"default/a:80"}));
  EXPECT_GE(Metric("destination_kube_errors_total", "reason", "too_large"), 2);
}

TEST_F(KubeSourceTest, EndlessWatchLineIsCutAndTheWatchBacksOff) {
  client_options_.max_line_bytes = 1 << 20;
  Start();
  ASSERT_TRUE(Synced());
  ASSERT_TRUE(fake_.WaitForOpenWatches(kServices, 1, kWait));
  fake_.MisbehaveNext(kServices, FakeApiServer::Hostile::kEndlessLine, 3);
  fake_.EndWatches(kServices);
  ASSERT_TRUE(waiter_.WaitFor(
      [&] { return Metric("destination_kube_errors_total", "reason", "too_large") >= 3; }, kWait));
  // Three hostile watches, each followed by a backoff, then a good one that delivers.
  ASSERT_TRUE(fake_.WaitForOpenWatches(kServices, 1, kWait));
  fake_.Upsert(kServices, ServiceJson("after"));
  EXPECT_TRUE(ServicesAre({"default/after:80"}));
  EXPECT_LE(WatchRequests(kServices), 6u) << "re-opened in a loop";
}

TEST_F(KubeSourceTest, GarbageFloodEndsTheWatchAndIsLoggedOnce) {
  testing::LogCapture logs;
  Start();
  ASSERT_TRUE(Synced());
  ASSERT_TRUE(fake_.WaitForOpenWatches(kServices, 1, kWait));
  const size_t watches = WatchRequests(kServices);
  for (int i = 0; i < 500; ++i) fake_.InjectGarbage(kServices, absl::StrCat("garbage ", i));
  EXPECT_TRUE(waiter_.WaitFor([&] { return WatchRequests(kServices) > watches; }, kWait))
      << "the watch was not abandoned";
  fake_.Upsert(kServices, ServiceJson("still"));
  EXPECT_TRUE(ServicesAre({"default/still:80"}));
  EXPECT_EQ(logs.Count("not an event"), 1);
  EXPECT_LE(Metric("destination_kube_errors_total", "reason", "garbage_line"), 101 + 1);
}

TEST_F(KubeSourceTest, SilentWatchIsNoticedAndReopened) {
  client_options_.stream_idle_timeout = absl::Seconds(2);
  Start();
  ASSERT_TRUE(Synced());
  ASSERT_TRUE(fake_.WaitForOpenWatches(kServices, 1, kWait));
  fake_.MisbehaveNext(kServices, FakeApiServer::Hostile::kSilent);
  fake_.EndWatches(kServices);  // the next watch is the silent one
  // The change is made while the watch is silent; it arrives through the next watch, from the
  // last resourceVersion.
  fake_.Upsert(kServices, ServiceJson("missed"));
  EXPECT_TRUE(ServicesAre({"default/missed:80"}));
  EXPECT_GE(Metric("destination_kube_errors_total", "reason", "watch_idle"), 1);
}

TEST_F(KubeSourceTest, WatchesEndedAtOnceAndEmptyBackOff) {
  Start();
  ASSERT_TRUE(Synced());
  ASSERT_TRUE(fake_.WaitForOpenWatches(kServices, 1, kWait));
  // Twenty watches in a row end at once with nothing in them, as a broken proxy in front of the
  // API server may do. Re-opened without a pause they would take milliseconds; with the backoff
  // (20 ms doubling to 200 ms here, jitter at least 0.5) they take seconds.
  constexpr int kEmpty = 20;
  fake_.MisbehaveNext(kServices, FakeApiServer::Hostile::kEmptyWatch, kEmpty);
  const absl::Time start = absl::Now();
  fake_.EndWatches(kServices);
  ASSERT_TRUE(waiter_.WaitFor(
      [&] {
        return Metric("destination_kube_errors_total", "reason", "watch_ended_early") >= kEmpty;
      },
      kWait));
  EXPECT_GE(absl::Now() - start, absl::Seconds(1)) << "empty watches re-opened in a loop";
  fake_.Upsert(kServices, ServiceJson("after"));
  EXPECT_TRUE(ServicesAre({"default/after:80"}));
}

TEST_F(KubeSourceTest, ObjectOfAnotherKindIsNotStoredAsThisKind) {
  Start();
  ASSERT_TRUE(Synced());
  ASSERT_TRUE(fake_.WaitForOpenWatches(kServices, 1, kWait));
  // A "Pod" in the Services watch: never stored as a Service.
  fake_.Upsert(
      kServices,
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"impostor","namespace":"default"},"spec":{"clusterIP":"10.96.0.99"}})");
  fake_.Upsert(kServices, ServiceJson("real"));
  EXPECT_TRUE(ServicesAre({"default/real:80"}));
  EXPECT_GE(Metric("destination_kube_errors_total", "reason", "wrong_kind"), 1);
}

TEST(KubeClientTest, RateLimitSpacesRequestsAfterTheBurst) {
  testing::FakeApiServer fake;
  fake.ServeResource("/api/v1/services", "ServiceList");
  KubeConfig c;
  c.server = fake.url();
  KubeClient::Options o;
  o.qps = 20;
  o.burst = 2;
  KubeClient client(c, o);
  absl::Time start = absl::Now();
  for (int i = 0; i < 8; ++i) {
    auto r = client.Get("/api/v1/services", "application/json");
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->status, 200);
  }
  // 2 requests free, then 6 at 20/s: at least ~300 ms.
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(280));
  for (const auto& req : fake.Requests()) EXPECT_EQ(req.user_agent, "destination/" DEST_VERSION);
}

}  // namespace
}  // namespace dest
