#include "watchers/decode/object_decoder.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "watchers/decode/object_decoder_rules.h"
#include "watchers/decode/yaml_decode_node.h"

namespace dest {
namespace {

using decoder_internal::Path;
using decoder_internal::Sv;
using YamlDecoder = decoder_internal::Decoder<YamlDecodeNode>;

// Receives parse events and keeps only where the current document started.
class DocumentStartRecorder : public YAML::EventHandler {
 public:
  const YAML::Mark& start() const { return start_; }

  void OnDocumentStart(const YAML::Mark& mark) override { start_ = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

 private:
  YAML::Mark start_ = YAML::Mark::null_mark();
};

// yaml-cpp 0.7's LoadAll never returns, allocating without bound, when a document starts with a
// token its parser cannot place, such as a stray ',' (jbeder/yaml-cpp#1040, fixed upstream after
// 0.7): the parser then reports the same empty document forever. This pass walks the documents
// without building them and returns where such a document starts, so LoadAll is never called on
// it. Syntax errors throw YAML::ParserException, as LoadAll would.
std::optional<YAML::Mark> FindStuckDocument(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStartRecorder recorder;
  int last_start = -1;
  while (parser.HandleNextDocument(recorder)) {
    // Every document consumes at least one token, so a document starting where the previous one
    // started means the parser is making no progress.
    if (recorder.start().pos == last_start) return recorder.start();
    last_start = recorder.start().pos;
  }
  return std::nullopt;
}

// Depth-first over the document graph, counting every visit (an alias's target is visited again
// each time, which is what the decoder would do), stopping at the first bound exceeded.
class YamlShapeWalk {
 public:
  YamlShapeWalk(const YamlShapeLimits& limits, size_t file_bytes)
      : limits_(limits),
        max_nodes_(std::max(limits.min_max_nodes, limits.max_nodes_per_byte * file_bytes)) {}

  std::optional<YamlShapeError> Walk(const YAML::Node& node, int depth) {
    if (++visited_ > max_nodes_) {
      return Error(node, absl::StrCat("YAML aliases expand to more than ", max_nodes_,
                                      " nodes; refusing to decode it (an alias bomb?)"));
    }
    if (depth > limits_.max_depth) {
      return Error(node, absl::StrCat("YAML nested deeper than ", limits_.max_depth,
                                      " levels (or an alias inside its own anchor)"));
    }
    if (node.IsMap()) {
      // A key given twice: YAML forbids it, Kubernetes rejects it, and which value wins would be
      // the parser's choice. Refused with the line of the second one.
      std::set<std::string> keys;
      for (const auto& kv : node) {
        if (kv.first.IsScalar() && !keys.insert(kv.first.Scalar()).second) {
          return Error(kv.first, absl::StrCat("key \"", kv.first.Scalar().substr(0, 100),
                                              "\" given twice in one map"));
        }
        if (auto e = Walk(kv.first, depth + 1)) return e;
        if (auto e = Walk(kv.second, depth + 1)) return e;
      }
    } else if (node.IsSequence()) {
      for (const auto& item : node) {
        if (auto e = Walk(item, depth + 1)) return e;
      }
    }
    return std::nullopt;
  }

 private:
  static std::optional<YamlShapeError> Error(const YAML::Node& node, std::string message) {
    const int line = node.IsDefined() && node.Mark().line >= 0 ? node.Mark().line + 1 : 0;
    return YamlShapeError{line, std::move(message)};
  }

