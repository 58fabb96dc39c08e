#include "base/flag_args.h"

#include <algorithm>

namespace dest {

std::vector<std::string> NormalizeFlagArgs(int argc, char** argv) {
  std::vector<std::string> out(argv, argv + argc);
  for (size_t i = 1; i < out.size(); ++i) {
    std::string& a = out[i];
    if (a == "--") break;
    if (a.size() < 2 || a[0] != '-') continue;
    size_t start = a[1] == '-' ? 2 : 1;
    size_t end = std::min(a.find('='), a.size());
    if (end <= start) continue;
    std::replace(a.begin() + static_cast<std::ptrdiff_t>(start),
                 a.begin() + static_cast<std::ptrdiff_t>(end), '-', '_');
    if (start == 1) a = std::string("-").append(a);
  }
  return out;
}

}  // namespace dest
