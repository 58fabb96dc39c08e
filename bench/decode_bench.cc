// decode_bench: how many Kubernetes watch events per second one thread turns into typed objects,
// for each JSON library the Kubernetes source could use (issue 5).
//
// Every path runs the same decoding rules (watchers/decode/object_decoder_rules.h) through its own node
// adapter, so the figures compare the parsers and their DOM access, not the rules:
//   simdjson   simdjson DOM parse of the event line, the object element decoded in place (what
//              watchers/kube/kube_source.cc does);
//   nlohmann   nlohmann::json parse of the line, decoded through an nlohmann adapter;
//   rapidjson  RapidJSON Document parse of the line, decoded through a RapidJSON adapter;
//   yaml-cpp   the previous path: simdjson parse of the line, the object minified to text,
//              re-parsed by yaml-cpp and decoded from YAML::Node.
// The events are realistic `{"type":"MODIFIED","object":{...}}` lines: a 5.8 KB Pod (managedFields,
// an init container, two containers with ports and env, status with conditions and container
// statuses) and an EndpointSlice of 100 endpoints (`--endpoints`) as the endpointslice controller
// writes them: ~200 bytes per endpoint (conditions, targetRef, nodeName, zone), 21.7 KB in all.
// Before timing, every path's decoded object is checked to be the same.
//
// Rates are per CPU second of the benchmarking thread (CLOCK_THREAD_CPUTIME_ID), best of
// `--runs` runs interleaved across the paths, so a busy machine disturbs them less.
// Output: a table, then one JSON line with every figure. Figures, not pass/fail: see
// docs/benchmarks.md.
#include <rapidjson/document.h>
#include <simdjson.h>
#include <time.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/marshalling.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "watchers/decode/decode_node.h"
#include "watchers/decode/json_decoder.h"
#include "watchers/decode/object_decoder.h"
#include "watchers/decode/object_decoder_rules.h"
#include "watchers/objects.h"

ABSL_FLAG(double, seconds, 1.0, "CPU seconds of one timed run of one path on one object");
ABSL_FLAG(int, runs, 3, "timed runs per path and object; the best is reported");
ABSL_FLAG(int, endpoints, 100, "endpoints in the EndpointSlice");
ABSL_FLAG(std::vector<std::string>, paths,
          std::vector<std::string>({"simdjson", "nlohmann", "rapidjson", "yaml-cpp"}),
          "the paths to time, comma-separated (to profile one)");

namespace dest {
namespace {

// --- Adapters for the other libraries, following decode_node.h.

template <typename T>
void AssignNumber(T value, std::string& out) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  out.assign(buf, ec == std::errc() ? end : buf);
}

// nlohmann::json reads non-negative integers as unsigned, negative ones as signed, anything with
// a fraction or an exponent (and integers beyond uint64) as double.
class NlohmannNode {
 public:
  explicit NlohmannNode(const nlohmann::json* j) : j_(j) {}

  bool is_map() const { return j_->is_object(); }
  bool is_seq() const { return j_->is_array(); }
  bool is_scalar() const { return j_->is_string() || j_->is_number() || j_->is_boolean(); }
  bool is_null() const { return j_->is_null(); }

  std::optional<NlohmannNode> find(std::string_view key) const {
    if (!j_->is_object()) return std::nullopt;
    auto it = j_->find(key);
    if (it == j_->end()) return std::nullopt;
    return NlohmannNode(&*it);
  }

  size_t size() const { return j_->is_array() ? j_->size() : 0; }

  template <typename Fn>
  void for_each_item(Fn&& fn) const {
    if (!j_->is_array()) return;
    for (const nlohmann::json& item : *j_) {
      if (!fn(NlohmannNode(&item))) return;
    }
  }

  template <typename Fn>
  void for_each_member(Fn&& fn) const {
    if (!j_->is_object()) return;
    for (auto it = j_->begin(); it != j_->end(); ++it) {
      if (!fn(std::optional<std::string_view>(it.key()), NlohmannNode(&it.value()))) return;
    }
  }

  void scalar_text(std::string& out) const {
    if (j_->is_string()) {
      out = j_->get_ref<const std::string&>();
    } else if (j_->is_number_unsigned()) {
      AssignNumber(j_->get<uint64_t>(), out);
    } else if (j_->is_number_integer()) {
      AssignNumber(j_->get<int64_t>(), out);
    } else if (j_->is_number_float()) {
      AssignNumber(j_->get<double>(), out);
    } else if (j_->is_boolean()) {
      out = j_->get<bool>() ? "true" : "false";
    } else {
      out.clear();
    }
  }

