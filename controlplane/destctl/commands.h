// The commands of destctl, run against the service: connect, call, print, and the exit code.
#ifndef CONTROLPLANE_DESTCTL_COMMANDS_H_
#define CONTROLPLANE_DESTCTL_COMMANDS_H_

#include "controlplane/destctl/invocation.h"

namespace destctl {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Runs `invocation` (any command but kHelp): prints what it receives on stdout and every error as
// one "destctl: ..." line on stderr; returns the exit code. The stop signals must have been
// blocked (StopWatcher::BlockStopSignals) before any thread started.
int RunCommand(const Invocation& invocation);

}  // namespace destctl

#endif  // CONTROLPLANE_DESTCTL_COMMANDS_H_
