// End to end: the real `destination` binary on a temporary copy of the example manifests, real
// gRPC clients on both streams, file edits, the admin server, reflection, and SIGTERM.
#include <google/protobuf/descriptor.pb.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <unistd.h>

#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "debug.grpc.pb.h"
#include "destination.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1/reflection.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/support/hostile_yaml.h"
#include "tests/support/raw_h2_client.h"
#include "tests/support/stream_reader.h"
#include "tests/support/test_process.h"

namespace dest::testing {
namespace {

namespace pb = io::linkerd::proxy::destination;
namespace fs = std::filesystem;

constexpr absl::Duration kWait = absl::Seconds(10);
const char kBackend[] = "backend-svc.trafficsplit-sample.svc.cluster.local:8080";

std::vector<std::pair<std::string, uint32_t>> Overrides(const pb::DestinationProfile& p) {
  std::vector<std::pair<std::string, uint32_t>> out;
  for (const auto& d : p.dst_overrides()) out.emplace_back(d.authority(), d.weight());
  return out;
}

// The example TrafficSplit's two weights as they stand in trafficsplit.yaml, for Edit().
std::string SplitWeights(const std::string& backend, const std::string& failing) {
  return absl::StrCat("weight: ", backend, "\n    - service: failing-svc\n      weight: ", failing);
}

std::string Ip(const io::linkerd::proxy::net::TcpAddress& a) {
  uint32_t v = a.ip().ipv4();
  return absl::StrCat(v >> 24, ".", (v >> 16) & 255, ".", (v >> 8) & 255, ".", v & 255, ":",
                      a.port());
}

// The source tree (the examples, the docs): $DEST_SOURCE_DIR, else the one this test was built
// from.
fs::path SourceDir() {
  const char* src = std::getenv("DEST_SOURCE_DIR");
  return src != nullptr ? src : DEST_SOURCE_DIR_DEFAULT;
}

class EndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir();
    ASSERT_FALSE(dir_.empty());
    fs::copy(SourceDir() / "examples" / "trafficsplit-sample", dir_, fs::copy_options::recursive);
    Prepare();
    std::vector<std::string> args = {"-manifests=" + dir_, "-log-level=debug"};
    for (const std::string& flag : ExtraFlags()) args.push_back(flag);
    ASSERT_TRUE(dest_.Start(args, RunAsUid())) << "server did not start";
    grpc_port_ = dest_.grpc_port;
    admin_port_ = dest_.admin_port;
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", grpc_port_),
                                   grpc::InsecureChannelCredentials());
    stub_ = pb::Destination::NewStub(channel_);
  }
  void TearDown() override { RemoveTree(dir_); }
  std::map<std::string, double> Metrics() { return ScrapeMetrics(admin_port_); }
  bool WaitUntil(const std::function<bool()>& predicate, absl::Duration timeout = kWait) {
    return testing::WaitUntil(predicate, timeout);
  }

  // Flags added to the server's command line by derived fixtures.
  virtual std::vector<std::string> ExtraFlags() const { return {}; }
  // Runs before the server starts, with the example copied into dir_.
  virtual void Prepare() {}
  // The user the server runs as when the test runs as root (-1: the test's own).
  virtual int RunAsUid() const { return -1; }

  std::unique_ptr<StreamReader<pb::DestinationProfile>> Profile(const std::string& authority,
                                                                const std::string& token = "") {
    return std::make_unique<StreamReader<pb::DestinationProfile>>(
        [this, authority, token](grpc::ClientContext* ctx) {
          pb::GetDestination req;
          req.set_scheme("k8s");
          req.set_path(authority);
          req.set_context_token(token);
          return stub_->GetProfile(ctx, req);
        });
  }
  std::unique_ptr<StreamReader<pb::Update>> Get(const std::string& authority) {
    return std::make_unique<StreamReader<pb::Update>>([this, authority](grpc::ClientContext* ctx) {
      pb::GetDestination req;
      req.set_path(authority);
      return stub_->Get(ctx, req);
    });
  }
  void Edit(const std::string& file, const std::string& from, const std::string& to) {
    std::string path = dir_ + "/" + file;
    std::string content = ReadFileOrDie(path);
    std::string edited = absl::StrReplaceAll(content, {{from, to}});
    ASSERT_NE(content, edited) << "edit of " << file << " changed nothing";
    WriteFile(path, edited);
  }

  std::string dir_;
  DestinationProcess dest_;
  ChildProcess& server_ = dest_.process;
  int grpc_port_ = 0;
  int admin_port_ = 0;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<pb::Destination::Stub> stub_;
};

TEST_F(EndToEndTest, ProfileFollowsTrafficSplitEdits) {
  auto stream = Profile(kBackend);
  auto first = stream->Next();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->fully_qualified_name(), "backend-svc.trafficsplit-sample.svc.cluster.local");
  EXPECT_FLOAT_EQ(first->retry_budget().retry_ratio(), 0.2f);
  EXPECT_EQ(first->retry_budget().min_retries_per_second(), 10u);
  EXPECT_EQ(first->retry_budget().ttl().seconds(), 10);
  using O = std::vector<std::pair<std::string, uint32_t>>;
  EXPECT_EQ(Overrides(*first),
            (O{{"backend-svc.trafficsplit-sample.svc.cluster.local.:8080", 5000000},
               {"failing-svc.trafficsplit-sample.svc.cluster.local.:8080", 5000000}}));

  // Shift traffic: the new weights arrive.
  Edit("trafficsplit.yaml", SplitWeights("500", "500"), SplitWeights("900", "100"));
  auto shifted = stream->Next();
  ASSERT_TRUE(shifted.has_value());
  EXPECT_EQ(Overrides(*shifted),
            (O{{"backend-svc.trafficsplit-sample.svc.cluster.local.:8080", 9000000},
               {"failing-svc.trafficsplit-sample.svc.cluster.local.:8080", 1000000}}));

  // A syntax error is reported and changes nothing: the next change (an annotation making the
  // port opaque) still carries the split.
  std::string split = ReadFileOrDie(dir_ + "/trafficsplit.yaml");
  WriteFile(dir_ + "/trafficsplit.yaml", split + "\n  oops: [unclosed\n");
  ASSERT_TRUE(server_.WaitForLine({"manifest rejected", "trafficsplit.yaml"}, kWait));
  Edit("backend.yaml", "  name: backend-svc\n  namespace: trafficsplit-sample\n  labels:\n",
       "  name: backend-svc\n  namespace: trafficsplit-sample\n  annotations:\n"
       "    config.linkerd.io/opaque-ports: \"8080\"\n  labels:\n");
  auto opaque = stream->Next();
  ASSERT_TRUE(opaque.has_value());
  EXPECT_TRUE(opaque->opaque_protocol());
  EXPECT_EQ(Overrides(*opaque), Overrides(*shifted));

  // Deleting the split falls back to the self override.
  fs::remove(dir_ + "/trafficsplit.yaml");
  auto self = stream->Next();
  ASSERT_TRUE(self.has_value());
  EXPECT_EQ(Overrides(*self),
            (O{{"backend-svc.trafficsplit-sample.svc.cluster.local.:8080", 10000}}));
  EXPECT_EQ(stream->Pending(), 0u);
}

