// Invocation: destctl's command line, read into what to do.
#ifndef CONTROLPLANE_DESTCTL_INVOCATION_H_
#define CONTROLPLANE_DESTCTL_INVOCATION_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "controlplane/destctl/document.h"
#include "controlplane/destctl/topic_table.h"

namespace destctl {

struct Invocation {
  enum class Command { kGet, kProfile, kExplain, kTopics, kHealth, kHelp };

  Command command = Command::kHelp;
  std::string argument;  // the AUTHORITY of get, profile and explain; health's SERVICE
  std::string addr;
  std::string context_token;
  absl::Duration timeout;          // 0: the command's default
  absl::Duration connect_timeout;  // 0: do not wait for the connection
  OutputFormat format = OutputFormat::kJson;
  bool watch = false;
  TopicOrder order = TopicOrder::kSubscribers;
  uint32_t limit = 0;  // topics: at most this many, 0 for all
};

// Reads the command line. Flags may come before or after the command, as -flag or --flag, with
// "=value" or the value as the next argument; dashes and underscores in a flag name are the same
// (-context-token, -context_token); -o is -output. Without -o the format is table when
// `stdout_is_terminal`, else json. A usage error is an InvalidArgument status whose message is
// the one line to print. -help (-h, --help) gives Command::kHelp; -helpfull is handed to Abseil,
// which prints every flag of every library and exits.
absl::StatusOr<Invocation> ParseInvocation(int argc, char** argv, bool stdout_is_terminal);

// One line: the commands and their arguments.
extern const char kUsageLine[];

// What -help prints: the commands, the flags, the output formats, the exit codes.
std::string HelpText();

}  // namespace destctl

#endif  // CONTROLPLANE_DESTCTL_INVOCATION_H_
