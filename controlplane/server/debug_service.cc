#include "controlplane/server/debug_service.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace dest {
namespace dbg = io::destination::debug::v1;

absl::StatusOr<dbg::Explanation> DebugService::ExplainChecked(
    const std::string& authority, const std::string& context_token) const {
  if (authority.empty()) return absl::InvalidArgumentError("an authority is required");
  if (authority.size() > limits_.max_authority_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "authority of ", authority.size(), " bytes; at most ", limits_.max_authority_bytes));
  }
  if (context_token.size() > limits_.max_context_token_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("context token of ", context_token.size(),
                                                   " bytes; at most ",
                                                   limits_.max_context_token_bytes));
  }
  return explainer_->Explain(authority, context_token);
}

grpc::ServerUnaryReactor* DebugService::Explain(grpc::CallbackServerContext* context,
                                                const dbg::ExplainRequest* request,
                                                dbg::Explanation* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<dbg::Explanation> explained =
      ExplainChecked(request->authority(), request->context_token());
  if (!explained.ok()) {
    // absl and gRPC status codes have the same values.
    reactor->Finish(grpc::Status(static_cast<grpc::StatusCode>(explained.status().code()),
                                 std::string(explained.status().message())));
    return reactor;
  }
  *response = *std::move(explained);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* DebugService::Topics(grpc::CallbackServerContext* context,
                                               const dbg::TopicsRequest* request,
                                               dbg::TopicList* response) {
  *response = explainer_->Topics(request->limit());
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* DebugService::Events(grpc::CallbackServerContext* context,
                                               const dbg::EventsRequest* request,
                                               dbg::EventList* response) {
  *response = explainer_->Events(request->limit());
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace dest
