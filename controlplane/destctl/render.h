// The pure rendering of destctl: proxy API messages (destination.proto, net.proto) to the text a
// person reads in a terminal. No I/O and no clock: callers pass the current time where an age is
// shown, so every function here is a plain function of its arguments.
#ifndef CONTROLPLANE_DESTCTL_RENDER_H_
#define CONTROLPLANE_DESTCTL_RENDER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "destination.pb.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/map.h"
#include "google/protobuf/timestamp.pb.h"
#include "meta.pb.h"
#include "net.pb.h"

namespace destctl {

namespace pb = ::io::linkerd::proxy::destination;
namespace net = ::io::linkerd::proxy::net;
namespace meta = ::io::linkerd::proxy::meta;

// --- Values

// "10.244.1.10" (IPv4 is a host-order integer: 0x0A000001 is 10.0.0.1), "fd00::1" (RFC 5952,
// from the two 64-bit halves); "-" when neither is set.
std::string FormatIp(const net::IPAddress& ip);
// "10.244.1.10:8080", "[fd00::1]:8080".
std::string FormatTcpAddress(const net::TcpAddress& address);
// `weight` as a share of `total` with one decimal: "10.0%"; "-" when total is 0.
std::string FormatShare(uint64_t weight, uint64_t total);
// RFC 3339 in UTC with milliseconds: "2024-05-01T10:00:03.250Z".
std::string FormatRfc3339(absl::Time time);
// How long before `now` `then` was: "45s ago", "3m12s ago", "2h5m ago", "3d4h ago" ("0s ago" for
// a time after `now`).
std::string FormatAge(absl::Time then, absl::Time now);
// FormatAge of a protobuf Timestamp; "never" when it is unset (zero).
std::string FormatAge(const google::protobuf::Timestamp& then, absl::Time now);
absl::Time ToTime(const google::protobuf::Timestamp& timestamp);
// "250ms", "10s", "1m30s".
std::string FormatDuration(const google::protobuf::Duration& duration);
// "k=v,k2=v2" sorted by key; "-" when empty.
std::string FormatLabels(const google::protobuf::Map<std::string, std::string>& labels);
// The DNS-like (or URI) identity; "-" when there is none.
std::string FormatIdentity(const pb::TlsIdentity& identity);
// "h2", "opaque(4143)" (the proxy's inbound port of the opaque transport), "h2+opaque(4143)",
// "opaque"; "-" when there is no hint.
std::string FormatProtocolHint(const pb::ProtocolHint& hint);
// "ratio 0.2, min 10/s, ttl 10s"; "-" when `has_budget` is false.
std::string FormatRetryBudget(const pb::RetryBudget& budget, bool has_budget);
// A request condition in one line: "method GET && path ~ /api/.*", "!(path ~ /x)", "-" if empty.
std::string FormatRequestMatch(const pb::RequestMatch& match);
// "Service trafficsplit-sample/backend-svc port 8080", "default NAME"; "-" when unset.
std::string FormatMetadata(const meta::Metadata& metadata);
// The route's name (its `route` metrics label); `fallback` when it has none.
std::string RouteName(const pb::Route& route, std::string_view fallback = "-");
// "method GET && path ~ /api/.*  retryable  timeout 250ms", for change lines.
std::string RouteSummary(const pb::Route& route);
// One endpoint in one line: "ADDRESS  identity IDENTITY  protocol HINT  labels LABELS".
std::string EndpointSummary(const pb::WeightedAddr& endpoint);

// --- Tables and blocks (every line ends in '\n', prefixed by `indent`)

// One row per endpoint: ADDRESS, IDENTITY, PROTOCOL, LABELS, and AUTHORITY_OVERRIDE when one of
// them sets it.
std::string RenderEndpointTable(const std::vector<const pb::WeightedAddr*>& endpoints,
                                std::string_view indent = "");
// AUTHORITY, SHARE (of the total weight), WEIGHT.
std::string RenderOverridesTable(
    const google::protobuf::RepeatedPtrField<pb::WeightedDst>& overrides,
    std::string_view indent = "");
// NAME, CONDITION, RETRYABLE, TIMEOUT.
std::string RenderRoutesTable(const google::protobuf::RepeatedPtrField<pb::Route>& routes,
                              std::string_view indent = "");
// A whole profile: its fields, then its routes, dst_overrides and endpoint.
std::string RenderProfile(const pb::DestinationProfile& profile);

// What changed from `before` to `after`, one line per change as "FIELD  CHANGE" (no trailing
// '\n'), in field order: fully_qualified_name, opaque_protocol, retry_budget, routes (by name),
// dst_overrides (by authority, with shares), endpoint, parent_ref, profile_ref.
std::vector<std::string> ProfileChanges(const pb::DestinationProfile& before,
                                        const pb::DestinationProfile& after);

}  // namespace destctl

#endif  // CONTROLPLANE_DESTCTL_RENDER_H_
