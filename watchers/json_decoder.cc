#include "watchers/json_decoder.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "watchers/object_decoder.h"
#include "yaml-cpp/yaml.h"

namespace dest {

absl::StatusOr<AnyObject> DecodeJsonObject(absl::string_view json, absl::string_view api_version,
                                           absl::string_view kind) {
  YAML::Node node;
  try {
    node = YAML::Load(std::string(json));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("invalid JSON: ", e.msg));
  }
  if (!node.IsMap()) return absl::InvalidArgumentError("not a JSON object");
  if (node["kind"] && node["kind"].IsScalar() && node["kind"].Scalar() == "PartialObjectMetadata") {
    node["kind"] = std::string(kind);
    node["apiVersion"] = std::string(api_version);
  }
  return DecodeObjectAs(node, std::string_view(api_version.data(), api_version.size()),
                        std::string_view(kind.data(), kind.size()));
}

}  // namespace dest
