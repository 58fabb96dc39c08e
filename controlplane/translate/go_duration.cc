#include "controlplane/translate/go_duration.h"

#include <cstdint>
#include <limits>

#include "absl/strings/str_cat.h"

namespace dest {
namespace {

// Unit lengths in nanoseconds, longest spelling first where one is a prefix of another.
struct Unit {
  absl::string_view name;
  uint64_t nanos;
};
constexpr Unit kUnits[] = {
    {"ns", 1},
    {"us", 1000},
    {"\xC2\xB5s", 1000},  // U+00B5 micro sign
    {"\xCE\xBCs", 1000},  // U+03BC Greek mu
    {"ms", 1000000},
    {"s", 1000000000ULL},
    {"m", 60ULL * 1000000000ULL},
    {"h", 3600ULL * 1000000000ULL},
};

}  // namespace

absl::StatusOr<absl::Duration> ParseGoDuration(absl::string_view text) {
  auto invalid = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("invalid duration \"", text, "\": ", why));
  };
  absl::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return absl::ZeroDuration();
  if (s.empty()) return invalid("empty");
  // Go allows |d| up to 2^63-1 nanoseconds, and exactly 2^63 when negative.
  const uint64_t kLimit =
      static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + (negative ? 1 : 0);
  uint64_t total = 0;  // nanoseconds
  while (!s.empty()) {
    // Integer part.
    uint64_t whole = 0;
    size_t i = 0;
    bool overflow = false;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      uint64_t digit = static_cast<uint64_t>(s[i] - '0');
      if (whole > (kLimit - digit) / 10) {
        overflow = true;
      } else {
        whole = whole * 10 + digit;
      }
      ++i;
    }
    bool had_int = i > 0;
    // Fraction part, kept as digits scaled later.
    uint64_t frac = 0, scale = 1;
    bool had_frac = false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        had_frac = true;
        if (scale < 1000000000000000000ULL) {  // digits beyond 1e-18 cannot matter
          frac = frac * 10 + static_cast<uint64_t>(s[i] - '0');
          scale *= 10;
        }
        ++i;
      }
    }
    if (!had_int && !had_frac) return invalid("expected a number");
    if (overflow) return absl::OutOfRangeError(absl::StrCat("duration \"", text, "\" overflows"));
    s.remove_prefix(i);
    // Unit: the longest unit name that prefixes the rest.
    const Unit* unit = nullptr;
    for (const Unit& u : kUnits) {
      if (s.substr(0, u.name.size()) == u.name &&
          (unit == nullptr || u.name.size() > unit->name.size())) {
        unit = &u;
      }
    }
    if (unit == nullptr) {
      return invalid(s.empty() ? "missing unit" : absl::StrCat("unknown unit in \"", s, "\""));
    }
    s.remove_prefix(unit->name.size());
    if (whole > kLimit / unit->nanos) {
      return absl::OutOfRangeError(absl::StrCat("duration \"", text, "\" overflows"));
    }
    uint64_t v = whole * unit->nanos;
    // frac/scale * nanos, computed without overflow: nanos <= 3.6e12, frac < scale <= 1e18.
    long double f = static_cast<long double>(frac) * static_cast<long double>(unit->nanos) /
                    static_cast<long double>(scale);
    v += static_cast<uint64_t>(f);
    if (v > kLimit || total > kLimit - v) {
      return absl::OutOfRangeError(absl::StrCat("duration \"", text, "\" overflows"));
    }
    total += v;
  }
  if (negative) {
    // -(2^63) is representable; negate in unsigned space to avoid signed overflow.
    return absl::Nanoseconds(static_cast<int64_t>(~total + 1));
  }
  return absl::Nanoseconds(static_cast<int64_t>(total));
}

}  // namespace dest
