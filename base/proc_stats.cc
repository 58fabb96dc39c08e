#include "base/proc_stats.h"

#include <malloc.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace dest::proc {

void ReleaseFreeHeap() { malloc_trim(0); }
namespace {

std::string ReadProcFile(pid_t pid, const char* name) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/", name));
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

std::string ReadStat(pid_t pid) { return ReadProcFile(pid, "stat"); }

double StatField(std::string_view stat, int n) {
  const size_t close = stat.rfind(')');
  if (close == std::string_view::npos || close + 2 >= stat.size()) return 0;
  int i = 3;
  for (absl::string_view f :
       absl::StrSplit(absl::string_view(stat.data() + close + 2, stat.size() - close - 2), ' ',
                      absl::SkipWhitespace())) {
    if (i++ != n) continue;
    double v = 0;
    return absl::SimpleAtod(f, &v) ? v : 0;
  }
  return 0;
}

double CpuSeconds(pid_t pid) {
  const std::string stat = ReadStat(pid);
  if (stat.rfind(')') == std::string::npos) return -1;  // gone, or not a stat line
  return (StatField(stat, 14) + StatField(stat, 15)) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double StartTimeSeconds(pid_t pid) {
  const double start_ticks = StatField(ReadStat(pid), 22);
  std::ifstream proc_stat("/proc/stat");
  for (std::string line; std::getline(proc_stat, line);) {
    double btime = 0;
    if (absl::StartsWith(line, "btime ") && absl::SimpleAtod(line.substr(6), &btime)) {
      return btime + start_ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
    }
  }
  return 0;
}

int64_t StatusValue(pid_t pid, std::string_view key) {
  const std::string status = ReadProcFile(pid, "status");
  for (absl::string_view line : absl::StrSplit(status, '\n')) {
    if (!absl::StartsWith(line, absl::string_view(key.data(), key.size()))) continue;
    line.remove_prefix(key.size());
    for (absl::string_view word : absl::StrSplit(line, ' ', absl::SkipWhitespace())) {
      int64_t v = 0;
      return absl::SimpleAtoi(word, &v) ? v : 0;
    }
  }
  return 0;
}

}  // namespace dest::proc
