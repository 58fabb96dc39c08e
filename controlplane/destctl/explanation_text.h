// The text `destctl explain` prints for an io.destination.debug.v1.Explanation.
#ifndef CONTROLPLANE_DESTCTL_EXPLANATION_TEXT_H_
#define CONTROLPLANE_DESTCTL_EXPLANATION_TEXT_H_

#include <string>

#include "absl/time/time.h"
#include "debug.pb.h"

namespace destctl {

// The Explanation in sections, for a person: the authority; client (what the context token says);
// target (what the authority names, and why a stream would be refused); profile (the
// ServiceProfile in force and why, every candidate with why an invalid one is not used or whose
// last valid version is, where dst_overrides come from, the TrafficSplit applied and those
// ignored with their reasons, opaque and why, dst_overrides as shares of the total weight, routes,
// the topic and its subscribers); endpoints (the endpoint rows as `destctl get` shows them, the
// addresses left out with their reasons, the topic). Ages are relative to `now`.
std::string RenderExplanation(const io::destination::debug::v1::Explanation& explanation,
                              absl::Time now);

}  // namespace destctl

#endif  // CONTROLPLANE_DESTCTL_EXPLANATION_TEXT_H_
