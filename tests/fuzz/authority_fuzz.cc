// Fuzzes the parsing of what a client sends: the authority (GetDestination.path) and the context
// token. Any input must parse or fail cleanly; a parsed authority must be self-consistent.
#include <cstddef>
#include <cstdint>
#include <string>

#include "controlplane/translate/authority.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<dest::Authority> a = dest::ParseAuthority(input, "cluster.local");
  if (a.ok() && a->port == 0) __builtin_trap();  // a parsed authority always has a port
  bool malformed = false;
  (void)dest::ParseContextToken(input, &malformed);
  return 0;
}
