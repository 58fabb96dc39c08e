#include "controlplane/endpoint_translator.h"

#include <arpa/inet.h>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

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
  PortSet skipped =
      PortSet::Parse(Annotation(pod->meta, "config.linkerd.io/skip-inbound-ports"), by_name);
  if (skipped.Contains(port)) return wa;

  std::string mode = Annotation(pod->meta, "linkerd.io/identity-mode");
  if (options.enable_identity && (mode.empty() || mode == "default")) {
    std::string sa = pod->service_account_name.empty() ? "default" : pod->service_account_name;
    std::string id = absl::StrCat(sa, ".", pod->meta.ns, ".serviceaccount.identity.",
                                  options.controller_namespace, ".", options.identity_trust_domain);
    wa.mutable_tls_identity()->mutable_dns_like_identity()->set_name(id);
    wa.mutable_tls_identity()->mutable_server_name()->set_name(id);
  }
  bool opaque;
  auto ann = pod->meta.annotations.find("config.linkerd.io/opaque-ports");
  if (ann != pod->meta.annotations.end()) {
    opaque = PortSet::Parse(ann->second, by_name).Contains(port);
  } else {
    opaque = options.default_opaque_ports.Contains(port);
  }
  if (options.enable_h2_upgrade) wa.mutable_protocol_hint()->mutable_h2();
  if (opaque) {
    wa.mutable_protocol_hint()->mutable_opaque_transport()->set_inbound_port(InboundPort(*pod));
  }
  return wa;
}

EndpointState ComputeEndpoints(const Store& store, const EndpointKey& key,
                               const TranslatorOptions& options) {
  EndpointState state;
  std::shared_ptr<const Service> svc = store.Get<Service>(key.ns, key.service);
  if (svc == nullptr) return state;
  state.exists = true;
  if (svc->type == "ExternalName") return state;

  // The Service port the request names, if any.
  const ServicePort* svc_port = nullptr;
  for (const ServicePort& p : svc->ports) {
    if (static_cast<uint32_t>(p.port) == key.port) {
      svc_port = &p;
      break;
    }
  }
  for (const auto& slice : store.SlicesForService(key.ns, key.service)) {
    if (slice->address_type != "IPv4" && slice->address_type != "IPv6") continue;
    // Resolve the target port for this slice. Slice ports carry the Service port's name and the
    // resolved target port number.
    std::optional<uint32_t> slice_port;
    std::string target_name;
    if (svc_port == nullptr) {
      slice_port = key.port;
    } else if (svc_port->target_port.is_int) {
      slice_port = static_cast<uint32_t>(svc_port->target_port.int_value);
    } else {
      target_name = svc_port->target_port.str_value;
      for (const EndpointPort& p : slice->ports) {
        if (p.port > 0 && (p.name == svc_port->name || p.name == target_name)) {
          slice_port = static_cast<uint32_t>(p.port);
          break;
        }
      }
    }
    for (const SliceEndpoint& ep : slice->endpoints) {
      if (ep.ready.has_value() && !*ep.ready) continue;
      if (!key.instance.empty() && absl::AsciiStrToLower(ep.hostname) != key.instance) continue;
      std::shared_ptr<const Pod> pod;
      if (ep.target_ref && ep.target_ref->kind == "Pod") {
        pod = store.Get<Pod>(ep.target_ref->ns.empty() ? key.ns : ep.target_ref->ns,
                             ep.target_ref->name);
      }
      std::optional<uint32_t> port = slice_port;
      if (!port && pod) port = ContainerPortByName(*pod, target_name);
      if (!port) continue;
      for (const std::string& addr : ep.addresses) {
        std::string ip = CanonicalIp(addr);
        if (ip.empty()) continue;
        std::string id = ip.find(':') == std::string::npos ? absl::StrCat(ip, ":", *port)
                                                           : absl::StrCat("[", ip, "]:", *port);
        state.addrs[id] = std::make_shared<const pb::WeightedAddr>(
            MakeWeightedAddr(store, ip, *port, pod.get(), options));
      }
    }
  }
  return state;
}

}  // namespace dest
