#include "controlplane/destctl/endpoint_set.h"

#include "controlplane/destctl/render.h"
#include "google/protobuf/util/message_differencer.h"

namespace destctl {

EndpointSet::Key EndpointSet::KeyOf(const net::TcpAddress& address) {
  if (address.ip().has_ipv6()) {
    return {6, address.ip().ipv6().first(), address.ip().ipv6().last(), address.port()};
  }
  return {4, 0, address.ip().ipv4(), address.port()};
}

EndpointDelta EndpointSet::Apply(const pb::Update& update) {
  EndpointDelta delta;
  switch (update.update_case()) {
    case pb::Update::kAdd:
      no_endpoints_exists_.reset();
      set_labels_ = update.add().metric_labels();
      for (const pb::WeightedAddr& addr : update.add().addrs()) {
        auto [it, inserted] = endpoints_.try_emplace(KeyOf(addr.addr()), addr);
        if (inserted) {
          delta.added.push_back(addr);
        } else if (!google::protobuf::util::MessageDifferencer::Equals(it->second, addr)) {
          it->second = addr;
          delta.changed.push_back(addr);
        }
      }
      break;
    case pb::Update::kRemove:
      for (const net::TcpAddress& addr : update.remove().addrs()) {
        // An address the set does not hold is shown too: the service should not send one.
        delta.removed.push_back(endpoints_.erase(KeyOf(addr)) > 0
                                    ? FormatTcpAddress(addr)
                                    : FormatTcpAddress(addr) + " (was not in the set)");
      }
      break;
    case pb::Update::kNoEndpoints:
      for (const auto& [key, addr] : endpoints_) {
        delta.removed.push_back(FormatTcpAddress(addr.addr()));
      }
      endpoints_.clear();
      no_endpoints_exists_ = update.no_endpoints().exists();
      delta.no_endpoints_exists = no_endpoints_exists_;
      break;
    case pb::Update::UPDATE_NOT_SET:
      break;
  }
  return delta;
}

std::vector<const pb::WeightedAddr*> EndpointSet::endpoints() const {
  std::vector<const pb::WeightedAddr*> out;
  out.reserve(endpoints_.size());
  for (const auto& [key, addr] : endpoints_) out.push_back(&addr);
  return out;
}

}  // namespace destctl
