// Go duration syntax ("300ms", "1h2m3.5s", "1.5us", "0"), as ServiceProfiles write timeouts.
//
// Thread-compatible (stateless).
#ifndef CONTROLPLANE_TRANSLATE_GO_DURATION_H_
#define CONTROLPLANE_TRANSLATE_GO_DURATION_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace dest {

// Parses a Go duration: an optional sign, then one or more decimal numbers each followed by a
// unit (ns, us, µs, μs, ms, s, m, h); "0" alone is zero. kInvalidArgument on syntax errors,
// kOutOfRange beyond Go's limit (about 292 years).
absl::StatusOr<absl::Duration> ParseGoDuration(absl::string_view text);

}  // namespace dest

#endif  // CONTROLPLANE_TRANSLATE_GO_DURATION_H_
