#include "bench/kube_objects.h"

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace dest::bench {
namespace {

// Kinds of generated names and uids, so that two objects never share one.
enum Seed : uint64_t {
  kPodSeed = 1,
  kServiceSeed,
  kSliceSeed,
  kReplicaSetSeed,
  kDeploymentSeed,
  kNodeSeed,
  kHashSeed,
  kDigestSeed
};

uint64_t Mix(uint64_t x) {  // splitmix64
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

uint64_t Key(Seed seed, int64_t i) { return Mix((static_cast<uint64_t>(seed) << 40) ^ i); }

// `n` characters of Kubernetes' generated-name alphabet (no vowels, no 0/1/3).
std::string Suffix(uint64_t key, int n) {
  static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  std::string out;
  for (int i = 0; i < n; ++i) {
    key = Mix(key + i);
    out.push_back(kAlphabet[key % (sizeof(kAlphabet) - 1)]);
  }
  return out;
}

// The generated suffix of Pod p: distinct among the Pods of one Service (p / S < 1,000 is spread
// injectively over 27^5 values).
std::string PodSuffix(int p, int services) {
  static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  constexpr int64_t kSpace = 27LL * 27 * 27 * 27 * 27;
  int64_t v =
      (static_cast<int64_t>(p / services) * 7919 + Key(kPodSeed, p % services) % kSpace) % kSpace;
  std::string out;
  for (int i = 0; i < 5; ++i, v /= 27) out.push_back(kAlphabet[v % 27]);
  return out;
}

std::string Hex(uint64_t key, int n) {
  std::string out;
  while (static_cast<int>(out.size()) < n) {
    key = Mix(key);
    absl::StrAppendFormat(&out, "%016x", key);
  }
  out.resize(n);
  return out;
}

std::string Uid(Seed seed, int64_t i) {
  const std::string h = Hex(Key(seed, i), 32);
  return absl::StrCat(h.substr(0, 8), "-", h.substr(8, 4), "-4", h.substr(13, 3), "-8",
                      h.substr(17, 3), "-", h.substr(20, 12));
}

std::string Quad(int a, int64_t q) {
  return absl::StrCat("10.", a + (q >> 16), ".", (q >> 8) & 255, ".", q & 255);
}

std::string ServiceName(int s) { return absl::StrFormat("svc-%05d", s); }
std::string TemplateHash(int s) { return Suffix(Key(kHashSeed, s), 10); }
std::string ReplicaSetName(int s) { return absl::StrCat(ServiceName(s), "-", TemplateHash(s)); }
std::string ClusterIp(int s) { return Quad(96, s + 1); }
std::string PodIp(int p) { return Quad(128, p + 1); }
std::string NodeName(int n) { return absl::StrFormat("node-%03d", n); }
std::string HostIp(int n) { return absl::StrCat("172.16.", n / 250, ".", 1 + n % 250); }
std::string Zone(int n) {
  return absl::StrCat("zone-", std::string(1, static_cast<char>('a' + n % 3)));
}

constexpr const char* kCreated = "2025-03-01T09:12:44Z";
constexpr const char* kStarted = "2025-03-01T09:12:47Z";
constexpr const char* kProxyVersion = "stable-2.14.10";

// A managedFields entry of a plain update by `manager`.
std::string Managed(const std::string& manager, const char* api_version, const char* time,
                    const std::string& fields, const char* subresource = nullptr) {
  return absl::StrCat(
      R"({"manager":")", manager, R"(","operation":"Update","apiVersion":")", api_version,
      R"(","time":")", time, R"(","fieldsType":"FieldsV1","fieldsV1":)", fields,
      subresource ? absl::StrCat(R"(,"subresource":")", subresource, "\"") : "", "}");
}

// A condition as kubelet writes it.
std::string Condition(const char* type) {
  return absl::StrCat(R"({"type":")", type, R"(","status":"True","lastProbeTime":null,)",
                      R"("lastTransitionTime":")", kStarted, R"("})");
}

}  // namespace

