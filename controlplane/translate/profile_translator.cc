#include "controlplane/translate/profile_translator.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <set>
#include <tuple>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "controlplane/translate/authority.h"
#include "controlplane/translate/go_duration.h"
#include "watchers/decode/quantity.h"

namespace dest {
namespace pb = io::linkerd::proxy::destination;
namespace http = io::linkerd::proxy::http_types;

namespace {

absl::Status At(const std::string& path, const absl::Status& s) {
  return absl::Status(s.code(), absl::StrCat(path, ": ", s.message()));
}

void SetDuration(absl::Duration d, google::protobuf::Duration* out) {
  int64_t secs = absl::IDivDuration(d, absl::Seconds(1), &d);
  out->set_seconds(secs);
  out->set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(d)));
}

// Where a leaf field goes among the shared nodes of a match with several fields.
enum class LeafSlot { kBeforeNot, kAfterNot };

// Translates a match tree: the all/any/not nodes shared by request and response matches, plus the
// leaves `leaves` appends for the fields particular to each. A match with several fields becomes
// `all` of them, in the order of Linkerd's translation (controller/api/destination's
// toRequestMatch and toResponseMatch), so profiles are byte-identical to Linkerd's: requests
// all, any, method, not, path; responses all, any, status, not. A match with none is invalid.
template <typename Spec, typename Pb, typename Leaves>
absl::Status TranslateMatch(const Spec& m, const std::string& path, Pb* out, const Leaves& leaves) {
  std::vector<Pb> parts;
  if (!m.all.empty()) {
    Pb p;
    for (size_t i = 0; i < m.all.size(); ++i) {
      RETURN_IF_ERROR(TranslateMatch(m.all[i], absl::StrCat(path, ".all[", i, "]"),
                                     p.mutable_all()->add_matches(), leaves));
    }
    parts.push_back(std::move(p));
  }
  if (!m.any.empty()) {
    Pb p;
    for (size_t i = 0; i < m.any.size(); ++i) {
      RETURN_IF_ERROR(TranslateMatch(m.any[i], absl::StrCat(path, ".any[", i, "]"),
                                     p.mutable_any()->add_matches(), leaves));
    }
    parts.push_back(std::move(p));
  }
  RETURN_IF_ERROR(leaves(m, path, LeafSlot::kBeforeNot, &parts));
  if (!m.not_.empty()) {
    Pb p;
    RETURN_IF_ERROR(
        TranslateMatch(m.not_[0], absl::StrCat(path, ".not"), p.mutable_not_(), leaves));
    parts.push_back(std::move(p));
  }
  RETURN_IF_ERROR(leaves(m, path, LeafSlot::kAfterNot, &parts));
  if (parts.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": a match needs at least one field"));
  }
  if (parts.size() == 1) {
    *out = std::move(parts[0]);
  } else {
    for (auto& p : parts) *out->mutable_all()->add_matches() = std::move(p);
  }
  return absl::OkStatus();
}

// The leaves of a request match: method before `not`, pathRegex after it.
absl::Status RequestLeaves(const RequestMatchSpec& m, const std::string& path, LeafSlot slot,
                           std::vector<pb::RequestMatch>* parts) {
  if (slot == LeafSlot::kAfterNot) {
    if (!m.path_regex) return absl::OkStatus();
    if (m.path_regex->empty()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ".pathRegex: empty"));
    }
    pb::RequestMatch p;
    p.mutable_path()->set_regex(*m.path_regex);
    parts->push_back(std::move(p));
    return absl::OkStatus();
  }
  if (!m.method) return absl::OkStatus();
  static constexpr absl::string_view kMethods[] = {"GET",     "POST",    "PUT",  "DELETE", "PATCH",
                                                   "OPTIONS", "CONNECT", "HEAD", "TRACE"};
  if (m.method->empty()) return absl::InvalidArgumentError(absl::StrCat(path, ".method: empty"));
  std::string upper = absl::AsciiStrToUpper(*m.method);
  pb::RequestMatch p;
  auto* method = p.mutable_method();
  auto it = std::find(std::begin(kMethods), std::end(kMethods), upper);
  if (it != std::end(kMethods)) {
    method->set_registered(static_cast<http::HttpMethod::Registered>(it - std::begin(kMethods)));
  } else {
    method->set_unregistered(*m.method);
  }
  parts->push_back(std::move(p));
  return absl::OkStatus();
}

