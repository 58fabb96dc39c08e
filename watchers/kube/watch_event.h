// One line of a Kubernetes watch stream: {"type":"ADDED|MODIFIED|DELETED|BOOKMARK|ERROR",
// "object":{...}}. Parsed with simdjson (which validates UTF-8); the object is decoded by the
// caller (json_decoder.h).
//
// Thread-compatible: the parser is the caller's (one per reflector thread).
#ifndef WATCHERS_KUBE_WATCH_EVENT_H_
#define WATCHERS_KUBE_WATCH_EVENT_H_

#include <string_view>

#include "simdjson.h"

namespace dest {

struct WatchEvent {
  std::string_view type;           // valid until the parser parses again
  simdjson::dom::element object;   // idem
};

// False when `line` is not a watch event (not JSON, no string "type", no "object").
inline bool ParseWatchLine(simdjson::dom::parser& parser, std::string_view line, WatchEvent* out) {
  simdjson::dom::element ev;
  return parser.parse(line.data(), line.size()).get(ev) == simdjson::SUCCESS &&
         ev["type"].get_string().get(out->type) == simdjson::SUCCESS &&
         ev["object"].get(out->object) == simdjson::SUCCESS;
}

}  // namespace dest

#endif  // WATCHERS_KUBE_WATCH_EVENT_H_
