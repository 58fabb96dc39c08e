#include "controlplane/server/destination_service.h"

#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "controlplane/server/streams.h"
#include "controlplane/topics/profile_target.h"
#include "controlplane/translate/authority.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "base/log.h"

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

}  // namespace

DestinationService::DestinationService(const Store* store, TopicRegistry* topics,
                                       prometheus::Registry* registry, Limits limits)
    : store_(store), topics_(topics), limits_(limits) {
  if (registry == nullptr) return;
  auto& open = prometheus::BuildGauge()
                   .Name("destination_streams")
                   .Help("Open streams by RPC.")
                   .Register(*registry);
  open_get_ = &open.Add({{"rpc", "Get"}});
  open_profile_ = &open.Add({{"rpc", "GetProfile"}});
  auto& msgs = prometheus::BuildCounter()
                   .Name("destination_stream_messages_total")
                   .Help("Messages written to streams by RPC.")
                   .Register(*registry);
  messages_get_ = &msgs.Add({{"rpc", "Get"}});
  messages_profile_ = &msgs.Add({{"rpc", "GetProfile"}});
  auto& rejected = prometheus::BuildCounter()
                       .Name("destination_streams_rejected_total")
                       .Help("Streams refused at open (invalid authority, draining...) by RPC.")
                       .Register(*registry);
  rejected_get_ = &rejected.Add({{"rpc", "Get"}});
  rejected_profile_ = &rejected.Add({{"rpc", "GetProfile"}});
}

DestinationService::Shard& DestinationService::ShardFor(LiveStream* s) {
  return shards_[(reinterpret_cast<uintptr_t>(s) >> 6) % kShards];
}

void DestinationService::Register(LiveStream* s, bool profile) {
  open_.fetch_add(1, std::memory_order_relaxed);
  prometheus::Gauge* g = profile ? open_profile_ : open_get_;
  if (g != nullptr) g->Increment();
  Shard& shard = ShardFor(s);
  absl::MutexLock lock(&shard.mu);
  shard.streams.insert(s);
}

void DestinationService::Unregister(LiveStream* s, bool profile) {
  open_.fetch_sub(1, std::memory_order_relaxed);
  prometheus::Gauge* g = profile ? open_profile_ : open_get_;
  if (g != nullptr) g->Decrement();
  Shard& shard = ShardFor(s);
  absl::MutexLock lock(&shard.mu);
  shard.streams.erase(s);
}

void DestinationService::CountMessage(bool profile) {
  prometheus::Counter* c = profile ? messages_profile_ : messages_get_;
  if (c != nullptr) c->Increment();
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
  prometheus::Counter* c = profile ? rejected_profile_ : rejected_get_;
  if (c != nullptr) c->Increment();
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
    grpc::CallbackServerContext* /*context*/, const grpc::ByteBuffer* request) {
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
  if (auth->type == Authority::Type::kIp) {
    return Reject(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                               absl::StrCat("cannot resolve endpoints for an IP address (\"",
                                            req.path(), "\"): Get takes a Service name")),
                  false);
  }
  if (auto svc = store_->Get<dest::Service>(auth->ns, auth->service);
      svc != nullptr && svc->type == "ExternalName") {
    return Reject(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                               absl::StrCat("Service ", ServiceRef{auth->ns, auth->service}.ToString(),
                                            " is of type ExternalName and has no endpoints")),
                  false);
  }
  ContextToken token = ParseContextToken(req.context_token());
  EndpointKey key{auth->service, auth->ns, auth->port, auth->instance,
                  ZoneOfNode(*store_, token.node_name)};
  auto topic = topics_->AcquireEndpoints(key);
  return Serve(std::make_shared<EndpointStream>(this, topics_, topic), *topic);
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* DestinationService::GetProfile(
    grpc::CallbackServerContext* /*context*/, const grpc::ByteBuffer* request) {
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
    Log(LogLevel::kDebug, "context token ignored: neither JSON nor ns:NAME",
        {{"token", req.context_token()}});
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
    return Serve(std::make_shared<ProfileStream>(this, topics_, nullptr, topic), *topic);
  }
  auto topic = topics_->AcquireProfile(std::get<ProfileKey>(*target));
  return Serve(std::make_shared<ProfileStream>(this, topics_, topic, nullptr), *topic);
}

}  // namespace dest