// The leaf of a response match, before `not`: a status range (0 = unset bound; set bounds in
// 100..599).
absl::Status ResponseLeaves(const ResponseMatchSpec& m, const std::string& path, LeafSlot slot,
                            std::vector<pb::ResponseMatch>* parts) {
  if (slot != LeafSlot::kBeforeNot || !m.status) return absl::OkStatus();
  int64_t lo = m.status->min, hi = m.status->max;
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".status: ", why));
  };
  if (lo == 0 && hi == 0) return bad("min or max must be set");
  if (lo != 0 && (lo < 100 || lo > 599)) return bad(absl::StrCat("min ", lo, " not in 100..599"));
  if (hi != 0 && (hi < 100 || hi > 599)) return bad(absl::StrCat("max ", hi, " not in 100..599"));
  if (lo == 0) lo = 100;
  if (hi == 0) hi = 599;
  if (hi < lo) return bad(absl::StrCat("max ", hi, " is less than min ", lo));
  pb::ResponseMatch p;
  p.mutable_status()->set_min(static_cast<uint32_t>(lo));
  p.mutable_status()->set_max(static_cast<uint32_t>(hi));
  parts->push_back(std::move(p));
  return absl::OkStatus();
}

absl::Status TranslateRequestMatch(const RequestMatchSpec& m, const std::string& path,
                                   pb::RequestMatch* out) {
  return TranslateMatch(m, path, out, RequestLeaves);
}

absl::Status TranslateResponseMatch(const ResponseMatchSpec& m, const std::string& path,
                                    pb::ResponseMatch* out) {
  return TranslateMatch(m, path, out, ResponseLeaves);
}

// Appends ":port" to an authority that has none.
std::string WithPort(absl::string_view authority, uint32_t port) {
  size_t bracket = authority.rfind(']');
  size_t colon = authority.rfind(':');
  bool has_port =
      colon != absl::string_view::npos && (bracket == absl::string_view::npos || colon > bracket) &&
      colon + 1 < authority.size() &&
      absl::c_all_of(authority.substr(colon + 1), [](char c) { return absl::ascii_isdigit(c); });
  if (has_port) return std::string(authority);
  return absl::StrCat(authority, ":", port);
}

}  // namespace

pb::RetryBudget DefaultRetryBudget() {
  pb::RetryBudget b;
  b.set_retry_ratio(0.2f);
  b.set_min_retries_per_second(10);
  b.mutable_ttl()->set_seconds(10);
  return b;
}

absl::StatusOr<uint32_t> WireWeight(absl::string_view quantity) {
  ASSIGN_OR_RETURN(int64_t milli,
                   ParseQuantityMilli(std::string_view(quantity.data(), quantity.size())));
  if (milli > static_cast<int64_t>(std::numeric_limits<uint32_t>::max() / 10)) {
    return absl::OutOfRangeError(
        absl::StrCat("weight \"", quantity,
                     "\" is too large (the wire weight is milli-value x 10 "
                     "and must fit in 32 bits)"));
  }
  return static_cast<uint32_t>(milli * 10);
}

