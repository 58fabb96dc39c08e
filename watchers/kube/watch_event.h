// One line of a Kubernetes watch stream, {"type":"ADDED|MODIFIED|DELETED|BOOKMARK|ERROR",
// "object":{...}}, parsed into what it means for the reflector (kube_source.cc): an object event,
// a bookmark, an error, an event type this service does not know, or a line that is not an event.
// Parsed with simdjson (which validates UTF-8); an event's object is decoded by the caller
// (json_decoder.h).
//
// Thread-compatible: the parser is the caller's (one per reflector thread). Every string_view and
// element of a parsed line is valid until the parser parses again.
#ifndef WATCHERS_KUBE_WATCH_EVENT_H_
#define WATCHERS_KUBE_WATCH_EVENT_H_

#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <variant>

#include "simdjson.h"
#include "watchers/store/store.h"

namespace dest {

// The string at a path of keys, or "" when absent or not a string.
inline std::string_view JsonStringAt(simdjson::dom::element e,
                                     std::initializer_list<const char*> path) {
  for (const char* key : path) {
    if (e[key].get(e) != simdjson::SUCCESS) return {};
  }
  std::string_view out;
  if (e.get_string().get(out) != simdjson::SUCCESS) return {};
  return out;
}

// ADDED, MODIFIED or DELETED.
struct WatchObject {
  EventType type;
  simdjson::dom::element object;
  std::string_view resource_version;  // "" when absent
};
// BOOKMARK: the watch is current up to resource_version.
struct WatchBookmark {
  std::string_view resource_version;
};
// ERROR: a Status object; code 410 means the resource version expired.
struct WatchError {
  int64_t code;  // 0 when absent
  std::string_view message;
};
// A well-formed event of a type this service does not know.
struct WatchUnknownType {
  std::string_view type;
};
// Not JSON, or no string "type", or no "object".
struct WatchGarbage {};

using WatchLine =
    std::variant<WatchGarbage, WatchObject, WatchBookmark, WatchError, WatchUnknownType>;

inline WatchLine ParseWatchLine(simdjson::dom::parser& parser, std::string_view line) {
  simdjson::dom::element ev;
  std::string_view type;
  simdjson::dom::element object;
  if (parser.parse(line.data(), line.size()).get(ev) != simdjson::SUCCESS ||
      ev["type"].get_string().get(type) != simdjson::SUCCESS ||
      ev["object"].get(object) != simdjson::SUCCESS) {
    return WatchGarbage{};
  }
  const std::string_view rv = JsonStringAt(object, {"metadata", "resourceVersion"});
  if (type == "ADDED") return WatchObject{EventType::kAdded, object, rv};
  if (type == "MODIFIED") return WatchObject{EventType::kModified, object, rv};
  if (type == "DELETED") return WatchObject{EventType::kDeleted, object, rv};
  if (type == "BOOKMARK") return WatchBookmark{rv};
  if (type == "ERROR") {
    int64_t code = 0;
    if (object["code"].get_int64().get(code) != simdjson::SUCCESS) code = 0;
    return WatchError{code, JsonStringAt(object, {"message"})};
  }
  return WatchUnknownType{type};
}

}  // namespace dest

#endif  // WATCHERS_KUBE_WATCH_EVENT_H_
