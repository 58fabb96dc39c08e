#include "controlplane/server/debug_html.h"

#include <google/protobuf/text_format.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dest {
namespace {

using ::io::destination::debug::v1::EventList;
namespace dbg = ::io::destination::debug::v1;
using ::io::destination::debug::v1::Explanation;
using ::io::destination::debug::v1::TopicList;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kHostile[] = "<script>alert('x')</script>&\"";
constexpr char kHostileEscaped[] = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;";

// Messages are written as a user of the Debug API reads them: protobuf text format.
template <typename Message>
Message Parse(const std::string& text) {
  Message message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &message)) << text;
  return message;
}

// The rows of class `cls` (`<tr class="cls">`) in `html`.
int CountRows(const std::string& html, const std::string& cls) {
  std::string needle = "<tr class=\"" + cls + "\">";
  int count = 0;
  for (size_t at = html.find(needle); at != std::string::npos; at = html.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

TEST(HtmlEscapeTest, EscapesEveryMarkupCharacter) {
  EXPECT_EQ(HtmlEscape(kHostile), kHostileEscaped);
  EXPECT_EQ(HtmlEscape("web.emojivoto/svc-1"), "web.emojivoto/svc-1");
  EXPECT_EQ(HtmlEscape(""), "");
}

TEST(UrlEncodeTest, KeepsUnreservedAndEncodesTheRest) {
  EXPECT_EQ(UrlEncode("web.emojivoto.svc.cluster.local:8080"),
            "web.emojivoto.svc.cluster.local%3A8080");
  EXPECT_EQ(UrlEncode("{\"ns\":\"a b\"}"), "%7B%22ns%22%3A%22a%20b%22%7D");
  EXPECT_EQ(UrlEncode("a&b=c+d/e?f#g%"), "a%26b%3Dc%2Bd%2Fe%3Ff%23g%25");
  EXPECT_EQ(UrlEncode("Az09-._~"), "Az09-._~");
  EXPECT_EQ(UrlEncode("\xC3\xA9"), "%C3%A9");
}

TEST(DebugIndexHtmlTest, EmptyStatesSayWhy) {
  std::string html = RenderDebugIndexHtml({"0.1.0", "manifests", true, 0}, {}, {});
  EXPECT_THAT(html, HasSubstr("<!DOCTYPE html>"));
  EXPECT_THAT(html, HasSubstr("no topics: no proxy is subscribed"));
  EXPECT_THAT(html, HasSubstr("no events: nothing worth a look"));
  EXPECT_THAT(html, HasSubstr("action=\"/debug/explain.html\""));
  EXPECT_THAT(html, HasSubstr("name=\"authority\""));
  EXPECT_THAT(html, HasSubstr("name=\"context_token\""));
  EXPECT_THAT(html, HasSubstr("href=\"/debug/topics\""));
  EXPECT_THAT(html, HasSubstr("href=\"/debug/events\""));
  EXPECT_THAT(html, HasSubstr("href=\"/metrics\""));
  EXPECT_THAT(html, HasSubstr("<td>0.1.0</td>"));
  EXPECT_THAT(html, HasSubstr("<td>manifests</td>"));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
}

TEST(DebugIndexHtmlTest, TopicsLinkToTheirExplanationEncoded) {
  auto topics = Parse<TopicList>(R"pb(
    total: 1
    topics {
      kind: "profile"
      key: "profile:emojivoto/web:8080"
      authority: "web.emojivoto.svc.cluster.local:8080"
      context_token: "{\"ns\":\"emojivoto\"}"
      subscribers: 3
      version: 7
      last_change { seconds: 1700000000 }
      messages: 21
    })pb");
  std::string html = RenderDebugIndexHtml({"0.1.0", "manifests", true, 3}, topics, {});
  EXPECT_EQ(CountRows(html, "topic"), 1);
  EXPECT_THAT(html, HasSubstr("href=\"/debug/explain.html?authority=web.emojivoto.svc.cluster."
                              "local%3A8080&amp;context_token=%7B%22ns%22%3A%22emojivoto%22%7D\""));
  EXPECT_THAT(html, HasSubstr("<td class=\"subscribers num\">3</td>"));
  EXPECT_THAT(html, HasSubstr("<td class=\"messages num\">21</td>"));
  EXPECT_THAT(html, HasSubstr("2023-11-14T22:13:20Z"));
  EXPECT_THAT(html, HasSubstr(" ago)"));
  EXPECT_THAT(html, Not(HasSubstr("no topics")));
}

TEST(DebugIndexHtmlTest, HostileNamesAreEscaped) {
  TopicList topics;
  auto* topic = topics.add_topics();
  topic->set_kind("profile");
  topic->set_key(kHostile);
  topic->set_authority(kHostile);
  EventList events;
  auto* event = events.add_events();
  event->set_kind("serviceprofile_invalid");
  event->set_object(std::string("ServiceProfile ns/") + kHostile);
  event->set_message(kHostile);
  DebugPageInfo info{kHostile, "kubernetes", false, 1};
  std::string html = RenderDebugIndexHtml(info, topics, events);
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("alert('x')")));
  EXPECT_THAT(html, HasSubstr(std::string("ServiceProfile ns/") + kHostileEscaped));
  EXPECT_THAT(html, HasSubstr("authority=%3Cscript%3Ealert%28%27x%27%29%3C%2Fscript%3E%26%22"));
}

