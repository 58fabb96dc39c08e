// Fuzzes the manifests source's parser: a whole file of YAML (or JSON) documents, aliases and all.
// Any input must be decoded or rejected with an error, in bounded time and memory.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "watchers/decode/object_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)dest::ParseManifest("fuzz.yaml",
                            std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
