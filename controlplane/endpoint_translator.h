// Turns the store's objects for one (Service, port[, instance]) into the endpoint set a Get stream
// serves (behaviour.md section 2): ready addresses with their WeightedAddr metadata.
//
// Thread-safe (reads the Store, which is thread-safe).
#ifndef CONTROLPLANE_ENDPOINT_TRANSLATOR_H_
#define CONTROLPLANE_ENDPOINT_TRANSLATOR_H_

#include <map>
#include <memory>
#include <string>

#include "controlplane/profile_translator.h"
#include "destination.pb.h"
#include "watchers/store.h"

namespace dest {

struct EndpointKey {
  std::string service;
  std::string ns;
  uint32_t port = 80;
  std::string instance;  // non-empty: only the endpoint with this hostname
};

// The endpoints of a Service as a proxy sees them.
struct EndpointState {
  bool exists = false;  // the Service exists
  // "ip:port" -> the address with its metadata. Ordered so messages are deterministic.
  std::map<std::string, std::shared_ptr<const io::linkerd::proxy::destination::WeightedAddr>> addrs;
};

// Sets `addr` from an IP literal and port; false when `ip` is not an address.
bool SetTcpAddress(const std::string& ip, uint32_t port, io::linkerd::proxy::net::TcpAddress* addr);

// The WeightedAddr of one pod endpoint (identity, hints, labels), as in behaviour.md section 2.
// `pod` may be null (an endpoint without a targetRef): then only addr and weight are set.
io::linkerd::proxy::destination::WeightedAddr MakeWeightedAddr(const Store& store,
                                                               const std::string& ip, uint32_t port,
                                                               const Pod* pod,
                                                               const TranslatorOptions& options);

EndpointState ComputeEndpoints(const Store& store, const EndpointKey& key,
                               const TranslatorOptions& options);

}  // namespace dest

#endif  // CONTROLPLANE_ENDPOINT_TRANSLATOR_H_
