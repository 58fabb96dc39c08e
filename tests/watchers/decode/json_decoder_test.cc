#include "watchers/decode/json_decoder.h"

#include <simdjson.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "watchers/decode/object_decoder.h"
#include "watchers/objects.h"

namespace dest {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::StartsWith;

// --- Every field of every object, one per line, so two decodes compare field by field and a
// difference shows as a line in the test output.

class Printer {
 public:
  std::string Print(const AnyObject& o) {
    std::visit([this](const auto& p) { Object(*p); }, o);
    return out_.str();
  }

 private:
  template <typename T>
  void Field(std::string_view name, const T& value) {
    out_ << indent_ << name << ": " << value << "\n";
  }
  void Field(std::string_view name, const std::string& value) {
    out_ << indent_ << name << ": \"" << value << "\"\n";
  }
  void Field(std::string_view name, bool value) {
    out_ << indent_ << name << ": " << (value ? "true" : "false") << "\n";
  }
  void Field(std::string_view name, const std::optional<bool>& value) {
    if (value) {
      Field(name, *value);
    } else {
      out_ << indent_ << name << ": (absent)\n";
    }
  }
  void Field(std::string_view name, const std::optional<std::string>& value) {
    if (value) {
      Field(name, *value);
    } else {
      out_ << indent_ << name << ": (absent)\n";
    }
  }
  void Field(std::string_view name, const std::vector<std::string>& values) {
    out_ << indent_ << name << ": [";
    for (const std::string& v : values) out_ << "\"" << v << "\" ";
    out_ << "]\n";
  }
  void Field(std::string_view name, const std::map<std::string, std::string>& values) {
    out_ << indent_ << name << ": {";
    for (const auto& [k, v] : values) out_ << "\"" << k << "\": \"" << v << "\" ";
    out_ << "}\n";
  }
  void Field(std::string_view name, const IntOrString& value) {
    if (value.is_int) {
      Field(name, value.int_value);
    } else {
      Field(name, value.str_value);
    }
  }
  template <typename T, typename Fn>
  void Items(std::string_view name, const std::vector<T>& items, Fn&& each) {
    out_ << indent_ << name << ": " << items.size() << " items\n";
    for (size_t i = 0; i < items.size(); ++i) {
      out_ << indent_ << "- [" << i << "]\n";
      indent_ += "    ";
      each(items[i]);
      indent_.resize(indent_.size() - 4);
    }
  }
  template <typename T, typename Fn>
  void Opt(std::string_view name, const std::optional<T>& value, Fn&& each) {
    if (!value) {
      out_ << indent_ << name << ": (absent)\n";
      return;
    }
    out_ << indent_ << name << ":\n";
    indent_ += "  ";
    each(*value);
    indent_.resize(indent_.size() - 2);
  }

  void Meta(const ObjectMeta& m) {
    Field("name", m.name);
    Field("namespace", m.ns);
    Field("uid", m.uid);
    Field("resourceVersion", m.resource_version);
    Field("creationTimestamp", m.creation_timestamp);
    Field("deleting", m.deleting);
    Field("labels", m.labels);
    Field("annotations", m.annotations);
    Items("ownerReferences", m.owner_references, [this](const OwnerReference& r) {
      Field("apiVersion", r.api_version);
      Field("kind", r.kind);
      Field("name", r.name);
      Field("controller", r.controller);
    });
  }
  void Ref(const std::optional<ObjectReference>& ref) {
    Opt("targetRef", ref, [this](const ObjectReference& r) {
      Field("kind", r.kind);
      Field("name", r.name);
      Field("namespace", r.ns);
    });
  }
  void Port(const EndpointPort& p) {
    Field("name", p.name);
    Field("port", p.port);
    Field("protocol", p.protocol);
  }

  void Object(const Service& s) {
    Field("kind", "Service");
    Meta(s.meta);
    Field("type", s.type);
    Field("clusterIPs", s.cluster_ips);
    Field("externalName", s.external_name);
    Items("ports", s.ports, [this](const ServicePort& p) {
      Field("name", p.name);
      Field("protocol", p.protocol);
      Field("port", p.port);
      Field("targetPort", p.target_port);
    });
  }
  void Object(const EndpointSlice& s) {
    Field("kind", "EndpointSlice");
    Meta(s.meta);
    Field("serviceName", s.service_name);
    Field("addressType", s.address_type);
    Items("ports", s.ports, [this](const EndpointPort& p) { Port(p); });
    Items("endpoints", s.endpoints, [this](const SliceEndpoint& e) {
      Field("addresses", e.addresses);
      Field("ready", e.ready);
      Field("hostname", e.hostname);
      Field("nodeName", e.node_name);
      Field("zone", e.zone);
      Field("hasHints", e.has_hints);
      Field("hintZones", e.hint_zones);
      Ref(e.target_ref);
    });
  }
  void Object(const Endpoints& e) {
    Field("kind", "Endpoints");
    Meta(e.meta);
    auto address = [this](const EndpointAddress& a) {
      Field("ip", a.ip);
      Field("hostname", a.hostname);
      Field("nodeName", a.node_name);
      Ref(a.target_ref);
    };
    Items("subsets", e.subsets, [&](const EndpointSubset& s) {
      Items("addresses", s.addresses, address);
      Items("notReadyAddresses", s.not_ready_addresses, address);
      Items("ports", s.ports, [this](const EndpointPort& p) { Port(p); });
    });
  }
  void Object(const Pod& p) {
    Field("kind", "Pod");
    Meta(p.meta);
    Field("serviceAccountName", p.service_account_name);
    Field("hostNetwork", p.host_network);
    Field("nodeName", p.node_name);
    Items("containers", p.containers, [this](const Container& c) {
      Field("name", c.name);
      Items("ports", c.ports, [this](const ContainerPort& port) {
        Field("name", port.name);
        Field("containerPort", port.container_port);
        Field("hostPort", port.host_port);
        Field("protocol", port.protocol);
      });
      Items("env", c.env, [this](const EnvVar& e) {
        Field("name", e.name);
        Field("value", e.value);
      });
    });
    Field("phase", p.phase);
    Field("podIPs", p.pod_ips);
    Field("hostIP", p.host_ip);
  }
  void Object(const ReplicaSet& r) {
    Field("kind", "ReplicaSet");
    Meta(r.meta);
  }
  void Object(const Job& j) {
    Field("kind", "Job");
    Meta(j.meta);
  }
  void Object(const Node& n) {
    Field("kind", "Node");
    Meta(n.meta);
  }
  void RequestMatch(const RequestMatchSpec& m) {
    auto sub = [this](const RequestMatchSpec& s) { RequestMatch(s); };
    Items("all", m.all, sub);
    Items("any", m.any, sub);
    Items("not", m.not_, sub);
    Field("pathRegex", m.path_regex);
    Field("method", m.method);
  }
  void ResponseMatch(const ResponseMatchSpec& m) {
    auto sub = [this](const ResponseMatchSpec& s) { ResponseMatch(s); };
    Items("all", m.all, sub);
    Items("any", m.any, sub);
    Items("not", m.not_, sub);
    Opt("status", m.status, [this](const StatusRangeSpec& s) {
      Field("min", s.min);
      Field("max", s.max);
    });
  }
  void Object(const ServiceProfile& sp) {
    Field("kind", "ServiceProfile");
    Meta(sp.meta);
    Field("apiVersion", sp.api_version);
    Items("routes", sp.routes, [this](const RouteSpec& r) {
      Field("name", r.name);
      Opt("condition", r.condition, [this](const RequestMatchSpec& m) { RequestMatch(m); });
      Items("responseClasses", r.response_classes, [this](const ResponseClassSpec& rc) {
        Opt("condition", rc.condition, [this](const ResponseMatchSpec& m) { ResponseMatch(m); });
        Field("isFailure", rc.is_failure);
      });
      Field("isRetryable", r.is_retryable);
      Field("timeout", r.timeout);
    });
    Opt("retryBudget", sp.retry_budget, [this](const RetryBudgetSpec& b) {
      Field("retryRatio", b.retry_ratio);
      Field("minRetriesPerSecond", b.min_retries_per_second);
      Field("ttl", b.ttl);
    });
    Items("dstOverrides", sp.dst_overrides, [this](const DstOverrideSpec& o) {
      Field("authority", o.authority);
      Field("weight", o.weight);
    });
    Field("opaquePortsSet", sp.opaque_ports_set);
  }
  void Object(const TrafficSplit& ts) {
    Field("kind", "TrafficSplit");
    Meta(ts.meta);
    Field("apiVersion", ts.api_version);
    Field("service", ts.service);
    Items("backends", ts.backends, [this](const TrafficSplitBackend& b) {
      Field("service", b.service);
      Field("weight", b.weight);
    });
    Items("matches", ts.matches, [this](const TrafficSplitMatch& m) {
      Field("kind", m.kind);
      Field("name", m.name);
      Field("apiGroup", m.api_group);
    });
  }

