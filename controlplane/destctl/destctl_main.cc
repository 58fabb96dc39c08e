// destctl: the destination service's debugging client, for the engineer asking at 3 a.m. what a
// proxy is told and why.
//
//   destctl [flags] get AUTHORITY       the endpoints (Destination/Get)
//   destctl [flags] profile AUTHORITY   the profile (Destination/GetProfile)
//   destctl [flags] explain AUTHORITY   the inputs and decisions behind both (Debug/Explain)
//   destctl [flags] topics              the topics alive and their subscribers (Debug/Topics)
//   destctl [flags] health [SERVICE]    grpc.health.v1.Health/Check once ("" = the server)
//
// -o table|json|yaml picks the output: table by default on a terminal, json (one line per message,
// protobuf's JSON mapping with addresses as "IP:PORT" strings) otherwise, so pipes and scripts
// keep reading JSON lines; health always prints one JSON line. get and profile print the state
// from the first message and exit; with -watch they keep streaming and print each change with
// its time. `destctl -help` has the details (invocation.cc, HelpText).
//
// Exit codes: 0 when done, on SIGINT/SIGTERM, and with -watch when -timeout elapses; 1 when the
// service cannot be reached, refuses the request, gives no answer in time or ends the stream, and
// for `health` when the answer is not SERVING; 2 on usage errors.
//
// The pieces: invocation.h (command line and help), commands.h (the calls and exit codes),
// stop_watcher.h (signals and -timeout), and the destctl_render library (what is printed).

#include <unistd.h>

#include <cstdio>
#include <string>

#include "absl/flags/usage.h"
#include "controlplane/destctl/commands.h"
#include "controlplane/destctl/invocation.h"
#include "controlplane/destctl/stop_watcher.h"

int main(int argc, char** argv) {
  // First, before any thread exists: every thread inherits the mask, so only the StopWatcher
  // takes SIGINT and SIGTERM.
  destctl::StopWatcher::BlockStopSignals();
  absl::SetProgramUsageMessage(destctl::kUsageLine);
  const absl::StatusOr<destctl::Invocation> invocation =
      destctl::ParseInvocation(argc, argv, isatty(STDOUT_FILENO) == 1);
  if (!invocation.ok()) {
    std::fprintf(stderr, "destctl: %s\n%s\n", std::string(invocation.status().message()).c_str(),
                 destctl::kUsageLine);
    return destctl::kExitUsage;
  }
  if (invocation->command == destctl::Invocation::Command::kHelp) {
    std::fputs(destctl::HelpText().c_str(), stdout);
    return destctl::kExitOk;
  }
  return destctl::RunCommand(*invocation);
}