namespace {

absl::StatusOr<pb::Route> TranslateRoute(const RouteSpec& r, const std::string& path) {
  if (r.name.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ".name: empty"));
  if (!r.condition) return absl::InvalidArgumentError(absl::StrCat(path, ".condition: missing"));
  pb::Route route;
  RETURN_IF_ERROR(
      TranslateRequestMatch(*r.condition, path + ".condition", route.mutable_condition()));
  for (size_t j = 0; j < r.response_classes.size(); ++j) {
    const ResponseClassSpec& rc = r.response_classes[j];
    std::string rc_path = absl::StrCat(path, ".responseClasses[", j, "]");
    if (!rc.condition) {
      return absl::InvalidArgumentError(absl::StrCat(rc_path, ".condition: missing"));
    }
    pb::ResponseClass* c = route.add_response_classes();
    RETURN_IF_ERROR(
        TranslateResponseMatch(*rc.condition, rc_path + ".condition", c->mutable_condition()));
    c->set_is_failure(rc.is_failure);
  }
  (*route.mutable_metrics_labels())["route"] = r.name;
  route.set_is_retryable(r.is_retryable);
  if (r.timeout && !r.timeout->empty()) {
    absl::StatusOr<absl::Duration> d = ParseGoDuration(*r.timeout);
    if (!d.ok()) return At(path + ".timeout", d.status());
    if (*d < absl::ZeroDuration()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ".timeout: negative"));
    }
    SetDuration(*d, route.mutable_timeout());
  }
  return route;
}

absl::StatusOr<pb::RetryBudget> TranslateRetryBudget(const RetryBudgetSpec& b) {
  if (!(b.retry_ratio >= 0) || b.retry_ratio > std::numeric_limits<float>::max()) {
    return absl::InvalidArgumentError("spec.retryBudget.retryRatio: must be a number >= 0");
  }
  if (b.min_retries_per_second < 0 ||
      b.min_retries_per_second > std::numeric_limits<uint32_t>::max()) {
    return absl::InvalidArgumentError(
        "spec.retryBudget.minRetriesPerSecond: must be in 0..4294967295");
  }
  absl::StatusOr<absl::Duration> ttl = ParseGoDuration(b.ttl);
  if (!ttl.ok()) return At("spec.retryBudget.ttl", ttl.status());
  if (*ttl < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("spec.retryBudget.ttl: negative");
  }
  pb::RetryBudget out;
  out.set_retry_ratio(static_cast<float>(b.retry_ratio));
  out.set_min_retries_per_second(static_cast<uint32_t>(b.min_retries_per_second));
  SetDuration(*ttl, out.mutable_ttl());
  return out;
}

absl::StatusOr<pb::WeightedDst> TranslateOverride(const DstOverrideSpec& o, const std::string& path,
                                                  uint32_t port) {
  if (o.authority.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".authority: empty"));
  }
  absl::StatusOr<uint32_t> w = WireWeight(o.weight);
  if (!w.ok()) return At(path + ".weight", w.status());
  pb::WeightedDst d;
  d.set_authority(WithPort(o.authority, port));
  d.set_weight(*w);
  return d;
}

}  // namespace

absl::StatusOr<TranslatedServiceProfile> TranslateServiceProfile(const ServiceProfile& sp,
                                                                 uint32_t port) {
  TranslatedServiceProfile out;
  for (size_t i = 0; i < sp.routes.size(); ++i) {
    ASSIGN_OR_RETURN(pb::Route route,
                     TranslateRoute(sp.routes[i], absl::StrCat("spec.routes[", i, "]")));
    out.routes.push_back(std::move(route));
  }
  if (sp.retry_budget) {
    ASSIGN_OR_RETURN(out.retry_budget, TranslateRetryBudget(*sp.retry_budget));
  } else {
    out.retry_budget = DefaultRetryBudget();
  }
  for (size_t i = 0; i < sp.dst_overrides.size(); ++i) {
    ASSIGN_OR_RETURN(
        pb::WeightedDst d,
        TranslateOverride(sp.dst_overrides[i], absl::StrCat("spec.dstOverrides[", i, "]"), port));
    out.dst_overrides.push_back(std::move(d));
  }
  return out;
}