  void Object(const Server& server) {
    Field("kind", "Server");
    Meta(server.meta);
    Field("apiVersion", server.api_version);
    Field("matchLabels", server.pod_selector.match_labels);
    Items("matchExpressions", server.pod_selector.match_expressions,
          [this](const LabelSelectorRequirement& r) {
            Field("key", r.key);
            Field("operator", r.op);
            Field("values", r.values);
          });
    Field("port", server.port);
    Field("proxyProtocol", server.proxy_protocol);
  }

  void Field(std::string_view name, const std::optional<int32_t>& value) {
    if (value) {
      Field(name, *value);
    } else {
      out_ << indent_ << name << ": (absent)\n";
    }
  }
  void Route(const HTTPRoute& r) {
    Field("kind", "HTTPRoute");
    Meta(r.meta);
    Field("apiVersion", r.api_version);
    Items("parentRefs", r.parent_refs, [this](const RouteParentRef& p) {
      Field("group", p.group);
      Field("kind", p.kind);
      Field("namespace", p.ns);
      Field("name", p.name);
      Field("port", p.port);
      Field("sectionName", p.section_name);
    });
    Items("rules", r.rules, [this](const RouteRuleSpec& rule) {
      Items("matches", rule.matches, [this](const RouteMatchSpec& m) {
        Field("pathType", m.path_type);
        Field("pathValue", m.path_value);
        Field("headers", m.headers);
        Field("queryParams", m.query_params);
        Field("method", m.method);
      });
      Field("filters", rule.filters);
      Items("backendRefs", rule.backend_refs, [this](const RouteBackendRef& b) {
        Field("group", b.group);
        Field("kind", b.kind);
        Field("namespace", b.ns);
        Field("name", b.name);
        Field("port", b.port);
        Field("weight", b.weight);
        Field("filters", b.filters);
      });
      Field("otherFields", rule.other_fields);
    });
  }
  void Object(const GatewayHTTPRoute& r) { Route(r); }
  void Object(const PolicyHTTPRoute& r) { Route(r); }
  void Object(const ReferenceGrant& g) {
    Field("kind", "ReferenceGrant");
    Meta(g.meta);
    Items("from", g.from, [this](const GrantFrom& f) {
      Field("group", f.group);
      Field("kind", f.kind);
      Field("namespace", f.ns);
    });
    Items("to", g.to, [this](const GrantTo& t) {
      Field("group", t.group);
      Field("kind", t.kind);
      Field("name", t.name);
    });
  }

  std::ostringstream out_;
  std::string indent_;
};

std::string Describe(const AnyObject& o) { return Printer().Print(o); }

// --- Decoding helpers.

absl::StatusOr<AnyObject> FromJson(const std::string& json, absl::string_view api_version = "",
                                   absl::string_view kind = "") {
  return DecodeJsonObject(absl::string_view(json), api_version, kind);
}

// Through the element overload, as the Kubernetes source calls it.
absl::StatusOr<AnyObject> FromJsonElement(const std::string& json, absl::string_view api_version,
                                          absl::string_view kind) {
  simdjson::dom::parser parser;
  simdjson::dom::element element;
  if (parser.parse(json).get(element) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError("test JSON does not parse");
  }
  return DecodeJsonObject(element, api_version, kind);
}

absl::StatusOr<AnyObject> FromYaml(const std::string& yaml, std::string_view api_version = "",
                                   std::string_view kind = "") {
  return DecodeObjectAs(YAML::Load(yaml), api_version, kind);
}

// The object a decode gave, described; the status when it failed.
std::string DescribeOr(const absl::StatusOr<AnyObject>& o) {
  return o.ok() ? Describe(*o) : std::string(o.status().ToString());
}

// The objects, not the pointers, compare: every field through the defaulted operator==.
bool SameObject(const AnyObject& a, const AnyObject& b) {
  if (a.index() != b.index()) return false;
  return std::visit(
      [&b](const auto& pa) {
        using Ptr = std::decay_t<decltype(pa)>;
        return *pa == *std::get<Ptr>(b);
      },
      a);
}
bool SameObject(const absl::StatusOr<AnyObject>& a, const AnyObject& b) {
  return a.ok() && SameObject(*a, b);
}

template <typename T>
std::shared_ptr<const T> As(const absl::StatusOr<AnyObject>& o) {
  if (!o.ok() || !std::holds_alternative<std::shared_ptr<const T>>(*o)) {
    ADD_FAILURE() << "not an object of the expected kind: " << DescribeOr(o);
    return std::make_shared<const T>();
  }
  return std::get<std::shared_ptr<const T>>(*o);
}

// --- The same object, as a YAML manifest and as the JSON the API server sends.

struct SameObjectCase {
  std::string name;
  std::string yaml;
  std::string json;
};

void PrintTo(const SameObjectCase& c, std::ostream* os) { *os << c.name; }

class JsonMatchesYamlTest : public testing::TestWithParam<SameObjectCase> {};

TEST_P(JsonMatchesYamlTest, DecodesToTheSameObject) {
  absl::StatusOr<AnyObject> yaml = FromYaml(GetParam().yaml);
  ASSERT_TRUE(yaml.ok()) << yaml.status();
  absl::StatusOr<AnyObject> json = FromJson(GetParam().json);
  ASSERT_TRUE(json.ok()) << json.status();
  // Compared with operator== (every field); the descriptions show where they differ.
  EXPECT_TRUE(SameObject(*json, *yaml)) << "JSON:\n"
                                        << Describe(*json) << "YAML:\n"
                                        << Describe(*yaml);
  // The element overload, and the JSON text read by yaml-cpp (the previous path), agree too.
  const absl::StatusOr<AnyObject> element = FromJsonElement(GetParam().json, "", "");
  EXPECT_TRUE(SameObject(element, *yaml)) << DescribeOr(element);
  const absl::StatusOr<AnyObject> json_as_yaml = FromYaml(GetParam().json);
  EXPECT_TRUE(SameObject(json_as_yaml, *yaml)) << DescribeOr(json_as_yaml);
}

INSTANTIATE_TEST_SUITE_P(
    EveryKind, JsonMatchesYamlTest,
    testing::Values(
        SameObjectCase{"Service", R"(
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
  uid: 1234-abcd
  resourceVersion: "42"
  creationTimestamp: "2024-01-02T03:04:05Z"
  labels: {app: web}
  annotations:
    config.linkerd.io/opaque-ports: 3306
spec:
  type: LoadBalancer
  clusterIPs: [10.0.0.1, fd00::1]
  ports:
  - {name: http, port: 80, targetPort: 8080}
  - {name: admin, port: 9990, protocol: UDP, targetPort: admin-http}
  - {port: 443}
  - {port: 444, targetPort: "8443"}
)",
                       R"({"apiVersion":"v1","kind":"Service",
"metadata":{"name":"web","namespace":"shop","uid":"1234-abcd","resourceVersion":"42",
 "creationTimestamp":"2024-01-02T03:04:05Z","labels":{"app":"web"},
 "annotations":{"config.linkerd.io/opaque-ports":3306}},
"spec":{"type":"LoadBalancer","clusterIPs":["10.0.0.1","fd00::1"],"ports":[
 {"name":"http","port":80,"targetPort":8080},
 {"name":"admin","port":9990,"protocol":"UDP","targetPort":"admin-http"},
 {"port":443},
 {"port":444,"targetPort":"8443"}]}})"},
        SameObjectCase{"ServiceHeadlessAndExternal", R"(
apiVersion: v1
kind: Service
metadata: {name: ext}
spec: {type: ExternalName, externalName: example.com, clusterIP: None, clusterIPs: ~}
)",
                       R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"ext"},
