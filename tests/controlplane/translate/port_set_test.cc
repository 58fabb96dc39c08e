#include "controlplane/translate/port_set.h"

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dest {
namespace {

using testing::HasSubstr;

// Names a Service or Pod might define.
std::optional<uint32_t> Resolve(absl::string_view name) {
  if (name == "http") return 8080;
  if (name == "admin") return 9990;
  if (name == "mysql") return 3306;
  return std::nullopt;
}

struct Case {
  std::string name;
  std::string list;
  std::vector<uint32_t> in;           // ports the set contains
  std::vector<uint32_t> out;          // ports it does not
  std::vector<std::string> problems;  // one substring per expected problem, in order
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name << " \"" << c.list << '"'; }

class PortSetTest : public testing::TestWithParam<Case> {};

TEST_P(PortSetTest, Parses) {
  const Case& c = GetParam();
  std::vector<std::string> problems;
  PortSet set = PortSet::Parse(c.list, Resolve, &problems);
  for (uint32_t p : c.in) EXPECT_TRUE(set.Contains(p)) << "want " << p << " in \"" << c.list << '"';
  for (uint32_t p : c.out) {
    EXPECT_FALSE(set.Contains(p)) << "want " << p << " not in \"" << c.list << '"';
  }
  EXPECT_EQ(set.empty(), c.in.empty());
  ASSERT_EQ(problems.size(), c.problems.size()) << testing::PrintToString(problems);
  for (size_t i = 0; i < problems.size(); ++i) EXPECT_THAT(problems[i], HasSubstr(c.problems[i]));
}

INSTANTIATE_TEST_SUITE_P(
    Table, PortSetTest,
    testing::Values(
        Case{"Empty", "", {}, {0, 1, 80, 65535}, {}},
        Case{"OnlySeparators", " , ,, ", {}, {80}, {}},
        Case{"Numbers", "25,587,3306", {25, 587, 3306}, {0, 24, 26, 586, 588, 3305, 3307}, {}},
        Case{"OneNumber", "80", {80}, {79, 81}, {}},
        Case{"Extremes", "1,65535", {1, 65535}, {0, 2, 65534, 65536}, {}},
        Case{"Range", "4000-4100", {4000, 4001, 4050, 4100}, {3999, 4101}, {}},
        Case{"RangeOfOne", "80-80", {80}, {79, 81}, {}},
        Case{"WholeRange", "1-65535", {1, 80, 65535}, {0, 65536}, {}},
        Case{"Names", "http,admin", {8080, 9990}, {80, 3306}, {}},
        Case{"MixedWithSpaces",
             " 25, 4000-4001 ,http  mysql,  587 ",
             {25, 4000, 4001, 8080, 3306, 587},
             {26, 3999, 4002, 9990},
             {}},
        Case{"SpacesOnly", "25 587", {25, 587}, {26}, {}},
        Case{"InvalidItemsReportedOthersKept",
             "25,0,70000,5-3,1-,nope,abc-def,http,65536-65537,80",
             {25, 8080, 80},
             {0, 3, 4, 5, 1, 65535},
             {"0", "70000", "5-3", "1-", "nope", "abc-def", "65536-65537"}},
        Case{"NegativeIsNotAPort", "-5,443", {443}, {5}, {"-5"}},
        Case{"NotANumber", "12ab,443", {443}, {12}, {"12ab"}}));

TEST(PortSetTest, NamesWithoutResolverAreProblems) {
  std::vector<std::string> problems;
  PortSet set = PortSet::Parse("http,80", nullptr, &problems);
  EXPECT_TRUE(set.Contains(80));
  EXPECT_FALSE(set.Contains(8080));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_THAT(problems[0], HasSubstr("http"));
}

TEST(PortSetTest, ProblemsAreOptional) {
  PortSet set = PortSet::Parse("bogus,0,443");
  EXPECT_TRUE(set.Contains(443));
  EXPECT_FALSE(set.Contains(0));
}

TEST(PortSetTest, DefaultIsEmpty) {
  PortSet set;
  EXPECT_TRUE(set.empty());
  EXPECT_FALSE(set.Contains(80));
}

}  // namespace
}  // namespace dest
