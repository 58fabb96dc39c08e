// destctl's rendering, without a server: the messages are written in protobuf text format as the
// service would send them, and each test checks the text a user would read.
#include "controlplane/destctl/render.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "controlplane/destctl/document.h"
#include "controlplane/destctl/endpoint_set.h"
#include "controlplane/destctl/endpoints_view.h"
#include "controlplane/destctl/explanation_text.h"
#include "controlplane/destctl/profile_view.h"
#include "controlplane/destctl/table.h"
#include "controlplane/destctl/topic_table.h"
#include "debug.pb.h"
#include "destination.pb.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace destctl {
namespace {

namespace dbg = ::io::destination::debug::v1;

template <typename T>
T Parse(const std::string& text) {
  T message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &message)) << text;
  return message;
}

// 2024-05-01T10:00:00Z, and `seconds` after it.
absl::Time At(int seconds) { return absl::FromUnixSeconds(1714557600 + seconds); }

// The two endpoints of the trafficsplit sample's backend-svc (10.244.1.10 is 0x0AF4010A).
constexpr char kBackendAdd[] = R"pb(
  add {
    addrs {
      addr {
        ip { ipv4: 183763466 }
        port: 8080
      }
      weight: 10000
      metric_labels { key: "pod" value: "backend-9qzrt" }
      metric_labels { key: "deployment" value: "backend" }
      tls_identity {
        dns_like_identity { name: "backend.ns.serviceaccount.identity.linkerd.cluster.local" }
      }
      protocol_hint { h2 {} }
    }
    addrs {
      addr {
        ip { ipv4: 183763210 }
        port: 8080
      }
      weight: 10000
      metric_labels { key: "pod" value: "backend-4xk2p" }
      tls_identity {
        dns_like_identity { name: "backend.ns.serviceaccount.identity.linkerd.cluster.local" }
      }
      protocol_hint { opaque_transport { inbound_port: 4143 } }
    }
    metric_labels { key: "service" value: "backend-svc" }
    metric_labels { key: "namespace" value: "ns" }
  }
)pb";

// The second of them leaves.
constexpr char kRemoveSecond[] = "remove { addrs { ip { ipv4: 183763466 } port: 8080 } }";

constexpr char kSplitProfile[] = R"pb(
  fully_qualified_name: "web.ns.svc.cluster.local"
  retry_budget {
    retry_ratio: 0.2
    min_retries_per_second: 10
    ttl { seconds: 10 }
  }
  routes {
    condition {
      all {
        matches { method { registered: GET } }
        matches { path { regex: "/api/.*" } }
      }
    }
    metrics_labels { key: "route" value: "GET /api" }
    is_retryable: true
    timeout { nanos: 250000000 }
  }
  dst_overrides { authority: "web.ns.svc.cluster.local.:8080" weight: 9000000 }
  dst_overrides { authority: "web-v2.ns.svc.cluster.local.:8080" weight: 1000000 }
  parent_ref { resource { group: "core" kind: "Service" name: "web" namespace: "ns" port: 8080 } }
)pb";

TEST(AddressTest, Ipv4IsAHostOrderInteger) {
  const struct {
    uint32_t ipv4;
    const char* want;
  } cases[] = {{0x0A000001, "10.0.0.1"},
               {183763210, "10.244.1.10"},
               {0, "0.0.0.0"},
               {0xFFFFFFFF, "255.255.255.255"},
               {0xC0A83101, "192.168.49.1"}};
  for (const auto& c : cases) {
    net::TcpAddress address;
    address.mutable_ip()->set_ipv4(c.ipv4);
    address.set_port(8080);
    EXPECT_EQ(FormatIp(address.ip()), c.want);
    EXPECT_EQ(FormatTcpAddress(address), std::string(c.want) + ":8080");
  }
}

TEST(AddressTest, Ipv6IsTwoHalvesInBracketsWithThePort) {
  const struct {
    uint64_t first, last;
    const char* want;
  } cases[] = {{0xFD00000000000000, 1, "[fd00::1]:443"},
               {0x20010DB800010002, 0x0003000400050006, "[2001:db8:1:2:3:4:5:6]:443"},
               {0, 0, "[::]:443"},
               {0, 1, "[::1]:443"},
               {0xFE80000000000000, 0x0000000000ABCDEF, "[fe80::ab:cdef]:443"}};
  for (const auto& c : cases) {
    net::TcpAddress address;
    address.mutable_ip()->mutable_ipv6()->set_first(c.first);
    address.mutable_ip()->mutable_ipv6()->set_last(c.last);
    address.set_port(443);
    EXPECT_EQ(FormatTcpAddress(address), c.want);
  }
  EXPECT_EQ(FormatIp(net::IPAddress()), "-");
}

