#include "controlplane/destctl/render.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "controlplane/destctl/table.h"
#include "google/protobuf/util/message_differencer.h"
#include "http_types.pb.h"

namespace destctl {
namespace {

using ::google::protobuf::RepeatedPtrField;
using ::google::protobuf::util::MessageDifferencer;

std::string FormatIpv6(const net::IPv6& ip) {
  in6_addr bytes{};
  for (int i = 0; i < 8; ++i) {
    bytes.s6_addr[i] = static_cast<uint8_t>(ip.first() >> (56 - 8 * i));
    bytes.s6_addr[8 + i] = static_cast<uint8_t>(ip.last() >> (56 - 8 * i));
  }
  char text[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(AF_INET6, &bytes, text, sizeof text) == nullptr) return "-";
  return text;
}

std::string FormatMethod(const ::io::linkerd::proxy::http_types::HttpMethod& method) {
  if (method.has_unregistered()) return method.unregistered();
  return ::io::linkerd::proxy::http_types::HttpMethod::Registered_Name(method.registered());
}

// The text of `match`; `compound` tells whether it joins several predicates with an operator,
// so that an enclosing predicate puts it in parentheses.
std::string MatchText(const pb::RequestMatch& match, bool* compound);

std::string JoinMatches(const pb::RequestMatch::Seq& seq, bool all, bool* compound) {
  if (seq.matches().empty()) return all ? "all()" : "any()";
  std::vector<std::string> parts;
  for (const pb::RequestMatch& m : seq.matches()) {
    bool inner = false;
    std::string text = MatchText(m, &inner);
    parts.push_back(inner && seq.matches_size() > 1 ? absl::StrCat("(", text, ")") : text);
  }
  *compound = seq.matches_size() > 1;
  return absl::StrJoin(parts, all ? " && " : " || ");
}

std::string MatchText(const pb::RequestMatch& match, bool* compound) {
  *compound = false;
  switch (match.match_case()) {
    case pb::RequestMatch::kAll:
      return JoinMatches(match.all(), /*all=*/true, compound);
    case pb::RequestMatch::kAny:
      return JoinMatches(match.any(), /*all=*/false, compound);
    case pb::RequestMatch::kNot: {
      bool inner = false;
      return absl::StrCat("!(", MatchText(match.not_(), &inner), ")");
    }
    case pb::RequestMatch::kPath:
      return absl::StrCat("path ~ ", match.path().regex());
    case pb::RequestMatch::kMethod:
      return absl::StrCat("method ", FormatMethod(match.method()));
    case pb::RequestMatch::MATCH_NOT_SET:
      break;
  }
  return "-";
}

uint64_t TotalWeight(const RepeatedPtrField<pb::WeightedDst>& overrides) {
  uint64_t total = 0;
  for (const pb::WeightedDst& d : overrides) total += d.weight();
  return total;
}

std::string OrDash(std::string_view text) { return text.empty() ? "-" : std::string(text); }

// One line per route added ("+"), removed ("-") or changed ("~"), matched by name; when only the
// order changed, one line with the new order (the first matching route wins).
void AddRouteChanges(const RepeatedPtrField<pb::Route>& before,
                     const RepeatedPtrField<pb::Route>& after, std::vector<std::string>* out) {
  std::map<std::string, const pb::Route*> old_routes;
  std::vector<std::string> old_order;
  for (int i = 0; i < before.size(); ++i) {
    old_order.push_back(RouteName(before[i], absl::StrCat("#", i + 1)));
    old_routes[old_order.back()] = &before[i];
  }
  std::vector<std::string> new_order;
  const size_t first_line = out->size();
  for (int i = 0; i < after.size(); ++i) {
    new_order.push_back(RouteName(after[i], absl::StrCat("#", i + 1)));
    auto it = old_routes.find(new_order.back());
    if (it == old_routes.end()) {
      out->push_back(absl::StrCat("routes  + ", new_order.back(), "  ", RouteSummary(after[i])));
      continue;
    }
    if (!MessageDifferencer::Equals(*it->second, after[i])) {
      out->push_back(absl::StrCat("routes  ~ ", new_order.back(), "  ", RouteSummary(after[i])));
    }
    old_routes.erase(it);
  }
  for (const auto& [name, route] : old_routes) out->push_back(absl::StrCat("routes  - ", name));
  if (out->size() == first_line && old_order != new_order) {
    out->push_back(absl::StrCat("routes  reordered: ", absl::StrJoin(new_order, ", ")));
  }
}

// One line per override added, removed, or whose share (or weight) changed.
void AddOverrideChanges(const RepeatedPtrField<pb::WeightedDst>& before,
                        const RepeatedPtrField<pb::WeightedDst>& after,
                        std::vector<std::string>* out) {
  const uint64_t old_total = TotalWeight(before);
  const uint64_t new_total = TotalWeight(after);
  std::map<std::string, uint32_t> old_weights;
  for (const pb::WeightedDst& d : before) old_weights[d.authority()] += d.weight();
  for (const pb::WeightedDst& d : after) {
    const std::string share = FormatShare(d.weight(), new_total);
    auto it = old_weights.find(d.authority());
    if (it == old_weights.end()) {
      out->push_back(absl::StrCat("dst_overrides  + ", d.authority(), "  ", share));
      continue;
    }
    const std::string old_share = FormatShare(it->second, old_total);
    if (old_share != share) {
      out->push_back(
          absl::StrCat("dst_overrides  ", d.authority(), "  ", old_share, " -> ", share));
    } else if (it->second != d.weight()) {
      out->push_back(absl::StrCat("dst_overrides  ", d.authority(), "  weight ", it->second, " -> ",
                                  d.weight(), " (", share, " unchanged)"));
    }
    old_weights.erase(it);
  }
  for (const auto& [authority, weight] : old_weights) {
    out->push_back(absl::StrCat("dst_overrides  - ", authority, "  (was ",
                                FormatShare(weight, old_total), ")"));
  }
}

void AddEndpointChange(const pb::DestinationProfile& before, const pb::DestinationProfile& after,
                       std::vector<std::string>* out) {
  if (!before.has_endpoint() && !after.has_endpoint()) return;
  if (!after.has_endpoint()) {
    out->push_back(absl::StrCat("endpoint  - ", FormatTcpAddress(before.endpoint().addr())));
  } else if (!before.has_endpoint()) {
    out->push_back(absl::StrCat("endpoint  + ", EndpointSummary(after.endpoint())));
  } else if (!MessageDifferencer::Equals(before.endpoint(), after.endpoint())) {
    out->push_back(absl::StrCat("endpoint  ~ ", EndpointSummary(after.endpoint())));
  }
}

}  // namespace

std::string FormatIp(const net::IPAddress& ip) {
  switch (ip.ip_case()) {
    case net::IPAddress::kIpv4: {
      const uint32_t v = ip.ipv4();
      return absl::StrCat(v >> 24, ".", (v >> 16) & 0xFF, ".", (v >> 8) & 0xFF, ".", v & 0xFF);
    }
    case net::IPAddress::kIpv6:
      return FormatIpv6(ip.ipv6());
    case net::IPAddress::IP_NOT_SET:
      break;
  }
  return "-";
}

std::string FormatTcpAddress(const net::TcpAddress& address) {
  if (address.ip().has_ipv6())
    return absl::StrCat("[", FormatIp(address.ip()), "]:", address.port());
  return absl::StrCat(FormatIp(address.ip()), ":", address.port());
}

std::string FormatShare(uint64_t weight, uint64_t total) {
  if (total == 0) return "-";
  return absl::StrFormat("%.1f%%",
                         100.0 * static_cast<double>(weight) / static_cast<double>(total));
}

std::string FormatRfc3339(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone());
}

