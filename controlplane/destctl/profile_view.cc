#include "controlplane/destctl/profile_view.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "controlplane/destctl/render.h"

namespace destctl {

absl::StatusOr<std::string> ProfileView::Render(const pb::DestinationProfile& profile,
                                                absl::Time now) {
  std::optional<pb::DestinationProfile> previous = std::exchange(previous_, profile);
  if (format_ == OutputFormat::kTable) {
    if (!previous.has_value()) return RenderProfile(profile);
    std::string out;
    for (const std::string& line : ProfileChanges(*previous, profile)) {
      absl::StrAppend(&out, FormatRfc3339(now), "  ", line, "\n");
    }
    return out;
  }
  absl::StatusOr<Document> document = ToDocument(profile);
  if (!document.ok()) return document.status();
  Document before = std::exchange(previous_document_, *document);
  if (!previous.has_value()) {
    return FormatDocument(watch_ ? WithTime(*document, now) : *document, format_);
  }
  Document changed = ChangedFields(before, *document);
  if (changed.empty()) return std::string();
  return FormatDocument(WithTime(changed, now), format_);
}

}  // namespace destctl