  IntResult integer(int64_t& out) const {
    if (j_->is_number_unsigned()) {
      const uint64_t v = j_->get<uint64_t>();
      if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return IntResult::kOutOfRange;
      }
      out = static_cast<int64_t>(v);
      return IntResult::kOk;
    }
    if (j_->is_number_integer()) {
      out = j_->get<int64_t>();
      return IntResult::kOk;
    }
    return IntResult::kNotInteger;
  }

  bool boolean(bool& out) const {
    if (!j_->is_boolean()) return false;
    out = j_->get<bool>();
    return true;
  }

  bool number(double& out) const {
    if (!j_->is_number()) return false;
    out = j_->get<double>();
    return true;
  }

  bool is_number() const { return j_->is_number(); }
  int line() const { return 0; }

 private:
  const nlohmann::json* j_;
};
static_assert(DecodeNode<NlohmannNode>);

// RapidJSON types integers by the narrowest of int/uint/int64/uint64 they fit, anything with a
// fraction or an exponent (and integers beyond uint64) as double.
class RapidJsonNode {
 public:
  explicit RapidJsonNode(const rapidjson::Value* v) : v_(v) {}

  bool is_map() const { return v_->IsObject(); }
  bool is_seq() const { return v_->IsArray(); }
  bool is_scalar() const { return v_->IsString() || v_->IsNumber() || v_->IsBool(); }
  bool is_null() const { return v_->IsNull(); }

  std::optional<RapidJsonNode> find(std::string_view key) const {
    if (!v_->IsObject()) return std::nullopt;
    auto it = v_->FindMember(rapidjson::Value(
        rapidjson::StringRef(key.data(), static_cast<rapidjson::SizeType>(key.size()))));
    if (it == v_->MemberEnd()) return std::nullopt;
    return RapidJsonNode(&it->value);
  }

  size_t size() const { return v_->IsArray() ? v_->Size() : 0; }

  template <typename Fn>
  void for_each_item(Fn&& fn) const {
    if (!v_->IsArray()) return;
    for (const rapidjson::Value& item : v_->GetArray()) {
      if (!fn(RapidJsonNode(&item))) return;
    }
  }

  template <typename Fn>
  void for_each_member(Fn&& fn) const {
    if (!v_->IsObject()) return;
    for (const auto& member : v_->GetObject()) {
      const std::string_view key(member.name.GetString(), member.name.GetStringLength());
      if (!fn(std::optional<std::string_view>(key), RapidJsonNode(&member.value))) return;
    }
  }

  void scalar_text(std::string& out) const {
    if (v_->IsString()) {
      out.assign(v_->GetString(), v_->GetStringLength());
    } else if (v_->IsInt64()) {
      AssignNumber(v_->GetInt64(), out);
    } else if (v_->IsUint64()) {
      AssignNumber(v_->GetUint64(), out);
    } else if (v_->IsDouble()) {
      AssignNumber(v_->GetDouble(), out);
    } else if (v_->IsBool()) {
      out = v_->GetBool() ? "true" : "false";
    } else {
      out.clear();
    }
  }

  IntResult integer(int64_t& out) const {
    if (v_->IsInt64()) {
      out = v_->GetInt64();
      return IntResult::kOk;
    }
    if (v_->IsUint64()) return IntResult::kOutOfRange;  // above INT64_MAX
    return IntResult::kNotInteger;
  }

  bool boolean(bool& out) const {
    if (!v_->IsBool()) return false;
    out = v_->GetBool();
    return true;
  }

  bool number(double& out) const {
    if (!v_->IsNumber()) return false;
    out = v_->GetDouble();
    return true;
  }

  bool is_number() const { return v_->IsNumber(); }
  int line() const { return 0; }

 private:
  const rapidjson::Value* v_;
};
static_assert(DecodeNode<RapidJsonNode>);

// --- The events.

