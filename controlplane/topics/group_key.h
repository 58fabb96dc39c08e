// What the topic registry groups topics by: everything that depends on one Service (its profile,
// endpoint and instance topics), or everything that depends on one address (the endpoint profiles
// of a pod IP or a host IP). A store change is mapped to the groups it can affect, and only their
// topics are recomputed. Text form: "ns/svc" or "ip:IP".
#ifndef CONTROLPLANE_TOPICS_GROUP_KEY_H_
#define CONTROLPLANE_TOPICS_GROUP_KEY_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "watchers/objects.h"

namespace dest {

class GroupKey {
 public:
  static GroupKey Service(ServiceRef service) { return GroupKey(std::move(service), ""); }
  static GroupKey Address(std::string canonical_ip) { return GroupKey({}, std::move(canonical_ip)); }

  bool is_address() const { return !ip_.empty(); }
  const ServiceRef& service() const { return service_; }  // when !is_address()
  const std::string& ip() const { return ip_; }           // when is_address()

  std::string ToString() const { return is_address() ? "ip:" + ip_ : service_.ToString(); }
  // The inverse of ToString; nullopt for anything else.
  static std::optional<GroupKey> Parse(std::string_view text) {
    if (text.substr(0, 3) == "ip:") {
      if (text.size() == 3) return std::nullopt;
      return Address(std::string(text.substr(3)));
    }
    std::optional<ServiceRef> ref = ServiceRef::Parse(text);
    if (!ref) return std::nullopt;
    return Service(*std::move(ref));
  }

  auto operator<=>(const GroupKey&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const GroupKey& k) {
    return H::combine(std::move(h), k.service_.ns, k.service_.name, k.ip_);
  }

 private:
  GroupKey(ServiceRef service, std::string ip) : service_(std::move(service)), ip_(std::move(ip)) {}
  ServiceRef service_;
  std::string ip_;
};

}  // namespace dest

#endif  // CONTROLPLANE_TOPICS_GROUP_KEY_H_
