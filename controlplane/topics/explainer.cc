#include "controlplane/topics/explainer.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "controlplane/topics/profile_target.h"
#include "controlplane/translate/authority.h"
#include "controlplane/translate/endpoint_translator.h"
#include "watchers/kinds.h"

namespace dest {
namespace {

namespace dbg = io::destination::debug::v1;
namespace pb = io::linkerd::proxy::destination;

// Subscribers listed per topic at most: the most recently updated.
constexpr size_t kMaxSubscribersListed = 100;

void SetTime(absl::Time t, google::protobuf::Timestamp* out) {
  if (t == absl::InfinitePast() || t == absl::InfiniteFuture()) return;
  const int64_t seconds = absl::ToUnixSeconds(t);
  out->set_seconds(seconds);
  out->set_nanos(
      static_cast<int32_t>(absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(seconds))));
}

// `ref`'s created: an object's metadata.creationTimestamp; left unset (not even an empty
// Timestamp) when it is absent or not RFC 3339.
template <typename Ref>
void SetCreated(const ObjectMeta& meta, Ref* ref) {
  absl::Time created;
  std::string error;
  if (absl::ParseTime(absl::RFC3339_full, meta.creation_timestamp, &created, &error)) {
    SetTime(created, ref->mutable_created());
  }
}

std::string StatusLine(const absl::Status& s) {
  return absl::StrCat(absl::StatusCodeToString(s.code()), ": ", s.message());
}

template <typename TopicT>
void FillTopic(TopicT* topic, const std::string& key, dbg::TopicState* out) {
  out->set_key(key);
  if (topic == nullptr) return;  // no stream subscribes to this key now
  const auto stats = topic->GetStats();
  out->set_alive(true);
  out->set_version(stats.version);
  SetTime(stats.last_change, out->mutable_last_change());
  out->set_subscriber_count(static_cast<uint32_t>(stats.subscribers));
  for (const SubscriberInfo& info : topic->Subscribers(kMaxSubscribersListed)) {
    dbg::Subscriber* s = out->add_subscribers();
    s->set_peer(info.peer);
    SetTime(info.opened, s->mutable_opened());
    SetTime(info.last_update, s->mutable_last_update());
    s->set_messages(info.messages);
  }
}

// A TrafficSplit as applied: `split` is the version in force, which is the last valid one when
// the stored version is invalid.
dbg::TrafficSplitRef SplitRef(const TrafficSplit& split, const Store& store) {
  dbg::TrafficSplitRef ref;
  ref.set_name(ServiceRef{split.meta.ns, split.meta.name}.ToString());
  ref.set_api_version(split.api_version);
  SetCreated(split.meta, &ref);
  auto stored = store.Get<TrafficSplit>(split.meta.ns, split.meta.name);
  if (stored != nullptr && stored.get() != &split) {
    ref.set_last_valid_in_force(true);
    ref.set_invalid_reason(std::string(ValidateSplitWeights(*stored).message()));
  }
  return ref;
}

dbg::HTTPRouteRef RouteRef(const HTTPRoute& route) {
  dbg::HTTPRouteRef ref;
  ref.set_name(ServiceRef{route.meta.ns, route.meta.name}.ToString());
  ref.set_group(std::string(GroupOf(route.api_version)));
  ref.set_api_version(route.api_version);
  SetCreated(route.meta, &ref);
  return ref;
}

// Why this ServiceProfile (or none) is in force, in one sentence.
std::string ProfileReason(const ProfileWhy& why, const std::string& fqdn) {
  const ProfileWhy::Candidate* chosen = nullptr;
  for (const auto& c : why.candidates) {
    if (c.exists) {
      chosen = &c;
      break;
    }
  }
  if (chosen == nullptr) {
    std::vector<std::string> places;
    for (const auto& c : why.candidates) places.push_back(absl::StrCat(c.ns, " (", c.role, ")"));
    return absl::StrCat("no ServiceProfile named ", fqdn, " in ", absl::StrJoin(places, " or "),
                        ": no routes and the default retry budget");
  }
  const std::string name = ServiceRef{chosen->ns, chosen->name}.ToString();
  if (!why.translated) {
    return absl::StrCat(name, " (", chosen->role, ") is invalid (", chosen->invalid_reason,
                        ") and never had a valid version: served without it");
  }
  std::string reason = absl::StrCat(name, " is in the ", chosen->role);
  if (chosen->role == std::string("client namespace")) {
    absl::StrAppend(&reason, ", which wins over the Service's namespace");
  }
  if (!chosen->invalid_reason.empty()) {
    absl::StrAppend(&reason, "; its stored version is invalid (", chosen->invalid_reason,
                    "), so its last valid version is in force");
  }
  return reason;
}

}  // namespace

