#include "controlplane/server/reflection_v1_service.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "controlplane/server/health_service.h"
#include "destination.pb.h"
#include "gmock/gmock.h"
#include "grpc/reflection/v1/reflection.grpc.pb.h"
#include "gtest/gtest.h"
#include "reflection_test_options.pb.h"

namespace dest {
namespace {

using google::protobuf::FileDescriptorProto;
using grpc::reflection::v1::ServerReflection;
using grpc::reflection::v1::ServerReflectionRequest;
using grpc::reflection::v1::ServerReflectionResponse;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::UnorderedElementsAre;

constexpr char kDestination[] = "io.linkerd.proxy.destination.Destination";
constexpr char kFieldOptions[] = "google.protobuf.FieldOptions";
// The extension declared by reflection_test_options.proto.
constexpr int kTestExtension = 51234;

// destination.proto, then its imports in the order it declares them (none of them imports more).
const std::vector<std::string> kDestinationFiles = {"destination.proto",
                                                    "google/protobuf/duration.proto",
                                                    "http_types.proto", "meta.proto", "net.proto"};

std::chrono::system_clock::time_point Deadline() {
  return std::chrono::system_clock::now() + std::chrono::seconds(10);
}

ServerReflectionRequest ListServices() {
  ServerReflectionRequest request;
  request.set_list_services("*");
  return request;
}
ServerReflectionRequest FileContainingSymbol(const std::string& symbol) {
  ServerReflectionRequest request;
  request.set_file_containing_symbol(symbol);
  return request;
}
ServerReflectionRequest FileByFilename(const std::string& name) {
  ServerReflectionRequest request;
  request.set_file_by_filename(name);
  return request;
}
ServerReflectionRequest FileContainingExtension(const std::string& type, int number) {
  ServerReflectionRequest request;
  request.mutable_file_containing_extension()->set_containing_type(type);
  request.mutable_file_containing_extension()->set_extension_number(number);
  return request;
}
ServerReflectionRequest AllExtensionNumbersOfType(const std::string& type) {
  ServerReflectionRequest request;
  request.set_all_extension_numbers_of_type(type);
  return request;
}

// The files of a file_descriptor_response, decoded. Fails the test when the response is something
// else or a file does not decode.
std::vector<FileDescriptorProto> Files(const ServerReflectionResponse& response) {
  std::vector<FileDescriptorProto> files;
  EXPECT_TRUE(response.has_file_descriptor_response()) << response.DebugString();
  for (const std::string& bytes : response.file_descriptor_response().file_descriptor_proto()) {
    FileDescriptorProto file;
    EXPECT_TRUE(file.ParseFromString(bytes));
    files.push_back(std::move(file));
  }
  return files;
}

std::vector<std::string> Names(const std::vector<FileDescriptorProto>& files) {
  std::vector<std::string> names;
  for (const FileDescriptorProto& file : files) names.push_back(file.name());
  return names;
}

std::vector<std::string> ServiceNames(const ServerReflectionResponse& response) {
  EXPECT_TRUE(response.has_list_services_response()) << response.DebugString();
  std::vector<std::string> names;
  for (const auto& service : response.list_services_response().service()) {
    names.push_back(service.name());
  }
  return names;
}

// One ServerReflectionInfo stream, with the blocking client API; every call is bounded by the
// call's deadline.
class ReflectionStream {
 public:
  explicit ReflectionStream(ServerReflection::Stub* stub) {
    context_.set_deadline(Deadline());
    stream_ = stub->ServerReflectionInfo(&context_);
  }

  bool Send(const ServerReflectionRequest& request) { return stream_->Write(request); }

  // The next response, or nullopt when the stream ended.
  std::optional<ServerReflectionResponse> Receive() {
    ServerReflectionResponse response;
    if (!stream_->Read(&response)) return std::nullopt;
    return response;
  }

  // Sends `request` and returns its answer (an empty response, and a test failure, if none came).
  ServerReflectionResponse Ask(const ServerReflectionRequest& request) {
    EXPECT_TRUE(Send(request));
    std::optional<ServerReflectionResponse> response = Receive();
    EXPECT_TRUE(response.has_value()) << "no answer to " << request.DebugString();
    return response.value_or(ServerReflectionResponse());
  }

