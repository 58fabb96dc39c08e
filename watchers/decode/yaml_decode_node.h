// The DecodeNode adapter (decode_node.h) for yaml-cpp nodes: manifests, YAML or JSON files.
//
// YAML scalars are text; a quoted scalar (tag "!") is always a string, a plain one is typed by
// what it reads as: "80" an integer, "true" or "yes" a boolean, "0.5" a number. Lines come from
// the node marks.
//
// Thread-compatible; yaml-cpp may throw YAML::Exception from any call on a malformed node, which
// the callers of the decoder catch.
#ifndef WATCHERS_DECODE_YAML_DECODE_NODE_H_
#define WATCHERS_DECODE_YAML_DECODE_NODE_H_

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "watchers/decode/decode_node.h"

namespace dest {

class YamlDecodeNode {
 public:
  explicit YamlDecodeNode(YAML::Node node) : node_(std::move(node)) {}

  const YAML::Node& node() const { return node_; }

  bool is_map() const { return node_.IsMap(); }
  bool is_seq() const { return node_.IsSequence(); }
  bool is_scalar() const { return node_.IsScalar(); }
  bool is_null() const { return node_.IsNull(); }

  std::optional<YamlDecodeNode> find(std::string_view key) const {
    if (!node_.IsMap()) return std::nullopt;
    for (const auto& kv : node_) {
      if (kv.first.IsScalar() && kv.first.Scalar() == key) return YamlDecodeNode(kv.second);
    }
    return std::nullopt;
  }

  size_t size() const { return node_.IsSequence() ? node_.size() : 0; }

  template <typename Fn>
  void for_each_item(Fn&& fn) const {
    for (const auto& item : node_) {
      if (!fn(YamlDecodeNode(item))) return;
    }
  }

  template <typename Fn>
  void for_each_member(Fn&& fn) const {
    for (const auto& kv : node_) {
      const bool ok =
          kv.first.IsScalar()
              ? fn(std::optional<std::string_view>(kv.first.Scalar()), YamlDecodeNode(kv.second))
              : fn(std::optional<std::string_view>(), YamlDecodeNode(kv.first));
      if (!ok) return;
    }
  }

  void scalar_text(std::string& out) const { out = node_.Scalar(); }

  IntResult integer(int64_t& out) const {
    if (!IsPlainScalar()) return IntResult::kNotInteger;
    return decode_text::ParseInteger(node_.Scalar(), out);
  }

  bool boolean(bool& out) const {
    bool value = false;
    if (!IsPlainScalar() || !YAML::convert<bool>::decode(node_, value)) return false;
    out = value;
    return true;
  }

  bool number(double& out) const {
    return IsPlainScalar() && decode_text::ParseDouble(node_.Scalar(), out);
  }

  bool is_number() const { return IsPlainScalar() && decode_text::LooksLikeNumber(node_.Scalar()); }

  int line() const {
    return node_.IsDefined() && node_.Mark().line >= 0 ? node_.Mark().line + 1 : 0;
  }

 private:
  // A scalar written without quotes, which YAML types by its text.
  bool IsPlainScalar() const { return node_.IsScalar() && node_.Tag() != "!"; }

  YAML::Node node_;
};

static_assert(DecodeNode<YamlDecodeNode>);

}  // namespace dest

#endif  // WATCHERS_DECODE_YAML_DECODE_NODE_H_