// A Pod as the API server sends it (kubectl get -o json, minified): ~5 KB.
std::string PodJson() {
  std::string env;
  const char* proxy_env[][2] = {
      {"LINKERD2_PROXY_LOG", "warn,linkerd=info,hickory=error"},
      {"LINKERD2_PROXY_DESTINATION_SVC_ADDR",
       "linkerd-dst-headless.linkerd.svc.cluster.local:8086"},
      {"LINKERD2_PROXY_ADMIN_LISTEN_ADDR", "0.0.0.0:4191"},
      {"LINKERD2_PROXY_OUTBOUND_LISTEN_ADDR", "127.0.0.1:4140"},
      {"LINKERD2_PROXY_INBOUND_LISTEN_ADDR", "0.0.0.0:4143"},
      {"LINKERD2_PROXY_INBOUND_PORTS", "8080,9090"},
  };
  for (const auto& [name, value] : proxy_env) {
    absl::StrAppend(&env, R"({"name":")", name, R"(","value":")", value, R"("},)");
  }
  absl::StrAppend(&env, R"({"name":"_pod_ns","valueFrom":{"fieldRef":{"apiVersion":"v1",)"
                        R"("fieldPath":"metadata.namespace"}}})");
  return absl::StrCat(
      R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-5d8f7c9b4d-x7k2p",)"
      R"("generateName":"web-5d8f7c9b4d-","namespace":"shop",)"
      R"("uid":"0f3e2b9c-1d4a-4c55-9a0e-8f1b2c3d4e5f","resourceVersion":"91827364",)"
      R"("creationTimestamp":"2024-05-01T10:00:05Z","labels":{"app":"web",)"
      R"("linkerd.io/control-plane-ns":"linkerd","linkerd.io/proxy-deployment":"web",)"
      R"("linkerd.io/workload-ns":"shop","pod-template-hash":"5d8f7c9b4d","version":"v2"},)"
      R"("annotations":{"linkerd.io/created-by":"linkerd/proxy-injector stable-2.14.10",)"
      R"("linkerd.io/inject":"enabled","linkerd.io/proxy-version":"stable-2.14.10",)"
      R"("config.linkerd.io/opaque-ports":"3306",)"
      R"("kubectl.kubernetes.io/restartedAt":"2024-05-01T09:59:00Z"},)"
      R"("ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-5d8f7c9b4d",)"
      R"("uid":"6b1f0000-0000-0000-0000-000000000001","controller":true,)"
      R"("blockOwnerDeletion":true}],)"
      R"("managedFields":[{"manager":"kube-controller-manager","operation":"Update",)"
      R"("apiVersion":"v1",)"
      R"("time":"2024-05-01T10:00:05Z","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{)"
      R"("f:annotations":{".":{},"f:kubectl.kubernetes.io/restartedAt":{}},"f:generateName":{},)"
      R"("f:labels":{".":{},"f:app":{},"f:pod-template-hash":{},"f:version":{}},)"
      R"("f:ownerReferences":{".":{},"k:{\"uid\":\"6b1f0000-0000-0000-0000-000000000001\"}":{}}},)"
      R"("f:spec":{"f:containers":{"k:{\"name\":\"app\"}":{".":{},"f:image":{},"f:name":{}}},)"
      R"("f:dnsPolicy":{},"f:restartPolicy":{},"f:schedulerName":{}}}},)"
      R"({"manager":"kubelet","operation":"Update","apiVersion":"v1",)"
      R"("time":"2024-05-01T10:00:12Z",)"
      R"("fieldsType":"FieldsV1","fieldsV1":{"f:status":{"f:conditions":{)"
      R"("k:{\"type\":\"Ready\"}":{".":{},"f:lastProbeTime":{},"f:lastTransitionTime":{},)"
      R"("f:status":{},"f:type":{}}},"f:containerStatuses":{},"f:hostIP":{},"f:phase":{},)"
      R"("f:podIP":{},"f:podIPs":{".":{},"k:{\"ip\":\"10.42.0.17\"}":{".":{},"f:ip":{}}},)"
      R"("f:startTime":{}}},"subresource":"status"}]},)"
      R"("spec":{"volumes":[{"name":"kube-api-access-7xq2m","projected":{"sources":[)"
      R"({"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}},)"
      R"({"configMap":{"name":"kube-root-ca.crt","items":[{"key":"ca.crt","path":"ca.crt"}]}}],)"
      R"("defaultMode":420}},{"name":"linkerd-identity-end-entity",)"
      R"("emptyDir":{"medium":"Memory"}}],)"
      R"("initContainers":[{"name":"linkerd-init","image":"cr.l5d.io/linkerd/proxy-init:v2.2.3",)"
      R"("args":["--incoming-proxy-port","4143","--outgoing-proxy-port","4140","--proxy-uid",)"
      R"("2102"],)"
      R"("resources":{"limits":{"cpu":"100m","memory":"20Mi"}},)"
      R"("terminationMessagePath":"/dev/termination-log","imagePullPolicy":"IfNotPresent",)"
      R"("securityContext":{"capabilities":{"add":["NET_ADMIN","NET_RAW"]},"runAsUser":65534}}],)"
      R"("containers":[{"name":"linkerd-proxy","image":"cr.l5d.io/linkerd/proxy:stable-2.14.10",)"
      R"("ports":[{"name":"linkerd-proxy","containerPort":4143,"protocol":"TCP"},)"
      R"({"name":"linkerd-admin","containerPort":4191,"protocol":"TCP"}],"env":[)",
      env,
      R"(],"resources":{},"livenessProbe":{"httpGet":{"path":"/live","port":4191,"scheme":"HTTP"},)"
      R"("initialDelaySeconds":10,"timeoutSeconds":1,"periodSeconds":10)"
      R"(},"terminationMessagePath":"/dev/termination-log",)"
      R"("imagePullPolicy":"IfNotPresent","securityContext":{"allowPrivilegeEscalation":false,)"
      R"("readOnlyRootFilesystem":true,"runAsUser":2102}},)"
      R"({"name":"app","image":"example/web:1.2.3","ports":[{"name":"http","containerPort":8080,)"
      R"("protocol":"TCP"},{"name":"metrics","containerPort":9090,"protocol":"TCP"}],)"
      R"("env":[{"name":"MODE","value":"production"},{"name":"LOG_LEVEL","value":"info"}],)"
      R"("resources":{"requests":{"cpu":"250m","memory":"256Mi"}},)"
      R"("readinessProbe":{"httpGet":{"path":"/ready","port":"http","scheme":"HTTP"}},)"
      R"("volumeMounts":[{"name":"kube-api-access-7xq2m","readOnly":true,)"
      R"("mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}],)"
      R"("terminationMessagePath":"/dev/termination-log","imagePullPolicy":"IfNotPresent"}],)"
      R"("restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst",)"
      R"("serviceAccountName":"web","serviceAccount":"web","nodeName":"node-a-7f3c",)"
      R"("securityContext":{},"schedulerName":"default-scheduler","tolerations":[)"
      R"({"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute",)"
      R"("tolerationSeconds":300}],"priority":0,"enableServiceLinks":true,)"
      R"("preemptionPolicy":"PreemptLowerPriority"},)"
      R"("status":{"phase":"Running","conditions":[)"
      R"({"type":"Initialized","status":"True","lastProbeTime":null,)"
      R"("lastTransitionTime":"2024-05-01T10:00:07Z"},)"
      R"({"type":"Ready","status":"True","lastProbeTime":null,)"
      R"("lastTransitionTime":"2024-05-01T10:00:12Z"},)"
      R"({"type":"PodScheduled","status":"True","lastProbeTime":null,)"
      R"("lastTransitionTime":"2024-05-01T10:00:05Z"}],)"
      R"("hostIP":"192.168.1.10","hostIPs":[{"ip":"192.168.1.10"}],"podIP":"10.42.0.17",)"
      R"("podIPs":[{"ip":"10.42.0.17"}],"startTime":"2024-05-01T10:00:05Z",)"
      R"("containerStatuses":[)"
      R"({"name":"app","state":{"running":{"startedAt":"2024-05-01T10:00:09Z"}},"lastState":{},)"
      R"("ready":true,"restartCount":0,"image":"docker.io/example/web:1.2.3",)"
      R"("imageID":"docker.io/example/web@sha256:d4e5f6","containerID":"containerd://7a8b9c",)"
      R"("started":true},{"name":"linkerd-proxy",)"
      R"("state":{"running":{"startedAt":"2024-05-01T10:00:07Z"}},)"
      R"("lastState":{},"ready":true,"restartCount":0,)"
      R"("image":"cr.l5d.io/linkerd/proxy:stable-2.14.10",)"
      R"("imageID":"cr.l5d.io/linkerd/proxy@sha256:0d1e2f","containerID":"containerd://3c4d5e",)"
      R"("started":true}],"qosClass":"Burstable"}})");
}

