#include "controlplane/health_service.h"

#include <optional>
#include <utility>
#include <vector>

#include "watchers/log.h"

namespace dest {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;
using ServingStatus = grpc::health::v1::HealthCheckResponse::ServingStatus;

// What a watcher must do next, outside every lock: start a write of its response, or finish.
struct HealthService::WatchAction {
  bool write = false;
  std::optional<grpc::Status> finish;
  bool empty() const { return !write && !finish.has_value(); }
};

// One Watch stream.
//
// Lifetime: created in Watch(), deleted in OnDone(). Its state (under mu_) decides every write
// and the one Finish; the gRPC calls themselves are made with no lock held, because gRPC may run
// OnWriteDone (and even OnDone) on the calling thread before StartWrite/Finish returns.
//
// The service may call Offer() only while the watcher is registered (it holds the service mutex,
// and OnDone unregisters under that mutex). A WatchAction returned by Offer() keeps the reactor
// alive until Perform() runs it: a decided write or Finish must happen before gRPC can call
// OnDone. After Perform() the caller must not touch the reactor again.
class HealthService::WatchReactor final : public grpc::ServerWriteReactor<HealthCheckResponse> {
 public:
  WatchReactor(HealthService* service, bool known) : service_(service), known_(known) {}

  bool known() const { return known_; }

  // Records the newest status for the stream and, when `end` is set, that the stream is to end
  // with OK once that status is written.
  WatchAction Offer(ServingStatus status, bool end) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    pending_ = status;
    if (end) end_requested_ = true;
    return NextLocked();
  }

  // Runs an action returned by Offer() or NextLocked(). Touches nothing after the gRPC call.
  void Perform(WatchAction action) ABSL_LOCKS_EXCLUDED(mu_) {
    if (action.write) {
      StartWrite(&response_);  // May complete, and even end the stream, before it returns.
    } else if (action.finish.has_value()) {
      Finish(*std::move(action.finish));
    }
  }

  void OnWriteDone(bool ok) override ABSL_LOCKS_EXCLUDED(mu_) {
    WatchAction action;
    {
      absl::MutexLock lock(&mu_);
      write_in_flight_ = false;
      if (!ok) broken_ = true;  // The stream is gone (cancelled or closed).
      action = NextLocked();
    }
    Perform(std::move(action));
  }

  void OnCancel() override ABSL_LOCKS_EXCLUDED(mu_) {
    WatchAction action;
    {
      absl::MutexLock lock(&mu_);
      cancelled_ = true;
      action = NextLocked();
    }
    Perform(std::move(action));
  }

  void OnDone() override {
    service_->Unregister(this);
    delete this;
  }

 private:
  // Decides the next step: nothing while a write is in flight or once finished; Finish if the
  // stream is cancelled or broken; else write the pending status if it differs from the last
  // one sent; else Finish(OK) if the end was requested.
  WatchAction NextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    WatchAction action;
    if (finish_started_ || write_in_flight_) return action;
    if (cancelled_ || broken_) {
      finish_started_ = true;
      action.finish = grpc::Status::CANCELLED;
      return action;
    }
    if (pending_.has_value()) {
      const ServingStatus next = *pending_;
      pending_.reset();
      if (!last_sent_.has_value() || *last_sent_ != next) {
        last_sent_ = next;
        response_.set_status(next);
        write_in_flight_ = true;
        action.write = true;
        return action;
      }
    }
    if (end_requested_) {
      finish_started_ = true;
      action.finish = grpc::Status::OK;
    }
    return action;
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
  // The message being written. Changed under mu_ and only while no write is in flight; gRPC
  // reads it (without mu_) between StartWrite and OnWriteDone.
  HealthCheckResponse response_;
};

HealthService::HealthService() : status_(HealthCheckResponse::NOT_SERVING) {}

HealthService::~HealthService() = default;

bool HealthService::IsKnown(std::string_view service) {
  return service.empty() || service == kDestinationServiceName;
}

void HealthService::SetServing(bool serving) {
  std::vector<std::pair<WatchReactor*, WatchAction>> actions;
  {
    absl::MutexLock lock(&mu_);
    if (shut_down_) return;
    const ServingStatus status =
        serving ? HealthCheckResponse::SERVING : HealthCheckResponse::NOT_SERVING;
    if (status == status_) return;
    status_ = status;
    Log(LogLevel::kInfo, "health status changed",
        {{"status", HealthCheckResponse::ServingStatus_Name(status)}});
    actions = BroadcastLocked();
  }
  PerformAll(std::move(actions));
}

void HealthService::Shutdown() {
  std::vector<std::pair<WatchReactor*, WatchAction>> actions;
  {
    absl::MutexLock lock(&mu_);
    if (shut_down_) return;
    shut_down_ = true;
    status_ = HealthCheckResponse::NOT_SERVING;
    Log(LogLevel::kInfo, "health service shut down", {{"watchers", watchers_.size()}});
    actions = BroadcastLocked();
  }
  PerformAll(std::move(actions));
}

std::vector<std::pair<HealthService::WatchReactor*, HealthService::WatchAction>>
HealthService::BroadcastLocked() {
  std::vector<std::pair<WatchReactor*, WatchAction>> actions;
  actions.reserve(watchers_.size());
  for (WatchReactor* watcher : watchers_) {
    // An unknown name stays SERVICE_UNKNOWN; it only learns about the end.
    const ServingStatus status = watcher->known() ? status_ : HealthCheckResponse::SERVICE_UNKNOWN;
    WatchAction action = watcher->Offer(status, shut_down_);
    if (!action.empty()) actions.emplace_back(watcher, std::move(action));
  }
  return actions;
}

void HealthService::PerformAll(std::vector<std::pair<WatchReactor*, WatchAction>> actions) {
  for (auto& [watcher, action] : actions) watcher->Perform(std::move(action));
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
  WatchAction action;
  {
    absl::MutexLock lock(&mu_);
    watchers_.insert(watcher);
    action = watcher->Offer(known ? status_ : HealthCheckResponse::SERVICE_UNKNOWN, shut_down_);
  }
  // Legal before the reactor is returned: gRPC holds the write until it binds the reactor.
  watcher->Perform(std::move(action));
  return watcher;
}

}  // namespace dest
