#include "controlplane/translate/port_set.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace dest {
namespace {

std::optional<uint32_t> ParsePort(absl::string_view s) {
  uint32_t v = 0;
  if (s.empty() || !absl::ascii_isdigit(s[0]) || !absl::SimpleAtoi(s, &v) || v < 1 || v > 65535) {
    return std::nullopt;
  }
  return v;
}

}  // namespace

PortSet PortSet::Parse(absl::string_view list, const NameResolver& resolve,
                       std::vector<std::string>* problems) {
  PortSet out;
  auto problem = [&](std::string why) {
    if (problems != nullptr) problems->push_back(std::move(why));
  };
  for (absl::string_view item : absl::StrSplit(list, absl::ByAnyChar(", "), absl::SkipEmpty())) {
    item = absl::StripAsciiWhitespace(item);
    if (item.empty()) continue;
    size_t dash = item.find('-');
    if (dash != absl::string_view::npos && dash > 0 && absl::ascii_isdigit(item[0])) {
      auto lo = ParsePort(item.substr(0, dash));
      auto hi = ParsePort(item.substr(dash + 1));
      if (!lo || !hi || *lo > *hi) {
        problem(absl::StrCat("invalid port range \"", item, "\""));
        continue;
      }
      out.ranges_.emplace_back(*lo, *hi);
    } else if (absl::ascii_isdigit(item[0])) {
      auto p = ParsePort(item);
      if (!p) {
        problem(absl::StrCat("invalid port \"", item, "\""));
        continue;
      }
      out.ranges_.emplace_back(*p, *p);
    } else {
      std::optional<uint32_t> p = resolve ? resolve(item) : std::nullopt;
      if (!p) {
        problem(absl::StrCat("unknown port name \"", item, "\""));
        continue;
      }
      out.ranges_.emplace_back(*p, *p);
    }
  }
  return out;
}

bool PortSet::Contains(uint32_t port) const {
  for (const auto& [lo, hi] : ranges_) {
    if (port >= lo && port <= hi) return true;
  }
  return false;
}

}  // namespace dest
