// Fuzzes what a watch delivers: one line, parsed as a watch line, an event's object decoded as
// each watched kind in turn (watchers/kinds.h), as the Kubernetes source does.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "watchers/decode/json_decoder.h"
#include "watchers/kinds.h"
#include "watchers/kube/watch_event.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static simdjson::dom::parser parser;
  const dest::WatchLine line =
      dest::ParseWatchLine(parser, std::string_view(reinterpret_cast<const char*>(data), size));
  const auto* event = std::get_if<dest::WatchObject>(&line);
  if (event == nullptr) return 0;
  for (const dest::KindInfo& k : dest::kKinds) {
    const std::string version(k.Versions().front());
    const std::string api_version =
        k.group.empty() ? version : std::string(k.group) + "/" + version;
    (void)dest::DecodeJsonObject(event->object, api_version, std::string(k.name));
  }
  return 0;
}
