#include "controlplane/server/health_service.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"

namespace dest {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

constexpr char kDestination[] = "io.linkerd.proxy.destination.Destination";

std::chrono::system_clock::time_point Deadline() {
  return std::chrono::system_clock::now() + std::chrono::seconds(10);
}

// A Watch stream read with the blocking client API; every read is bounded by the call deadline.
class WatchStream {
 public:
  WatchStream(Health::Stub* stub, const std::string& service) {
    context_.set_deadline(Deadline());
    HealthCheckRequest request;
    request.set_service(service);
    reader_ = stub->Watch(&context_, request);
  }

  // The next status, or nullopt when the stream ended.
  std::optional<HealthCheckResponse::ServingStatus> Next() {
    HealthCheckResponse response;
    if (!reader_->Read(&response)) return std::nullopt;
    return response.status();
  }

  grpc::Status Finish() { return reader_->Finish(); }
  void Cancel() { context_.TryCancel(); }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<HealthCheckResponse>> reader_;
};

class HealthServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port_, 0);
    channel_ =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_), grpc::InsecureChannelCredentials());
    stub_ = Health::NewStub(channel_);
  }

  void TearDown() override {
    service_.Shutdown();
    // Ends any stream still open; returns once every reactor is done.
    server_->Shutdown(Deadline());
  }

  grpc::Status Check(const std::string& service, HealthCheckResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(Deadline());
    HealthCheckRequest request;
    request.set_service(service);
    return stub_->Check(&context, request, response);
  }

  HealthService service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<Health::Stub> stub_;
};

TEST_F(HealthServiceTest, CheckKnownNamesFollowsSetServing) {
  for (const std::string name : {"", kDestination}) {
    SCOPED_TRACE(name);
    HealthCheckResponse response;
    service_.SetServing(false);
    ASSERT_TRUE(Check(name, &response).ok());
    EXPECT_EQ(response.status(), HealthCheckResponse::NOT_SERVING);
    service_.SetServing(true);
    ASSERT_TRUE(Check(name, &response).ok());
    EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);
  }
}

TEST_F(HealthServiceTest, StartsNotServing) {
  HealthCheckResponse response;
  ASSERT_TRUE(Check("", &response).ok());
  EXPECT_EQ(response.status(), HealthCheckResponse::NOT_SERVING);
}

TEST_F(HealthServiceTest, CheckUnknownNameIsNotFound) {
  service_.SetServing(true);
  HealthCheckResponse response;
  const grpc::Status status = Check("io.linkerd.proxy.destination.Other", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(HealthServiceTest, WatchFollowsStatusAndEndsAtShutdown) {
  service_.SetServing(true);
  WatchStream watch(stub_.get(), kDestination);
  EXPECT_EQ(watch.Next(), HealthCheckResponse::SERVING);
  service_.SetServing(false);
  EXPECT_EQ(watch.Next(), HealthCheckResponse::NOT_SERVING);
  service_.SetServing(true);
  EXPECT_EQ(watch.Next(), HealthCheckResponse::SERVING);
  service_.Shutdown();
  EXPECT_EQ(watch.Next(), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(watch.Next(), std::nullopt);
  EXPECT_TRUE(watch.Finish().ok());

  // Shutdown is permanent.
  service_.SetServing(true);
  HealthCheckResponse response;
  ASSERT_TRUE(Check("", &response).ok());
  EXPECT_EQ(response.status(), HealthCheckResponse::NOT_SERVING);
}

TEST_F(HealthServiceTest, WatchUnknownNameSendsServiceUnknownAndStaysOpen) {
  WatchStream watch(stub_.get(), "no.such.Service");
  EXPECT_EQ(watch.Next(), HealthCheckResponse::SERVICE_UNKNOWN);
  // Status changes of known names are not sent to it; it ends (OK) only at shutdown.
  service_.SetServing(true);
  service_.SetServing(false);
  service_.Shutdown();
  EXPECT_EQ(watch.Next(), std::nullopt);
  EXPECT_TRUE(watch.Finish().ok());
}

TEST_F(HealthServiceTest, WatchAfterShutdownGetsNotServingAndEnds) {
  service_.SetServing(true);
  service_.Shutdown();
  WatchStream watch(stub_.get(), "");
  EXPECT_EQ(watch.Next(), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(watch.Next(), std::nullopt);
  EXPECT_TRUE(watch.Finish().ok());
}

TEST_F(HealthServiceTest, ClientCancelEndsTheWatch) {
  service_.SetServing(true);
  WatchStream watch(stub_.get(), "");
  EXPECT_EQ(watch.Next(), HealthCheckResponse::SERVING);
  watch.Cancel();
  EXPECT_EQ(watch.Next(), std::nullopt);
  EXPECT_EQ(watch.Finish().error_code(), grpc::StatusCode::CANCELLED);
  // The service keeps working for others.
  service_.SetServing(false);
  WatchStream other(stub_.get(), "");
  EXPECT_EQ(other.Next(), HealthCheckResponse::NOT_SERVING);
}

// Many watchers, status flipped from two threads, some clients cancelling: every stream sees no
// two equal statuses in a row, and every stream that was not cancelled ends with NOT_SERVING
// then OK at shutdown.
TEST_F(HealthServiceTest, ConcurrentFlipsCoalesceAndShutdownEndsAll) {
  constexpr int kWatchers = 16;
  service_.SetServing(true);
  std::vector<std::unique_ptr<WatchStream>> watches;
  for (int i = 0; i < kWatchers; ++i) {
    watches.push_back(std::make_unique<WatchStream>(stub_.get(), i % 2 == 0 ? "" : kDestination));
  }

  std::atomic<bool> failed{false};
  std::vector<std::thread> readers;
  for (int i = 0; i < kWatchers; ++i) {
    readers.emplace_back([&, i] {
      WatchStream& watch = *watches[i];
      const bool cancel = i % 4 == 3;
      std::optional<HealthCheckResponse::ServingStatus> last;
      int received = 0;
      while (true) {
        std::optional<HealthCheckResponse::ServingStatus> next = watch.Next();
        if (!next.has_value()) break;
        if (last.has_value() && *last == *next) failed = true;  // Repeated status.
        last = next;
        if (cancel && ++received == 3) watch.Cancel();
      }
      const grpc::Status status = watch.Finish();
      if (cancel) {
        if (!status.ok() && status.error_code() != grpc::StatusCode::CANCELLED) failed = true;
      } else if (!status.ok() || last != HealthCheckResponse::NOT_SERVING) {
        failed = true;
      }
    });
  }
  std::vector<std::thread> flippers;
  for (int t = 0; t < 2; ++t) {
    flippers.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) service_.SetServing((i + t) % 2 == 0);
    });
  }
  for (std::thread& thread : flippers) thread.join();
  service_.Shutdown();
  for (std::thread& thread : readers) thread.join();
  EXPECT_FALSE(failed.load());
}

}  // namespace
}  // namespace dest