// The canary walkthrough of behaviour.md 3.2, live: TrafficSplit only -> a ServiceProfile with
// dstOverrides appears (it wins) -> its dstOverrides are removed (the split is back) -> the split
// is deleted (self override). A client in another namespace with a token sees its own profile.
TEST_F(EndToEndTest, CanaryWalkthroughEveryTransition) {
  using O = std::vector<std::pair<std::string, uint32_t>>;
  const O split = {{"backend-svc.trafficsplit-sample.svc.cluster.local.:8080", 5000000},
                   {"failing-svc.trafficsplit-sample.svc.cluster.local.:8080", 5000000}};
  auto stream = Profile(kBackend, R"({"ns":"trafficsplit-sample","nodeName":"node-1"})");
  auto first = stream->Next();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(Overrides(*first), split);

  const std::string profile =
      "apiVersion: linkerd.io/v1alpha2\n"
      "kind: ServiceProfile\n"
      "metadata:\n"
      "  name: backend-svc.trafficsplit-sample.svc.cluster.local\n"
      "  namespace: trafficsplit-sample\n"
      "spec:\n"
      "  routes:\n"
      "  - name: GET /api\n"
      "    condition: {method: GET, pathRegex: /api/.*}\n"
      "    isRetryable: true\n"
      "    timeout: 250ms\n"
      "  dstOverrides:\n"
      "  - authority: backend-svc.trafficsplit-sample.svc.cluster.local\n"
      "    weight: 100m\n";
  WriteFile(dir_ + "/profile.yaml", profile);
  auto sp = stream->Next();
  ASSERT_TRUE(sp.has_value());
  EXPECT_EQ(Overrides(*sp), (O{{"backend-svc.trafficsplit-sample.svc.cluster.local:8080", 1000}}));
  ASSERT_EQ(sp->routes_size(), 1);
  EXPECT_EQ(sp->routes(0).metrics_labels().at("route"), "GET /api");
  EXPECT_TRUE(sp->routes(0).is_retryable());
  EXPECT_EQ(sp->routes(0).timeout().nanos(), 250000000);
  EXPECT_EQ(sp->profile_ref().resource().kind(), "ServiceProfile");

  std::string without = profile.substr(0, profile.find("  dstOverrides:"));
  WriteFile(dir_ + "/profile.yaml", without);
  auto back = stream->Next();
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(Overrides(*back), split);
  EXPECT_EQ(back->routes_size(), 1);

  fs::remove(dir_ + "/trafficsplit.yaml");
  auto self = stream->Next();
  ASSERT_TRUE(self.has_value());
  EXPECT_EQ(Overrides(*self),
            (O{{"backend-svc.trafficsplit-sample.svc.cluster.local.:8080", 10000}}));

  // An invalid edit is logged and not sent; the stream keeps its profile.
  WriteFile(dir_ + "/profile.yaml", without + "  - name: broken\n    condition: {}\n");
  ASSERT_TRUE(server_.WaitForLine(
      {"invalid ServiceProfile", "spec.routes[1].condition: a match needs at least one field"},
      kWait));
  fs::remove(dir_ + "/profile.yaml");
  auto gone = stream->Next();
  ASSERT_TRUE(gone.has_value());
  EXPECT_EQ(gone->routes_size(), 0);  // the next message is the deletion, nothing in between
  EXPECT_EQ(stream->Pending(), 0u);
}

// The example's TrafficSplit as a Gateway API HTTPRoute with these backendRef weights (what
// Flagger writes for a Service once it drives HTTPRoutes), `rule_extra` added to its rule.
std::string BackendRoute(int backend, int failing, const std::string& rule_extra = "") {
  return absl::StrCat(
      "apiVersion: gateway.networking.k8s.io/v1\n"
      "kind: HTTPRoute\n"
      "metadata:\n"
      "  name: backend-route\n"
      "  namespace: trafficsplit-sample\n"
      "spec:\n"
      "  parentRefs:\n"
      "    - {group: core, kind: Service, name: backend-svc, port: 8080}\n"
      "  rules:\n"
      "    - ",
      rule_extra,
      "backendRefs:\n"
      "        - {name: backend-svc, port: 8080, weight: ",
      backend,
      "}\n"
      "        - {name: failing-svc, port: 8080, weight: ",
      failing, "}\n");
}

using WeightedAuthorities = std::vector<std::pair<std::string, uint32_t>>;

// backend-svc and failing-svc with these wire weights.
WeightedAuthorities BackendAndFailing(uint32_t backend, uint32_t failing) {
  return {{"backend-svc.trafficsplit-sample.svc.cluster.local.:8080", backend},
          {"failing-svc.trafficsplit-sample.svc.cluster.local.:8080", failing}};
}

class HTTPRouteEndToEndTest : public EndToEndTest {
 protected:
  io::destination::debug::v1::Explanation Explain() {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    io::destination::debug::v1::ExplainRequest request;
    request.set_authority(kBackend);
    io::destination::debug::v1::Explanation explanation;
    grpc::Status status =
        io::destination::debug::v1::Debug::NewStub(channel_)->Explain(&ctx, request, &explanation);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return explanation;
  }
  // Waits until Explain says the dst_overrides come from `source` (the service has read the
  // files written), with the deadline of every wait here.
  bool WaitForSource(const std::string& source) {
    return WaitUntil([&] { return Explain().profile().overrides_source() == source; });
  }
};

// A canary the way Flagger runs it: the weights move step by step, first with a TrafficSplit;
// then the Service is migrated to an HTTPRoute (created next to the split, which it takes
// precedence over, then the split deleted) and the steps go on with the route. Every message a
// proxy receives is the step's exact weights: it never sees the self override or a step twice,
// and the migration itself sends nothing while the route's weights equal the split's.
TEST_F(HTTPRouteEndToEndTest, FlaggerCanaryMigratesFromTrafficSplitToHTTPRoute) {
  auto stream = Profile(kBackend);
  auto first = stream->Next();
  ASSERT_TRUE(first.has_value());
  ASSERT_EQ(Overrides(*first), BackendAndFailing(5000000, 5000000));

  // TrafficSplit steps: 0% to the canary, then 10, 20, 50.
  std::string weights = SplitWeights("500", "500");
  for (auto [primary, canary] :
       std::vector<std::pair<int, int>>{{100, 0}, {90, 10}, {80, 20}, {50, 50}}) {
    SCOPED_TRACE(absl::StrCat("TrafficSplit step ", primary, "/", canary));
    const std::string next = SplitWeights(absl::StrCat(primary), absl::StrCat(canary));
    Edit("trafficsplit.yaml", weights, next);
    weights = next;
    auto got = stream->Next();
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(Overrides(*got), BackendAndFailing(primary * 10000, canary * 10000));
  }

  // The migration: an HTTPRoute with the same weights appears; it takes precedence and nothing
  // a proxy sees changes. Then the TrafficSplit goes; still nothing.
  WriteFile(dir_ + "/route.yaml", BackendRoute(50, 50));
  ASSERT_TRUE(WaitForSource("httproute"));
  io::destination::debug::v1::Explanation both = Explain();
  EXPECT_EQ(both.profile().route_applied().name(), "trafficsplit-sample/backend-route");
  ASSERT_EQ(both.profile().splits_ignored_size(), 1);
  EXPECT_EQ(both.profile().splits_ignored(0).reason(),
            "applies, but HTTPRoute trafficsplit-sample/backend-route takes precedence");
  fs::remove(dir_ + "/trafficsplit.yaml");
  ASSERT_TRUE(WaitUntil([&] { return Explain().profile().splits_ignored_size() == 0; }));
  EXPECT_EQ(Explain().profile().overrides_source(), "httproute");
  EXPECT_EQ(stream->Pending(), 0u) << "the migration sent a message";  // and the next check:
  // the next message must be the next step's

  // HTTPRoute steps, then the promotion back to the primary.
  for (auto [primary, canary] : std::vector<std::pair<int, int>>{{40, 60}, {0, 100}, {100, 0}}) {
    SCOPED_TRACE(absl::StrCat("HTTPRoute step ", primary, "/", canary));
    WriteFile(dir_ + "/route.yaml", BackendRoute(primary, canary));
    auto got = stream->Next();
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(Overrides(*got), BackendAndFailing(primary * 10000, canary * 10000));
  }
  EXPECT_EQ(stream->Pending(), 0u);
}

