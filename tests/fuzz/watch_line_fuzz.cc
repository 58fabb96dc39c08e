// Fuzzes what a watch delivers: one line, parsed as a watch event, its object decoded as the
// kind of the watch (each watched kind in turn), as the Kubernetes source does.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "watchers/decode/json_decoder.h"
#include "watchers/kube/watch_event.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static simdjson::dom::parser parser;
  dest::WatchEvent event;
  if (!dest::ParseWatchLine(parser, std::string_view(reinterpret_cast<const char*>(data), size),
                            &event)) {
    return 0;
  }
  static constexpr const char* kKinds[][2] = {
      {"v1", "Service"}, {"discovery.k8s.io/v1", "EndpointSlice"}, {"v1", "Pod"},
      {"v1", "Node"},    {"linkerd.io/v1alpha2", "ServiceProfile"},
      {"split.smi-spec.io/v1alpha4", "TrafficSplit"}};
  for (const auto& [api_version, kind] : kKinds) {
    (void)dest::DecodeJsonObject(event.object, api_version, kind);
  }
  return 0;
}
