#include "controlplane/destctl/document.h"

#include <algorithm>
#include <set>
#include <string_view>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "controlplane/destctl/render.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"
#include "net.pb.h"
#include "yaml-cpp/yaml.h"

namespace destctl {
namespace {

using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;

void RewriteFields(const Message& message, Document& json);

// Replaces `json`, the mapping of `value`, by its readable form if `value` is an address, and
// otherwise looks for addresses inside it.
void RewriteValue(const Message& value, Document& json) {
  if (const auto* address = dynamic_cast<const net::TcpAddress*>(&value)) {
    json = FormatTcpAddress(*address);
  } else if (const auto* ip = dynamic_cast<const net::IPAddress*>(&value)) {
    json = FormatIp(*ip);
  } else if (const auto* network = dynamic_cast<const net::IPNetwork*>(&value)) {
    json = absl::StrCat(FormatIp(network->ip()), "/", network->prefix_len());
  } else {
    RewriteFields(value, json);
  }
}

// Walks the message fields of `message` that are set, with `json` its mapping. Map fields are not
// visited: the APIs destctl speaks have no map with message values.
void RewriteFields(const Message& message, Document& json) {
  if (!json.is_object()) return;
  const google::protobuf::Reflection* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || field->is_map()) continue;
    auto it = json.find(field->json_name());
    if (it == json.end()) continue;
    if (!field->is_repeated()) {
      RewriteValue(reflection->GetMessage(message, field), *it);
      continue;
    }
    if (!it->is_array()) continue;
    const int size = std::min(reflection->FieldSize(message, field), static_cast<int>(it->size()));
    for (int i = 0; i < size; ++i) {
      RewriteValue(reflection->GetRepeatedMessage(message, field, i), (*it)[i]);
    }
  }
}

// Whether a plain YAML scalar `text` would be read as something other than a string.
bool NeedsQuotes(std::string_view text) {
  static const std::set<std::string, std::less<>> kWords = {"true", "false", "yes",   "no",   "on",
                                                            "off",  "y",     "n",     "null", "~",
                                                            ".inf", "-.inf", "+.inf", ".nan"};
  if (text.empty() ||
      kWords.count(absl::AsciiStrToLower(absl::string_view(text.data(), text.size()))) > 0)
    return true;
  if (absl::ascii_isdigit(static_cast<unsigned char>(text[0]))) return true;
  return text.size() > 1 && (text[0] == '-' || text[0] == '+' || text[0] == '.') &&
         (absl::ascii_isdigit(static_cast<unsigned char>(text[1])) || text[1] == '.');
}

void EmitString(YAML::Emitter& out, const std::string& text) {
  if (NeedsQuotes(text)) out << YAML::DoubleQuoted;
  out << text;
}

void Emit(YAML::Emitter& out, const Document& value) {
  switch (value.type()) {
    case Document::value_t::object:
      if (value.empty()) out << YAML::Flow;
      out << YAML::BeginMap;
      for (const auto& item : value.items()) {
        out << YAML::Key;
        EmitString(out, item.key());
        out << YAML::Value;
        Emit(out, item.value());
      }
      out << YAML::EndMap;
      return;
    case Document::value_t::array:
      if (value.empty()) out << YAML::Flow;
      out << YAML::BeginSeq;
      for (const Document& element : value) Emit(out, element);
      out << YAML::EndSeq;
      return;
    case Document::value_t::string:
      EmitString(out, value.get_ref<const std::string&>());
      return;
    case Document::value_t::boolean:
      out << value.get<bool>();
      return;
    case Document::value_t::number_integer:
    case Document::value_t::number_unsigned:
    case Document::value_t::number_float:
      out << value.dump();  // the shortest text that reads back as the same number
      return;
    default:
      out << YAML::Null;
  }
}

}  // namespace

std::optional<OutputFormat> ParseOutputFormat(std::string_view name) {
  if (name == "table") return OutputFormat::kTable;
  if (name == "json") return OutputFormat::kJson;
  if (name == "yaml") return OutputFormat::kYaml;
  return std::nullopt;
}

absl::StatusOr<Document> ToDocument(const Message& message) {
  std::string json;
  const auto status = google::protobuf::util::MessageToJsonString(message, &json);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot print ", message.GetTypeName(), " as JSON: ", status.ToString()));
  }
  Document document = Document::parse(json, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) {
    return absl::InternalError(
        absl::StrCat("cannot read back the JSON of ", message.GetTypeName()));
  }
  RewriteFields(message, document);
  return document;
}

Document WithTime(const Document& document, absl::Time time) {
  Document out = Document::object();
  out["time"] = FormatRfc3339(time);
  for (const auto& item : document.items()) {
    if (item.key() != "time") out[item.key()] = item.value();
  }
  return out;
}

Document ChangedFields(const Document& before, const Document& after) {
  Document out = Document::object();
  for (const auto& item : after.items()) {
    auto it = before.find(item.key());
    if (it == before.end() || *it != item.value()) out[item.key()] = item.value();
  }
  for (const auto& item : before.items()) {
    if (!after.contains(item.key())) out[item.key()] = nullptr;
  }
  return out;
}

std::string JsonLine(const Document& document) {
  return document.dump(-1, ' ', false, Document::error_handler_t::replace) + "\n";
}

std::string YamlDocument(const Document& document) {
  YAML::Emitter out;
  Emit(out, document);
  return absl::StrCat("---\n", out.c_str(), "\n");
}

std::string FormatDocument(const Document& document, OutputFormat format) {
  return format == OutputFormat::kJson ? JsonLine(document) : YamlDocument(document);
}

}  // namespace destctl
