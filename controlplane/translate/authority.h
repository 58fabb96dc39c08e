// Parsing of the `path` of a GetDestination request (behaviour.md section 1).
//
// Thread-compatible (stateless).
#ifndef CONTROLPLANE_TRANSLATE_AUTHORITY_H_
#define CONTROLPLANE_TRANSLATE_AUTHORITY_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "watchers/objects.h"

namespace dest {

// A Service's DNS name, "svc.ns.svc.CLUSTER_DOMAIN" (no trailing dot, no port): how proxies
// name a Service, and the name a ServiceProfile for it must have.
struct ServiceFqdn {
  ServiceRef service;

  std::string Format(absl::string_view cluster_domain) const;
  // The Service a name of that form denotes (labels taken as they are; a trailing dot on the
  // name or the domain is accepted); nullopt for any other name.
  static std::optional<ServiceFqdn> Parse(absl::string_view fqdn, absl::string_view cluster_domain);
};

struct Authority {
  enum class Type { kService, kInstance, kIp };
  Type type = Type::kService;
  uint32_t port = 80;
  // kService and kInstance: lower-cased names.
  std::string service;
  std::string ns;
  std::string instance;  // kInstance only
  // kIp: canonical text form ("10.0.0.1", "fd00::1").
  std::string ip;

  // "svc.ns.svc.cluster.local" (no trailing dot, no port), for kService and kInstance.
  std::string Fqdn(absl::string_view cluster_domain) const;
};

// Parses `host[:port]` where host is svc.ns.svc.CD, instance.svc.ns.svc.CD, an IPv4 literal or a
// bracketed IPv6 literal. A trailing dot on the host is accepted and names compare
// case-insensitively. Errors are kInvalidArgument with a message naming the authority.
absl::StatusOr<Authority> ParseAuthority(absl::string_view authority,
                                         absl::string_view cluster_domain);

// The client context carried in GetDestination.context_token.
struct ContextToken {
  std::string ns;
  std::string node_name;
};

// Parses `{"ns":"…","nodeName":"…"}` (either key optional) or the legacy `ns:NAME`. Anything else
// yields an empty token (never an error): the caller logs it at debug.
ContextToken ParseContextToken(absl::string_view token, bool* malformed = nullptr);

}  // namespace dest

#endif  // CONTROLPLANE_TRANSLATE_AUTHORITY_H_
