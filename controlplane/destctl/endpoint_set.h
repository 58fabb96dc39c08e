// EndpointSet: the endpoint set of a Get stream, rebuilt from its Update messages.
#ifndef CONTROLPLANE_DESTCTL_ENDPOINT_SET_H_
#define CONTROLPLANE_DESTCTL_ENDPOINT_SET_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "destination.pb.h"

namespace destctl {

namespace pb = ::io::linkerd::proxy::destination;

// What one Update changed.
struct EndpointDelta {
  std::vector<pb::WeightedAddr> added;    // addresses that were not in the set
  std::vector<pb::WeightedAddr> changed;  // addresses already in the set, with new metadata
  std::vector<std::string> removed;       // FormatTcpAddress of the addresses that left
  // Set when the Update was `no_endpoints`: whether the Service exists.
  std::optional<bool> no_endpoints_exists;
};

// The current endpoints of a Get stream, by address (IPv4 before IPv6, then numerically, then by
// port), applying each Update as a proxy does: `add` adds or replaces, `remove` removes,
// `no_endpoints` empties the set.
//
// Thread-compatible.
class EndpointSet {
 public:
  EndpointDelta Apply(const pb::Update& update);

  // The endpoints in address order.
  std::vector<const pb::WeightedAddr*> endpoints() const;
  size_t size() const { return endpoints_.size(); }
  // The `metric_labels` of the last `add` (the Service's `service` and `namespace`).
  const google::protobuf::Map<std::string, std::string>& set_labels() const { return set_labels_; }
  // After a `no_endpoints` (and until the next `add`): whether the Service exists.
  std::optional<bool> no_endpoints_exists() const { return no_endpoints_exists_; }

 private:
  // (IP version, high 64 bits, low 64 bits, port): sorts numerically.
  using Key = std::tuple<int, uint64_t, uint64_t, uint32_t>;
  static Key KeyOf(const io::linkerd::proxy::net::TcpAddress& address);

  std::map<Key, pb::WeightedAddr> endpoints_;
  google::protobuf::Map<std::string, std::string> set_labels_;
  std::optional<bool> no_endpoints_exists_;
};

}  // namespace destctl

#endif  // CONTROLPLANE_DESTCTL_ENDPOINT_SET_H_
