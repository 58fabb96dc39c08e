// The DecodeNode adapter (decode_node.h) for simdjson DOM elements: the objects of Kubernetes API
// list responses and watch events.
//
// JSON scalars carry their type: a string is never an integer, a boolean or a number, even when
// it reads "80" or "true"; a number with a fraction or an exponent (8080.5, 8e3) is not an
// integer. JSON has no lines: line() is 0 and errors name the field path only.
//
// Thread-compatible; views the parser's document, which must outlive it and not be reparsed.
#ifndef WATCHERS_DECODE_JSON_DECODE_NODE_H_
#define WATCHERS_DECODE_JSON_DECODE_NODE_H_

#include <simdjson.h>

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "watchers/decode/decode_node.h"

namespace dest {

class JsonDecodeNode {
 public:
  explicit JsonDecodeNode(simdjson::dom::element element)
      : element_(element), type_(element.type()) {}

  simdjson::dom::element element() const { return element_; }

  bool is_map() const { return type() == Type::OBJECT; }
  bool is_seq() const { return type() == Type::ARRAY; }
  bool is_null() const { return type() == Type::NULL_VALUE; }
  bool is_scalar() const {
    switch (type()) {
      case Type::STRING:
      case Type::INT64:
      case Type::UINT64:
      case Type::DOUBLE:
      case Type::BOOL:
        return true;
      case Type::ARRAY:
      case Type::OBJECT:
      case Type::NULL_VALUE:
        return false;
    }
    return false;
  }

  std::optional<JsonDecodeNode> find(std::string_view key) const {
    simdjson::dom::object object;
    if (type_ != Type::OBJECT || element_.get_object().get(object) != simdjson::SUCCESS) {
      return std::nullopt;
    }
    for (simdjson::dom::key_value_pair member : object) {
      if (member.key == key) return JsonDecodeNode(member.value);
    }
    return std::nullopt;
  }

  size_t size() const {
    simdjson::dom::array array;
    return element_.get_array().get(array) == simdjson::SUCCESS ? array.size() : 0;
  }

  template <typename Fn>
  void for_each_item(Fn&& fn) const {
    simdjson::dom::array array;
    if (element_.get_array().get(array) != simdjson::SUCCESS) return;
    for (simdjson::dom::element item : array) {
      if (!fn(JsonDecodeNode(item))) return;
    }
  }

  template <typename Fn>
  void for_each_member(Fn&& fn) const {
    simdjson::dom::object object;
    if (element_.get_object().get(object) != simdjson::SUCCESS) return;
    for (simdjson::dom::key_value_pair member : object) {
      if (!fn(std::optional<std::string_view>(member.key), JsonDecodeNode(member.value))) return;
    }
  }

  void scalar_text(std::string& out) const {
    switch (type()) {
      case Type::STRING: {
        std::string_view s;
        if (element_.get_string().get(s) == simdjson::SUCCESS) out.assign(s.data(), s.size());
        return;
      }
      case Type::INT64: {
        int64_t v = 0;
        if (element_.get_int64().get(v) == simdjson::SUCCESS) AssignNumber(v, out);
        return;
      }
      case Type::UINT64: {
        uint64_t v = 0;
        if (element_.get_uint64().get(v) == simdjson::SUCCESS) AssignNumber(v, out);
        return;
      }
      case Type::DOUBLE: {
        double v = 0;
        if (element_.get_double().get(v) == simdjson::SUCCESS) AssignNumber(v, out);
        return;
      }
      case Type::BOOL: {
        bool v = false;
        if (element_.get_bool().get(v) == simdjson::SUCCESS) out = v ? "true" : "false";
        return;
      }
      case Type::ARRAY:
      case Type::OBJECT:
      case Type::NULL_VALUE:
        out.clear();
        return;
    }
  }

  IntResult integer(int64_t& out) const {
    switch (type()) {
      case Type::INT64:
        return element_.get_int64().get(out) == simdjson::SUCCESS ? IntResult::kOk
                                                                  : IntResult::kNotInteger;
      case Type::UINT64:  // only numbers above INT64_MAX are typed uint64
        return IntResult::kOutOfRange;
      default:
        return IntResult::kNotInteger;
    }
  }

  bool boolean(bool& out) const { return element_.get_bool().get(out) == simdjson::SUCCESS; }

  bool number(double& out) const {
    // get_double converts int64 and uint64 too.
    return is_number() && element_.get_double().get(out) == simdjson::SUCCESS;
  }

  bool is_number() const {
    const Type t = type();
    return t == Type::INT64 || t == Type::UINT64 || t == Type::DOUBLE;
  }

  int line() const { return 0; }

 private:
  using Type = simdjson::dom::element_type;

  Type type() const { return type_; }

  template <typename T>
  static void AssignNumber(T value, std::string& out) {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
    out.assign(buf, ec == std::errc() ? end : buf);
  }

  simdjson::dom::element element_;
  Type type_;  // read once: every reader dispatches on it
};

static_assert(DecodeNode<JsonDecodeNode>);

}  // namespace dest

#endif  // WATCHERS_DECODE_JSON_DECODE_NODE_H_
