#include "controlplane/destctl/topic_table.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "controlplane/destctl/render.h"
#include "controlplane/destctl/table.h"

namespace destctl {
namespace {

namespace dbg = ::io::destination::debug::v1;

// Whether `a` comes before `b` in `order`.
bool Before(TopicOrder order, const dbg::TopicSummary& a, const dbg::TopicSummary& b) {
  const auto by_name = [](const dbg::TopicSummary& t) { return std::tie(t.kind(), t.key()); };
  switch (order) {
    case TopicOrder::kSubscribers:
      if (a.subscribers() != b.subscribers()) return a.subscribers() > b.subscribers();
      break;
    case TopicOrder::kLastChange: {
      const absl::Time ta = ToTime(a.last_change());
      const absl::Time tb = ToTime(b.last_change());
      if (ta != tb) return ta > tb;
      break;
    }
    case TopicOrder::kMessages:
      if (a.messages() != b.messages()) return a.messages() > b.messages();
      break;
    case TopicOrder::kKey:
      if (a.key() != b.key()) return a.key() < b.key();
      break;
  }
  return by_name(a) < by_name(b);
}

}  // namespace

std::optional<TopicOrder> ParseTopicOrder(std::string_view name) {
  if (name == "subscribers") return TopicOrder::kSubscribers;
  if (name == "last-change" || name == "last_change") return TopicOrder::kLastChange;
  if (name == "messages") return TopicOrder::kMessages;
  if (name == "key") return TopicOrder::kKey;
  return std::nullopt;
}

void SortTopics(TopicOrder order, uint32_t limit, dbg::TopicList* list) {
  auto* topics = list->mutable_topics();
  std::stable_sort(topics->begin(), topics->end(),
                   [order](const dbg::TopicSummary& a, const dbg::TopicSummary& b) {
                     return Before(order, a, b);
                   });
  if (limit != 0 && static_cast<uint32_t>(topics->size()) > limit) {
    topics->DeleteSubrange(static_cast<int>(limit), topics->size() - static_cast<int>(limit));
  }
}

std::string RenderTopicTable(const dbg::TopicList& list, absl::Time now) {
  Table table({"KIND", "KEY", "SUBSCRIBERS", "LAST CHANGE", "MESSAGES"});
  for (const dbg::TopicSummary& t : list.topics()) {
    table.AddRow({t.kind(), t.key(), absl::StrCat(t.subscribers()), FormatAge(t.last_change(), now),
                  absl::StrCat(t.messages())});
  }
  const uint32_t shown = static_cast<uint32_t>(list.topics_size());
  const uint32_t total = std::max(shown, list.total());
  std::string out = table.empty() ? std::string() : table.Render();
  if (shown == total) {
    absl::StrAppend(&out, total, total == 1 ? " topic\n" : " topics\n");
  } else {
    absl::StrAppend(&out, shown, " of ", total, " topics\n");
  }
  return out;
}

}  // namespace destctl
