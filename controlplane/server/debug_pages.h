// The Debug API on the admin port: the same answers as the io.destination.debug.v1.Debug gRPC
// service, as JSON (protobuf's JSON mapping) for curl and jq, and as the HTML debug page.
//   /debug/                 the debug page (debug_html.h)
//   /debug/explain          Explanation as JSON (?authority=A&context_token=T); 400 on a bad
//                           authority, with {"error": "..."}
//   /debug/explain.html     the same, readable
//   /debug/topics           TopicList as JSON (?limit=N)
//   /debug/events           EventList as JSON (?limit=N)
#ifndef CONTROLPLANE_SERVER_DEBUG_PAGES_H_
#define CONTROLPLANE_SERVER_DEBUG_PAGES_H_

#include <functional>
#include <map>
#include <string>

#include "controlplane/server/admin_server.h"
#include "controlplane/server/debug_html.h"
#include "controlplane/server/debug_service.h"

namespace dest {

// The pages, for AdminServer::Options::pages. `debug` and `explainer` must outlive the server;
// `info` is called for each index page.
std::map<std::string, AdminServer::PageHandler> DebugPages(const DebugService* debug,
                                                           const Explainer* explainer,
                                                           std::function<DebugPageInfo()> info);

}  // namespace dest

#endif  // CONTROLPLANE_SERVER_DEBUG_PAGES_H_