// An EndpointSlice of `n` endpoints as the endpointslice controller writes it.
std::string SliceJson(int n) {
  const char* const kZones[] = {"a", "b", "c"};
  std::string endpoints;
  for (int i = 0; i < n; ++i) {
    absl::StrAppend(&endpoints, i == 0 ? "" : ",", R"({"addresses":["10.42.)", i / 200, ".",
                    i % 200 + 10, R"("],"conditions":{"ready":)", i % 10 == 9 ? "false" : "true",
                    R"(,"serving":true,"terminating":false},"targetRef":{"kind":"Pod",)",
                    R"("namespace":"shop","name":"web-5d8f7c9b4d-)", absl::StrFormat("%05d", i),
                    R"("},"nodeName":"node-)", i % 8, R"(","zone":"zone-)", kZones[i % 3], R"("})");
  }
  return absl::StrCat(
      R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{)"
      R"("name":"web-x2f9q","generateName":"web-","namespace":"shop",)"
      R"("uid":"e1e2e3e4-0000-4000-8000-000000000001","resourceVersion":"91827400",)"
      R"("generation":120,)"
      R"("creationTimestamp":"2024-04-01T00:00:00Z","labels":{"app":"web",)"
      R"("endpointslice.kubernetes.io/managed-by":"endpointslice-controller.k8s.io",)"
      R"("kubernetes.io/service-name":"web"},"annotations":{)"
      R"("endpoints.kubernetes.io/last-change-trigger-time":"2024-05-01T10:00:12Z"},)"
      R"("ownerReferences":[{"apiVersion":"v1","kind":"Service","name":"web",)"
      R"("uid":"5e5e5e5e-0000-4000-8000-000000000001","controller":true,)"
      R"("blockOwnerDeletion":true}],)"
      R"("managedFields":[{"manager":"kube-controller-manager","operation":"Update",)"
      R"("apiVersion":"discovery.k8s.io/v1","time":"2024-05-01T10:00:12Z","fieldsType":"FieldsV1",)"
      R"("fieldsV1":{"f:addressType":{},"f:endpoints":{},"f:metadata":{"f:annotations":{".":{},)"
      R"("f:endpoints.kubernetes.io/last-change-trigger-time":{}},"f:generateName":{},)"
      R"("f:labels":{".":{},"f:app":{},"f:endpointslice.kubernetes.io/managed-by":{},)"
      R"("f:kubernetes.io/service-name":{}},"f:ownerReferences":{}},"f:ports":{}}}]},)"
      R"("addressType":"IPv4","endpoints":[)",
      endpoints,
      R"(],"ports":[{"name":"http","protocol":"TCP","port":8080},)"
      R"({"name":"metrics","protocol":"TCP","port":9090}]})");
}