absl::StatusOr<std::vector<pb::WeightedDst>> SplitOverrides(const TrafficSplit& split,
                                                            const std::string& service_ns,
                                                            uint32_t port,
                                                            const TranslatorOptions& options) {
  if (split.backends.empty()) return absl::InvalidArgumentError("has no backends");
  std::vector<pb::WeightedDst> dsts;
  uint64_t total = 0;
  for (size_t i = 0; i < split.backends.size(); ++i) {
    const TrafficSplitBackend& b = split.backends[i];
    absl::StatusOr<uint32_t> w = WireWeight(b.weight);
    if (b.service.empty() || !w.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "spec.backends[", i,
          "]: ", b.service.empty() ? "service is empty" : std::string(w.status().message())));
    }
    total += *w;
    pb::WeightedDst d;
    d.set_authority(absl::StrCat(
        ServiceFqdn{ServiceRef{service_ns, b.service}}.Format(options.cluster_domain), ".:", port));
    d.set_weight(*w);
    auto* ref = d.mutable_backend_ref()->mutable_resource();
    ref->set_group("core");
    ref->set_kind("Service");
    ref->set_name(b.service);
    ref->set_namespace_(service_ns);
    ref->set_port(port);
    dsts.push_back(std::move(d));
  }
  if (total == 0) return absl::InvalidArgumentError("has only zero weights");
  return dsts;
}

absl::Status ValidateSplitWeights(const TrafficSplit& split) {
  return SplitOverrides(split, split.meta.ns, 80, TranslatorOptions{}).status();
}

std::string RouteName(const HTTPRoute& route) {
  const std::string_view group = GroupOf(route.api_version);
  const bool gateway = group == InfoOf(Kind::kGatewayHTTPRoute).group;
  return absl::StrCat("HTTPRoute", gateway ? "" : ".", gateway ? "" : std::string(group), " ",
                      ServiceRef{route.meta.ns, route.meta.name}.ToString());
}

std::vector<std::string> CrossNamespaceBackends(
    const std::vector<std::shared_ptr<const HTTPRoute>>& routes) {
  std::set<std::string> out;
  for (const auto& route : routes) {
    for (const RouteRuleSpec& rule : route->rules) {
      for (const RouteBackendRef& b : rule.backend_refs) {
        if (!b.ns.empty() && b.ns != route->meta.ns) out.insert(b.ns);
      }
    }
  }
  return {out.begin(), out.end()};
}

namespace {

bool IsCoreGroup(absl::string_view group) { return group.empty() || group == "core"; }

// Whether a ReferenceGrant in the backend's namespace lets `route` refer to Service `name` there.
bool Granted(const HTTPRoute& route, const std::string& backend_ns, const std::string& name,
             const std::vector<std::shared_ptr<const ReferenceGrant>>& grants) {
  const std::string_view group = GroupOf(route.api_version);
  for (const auto& grant : grants) {
    if (grant->meta.ns != backend_ns) continue;
    bool from = absl::c_any_of(grant->from, [&](const GrantFrom& f) {
      return f.group == group && f.kind == "HTTPRoute" && f.ns == route.meta.ns;
    });
    bool to = absl::c_any_of(grant->to, [&](const GrantTo& t) {
      return IsCoreGroup(t.group) && t.kind == "Service" && (t.name.empty() || t.name == name);
    });
    if (from && to) return true;
  }
  return false;
}

absl::Status NotExpressible(absl::string_view what) {
  return absl::FailedPreconditionError(absl::StrCat(what, ", which plain weights cannot express"));
}

// Why a rule's match is not the default one (PathPrefix "/", nothing else), or "" when it is.
std::string MatchProblem(const RouteMatchSpec& m) {
  if (m.headers > 0) return "matches headers";
  if (m.query_params > 0) return "matches query parameters";
  if (!m.method.empty()) return absl::StrCat("matches method ", m.method);
  if (m.path_type != "PathPrefix" || m.path_value != "/") {
    return absl::StrCat("matches path ", m.path_type, " \"", m.path_value, "\"");
  }
  return "";
}

}  // namespace

