#include "controlplane/server/destination_service.h"

#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/log.h"
#include "controlplane/server/streams.h"
#include "controlplane/topics/profile_target.h"
#include "controlplane/translate/authority.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace dest {
namespace pb = io::linkerd::proxy::destination;

namespace {

bool ParseRequest(const grpc::ByteBuffer* request, pb::GetDestination* out) {
  std::vector<grpc::Slice> slices;
  if (!request->Dump(&slices).ok()) return false;
  std::string bytes;
  for (const grpc::Slice& s : slices)
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out->ParseFromString(bytes);
}

constexpr const char* kRpcNames[2] = {"Get", "GetProfile"};

// Who opened a stream for what: kept by the stream for Explain and its close log line, and logged
// now at debug.
StreamIdentity Identify(const grpc::CallbackServerContext* context, const pb::GetDestination& req,
                        bool profile) {
  StreamIdentity id{context->peer(), req.path()};
  if (LogEnabled(LogLevel::kDebug)) {
    Log(LogLevel::kDebug, "stream opened",
        {{"rpc", profile ? "GetProfile" : "Get"}, {"peer", id.peer}, {"authority", id.authority}});
  }
  return id;
}

}  // namespace

DestinationService::DestinationService(const Store* store, TopicRegistry* topics,
                                       prometheus::Registry* registry, Limits limits,
                                       GrpcMetrics* grpc_metrics)
    : store_(store), topics_(topics), limits_(limits) {
  if (registry != nullptr) BuildMetrics(*registry);
  if (grpc_metrics != nullptr) {
    for (int i = 0; i < 2; ++i) {
      metrics_[i].grpc = grpc_metrics->CountedByService(
          absl::StrCat("/", io::linkerd::proxy::destination::Destination::service_full_name(), "/",
                       kRpcNames[i]),
          grpc::experimental::ServerRpcInfo::Type::SERVER_STREAMING);
    }
  }
}

namespace {

// Change-to-stream latency buckets: from a fraction of a millisecond (one topic, few streams) to
// seconds (a fan-out to 100,000 streams, or a stream held back by a slow reader).
const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  return *buckets;
}

}  // namespace

void DestinationService::BuildMetrics(prometheus::Registry& registry) {
  auto& open = prometheus::BuildGauge()
                   .Name("destination_streams")
                   .Help("Open streams by RPC.")
                   .Register(registry);
  auto& msgs = prometheus::BuildCounter()
                   .Name("destination_stream_messages_total")
                   .Help("Messages written to streams by RPC.")
                   .Register(registry);
  auto& rejected = prometheus::BuildCounter()
                       .Name("destination_streams_rejected_total")
                       .Help("Streams refused at open (invalid authority, draining...) by RPC.")
                       .Register(registry);
  auto& folded = prometheus::BuildCounter()
                     .Name("destination_stream_updates_folded_total")
                     .Help(
                         "Snapshots replaced by a newer one before a slow stream could write "
                         "them (the stream gets the newest state instead).")
                     .Register(registry);
  auto& closed = prometheus::BuildCounter()
                     .Name("destination_streams_closed_total")
                     .Help("Streams ended, by RPC and reason.")
                     .Register(registry);
  auto& latency = prometheus::BuildHistogram()
                      .Name("destination_update_latency_seconds")
                      .Help(
                          "From a store change being applied to the message it causes being "
                          "handed to gRPC, per stream.")
                      .Register(registry);
  auto& endpoints_subscribers = prometheus::BuildGauge()
                                    .Name("endpoints_subscribers")
                                    .Help("Open Get streams (Linkerd's name; not per Service).")
                                    .Register(registry);
  auto& profile_subscribers =
      prometheus::BuildGauge()
          .Name("profile_subscribers")
          .Help("Open GetProfile streams (Linkerd's name; not per Service).")
          .Register(registry);
  for (int i = 0; i < 2; ++i) {
    RpcMetrics& m = metrics_[i];
    const prometheus::Labels rpc{{"rpc", kRpcNames[i]}};
    m.open = &open.Add(rpc);
    m.messages = &msgs.Add(rpc);
    m.rejected = &rejected.Add(rpc);
    m.folded = &folded.Add(rpc);
    m.latency = &latency.Add(rpc, LatencyBuckets());
    m.linkerd_subscribers = &(i == 0 ? endpoints_subscribers : profile_subscribers).Add({});
    for (CloseReason r :
         {CloseReason::kClientCancelled, CloseReason::kWriteFailed, CloseReason::kShutdown}) {
      m.closed[static_cast<int>(r)] =
          &closed.Add({{"rpc", kRpcNames[i]}, {"reason", CloseReasonName(r)}});
    }
  }
}