std::string WatchEvent(const std::string& object) {
  return absl::StrCat(R"({"type":"MODIFIED","object":)", object, "}");
}

// --- What each path decoded, to check they agree.

const char* B(bool b) { return b ? "true" : "false"; }

std::string Fingerprint(const AnyObject& o) {
  std::string out;
  const ObjectMeta& m = MetaOf(o);
  absl::StrAppend(&out, m.ns, "/", m.name, " uid=", m.uid, " rv=", m.resource_version,
                  " created=", m.creation_timestamp, " deleting=", B(m.deleting), " labels=");
  for (const auto& [k, v] : m.labels) absl::StrAppend(&out, k, "=", v, ",");
  absl::StrAppend(&out, " annotations=");
  for (const auto& [k, v] : m.annotations) absl::StrAppend(&out, k, "=", v, ",");
  for (const OwnerReference& r : m.owner_references) {
    absl::StrAppend(&out, " owner=", r.api_version, "/", r.kind, "/", r.name, "/", B(r.controller));
  }
  if (const auto* pod = std::get_if<std::shared_ptr<const Pod>>(&o)) {
    const Pod& p = **pod;
    absl::StrAppend(&out, " sa=", p.service_account_name, " hostNetwork=", B(p.host_network),
                    " node=", p.node_name, " phase=", p.phase,
                    " ips=", absl::StrJoin(p.pod_ips, ","), " hostIP=", p.host_ip);
    for (const Container& c : p.containers) {
      absl::StrAppend(&out, " container=", c.name);
      for (const ContainerPort& port : c.ports) {
        absl::StrAppend(&out, " port=", port.name, ":", port.container_port, ":", port.host_port,
                        ":", port.protocol);
      }
      for (const EnvVar& e : c.env) absl::StrAppend(&out, " env=", e.name, "=", e.value);
    }
  } else if (const auto* slice = std::get_if<std::shared_ptr<const EndpointSlice>>(&o)) {
    const EndpointSlice& s = **slice;
    absl::StrAppend(&out, " service=", s.service_name, " type=", s.address_type);
    for (const EndpointPort& p : s.ports) {
      absl::StrAppend(&out, " port=", p.name, ":", p.port, ":", p.protocol);
    }
    for (const SliceEndpoint& e : s.endpoints) {
      absl::StrAppend(&out, " ep=", absl::StrJoin(e.addresses, ","), ":",
                      e.ready ? (*e.ready ? "ready" : "notready") : "unset", ":", e.hostname, ":",
                      e.node_name, ":", e.zone, ":", B(e.has_hints), ":",
                      absl::StrJoin(e.hint_zones, ","));
      if (e.target_ref) {
        absl::StrAppend(&out, ":", e.target_ref->kind, "/", e.target_ref->ns, "/",
                        e.target_ref->name);
      }
    }
  }
  return out;
}

