#include "controlplane/destctl/commands.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "controlplane/destctl/document.h"
#include "controlplane/destctl/endpoints_view.h"
#include "controlplane/destctl/explanation_text.h"
#include "controlplane/destctl/profile_view.h"
#include "controlplane/destctl/stop_watcher.h"
#include "controlplane/destctl/topic_table.h"
#include "debug.grpc.pb.h"
#include "destination.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace destctl {
namespace {

namespace dbg = ::io::destination::debug::v1;
namespace pb = ::io::linkerd::proxy::destination;
using Command = Invocation::Command;

// How long a call waits for its answer when -timeout is 0 (not with -watch).
constexpr absl::Duration kDefaultAnswerTimeout = absl::Seconds(10);
constexpr absl::Duration kDefaultHealthTimeout = absl::Seconds(5);
// Large enough for the topic list of a big cluster (gRPC's default is 4 MB).
constexpr int kMaxReceiveBytes = 256 << 20;
// How often the connection wait checks whether the user asked to stop.
constexpr absl::Duration kConnectPollInterval = absl::Milliseconds(100);

int Fail(absl::string_view line) {
  std::fprintf(stderr, "destctl: %.*s\n", static_cast<int>(line.size()), line.data());
  return kExitFailure;
}

// "UNAVAILABLE: destination service shutting down".
std::string StatusText(const grpc::Status& status) {
  const std::string code =
      absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code()));
  return status.error_message().empty() ? code : absl::StrCat(code, ": ", status.error_message());
}

// Writes `text` to stdout and flushes it, so that a pipe or `tail` sees each message at once.
bool Print(std::string_view text) {
  return std::fwrite(text.data(), 1, text.size(), stdout) == text.size() &&
         std::fflush(stdout) == 0;
}

int PrintOrFail(const absl::StatusOr<std::string>& text) {
  if (!text.ok()) return Fail(text.status().message());
  return Print(*text) ? kExitOk : kExitFailure;
}

absl::StatusOr<std::string> DocumentText(const google::protobuf::Message& message,
                                         OutputFormat format) {
  absl::StatusOr<Document> document = ToDocument(message);
  if (!document.ok()) return document.status();
  return FormatDocument(*document, format);
}

absl::Duration AnswerTimeout(const Invocation& invocation, absl::Duration fallback) {
  return invocation.timeout > absl::ZeroDuration() ? invocation.timeout : fallback;
}

// Waits until `channel` is connected, `timeout` has passed, or the user asked to stop.
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

// The exit of a get or profile stream that ended with `status`.
int StreamExit(const Invocation& invocation, const grpc::Status& status, bool received,
               StopWatcher::Reason stop) {
  if (received && !invocation.watch) return kExitOk;  // the state was printed; we cancelled
  if (stop == StopWatcher::Reason::kSignal) return kExitOk;
  if (stop == StopWatcher::Reason::kTimeout) {
    if (invocation.watch) return kExitOk;
    return Fail(absl::StrCat("no answer within ", absl::FormatDuration(AnswerTimeout(
                                                      invocation, kDefaultAnswerTimeout))));
  }
  if (!received) return Fail(StatusText(status));  // refused, e.g. INVALID_ARGUMENT
  // A watch runs until the user stops it: the server ending it, even with OK, is worth an alarm.
  return Fail(absl::StrCat("stream ended by the server: ", StatusText(status)));
}

// Reads the stream: without -watch up to its first message, with -watch to its end, printing
// what `view` makes of each message.
template <typename Response, typename View>
int Stream(const Invocation& invocation, grpc::ClientReader<Response>& reader,
           grpc::ClientContext& context, StopWatcher& watcher, View& view) {
  if (!invocation.watch || invocation.timeout > absl::ZeroDuration()) {
    watcher.StartTimeout(AnswerTimeout(invocation, kDefaultAnswerTimeout));
  }
  Response response;
  bool received = false;
  int failed = kExitOk;
  while (failed == kExitOk && reader.Read(&response)) {
    received = true;
    failed = PrintOrFail(view.Render(response, absl::Now()));
    if (failed != kExitOk || !invocation.watch) context.TryCancel();
  }
  const grpc::Status status = reader.Finish();
  watcher.Shutdown();
  if (failed != kExitOk) return failed;
  return StreamExit(invocation, status, received, watcher.stop_reason());
}

int RunDestination(const Invocation& invocation, const std::shared_ptr<grpc::Channel>& channel,
                   grpc::ClientContext& context, StopWatcher& watcher) {
  pb::GetDestination request;
  request.set_scheme("k8s");
  request.set_path(invocation.argument);
  request.set_context_token(invocation.context_token);
  std::unique_ptr<pb::Destination::Stub> stub = pb::Destination::NewStub(channel);
  if (invocation.command == Command::kGet) {
    EndpointsView view(invocation.format, invocation.watch);
    auto reader = stub->Get(&context, request);
    return Stream(invocation, *reader, context, watcher, view);
  }
  ProfileView view(invocation.format, invocation.watch);
  auto reader = stub->GetProfile(&context, request);
  return Stream(invocation, *reader, context, watcher, view);
}

