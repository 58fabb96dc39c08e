// The streams of the Destination service: one reactor per Get or GetProfile call, which is also
// the sink its topic offers snapshots to. A stream holds at most the snapshot it last sent, the
// newest one offered and the (at most two) messages between them, so a slow reader costs bounded
// memory and never delays other streams or the store; a reader that fell behind simply gets the
// newest state.
//
// Locking: each stream has one mutex guarding its state. StartWrite and Finish are called with it
// held; gRPC never runs a reaction (OnWriteDone, OnCancel, OnDone) inline from those calls, so
// this cannot deadlock, and holding it makes "one write in flight" and "Finish once, after the
// write in flight" a local invariant (docs/architecture.md, "Streams").
#ifndef CONTROLPLANE_SERVER_STREAMS_H_
#define CONTROLPLANE_SERVER_STREAMS_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "controlplane/topics/snapshot.h"
#include "controlplane/topics/topic_registry.h"

namespace dest {

// A stream that can be ended from outside (shutdown).
class LiveStream {
 public:
  virtual ~LiveStream() = default;
  virtual void Close(const grpc::Status& status) = 0;
};

// Why a stream ended (destination_streams_closed_total's `reason`).
enum class CloseReason { kClientCancelled, kWriteFailed, kShutdown };
const char* CloseReasonName(CloseReason reason);

// What a stream is, for logs and Explain: who asked for what, and since when.
struct StreamIdentity {
  std::string peer;       // as gRPC names it
  std::string authority;  // as asked
};

// Where streams account for themselves (the service: open-stream set, gauges, counters).
class StreamBook {
 public:
  virtual ~StreamBook() = default;
  virtual void Register(LiveStream* s, bool profile) = 0;
  // `code` is the status the stream finished with.
  virtual void Unregister(LiveStream* s, bool profile, CloseReason reason, grpc::StatusCode code,
                          const StreamIdentity& id, absl::Duration open_for) = 0;
  virtual void CountMessage(bool profile) = 0;
  // A store change reached this stream's gRPC write `latency` after it was applied.
  virtual void ObserveChangeLatency(bool profile, absl::Duration latency) = 0;
  // A snapshot waiting for a slow stream was replaced by a newer one before it was written.
  virtual void CountFolded(bool profile) = 0;
};

// One stream: the reactor and the sink of its topic in one object, owned by a shared_ptr so a
// topic publishing concurrently with the stream's end never touches freed memory. It keeps itself
// alive (self_) until gRPC calls OnDone.
template <typename Snapshot>
class SnapshotStream : public grpc::ServerWriteReactor<grpc::ByteBuffer>,
                       public Sink<Snapshot>,
                       public LiveStream {
 public:
  SnapshotStream(StreamBook* book, StreamIdentity id) : book_(book), id_(std::move(id)) {}

  void Offer(std::shared_ptr<const Snapshot> snapshot) override ABSL_LOCKS_EXCLUDED(mu_) {
    OfferChange(std::move(snapshot), absl::InfinitePast());
  }

  void OfferChange(std::shared_ptr<const Snapshot> snapshot, absl::Time changed_at) override
      ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    if (closing_) return;
    if (target_ != nullptr && snapshot->version <= target_->version) return;
    if (target_ != nullptr && target_ != sent_) book_->CountFolded(IsProfile());
    target_ = std::move(snapshot);
    target_changed_at_ = changed_at;
    PumpLocked();
  }

