// gRPC server metrics under the names of go-grpc-prometheus, which dashboards and alerts for gRPC
// services already chart:
//   grpc_server_started_total{grpc_type,grpc_service,grpc_method}
//   grpc_server_handled_total{grpc_type,grpc_service,grpc_method,grpc_code}
//   grpc_server_msg_received_total, grpc_server_msg_sent_total{grpc_type,grpc_service,grpc_method}
//   grpc_server_handling_seconds{grpc_type,grpc_service,grpc_method} (histogram)
// grpc_code is Go's spelling of the code ("OK", "Canceled", "InvalidArgument"...), grpc_type one
// of unary, client_stream, server_stream, bidi_stream. Every series of the methods registered with
// InitializeService exists from the start (at zero), so a rate() never misses its first call.
// Labels are bounded: one series set per method, nothing per call, peer or authority.
//
// Counted by a server interceptor; a call's series are looked up once, when it starts.
//
// Thread-safe.
#ifndef CONTROLPLANE_SERVER_GRPC_METRICS_H_
#define CONTROLPLANE_SERVER_GRPC_METRICS_H_

#include <grpcpp/support/server_interceptor.h>

#include <array>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace prometheus {
class Counter;
class Histogram;
class Registry;
template <typename T>
class Family;
}  // namespace prometheus

namespace dest {

class GrpcMetrics {
 public:
  // The series of one method.
  struct Method {
    prometheus::Counter* started = nullptr;
    prometheus::Counter* received = nullptr;
    prometheus::Counter* sent = nullptr;
    prometheus::Histogram* handling = nullptr;
    std::array<prometheus::Counter*, 17> handled = {};  // by grpc::StatusCode 0..16

    // Counts a call's end (handled, handling_seconds).
    void Handled(grpc::StatusCode code, absl::Duration took);
  };

  explicit GrpcMetrics(prometheus::Registry* registry);

  // Creates the series of every method of the service (full name, e.g. "grpc.health.v1.Health")
  // as found in the generated descriptor pool. False when the pool does not know it.
  bool InitializeService(const std::string& service);

  // The interceptor factory to hand to grpc::ServerBuilder.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> NewFactory();

  // The series of `full_method` ("/pkg.Service/Method"), created on first use.
  Method* For(const std::string& full_method, grpc::experimental::ServerRpcInfo::Type type)
      ABSL_LOCKS_EXCLUDED(mu_);

  // The series of a method whose service counts its own calls (started, received, sent, handled)
  // through the returned Method; the interceptor leaves its calls alone. The Destination streams
  // do this: an interceptor hook on each of their writes costs more than the write's own work.
  Method* CountedByService(const std::string& full_method,
                           grpc::experimental::ServerRpcInfo::Type type) ABSL_LOCKS_EXCLUDED(mu_);
  bool IsCountedByService(const char* full_method) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  prometheus::Family<prometheus::Counter>* started_;
  prometheus::Family<prometheus::Counter>* handled_;
  prometheus::Family<prometheus::Counter>* received_;
  prometheus::Family<prometheus::Counter>* sent_;
  prometheus::Family<prometheus::Histogram>* handling_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<Method>> methods_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::string> counted_by_service_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dest

#endif  // CONTROLPLANE_SERVER_GRPC_METRICS_H_
