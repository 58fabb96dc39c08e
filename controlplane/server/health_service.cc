#include "controlplane/server/health_service.h"

#include <optional>

#include "base/log.h"

namespace dest {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;
using ServingStatus = grpc::health::v1::HealthCheckResponse::ServingStatus;

// One Watch stream.
//
// Lifetime: created in Watch(), deleted in OnDone(). Its state (under mu_) decides every write and
// the one Finish, and StartWrite/Finish are called with mu_ held: gRPC never runs a reaction
// inline from them (the rule for every reactor, docs/architecture.md, "Streams").
//
// The service calls Offer() only while the watcher is registered, with the service mutex held;
// OnDone unregisters under that mutex before deleting the reactor, so an Offer never races with
// the deletion. gRPC calls OnDone only after OnWriteDone and OnCancel have returned.
class HealthService::WatchReactor final : public grpc::ServerWriteReactor<HealthCheckResponse> {
 public:
  WatchReactor(HealthService* service, bool known) : service_(service), known_(known) {}

  bool known() const { return known_; }

  // Records the newest status for the stream and, when `end` is set, that the stream is to end
  // with OK once that status is written; starts whatever became due.
  void Offer(ServingStatus status, bool end) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    pending_ = status;
    if (end) end_requested_ = true;
    PumpLocked();
  }

  void OnWriteDone(bool ok) override ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    write_in_flight_ = false;
    if (!ok) broken_ = true;  // The stream is gone (cancelled or closed).
    PumpLocked();
  }

  void OnCancel() override ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    PumpLocked();
  }

  void OnDone() override {
    service_->Unregister(this);
    delete this;
  }

 private:
  // Starts the next step: nothing while a write is in flight or once finished; Finish if the
  // stream is cancelled or broken; else write the pending status if it differs from the last one
  // sent; else Finish(OK) if the end was requested.
  void PumpLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finish_started_ || write_in_flight_) return;
    if (cancelled_ || broken_) {
      finish_started_ = true;
      Finish(grpc::Status::CANCELLED);
      return;
    }
    if (pending_.has_value()) {
      const ServingStatus next = *pending_;
      pending_.reset();
      if (!last_sent_.has_value() || *last_sent_ != next) {
        last_sent_ = next;
        response_.set_status(next);
        write_in_flight_ = true;
        StartWrite(&response_);
        return;
      }
    }
    if (end_requested_) {
      finish_started_ = true;
      Finish(grpc::Status::OK);
    }
  }

  HealthService* const service_;
  const bool known_;  // Watching a known name (else the status is always SERVICE_UNKNOWN).

  absl::Mutex mu_;
  std::optional<ServingStatus> pending_ ABSL_GUARDED_BY(mu_);    // Newest status not yet sent.
  std::optional<ServingStatus> last_sent_ ABSL_GUARDED_BY(mu_);  // Last status written.
  bool write_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  bool end_requested_ ABSL_GUARDED_BY(mu_) = false;  // Shutdown: finish OK when drained.
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;      // OnCancel ran.
  bool broken_ ABSL_GUARDED_BY(mu_) = false;         // A write failed.
  bool finish_started_ ABSL_GUARDED_BY(mu_) = false;
  // The message being written: changed only while no write is in flight; gRPC reads it between
  // StartWrite and OnWriteDone.
  HealthCheckResponse response_ ABSL_GUARDED_BY(mu_);
};

HealthService::HealthService() : status_(HealthCheckResponse::NOT_SERVING) {}

HealthService::~HealthService() = default;

bool HealthService::IsKnown(std::string_view service) {
  return service.empty() || service == kDestinationServiceName;
}

void HealthService::SetServing(bool serving) {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;
  const ServingStatus status =
      serving ? HealthCheckResponse::SERVING : HealthCheckResponse::NOT_SERVING;
  if (status == status_) return;
  status_ = status;
  Log(LogLevel::kInfo, "health status changed",
      {{"status", HealthCheckResponse::ServingStatus_Name(status)}});
  BroadcastLocked();
}

void HealthService::Shutdown() {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;
  shut_down_ = true;
  status_ = HealthCheckResponse::NOT_SERVING;
  Log(LogLevel::kInfo, "health service shut down", {{"watchers", watchers_.size()}});
  BroadcastLocked();
}

void HealthService::BroadcastLocked() {
  for (WatchReactor* watcher : watchers_) {
    // An unknown name stays SERVICE_UNKNOWN; it only learns about the end.
    watcher->Offer(watcher->known() ? status_ : HealthCheckResponse::SERVICE_UNKNOWN, shut_down_);
  }
}

void HealthService::Unregister(WatchReactor* watcher) {
  absl::MutexLock lock(&mu_);
  watchers_.erase(watcher);
}

grpc::ServerUnaryReactor* HealthService::Check(grpc::CallbackServerContext* context,
                                               const HealthCheckRequest* request,
                                               HealthCheckResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!IsKnown(request->service())) {
    reactor->Finish(grpc::Status(grpc::StatusCode::NOT_FOUND,
                                 "unknown service \"" + request->service() + "\""));
    return reactor;
  }
  {
    absl::MutexLock lock(&mu_);
    response->set_status(status_);
  }
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerWriteReactor<HealthCheckResponse>* HealthService::Watch(
    grpc::CallbackServerContext* /*context*/, const HealthCheckRequest* request) {
  const bool known = IsKnown(request->service());
  auto* watcher = new WatchReactor(this, known);
  absl::MutexLock lock(&mu_);
  watchers_.insert(watcher);
  // Writing (or finishing) before the reactor is returned is legal: gRPC holds the operation
  // until it binds the reactor.
  watcher->Offer(known ? status_ : HealthCheckResponse::SERVICE_UNKNOWN, shut_down_);
  return watcher;
}

}  // namespace dest
