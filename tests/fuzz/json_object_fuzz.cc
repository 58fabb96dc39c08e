// Fuzzes the JSON object decoder (the Kubernetes source's path) for every kind: the input is
// decoded as it comes, then again as each watched kind (as a list item without kind/apiVersion).
#include <cstddef>
#include <cstdint>
#include <string>

#include "watchers/decode/json_decoder.h"
#include "watchers/kinds.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string json(reinterpret_cast<const char*>(data), size);
  (void)dest::DecodeJsonObject(json, "", "");
  // Every kind of the table (watchers/kinds.h), at its first version, so that a kind added there
  // is fuzzed here too.
  for (const dest::KindInfo& k : dest::kKinds) {
    const std::string version(k.Versions().front());
    const std::string api_version =
        k.group.empty() ? version : std::string(k.group) + "/" + version;
    (void)dest::DecodeJsonObject(json, api_version, std::string(k.name));
  }
  return 0;
}
