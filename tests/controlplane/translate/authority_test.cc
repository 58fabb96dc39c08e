#include "controlplane/translate/authority.h"

#include <cstdint>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace dest {
namespace {

using Type = Authority::Type;

// ---------------------------------------------------------------------------------------------
// ParseAuthority: accepted forms.

struct GoodCase {
  std::string authority;
  std::string cluster_domain = "cluster.local";
  Type type = Type::kService;
  uint32_t port = 80;
  std::string service = {};
  std::string ns = {};
  std::string instance = {};
  std::string ip = {};
};

void PrintTo(const GoodCase& c, std::ostream* os) { *os << '"' << c.authority << '"'; }

class ParseAuthorityGoodTest : public testing::TestWithParam<GoodCase> {};

TEST_P(ParseAuthorityGoodTest, Parses) {
  const GoodCase& c = GetParam();
  absl::StatusOr<Authority> got = ParseAuthority(c.authority, c.cluster_domain);
  ASSERT_TRUE(got.ok()) << c.authority << ": " << got.status();
  EXPECT_EQ(got->type, c.type);
  EXPECT_EQ(got->port, c.port);
  if (c.type == Type::kIp) {
    EXPECT_EQ(got->ip, c.ip);
  } else {
    EXPECT_EQ(got->service, c.service);
    EXPECT_EQ(got->ns, c.ns);
    EXPECT_EQ(got->instance, c.instance);
    EXPECT_EQ(got->Fqdn(c.cluster_domain), c.service + "." + c.ns + ".svc." + c.cluster_domain);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, ParseAuthorityGoodTest,
    testing::Values(
        // Service form, default port and explicit ports.
        GoodCase{
            .authority = "web.emojivoto.svc.cluster.local", .service = "web", .ns = "emojivoto"},
        GoodCase{.authority = "web.emojivoto.svc.cluster.local:8080",
                 .port = 8080,
                 .service = "web",
                 .ns = "emojivoto"},
        GoodCase{.authority = "web.emojivoto.svc.cluster.local:1",
                 .port = 1,
                 .service = "web",
                 .ns = "emojivoto"},
        GoodCase{.authority = "web.emojivoto.svc.cluster.local:65535",
                 .port = 65535,
                 .service = "web",
                 .ns = "emojivoto"},
        // Instance form (StatefulSet pod DNS).
        GoodCase{.authority = "web-0.web.emojivoto.svc.cluster.local:8080",
                 .type = Type::kInstance,
                 .port = 8080,
                 .service = "web",
                 .ns = "emojivoto",
                 .instance = "web-0"},
        // Trailing dot, as emitted in dst_overrides and fed back by proxies.
        GoodCase{.authority = "web.emojivoto.svc.cluster.local.:80",
                 .service = "web",
                 .ns = "emojivoto"},
        GoodCase{
            .authority = "web.emojivoto.svc.cluster.local.", .service = "web", .ns = "emojivoto"},
        GoodCase{.authority = "web-0.web.emojivoto.svc.cluster.local.:80",
                 .type = Type::kInstance,
                 .service = "web",
                 .ns = "emojivoto",
                 .instance = "web-0"},
        // Names compare case-insensitively and come back lower-cased.
        GoodCase{
            .authority = "Web.EmojiVoto.SVC.Cluster.Local:80", .service = "web", .ns = "emojivoto"},
        GoodCase{.authority = "WEB-0.Web.EmojiVoto.svc.cluster.local:80",
                 .type = Type::kInstance,
                 .service = "web",
                 .ns = "emojivoto",
                 .instance = "web-0"},
        // Custom cluster domain.
        GoodCase{.authority = "web.emojivoto.svc.example.org:9090",
                 .cluster_domain = "example.org",
                 .port = 9090,
                 .service = "web",
                 .ns = "emojivoto"},
        GoodCase{.authority = "web.emojivoto.svc.example.org.:9090",
                 .cluster_domain = "example.org",
                 .port = 9090,
                 .service = "web",
                 .ns = "emojivoto"},
        // IPv4 literals.
        GoodCase{.authority = "10.1.2.3:8080", .type = Type::kIp, .port = 8080, .ip = "10.1.2.3"},
        GoodCase{.authority = "10.1.2.3", .type = Type::kIp, .ip = "10.1.2.3"},
        // Bracketed IPv6 literals, canonicalized.
        GoodCase{.authority = "[fd00::1]:8080", .type = Type::kIp, .port = 8080, .ip = "fd00::1"},
        GoodCase{.authority = "[FD00:0::1]:8080", .type = Type::kIp, .port = 8080, .ip = "fd00::1"},
        GoodCase{.authority = "[fd00:0:0:0:0:0:0:1]", .type = Type::kIp, .ip = "fd00::1"},
        GoodCase{.authority = "[::1]:443", .type = Type::kIp, .port = 443, .ip = "::1"}));

// ---------------------------------------------------------------------------------------------
// ParseAuthority: rejected forms. Every error is INVALID_ARGUMENT and names the authority.

struct BadCase {
  std::string authority;
  std::string cluster_domain = "cluster.local";
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << '"' << c.authority << '"'; }

class ParseAuthorityBadTest : public testing::TestWithParam<BadCase> {};

TEST_P(ParseAuthorityBadTest, IsInvalidArgumentNamingTheAuthority) {
  const BadCase& c = GetParam();
  absl::StatusOr<Authority> got = ParseAuthority(c.authority, c.cluster_domain);
  ASSERT_FALSE(got.ok()) << c.authority << " parsed as service=" << got->service
                         << " ns=" << got->ns << " ip=" << got->ip << " port=" << got->port;
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument) << got.status();
  if (!c.authority.empty()) {
    EXPECT_NE(got.status().message().find(c.authority), absl::string_view::npos)
        << "message does not name the authority: " << got.status();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, ParseAuthorityBadTest,
    testing::Values(
        BadCase{""},
        // Ports.
        BadCase{"web.emojivoto.svc.cluster.local:0"},
        BadCase{"web.emojivoto.svc.cluster.local:65536"},
        BadCase{"web.emojivoto.svc.cluster.local:abc"}, BadCase{"web.emojivoto.svc.cluster.local:"},
        BadCase{"web.emojivoto.svc.cluster.local:-1"},
        BadCase{"web.emojivoto.svc.cluster.local:+80"},
        BadCase{"web.emojivoto.svc.cluster.local:99999999999"}, BadCase{"10.1.2.3:0"},
        BadCase{"[fd00::1]:0"}, BadCase{"[fd00::1]:65536"},
        // IPv6 must be bracketed; brackets hold only IPv6.
        BadCase{"fd00::1"}, BadCase{"fd00::1:8080"}, BadCase{"[fd00::1"}, BadCase{"[fd00::1]8080"},
        BadCase{"[not-an-ip]:80"}, BadCase{"[10.1.2.3]:80"},
        // Not in the cluster domain, or not a Service name at all.
        BadCase{"web.emojivoto.svc.example.org:80"},
        BadCase{"web.emojivoto.svc.cluster.local:80", "example.org"}, BadCase{"web.emojivoto:80"},
        BadCase{"example.com:80"}, BadCase{"10.1.2.256:80"},
        // Too few / too many labels before .svc.CD, empty labels.
        BadCase{"web.svc.cluster.local:80"}, BadCase{"svc.cluster.local:80"},
        BadCase{"a.web-0.web.emojivoto.svc.cluster.local:80"}, BadCase{"web..svc.cluster.local:80"},
        BadCase{".emojivoto.svc.cluster.local:80"},
        BadCase{"web-0..emojivoto.svc.cluster.local:80"},
        BadCase{"web.emojivoto.svc.cluster.local..:80"},
        // Not DNS labels.
        BadCase{"we_b.emojivoto.svc.cluster.local:80"},
        BadCase{"-web.emojivoto.svc.cluster.local:80"}));

// ---------------------------------------------------------------------------------------------
// ParseContextToken.

struct TokenCase {
  std::string name;
  std::string token;
  std::string ns;
  std::string node_name;
  bool malformed = false;
};

void PrintTo(const TokenCase& c, std::ostream* os) { *os << c.name; }

class ParseContextTokenTest : public testing::TestWithParam<TokenCase> {};

TEST_P(ParseContextTokenTest, Parses) {
  const TokenCase& c = GetParam();
  bool malformed = !c.malformed;  // make sure it is written
  ContextToken got = ParseContextToken(c.token, &malformed);
  EXPECT_EQ(got.ns, c.ns) << c.token;
  EXPECT_EQ(got.node_name, c.node_name) << c.token;
  EXPECT_EQ(malformed, c.malformed) << c.token;
  // The out-parameter is optional.
  ContextToken again = ParseContextToken(c.token);
  EXPECT_EQ(again.ns, c.ns);
  EXPECT_EQ(again.node_name, c.node_name);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ParseContextTokenTest,
    testing::Values(
        TokenCase{"JsonBoth", R"({"ns":"emojivoto","nodeName":"node-1"})", "emojivoto", "node-1"},
        TokenCase{"JsonBothWithSpaces", R"( { "nodeName" : "node-1" , "ns" : "emojivoto" } )",
                  "emojivoto", "node-1"},
        TokenCase{"JsonNsOnly", R"({"ns":"emojivoto"})", "emojivoto", ""},
        TokenCase{"JsonNodeOnly", R"({"nodeName":"node-1"})", "", "node-1"},
        TokenCase{"JsonEmptyObject", "{}", "", ""},
        TokenCase{"JsonExtraKeys", R"({"ns":"emojivoto","other":1})", "emojivoto", ""},
        TokenCase{"Legacy", "ns:foo", "foo", ""}, TokenCase{"Empty", "", "", "", false},
        TokenCase{"Garbage", "garbage", "", "", true},
        TokenCase{"TruncatedJson", R"({"ns":"emojivoto")", "", "", true},
        TokenCase{"JsonArray", R"(["ns","emojivoto"])", "", "", true},
        TokenCase{"JsonString", R"("ns:foo")", "", "", true},
        TokenCase{"JsonNumber", "42", "", "", true}));

// A non-string value for a known key never yields a value (malformed or not is the parser's call).
TEST(ParseContextTokenTest, NonStringValuesAreIgnored) {
  ContextToken got = ParseContextToken(R"({"ns":5,"nodeName":["n"]})");
  EXPECT_EQ(got.ns, "");
  EXPECT_EQ(got.node_name, "");
}

}  // namespace
}  // namespace dest