TEST(DebugIndexHtmlTest, EventsNewestFirst) {
  auto events = Parse<EventList>(R"pb(
    events {
      time { seconds: 1700000000 }
      kind: "kube_relist"
      object: "Service ns/older"
      message: "relisted"
    }
    events {
      time { seconds: 1700000100 }
      kind: "trafficsplit_not_applied"
      object: "TrafficSplit ns/newer"
      message: "conflicts with the older TrafficSplit ns/a"
    })pb");
  std::string html = RenderDebugIndexHtml({}, {}, events);
  EXPECT_EQ(CountRows(html, "event"), 2);
  size_t newer = html.find("TrafficSplit ns/newer");
  size_t older = html.find("Service ns/older");
  ASSERT_NE(newer, std::string::npos);
  ASSERT_NE(older, std::string::npos);
  EXPECT_LT(newer, older);
  EXPECT_THAT(html, HasSubstr("2023-11-14T22:15:00Z"));
}

constexpr char kCanaryExplanation[] = R"pb(
  authority: "web.emojivoto.svc.cluster.local:8080"
  client { namespace: "emojivoto" node_name: "node-1" zone: "zone-a" }
  target {
    kind: "service"
    service: "emojivoto/web"
    port: 8080
    service_exists: true
    service_type: "ClusterIP"
  }
  profile {
    profile {
      fully_qualified_name: "web.emojivoto.svc.cluster.local"
      dst_overrides { authority: "web-v1.emojivoto.svc.cluster.local:8080" weight: 900 }
      dst_overrides { authority: "web-v2.emojivoto.svc.cluster.local:8080" weight: 100 }
      routes {
        metrics_labels { key: "route" value: "GET /api" }
        is_retryable: true
        timeout { seconds: 2 nanos: 500000000 }
      }
      retry_budget {
        retry_ratio: 0.2
        min_retries_per_second: 10
        ttl { seconds: 10 }
      }
    }
    service_profile {
      candidates {
        name: "emojivoto/web.emojivoto.svc.cluster.local"
        role: "service namespace"
        exists: true
        invalid_reason: "spec.routes[0].condition: no field set"
        last_valid_in_force: true
      }
      selected: "emojivoto/web.emojivoto.svc.cluster.local"
      reason: "its last valid version"
    }
    overrides_source: "trafficsplit"
    split_applied {
      name: "emojivoto/web-split"
      api_version: "split.smi-spec.io/v1alpha2"
      created { seconds: 1700000000 }
    }
    splits_ignored {
      split { name: "emojivoto/<b>web-split-2</b>" api_version: "split.smi-spec.io/v1alpha2" }
      reason: "conflicts with the older TrafficSplit emojivoto/web-split"
    }
    opaque { opaque: false }
    notes: "a note"
    topic {
      key: "profile:emojivoto/web:8080"
      alive: true
      version: 4
      subscriber_count: 1
      subscribers {
        peer: "ipv4:127.0.0.1:5000"
        messages: 2
        opened { seconds: 1700000000 }
      }
    }
  }
  endpoints {
    service_exists: true
    source: "EndpointSlice"
    endpoints {
      address: "10.0.0.1:8080"
      pod: "emojivoto/web-v1-0"
      addr {
        tls_identity {
          dns_like_identity { name: "web.emojivoto.serviceaccount.identity.linkerd.cluster.local" }
        }
        protocol_hint {
          h2 {}
          opaque_transport { inbound_port: 4143 }
        }
        metric_labels { key: "pod" value: "web-v1-0" }
        metric_labels { key: "deployment" value: "web-v1" }
      }
    }
    left_out { address: "10.0.0.9:8080" reason: "no such pod" }
    topic { key: "endpoints:emojivoto/web:8080" }
  })pb";