TEST(FormatTest, SharesAgesDurationsAndTimes) {
  EXPECT_EQ(FormatShare(1000000, 10000000), "10.0%");
  EXPECT_EQ(FormatShare(5000000, 10000000), "50.0%");
  EXPECT_EQ(FormatShare(1, 3), "33.3%");
  EXPECT_EQ(FormatShare(2, 3), "66.7%");
  EXPECT_EQ(FormatShare(0, 10), "0.0%");
  EXPECT_EQ(FormatShare(10, 0), "-");

  EXPECT_EQ(FormatAge(At(0), At(45)), "45s ago");
  EXPECT_EQ(FormatAge(At(0), At(192)), "3m12s ago");
  EXPECT_EQ(FormatAge(At(0), At(2 * 3600 + 5 * 60 + 7)), "2h5m ago");
  EXPECT_EQ(FormatAge(At(0), At(3 * 86400 + 4 * 3600)), "3d4h ago");
  EXPECT_EQ(FormatAge(At(10), At(0)), "0s ago");  // a clock ahead of ours
  EXPECT_EQ(FormatAge(google::protobuf::Timestamp(), At(0)), "never");

  EXPECT_EQ(FormatRfc3339(At(3) + absl::Milliseconds(250)), "2024-05-01T10:00:03.250Z");
  EXPECT_EQ(FormatDuration(Parse<google::protobuf::Duration>("nanos: 250000000")), "250ms");
  EXPECT_EQ(FormatDuration(Parse<google::protobuf::Duration>("seconds: 90")), "1m30s");
}

TEST(FormatTest, RequestMatchesInOneLine) {
  EXPECT_EQ(FormatRequestMatch(Parse<pb::RequestMatch>(R"pb(
              all {
                matches { method { registered: POST } }
                matches {
                  any {
                    matches { path { regex: "/a" } }
                    matches { not { path { regex: "/b" } } }
                  }
                }
              })pb")),
            "method POST && (path ~ /a || !(path ~ /b))");
  EXPECT_EQ(FormatRequestMatch(Parse<pb::RequestMatch>(R"pb(method { unregistered: "PURGE" })pb")),
            "method PURGE");
  EXPECT_EQ(FormatRequestMatch(pb::RequestMatch()), "-");
}

TEST(TableTest, AlignsColumnsWithoutTrailingBlanks) {
  Table table({"ADDRESS", "SHARE", "NOTE"});
  table.AddRow({"10.0.0.1:80", "90.0%", ""});
  table.AddRow({"[fd00::1]:8080", "10.0%", "canary"});
  table.AddRow({"é", "-"});  // one character wide
  EXPECT_EQ(table.Render("  "),
            "  ADDRESS         SHARE  NOTE\n"
            "  10.0.0.1:80     90.0%\n"
            "  [fd00::1]:8080  10.0%  canary\n"
            "  é               -\n");
}

TEST(EndpointSetTest, AppliesAddRemoveAndNoEndpoints) {
  EndpointSet set;
  EndpointDelta first = set.Apply(Parse<pb::Update>(kBackendAdd));
  EXPECT_EQ(first.added.size(), 2u);
  ASSERT_EQ(set.size(), 2u);
  // In address order, not arrival order.
  EXPECT_EQ(FormatTcpAddress(set.endpoints()[0]->addr()), "10.244.1.10:8080");

  EndpointDelta same = set.Apply(Parse<pb::Update>(kBackendAdd));
  EXPECT_TRUE(same.added.empty() && same.changed.empty() && same.removed.empty());

  EndpointDelta removed = set.Apply(Parse<pb::Update>(kRemoveSecond));
  EXPECT_EQ(removed.removed, std::vector<std::string>{"10.244.2.10:8080"});
  EXPECT_EQ(set.size(), 1u);

  EndpointDelta none = set.Apply(Parse<pb::Update>("no_endpoints { exists: true }"));
  EXPECT_EQ(none.removed, std::vector<std::string>{"10.244.1.10:8080"});
  EXPECT_EQ(none.no_endpoints_exists, true);
  EXPECT_EQ(set.size(), 0u);
}

TEST(EndpointsViewTest, TableOfTheFirstMessage) {
  EndpointsView view(OutputFormat::kTable, /*watch=*/false);
  auto text = view.Render(Parse<pb::Update>(kBackendAdd), At(0));
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text,
            "ADDRESS           IDENTITY                                                  PROTOCOL"
            "      LABELS\n"
            "10.244.1.10:8080  backend.ns.serviceaccount.identity.linkerd.cluster.local  "
            "opaque(4143)  pod=backend-4xk2p\n"
            "10.244.2.10:8080  backend.ns.serviceaccount.identity.linkerd.cluster.local  h2"
            "            deployment=backend,pod=backend-9qzrt\n"
            "2 endpoints (namespace=ns,service=backend-svc)\n");
}