// Flagger's other way: the split's file is rewritten to hold the equivalent route (one write, so
// the service applies the removal and the addition as one change). Nothing is sent.
TEST_F(HTTPRouteEndToEndTest, OneFileSwapFromTrafficSplitToHTTPRouteSendsNothing) {
  auto stream = Profile(kBackend);
  auto first = stream->Next();
  ASSERT_TRUE(first.has_value());
  ASSERT_EQ(Overrides(*first), BackendAndFailing(5000000, 5000000));
  WriteFile(dir_ + "/trafficsplit.yaml", BackendRoute(500, 500));
  ASSERT_TRUE(WaitForSource("httproute"));
  EXPECT_EQ(Explain().profile().splits_ignored_size(), 0);
  EXPECT_EQ(stream->Pending(), 0u) << "the swap sent a message";
  // And back: the route's file becomes the split again; still nothing.
  WriteFile(dir_ + "/trafficsplit.yaml",
            ReadFileOrDie(SourceDir() / "examples" / "trafficsplit-sample" / "trafficsplit.yaml"));
  ASSERT_TRUE(WaitForSource("trafficsplit"));
  EXPECT_EQ(stream->Pending(), 0u) << "the swap back sent a message";
  // The next message is the next edit's (a late message from a swap would come first).
  Edit("trafficsplit.yaml", SplitWeights("500", "500"), SplitWeights("900", "100"));
  auto next = stream->Next();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(Overrides(*next), BackendAndFailing(9000000, 1000000));
}

// Both examples loaded side by side (httproute-sample in a subdirectory): the HTTPRoute example
// serves a proxy exactly what the TrafficSplit example does, field for field once the namespace
// is renamed.
class ExamplesSideBySideTest : public EndToEndTest {
 protected:
  void Prepare() override {
    fs::copy(SourceDir() / "examples" / "httproute-sample", fs::path(dir_) / "httproute-sample",
             fs::copy_options::recursive);
  }
};

TEST_F(ExamplesSideBySideTest, HTTPRouteExampleServesWhatTheTrafficSplitExampleServes) {
  auto split = Profile(kBackend)->Next();
  auto route = Profile("backend-svc.httproute-sample.svc.cluster.local:8080")->Next();
  ASSERT_TRUE(split.has_value());
  ASSERT_TRUE(route.has_value());
  ASSERT_EQ(Overrides(*split), BackendAndFailing(5000000, 5000000));
  EXPECT_EQ(
      absl::StrReplaceAll(route->DebugString(), {{"httproute-sample", "trafficsplit-sample"}}),
      split->DebugString());
}

// A route with a header match cannot be expressed as weights: it is not applied (the TrafficSplit
// still is), and the log, the metric, the events and Explain say why.
TEST_F(HTTPRouteEndToEndTest, HeaderMatchRouteIsNotAppliedAndExplained) {
  auto stream = Profile(kBackend);
  auto first = stream->Next();
  ASSERT_TRUE(first.has_value());
  WriteFile(
      dir_ + "/route.yaml",
      BackendRoute(0, 100, "matches: [{headers: [{name: x-canary, value: \"true\"}]}]\n      "));
  ASSERT_TRUE(server_.WaitForLine(
      {"HTTPRoute not applied", "HTTPRoute trafficsplit-sample/backend-route",
       "spec.rules[0].matches[0] matches headers, which plain weights cannot express"},
      kWait));
  io::destination::debug::v1::Explanation why = Explain();
  EXPECT_EQ(why.profile().overrides_source(), "trafficsplit");
  EXPECT_FALSE(why.profile().has_route_applied());
  ASSERT_EQ(why.profile().routes_ignored_size(), 1);
  EXPECT_EQ(why.profile().routes_ignored(0).route().name(), "trafficsplit-sample/backend-route");
  EXPECT_EQ(why.profile().routes_ignored(0).route().group(), "gateway.networking.k8s.io");
  EXPECT_TRUE(why.profile().routes_ignored(0).problem());
  EXPECT_EQ(why.profile().routes_ignored(0).reason(),
            "spec.rules[0].matches[0] matches headers, which plain weights cannot express");
  EXPECT_EQ(Metrics()["destination_httproute_unusable_total"], 1);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  io::destination::debug::v1::EventList events;
  ASSERT_TRUE(io::destination::debug::v1::Debug::NewStub(channel_)
                  ->Events(&ctx, io::destination::debug::v1::EventsRequest(), &events)
                  .ok());
  bool recorded = false;
  for (const auto& e : events.events()) {
    recorded = recorded || (e.kind() == "httproute_not_applied" &&
                            e.object() == "HTTPRoute trafficsplit-sample/backend-route" &&
                            e.message().find("matches headers") != std::string::npos);
  }
  EXPECT_TRUE(recorded) << events.DebugString();
  EXPECT_EQ(stream->Pending(), 0u) << "an unusable route changed what proxies see";

  // Fixed (the match removed): applied at once.
  WriteFile(dir_ + "/route.yaml", BackendRoute(0, 100));
  auto fixed = stream->Next();
  ASSERT_TRUE(fixed.has_value());
  EXPECT_EQ(Overrides(*fixed), BackendAndFailing(0, 1000000));
}

TEST_F(EndToEndTest, GetFollowsEndpointSliceEdits) {
  auto stream = Get(kBackend);
  auto first = stream->Next();
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(first->has_add()) << first->DebugString();
  ASSERT_EQ(first->add().addrs_size(), 2);
  EXPECT_EQ(first->add().metric_labels().at("service"), "backend-svc");
  EXPECT_EQ(first->add().metric_labels().at("namespace"), "trafficsplit-sample");
  std::set<std::string> addrs;
  for (const auto& a : first->add().addrs()) {
    addrs.insert(Ip(a.addr()));
    EXPECT_EQ(a.weight(), 10000u);
    EXPECT_EQ(a.tls_identity().dns_like_identity().name(),
              "backend.trafficsplit-sample.serviceaccount.identity.linkerd.cluster.local");
  }
  EXPECT_EQ(addrs, (std::set<std::string>{"10.244.1.10:8080", "10.244.2.10:8080"}));

  // One endpoint turns not ready: exactly a remove of it.
  Edit("backend.yaml", "ready: true\n    nodeName: node-2", "ready: false\n    nodeName: node-2");
  auto removed = stream->Next();
  ASSERT_TRUE(removed.has_value());
  ASSERT_TRUE(removed->has_remove()) << removed->DebugString();
  ASSERT_EQ(removed->remove().addrs_size(), 1);
  EXPECT_EQ(Ip(removed->remove().addrs(0)), "10.244.2.10:8080");

  // The other one too: no endpoints, the Service exists.
  Edit("backend.yaml", "ready: true\n    nodeName: node-1", "ready: false\n    nodeName: node-1");
  auto none = stream->Next();
  ASSERT_TRUE(none.has_value());
  ASSERT_TRUE(none->has_no_endpoints()) << none->DebugString();
  EXPECT_TRUE(none->no_endpoints().exists());

  // Back: an add of the ready one.
  Edit("backend.yaml", "ready: false\n    nodeName: node-1", "ready: true\n    nodeName: node-1");
  auto back = stream->Next();
  ASSERT_TRUE(back.has_value());
  ASSERT_TRUE(back->has_add());
  ASSERT_EQ(back->add().addrs_size(), 1);
  EXPECT_EQ(Ip(back->add().addrs(0).addr()), "10.244.1.10:8080");
}

