#include "controlplane/destctl/invocation.h"

#include <algorithm>
#include <optional>
#include <set>
#include <string_view>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "base/status_macros.h"

// The flags are Abseil flags so that -helpfull lists them; ParseInvocation reads the command line
// itself (see ReadArgs) so that a usage error exits 2 with one line and -help prints HelpText().
ABSL_FLAG(std::string, addr, "localhost:8086", "the destination service's gRPC address");
ABSL_FLAG(std::string, context_token, "",
          "context token sent as a proxy sends it: {\"ns\":\"NS\",\"nodeName\":\"NODE\"} or ns:NS");
ABSL_FLAG(absl::Duration, timeout, absl::ZeroDuration(),
          "-watch: stop after this long and exit 0; otherwise how long to wait for the answer "
          "(0: 10s, health 5s)");
ABSL_FLAG(absl::Duration, connect_timeout, absl::Seconds(5),
          "how long to wait for the connection (0: do not wait)");
ABSL_FLAG(std::string, output, "",
          "table, json or yaml (-o); default table on a terminal, else json");
ABSL_FLAG(bool, watch, false, "get, profile: keep streaming and print each change, timestamped");
ABSL_FLAG(std::string, sort, "subscribers", "topics: subscribers, last-change, messages or key");
ABSL_FLAG(uint32_t, limit, 0, "topics: show at most this many (0: all)");

namespace destctl {
namespace {

using Command = Invocation::Command;

// destctl's own flags, by their Abseil names.
const std::set<std::string, std::less<>> kOwnFlags = {
    "addr", "context_token", "timeout", "connect_timeout", "output", "watch", "sort", "limit"};

// What ReadArgs found on the command line.
struct Args {
  std::vector<std::string> positional;
  std::set<std::string> flags_set;  // Abseil names
  bool help = false;
  bool helpfull = false;
};

absl::Status UsageError(const std::string& message) { return absl::InvalidArgumentError(message); }

// "-context-token" for the Abseil name "context_token".
std::string Spelled(absl::string_view name) {
  return absl::StrCat("-", absl::StrReplaceAll(name, {{"_", "-"}}));
}

// The flag named `name` (already in Abseil spelling) and its value: `value` when the argument had
// "=value"; for a bool, "true" (or "false" for -noNAME); otherwise the next argument.
absl::Status SetFlag(const std::string& spelled, const std::optional<std::string>& given, int argc,
                     char** argv, int* i, Args* args) {
  const std::string name = spelled == "o" ? "output" : spelled;
  std::optional<std::string> value = given;
  absl::CommandLineFlag* flag = kOwnFlags.count(name) ? absl::FindCommandLineFlag(name) : nullptr;
  if (flag == nullptr && name.starts_with("no") && !value.has_value() &&
      kOwnFlags.count(name.substr(2)) > 0) {
    flag = absl::FindCommandLineFlag(name.substr(2));
    if (flag != nullptr && flag->IsOfType<bool>())
      value = "false";
    else
      flag = nullptr;
  }
  if (flag == nullptr) return UsageError(absl::StrCat("unknown flag ", argv[*i]));
  if (!value.has_value()) {
    if (flag->IsOfType<bool>()) {
      value = "true";
    } else if (*i + 1 < argc) {
      value = argv[++*i];
    } else {
      return UsageError(absl::StrCat(Spelled(flag->Name()), " needs a value"));
    }
  }
  std::string error;
  if (!flag->ParseFrom(*value, &error)) {
    return UsageError(absl::StrCat(Spelled(flag->Name()), ": ", error));
  }
  args->flags_set.insert(std::string(flag->Name()));
  return absl::OkStatus();
}

absl::StatusOr<Args> ReadArgs(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--") {
      args.positional.insert(args.positional.end(), argv + i + 1, argv + argc);
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      args.positional.emplace_back(arg);
      continue;
    }
    arg.remove_prefix(arg[1] == '-' ? 2 : 1);
    const size_t eq = arg.find('=');
    std::string name(arg.substr(0, eq));
    std::replace(name.begin(), name.end(), '-', '_');
    std::optional<std::string> value;
    if (eq != std::string_view::npos) value = std::string(arg.substr(eq + 1));
    if (name == "help" || name == "h" || name == "helpshort") {
      args.help = true;
    } else if (name == "helpfull") {
      args.helpfull = true;
    } else {
      RETURN_IF_ERROR(SetFlag(name, value, argc, argv, &i, &args));
    }
  }
  return args;
}

