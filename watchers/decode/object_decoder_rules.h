// The decoding rules of object_decoder.h, written once over the DecodeNode concept
// (decode_node.h) so that YAML manifests and the Kubernetes API's JSON decode alike: unknown
// fields ignored, missing optional fields defaulted, a field of the wrong type failing the whole
// object with its field path (and its line, where the format has lines).
//
// Most code should call the functions of object_decoder.h or json_decoder.h; this header is for
// them and for benchmarks that plug other parsers in. Everything here is in
// `decoder_internal` except DecodeNodeAs.
//
// Thread-compatible.
#ifndef WATCHERS_DECODE_OBJECT_DECODER_RULES_H_
#define WATCHERS_DECODE_OBJECT_DECODER_RULES_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "watchers/decode/decode_node.h"
#include "watchers/objects.h"

namespace dest {
namespace decoder_internal {

// This Abseil build has its own string_view type (ABSL_OPTION_USE_STD_STRING_VIEW is 0).
inline absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// A field path such as `spec.ports[0].port`, built on the stack as decoding descends and only
// rendered when an error is reported. A Path refers to its parent: never keep one longer than
// the Path it was made from.
class Path {
 public:
  Path() = default;

  Path Field(std::string_view key) const { return Path(this, key, kNoIndex); }
  Path Index(size_t index) const { return Path(this, {}, index); }

  std::string ToString() const {
    std::string out;
    Append(out);
    return out;
  }

 private:
  static constexpr size_t kNoIndex = static_cast<size_t>(-1);

  Path(const Path* parent, std::string_view key, size_t index)
      : parent_(parent), key_(key), index_(index) {}

  void Append(std::string& out) const {
    if (parent_ == nullptr) return;
    parent_->Append(out);
    if (index_ != kNoIndex) {
      absl::StrAppend(&out, "[", index_, "]");
    } else {
      if (!out.empty()) out += '.';
      out.append(key_);
    }
  }

  const Path* parent_ = nullptr;
  std::string_view key_;
  size_t index_ = kNoIndex;
};

// The first failure of a decode: 1-based line (0 when unknown) and "path: reason".
struct DecodeError {
  int line = 0;
  std::string message;
};

// Reads typed fields out of nodes, remembering the first error. Once an error is recorded every
// reader becomes a no-op, so decoding functions read fields one after the other and the caller
// checks ok() at the end. A null value is treated as an absent field, as Kubernetes does.
template <DecodeNode N>
class Decoder {
 public:
  bool ok() const { return !error_.has_value(); }
  const DecodeError& error() const { return *error_; }

  void Fail(const N& at, const Path& path, std::string_view reason) {
    if (!ok()) return;
    Fail(at.line(), path, reason);
  }
  void Fail(int line, const Path& path, std::string_view reason) {
    if (!ok()) return;
    std::string where = path.ToString();
    error_ = DecodeError{
        line, where.empty() ? std::string(reason) : absl::StrCat(where, ": ", Sv(reason))};
  }

  // The value under `key` in map `obj`; nullopt when `obj` is not a map, or the key is absent or
  // null.
  static std::optional<N> Find(const N& obj, std::string_view key) {
    std::optional<N> v = obj.find(key);
    if (v && v->is_null()) return std::nullopt;
    return v;
  }

  // Checks that `v` can hold an object's fields: a map, or null (an object with no fields).
  bool ExpectMap(const N& v, const Path& path) {
    if (!ok()) return false;
    if (v.is_map() || v.is_null()) return true;
    Fail(v, path, "expected a map");
    return false;
  }

  // --- Values. Each reads `v` (at `path`) into `out`, or records an error and leaves `out`.

  // Any scalar is a string as written (an unquoted YAML 80, a JSON number 80: "80").
  void ReadString(const N& v, const Path& path, std::string& out) {
    if (!ok()) return;
    if (v.is_null()) {
      out.clear();
    } else if (v.is_scalar()) {
      ReadText(v, path, out);
    } else {
      Fail(v, path, "expected a string");
    }
  }

  // A quantity or integer kept as written (weights): any scalar.
  void ReadScalarText(const N& v, const Path& path, std::string& out) {
    if (!ok()) return;
    if (v.is_scalar()) {
      ReadText(v, path, out);
    } else if (!v.is_null()) {
      Fail(v, path, "expected a quantity (an integer or a string)");
    }
  }

  // The text of scalar `v`, which must be UTF-8: every string the service keeps may reach a
  // protobuf string field, and a message with invalid UTF-8 cannot be decoded by proxies.
  void ReadText(const N& v, const Path& path, std::string& out) {
    v.scalar_text(out);
    if (!decode_text::IsUtf8(out)) {
      out.clear();
      Fail(v, path, "invalid UTF-8");
    }
  }

  void ReadInt64(const N& v, const Path& path, int64_t& out) {
    if (!ok()) return;
    switch (v.integer(out)) {
      case IntResult::kOk:
        return;
      case IntResult::kNotInteger:
        Fail(v, path, "expected an integer");
        return;
      case IntResult::kOutOfRange:
        Fail(v, path, "integer out of range");
        return;
    }
  }

  void ReadInt32(const N& v, const Path& path, int32_t& out) {
    int64_t value = 0;
    ReadInt64(v, path, value);
    if (!ok()) return;
    if (value < std::numeric_limits<int32_t>::min() ||
        value > std::numeric_limits<int32_t>::max()) {
      Fail(v, path, "integer out of range");
      return;
    }
    out = static_cast<int32_t>(value);
  }