namespace {

void ExplainServiceProfile(const Store& store, const TopicRegistry& topics, const ProfileKey& key,
                           dbg::ProfileDecision* out) {
  ProfileWhy why;
  *out->mutable_profile() = ComputeProfile(key, store, topics.options(), topics.last_valid(), &why);
  dbg::ServiceProfileChoice* choice = out->mutable_service_profile();
  for (const ProfileWhy::Candidate& c : why.candidates) {
    dbg::ServiceProfileCandidate* pc = choice->add_candidates();
    pc->set_name(ServiceRef{c.ns, c.name}.ToString());
    pc->set_role(c.role);
    pc->set_exists(c.exists);
    pc->set_invalid_reason(c.invalid_reason);
    pc->set_last_valid_in_force(c.last_valid_in_force);
  }
  if (why.translated) {
    choice->set_selected(
        ServiceRef{why.inputs.profile->meta.ns, why.inputs.profile->meta.name}.ToString());
  }
  choice->set_reason(ProfileReason(why, out->profile().fully_qualified_name()));
  out->set_overrides_source(why.notes.overrides_source);
  if (why.notes.split_applied != nullptr) {
    *out->mutable_split_applied() = SplitRef(*why.notes.split_applied, store);
  }
  for (const ProfileNotes::IgnoredSplit& ignored : why.notes.splits_ignored) {
    dbg::IgnoredSplit* is = out->add_splits_ignored();
    *is->mutable_split() = SplitRef(*ignored.split, store);
    is->set_reason(ignored.reason);
  }
  if (why.notes.route_applied != nullptr) {
    *out->mutable_route_applied() = RouteRef(*why.notes.route_applied);
  }
  for (const ProfileNotes::IgnoredRoute& ignored : why.notes.routes_ignored) {
    dbg::IgnoredRoute* ir = out->add_routes_ignored();
    *ir->mutable_route() = RouteRef(*ignored.route);
    ir->set_reason(ignored.reason);
    ir->set_problem(ignored.problem);
  }
  out->mutable_opaque()->set_opaque(out->profile().opaque_protocol());
  out->mutable_opaque()->set_source(why.notes.opaque_source);
  for (const std::string& w : why.notes.warnings) {
    // The split and route sentences are in splits_ignored and routes_ignored already.
    if (absl::StartsWith(w, "TrafficSplit ") || absl::StrContains(w, " TrafficSplits apply to ") ||
        absl::StartsWith(w, "HTTPRoute") || absl::StrContains(w, " HTTPRoutes apply to ")) {
      continue;
    }
    out->add_notes(w);
  }
  FillTopic(topics.FindProfile(key).get(), key.ToString(), out->mutable_topic());
}

void ExplainEndpointProfile(const Store& store, const TopicRegistry& topics,
                            const EndpointProfileKey& key, dbg::Target* target,
                            dbg::ProfileDecision* out) {
  std::shared_ptr<const Pod> pod;
  *out->mutable_profile() = ComputeEndpointProfile(key, store, topics.options(), &pod);
  out->mutable_service_profile()->set_reason(
      "an endpoint's profile: no ServiceProfile, routes or dst_overrides apply to one pod");
  out->mutable_opaque()->set_opaque(out->profile().opaque_protocol());
  if (pod != nullptr) {
    target->set_pod(ServiceRef{pod->meta.ns, pod->meta.name}.ToString());
    std::string source;
    IsOpaquePort(store, *pod, out->profile().endpoint().addr().port(), topics.options(), &source);
    out->mutable_opaque()->set_source(source);
  } else {
    out->mutable_opaque()->set_source("no live pod at this address: the default profile");
  }
  FillTopic(topics.FindEndpointProfile(key).get(), key.ToString(), out->mutable_topic());
}

void ExplainEndpoints(const Store& store, const TopicRegistry& topics, const EndpointKey& key,
                      dbg::EndpointsDecision* out) {
  std::vector<LeftOutAddress> left_out;
  bool zone_filtered = false;
  EndpointState state = ComputeEndpoints(store, key, topics.options(), &left_out, &zone_filtered);
  out->set_service_exists(state.exists);
  out->set_source(topics.options().endpoint_slices ? "EndpointSlice" : "Endpoints");
  if (zone_filtered) out->set_zone_filter(key.zone);
  for (const auto& [address, wa] : state.addrs) {
    dbg::Endpoint* e = out->add_endpoints();
    e->set_address(address);
    const auto& ref = wa->resource_ref().resource();
    if (!ref.name().empty()) e->set_pod(ServiceRef{ref.namespace_(), ref.name()}.ToString());
    *e->mutable_addr() = *wa;
  }
  for (LeftOutAddress& l : left_out) {
    dbg::LeftOut* lo = out->add_left_out();
    lo->set_address(std::move(l.address));
    lo->set_pod(std::move(l.pod));
    lo->set_reason(std::move(l.reason));
  }
  FillTopic(topics.FindEndpoints(key).get(), key.ToString(), out->mutable_topic());
}

const char* EndpointTargetKind(const Store& store, const EndpointProfileKey& key) {
  switch (key.mode) {
    case EndpointProfileKey::Mode::kInstance:
      return "instance";
    case EndpointProfileKey::Mode::kHostPort:
      return "host_port";
    case EndpointProfileKey::Mode::kPodIp:
      break;
  }
  return LivePodsAt(store, key.mode, key.ip, key.port).empty() ? "unknown_ip" : "pod_ip";
}

}  // namespace

