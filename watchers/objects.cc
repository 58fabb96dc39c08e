#include "watchers/objects.h"

#include <variant>

namespace dest {

std::string ServiceRef::ToString() const { return ns + "/" + name; }

std::optional<ServiceRef> ServiceRef::Parse(std::string_view text) {
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == text.size() ||
      text.find('/', slash + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  return ServiceRef{std::string(text.substr(0, slash)), std::string(text.substr(slash + 1))};
}

const char* KindName(Kind kind) {
  switch (kind) {
    case Kind::kService:
      return "Service";
    case Kind::kEndpointSlice:
      return "EndpointSlice";
    case Kind::kEndpoints:
      return "Endpoints";
    case Kind::kPod:
      return "Pod";
    case Kind::kReplicaSet:
      return "ReplicaSet";
    case Kind::kJob:
      return "Job";
    case Kind::kNode:
      return "Node";
    case Kind::kServiceProfile:
      return "ServiceProfile";
    case Kind::kTrafficSplit:
      return "TrafficSplit";
  }
  return "Unknown";
}

const ObjectMeta& MetaOf(const AnyObject& o) {
  return std::visit([](const auto& ptr) -> const ObjectMeta& { return ptr->meta; }, o);
}

}  // namespace dest