// The exit of a failed Debug call.
int DebugFailure(const Invocation& invocation, const grpc::Status& status,
                 StopWatcher::Reason stop) {
  if (stop == StopWatcher::Reason::kSignal) return kExitOk;
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return Fail(absl::StrCat("no answer within ", absl::FormatDuration(AnswerTimeout(
                                                      invocation, kDefaultAnswerTimeout))));
  }
  if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
    return Fail(absl::StrCat("the service at ", invocation.addr,
                             " does not serve io.destination.debug.v1.Debug (", StatusText(status),
                             ")"));
  }
  return Fail(StatusText(status));
}

int RunExplain(const Invocation& invocation, const std::shared_ptr<grpc::Channel>& channel,
               grpc::ClientContext& context, StopWatcher& watcher) {
  context.set_deadline(
      absl::ToChronoTime(absl::Now() + AnswerTimeout(invocation, kDefaultAnswerTimeout)));
  dbg::ExplainRequest request;
  request.set_authority(invocation.argument);
  request.set_context_token(invocation.context_token);
  dbg::Explanation explanation;
  const grpc::Status status =
      dbg::Debug::NewStub(channel)->Explain(&context, request, &explanation);
  watcher.Shutdown();
  if (!status.ok()) return DebugFailure(invocation, status, watcher.stop_reason());
  if (invocation.format == OutputFormat::kTable) {
    return PrintOrFail(RenderExplanation(explanation, absl::Now()));
  }
  return PrintOrFail(DocumentText(explanation, invocation.format));
}

int RunTopics(const Invocation& invocation, const std::shared_ptr<grpc::Channel>& channel,
              grpc::ClientContext& context, StopWatcher& watcher) {
  context.set_deadline(
      absl::ToChronoTime(absl::Now() + AnswerTimeout(invocation, kDefaultAnswerTimeout)));
  dbg::TopicsRequest request;  // all of them: -sort and -limit apply here, in the client
  dbg::TopicList topics;
  const grpc::Status status = dbg::Debug::NewStub(channel)->Topics(&context, request, &topics);
  watcher.Shutdown();
  if (!status.ok()) return DebugFailure(invocation, status, watcher.stop_reason());
  SortTopics(invocation.order, invocation.limit, &topics);
  if (invocation.format == OutputFormat::kTable) {
    return PrintOrFail(RenderTopicTable(topics, absl::Now()));
  }
  return PrintOrFail(DocumentText(topics, invocation.format));
}

// Health/Check once; always one JSON line, whatever -o says (scripts and the image check read it).
int RunHealth(const Invocation& invocation, const std::shared_ptr<grpc::Channel>& channel,
              grpc::ClientContext& context, StopWatcher& watcher) {
  context.set_deadline(
      absl::ToChronoTime(absl::Now() + AnswerTimeout(invocation, kDefaultHealthTimeout)));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(invocation.argument);
  grpc::health::v1::HealthCheckResponse response;
  const grpc::Status status =
      grpc::health::v1::Health::NewStub(channel)->Check(&context, request, &response);
  watcher.Shutdown();
  if (!status.ok()) return Fail(absl::StrCat("health: ", StatusText(status)));
  if (PrintOrFail(DocumentText(response, OutputFormat::kJson)) != kExitOk) return kExitFailure;
  return response.status() == grpc::health::v1::HealthCheckResponse::SERVING ? kExitOk
                                                                             : kExitFailure;
}

}  // namespace

int RunCommand(const Invocation& invocation) {
  grpc::ClientContext context;
  StopWatcher watcher(&context);
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(kMaxReceiveBytes);
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(invocation.addr, grpc::InsecureChannelCredentials(), arguments);
  if (invocation.connect_timeout > absl::ZeroDuration() &&
      !WaitForConnection(*channel, invocation.connect_timeout, watcher)) {
    if (watcher.stop_requested()) return kExitOk;
    return Fail(absl::StrCat("cannot connect to ", invocation.addr, " within ",
                             absl::FormatDuration(invocation.connect_timeout)));
  }
  switch (invocation.command) {
    case Command::kGet:
    case Command::kProfile:
      return RunDestination(invocation, channel, context, watcher);
    case Command::kExplain:
      return RunExplain(invocation, channel, context, watcher);
    case Command::kTopics:
      return RunTopics(invocation, channel, context, watcher);
    case Command::kHealth:
      return RunHealth(invocation, channel, context, watcher);
    case Command::kHelp:
      break;
  }
  return kExitUsage;
}

}  // namespace destctl
