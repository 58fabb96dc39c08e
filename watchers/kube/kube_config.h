// Where the Kubernetes API is and how to authenticate to it: in-cluster service-account
// configuration, or kubeconfig files (-kubeconfig, $KUBECONFIG with several files merged,
// ~/.kube/config), as kubectl resolves them.
//
// Thread-compatible (plain functions and data).
#ifndef WATCHERS_KUBE_KUBE_CONFIG_H_
#define WATCHERS_KUBE_KUBE_CONFIG_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace dest {

struct KubeConfig {
  std::string server;  // "https://10.96.0.1:443", no trailing slash
  std::string ca_pem;  // CA bundle to trust; empty: the system's roots
  bool insecure_skip_verify = false;
  std::string token;            // a static bearer token
  std::string token_file;       // a token file re-read periodically and on 401 (rotation)
  std::string client_cert_pem;  // client certificate authentication
  std::string client_key_pem;
  std::string ns;      // the service account's or context's namespace
  std::string origin;  // for logs: "in-cluster" or "kubeconfig PATH context NAME"
};

// Reads an environment variable ("" when unset); tests substitute their own.
using EnvLookup = std::function<std::string(const std::string& name)>;
EnvLookup ProcessEnv();

// In-cluster: KUBERNETES_SERVICE_HOST and _PORT (IPv6 hosts bracketed), the token, CA and
// namespace files under `sa_dir` (normally /var/run/secrets/kubernetes.io/serviceaccount).
absl::StatusOr<KubeConfig> InClusterConfig(const EnvLookup& env, const std::string& sa_dir);

// Kubeconfig files merged as kubectl does: for clusters, users and contexts the first file
// defining a name wins; current-context comes from the first file that sets it. `context` selects
// a context other than the current one. Relative paths are relative to the file that names them;
// `*-data` fields are base64. exec and auth-provider plugins are not supported (clear error).
absl::StatusOr<KubeConfig> KubeconfigConfig(const std::vector<std::string>& paths,
                                            const std::string& context = "");

// The configuration the service uses: an explicit `kubeconfig_flag`; else in-cluster when
// KUBERNETES_SERVICE_HOST is set and no `context` is asked for; else $KUBECONFIG
// (colon-separated); else ~/.kube/config. A non-empty `context` selects that kubeconfig context.
absl::StatusOr<KubeConfig> LoadKubeConfig(const std::string& kubeconfig_flag,
                                          const std::string& context, const EnvLookup& env,
                                          const std::string& sa_dir);

}  // namespace dest

#endif  // WATCHERS_KUBE_KUBE_CONFIG_H_
