// Fuzzes the scalar parsers user text reaches: Kubernetes quantities (weights), Go durations
// (timeouts, TTLs), port lists (opaque ports) and wire weights.
#include <cstddef>
#include <cstdint>
#include <string>

#include "controlplane/translate/go_duration.h"
#include "controlplane/translate/port_set.h"
#include "controlplane/translate/profile_translator.h"
#include "watchers/decode/quantity.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)dest::ParseQuantityMilli(text);
  absl::StatusOr<absl::Duration> d = dest::ParseGoDuration(text);
  if (d.ok() && *d < absl::ZeroDuration() && text.find('-') == std::string::npos) __builtin_trap();
  std::vector<std::string> problems;
  (void)dest::PortSet::Parse(text, nullptr, &problems);
  (void)dest::WireWeight(text);
  return 0;
}