// --- The paths. Each decodes one watch event line into `out`, or only parses it.

struct Workload {
  std::string object_name;  // "Pod"
  std::string api_version;
  std::string kind;
  std::string event;
};

class SimdjsonPath {
 public:
  absl::StatusOr<AnyObject> Decode(const Workload& w) {
    simdjson::dom::element object;
    if (!Parse(w, object)) return absl::InvalidArgumentError("bad event");
    return DecodeJsonObject(object, w.api_version, w.kind);
  }
  bool ParseOnly(const Workload& w) {
    simdjson::dom::element object;
    return Parse(w, object);
  }

 private:
  // As the Kubernetes source reads a line of a watch stream.
  bool Parse(const Workload& w, simdjson::dom::element& object) {
    simdjson::dom::element ev;
    std::string_view type;
    return parser_.parse(w.event.data(), w.event.size()).get(ev) == simdjson::SUCCESS &&
           ev["type"].get_string().get(type) == simdjson::SUCCESS &&
           ev["object"].get(object) == simdjson::SUCCESS && !type.empty();
  }

  simdjson::dom::parser parser_;
};

class NlohmannPath {
 public:
  absl::StatusOr<AnyObject> Decode(const Workload& w) {
    nlohmann::json ev = nlohmann::json::parse(w.event, nullptr, /*allow_exceptions=*/false);
    const nlohmann::json* object = Object(ev);
    if (object == nullptr) return absl::InvalidArgumentError("bad event");
    return DecodeNodeAs(NlohmannNode(object), w.api_version, w.kind);
  }
  bool ParseOnly(const Workload& w) {
    nlohmann::json ev = nlohmann::json::parse(w.event, nullptr, /*allow_exceptions=*/false);
    return Object(ev) != nullptr;
  }

 private:
  static const nlohmann::json* Object(const nlohmann::json& ev) {
    if (!ev.is_object()) return nullptr;
    auto type = ev.find("type");
    auto object = ev.find("object");
    if (type == ev.end() || !type->is_string() || object == ev.end()) return nullptr;
    return &*object;
  }
};

class RapidJsonPath {
 public:
  absl::StatusOr<AnyObject> Decode(const Workload& w) {
    rapidjson::Document ev;
    const rapidjson::Value* object = Parse(w, ev);
    if (object == nullptr) return absl::InvalidArgumentError("bad event");
    return DecodeNodeAs(RapidJsonNode(object), w.api_version, w.kind);
  }
  bool ParseOnly(const Workload& w) {
    rapidjson::Document ev;
    return Parse(w, ev) != nullptr;
  }

 private:
  static const rapidjson::Value* Parse(const Workload& w, rapidjson::Document& ev) {
    ev.Parse(w.event.data(), w.event.size());
    if (ev.HasParseError() || !ev.IsObject()) return nullptr;
    // Const iterators: comparing RapidJSON's mutable ones is ambiguous in C++20.
    const rapidjson::Value& event = ev;
    auto type = event.FindMember("type");
    auto object = event.FindMember("object");
    if (type == event.MemberEnd() || !type->value.IsString() || object == event.MemberEnd()) {
      return nullptr;
    }
    return &object->value;
  }
};

// The path this change replaced: the event parsed by simdjson, its object minified back to text,
// re-parsed by yaml-cpp and decoded from YAML::Node.
class YamlPath {
 public:
  absl::StatusOr<AnyObject> Decode(const Workload& w) {
    std::optional<YAML::Node> node = Parse(w);
    if (!node) return absl::InvalidArgumentError("bad event");
    return DecodeObjectAs(*node, w.api_version, w.kind);
  }
  bool ParseOnly(const Workload& w) { return Parse(w).has_value(); }

