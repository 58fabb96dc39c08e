// destctl: a debugging client for the destination service.
//
//   destctl [flags] get AUTHORITY       streams Destination/Get
//   destctl [flags] profile AUTHORITY   streams Destination/GetProfile
//   destctl [flags] health [SERVICE]    asks grpc.health.v1.Health/Check once ("" = the server)
//
// Every message received is printed as one line of JSON (protobuf's JSON mapping) and flushed at
// once, so the output can be piped or tailed while the stream is open.
//
// Exit codes: 0 when the stream ends with OK, on SIGINT/SIGTERM, or when --timeout elapses;
// 1 when the service cannot be reached or the stream ends with an error status, and for `health`
// when the answer is not SERVING; 2 on usage errors.

#include <pthread.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "destination.grpc.pb.h"
#include "destination.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"

ABSL_FLAG(std::string, addr, "localhost:8086", "Address of the destination service's gRPC port");
ABSL_FLAG(
    std::string, context_token, "",
    "Context token sent with the request, e.g. {\"ns\":\"emojivoto\",\"nodeName\":\"node-1\"}");
ABSL_FLAG(absl::Duration, timeout, absl::ZeroDuration(),
          "Stop after this long once the stream is open and exit 0; 0 streams until interrupted or "
          "until the service ends the stream");
ABSL_FLAG(absl::Duration, connect_timeout, absl::Seconds(5),
          "How long to wait for the connection to the service before giving up; 0 does not wait "
          "(the call then fails if the service is unreachable)");

namespace destctl {
namespace {

using ::io::linkerd::proxy::destination::Destination;
using ::io::linkerd::proxy::destination::DestinationProfile;
using ::io::linkerd::proxy::destination::GetDestination;
using ::io::linkerd::proxy::destination::Update;

constexpr char kUsage[] = "usage: destctl [flags] get|profile AUTHORITY | health [SERVICE]";

// How long `health` waits for its answer once connected, when --timeout is 0.
constexpr absl::Duration kDefaultHealthTimeout = absl::Seconds(5);

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

// How often the connection wait checks whether the user asked to stop.
constexpr absl::Duration kConnectPollInterval = absl::Milliseconds(100);

// Decides when the call must stop early and cancels it: on SIGINT or SIGTERM, or when the deadline
// set by StartTimeout() passes.
//
// Signals are handled without a signal handler: BlockStopSignals() blocks them in the calling
// thread before any other thread exists, so every thread inherits the mask and the signals stay
// pending until this class's own thread takes them with sigwait-style calls. That thread is also
// the one that calls ClientContext::TryCancel(), which is safe before, during and after the call.
// Main wakes the thread with SIGUSR1 (sent to that thread only) when the deadline changes or when
// it shuts the watcher down.
//
// Thread-safe.
class StopWatcher {
 public:
  // Blocks SIGINT, SIGTERM and SIGUSR1 in the calling thread. Call it first thing in main.
  static void BlockStopSignals() {
    sigset_t set = WaitedSignals();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
  }

  // `context` must outlive this object.
  explicit StopWatcher(grpc::ClientContext* context)
      : context_(context), thread_([this] { Run(); }) {}

  StopWatcher(const StopWatcher&) = delete;
  StopWatcher& operator=(const StopWatcher&) = delete;

  ~StopWatcher() { Shutdown(); }

  // Stops the call `timeout` from now.
  void StartTimeout(absl::Duration timeout) ABSL_LOCKS_EXCLUDED(mu_) {
    {
      absl::MutexLock lock(&mu_);
      deadline_ = absl::Now() + timeout;
    }
    Wake();
  }

  // True once a signal arrived or the timeout passed.
  bool stop_requested() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return stop_requested_;
  }

  // Ends the watcher thread. Idempotent.
  void Shutdown() ABSL_LOCKS_EXCLUDED(mu_) {
    {
      absl::MutexLock lock(&mu_);
      if (quit_) return;
      quit_ = true;
    }
    Wake();
    thread_.join();
  }