"spec":{"type":"ExternalName","externalName":"example.com","clusterIP":"None",
 "clusterIPs":null}})"},
        SameObjectCase{"EndpointSlice", R"(
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-abc
  namespace: shop
  labels: {kubernetes.io/service-name: web}
addressType: IPv6
ports:
- {name: http, port: 8080, protocol: TCP}
- {name: unset}
endpoints:
- addresses: ["fd00::10"]
  conditions: {ready: true, serving: true}
  hostname: web-0
  nodeName: node-a
  zone: zone-a
  hints: {forZones: [{name: zone-a}, {name: zone-b}]}
  targetRef: {kind: Pod, name: web-0}
- addresses: ["fd00::11", "fd00::12"]
  conditions: {ready: false}
  hints: {forZones: []}
  targetRef: {kind: Pod, name: web-1, namespace: other}
- addresses: ["fd00::13"]
)",
                       R"({"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice",
"metadata":{"name":"web-abc","namespace":"shop","labels":{"kubernetes.io/service-name":"web"}},
"addressType":"IPv6",
"ports":[{"name":"http","port":8080,"protocol":"TCP"},{"name":"unset","port":null}],
"endpoints":[
 {"addresses":["fd00::10"],"conditions":{"ready":true,"serving":true},"hostname":"web-0",
  "nodeName":"node-a","zone":"zone-a","hints":{"forZones":[{"name":"zone-a"},{"name":"zone-b"}]},
  "targetRef":{"kind":"Pod","name":"web-0"}},
 {"addresses":["fd00::11","fd00::12"],"conditions":{"ready":false},"hints":{"forZones":[]},
  "targetRef":{"kind":"Pod","name":"web-1","namespace":"other"}},
 {"addresses":["fd00::13"],"conditions":{}}]})"},
        SameObjectCase{"Endpoints", R"(
apiVersion: v1
kind: Endpoints
metadata: {name: web, namespace: shop}
subsets:
- addresses:
  - {ip: 10.0.0.5, hostname: web-0, nodeName: node-a, targetRef: {kind: Pod, name: web-0}}
  - {ip: 10.0.0.6}
  notReadyAddresses: [{ip: 10.0.0.7}]
  ports: [{name: http, port: 8080}, {name: dns, port: 53, protocol: UDP}]
- addresses: [{ip: 10.0.1.1}]
)",
                       R"({"apiVersion":"v1","kind":"Endpoints",
"metadata":{"name":"web","namespace":"shop"},
"subsets":[
 {"addresses":[
   {"ip":"10.0.0.5","hostname":"web-0","nodeName":"node-a",
    "targetRef":{"kind":"Pod","name":"web-0"}},
   {"ip":"10.0.0.6"}],
  "notReadyAddresses":[{"ip":"10.0.0.7"}],
  "ports":[{"name":"http","port":8080},{"name":"dns","port":53,"protocol":"UDP"}]},
 {"addresses":[{"ip":"10.0.1.1"}]}]})"},
        SameObjectCase{"Pod", R"(
apiVersion: v1
kind: Pod
metadata:
  name: web-0
  namespace: shop
  deletionTimestamp: "2024-01-02T03:04:05Z"
  labels: {app: web, pod-template-hash: 5d8f}
  ownerReferences:
  - {apiVersion: apps/v1, kind: ReplicaSet, name: web-5d8f, uid: x, controller: true}
spec:
  serviceAccountName: web-sa
  hostNetwork: true
  nodeName: node-a
  initContainers:
  - {name: linkerd-init}
  - {name: sidecar, restartPolicy: Always, ports: [{name: s, containerPort: 7000}]}
  containers:
  - name: app
    ports:
    - {name: http, containerPort: 8080}
    - {containerPort: 53, hostPort: 5353, protocol: UDP}
  - name: linkerd-proxy
    env:
    - {name: A, value: "0.0.0.0:4143"}
    - {name: B, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
status:
  phase: Running
  podIP: 10.0.0.5
  podIPs: [{ip: 10.0.0.5}, {ip: "fd00::5"}]
  hostIP: 192.168.1.10
)",
                       R"({"apiVersion":"v1","kind":"Pod",
"metadata":{"name":"web-0","namespace":"shop","deletionTimestamp":"2024-01-02T03:04:05Z",
 "labels":{"app":"web","pod-template-hash":"5d8f"},
 "ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-5d8f","uid":"x",
  "controller":true}]},
"spec":{"serviceAccountName":"web-sa","hostNetwork":true,"nodeName":"node-a",
 "initContainers":[{"name":"linkerd-init"},
  {"name":"sidecar","restartPolicy":"Always","ports":[{"name":"s","containerPort":7000}]}],
 "containers":[
  {"name":"app","ports":[{"name":"http","containerPort":8080},
   {"containerPort":53,"hostPort":5353,"protocol":"UDP"}]},
  {"name":"linkerd-proxy","env":[{"name":"A","value":"0.0.0.0:4143"},
   {"name":"B","valueFrom":{"fieldRef":{"fieldPath":"status.podIP"}}}]}]},
"status":{"phase":"Running","podIP":"10.0.0.5","podIPs":[{"ip":"10.0.0.5"},{"ip":"fd00::5"}],
 "hostIP":"192.168.1.10"}})"},
        SameObjectCase{"PodLegacyFields", R"(
apiVersion: v1
kind: Pod
metadata: {name: p}
spec: {serviceAccount: legacy-sa}
status: {podIP: 10.0.0.9}
)",
                       R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},
"spec":{"serviceAccount":"legacy-sa"},"status":{"podIP":"10.0.0.9"}})"},
        SameObjectCase{"ReplicaSet", R"(
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-5d8f
  namespace: shop
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, controller: true}]
spec: {replicas: 3}
)",
                       R"({"apiVersion":"apps/v1","kind":"ReplicaSet",
"metadata":{"name":"web-5d8f","namespace":"shop","ownerReferences":[
 {"apiVersion":"apps/v1","kind":"Deployment","name":"web","controller":true}]},
"spec":{"replicas":3}})"},
        SameObjectCase{"Job", R"(
apiVersion: batch/v1
kind: Job
metadata:
  name: nightly-123
  ownerReferences: [{apiVersion: batch/v1, kind: CronJob, name: nightly, controller: true}]
)",
                       R"({"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"nightly-123",