TEST_F(EndToEndTest, GetScalesToZeroAndBack) {
  auto stream = Get(kBackend);
  auto first = stream->Next();
  ASSERT_TRUE(first.has_value() && first->has_add());
  std::string yaml = ReadFileOrDie(dir_ + "/backend.yaml");
  size_t at = yaml.find("endpoints:\n  - addresses: [10.244.1.10]");
  ASSERT_NE(at, std::string::npos);
  WriteFile(dir_ + "/backend.yaml", yaml.substr(0, at) + "endpoints: []\n");
  auto none = stream->Next();
  ASSERT_TRUE(none.has_value());
  ASSERT_TRUE(none->has_no_endpoints()) << none->DebugString();
  EXPECT_TRUE(none->no_endpoints().exists());
  WriteFile(dir_ + "/backend.yaml", yaml);
  auto back = stream->Next();
  ASSERT_TRUE(back.has_value());
  ASSERT_TRUE(back->has_add());
  EXPECT_EQ(back->add().addrs_size(), 2);
}

TEST_F(EndToEndTest, ProfilesForIpsAndInstances) {
  // A cluster IP is its Service.
  auto by_ip = Profile("10.96.10.1:8080");
  auto svc = by_ip->Next();
  ASSERT_TRUE(svc.has_value());
  EXPECT_EQ(svc->fully_qualified_name(), "backend-svc.trafficsplit-sample.svc.cluster.local");
  EXPECT_EQ(svc->dst_overrides_size(), 2);

  // A pod IP: the endpoint profile.
  auto pod = Profile("10.244.1.10:8080");
  auto ep = pod->Next();
  ASSERT_TRUE(ep.has_value());
  EXPECT_TRUE(ep->fully_qualified_name().empty());
  EXPECT_EQ(ep->endpoint().metric_labels().at("pod"), "backend-6b8f7c9d5f-4xk2p");
  EXPECT_EQ(ep->endpoint().metric_labels().at("namespace"), "trafficsplit-sample");
  EXPECT_FALSE(ep->endpoint().tls_identity().dns_like_identity().name().empty());

  // An unknown instance: NOT_FOUND.
  auto instance = Profile("nope.backend-svc.trafficsplit-sample.svc.cluster.local:8080");
  auto status = instance->End();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->error_code(), grpc::StatusCode::NOT_FOUND) << status->error_message();

  // Two pods claiming one IP: FAILED_PRECONDITION naming them.
  WriteFile(dir_ + "/clash.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: impostor\n  namespace: other\n"
            "status:\n  phase: Running\n  podIP: 10.244.1.10\n");
  ASSERT_TRUE(server_.WaitForLine({"\"msg\":\"manifests rescanned\""}, kWait));
  // The open stream loses its endpoint (two claimants), a new one is refused.
  auto lost = pod->Next();
  ASSERT_TRUE(lost.has_value());
  EXPECT_FALSE(lost->has_endpoint());
  auto clash = Profile("10.244.1.10:8080");
  auto cstatus = clash->End();
  ASSERT_TRUE(cstatus.has_value());
  EXPECT_EQ(cstatus->error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(cstatus->error_message().find("other/impostor"), std::string::npos);
}

TEST_F(EndToEndTest, UnknownServiceAndBadAuthority) {
  auto missing = Get("nope.trafficsplit-sample.svc.cluster.local:8080");
  auto m = missing->Next();
  ASSERT_TRUE(m.has_value());
  ASSERT_TRUE(m->has_no_endpoints());
  EXPECT_FALSE(m->no_endpoints().exists());

  auto bad = Profile("not a name:99999");
  EXPECT_FALSE(bad->Next(absl::Seconds(5)).has_value());
  auto status = bad->End();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status->error_message().find("not a name:99999"), std::string::npos);
}

TEST_F(EndToEndTest, AdminHealthAndReflection) {
  auto live = HttpGet(admin_port_, "/live");
  EXPECT_EQ(live.first, 200);
  auto ready = HttpGet(admin_port_, "/ready");
  EXPECT_EQ(ready.first, 200);
  auto metrics = HttpGet(admin_port_, "/metrics");
  EXPECT_EQ(metrics.first, 200);
  EXPECT_NE(metrics.second.find("destination_store_objects{kind=\"Service\"} 2"), std::string::npos)
      << metrics.second;
  // The process's own gauges, read from /proc and the allocator at scrape time.
  auto values = Metrics();
  for (const char* name : {"process_resident_memory_bytes", "process_virtual_memory_bytes",
                           "process_open_fds", "process_max_fds", "process_start_time_seconds"}) {
    EXPECT_GT(values[name], 0) << name;
  }
  EXPECT_GE(values["process_cpu_seconds_total"], 0);
  EXPECT_GT(values["process_start_time_seconds"], absl::ToUnixSeconds(absl::Now()) - 600);
  EXPECT_TRUE(values.count("destination_heap_allocated_bytes"));
  EXPECT_TRUE(values.count("destination_heap_free_bytes"));

  auto health = grpc::health::v1::Health::NewStub(channel_);
  grpc::ClientContext hctx;
  hctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::health::v1::HealthCheckRequest hreq;
  grpc::health::v1::HealthCheckResponse hresp;
  ASSERT_TRUE(health->Check(&hctx, hreq, &hresp).ok());
  EXPECT_EQ(hresp.status(), grpc::health::v1::HealthCheckResponse::SERVING);

  // What grpcurl does: list services, then fetch the descriptor of the Destination service.
  namespace refl = grpc::reflection::v1alpha;
  auto reflection = refl::ServerReflection::NewStub(channel_);
  grpc::ClientContext rctx;
  rctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto rs = reflection->ServerReflectionInfo(&rctx);
  refl::ServerReflectionRequest list;
  list.set_list_services("");
  ASSERT_TRUE(rs->Write(list));
  refl::ServerReflectionResponse resp;
  ASSERT_TRUE(rs->Read(&resp));
  std::set<std::string> names;
  for (const auto& s : resp.list_services_response().service()) names.insert(s.name());
  EXPECT_TRUE(names.count("io.linkerd.proxy.destination.Destination"));
  EXPECT_TRUE(names.count("grpc.health.v1.Health"));
  for (const char* symbol : {"io.linkerd.proxy.destination.Destination", "grpc.health.v1.Health"}) {
    refl::ServerReflectionRequest req;
    req.set_file_containing_symbol(symbol);
    ASSERT_TRUE(rs->Write(req));
    ASSERT_TRUE(rs->Read(&resp));
    EXPECT_TRUE(resp.has_file_descriptor_response()) << symbol << ": " << resp.DebugString();
  }
  rs->WritesDone();
  rs->Finish();
}

