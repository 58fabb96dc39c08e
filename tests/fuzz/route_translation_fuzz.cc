// Fuzzes HTTPRoute translation end to end: YAML text -> decoded HTTPRoute -> dst_overrides, the
// path from a tenant's route to the wire. A route is applied whole or not at all: whatever is
// accepted has at least one backend with a non-zero weight, and the profile built from it
// serializes.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>

#include "controlplane/translate/profile_translator.h"
#include "watchers/decode/object_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  // The input is the spec; the head makes it an HTTPRoute of the Service web in ns.
  const std::string yaml =
      "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
      "metadata: {name: web, namespace: ns}\nspec:\n" +
      body;
  absl::StatusOr<dest::DecodedManifest> m = dest::ParseManifest("fuzz.yaml", yaml);
  if (!m.ok()) return 0;
  for (const dest::AnyObject& o : m->objects) {
    const auto* route = std::get_if<std::shared_ptr<const dest::GatewayHTTPRoute>>(&o);
    if (route == nullptr) continue;
    const dest::TranslatorOptions options;
    auto dsts = dest::RouteOverrides(**route, 8080, {}, options);
    if (dsts.ok()) {
      uint64_t total = 0;
      for (const auto& d : *dsts) total += d.weight();
      if (dsts->empty() || total == 0) __builtin_trap();  // an all-zero split blackholes traffic
    }
    dest::ProfileInputs in;
    in.service_name = "web";
    in.service_ns = "ns";
    in.port = 8080;
    in.routes = {*route};
    dest::ProfileNotes notes;
    const auto profile = dest::BuildProfile(in, nullptr, options, &notes);
    std::string bytes;
    if (!profile.SerializeToString(&bytes) || profile.dst_overrides_size() == 0) __builtin_trap();
    // Applied only when expressible; and expressible plus plainly attached to web:8080 (a
    // parentRef with no sectionName) means applied.
    const bool applied = notes.overrides_source == "httproute";
    if (applied && !dsts.ok()) __builtin_trap();
    bool attached = false;
    for (const dest::RouteParentRef& p : (*route)->parent_refs) {
      attached =
          attached || (p.kind == "Service" && p.name == "web" && (p.ns.empty() || p.ns == "ns") &&
                       (p.group.empty() || p.group == "core") && (!p.port || *p.port == 8080) &&
                       p.section_name.empty());
    }
    if (dsts.ok() && attached && !applied) __builtin_trap();
  }
  return 0;
}