  // Half-closes and returns the stream's status.
  grpc::Status Close() {
    stream_->WritesDone();
    return stream_->Finish();
  }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<ServerReflectionRequest, ServerReflectionResponse>>
      stream_;
};

// A server on port 0 with a Health service and the reflection v1 service, registered as main.cc
// registers it (ReflectionV1Service::BuilderOption()).
class ReflectionV1ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The generated pool holds the files whose generated code is linked in: make sure
    // destination.proto and the test's extension are.
    ASSERT_NE(io::linkerd::proxy::destination::GetDestination::descriptor(), nullptr);
    ASSERT_NE(reflection_test::Annotated::descriptor(), nullptr);

    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&health_);
    builder.SetOption(ReflectionV1Service::BuilderOption());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port_, 0);
    stub_ = ServerReflection::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_), grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    health_.Shutdown();
    // Ends any stream still open; returns once every reactor is done.
    if (server_ != nullptr) server_->Shutdown(Deadline());
  }

  HealthService health_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<ServerReflection::Stub> stub_;
};

TEST_F(ReflectionV1ServiceTest, ListServicesNamesEveryServiceOnTheServer) {
  ReflectionStream stream(stub_.get());
  ServerReflectionRequest request = ListServices();
  request.set_host("destination.example:8086");
  const ServerReflectionResponse response = stream.Ask(request);
  EXPECT_THAT(ServiceNames(response),
              UnorderedElementsAre("grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"));
  // Every answer echoes its request.
  EXPECT_EQ(response.valid_host(), "destination.example:8086");
  EXPECT_EQ(response.original_request().list_services(), "*");
  EXPECT_EQ(response.original_request().host(), "destination.example:8086");
  EXPECT_TRUE(stream.Close().ok());
}

// What grpcurl does after listing: the file declaring a service, with everything it imports, is
// enough to build the service's descriptor.
TEST_F(ReflectionV1ServiceTest, FileContainingSymbolSendsTheFileAndItsImports) {
  ReflectionStream stream(stub_.get());
  const ServerReflectionResponse response = stream.Ask(FileContainingSymbol(kDestination));
  EXPECT_EQ(response.original_request().file_containing_symbol(), kDestination);
  const std::vector<FileDescriptorProto> files = Files(response);
  ASSERT_THAT(Names(files), ElementsAreArray(kDestinationFiles));
  EXPECT_EQ(files[0].package(), "io.linkerd.proxy.destination");
  ASSERT_EQ(files[0].service_size(), 1);
  EXPECT_EQ(files[0].service(0).name(), "Destination");

  // The files build a pool of their own, imports first, as a reflection client builds one.
  google::protobuf::DescriptorPool pool;
  for (auto file = files.rbegin(); file != files.rend(); ++file) {
    ASSERT_NE(pool.BuildFile(*file), nullptr) << file->name();
  }
  const google::protobuf::ServiceDescriptor* service = pool.FindServiceByName(kDestination);
  ASSERT_NE(service, nullptr);
  const google::protobuf::MethodDescriptor* get_profile = service->FindMethodByName("GetProfile");
  ASSERT_NE(get_profile, nullptr);
  EXPECT_EQ(get_profile->input_type()->full_name(), "io.linkerd.proxy.destination.GetDestination");
  EXPECT_EQ(get_profile->output_type()->full_name(),
            "io.linkerd.proxy.destination.DestinationProfile");
  EXPECT_TRUE(get_profile->server_streaming());

  // A method, a message and a type of an imported file name their own files.
  EXPECT_THAT(Names(Files(stream.Ask(FileContainingSymbol(absl::StrCat(kDestination, ".Get"))))),
              ElementsAreArray(kDestinationFiles));
  EXPECT_THAT(
      Names(Files(stream.Ask(FileContainingSymbol("io.linkerd.proxy.destination.WeightedAddr")))),
      ElementsAreArray(kDestinationFiles));
  EXPECT_THAT(Names(Files(stream.Ask(FileContainingSymbol("io.linkerd.proxy.net.TcpAddress")))),
              ElementsAre("net.proto"));
  EXPECT_THAT(Names(Files(stream.Ask(FileContainingSymbol("grpc.health.v1.Health")))),
              ElementsAre("grpc/health/v1/health.proto"));
  EXPECT_TRUE(stream.Close().ok());
}

