#include "controlplane/destctl/endpoints_view.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "controlplane/destctl/render.h"

namespace destctl {
namespace {

std::string NoEndpoints(bool exists) {
  return exists ? "no endpoints: the Service exists but none of its endpoints is ready"
                : "no endpoints: there is no such Service";
}

}  // namespace

absl::StatusOr<std::string> EndpointsView::Render(const pb::Update& update, absl::Time now) {
  const EndpointDelta delta = set_.Apply(update);
  const bool first = first_;
  first_ = false;
  if (format_ != OutputFormat::kTable) {
    absl::StatusOr<Document> document = ToDocument(update);
    if (!document.ok()) return document.status();
    return FormatDocument(watch_ ? WithTime(*document, now) : *document, format_);
  }
  return first ? SetTable() : ChangeLines(delta, now);
}

std::string EndpointsView::SetTable() const {
  if (const std::optional<bool> exists = set_.no_endpoints_exists(); exists.has_value()) {
    return NoEndpoints(*exists) + "\n";
  }
  const std::vector<const pb::WeightedAddr*> endpoints = set_.endpoints();
  std::string out = RenderEndpointTable(endpoints);
  absl::StrAppend(&out, endpoints.size(), endpoints.size() == 1 ? " endpoint" : " endpoints");
  if (!set_.set_labels().empty()) absl::StrAppend(&out, " (", FormatLabels(set_.set_labels()), ")");
  out.push_back('\n');
  return out;
}

std::string EndpointsView::ChangeLines(const EndpointDelta& delta, absl::Time now) {
  const std::string time = FormatRfc3339(now);
  std::string out;
  for (const pb::WeightedAddr& addr : delta.added) {
    absl::StrAppend(&out, time, "  + ", EndpointSummary(addr), "\n");
  }
  for (const pb::WeightedAddr& addr : delta.changed) {
    absl::StrAppend(&out, time, "  ~ ", EndpointSummary(addr), "\n");
  }
  for (const std::string& address : delta.removed) {
    absl::StrAppend(&out, time, "  - ", address, "\n");
  }
  if (delta.no_endpoints_exists.has_value()) {
    absl::StrAppend(&out, time, "  ", NoEndpoints(*delta.no_endpoints_exists), "\n");
  }
  return out;
}

}  // namespace destctl