TEST(ExplanationHtmlTest, ShowsTheCanaryDecision) {
  auto explanation = Parse<Explanation>(kCanaryExplanation);
  std::string html = RenderExplanationHtml(explanation, "{\"ns\":\"emojivoto\"}");
  EXPECT_THAT(html, HasSubstr("id=\"split-applied\""));
  EXPECT_THAT(html, HasSubstr("emojivoto/web-split"));
  EXPECT_THAT(html, HasSubstr("split.smi-spec.io/v1alpha2"));
  EXPECT_THAT(html, HasSubstr("2023-11-14T22:13:20Z"));
  EXPECT_EQ(CountRows(html, "split-ignored"), 1);
  EXPECT_THAT(html, HasSubstr("emojivoto/&lt;b&gt;web-split-2&lt;/b&gt;"));
  EXPECT_THAT(html, HasSubstr("conflicts with the older TrafficSplit emojivoto/web-split"));
  EXPECT_EQ(CountRows(html, "profile-candidate"), 1);
  EXPECT_THAT(html, HasSubstr("<span class=\"invalid-reason\">spec.routes[0].condition: no "
                              "field set</span>"));
  EXPECT_THAT(html, HasSubstr("last valid version in force"));
  EXPECT_THAT(html, HasSubstr("id=\"overrides\""));
  EXPECT_THAT(html, HasSubstr("GET /api"));
  EXPECT_THAT(html, HasSubstr("2.5s"));
  EXPECT_THAT(html, HasSubstr("ipv4:127.0.0.1:5000"));
  EXPECT_THAT(html, HasSubstr("href=\"/debug/\""));
  EXPECT_THAT(html, HasSubstr("value=\"{&quot;ns&quot;:&quot;emojivoto&quot;}\""));
  EXPECT_THAT(html, Not(HasSubstr("<b>")));
}

TEST(ExplanationHtmlTest, PercentagesOfTheTotalWeight) {
  auto explanation = Parse<Explanation>(kCanaryExplanation);
  std::string html = RenderExplanationHtml(explanation, "");
  EXPECT_EQ(CountRows(html, "dst-override"), 2);
  EXPECT_THAT(html,
              HasSubstr("<td class=\"weight num\">900</td><td class=\"share num\">90.0%</td>"));
  EXPECT_THAT(html,
              HasSubstr("<td class=\"weight num\">100</td><td class=\"share num\">10.0%</td>"));

  auto* profile = explanation.mutable_profile()->mutable_profile();
  profile->clear_dst_overrides();
  for (const char* authority : {"a:80", "b:80", "c:80"}) {
    auto* dst = profile->add_dst_overrides();
    dst->set_authority(authority);
    dst->set_weight(1);
  }
  html = RenderExplanationHtml(explanation, "");
  EXPECT_EQ(CountRows(html, "dst-override"), 3);
  EXPECT_THAT(html, HasSubstr("33.3%"));
}