  SubscriberInfo Info() const override ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return SubscriberInfo{id_.peer, opened_, last_update_, messages_};
  }

  void Close(const grpc::Status& status) override ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    FinishLocked(status, CloseReason::kShutdown);
  }

  void OnWriteDone(bool ok) override ABSL_LOCKS_EXCLUDED(mu_) {
    book_->CountMessage(IsProfile());
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) {
      // The client is gone; the status will not reach it.
      FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, "write failed"),
                   CloseReason::kWriteFailed);
      return;
    }
    PumpLocked();
  }

  void OnCancel() override ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    FinishLocked(grpc::Status::CANCELLED, CloseReason::kClientCancelled);
  }

  void OnDone() override {
    Detach();
    CloseReason reason;
    grpc::StatusCode code;
    {
      absl::MutexLock lock(&mu_);
      reason = close_reason_;
      code = finish_code_;
    }
    book_->Unregister(this, IsProfile(), reason, code, id_, absl::Now() - opened_);
    std::shared_ptr<SnapshotStream> self = std::move(self_);  // may delete this on return
  }

  // Called once, right after construction, by Serve.
  void Start(std::shared_ptr<SnapshotStream> self) {
    self_ = std::move(self);
    book_->Register(this, IsProfile());
  }

 protected:
  virtual bool IsProfile() const = 0;
  // The messages that bring a proxy from `sent` (null: nothing yet) to `target`, which the
  // stream keeps alive while the batch is written.
  virtual MessageBatch MessagesBetween(const Snapshot* sent, const Snapshot& target) = 0;
  // Unsubscribes from the topic.
  virtual void Detach() = 0;

 private:
  void PumpLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_) return;
    if (closing_) {
      FinishIfIdleLocked();
      return;
    }
    if (next_ >= batch_.count) {
      next_ = 0;
      batch_ = MessageBatch();
      if (target_ == nullptr || target_ == sent_) return;
      batch_ = MessagesBetween(sent_.get(), *target_);
      sent_ = target_;  // keeps the buffers of a shared batch alive until the next batch
      if (batch_.empty()) return;
      batch_changed_at_ = target_changed_at_;
    }
    writing_ = true;
    last_update_ = absl::Now();
    ++messages_;
    if (next_ == 0 && batch_changed_at_ != absl::InfinitePast()) {
      book_->ObserveChangeLatency(IsProfile(), last_update_ - batch_changed_at_);
    }
    // gRPC reads (and refs) the buffer during StartWrite; many streams may share it.
    StartWrite(batch_.messages[next_++]);
  }

  // Closes the stream with `status` (the first status asked for wins). Finish waits for the write
  // in flight, if any: every path that ends a write (OnWriteDone, ok or not) comes back here
  // through FinishIfIdleLocked, so a close never waits on a write that has already ended.
  void FinishLocked(const grpc::Status& status, CloseReason reason)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!closing_) {
      closing_ = true;
      pending_finish_ = status;
      close_reason_ = reason;
    }
    FinishIfIdleLocked();
  }

  void FinishIfIdleLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || finished_) return;
    finished_ = true;
    finish_code_ = pending_finish_->error_code();
    Finish(*pending_finish_);
    pending_finish_.reset();
  }

  StreamBook* const book_;
  const StreamIdentity id_;
  const absl::Time opened_ = absl::Now();
  std::shared_ptr<SnapshotStream> self_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const Snapshot> target_ ABSL_GUARDED_BY(mu_);  // newest offered
  std::shared_ptr<const Snapshot> sent_ ABSL_GUARDED_BY(mu_);    // last one fully queued
  MessageBatch batch_ ABSL_GUARDED_BY(mu_);  // messages from the previous sent_ to sent_
  size_t next_ ABSL_GUARDED_BY(mu_) = 0;     // the next one to write
  std::optional<grpc::Status> pending_finish_ ABSL_GUARDED_BY(mu_);  // set with closing_
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  CloseReason close_reason_ ABSL_GUARDED_BY(mu_) = CloseReason::kShutdown;    // set with closing_
  grpc::StatusCode finish_code_ ABSL_GUARDED_BY(mu_) = grpc::StatusCode::OK;  // set with finished_
  absl::Time target_changed_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time batch_changed_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time last_update_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  uint64_t messages_ ABSL_GUARDED_BY(mu_) = 0;
};

class ProfileStream final : public SnapshotStream<ProfileSnapshot> {
 public:
  // Exactly one of the topics is set, or none for a fixed profile.
  ProfileStream(StreamBook* book, StreamIdentity id, TopicRegistry* topics,
                std::shared_ptr<ProfileTopic> topic,
                std::shared_ptr<EndpointProfileTopic> endpoint_topic)
      : SnapshotStream(book, std::move(id)),
        topics_(topics),
        topic_(std::move(topic)),
        endpoint_topic_(std::move(endpoint_topic)) {}

 protected:
  bool IsProfile() const override { return true; }
  MessageBatch MessagesBetween(const ProfileSnapshot* sent, const ProfileSnapshot& target) override;
  void Detach() override;

 private:
  TopicRegistry* const topics_;
  const std::shared_ptr<ProfileTopic> topic_;
  const std::shared_ptr<EndpointProfileTopic> endpoint_topic_;
};

class EndpointStream final : public SnapshotStream<EndpointSnapshot> {
 public:
  EndpointStream(StreamBook* book, StreamIdentity id, TopicRegistry* topics,
                 std::shared_ptr<EndpointTopic> topic)
      : SnapshotStream(book, std::move(id)), topics_(topics), topic_(std::move(topic)) {}

 protected:
  bool IsProfile() const override { return false; }
  MessageBatch MessagesBetween(const EndpointSnapshot* sent,
                               const EndpointSnapshot& target) override {
    return target.MessagesFrom(sent);
  }
  void Detach() override;

 private:
  TopicRegistry* const topics_;
  const std::shared_ptr<EndpointTopic> topic_;
};

// Starts a new stream on its topic: registered, subscribed, and offered the topic's current
// snapshot as its first message.
template <typename Stream, typename TopicT>
grpc::ServerWriteReactor<grpc::ByteBuffer>* Serve(std::shared_ptr<Stream> stream, TopicT& topic) {
  stream->Start(stream);
  stream->Offer(topic.Subscribe(stream));
  return stream.get();
}

// A stream that is finished as soon as it starts (bad request, draining).
class RejectedStream final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  explicit RejectedStream(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

}  // namespace dest

#endif  // CONTROLPLANE_SERVER_STREAMS_H_
