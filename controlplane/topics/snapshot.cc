#include "controlplane/topics/snapshot.h"

#include <grpcpp/support/slice.h>

#include <cstdlib>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/message_differencer.h"

namespace dest {
namespace pb = io::linkerd::proxy::destination;

std::string SerializeDeterministic(const google::protobuf::MessageLite& m) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream sos(&out);
    google::protobuf::io::CodedOutputStream cos(&sos);
    cos.SetSerializationDeterministic(true);
    m.SerializeToCodedStream(&cos);
  }
  return out;
}

grpc::ByteBuffer MakeByteBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

std::shared_ptr<const ProfileSnapshot> NextProfileSnapshot(
    const std::shared_ptr<const ProfileSnapshot>& previous, const pb::DestinationProfile& profile) {
  std::string bytes = SerializeDeterministic(profile);
  if (previous != nullptr && previous->bytes == bytes) return previous;
  auto next = std::make_shared<ProfileSnapshot>();
  next->version = previous ? previous->version + 1 : 1;
  next->buffer = MakeByteBuffer(bytes);
  next->bytes = std::move(bytes);
  return next;
}

std::vector<std::string> DiffUpdates(const EndpointState* from, const EndpointState& to,
                                     const std::string& service, const std::string& ns) {
  std::vector<std::string> out;
  // What the proxy currently believes, as (kind, addrs): kind 0 = nothing yet,
  // 1 = no_endpoints{exists:false}, 2 = no_endpoints{exists:true}, 3 = endpoints.
  auto kind_of = [](const EndpointState* s) {
    if (s == nullptr) return 0;
    if (!s->exists) return 1;
    return s->addrs.empty() ? 2 : 3;
  };
  int before = kind_of(from), after = kind_of(&to);
  if (after == 1 || after == 2) {
    if (before != after) {
      pb::Update u;
      u.mutable_no_endpoints()->set_exists(after == 2);
      out.push_back(SerializeDeterministic(u));
    }
    return out;
  }
  pb::Update remove, add;
  if (before == 3) {
    for (const auto& [id, wa] : from->addrs) {
      if (to.addrs.count(id) == 0) *remove.mutable_remove()->add_addrs() = wa->addr();
    }
  }
  for (const auto& [id, wa] : to.addrs) {
    if (before == 3) {
      auto it = from->addrs.find(id);
      if (it != from->addrs.end() &&
          (it->second == wa ||
           google::protobuf::util::MessageDifferencer::Equals(*it->second, *wa))) {
        continue;
      }
    }
    *add.mutable_add()->add_addrs() = *wa;
  }
  if (remove.has_remove()) out.push_back(SerializeDeterministic(remove));
  if (add.has_add()) {
    auto& labels = *add.mutable_add()->mutable_metric_labels();
    labels["service"] = service;
    labels["namespace"] = ns;
    out.push_back(SerializeDeterministic(add));
  }
  return out;
}

void MessageBatch::Add(const grpc::ByteBuffer* m) {
  if (count >= kMax) std::abort();  // DiffUpdates never yields more than remove + add
  messages[count++] = m;
}

MessageBatch MessageBatch::Shared(const std::vector<grpc::ByteBuffer>& buffers) {
  MessageBatch b;
  for (const grpc::ByteBuffer& buffer : buffers) b.Add(&buffer);
  return b;
}

MessageBatch MessageBatch::Owned(const std::vector<std::string>& bytes) {
  MessageBatch b;
  b.owned.reserve(bytes.size());
  for (const std::string& m : bytes) b.owned.push_back(MakeByteBuffer(m));
  for (const grpc::ByteBuffer& buffer : b.owned) b.Add(&buffer);
  return b;
}

MessageBatch EndpointSnapshot::MessagesFrom(const EndpointSnapshot* from) const {
  if (from == this) return {};
  if (from != nullptr && from->version == prev_version) return MessageBatch::Shared(delta);
  if (from == nullptr) {
    // A new stream: the full state, computed once per snapshot and shared by every new stream.
    std::call_once(full_once_, [this] {
      for (const std::string& m : DiffUpdates(nullptr, state, service, ns)) {
        full_.push_back(MakeByteBuffer(m));
      }
    });
    return MessageBatch::Shared(full_);
  }
  return MessageBatch::Owned(DiffUpdates(&from->state, state, service, ns));
}

}  // namespace dest