"ownerReferences":[{"apiVersion":"batch/v1","kind":"CronJob","name":"nightly",
 "controller":true}]}})"},
        SameObjectCase{"Node", R"(
apiVersion: v1
kind: Node
metadata:
  name: node-a
  labels: {topology.kubernetes.io/zone: zone-a}
)",
                       R"({"apiVersion":"v1","kind":"Node","metadata":{"name":"node-a",
"labels":{"topology.kubernetes.io/zone":"zone-a"}}})"},
        SameObjectCase{"ServiceProfile", R"(
apiVersion: linkerd.io/v1alpha2
kind: ServiceProfile
metadata: {name: web.shop.svc.cluster.local, namespace: shop}
spec:
  opaquePorts: {"3306": true}
  routes:
  - name: GET /books/{id}
    condition: {method: GET, pathRegex: "/books/[^/]*"}
    responseClasses:
    - condition: {status: {min: 500, max: 599}}
      isFailure: true
    - condition: {not: {status: {min: 200}}}
    isRetryable: true
    timeout: 300ms
  - name: complex
    condition:
      all:
      - method: POST
      - any: [{pathRegex: /a}, {not: {pathRegex: /b}}]
    responseClasses:
    - condition:
        any:
        - status: {max: 404, min: 404}
        - all: [{status: {min: 429, max: 429}}]
  retryBudget: {retryRatio: 0.2, minRetriesPerSecond: 10, ttl: 10s}
  dstOverrides:
  - {authority: "web-v1.shop.svc.cluster.local:80", weight: 500m}
  - {authority: web-v2, weight: 1}
  - {authority: web-v3, weight: 0.5}
  - {authority: web-v4, weight: "500"}
)",
                       R"({"apiVersion":"linkerd.io/v1alpha2","kind":"ServiceProfile",
"metadata":{"name":"web.shop.svc.cluster.local","namespace":"shop"},
"spec":{"opaquePorts":{"3306":true},"routes":[
 {"name":"GET /books/{id}","condition":{"method":"GET","pathRegex":"/books/[^/]*"},
  "responseClasses":[{"condition":{"status":{"min":500,"max":599}},"isFailure":true},
   {"condition":{"not":{"status":{"min":200}}}}],
  "isRetryable":true,"timeout":"300ms"},
 {"name":"complex","condition":{"all":[{"method":"POST"},
   {"any":[{"pathRegex":"/a"},{"not":{"pathRegex":"/b"}}]}]},
  "responseClasses":[{"condition":{"any":[{"status":{"max":404,"min":404}},
   {"all":[{"status":{"min":429,"max":429}}]}]}}]}],
 "retryBudget":{"retryRatio":0.2,"minRetriesPerSecond":10,"ttl":"10s"},
 "dstOverrides":[{"authority":"web-v1.shop.svc.cluster.local:80","weight":"500m"},
  {"authority":"web-v2","weight":1},{"authority":"web-v3","weight":0.5},
  {"authority":"web-v4","weight":"500"}]}})"},
        SameObjectCase{"Server", R"(
apiVersion: policy.linkerd.io/v1beta1
kind: Server
metadata: {name: web-http, namespace: shop}
spec:
  podSelector:
    matchLabels: {app: web}
    matchExpressions:
    - {key: tier, operator: In, values: [front, edge]}
    - {key: canary, operator: DoesNotExist}
  port: http
  proxyProtocol: opaque
)",
                       R"({"apiVersion":"policy.linkerd.io/v1beta1","kind":"Server",
"metadata":{"name":"web-http","namespace":"shop"},
"spec":{"podSelector":{"matchLabels":{"app":"web"},"matchExpressions":[
{"key":"tier","operator":"In","values":["front","edge"]},{"key":"canary","operator":"DoesNotExist"}]},
"port":"http","proxyProtocol":"opaque"}})"},
        SameObjectCase{"GatewayHTTPRoute", R"(
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web-split, namespace: shop}
spec:
  parentRefs:
  - {group: "", kind: Service, name: web, port: 80}
  - {name: gw, sectionName: http}
  rules:
  - matches:
    - path: {type: Exact, value: /a}
      headers: [{name: x-canary, value: "1"}]
      queryParams: [{name: q, value: v}]
      method: GET
    - {}
    filters: [{type: RequestHeaderModifier}]
    backendRefs:
    - {name: web-v1, port: 8080, weight: 90}
    - {group: core, kind: Service, namespace: other, name: web-v2, filters: [{type: X}]}
    timeouts: {request: 1s}
  - backendRefs: [{kind: Bucket, group: example.com, name: b, weight: 0}]
)",
                       R"({"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute",
"metadata":{"name":"web-split","namespace":"shop"},
"spec":{"parentRefs":[{"group":"","kind":"Service","name":"web","port":80},
 {"name":"gw","sectionName":"http"}],
"rules":[{"matches":[{"path":{"type":"Exact","value":"/a"},"headers":[{"name":"x-canary","value":"1"}],
  "queryParams":[{"name":"q","value":"v"}],"method":"GET"},{}],
 "filters":[{"type":"RequestHeaderModifier"}],
 "backendRefs":[{"name":"web-v1","port":8080,"weight":90},
  {"group":"core","kind":"Service","namespace":"other","name":"web-v2","filters":[{"type":"X"}]}],
 "timeouts":{"request":"1s"}},
 {"backendRefs":[{"kind":"Bucket","group":"example.com","name":"b","weight":0}]}]}})"},
        SameObjectCase{"PolicyHTTPRoute", R"(
apiVersion: policy.linkerd.io/v1beta3
kind: HTTPRoute
metadata: {name: web-split, namespace: shop}
spec:
  parentRefs: [{group: core, kind: Service, name: web}]
  rules: [{backendRefs: [{name: web-v1, port: 80}]}]
)",
                       R"({"apiVersion":"policy.linkerd.io/v1beta3","kind":"HTTPRoute",
"metadata":{"name":"web-split","namespace":"shop"},
"spec":{"parentRefs":[{"group":"core","kind":"Service","name":"web"}],
"rules":[{"backendRefs":[{"name":"web-v1","port":80}]}]}})"},
        SameObjectCase{"ReferenceGrant", R"(
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: from-shop, namespace: other}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: shop}]
  to: [{group: "", kind: Service, name: web-v2}, {group: "", kind: Service}]
)",
                       R"({"apiVersion":"gateway.networking.k8s.io/v1beta1","kind":"ReferenceGrant",
"metadata":{"name":"from-shop","namespace":"other"},
"spec":{"from":[{"group":"gateway.networking.k8s.io","kind":"HTTPRoute","namespace":"shop"}],
"to":[{"group":"","kind":"Service","name":"web-v2"},{"group":"","kind":"Service"}]}})"},
        SameObjectCase{"TrafficSplit", R"(
apiVersion: split.smi-spec.io/v1alpha4
kind: TrafficSplit
metadata: {name: split-b, namespace: shop}
spec:
  service: web
  backends:
  - {service: web-v1, weight: 90}
  - {service: web-v2, weight: 500m}
  matches:
  - {kind: HTTPRouteGroup, name: canary, apiGroup: specs.smi-spec.io}
  - {kind: HTTPRouteGroup, name: other}
)",
                       R"({"apiVersion":"split.smi-spec.io/v1alpha4","kind":"TrafficSplit",
"metadata":{"name":"split-b","namespace":"shop"},
"spec":{"service":"web","backends":[{"service":"web-v1","weight":90},
 {"service":"web-v2","weight":"500m"}],
 "matches":[{"kind":"HTTPRouteGroup","name":"canary","apiGroup":"specs.smi-spec.io"},
  {"kind":"HTTPRouteGroup","name":"other"}]}})"}),
    [](const testing::TestParamInfo<SameObjectCase>& info) { return info.param.name; });