absl::StatusOr<std::vector<pb::WeightedDst>> RouteOverrides(
    const HTTPRoute& route, uint32_t port,
    const std::vector<std::shared_ptr<const ReferenceGrant>>& grants,
    const TranslatorOptions& options) {
  if (route.rules.size() != 1) {
    return NotExpressible(route.rules.empty()
                              ? std::string("has no rules (the Gateway API answers 404)")
                              : absl::StrCat("has ", route.rules.size(), " rules"));
  }
  const RouteRuleSpec& rule = route.rules[0];
  if (rule.matches.size() > 1) {
    return NotExpressible(absl::StrCat("spec.rules[0] has ", rule.matches.size(), " matches"));
  }
  if (rule.matches.size() == 1) {
    if (std::string problem = MatchProblem(rule.matches[0]); !problem.empty()) {
      return NotExpressible(absl::StrCat("spec.rules[0].matches[0] ", problem));
    }
  }
  if (rule.filters > 0) return NotExpressible("spec.rules[0] has filters");
  if (!rule.other_fields.empty()) {
    return NotExpressible(
        absl::StrCat("spec.rules[0] sets ", absl::StrJoin(rule.other_fields, " and ")));
  }
  if (rule.backend_refs.empty()) {
    return NotExpressible("spec.rules[0] has no backendRefs (the Gateway API answers 500)");
  }
  std::vector<pb::WeightedDst> dsts;
  bool any_weight = false;
  for (size_t i = 0; i < rule.backend_refs.size(); ++i) {
    const RouteBackendRef& b = rule.backend_refs[i];
    const std::string at = absl::StrCat("spec.rules[0].backendRefs[", i, "]");
    if (!IsCoreGroup(b.group) || b.kind != "Service") {
      return NotExpressible(
          absl::StrCat(at, " is a ", b.kind, " of group \"", b.group, "\", not a Service"));
    }
    if (b.filters > 0) return NotExpressible(absl::StrCat(at, " has filters"));
    if (b.name.empty()) return absl::InvalidArgumentError(absl::StrCat(at, ".name: empty"));
    const std::string& ns = b.ns.empty() ? route.meta.ns : b.ns;
    if (ns != route.meta.ns && !Granted(route, ns, b.name, grants)) {
      return absl::FailedPreconditionError(absl::StrCat(
          at, " is the Service ", ServiceRef{ns, b.name}.ToString(),
          " in another namespace, and no ReferenceGrant in ", ns, " lets HTTPRoutes of ",
          std::string(GroupOf(route.api_version)), " in ", route.meta.ns, " refer to it"));
    }
    if (b.weight < 0) {
      return absl::InvalidArgumentError(absl::StrCat(at, ".weight: ", b.weight, " is negative"));
    }
    // The same conversion and overflow guard as a TrafficSplit's integer weight: w x 10000.
    absl::StatusOr<uint32_t> w = WireWeight(absl::StrCat(b.weight));
    if (!w.ok())
      return absl::InvalidArgumentError(absl::StrCat(at, ".weight: ", w.status().message()));
    const int64_t backend_port = b.port.value_or(static_cast<int32_t>(port));
    if (backend_port < 1 || backend_port > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat(at, ".port: ", backend_port, " is not in 1..65535"));
    }
    any_weight = any_weight || *w > 0;
    pb::WeightedDst d;
    d.set_authority(absl::StrCat(ServiceFqdn{ServiceRef{ns, b.name}}.Format(options.cluster_domain),
                                 ".:", backend_port));
    d.set_weight(*w);
    auto* ref = d.mutable_backend_ref()->mutable_resource();
    ref->set_group("core");
    ref->set_kind("Service");
    ref->set_name(b.name);
    ref->set_namespace_(ns);
    ref->set_port(static_cast<uint32_t>(backend_port));
    dsts.push_back(std::move(d));
  }
  if (!any_weight) {
    return NotExpressible("every backendRef has weight 0 (the Gateway API answers 500)");
  }
  return dsts;
}

