// Kubernetes resource quantities ("1", "500m", "0.5", "1k", "2Ki", "1e3"), as used for traffic
// weights in ServiceProfile dstOverrides and SMI TrafficSplit backends.
//
// Thread-compatible (stateless).
#ifndef WATCHERS_DECODE_QUANTITY_H_
#define WATCHERS_DECODE_QUANTITY_H_

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

namespace dest {

// Returns the quantity's value in thousandths, rounded up as Kubernetes' MilliValue() does
// ("1" -> 1000, "500m" -> 500, "0.5" -> 500, "1k" -> 1000000, "1Ki" -> 1024000, "1u" -> 1).
// kInvalidArgument for syntax errors and negative values; kOutOfRange when the result does not
// fit in int64. Leading/trailing whitespace is not allowed.
absl::StatusOr<int64_t> ParseQuantityMilli(std::string_view text);

}  // namespace dest

#endif  // WATCHERS_DECODE_QUANTITY_H_