// The comparison above is operator== (every field); the printer only explains a difference.
// Both see a change of one nested field.
TEST(JsonDecoderTest, ComparisonAndPrinterSeeEveryField) {
  const char* kPod = R"({"apiVersion":"v1","kind":"Pod",
"metadata":{"name":"p","labels":{"a":"b"}},
"spec":{"containers":[{"name":"c","ports":[{"containerPort":80,"hostPort":%d}],
 "env":[{"name":"E","value":"v"}]}]},"status":{"podIPs":[{"ip":"10.0.0.1"}]}})";
  auto pod = [kPod](int host_port) {
    char buf[512];
    std::snprintf(buf, sizeof buf, kPod, host_port);
    return FromJson(buf);
  };
  const absl::StatusOr<AnyObject> a = pod(81);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_TRUE(SameObject(pod(81), *a));
  EXPECT_FALSE(SameObject(pod(82), *a));
  const std::string text = Describe(*a);
  EXPECT_THAT(text, HasSubstr("labels: {\"a\": \"b\" }"));
  EXPECT_THAT(text, HasSubstr("containerPort: 80\n"));
  EXPECT_THAT(text, HasSubstr("hostPort: 81\n"));
  EXPECT_THAT(text, HasSubstr("value: \"v\"\n"));
  EXPECT_THAT(text, HasSubstr("podIPs: [\"10.0.0.1\" ]"));
  EXPECT_NE(text, DescribeOr(pod(82)));
}

TEST(JsonDecoderTest, TypedValues) {
  auto svc = As<Service>(FromJson(R"({"apiVersion":"v1","kind":"Service",
"metadata":{"name":"web","labels":{"n":5,"f":0.5,"b":true,"s":"x","z":null}},
"spec":{"ports":[{"port":80,"targetPort":"8080"},{"port":81,"targetPort":9091},
 {"port":82,"targetPort":"http"}]}})"));
  // A JSON number or boolean where a string is expected is kept as its text, as an unquoted
  // YAML scalar is; a null is an empty string.
  EXPECT_THAT(svc->meta.labels, ElementsAre(Pair("b", "true"), Pair("f", "0.5"), Pair("n", "5"),
                                            Pair("s", "x"), Pair("z", "")));
  ASSERT_EQ(svc->ports.size(), 3u);
  // A JSON string is a port name, even "8080" (as a quoted YAML "8080").
  EXPECT_FALSE(svc->ports[0].target_port.is_int);
  EXPECT_EQ(svc->ports[0].target_port.str_value, "8080");
  EXPECT_TRUE(svc->ports[1].target_port.is_int);
  EXPECT_EQ(svc->ports[1].target_port.int_value, 9091);
  EXPECT_EQ(svc->ports[2].target_port.str_value, "http");

  auto ts = As<TrafficSplit>(FromJson(R"({"apiVersion":"split.smi-spec.io/v1alpha2",
"kind":"TrafficSplit","metadata":{"name":"t"},"spec":{"service":"web","backends":[
 {"service":"a","weight":100},{"service":"b","weight":"500m"},{"service":"c","weight":0.25},
 {"service":"d","weight":null}]}})"));
  ASSERT_EQ(ts->backends.size(), 4u);
  EXPECT_EQ(ts->backends[0].weight, "100");
  EXPECT_EQ(ts->backends[1].weight, "500m");
  EXPECT_EQ(ts->backends[2].weight, "0.25");
  EXPECT_EQ(ts->backends[3].weight, "");

  auto sp = As<ServiceProfile>(FromJson(R"({"apiVersion":"linkerd.io/v1alpha2",
"kind":"ServiceProfile","metadata":{"name":"n"},
"spec":{"retryBudget":{"retryRatio":1,"minRetriesPerSecond":-3,"ttl":"1s"}}})"));
  ASSERT_TRUE(sp->retry_budget.has_value());
  EXPECT_DOUBLE_EQ(sp->retry_budget->retry_ratio, 1.0);  // an integer is a number
  EXPECT_EQ(sp->retry_budget->min_retries_per_second, -3);
}

// --- Wrong types: the object is rejected with the field path (JSON has no lines).

struct JsonErrorCase {
  std::string name;
  std::string json;
  std::string error;
};

void PrintTo(const JsonErrorCase& c, std::ostream* os) { *os << c.name; }

class JsonErrorTest : public testing::TestWithParam<JsonErrorCase> {};

TEST_P(JsonErrorTest, RejectsWithPath) {
  absl::StatusOr<AnyObject> o = FromJson(GetParam().json);
  ASSERT_FALSE(o.ok()) << DescribeOr(o);
  EXPECT_EQ(o.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(o.status().message(), GetParam().error);
}

constexpr char kSvc[] = R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"web"},)";
constexpr char kSlice[] =
    R"({"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"s"},)";
constexpr char kPod[] = R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},)";
constexpr char kProfile[] =
    R"({"apiVersion":"linkerd.io/v1alpha2","kind":"ServiceProfile","metadata":{"name":"p"},)";

std::string With(const char* prefix, const std::string& rest) { return prefix + rest; }

