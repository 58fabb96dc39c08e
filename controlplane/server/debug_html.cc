// The debug pages: HTML5 rendered on the server from the Debug API's messages (no script).
//
// Selectors a test (or a person with a DOM inspector) can rely on:
//   index:       #process, #explain-form, #topics (section) > tr.topic > a.explain-link,
//                #events (section) > tr.event, p.empty for an empty state
//   explanation: #client, #target, #profile, #service-profile, tr.profile-candidate,
//                .invalid-reason, .last-valid, #overrides, #route-applied, tr.route-ignored
//                (.mistake when the route itself is at fault), #split-applied, tr.split-ignored,
//                .ignored-reason, #dst-overrides > tr.dst-override, #opaque, #routes > tr.route,
//                #retry-budget, #notes, #profile-topic, #endpoints, tr.endpoint, tr.left-out,
//                #endpoints-topic, tr.subscriber, .error
// Times are RFC 3339 in UTC with their age, measured against the clock when the page is rendered.
#include "controlplane/server/debug_html.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace dest {
namespace {

namespace dbg = ::io::destination::debug::v1;
namespace pd = ::io::linkerd::proxy::destination;

constexpr char kStyle[] = R"css(
body{font-family:system-ui,sans-serif;font-size:15px;margin:0.6em;line-height:1.35;color:#111}
h1{font-size:1.3em;margin:0.2em 0}
h2{font-size:1.1em;margin:1em 0 0.3em;border-bottom:1px solid #ccc}
h3{font-size:1em;margin:0.8em 0 0.2em}
table{border-collapse:collapse;margin:0.2em 0;max-width:100%}
th,td{border:1px solid #ccc;padding:0.15em 0.4em;text-align:left;vertical-align:top;
overflow-wrap:anywhere}
th{background:#f0f0f0;overflow-wrap:normal}table.kv th{width:11em}
td.address,td.peer,td.share,td.weight{white-space:nowrap}
code{font-family:ui-monospace,monospace;font-size:0.95em}
.error,.invalid-reason,.ignored-reason{color:#a00}.empty{color:#555;font-style:italic}
.ok{color:#060}.num{text-align:right}
form input[type=text]{width:min(28em,90vw)}nav a{margin-right:1em}
)css";

std::string E(const std::string& text) { return HtmlEscape(text); }

std::string YesNo(bool value) { return value ? "yes" : "no"; }

std::string OrNone(const std::string& text, const std::string& none = "none") {
  return text.empty() ? absl::StrCat("<span class=\"empty\">", none, "</span>") : E(text);
}

absl::Time ToTime(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

// "3s", "4m05s", "2h07m", "3d04h".
std::string FormatAge(absl::Duration age) {
  int64_t s = absl::ToInt64Seconds(age);
  if (s < 0) return "in the future";
  if (s < 60) return absl::StrCat(s, "s ago");
  if (s < 3600) return absl::StrFormat("%dm%02ds ago", s / 60, s % 60);
  if (s < 86400) return absl::StrFormat("%dh%02dm ago", s / 3600, (s % 3600) / 60);
  return absl::StrFormat("%dd%02dh ago", s / 86400, (s % 86400) / 3600);
}

std::string Rfc3339(const google::protobuf::Timestamp& ts) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", ToTime(ts), absl::UTCTimeZone());
}

// A timestamp as RFC 3339 UTC plus its age, or `none` when unset.
std::string TimeCell(bool has, const google::protobuf::Timestamp& ts,
                     const std::string& none = "never") {
  if (!has || (ts.seconds() == 0 && ts.nanos() == 0)) {
    return absl::StrCat("<span class=\"empty\">", none, "</span>");
  }
  return absl::StrCat("<time datetime=\"", Rfc3339(ts), "\">", Rfc3339(ts), "</time> (",
                      FormatAge(absl::Now() - ToTime(ts)), ")");
}

std::string FormatDuration(const google::protobuf::Duration& d) {
  return absl::FormatDuration(absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos()));
}

std::string ExplainHref(const std::string& authority, const std::string& token) {
  std::string href = absl::StrCat("/debug/explain.html?authority=", UrlEncode(authority));
  if (!token.empty()) absl::StrAppend(&href, "&context_token=", UrlEncode(token));
  return href;
}

std::string PageStart(const std::string& title) {
  return absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
      E(title), "</title>\n<style>", kStyle, "</style>\n</head>\n<body>\n");
}

std::string PageEnd() { return "</body>\n</html>\n"; }

std::string ExplainForm(const std::string& authority, const std::string& token) {
  return absl::StrCat(
      "<form id=\"explain-form\" method=\"get\" action=\"/debug/explain.html\">\n"
      "<p><label>authority <input type=\"text\" name=\"authority\" value=\"",
      E(authority),
      "\" placeholder=\"web.emojivoto.svc.cluster.local:8080\" required></label></p>\n"
      "<p><label>context token <input type=\"text\" name=\"context_token\" value=\"",
      E(token),
      "\" placeholder='{\"ns\":\"emojivoto\",\"nodeName\":\"node-1\"}'></label>\n"
      "<button type=\"submit\">explain</button></p>\n</form>\n");
}

// A row of a two-column key/value table; `html` is already escaped.
std::string Row(const std::string& label, const std::string& html, const std::string& id = "") {
  std::string attr = id.empty() ? "" : absl::StrCat(" id=\"", id, "\"");
  return absl::StrCat("<tr", attr, "><th>", label, "</th><td>", html, "</td></tr>\n");
}

std::string Empty(const std::string& text) {
  return absl::StrCat("<p class=\"empty\">", E(text), "</p>\n");
}

// --- index ---

std::string ProcessHeader(const DebugPageInfo& info) {
  return absl::StrCat("<table class=\"kv\" id=\"process\">\n",
                      Row("version", OrNone(info.version, "unknown")),
                      Row("source", OrNone(info.source, "unknown")),
                      Row("ready", info.ready ? "<span class=\"ok\">yes</span>"
                                              : "<span class=\"error\">no</span>"),
                      Row("open streams", absl::StrCat(info.open_streams)), "</table>\n");
}

std::string TopicsSection(const dbg::TopicList& topics) {
  std::string out = "<section id=\"topics\">\n<h2>Topics</h2>\n";
  if (topics.topics().empty()) {
    return absl::StrCat(out, Empty("no topics: no proxy is subscribed"), "</section>\n");
  }
  uint32_t shown = static_cast<uint32_t>(topics.topics_size());
  uint32_t total = std::max(topics.total(), shown);
  absl::StrAppend(&out, "<p>", total, " alive",
                  total > shown ? absl::StrCat(", ", shown, " shown") : std::string(),
                  "; each key links to its explanation.</p>\n",
                  "<table>\n<tr><th>kind</th><th>key</th><th>subscribers</th><th>version</th>"
                  "<th>last change</th><th>messages</th></tr>\n");
  for (const dbg::TopicSummary& t : topics.topics()) {
    absl::StrAppend(&out, "<tr class=\"topic\"><td class=\"kind\">", E(t.kind()),
                    "</td><td class=\"key\"><a class=\"explain-link\" href=\"",
                    E(ExplainHref(t.authority(), t.context_token())), "\">", E(t.key()),
                    "</a></td><td class=\"subscribers num\">", t.subscribers(),
                    "</td><td class=\"num\">", t.version(), "</td><td>",
                    TimeCell(t.has_last_change(), t.last_change()),
                    "</td><td class=\"messages num\">", t.messages(), "</td></tr>\n");
  }
  return absl::StrCat(out, "</table>\n</section>\n");
}

std::string EventsSection(const dbg::EventList& events) {
  std::string out = "<section id=\"events\">\n<h2>Recent events</h2>\n";
  if (events.events().empty()) {
    return absl::StrCat(
        out, Empty("no events: nothing worth a look has happened since the service started"),
        "</section>\n");
  }
  std::vector<const dbg::Event*> sorted;
  for (const dbg::Event& e : events.events()) sorted.push_back(&e);
  std::stable_sort(sorted.begin(), sorted.end(), [](const dbg::Event* a, const dbg::Event* b) {
    return ToTime(a->time()) > ToTime(b->time());
  });
  absl::StrAppend(&out,
                  "<p>Newest first.</p>\n<table>\n<tr><th>time</th><th>kind</th>"
                  "<th>object</th><th>message</th></tr>\n");
  for (const dbg::Event* e : sorted) {
    absl::StrAppend(&out, "<tr class=\"event\"><td>", TimeCell(e->has_time(), e->time(), "unknown"),
                    "</td><td class=\"kind\">", E(e->kind()), "</td><td class=\"object\">",
                    E(e->object()), "</td><td class=\"message\">", E(e->message()), "</td></tr>\n");
  }
  return absl::StrCat(out, "</table>\n</section>\n");
}

std::string IndexNav() {
  return "<nav id=\"links\"><p>JSON: <a href=\"/debug/topics\">/debug/topics</a> "
         "<a href=\"/debug/events\">/debug/events</a> "
         "<a href=\"/metrics\">/metrics</a> <a href=\"/ready\">/ready</a></p></nav>\n";
}

// --- explanation ---

std::string ClientSection(const dbg::ClientContext& c, const std::string& token) {
  return absl::StrCat(
      "<section id=\"client\">\n<h2>Client</h2>\n<table class=\"kv\">\n",
      Row("context token",
          token.empty() ? OrNone("") : absl::StrCat("<code>", E(token), "</code>")),
      Row("namespace", OrNone(c.namespace_())), Row("node", OrNone(c.node_name())),
      Row("zone", OrNone(c.zone(), "unknown")),
      Row("token malformed",
          c.token_malformed()
              ? "<span class=\"error\">yes: neither JSON nor ns:NAME, treated as empty</span>"
              : "no"),
      "</table>\n</section>\n");
}

std::string ErrorCell(const std::string& error) {
  return error.empty() ? "<span class=\"ok\">none</span>"
                       : absl::StrCat("<span class=\"error\">", E(error), "</span>");
}

std::string TargetSection(const dbg::Target& t) {
  std::string rows =
      absl::StrCat(Row("kind", OrNone(t.kind(), "unknown")), Row("service", OrNone(t.service())),
                   Row("port", t.port() ? absl::StrCat(t.port()) : OrNone("")));
  if (!t.service().empty()) {
    absl::StrAppend(&rows, Row("service exists", YesNo(t.service_exists())),
                    Row("service type", OrNone(t.service_type(), "unknown")));
  }
  if (!t.address().empty()) absl::StrAppend(&rows, Row("address", E(t.address())));
  if (!t.instance().empty()) absl::StrAppend(&rows, Row("instance", E(t.instance())));
  if (!t.pod().empty()) absl::StrAppend(&rows, Row("pod", E(t.pod())));
  absl::StrAppend(&rows, Row("GetProfile error", ErrorCell(t.profile_error()), "profile-error"),
                  Row("Get error", ErrorCell(t.get_error()), "get-error"));
  return absl::StrCat("<section id=\"target\">\n<h2>Target</h2>\n<table class=\"kv\">\n", rows,
                      "</table>\n</section>\n");
}

std::string SubscribersTable(const dbg::TopicState& topic) {
  if (topic.subscribers().empty()) return Empty("no subscribers listed");
  std::string out =
      "<table>\n<tr><th>peer</th><th>opened</th><th>last update</th><th>messages</th></tr>\n";
  for (const dbg::Subscriber& s : topic.subscribers()) {
    absl::StrAppend(&out, "<tr class=\"subscriber\"><td class=\"peer\">", E(s.peer()), "</td><td>",
                    TimeCell(s.has_opened(), s.opened(), "unknown"), "</td><td>",
                    TimeCell(s.has_last_update(), s.last_update()),
                    "</td><td class=\"messages num\">", s.messages(), "</td></tr>\n");
  }
  return absl::StrCat(out, "</table>\n");
}

std::string TopicStateSection(const dbg::TopicState& topic, const std::string& id) {
  std::string out =
      absl::StrCat("<section id=\"", id, "\" class=\"topic-state\">\n<h3>Topic</h3>\n");
  if (!topic.alive()) {
    return absl::StrCat(
        out,
        Empty(absl::StrCat("no topic alive", topic.key().empty() ? "" : " for " + topic.key(),
                           ": no stream subscribes to it now")),
        "</section>\n");
  }
  absl::StrAppend(&out, "<table class=\"kv\">\n", Row("key", E(topic.key())),
                  Row("version", absl::StrCat(topic.version())),
                  Row("last change", TimeCell(topic.has_last_change(), topic.last_change())),
                  Row("subscribers", absl::StrCat(topic.subscriber_count()), ""), "</table>\n",
                  SubscribersTable(topic));
  return absl::StrCat(out, "</section>\n");
}

std::string CandidateStatus(const dbg::ServiceProfileCandidate& c) {
  if (!c.exists()) return "<span class=\"empty\">absent</span>";
  if (c.invalid_reason().empty()) return "<span class=\"ok\">valid</span>";
  std::string out =
      absl::StrCat("invalid: <span class=\"invalid-reason\">", E(c.invalid_reason()), "</span>");
  if (c.last_valid_in_force()) {
    absl::StrAppend(&out, "; <span class=\"last-valid\">last valid version in force</span>");
  }
  return out;
}

std::string ServiceProfileSection(const dbg::ServiceProfileChoice& choice) {
  std::string out = absl::StrCat(
      "<section id=\"service-profile\">\n<h3>ServiceProfile</h3>\n<table class=\"kv\">\n",
      Row("selected", OrNone(choice.selected()), "selected-profile"),
      Row("reason", OrNone(choice.reason(), "not given")), "</table>\n");
  if (choice.candidates().empty()) {
    return absl::StrCat(out, Empty("no candidates looked at"), "</section>\n");
  }
  absl::StrAppend(&out,
                  "<table>\n<tr><th>candidate</th><th>role</th><th>exists</th>"
                  "<th>status</th></tr>\n");
  for (const dbg::ServiceProfileCandidate& c : choice.candidates()) {
    absl::StrAppend(&out, "<tr class=\"profile-candidate\"><td class=\"name\">", E(c.name()),
                    "</td><td>", E(c.role()), "</td><td>", YesNo(c.exists()), "</td><td>",
                    CandidateStatus(c), "</td></tr>\n");
  }
  return absl::StrCat(out, "</table>\n</section>\n");
}

std::string SplitAppliedTable(const dbg::TrafficSplitRef& s) {
  std::string valid = s.invalid_reason().empty()
                          ? std::string("<span class=\"ok\">valid</span>")
                          : absl::StrCat("invalid: <span class=\"invalid-reason\">",
                                         E(s.invalid_reason()), "</span>");
  if (s.last_valid_in_force()) {
    absl::StrAppend(&valid, "; <span class=\"last-valid\">last valid version in force</span>");
  }
  return absl::StrCat(
      "<table class=\"kv\" id=\"split-applied\">\n",
      Row("TrafficSplit applied", absl::StrCat("<span class=\"name\">", E(s.name()), "</span>")),
      Row("api version", OrNone(s.api_version(), "unknown")),
      Row("created", TimeCell(s.has_created(), s.created(), "unknown")),
      Row("stored version", valid), "</table>\n");
}

std::string SplitsIgnoredTable(const dbg::ProfileDecision& p) {
  if (p.splits_ignored().empty()) return "";
  std::string out =
      "<h3>TrafficSplits ignored</h3>\n<table id=\"splits-ignored\">\n<tr><th>TrafficSplit</th>"
      "<th>api version</th><th>created</th><th>reason</th></tr>\n";
  for (const dbg::IgnoredSplit& i : p.splits_ignored()) {
    absl::StrAppend(&out, "<tr class=\"split-ignored\"><td class=\"name\">", E(i.split().name()),
                    "</td><td>", E(i.split().api_version()), "</td><td>",
                    TimeCell(i.split().has_created(), i.split().created(), "unknown"),
                    "</td><td class=\"ignored-reason\">", E(i.reason()), "</td></tr>\n");
  }
  return absl::StrCat(out, "</table>\n");
}

std::string RouteAppliedTable(const dbg::HTTPRouteRef& r) {
  return absl::StrCat(
      "<table class=\"kv\" id=\"route-applied\">\n",
      Row("HTTPRoute applied", absl::StrCat("<span class=\"name\">", E(r.name()), "</span>")),
      Row("api version", OrNone(r.api_version(), "unknown")),
      Row("created", TimeCell(r.has_created(), r.created(), "unknown")), "</table>\n");
}

std::string RoutesIgnoredTable(const dbg::ProfileDecision& p) {
  if (p.routes_ignored().empty()) return "";
  std::string out =
      "<h3>HTTPRoutes ignored</h3>\n<table id=\"routes-ignored\">\n<tr><th>HTTPRoute</th>"
      "<th>api version</th><th>created</th><th>mistake</th><th>reason</th></tr>\n";
  for (const dbg::IgnoredRoute& i : p.routes_ignored()) {
    absl::StrAppend(
        &out, "<tr class=\"route-ignored", i.problem() ? " mistake" : "", "\"><td class=\"name\">",
        E(i.route().name()), "</td><td>", E(i.route().api_version()), "</td><td>",
        TimeCell(i.route().has_created(), i.route().created(), "unknown"), "</td><td>",
        YesNo(i.problem()), "</td><td class=\"ignored-reason\">", E(i.reason()), "</td></tr>\n");
  }
  return absl::StrCat(out, "</table>\n");
}

std::string DstOverridesTable(const pd::DestinationProfile& profile) {
  if (profile.dst_overrides().empty()) return Empty("no dst_overrides");
  uint64_t total = 0;
  for (const pd::WeightedDst& d : profile.dst_overrides()) total += d.weight();
  std::string out =
      "<table id=\"dst-overrides\">\n<tr><th>authority</th><th>weight</th>"
      "<th>share</th></tr>\n";
  for (const pd::WeightedDst& d : profile.dst_overrides()) {
    std::string share =
        total == 0 ? std::string("0.0%") : absl::StrFormat("%.1f%%", 100.0 * d.weight() / total);
    absl::StrAppend(&out, "<tr class=\"dst-override\"><td class=\"authority\">", E(d.authority()),
                    "</td><td class=\"weight num\">", d.weight(), "</td><td class=\"share num\">",
                    share, "</td></tr>\n");
  }
  return absl::StrCat(out, "</table>\n");
}

std::string OverridesSection(const dbg::ProfileDecision& p) {
  std::string out =
      absl::StrCat("<section id=\"overrides\">\n<h3>Traffic split</h3>\n", "<table class=\"kv\">\n",
                   Row("overrides from", OrNone(p.overrides_source(), "none (endpoint profile)"),
                       "overrides-source"),
                   "</table>\n");
  if (p.has_route_applied()) absl::StrAppend(&out, RouteAppliedTable(p.route_applied()));
  absl::StrAppend(&out, RoutesIgnoredTable(p));
  if (p.has_split_applied()) absl::StrAppend(&out, SplitAppliedTable(p.split_applied()));
  absl::StrAppend(&out, SplitsIgnoredTable(p), "<h3>dst_overrides</h3>\n",
                  DstOverridesTable(p.profile()));
  return absl::StrCat(out, "</section>\n");
}

std::string RoutesSection(const pd::DestinationProfile& profile) {
  std::string out = "<section id=\"routes\">\n<h3>Routes</h3>\n";
  if (profile.routes().empty()) {
    return absl::StrCat(out, Empty("no routes: every request is treated alike"), "</section>\n");
  }
  absl::StrAppend(&out, "<table>\n<tr><th>name</th><th>retryable</th><th>timeout</th></tr>\n");
  for (const pd::Route& r : profile.routes()) {
    auto name = r.metrics_labels().find("route");
    absl::StrAppend(&out, "<tr class=\"route\"><td class=\"name\">",
                    name == r.metrics_labels().end() ? OrNone("", "unnamed") : E(name->second),
                    "</td><td>", YesNo(r.is_retryable()), "</td><td>",
                    r.has_timeout() ? FormatDuration(r.timeout()) : OrNone(""), "</td></tr>\n");
  }
  return absl::StrCat(out, "</table>\n</section>\n");
}

std::string RetryBudgetAndOpaque(const dbg::ProfileDecision& p) {
  const pd::DestinationProfile& profile = p.profile();
  std::string budget = Empty("none");
  if (profile.has_retry_budget()) {
    const pd::RetryBudget& b = profile.retry_budget();
    budget = absl::StrCat("<table class=\"kv\">\n",
                          Row("retry ratio", absl::StrFormat("%g", b.retry_ratio())),
                          Row("min retries per second", absl::StrCat(b.min_retries_per_second())),
                          Row("ttl", FormatDuration(b.ttl())), "</table>\n");
  }
  std::string opaque_source = p.opaque().source().empty() ? "" : " (" + p.opaque().source() + ")";
  return absl::StrCat("<section id=\"opaque\">\n<h3>Opaque</h3>\n<p>", YesNo(p.opaque().opaque()),
                      E(opaque_source), "</p>\n</section>\n",
                      "<section id=\"retry-budget\">\n<h3>Retry budget</h3>\n", budget,
                      "</section>\n");
}

std::string NotesSection(const dbg::ProfileDecision& p) {
  if (p.notes().empty()) return "";
  std::string out = "<section id=\"notes\">\n<h3>Notes</h3>\n<ul>\n";
  for (const std::string& note : p.notes()) absl::StrAppend(&out, "<li>", E(note), "</li>\n");
  return absl::StrCat(out, "</ul>\n</section>\n");
}

std::string ProfileSection(const dbg::Explanation& x) {
  std::string out = "<section id=\"profile\">\n<h2>Profile (GetProfile)</h2>\n";
  if (!x.has_profile()) {
    return absl::StrCat(
        out, "<p class=\"error\">GetProfile refuses this authority: ",
        E(x.target().profile_error().empty() ? "no reason given" : x.target().profile_error()),
        "</p>\n</section>\n");
  }
  const dbg::ProfileDecision& p = x.profile();
  if (!p.profile().fully_qualified_name().empty()) {
    absl::StrAppend(&out, "<p>fully qualified name: <code>", E(p.profile().fully_qualified_name()),
                    "</code></p>\n");
  }
  absl::StrAppend(&out, ServiceProfileSection(p.service_profile()), OverridesSection(p),
                  RoutesSection(p.profile()), RetryBudgetAndOpaque(p), NotesSection(p),
                  TopicStateSection(p.topic(), "profile-topic"));
  return absl::StrCat(out, "</section>\n");
}

std::string ProtocolHint(const pd::WeightedAddr& addr) {
  if (!addr.has_protocol_hint()) return OrNone("");
  const pd::ProtocolHint& hint = addr.protocol_hint();
  std::string out = hint.has_h2() ? "h2" : hint.has_opaque() ? "opaque" : "";
  if (hint.has_opaque_transport()) {
    absl::StrAppend(&out, out.empty() ? "" : ", ", "opaque transport port ",
                    hint.opaque_transport().inbound_port());
  }
  return out.empty() ? OrNone("") : out;
}

std::string Labels(const pd::WeightedAddr& addr) {
  std::map<std::string, std::string> sorted(addr.metric_labels().begin(),
                                            addr.metric_labels().end());
  std::string out;
  for (const auto& [k, v] : sorted) {
    absl::StrAppend(&out, out.empty() ? "" : " ", "<code>", E(k), "=", E(v), "</code>");
  }
  return out.empty() ? OrNone("") : out;
}

std::string EndpointRows(const dbg::EndpointsDecision& d) {
  if (d.endpoints().empty()) return Empty("no endpoints");
  std::string out =
      "<table id=\"endpoint-list\">\n<tr><th>address</th><th>pod</th>"
      "<th>identity</th><th>protocol hint</th><th>labels</th></tr>\n";
  for (const dbg::Endpoint& e : d.endpoints()) {
    const pd::TlsIdentity& id = e.addr().tls_identity();
    std::string identity = id.has_dns_like_identity() ? E(id.dns_like_identity().name())
                                                      : OrNone("", "none (not meshed)");
    absl::StrAppend(&out, "<tr class=\"endpoint\"><td class=\"address\">", E(e.address()),
                    "</td><td class=\"pod\">", OrNone(e.pod()), "</td><td class=\"identity\">",
                    identity, "</td><td class=\"protocol-hint\">", ProtocolHint(e.addr()),
                    "</td><td class=\"labels\">", Labels(e.addr()), "</td></tr>\n");
  }
  return absl::StrCat(out, "</table>\n");
}

std::string LeftOutRows(const dbg::EndpointsDecision& d) {
  if (d.left_out().empty()) return "";
  std::string out =
      "<h3>Addresses left out</h3>\n<table id=\"left-out\">\n<tr><th>address</th>"
      "<th>pod</th><th>reason</th></tr>\n";
  for (const dbg::LeftOut& l : d.left_out()) {
    absl::StrAppend(&out, "<tr class=\"left-out\"><td class=\"address\">", E(l.address()),
                    "</td><td class=\"pod\">", OrNone(l.pod()), "</td><td class=\"reason\">",
                    E(l.reason()), "</td></tr>\n");
  }
  return absl::StrCat(out, "</table>\n");
}

std::string EndpointsSection(const dbg::Explanation& x) {
  std::string out = "<section id=\"endpoints\">\n<h2>Endpoints (Get)</h2>\n";
  if (!x.has_endpoints()) {
    return absl::StrCat(
        out, "<p class=\"error\">Get refuses this authority: ",
        E(x.target().get_error().empty() ? "no reason given" : x.target().get_error()),
        "</p>\n</section>\n");
  }
  const dbg::EndpointsDecision& d = x.endpoints();
  absl::StrAppend(&out, "<table class=\"kv\">\n", Row("service exists", YesNo(d.service_exists())),
                  Row("source", OrNone(d.source(), "unknown")),
                  Row("zone filter", OrNone(d.zone_filter(), "none: every zone"), "zone-filter"),
                  Row("endpoints", absl::StrCat(d.endpoints_size())), "</table>\n", EndpointRows(d),
                  LeftOutRows(d), TopicStateSection(d.topic(), "endpoints-topic"));
  return absl::StrCat(out, "</section>\n");
}

}  // namespace

std::string RenderDebugIndexHtml(const DebugPageInfo& info, const dbg::TopicList& topics,
                                 const dbg::EventList& events) {
  return absl::StrCat(PageStart("destination debug"), "<h1>Destination service: debug</h1>\n",
                      ProcessHeader(info), "<h2>Explain an authority</h2>\n", ExplainForm("", ""),
                      TopicsSection(topics), EventsSection(events), IndexNav(), PageEnd());
}

std::string RenderExplanationHtml(const dbg::Explanation& explanation,
                                  const std::string& context_token) {
  const std::string& authority = explanation.authority();
  std::string json = absl::StrCat("/debug/explain?authority=", UrlEncode(authority));
  if (!context_token.empty()) absl::StrAppend(&json, "&context_token=", UrlEncode(context_token));
  return absl::StrCat(
      PageStart("explain " + authority), "<nav><a id=\"back\" href=\"/debug/\">&larr; /debug/</a>",
      "<a href=\"", E(json), "\">JSON</a></nav>\n", "<h1>Explanation of <code id=\"authority\">",
      E(authority), "</code></h1>\n", ExplainForm(authority, context_token),
      ClientSection(explanation.client(), context_token), TargetSection(explanation.target()),
      ProfileSection(explanation), EndpointsSection(explanation), PageEnd());
}

std::string RenderExplainErrorHtml(const std::string& authority, const std::string& context_token,
                                   const std::string& error) {
  return absl::StrCat(PageStart("explain: error"),
                      "<nav><a id=\"back\" href=\"/debug/\">&larr; /debug/</a></nav>\n",
                      "<h1>Cannot explain <code>", E(authority), "</code></h1>\n",
                      "<p class=\"error\" id=\"error\">", E(error), "</p>\n",
                      ExplainForm(authority, context_token), PageEnd());
}

std::string HtmlEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string UrlEncode(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

}  // namespace dest
