#include "watchers/object_decoder.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace dest {
namespace {

// This Abseil build has its own string_view type (ABSL_OPTION_USE_STD_STRING_VIEW is 0).
absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

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

// Reads typed fields out of YAML nodes, remembering the first error. Once an error is recorded
// every reader becomes a no-op, so decoding functions read fields one after the other and the
// caller checks ok() at the end. A null value is treated as an absent field, as Kubernetes does.
class Decoder {
 public:
  bool ok() const { return !error_.has_value(); }
  const DecodeError& error() const { return *error_; }

  void Fail(const YAML::Node& at, const Path& path, std::string_view reason) {
    if (!ok()) return;
    const int line = at.IsDefined() && at.Mark().line >= 0 ? at.Mark().line + 1 : 0;
    Fail(line, path, reason);
  }
  void Fail(int line, const Path& path, std::string_view reason) {
    if (!ok()) return;
    std::string where = path.ToString();
    error_ = DecodeError{
        line, where.empty() ? std::string(reason) : absl::StrCat(where, ": ", Sv(reason))};
  }

  // The value under `key` in map `obj`; nullopt when `obj` is not a map, or the key is absent or
  // null.
  static std::optional<YAML::Node> Find(const YAML::Node& obj, std::string_view key) {
    if (!obj.IsMap()) return std::nullopt;
    for (const auto& kv : obj) {
      if (kv.first.IsScalar() && kv.first.Scalar() == key) {
        if (kv.second.IsNull()) return std::nullopt;
        return kv.second;
      }
    }
    return std::nullopt;
  }

  // Checks that `v` can hold an object's fields: a map, or null (an object with no fields).
  bool ExpectMap(const YAML::Node& v, const Path& path) {
    if (!ok()) return false;
    if (v.IsMap() || v.IsNull()) return true;
    Fail(v, path, "expected a map");
    return false;
  }

  // --- Values. Each reads `v` (at `path`) into `out`, or records an error and leaves `out`.

  void ReadString(const YAML::Node& v, const Path& path, std::string& out) {
    if (!ok()) return;
    if (v.IsNull()) {
      out.clear();
    } else if (v.IsScalar()) {
      out = v.Scalar();
    } else {
      Fail(v, path, "expected a string");
    }
  }

  // A quantity or integer kept as written (weights): any scalar.
  void ReadScalarText(const YAML::Node& v, const Path& path, std::string& out) {
    if (!ok()) return;
    if (v.IsScalar()) {
      out = v.Scalar();
    } else if (!v.IsNull()) {
      Fail(v, path, "expected a quantity (an integer or a string)");
    }
  }

