#include "controlplane/translate/authority.h"

#include <arpa/inet.h>

#include <string_view>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "simdjson.h"
#include "watchers/store/store.h"

namespace dest {
namespace {

absl::Status Invalid(absl::string_view authority, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("invalid authority \"", authority, "\": ", why));
}

// A DNS label as Kubernetes names use them (RFC 1123).
bool IsDnsLabel(absl::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s) {
    if (!(absl::ascii_isalnum(c) || c == '-')) return false;
  }
  return s.front() != '-' && s.back() != '-';
}

}  // namespace

std::string ServiceFqdn::Format(absl::string_view cluster_domain) const {
  return absl::StrCat(service.name, ".", service.ns, ".svc.", cluster_domain);
}

std::optional<ServiceFqdn> ServiceFqdn::Parse(absl::string_view fqdn,
                                              absl::string_view cluster_domain) {
  absl::ConsumeSuffix(&fqdn, ".");
  absl::ConsumeSuffix(&cluster_domain, ".");
  const std::string suffix = absl::StrCat(".svc.", cluster_domain);
  if (!absl::ConsumeSuffix(&fqdn, suffix)) return std::nullopt;
  std::vector<std::string> labels = absl::StrSplit(fqdn, '.');
  if (labels.size() != 2 || labels[0].empty() || labels[1].empty()) return std::nullopt;
  return ServiceFqdn{ServiceRef{labels[1], labels[0]}};
}

std::string Authority::Fqdn(absl::string_view cluster_domain) const {
  return ServiceFqdn{ServiceRef{ns, service}}.Format(cluster_domain);
}

absl::StatusOr<Authority> ParseAuthority(absl::string_view authority,
                                         absl::string_view cluster_domain) {
  Authority out;
  if (authority.empty()) return Invalid(authority, "empty");
  absl::string_view host = authority;
  absl::string_view port_text;
  bool bracketed = false;
  if (host.front() == '[') {
    size_t close = host.find(']');
    if (close == absl::string_view::npos) return Invalid(authority, "unterminated '['");
    absl::string_view rest = host.substr(close + 1);
    host = host.substr(1, close - 1);
    bracketed = true;
    if (!rest.empty()) {
      if (rest.front() != ':') return Invalid(authority, "unexpected text after ']'");
      port_text = rest.substr(1);
      if (port_text.empty()) return Invalid(authority, "empty port");
    }
  } else {
    size_t colon = host.rfind(':');
    if (colon != absl::string_view::npos) {
      if (host.find(':') != colon) {
        return Invalid(authority, "IPv6 addresses must be written in brackets");
      }
      port_text = host.substr(colon + 1);
      host = host.substr(0, colon);
      if (port_text.empty()) return Invalid(authority, "empty port");
    }
  }
  if (!port_text.empty()) {
    uint32_t port = 0;
    bool digits = absl::c_all_of(port_text, [](char c) { return absl::ascii_isdigit(c); });
    if (!digits || !absl::SimpleAtoi(port_text, &port) || port < 1 || port > 65535) {
      return Invalid(authority, absl::StrCat("port \"", port_text, "\" is not in 1..65535"));
    }
    out.port = port;
  }
  if (host.empty()) return Invalid(authority, "empty host");

  if (bracketed) {
    std::string ip = CanonicalIp(host);
    if (ip.empty() || ip.find(':') == std::string::npos) {
      return Invalid(authority, "not an IPv6 address inside brackets");
    }
    out.type = Authority::Type::kIp;
    out.ip = std::move(ip);
    return out;
  }
  {
    in_addr v4;
    std::string h(host);
    if (inet_pton(AF_INET, h.c_str(), &v4) == 1) {
      out.type = Authority::Type::kIp;
      out.ip = CanonicalIp(h);
      return out;
    }
  }

  std::string name = absl::AsciiStrToLower(host);
  if (absl::EndsWith(name, ".")) name.pop_back();
  std::string cd = absl::AsciiStrToLower(cluster_domain);
  if (absl::EndsWith(cd, ".")) cd.pop_back();
  std::string suffix = absl::StrCat(".svc.", cd);
  if (!absl::EndsWith(name, suffix)) {
    return Invalid(authority,
                   absl::StrCat("not a Service name in the cluster domain (want svc.ns", suffix,
                                " or instance.svc.ns", suffix, ") nor an IP address"));
  }
  std::vector<std::string> labels =
      absl::StrSplit(name.substr(0, name.size() - suffix.size()), '.');
  for (const std::string& l : labels) {
    if (!IsDnsLabel(l)) return Invalid(authority, absl::StrCat("\"", l, "\" is not a DNS label"));
  }
  if (labels.size() == 2) {
    out.type = Authority::Type::kService;
    out.service = labels[0];
    out.ns = labels[1];
  } else if (labels.size() == 3) {
    out.type = Authority::Type::kInstance;
    out.instance = labels[0];
    out.service = labels[1];
    out.ns = labels[2];
  } else {
    return Invalid(authority, absl::StrCat("want svc.ns", suffix, " or instance.svc.ns", suffix));
  }
  return out;
}

ContextToken ParseContextToken(absl::string_view token, bool* malformed) {
  ContextToken out;
  if (malformed != nullptr) *malformed = false;
  if (token.empty()) return out;
  if (absl::StartsWith(token, "ns:")) {
    out.ns = std::string(token.substr(3));
    return out;
  }
  simdjson::dom::parser parser;
  simdjson::padded_string padded(token.data(), token.size());
  simdjson::dom::element doc;
  if (parser.parse(padded).get(doc) != simdjson::SUCCESS || !doc.is_object()) {
    if (malformed != nullptr) *malformed = true;
    return out;
  }
  std::string_view v;
  if (doc["ns"].get_string().get(v) == simdjson::SUCCESS) out.ns = std::string(v);
  if (doc["nodeName"].get_string().get(v) == simdjson::SUCCESS) out.node_name = std::string(v);
  return out;
}

}  // namespace dest