 private:
  static sigset_t WaitedSignals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGUSR1);
    return set;
  }

  void Wake() { pthread_kill(thread_.native_handle(), SIGUSR1); }

  void Run() ABSL_LOCKS_EXCLUDED(mu_) {
    const sigset_t set = WaitedSignals();
    while (true) {
      absl::Time deadline;
      {
        absl::MutexLock lock(&mu_);
        if (quit_) return;
        deadline = deadline_;
      }
      int received = 0;
      if (deadline == absl::InfiniteFuture()) {
        received = sigwaitinfo(&set, nullptr);
      } else {
        const timespec wait =
            absl::ToTimespec(std::max(deadline - absl::Now(), absl::ZeroDuration()));
        received = sigtimedwait(&set, nullptr, &wait);
      }
      if (received == SIGINT || received == SIGTERM) {
        RequestStop();
      } else if (received < 0 && errno == EAGAIN) {
        // The deadline passed; the call has run for --timeout.
        RequestStop();
        absl::MutexLock lock(&mu_);
        deadline_ = absl::InfiniteFuture();
      }
      // SIGUSR1 (a wake-up from main) and EINTR: loop and re-read the state.
    }
  }

  void RequestStop() ABSL_LOCKS_EXCLUDED(mu_) {
    {
      absl::MutexLock lock(&mu_);
      stop_requested_ = true;
    }
    context_->TryCancel();
  }

  grpc::ClientContext* const context_;
  mutable absl::Mutex mu_;
  absl::Time deadline_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  bool stop_requested_ ABSL_GUARDED_BY(mu_) = false;
  bool quit_ ABSL_GUARDED_BY(mu_) = false;
  // Last member: the thread starts in the constructor and reads the members above.
  std::thread thread_;
};

// Waits until `channel` is connected, `timeout` has passed, or the user asked to stop.
// Returns true when connected.
bool WaitForConnection(grpc::Channel& channel, absl::Duration timeout, const StopWatcher& watcher) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!watcher.stop_requested()) {
    const absl::Time now = absl::Now();
    if (now >= deadline) return false;
    const absl::Time slice_end = std::min(deadline, now + kConnectPollInterval);
    if (channel.WaitForConnected(absl::ToChronoTime(slice_end))) return true;
  }
  return false;
}

// Prints `message` as one line of JSON and flushes it. Returns false if it cannot be printed.
bool PrintJsonLine(const google::protobuf::Message& message) {
  std::string json;
  const auto status = google::protobuf::util::MessageToJsonString(message, &json);
  if (!status.ok()) {
    std::fprintf(stderr, "destctl: cannot print %s as JSON: %s\n", message.GetTypeName().c_str(),
                 status.ToString().c_str());
    return false;
  }
  json.push_back('\n');
  return std::fwrite(json.data(), 1, json.size(), stdout) == json.size() &&
         std::fflush(stdout) == 0;
}

// Reads `reader` to its end, printing each message. Returns the call's final status.
template <typename Response>
grpc::Status Stream(grpc::ClientReader<Response>& reader, grpc::ClientContext& context) {
  Response response;
  while (reader.Read(&response)) {
    if (!PrintJsonLine(response)) {
      context.TryCancel();
      break;
    }
  }
  return reader.Finish();
}