// Sends one request (serialized) on a new ServerReflectionInfo stream of `stub` and returns the
// serialized answer ("" when none came).
template <typename Request, typename Response, typename Stub>
std::string AskReflectionOnce(Stub* stub, const std::string& request_bytes) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto stream = stub->ServerReflectionInfo(&context);
  Request request;
  EXPECT_TRUE(request.ParseFromString(request_bytes));
  Response response;
  if (!stream->Write(request) || !stream->Read(&response)) return "";
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
  return response.SerializeAsString();
}

// Reflection v1, which newer grpcurl and Postman ask for first, answers as the v1alpha service of
// gRPC's plugin does: the same services (every one the binary registers), the same files, the
// same errors. The two protos are wire-identical, so the answers are compared as bytes. One
// request per stream: gRPC 1.51's v1alpha service reuses one response message for all the
// requests of a stream (its later answers carry the earlier answers' files too), which v1 does
// not copy.
TEST_F(EndToEndTest, ReflectionV1AnswersAsV1alpha) {
  namespace v1 = grpc::reflection::v1;
  namespace v1alpha = grpc::reflection::v1alpha;
  auto v1_stub = v1::ServerReflection::NewStub(channel_);
  auto v1alpha_stub = v1alpha::ServerReflection::NewStub(channel_);
  // Both answers to `request`; the v1 one, decoded.
  auto ask = [&](v1::ServerReflectionRequest request) {
    request.set_host(absl::StrCat("127.0.0.1:", grpc_port_));
    const std::string bytes = request.SerializeAsString();
    const std::string v1_answer =
        AskReflectionOnce<v1::ServerReflectionRequest, v1::ServerReflectionResponse>(v1_stub.get(),
                                                                                     bytes);
    const std::string v1alpha_answer =
        AskReflectionOnce<v1alpha::ServerReflectionRequest, v1alpha::ServerReflectionResponse>(
            v1alpha_stub.get(), bytes);
    v1::ServerReflectionResponse response;
    EXPECT_FALSE(v1_answer.empty()) << request.DebugString();
    EXPECT_TRUE(response.ParseFromString(v1_answer));
    EXPECT_EQ(v1_answer, v1alpha_answer) << request.DebugString();
    return response;
  };

  v1::ServerReflectionRequest list;
  list.set_list_services("");
  const v1::ServerReflectionResponse services = ask(list);
  std::set<std::string> names;
  for (const auto& s : services.list_services_response().service()) names.insert(s.name());
  EXPECT_EQ(names, (std::set<std::string>{
                       "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
                       "grpc.reflection.v1alpha.ServerReflection", "io.destination.debug.v1.Debug",
                       "io.linkerd.proxy.destination.Destination"}));
  for (const std::string& name : names) {
    v1::ServerReflectionRequest request;
    request.set_file_containing_symbol(name);
    const v1::ServerReflectionResponse files = ask(request);
    ASSERT_TRUE(files.has_file_descriptor_response()) << name << ": " << files.DebugString();
    google::protobuf::FileDescriptorProto first;
    ASSERT_TRUE(first.ParseFromString(files.file_descriptor_response().file_descriptor_proto(0)));
    bool declared = false;
    for (const auto& service : first.service()) {
      declared |= absl::StrCat(first.package(), ".", service.name()) == name;
    }
    EXPECT_TRUE(declared) << name << " is not declared in " << first.name();
  }

  std::vector<v1::ServerReflectionRequest> others(8);
  others[0].set_file_by_filename("destination.proto");
  others[1].set_file_by_filename("no/such.proto");
  others[2].set_file_containing_symbol("io.linkerd.proxy.destination.GetDestination");
  others[3].set_file_containing_symbol("no.such.Symbol");
  auto* extension = others[4].mutable_file_containing_extension();
  extension->set_containing_type("google.protobuf.FieldOptions");
  extension->set_extension_number(1);
  others[5].set_all_extension_numbers_of_type("google.protobuf.FieldOptions");
  others[6].set_all_extension_numbers_of_type("no.such.Type");
  // others[7]: no question at all (UNIMPLEMENTED).
  for (const v1::ServerReflectionRequest& request : others) ask(request);
  EXPECT_EQ(ask(others[3]).error_response().error_code(),
            static_cast<int>(grpc::StatusCode::NOT_FOUND));
}

// `destctl health`, as the image check and operators use it: exit 0 only for SERVING.
TEST_F(EndToEndTest, DestctlHealth) {
  const char* bin = std::getenv("DEST_BIN_DIR");
  if (bin == nullptr) bin = DEST_BIN_DIR_DEFAULT;
  const std::string destctl = absl::StrCat(bin, "/destctl");
  ChildProcess serving;
  ASSERT_TRUE(serving.Start({destctl, absl::StrCat("-addr=127.0.0.1:", grpc_port_), "health"}));
  EXPECT_EQ(serving.Wait(kWait), 0);
  ChildProcess unknown;  // a service name the server does not know: NOT_FOUND, exit 1
  ASSERT_TRUE(
      unknown.Start({destctl, absl::StrCat("-addr=127.0.0.1:", grpc_port_), "health", "nope"}));
  EXPECT_EQ(unknown.Wait(kWait), 1);
  EXPECT_TRUE(unknown.WaitForLine({"destctl: health: NOT_FOUND"}, absl::Seconds(1)));
  ChildProcess unreachable;  // the admin port speaks HTTP/1: no gRPC connection
  ASSERT_TRUE(unreachable.Start({destctl, absl::StrCat("-addr=127.0.0.1:", admin_port_),
                                 "--connect-timeout=300ms", "health"}));
  EXPECT_EQ(unreachable.Wait(kWait), 1);
  ChildProcess usage;
  ASSERT_TRUE(usage.Start({destctl, "health", "a", "b"}));
  EXPECT_EQ(usage.Wait(kWait), 2);
}

TEST_F(EndToEndTest, SigtermEndsStreamsWithUnavailable) {
  auto stream = Profile(kBackend);
  ASSERT_TRUE(stream->Next().has_value());
  server_.Signal(SIGTERM);
  auto status = stream->End();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->error_code(), grpc::StatusCode::UNAVAILABLE);
  auto code = server_.Wait(kWait);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
  EXPECT_TRUE(server_.WaitForLine({"\"msg\":\"stopped\""}, absl::Seconds(1)));
}

// Manifests an attacker (or a typo) could write: each is rejected with its file and line, the
// service keeps serving, and the rest of the directory is unaffected.
std::string RecursiveAlias() {
  return RecursiveAliasProfile("backend-svc.trafficsplit-sample.svc.cluster.local",
                               "trafficsplit-sample");
}
std::string AliasBomb() {
  return AliasBombProfile("failing-svc.trafficsplit-sample.svc.cluster.local",
                          "trafficsplit-sample");
}

class HostileManifestsAtStartTest : public EndToEndTest {
 protected:
  void Prepare() override {
    WriteFile(dir_ + "/recursive.yaml", RecursiveAlias());
    WriteFile(dir_ + "/bomb.yaml", AliasBomb());
  }
};

// With the files present from the start, the service starts (no crash loop) and serves the rest.
TEST_F(HostileManifestsAtStartTest, ServiceStartsAndServesTheRest) {
  EXPECT_TRUE(
      server_.WaitForLine({"manifest rejected", "recursive.yaml:7", "nested deeper"}, kWait));
  EXPECT_TRUE(server_.WaitForLine({"manifest rejected", "bomb.yaml", "alias"}, kWait));
  auto stream = Profile(kBackend);
  auto first = stream->Next();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->dst_overrides_size(), 2);  // the example's TrafficSplit still applies
}