// The command and its argument.
absl::Status ReadCommand(const std::vector<std::string>& positional, Invocation* out) {
  if (positional.empty()) return UsageError("expected a command");
  const std::string& name = positional[0];
  const size_t operands = positional.size() - 1;
  if (name == "get" || name == "profile" || name == "explain") {
    if (operands != 1) return UsageError(absl::StrCat(name, " takes one AUTHORITY"));
    out->command = name == "get"       ? Command::kGet
                   : name == "profile" ? Command::kProfile
                                       : Command::kExplain;
  } else if (name == "topics") {
    if (operands != 0) return UsageError("topics takes no argument");
    out->command = Command::kTopics;
  } else if (name == "health") {
    if (operands > 1) return UsageError("health takes at most one SERVICE");
    out->command = Command::kHealth;
  } else {
    return UsageError(absl::StrCat("unknown command \"", name, "\""));
  }
  if (operands == 1) out->argument = positional[1];
  return absl::OkStatus();
}

// The flags' values, checked against each other and the command.
absl::Status ReadFlags(const Args& args, bool stdout_is_terminal, Invocation* out) {
  out->addr = absl::GetFlag(FLAGS_addr);
  out->context_token = absl::GetFlag(FLAGS_context_token);
  out->timeout = absl::GetFlag(FLAGS_timeout);
  out->connect_timeout = absl::GetFlag(FLAGS_connect_timeout);
  out->watch = absl::GetFlag(FLAGS_watch);
  out->limit = absl::GetFlag(FLAGS_limit);
  if (out->timeout < absl::ZeroDuration()) return UsageError("-timeout must not be negative");
  if (out->connect_timeout < absl::ZeroDuration()) {
    return UsageError("-connect-timeout must not be negative");
  }
  const std::string output = absl::GetFlag(FLAGS_output);
  if (output.empty()) {
    out->format = stdout_is_terminal ? OutputFormat::kTable : OutputFormat::kJson;
  } else if (std::optional<OutputFormat> format = ParseOutputFormat(output); format.has_value()) {
    out->format = *format;
  } else {
    return UsageError(
        absl::StrCat("-o: unknown format \"", output, "\"; want table, json or yaml"));
  }
  const std::string sort = absl::GetFlag(FLAGS_sort);
  std::optional<TopicOrder> order = ParseTopicOrder(sort);
  if (!order.has_value()) {
    return UsageError(absl::StrCat("-sort: unknown order \"", sort,
                                   "\"; want subscribers, last-change, messages or key"));
  }
  out->order = *order;
  const bool streams = out->command == Command::kGet || out->command == Command::kProfile;
  if (args.flags_set.count("watch") > 0 && !streams) {
    return UsageError("-watch applies to get and profile");
  }
  if ((args.flags_set.count("sort") > 0 || args.flags_set.count("limit") > 0) &&
      out->command != Command::kTopics) {
    return UsageError("-sort and -limit apply to topics");
  }
  return absl::OkStatus();
}

}  // namespace

const char kUsageLine[] =
    "usage: destctl [flags] get|profile|explain AUTHORITY | topics | health [SERVICE]  "
    "(destctl -help)";