  void ReadInt64(const YAML::Node& v, const Path& path, int64_t& out) {
    if (!ok()) return;
    switch (ParseInteger(v, out)) {
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

  void ReadInt32(const YAML::Node& v, const Path& path, int32_t& out) {
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

  void ReadBool(const YAML::Node& v, const Path& path, bool& out) {
    if (!ok()) return;
    bool value = false;
    // A quoted "true" is a string, not a boolean.
    if (!v.IsScalar() || v.Tag() == "!" || !YAML::convert<bool>::decode(v, value)) {
      Fail(v, path, "expected a boolean");
      return;
    }
    out = value;
  }

  void ReadDouble(const YAML::Node& v, const Path& path, double& out) {
    if (!ok()) return;
    double value = 0;
    bool parsed = false;
    if (v.IsScalar() && v.Tag() != "!") {
      std::string_view text = v.Scalar();
      if (text.starts_with('+')) text.remove_prefix(1);
      const char* end = text.data() + text.size();
      auto [ptr, ec] = std::from_chars(text.data(), end, value);
      parsed = !text.empty() && ec == std::errc() && ptr == end && std::isfinite(value);
    }
    if (!parsed) {
      Fail(v, path, "expected a number");
      return;
    }
    out = value;
  }

  // A port number or a port name. A plain scalar that looks like a number must be an integer.
  void ReadIntOrString(const YAML::Node& v, const Path& path, IntOrString& out) {
    if (!ok()) return;
    if (!v.IsScalar()) {
      Fail(v, path, "expected an integer or a name");
      return;
    }
    int64_t value = 0;
    switch (ParseInteger(v, value)) {
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
        if (v.Tag() != "!" && LooksLikeFloat(v.Scalar())) {
          Fail(v, path, "expected an integer or a name");
          return;
        }
        out = IntOrString{.is_int = false, .int_value = 0, .str_value = v.Scalar()};
        return;
    }
  }

  // --- Fields of map `obj` (at `path`). Absent or null fields leave `out` unchanged.

  void String(const YAML::Node& obj, std::string_view key, const Path& path, std::string& out) {
    if (auto v = Find(obj, key)) ReadString(*v, path.Field(key), out);
  }
  void OptString(const YAML::Node& obj, std::string_view key, const Path& path,
                 std::optional<std::string>& out) {
    if (auto v = Find(obj, key)) ReadString(*v, path.Field(key), out.emplace());
  }
  void ScalarText(const YAML::Node& obj, std::string_view key, const Path& path, std::string& out) {
    if (auto v = Find(obj, key)) ReadScalarText(*v, path.Field(key), out);
  }
  void Int32(const YAML::Node& obj, std::string_view key, const Path& path, int32_t& out) {
    if (auto v = Find(obj, key)) ReadInt32(*v, path.Field(key), out);
  }
  void Int64(const YAML::Node& obj, std::string_view key, const Path& path, int64_t& out) {
    if (auto v = Find(obj, key)) ReadInt64(*v, path.Field(key), out);
  }
  void Bool(const YAML::Node& obj, std::string_view key, const Path& path, bool& out) {
    if (auto v = Find(obj, key)) ReadBool(*v, path.Field(key), out);
  }
  void OptBool(const YAML::Node& obj, std::string_view key, const Path& path,
               std::optional<bool>& out) {
    if (auto v = Find(obj, key)) {
      bool value = false;
      ReadBool(*v, path.Field(key), value);
      if (ok()) out = value;
    }
  }
  void Double(const YAML::Node& obj, std::string_view key, const Path& path, double& out) {
    if (auto v = Find(obj, key)) ReadDouble(*v, path.Field(key), out);
  }

  // A map of strings (labels, annotations); scalar values of any type are kept as written.
  void StringMap(const YAML::Node& obj, std::string_view key, const Path& path,
                 std::map<std::string, std::string>& out) {
    auto v = Find(obj, key);
    if (!v) return;
    const Path p = path.Field(key);
    if (!ExpectMap(*v, p)) return;
    for (const auto& kv : *v) {
      if (!kv.first.IsScalar()) {
        Fail(kv.first, p, "expected string keys");
        return;
      }
      const std::string& name = kv.first.Scalar();
      ReadString(kv.second, p.Field(name), out[name]);
      if (!ok()) return;
    }
  }

  // The map under `key`; nullopt when absent, null, or not a map (an error).
  std::optional<YAML::Node> Map(const YAML::Node& obj, std::string_view key, const Path& path) {
    auto v = Find(obj, key);
    if (!v || !ok()) return std::nullopt;
    if (!v->IsMap()) {
      Fail(*v, path.Field(key), "expected a map");
      return std::nullopt;
    }
    return v;
  }

  // Decodes the list under `key` item by item with `decode(item, item_path, out_item)`, appending
  // to `out`.
  template <typename T, typename Fn>
  void List(const YAML::Node& obj, std::string_view key, const Path& path, std::vector<T>& out,
            Fn&& decode) {
    auto v = Find(obj, key);
    if (!v || !ok()) return;
    const Path p = path.Field(key);
    if (!v->IsSequence()) {
      Fail(*v, p, "expected a list");
      return;
    }
    out.reserve(out.size() + v->size());
    size_t i = 0;
    for (const auto& item : *v) {
      const Path ip = p.Index(i++);
      T decoded{};
      decode(item, ip, decoded);
      if (!ok()) return;
      out.push_back(std::move(decoded));
    }
  }

  void StringList(const YAML::Node& obj, std::string_view key, const Path& path,
                  std::vector<std::string>& out) {
    List(obj, key, path, out,
         [this](const YAML::Node& v, const Path& p, std::string& s) { ReadString(v, p, s); });
  }

 private:
  enum class IntResult { kOk, kNotInteger, kOutOfRange };

  // A decimal integer with an optional sign. Quoted scalars are strings, not integers.
  static IntResult ParseInteger(const YAML::Node& v, int64_t& out) {
    if (!v.IsScalar() || v.Tag() == "!") return IntResult::kNotInteger;
    std::string_view text = v.Scalar();
    if (text.starts_with('+')) text.remove_prefix(1);
    if (text.empty() || text.front() == '+') return IntResult::kNotInteger;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, out);
    if (ec == std::errc::result_out_of_range) return IntResult::kOutOfRange;
    if (ec != std::errc() || ptr != end) return IntResult::kNotInteger;
    return IntResult::kOk;
  }

  static bool LooksLikeFloat(std::string_view text) {
    if (text.empty()) return false;
    const char c = text.front();
    if (!(c == '+' || c == '-' || c == '.' || (c >= '0' && c <= '9'))) return false;
    if (c == '+') text.remove_prefix(1);
    double value = 0;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    return ptr == end && ec != std::errc::invalid_argument;
  }

  std::optional<DecodeError> error_;
};

// --- Shared pieces.

void DecodeOwnerReference(Decoder& d, const YAML::Node& v, const Path& p, OwnerReference& out) {
  if (!d.ExpectMap(v, p)) return;
  d.String(v, "apiVersion", p, out.api_version);
  d.String(v, "kind", p, out.kind);
  d.String(v, "name", p, out.name);
  d.Bool(v, "controller", p, out.controller);
}

void DecodeMeta(Decoder& d, const YAML::Node& obj, const Path& root, bool namespaced,
                ObjectMeta& meta) {
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
  meta.deleting = Decoder::Find(*m, "deletionTimestamp").has_value();
  d.StringMap(*m, "labels", mp, meta.labels);
  d.StringMap(*m, "annotations", mp, meta.annotations);
  d.List(*m, "ownerReferences", mp, meta.owner_references,
         [&d](const YAML::Node& v, const Path& p, OwnerReference& o) {
           DecodeOwnerReference(d, v, p, o);
         });
}

// A targetRef; its namespace defaults to the referring object's.
void DecodeObjectReference(Decoder& d, const YAML::Node& obj, const Path& path,
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

void DecodeEndpointPort(Decoder& d, const YAML::Node& v, const Path& p, EndpointPort& out) {
  if (!d.ExpectMap(v, p)) return;
  d.String(v, "name", p, out.name);
  d.Int32(v, "port", p, out.port);
  d.String(v, "protocol", p, out.protocol);
  if (out.protocol.empty()) out.protocol = "TCP";
}

// --- Service.

void DecodeServicePort(Decoder& d, const YAML::Node& v, const Path& p, ServicePort& out) {
  if (!d.ExpectMap(v, p)) return;
  d.String(v, "name", p, out.name);
  d.String(v, "protocol", p, out.protocol);
  if (out.protocol.empty()) out.protocol = "TCP";
  if (!Decoder::Find(v, "port")) {
    d.Fail(v, p.Field("port"), "required");
    return;
  }
  d.Int32(v, "port", p, out.port);
  if (auto target = Decoder::Find(v, "targetPort")) {
    d.ReadIntOrString(*target, p.Field("targetPort"), out.target_port);
  } else {
    out.target_port = IntOrString{.is_int = true, .int_value = out.port, .str_value = {}};
  }
}

std::shared_ptr<const Service> DecodeService(Decoder& d, const YAML::Node& obj, const Path& root) {
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
    d.List(*spec, "ports", sp, s->ports, [&d](const YAML::Node& v, const Path& p, ServicePort& o) {
      DecodeServicePort(d, v, p, o);
    });
  }
  return s;
}

// --- EndpointSlice.

void DecodeSliceEndpoint(Decoder& d, const YAML::Node& v, const Path& p,
                         const std::string& slice_ns, SliceEndpoint& out) {
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
    out.has_hints = Decoder::Find(*hints, "forZones").has_value();
    d.List(*hints, "forZones", hp, out.hint_zones,
           [&d](const YAML::Node& z, const Path& zp, std::string& zone) {
             if (d.ExpectMap(z, zp)) d.String(z, "name", zp, zone);
           });
  }
  DecodeObjectReference(d, v, p, slice_ns, out.target_ref);
}

std::shared_ptr<const EndpointSlice> DecodeEndpointSlice(Decoder& d, const YAML::Node& obj,
                                                         const Path& root) {
  auto s = std::make_shared<EndpointSlice>();
  DecodeMeta(d, obj, root, /*namespaced=*/true, s->meta);
  if (auto it = s->meta.labels.find("kubernetes.io/service-name"); it != s->meta.labels.end()) {
    s->service_name = it->second;
  }
  d.String(obj, "addressType", root, s->address_type);
  if (s->address_type.empty()) s->address_type = "IPv4";
  d.List(obj, "ports", root, s->ports, [&d](const YAML::Node& v, const Path& p, EndpointPort& o) {
    DecodeEndpointPort(d, v, p, o);
  });
  const std::string& ns = s->meta.ns;
  d.List(obj, "endpoints", root, s->endpoints,
         [&d, &ns](const YAML::Node& v, const Path& p, SliceEndpoint& o) {
           DecodeSliceEndpoint(d, v, p, ns, o);
         });
  return s;
}

// --- Endpoints.

void DecodeEndpointAddress(Decoder& d, const YAML::Node& v, const Path& p, const std::string& ns,
                           EndpointAddress& out) {
  if (!d.ExpectMap(v, p)) return;
  d.String(v, "ip", p, out.ip);
  d.String(v, "hostname", p, out.hostname);
  d.String(v, "nodeName", p, out.node_name);
  DecodeObjectReference(d, v, p, ns, out.target_ref);
}

void DecodeEndpointSubset(Decoder& d, const YAML::Node& v, const Path& p, const std::string& ns,
                          EndpointSubset& out) {
  if (!d.ExpectMap(v, p)) return;
  auto address = [&d, &ns](const YAML::Node& a, const Path& ap, EndpointAddress& o) {
    DecodeEndpointAddress(d, a, ap, ns, o);
  };
  d.List(v, "addresses", p, out.addresses, address);
  d.List(v, "notReadyAddresses", p, out.not_ready_addresses, address);
  d.List(v, "ports", p, out.ports, [&d](const YAML::Node& pv, const Path& pp, EndpointPort& o) {
    DecodeEndpointPort(d, pv, pp, o);
  });
}

std::shared_ptr<const Endpoints> DecodeEndpoints(Decoder& d, const YAML::Node& obj,
                                                 const Path& root) {
  auto e = std::make_shared<Endpoints>();
  DecodeMeta(d, obj, root, /*namespaced=*/true, e->meta);
  const std::string& ns = e->meta.ns;
  d.List(obj, "subsets", root, e->subsets,
         [&d, &ns](const YAML::Node& v, const Path& p, EndpointSubset& o) {
           DecodeEndpointSubset(d, v, p, ns, o);
         });
  return e;
}

// --- Pod.

void DecodeContainer(Decoder& d, const YAML::Node& v, const Path& p, Container& out) {
  if (!d.ExpectMap(v, p)) return;
  d.String(v, "name", p, out.name);
  d.List(v, "ports", p, out.ports, [&d](const YAML::Node& pv, const Path& pp, ContainerPort& port) {
    if (!d.ExpectMap(pv, pp)) return;
    d.String(pv, "name", pp, port.name);
    d.Int32(pv, "containerPort", pp, port.container_port);
    d.Int32(pv, "hostPort", pp, port.host_port);
    d.String(pv, "protocol", pp, port.protocol);
    if (port.protocol.empty()) port.protocol = "TCP";
  });
  d.List(v, "env", p, out.env, [&d](const YAML::Node& ev, const Path& ep, EnvVar& env) {
    if (!d.ExpectMap(ev, ep)) return;
    d.String(ev, "name", ep, env.name);
    d.String(ev, "value", ep, env.value);  // valueFrom is not resolved
  });
}

std::shared_ptr<const Pod> DecodePod(Decoder& d, const YAML::Node& obj, const Path& root) {
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
    auto container = [&d](const YAML::Node& v, const Path& p, Container& o) {
      DecodeContainer(d, v, p, o);
    };
    d.List(*spec, "containers", sp, pod->containers, container);
    // Native sidecars (init containers with restartPolicy Always) run alongside the app
    // containers for the pod's whole life (the proxy may be one), so they count as containers.
    std::vector<std::optional<Container>> init;
    d.List(*spec, "initContainers", sp, init,
           [&d](const YAML::Node& v, const Path& p, std::optional<Container>& o) {
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
    d.List(*status, "podIPs", stp, pod->pod_ips,
           [&d](const YAML::Node& v, const Path& p, std::string& ip) {
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

template <typename T>
std::shared_ptr<const T> DecodeMetaOnly(Decoder& d, const YAML::Node& obj, const Path& root,
                                        bool namespaced) {
  auto o = std::make_shared<T>();
  DecodeMeta(d, obj, root, namespaced, o->meta);
  return o;
}

// --- ServiceProfile.

void DecodeRequestMatch(Decoder& d, const YAML::Node& v, const Path& p, RequestMatchSpec& out) {
  if (!d.ExpectMap(v, p)) return;
  auto sub = [&d](const YAML::Node& sv, const Path& sp, RequestMatchSpec& o) {
    DecodeRequestMatch(d, sv, sp, o);
  };
  d.List(v, "all", p, out.all, sub);
  d.List(v, "any", p, out.any, sub);
  if (auto n = d.Map(v, "not", p)) {
    DecodeRequestMatch(d, *n, p.Field("not"), out.not_.emplace_back());
  }
  d.OptString(v, "pathRegex", p, out.path_regex);
  d.OptString(v, "method", p, out.method);
}

void DecodeResponseMatch(Decoder& d, const YAML::Node& v, const Path& p, ResponseMatchSpec& out) {
  if (!d.ExpectMap(v, p)) return;
  auto sub = [&d](const YAML::Node& sv, const Path& sp, ResponseMatchSpec& o) {
    DecodeResponseMatch(d, sv, sp, o);
  };
  d.List(v, "all", p, out.all, sub);
  d.List(v, "any", p, out.any, sub);
  if (auto n = d.Map(v, "not", p)) {
    DecodeResponseMatch(d, *n, p.Field("not"), out.not_.emplace_back());
  }
  if (auto s = d.Map(v, "status", p)) {
    const Path sp = p.Field("status");
    StatusRangeSpec& range = out.status.emplace();
    d.Int64(*s, "min", sp, range.min);
    d.Int64(*s, "max", sp, range.max);
  }
}

void DecodeRoute(Decoder& d, const YAML::Node& v, const Path& p, RouteSpec& out) {
  if (!d.ExpectMap(v, p)) return;
  d.String(v, "name", p, out.name);
  if (auto c = d.Map(v, "condition", p)) {
    DecodeRequestMatch(d, *c, p.Field("condition"), out.condition.emplace());
  }
  d.List(v, "responseClasses", p, out.response_classes,
         [&d](const YAML::Node& rv, const Path& rp, ResponseClassSpec& rc) {
           if (!d.ExpectMap(rv, rp)) return;
           if (auto c = d.Map(rv, "condition", rp)) {
             DecodeResponseMatch(d, *c, rp.Field("condition"), rc.condition.emplace());
           }
           d.Bool(rv, "isFailure", rp, rc.is_failure);
         });
  d.Bool(v, "isRetryable", p, out.is_retryable);
  d.OptString(v, "timeout", p, out.timeout);
}

std::shared_ptr<const ServiceProfile> DecodeServiceProfile(Decoder& d, const YAML::Node& obj,
                                                           const Path& root,
                                                           std::string_view api_version) {
  auto sp = std::make_shared<ServiceProfile>();
  DecodeMeta(d, obj, root, /*namespaced=*/true, sp->meta);
  sp->api_version = std::string(api_version);
  const Path p = root.Field("spec");
  auto spec = d.Map(obj, "spec", root);
  if (!spec) return sp;
  d.List(*spec, "routes", p, sp->routes,
         [&d](const YAML::Node& v, const Path& rp, RouteSpec& r) { DecodeRoute(d, v, rp, r); });
  if (auto budget = d.Map(*spec, "retryBudget", p)) {
    const Path bp = p.Field("retryBudget");
    RetryBudgetSpec& b = sp->retry_budget.emplace();
    d.Double(*budget, "retryRatio", bp, b.retry_ratio);
    d.Int64(*budget, "minRetriesPerSecond", bp, b.min_retries_per_second);
    d.String(*budget, "ttl", bp, b.ttl);
  }
  d.List(*spec, "dstOverrides", p, sp->dst_overrides,
         [&d](const YAML::Node& v, const Path& op, DstOverrideSpec& o) {
           if (!d.ExpectMap(v, op)) return;
           d.String(v, "authority", op, o.authority);
           d.ScalarText(v, "weight", op, o.weight);
         });
  sp->opaque_ports_set = Decoder::Find(*spec, "opaquePorts").has_value();
  return sp;
}

// --- TrafficSplit.

std::shared_ptr<const TrafficSplit> DecodeTrafficSplit(Decoder& d, const YAML::Node& obj,
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
         [&d](const YAML::Node& v, const Path& bp, TrafficSplitBackend& b) {
           if (!d.ExpectMap(v, bp)) return;
           d.String(v, "service", bp, b.service);
           d.ScalarText(v, "weight", bp, b.weight);
         });
  d.List(*spec, "matches", p, ts->matches,
         [&d](const YAML::Node& v, const Path& mp, TrafficSplitMatch& m) {
           if (!d.ExpectMap(v, mp)) return;
           d.String(v, "kind", mp, m.kind);
           d.String(v, "name", mp, m.name);
           d.String(v, "apiGroup", mp, m.api_group);
         });
  return ts;
}

// --- Dispatch.

// The API group of an apiVersion: "apps" for "apps/v1", "" (core) for "v1".
std::string_view GroupOf(std::string_view api_version) {
  const size_t slash = api_version.find('/');
  return slash == std::string_view::npos ? std::string_view() : api_version.substr(0, slash);
}

struct WatchedKind {
  std::string_view group;
  std::string_view kind;
  Kind value;
};

// Matched on kind and group; the version is not checked, so objects stored under another version
// of the same group still decode.
constexpr WatchedKind kWatchedKinds[] = {
    {"", "Service", Kind::kService},
    {"discovery.k8s.io", "EndpointSlice", Kind::kEndpointSlice},
    {"", "Endpoints", Kind::kEndpoints},
    {"", "Pod", Kind::kPod},
    {"apps", "ReplicaSet", Kind::kReplicaSet},
    {"batch", "Job", Kind::kJob},
    {"", "Node", Kind::kNode},
    {"linkerd.io", "ServiceProfile", Kind::kServiceProfile},
    {"split.smi-spec.io", "TrafficSplit", Kind::kTrafficSplit},
};

std::optional<Kind> WatchedKindOf(std::string_view api_version, std::string_view kind) {
  const std::string_view group = GroupOf(api_version);
  for (const WatchedKind& k : kWatchedKinds) {
    if (k.kind == kind && k.group == group) return k.value;
  }
  return std::nullopt;
}

// Decodes one object at `root`. `default_api_version` and `default_kind` apply when the object
// omits them (items of a typed list). Returns nullopt on error (see `d`) or when the kind is not
// watched, in which case `skipped` is set to "apiVersion/kind".
std::optional<AnyObject> DecodeOne(Decoder& d, const YAML::Node& obj, const Path& root,
                                   std::string_view default_api_version,
                                   std::string_view default_kind, std::string& skipped) {
  try {
    if (!obj.IsMap()) {
      d.Fail(obj, root, "expected an object (a map)");
      return std::nullopt;
    }
    std::string api_version(default_api_version);
    std::string kind(default_kind);
    d.String(obj, "apiVersion", root, api_version);
    d.String(obj, "kind", root, kind);
    if (!d.ok()) return std::nullopt;
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
    AnyObject out;
    switch (*watched) {
      case Kind::kService:
        out = DecodeService(d, obj, root);
        break;
      case Kind::kEndpointSlice:
        out = DecodeEndpointSlice(d, obj, root);
        break;
      case Kind::kEndpoints:
        out = DecodeEndpoints(d, obj, root);
        break;
      case Kind::kPod:
        out = DecodePod(d, obj, root);
        break;
      case Kind::kReplicaSet:
        out = DecodeMetaOnly<ReplicaSet>(d, obj, root, /*namespaced=*/true);
        break;
      case Kind::kJob:
        out = DecodeMetaOnly<Job>(d, obj, root, /*namespaced=*/true);
        break;
      case Kind::kNode:
        out = DecodeMetaOnly<Node>(d, obj, root, /*namespaced=*/false);
        break;
      case Kind::kServiceProfile:
        out = DecodeServiceProfile(d, obj, root, api_version);
        break;
      case Kind::kTrafficSplit:
        out = DecodeTrafficSplit(d, obj, root, api_version);
        break;
    }
    if (!d.ok()) return std::nullopt;
    return out;
  } catch (const YAML::Exception& e) {
    // Not expected: the readers check node types before converting. Kept so that no yaml-cpp
    // exception escapes the module.
    d.Fail(e.mark.line >= 0 ? e.mark.line + 1 : 0, root, e.msg);
    return std::nullopt;
  }
}

// Receives parse events and keeps only where the current document started.
class DocumentStartRecorder : public YAML::EventHandler {
 public:
  const YAML::Mark& start() const { return start_; }

  void OnDocumentStart(const YAML::Mark& mark) override { start_ = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

 private:
  YAML::Mark start_ = YAML::Mark::null_mark();
};

// yaml-cpp 0.7's LoadAll never returns, allocating without bound, when a document starts with a
// token its parser cannot place, such as a stray ',' (jbeder/yaml-cpp#1040, fixed upstream after
// 0.7): the parser then reports the same empty document forever. This pass walks the documents
// without building them and returns where such a document starts, so LoadAll is never called on
// it. Syntax errors throw YAML::ParserException, as LoadAll would.
std::optional<YAML::Mark> FindStuckDocument(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStartRecorder recorder;
  int last_start = -1;
  while (parser.HandleNextDocument(recorder)) {
    // Every document consumes at least one token, so a document starting where the previous one
    // started means the parser is making no progress.
    if (recorder.start().pos == last_start) return recorder.start();
    last_start = recorder.start().pos;
  }
  return std::nullopt;
}

std::string LinePrefix(int line) { return line > 0 ? absl::StrCat("line ", line, ": ") : ""; }

absl::StatusOr<AnyObject> DecodeObjectWithDefaults(const YAML::Node& node,
                                                   std::string_view api_version,
                                                   std::string_view kind) {
  Decoder d;
  std::string skipped;
  std::optional<AnyObject> out = DecodeOne(d, node, Path(), api_version, kind, skipped);
  if (!d.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(LinePrefix(d.error().line), d.error().message));
  }
  if (!out) return absl::NotFoundError(absl::StrCat("kind not watched: ", skipped));
  return *std::move(out);
}

// A `kind: List`, or a typed list such as `ServiceList` carrying `items`.
bool IsList(const YAML::Node& doc, std::string_view kind) {
  if (kind == "List") return true;
  return kind.size() > 4 && kind.ends_with("List") && Decoder::Find(doc, "items");
}

}  // namespace

absl::StatusOr<AnyObject> DecodeObject(const YAML::Node& node) {
  return DecodeObjectWithDefaults(node, "", "");
}

absl::StatusOr<AnyObject> DecodeObjectAs(const YAML::Node& node, std::string_view api_version,
                                         std::string_view kind) {
  return DecodeObjectWithDefaults(node, api_version, kind);
}

absl::StatusOr<DecodedManifest> ParseManifest(std::string_view file_name,
                                              std::string_view content) {
  auto error = [file_name](int line, std::string_view message) {
    return absl::InvalidArgumentError(
        line > 0 ? absl::StrCat(Sv(file_name), ":", line, ": ", Sv(message))
                 : absl::StrCat(Sv(file_name), ": ", Sv(message)));
  };
  const std::string text(content);
  std::vector<YAML::Node> docs;
  try {
    if (std::optional<YAML::Mark> stuck = FindStuckDocument(text)) {
      return error(stuck->line + 1, absl::StrCat("unexpected '", Sv(text.substr(stuck->pos, 1)),
                                                 "' at the start of a document"));
    }
    docs = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    return error(e.mark.line >= 0 ? e.mark.line + 1 : 0, e.msg);
  }

  DecodedManifest out;
  Decoder d;
  const Path root;
  auto decode = [&](const YAML::Node& obj, const Path& path, std::string_view api_version,
                    std::string_view kind) {
    std::string skipped;
    std::optional<AnyObject> o = DecodeOne(d, obj, path, api_version, kind, skipped);
    if (o) {
      out.objects.push_back(*std::move(o));
    } else if (d.ok()) {
      out.skipped.push_back(std::move(skipped));
    }
  };
  for (const YAML::Node& doc : docs) {
    if (doc.IsNull() || (doc.IsMap() && doc.size() == 0)) continue;  // empty document
    try {
      std::string kind;
      std::string api_version;
      if (doc.IsMap()) {
        d.String(doc, "kind", root, kind);
        d.String(doc, "apiVersion", root, api_version);
      }
      if (d.ok() && IsList(doc, kind)) {
        // Items of a typed list may omit apiVersion and kind; a plain List's items may not.
        std::string item_kind;
        std::string item_api_version;
        if (kind != "List") {
          item_kind = kind.substr(0, kind.size() - 4);
          item_api_version = api_version;
        }
        const Path items_path = root.Field("items");
        if (auto items = Decoder::Find(doc, "items"); items && !items->IsSequence()) {
          d.Fail(*items, items_path, "expected a list");
        } else if (items) {
          size_t i = 0;
          for (const YAML::Node& item : *items) {
            decode(item, items_path.Index(i++), item_api_version, item_kind);
            if (!d.ok()) break;
          }
        }
      } else {
        decode(doc, root, "", "");
      }
    } catch (const YAML::Exception& e) {
      d.Fail(e.mark.line >= 0 ? e.mark.line + 1 : 0, root, e.msg);
    }
    if (!d.ok()) return error(d.error().line, d.error().message);
  }
  return out;
}

}  // namespace dest
