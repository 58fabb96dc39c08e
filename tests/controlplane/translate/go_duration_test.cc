#include "controlplane/translate/go_duration.h"

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace dest {
namespace {

// Expectations follow Go's time.ParseDuration.
struct GoodCase {
  std::string text;
  absl::Duration want;
};

void PrintTo(const GoodCase& c, std::ostream* os) { *os << '"' << c.text << '"'; }

class GoDurationGoodTest : public testing::TestWithParam<GoodCase> {};

TEST_P(GoDurationGoodTest, Parses) {
  absl::StatusOr<absl::Duration> got = ParseGoDuration(GetParam().text);
  ASSERT_TRUE(got.ok()) << GetParam().text << ": " << got.status();
  EXPECT_EQ(*got, GetParam().want) << GetParam().text << " gave " << absl::FormatDuration(*got);
}

constexpr int64_t kMaxNanos = 9223372036854775807;  // Go's time.Duration limit

INSTANTIATE_TEST_SUITE_P(
    Table, GoDurationGoodTest,
    testing::Values(
        // Zero: "0" alone needs no unit, with or without a sign.
        GoodCase{"0", absl::ZeroDuration()}, GoodCase{"-0", absl::ZeroDuration()},
        GoodCase{"+0", absl::ZeroDuration()}, GoodCase{"0s", absl::ZeroDuration()},
        GoodCase{"0.0h", absl::ZeroDuration()},
        // Every unit.
        GoodCase{"1ns", absl::Nanoseconds(1)}, GoodCase{"1us", absl::Microseconds(1)},
        GoodCase{"1\xC2\xB5s", absl::Microseconds(1)},  // U+00B5 micro sign
        GoodCase{"1\xCE\xBCs", absl::Microseconds(1)},  // U+03BC Greek small mu
        GoodCase{"1ms", absl::Milliseconds(1)}, GoodCase{"1s", absl::Seconds(1)},
        GoodCase{"1m", absl::Minutes(1)}, GoodCase{"1h", absl::Hours(1)},
        // Timeouts as ServiceProfiles write them.
        GoodCase{"300ms", absl::Milliseconds(300)}, GoodCase{"200ms", absl::Milliseconds(200)},
        GoodCase{"1m30s", absl::Seconds(90)}, GoodCase{"2h45m", absl::Minutes(165)},
        GoodCase{"1h2m3.5s", absl::Hours(1) + absl::Minutes(2) + absl::Milliseconds(3500)},
        // Fractions.
        GoodCase{"1.5us", absl::Nanoseconds(1500)},
        GoodCase{"1.5\xC2\xB5s", absl::Nanoseconds(1500)},
        GoodCase{"1.5\xCE\xBCs", absl::Nanoseconds(1500)}, GoodCase{"1.5h", absl::Minutes(90)},
        GoodCase{"0.1s", absl::Milliseconds(100)}, GoodCase{".5s", absl::Milliseconds(500)},
        GoodCase{"1.s", absl::Seconds(1)},
        GoodCase{"1.000000001s", absl::Seconds(1) + absl::Nanoseconds(1)},
        GoodCase{"0.000000001s", absl::Nanoseconds(1)},
        // Signs.
        GoodCase{"-1s", absl::Seconds(-1)}, GoodCase{"+5s", absl::Seconds(5)},
        GoodCase{"-1m30s", absl::Seconds(-90)}, GoodCase{"-.5s", absl::Milliseconds(-500)},
        // Units may repeat and come in any order.
        GoodCase{"1s1s", absl::Seconds(2)}, GoodCase{"1s1m", absl::Seconds(61)},
        // Leading zeros.
        GoodCase{"007s", absl::Seconds(7)},
        // Go's limits: exactly the largest int64 nanoseconds, and its negation.
        GoodCase{"9223372036854775807ns", absl::Nanoseconds(kMaxNanos)},
        GoodCase{"2562047h47m16.854775807s", absl::Nanoseconds(kMaxNanos)},
        GoodCase{"-9223372036854775807ns", absl::Nanoseconds(-kMaxNanos)}));

// Go accepts the most negative duration, -2^63 ns (time.ParseDuration allows 1<<63 when negative).
TEST(GoDurationTest, MostNegativeDuration) {
  absl::StatusOr<absl::Duration> got = ParseGoDuration("-9223372036854775808ns");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, absl::Nanoseconds(-kMaxNanos) - absl::Nanoseconds(1));
}

struct BadCase {
  std::string text;
  absl::StatusCode code;
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << '"' << c.text << '"'; }

class GoDurationBadTest : public testing::TestWithParam<BadCase> {};

TEST_P(GoDurationBadTest, Fails) {
  absl::StatusOr<absl::Duration> got = ParseGoDuration(GetParam().text);
  ASSERT_FALSE(got.ok()) << GetParam().text << " parsed as " << absl::FormatDuration(*got);
  EXPECT_EQ(got.status().code(), GetParam().code) << got.status();
}

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
constexpr auto kRange = absl::StatusCode::kOutOfRange;

INSTANTIATE_TEST_SUITE_P(
    Table, GoDurationBadTest,
    testing::Values(
        // Syntax.
        BadCase{"", kInvalid}, BadCase{"-", kInvalid}, BadCase{"+", kInvalid},
        BadCase{"1", kInvalid}, BadCase{"-1", kInvalid}, BadCase{"00", kInvalid},
        BadCase{"s", kInvalid}, BadCase{".", kInvalid}, BadCase{".s", kInvalid},
        BadCase{"-.s", kInvalid}, BadCase{"1x", kInvalid}, BadCase{"1S", kInvalid},
        BadCase{"1H", kInvalid}, BadCase{"1.2.3s", kInvalid}, BadCase{"1m5", kInvalid},
        BadCase{"1sm", kInvalid}, BadCase{"1mss", kInvalid}, BadCase{"1e3s", kInvalid},
        BadCase{"--1s", kInvalid}, BadCase{"1h-1s", kInvalid}, BadCase{" 1s", kInvalid},
        BadCase{"1s ", kInvalid}, BadCase{"1 s", kInvalid}, BadCase{"1\xC2s", kInvalid},
        BadCase{"one second", kInvalid},
        // Beyond Go's limit (about 292 years).
        BadCase{"9999999999h", kRange}, BadCase{"9223372036854775808ns", kRange},
        BadCase{"2562047h47m16.854775808s", kRange}, BadCase{"2562048h", kRange},
        BadCase{"99999999999999999999ns", kRange}, BadCase{"1h9223372036854775807ns", kRange}));

TEST(GoDurationTest, ErrorNamesTheText) {
  absl::StatusOr<absl::Duration> got = ParseGoDuration("1x");
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.status().message().find("1x"), absl::string_view::npos) << got.status();
}

}  // namespace
}  // namespace dest
