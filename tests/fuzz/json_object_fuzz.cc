// Fuzzes the JSON object decoder (the Kubernetes source's path) for every kind: the input is
// decoded as it comes, then again as each watched kind (as a list item without kind/apiVersion).
#include <cstddef>
#include <cstdint>
#include <string>

#include "watchers/decode/json_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string json(reinterpret_cast<const char*>(data), size);
  (void)dest::DecodeJsonObject(json, "", "");
  static constexpr const char* kKinds[][2] = {
      {"v1", "Service"},          {"discovery.k8s.io/v1", "EndpointSlice"},
      {"v1", "Endpoints"},        {"v1", "Pod"},
      {"apps/v1", "ReplicaSet"},  {"batch/v1", "Job"},
      {"v1", "Node"},             {"linkerd.io/v1alpha2", "ServiceProfile"},
      {"split.smi-spec.io/v1alpha2", "TrafficSplit"}};
  for (const auto& [api_version, kind] : kKinds) (void)dest::DecodeJsonObject(json, api_version, kind);
  return 0;
}
