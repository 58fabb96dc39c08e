#include "watchers/kube/kube_config.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/status_macros.h"
#include "yaml-cpp/yaml.h"

namespace dest {
namespace fs = std::filesystem;

namespace {

absl::StatusOr<std::string> ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return std::move(ss).str();
}

std::string Scalar(const YAML::Node& n, const char* key) {
  if (!n || !n.IsMap()) return "";
  YAML::Node v = n[key];
  return v && v.IsScalar() ? v.Scalar() : "";
}

std::string Resolve(const std::string& base_file, const std::string& path) {
  if (path.empty() || fs::path(path).is_absolute()) return path;
  return (fs::path(base_file).parent_path() / path).string();
}

// A named entry (cluster, user, context) and the file it came from.
struct Named {
  YAML::Node node;
  std::string file;
};

// Either inline base64 `*-data` or a file path: returns the PEM contents.
absl::StatusOr<std::string> DataOrFile(const Named& entry, const char* data_key,
                                       const char* file_key) {
  std::string data = Scalar(entry.node, data_key);
  if (!data.empty()) {
    std::string out;
    if (!absl::Base64Unescape(data, &out)) {
      return absl::InvalidArgumentError(
          absl::StrCat(entry.file, ": ", data_key, " is not valid base64"));
    }
    return out;
  }
  std::string file = Scalar(entry.node, file_key);
  if (file.empty()) return std::string();
  absl::StatusOr<std::string> content = ReadWhole(Resolve(entry.file, file));
  if (!content.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(entry.file, ": ", file_key, ": ", content.status().message()));
  }
  return content;
}

}  // namespace

EnvLookup ProcessEnv() {
  return [](const std::string& name) {
    const char* v = std::getenv(name.c_str());
    return v ? std::string(v) : std::string();
  };
}

absl::StatusOr<KubeConfig> InClusterConfig(const EnvLookup& env, const std::string& sa_dir) {
  std::string host = env("KUBERNETES_SERVICE_HOST");
  std::string port = env("KUBERNETES_SERVICE_PORT");
  if (host.empty() || port.empty()) {
    return absl::FailedPreconditionError(
        "not in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set");
  }
  KubeConfig c;
  bool v6 = host.find(':') != std::string::npos && host.front() != '[';
  c.server = absl::StrCat("https://", v6 ? "[" : "", host, v6 ? "]" : "", ":", port);
  c.token_file = sa_dir + "/token";
  ASSIGN_OR_RETURN(std::string token, ReadWhole(c.token_file));
  if (absl::StripAsciiWhitespace(token).empty()) {
    return absl::FailedPreconditionError(absl::StrCat(c.token_file, " is empty"));
  }
  ASSIGN_OR_RETURN(c.ca_pem, ReadWhole(sa_dir + "/ca.crt"));
  absl::StatusOr<std::string> ns = ReadWhole(sa_dir + "/namespace");
  c.ns = ns.ok() ? std::string(absl::StripAsciiWhitespace(*ns)) : "";
  c.origin = "in-cluster";
  return c;
}