std::string FormatAge(absl::Time then, absl::Time now) {
  const int64_t s = std::max<int64_t>(0, absl::ToInt64Seconds(now - then));
  if (s < 60) return absl::StrCat(s, "s ago");
  if (s < 3600) return absl::StrCat(s / 60, "m", s % 60, "s ago");
  if (s < 86400) return absl::StrCat(s / 3600, "h", s % 3600 / 60, "m ago");
  return absl::StrCat(s / 86400, "d", s % 86400 / 3600, "h ago");
}

std::string FormatAge(const google::protobuf::Timestamp& then, absl::Time now) {
  if (then.seconds() == 0 && then.nanos() == 0) return "never";
  return FormatAge(ToTime(then), now);
}

absl::Time ToTime(const google::protobuf::Timestamp& timestamp) {
  return absl::FromUnixSeconds(timestamp.seconds()) + absl::Nanoseconds(timestamp.nanos());
}

std::string FormatDuration(const google::protobuf::Duration& duration) {
  return absl::FormatDuration(absl::Seconds(duration.seconds()) +
                              absl::Nanoseconds(duration.nanos()));
}

std::string FormatLabels(const google::protobuf::Map<std::string, std::string>& labels) {
  if (labels.empty()) return "-";
  const std::map<std::string, std::string> sorted(labels.begin(), labels.end());
  return absl::StrJoin(sorted, ",", absl::PairFormatter("="));
}

