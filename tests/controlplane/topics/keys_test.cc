// The typed keys: one format and one parse each, inverse of each other, and nothing else parses.
#include <optional>
#include <string>

#include "controlplane/topics/group_key.h"
#include "controlplane/translate/authority.h"
#include "gtest/gtest.h"
#include "watchers/objects.h"

namespace dest {
namespace {

TEST(ServiceRefTest, FormatsAndParsesBack) {
  const ServiceRef web{"shop", "web"};
  EXPECT_EQ(web.ToString(), "shop/web");
  EXPECT_EQ(ServiceRef::Parse("shop/web"), web);
  for (const char* bad : {"", "shop", "/web", "shop/", "a/b/c", "/"}) {
    EXPECT_EQ(ServiceRef::Parse(bad), std::nullopt) << bad;
  }
}

TEST(GroupKeyTest, ServicesAndAddressesNeverCollide) {
  const GroupKey svc = GroupKey::Service({"shop", "web"});
  const GroupKey addr = GroupKey::Address("10.0.0.1");
  EXPECT_EQ(svc.ToString(), "shop/web");
  EXPECT_EQ(addr.ToString(), "ip:10.0.0.1");
  EXPECT_EQ(GroupKey::Parse(svc.ToString()), svc);
  EXPECT_EQ(GroupKey::Parse(addr.ToString()), addr);
  EXPECT_EQ(GroupKey::Parse("ip:fd00::1")->ip(), "fd00::1");
  EXPECT_FALSE(svc.is_address());
  EXPECT_TRUE(addr.is_address());
  EXPECT_NE(GroupKey::Service({"ip", "x"}), GroupKey::Address("x"));
  for (const char* bad : {"", "ip:", "web", "a/b/c"}) {
    EXPECT_EQ(GroupKey::Parse(bad), std::nullopt) << bad;
  }
}

TEST(ServiceFqdnTest, FormatsAndParsesBack) {
  const ServiceFqdn web{{"shop", "web"}};
  EXPECT_EQ(web.Format("cluster.local"), "web.shop.svc.cluster.local");
  auto parsed = ServiceFqdn::Parse("web.shop.svc.cluster.local", "cluster.local");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->service, (ServiceRef{"shop", "web"}));
  // Trailing dots on the name or the domain are the same name.
  EXPECT_TRUE(ServiceFqdn::Parse("web.shop.svc.cluster.local.", "cluster.local."));
  for (const char* bad : {"web.shop.svc.example.org", "web.svc.cluster.local",
                          "pod.web.shop.svc.cluster.local", ".shop.svc.cluster.local",
                          "web..svc.cluster.local", "cluster.local"}) {
    EXPECT_EQ(ServiceFqdn::Parse(bad, "cluster.local"), std::nullopt) << bad;
  }
  // The Authority of a Service names the same FQDN.
  auto auth = ParseAuthority("web.shop.svc.cluster.local:8080", "cluster.local");
  ASSERT_TRUE(auth.ok());
  EXPECT_EQ(auth->Fqdn("cluster.local"), web.Format("cluster.local"));
}

}  // namespace
}  // namespace dest
