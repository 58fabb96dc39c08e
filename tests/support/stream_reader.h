// A gRPC server stream read on its own thread into a queue, for tests against the real binary.
#ifndef TESTS_STREAM_READER_H_
#define TESTS_STREAM_READER_H_

#include <grpcpp/grpcpp.h>

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace dest::testing {

// Reads a server stream on its own thread into a queue.
template <typename Msg>
class StreamReader {
 public:
  using Open = std::function<std::unique_ptr<grpc::ClientReader<Msg>>(grpc::ClientContext*)>;
  explicit StreamReader(Open open) {
    thread_ = std::thread([this, open = std::move(open)] {
      auto reader = open(&ctx_);
      Msg m;
      while (reader->Read(&m)) {
        absl::MutexLock lock(&mu_);
        queue_.push_back(m);
      }
      grpc::Status s = reader->Finish();
      absl::MutexLock lock(&mu_);
      status_ = s;
    });
  }
  ~StreamReader() {
    ctx_.TryCancel();
    thread_.join();
  }
  // The next message, or nullopt when none arrives in time or the stream ended.
  std::optional<Msg> Next(absl::Duration timeout = absl::Seconds(10)) {
    absl::MutexLock lock(&mu_);
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !queue_.empty() || status_.has_value();
    };
    mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
    if (queue_.empty()) return std::nullopt;
    Msg m = queue_.front();
    queue_.pop_front();
    return m;
  }
  std::optional<grpc::Status> End(absl::Duration timeout = absl::Seconds(10)) {
    absl::MutexLock lock(&mu_);
    auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return status_.has_value(); };
    mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
    return status_;
  }
  size_t Pending() {
    absl::MutexLock lock(&mu_);
    return queue_.size();
  }

 private:
  grpc::ClientContext ctx_;
  std::thread thread_;
  absl::Mutex mu_;
  std::deque<Msg> queue_ ABSL_GUARDED_BY(mu_);
  std::optional<grpc::Status> status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dest::testing

#endif  // TESTS_STREAM_READER_H_
