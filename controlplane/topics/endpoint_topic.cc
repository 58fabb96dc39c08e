#include "controlplane/topics/endpoint_topic.h"

#include "google/protobuf/util/message_differencer.h"

namespace dest {
namespace {

bool SameState(const EndpointState& a, const EndpointState& b) {
  if (a.exists != b.exists || a.addrs.size() != b.addrs.size()) return false;
  auto ia = a.addrs.begin();
  for (auto ib = b.addrs.begin(); ib != b.addrs.end(); ++ia, ++ib) {
    if (ia->first != ib->first) return false;
    if (ia->second != ib->second &&
        !google::protobuf::util::MessageDifferencer::Equals(*ia->second, *ib->second)) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::shared_ptr<const EndpointSnapshot> EndpointTopic::ComputeLocked(
    const std::shared_ptr<const EndpointSnapshot>& previous) {
  EndpointState state = ComputeEndpoints(*store_, key_, *options_);
  if (previous != nullptr && SameState(previous->state, state)) return previous;
  auto next = std::make_shared<EndpointSnapshot>();
  next->service = key_.service;
  next->ns = key_.ns;
  if (previous != nullptr) {
    next->version = previous->version + 1;
    next->prev_version = previous->version;
    for (const std::string& m : DiffUpdates(&previous->state, state, key_.service, key_.ns)) {
      next->delta.push_back(MakeByteBuffer(m));
    }
  } else {
    next->version = 1;
  }
  next->state = std::move(state);
  return next;
}

}  // namespace dest
