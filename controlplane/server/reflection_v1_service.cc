#include "controlplane/server/reflection_v1_service.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <grpcpp/impl/server_builder_plugin.h>
#include <grpcpp/impl/server_initializer.h>

#include <string_view>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "base/log.h"

namespace dest {

using google::protobuf::DescriptorPool;
using google::protobuf::FileDescriptor;
using grpc::reflection::v1::ServerReflectionRequest;
using grpc::reflection::v1::ServerReflectionResponse;

namespace {

// Appends `file` and then, depth first, its imports to `response`'s file_descriptor_response,
// skipping files already in `sent`.
void AddFileAndImports(const FileDescriptor* file, ServerReflectionResponse* response,
                       absl::flat_hash_set<std::string_view>* sent) {
  if (!sent->insert(file->name()).second) return;
  google::protobuf::FileDescriptorProto proto;
  file->CopyTo(&proto);
  response->mutable_file_descriptor_response()->add_file_descriptor_proto(
      proto.SerializeAsString());
  for (int i = 0; i < file->dependency_count(); ++i) {
    AddFileAndImports(file->dependency(i), response, sent);
  }
}

// The answer for a file lookup: `file` with its imports, or NOT_FOUND with `not_found`.
grpc::Status AnswerFile(const FileDescriptor* file, const char* not_found,
                        ServerReflectionResponse* response) {
  if (file == nullptr) return grpc::Status(grpc::StatusCode::NOT_FOUND, not_found);
  absl::flat_hash_set<std::string_view> sent;
  AddFileAndImports(file, response, &sent);
  return grpc::Status::OK;
}

// Created by BuilderOption() for one ServerBuilder: registers a ReflectionV1Service on the server
// being built (the server's ServerInitializer keeps it alive as long as the server) and gives it
// the server's list of services. ServerBuilder::BuildAndStart registers the builder's services,
// then calls every plugin's InitServer in order (gRPC's own plugins, such as v1alpha reflection,
// come first: they are created with the builder, this one when its options are applied), starts
// the server, then calls every Finish. So the list is complete at InitServer, before the first
// call can arrive; Finish reads it again in case a later plugin registered a service.
class RegisterPlugin final : public grpc::ServerBuilderPlugin {
 public:
  std::string name() override { return "dest_reflection_v1"; }

  void InitServer(grpc::ServerInitializer* initializer) override {
    if (!initializer->RegisterService(service_)) {
      // Another reflection v1 service is registered already (a gRPC that serves v1 itself).
      Log(LogLevel::kWarn, "reflection v1 service not registered: the server already has one");
    }
    service_->SetServiceNames(*initializer->GetServiceList());
  }

  void Finish(grpc::ServerInitializer* initializer) override {
    service_->SetServiceNames(*initializer->GetServiceList());
  }

  void ChangeArguments(const std::string& /*name*/, void* /*value*/) override {}

 private:
  const std::shared_ptr<ReflectionV1Service> service_ = std::make_shared<ReflectionV1Service>();
};

class RegisterOption final : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments* /*args*/) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    plugins->push_back(std::make_unique<RegisterPlugin>());
  }
};

}  // namespace

// One ServerReflectionInfo stream.
//
// Lifetime: created in ServerReflectionInfo(), deleted in OnDone().
//
// At most one operation is pending at any time: a read, or the write of the answer to the last
// request read. Each reaction starts the next operation (or Finish) as its very last action and
// touches no member after it, so the reactions that use the stream's state never overlap and it
// needs no mutex; OnCancel is not overridden (cancellation fails the pending operation, whose
// reaction then finishes the stream).
class ReflectionV1Service::Stream final
    : public grpc::ServerBidiReactor<ServerReflectionRequest, ServerReflectionResponse> {
 public:
  explicit Stream(const ReflectionV1Service* service) : service_(service) {
    // Legal before the reactor is returned: gRPC holds the read until it binds the reactor.
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // The client is done sending (or the call ended).
      Finish(grpc::Status::OK);
      return;
    }
    response_.Clear();
    service_->Answer(request_, &response_);
    StartWrite(&response_);
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {  // The call ended (cancelled, or the server is shutting down).
      Finish(grpc::Status::CANCELLED);
      return;
    }
    StartRead(&request_);
  }

  void OnDone() override { delete this; }

 private:
  const ReflectionV1Service* const service_;
  // Filled by the read and read by Answer; never touched while the read is pending.
  ServerReflectionRequest request_;
  // The answer being written: gRPC reads it between StartWrite and OnWriteDone.
  ServerReflectionResponse response_;
};