TEST(EndpointsViewTest, AuthorityOverrideColumnAndIpv6) {
  EndpointsView view(OutputFormat::kTable, /*watch=*/false);
  auto text = view.Render(Parse<pb::Update>(R"pb(
                            add {
                              addrs {
                                addr {
                                  ip { ipv6 { first: 0xFD00000000000000 last: 16 } }
                                  port: 4143
                                }
                                authority_override { authority_override: "web.ns.svc:8080" }
                              }
                            })pb"),
                          At(0));
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text,
            "ADDRESS          IDENTITY  PROTOCOL  LABELS  AUTHORITY_OVERRIDE\n"
            "[fd00::10]:4143  -         -         -       web.ns.svc:8080\n"
            "1 endpoint\n");
}

TEST(EndpointsViewTest, NoEndpointsSaysWhy) {
  EndpointsView exists(OutputFormat::kTable, false);
  EXPECT_EQ(*exists.Render(Parse<pb::Update>("no_endpoints { exists: true }"), At(0)),
            "no endpoints: the Service exists but none of its endpoints is ready\n");
  EndpointsView missing(OutputFormat::kTable, false);
  EXPECT_EQ(*missing.Render(Parse<pb::Update>("no_endpoints {}"), At(0)),
            "no endpoints: there is no such Service\n");
}

TEST(EndpointsViewTest, WatchPrintsTimestampedChanges) {
  EndpointsView view(OutputFormat::kTable, /*watch=*/true);
  ASSERT_TRUE(view.Render(Parse<pb::Update>(kBackendAdd), At(0)).ok());
  auto removed = view.Render(Parse<pb::Update>(kRemoveSecond), At(5));
  EXPECT_EQ(*removed, "2024-05-01T10:00:05.000Z  - 10.244.2.10:8080\n");
  auto added = view.Render(Parse<pb::Update>(R"pb(
                             add {
                               addrs {
                                 addr {
                                   ip { ipv4: 183763467 }
                                   port: 8080
                                 }
                                 protocol_hint { h2 {} }
                               }
                             })pb"),
                           At(6));
  EXPECT_EQ(*added,
            "2024-05-01T10:00:06.000Z  + 10.244.2.11:8080  identity -  protocol h2  labels -\n");
  auto none = view.Render(Parse<pb::Update>("no_endpoints { exists: true }"), At(7));
  EXPECT_EQ(*none,
            "2024-05-01T10:00:07.000Z  - 10.244.1.10:8080\n"
            "2024-05-01T10:00:07.000Z  - 10.244.2.11:8080\n"
            "2024-05-01T10:00:07.000Z  no endpoints: the Service exists but none of its endpoints "
            "is ready\n");
}