int Run(const std::string& command, const std::string& authority) {
  // Every thread gRPC creates inherits this mask, so only StopWatcher sees the signals.
  StopWatcher::BlockStopSignals();

  grpc::ClientContext context;
  StopWatcher watcher(&context);

  const std::string addr = absl::GetFlag(FLAGS_addr);
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel(addr, grpc::InsecureChannelCredentials());

  const absl::Duration connect_timeout = absl::GetFlag(FLAGS_connect_timeout);
  if (connect_timeout > absl::ZeroDuration() &&
      !WaitForConnection(*channel, connect_timeout, watcher)) {
    if (watcher.stop_requested()) return kExitOk;
    std::fprintf(stderr, "destctl: cannot connect to %s within %s\n", addr.c_str(),
                 absl::FormatDuration(connect_timeout).c_str());
    return kExitFailure;
  }

  if (command == "health") {
    const absl::Duration timeout = absl::GetFlag(FLAGS_timeout);
    context.set_deadline(absl::ToChronoTime(
        absl::Now() + (timeout > absl::ZeroDuration() ? timeout : kDefaultHealthTimeout)));
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(authority);
    grpc::health::v1::HealthCheckResponse response;
    const grpc::Status status =
        grpc::health::v1::Health::NewStub(channel)->Check(&context, request, &response);
    watcher.Shutdown();
    if (!status.ok()) {
      std::fprintf(
          stderr, "destctl: health: %s: %s\n",
          absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())).c_str(),
          status.error_message().c_str());
      return kExitFailure;
    }
    if (!PrintJsonLine(response)) return kExitFailure;
    return response.status() == grpc::health::v1::HealthCheckResponse::SERVING ? kExitOk
                                                                                : kExitFailure;
  }

  GetDestination request;
  request.set_scheme("k8s");
  request.set_path(authority);
  request.set_context_token(absl::GetFlag(FLAGS_context_token));

  const absl::Duration timeout = absl::GetFlag(FLAGS_timeout);
  if (timeout > absl::ZeroDuration()) watcher.StartTimeout(timeout);

  std::unique_ptr<Destination::Stub> stub = Destination::NewStub(channel);
  grpc::Status status;
  if (command == "get") {
    std::unique_ptr<grpc::ClientReader<Update>> reader = stub->Get(&context, request);
    status = Stream(*reader, context);
  } else {
    std::unique_ptr<grpc::ClientReader<DestinationProfile>> reader =
        stub->GetProfile(&context, request);
    status = Stream(*reader, context);
  }
  watcher.Shutdown();

  if (status.ok() || watcher.stop_requested()) return kExitOk;
  std::fprintf(stderr, "destctl: %s: %s\n",
               absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())).c_str(),
               status.error_message().c_str());
  return kExitFailure;
}

// absl flag names cannot contain '-', but the documented spelling is --context-token and
// --connect-timeout. Rewrites those spellings (with one or two dashes, with or without "=value")
// to the underscore names in place, leaving everything after a "--" terminator alone.
void NormalizeFlagSpelling(int argc, char** argv) {
  static constexpr const char* kHyphenated[] = {"context-token", "connect-timeout"};
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--") return;
    if (!arg.starts_with('-')) continue;
    const size_t dashes = arg.starts_with("--") ? 2 : 1;
    const std::string_view name = arg.substr(dashes, arg.find('=') - dashes);
    for (const char* hyphenated : kHyphenated) {
      if (name != hyphenated) continue;
      std::replace(argv[i] + dashes, argv[i] + dashes + name.size(), '-', '_');
    }
  }
}

int Usage(const char* problem) {
  std::fprintf(stderr, "destctl: %s\n%s\n", problem, kUsage);
  return kExitUsage;
}

}  // namespace
}  // namespace destctl

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Streams the destination service's answers for an authority, one JSON line per message.\n" +
      std::string(destctl::kUsage) +
      "\n--context-token and --connect-timeout may also be spelled with '_' as listed below.");
  destctl::NormalizeFlagSpelling(argc, argv);
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() < 2) return destctl::Usage("expected a command");
  const std::string command = args[1];
  if (command == "health") {
    if (args.size() > 3) return destctl::Usage("health takes at most one service name");
  } else if (command == "get" || command == "profile") {
    if (args.size() != 3) return destctl::Usage("expected a command and an authority");
  } else {
    return destctl::Usage(("unknown command \"" + command + "\"").c_str());
  }
  if (absl::GetFlag(FLAGS_timeout) < absl::ZeroDuration()) {
    return destctl::Usage("--timeout must not be negative");
  }
  if (absl::GetFlag(FLAGS_connect_timeout) < absl::ZeroDuration()) {
    return destctl::Usage("--connect-timeout must not be negative");
  }
  return destctl::Run(command, args.size() > 2 ? args[2] : "");
}
