// Finding and reading the Kubernetes API configuration: in-cluster files, kubeconfig merging.
#include "watchers/kube/kube_config.h"

#include <filesystem>
#include <map>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"
#include "tests/support/test_process.h"

namespace dest {
namespace {

using testing::MakeTempDir;
using testing::RemoveTree;
using testing::WriteFile;

class KubeConfigTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir(); }
  void TearDown() override { RemoveTree(dir_); }
  EnvLookup Env(std::map<std::string, std::string> vars) {
    return [vars](const std::string& k) {
      auto it = vars.find(k);
      return it == vars.end() ? std::string() : it->second;
    };
  }
  std::string dir_;
};

TEST_F(KubeConfigTest, InClusterReadsServiceAccountFiles) {
  WriteFile(dir_ + "/token", "tok-1\n");
  WriteFile(dir_ + "/ca.crt", "CA PEM");
  WriteFile(dir_ + "/namespace", "linkerd\n");
  auto c = InClusterConfig(
      Env({{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}}), dir_);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->server, "https://10.96.0.1:443");
  EXPECT_EQ(c->token_file, dir_ + "/token");
  EXPECT_EQ(c->ca_pem, "CA PEM");
  EXPECT_EQ(c->ns, "linkerd");
  auto v6 = InClusterConfig(
      Env({{"KUBERNETES_SERVICE_HOST", "fd00::1"}, {"KUBERNETES_SERVICE_PORT", "443"}}), dir_);
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->server, "https://[fd00::1]:443");
}

TEST_F(KubeConfigTest, InClusterErrorsAreClear) {
  auto none = InClusterConfig(Env({}), dir_);
  EXPECT_EQ(none.status().code(), absl::StatusCode::kFailedPrecondition);
  auto no_token = InClusterConfig(
      Env({{"KUBERNETES_SERVICE_HOST", "h"}, {"KUBERNETES_SERVICE_PORT", "1"}}), dir_);
  EXPECT_FALSE(no_token.ok());
  EXPECT_NE(no_token.status().message().find("token"), absl::string_view::npos);
}

TEST_F(KubeConfigTest, KubeconfigInlineDataAndFilesRelativeToTheirFile) {
  std::filesystem::create_directory(dir_ + "/sub");
  WriteFile(dir_ + "/sub/ca.pem", "CA FROM FILE");
  WriteFile(dir_ + "/sub/token", "file-token");
  WriteFile(dir_ + "/sub/config",
            "apiVersion: v1\nkind: Config\ncurrent-context: dev\n"
            "clusters:\n- name: c1\n  cluster:\n    server: https://api.dev:6443/\n"
            "    certificate-authority: ca.pem\n"
            "users:\n- name: u1\n  user:\n    tokenFile: token\n"
            "    client-certificate-data: " +
                absl::Base64Escape("CERT") +
                "\n"
                "    client-key-data: " +
                absl::Base64Escape("KEY") +
                "\n"
                "contexts:\n- name: dev\n  context:\n    cluster: c1\n    user: u1\n    namespace: "
                "team\n");
  auto c = KubeconfigConfig({dir_ + "/sub/config"});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->server, "https://api.dev:6443");
  EXPECT_EQ(c->ca_pem, "CA FROM FILE");
  EXPECT_EQ(c->token_file, dir_ + "/sub/token");
  EXPECT_EQ(c->client_cert_pem, "CERT");
  EXPECT_EQ(c->client_key_pem, "KEY");
  EXPECT_EQ(c->ns, "team");
}

TEST_F(KubeConfigTest, SeveralFilesMergeFirstDefinitionWins) {
  WriteFile(dir_ + "/a",
            "current-context: prod\n"
            "clusters:\n- name: shared\n  cluster:\n    server: https://first\n"
            "users:\n- name: me\n  user:\n    token: t-a\n");
  WriteFile(dir_ + "/b",
            "current-context: other\n"
            "clusters:\n- name: shared\n  cluster:\n    server: https://second\n"
            "contexts:\n- name: prod\n  context:\n    cluster: shared\n    user: me\n");
  auto c = LoadKubeConfig(
      "", "", Env({{"KUBECONFIG", dir_ + "/missing:" + dir_ + "/a:" + dir_ + "/b"}}), dir_);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->server, "https://first");  // first file defining "shared"
  EXPECT_EQ(c->token, "t-a");
  EXPECT_NE(c->origin.find("context prod"), std::string::npos);  // current-context of the first
  // A context with no -kubeconfig applies to $KUBECONFIG, even in a cluster.
  WriteFile(dir_ + "/c",
            "contexts:\n- name: other\n  context:\n    cluster: shared\n    user: me\n"
            "    namespace: elsewhere\n");
  auto ctx = LoadKubeConfig("", "other",
                            Env({{"KUBECONFIG", dir_ + "/a:" + dir_ + "/c"},
                                 {"KUBERNETES_SERVICE_HOST", "10.0.0.1"},
                                 {"KUBERNETES_SERVICE_PORT", "443"}}),
                            dir_);
  ASSERT_TRUE(ctx.ok()) << ctx.status();
  EXPECT_EQ(ctx->ns, "elsewhere");
  EXPECT_EQ(ctx->server, "https://first");
  auto other = KubeconfigConfig({dir_ + "/a", dir_ + "/b"}, "nope");
  EXPECT_EQ(other.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(KubeConfigTest, ExecPluginsAreRefusedClearly) {
  WriteFile(dir_ + "/c",
            "current-context: x\nclusters:\n- name: c\n  cluster:\n    server: https://s\n"
            "users:\n- name: u\n  user:\n    exec:\n      command: aws\n"
            "contexts:\n- name: x\n  context:\n    cluster: c\n    user: u\n");
  auto c = KubeconfigConfig({dir_ + "/c"});
  EXPECT_EQ(c.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(c.status().message().find("exec"), absl::string_view::npos);
}

TEST_F(KubeConfigTest, InClusterWinsOverHomeWhenNoFlag) {
  WriteFile(dir_ + "/token", "t");
  WriteFile(dir_ + "/ca.crt", "ca");
  auto c = LoadKubeConfig("", "",
                          Env({{"KUBERNETES_SERVICE_HOST", "10.0.0.1"},
                               {"KUBERNETES_SERVICE_PORT", "443"},
                               {"HOME", dir_}}),
                          dir_);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->origin, "in-cluster");
}

}  // namespace
}  // namespace dest