absl::StatusOr<KubeObjects> KubeObjects::Create(const Options& options) {
  if (options.services < 1 || options.services > 1000000) {
    return absl::InvalidArgumentError("--services must be in [1, 1000000]");
  }
  if (options.pods < options.services || options.pods > 8000000) {
    return absl::InvalidArgumentError("--pods must be in [--services, 8000000]");
  }
  if ((options.pods + options.services - 1) / options.services > 1000) {
    return absl::InvalidArgumentError(
        "at most 1000 pods per Service (one EndpointSlice each): raise --services");
  }
  if (options.nodes < 1 || options.nodes > 60000) {
    return absl::InvalidArgumentError("nodes must be in [1, 60000]");
  }
  return KubeObjects(options);
}

int KubeObjects::PodsOfService(int service) const {
  const int s = options_.services;
  return options_.pods / s + (service < options_.pods % s ? 1 : 0);
}

std::string KubeObjects::Authority(int service) {
  return absl::StrCat(ServiceName(service), ".", kNamespace, ".svc.cluster.local:", kPort);
}

std::string KubeObjects::Service(int s) const {
  const std::string name = ServiceName(s);
  const std::string ip = ClusterIp(s);
  const std::string managed = Managed(
      "kubectl-client-side-apply", "v1", kCreated,
      R"({"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:internalTrafficPolicy":{},)"
      R"("f:ports":{".":{},"k:{\"port\":8080,\"protocol\":\"TCP\"}":{".":{},"f:name":{},)"
      R"("f:port":{},"f:protocol":{},"f:targetPort":{}}},"f:selector":{},"f:sessionAffinity":{},)"
      R"("f:type":{}}})");
  return absl::StrCat(
      R"({"apiVersion":"v1","kind":"Service","metadata":{"name":")", name, R"(","namespace":")",
      kNamespace, R"(","uid":")", Uid(kServiceSeed, s), R"(","creationTimestamp":")", kCreated,
      R"(","labels":{"app":")", name, R"("},"managedFields":[)", managed,
      R"(]},"spec":{"clusterIP":")", ip, R"(","clusterIPs":[")", ip,
      R"("],"internalTrafficPolicy":"Cluster","ipFamilies":["IPv4"],)"
      R"("ipFamilyPolicy":"SingleStack","ports":[{"name":"http","port":)",
      kPort, R"(,"protocol":"TCP","targetPort":)", kPort, R"(}],"selector":{"app":")", name,
      R"("},"sessionAffinity":"None","type":"ClusterIP"},"status":{"loadBalancer":{}}})");
}

std::string KubeObjects::EndpointSlice(int s) const {
  const std::string name = ServiceName(s);
  std::string endpoints;
  for (int p = s; p < options_.pods; p += options_.services) {
    const int node = p % options_.nodes;
    absl::StrAppend(&endpoints, endpoints.empty() ? "" : ",", R"({"addresses":[")", PodIp(p),
                    R"("],"conditions":{"ready":true,"serving":true,"terminating":false},)"
                    R"("targetRef":{"kind":"Pod","namespace":")",
                    kNamespace, R"(","name":")", name, "-", TemplateHash(s), "-",
                    PodSuffix(p, options_.services), R"(","uid":")", Uid(kPodSeed, p),
                    R"("},"nodeName":")", NodeName(node), R"(","zone":")", Zone(node), R"("})");
  }
  const std::string managed =
      Managed("kube-controller-manager", "discovery.k8s.io/v1", kStarted,
              R"({"f:addressType":{},"f:endpoints":{},"f:metadata":{"f:annotations":{".":{},)"
              R"("f:endpoints.kubernetes.io/last-change-trigger-time":{}},"f:generateName":{},)"
              R"("f:labels":{".":{},"f:app":{},"f:endpointslice.kubernetes.io/managed-by":{},)"
              R"("f:kubernetes.io/service-name":{}},"f:ownerReferences":{".":{},"k:{\"uid\":\")" +
                  Uid(kServiceSeed, s) + R"(\"}":{}}},"f:ports":{}})");
  return absl::StrCat(
      R"({"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":")", name,
      "-", Suffix(Key(kSliceSeed, s), 5), R"(","generateName":")", name, R"(-","namespace":")",
      kNamespace, R"(","uid":")", Uid(kSliceSeed, s), R"(","creationTimestamp":")", kCreated,
      R"(","generation":1,"labels":{"app":")", name,
      R"(","endpointslice.kubernetes.io/managed-by":"endpointslice-controller.k8s.io",)"
      R"("kubernetes.io/service-name":")",
      name, R"("},"annotations":{"endpoints.kubernetes.io/last-change-trigger-time":")", kStarted,
      R"("},"ownerReferences":[{"apiVersion":"v1","kind":"Service","name":")", name, R"(","uid":")",
      Uid(kServiceSeed, s), R"(","controller":true,"blockOwnerDeletion":true}],"managedFields":[)",
      managed, R"(]},"addressType":"IPv4","endpoints":[)", endpoints,
      R"(],"ports":[{"name":"http","protocol":"TCP","port":)", kPort, "}]}");
}

