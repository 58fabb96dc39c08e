// ProfileView: what `destctl profile` prints for the messages of a Destination/GetProfile stream.
#ifndef CONTROLPLANE_DESTCTL_PROFILE_VIEW_H_
#define CONTROLPLANE_DESTCTL_PROFILE_VIEW_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "controlplane/destctl/document.h"
#include "destination.pb.h"

namespace destctl {

// Turns each DestinationProfile of a GetProfile stream into the text to print.
//
// Every message is a complete profile. The first prints whole: as a table, its fields, routes,
// dst_overrides (with their shares of the total weight) and endpoint; as a document, the message.
// With `watch`, each later message prints what differs from the one before: as a table, one line
// per change ("dst_overrides  web-v2.ns.svc.cluster.local.:8080  50.0% -> 90.0%", "routes  + NAME
// ..."), each prefixed with the time it arrived (RFC 3339, UTC); as a document, "time" and the
// top-level fields that changed (null for a field back to its default). With `watch` the first
// document has "time" too.
//
// Thread-compatible.
class ProfileView {
 public:
  ProfileView(OutputFormat format, bool watch) : format_(format), watch_(watch) {}

  // The text for `profile`, received at `now` ("" when nothing changed).
  absl::StatusOr<std::string> Render(
      const io::linkerd::proxy::destination::DestinationProfile& profile, absl::Time now);

 private:
  const OutputFormat format_;
  const bool watch_;
  std::optional<io::linkerd::proxy::destination::DestinationProfile> previous_;
  Document previous_document_;
};

}  // namespace destctl

#endif  // CONTROLPLANE_DESTCTL_PROFILE_VIEW_H_