TEST(ExplanationHtmlTest, TheRouteAppliedAndTheRoutesIgnored) {
  auto explanation = Parse<Explanation>(kCanaryExplanation);
  dbg::ProfileDecision* p = explanation.mutable_profile();
  p->set_overrides_source("httproute");
  p->clear_split_applied();
  p->mutable_route_applied()->set_name("emojivoto/web-route");
  p->mutable_route_applied()->set_api_version("gateway.networking.k8s.io/v1");
  p->mutable_route_applied()->mutable_created()->set_seconds(1700000000);
  dbg::IgnoredRoute* headers = p->add_routes_ignored();
  headers->mutable_route()->set_name("emojivoto/<i>canary</i>");
  headers->set_reason(
      "spec.rules[0].matches[0] matches headers, which plain weights cannot express");
  headers->set_problem(true);
  dbg::IgnoredRoute* port = p->add_routes_ignored();
  port->mutable_route()->set_name("emojivoto/admin");
  port->set_reason("spec.parentRefs[0] attaches it to port 9990 only");
  std::string html = RenderExplanationHtml(explanation, "");
  EXPECT_THAT(html, HasSubstr("id=\"route-applied\""));
  EXPECT_THAT(html, HasSubstr("<span class=\"name\">emojivoto/web-route</span>"));
  EXPECT_THAT(html, HasSubstr("gateway.networking.k8s.io/v1"));
  EXPECT_THAT(html, Not(HasSubstr("id=\"split-applied\"")));
  EXPECT_EQ(CountRows(html, "route-ignored mistake"), 1);
  EXPECT_EQ(CountRows(html, "route-ignored"), 1);
  EXPECT_THAT(html, HasSubstr("emojivoto/&lt;i&gt;canary&lt;/i&gt;"));
  EXPECT_THAT(html, HasSubstr("matches headers, which plain weights cannot express"));
  EXPECT_THAT(html, HasSubstr("attaches it to port 9990 only"));
  EXPECT_THAT(html, HasSubstr("<td>httproute</td>"));
}

TEST(ExplanationHtmlTest, EndpointsAndLeftOut) {
  std::string html = RenderExplanationHtml(Parse<Explanation>(kCanaryExplanation), "");
  EXPECT_EQ(CountRows(html, "endpoint"), 1);
  EXPECT_THAT(html, HasSubstr("web.emojivoto.serviceaccount.identity.linkerd.cluster.local"));
  EXPECT_THAT(html, HasSubstr("h2, opaque transport port 4143"));
  // Labels sorted by key.
  EXPECT_THAT(html, HasSubstr("<code>deployment=web-v1</code> <code>pod=web-v1-0</code>"));
  EXPECT_EQ(CountRows(html, "left-out"), 1);
  EXPECT_THAT(html, HasSubstr("no such pod"));
  EXPECT_THAT(html, HasSubstr("none: every zone"));
  EXPECT_THAT(html, HasSubstr("no topic alive for endpoints:emojivoto/web:8080"));
}

TEST(ExplanationHtmlTest, RefusedAuthoritySaysWhy) {
  auto explanation = Parse<Explanation>(R"pb(
    authority: "10.9.9.9:80"
    target { kind: "unknown_ip" profile_error: "NOT_FOUND: <no> pod" get_error: "NOT_FOUND: x" }
  )pb");
  std::string html = RenderExplanationHtml(explanation, "");
  EXPECT_THAT(html, HasSubstr("GetProfile refuses this authority: NOT_FOUND: &lt;no&gt; pod"));
  EXPECT_THAT(html, HasSubstr("Get refuses this authority: NOT_FOUND: x"));
  EXPECT_THAT(html, Not(HasSubstr("id=\"split-applied\"")));
}

TEST(ExplainErrorHtmlTest, OneLineAndTheFormPrefilled) {
  std::string html = RenderExplainErrorHtml(kHostile, "ns:emojivoto", "INVALID_ARGUMENT: <bad>");
  EXPECT_THAT(html, HasSubstr("<p class=\"error\" id=\"error\">INVALID_ARGUMENT: &lt;bad&gt;</p>"));
  EXPECT_THAT(html, HasSubstr(std::string("name=\"authority\" value=\"") + kHostileEscaped + "\""));
  EXPECT_THAT(html, HasSubstr("name=\"context_token\" value=\"ns:emojivoto\""));
  EXPECT_THAT(html, HasSubstr("href=\"/debug/\""));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
}

}  // namespace
}  // namespace dest
