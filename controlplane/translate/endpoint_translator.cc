#include "controlplane/translate/endpoint_translator.h"

#include <arpa/inet.h>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace dest {
namespace pb = io::linkerd::proxy::destination;

namespace {

const OwnerReference* ControllerOf(const ObjectMeta& meta) {
  for (const OwnerReference& o : meta.owner_references) {
    if (o.controller) return &o;
  }
  return meta.owner_references.empty() ? nullptr : &meta.owner_references[0];
}

// The pod's top controller as (label key, name).
std::pair<std::string, std::string> TopOwner(const Store& store, const Pod& pod) {
  const OwnerReference* owner = ControllerOf(pod.meta);
  if (owner == nullptr) return {};
  if (owner->kind == "ReplicaSet") {
    if (auto rs = store.Get<ReplicaSet>(pod.meta.ns, owner->name)) {
      const OwnerReference* top = ControllerOf(rs->meta);
      if (top != nullptr && top->kind == "Deployment") return {"deployment", top->name};
    }
    return {"replicaset", owner->name};
  }
  if (owner->kind == "Job") {
    if (auto job = store.Get<Job>(pod.meta.ns, owner->name)) {
      const OwnerReference* top = ControllerOf(job->meta);
      if (top != nullptr && top->kind == "CronJob") return {"cronjob", top->name};
    }
    return {"k8s_job", owner->name};
  }
  return {absl::AsciiStrToLower(owner->kind), owner->name};
}

std::string Annotation(const ObjectMeta& meta, const std::string& key) {
  auto it = meta.annotations.find(key);
  return it == meta.annotations.end() ? "" : it->second;
}

uint32_t InboundPort(const Pod& pod) {
  for (const Container& c : pod.containers) {
    if (c.name != "linkerd-proxy") continue;
    for (const EnvVar& e : c.env) {
      if (e.name != "LINKERD2_PROXY_INBOUND_LISTEN_ADDR") continue;
      size_t colon = e.value.rfind(':');
      uint32_t port = 0;
      if (colon != std::string::npos && absl::SimpleAtoi(e.value.substr(colon + 1), &port) &&
          port > 0 && port <= 65535) {
        return port;
      }
    }
  }
  return 4143;
}

std::optional<uint32_t> ContainerPortByName(const Pod& pod, absl::string_view name) {
  for (const Container& c : pod.containers) {
    for (const ContainerPort& p : c.ports) {
      if (p.name == name) return static_cast<uint32_t>(p.container_port);
    }
  }
  return std::nullopt;
}

}  // namespace

std::string EndpointKey::ToString() const {
  return absl::StrCat(service, ".", ns, ":", port, instance.empty() ? "" : " instance=", instance,
                      zone.empty() ? "" : " zone=", zone);
}

std::string JoinHostPort(const std::string& ip, uint32_t port) {
  return ip.find(':') == std::string::npos ? absl::StrCat(ip, ":", port)
                                           : absl::StrCat("[", ip, "]:", port);
}

bool SetTcpAddress(const std::string& ip, uint32_t port,
                   io::linkerd::proxy::net::TcpAddress* addr) {
  in_addr v4;
  in6_addr v6;
  if (inet_pton(AF_INET, ip.c_str(), &v4) == 1) {
    addr->mutable_ip()->set_ipv4(ntohl(v4.s_addr));
  } else if (inet_pton(AF_INET6, ip.c_str(), &v6) == 1) {
    uint64_t first = 0, last = 0;
    for (int i = 0; i < 8; ++i) first = (first << 8) | v6.s6_addr[i];
    for (int i = 8; i < 16; ++i) last = (last << 8) | v6.s6_addr[i];
    addr->mutable_ip()->mutable_ipv6()->set_first(first);
    addr->mutable_ip()->mutable_ipv6()->set_last(last);
  } else {
    return false;
  }
  addr->set_port(port);
  return true;
}