  // A string "true" is not a boolean.
  void ReadBool(const N& v, const Path& path, bool& out) {
    if (!ok()) return;
    if (!v.boolean(out)) Fail(v, path, "expected a boolean");
  }

  void ReadDouble(const N& v, const Path& path, double& out) {
    if (!ok()) return;
    if (!v.number(out)) Fail(v, path, "expected a number");
  }

  // A port number or a port name. A number must be an integer; a string is a name, even "80".
  void ReadIntOrString(const N& v, const Path& path, IntOrString& out) {
    if (!ok()) return;
    if (!v.is_scalar()) {
      Fail(v, path, "expected an integer or a name");
      return;
    }
    int64_t value = 0;
    switch (v.integer(value)) {
      case IntResult::kOk:
        if (value < std::numeric_limits<int32_t>::min() ||
            value > std::numeric_limits<int32_t>::max()) {
          Fail(v, path, "integer out of range");
          return;
        }
        out =
            IntOrString{.is_int = true, .int_value = static_cast<int32_t>(value), .str_value = {}};
        return;
      case IntResult::kOutOfRange:
        Fail(v, path, "integer out of range");
        return;
      case IntResult::kNotInteger:
        if (v.is_number()) {
          Fail(v, path, "expected an integer or a name");
          return;
        }
        out = IntOrString{.is_int = false, .int_value = 0, .str_value = {}};
        ReadText(v, path, out.str_value);
        return;
    }
  }

  // --- Fields of map `obj` (at `path`). Absent or null fields leave `out` unchanged.

  void String(const N& obj, std::string_view key, const Path& path, std::string& out) {
    if (auto v = Find(obj, key)) ReadString(*v, path.Field(key), out);
  }
  void OptString(const N& obj, std::string_view key, const Path& path,
                 std::optional<std::string>& out) {
    if (auto v = Find(obj, key)) ReadString(*v, path.Field(key), out.emplace());
  }
  void ScalarText(const N& obj, std::string_view key, const Path& path, std::string& out) {
    if (auto v = Find(obj, key)) ReadScalarText(*v, path.Field(key), out);
  }
  void Int32(const N& obj, std::string_view key, const Path& path, int32_t& out) {
    if (auto v = Find(obj, key)) ReadInt32(*v, path.Field(key), out);
  }
  void Int64(const N& obj, std::string_view key, const Path& path, int64_t& out) {
    if (auto v = Find(obj, key)) ReadInt64(*v, path.Field(key), out);
  }
  void Bool(const N& obj, std::string_view key, const Path& path, bool& out) {
    if (auto v = Find(obj, key)) ReadBool(*v, path.Field(key), out);
  }
  void OptBool(const N& obj, std::string_view key, const Path& path, std::optional<bool>& out) {
    if (auto v = Find(obj, key)) {
      bool value = false;
      ReadBool(*v, path.Field(key), value);
      if (ok()) out = value;
    }
  }
  void Double(const N& obj, std::string_view key, const Path& path, double& out) {
    if (auto v = Find(obj, key)) ReadDouble(*v, path.Field(key), out);
  }

  // A map of strings (labels, annotations); scalar values of any type are kept as written. Every
  // entry is checked; only those `keep` accepts (all when null) are stored.
  void StringMap(const N& obj, std::string_view key, const Path& path,
                 std::map<std::string, std::string>& out,
                 bool (*keep)(std::string_view) = nullptr) {
    auto v = Find(obj, key);
    if (!v) return;
    const Path p = path.Field(key);
    if (!ExpectMap(*v, p)) return;
    v->for_each_member([&](std::optional<std::string_view> name, const N& value) {
      if (!name) {
        Fail(value, p, "expected string keys");
        return false;
      }
      if (!decode_text::IsUtf8(*name)) {
        Fail(value, p, "invalid UTF-8 in a key");
        return false;
      }
      if (keep != nullptr && !keep(*name)) {
        std::string ignored;
        ReadString(value, p.Field(*name), ignored);
      } else {
        ReadString(value, p.Field(*name), out[std::string(*name)]);
      }
      return ok();
    });
  }

  // The map under `key`; nullopt when absent, null, or not a map (an error).
  std::optional<N> Map(const N& obj, std::string_view key, const Path& path) {
    auto v = Find(obj, key);
    if (!v || !ok()) return std::nullopt;
    if (!v->is_map()) {
      Fail(*v, path.Field(key), "expected a map");
      return std::nullopt;
    }
    return v;
  }

  // Decodes the list under `key` item by item with `decode(item, item_path, out_item)`, appending
  // to `out`.
  template <typename T, typename Fn>
  void List(const N& obj, std::string_view key, const Path& path, std::vector<T>& out,
            Fn&& decode) {
    auto v = Find(obj, key);
    if (!v || !ok()) return;
    const Path p = path.Field(key);
    if (!v->is_seq()) {
      Fail(*v, p, "expected a list");
      return;
    }
    out.reserve(out.size() + v->size());
    size_t i = 0;
    v->for_each_item([&](const N& item) {
      const Path ip = p.Index(i++);
      T decoded{};
      decode(item, ip, decoded);
      if (!ok()) return false;
      out.push_back(std::move(decoded));
      return true;
    });
  }

  void StringList(const N& obj, std::string_view key, const Path& path,
                  std::vector<std::string>& out) {
    List(obj, key, path, out,
         [this](const N& v, const Path& p, std::string& s) { ReadString(v, p, s); });
  }

