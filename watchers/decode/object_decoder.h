// Decodes Kubernetes manifests (YAML or JSON documents) into the typed objects of objects.h.
//
// Decoding is structural and lenient where Kubernetes is lenient: unknown fields are ignored and
// missing optional fields take their Kubernetes defaults. A field of the wrong type (a port that
// is not an integer, a list where a map is expected) makes the whole object invalid, with an error
// naming the field path and the line. Semantic validation (ServiceProfile routes, weights) is not
// done here: it belongs to controlplane/, so an invalid profile stays visible to operators.
//
// The rules are written once over a node adapter (object_decoder_rules.h, decode_node.h) and
// shared with the Kubernetes API's JSON decoder (json_decoder.h); here they read yaml-cpp nodes.
//
// Thread-compatible (stateless functions).
#ifndef WATCHERS_DECODE_OBJECT_DECODER_H_
#define WATCHERS_DECODE_OBJECT_DECODER_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "watchers/objects.h"

namespace YAML {
class Node;
}

namespace dest {

// What one manifest file or document contained.
struct DecodedManifest {
  std::vector<AnyObject> objects;
  // `apiVersion/kind` of every document skipped because its kind is not watched ("v1/ConfigMap").
  std::vector<std::string> skipped;
};

// Bounds on the shape of one YAML document, checked before it is decoded. yaml-cpp resolves an
// alias to the node its anchor names, so a document is a graph: an alias inside its own anchor
// makes a cycle (decoding it would recurse without end), and aliases of aliases expand
// exponentially (nine levels of ten aliases are 10^9 nodes in 760 bytes).
struct YamlShapeLimits {
  int max_depth = 64;  // nesting of maps and lists
  // Nodes visited with every alias expanded, per byte of the file (plus a floor): an alias-free
  // document visits fewer nodes than it has bytes, so this leaves room for honest anchors only.
  size_t max_nodes_per_byte = 10;
  size_t min_max_nodes = 100000;
};

// The first bound `doc` exceeds, with the line where it did, or nullopt.
struct YamlShapeError {
  int line = 0;  // 1-based, 0 when unknown
  std::string message;
};
std::optional<YamlShapeError> CheckYamlShape(const YAML::Node& doc, size_t file_bytes,
                                             const YamlShapeLimits& limits = {});

// Decodes one object node (a map with apiVersion, kind, metadata...). Returns kNotFound when the
// kind is not one the service watches (the caller counts it as skipped), kInvalidArgument with
// "line L: field.path: reason" when a field has the wrong type or a required field (metadata.name,
// and metadata.namespace for namespaced kinds, defaulting to "default" when absent) is missing.
absl::StatusOr<AnyObject> DecodeObject(const YAML::Node& node);

// Like DecodeObject, for objects that may omit apiVersion and kind, as the items of a Kubernetes
// list response do: `api_version` and `kind` are used when the node lacks them, and replace those
// of a PartialObjectMetadata (apiVersion meta.k8s.io/*), which then decodes as that kind.
absl::StatusOr<AnyObject> DecodeObjectAs(const YAML::Node& node, std::string_view api_version,
                                         std::string_view kind);

// Parses a whole manifest file: multi-document YAML, JSON, and `kind: List` / `*List` documents
// (items decoded one by one). Empty documents are ignored. Any syntax error or invalid object fails
// the whole file with kInvalidArgument and a message "FILE:LINE: reason" (LINE 1-based), so a
// partially written file never replaces a good one.
absl::StatusOr<DecodedManifest> ParseManifest(std::string_view file_name, std::string_view content);

}  // namespace dest

#endif  // WATCHERS_DECODE_OBJECT_DECODER_H_
