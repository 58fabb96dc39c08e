// Lets binaries accept flags the way Go's flag package (and so Linkerd's users) write them:
// `-admin-addr=:9996`, `--log-level debug`. Abseil flag names cannot contain '-', so dashes inside
// a flag name are rewritten to '_' before absl::ParseCommandLine sees them.
#ifndef BASE_FLAG_ARGS_H_
#define BASE_FLAG_ARGS_H_

#include <string>
#include <vector>

namespace dest {

// Returns argv with `-a-b[=v]` / `--a-b[=v]` rewritten to `--a_b[=v]`. Arguments after a bare
// `--` and positional arguments are left alone.
std::vector<std::string> NormalizeFlagArgs(int argc, char** argv);

}  // namespace dest

#endif  // BASE_FLAG_ARGS_H_