pb::WeightedAddr MakeWeightedAddr(const Store& store, const std::string& ip, uint32_t port,
                                  const Pod* pod, const TranslatorOptions& options) {
  pb::WeightedAddr wa;
  SetTcpAddress(ip, port, wa.mutable_addr());
  wa.set_weight(10000);
  if (pod == nullptr) return wa;
  auto& labels = *wa.mutable_metric_labels();
  labels["pod"] = pod->meta.name;
  auto [owner_kind, owner_name] = TopOwner(store, *pod);
  if (!owner_kind.empty()) labels[owner_kind] = owner_name;
  labels["serviceaccount"] =
      pod->service_account_name.empty() ? "default" : pod->service_account_name;
  if (auto it = pod->meta.labels.find("pod-template-hash"); it != pod->meta.labels.end()) {
    labels["pod_template_hash"] = it->second;
  }
  auto cp = pod->meta.labels.find("linkerd.io/control-plane-ns");
  if (cp != pod->meta.labels.end()) labels["control_plane_ns"] = cp->second;

  auto* ref = wa.mutable_resource_ref()->mutable_resource();
  ref->set_kind("Pod");
  ref->set_name(pod->meta.name);
  ref->set_namespace_(pod->meta.ns);

  bool meshed = cp != pod->meta.labels.end() && cp->second == options.controller_namespace;
  if (!meshed) return wa;
  auto by_name = [pod](absl::string_view n) { return ContainerPortByName(*pod, n); };
  PortSet skipped = PortSet::Parse(Annotation(pod->meta, annotation::kSkipInboundPorts), by_name);
  if (skipped.Contains(port)) return wa;

  std::string mode = Annotation(pod->meta, annotation::kIdentityMode);
  if (options.enable_identity && (mode.empty() || mode == "default")) {
    std::string sa = pod->service_account_name.empty() ? "default" : pod->service_account_name;
    std::string id = absl::StrCat(sa, ".", pod->meta.ns, ".serviceaccount.identity.",
                                  options.controller_namespace, ".", options.identity_trust_domain);
    wa.mutable_tls_identity()->mutable_dns_like_identity()->set_name(id);
    wa.mutable_tls_identity()->mutable_server_name()->set_name(id);
  }
  if (options.enable_h2_upgrade) wa.mutable_protocol_hint()->mutable_h2();
  if (IsOpaquePort(store, *pod, port, options)) {
    wa.mutable_protocol_hint()->mutable_opaque_transport()->set_inbound_port(InboundPort(*pod));
  }
  return wa;
}

