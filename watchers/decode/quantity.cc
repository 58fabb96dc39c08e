#include "watchers/decode/quantity.h"

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace dest {
namespace {

// This Abseil build has its own string_view type (ABSL_OPTION_USE_STD_STRING_VIEW is 0).
absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// Exponents beyond this make any non-zero mantissa overflow or round up to 1 alike; clamping keeps
// the exponent arithmetic below far from int64 limits.
constexpr int64_t kMaxExponent = int64_t{1} << 40;

// The scale a suffix stands for: value = number x 10^exp10 x 2^exp2.
struct Scale {
  int64_t exp10 = 0;
  int exp2 = 0;
};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Parses a suffix: decimal SI, binary SI, or a decimal exponent ("e3", "E-3", "e+3").
// Returns false when the suffix is not one of these.
bool ParseSuffix(std::string_view suffix, Scale& scale, bool& exponent_overflow) {
  struct Named {
    std::string_view name;
    Scale scale;
  };
  static constexpr Named kSuffixes[] = {
      {"", {0, 0}},    {"n", {-9, 0}},  {"u", {-6, 0}},  {"m", {-3, 0}},
      {"k", {3, 0}},   {"M", {6, 0}},   {"G", {9, 0}},   {"T", {12, 0}},
      {"P", {15, 0}},  {"E", {18, 0}},  {"Ki", {0, 10}}, {"Mi", {0, 20}},
      {"Gi", {0, 30}}, {"Ti", {0, 40}}, {"Pi", {0, 50}}, {"Ei", {0, 60}},
  };
  for (const Named& s : kSuffixes) {
    if (s.name == suffix) {
      scale = s.scale;
      return true;
    }
  }
  if (suffix.size() < 2 || (suffix[0] != 'e' && suffix[0] != 'E')) return false;
  std::string_view exponent = suffix.substr(1);
  bool negative = false;
  if (exponent[0] == '+' || exponent[0] == '-') {
    negative = exponent[0] == '-';
    exponent.remove_prefix(1);
  }
  if (exponent.empty() || !std::all_of(exponent.begin(), exponent.end(), IsDigit)) return false;
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(exponent.data(), exponent.data() + exponent.size(), value);
  if (ec == std::errc::result_out_of_range) {
    exponent_overflow = true;
    return false;
  }
  if (ec != std::errc() || ptr != exponent.data() + exponent.size()) return false;
  value = std::min(value, kMaxExponent);
  scale = Scale{negative ? -value : value, 0};
  return true;
}

// Multiplies a decimal digit string (most significant first) by a small factor, in place.
void MultiplyDigits(std::string& digits, uint32_t factor) {
  uint64_t carry = 0;
  for (size_t i = digits.size(); i-- > 0;) {
    const uint64_t v = static_cast<uint64_t>(digits[i] - '0') * factor + carry;
    digits[i] = static_cast<char>('0' + v % 10);
    carry = v / 10;
  }
  std::string prefix;
  while (carry > 0) {
    prefix.insert(prefix.begin(), static_cast<char>('0' + carry % 10));
    carry /= 10;
  }
  digits.insert(0, prefix);
}

}  // namespace

absl::StatusOr<int64_t> ParseQuantityMilli(std::string_view text) {
  auto invalid = [text](std::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid quantity \"", Sv(text), "\": ", Sv(why)));
  };
  auto too_large = [text]() {
    return absl::OutOfRangeError(absl::StrCat("quantity \"", Sv(text), "\" is too large"));
  };
  if (text.empty()) return invalid("empty");

  size_t pos = 0;
  bool negative = false;
  if (text[pos] == '+' || text[pos] == '-') {
    negative = text[pos] == '-';
    ++pos;
  }
  // The mantissa's digits, integer and fraction parts together: value = digits x 10^-fraction.
  std::string digits;
  int64_t fraction_digits = 0;
  while (pos < text.size() && IsDigit(text[pos])) digits += text[pos++];
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    while (pos < text.size() && IsDigit(text[pos])) {
      digits += text[pos++];
      ++fraction_digits;
    }
  }
  if (digits.empty()) return invalid("expected a number");

  Scale scale;
  bool exponent_overflow = false;
  if (!ParseSuffix(text.substr(pos), scale, exponent_overflow)) {
    return invalid(exponent_overflow ? "exponent out of range" : "unknown suffix");
  }

  digits.erase(0, digits.find_first_not_of('0'));  // npos erases everything
  if (digits.empty()) return 0;                    // zero, whatever its sign or scale
  if (negative) return invalid("negative");

  for (int i = 0; i < scale.exp2; i += 10) MultiplyDigits(digits, 1024);
  // The value in thousandths is digits x 10^exp10, rounded up.
  const int64_t exp10 = scale.exp10 - fraction_digits + 3;
  std::string whole;
  bool round_up = false;
  const auto size = static_cast<int64_t>(digits.size());
  if (exp10 >= 0) {
    // digits has no leading zero, so the value is at least 10^(size - 1 + exp10).
    if (size + exp10 > std::numeric_limits<int64_t>::digits10 + 1) return too_large();
    whole = digits + std::string(static_cast<size_t>(exp10), '0');
  } else if (-exp10 >= size) {
    round_up = true;  // 0 < value < 1
  } else {
    const auto split = static_cast<size_t>(size + exp10);
    whole = digits.substr(0, split);
    round_up = digits.find_first_not_of('0', split) != std::string::npos;
  }

  int64_t result = 0;
  if (!whole.empty()) {
    auto [ptr, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), result);
    if (ec == std::errc::result_out_of_range) return too_large();
    if (ec != std::errc() || ptr != whole.data() + whole.size())
      return invalid("expected a number");
  }
  if (round_up) {
    if (result == std::numeric_limits<int64_t>::max()) return too_large();
    ++result;
  }
  return result;
}

}  // namespace dest
