// Sets of ports written as Linkerd annotations write them: "25,587,3306", "4000-4100", port
// names ("http", resolved by the caller), in any mix, separated by commas and spaces.
//
// Thread-compatible.
#ifndef CONTROLPLANE_TRANSLATE_PORT_SET_H_
#define CONTROLPLANE_TRANSLATE_PORT_SET_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace dest {

class PortSet {
 public:
  // Resolves a port name to a number, or nullopt when unknown.
  using NameResolver = std::function<std::optional<uint32_t>(absl::string_view name)>;

  // Parses the list. Unknown names and malformed items are skipped; each one is described in
  // `*problems` (when given) so the caller can log them. A malformed list never fails as a whole.
  static PortSet Parse(absl::string_view list, const NameResolver& resolve = nullptr,
                       std::vector<std::string>* problems = nullptr);

  bool Contains(uint32_t port) const;
  bool empty() const { return ranges_.empty(); }

 private:
  std::vector<std::pair<uint32_t, uint32_t>> ranges_;  // inclusive
};

}  // namespace dest

#endif  // CONTROLPLANE_TRANSLATE_PORT_SET_H_