 private:
  std::optional<YAML::Node> Parse(const Workload& w) {
    simdjson::dom::element ev;
    simdjson::dom::element object;
    if (parser_.parse(w.event.data(), w.event.size()).get(ev) != simdjson::SUCCESS ||
        ev["object"].get(object) != simdjson::SUCCESS) {
      return std::nullopt;
    }
    try {
      return YAML::Load(simdjson::minify(object));
    } catch (const YAML::Exception&) {
      return std::nullopt;
    }
  }

  simdjson::dom::parser parser_;
};

// --- Timing.

// CPU time of the calling thread: the figures count the CPU a decode costs, so time the thread
// spends descheduled on a busy machine does not lower them.
double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Calls of `fn` per CPU second over a run of about `seconds` of CPU time.
double CallsPerSecond(const std::function<void()>& fn, double seconds) {
  const double start = ThreadCpuSeconds();
  int64_t calls = 0;
  double now = start;
  while (now - start < seconds) {
    for (int i = 0; i < 16; ++i) fn();
    calls += 16;
    now = ThreadCpuSeconds();
  }
  return static_cast<double>(calls) / (now - start);
}

// One path on one object: what is timed, and the best rates seen.
struct Measure {
  std::string object;
  std::string path;
  std::string library;
  size_t event_bytes = 0;
  std::function<void()> decode;  // parse the event line + decode its object
  std::function<void()> parse;   // parse only
  double decode_rate = 0;        // events per second, best run
  double parse_rate = 0;
};

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("model name")) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "unknown";
}

// Keeps the benchmarked work observable.
size_t g_sink = 0;

// Checks that `path` decodes `w` to the reference object, then adds its measure.
template <typename P>
bool Add(P& path, const std::string& name, const std::string& library, const Workload& w,
         const std::string& expected, std::vector<Measure>& measures) {
  absl::StatusOr<AnyObject> check = path.Decode(w);
  if (!check.ok()) {
    std::fprintf(stderr, "decode_bench: %s failed to decode the %s: %s\n", name.c_str(),
                 w.object_name.c_str(), std::string(check.status().message()).c_str());
    return false;
  }
  if (Fingerprint(*check) != expected) {
    std::fprintf(stderr, "decode_bench: %s decoded the %s differently:\n%s\nvs\n%s\n", name.c_str(),
                 w.object_name.c_str(), Fingerprint(*check).c_str(), expected.c_str());
    return false;
  }
  measures.push_back(Measure{
      .object = w.object_name,
      .path = name,
      .library = library,
      .event_bytes = w.event.size(),
      .decode =
          [&path, &w] {
            absl::StatusOr<AnyObject> o = path.Decode(w);
            g_sink += o.ok() ? MetaOf(*o).name.size() : 1;
          },
      .parse = [&path, &w] { g_sink += path.ParseOnly(w) ? 1 : 2; },
  });
  return true;
}

