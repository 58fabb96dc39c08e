// The endpoints of one (Service, port[, instance]), with the diff from the previous state
// serialized once for every stream that is up to date.
//
// Thread-safe (see Topic).
#ifndef CONTROLPLANE_TOPICS_ENDPOINT_TOPIC_H_
#define CONTROLPLANE_TOPICS_ENDPOINT_TOPIC_H_

#include <string>

#include "controlplane/translate/endpoint_translator.h"
#include "controlplane/topics/topic.h"

namespace dest {

class EndpointTopic : public Topic<EndpointSnapshot> {
 public:
  EndpointTopic(EndpointKey key, const Store* store, const TranslatorOptions* options)
      : key_(std::move(key)), store_(store), options_(options) {}
  const EndpointKey& key() const { return key_; }

 protected:
  std::shared_ptr<const EndpointSnapshot> ComputeLocked(
      const std::shared_ptr<const EndpointSnapshot>& previous) override
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

 private:
  const EndpointKey key_;
  const Store* const store_;
  const TranslatorOptions* const options_;
};

}  // namespace dest

#endif  // CONTROLPLANE_TOPICS_ENDPOINT_TOPIC_H_