namespace {

// A multicluster mirror's endpoints (behaviour.md section 2): the slice or Endpoints of a mirror
// Service, written by Linkerd's service mirror, lists the remote gateway's addresses, with no Pod.
struct Mirror {
  std::string remote_fqdn;       // mirror.linkerd.io/remote-svc-fq-name
  std::string gateway_identity;  // mirror.linkerd.io/remote-gateway-identity; "" for none
};

std::optional<Mirror> MirrorOf(const ObjectMeta& meta) {
  auto fq = meta.annotations.find(annotation::kRemoteSvcFqName);
  if (fq == meta.annotations.end() || fq->second.empty()) return std::nullopt;
  auto id = meta.annotations.find(annotation::kRemoteGatewayIdentity);
  return Mirror{fq->second, id == meta.annotations.end() ? "" : id->second};
}

// One endpoint before zone filtering.
struct Candidate {
  std::string ip;
  uint32_t port = 0;
  std::shared_ptr<const Pod> pod;
  const SliceEndpoint* slice_endpoint = nullptr;  // null in Endpoints mode
  std::shared_ptr<const Mirror> mirror;           // set for a mirror's gateway addresses
};

// A mirror's gateway address: its identity (the gateway's, none when empty), the h2 hint with an
// identity (a meshed gateway) when H2 upgrade is on, and the remote FQDN with the requested port
// as authority override, so the remote side routes the request to the remote Service.
pb::WeightedAddr MirrorAddr(const Candidate& c, uint32_t requested_port,
                            const TranslatorOptions& options) {
  pb::WeightedAddr wa;
  SetTcpAddress(c.ip, c.port, wa.mutable_addr());
  wa.set_weight(10000);
  wa.mutable_authority_override()->set_authority_override(
      absl::StrCat(c.mirror->remote_fqdn, ":", requested_port));
  if (!c.mirror->gateway_identity.empty()) {
    wa.mutable_tls_identity()->mutable_dns_like_identity()->set_name(c.mirror->gateway_identity);
    wa.mutable_tls_identity()->mutable_server_name()->set_name(c.mirror->gateway_identity);
    if (options.enable_h2_upgrade) wa.mutable_protocol_hint()->mutable_h2();
  }
  return wa;
}

// The gateway port a mirror's slice or subset declares for the requested Service port: the port
// named like the Service port, else the only port; nullopt when neither says.
std::optional<uint32_t> MirrorPort(const ServicePort* svc_port,
                                   const std::vector<EndpointPort>& ports) {
  if (svc_port != nullptr && !svc_port->name.empty()) {
    for (const EndpointPort& p : ports) {
      if (p.port > 0 && p.name == svc_port->name) return static_cast<uint32_t>(p.port);
    }
  }
  if (ports.size() == 1 && ports[0].port > 0) return static_cast<uint32_t>(ports[0].port);
  return std::nullopt;
}

std::shared_ptr<const Pod> PodOf(const Store& store, const std::optional<ObjectReference>& ref,
                                 const std::string& ns) {
  std::optional<ServiceRef> pod = PodRefOf(ref, ns);
  return pod ? store.Get<Pod>(pod->ns, pod->name) : nullptr;
}

// An address that names a Pod the store does not hold (yet, or any more). Served without its Pod
// it would have no identity, and a meshed Pod would be reached in plaintext: it is left out until
// the Pod is known (behaviour.md section 2), as Linkerd does.
bool PodUnknown(const std::optional<ObjectReference>& ref, const std::shared_ptr<const Pod>& pod) {
  return pod == nullptr && PodRefOf(ref, "").has_value();
}

// Resolves the target port given the ports of one slice or subset: a numeric targetPort as is; a
// named one through the port carrying the Service port's name (what the endpoints controller
// writes), then through the port named like the target, then per pod by container port name.
std::optional<uint32_t> ResolvePort(const ServicePort* svc_port, uint32_t requested,
                                    const std::vector<EndpointPort>& ports) {
  if (svc_port == nullptr) return requested;
  if (svc_port->target_port.is_int) return static_cast<uint32_t>(svc_port->target_port.int_value);
  for (const auto* name : {&svc_port->name, &svc_port->target_port.str_value}) {
    for (const EndpointPort& p : ports) {
      if (p.port > 0 && p.name == *name) return static_cast<uint32_t>(p.port);
    }
  }
  return std::nullopt;
}

}  // namespace

bool PodIsLive(const Pod& pod) {
  return !pod.meta.deleting && pod.phase != "Succeeded" && pod.phase != "Failed";
}

bool SelectorMatches(const LabelSelector& selector,
                     const std::map<std::string, std::string>& labels) {
  for (const auto& [key, value] : selector.match_labels) {
    auto it = labels.find(key);
    if (it == labels.end() || it->second != value) return false;
  }
  for (const LabelSelectorRequirement& r : selector.match_expressions) {
    auto it = labels.find(r.key);
    const bool has = it != labels.end();
    const bool listed = has && absl::c_linear_search(r.values, it->second);
    if (r.op == "In") {
      if (!listed) return false;
    } else if (r.op == "NotIn") {
      if (listed) return false;
    } else if (r.op == "Exists") {
      if (!has) return false;
    } else if (r.op == "DoesNotExist") {
      if (has) return false;
    } else {
      return false;  // an operator Kubernetes does not define selects nothing
    }
  }
  return true;
}