absl::StatusOr<dbg::Explanation> Explainer::Explain(const std::string& authority,
                                                    const std::string& context_token) const {
  const TranslatorOptions& options = topics_->options();
  absl::StatusOr<Authority> auth = ParseAuthority(authority, options.cluster_domain);
  if (!auth.ok()) return absl::InvalidArgumentError(auth.status().message());
  dbg::Explanation out;
  out.set_authority(authority);
  bool malformed = false;
  const ContextToken token = ParseContextToken(context_token, &malformed);
  dbg::ClientContext* client = out.mutable_client();
  client->set_namespace_(token.ns);
  client->set_node_name(token.node_name);
  client->set_zone(ZoneOfNode(*store_, token.node_name));
  client->set_token_malformed(malformed);

  dbg::Target* target = out.mutable_target();
  target->set_port(auth->port);
  if (auth->type == Authority::Type::kIp) {
    target->set_address(auth->ip);
  } else {
    target->set_kind(auth->type == Authority::Type::kInstance ? "instance" : "service");
    target->set_instance(auth->instance);
    target->set_service(ServiceRef{auth->ns, auth->service}.ToString());
  }

  absl::StatusOr<ProfileTarget> profile_target =
      ResolveProfileTarget(*store_, *auth, token, options);
  if (!profile_target.ok()) {
    target->set_profile_error(StatusLine(profile_target.status()));
  } else if (const auto* key = std::get_if<ProfileKey>(&*profile_target)) {
    if (auth->type == Authority::Type::kIp) target->set_kind("cluster_ip");
    target->set_service(key->service_ref().ToString());
    ExplainServiceProfile(*store_, *topics_, *key, out.mutable_profile());
  } else {
    const auto& ekey = std::get<EndpointProfileKey>(*profile_target);
    if (auth->type == Authority::Type::kIp) target->set_kind(EndpointTargetKind(*store_, ekey));
    ExplainEndpointProfile(*store_, *topics_, ekey, target, out.mutable_profile());
  }
  if (target->kind().empty()) target->set_kind("unknown_ip");  // an IP whose resolution failed

  if (!target->service().empty()) {
    std::optional<ServiceRef> ref = ServiceRef::Parse(target->service());
    if (auto svc = ref ? store_->Get<Service>(ref->ns, ref->name) : nullptr) {
      target->set_service_exists(true);
      target->set_service_type(svc->type.empty() ? "ClusterIP" : svc->type);
    }
  }

  absl::StatusOr<EndpointKey> endpoint_key = ResolveEndpointTarget(*store_, *auth, token);
  if (!endpoint_key.ok()) {
    target->set_get_error(StatusLine(endpoint_key.status()));
  } else {
    ExplainEndpoints(*store_, *topics_, *endpoint_key, out.mutable_endpoints());
  }
  return out;
}

dbg::TopicList Explainer::Topics(size_t limit) const {
  std::vector<TopicRegistry::Listing> topics = topics_->ListTopics();
  std::sort(topics.begin(), topics.end(), [](const auto& a, const auto& b) {
    if (a.subscribers != b.subscribers) return a.subscribers > b.subscribers;
    return std::tie(a.kind, a.key) < std::tie(b.kind, b.key);
  });
  dbg::TopicList out;
  out.set_total(static_cast<uint32_t>(topics.size()));
  if (limit != 0 && topics.size() > limit) topics.resize(limit);
  for (const TopicRegistry::Listing& l : topics) {
    dbg::TopicSummary* t = out.add_topics();
    t->set_kind(l.kind);
    t->set_key(l.key);
    t->set_authority(l.authority);
    t->set_context_token(l.context_token);
    t->set_subscribers(static_cast<uint32_t>(l.subscribers));
    t->set_version(l.version);
    SetTime(l.last_change, t->mutable_last_change());
    t->set_messages(l.offers);
  }
  return out;
}

dbg::EventList Explainer::Events(size_t limit) const {
  dbg::EventList out;
  if (events_ == nullptr) return out;
  for (const RecentEvent& e : events_->Newest(limit)) {
    dbg::Event* ev = out.add_events();
    SetTime(e.time, ev->mutable_time());
    ev->set_kind(e.kind);
    ev->set_object(e.object);
    ev->set_message(e.message);
  }
  return out;
}

}  // namespace dest
