#include "bench/baseline_server.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"

namespace dest::bench {
namespace pb = io::linkerd::proxy::destination;

// One GetProfile stream: writes the message object it is offered; gRPC serializes it per write.
class BaselineServer::Stream final : public grpc::ServerWriteReactor<Profile> {
 public:
  explicit Stream(BaselineServer* server) : server_(server) {}

  void Begin(std::shared_ptr<Stream> self) { self_ = std::move(self); }

  void Offer(std::shared_ptr<const Profile> p) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    if (done_) return;
    pending_ = std::move(p);
    PumpLocked();
  }

  void OnWriteDone(bool ok) override ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    inflight_.reset();
    if (finish_after_write_) {
      Finish(*finish_after_write_);
      finish_after_write_.reset();
      return;
    }
    if (!ok) {
      FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, "write failed"));
      return;
    }
    PumpLocked();
  }

  void OnCancel() override ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    FinishLocked(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    server_->Unregister(this);
    std::shared_ptr<Stream> self = std::move(self_);  // may delete this on return
  }

 private:
  void PumpLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (inflight_ != nullptr || pending_ == nullptr || done_) return;
    inflight_ = std::move(pending_);
    StartWrite(inflight_.get());  // serializes the message for this stream
  }
  void FinishLocked(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (done_) return;
    done_ = true;
    if (inflight_ == nullptr) {
      Finish(status);
    } else {
      finish_after_write_ = status;
    }
  }

  BaselineServer* const server_;
  std::shared_ptr<Stream> self_;
  absl::Mutex mu_;
  std::shared_ptr<const Profile> inflight_ ABSL_GUARDED_BY(mu_);  // lives until OnWriteDone
  std::shared_ptr<const Profile> pending_ ABSL_GUARDED_BY(mu_);
  std::optional<grpc::Status> finish_after_write_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
};

class BaselineServer::Service final : public pb::Destination::CallbackService {
 public:
  explicit Service(BaselineServer* server) : server_(server) {}

  grpc::ServerWriteReactor<Profile>* GetProfile(grpc::CallbackServerContext* /*context*/,
                                                const pb::GetDestination* /*request*/) override {
    auto stream = std::make_shared<Stream>(server_);
    stream->Begin(stream);
    server_->Register(stream);
    return stream.get();
  }

 private:
  BaselineServer* const server_;
};

BaselineServer::BaselineServer(std::shared_ptr<const Profile> initial, int servers)
    : server_count_(std::max(servers, 1)), current_(std::move(initial)) {}

BaselineServer::~BaselineServer() { Shutdown(); }

bool BaselineServer::Start() {
  for (int i = 0; i < server_count_; ++i) {
    services_.push_back(std::make_unique<Service>(this));
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort(absl::StrCat("127.0.0.1:", port_), grpc::InsecureServerCredentials(),
                             &port);
    builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 1);
    builder.RegisterService(services_.back().get());
    servers_.push_back(builder.BuildAndStart());
    if (servers_.back() == nullptr || port == 0) return false;
    port_ = port;
  }
  return true;
}

void BaselineServer::Register(const std::shared_ptr<Stream>& s) {
  std::shared_ptr<const Profile> first;
  {
    absl::MutexLock lock(&mu_);
    streams_.emplace(s.get(), s);
    first = current_;
  }
  s->Offer(std::move(first));
}

void BaselineServer::Unregister(Stream* s) {
  absl::MutexLock lock(&mu_);
  streams_.erase(s);
}

size_t BaselineServer::Push(std::shared_ptr<const Profile> profile) {
  std::vector<std::shared_ptr<Stream>> targets;
  {
    absl::MutexLock lock(&mu_);
    current_ = profile;
    targets.reserve(streams_.size());
    for (const auto& [ptr, s] : streams_) targets.push_back(s);
  }
  for (const auto& s : targets) s->Offer(profile);
  return targets.size();
}

size_t BaselineServer::Streams() {
  absl::MutexLock lock(&mu_);
  return streams_.size();
}

void BaselineServer::Shutdown() {
  for (auto& server : servers_) {
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    server->Wait();
  }
  servers_.clear();
}

}  // namespace dest::bench