namespace {

// opaque_protocol: the Service's opaque-ports annotation, or the default list.
bool OpaqueProtocol(const ProfileInputs& in, const TranslatorOptions& options,
                    ProfileNotes* notes) {
  auto ann = in.service ? in.service->meta.annotations.find(annotation::kOpaquePorts)
                        : std::map<std::string, std::string>::const_iterator();
  if (!in.service || ann == in.service->meta.annotations.end()) {
    if (notes) {
      notes->opaque_source =
          absl::StrCat(in.service ? "the Service has no config.linkerd.io/opaque-ports annotation"
                                  : "the Service does not exist",
                       ": the default opaque ports (-default-opaque-ports) apply");
    }
    return options.default_opaque_ports.Contains(in.port);
  }
  const Service& svc = *in.service;
  if (notes) {
    notes->opaque_source = absl::StrCat("annotation config.linkerd.io/opaque-ports=\"", ann->second,
                                        "\" on the Service");
  }
  PortSet ports = PortSet::Parse(
      ann->second,
      [&svc](absl::string_view name) -> std::optional<uint32_t> {
        for (const ServicePort& sp : svc.ports) {
          if (sp.name == name) return static_cast<uint32_t>(sp.port);
        }
        return std::nullopt;
      },
      notes ? &notes->warnings : nullptr);
  return ports.Contains(in.port);
}

// parent_ref: the Service and port asked for; profile_ref: the ServiceProfile in force, if any.
void SetRefs(const ProfileInputs& in, const TranslatedServiceProfile* sp,
             pb::DestinationProfile& p) {
  auto* parent = p.mutable_parent_ref()->mutable_resource();
  parent->set_group("core");
  parent->set_kind("Service");
  parent->set_name(in.service_name);
  parent->set_namespace_(in.service_ns);
  parent->set_port(in.port);
  if (in.profile && sp != nullptr) {
    auto* ref = p.mutable_profile_ref()->mutable_resource();
    ref->set_group("linkerd.io");
    ref->set_kind("ServiceProfile");
    ref->set_name(in.profile->meta.name);
    ref->set_namespace_(in.profile->meta.ns);
  }
}

struct SplitCandidate {
  const TrafficSplit* split;
  std::vector<pb::WeightedDst> dsts;
};

// The TrafficSplit whose weights apply: among those with no matches, at least one backend and
// valid weights, the oldest. The others are noted with their reason.
std::optional<SplitCandidate> ChooseSplit(const ProfileInputs& in, const std::string& fqdn,
                                          const TranslatorOptions& options, ProfileNotes* notes) {
  std::vector<SplitCandidate> candidates;
  for (const auto& split : in.splits) {
    const std::string id = ServiceRef{split->meta.ns, split->meta.name}.ToString();
    auto ignore = [&](std::string reason) {
      if (!notes) return;
      notes->warnings.push_back(absl::StrCat("TrafficSplit ", id, " ", reason, ": not applied"));
      notes->splits_ignored.push_back({split.get(), std::move(reason)});
    };
    if (!split->matches.empty()) {
      ignore("has spec.matches, which plain weights cannot express");
      continue;
    }
    absl::StatusOr<std::vector<pb::WeightedDst>> dsts =
        SplitOverrides(*split, in.service_ns, in.port, options);
    if (!dsts.ok()) {
      ignore(std::string(dsts.status().message()));
      continue;
    }
    candidates.push_back({split.get(), *std::move(dsts)});
  }
  if (candidates.empty()) return std::nullopt;
  auto oldest =
      std::min_element(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) {
        return std::tie(a.split->meta.creation_timestamp, a.split->meta.name) <
               std::tie(b.split->meta.creation_timestamp, b.split->meta.name);
      });
  if (candidates.size() > 1 && notes) {
    const std::string winner =
        ServiceRef{oldest->split->meta.ns, oldest->split->meta.name}.ToString();
    notes->warnings.push_back(absl::StrCat(candidates.size(), " TrafficSplits apply to ", fqdn,
                                           "; the oldest, ", winner, ", is used"));
    for (const SplitCandidate& c : candidates) {
      if (c.split == oldest->split) continue;
      notes->splits_ignored.push_back(
          {c.split,
           absl::StrCat("conflicts with ", winner, ", which is older (created ",
                        oldest->split->meta.creation_timestamp,
                        ") and applies; one TrafficSplit applies per Service"),
           oldest->split});
    }
  }
  return std::move(*oldest);
}

// Whether `route` attaches to the Service and port asked for, and if not, why (empty when it
// names the Service in no way worth telling) and whether that is a mistake in the route.
struct Attachment {
  bool attached = false;
  std::string reason;
  bool problem = false;
};