bool ServerSelects(const Server& server, const Pod& pod, uint32_t port) {
  if (server.meta.ns != pod.meta.ns || !SelectorMatches(server.pod_selector, pod.meta.labels)) {
    return false;
  }
  if (server.port.is_int) {
    return server.port.int_value > 0 && static_cast<uint32_t>(server.port.int_value) == port;
  }
  std::optional<uint32_t> named = ContainerPortByName(pod, server.port.str_value);
  return named && *named == port;
}

bool IsOpaquePort(const Store& store, const Pod& pod, uint32_t port,
                  const TranslatorOptions& options, std::string* source) {
  auto ann = pod.meta.annotations.find(annotation::kOpaquePorts);
  const bool by_pod = ann == pod.meta.annotations.end()
                          ? options.default_opaque_ports.Contains(port)
                          : PortSet::Parse(ann->second, [&pod](absl::string_view n) {
                              return ContainerPortByName(pod, n);
                            }).Contains(port);
  if (source != nullptr) {
    *source = ann == pod.meta.annotations.end()
                  ? "the pod has no config.linkerd.io/opaque-ports annotation: the default opaque "
                    "ports (-default-opaque-ports) apply"
                  : absl::StrCat("annotation config.linkerd.io/opaque-ports=\"", ann->second,
                                 "\" on the pod");
  }
  if (by_pod) return true;  // the store is asked only when the pod itself does not say
  for (const auto& server : store.ServersInNamespace(pod.meta.ns)) {
    if (server->proxy_protocol == "opaque" && ServerSelects(*server, pod, port)) {
      if (source != nullptr) {
        *source = absl::StrCat("Server ", ServiceRef{server->meta.ns, server->meta.name}.ToString(),
                               " (proxyProtocol: opaque) selects the pod and port");
      }
      return true;
    }
  }
  return false;
}

std::string ZoneOfNode(const Store& store, const std::string& node_name) {
  if (node_name.empty()) return "";
  auto node = store.Get<Node>("", node_name);
  if (node == nullptr) return "";
  auto it = node->meta.labels.find("topology.kubernetes.io/zone");
  return it == node->meta.labels.end() ? "" : it->second;
}

pb::DestinationProfile BuildEndpointProfile(const Store& store, const std::string& ip,
                                            uint32_t port, const Pod* pod,
                                            const TranslatorOptions& options) {
  pb::DestinationProfile p;
  *p.mutable_retry_budget() = DefaultRetryBudget();
  if (pod == nullptr) return p;
  pb::WeightedAddr wa = MakeWeightedAddr(store, ip, port, pod, options);
  (*wa.mutable_metric_labels())["namespace"] = pod->meta.ns;
  *p.mutable_endpoint() = std::move(wa);
  p.set_opaque_protocol(IsOpaquePort(store, *pod, port, options));
  return p;
}

namespace {

// What one request selects among a Service's endpoints, and how it finds their ports.
class Selection {
 public:
  Selection(const Store& store, const EndpointKey& key, const Service& svc,
            std::vector<LeftOutAddress>* left_out)
      : store_(store), key_(key), left_out_(left_out) {
    for (const ServicePort& p : svc.ports) {  // the Service port the request names, if any
      if (static_cast<uint32_t>(p.port) == key.port) {
        svc_port_ = &p;
        break;
      }
    }
    if (svc_port_ != nullptr && !svc_port_->target_port.is_int) {
      target_name_ = svc_port_->target_port.str_value;
    }
  }