INSTANTIATE_TEST_SUITE_P(
    Table, JsonErrorTest,
    testing::Values(
        JsonErrorCase{"PortString", With(kSvc, R"("spec":{"ports":[{"port":"80"}]}})"),
                      "spec.ports[0].port: expected an integer"},
        JsonErrorCase{"PortFraction",
                      With(kSvc, R"("spec":{"ports":[{"port":80},{"port":8080.5}]}})"),
                      "spec.ports[1].port: expected an integer"},
        JsonErrorCase{"PortWholeDouble", With(kSvc, R"("spec":{"ports":[{"port":80.0}]}})"),
                      "spec.ports[0].port: expected an integer"},
        JsonErrorCase{"PortExponent", With(kSvc, R"("spec":{"ports":[{"port":8e1}]}})"),
                      "spec.ports[0].port: expected an integer"},
        JsonErrorCase{"PortBool", With(kSvc, R"("spec":{"ports":[{"port":true}]}})"),
                      "spec.ports[0].port: expected an integer"},
        JsonErrorCase{"PortOutOfInt32", With(kSvc, R"("spec":{"ports":[{"port":2147483648}]}})"),
                      "spec.ports[0].port: integer out of range"},
        JsonErrorCase{"PortOutOfInt64",
                      With(kSvc, R"("spec":{"ports":[{"port":18446744073709551615}]}})"),
                      "spec.ports[0].port: integer out of range"},
        JsonErrorCase{"PortNull", With(kSvc, R"("spec":{"ports":[{"port":null}]}})"),
                      "spec.ports[0].port: required"},
        JsonErrorCase{"TargetPortFraction",
                      With(kSvc, R"("spec":{"ports":[{"port":80,"targetPort":80.5}]}})"),
                      "spec.ports[0].targetPort: expected an integer or a name"},
        JsonErrorCase{"TargetPortObject",
                      With(kSvc, R"("spec":{"ports":[{"port":80,"targetPort":{"a":1}}]}})"),
                      "spec.ports[0].targetPort: expected an integer or a name"},
        JsonErrorCase{"PortsObject", With(kSvc, R"("spec":{"ports":{"port":80}}})"),
                      "spec.ports: expected a list"},
        JsonErrorCase{"SpecArray", With(kSvc, R"("spec":[1,2]})"), "spec: expected a map"},
        JsonErrorCase{"TypeObject", With(kSvc, R"("spec":{"type":{"nested":true}}})"),
                      "spec.type: expected a string"},
        JsonErrorCase{"ClusterIPsString", With(kSvc, R"("spec":{"clusterIPs":"10.0.0.1"}})"),
                      "spec.clusterIPs: expected a list"},
        JsonErrorCase{"ReadyString",
                      With(kSlice, R"("endpoints":[{"conditions":{"ready":"true"}}]})"),
                      "endpoints[0].conditions.ready: expected a boolean"},
        JsonErrorCase{"ReadyNumber",
                      With(kSlice, R"("endpoints":[{},{"conditions":{"ready":1}}]})"),
                      "endpoints[1].conditions.ready: expected a boolean"},
        JsonErrorCase{"AddressObject",
                      With(kSlice, R"("endpoints":[{"addresses":[{"ip":"10.0.0.1"}]}]})"),
                      "endpoints[0].addresses[0]: expected a string"},
        JsonErrorCase{"EndpointNotObject", With(kSlice, R"("endpoints":["10.0.0.1"]})"),
                      "endpoints[0]: expected a map"},
        JsonErrorCase{"SlicePortString", With(kSlice, R"("ports":[{"port":"http"}]})"),
                      "ports[0].port: expected an integer"},
        JsonErrorCase{"LabelValueArray",
                      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p",
"labels":{"app":["a","b"]}}})",
                      "metadata.labels.app: expected a string"},
        JsonErrorCase{"HostNetworkNumber", With(kPod, R"("spec":{"hostNetwork":1}})"),
                      "spec.hostNetwork: expected a boolean"},
        JsonErrorCase{"ContainerPortString", With(kPod, R"("spec":{"containers":[{"name":"a"},
{"name":"b","ports":[{"containerPort":4143},{"containerPort":"4191"}]}]}})"),
                      "spec.containers[1].ports[1].containerPort: expected an integer"},
        JsonErrorCase{"OwnerControllerString",
                      R"({"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{"name":"rs",
"ownerReferences":[{"kind":"Deployment","controller":"yes"}]}})",
                      "metadata.ownerReferences[0].controller: expected a boolean"},
        JsonErrorCase{"RetryRatioString",
                      With(kProfile, R"("spec":{"retryBudget":{"retryRatio":"0.2"}}})"),
                      "spec.retryBudget.retryRatio: expected a number"},
        JsonErrorCase{"StatusMinFraction", With(kProfile, R"("spec":{"routes":[{"name":"r",
"responseClasses":[{"condition":{"status":{"min":500.5}}}]}]}})"),
                      "spec.routes[0].responseClasses[0].condition.status.min: expected an "
                      "integer"},
        JsonErrorCase{"WeightObject",
                      With(kProfile, R"("spec":{"dstOverrides":[{"weight":{"value":1}}]}})"),
                      "spec.dstOverrides[0].weight: expected a quantity (an integer or a "
                      "string)"},
        JsonErrorCase{"NameMissing", R"({"apiVersion":"v1","kind":"Service","metadata":{}})",
                      "metadata.name: required"},
        JsonErrorCase{"MetadataMissing", R"({"apiVersion":"v1","kind":"Service"})",
                      "metadata.name: required"},
        JsonErrorCase{"MetadataArray", R"({"apiVersion":"v1","kind":"Service","metadata":[]})",
                      "metadata: expected a map"},
        JsonErrorCase{"KindObject", R"({"apiVersion":"v1","kind":{},"metadata":{"name":"x"}})",
                      "kind: expected a string"},
        JsonErrorCase{"NotAnObject", R"([1,2])", "expected an object (a map)"}),
    [](const testing::TestParamInfo<JsonErrorCase>& info) { return info.param.name; });

TEST(JsonDecoderTest, ErrorsMatchTheYamlDecoderWithoutLines) {
  // The same wrong type, as YAML: the same path and reason, with the line.
  absl::StatusOr<AnyObject> yaml = FromYaml(R"(apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  ports:
  - port: "80"
)");
  EXPECT_EQ(yaml.status().message(), "line 6: spec.ports[0].port: expected an integer");
  EXPECT_EQ(FromJson(With(kSvc, R"("spec":{"ports":[{"port":"80"}]}})")).status().message(),
            "spec.ports[0].port: expected an integer");
}

TEST(JsonDecoderTest, InvalidJson) {
  for (const char* json : {"", "{", "{\"a\":}", "not json", "{\"port\": 99999999999999999999}"}) {
    absl::StatusOr<AnyObject> o = FromJson(json, "v1", "Service");
    EXPECT_EQ(o.status().code(), absl::StatusCode::kInvalidArgument) << json;
    EXPECT_THAT(std::string(o.status().message()), StartsWith("invalid JSON: ")) << json;
  }
}

TEST(JsonDecoderTest, UnwatchedKindIsNotFound) {
  absl::StatusOr<AnyObject> o =
      FromJson(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}})");
  EXPECT_EQ(o.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(o.status().message(), "kind not watched: v1/ConfigMap");
}

TEST(JsonDecoderTest, ListItemsTakeTheRequestedKind) {
  // Items of a list response carry no apiVersion or kind.
  const std::string item = R"({"metadata":{"name":"n1","labels":{"a":"b"}}})";
  auto node = As<Node>(FromJsonElement(item, "v1", "Node"));
  EXPECT_EQ(node->meta.name, "n1");
  EXPECT_EQ(node->meta.ns, "");
  EXPECT_EQ(FromJson(item).status().message(), "kind: required");
  // An object's own apiVersion and kind win.
  EXPECT_EQ(KindOf(*FromJson(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}})", "v1",
                             "Node")),
            Kind::kPod);
}

// --- PartialObjectMetadata: what metadata-only lists and watches return.

constexpr char kPartialReplicaSet[] = R"({"kind":"PartialObjectMetadata",
"apiVersion":"meta.k8s.io/v1",
"metadata":{"name":"web-5d8f","namespace":"shop","uid":"6b1f","resourceVersion":"1234",
 "generation":3,"creationTimestamp":"2024-05-01T10:00:00Z",
 "labels":{"app":"web","pod-template-hash":"5d8f"},
 "annotations":{"deployment.kubernetes.io/desired-replicas":"3",
  "deployment.kubernetes.io/revision":"7"},
 "ownerReferences":[{"apiVersion":"apps/v1","kind":"Deployment","name":"web","uid":"aa11",
  "controller":true,"blockOwnerDeletion":true}],
 "managedFields":[{"manager":"kube-controller-manager","operation":"Update",
  "apiVersion":"apps/v1","time":"2024-05-01T10:00:00Z","fieldsType":"FieldsV1",
  "fieldsV1":{"f:metadata":{"f:labels":{".":{},"f:app":{}}}},"subresource":"status"}]}})";