TEST_F(ReflectionV1ServiceTest, FileByFilename) {
  ReflectionStream stream(stub_.get());
  EXPECT_THAT(Names(Files(stream.Ask(FileByFilename("net.proto")))), ElementsAre("net.proto"));
  const std::vector<FileDescriptorProto> files =
      Files(stream.Ask(FileByFilename("grpc/reflection/v1/reflection.proto")));
  ASSERT_THAT(Names(files), ElementsAre("grpc/reflection/v1/reflection.proto"));
  ASSERT_EQ(files[0].service_size(), 1);
  EXPECT_EQ(files[0].service(0).name(), "ServerReflection");
  EXPECT_EQ(files[0].package(), "grpc.reflection.v1");
  EXPECT_TRUE(stream.Close().ok());
}

// Each file answer is complete in itself, as gRPC's C++ implementation answers: a file sent
// earlier on the stream is sent again when asked for again, and no file twice in one answer.
TEST_F(ReflectionV1ServiceTest, EveryFileAnswerIsCompleteInItself) {
  ReflectionStream stream(stub_.get());
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(Names(Files(stream.Ask(FileByFilename("destination.proto")))),
                ElementsAreArray(kDestinationFiles));
    EXPECT_THAT(Names(Files(stream.Ask(FileContainingSymbol(kDestination)))),
                ElementsAreArray(kDestinationFiles));
  }
  EXPECT_TRUE(stream.Close().ok());
}

TEST_F(ReflectionV1ServiceTest, Extensions) {
  ReflectionStream stream(stub_.get());
  const ServerReflectionResponse numbers = stream.Ask(AllExtensionNumbersOfType(kFieldOptions));
  ASSERT_TRUE(numbers.has_all_extension_numbers_response()) << numbers.DebugString();
  EXPECT_EQ(numbers.all_extension_numbers_response().base_type_name(), kFieldOptions);
  EXPECT_THAT(numbers.all_extension_numbers_response().extension_number(),
              Contains(kTestExtension));

  const std::vector<FileDescriptorProto> files =
      Files(stream.Ask(FileContainingExtension(kFieldOptions, kTestExtension)));
  ASSERT_THAT(Names(files),
              ElementsAre("reflection_test_options.proto", "google/protobuf/descriptor.proto"));
  ASSERT_EQ(files[0].extension_size(), 1);
  EXPECT_EQ(files[0].extension(0).number(), kTestExtension);
  EXPECT_EQ(files[0].extension(0).extendee(), ".google.protobuf.FieldOptions");

  // A type no extension extends.
  const ServerReflectionResponse none =
      stream.Ask(AllExtensionNumbersOfType("io.linkerd.proxy.destination.GetDestination"));
  ASSERT_TRUE(none.has_all_extension_numbers_response()) << none.DebugString();
  EXPECT_EQ(none.all_extension_numbers_response().base_type_name(),
            "io.linkerd.proxy.destination.GetDestination");
  EXPECT_EQ(none.all_extension_numbers_response().extension_number_size(), 0);
  EXPECT_TRUE(stream.Close().ok());
}

