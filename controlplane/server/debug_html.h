// The debug page on the admin port, in plain server-rendered HTML (no script): what an engineer
// opens in a browser when a canary misbehaves.
//   /debug/               topics with their subscribers, recent events, a form to explain any
//                         authority; each topic links to its explanation
//   /debug/explain.html   one explanation (?authority=A&context_token=T), readable
// Every value shown is escaped; pages link only to the admin port's own paths.
//
// Pure functions of the Debug API's messages (and of the clock, for the ages shown beside times);
// thread-safe.
#ifndef CONTROLPLANE_SERVER_DEBUG_HTML_H_
#define CONTROLPLANE_SERVER_DEBUG_HTML_H_

#include <string>

#include "debug.pb.h"

namespace dest {

// What the index page says about the process itself.
struct DebugPageInfo {
  std::string version;     // DEST_VERSION
  std::string source;      // "manifests" or "kubernetes"
  bool ready = false;      // what /ready answers
  size_t open_streams = 0;
};

std::string RenderDebugIndexHtml(const DebugPageInfo& info,
                                 const io::destination::debug::v1::TopicList& topics,
                                 const io::destination::debug::v1::EventList& events);

std::string RenderExplanationHtml(const io::destination::debug::v1::Explanation& explanation,
                                  const std::string& context_token);

// A page saying why an explanation could not be made (a bad authority), with the form again.
std::string RenderExplainErrorHtml(const std::string& authority, const std::string& context_token,
                                   const std::string& error);

// Escapes text for HTML element content and attribute values (& < > " ').
std::string HtmlEscape(const std::string& text);

// Percent-encodes a query parameter value (RFC 3986 unreserved characters kept).
std::string UrlEncode(const std::string& text);

}  // namespace dest

#endif  // CONTROLPLANE_SERVER_DEBUG_HTML_H_