TEST(JsonDecoderTest, PartialObjectMetadataDecodesAsTheRequestedKind) {
  auto rs = As<ReplicaSet>(FromJsonElement(kPartialReplicaSet, "apps/v1", "ReplicaSet"));
  EXPECT_EQ(rs->meta.name, "web-5d8f");
  EXPECT_EQ(rs->meta.ns, "shop");
  EXPECT_EQ(rs->meta.uid, "6b1f");
  EXPECT_EQ(rs->meta.resource_version, "1234");
  EXPECT_EQ(rs->meta.creation_timestamp, "2024-05-01T10:00:00Z");
  EXPECT_THAT(rs->meta.labels, ElementsAre(Pair("app", "web"), Pair("pod-template-hash", "5d8f")));
  ASSERT_EQ(rs->meta.owner_references.size(), 1u);
  EXPECT_EQ(rs->meta.owner_references[0].kind, "Deployment");
  EXPECT_EQ(rs->meta.owner_references[0].name, "web");
  EXPECT_TRUE(rs->meta.owner_references[0].controller);

  auto job = As<Job>(FromJson(R"({"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1",
"metadata":{"name":"nightly-1","namespace":"ops","ownerReferences":[
 {"apiVersion":"batch/v1","kind":"CronJob","name":"nightly","controller":true}]}})",
                              "batch/v1", "Job"));
  EXPECT_EQ(job->meta.ns, "ops");
  ASSERT_EQ(job->meta.owner_references.size(), 1u);
  EXPECT_EQ(job->meta.owner_references[0].kind, "CronJob");

  auto node = As<Node>(FromJson(R"({"kind":"PartialObjectMetadata",
"apiVersion":"meta.k8s.io/v1beta1","metadata":{"name":"node-a",
 "labels":{"topology.kubernetes.io/zone":"zone-a","kubernetes.io/hostname":"node-a"}}})",
                                "v1", "Node"));
  EXPECT_EQ(node->meta.name, "node-a");
  EXPECT_EQ(node->meta.ns, "");
  EXPECT_EQ(node->meta.labels.at("topology.kubernetes.io/zone"), "zone-a");

  // A wrong type in the metadata still rejects the object.
  EXPECT_EQ(FromJson(R"({"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1",
"metadata":{"name":"n","labels":{"a":{}}}})",
                     "v1", "Node")
                .status()
                .message(),
            "metadata.labels.a: expected a string");
  // With no kind requested there is nothing to decode it as.
  EXPECT_EQ(FromJson(kPartialReplicaSet).status().message(),
            "kind not watched: meta.k8s.io/v1/PartialObjectMetadata");
  // The YAML decoder follows the same rule.
  auto from_yaml = As<ReplicaSet>(FromYaml(kPartialReplicaSet, "apps/v1", "ReplicaSet"));
  EXPECT_EQ(Describe(from_yaml), Describe(rs));
}

// --- Full objects as the API server sends them: everything the service does not read is
// ignored (managedFields, status conditions, volumes, probes...).

constexpr char kRealPod[] = R"({
  "kind": "Pod",
  "apiVersion": "v1",
  "metadata": {
    "name": "web-5d8f-x7k2p",
    "generateName": "web-5d8f-",
    "namespace": "shop",
    "uid": "0f3e2b9c-1d4a-4c55-9a0e-8f1b2c3d4e5f",
    "resourceVersion": "918273",
    "creationTimestamp": "2024-05-01T10:00:05Z",
    "labels": {
      "app": "web",
      "linkerd.io/control-plane-ns": "linkerd",
      "linkerd.io/proxy-deployment": "web",
      "linkerd.io/workload-ns": "shop",
      "pod-template-hash": "5d8f"
    },
    "annotations": {
      "linkerd.io/created-by": "linkerd/proxy-injector stable-2.14.10",
      "linkerd.io/inject": "enabled",
      "linkerd.io/proxy-version": "stable-2.14.10",
      "config.linkerd.io/opaque-ports": "3306",
      "kubectl.kubernetes.io/restartedAt": "2024-05-01T09:59:00Z"
    },
    "ownerReferences": [
      {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-5d8f",
       "uid": "6b1f0000-0000-0000-0000-000000000001", "controller": true,
       "blockOwnerDeletion": true}
    ],
    "managedFields": [
      {"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "v1",
       "time": "2024-05-01T10:00:05Z", "fieldsType": "FieldsV1",
       "fieldsV1": {"f:metadata": {"f:generateName": {}, "f:labels": {".": {}, "f:app": {}},
        "f:ownerReferences": {".": {}, "k:{\"uid\":\"6b1f\"}": {}}},
        "f:spec": {"f:containers": {"k:{\"name\":\"app\"}": {".": {}, "f:image": {},
         "f:ports": {".": {}, "k:{\"containerPort\":8080,\"protocol\":\"TCP\"}": {}}}}}}},
      {"manager": "kubelet", "operation": "Update", "apiVersion": "v1",
       "time": "2024-05-01T10:00:09Z", "fieldsType": "FieldsV1",
       "fieldsV1": {"f:status": {"f:conditions": {}, "f:podIP": {}, "f:podIPs": {}}},
       "subresource": "status"}
    ]
  },
  "spec": {
    "volumes": [
      {"name": "kube-api-access-abcde", "projected": {"sources": [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}}
      ], "defaultMode": 420}},
      {"name": "linkerd-identity-end-entity", "emptyDir": {"medium": "Memory"}}
    ],
    "initContainers": [
      {"name": "linkerd-init", "image": "cr.l5d.io/linkerd/proxy-init:v2.2.3",
       "args": ["--incoming-proxy-port", "4143"],
       "resources": {"limits": {"cpu": "100m", "memory": "20Mi"}},
       "securityContext": {"capabilities": {"add": ["NET_ADMIN", "NET_RAW"]},
        "runAsUser": 65534, "runAsNonRoot": true}}
    ],
    "containers": [
      {"name": "linkerd-proxy", "image": "cr.l5d.io/linkerd/proxy:stable-2.14.10",
       "ports": [
         {"name": "linkerd-proxy", "containerPort": 4143, "protocol": "TCP"},
         {"name": "linkerd-admin", "containerPort": 4191, "protocol": "TCP"}
       ],
       "env": [
         {"name": "_pod_name", "valueFrom": {"fieldRef": {"apiVersion": "v1",
          "fieldPath": "metadata.name"}}},
         {"name": "LINKERD2_PROXY_INBOUND_LISTEN_ADDR", "value": "0.0.0.0:4143"},
         {"name": "LINKERD2_PROXY_INBOUND_PORTS", "value": "8080,9090"}
       ],
       "resources": {},
       "livenessProbe": {"httpGet": {"path": "/live", "port": 4191, "scheme": "HTTP"},
        "initialDelaySeconds": 10, "timeoutSeconds": 1, "periodSeconds": 10},
       "lifecycle": {"postStart": {"exec": {"command": ["/usr/lib/linkerd/linkerd-await"]}}},
       "terminationMessagePath": "/dev/termination-log", "imagePullPolicy": "IfNotPresent",
       "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
        "runAsUser": 2102}},
      {"name": "app", "image": "example/web:1.2.3",
       "ports": [
         {"name": "http", "containerPort": 8080, "protocol": "TCP"},
         {"name": "metrics", "containerPort": 9090, "protocol": "TCP"}
       ],
       "env": [{"name": "MODE", "value": "production"}],
       "readinessProbe": {"httpGet": {"path": "/ready", "port": "http"}},
       "volumeMounts": [{"name": "kube-api-access-abcde", "readOnly": true,
        "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}]}
    ],
    "restartPolicy": "Always",
    "terminationGracePeriodSeconds": 30,
    "dnsPolicy": "ClusterFirst",
    "serviceAccountName": "web",
    "serviceAccount": "web",
    "nodeName": "node-a",
    "securityContext": {},
    "schedulerName": "default-scheduler",
    "tolerations": [
      {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
       "tolerationSeconds": 300}
    ],
    "priority": 0,
    "enableServiceLinks": true,
    "preemptionPolicy": "PreemptLowerPriority"
  },
  "status": {
    "phase": "Running",
    "conditions": [
      {"type": "Initialized", "status": "True", "lastProbeTime": null,
       "lastTransitionTime": "2024-05-01T10:00:07Z"},
      {"type": "Ready", "status": "True", "lastProbeTime": null,
       "lastTransitionTime": "2024-05-01T10:00:12Z"}
    ],
    "hostIP": "192.168.1.10",
    "hostIPs": [{"ip": "192.168.1.10"}],
    "podIP": "10.42.0.17",
    "podIPs": [{"ip": "10.42.0.17"}, {"ip": "fd00:42::17"}],
    "startTime": "2024-05-01T10:00:05Z",
    "initContainerStatuses": [
      {"name": "linkerd-init", "state": {"terminated": {"exitCode": 0, "reason": "Completed",
       "startedAt": "2024-05-01T10:00:06Z", "finishedAt": "2024-05-01T10:00:06Z",
       "containerID": "containerd://aa"}}, "ready": true, "restartCount": 0,
       "image": "cr.l5d.io/linkerd/proxy-init:v2.2.3", "imageID": "sha256:aa",
       "containerID": "containerd://aa"}
    ],
    "containerStatuses": [
      {"name": "app", "state": {"running": {"startedAt": "2024-05-01T10:00:09Z"}},
       "lastState": {}, "ready": true, "restartCount": 0, "image": "example/web:1.2.3",
       "imageID": "sha256:bb", "containerID": "containerd://bb", "started": true}
    ],
    "qosClass": "Burstable"
  }
})";

