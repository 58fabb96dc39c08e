// The child-process helper the tests and the benchmark share, and the /proc readers.
#include "base/child_process.h"

#include <signal.h>
#include <unistd.h>

#include <string>

#include "base/proc_stats.h"
#include "gtest/gtest.h"

namespace dest {
namespace {

TEST(ChildProcessTest, CapturesStderrLinesAndExitCode) {
  ChildProcess child;
  ASSERT_TRUE(child.Start({"/bin/sh", "-c", "echo one >&2; echo 'two \"k\":\"v\"' >&2; exit 3"}));
  auto line = child.WaitForLine({"two", "\"k\""}, absl::Seconds(10));
  ASSERT_TRUE(line.has_value());
  EXPECT_EQ(JsonLogField(*line, "k"), "v");
  EXPECT_EQ(JsonLogField(*line, "absent"), "");
  EXPECT_EQ(child.Wait(absl::Seconds(10)), 3);
  EXPECT_FALSE(child.Running());
  EXPECT_EQ(child.Lines(), (std::vector<std::string>{"one", "two \"k\":\"v\""}));
}

TEST(ChildProcessTest, WaitForLineEndsWhenTheChildClosesStderr) {
  ChildProcess child;
  ASSERT_TRUE(child.Start({"/bin/sh", "-c", "echo only >&2"}));
  const absl::Time start = absl::Now();
  EXPECT_EQ(child.WaitForLine({"never"}, absl::Seconds(30)), std::nullopt);
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

TEST(ChildProcessTest, KeepsTheFirstAndNewestLinesWhenBounded) {
  ChildProcess child;
  ChildProcess::Options options;
  options.keep_lines = 2;
  ASSERT_TRUE(child.Start({"/bin/sh", "-c", "for i in 1 2 3 4 5 6; do echo $i >&2; done"}, options));
  ASSERT_EQ(child.Wait(absl::Seconds(10)), 0);
  EXPECT_EQ(child.WaitForLine({"never"}, absl::Seconds(10)), std::nullopt);  // until EOF
  EXPECT_EQ(child.Lines(), (std::vector<std::string>{"1", "2", "5", "6"}));
}

TEST(ChildProcessTest, StopEscalatesToSigkill) {
  ChildProcess child;
  // Ignores SIGTERM: Stop must end it with SIGKILL after the grace period.
  ASSERT_TRUE(child.Start({"/bin/sh", "-c", "trap '' TERM; echo ready >&2; exec sleep 30"}));
  ASSERT_TRUE(child.WaitForLine({"ready"}, absl::Seconds(10)));
  EXPECT_TRUE(child.Running());
  EXPECT_EQ(child.Stop(absl::Milliseconds(200)), 128 + SIGKILL);
}

TEST(ChildProcessTest, ReportsAnUnstartableProgram) {
  ChildProcess child;
  ASSERT_TRUE(child.Start({"/nonexistent/program"}));
  EXPECT_TRUE(child.WaitForLine({"exec /nonexistent/program"}, absl::Seconds(10)));
  EXPECT_EQ(child.Wait(absl::Seconds(10)), 127);
}

TEST(ProcStatsTest, ReadsThisProcess) {
  EXPECT_GT(proc::RssBytes(::getpid()), 1 << 20);
  EXPECT_GE(proc::Threads(::getpid()), 1);
  EXPECT_GE(proc::CpuSeconds(::getpid()), 0);
  EXPECT_GT(proc::StartTimeSeconds(::getpid()), 1.5e9);
  EXPECT_LT(proc::CpuSeconds(-1), 0);  // no such process
  EXPECT_EQ(proc::RssBytes(-1), 0);
}

TEST(ProcStatsTest, CountsFieldsAfterTheLastParenthesis) {
  // comm may hold spaces and parentheses.
  const std::string stat = "42 (a (b) c) S 1 42 42 0 -1 4194560 10 0 0 0 7 3 0 0 20 0 1 0 99 0";
  EXPECT_EQ(proc::StatField(stat, 3), 0);  // "S" is not a number
  EXPECT_EQ(proc::StatField(stat, 4), 1);
  EXPECT_EQ(proc::StatField(stat, 14), 7);
  EXPECT_EQ(proc::StatField(stat, 15), 3);
  EXPECT_EQ(proc::StatField(stat, 22), 99);
  EXPECT_EQ(proc::StatField(stat, 40), 0);
  EXPECT_EQ(proc::StatField("garbage", 14), 0);
}

}  // namespace
}  // namespace dest
