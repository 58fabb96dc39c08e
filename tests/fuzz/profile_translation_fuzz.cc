// Fuzzes ServiceProfile translation end to end: YAML text -> decoded ServiceProfile -> validated
// and translated routes, retry budget and overrides, the path from a tenant's object to the wire.
// Whatever is accepted must serialize as a valid protobuf message.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>

#include "controlplane/translate/profile_translator.h"
#include "watchers/decode/object_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  // The input is the spec; the head makes it a ServiceProfile.
  const std::string yaml =
      "apiVersion: linkerd.io/v1alpha2\nkind: ServiceProfile\n"
      "metadata: {name: web.ns.svc.cluster.local, namespace: ns}\nspec:\n" + body;
  absl::StatusOr<dest::DecodedManifest> m = dest::ParseManifest("fuzz.yaml", yaml);
  if (!m.ok()) return 0;
  for (const dest::AnyObject& o : m->objects) {
    const auto* sp = std::get_if<std::shared_ptr<const dest::ServiceProfile>>(&o);
    if (sp == nullptr) continue;
    absl::StatusOr<dest::TranslatedServiceProfile> t = dest::TranslateServiceProfile(**sp, 8080);
    if (!t.ok()) continue;
    for (const auto& route : t->routes) {
      std::string bytes;
      if (!route.SerializeToString(&bytes)) __builtin_trap();
    }
  }
  return 0;
}