  const YamlShapeLimits& limits_;
  const size_t max_nodes_;
  size_t visited_ = 0;
};

// The 1-based line of a yaml-cpp exception, 0 when unknown.
int LineOf(const YAML::Exception& e) { return e.mark.line >= 0 ? e.mark.line + 1 : 0; }

absl::StatusOr<AnyObject> DecodeObjectWithDefaults(const YAML::Node& node,
                                                   std::string_view api_version,
                                                   std::string_view kind) {
  try {
    return DecodeNodeAs(YamlDecodeNode(node), api_version, kind);
  } catch (const YAML::Exception& e) {
    // Not expected: the adapter checks node types before converting. Kept so that no yaml-cpp
    // exception escapes the module.
    return absl::InvalidArgumentError(absl::StrCat(decoder_internal::LinePrefix(LineOf(e)), e.msg));
  }
}

// A `kind: List`, or a typed list such as `ServiceList` carrying `items`.
bool IsList(const YamlDecodeNode& doc, std::string_view kind) {
  if (kind == "List") return true;
  return kind.size() > 4 && kind.ends_with("List") && YamlDecoder::Find(doc, "items");
}

}  // namespace

std::optional<YamlShapeError> CheckYamlShape(const YAML::Node& doc, size_t file_bytes,
                                             const YamlShapeLimits& limits) {
  return YamlShapeWalk(limits, file_bytes).Walk(doc, 0);
}

absl::StatusOr<AnyObject> DecodeObject(const YAML::Node& node) {
  return DecodeObjectWithDefaults(node, "", "");
}

absl::StatusOr<AnyObject> DecodeObjectAs(const YAML::Node& node, std::string_view api_version,
                                         std::string_view kind) {
  return DecodeObjectWithDefaults(node, api_version, kind);
}

namespace {

absl::Status ManifestError(std::string_view file_name, int line, std::string_view message) {
  return absl::InvalidArgumentError(
      line > 0 ? absl::StrCat(Sv(file_name), ":", line, ": ", Sv(message))
               : absl::StrCat(Sv(file_name), ": ", Sv(message)));
}

// The YAML documents of a manifest, or the first syntax error with its line.
absl::StatusOr<std::vector<YAML::Node>> LoadDocuments(std::string_view file_name,
                                                      const std::string& text) {
  try {
    if (std::optional<YAML::Mark> stuck = FindStuckDocument(text)) {
      return ManifestError(file_name, stuck->line + 1,
                           absl::StrCat("unexpected '", Sv(text.substr(stuck->pos, 1)),
                                        "' at the start of a document"));
    }
    return YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    return ManifestError(file_name, LineOf(e), e.msg);
  }
}

// Decodes a manifest's documents, one object or one list of objects each, into `out`; the first
// error stops it (d.ok()).
class ManifestDecoder {
 public:
  explicit ManifestDecoder(DecodedManifest& out) : out_(out) {}

  void Document(const YamlDecodeNode& doc) {
    std::string kind;
    std::string api_version;
    if (doc.is_map()) {
      d_.String(doc, "kind", root_, kind);
      d_.String(doc, "apiVersion", root_, api_version);
    }
    if (!d_.ok() || !IsList(doc, kind)) {
      if (d_.ok()) Object(doc, root_, "", "");
      return;
    }
    // Items of a typed list may omit apiVersion and kind; a plain List's items may not.
    std::string item_kind;
    std::string item_api_version;
    if (kind != "List") {
      item_kind = kind.substr(0, kind.size() - 4);
      item_api_version = api_version;
    }
    const Path items_path = root_.Field("items");
    if (auto items = YamlDecoder::Find(doc, "items"); items && !items->is_seq()) {
      d_.Fail(*items, items_path, "expected a list");
    } else if (items) {
      size_t i = 0;
      items->for_each_item([&](const YamlDecodeNode& item) {
        Object(item, items_path.Index(i++), item_api_version, item_kind);
        return d_.ok();
      });
    }
  }

  YamlDecoder& decoder() { return d_; }
  const Path& root() const { return root_; }

 private:
  void Object(const YamlDecodeNode& obj, const Path& path, std::string_view api_version,
              std::string_view kind) {
    std::string skipped;
    std::optional<AnyObject> o;
    try {
      o = decoder_internal::DecodeOne(d_, obj, path, api_version, kind, skipped);
    } catch (const YAML::Exception& e) {
      d_.Fail(LineOf(e), path, e.msg);  // not expected: see DecodeObjectWithDefaults
    }
    if (o) {
      out_.objects.push_back(*std::move(o));
    } else if (d_.ok()) {
      out_.skipped.push_back(std::move(skipped));
    }
  }

  DecodedManifest& out_;
  YamlDecoder d_;
  const Path root_;
};

}  // namespace

absl::StatusOr<DecodedManifest> ParseManifest(std::string_view file_name,
                                              std::string_view content) {
  const std::string text(content);
  absl::StatusOr<std::vector<YAML::Node>> docs = LoadDocuments(file_name, text);
  if (!docs.ok()) return docs.status();
  DecodedManifest out;
  ManifestDecoder m(out);
  YamlDecoder& d = m.decoder();
  for (const YAML::Node& doc_node : *docs) {
    if (doc_node.IsNull() || (doc_node.IsMap() && doc_node.size() == 0)) continue;  // empty
    if (std::optional<YamlShapeError> shape = CheckYamlShape(doc_node, text.size())) {
      return ManifestError(file_name, shape->line, shape->message);
    }
    try {
      m.Document(YamlDecodeNode(doc_node));
    } catch (const YAML::Exception& e) {
      d.Fail(LineOf(e), m.root(), e.msg);
    }
    if (!d.ok()) return ManifestError(file_name, d.error().line, d.error().message);
  }
  return out;
}

}  // namespace dest