std::string FormatIdentity(const pb::TlsIdentity& identity) {
  if (identity.has_dns_like_identity() && !identity.dns_like_identity().name().empty()) {
    return identity.dns_like_identity().name();
  }
  if (identity.has_uri_like_identity() && !identity.uri_like_identity().uri().empty()) {
    return identity.uri_like_identity().uri();
  }
  return "-";
}

std::string FormatProtocolHint(const pb::ProtocolHint& hint) {
  std::vector<std::string> parts;
  if (hint.has_h2()) parts.push_back("h2");
  if (hint.has_opaque_transport()) {
    parts.push_back(absl::StrCat("opaque(", hint.opaque_transport().inbound_port(), ")"));
  } else if (hint.has_opaque()) {
    parts.push_back("opaque");
  }
  return parts.empty() ? "-" : absl::StrJoin(parts, "+");
}

std::string FormatRetryBudget(const pb::RetryBudget& budget, bool has_budget) {
  if (!has_budget) return "-";
  return absl::StrFormat("ratio %g, min %d/s, ttl %s", budget.retry_ratio(),
                         budget.min_retries_per_second(),
                         budget.has_ttl() ? FormatDuration(budget.ttl()) : "-");
}

std::string FormatRequestMatch(const pb::RequestMatch& match) {
  bool compound = false;
  return MatchText(match, &compound);
}

std::string FormatMetadata(const meta::Metadata& metadata) {
  if (metadata.has_default_()) return absl::StrCat("default ", metadata.default_());
  if (!metadata.has_resource()) return "-";
  const meta::Resource& r = metadata.resource();
  std::string out =
      absl::StrCat(r.kind().empty() ? "?" : r.kind(), " ",
                   r.namespace_().empty() ? "" : absl::StrCat(r.namespace_(), "/"), r.name());
  if (!r.section().empty()) absl::StrAppend(&out, " section ", r.section());
  if (r.port() != 0) absl::StrAppend(&out, " port ", r.port());
  return out;
}

std::string RouteName(const pb::Route& route, std::string_view fallback) {
  auto it = route.metrics_labels().find("route");
  if (it == route.metrics_labels().end() || it->second.empty()) return std::string(fallback);
  return it->second;
}

std::string RouteSummary(const pb::Route& route) {
  return absl::StrCat(FormatRequestMatch(route.condition()),
                      route.is_retryable() ? "  retryable" : "  not retryable",
                      route.has_timeout()
                          ? absl::StrCat("  timeout ", FormatDuration(route.timeout()))
                          : "  no timeout");
}

std::string EndpointSummary(const pb::WeightedAddr& endpoint) {
  std::string out = absl::StrCat(FormatTcpAddress(endpoint.addr()), "  identity ",
                                 FormatIdentity(endpoint.tls_identity()), "  protocol ",
                                 FormatProtocolHint(endpoint.protocol_hint()), "  labels ",
                                 FormatLabels(endpoint.metric_labels()));
  if (!endpoint.authority_override().authority_override().empty()) {
    absl::StrAppend(&out, "  authority_override ",
                    endpoint.authority_override().authority_override());
  }
  return out;
}

