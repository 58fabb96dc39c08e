// The table `destctl topics` prints for an io.destination.debug.v1.TopicList, and its order.
#ifndef CONTROLPLANE_DESTCTL_TOPIC_TABLE_H_
#define CONTROLPLANE_DESTCTL_TOPIC_TABLE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "debug.pb.h"

namespace destctl {

// The order of `destctl topics -sort`: most subscribers first, most recent change first, most
// messages first, or by key. Ties are broken by kind and key.
enum class TopicOrder { kSubscribers, kLastChange, kMessages, kKey };

// "subscribers", "last-change", "messages" or "key"; nullopt for anything else.
std::optional<TopicOrder> ParseTopicOrder(std::string_view name);

// Sorts the topics of `list` and keeps the first `limit` (all when 0); `total` is left as is.
void SortTopics(TopicOrder order, uint32_t limit, io::destination::debug::v1::TopicList* list);

// KIND, KEY, SUBSCRIBERS, LAST CHANGE (as an age relative to `now`), MESSAGES; then
// "N topics", or "N of TOTAL topics" when the list is cut.
std::string RenderTopicTable(const io::destination::debug::v1::TopicList& list, absl::Time now);

}  // namespace destctl

#endif  // CONTROLPLANE_DESTCTL_TOPIC_TABLE_H_
