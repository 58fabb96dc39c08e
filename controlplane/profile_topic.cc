#include "controlplane/profile_topic.h"

#include "absl/strings/str_cat.h"

namespace dest {

std::string ProfileKey::ToString() const {
  return absl::StrCat(service, ".", ns, ":", port,
                      client_ns.empty() ? "" : " client_ns=", client_ns);
}

std::shared_ptr<const ProfileSnapshot> ProfileTopic::ComputeLocked(
    const std::shared_ptr<const ProfileSnapshot>& previous) {
  ProfileInputs in;
  in.service_name = key_.service;
  in.service_ns = key_.ns;
  in.port = key_.port;
  in.service = store_->Get<Service>(key_.ns, key_.service);
  std::string fqdn = absl::StrCat(key_.service, ".", key_.ns, ".svc.", options_->cluster_domain);
  if (!key_.client_ns.empty()) in.profile = store_->Get<ServiceProfile>(key_.client_ns, fqdn);
  if (in.profile == nullptr) in.profile = store_->Get<ServiceProfile>(key_.ns, fqdn);
  in.splits = store_->SplitsForService(key_.ns, key_.service);
  if (splits_ != nullptr) in.splits = splits_->InForce(std::move(in.splits));

  const TranslatedServiceProfile* sp = nullptr;
  std::optional<TranslatedServiceProfile> translated;
  if (in.profile != nullptr) {
    std::string id = absl::StrCat(in.profile->meta.ns, "/", in.profile->meta.name);
    absl::StatusOr<TranslatedServiceProfile> t = TranslateServiceProfile(*in.profile, key_.port);
    if (t.ok()) {
      last_valid_ = std::move(*t);
      last_valid_id_ = id;
      sp = &*last_valid_;
    } else if (last_valid_ && last_valid_id_ == id) {
      sp = &*last_valid_;  // invalid edit: keep the last valid translation of this profile
    }
    // (The rejection itself is logged and counted once per change by the TopicRegistry.)
  } else {
    last_valid_.reset();
    last_valid_id_.clear();
  }

  return NextProfileSnapshot(previous, BuildProfile(in, sp, *options_, nullptr));
}

}  // namespace dest