// Unknown names are answered with an error_response (the codes and messages of gRPC's v1alpha
// service), and the stream goes on.
TEST_F(ReflectionV1ServiceTest, UnknownNamesAreNotFoundAndTheStreamGoesOn) {
  struct Case {
    ServerReflectionRequest request;
    grpc::StatusCode code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {FileContainingSymbol("io.linkerd.proxy.destination.NoSuchService"),
       grpc::StatusCode::NOT_FOUND, "Symbol not found."},
      {FileContainingSymbol(""), grpc::StatusCode::NOT_FOUND, "Symbol not found."},
      {FileByFilename("no/such.proto"), grpc::StatusCode::NOT_FOUND, "File not found."},
      {FileContainingExtension("no.such.Type", 1), grpc::StatusCode::NOT_FOUND, "Type not found."},
      {FileContainingExtension(kFieldOptions, kTestExtension + 1), grpc::StatusCode::NOT_FOUND,
       "Extension not found."},
      {AllExtensionNumbersOfType("no.such.Type"), grpc::StatusCode::NOT_FOUND, "Type not found."},
      {ServerReflectionRequest(), grpc::StatusCode::UNIMPLEMENTED, ""},
  };
  ReflectionStream stream(stub_.get());
  for (const Case& c : cases) {
    SCOPED_TRACE(c.request.DebugString());
    const ServerReflectionResponse response = stream.Ask(c.request);
    ASSERT_TRUE(response.has_error_response()) << response.DebugString();
    EXPECT_EQ(response.error_response().error_code(), static_cast<int>(c.code));
    EXPECT_EQ(response.error_response().error_message(), c.message);
    EXPECT_EQ(response.original_request().SerializeAsString(), c.request.SerializeAsString());
    // The next request on the same stream is answered.
    EXPECT_THAT(Names(Files(stream.Ask(FileByFilename("net.proto")))), ElementsAre("net.proto"));
  }
  EXPECT_TRUE(stream.Close().ok());
}

// A client may send many requests before reading: they are answered one by one, in order.
TEST_F(ReflectionV1ServiceTest, PipelinedRequestsAreAnsweredInOrder) {
  constexpr int kRequests = 200;
  ReflectionStream stream(stub_.get());
  for (int i = 0; i < kRequests; ++i) {
    ASSERT_TRUE(stream.Send(i % 2 == 0 ? FileContainingSymbol(kDestination) : ListServices()));
  }
  for (int i = 0; i < kRequests; ++i) {
    std::optional<ServerReflectionResponse> response = stream.Receive();
    ASSERT_TRUE(response.has_value()) << i;
    if (i % 2 == 0) {
      EXPECT_THAT(Names(Files(*response)), ElementsAreArray(kDestinationFiles)) << i;
    } else {
      EXPECT_EQ(ServiceNames(*response).size(), 2u) << i;
    }
  }
  EXPECT_TRUE(stream.Close().ok());
}

// Streams left open by their clients do not keep the server up: at the shutdown deadline gRPC
// cancels them, and each ends.
TEST_F(ReflectionV1ServiceTest, ShutdownEndsOpenStreams) {
  ReflectionStream idle(stub_.get());
  ReflectionStream used(stub_.get());
  EXPECT_EQ(ServiceNames(used.Ask(ListServices())).size(), 2u);
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(100));
  EXPECT_FALSE(idle.Receive().has_value());
  EXPECT_FALSE(used.Receive().has_value());
  // Ended by the server, not by the client's deadline.
  for (ReflectionStream* stream : {&idle, &used}) {
    EXPECT_NE(stream->Close().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  }
}

// A ReflectionV1Service registered by hand lists what it is given, and NOT_FOUND before that, as
// gRPC's v1alpha service does before its plugin gives it the server's list.
TEST(ReflectionV1ServiceSetterTest, ListsTheNamesItIsGiven) {
  ReflectionV1Service service;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  auto stub = ServerReflection::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  ReflectionStream stream(stub.get());

  const ServerReflectionResponse before = stream.Ask(ListServices());
  ASSERT_TRUE(before.has_error_response()) << before.DebugString();
  EXPECT_EQ(before.error_response().error_code(), static_cast<int>(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(before.error_response().error_message(), "Services not found.");

  service.SetServiceNames({"a.B", "c.D"});
  EXPECT_THAT(ServiceNames(stream.Ask(ListServices())), ElementsAre("a.B", "c.D"));
  service.SetServiceNames({});
  EXPECT_THAT(ServiceNames(stream.Ask(ListServices())), ElementsAre());
  EXPECT_TRUE(stream.Close().ok());
  server->Shutdown(Deadline());
}

}  // namespace
}  // namespace dest