std::string RenderEndpointTable(const std::vector<const pb::WeightedAddr*>& endpoints,
                                std::string_view indent) {
  const bool overrides = std::any_of(endpoints.begin(), endpoints.end(), [](const auto* e) {
    return !e->authority_override().authority_override().empty();
  });
  std::vector<std::string> header = {"ADDRESS", "IDENTITY", "PROTOCOL", "LABELS"};
  if (overrides) header.push_back("AUTHORITY_OVERRIDE");
  Table table(std::move(header));
  for (const pb::WeightedAddr* e : endpoints) {
    std::vector<std::string> row = {FormatTcpAddress(e->addr()), FormatIdentity(e->tls_identity()),
                                    FormatProtocolHint(e->protocol_hint()),
                                    FormatLabels(e->metric_labels())};
    if (overrides) row.push_back(OrDash(e->authority_override().authority_override()));
    table.AddRow(std::move(row));
  }
  return table.Render(indent);
}

std::string RenderOverridesTable(const RepeatedPtrField<pb::WeightedDst>& overrides,
                                 std::string_view indent) {
  const uint64_t total = TotalWeight(overrides);
  Table table({"AUTHORITY", "SHARE", "WEIGHT"});
  for (const pb::WeightedDst& d : overrides) {
    table.AddRow({d.authority(), FormatShare(d.weight(), total), absl::StrCat(d.weight())});
  }
  return table.Render(indent);
}

std::string RenderRoutesTable(const RepeatedPtrField<pb::Route>& routes, std::string_view indent) {
  Table table({"NAME", "CONDITION", "RETRYABLE", "TIMEOUT"});
  for (const pb::Route& r : routes) {
    table.AddRow({RouteName(r), FormatRequestMatch(r.condition()), r.is_retryable() ? "yes" : "no",
                  r.has_timeout() ? FormatDuration(r.timeout()) : "-"});
  }
  return table.Render(indent);
}

std::string RenderProfile(const pb::DestinationProfile& profile) {
  Table fields;
  fields.AddRow({"fully_qualified_name", OrDash(profile.fully_qualified_name())});
  fields.AddRow({"opaque_protocol", profile.opaque_protocol() ? "true" : "false"});
  fields.AddRow(
      {"retry_budget", FormatRetryBudget(profile.retry_budget(), profile.has_retry_budget())});
  fields.AddRow({"parent_ref", FormatMetadata(profile.parent_ref())});
  fields.AddRow({"profile_ref", FormatMetadata(profile.profile_ref())});
  std::string out = fields.Render();
  if (profile.routes().empty()) {
    out.append("routes: none\n");
  } else {
    absl::StrAppend(&out, "routes:\n", RenderRoutesTable(profile.routes(), "  "));
  }
  if (profile.dst_overrides().empty()) {
    out.append("dst_overrides: none\n");
  } else {
    absl::StrAppend(&out, "dst_overrides:\n", RenderOverridesTable(profile.dst_overrides(), "  "));
  }
  if (profile.has_endpoint()) {
    absl::StrAppend(&out, "endpoint:\n", RenderEndpointTable({&profile.endpoint()}, "  "));
  }
  return out;
}

std::vector<std::string> ProfileChanges(const pb::DestinationProfile& before,
                                        const pb::DestinationProfile& after) {
  std::vector<std::string> out;
  auto changed = [&out](const char* field, const std::string& from, const std::string& to) {
    if (from != to) out.push_back(absl::StrCat(field, "  ", from, " -> ", to));
  };
  changed("fully_qualified_name", OrDash(before.fully_qualified_name()),
          OrDash(after.fully_qualified_name()));
  changed("opaque_protocol", before.opaque_protocol() ? "true" : "false",
          after.opaque_protocol() ? "true" : "false");
  changed("retry_budget", FormatRetryBudget(before.retry_budget(), before.has_retry_budget()),
          FormatRetryBudget(after.retry_budget(), after.has_retry_budget()));
  AddRouteChanges(before.routes(), after.routes(), &out);
  AddOverrideChanges(before.dst_overrides(), after.dst_overrides(), &out);
  AddEndpointChange(before, after, &out);
  changed("parent_ref", FormatMetadata(before.parent_ref()), FormatMetadata(after.parent_ref()));
  changed("profile_ref", FormatMetadata(before.profile_ref()), FormatMetadata(after.profile_ref()));
  if (out.empty() && !MessageDifferencer::Equals(before, after)) {
    out.push_back("profile  changed in a detail the table does not show (-o json shows it)");
  }
  return out;
}

}  // namespace destctl