Attachment AttachmentOf(const HTTPRoute& route, const ProfileInputs& in) {
  Attachment out;
  for (size_t i = 0; i < route.parent_refs.size(); ++i) {
    const RouteParentRef& ref = route.parent_refs[i];
    const std::string& ns = ref.ns.empty() ? route.meta.ns : ref.ns;
    if (ref.kind != "Service" || ns != in.service_ns || ref.name != in.service_name) continue;
    const std::string at = absl::StrCat("spec.parentRefs[", i, "]");
    if (!IsCoreGroup(ref.group)) {
      out.reason = absl::StrCat(at, " names the Service in group \"", ref.group,
                                "\" (a Service parent needs group \"\" or core; an absent group "
                                "means gateway.networking.k8s.io)");
      out.problem = true;
      continue;
    }
    if (ref.port && static_cast<uint32_t>(*ref.port) != in.port) {
      if (out.reason.empty()) {
        out.reason = absl::StrCat(at, " attaches it to port ", *ref.port, " only");
      }
      continue;
    }
    if (!ref.section_name.empty()) {
      const bool named =
          in.service != nullptr && absl::c_any_of(in.service->ports, [&](const ServicePort& p) {
            return p.name == ref.section_name && static_cast<uint32_t>(p.port) == in.port;
          });
      if (!named) {
        if (out.reason.empty()) {
          out.reason = absl::StrCat(at, ".sectionName \"", ref.section_name,
                                    "\" is not the name of the Service's port ", in.port);
        }
        continue;
      }
    }
    return Attachment{true, "", false};
  }
  return out;
}

struct RouteCandidate {
  const HTTPRoute* route;
  std::vector<pb::WeightedDst> dsts;
};

// The HTTPRoute whose weights apply: among the routes attached to the Service and port that can
// be expressed as weights, those of the client's namespace (consumer routes) if any, else those
// of the Service's (producer routes); of them the oldest (creationTimestamp, then
// namespace/name), as the Gateway API resolves conflicts. The others are noted with their reason.
std::optional<RouteCandidate> ChooseRoute(const ProfileInputs& in, const std::string& fqdn,
                                          const TranslatorOptions& options, ProfileNotes* notes) {
  std::vector<RouteCandidate> candidates;
  std::vector<bool> consumer;
  auto ignore = [notes](const HTTPRoute& route, std::string reason, bool problem,
                        const HTTPRoute* conflicts_with = nullptr) {
    if (!notes) return;
    if (problem)
      notes->warnings.push_back(absl::StrCat(RouteName(route), " ", reason, ": not applied"));
    notes->routes_ignored.push_back({&route, std::move(reason), problem, conflicts_with});
  };
  for (const auto& route : in.routes) {
    Attachment a = AttachmentOf(*route, in);
    if (!a.attached) {
      if (!a.reason.empty()) ignore(*route, std::move(a.reason), a.problem);
      continue;
    }
    const bool is_consumer = route->meta.ns != in.service_ns;
    if (is_consumer && route->meta.ns != in.client_ns) {
      ignore(*route,
             absl::StrCat("is a consumer route (in ", route->meta.ns,
                          ", not the Service's namespace): it applies only to clients in ",
                          route->meta.ns),
             false);
      continue;
    }
    absl::StatusOr<std::vector<pb::WeightedDst>> dsts =
        RouteOverrides(*route, in.port, in.grants, options);
    if (!dsts.ok()) {
      ignore(*route, std::string(dsts.status().message()), true);
      continue;
    }
    candidates.push_back({route.get(), *std::move(dsts)});
    consumer.push_back(is_consumer);
  }
  if (absl::c_linear_search(consumer, true)) {
    std::vector<RouteCandidate> consumers;
    for (size_t i = 0; i < candidates.size(); ++i) {
      if (consumer[i]) {
        consumers.push_back(std::move(candidates[i]));
      } else {
        ignore(*candidates[i].route,
               absl::StrCat("is overridden for clients in ", in.client_ns,
                            " by a route of their own namespace (a consumer route)"),
               false);
      }
    }
    candidates = std::move(consumers);
  }
  if (candidates.empty()) return std::nullopt;
  auto age = [](const HTTPRoute* r) {
    return std::tie(r->meta.creation_timestamp, r->meta.ns, r->meta.name, r->api_version);
  };
  auto oldest = absl::c_min_element(
      candidates, [&](const auto& a, const auto& b) { return age(a.route) < age(b.route); });
  if (candidates.size() > 1 && notes) {
    const std::string winner = RouteName(*oldest->route);
    notes->warnings.push_back(absl::StrCat(candidates.size(), " HTTPRoutes apply to ", fqdn, ":",
                                           in.port, "; the oldest, ", winner, ", is used"));
    for (const RouteCandidate& c : candidates) {
      if (c.route == oldest->route) continue;
      notes->routes_ignored.push_back(
          {c.route,
           absl::StrCat("conflicts with ", winner, ", which is older (created ",
                        oldest->route->meta.creation_timestamp,
                        ") and applies; one HTTPRoute applies per Service port"),
           true, oldest->route});
    }
  }
  return std::move(*oldest);
}

}  // namespace