  // The ready endpoints of the Service's EndpointSlices. `slices` keeps them (and so the
  // SliceEndpoint pointers of the candidates) alive.
  std::vector<Candidate> FromSlices(std::vector<std::shared_ptr<const EndpointSlice>>& slices) {
    std::vector<Candidate> out;
    slices = store_.SlicesForService(key_.ns, key_.service);
    for (const auto& slice : slices) {
      if (slice->address_type != "IPv4" && slice->address_type != "IPv6") continue;
      const std::shared_ptr<const Mirror> mirror = MirrorFor(slice->meta);
      std::optional<uint32_t> port = mirror ? MirrorPort(svc_port_, slice->ports)
                                            : ResolvePort(svc_port_, key_.port, slice->ports);
      for (const SliceEndpoint& ep : slice->endpoints) {
        if (!Wanted(ep.hostname)) continue;
        if (ep.ready.has_value() && !*ep.ready) {
          for (const std::string& a : ep.addresses) {
            LeaveOut(a, port, ep.target_ref, "not ready (conditions.ready is false)");
          }
          continue;
        }
        auto pod = PodOf(store_, ep.target_ref, key_.ns);
        if (PodUnknown(ep.target_ref, pod)) {  // served once its Pod is known
          for (const std::string& a : ep.addresses) LeaveOut(a, port, ep.target_ref, kPodUnknown);
          continue;
        }
        for (const std::string& addr : ep.addresses) Add(out, addr, port, pod, &ep, mirror);
      }
    }
    return out;
  }

  // The ready addresses of the Service's Endpoints (never notReadyAddresses).
  std::vector<Candidate> FromEndpoints() {
    std::vector<Candidate> out;
    auto eps = store_.Get<Endpoints>(key_.ns, key_.service);
    if (eps == nullptr) return out;
    const std::shared_ptr<const Mirror> mirror = MirrorFor(eps->meta);
    for (const EndpointSubset& subset : eps->subsets) {
      std::optional<uint32_t> port = mirror ? MirrorPort(svc_port_, subset.ports)
                                            : ResolvePort(svc_port_, key_.port, subset.ports);
      for (const EndpointAddress& a : subset.addresses) {
        if (!Wanted(a.hostname)) continue;
        auto pod = PodOf(store_, a.target_ref, key_.ns);
        if (PodUnknown(a.target_ref, pod)) {  // served once its Pod is known
          LeaveOut(a.ip, port, a.target_ref, kPodUnknown);
          continue;
        }
        Add(out, a.ip, port, std::move(pod), nullptr, mirror);
      }
    }
    return out;
  }

 private:
  bool Wanted(const std::string& hostname) const {
    return key_.instance.empty() || absl::AsciiStrToLower(hostname) == key_.instance;
  }
  static constexpr char kPodUnknown[] =
      "its Pod is not known (yet, or any more): left out until it is, so a meshed pod is never "
      "reached without its identity";

  void Add(std::vector<Candidate>& out, const std::string& addr, std::optional<uint32_t> port,
           std::shared_ptr<const Pod> pod, const SliceEndpoint* sep,
           const std::shared_ptr<const Mirror>& mirror) const {
    if (!port && pod) port = ContainerPortByName(*pod, target_name_);
    std::string ip = CanonicalIp(addr);
    if (!port || ip.empty()) {
      if (left_out_ != nullptr) {
        left_out_->push_back(
            {port ? absl::StrCat(addr, ":", *port) : addr,
             pod ? ServiceRef{pod->meta.ns, pod->meta.name}.ToString() : "",
             ip.empty() ? "not an IP address"
                        : absl::StrCat("no port for the Service's targetPort \"", target_name_,
                                       "\" in the slice or the pod's containers")});
      }
      return;
    }
    out.push_back({std::move(ip), *port, std::move(pod), sep, mirror});
  }
  void LeaveOut(const std::string& addr, std::optional<uint32_t> port,
                const std::optional<ObjectReference>& ref, const char* reason) const {
    if (left_out_ == nullptr) return;
    std::optional<ServiceRef> pod = PodRefOf(ref, key_.ns);
    left_out_->push_back(
        {port ? JoinHostPort(addr, *port) : addr, pod ? pod->ToString() : "", reason});
  }
  static std::shared_ptr<const Mirror> MirrorFor(const ObjectMeta& meta) {
    std::optional<Mirror> m = MirrorOf(meta);
    return m ? std::make_shared<const Mirror>(*std::move(m)) : nullptr;
  }

