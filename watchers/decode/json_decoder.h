// Decodes one Kubernetes object from JSON (a list item or a watch event's object) into the typed
// objects of objects.h, with the same rules as the manifest decoder (object_decoder.h): one set of
// rules (object_decoder_rules.h) read through the simdjson adapter (json_decode_node.h). Unknown
// fields are ignored, missing optional fields defaulted, and a field of the wrong type rejects the
// object with an error naming the field path ("spec.ports[0].port: expected an integer"). JSON is
// typed: a string "80" is not an integer and a number 8080.5 is not a port.
//
// Thread-safe.
#ifndef WATCHERS_DECODE_JSON_DECODER_H_
#define WATCHERS_DECODE_JSON_DECODER_H_

#include <simdjson.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "watchers/objects.h"

namespace dest {

// Decodes `object`, a JSON object, as an object of `kind`: `api_version` and `kind` are used when
// the object has none, and replace those of a PartialObjectMetadata (what metadata-only list and
// watch requests return), which then decodes as `kind`. Returns kNotFound when the object's kind
// is not watched, kInvalidArgument naming the field otherwise. The element's document must stay
// alive (its parser not reused) during the call; the result does not refer to it.
absl::StatusOr<AnyObject> DecodeJsonObject(simdjson::dom::element object,
                                           absl::string_view api_version, absl::string_view kind);

// The same, parsing `json` first (kInvalidArgument "invalid JSON: ..." when it does not parse).
absl::StatusOr<AnyObject> DecodeJsonObject(absl::string_view json, absl::string_view api_version,
                                           absl::string_view kind);

}  // namespace dest

#endif  // WATCHERS_DECODE_JSON_DECODER_H_