pb::DestinationProfile BuildProfile(const ProfileInputs& in, const TranslatedServiceProfile* sp,
                                    const TranslatorOptions& options, ProfileNotes* notes) {
  pb::DestinationProfile p;
  const std::string fqdn =
      ServiceFqdn{ServiceRef{in.service_ns, in.service_name}}.Format(options.cluster_domain);
  p.set_fully_qualified_name(fqdn);
  p.set_opaque_protocol(OpaqueProtocol(in, options, notes));
  if (sp != nullptr) {
    for (const pb::Route& r : sp->routes) *p.add_routes() = r;
    *p.mutable_retry_budget() = sp->retry_budget;
  } else {
    *p.mutable_retry_budget() = DefaultRetryBudget();
  }
  SetRefs(in, sp, p);

  // dst_overrides: ServiceProfile, else HTTPRoute, else TrafficSplit, else self. With notes, every
  // source is looked at, so Explain also lists what a source of higher precedence overrides.
  std::string winner;  // the source in force, in words, once one is
  if (sp != nullptr && !sp->dst_overrides.empty()) {
    for (const pb::WeightedDst& d : sp->dst_overrides) *p.add_dst_overrides() = d;
    if (!notes) return p;
    notes->overrides_source = "serviceprofile";
    winner = absl::StrCat("the ServiceProfile ",
                          ServiceRef{in.profile->meta.ns, in.profile->meta.name}.ToString(),
                          "'s dstOverrides take precedence");
  }
  if (std::optional<RouteCandidate> route = ChooseRoute(in, fqdn, options, notes)) {
    if (winner.empty()) {
      for (auto& d : route->dsts) *p.add_dst_overrides() = std::move(d);
      if (!notes) return p;
      notes->overrides_source = "httproute";
      notes->route_applied = route->route;
      winner = absl::StrCat(RouteName(*route->route), " takes precedence");
    } else {
      notes->routes_ignored.push_back({route->route, absl::StrCat("applies, but ", winner), false});
    }
  }
  if (std::optional<SplitCandidate> split = ChooseSplit(in, fqdn, options, notes)) {
    if (winner.empty()) {
      for (auto& d : split->dsts) *p.add_dst_overrides() = std::move(d);
      if (notes) {
        notes->overrides_source = "trafficsplit";
        notes->split_used = ServiceRef{split->split->meta.ns, split->split->meta.name}.ToString();
        notes->split_applied = split->split;
      }
      return p;
    }
    notes->splits_ignored.push_back({split->split, absl::StrCat("applies, but ", winner)});
  }
  if (!winner.empty()) return p;
  pb::WeightedDst* self = p.add_dst_overrides();
  self->set_authority(absl::StrCat(fqdn, ".:", in.port));
  self->set_weight(10000);
  if (notes) notes->overrides_source = "self";
  return p;
}

}  // namespace dest
