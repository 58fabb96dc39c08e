#include "controlplane/server/debug_pages.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace dest {
namespace {

constexpr char kJson[] = "application/json; charset=utf-8";
constexpr char kHtml[] = "text/html; charset=utf-8";
// At most this many topics and events on the index page (the JSON pages take ?limit=).
constexpr size_t kIndexTopics = 500;
constexpr size_t kIndexEvents = 100;

AdminServer::Page JsonPage(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  if (!google::protobuf::util::MessageToJsonString(message, &json, options).ok()) {
    return {500, kJson, "{\"error\": \"cannot print the answer as JSON\"}\n"};
  }
  return {200, kJson, json};
}

std::string Param(const AdminServer::Query& query, const std::string& name) {
  auto it = query.find(name);
  return it == query.end() ? "" : it->second;
}

size_t Limit(const AdminServer::Query& query) {
  uint32_t limit = 0;
  return absl::SimpleAtoi(Param(query, "limit"), &limit) ? limit : 0;
}

// {"error": "..."}, escaped as JSON through the protobuf printer of a string value.
AdminServer::Page JsonError(int status, const std::string& error) {
  google::protobuf::Value value;
  value.mutable_struct_value()->mutable_fields()->operator[]("error").set_string_value(error);
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(value, &json);
  return {status, kJson, json + "\n"};
}

}  // namespace

std::map<std::string, AdminServer::PageHandler> DebugPages(const DebugService* debug,
                                                           const Explainer* explainer,
                                                           std::function<DebugPageInfo()> info) {
  std::map<std::string, AdminServer::PageHandler> pages;
  auto index = [explainer, info = std::move(info)](const AdminServer::Query&) {
    return AdminServer::Page{200, kHtml,
                             RenderDebugIndexHtml(info(), explainer->Topics(kIndexTopics),
                                                  explainer->Events(kIndexEvents))};
  };
  pages["/debug"] = index;
  pages["/debug/"] = index;
  pages["/debug/explain"] = [debug](const AdminServer::Query& q) {
    auto explained = debug->ExplainChecked(Param(q, "authority"), Param(q, "context_token"));
    if (!explained.ok()) return JsonError(400, std::string(explained.status().message()));
    return JsonPage(*explained);
  };
  pages["/debug/explain.html"] = [debug](const AdminServer::Query& q) {
    const std::string authority = Param(q, "authority");
    const std::string token = Param(q, "context_token");
    auto explained = debug->ExplainChecked(authority, token);
    if (!explained.ok()) {
      return AdminServer::Page{
          400, kHtml,
          RenderExplainErrorHtml(authority, token, std::string(explained.status().message()))};
    }
    return AdminServer::Page{200, kHtml, RenderExplanationHtml(*explained, token)};
  };
  pages["/debug/topics"] = [explainer](const AdminServer::Query& q) {
    return JsonPage(explainer->Topics(Limit(q)));
  };
  pages["/debug/events"] = [explainer](const AdminServer::Query& q) {
    return JsonPage(explainer->Events(Limit(q)));
  };
  return pages;
}

}  // namespace dest
