// The benchmark's proxies: many Get and GetProfile streams over a few client channels, on the gRPC
// client callback API (one ClientReadReactor per stream, no thread per stream). Messages are read
// as raw bytes and parsed only in churn mode, so the client spends little CPU next to the server.
//
// What the streams see is recorded, timestamped in the reactions:
//   - the arrival of each stream's first message (the subscribe storm);
//   - a Round: the arrival of the one message per relevant stream that completes a change (any
//     GetProfile message; a Get `add`), when one change is in flight at a time;
//   - Churn: for each generation, how many streams reached it and when the first and the last did,
//     when changes overlap (the generation is read from the message).
//
// Thread-safe. Streams are added and started from one thread; reactions run on gRPC threads.
#ifndef BENCH_STREAM_CLIENT_H_
#define BENCH_STREAM_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bench/arrivals.h"

namespace dest::bench {

class StreamClient {
 public:
  enum class Rpc : uint8_t { kGet, kGetProfile };

  struct Options {
    std::string target;  // 127.0.0.1:PORT
    int connections = 1;
  };

  explicit StreamClient(Options options);
  StreamClient(const StreamClient&) = delete;
  StreamClient& operator=(const StreamClient&) = delete;
  ~StreamClient();  // CloseAll(); streams still running after that are leaked, never freed early

  // Creates the channels (each its own connection) and waits until all are connected.
  bool Connect(absl::Duration timeout);
  // Adds a stream for `authority` (not started). `relevant`: a change is expected to reach it.
  void Add(Rpc rpc, const std::string& authority, bool relevant, bool sample);
  // Starts every added stream, spreading them over the channels. Storm arrivals are recorded.
  void StartAll();
  // Cancels every stream and waits for them to end.
  bool CloseAll(absl::Duration timeout);

  size_t size() const { return streams_.size(); }
  size_t Started() const { return started_.load(); }
  size_t WithFirstMessage() const { return storm_ ? storm_->count() : 0; }
  size_t Ended() const { return ended_.load(); }
  // Streams that ended before their first message.
  size_t Failed() const { return failed_.load(); }
  // Streams that ended before CloseAll().
  size_t Dropped() const { return dropped_.load(); }
  std::string FirstError();
  uint64_t Messages() const { return messages_.load(std::memory_order_relaxed); }
  uint64_t Bytes() const { return bytes_.load(std::memory_order_relaxed); }
  // First-message arrivals, from StartAll() on (null before).
  const Arrivals* storm() const { return storm_.get(); }
  // The first message of the first stream added with `sample` (empty until it arrives).
  std::string Sample();
  static size_t StreamObjectBytes();

  // Subsequent change-completing messages of relevant streams go to `round` (null: nowhere).
  void SetRound(Arrivals* round) { round_.store(round, std::memory_order_release); }
  // Subsequent messages of relevant streams are parsed for their generation into `log`
  // (null: churn recording off).
  void SetChurn(ChurnLog* log) { churn_.store(log, std::memory_order_release); }
  // Messages that came to streams no change was meant for.
  uint64_t Unexpected() const { return unexpected_.load(); }

 private:
  class Stream;
  struct Channel;

  void OnMessage(Stream* s, const grpc::ByteBuffer& msg);
  void OnDone(Stream* s, const grpc::Status& status);

  const Options options_;
  std::vector<std::unique_ptr<Channel>> channels_;
  std::vector<std::unique_ptr<grpc::ByteBuffer>> requests_;   // shared by the streams
  absl::flat_hash_map<std::string, uint32_t> request_index_;  // authority -> requests_ index
  std::vector<std::unique_ptr<Stream>> streams_;

  std::unique_ptr<Arrivals> storm_;
  std::atomic<Arrivals*> round_{nullptr};
  std::atomic<ChurnLog*> churn_{nullptr};
  std::atomic<size_t> started_{0};
  std::atomic<size_t> ended_{0};
  std::atomic<size_t> failed_{0};
  std::atomic<size_t> dropped_{0};
  std::atomic<bool> closing_{false};
  std::atomic<uint64_t> messages_{0};
  std::atomic<uint64_t> bytes_{0};
  std::atomic<uint64_t> unexpected_{0};
  std::atomic<bool> sample_taken_{false};
  absl::Mutex mu_;
  std::string sample_ ABSL_GUARDED_BY(mu_);
  std::string first_error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dest::bench

#endif  // BENCH_STREAM_CLIENT_H_