absl::StatusOr<Invocation> ParseInvocation(int argc, char** argv, bool stdout_is_terminal) {
  ASSIGN_OR_RETURN(Args args, ReadArgs(argc, argv));
  if (args.helpfull) {
    char helpfull[] = "--helpfull";
    char* absl_argv[] = {argv[0], helpfull};
    absl::ParseCommandLine(2, absl_argv);  // prints every flag and exits
  }
  Invocation invocation;
  if (args.help || (!args.positional.empty() && args.positional[0] == "help")) {
    invocation.command = Command::kHelp;
    return invocation;
  }
  RETURN_IF_ERROR(ReadCommand(args.positional, &invocation));
  RETURN_IF_ERROR(ReadFlags(args, stdout_is_terminal, &invocation));
  return invocation;
}

namespace {

// What -help prints.
constexpr char kHelp[] = R"(destctl: ask a destination service what it tells mesh proxies, and why.

Commands:
  destctl [flags] get AUTHORITY       the endpoints a proxy is sent (Destination/Get)
  destctl [flags] profile AUTHORITY   the profile a proxy is sent (Destination/GetProfile)
  destctl [flags] explain AUTHORITY   why: the inputs and decisions behind both (Debug/Explain)
  destctl [flags] topics              the topics alive and their subscribers (Debug/Topics)
  destctl [flags] health [SERVICE]    grpc.health.v1 Check; prints one JSON line, exits 0 only
                                      when SERVING

  AUTHORITY is what a proxy asks for: SVC.NS.svc.cluster.local:PORT, an instance
  (POD.SVC.NS.svc.cluster.local:PORT), IP:PORT or [IPv6]:PORT. Without a port, 80.

Flags (-flag and --flag are the same, so are "-flag=value" and "-flag value"):
  -addr HOST:PORT            the service's gRPC address (default localhost:8086)
  -context-token TOKEN       sent as a proxy sends it: {"ns":"NS","nodeName":"NODE"} or ns:NS;
                             selects the client's ServiceProfile and zone
  -o, -output FORMAT         table, json or yaml (default: table when stdout is a terminal,
                             json otherwise)
  -watch                     get, profile: keep streaming and print each change
  -timeout DURATION          with -watch: stop after DURATION and exit 0 (default: until
                             interrupted); otherwise how long to wait for the answer
                             (default 10s; health 5s)
  -connect-timeout DURATION  how long to wait for the connection (default 5s; 0: do not wait)
  -sort ORDER                topics: subscribers (default, most first), last-change (newest
                             first), messages (most first) or key
  -limit N                   topics: show the first N only (default 0: all)
  -help                      this text (-helpfull: every flag of every library)

What get and profile print:
  Without -watch, the state from the first message (the service sends the full state first),
  then they exit 0. With -watch they print it, then keep streaming and print only what changed,
  each change prefixed with the time it arrived (RFC 3339, UTC): get the endpoints added (+),
  changed (~) and removed (-); profile the fields that changed (routes, dst_overrides with their
  shares, retry_budget, opaque_protocol, endpoint...).

Output formats:
  table  for people: get one row per endpoint (address, identity, protocol hint, labels,
         authority override); profile its fields, routes and dst_overrides as shares of the
         total weight; explain in sections; topics one row per topic, with ages.
  json   one line per message, protobuf's JSON mapping of the message (fields in lowerCamelCase,
         defaults left out) with readable addresses: every net.TcpAddress is the string
         "IP:PORT" ("[IPv6]:PORT"), every net.IPAddress "IP". For instance a Get remove is
         {"remove":{"addrs":["10.244.2.10:8080"]}}. With -watch every line starts with
         "time"; profile lines after the first hold only the top-level fields that changed
         (null for a field back to its default).
  yaml   the same documents as json, as YAML documents, each starting with "---".

Exit status:
  0  done, or stopped by Ctrl-C (SIGINT, SIGTERM), or with -watch at -timeout
  1  the service is unreachable ("destctl: cannot connect to ADDR within 5s"), refused the
     request (its message, e.g. INVALID_ARGUMENT for a bad authority), gave no answer in time,
     or ended the stream ("destctl: stream ended by the server: UNAVAILABLE: ..."); health: not
     SERVING
  2  usage error
)";

}  // namespace

std::string HelpText() { return kHelp; }

}  // namespace destctl
