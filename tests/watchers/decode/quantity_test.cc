#include "watchers/decode/quantity.h"

#include <cstdint>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace dest {
namespace {

struct GoodCase {
  std::string text;
  int64_t milli;
};

void PrintTo(const GoodCase& c, std::ostream* os) { *os << '"' << c.text << '"'; }

class QuantityGoodTest : public testing::TestWithParam<GoodCase> {};

TEST_P(QuantityGoodTest, ParsesToMilliValue) {
  absl::StatusOr<int64_t> got = ParseQuantityMilli(GetParam().text);
  ASSERT_TRUE(got.ok()) << GetParam().text << ": " << got.status();
  EXPECT_EQ(*got, GetParam().milli) << GetParam().text;
}

INSTANTIATE_TEST_SUITE_P(
    Table, QuantityGoodTest,
    testing::Values(
        // The weights of section 3.2.
        GoodCase{"1", 1000}, GoodCase{"500m", 500}, GoodCase{"10m", 10}, GoodCase{"100", 100000},
        GoodCase{"0", 0}, GoodCase{"0.5", 500}, GoodCase{"1.5", 1500},
        // Decimal SI suffixes.
        GoodCase{"1k", 1000000}, GoodCase{"2M", 2000000000}, GoodCase{"1G", 1000000000000},
        GoodCase{"1T", 1000000000000000}, GoodCase{"1P", 1000000000000000000}, GoodCase{"1n", 1},
        GoodCase{"1u", 1}, GoodCase{"1000000n", 1}, GoodCase{"1000001n", 2}, GoodCase{"1500u", 2},
        GoodCase{"1m", 1}, GoodCase{"0m", 0}, GoodCase{"0.5m", 1},
        // Binary SI suffixes.
        GoodCase{"1Ki", 1024000}, GoodCase{"1.5Ki", 1536000}, GoodCase{"1Mi", 1048576000},
        GoodCase{"1Gi", 1073741824000}, GoodCase{"1Ti", 1099511627776000},
        GoodCase{"1Pi", 1125899906842624000}, GoodCase{"0.0001Ki", 103}, GoodCase{"0.001Ki", 1024},
        // Decimal exponents.
        GoodCase{"1e3", 1000000}, GoodCase{"1E3", 1000000}, GoodCase{"1e+3", 1000000},
        GoodCase{"5E-3", 5}, GoodCase{"5e-4", 1}, GoodCase{"1e0", 1000}, GoodCase{"0e99", 0},
        GoodCase{"1e-999999999999999999", 1}, GoodCase{"0.5e1", 5000},
        // Decimal arithmetic is exact: no binary floating point on the way.
        GoodCase{"0.1", 100}, GoodCase{"0.3", 300}, GoodCase{"1.0005", 1001},
        GoodCase{"1.001", 1001}, GoodCase{"0.0010000000000000000000001", 2},
        GoodCase{"2.675", 2675},
        // Signs, leading zeros and the forms Kubernetes accepts around the point.
        GoodCase{"+1", 1000}, GoodCase{"-0", 0}, GoodCase{"007", 7000}, GoodCase{".5", 500},
        GoodCase{"5.", 5000}, GoodCase{"00.250", 250},
        // Largest representable values.
        GoodCase{"9223372036854775807m", 9223372036854775807},
        GoodCase{"9223372036854775.807", 9223372036854775807},
        GoodCase{"9223372036854775.8069", 9223372036854775807}));

struct BadCase {
  std::string text;
  absl::StatusCode code;
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << '"' << c.text << '"'; }

class QuantityBadTest : public testing::TestWithParam<BadCase> {};

TEST_P(QuantityBadTest, IsRejected) {
  absl::StatusOr<int64_t> got = ParseQuantityMilli(GetParam().text);
  ASSERT_FALSE(got.ok()) << GetParam().text << " parsed as " << *got;
  EXPECT_EQ(got.status().code(), GetParam().code) << GetParam().text << ": " << got.status();
}

INSTANTIATE_TEST_SUITE_P(
    Table, QuantityBadTest,
    testing::Values(
        // Syntax.
        BadCase{"", absl::StatusCode::kInvalidArgument},
        BadCase{" ", absl::StatusCode::kInvalidArgument},
        BadCase{" 1", absl::StatusCode::kInvalidArgument},
        BadCase{"1 ", absl::StatusCode::kInvalidArgument},
        BadCase{"1 k", absl::StatusCode::kInvalidArgument},
        BadCase{"1.2.3", absl::StatusCode::kInvalidArgument},
        BadCase{"abc", absl::StatusCode::kInvalidArgument},
        BadCase{"1KiB", absl::StatusCode::kInvalidArgument},
        BadCase{"1K", absl::StatusCode::kInvalidArgument},
        BadCase{"1mi", absl::StatusCode::kInvalidArgument},
        BadCase{"1e", absl::StatusCode::kInvalidArgument},
        BadCase{"1e-", absl::StatusCode::kInvalidArgument},
        BadCase{"1e1.5", absl::StatusCode::kInvalidArgument},
        BadCase{"1k3", absl::StatusCode::kInvalidArgument},
        BadCase{"--1", absl::StatusCode::kInvalidArgument},
        BadCase{"+-1", absl::StatusCode::kInvalidArgument},
        BadCase{"+", absl::StatusCode::kInvalidArgument},
        BadCase{".", absl::StatusCode::kInvalidArgument},
        BadCase{"m", absl::StatusCode::kInvalidArgument},
        BadCase{"0x10", absl::StatusCode::kInvalidArgument},
        BadCase{"1e99999999999999999999", absl::StatusCode::kInvalidArgument},
        // Negative values.
        BadCase{"-1", absl::StatusCode::kInvalidArgument},
        BadCase{"-500m", absl::StatusCode::kInvalidArgument},
        BadCase{"-1n", absl::StatusCode::kInvalidArgument},
        // Too large for int64 thousandths.
        BadCase{"9223372036854775807", absl::StatusCode::kOutOfRange},
        BadCase{"9223372036854775808m", absl::StatusCode::kOutOfRange},
        BadCase{"9223372036854775.8071", absl::StatusCode::kOutOfRange},
        BadCase{"1E", absl::StatusCode::kOutOfRange}, BadCase{"1Ei", absl::StatusCode::kOutOfRange},
        BadCase{"10P", absl::StatusCode::kOutOfRange},
        BadCase{"1e999999999999", absl::StatusCode::kOutOfRange},
        BadCase{"100000000000000000000000000000", absl::StatusCode::kOutOfRange}));

TEST(QuantityTest, ErrorsNameTheInput) {
  EXPECT_EQ(ParseQuantityMilli("-1").status().message(), "invalid quantity \"-1\": negative");
  EXPECT_EQ(ParseQuantityMilli("1KiB").status().message(),
            "invalid quantity \"1KiB\": unknown suffix");
  EXPECT_EQ(ParseQuantityMilli("1E").status().message(), "quantity \"1E\" is too large");
}

}  // namespace
}  // namespace dest
