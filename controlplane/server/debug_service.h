// The io.destination.debug.v1.Debug gRPC service (proto/debug.proto) on the callback API: unary
// calls answered at once by the Explainer, on the gRPC port beside Destination.
//
// Thread-safe.
#ifndef CONTROLPLANE_SERVER_DEBUG_SERVICE_H_
#define CONTROLPLANE_SERVER_DEBUG_SERVICE_H_

#include <cstddef>

#include "controlplane/topics/explainer.h"
#include "debug.grpc.pb.h"

namespace dest {

class DebugService final : public io::destination::debug::v1::Debug::CallbackService {
 public:
  // Requests beyond these sizes are refused with INVALID_ARGUMENT, as Destination refuses them.
  struct Limits {
    size_t max_authority_bytes = 1024;
    size_t max_context_token_bytes = 4096;
  };
  // `explainer` must outlive the service.
  DebugService(const Explainer* explainer, Limits limits)
      : explainer_(explainer), limits_(limits) {}

  grpc::ServerUnaryReactor* Explain(grpc::CallbackServerContext* context,
                                    const io::destination::debug::v1::ExplainRequest* request,
                                    io::destination::debug::v1::Explanation* response) override;
  grpc::ServerUnaryReactor* Topics(grpc::CallbackServerContext* context,
                                   const io::destination::debug::v1::TopicsRequest* request,
                                   io::destination::debug::v1::TopicList* response) override;
  grpc::ServerUnaryReactor* Events(grpc::CallbackServerContext* context,
                                   const io::destination::debug::v1::EventsRequest* request,
                                   io::destination::debug::v1::EventList* response) override;

  // The Explain answer, or the status a call gets: shared by the RPC and the admin page.
  absl::StatusOr<io::destination::debug::v1::Explanation> ExplainChecked(
      const std::string& authority, const std::string& context_token) const;

 private:
  const Explainer* const explainer_;
  const Limits limits_;
};

}  // namespace dest

#endif  // CONTROLPLANE_SERVER_DEBUG_SERVICE_H_