TEST(DocumentTest, JsonHasReadableAddresses) {
  auto add = ToDocument(Parse<pb::Update>(R"pb(
    add {
      addrs {
        addr {
          ip { ipv4: 183763210 }
          port: 8080
        }
        weight: 10000
        protocol_hint { h2 {} }
      }
      metric_labels { key: "service" value: "web" }
    })pb"));
  ASSERT_TRUE(add.ok()) << add.status();
  EXPECT_EQ(JsonLine(*add), R"({"add":{"addrs":[{"addr":"10.244.1.10:8080","weight":10000,)"
                            R"("protocolHint":{"h2":{}}}],"metricLabels":{"service":"web"}}})"
                            "\n");
  auto remove = ToDocument(Parse<pb::Update>(R"pb(
    remove {
      addrs {
        ip { ipv6 { first: 0xFD00000000000000 last: 1 } }
        port: 80
      }
      addrs {
        ip { ipv4: 0 }
        port: 81
      }
    })pb"));
  ASSERT_TRUE(remove.ok());
  EXPECT_EQ(JsonLine(*remove), R"({"remove":{"addrs":["[fd00::1]:80","0.0.0.0:81"]}})"
                               "\n");
}

TEST(DocumentTest, AddressesDeepInADebugAnswerToo) {
  auto explanation = ToDocument(Parse<dbg::Explanation>(R"pb(
    endpoints {
      endpoints {
        address: "10.244.1.10:8080"
        addr {
          addr {
            ip { ipv4: 183763210 }
            port: 8080
          }
          weight: 10000
        }
      }
    }
    profile {
      profile {
        endpoint {
          addr {
            ip { ipv4: 183763466 }
            port: 8080
          }
        }
      }
    })pb"));
  ASSERT_TRUE(explanation.ok());
  EXPECT_EQ((*explanation)["endpoints"]["endpoints"][0]["addr"]["addr"], "10.244.1.10:8080");
  EXPECT_EQ((*explanation)["profile"]["profile"]["endpoint"]["addr"], "10.244.2.10:8080");
}

TEST(DocumentTest, YamlIsTheSameStructure) {
  auto profile = ToDocument(Parse<pb::DestinationProfile>(kSplitProfile));
  ASSERT_TRUE(profile.ok());
  EXPECT_EQ(YamlDocument(WithTime(*profile, At(1))),
            "---\n"
            "time: \"2024-05-01T10:00:01.000Z\"\n"
            "routes:\n"
            "  - condition:\n"
            "      all:\n"
            "        matches:\n"
            "          - method:\n"
            "              registered: GET\n"
            "          - path:\n"
            "              regex: /api/.*\n"
            "    metricsLabels:\n"
            "      route: GET /api\n"
            "    isRetryable: true\n"
            "    timeout: \"0.250s\"\n"
            "retryBudget:\n"
            "  retryRatio: 0.2\n"
            "  minRetriesPerSecond: 10\n"
            "  ttl: \"10s\"\n"
            "dstOverrides:\n"
            "  - authority: web.ns.svc.cluster.local.:8080\n"
            "    weight: 9000000\n"
            "  - authority: web-v2.ns.svc.cluster.local.:8080\n"
            "    weight: 1000000\n"
            "fullyQualifiedName: web.ns.svc.cluster.local\n"
            "parentRef:\n"
            "  resource:\n"
            "    group: core\n"
            "    kind: Service\n"
            "    name: web\n"
            "    namespace: ns\n"
            "    port: 8080\n");
}

TEST(DocumentTest, YamlQuotesStringsThatReadAsOtherTypes) {
  Document document = Document::object();
  document["address"] = "10.0.0.1:80";
  document["word"] = "true";
  document["empty"] = "";
  document["version"] = "42";
  document["plain"] = "backend";
  document["none"] = Document::object();
  document["list"] = Document::array();
  document["cleared"] = nullptr;
  EXPECT_EQ(YamlDocument(document),
            "---\n"
            "address: \"10.0.0.1:80\"\n"
            "word: \"true\"\n"
            "empty: \"\"\n"
            "version: \"42\"\n"
            "plain: backend\n"
            "none: {}\n"
            "list: []\n"
            "cleared: ~\n");
}

TEST(DocumentTest, ChangedFieldsAreTheTopLevelDifferences) {
  const Document before = Document::parse(R"({"a":1,"b":[1,2],"c":"x"})");
  const Document after = Document::parse(R"({"a":1,"b":[1,3],"d":true})");
  EXPECT_EQ(JsonLine(ChangedFields(before, after)), "{\"b\":[1,3],\"d\":true,\"c\":null}\n");
}

TEST(ProfileViewTest, TableWithSharesAndRoutes) {
  ProfileView view(OutputFormat::kTable, /*watch=*/false);
  auto text = view.Render(Parse<pb::DestinationProfile>(kSplitProfile), At(0));
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text,
            "fully_qualified_name  web.ns.svc.cluster.local\n"
            "opaque_protocol       false\n"
            "retry_budget          ratio 0.2, min 10/s, ttl 10s\n"
            "parent_ref            Service ns/web port 8080\n"
            "profile_ref           -\n"
            "routes:\n"
            "  NAME      CONDITION                     RETRYABLE  TIMEOUT\n"
            "  GET /api  method GET && path ~ /api/.*  yes        250ms\n"
            "dst_overrides:\n"
            "  AUTHORITY                          SHARE  WEIGHT\n"
            "  web.ns.svc.cluster.local.:8080     90.0%  9000000\n"
            "  web-v2.ns.svc.cluster.local.:8080  10.0%  1000000\n");
}

TEST(ProfileViewTest, EndpointProfileShowsTheEndpoint) {
  ProfileView view(OutputFormat::kTable, /*watch=*/false);
  auto text = view.Render(Parse<pb::DestinationProfile>(R"pb(
                            retry_budget { retry_ratio: 0.2 min_retries_per_second: 10 }
                            endpoint {
                              addr {
                                ip { ipv4: 183763210 }
                                port: 8080
                              }
                              metric_labels { key: "pod" value: "backend-4xk2p" }
                            })pb"),
                          At(0));
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("fully_qualified_name  -\n"), std::string::npos) << *text;
  EXPECT_NE(text->find("dst_overrides: none\n"), std::string::npos) << *text;
  EXPECT_NE(text->find("endpoint:\n"
                       "  ADDRESS           IDENTITY  PROTOCOL  LABELS\n"
                       "  10.244.1.10:8080  -         -         pod=backend-4xk2p\n"),
            std::string::npos)
      << *text;
}

TEST(ProfileViewTest, WatchPrintsWhatChanged) {
  ProfileView view(OutputFormat::kTable, /*watch=*/true);
  pb::DestinationProfile profile = Parse<pb::DestinationProfile>(kSplitProfile);
  ASSERT_TRUE(view.Render(profile, At(0)).ok());

  profile.mutable_dst_overrides(0)->set_weight(5000000);
  profile.mutable_dst_overrides(1)->set_weight(5000000);
  EXPECT_EQ(*view.Render(profile, At(3)),
            "2024-05-01T10:00:03.000Z  dst_overrides  web.ns.svc.cluster.local.:8080  90.0% -> "
            "50.0%\n"
            "2024-05-01T10:00:03.000Z  dst_overrides  web-v2.ns.svc.cluster.local.:8080  10.0% -> "
            "50.0%\n");

  profile.mutable_routes(0)->set_is_retryable(false);
  *profile.add_routes() = Parse<pb::Route>(R"pb(
    condition { method { registered: POST } }
    metrics_labels { key: "route" value: "POST /api" }
  )pb");
  profile.mutable_dst_overrides()->RemoveLast();
  profile.set_opaque_protocol(true);
  EXPECT_EQ(*view.Render(profile, At(4)),
            "2024-05-01T10:00:04.000Z  opaque_protocol  false -> true\n"
            "2024-05-01T10:00:04.000Z  routes  ~ GET /api  method GET && path ~ /api/.*  not "
            "retryable  timeout 250ms\n"
            "2024-05-01T10:00:04.000Z  routes  + POST /api  method POST  not retryable  no "
            "timeout\n"
            "2024-05-01T10:00:04.000Z  dst_overrides  web.ns.svc.cluster.local.:8080  50.0% -> "
            "100.0%\n"
            "2024-05-01T10:00:04.000Z  dst_overrides  - web-v2.ns.svc.cluster.local.:8080  (was "
            "50.0%)\n");
  EXPECT_EQ(*view.Render(profile, At(5)), "");  // the same profile again: nothing to say
}

TEST(ProfileViewTest, WatchAsJsonPrintsTheChangedFields) {
  ProfileView view(OutputFormat::kJson, /*watch=*/true);
  pb::DestinationProfile profile = Parse<pb::DestinationProfile>(kSplitProfile);
  auto first = view.Render(profile, At(0));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->rfind(R"({"time":"2024-05-01T10:00:00.000Z","routes":)", 0), 0u) << *first;
  profile.clear_routes();
  profile.mutable_dst_overrides(1)->set_weight(9000000);
  EXPECT_EQ(*view.Render(profile, At(2)),
            R"({"time":"2024-05-01T10:00:02.000Z","dstOverrides":[)"
            R"({"authority":"web.ns.svc.cluster.local.:8080","weight":9000000},)"
            R"({"authority":"web-v2.ns.svc.cluster.local.:8080","weight":9000000}],)"
            R"("routes":null})"
            "\n");
}

