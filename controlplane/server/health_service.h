// The standard gRPC health service (grpc.health.v1.Health), so that probes, load balancers and
// grpcurl can ask whether the destination service is serving.
//
// Two service names are known, and share one status: "" (the server as a whole) and
// "io.linkerd.proxy.destination.Destination". Check answers NOT_FOUND for any other name; Watch on
// another name sends SERVICE_UNKNOWN once and stays open, as the health protocol requires.
//
// The status starts as NOT_SERVING; SetServing() flips it. Shutdown() makes it NOT_SERVING for
// good and ends every Watch stream with OK once its last message (NOT_SERVING) is written; a
// Watch opened after Shutdown() gets NOT_SERVING and ends at once.
//
// Each Watch stream is a reactor with at most one write in flight. While a write is in flight
// only the newest status is kept; it is sent afterwards unless it equals the status last sent, so
// a slow reader costs one pending value.
//
// Thread-safe. The service must outlive the grpc::Server it is registered with; shut that server
// down (which ends every stream) before destroying the service.
#ifndef CONTROLPLANE_SERVER_HEALTH_SERVICE_H_
#define CONTROLPLANE_SERVER_HEALTH_SERVICE_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace dest {

class HealthService final : public grpc::health::v1::Health::CallbackService {
 public:
  // The gRPC service name of the destination API, a known health service name.
  static constexpr std::string_view kDestinationServiceName =
      "io.linkerd.proxy.destination.Destination";

  HealthService();
  ~HealthService() override;

  HealthService(const HealthService&) = delete;
  HealthService& operator=(const HealthService&) = delete;

  // Sets the status of every known name. Ignored after Shutdown().
  void SetServing(bool serving) ABSL_LOCKS_EXCLUDED(mu_);

  // NOT_SERVING from now on; ends every Watch stream with OK after it has received NOT_SERVING.
  // Idempotent.
  void Shutdown() ABSL_LOCKS_EXCLUDED(mu_);

  // grpc::health::v1::Health::CallbackService.
  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context,
                                  const grpc::health::v1::HealthCheckRequest* request,
                                  grpc::health::v1::HealthCheckResponse* response) override
      ABSL_LOCKS_EXCLUDED(mu_);
  grpc::ServerWriteReactor<grpc::health::v1::HealthCheckResponse>* Watch(
      grpc::CallbackServerContext* context,
      const grpc::health::v1::HealthCheckRequest* request) override ABSL_LOCKS_EXCLUDED(mu_);

 private:
  class WatchReactor;

  static bool IsKnown(std::string_view service);

  // Hands the current status (and the end, after Shutdown) to every watcher, which starts the
  // write or the Finish that became due.
  void BroadcastLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Called from a watcher's OnDone: after this the service never touches it again.
  void Unregister(WatchReactor* watcher) ABSL_LOCKS_EXCLUDED(mu_);

  absl::Mutex mu_;
  grpc::health::v1::HealthCheckResponse::ServingStatus status_ ABSL_GUARDED_BY(mu_);
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  // Open Watch streams. A watcher is in this set from Watch() until its OnDone().
  absl::flat_hash_set<WatchReactor*> watchers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dest

#endif  // CONTROLPLANE_SERVER_HEALTH_SERVICE_H_