  const Store& store_;
  const EndpointKey& key_;
  std::vector<LeftOutAddress>* const left_out_;
  const ServicePort* svc_port_ = nullptr;
  std::string target_name_;  // the Service port's named targetPort, if it has one
};

// Topology: only when every endpoint carries zone hints and some are hinted for this zone.
// Returns whether it filtered.
bool KeepZone(std::vector<Candidate>& candidates, const std::string& zone,
              std::vector<LeftOutAddress>* left_out) {
  if (zone.empty() || candidates.empty()) return false;
  const bool all_hinted = absl::c_all_of(candidates, [](const Candidate& c) {
    return c.slice_endpoint != nullptr && c.slice_endpoint->has_hints;
  });
  if (!all_hinted) return false;
  std::vector<Candidate> in_zone;
  for (const Candidate& c : candidates) {
    if (absl::c_linear_search(c.slice_endpoint->hint_zones, zone)) in_zone.push_back(c);
  }
  if (in_zone.empty()) return false;
  if (left_out != nullptr) {
    for (const Candidate& c : candidates) {
      if (absl::c_linear_search(c.slice_endpoint->hint_zones, zone)) continue;
      left_out->push_back(
          {JoinHostPort(c.ip, c.port),
           c.pod ? ServiceRef{c.pod->meta.ns, c.pod->meta.name}.ToString() : "",
           absl::StrCat("hinted for zone(s) ", absl::StrJoin(c.slice_endpoint->hint_zones, ","),
                        ", not the client's zone ", zone)});
    }
  }
  candidates = std::move(in_zone);
  return true;
}

}  // namespace

EndpointState ComputeEndpoints(const Store& store, const EndpointKey& key,
                               const TranslatorOptions& options,
                               std::vector<LeftOutAddress>* left_out, bool* zone_filtered) {
  EndpointState state;
  std::shared_ptr<const Service> svc = store.Get<Service>(key.ns, key.service);
  if (svc == nullptr) return state;
  state.exists = true;
  if (svc->type == "ExternalName") return state;

  Selection selection(store, key, *svc, left_out);
  std::vector<std::shared_ptr<const EndpointSlice>> slices;  // alive while candidates point in
  std::vector<Candidate> candidates =
      options.endpoint_slices ? selection.FromSlices(slices) : selection.FromEndpoints();
  const bool filtered = KeepZone(candidates, key.zone, left_out);
  if (zone_filtered != nullptr) *zone_filtered = filtered;
  for (const Candidate& c : candidates) {
    std::string id = JoinHostPort(c.ip, c.port);
    if (state.addrs.count(id)) continue;  // listed by two slices: served once
    state.addrs[id] = std::make_shared<const pb::WeightedAddr>(
        c.mirror ? MirrorAddr(c, key.port, options)
                 : MakeWeightedAddr(store, c.ip, c.port, c.pod.get(), options));
  }
  return state;
}

std::vector<ServiceRef> ReadyPodRefs(const EndpointSlice& slice) {
  std::vector<ServiceRef> out;
  for (const SliceEndpoint& ep : slice.endpoints) {
    if (ep.ready.has_value() && !*ep.ready) continue;
    if (auto pod = PodRefOf(ep.target_ref, slice.meta.ns)) out.push_back(*std::move(pod));
  }
  return out;
}

std::vector<ServiceRef> ReadyPodRefs(const Endpoints& endpoints) {
  std::vector<ServiceRef> out;
  for (const EndpointSubset& subset : endpoints.subsets) {
    for (const EndpointAddress& a : subset.addresses) {
      if (auto pod = PodRefOf(a.target_ref, endpoints.meta.ns)) out.push_back(*std::move(pod));
    }
  }
  return out;
}

std::vector<std::string> UnknownPods(const Store& store, const std::vector<ServiceRef>& pods) {
  std::vector<std::string> out;
  for (const ServiceRef& pod : pods) {
    if (store.Get<Pod>(pod.ns, pod.name) == nullptr) out.push_back(pod.ToString());
  }
  return out;
}

}  // namespace dest
