// The node-adapter concept the object decoder (object_decoder_rules.h) is written against, so that
// one set of decoding rules serves every document format: YAML manifests (yaml_decode_node.h) and
// the JSON the Kubernetes API sends (json_decode_node.h).
//
// An adapter is a small copyable value viewing one node of a parsed document; it never owns the
// document, which must outlive it. Scalars are typed the way the format types them: a quoted YAML
// scalar or a JSON string is a string even when it reads "80", a plain YAML scalar or a JSON
// number that looks like a number is a number. The decoder's strictness rules (a port must be an
// integer, a string "80" is not one) rest on that typing, so both formats accept and reject the
// same values.
//
// Thread-compatible.
#ifndef WATCHERS_DECODE_DECODE_NODE_H_
#define WATCHERS_DECODE_DECODE_NODE_H_

#include <charconv>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace dest {

// How a scalar reads as a 64-bit integer.
enum class IntResult { kOk, kNotInteger, kOutOfRange };

// What the decoder needs from a node `n` of a parsed document:
//   is_map() / is_seq() / is_scalar() / is_null(): its type; a null is none of the first three.
//   find(key): the value under `key` when `n` is a map holding it (possibly a null node), else
//     nullopt.
//   size(): the number of items of a sequence (a hint for reserving; 0 for other nodes).
//   for_each_item(fn): calls `bool fn(const N& item)` for each item of a sequence, in order, until
//     fn returns false.
//   for_each_member(fn): calls `bool fn(std::optional<std::string_view> key, const N& value)` for
//     each member of a map, in order, until fn returns false. A key that is not a string (YAML
//     allows any node as a key) is passed as nullopt, with the key node as `value` so an error can
//     point at it.
//   scalar_text(out): sets `out` to a scalar's text as written (a JSON number in its shortest
//     form, a JSON boolean as "true" or "false").
//   integer(out): a number without fraction or exponent that fits in int64 (kOk), a number too
//     large (kOutOfRange); anything else, strings included, is kNotInteger.
//   boolean(out): true unless the node is a boolean.
//   number(out): true when the node is a finite number (integer or not).
//   is_number(): the node is a number scalar, of any form (what a port name must not be).
//   line(): the 1-based line of the node in its source, 0 when unknown (always 0 for JSON, whose
//     errors name the field path only).
template <typename N>
concept DecodeNode = std::copyable<N> &&
    requires(const N& n, std::string_view key, std::string& text, int64_t& i, bool& b, double& d) {
  { n.is_map() } -> std::same_as<bool>;
  { n.is_seq() } -> std::same_as<bool>;
  { n.is_scalar() } -> std::same_as<bool>;
  { n.is_null() } -> std::same_as<bool>;
  { n.find(key) } -> std::same_as<std::optional<N>>;
  { n.size() } -> std::same_as<size_t>;
  n.for_each_item([](const N&) { return true; });
  n.for_each_member([](std::optional<std::string_view>, const N&) { return true; });
  n.scalar_text(text);
  { n.integer(i) } -> std::same_as<IntResult>;
  { n.boolean(b) } -> std::same_as<bool>;
  { n.number(d) } -> std::same_as<bool>;
  { n.is_number() } -> std::same_as<bool>;
  { n.line() } -> std::same_as<int>;
};

// Text helpers for formats whose scalars are untyped text (YAML plain scalars).
namespace decode_text {

// A decimal integer with an optional sign ("+8080", "-1", "010").
inline IntResult ParseInteger(std::string_view text, int64_t& out) {
  if (text.starts_with('+')) text.remove_prefix(1);
  if (text.empty() || text.front() == '+') return IntResult::kNotInteger;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  if (ec == std::errc::result_out_of_range) return IntResult::kOutOfRange;
  if (ec != std::errc() || ptr != end) return IntResult::kNotInteger;
  return IntResult::kOk;
}

// A finite decimal number ("0.2", "+1", "1e3").
inline bool ParseDouble(std::string_view text, double& out) {
  if (text.starts_with('+')) text.remove_prefix(1);
  double value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || !std::isfinite(value)) return false;
  out = value;
  return true;
}

// Whether `text` reads as a number, even one out of double's range ("80.5", "1e999").
inline bool LooksLikeNumber(std::string_view text) {
  if (text.empty()) return false;
  const char c = text.front();
  if (!(c == '+' || c == '-' || c == '.' || (c >= '0' && c <= '9'))) return false;
  if (c == '+') text.remove_prefix(1);
  double value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  return ptr == end && ec != std::errc::invalid_argument;
}

// Whether `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above
// U+10FFFF), as protobuf requires of every string field it serializes.
inline bool IsUtf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int extra = 0;
    unsigned char lo = 0x80, hi = 0xbf;  // bounds of the second byte
    if (c >= 0xc2 && c <= 0xdf) {
      extra = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
      extra = 2;
      if (c == 0xe0) lo = 0xa0;  // overlong
      if (c == 0xed) hi = 0x9f;  // surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      extra = 3;
      if (c == 0xf0) lo = 0x90;  // overlong
      if (c == 0xf4) hi = 0x8f;  // above U+10FFFF
    } else {
      return false;
    }
    if (end - p <= extra) return false;
    if (p[1] < lo || p[1] > hi) return false;
    for (int i = 2; i <= extra; ++i) {
      if (p[i] < 0x80 || p[i] > 0xbf) return false;
    }
    p += extra + 1;
  }
  return true;
}

}  // namespace decode_text
}  // namespace dest

#endif  // WATCHERS_DECODE_DECODE_NODE_H_
