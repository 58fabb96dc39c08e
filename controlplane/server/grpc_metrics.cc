#include "controlplane/server/grpc_metrics.h"

#include <google/protobuf/descriptor.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace dest {
namespace {

using RpcType = grpc::experimental::ServerRpcInfo::Type;
using grpc::experimental::InterceptionHookPoints;

// Go's names of the codes (google.golang.org/grpc/codes), as go-grpc-prometheus labels them.
constexpr std::array<const char*, 17> kCodeNames = {
    "OK",       "Canceled",       "Unknown",          "InvalidArgument",   "DeadlineExceeded",
    "NotFound", "AlreadyExists",  "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
    "Aborted",  "OutOfRange",     "Unimplemented",    "Internal",          "Unavailable",
    "DataLoss", "Unauthenticated"};

const char* TypeName(RpcType type) {
  switch (type) {
    case RpcType::UNARY:
      return "unary";
    case RpcType::CLIENT_STREAMING:
      return "client_stream";
    case RpcType::SERVER_STREAMING:
      return "server_stream";
    case RpcType::BIDI_STREAMING:
      return "bidi_stream";
  }
  return "unknown";
}

// go-grpc-prometheus's default buckets, then longer ones: a proxy's stream lives for hours.
const prometheus::Histogram::BucketBoundaries& HandlingBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60, 600, 3600, 21600};
  return *buckets;
}

// Counts one call.
class MetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit MetricsInterceptor(GrpcMetrics::Method* method) : method_(method) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      method_->started->Increment();
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE)) {
      method_->received->Increment();
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_MESSAGE)) {
      method_->sent->Increment();
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      method_->Handled(methods->GetSendStatus().error_code(), absl::Now() - start_);
    }
    methods->Proceed();
  }

 private:
  GrpcMetrics::Method* const method_;
  const absl::Time start_ = absl::Now();
};

class MetricsInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(GrpcMetrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    // Nothing to count under, or counted by the service itself (no hook on its writes).
    if (info->method() == nullptr || metrics_->IsCountedByService(info->method())) return nullptr;
    return new MetricsInterceptor(metrics_->For(info->method(), info->type()));
  }

 private:
  GrpcMetrics* const metrics_;
};

}  // namespace

GrpcMetrics::GrpcMetrics(prometheus::Registry* registry)
    : started_(&prometheus::BuildCounter()
                    .Name("grpc_server_started_total")
                    .Help("Total number of RPCs started on the server.")
                    .Register(*registry)),
      handled_(&prometheus::BuildCounter()
                    .Name("grpc_server_handled_total")
                    .Help("Total number of RPCs completed on the server, regardless of success or "
                          "failure.")
                    .Register(*registry)),
      received_(&prometheus::BuildCounter()
                     .Name("grpc_server_msg_received_total")
                     .Help("Total number of RPC stream messages received on the server.")
                     .Register(*registry)),
      sent_(&prometheus::BuildCounter()
                 .Name("grpc_server_msg_sent_total")
                 .Help("Total number of gRPC stream messages sent by the server.")
                 .Register(*registry)),
      handling_(&prometheus::BuildHistogram()
                     .Name("grpc_server_handling_seconds")
                     .Help("Histogram of response latency (seconds) of gRPC that had been "
                           "application-level handled by the server; for a stream, how long it "
                           "was open.")
                     .Register(*registry)) {}

GrpcMetrics::Method* GrpcMetrics::For(const std::string& full_method, RpcType type) {
  absl::MutexLock lock(&mu_);
  std::unique_ptr<Method>& m = methods_[full_method];
  if (m != nullptr) return m.get();
  // "/pkg.Service/Method"
  const size_t slash = full_method.rfind('/');
  const size_t start = !full_method.empty() && full_method.front() == '/' ? 1 : 0;
  const std::string service =
      slash == std::string::npos || slash < start ? "" : full_method.substr(start, slash - start);
  const std::string name = slash == std::string::npos ? full_method : full_method.substr(slash + 1);
  const prometheus::Labels labels{
      {"grpc_type", TypeName(type)}, {"grpc_service", service}, {"grpc_method", name}};
  m = std::make_unique<Method>();
  m->started = &started_->Add(labels);
  m->received = &received_->Add(labels);
  m->sent = &sent_->Add(labels);
  m->handling = &handling_->Add(labels, HandlingBuckets());
  for (size_t code = 0; code < kCodeNames.size(); ++code) {
    prometheus::Labels with_code = labels;
    with_code["grpc_code"] = kCodeNames[code];
    m->handled[code] = &handled_->Add(with_code);
  }
  return m.get();
}

void GrpcMetrics::Method::Handled(grpc::StatusCode code, absl::Duration took) {
  const int c = static_cast<int>(code);
  handled[c >= 0 && c < 17 ? c : 2]->Increment();  // else Unknown
  handling->Observe(absl::ToDoubleSeconds(took));
}

GrpcMetrics::Method* GrpcMetrics::CountedByService(const std::string& full_method, RpcType type) {
  {
    absl::MutexLock lock(&mu_);
    counted_by_service_.insert(full_method);
  }
  return For(full_method, type);
}

bool GrpcMetrics::IsCountedByService(const char* full_method) {
  absl::MutexLock lock(&mu_);
  return counted_by_service_.contains(full_method);
}

bool GrpcMetrics::InitializeService(const std::string& service) {
  const google::protobuf::ServiceDescriptor* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service);
  if (descriptor == nullptr) return false;
  for (int i = 0; i < descriptor->method_count(); ++i) {
    const google::protobuf::MethodDescriptor* method = descriptor->method(i);
    const RpcType type =
        method->client_streaming()
            ? (method->server_streaming() ? RpcType::BIDI_STREAMING : RpcType::CLIENT_STREAMING)
            : (method->server_streaming() ? RpcType::SERVER_STREAMING : RpcType::UNARY);
    For(absl::StrCat("/", service, "/", method->name()), type);
  }
  return true;
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> GrpcMetrics::NewFactory() {
  return std::make_unique<MetricsInterceptorFactory>(this);
}

}  // namespace dest
