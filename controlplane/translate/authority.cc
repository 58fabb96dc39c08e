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
#include "base/status_macros.h"
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

namespace {

struct HostPort {
  absl::string_view host;
  absl::string_view port;  // empty when absent
  bool bracketed = false;  // [host]: an IPv6 address
};

absl::StatusOr<HostPort> SplitHostPort(absl::string_view authority) {
  HostPort out{authority, {}, false};
  if (authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == absl::string_view::npos) return Invalid(authority, "unterminated '['");
    absl::string_view rest = authority.substr(close + 1);
    out.host = authority.substr(1, close - 1);
    out.bracketed = true;
    if (!rest.empty()) {
      if (rest.front() != ':') return Invalid(authority, "unexpected text after ']'");
      out.port = rest.substr(1);
      if (out.port.empty()) return Invalid(authority, "empty port");
    }
    return out;
  }
  size_t colon = authority.rfind(':');
  if (colon == absl::string_view::npos) return out;
  if (authority.find(':') != colon) {
    return Invalid(authority, "IPv6 addresses must be written in brackets");
  }
  out.port = authority.substr(colon + 1);
  out.host = authority.substr(0, colon);
  if (out.port.empty()) return Invalid(authority, "empty port");
  return out;
}

// Sets out.type, and the names, from a host that is not an IP address.
absl::Status ParseServiceName(absl::string_view authority, absl::string_view host,
                              absl::string_view cluster_domain, Authority& out) {
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
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Authority> ParseAuthority(absl::string_view authority,
                                         absl::string_view cluster_domain) {
  if (authority.empty()) return Invalid(authority, "empty");
  absl::StatusOr<HostPort> hp = SplitHostPort(authority);
  if (!hp.ok()) return hp.status();
  Authority out;
  if (!hp->port.empty()) {
    uint32_t port = 0;
    bool digits = absl::c_all_of(hp->port, [](char c) { return absl::ascii_isdigit(c); });
    if (!digits || !absl::SimpleAtoi(hp->port, &port) || port < 1 || port > 65535) {
      return Invalid(authority, absl::StrCat("port \"", hp->port, "\" is not in 1..65535"));
    }
    out.port = port;
  }
  if (hp->host.empty()) return Invalid(authority, "empty host");
  if (hp->bracketed) {
    std::string ip = CanonicalIp(hp->host);
    if (ip.empty() || ip.find(':') == std::string::npos) {
      return Invalid(authority, "not an IPv6 address inside brackets");
    }
    out.type = Authority::Type::kIp;
    out.ip = std::move(ip);
    return out;
  }
  in_addr v4;
  const std::string h(hp->host);
  if (inet_pton(AF_INET, h.c_str(), &v4) == 1) {
    out.type = Authority::Type::kIp;
    out.ip = CanonicalIp(h);
    return out;
  }
  RETURN_IF_ERROR(ParseServiceName(authority, hp->host, cluster_domain, out));
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