TEST_F(EndToEndTest, HostileManifestsWrittenLaterAreRejected) {
  auto stream = Profile(kBackend);
  ASSERT_TRUE(stream->Next().has_value());
  WriteFile(dir_ + "/recursive.yaml", RecursiveAlias());
  WriteFile(dir_ + "/bomb.yaml", AliasBomb());
  WriteFile(dir_ + "/utf8.yaml",
            "apiVersion: linkerd.io/v1alpha2\nkind: ServiceProfile\n"
            "metadata: {name: backend-svc.trafficsplit-sample.svc.cluster.local, namespace: "
            "trafficsplit-sample}\nspec:\n  routes:\n  - name: \"bad\xff\"\n"
            "    condition: {method: GET}\n");
  EXPECT_TRUE(server_.WaitForLine({"manifest rejected", "recursive.yaml:7"}, kWait));
  EXPECT_TRUE(server_.WaitForLine({"manifest rejected", "bomb.yaml"}, kWait));
  EXPECT_TRUE(server_.WaitForLine({"manifest rejected", "utf8.yaml:6", "invalid UTF-8"}, kWait));
  EXPECT_FALSE(stream->Next(absl::Milliseconds(300)).has_value()) << "a rejected file changed it";
  auto again = Profile(kBackend);
  EXPECT_TRUE(again->Next().has_value());
}

// The manifests source never deletes what it cannot see. The server runs as an unprivileged user
// (65534) when the test runs as root, so that permissions apply to it.
class ManifestFaultsTest : public EndToEndTest {
 protected:
  int RunAsUid() const override { return 65534; }
  std::vector<std::string> ExtraFlags() const override { return {"-max-manifest-bytes=20000"}; }
  void Prepare() override {
    fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec);
    fs::create_directory(dir_ + "/split");
    fs::permissions(dir_ + "/split", fs::status(dir_).permissions());
    fs::rename(dir_ + "/trafficsplit.yaml", dir_ + "/split/trafficsplit.yaml");
    // Two links back to the root: each directory is read once however it is reached.
    fs::create_directory_symlink(dir_, dir_ + "/loop-a");
    fs::create_directory_symlink(dir_, dir_ + "/split/loop-b");
  }
  // One series' value as text ("1"), or "(absent)".
  std::string Metric(const std::string& series) {
    auto all = Metrics();
    auto it = all.find(series);
    return it == all.end() ? "(absent)" : absl::StrCat(it->second);
  }
  bool WaitForMetric(const std::string& series, const std::string& want) {
    return WaitUntil([&] { return Metric(series) == want; });
  }
  // The profile of kBackend as a new stream sees it.
  std::vector<std::pair<std::string, uint32_t>> CurrentOverrides() {
    auto p = Profile(kBackend)->Next();
    return p.has_value() ? Overrides(*p) : std::vector<std::pair<std::string, uint32_t>>{};
  }
};

TEST_F(ManifestFaultsTest, SymlinkCyclesAreReadOnce) {
  EXPECT_TRUE(server_.WaitForLine({"reached again through a link", "loop-a"}, kWait));
  EXPECT_TRUE(server_.WaitForLine({"reached again through a link", "loop-b"}, kWait));
  EXPECT_EQ(CurrentOverrides().size(), 2u);  // the split in split/ is read (once)
  // Still watched: an edit applies at once (the old walk never finished with two such links).
  auto profile = Profile(kBackend);
  ASSERT_TRUE(profile->Next().has_value());
  Edit("split/trafficsplit.yaml", SplitWeights("500", "500"), SplitWeights("900", "100"));
  EXPECT_TRUE(profile->Next().has_value());
}

TEST_F(ManifestFaultsTest, DirectoryGoneForAMomentKeepsEverything) {
  auto get = Get(kBackend);
  ASSERT_TRUE(get->Next().has_value());
  auto profile = Profile(kBackend);
  ASSERT_TRUE(profile->Next().has_value());
  fs::rename(dir_, dir_ + ".away");
  EXPECT_TRUE(server_.WaitForLine({"manifests directory unavailable"}, kWait));
  EXPECT_TRUE(WaitForMetric("destination_manifests_degraded", "1"));
  EXPECT_EQ(HttpGet(admin_port_, "/ready").first, 200);
  EXPECT_EQ(CurrentOverrides().size(), 2u);
  EXPECT_FALSE(get->Next(absl::Milliseconds(1500)).has_value()) << "endpoints were removed";
  EXPECT_FALSE(profile->Next(absl::Milliseconds(10)).has_value()) << "the profile changed";

  fs::rename(dir_ + ".away", dir_);
  EXPECT_TRUE(server_.WaitForLine({"manifests directory available again"}, kWait));
  EXPECT_TRUE(WaitForMetric("destination_manifests_degraded", "0"));
  // Watched again: an edit after the return applies.
  Edit("split/trafficsplit.yaml", SplitWeights("500", "500"), SplitWeights("900", "100"));
  auto shifted = profile->Next();
  ASSERT_TRUE(shifted.has_value());
  EXPECT_EQ(shifted->dst_overrides(0).weight(), 9000000u);
}

TEST_F(ManifestFaultsTest, UnreadableSubdirectoryAndFileKeepTheirObjects) {
  auto profile = Profile(kBackend);
  ASSERT_TRUE(profile->Next().has_value());
  fs::permissions(dir_ + "/split", fs::perms::none);
  EXPECT_TRUE(server_.WaitForLine({"manifests subdirectory unreadable", "/split"}, kWait));
  EXPECT_TRUE(WaitForMetric("destination_manifests_degraded", "1"));
  EXPECT_EQ(Metric("destination_manifests_errors_total{reason=\"unreadable_dir\"}"), "1");
  EXPECT_FALSE(profile->Next(absl::Milliseconds(300)).has_value()) << "the split was dropped";
  EXPECT_EQ(CurrentOverrides().size(), 2u);
  fs::permissions(dir_ + "/split", fs::status(dir_).permissions());
  EXPECT_TRUE(WaitForMetric("destination_manifests_degraded", "0"));  // the periodic rescan

  fs::permissions(dir_ + "/split/trafficsplit.yaml", fs::perms::none);
  EXPECT_TRUE(server_.WaitForLine({"manifest file unreadable", "trafficsplit.yaml"}, kWait));
  EXPECT_FALSE(profile->Next(absl::Milliseconds(300)).has_value()) << "the split was dropped";
  EXPECT_EQ(CurrentOverrides().size(), 2u);
}

TEST_F(ManifestFaultsTest, OversizedFileIsRejectedLikeABadOne) {
  auto profile = Profile(kBackend);
  ASSERT_TRUE(profile->Next().has_value());
  std::string split = ReadFileOrDie(dir_ + "/split/trafficsplit.yaml");
  WriteFile(dir_ + "/split/trafficsplit.yaml", split + "# " + std::string(30000, 'x') + "\n");
  EXPECT_TRUE(server_.WaitForLine({"manifest rejected", "larger than 20000 bytes"}, kWait));
  EXPECT_EQ(Metric("destination_manifests_errors_total{reason=\"too_large\"}"), "1");
  EXPECT_FALSE(profile->Next(absl::Milliseconds(300)).has_value());
}

