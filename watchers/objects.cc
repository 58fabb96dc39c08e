#include "watchers/objects.h"

#include <variant>

namespace dest {

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