int Main() {
  const double seconds = absl::GetFlag(FLAGS_seconds);
  const int runs = std::max(1, absl::GetFlag(FLAGS_runs));
  const int endpoints = std::max(1, absl::GetFlag(FLAGS_endpoints));
  const std::vector<Workload> workloads = {
      {"Pod", "v1", "Pod", WatchEvent(PodJson())},
      {"EndpointSlice", "discovery.k8s.io/v1", "EndpointSlice", WatchEvent(SliceJson(endpoints))},
  };
  const std::string simdjson_version =
      absl::StrCat("simdjson ", simdjson::SIMDJSON_VERSION_MAJOR, ".",
                   simdjson::SIMDJSON_VERSION_MINOR, ".", simdjson::SIMDJSON_VERSION_REVISION, " (",
                   simdjson::get_active_implementation()->name(), ")");
  const std::string nlohmann_version =
      absl::StrCat("nlohmann::json ", NLOHMANN_JSON_VERSION_MAJOR, ".", NLOHMANN_JSON_VERSION_MINOR,
                   ".", NLOHMANN_JSON_VERSION_PATCH);
  const std::string rapidjson_version = absl::StrCat("RapidJSON ", RAPIDJSON_VERSION_STRING);
  const std::string yaml_version = "simdjson + minify + yaml-cpp 0.7";
  const std::vector<std::string> paths = absl::GetFlag(FLAGS_paths);
  auto wanted = [&paths](std::string_view name) {
    return std::find(paths.begin(), paths.end(), name) != paths.end();
  };

  SimdjsonPath simdjson_path;
  NlohmannPath nlohmann_path;
  RapidJsonPath rapidjson_path;
  YamlPath yaml_path;
  std::vector<Measure> measures;
  for (const Workload& w : workloads) {
    // The reference object: the chosen path's, which every other path must match.
    absl::StatusOr<AnyObject> reference = simdjson_path.Decode(w);
    if (!reference.ok()) {
      std::fprintf(stderr, "decode_bench: the %s does not decode: %s\n", w.object_name.c_str(),
                   std::string(reference.status().message()).c_str());
      return 1;
    }
    const std::string expected = Fingerprint(*reference);
    if ((wanted("simdjson") &&
         !Add(simdjson_path, "simdjson", simdjson_version, w, expected, measures)) ||
        (wanted("nlohmann") &&
         !Add(nlohmann_path, "nlohmann", nlohmann_version, w, expected, measures)) ||
        (wanted("rapidjson") &&
         !Add(rapidjson_path, "rapidjson", rapidjson_version, w, expected, measures)) ||
        (wanted("yaml-cpp") && !Add(yaml_path, "yaml-cpp", yaml_version, w, expected, measures))) {
      return 1;
    }
  }
  // Runs interleave the paths, so a load change on the machine hits them all alike.
  for (Measure& m : measures) {
    for (int i = 0; i < 20; ++i) m.decode();  // warm caches and the parsers' buffers
  }
  for (int run = 0; run < runs; ++run) {
    for (Measure& m : measures) {
      m.decode_rate = std::max(m.decode_rate, CallsPerSecond(m.decode, seconds));
      m.parse_rate = std::max(m.parse_rate, CallsPerSecond(m.parse, seconds));
    }
  }
  if (g_sink == 0) std::fprintf(stderr, "decode_bench: nothing decoded\n");

  std::printf("decode_bench: Kubernetes watch events decoded per CPU second, one thread\n");
  std::printf("cpu: %s; best of %d runs of %.1f CPU s per figure\n", CpuModel().c_str(), runs,
              seconds);
  std::printf("same decoding rules (watchers/decode/object_decoder_rules.h) for every path; every\n");
  std::printf("path's decoded object checked identical before timing\n\n");
  std::printf("%-14s %-10s %7s %12s %9s %9s %14s %9s  %s\n", "object", "path", "bytes", "events/s",
              "MB/s", "us/event", "parse-only/s", "vs simdj", "library");
  double simdjson_rate = 0;
  for (const Measure& r : measures) {
    if (r.path == "simdjson") simdjson_rate = r.decode_rate;
    std::printf("%-14s %-10s %7zu %12.0f %9.1f %9.2f %14.0f %8.2fx  %s\n", r.object.c_str(),
                r.path.c_str(), r.event_bytes, r.decode_rate,
                r.decode_rate * static_cast<double>(r.event_bytes) / 1e6, 1e6 / r.decode_rate,
                r.parse_rate, simdjson_rate > 0 ? r.decode_rate / simdjson_rate : 0,
                r.library.c_str());
  }
  std::printf("\n(events/s: events per CPU second of the thread, each the parse of the event\n");
  std::printf(
      "line + the decode of its object; parse-only/s: the parse alone, for yaml-cpp with\n");
  std::printf("the minify; vs simdj: events/s relative to simdjson's)\n");

  std::vector<std::string> rows;
  for (const Measure& r : measures) {
    rows.push_back(absl::StrFormat(
        R"({"object":"%s","path":"%s","event_bytes":%d,"events_per_s":%.0f,)"
        R"("parse_only_events_per_s":%.0f,"us_per_event":%.3f})",
        r.object, r.path, r.event_bytes, r.decode_rate, r.parse_rate, 1e6 / r.decode_rate));
  }
  std::printf("%s\n", absl::StrCat(R"({"bench":"decode_bench","cpu_seconds":)", seconds,
                                   R"(,"runs":)", runs, R"(,"slice_endpoints":)", endpoints,
                                   R"(,"results":[)", absl::StrJoin(rows, ","), "]}")
                          .c_str());
  return 0;
}

}  // namespace
}  // namespace dest

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "decode_bench [--seconds=1] [--runs=3] [--endpoints=100]: Kubernetes watch events decoded "
      "per second by simdjson, nlohmann::json, RapidJSON and the previous yaml-cpp path, all "
      "through the same decoding rules");
  absl::ParseCommandLine(argc, argv);
  return dest::Main();
}