TEST(ExplanationTest, SectionsAUserReads) {
  const std::string text = RenderExplanation(
      Parse<dbg::Explanation>(R"pb(
        authority: "web.ns.svc.cluster.local:8080"
        client { namespace: "client-ns" node_name: "node-2" zone: "zone-b" }
        target {
          kind: "service"
          service: "ns/web"
          port: 8080
          service_exists: true
          service_type: "ClusterIP"
        }
        profile {
          profile {
            dst_overrides { authority: "web.ns.svc.cluster.local.:8080" weight: 9000000 }
            dst_overrides { authority: "web-v2.ns.svc.cluster.local.:8080" weight: 1000000 }
          }
          service_profile {
            candidates { name: "client-ns/web.ns.svc.cluster.local" role: "client namespace" }
            candidates {
              name: "ns/web.ns.svc.cluster.local"
              role: "service namespace"
              exists: true
              invalid_reason: "spec.routes[1].condition: a match needs at least one field"
              last_valid_in_force: true
            }
            selected: "ns/web.ns.svc.cluster.local"
            reason: "the client namespace has none; the service namespace's last valid version"
          }
          overrides_source: "trafficsplit"
          routes_ignored {
            route {
              name: "ns/web-route"
              group: "gateway.networking.k8s.io"
              api_version: "gateway.networking.k8s.io/v1"
              created { seconds: 1714557600 }
            }
            reason: "spec.rules[0].matches[0] matches headers, which plain weights cannot express"
            problem: true
          }
          split_applied {
            name: "ns/web-split"
            api_version: "split.smi-spec.io/v1alpha2"
            created { seconds: 1714557600 }
          }
          splits_ignored {
            split { name: "ns/old-split" api_version: "split.smi-spec.io/v1alpha1" }
            reason: "older than ns/web-split"
          }
          opaque { opaque: false source: "no opaque-ports annotation; 8080 is not a default" }
          topic {
            key: "profile ns/web:8080 client-ns"
            alive: true
            version: 4
            last_change { seconds: 1714557600 }
            subscriber_count: 1
            subscribers {
              peer: "ipv4:10.244.2.20:43210"
              opened { seconds: 1714557000 }
              last_update { seconds: 1714557600 }
              messages: 4
            }
          }
        }
        endpoints {
          service_exists: true
          source: "EndpointSlice"
          endpoints {
            address: "10.244.1.10:8080"
            pod: "ns/web-1"
            addr {
              addr {
                ip { ipv4: 183763210 }
                port: 8080
              }
              protocol_hint { h2 {} }
            }
          }
          left_out { address: "10.244.9.9:8080" pod: "ns/web-9" reason: "the Pod is unknown" }
          topic { key: "endpoints ns/web:8080" }
        })pb"),
      At(192));
  EXPECT_EQ(text,
            "authority: web.ns.svc.cluster.local:8080\n"
            "\n"
            "client:\n"
            "  namespace           client-ns\n"
            "  node                node-2\n"
            "  zone                zone-b\n"
            "\n"
            "target:\n"
            "  kind                service\n"
            "  service             ns/web (ClusterIP)\n"
            "  port                8080\n"
            "\n"
            "profile:\n"
            "  service profile     ns/web.ns.svc.cluster.local\n"
            "  reason              the client namespace has none; the service namespace's last "
            "valid version\n"
            "  candidates:\n"
            "    NAME                                ROLE               STATE\n"
            "    client-ns/web.ns.svc.cluster.local  client namespace   absent\n"
            "    ns/web.ns.svc.cluster.local         service namespace  invalid: spec.routes[1]"
            ".condition: a match needs at least one field; its last valid version is in force\n"
            "  overrides source    trafficsplit\n"
            "  route applied       none\n"
            "  routes ignored:\n"
            "    ROUTE                                                                          "
            "MISTAKE  REASON\n"
            "    ns/web-route (gateway.networking.k8s.io/v1, created 2024-05-01T10:00:00.000Z)  "
            "yes      spec.rules[0].matches[0] matches headers, which plain weights cannot "
            "express\n"
            "  split applied       ns/web-split (split.smi-spec.io/v1alpha2, created "
            "2024-05-01T10:00:00.000Z)\n"
            "  splits ignored:\n"
            "    SPLIT                                      REASON\n"
            "    ns/old-split (split.smi-spec.io/v1alpha1)  older than ns/web-split\n"
            "  opaque              false (no opaque-ports annotation; 8080 is not a default)\n"
            "  retry budget        -\n"
            "  dst_overrides:\n"
            "    AUTHORITY                          SHARE  WEIGHT\n"
            "    web.ns.svc.cluster.local.:8080     90.0%  9000000\n"
            "    web-v2.ns.svc.cluster.local.:8080  10.0%  1000000\n"
            "  topic               profile ns/web:8080 client-ns (version 4, changed 3m12s ago)\n"
            "  subscribers         1\n"
            "    PEER                    OPENED      LAST UPDATE  MESSAGES\n"
            "    ipv4:10.244.2.20:43210  13m12s ago  3m12s ago    4\n"
            "\n"
            "endpoints:\n"
            "  service exists      true\n"
            "  source              EndpointSlice\n"
            "  zone filter         none\n"
            "  endpoints           1\n"
            "    ADDRESS           IDENTITY  PROTOCOL  LABELS\n"
            "    10.244.1.10:8080  -         h2        -\n"
            "  left out            1\n"
            "    ADDRESS          POD       REASON\n"
            "    10.244.9.9:8080  ns/web-9  the Pod is unknown\n"
            "  topic               endpoints ns/web:8080 (no stream subscribes to it now)\n");
}