TEST(JsonDecoderTest, RealisticPod) {
  auto pod = As<Pod>(FromJsonElement(kRealPod, "v1", "Pod"));
  EXPECT_EQ(pod->meta.name, "web-5d8f-x7k2p");
  EXPECT_EQ(pod->meta.ns, "shop");
  EXPECT_EQ(pod->meta.resource_version, "918273");
  EXPECT_FALSE(pod->meta.deleting);
  EXPECT_EQ(pod->meta.labels.size(), 5u);
  EXPECT_EQ(pod->meta.annotations.at("config.linkerd.io/opaque-ports"), "3306");
  ASSERT_EQ(pod->meta.owner_references.size(), 1u);
  EXPECT_EQ(pod->meta.owner_references[0].name, "web-5d8f");
  EXPECT_TRUE(pod->meta.owner_references[0].controller);
  EXPECT_EQ(pod->service_account_name, "web");
  EXPECT_FALSE(pod->host_network);
  EXPECT_EQ(pod->node_name, "node-a");
  ASSERT_EQ(pod->containers.size(), 2u);  // linkerd-init is a plain init container
  EXPECT_EQ(pod->containers[0].name, "linkerd-proxy");
  ASSERT_EQ(pod->containers[0].ports.size(), 2u);
  EXPECT_EQ(pod->containers[0].ports[1].container_port, 4191);
  ASSERT_EQ(pod->containers[0].env.size(), 3u);
  EXPECT_EQ(pod->containers[0].env[0].value, "");  // valueFrom
  EXPECT_EQ(pod->containers[0].env[2].value, "8080,9090");
  EXPECT_EQ(pod->containers[1].name, "app");
  EXPECT_EQ(pod->containers[1].ports[0].name, "http");
  EXPECT_EQ(pod->phase, "Running");
  EXPECT_THAT(pod->pod_ips, ElementsAre("10.42.0.17", "fd00:42::17"));
  EXPECT_EQ(pod->host_ip, "192.168.1.10");
  // The previous path (yaml-cpp reading the JSON) agrees field by field.
  EXPECT_EQ(Describe(pod), DescribeOr(FromYaml(kRealPod, "v1", "Pod")));
}

TEST(JsonDecoderTest, RealisticEndpointSliceAndService) {
  const std::string slice_json = R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1",
"metadata":{"name":"web-x2f9q","generateName":"web-","namespace":"shop","uid":"e1",
 "resourceVersion":"918300","generation":12,"creationTimestamp":"2024-04-01T00:00:00Z",
 "labels":{"app":"web","endpointslice.kubernetes.io/managed-by":"endpointslice-controller.k8s.io",
  "kubernetes.io/service-name":"web"},
 "annotations":{"endpoints.kubernetes.io/last-change-trigger-time":"2024-05-01T10:00:12Z"},
 "ownerReferences":[{"apiVersion":"v1","kind":"Service","name":"web","uid":"s1",
  "controller":true,"blockOwnerDeletion":true}],
 "managedFields":[{"manager":"kube-controller-manager","operation":"Update",
  "apiVersion":"discovery.k8s.io/v1","time":"2024-05-01T10:00:12Z","fieldsType":"FieldsV1",
  "fieldsV1":{"f:addressType":{},"f:endpoints":{},"f:ports":{}}}]},
"addressType":"IPv4",
"endpoints":[
 {"addresses":["10.42.0.17"],"conditions":{"ready":true,"serving":true,"terminating":false},
  "targetRef":{"kind":"Pod","namespace":"shop","name":"web-5d8f-x7k2p","uid":"p1"},
  "nodeName":"node-a","zone":"zone-a","hints":{"forZones":[{"name":"zone-a"}]}},
 {"addresses":["10.42.1.9"],"conditions":{"ready":false,"serving":true,"terminating":true},
  "targetRef":{"kind":"Pod","namespace":"shop","name":"web-5d8f-q9z8r","uid":"p2"},
  "nodeName":"node-b","zone":"zone-b"}],
"ports":[{"name":"http","protocol":"TCP","port":8080,"appProtocol":"http"}]})";
  auto slice =
      As<EndpointSlice>(FromJsonElement(slice_json, "discovery.k8s.io/v1", "EndpointSlice"));
  EXPECT_EQ(slice->service_name, "web");
  EXPECT_EQ(slice->address_type, "IPv4");
  ASSERT_EQ(slice->endpoints.size(), 2u);
  EXPECT_EQ(slice->endpoints[0].ready, std::optional<bool>(true));
  EXPECT_THAT(slice->endpoints[0].hint_zones, ElementsAre("zone-a"));
  EXPECT_EQ(slice->endpoints[1].ready, std::optional<bool>(false));
  EXPECT_EQ(slice->endpoints[1].target_ref->name, "web-5d8f-q9z8r");
  ASSERT_EQ(slice->ports.size(), 1u);
  EXPECT_EQ(slice->ports[0].port, 8080);
  EXPECT_EQ(Describe(slice), DescribeOr(FromYaml(slice_json)));

  const std::string svc_json = R"({"kind":"Service","apiVersion":"v1",
"metadata":{"name":"web","namespace":"shop","uid":"s1","resourceVersion":"100",
 "creationTimestamp":"2024-04-01T00:00:00Z","labels":{"app":"web"},
 "annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"apiVersion\":\"v1\"}\n"},
 "managedFields":[{"manager":"kubectl-client-side-apply","operation":"Update"}]},
"spec":{"ports":[{"name":"http","protocol":"TCP","port":80,"targetPort":"http"}],
 "selector":{"app":"web"},"clusterIP":"10.43.0.10","clusterIPs":["10.43.0.10"],
 "type":"ClusterIP","sessionAffinity":"None","ipFamilies":["IPv4"],
 "ipFamilyPolicy":"SingleStack","internalTrafficPolicy":"Cluster"},
"status":{"loadBalancer":{}}})";
  auto svc = As<Service>(FromJson(svc_json, "v1", "Service"));
  EXPECT_THAT(svc->cluster_ips, ElementsAre("10.43.0.10"));
  ASSERT_EQ(svc->ports.size(), 1u);
  EXPECT_EQ(svc->ports[0].target_port.str_value, "http");
  // kubectl's last-applied-configuration is read (and checked), then dropped: the service reads
  // no such annotation (annotation::kRead).
  EXPECT_TRUE(svc->meta.annotations.empty());
  EXPECT_EQ(Describe(svc), DescribeOr(FromYaml(svc_json)));
}

TEST(JsonDecoderTest, UnicodeAndEscapes) {
  auto svc = As<Service>(FromJson(R"({"apiVersion":"v1","kind":"Service",
"metadata":{"name":"web","labels":{"note":"caf\u00e9 \"quoted\" \\ tab\t",
 "emoji":"\ud83d\ude00"}}})"));
  EXPECT_EQ(svc->meta.labels.at("note"), "caf\xc3\xa9 \"quoted\" \\ tab\t");
  EXPECT_EQ(svc->meta.labels.at("emoji"), "\xf0\x9f\x98\x80");
}

}  // namespace
}  // namespace dest
