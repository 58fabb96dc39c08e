// Documents: the structured (-o json / -o yaml) form of the messages destctl prints.
//
// A document is protobuf's JSON mapping of a message with one change for people: every
// net.TcpAddress becomes the string "IP:PORT" ("[IPv6]:PORT"), every net.IPAddress the string
// "IP" and every net.IPNetwork "IP/PREFIX". The addresses are found by field type (through the
// descriptors), wherever they sit in the message, so a new field holding an address is rewritten
// too; nothing else differs from the mapping (field names in lowerCamelCase, defaults omitted,
// 64-bit integers as strings).
#ifndef CONTROLPLANE_DESTCTL_DOCUMENT_H_
#define CONTROLPLANE_DESTCTL_DOCUMENT_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "nlohmann/json.hpp"

namespace destctl {

// How destctl prints what it receives (-o).
enum class OutputFormat { kTable, kJson, kYaml };

// "table", "json" or "yaml"; nullopt for anything else.
std::optional<OutputFormat> ParseOutputFormat(std::string_view name);

// Keys keep the order of the message's fields (and "time" stays first).
using Document = nlohmann::ordered_json;

// `message` as a document. Fails only when protobuf cannot print it as JSON.
absl::StatusOr<Document> ToDocument(const google::protobuf::Message& message);

// `document` with "time": FormatRfc3339(time) as its first key.
Document WithTime(const Document& document, absl::Time time);

// The top-level keys whose values differ from `before` to `after`, with their `after` values; a
// key that `after` no longer has maps to null (the field went back to its default).
Document ChangedFields(const Document& before, const Document& after);

// One line of compact JSON, ending in '\n'.
std::string JsonLine(const Document& document);

// JsonLine for kJson, YamlDocument for kYaml (and kTable, which has no document form).
std::string FormatDocument(const Document& document, OutputFormat format);

// One YAML document: "---\n" then block-style YAML, ending in '\n'. Strings that YAML would read
// as something else (a number, a boolean, null, a timestamp) are double-quoted.
std::string YamlDocument(const Document& document);

}  // namespace destctl

#endif  // CONTROLPLANE_DESTCTL_DOCUMENT_H_