std::string KubeObjects::ReplicaSet(int s) const {
  const std::string name = ServiceName(s);
  const std::string hash = TemplateHash(s);
  const int replicas = PodsOfService(s);
  const std::string labels =
      absl::StrCat(R"({"app":")", name, R"(","pod-template-hash":")", hash, R"(","version":"v1"})");
  const std::string managed = Managed(
      "kube-controller-manager", "apps/v1", kCreated,
      R"({"f:metadata":{"f:annotations":{".":{},"f:deployment.kubernetes.io/desired-replicas":{},)"
      R"("f:deployment.kubernetes.io/max-replicas":{},"f:deployment.kubernetes.io/revision":{}},)"
      R"("f:labels":{".":{},"f:app":{},"f:pod-template-hash":{},"f:version":{}},)"
      R"("f:ownerReferences":{".":{},"k:{\"uid\":\")" +
          Uid(kDeploymentSeed, s) +
          R"(\"}":{}}},"f:spec":{"f:replicas":{},"f:selector":{},"f:template":{}}})");
  return absl::StrCat(
      R"({"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{"name":")", ReplicaSetName(s),
      R"(","namespace":")", kNamespace, R"(","uid":")", Uid(kReplicaSetSeed, s),
      R"(","creationTimestamp":")", kCreated, R"(","generation":1,"labels":)", labels,
      R"(,"annotations":{"deployment.kubernetes.io/desired-replicas":")", replicas,
      R"(","deployment.kubernetes.io/max-replicas":")", replicas + (replicas + 3) / 4,
      R"(","deployment.kubernetes.io/revision":"1"},"ownerReferences":[{"apiVersion":"apps/v1",)"
      R"("kind":"Deployment","name":")",
      name, R"(","uid":")", Uid(kDeploymentSeed, s),
      R"(","controller":true,"blockOwnerDeletion":true}],"managedFields":[)", managed,
      R"(]},"spec":{"replicas":)", replicas, R"(,"selector":{"matchLabels":{"app":")", name,
      R"(","pod-template-hash":")", hash, R"("}},"template":{"metadata":{"labels":)", labels,
      R"(},"spec":{"containers":[{"name":"app","image":"registry.example.com/bench/)", name,
      R"(:1.4.2","ports":[{"name":"http","containerPort":)", kPort,
      R"(,"protocol":"TCP"}]}]}}},"status":{"replicas":)", replicas, R"(,"fullyLabeledReplicas":)",
      replicas, R"(,"readyReplicas":)", replicas, R"(,"availableReplicas":)", replicas,
      R"(,"observedGeneration":1}})");
}

