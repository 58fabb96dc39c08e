// Immutable values a topic publishes to its streams. A snapshot is computed and serialized once
// per change and shared (by pointer) by every stream of the topic; streams hold at most the
// snapshot they last sent and the newest one offered, never a queue.
#ifndef CONTROLPLANE_TOPICS_SNAPSHOT_H_
#define CONTROLPLANE_TOPICS_SNAPSHOT_H_

#include <grpcpp/support/byte_buffer.h>

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "controlplane/translate/endpoint_translator.h"
#include "google/protobuf/message_lite.h"

namespace dest {

// Serializes deterministically (map fields sorted) so equal messages have equal bytes.
std::string SerializeDeterministic(const google::protobuf::MessageLite& m);

// A ByteBuffer holding `bytes` in one refcounted slice; copies of it share the slice.
grpc::ByteBuffer MakeByteBuffer(const std::string& bytes);

// The messages that bring one stream from the snapshot it last sent to a newer one. Normally they
// point into the shared snapshot (no copy per stream); a stream that fell behind gets buffers
// computed for it alone, owned here. Moving a batch keeps the pointers valid.
struct MessageBatch {
  // At most two messages ever bring a proxy up to date: `remove` then `add`, or one
  // `no_endpoints`, or one profile.
  static constexpr size_t kMax = 2;
  std::array<const grpc::ByteBuffer*, kMax> messages = {};
  size_t count = 0;
  std::vector<grpc::ByteBuffer> owned;

  void Add(const grpc::ByteBuffer* m);  // aborts past kMax (a broken invariant)
  bool empty() const { return count == 0; }

  // Points at buffers that outlive the batch (a snapshot's).
  static MessageBatch Shared(const std::vector<grpc::ByteBuffer>& buffers);
  // Owns the buffers of `bytes`.
  static MessageBatch Owned(const std::vector<std::string>& bytes);
};

struct ProfileSnapshot {
  uint64_t version = 0;
  std::string bytes;        // serialized DestinationProfile
  grpc::ByteBuffer buffer;  // the same bytes, ready to write
};

// `previous` itself when `profile` serializes to the same bytes (nothing a proxy would see
// changed), otherwise a new snapshot one version later.
std::shared_ptr<const ProfileSnapshot> NextProfileSnapshot(
    const std::shared_ptr<const ProfileSnapshot>& previous,
    const io::linkerd::proxy::destination::DestinationProfile& profile);

struct EndpointSnapshot {
  uint64_t version = 0;
  uint64_t prev_version = 0;  // the snapshot `delta` applies to (0: none)
  std::string service;        // set-level metric labels
  std::string ns;
  EndpointState state;
  // Messages turning the previous snapshot's state into this one (remove, then add).
  std::vector<grpc::ByteBuffer> delta;

  // Messages bringing a stream from `from` (null: nothing sent yet) to this state. Uses `delta`
  // when `from` is the previous snapshot, and for a new stream a cached full state computed once.
  // The batch points into this snapshot, which must outlive it (streams hold it).
  MessageBatch MessagesFrom(const EndpointSnapshot* from) const;

 private:
  mutable std::once_flag full_once_;
  mutable std::vector<grpc::ByteBuffer> full_;
};

// The Update messages bringing a proxy from `from` (null: nothing) to `to`: `no_endpoints` when
// the set becomes empty or the Service goes, otherwise `remove` of what left then `add` of what
// is new or changed. Empty when nothing a proxy sees would change.
std::vector<std::string> DiffUpdates(const EndpointState* from, const EndpointState& to,
                                     const std::string& service, const std::string& ns);

// What a subscriber says about itself, for Explain.
struct SubscriberInfo {
  std::string peer;  // as gRPC names it ("ipv4:10.0.0.1:43210")
  absl::Time opened = absl::InfinitePast();
  absl::Time last_update = absl::InfinitePast();  // its last message handed to gRPC
  uint64_t messages = 0;
};

// Receives a topic's snapshots. Implemented by streams. Thread-safe; Offer never blocks.
template <typename Snapshot>
class Sink {
 public:
  virtual ~Sink() = default;
  // Offers a snapshot; a stream ignores snapshots older than the newest it has been offered.
  virtual void Offer(std::shared_ptr<const Snapshot> snapshot) = 0;
  // Offers a snapshot computed because of a store change applied at `changed_at` (what the
  // change-to-stream latency is measured from).
  virtual void OfferChange(std::shared_ptr<const Snapshot> snapshot, absl::Time /*changed_at*/) {
    Offer(std::move(snapshot));
  }
  virtual SubscriberInfo Info() const { return {}; }
};

}  // namespace dest

#endif  // CONTROLPLANE_TOPICS_SNAPSHOT_H_
