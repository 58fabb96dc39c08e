#include "controlplane/server/streams.h"

namespace dest {

const char* CloseReasonName(CloseReason reason) {
  switch (reason) {
    case CloseReason::kClientCancelled:
      return "client_cancelled";
    case CloseReason::kWriteFailed:
      return "write_failed";
    case CloseReason::kShutdown:
      return "shutdown";
  }
  return "unknown";
}

MessageBatch ProfileStream::MessagesBetween(const ProfileSnapshot* sent,
                                            const ProfileSnapshot& target) {
  MessageBatch batch;
  if (sent != nullptr && sent->bytes == target.bytes) return batch;  // never resend the same
  batch.Add(&target.buffer);
  return batch;
}

void ProfileStream::Detach() {
  if (topic_ != nullptr) {
    topic_->Unsubscribe(this);
    topics_->ReleaseProfile(*topic_);
  }
  if (endpoint_topic_ != nullptr) {
    endpoint_topic_->Unsubscribe(this);
    topics_->ReleaseEndpointProfile(*endpoint_topic_);
  }
}

void EndpointStream::Detach() {
  if (topic_ == nullptr) return;
  topic_->Unsubscribe(this);
  topics_->ReleaseEndpoints(*topic_);
}

}  // namespace dest
