#include "controlplane/destctl/explanation_text.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "controlplane/destctl/render.h"
#include "controlplane/destctl/table.h"

namespace destctl {
namespace {

namespace dbg = ::io::destination::debug::v1;

// The width of the key column of every section, so that the values line up across the sections.
constexpr size_t kKeyWidth = 20;

std::string OrDash(const std::string& text) { return text.empty() ? "-" : text; }

// "  KEY    VALUE\n", the value in the column after kKeyWidth; "  KEY:\n" without a value (a
// table follows).
std::string Field(absl::string_view key, absl::string_view value) {
  if (value.empty()) return absl::StrCat("  ", key, ":\n");
  return absl::StrCat("  ", key,
                      std::string(key.size() < kKeyWidth ? kKeyWidth - key.size() : 1, ' '), value,
                      "\n");
}

// "ns/name (api_version, created TIME)" of a TrafficSplit or an HTTPRoute (whose api_version
// names its group).
template <typename Ref>
std::string RefText(const Ref& ref) {
  std::string out = absl::StrCat(OrDash(ref.name()), " (", OrDash(ref.api_version()));
  if (ref.has_created()) absl::StrAppend(&out, ", created ", FormatRfc3339(ToTime(ref.created())));
  out.push_back(')');
  return out;
}

// A TrafficSplit's RefText, and why it is invalid when it is.
std::string SplitText(const dbg::TrafficSplitRef& split) {
  std::string out = RefText(split);
  if (!split.invalid_reason().empty()) {
    absl::StrAppend(&out, "; invalid: ", split.invalid_reason());
    if (split.last_valid_in_force()) out.append("; its last valid version is in force");
  }
  return out;
}

std::string CandidateState(const dbg::ServiceProfileCandidate& candidate) {
  if (!candidate.exists()) return "absent";
  if (candidate.invalid_reason().empty()) return "valid";
  return absl::StrCat("invalid: ", candidate.invalid_reason(),
                      candidate.last_valid_in_force() ? "; its last valid version is in force"
                                                      : "; no valid version, not used");
}

void AppendClient(const dbg::ClientContext& client, std::string* out) {
  absl::StrAppend(out, "client:\n", Field("namespace", OrDash(client.namespace_())),
                  Field("node", OrDash(client.node_name())), Field("zone", OrDash(client.zone())));
  if (client.token_malformed()) {
    out->append(Field("token", "malformed (neither JSON nor ns:NAME): treated as empty"));
  }
}

void AppendTarget(const dbg::Target& target, std::string* out) {
  absl::StrAppend(out, "target:\n", Field("kind", OrDash(target.kind())));
  if (!target.service().empty()) {
    const std::string state =
        target.service_exists() ? OrDash(target.service_type()) : std::string("does not exist");
    out->append(Field("service", absl::StrCat(target.service(), " (", state, ")")));
  }
  if (target.port() != 0) out->append(Field("port", absl::StrCat(target.port())));
  if (!target.pod().empty()) out->append(Field("pod", target.pod()));
  if (!target.address().empty()) out->append(Field("address", target.address()));
  if (!target.instance().empty()) out->append(Field("instance", target.instance()));
  if (!target.profile_error().empty()) {
    out->append(Field("GetProfile refuses", target.profile_error()));
  }
  if (!target.get_error().empty()) out->append(Field("Get refuses", target.get_error()));
}

void AppendTopic(const dbg::TopicState& topic, absl::Time now, std::string* out) {
  if (!topic.alive()) {
    out->append(
        Field("topic", absl::StrCat(OrDash(topic.key()), " (no stream subscribes to it now)")));
    return;
  }
  out->append(Field("topic", absl::StrCat(topic.key(), " (version ", topic.version(), ", changed ",
                                          FormatAge(topic.last_change(), now), ")")));
  out->append(Field("subscribers", absl::StrCat(topic.subscriber_count())));
  if (topic.subscribers().empty()) return;
  Table subscribers({"PEER", "OPENED", "LAST UPDATE", "MESSAGES"});
  for (const dbg::Subscriber& s : topic.subscribers()) {
    subscribers.AddRow({s.peer(), FormatAge(s.opened(), now), FormatAge(s.last_update(), now),
                        absl::StrCat(s.messages())});
  }
  out->append(subscribers.Render("    "));
}

void AppendServiceProfile(const dbg::ServiceProfileChoice& choice, std::string* out) {
  absl::StrAppend(out,
                  Field("service profile", choice.selected().empty() ? "none" : choice.selected()),
                  Field("reason", OrDash(choice.reason())));
  if (choice.candidates().empty()) {
    out->append(Field("candidates", "none"));
    return;
  }
  Table candidates({"NAME", "ROLE", "STATE"});
  for (const dbg::ServiceProfileCandidate& c : choice.candidates()) {
    candidates.AddRow({c.name(), OrDash(c.role()), CandidateState(c)});
  }
  absl::StrAppend(out, Field("candidates", ""), candidates.Render("    "));
}

// The HTTPRoutes naming the Service: the one applied, the others and why not ("mistake" marks
// a problem in the route itself, as opposed to a route for another port or other clients).
void AppendRoutes(const dbg::ProfileDecision& decision, std::string* out) {
  out->append(Field("route applied", decision.has_route_applied()
                                         ? RefText(decision.route_applied())
                                         : std::string("none")));
  if (decision.routes_ignored().empty()) {
    out->append(Field("routes ignored", "none"));
    return;
  }
  Table ignored({"ROUTE", "MISTAKE", "REASON"});
  for (const dbg::IgnoredRoute& r : decision.routes_ignored()) {
    ignored.AddRow({RefText(r.route()), r.problem() ? "yes" : "no", OrDash(r.reason())});
  }
  absl::StrAppend(out, Field("routes ignored", ""), ignored.Render("    "));
}

void AppendSplits(const dbg::ProfileDecision& decision, std::string* out) {
  absl::StrAppend(
      out, Field("split applied", decision.has_split_applied() ? SplitText(decision.split_applied())
                                                               : std::string("none")));
  if (decision.splits_ignored().empty()) {
    out->append(Field("splits ignored", "none"));
    return;
  }
  Table ignored({"SPLIT", "REASON"});
  for (const dbg::IgnoredSplit& s : decision.splits_ignored()) {
    ignored.AddRow({SplitText(s.split()), OrDash(s.reason())});
  }
  absl::StrAppend(out, Field("splits ignored", ""), ignored.Render("    "));
}

// The profile a new stream would receive: opaque, retry budget, dst_overrides, routes, endpoint.
void AppendServedProfile(const dbg::ProfileDecision& decision, std::string* out) {
  const pb::DestinationProfile& profile = decision.profile();
  absl::StrAppend(
      out,
      Field("opaque", absl::StrCat(decision.opaque().opaque() ? "true" : "false", " (",
                                   OrDash(decision.opaque().source()), ")")),
      Field("retry budget", FormatRetryBudget(profile.retry_budget(), profile.has_retry_budget())));
  for (const std::string& note : decision.notes()) out->append(Field("note", note));
  if (profile.dst_overrides().empty()) {
    out->append(Field("dst_overrides", "none"));
  } else {
    absl::StrAppend(out, Field("dst_overrides", ""),
                    RenderOverridesTable(profile.dst_overrides(), "    "));
  }
  if (!profile.routes().empty()) {
    absl::StrAppend(out, Field("routes", ""), RenderRoutesTable(profile.routes(), "    "));
  }
  if (profile.has_endpoint()) {
    absl::StrAppend(out, Field("endpoint", ""), RenderEndpointTable({&profile.endpoint()}, "    "));
  }
}

void AppendProfile(const dbg::Explanation& explanation, absl::Time now, std::string* out) {
  if (!explanation.has_profile()) {
    absl::StrAppend(out, "profile: none (GetProfile refuses: ",
                    OrDash(explanation.target().profile_error()), ")\n");
    return;
  }
  out->append("profile:\n");
  AppendServiceProfile(explanation.profile().service_profile(), out);
  out->append(Field("overrides source", OrDash(explanation.profile().overrides_source())));
  AppendRoutes(explanation.profile(), out);
  AppendSplits(explanation.profile(), out);
  AppendServedProfile(explanation.profile(), out);
  AppendTopic(explanation.profile().topic(), now, out);
}

void AppendEndpoints(const dbg::Explanation& explanation, absl::Time now, std::string* out) {
  if (!explanation.has_endpoints()) {
    absl::StrAppend(out, "endpoints: none (Get refuses: ", OrDash(explanation.target().get_error()),
                    ")\n");
    return;
  }
  const dbg::EndpointsDecision& decision = explanation.endpoints();
  absl::StrAppend(out, "endpoints:\n",
                  Field("service exists", decision.service_exists() ? "true" : "false"),
                  Field("source", OrDash(decision.source())),
                  Field("zone filter", decision.zone_filter().empty() ? std::string("none")
                                                                      : decision.zone_filter()));
  std::vector<const pb::WeightedAddr*> rows;
  for (const dbg::Endpoint& e : decision.endpoints()) rows.push_back(&e.addr());
  if (rows.empty()) {
    out->append(Field("endpoints", "none"));
  } else {
    absl::StrAppend(out, Field("endpoints", absl::StrCat(rows.size())),
                    RenderEndpointTable(rows, "    "));
  }
  if (!decision.left_out().empty()) {
    Table left_out({"ADDRESS", "POD", "REASON"});
    for (const dbg::LeftOut& l : decision.left_out()) {
      left_out.AddRow({OrDash(l.address()), OrDash(l.pod()), OrDash(l.reason())});
    }
    absl::StrAppend(out, Field("left out", absl::StrCat(decision.left_out_size())),
                    left_out.Render("    "));
  }
  AppendTopic(decision.topic(), now, out);
}

}  // namespace

std::string RenderExplanation(const dbg::Explanation& explanation, absl::Time now) {
  std::string out = absl::StrCat("authority: ", explanation.authority(), "\n\n");
  AppendClient(explanation.client(), &out);
  out.push_back('\n');
  AppendTarget(explanation.target(), &out);
  out.push_back('\n');
  AppendProfile(explanation, now, &out);
  out.push_back('\n');
  AppendEndpoints(explanation, now, &out);
  return out;
}

}  // namespace destctl
