// EndpointsView: what `destctl get` prints for the messages of a Destination/Get stream.
#ifndef CONTROLPLANE_DESTCTL_ENDPOINTS_VIEW_H_
#define CONTROLPLANE_DESTCTL_ENDPOINTS_VIEW_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "controlplane/destctl/document.h"
#include "controlplane/destctl/endpoint_set.h"
#include "destination.pb.h"

namespace destctl {

// Turns each Update of a Get stream into the text to print.
//
// The first message carries the whole endpoint set: as a table, the set (one row per endpoint)
// and a count; as a document, the message. With `watch`, each later message prints what it
// changed: as a table, one line per added ("+"), changed ("~") or removed ("-") endpoint, each
// prefixed with the time it arrived (RFC 3339, UTC); as a document, the message with "time" first
// (so do the first one's).
//
// Thread-compatible.
class EndpointsView {
 public:
  EndpointsView(OutputFormat format, bool watch) : format_(format), watch_(watch) {}

  // The text for `update`, received at `now` ("" when it changes nothing worth a line).
  absl::StatusOr<std::string> Render(const pb::Update& update, absl::Time now);

 private:
  std::string SetTable() const;
  static std::string ChangeLines(const EndpointDelta& delta, absl::Time now);

  const OutputFormat format_;
  const bool watch_;
  bool first_ = true;
  EndpointSet set_;
};

}  // namespace destctl

#endif  // CONTROLPLANE_DESTCTL_ENDPOINTS_VIEW_H_