std::string KubeObjects::Pod(int p, int generation) const {
  const int s = p % options_.services;
  const int node = p % options_.nodes;
  const std::string svc = ServiceName(s);
  const std::string hash = TemplateHash(s);
  const std::string rs = ReplicaSetName(s);
  const std::string rs_uid = Uid(kReplicaSetSeed, s);
  const std::string ip = PodIp(p);
  const std::string volume = absl::StrCat("kube-api-access-", Suffix(Key(kPodSeed, -p), 5));

  const std::string controller_fields = absl::StrCat(
      R"({"f:metadata":{"f:generateName":{},"f:labels":{".":{},"f:app":{},)"
      R"("f:pod-template-hash":{}},"f:ownerReferences":{".":{},"k:{\"uid\":\")",
      rs_uid,
      R"(\"}":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"app\"}":{".":{},"f:image":{},)"
      R"("f:name":{},"f:ports":{},"f:resources":{}}},"f:volumes":{}}})");
  const std::string kubelet_fields = absl::StrCat(
      R"({"f:status":{"f:conditions":{},"f:containerStatuses":{},"f:hostIP":{},"f:phase":{},)"
      R"("f:podIP":{},"f:podIPs":{".":{},"k:{\"ip\":\")",
      ip, R"(\"}":{".":{},"f:ip":{}}},"f:startTime":{}}})");
  const std::string apply_fields =
      R"({"f:metadata":{"f:annotations":{"f:kube-bench/generation":{}}}})";

  const std::string metadata = absl::StrCat(
      R"({"name":")", rs, "-", PodSuffix(p, options_.services), R"(","generateName":")", rs,
      R"(-","namespace":")", kNamespace, R"(","uid":")", Uid(kPodSeed, p),
      R"(","creationTimestamp":")", kCreated, R"(","labels":{"app":")", svc,
      R"(","linkerd.io/control-plane-ns":"linkerd","linkerd.io/proxy-deployment":")", svc,
      R"(","pod-template-hash":")", hash, R"("},"annotations":{"kube-bench/generation":")",
      generation, R"(","linkerd.io/created-by":"linkerd/proxy-injector )", kProxyVersion,
      R"(","linkerd.io/proxy-version":")", kProxyVersion, R"(","linkerd.io/trust-root-sha256":")",
      Hex(Key(kDigestSeed, 0), 64),
      R"("},"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":")", rs,
      R"(","uid":")", rs_uid,
      R"(","controller":true,"blockOwnerDeletion":true}],)"
      R"("managedFields":[)",
      Managed("kube-controller-manager", "v1", kCreated, controller_fields), ",",
      Managed("kubelet", "v1", kStarted, kubelet_fields, "status"), ",",
      Managed("kubectl-client-side-apply", "v1", kStarted, apply_fields), "]}");

  const std::string spec = absl::StrCat(
      R"({"volumes":[{"name":")", volume,
      R"(","projected":{"sources":[{"serviceAccountToken":{"path":"token"}}]}}],)"
      R"("containers":[{"name":"app","image":"registry.example.com/bench/)",
      svc, R"(:1.4.2","ports":[{"name":"http","containerPort":)", kPort,
      R"(,"protocol":"TCP"}],"resources":{"requests":{"cpu":"100m","memory":"128Mi"}},)"
      R"("volumeMounts":[{"name":")",
      volume,
      R"(","readOnly":true,"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}]},)"
      R"({"name":"linkerd-proxy","image":"cr.l5d.io/linkerd/proxy:)",
      kProxyVersion,
      R"(","ports":[{"name":"linkerd-proxy","containerPort":4143}],"env":[)"
      R"({"name":"LINKERD2_PROXY_INBOUND_LISTEN_ADDR","value":"0.0.0.0:4143"}],)"
      R"("resources":{"requests":{"cpu":"100m","memory":"20Mi"}}}],"serviceAccountName":")",
      svc, R"(","nodeName":")", NodeName(node), R"("})");

  auto container_status = [](const char* name) {
    return absl::StrCat(R"({"name":")", name, R"(","state":{"running":{"startedAt":")", kStarted,
                        R"("}},"ready":true,"restartCount":0,"started":true})");
  };
  const std::string status = absl::StrCat(
      R"({"phase":"Running","conditions":[)", Condition("Ready"), R"(],"hostIP":")", HostIp(node),
      R"(","podIP":")", ip, R"(","podIPs":[{"ip":")", ip, R"("}],"startTime":")", kCreated,
      R"(","containerStatuses":[)", container_status("app"), ",", container_status("linkerd-proxy"),
      R"(],"qosClass":"Burstable"})");

  return absl::StrCat(R"({"apiVersion":"v1","kind":"Pod","metadata":)", metadata, R"(,"spec":)",
                      spec, R"(,"status":)", status, "}");
}

std::string KubeObjects::Node(int n) const {
  const std::string name = NodeName(n);
  return absl::StrCat(R"({"apiVersion":"v1","kind":"Node","metadata":{"name":")", name,
                      R"(","uid":")", Uid(kNodeSeed, n), R"(","creationTimestamp":")", kCreated,
                      R"(","labels":{"kubernetes.io/arch":"amd64","kubernetes.io/hostname":")",
                      name, R"(","kubernetes.io/os":"linux","topology.kubernetes.io/zone":")",
                      Zone(n), R"("}},"spec":{"podCIDR":"10.244.)", n % 256,
                      R"(.0/24"},"status":{"addresses":[)"
                      R"({"type":"InternalIP","address":")",
                      HostIp(n), R"("},{"type":"Hostname","address":")", name, R"("}]}})");
}

}  // namespace dest::bench