namespace {

// The kubeconfig files of a list merged as kubectl merges them: the first definition of a name
// wins, and so does the first current-context.
struct MergedKubeconfig {
  std::map<std::string, Named> clusters, users, contexts;
  std::string current;       // the context to use
  std::string current_file;  // the file that set it, when one did
};

absl::StatusOr<MergedKubeconfig> MergeKubeconfigs(const std::vector<std::string>& paths,
                                                  const std::string& context) {
  MergedKubeconfig m;
  m.current = context;
  int loaded = 0;
  for (const std::string& path : paths) {
    if (path.empty()) continue;
    absl::StatusOr<std::string> text = ReadWhole(path);
    if (!text.ok()) {
      if (paths.size() > 1) continue;  // kubectl skips missing files in a merged list
      return absl::NotFoundError(absl::StrCat("kubeconfig ", path, ": cannot read it"));
    }
    YAML::Node root;
    try {
      root = YAML::Load(*text);
    } catch (const YAML::Exception& e) {
      return absl::InvalidArgumentError(
          absl::StrCat("kubeconfig ", path, ":", e.mark.line + 1, ": ", e.msg));
    }
    ++loaded;
    if (!root.IsMap()) continue;
    auto merge = [&](const char* list, const char* inner, std::map<std::string, Named>& into) {
      YAML::Node seq = root[list];
      if (!seq || !seq.IsSequence()) return;
      for (const YAML::Node& item : seq) {
        std::string name = Scalar(item, "name");
        if (name.empty() || into.count(name)) continue;  // first definition wins
        into[name] = Named{item[inner], path};
      }
    };
    merge("clusters", "cluster", m.clusters);
    merge("users", "user", m.users);
    merge("contexts", "context", m.contexts);
    if (m.current.empty()) {
      m.current = Scalar(root, "current-context");
      m.current_file = path;
    }
  }
  if (loaded == 0) {
    return absl::NotFoundError(
        absl::StrCat("no readable kubeconfig among: ", absl::StrJoin(paths, ":")));
  }
  return m;
}

// The credentials of a kubeconfig user: a token (or token file) and/or a client certificate.
absl::Status SetUser(const Named& user, const std::string& user_name, KubeConfig& c) {
  const YAML::Node& u = user.node;
  if (u && u.IsMap() && (u["exec"] || u["auth-provider"])) {
    return absl::UnimplementedError(absl::StrCat(
        "kubeconfig: user \"", user_name,
        "\" uses an exec or auth-provider plugin, which is not supported; use a token or client "
        "certificate"));
  }
  c.token = Scalar(u, "token");
  std::string token_file = Scalar(u, "tokenFile");
  if (!token_file.empty()) c.token_file = Resolve(user.file, token_file);
  ASSIGN_OR_RETURN(c.client_cert_pem,
                   DataOrFile(user, "client-certificate-data", "client-certificate"));
  ASSIGN_OR_RETURN(c.client_key_pem, DataOrFile(user, "client-key-data", "client-key"));
  if (c.client_cert_pem.empty() != c.client_key_pem.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "kubeconfig: user \"", user_name, "\" needs both a client certificate and a key"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<KubeConfig> KubeconfigConfig(const std::vector<std::string>& paths,
                                            const std::string& context) {
  ASSIGN_OR_RETURN(MergedKubeconfig m, MergeKubeconfigs(paths, context));
  if (m.current.empty()) return absl::InvalidArgumentError("kubeconfig: no current-context set");
  auto ctx = m.contexts.find(m.current);
  if (ctx == m.contexts.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("kubeconfig: context \"", m.current, "\" not found"));
  }
  std::string cluster_name = Scalar(ctx->second.node, "cluster");
  std::string user_name = Scalar(ctx->second.node, "user");
  auto cluster = m.clusters.find(cluster_name);
  if (cluster == m.clusters.end()) {
    return absl::InvalidArgumentError(absl::StrCat("kubeconfig: cluster \"", cluster_name,
                                                   "\" of context \"", m.current,
                                                   "\" not found"));
  }
  KubeConfig c;
  c.server = std::string(absl::StripSuffix(Scalar(cluster->second.node, "server"), "/"));
  if (c.server.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("kubeconfig: cluster \"", cluster_name, "\" has no server"));
  }
  c.insecure_skip_verify = Scalar(cluster->second.node, "insecure-skip-tls-verify") == "true";
  ASSIGN_OR_RETURN(
      c.ca_pem, DataOrFile(cluster->second, "certificate-authority-data", "certificate-authority"));
  if (!user_name.empty()) {
    auto user = m.users.find(user_name);
    if (user == m.users.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("kubeconfig: user \"", user_name, "\" not found"));
    }
    RETURN_IF_ERROR(SetUser(user->second, user_name, c));
  }
  c.ns = Scalar(ctx->second.node, "namespace");
  c.origin = absl::StrCat("kubeconfig ", m.current_file.empty() ? paths[0] : m.current_file,
                          " context ", m.current);
  return c;
}

absl::StatusOr<KubeConfig> LoadKubeConfig(const std::string& kubeconfig_flag,
                                          const std::string& context, const EnvLookup& env,
                                          const std::string& sa_dir) {
  if (!kubeconfig_flag.empty()) return KubeconfigConfig({kubeconfig_flag}, context);
  // A context names a kubeconfig entry, so asking for one means a kubeconfig, not in-cluster.
  if (context.empty() && !env("KUBERNETES_SERVICE_HOST").empty()) {
    return InClusterConfig(env, sa_dir);
  }
  std::string list = env("KUBECONFIG");
  if (!list.empty()) {
    std::vector<std::string> paths = absl::StrSplit(list, ':', absl::SkipEmpty());
    return KubeconfigConfig(paths, context);
  }
  std::string home = env("HOME");
  if (home.empty()) return absl::NotFoundError("no kubeconfig: HOME is not set");
  return KubeconfigConfig({home + "/.kube/config"}, context);
}

}  // namespace dest
