// Decodes one Kubernetes object from JSON (a list item or a watch event's object) into the typed
// objects of objects.h, with the same rules as the manifest decoder (object_decoder.h).
//
// Thread-safe.
#ifndef WATCHERS_JSON_DECODER_H_
#define WATCHERS_JSON_DECODER_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "watchers/objects.h"

namespace dest {

// Decodes `json` as an object of `kind` (`api_version` is used when the object has none, and
// replaces a PartialObjectMetadata's, which carries metadata only). Errors name the field.
absl::StatusOr<AnyObject> DecodeJsonObject(absl::string_view json, absl::string_view api_version,
                                           absl::string_view kind);

}  // namespace dest

#endif  // WATCHERS_JSON_DECODER_H_