DestinationService::Shard& DestinationService::ShardFor(LiveStream* s) {
  return shards_[(reinterpret_cast<uintptr_t>(s) >> 6) % kShards];
}

void DestinationService::Register(LiveStream* s, bool profile) {
  open_.fetch_add(1, std::memory_order_relaxed);
  if (const RpcMetrics& m = metrics_[profile]; m.open != nullptr) {
    m.open->Increment();
    m.linkerd_subscribers->Increment();
  }
  if (GrpcMetrics::Method* g = metrics_[profile].grpc; g != nullptr) {
    g->started->Increment();
    g->received->Increment();  // the request
  }
  Shard& shard = ShardFor(s);
  absl::MutexLock lock(&shard.mu);
  shard.streams.insert(s);
}

void DestinationService::Unregister(LiveStream* s, bool profile, CloseReason reason,
                                    grpc::StatusCode code, const StreamIdentity& id,
                                    absl::Duration open_for) {
  if (GrpcMetrics::Method* g = metrics_[profile].grpc; g != nullptr) {
    g->Handled(code, open_for);
  }
  open_.fetch_sub(1, std::memory_order_relaxed);
  if (const RpcMetrics& m = metrics_[profile]; m.open != nullptr) {
    m.open->Decrement();
    m.linkerd_subscribers->Decrement();
    m.closed[static_cast<int>(reason)]->Increment();
  }
  if (LogEnabled(LogLevel::kDebug)) {
    Log(LogLevel::kDebug, "stream closed",
        {{"rpc", kRpcNames[profile]},
         {"peer", id.peer},
         {"authority", id.authority},
         {"reason", CloseReasonName(reason)},
         {"duration", absl::FormatDuration(absl::Trunc(open_for, absl::Milliseconds(1)))}});
  }
  Shard& shard = ShardFor(s);
  absl::MutexLock lock(&shard.mu);
  shard.streams.erase(s);
}

void DestinationService::CountMessage(bool profile) {
  if (prometheus::Counter* c = metrics_[profile].messages; c != nullptr) c->Increment();
  if (GrpcMetrics::Method* g = metrics_[profile].grpc; g != nullptr) g->sent->Increment();
}

void DestinationService::ObserveChangeLatency(bool profile, absl::Duration latency) {
  if (prometheus::Histogram* h = metrics_[profile].latency; h != nullptr) {
    h->Observe(absl::ToDoubleSeconds(latency));
  }
}

void DestinationService::CountFolded(bool profile) {
  if (prometheus::Counter* c = metrics_[profile].folded; c != nullptr) c->Increment();
}

size_t DestinationService::OpenStreams() const {
  size_t n = 0;
  for (const Shard& s : shards_) {
    absl::MutexLock lock(&s.mu);
    n += s.streams.size();
  }
  return n;
}