// A TrafficSplit edited into an invalid state keeps its last valid weights, as a ServiceProfile
// does, for the streams already open and for those opened after the bad edit alike.
TEST_F(EndToEndTest, InvalidSplitEditKeepsTheLastValidWeights) {
  using O = std::vector<std::pair<std::string, uint32_t>>;
  const O half = {{"backend-svc.trafficsplit-sample.svc.cluster.local.:8080", 5000000},
                  {"failing-svc.trafficsplit-sample.svc.cluster.local.:8080", 5000000}};
  auto stream = Profile(kBackend);
  auto first = stream->Next();
  ASSERT_TRUE(first.has_value());
  ASSERT_EQ(Overrides(*first), half);

  Edit("trafficsplit.yaml", SplitWeights("500", "500"), SplitWeights("500", "lots"));
  EXPECT_TRUE(
      server_.WaitForLine({"TrafficSplit problem", "its last valid weights stay in force"}, kWait));
  EXPECT_FALSE(stream->Next(absl::Milliseconds(300)).has_value()) << "the split was dropped";
  auto later = Profile(kBackend)->Next();
  ASSERT_TRUE(later.has_value());
  EXPECT_EQ(Overrides(*later), half) << "a new stream disagrees with the open ones";

  Edit("trafficsplit.yaml", SplitWeights("500", "lots"), SplitWeights("900", "100"));
  auto fixed = stream->Next();
  ASSERT_TRUE(fixed.has_value());
  EXPECT_EQ(Overrides(*fixed),
            (O{{"backend-svc.trafficsplit-sample.svc.cluster.local.:8080", 9000000},
               {"failing-svc.trafficsplit-sample.svc.cluster.local.:8080", 1000000}}));
}

// The metrics operators chart, as Prometheus scrapes them from the real binary:
// go-grpc-prometheus's names for every call (pre-created at zero, then counting a stream's messages
// and its end by code), Linkerd's destination names, the change-to-stream latency, streams closed
// by reason and build info; and the stream open/close debug lines, which never carry the context
// token.
TEST_F(EndToEndTest, MetricsAndLogsOperatorsRelyOn) {
  const std::string gp =
      "grpc_method=\"GetProfile\",grpc_service=\"io.linkerd.proxy.destination.Destination\","
      "grpc_type=\"server_stream\"";
  std::map<std::string, double> m = Metrics();
  EXPECT_EQ(m.count("grpc_server_started_total{" + gp + "}"), 1u) << "not pre-created";
  EXPECT_EQ(m.count("grpc_server_handled_total{grpc_code=\"Unavailable\"," + gp + "}"), 1u);
  EXPECT_EQ(m.count("grpc_server_started_total{grpc_method=\"Explain\",grpc_service=\"io."
                    "destination.debug.v1.Debug\",grpc_type=\"unary\"}"),
            1u);
  EXPECT_EQ(m["services_cache_size"], 2);
  EXPECT_EQ(m["pods_cache_size"], m["destination_store_objects{kind=\"Pod\"}"]);
  EXPECT_EQ(m.at("profile_subscribers"), 0);
  bool build_info = false;
  for (const auto& [series, value] : m) {
    build_info |= series.starts_with("destination_build_info{") && value == 1 &&
                  series.find("version=\"" DEST_VERSION "\"") != std::string::npos;
  }
  EXPECT_TRUE(build_info);

  {
    auto stream =
        Profile(kBackend, R"({"ns":"trafficsplit-sample","secret":"TOKEN-NEVER-LOGGED"})");
    ASSERT_TRUE(stream->Next().has_value());
    EXPECT_TRUE(WaitUntil([&] { return Metrics()["profile_subscribers"] == 1; }));
    Edit("trafficsplit.yaml", SplitWeights("500", "500"), SplitWeights("900", "100"));
    ASSERT_TRUE(stream->Next().has_value());
    EXPECT_TRUE(WaitUntil([&] {
      return Metrics()["destination_update_latency_seconds_count{rpc=\"GetProfile\"}"] == 1;
    }));
    // A message is counted sent when its write completes (OnWriteDone), which can come after the
    // client has read it: wait for the count, then check it is exactly the two messages.
    EXPECT_TRUE(
        WaitUntil([&] { return Metrics()["grpc_server_msg_sent_total{" + gp + "}"] >= 2; }));
    m = Metrics();
    EXPECT_GE(m["profile_updates"], 1);
    EXPECT_EQ(m["grpc_server_started_total{" + gp + "}"], 1);
    EXPECT_EQ(m["grpc_server_msg_sent_total{" + gp + "}"], 2);
    EXPECT_EQ(m["grpc_server_msg_received_total{" + gp + "}"], 1);
    EXPECT_LT(m["destination_update_latency_seconds_sum{rpc=\"GetProfile\"}"], 5);
  }  // the client cancels
  EXPECT_TRUE(WaitUntil([&] {
    auto m = Metrics();
    return m["grpc_server_handled_total{grpc_code=\"Canceled\"," + gp + "}"] == 1 &&
           m["destination_streams_closed_total{reason=\"client_cancelled\",rpc=\"GetProfile\"}"] ==
               1 &&
           m["grpc_server_handling_seconds_count{" + gp + "}"] == 1 &&
           m["profile_subscribers"] == 0;
  }));
  // Other services are counted by the interceptor: a Debug/Explain call, unary, OK.
  grpc::ClientContext ctx;
  io::destination::debug::v1::ExplainRequest explain;
  explain.set_authority(kBackend);
  io::destination::debug::v1::Explanation explanation;
  ASSERT_TRUE(io::destination::debug::v1::Debug::NewStub(channel_)
                  ->Explain(&ctx, explain, &explanation)
                  .ok());
  EXPECT_EQ(explanation.profile().split_applied().name(), "trafficsplit-sample/backend-split");
  EXPECT_TRUE(WaitUntil([&] {
    return Metrics()
               ["grpc_server_handled_total{grpc_code=\"OK\",grpc_method=\"Explain\","
                "grpc_service=\"io.destination.debug.v1.Debug\",grpc_type=\"unary\"}"] == 1;
  }));
  EXPECT_FALSE(Profile("not a name:99999")->Next().has_value());
  EXPECT_TRUE(WaitUntil([&] {
    return Metrics()["grpc_server_handled_total{grpc_code=\"InvalidArgument\"," + gp + "}"] == 1;
  }));

  // The service logs JSON here (DestinationProcess).
  EXPECT_TRUE(server_.WaitForLine(
      {R"("msg":"stream opened")", R"("rpc":"GetProfile")", R"("peer":"ipv4:127.0.0.1:)",
       R"("authority":"backend-svc.trafficsplit-sample)"},
      kWait));
  EXPECT_TRUE(server_.WaitForLine({R"("msg":"stream closed")", R"("peer":"ipv4:127.0.0.1:)",
                                   R"("reason":"client_cancelled")", R"("duration":")"},
                                  kWait));
  for (const std::string& line : server_.Lines()) {
    EXPECT_EQ(line.find("TOKEN-NEVER-LOGGED"), std::string::npos) << line;
  }
}

// docs/metrics.md lists every metric family /metrics serves, so the page operators read stays
// true.
TEST_F(EndToEndTest, EveryMetricIsDocumented) {
  const std::string doc = ReadFileOrDie(SourceDir() / "docs" / "metrics.md");
  auto [status, body] = HttpGet(admin_port_, "/metrics");
  ASSERT_EQ(status, 200);
  std::istringstream lines(body);
  size_t families = 0;
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("# TYPE ")) continue;
    const std::string name = line.substr(7, line.find(' ', 7) - 7);
    ++families;
    EXPECT_NE(doc.find("`" + name + "`"), std::string::npos) << name << " not in docs/metrics.md";
  }
  EXPECT_GT(families, 40u);
}