 private:
  std::optional<DecodeError> error_;
};

// --- Shared pieces.

template <DecodeNode N>
void DecodeOwnerReference(Decoder<N>& d, const N& v, const Path& p, OwnerReference& out) {
  if (!d.ExpectMap(v, p)) return;
  d.String(v, "apiVersion", p, out.api_version);
  d.String(v, "kind", p, out.kind);
  d.String(v, "name", p, out.name);
  d.Bool(v, "controller", p, out.controller);
}

template <DecodeNode N>
void DecodeMeta(Decoder<N>& d, const N& obj, const Path& root, bool namespaced, ObjectMeta& meta) {
  const Path mp = root.Field("metadata");
  auto m = d.Map(obj, "metadata", root);
  if (!d.ok()) return;
  if (!m) {
    d.Fail(obj, mp.Field("name"), "required");
    return;
  }
  d.String(*m, "name", mp, meta.name);
  if (d.ok() && meta.name.empty()) d.Fail(*m, mp.Field("name"), "required");
  if (namespaced) {
    d.String(*m, "namespace", mp, meta.ns);
    if (meta.ns.empty()) meta.ns = "default";
  }
  d.String(*m, "uid", mp, meta.uid);
  d.String(*m, "resourceVersion", mp, meta.resource_version);
  d.String(*m, "creationTimestamp", mp, meta.creation_timestamp);
  meta.deleting = Decoder<N>::Find(*m, "deletionTimestamp").has_value();
  d.StringMap(*m, "labels", mp, meta.labels);
  d.StringMap(*m, "annotations", mp, meta.annotations, &annotation::IsRead);
  d.List(*m, "ownerReferences", mp, meta.owner_references,
         [&d](const N& v, const Path& p, OwnerReference& o) { DecodeOwnerReference(d, v, p, o); });
}

// A targetRef; its namespace defaults to the referring object's.
template <DecodeNode N>
void DecodeObjectReference(Decoder<N>& d, const N& obj, const Path& path,
                           const std::string& default_ns, std::optional<ObjectReference>& out) {
  auto v = d.Map(obj, "targetRef", path);
  if (!v) return;
  const Path p = path.Field("targetRef");
  ObjectReference& ref = out.emplace();
  d.String(*v, "kind", p, ref.kind);
  d.String(*v, "name", p, ref.name);
  d.String(*v, "namespace", p, ref.ns);
  if (ref.ns.empty()) ref.ns = default_ns;
}

template <DecodeNode N>
void DecodeEndpointPort(Decoder<N>& d, const N& v, const Path& p, EndpointPort& out) {
  if (!d.ExpectMap(v, p)) return;
  d.String(v, "name", p, out.name);
  d.Int32(v, "port", p, out.port);
  d.String(v, "protocol", p, out.protocol);
  if (out.protocol.empty()) out.protocol = "TCP";
}

// --- Service.

template <DecodeNode N>
void DecodeServicePort(Decoder<N>& d, const N& v, const Path& p, ServicePort& out) {
  if (!d.ExpectMap(v, p)) return;
  d.String(v, "name", p, out.name);
  d.String(v, "protocol", p, out.protocol);
  if (out.protocol.empty()) out.protocol = "TCP";
  if (!Decoder<N>::Find(v, "port")) {
    d.Fail(v, p.Field("port"), "required");
    return;
  }
  d.Int32(v, "port", p, out.port);
  if (auto target = Decoder<N>::Find(v, "targetPort")) {
    d.ReadIntOrString(*target, p.Field("targetPort"), out.target_port);
  } else {
    out.target_port = IntOrString{.is_int = true, .int_value = out.port, .str_value = {}};
  }
}

template <DecodeNode N>
std::shared_ptr<const Service> DecodeService(Decoder<N>& d, const N& obj, const Path& root) {
  auto s = std::make_shared<Service>();
  DecodeMeta(d, obj, root, /*namespaced=*/true, s->meta);
  const Path sp = root.Field("spec");
  if (auto spec = d.Map(obj, "spec", root)) {
    d.String(*spec, "type", sp, s->type);
    if (s->type.empty()) s->type = "ClusterIP";
    std::vector<std::string> ips;
    d.StringList(*spec, "clusterIPs", sp, ips);
    if (ips.empty()) d.String(*spec, "clusterIP", sp, ips.emplace_back());
    for (std::string& ip : ips) {
      if (!ip.empty() && ip != "None") s->cluster_ips.push_back(std::move(ip));
    }
    d.String(*spec, "externalName", sp, s->external_name);
    d.List(*spec, "ports", sp, s->ports,
           [&d](const N& v, const Path& p, ServicePort& o) { DecodeServicePort(d, v, p, o); });
  }
  return s;
}

// --- EndpointSlice.

template <DecodeNode N>
void DecodeSliceEndpoint(Decoder<N>& d, const N& v, const Path& p, const std::string& slice_ns,
                         SliceEndpoint& out) {
  if (!d.ExpectMap(v, p)) return;
  d.StringList(v, "addresses", p, out.addresses);
  if (auto conditions = d.Map(v, "conditions", p)) {
    d.OptBool(*conditions, "ready", p.Field("conditions"), out.ready);
  }
  d.String(v, "hostname", p, out.hostname);
  d.String(v, "nodeName", p, out.node_name);
  d.String(v, "zone", p, out.zone);
  if (auto hints = d.Map(v, "hints", p)) {
    const Path hp = p.Field("hints");
    out.has_hints = Decoder<N>::Find(*hints, "forZones").has_value();
    d.List(*hints, "forZones", hp, out.hint_zones,
           [&d](const N& z, const Path& zp, std::string& zone) {
             if (d.ExpectMap(z, zp)) d.String(z, "name", zp, zone);
           });
  }
  DecodeObjectReference(d, v, p, slice_ns, out.target_ref);
}

// Kubernetes' limit on the endpoints of one EndpointSlice (its API validation).
inline constexpr size_t kMaxSliceEndpoints = 1000;

template <DecodeNode N>
std::shared_ptr<const EndpointSlice> DecodeEndpointSlice(Decoder<N>& d, const N& obj,
                                                         const Path& root) {
  auto s = std::make_shared<EndpointSlice>();
  DecodeMeta(d, obj, root, /*namespaced=*/true, s->meta);
  if (auto it = s->meta.labels.find("kubernetes.io/service-name"); it != s->meta.labels.end()) {
    s->service_name = it->second;
  }
  d.String(obj, "addressType", root, s->address_type);
  if (s->address_type.empty()) s->address_type = "IPv4";
  d.List(obj, "ports", root, s->ports,
         [&d](const N& v, const Path& p, EndpointPort& o) { DecodeEndpointPort(d, v, p, o); });
  // The API server refuses a slice of more than 1000 endpoints; one that claims more is refused
  // here too, before its endpoints are decoded or kept.
  if (auto endpoints = Decoder<N>::Find(obj, "endpoints");
      endpoints && endpoints->is_seq() && endpoints->size() > kMaxSliceEndpoints) {
    d.Fail(*endpoints, root.Field("endpoints"),
           absl::StrCat(endpoints->size(), " endpoints; Kubernetes caps an EndpointSlice at ",
                        kMaxSliceEndpoints));
    return s;
  }
  const std::string& ns = s->meta.ns;
  d.List(obj, "endpoints", root, s->endpoints,
         [&d, &ns](const N& v, const Path& p, SliceEndpoint& o) {
           DecodeSliceEndpoint(d, v, p, ns, o);
         });
  return s;
}

// --- Endpoints.

template <DecodeNode N>
void DecodeEndpointAddress(Decoder<N>& d, const N& v, const Path& p, const std::string& ns,
                           EndpointAddress& out) {
  if (!d.ExpectMap(v, p)) return;
  d.String(v, "ip", p, out.ip);
  d.String(v, "hostname", p, out.hostname);
  d.String(v, "nodeName", p, out.node_name);
  DecodeObjectReference(d, v, p, ns, out.target_ref);
}

template <DecodeNode N>
void DecodeEndpointSubset(Decoder<N>& d, const N& v, const Path& p, const std::string& ns,
                          EndpointSubset& out) {
  if (!d.ExpectMap(v, p)) return;
  auto address = [&d, &ns](const N& a, const Path& ap, EndpointAddress& o) {
    DecodeEndpointAddress(d, a, ap, ns, o);
  };
  d.List(v, "addresses", p, out.addresses, address);
  d.List(v, "notReadyAddresses", p, out.not_ready_addresses, address);
  d.List(v, "ports", p, out.ports,
         [&d](const N& pv, const Path& pp, EndpointPort& o) { DecodeEndpointPort(d, pv, pp, o); });
}

template <DecodeNode N>
std::shared_ptr<const Endpoints> DecodeEndpoints(Decoder<N>& d, const N& obj, const Path& root) {
  auto e = std::make_shared<Endpoints>();
  DecodeMeta(d, obj, root, /*namespaced=*/true, e->meta);
  const std::string& ns = e->meta.ns;
  d.List(obj, "subsets", root, e->subsets, [&d, &ns](const N& v, const Path& p, EndpointSubset& o) {
    DecodeEndpointSubset(d, v, p, ns, o);
  });
  return e;
}

// --- Pod.

template <DecodeNode N>
void DecodeContainer(Decoder<N>& d, const N& v, const Path& p, Container& out) {
  if (!d.ExpectMap(v, p)) return;
  d.String(v, "name", p, out.name);
  d.List(v, "ports", p, out.ports, [&d](const N& pv, const Path& pp, ContainerPort& port) {
    if (!d.ExpectMap(pv, pp)) return;
    d.String(pv, "name", pp, port.name);
    d.Int32(pv, "containerPort", pp, port.container_port);
    d.Int32(pv, "hostPort", pp, port.host_port);
    d.String(pv, "protocol", pp, port.protocol);
    if (port.protocol.empty()) port.protocol = "TCP";
  });
  d.List(v, "env", p, out.env, [&d](const N& ev, const Path& ep, EnvVar& env) {
    if (!d.ExpectMap(ev, ep)) return;
    d.String(ev, "name", ep, env.name);
    d.String(ev, "value", ep, env.value);  // valueFrom is not resolved
  });
}

template <DecodeNode N>
std::shared_ptr<const Pod> DecodePod(Decoder<N>& d, const N& obj, const Path& root) {
  auto pod = std::make_shared<Pod>();
  DecodeMeta(d, obj, root, /*namespaced=*/true, pod->meta);
  const Path sp = root.Field("spec");
  if (auto spec = d.Map(obj, "spec", root)) {
    d.String(*spec, "serviceAccountName", sp, pod->service_account_name);
    if (pod->service_account_name.empty()) {
      d.String(*spec, "serviceAccount", sp, pod->service_account_name);  // deprecated alias
    }
    d.Bool(*spec, "hostNetwork", sp, pod->host_network);
    d.String(*spec, "nodeName", sp, pod->node_name);
    auto container = [&d](const N& v, const Path& p, Container& o) { DecodeContainer(d, v, p, o); };
    d.List(*spec, "containers", sp, pod->containers, container);
    // Native sidecars (init containers with restartPolicy Always) run alongside the app
    // containers for the pod's whole life (the proxy may be one), so they count as containers.
    std::vector<std::optional<Container>> init;
    d.List(*spec, "initContainers", sp, init,
           [&d](const N& v, const Path& p, std::optional<Container>& o) {
             if (!d.ExpectMap(v, p)) return;
             std::string restart_policy;
             d.String(v, "restartPolicy", p, restart_policy);
             if (restart_policy == "Always") DecodeContainer(d, v, p, o.emplace());
           });
    for (auto& c : init) {
      if (c) pod->containers.push_back(std::move(*c));
    }
  }
  if (pod->service_account_name.empty()) pod->service_account_name = "default";
  const Path stp = root.Field("status");
  if (auto status = d.Map(obj, "status", root)) {
    d.String(*status, "phase", stp, pod->phase);
    d.List(*status, "podIPs", stp, pod->pod_ips, [&d](const N& v, const Path& p, std::string& ip) {
      if (d.ExpectMap(v, p)) d.String(v, "ip", p, ip);
    });
    std::erase(pod->pod_ips, "");
    if (pod->pod_ips.empty()) {
      std::string ip;
      d.String(*status, "podIP", stp, ip);
      if (!ip.empty()) pod->pod_ips.push_back(std::move(ip));
    }
    d.String(*status, "hostIP", stp, pod->host_ip);
  }
  return pod;
}

// --- Metadata-only kinds.

template <typename T, DecodeNode N>
std::shared_ptr<const T> DecodeMetaOnly(Decoder<N>& d, const N& obj, const Path& root,
                                        bool namespaced) {
  auto o = std::make_shared<T>();
  DecodeMeta(d, obj, root, namespaced, o->meta);
  return o;
}

// --- ServiceProfile.

// How deep route and response conditions may nest (all/any/not): far beyond any real profile,
// and a bound on the decoder's recursion whatever the input (JSON has no aliases, but is only
// bounded by the parser's depth).
inline constexpr int kMaxConditionDepth = 32;

template <DecodeNode N>
bool ConditionTooDeep(Decoder<N>& d, const N& v, const Path& p, int depth) {
  if (depth <= kMaxConditionDepth) return false;
  d.Fail(v, p, absl::StrCat("conditions nested deeper than ", kMaxConditionDepth, " levels"));
  return true;
}

template <DecodeNode N>
void DecodeRequestMatch(Decoder<N>& d, const N& v, const Path& p, RequestMatchSpec& out,
                        int depth = 0) {
  if (ConditionTooDeep(d, v, p, depth) || !d.ExpectMap(v, p)) return;
  auto sub = [&d, depth](const N& sv, const Path& sp, RequestMatchSpec& o) {
    DecodeRequestMatch(d, sv, sp, o, depth + 1);
  };
  d.List(v, "all", p, out.all, sub);
  d.List(v, "any", p, out.any, sub);
  if (auto n = d.Map(v, "not", p)) {
    DecodeRequestMatch(d, *n, p.Field("not"), out.not_.emplace_back(), depth + 1);
  }
  d.OptString(v, "pathRegex", p, out.path_regex);
  d.OptString(v, "method", p, out.method);
}

template <DecodeNode N>
void DecodeResponseMatch(Decoder<N>& d, const N& v, const Path& p, ResponseMatchSpec& out,
                         int depth = 0) {
  if (ConditionTooDeep(d, v, p, depth) || !d.ExpectMap(v, p)) return;
  auto sub = [&d, depth](const N& sv, const Path& sp, ResponseMatchSpec& o) {
    DecodeResponseMatch(d, sv, sp, o, depth + 1);
  };
  d.List(v, "all", p, out.all, sub);
  d.List(v, "any", p, out.any, sub);
  if (auto n = d.Map(v, "not", p)) {
    DecodeResponseMatch(d, *n, p.Field("not"), out.not_.emplace_back(), depth + 1);
  }
  if (auto s = d.Map(v, "status", p)) {
    const Path sp = p.Field("status");
    StatusRangeSpec& range = out.status.emplace();
    d.Int64(*s, "min", sp, range.min);
    d.Int64(*s, "max", sp, range.max);
  }
}

template <DecodeNode N>
void DecodeRoute(Decoder<N>& d, const N& v, const Path& p, RouteSpec& out) {
  if (!d.ExpectMap(v, p)) return;
  d.String(v, "name", p, out.name);
  if (auto c = d.Map(v, "condition", p)) {
    DecodeRequestMatch(d, *c, p.Field("condition"), out.condition.emplace());
  }
  d.List(v, "responseClasses", p, out.response_classes,
         [&d](const N& rv, const Path& rp, ResponseClassSpec& rc) {
           if (!d.ExpectMap(rv, rp)) return;
           if (auto c = d.Map(rv, "condition", rp)) {
             DecodeResponseMatch(d, *c, rp.Field("condition"), rc.condition.emplace());
           }
           d.Bool(rv, "isFailure", rp, rc.is_failure);
         });
  d.Bool(v, "isRetryable", p, out.is_retryable);
  d.OptString(v, "timeout", p, out.timeout);
}

template <DecodeNode N>
std::shared_ptr<const ServiceProfile> DecodeServiceProfile(Decoder<N>& d, const N& obj,
                                                           const Path& root,
                                                           std::string_view api_version) {
  auto sp = std::make_shared<ServiceProfile>();
  DecodeMeta(d, obj, root, /*namespaced=*/true, sp->meta);
  sp->api_version = std::string(api_version);
  const Path p = root.Field("spec");
  auto spec = d.Map(obj, "spec", root);
  if (!spec) return sp;
  d.List(*spec, "routes", p, sp->routes,
         [&d](const N& v, const Path& rp, RouteSpec& r) { DecodeRoute(d, v, rp, r); });
  if (auto budget = d.Map(*spec, "retryBudget", p)) {
    const Path bp = p.Field("retryBudget");
    RetryBudgetSpec& b = sp->retry_budget.emplace();
    d.Double(*budget, "retryRatio", bp, b.retry_ratio);
    d.Int64(*budget, "minRetriesPerSecond", bp, b.min_retries_per_second);
    d.String(*budget, "ttl", bp, b.ttl);
  }
  d.List(*spec, "dstOverrides", p, sp->dst_overrides,
         [&d](const N& v, const Path& op, DstOverrideSpec& o) {
           if (!d.ExpectMap(v, op)) return;
           d.String(v, "authority", op, o.authority);
           d.ScalarText(v, "weight", op, o.weight);
         });
  sp->opaque_ports_set = Decoder<N>::Find(*spec, "opaquePorts").has_value();
  return sp;
}

// --- TrafficSplit.

template <DecodeNode N>
std::shared_ptr<const TrafficSplit> DecodeTrafficSplit(Decoder<N>& d, const N& obj,
                                                       const Path& root,
                                                       std::string_view api_version) {
  auto ts = std::make_shared<TrafficSplit>();
  DecodeMeta(d, obj, root, /*namespaced=*/true, ts->meta);
  ts->api_version = std::string(api_version);
  const Path p = root.Field("spec");
  auto spec = d.Map(obj, "spec", root);
  if (!spec) return ts;
  d.String(*spec, "service", p, ts->service);
  d.List(*spec, "backends", p, ts->backends,
         [&d](const N& v, const Path& bp, TrafficSplitBackend& b) {
           if (!d.ExpectMap(v, bp)) return;
           d.String(v, "service", bp, b.service);
           d.ScalarText(v, "weight", bp, b.weight);
         });
  d.List(*spec, "matches", p, ts->matches, [&d](const N& v, const Path& mp, TrafficSplitMatch& m) {
    if (!d.ExpectMap(v, mp)) return;
    d.String(v, "kind", mp, m.kind);
    d.String(v, "name", mp, m.name);
    d.String(v, "apiGroup", mp, m.api_group);
  });
  return ts;
}

// --- Server (policy.linkerd.io).

template <DecodeNode N>
void DecodeLabelSelector(Decoder<N>& d, const N& v, const Path& p, LabelSelector& out) {
  if (!d.ExpectMap(v, p)) return;
  d.StringMap(v, "matchLabels", p, out.match_labels);
  d.List(v, "matchExpressions", p, out.match_expressions,
         [&d](const N& e, const Path& ep, LabelSelectorRequirement& r) {
           if (!d.ExpectMap(e, ep)) return;
           d.String(e, "key", ep, r.key);
           d.String(e, "operator", ep, r.op);
           d.List(e, "values", ep, r.values, [&d](const N& s, const Path& sp, std::string& value) {
             d.ReadString(s, sp, value);
           });
         });
}

template <DecodeNode N>
std::shared_ptr<const Server> DecodeServer(Decoder<N>& d, const N& obj, const Path& root,
                                           std::string_view api_version) {
  auto server = std::make_shared<Server>();
  DecodeMeta(d, obj, root, /*namespaced=*/true, server->meta);
  server->api_version = std::string(api_version);
  const Path p = root.Field("spec");
  auto spec = d.Map(obj, "spec", root);
  if (!spec) return server;
  if (auto selector = Decoder<N>::Find(*spec, "podSelector")) {
    DecodeLabelSelector(d, *selector, p.Field("podSelector"), server->pod_selector);
  }
  if (auto port = Decoder<N>::Find(*spec, "port")) {
    d.ReadIntOrString(*port, p.Field("port"), server->port);
  }
  d.String(*spec, "proxyProtocol", p, server->proxy_protocol);
  return server;
}

// --- HTTPRoute (gateway.networking.k8s.io and policy.linkerd.io) and ReferenceGrant.

// The number of entries of the list under `key` (each must be a map); 0 when absent.
template <DecodeNode N>
size_t CountMaps(Decoder<N>& d, const N& obj, std::string_view key, const Path& p) {
  std::vector<bool> items;
  d.List(obj, key, p, items, [&d](const N& v, const Path& ip, bool&) { d.ExpectMap(v, ip); });
  return items.size();
}

template <DecodeNode N>
void DecodeRouteMatch(Decoder<N>& d, const N& v, const Path& p, RouteMatchSpec& out) {
  if (!d.ExpectMap(v, p)) return;
  if (auto path = d.Map(v, "path", p)) {
    const Path pp = p.Field("path");
    d.String(*path, "type", pp, out.path_type);
    d.String(*path, "value", pp, out.path_value);
  }
  out.headers = CountMaps(d, v, "headers", p);
  out.query_params = CountMaps(d, v, "queryParams", p);
  d.String(v, "method", p, out.method);
}

template <DecodeNode N>
void DecodeRouteBackendRef(Decoder<N>& d, const N& v, const Path& p, RouteBackendRef& out) {
  if (!d.ExpectMap(v, p)) return;
  d.String(v, "group", p, out.group);
  d.String(v, "kind", p, out.kind);
  d.String(v, "namespace", p, out.ns);
  d.String(v, "name", p, out.name);
  if (auto port = Decoder<N>::Find(v, "port"))
    d.ReadInt32(*port, p.Field("port"), out.port.emplace());
  d.Int64(v, "weight", p, out.weight);
  out.filters = CountMaps(d, v, "filters", p);
}

template <DecodeNode N>
void DecodeRouteRule(Decoder<N>& d, const N& v, const Path& p, RouteRuleSpec& out) {
  if (!d.ExpectMap(v, p)) return;
  d.List(v, "matches", p, out.matches, [&d](const N& m, const Path& mp, RouteMatchSpec& match) {
    DecodeRouteMatch(d, m, mp, match);
  });
  out.filters = CountMaps(d, v, "filters", p);
  d.List(v, "backendRefs", p, out.backend_refs,
         [&d](const N& b, const Path& bp, RouteBackendRef& ref) {
           DecodeRouteBackendRef(d, b, bp, ref);
         });
  v.for_each_member([&](std::optional<std::string_view> name, const N& value) {
    if (name && !value.is_null() && *name != "name" && *name != "matches" && *name != "filters" &&
        *name != "backendRefs") {
      out.other_fields.emplace_back(*name);
    }
    return true;
  });
}

template <typename T, DecodeNode N>
std::shared_ptr<const T> DecodeHTTPRoute(Decoder<N>& d, const N& obj, const Path& root,
                                         std::string_view api_version) {
  auto route = std::make_shared<T>();
  DecodeMeta(d, obj, root, /*namespaced=*/true, route->meta);
  route->api_version = std::string(api_version);
  const Path p = root.Field("spec");
  auto spec = d.Map(obj, "spec", root);
  if (!spec) return route;
  d.List(*spec, "parentRefs", p, route->parent_refs,
         [&d](const N& v, const Path& rp, RouteParentRef& ref) {
           if (!d.ExpectMap(v, rp)) return;
           d.String(v, "group", rp, ref.group);
           d.String(v, "kind", rp, ref.kind);
           d.String(v, "namespace", rp, ref.ns);
           d.String(v, "name", rp, ref.name);
           d.String(v, "sectionName", rp, ref.section_name);
           if (auto port = Decoder<N>::Find(v, "port")) {
             d.ReadInt32(*port, rp.Field("port"), ref.port.emplace());
           }
         });
  d.List(*spec, "rules", p, route->rules, [&d](const N& v, const Path& rp, RouteRuleSpec& rule) {
    DecodeRouteRule(d, v, rp, rule);
  });
  return route;
}

template <DecodeNode N>
std::shared_ptr<const ReferenceGrant> DecodeReferenceGrant(Decoder<N>& d, const N& obj,
                                                           const Path& root) {
  auto grant = std::make_shared<ReferenceGrant>();
  DecodeMeta(d, obj, root, /*namespaced=*/true, grant->meta);
  const Path p = root.Field("spec");
  auto spec = d.Map(obj, "spec", root);
  if (!spec) return grant;
  d.List(*spec, "from", p, grant->from, [&d](const N& v, const Path& fp, GrantFrom& from) {
    if (!d.ExpectMap(v, fp)) return;
    d.String(v, "group", fp, from.group);
    d.String(v, "kind", fp, from.kind);
    d.String(v, "namespace", fp, from.ns);
  });
  d.List(*spec, "to", p, grant->to, [&d](const N& v, const Path& tp, GrantTo& to) {
    if (!d.ExpectMap(v, tp)) return;
    d.String(v, "group", tp, to.group);
    d.String(v, "kind", tp, to.kind);
    d.String(v, "name", tp, to.name);
  });
  return grant;
}

// --- Dispatch.

// Matched on kind and group (kinds.h); the version is not checked, so objects stored under another
// version of the same group still decode.
inline std::optional<Kind> WatchedKindOf(std::string_view api_version, std::string_view kind) {
  const std::string_view group = GroupOf(api_version);
  for (const KindInfo& k : kKinds) {
    if (k.name == kind && k.group == group) return k.kind;
  }
  return std::nullopt;
}

// The rule of each kind, as one overload set over the object type: one overload per kind with a
// spec, one shared by the metadata-only kinds (kinds.h). A kind added to kKinds and AnyObject
// without its rule does not compile (DecodeByKind below).
template <DecodeNode N>
auto DecodeKind(std::type_identity<Service>, Decoder<N>& d, const N& obj, const Path& root,
                std::string_view) {
  return DecodeService(d, obj, root);
}
template <DecodeNode N>
auto DecodeKind(std::type_identity<EndpointSlice>, Decoder<N>& d, const N& obj, const Path& root,
                std::string_view) {
  return DecodeEndpointSlice(d, obj, root);
}
template <DecodeNode N>
auto DecodeKind(std::type_identity<Endpoints>, Decoder<N>& d, const N& obj, const Path& root,
                std::string_view) {
  return DecodeEndpoints(d, obj, root);
}
template <DecodeNode N>
auto DecodeKind(std::type_identity<Pod>, Decoder<N>& d, const N& obj, const Path& root,
                std::string_view) {
  return DecodePod(d, obj, root);
}
template <DecodeNode N>
auto DecodeKind(std::type_identity<ServiceProfile>, Decoder<N>& d, const N& obj, const Path& root,
                std::string_view api_version) {
  return DecodeServiceProfile(d, obj, root, api_version);
}
template <DecodeNode N>
auto DecodeKind(std::type_identity<TrafficSplit>, Decoder<N>& d, const N& obj, const Path& root,
                std::string_view api_version) {
  return DecodeTrafficSplit(d, obj, root, api_version);
}
template <DecodeNode N>
auto DecodeKind(std::type_identity<Server>, Decoder<N>& d, const N& obj, const Path& root,
                std::string_view api_version) {
  return DecodeServer(d, obj, root, api_version);
}
template <typename T, DecodeNode N>
requires std::is_base_of_v<HTTPRoute, T>
auto DecodeKind(std::type_identity<T>, Decoder<N>& d, const N& obj, const Path& root,
                std::string_view api_version) {
  return DecodeHTTPRoute<T>(d, obj, root, api_version);
}
template <DecodeNode N>
auto DecodeKind(std::type_identity<ReferenceGrant>, Decoder<N>& d, const N& obj, const Path& root,
                std::string_view) {
  return DecodeReferenceGrant(d, obj, root);
}
template <typename T, DecodeNode N>
requires(InfoOf(KindFor<T>).metadata_only) auto DecodeKind(std::type_identity<T>, Decoder<N>& d,
                                                           const N& obj, const Path& root,
                                                           std::string_view) {
  return DecodeMetaOnly<T>(d, obj, root, InfoOf(KindFor<T>).namespaced);
}

template <DecodeNode N, size_t... I>
AnyObject DecodeByKind(Kind kind, Decoder<N>& d, const N& obj, const Path& root,
                       std::string_view api_version, std::index_sequence<I...>) {
  AnyObject out;
  (void)((static_cast<size_t>(kind) == I &&
          (out = DecodeKind(std::type_identity<ObjectOf<static_cast<Kind>(I)>>(), d, obj, root,
                            api_version),
           true)) ||
         ...);
  return out;
}

// What metadata-only requests (Accept: ...;as=PartialObjectMetadata) return instead of the kind
// asked for: the object's metadata, under apiVersion meta.k8s.io/v1 (or v1beta1).
inline bool IsPartialObjectMetadata(std::string_view api_version, std::string_view kind) {
  return kind == "PartialObjectMetadata" && GroupOf(api_version) == "meta.k8s.io";
}

// Decodes one object at `root`. `default_api_version` and `default_kind` apply when the object
// omits them (items of a typed list), or when it is a PartialObjectMetadata (which then decodes as
// that kind, its fields other than metadata defaulted). Returns nullopt on error (see `d`) or when
// the kind is not watched, in which case `skipped` is set to "apiVersion/kind".
template <DecodeNode N>
std::optional<AnyObject> DecodeOne(Decoder<N>& d, const N& obj, const Path& root,
                                   std::string_view default_api_version,
                                   std::string_view default_kind, std::string& skipped) {
  if (!obj.is_map()) {
    d.Fail(obj, root, "expected an object (a map)");
    return std::nullopt;
  }
  std::string api_version(default_api_version);
  std::string kind(default_kind);
  d.String(obj, "apiVersion", root, api_version);
  d.String(obj, "kind", root, kind);
  if (!d.ok()) return std::nullopt;
  if (!default_kind.empty() && IsPartialObjectMetadata(api_version, kind)) {
    api_version = std::string(default_api_version);
    kind = std::string(default_kind);
  }
  if (kind.empty()) {
    d.Fail(obj, root.Field("kind"), "required");
    return std::nullopt;
  }
  if (api_version.empty()) {
    d.Fail(obj, root.Field("apiVersion"), "required");
    return std::nullopt;
  }
  const std::optional<Kind> watched = WatchedKindOf(api_version, kind);
  if (!watched) {
    skipped = absl::StrCat(api_version, "/", kind);
    return std::nullopt;
  }
  AnyObject out =
      DecodeByKind(*watched, d, obj, root, api_version, std::make_index_sequence<kNumKinds>());
  if (!d.ok()) return std::nullopt;
  return out;
}

inline std::string LinePrefix(int line) {
  return line > 0 ? absl::StrCat("line ", line, ": ") : "";
}

}  // namespace decoder_internal

// Decodes one object node with the rules above, as DecodeObjectAs (object_decoder.h) does:
// kNotFound for a kind not watched, kInvalidArgument with "[line L: ]field.path: reason" for a
// field of the wrong type or a missing required field. Does not catch the adapter's exceptions.
template <DecodeNode N>
absl::StatusOr<AnyObject> DecodeNodeAs(const N& node, std::string_view api_version,
                                       std::string_view kind) {
  decoder_internal::Decoder<N> d;
  std::string skipped;
  std::optional<AnyObject> out =
      decoder_internal::DecodeOne(d, node, decoder_internal::Path(), api_version, kind, skipped);
  if (!d.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(decoder_internal::LinePrefix(d.error().line), d.error().message));
  }
  if (!out) return absl::NotFoundError(absl::StrCat("kind not watched: ", skipped));
  return *std::move(out);
}

}  // namespace dest

#endif  // WATCHERS_DECODE_OBJECT_DECODER_RULES_H_
