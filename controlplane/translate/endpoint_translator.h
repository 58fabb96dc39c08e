// Turns the store's objects for one (Service, port[, instance]) into the endpoint set a Get stream
// serves (behaviour.md section 2): ready addresses with their WeightedAddr metadata.
//
// Thread-safe (reads the Store, which is thread-safe).
#ifndef CONTROLPLANE_TRANSLATE_ENDPOINT_TRANSLATOR_H_
#define CONTROLPLANE_TRANSLATE_ENDPOINT_TRANSLATOR_H_

#include <map>
#include <memory>
#include <string>

#include "controlplane/translate/profile_translator.h"
#include "destination.pb.h"
#include "watchers/store/store.h"

namespace dest {

struct EndpointKey {
  std::string service;
  std::string ns;
  uint32_t port = 80;
  std::string instance;  // non-empty: only the endpoint with this hostname
  // The client's zone (from its node): when every endpoint carries EndpointSlice zone hints, only
  // the endpoints hinted for this zone are served. Empty: no filtering.
  std::string zone;

  // "svc.ns:port[ instance=I][ zone=Z]": how logs, Explain and Debug/Topics name the key.
  std::string ToString() const;
};

// The endpoints of a Service as a proxy sees them.
struct EndpointState {
  bool exists = false;  // the Service exists
  // "ip:port" -> the address with its metadata. Ordered so messages are deterministic.
  std::map<std::string, std::shared_ptr<const io::linkerd::proxy::destination::WeightedAddr>> addrs;
};

// "ip:port", or "[ip]:port" for an IPv6 address: the key of EndpointState::addrs.
std::string JoinHostPort(const std::string& ip, uint32_t port);

// Sets `addr` from an IP literal and port; false when `ip` is not an address.
bool SetTcpAddress(const std::string& ip, uint32_t port, io::linkerd::proxy::net::TcpAddress* addr);

// The WeightedAddr of one pod endpoint (identity, hints, labels), as in behaviour.md section 2.
// `pod` may be null (an endpoint without a targetRef): then only addr and weight are set.
io::linkerd::proxy::destination::WeightedAddr MakeWeightedAddr(const Store& store,
                                                               const std::string& ip, uint32_t port,
                                                               const Pod* pod,
                                                               const TranslatorOptions& options);

// A ready address ComputeEndpoints does not serve, and why (for Explain).
struct LeftOutAddress {
  std::string address;  // "ip:port", or the address alone when no port could be found
  std::string pod;      // "ns/name" when the address names one
  std::string reason;
};

// The endpoint set `key` selects. `left_out` (may be null) receives the addresses of the
// Service's slices (or Endpoints) that are not served, with the reason; `zone_filtered` (may be
// null) whether the client's zone narrowed the set (every endpoint hinted, some for that zone).
EndpointState ComputeEndpoints(const Store& store, const EndpointKey& key,
                               const TranslatorOptions& options,
                               std::vector<LeftOutAddress>* left_out = nullptr,
                               bool* zone_filtered = nullptr);

// Whether `port` is opaque for `pod`: a Server (policy.linkerd.io) with proxyProtocol opaque
// selects the pod and port; or the port is listed in the pod's config.linkerd.io/opaque-ports
// annotation (numbers, ranges, container port names; present-but-empty means none), else in the
// defaults.
// `source` (may be null) receives where the answer came from, in words.
bool IsOpaquePort(const Store& store, const Pod& pod, uint32_t port,
                  const TranslatorOptions& options, std::string* source = nullptr);

// Kubernetes label selector semantics: every matchLabels pair and every matchExpressions
// requirement (In, NotIn, Exists, DoesNotExist) holds; an empty selector selects everything.
bool SelectorMatches(const LabelSelector& selector,
                     const std::map<std::string, std::string>& labels);

// Whether a Server selects `pod` (same namespace, podSelector) and `port` (spec.port: the number,
// or the container port of that name).
bool ServerSelects(const Server& server, const Pod& pod, uint32_t port);

// The zone of a node (label topology.kubernetes.io/zone), or "" when unknown.
std::string ZoneOfNode(const Store& store, const std::string& node_name);

// The endpoint profile of behaviour.md 3.3 for a pod endpoint: `endpoint` (with the
// `namespace` metric label), opaque_protocol from the pod's opaque ports, the default retry
// budget. `pod` null gives the default profile for an address that maps to nothing.
io::linkerd::proxy::destination::DestinationProfile BuildEndpointProfile(
    const Store& store, const std::string& ip, uint32_t port, const Pod* pod,
    const TranslatorOptions& options);

// The Pods the ready addresses of a slice or Endpoints name (targetRef).
std::vector<ServiceRef> ReadyPodRefs(const EndpointSlice& slice);
std::vector<ServiceRef> ReadyPodRefs(const Endpoints& endpoints);

// Of `pods`, those the store does not hold, as "ns/name": ComputeEndpoints leaves their addresses
// out until the Pod is known.
std::vector<std::string> UnknownPods(const Store& store, const std::vector<ServiceRef>& pods);

// Whether a pod can receive traffic: not terminating, not Succeeded or Failed.
bool PodIsLive(const Pod& pod);

}  // namespace dest

#endif  // CONTROLPLANE_TRANSLATE_ENDPOINT_TRANSLATOR_H_