// -log-format=json holds for startup errors too: a bad flag is one JSON line, not Abseil's text.
TEST(StartupErrorTest, JsonLogFormatCoversBadFlags) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"-log-format=json", "-no-such-flag=1"},
           {"--log-format", "json", "-max-streams=lots"},
           {"-log-format=json", "-manifests=/nonexistent", "-addr=x"}}) {
    const char* bin = std::getenv("DEST_BIN_DIR");
    ChildProcess p;
    std::vector<std::string> argv = {
        absl::StrCat(bin ? bin : DEST_BIN_DIR_DEFAULT, "/destination")};
    argv.insert(argv.end(), args.begin(), args.end());
    ASSERT_TRUE(p.Start(argv));
    EXPECT_EQ(p.Wait(kWait), 2);
    const std::vector<std::string> lines = p.Lines();
    ASSERT_FALSE(lines.empty());
    EXPECT_TRUE(lines.back().starts_with("{") &&
                lines.back().find("\"level\":\"error\"") != std::string::npos)
        << lines.back();
  }
}

// A client's request is bounded: a huge authority or context token is refused with a short status
// that does not echo it (a 1 MB echo would exceed the client's metadata limit and hide the reason).
TEST_F(EndToEndTest, OversizedRequestsAreRefusedWithABoundedStatus) {
  auto huge = Profile(std::string(1 << 20, 'a') + ".ns.svc.cluster.local:80");
  auto status = huge->End();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_LT(status->error_message().size(), 200u);
  EXPECT_NE(status->error_message().find("-max-authority-bytes"), std::string::npos)
      << status->error_message();

  auto token = Profile(kBackend, R"({"ns":")" + std::string(1 << 20, 'n') + R"("})");
  status = token->End();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status->error_message().find("-max-context-token-bytes"), std::string::npos);

  auto get = Get(std::string(5000, 'b') + ".ns.svc.cluster.local:80");
  status = get->End();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_LT(status->error_message().size(), 200u);
}

class StreamLimitTest : public EndToEndTest {
 protected:
  std::vector<std::string> ExtraFlags() const override { return {"-max-streams=3"}; }
};

TEST_F(StreamLimitTest, StreamsBeyondTheLimitAreRefusedUntilOneEnds) {
  auto a = Profile(kBackend);
  auto b = Get(kBackend);
  auto c = Profile(kBackend);
  ASSERT_TRUE(a->Next().has_value());
  ASSERT_TRUE(b->Next().has_value());
  ASSERT_TRUE(c->Next().has_value());
  auto refused = Profile(kBackend);
  auto status = refused->End();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(status->error_message().find("-max-streams=3"), std::string::npos);
  c.reset();  // cancels one stream; its slot frees as soon as gRPC ends it
  const absl::Time deadline = absl::Now() + kWait;
  bool admitted = false;
  while (!admitted && absl::Now() < deadline) {
    auto d = Profile(kBackend);
    admitted = d->Next(absl::Seconds(1)).has_value();
  }
  EXPECT_TRUE(admitted);
}

// SIGHUP's default action would kill the service without a drain; it is logged and ignored.
TEST_F(EndToEndTest, SighupIsLoggedAndIgnored) {
  server_.Signal(SIGHUP);
  EXPECT_TRUE(server_.WaitForLine({"SIGHUP ignored"}, kWait));
  auto stream = Profile(kBackend);
  EXPECT_TRUE(stream->Next().has_value()) << "the service stopped serving after SIGHUP";
}

// Clients that stall the server's writes (a flow-control window of 0, never read) and then
// vanish or linger: their streams must be released and must not hold shutdown.
class HostileClientTest : public EndToEndTest {
 protected:
  std::vector<std::string> ExtraFlags() const override { return {"-shutdown-grace=1s"}; }

  // destination_streams, summed over both RPCs.
  double OpenStreamsGauge() {
    double total = 0;
    for (const auto& [series, value] : Metrics()) {
      if (series.rfind("destination_streams{", 0) == 0) total += value;
    }
    return total;
  }
  bool WaitForGauge(double want, absl::Duration timeout) {
    return WaitUntil([&] { return OpenStreamsGauge() == want; }, timeout);
  }
  // `connections` raw clients, each with `per` GetProfile streams whose first write stalls.
  std::vector<std::unique_ptr<RawH2Client>> Stall(int connections, int per) {
    pb::GetDestination req;
    req.set_scheme("k8s");
    req.set_path(kBackend);
    std::vector<std::unique_ptr<RawH2Client>> clients;
    for (int i = 0; i < connections; ++i) {
      auto c = std::make_unique<RawH2Client>();
      absl::Status s = c->Connect(grpc_port_, /*stream_window=*/0);
      EXPECT_TRUE(s.ok()) << s;
      s = c->OpenStreams("/io.linkerd.proxy.destination.Destination/GetProfile",
                         req.SerializeAsString(), per);
      EXPECT_TRUE(s.ok()) << s;
      clients.push_back(std::move(c));
    }
    return clients;
  }
};

TEST_F(HostileClientTest, VanishedClientsReleaseTheirStreams) {
  auto clients = Stall(4, 250);
  ASSERT_TRUE(WaitForGauge(1000, kWait)) << OpenStreamsGauge();
  for (auto& c : clients) c->Close();  // vanish with the server's writes in flight
  EXPECT_TRUE(WaitForGauge(0, absl::Seconds(5))) << OpenStreamsGauge() << " streams still open";
  server_.Signal(SIGTERM);
  EXPECT_EQ(server_.Wait(absl::Seconds(5)), 0);
}

TEST_F(HostileClientTest, StalledClientsDoNotHoldShutdown) {
  auto clients = Stall(2, 100);
  ASSERT_TRUE(WaitForGauge(200, kWait)) << OpenStreamsGauge();
  const absl::Time start = absl::Now();
  server_.Signal(SIGTERM);
  // -shutdown-grace=1s: the stalled streams are cancelled at the grace's end.
  EXPECT_EQ(server_.Wait(absl::Seconds(6)), 0);
  EXPECT_LT(absl::Now() - start, absl::Seconds(4));
  EXPECT_TRUE(server_.WaitForLine({"\"msg\":\"stopped\""}, absl::Seconds(1)));
}

class LongGraceTest : public HostileClientTest {
 protected:
  std::vector<std::string> ExtraFlags() const override { return {"-shutdown-grace=60s"}; }
};

TEST_F(LongGraceTest, SecondSigtermExitsAtOnce) {
  auto clients = Stall(1, 10);  // keep the drain waiting for the whole grace
  ASSERT_TRUE(WaitForGauge(10, kWait)) << OpenStreamsGauge();
  server_.Signal(SIGTERM);
  ASSERT_TRUE(server_.WaitForLine({"shutting down"}, kWait));
  EXPECT_FALSE(server_.Wait(absl::Milliseconds(300)).has_value()) << "the drain did not wait";
  server_.Signal(SIGTERM);
  EXPECT_EQ(server_.Wait(absl::Seconds(3)), 1);
  EXPECT_TRUE(server_.WaitForLine({"second stop signal"}, absl::Seconds(1)));
}

}  // namespace
}  // namespace dest::testing
