#include "watchers/decode/json_decoder.h"

#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "watchers/decode/json_decode_node.h"
#include "watchers/decode/object_decoder_rules.h"

namespace dest {
namespace {

std::string_view StdSv(absl::string_view s) { return std::string_view(s.data(), s.size()); }

}  // namespace

absl::StatusOr<AnyObject> DecodeJsonObject(simdjson::dom::element object,
                                           absl::string_view api_version, absl::string_view kind) {
  return DecodeNodeAs(JsonDecodeNode(object), StdSv(api_version), StdSv(kind));
}

absl::StatusOr<AnyObject> DecodeJsonObject(absl::string_view json, absl::string_view api_version,
                                           absl::string_view kind) {
  // One parser per thread: its buffers are reused from one object to the next.
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element object;
  if (simdjson::error_code error = parser.parse(json.data(), json.size()).get(object);
      error != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid JSON: ", simdjson::error_message(error)));
  }
  return DecodeJsonObject(object, api_version, kind);
}

}  // namespace dest