void DestinationService::Drain() {
  if (draining_.exchange(true)) return;
  size_t closed = 0;
  for (Shard& s : shards_) {
    absl::MutexLock lock(&s.mu);
    for (LiveStream* stream : s.streams) {
      stream->Close(
          grpc::Status(grpc::StatusCode::UNAVAILABLE, "destination service shutting down"));
      ++closed;
    }
  }
  Log(LogLevel::kInfo, "draining: open streams ended with UNAVAILABLE", {{"streams", closed}});
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* DestinationService::Reject(const grpc::Status& status,
                                                                       bool profile) {
  if (prometheus::Counter* c = metrics_[profile].rejected; c != nullptr) c->Increment();
  if (GrpcMetrics::Method* g = metrics_[profile].grpc; g != nullptr) {
    g->started->Increment();
    g->received->Increment();
    g->Handled(status.error_code(), absl::ZeroDuration());
  }
  Log(LogLevel::kDebug, "stream refused",
      {{"rpc", profile ? "GetProfile" : "Get"},
       {"code", static_cast<int>(status.error_code())},
       {"error", status.error_message()}});
  return new RejectedStream(status);
}

grpc::Status DestinationService::Admit(const grpc::ByteBuffer* request,
                                       pb::GetDestination* out) const {
  if (draining_) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "destination service shutting down");
  }
  if (open_.load(std::memory_order_relaxed) >= limits_.max_streams) {
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        absl::StrCat("too many open streams on this replica (-max-streams=",
                                     limits_.max_streams, "); try another"));
  }
  if (!ParseRequest(request, out)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "malformed GetDestination");
  }
  if (out->path().size() > limits_.max_authority_bytes) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("authority of ", out->path().size(), " bytes; at most ",
                                     limits_.max_authority_bytes, " (-max-authority-bytes)"));
  }
  if (out->context_token().size() > limits_.max_context_token_bytes) {
    return grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        absl::StrCat("context token of ", out->context_token().size(), " bytes; at most ",
                     limits_.max_context_token_bytes, " (-max-context-token-bytes)"));
  }
  return grpc::Status::OK;
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* DestinationService::Get(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) {
  pb::GetDestination req;
  if (grpc::Status admitted = Admit(request, &req); !admitted.ok()) {
    return Reject(admitted, false);
  }
  absl::StatusOr<Authority> auth = ParseAuthority(req.path(), topics_->options().cluster_domain);
  if (!auth.ok()) {
    return Reject(
        grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(auth.status().message())),
        false);
  }
  absl::StatusOr<EndpointKey> key =
      ResolveEndpointTarget(*store_, *auth, ParseContextToken(req.context_token()));
  if (!key.ok()) {
    return Reject(grpc::Status(static_cast<grpc::StatusCode>(key.status().code()),
                               std::string(key.status().message())),
                  false);
  }
  auto topic = topics_->AcquireEndpoints(*key);
  return Serve(
      std::make_shared<EndpointStream>(this, Identify(context, req, false), topics_, topic),
      *topic);
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* DestinationService::GetProfile(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) {
  pb::GetDestination req;
  if (grpc::Status admitted = Admit(request, &req); !admitted.ok()) {
    return Reject(admitted, true);
  }
  absl::StatusOr<Authority> auth = ParseAuthority(req.path(), topics_->options().cluster_domain);
  if (!auth.ok()) {
    return Reject(
        grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(auth.status().message())),
        true);
  }
  bool malformed = false;
  ContextToken token = ParseContextToken(req.context_token(), &malformed);
  if (malformed) {
    // The token itself is not logged: what a client sends stays out of the logs.
    Log(LogLevel::kDebug, "context token ignored: neither JSON nor ns:NAME",
        {{"authority", req.path()}, {"token_bytes", req.context_token().size()}});
  }
  absl::StatusOr<ProfileTarget> target =
      ResolveProfileTarget(*store_, *auth, token, topics_->options());
  if (!target.ok()) {
    // absl and gRPC status codes have the same values (kNotFound, kFailedPrecondition).
    return Reject(grpc::Status(static_cast<grpc::StatusCode>(target.status().code()),
                               std::string(target.status().message())),
                  true);
  }
  if (const auto* k = std::get_if<EndpointProfileKey>(&*target)) {
    auto topic = topics_->AcquireEndpointProfile(*k);
    return Serve(std::make_shared<ProfileStream>(this, Identify(context, req, true), topics_,
                                                 nullptr, topic),
                 *topic);
  }
  auto topic = topics_->AcquireProfile(std::get<ProfileKey>(*target));
  return Serve(
      std::make_shared<ProfileStream>(this, Identify(context, req, true), topics_, topic, nullptr),
      *topic);
}

}  // namespace dest