ReflectionV1Service::ReflectionV1Service() = default;

ReflectionV1Service::~ReflectionV1Service() = default;

std::unique_ptr<grpc::ServerBuilderOption> ReflectionV1Service::BuilderOption() {
  return std::make_unique<RegisterOption>();
}

void ReflectionV1Service::SetServiceNames(std::vector<std::string> names) {
  absl::MutexLock lock(&mu_);
  service_names_ = std::move(names);
}

grpc::ServerBidiReactor<ServerReflectionRequest, ServerReflectionResponse>*
ReflectionV1Service::ServerReflectionInfo(grpc::CallbackServerContext* /*context*/) {
  return new Stream(this);
}

void ReflectionV1Service::Answer(const ServerReflectionRequest& request,
                                 ServerReflectionResponse* response) const {
  const grpc::Status status = Fill(request, response);
  if (!status.ok()) {
    // Replaces whatever Fill had set in the message_response oneof.
    response->mutable_error_response()->set_error_code(status.error_code());
    response->mutable_error_response()->set_error_message(status.error_message());
  }
  response->set_valid_host(request.host());
  *response->mutable_original_request() = request;
}

grpc::Status ReflectionV1Service::Fill(const ServerReflectionRequest& request,
                                       ServerReflectionResponse* response) const {
  const DescriptorPool* pool = DescriptorPool::generated_pool();
  switch (request.message_request_case()) {
    case ServerReflectionRequest::kFileByFilename:
      return AnswerFile(pool->FindFileByName(request.file_by_filename()), "File not found.",
                        response);
    case ServerReflectionRequest::kFileContainingSymbol:
      return AnswerFile(pool->FindFileContainingSymbol(request.file_containing_symbol()),
                        "Symbol not found.", response);
    case ServerReflectionRequest::kFileContainingExtension: {
      const auto& extension = request.file_containing_extension();
      const google::protobuf::Descriptor* type =
          pool->FindMessageTypeByName(extension.containing_type());
      if (type == nullptr) return grpc::Status(grpc::StatusCode::NOT_FOUND, "Type not found.");
      const google::protobuf::FieldDescriptor* field =
          pool->FindExtensionByNumber(type, extension.extension_number());
      return AnswerFile(field == nullptr ? nullptr : field->file(), "Extension not found.",
                        response);
    }
    case ServerReflectionRequest::kAllExtensionNumbersOfType: {
      const std::string& name = request.all_extension_numbers_of_type();
      const google::protobuf::Descriptor* type = pool->FindMessageTypeByName(name);
      if (type == nullptr) return grpc::Status(grpc::StatusCode::NOT_FOUND, "Type not found.");
      std::vector<const google::protobuf::FieldDescriptor*> extensions;
      pool->FindAllExtensions(type, &extensions);
      auto* numbers = response->mutable_all_extension_numbers_response();
      numbers->set_base_type_name(name);
      for (const google::protobuf::FieldDescriptor* field : extensions) {
        numbers->add_extension_number(field->number());
      }
      return grpc::Status::OK;
    }
    case ServerReflectionRequest::kListServices: {
      absl::ReaderMutexLock lock(&mu_);
      if (!service_names_.has_value()) {
        return grpc::Status(grpc::StatusCode::NOT_FOUND, "Services not found.");
      }
      auto* list = response->mutable_list_services_response();
      for (const std::string& name : *service_names_) list->add_service()->set_name(name);
      return grpc::Status::OK;
    }
    case ServerReflectionRequest::MESSAGE_REQUEST_NOT_SET:
      break;
  }
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "");
}

}  // namespace dest
