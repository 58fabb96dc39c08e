// The io.linkerd.proxy.destination.Destination gRPC service on the callback (reactor) API.
//
// Both RPCs use the generated *raw* callback methods: a topic serializes each snapshot once and
// every stream writes the same refcounted bytes. This file resolves a request to its topic and
// admits or refuses it; the streams themselves are in streams.h.
//
// Thread-safe. Reactions run on gRPC's callback threads; offers arrive from the store-listener
// thread; neither blocks.
#ifndef CONTROLPLANE_SERVER_DESTINATION_SERVICE_H_
#define CONTROLPLANE_SERVER_DESTINATION_SERVICE_H_

#include <array>
#include <atomic>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "controlplane/server/grpc_metrics.h"
#include "controlplane/server/streams.h"
#include "controlplane/topics/topic_registry.h"
#include "destination.grpc.pb.h"

namespace prometheus {
class Registry;
class Counter;
class Gauge;
class Histogram;
}  // namespace prometheus

namespace dest {

using DestinationRawService =
    io::linkerd::proxy::destination::Destination::WithRawCallbackMethod_Get<
        io::linkerd::proxy::destination::Destination::WithRawCallbackMethod_GetProfile<
            io::linkerd::proxy::destination::Destination::Service>>;

class DestinationService final : public DestinationRawService, public StreamBook {
 public:
  // Bounds on what one client may ask for; beyond them a stream is refused at once with a short
  // status that never echoes the request.
  struct Limits {
    size_t max_streams = 200000;            // open streams: RESOURCE_EXHAUSTED beyond
    size_t max_authority_bytes = 1024;      // GetDestination.path: INVALID_ARGUMENT beyond
    size_t max_context_token_bytes = 4096;  // GetDestination.context_token: INVALID_ARGUMENT
  };

  // `grpc_metrics` (may be null) receives this service's calls under go-grpc-prometheus's names:
  // the service counts them itself, per stream and per message, as cheaply as its own counters
  // (a gRPC interceptor on every write cost a third of the fan-out's CPU; docs/benchmarks.md).
  DestinationService(const Store* store, TopicRegistry* topics, prometheus::Registry* registry,
                     Limits limits, GrpcMetrics* grpc_metrics = nullptr);

  grpc::ServerWriteReactor<grpc::ByteBuffer>* Get(grpc::CallbackServerContext* context,
                                                  const grpc::ByteBuffer* request) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* GetProfile(grpc::CallbackServerContext* context,
                                                         const grpc::ByteBuffer* request) override;

  // Refuses new streams with UNAVAILABLE and ends every open stream with UNAVAILABLE, so proxies
  // reconnect to another replica. Idempotent.
  void Drain();
  size_t OpenStreams() const;

  // StreamBook: bookkeeping called by streams; not for other callers.
  void Register(LiveStream* s, bool profile) override;
  void Unregister(LiveStream* s, bool profile, CloseReason reason, grpc::StatusCode code,
                  const StreamIdentity& id, absl::Duration open_for) override;
  void CountMessage(bool profile) override;
  void ObserveChangeLatency(bool profile, absl::Duration latency) override;
  void CountFolded(bool profile) override;

 private:
  struct Shard {
    mutable absl::Mutex mu;
    absl::flat_hash_set<LiveStream*> streams ABSL_GUARDED_BY(mu);
  };
  static constexpr size_t kShards = 16;
  Shard& ShardFor(LiveStream* s);

  grpc::ServerWriteReactor<grpc::ByteBuffer>* Reject(const grpc::Status& status, bool profile);
  // Parses the request and checks it against the limits and the drain; an error to refuse the
  // stream with, or OK.
  grpc::Status Admit(const grpc::ByteBuffer* request,
                     io::linkerd::proxy::destination::GetDestination* out) const;

  const Store* const store_;
  TopicRegistry* const topics_;
  const Limits limits_;
  std::atomic<bool> draining_{false};
  std::atomic<size_t> open_{0};  // streams registered and not yet unregistered
  std::array<Shard, kShards> shards_;

  // Metrics by RPC: [0] Get, [1] GetProfile.
  struct RpcMetrics {
    prometheus::Gauge* open = nullptr;
    prometheus::Gauge* linkerd_subscribers = nullptr;  // endpoints_subscribers, profile_subscribers
    prometheus::Counter* messages = nullptr;
    prometheus::Counter* rejected = nullptr;
    prometheus::Counter* folded = nullptr;
    prometheus::Histogram* latency = nullptr;
    std::array<prometheus::Counter*, 3> closed = {};  // by CloseReason
    GrpcMetrics::Method* grpc = nullptr;              // grpc_server_* of the method
  };
  void BuildMetrics(prometheus::Registry& registry);
  std::array<RpcMetrics, 2> metrics_;
};

}  // namespace dest

#endif  // CONTROLPLANE_SERVER_DESTINATION_SERVICE_H_