TEST(ExplanationTest, RefusedAuthoritiesSayWhy) {
  const std::string text = RenderExplanation(Parse<dbg::Explanation>(R"pb(
                                               authority: "nope.web.ns.svc.cluster.local:8080"
                                               target {
                                                 kind: "instance"
                                                 profile_error: "NOT_FOUND: no pod nope"
                                                 get_error: "NOT_FOUND: x"
                                               }
                                             )pb"),
                                             At(0));
  EXPECT_NE(text.find("profile: none (GetProfile refuses: NOT_FOUND: no pod nope)\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("endpoints: none (Get refuses: NOT_FOUND: x)\n"), std::string::npos);
}

TEST(TopicTableTest, SortedLimitedAndAged) {
  dbg::TopicList list = Parse<dbg::TopicList>(R"pb(
    topics {
      kind: "profile"
      key: "b"
      subscribers: 1
      messages: 9
      last_change { seconds: 1714557590 }
    }
    topics {
      kind: "endpoints"
      key: "a"
      subscribers: 7
      messages: 2
      last_change { seconds: 1714557000 }
    }
    topics {
      kind: "profile"
      key: "c"
      subscribers: 3
      messages: 5
      last_change { seconds: 1714557599 }
    }
    total: 3)pb");
  auto keys = [](const dbg::TopicList& l) {
    std::string out;
    for (const auto& t : l.topics()) out += t.key();
    return out;
  };
  dbg::TopicList by_subscribers = list;
  SortTopics(TopicOrder::kSubscribers, 0, &by_subscribers);
  EXPECT_EQ(keys(by_subscribers), "acb");
  dbg::TopicList by_change = list;
  SortTopics(TopicOrder::kLastChange, 0, &by_change);
  EXPECT_EQ(keys(by_change), "cba");
  dbg::TopicList by_messages = list;
  SortTopics(TopicOrder::kMessages, 0, &by_messages);
  EXPECT_EQ(keys(by_messages), "bca");
  dbg::TopicList by_key = list;
  SortTopics(TopicOrder::kKey, 2, &by_key);
  EXPECT_EQ(keys(by_key), "ab");

  EXPECT_EQ(RenderTopicTable(by_subscribers, At(0)),
            "KIND       KEY  SUBSCRIBERS  LAST CHANGE  MESSAGES\n"
            "endpoints  a    7            10m0s ago    2\n"
            "profile    c    3            1s ago       5\n"
            "profile    b    1            10s ago      9\n"
            "3 topics\n");
  EXPECT_TRUE(absl::EndsWith(RenderTopicTable(by_key, At(0)), "\n2 of 3 topics\n"));
  EXPECT_FALSE(ParseTopicOrder("newest").has_value());
  EXPECT_EQ(ParseTopicOrder("last-change"), TopicOrder::kLastChange);
}

}  // namespace
}  // namespace destctl
