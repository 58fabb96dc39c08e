// gRPC server reflection v1 (grpc.reflection.v1.ServerReflection), served beside the v1alpha
// service of gRPC 1.51's reflection plugin, which serves v1alpha only; newer grpcurl and Postman
// ask for v1 first. Both versions answer from protobuf's generated pool and list the same
// services, so a client sees the same API whichever version it speaks.
//
// Each request gets one response, answered as gRPC's v1alpha implementation answers it
// (src/cpp/ext/proto_server_reflection.cc), with the same error codes and messages:
//   list_services                 the names given to SetServiceNames (NOT_FOUND before any);
//   file_by_filename, file_containing_symbol, file_containing_extension
//                                 the file, then its transitive imports, each once, as serialized
//                                 FileDescriptorProtos; NOT_FOUND for an unknown name;
//   all_extension_numbers_of_type the extension numbers known for the type; NOT_FOUND for an
//                                 unknown type;
//   none of them                  UNIMPLEMENTED.
// Errors are answered with an error_response and the stream stays open. Every response echoes the
// request (original_request, valid_host = its host). Like gRPC's C++ (and Java) implementation,
// every file response is complete in itself: files sent earlier on the stream are sent again when
// they are asked for again, so a client that does not cache across requests gets what it needs.
//
// Each stream is a bidi reactor that alternates: read a request, write its answer, read the next.
// A stream therefore holds one request and one response at most (one write in flight), a client
// that sends faster than it reads is held back by HTTP/2 flow control, and no reaction waits.
//
// Thread-safe. The service must outlive the grpc::Server it is registered with; BuilderOption()
// makes the server own it.
#ifndef CONTROLPLANE_SERVER_REFLECTION_V1_SERVICE_H_
#define CONTROLPLANE_SERVER_REFLECTION_V1_SERVICE_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/server_builder_option.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "grpc/reflection/v1/reflection.grpc.pb.h"

namespace dest {

class ReflectionV1Service final : public grpc::reflection::v1::ServerReflection::CallbackService {
 public:
  ReflectionV1Service();
  ~ReflectionV1Service() override;

  ReflectionV1Service(const ReflectionV1Service&) = delete;
  ReflectionV1Service& operator=(const ReflectionV1Service&) = delete;

  // For grpc::ServerBuilder::SetOption: registers a new ReflectionV1Service on the server the
  // builder builds, owned by that server, whose list_services answer is that server's own list of
  // registered services (itself included), read when the server is built, as the v1alpha plugin
  // reads it. Nothing else needs to name the services.
  static std::unique_ptr<grpc::ServerBuilderOption> BuilderOption();

  // The list_services answer from now on: full service names, e.g. "grpc.health.v1.Health".
  void SetServiceNames(std::vector<std::string> names) ABSL_LOCKS_EXCLUDED(mu_);

  // grpc::reflection::v1::ServerReflection::CallbackService.
  grpc::ServerBidiReactor<grpc::reflection::v1::ServerReflectionRequest,
                          grpc::reflection::v1::ServerReflectionResponse>*
  ServerReflectionInfo(grpc::CallbackServerContext* context) override;

 private:
  class Stream;

  // The whole response to `request`, error_response included.
  void Answer(const grpc::reflection::v1::ServerReflectionRequest& request,
              grpc::reflection::v1::ServerReflectionResponse* response) const
      ABSL_LOCKS_EXCLUDED(mu_);

  // The answer to `request`'s message_request, or the error to answer it with.
  grpc::Status Fill(const grpc::reflection::v1::ServerReflectionRequest& request,
                    grpc::reflection::v1::ServerReflectionResponse* response) const
      ABSL_LOCKS_EXCLUDED(mu_);

  mutable absl::Mutex mu_;
  std::optional<std::vector<std::string>> service_names_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dest

#endif  // CONTROLPLANE_SERVER_REFLECTION_V1_SERVICE_H_
