// Stand-ins for the streams of the service, shared by the topic tests: a proxy's view of the
// endpoint messages it received (ProxyModel), a stream that folds missed snapshots as
// SnapshotStream does (ModelStream), and a profile stream that keeps the newest snapshot.
#ifndef TESTS_STREAM_MODELS_H_
#define TESTS_STREAM_MODELS_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "controlplane/topics/snapshot.h"
#include "gtest/gtest.h"
#include "destination.pb.h"

namespace dest {

namespace pb = io::linkerd::proxy::destination;

inline std::string AddrId(const io::linkerd::proxy::net::TcpAddress& a) {
  if (a.ip().has_ipv6()) return absl::StrCat("v6:", a.ip().ipv6().first(), ":", a.ip().ipv6().last(), ":", a.port());
  uint32_t v = a.ip().ipv4();
  return absl::StrCat(v >> 24, ".", (v >> 16) & 255, ".", (v >> 8) & 255, ".", v & 255, ":", a.port());
}

// What a proxy believes after applying the messages it received.
struct ProxyModel {
  bool known = false;  // a first message arrived
  bool exists = false;
  std::map<std::string, std::string> addrs;  // id -> serialized WeightedAddr
  std::vector<std::string> kinds;           // "add", "remove", "none" per message, for asserts

  void Apply(const pb::Update& u) {
    known = true;
    if (u.has_add()) {
      EXPECT_GT(u.add().addrs_size(), 0) << "empty add";
      exists = true;
      for (const auto& wa : u.add().addrs()) addrs[AddrId(wa.addr())] = SerializeDeterministic(wa);
      kinds.push_back("add");
    } else if (u.has_remove()) {
      EXPECT_GT(u.remove().addrs_size(), 0) << "empty remove";
      for (const auto& a : u.remove().addrs()) {
        EXPECT_EQ(addrs.erase(AddrId(a)), 1u) << "removed an address the proxy did not have";
      }
      kinds.push_back("remove");
    } else if (u.has_no_endpoints()) {
      exists = u.no_endpoints().exists();
      addrs.clear();
      kinds.push_back(exists ? "none" : "gone");
    } else {
      ADD_FAILURE() << "empty Update";
    }
  }
};

// A stream stand-in that behaves like SnapshotStream: remembers the snapshot it last "sent" and
// asks the newest one for the messages from there. `lazy` streams only read when told to.
class ModelStream : public Sink<EndpointSnapshot> {
 public:
  explicit ModelStream(bool lazy = false) : lazy_(lazy) {}
  void Offer(std::shared_ptr<const EndpointSnapshot> s) override {
    absl::MutexLock lock(&mu_);
    if (target_ && s->version <= target_->version) return;
    target_ = std::move(s);
    if (!lazy_) PumpLocked();
  }
  void Pump() {
    absl::MutexLock lock(&mu_);
    PumpLocked();
  }
  ProxyModel Model() {
    absl::MutexLock lock(&mu_);
    return model_;
  }
  size_t Messages() {
    absl::MutexLock lock(&mu_);
    return messages_;
  }

 private:
  void PumpLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!target_ || target_ == sent_) return;
    MessageBatch batch = target_->MessagesFrom(sent_.get());
    for (size_t i = 0; i < batch.count; ++i) {
      const grpc::ByteBuffer* b = batch.messages[i];
      std::vector<grpc::Slice> slices;
      EXPECT_TRUE(b->Dump(&slices).ok());
      std::string bytes;
      for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
      pb::Update u;
      EXPECT_TRUE(u.ParseFromString(bytes));
      model_.Apply(u);
      ++messages_;
    }
    sent_ = target_;
  }
  const bool lazy_;
  absl::Mutex mu_;
  std::shared_ptr<const EndpointSnapshot> target_ ABSL_GUARDED_BY(mu_), sent_ ABSL_GUARDED_BY(mu_);
  ProxyModel model_ ABSL_GUARDED_BY(mu_);
  size_t messages_ ABSL_GUARDED_BY(mu_) = 0;
};

// A profile stream stand-in: keeps the newest snapshot offered, ignoring older ones as streams do.
class ProfileModelStream : public Sink<ProfileSnapshot> {
 public:
  void Offer(std::shared_ptr<const ProfileSnapshot> s) override {
    absl::MutexLock lock(&mu_);
    if (newest_ && s->version <= newest_->version) return;
    newest_ = std::move(s);
  }
  std::shared_ptr<const ProfileSnapshot> Newest() {
    absl::MutexLock lock(&mu_);
    return newest_;
  }

 private:
  absl::Mutex mu_;
  std::shared_ptr<const ProfileSnapshot> newest_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dest

#endif  // TESTS_STREAM_MODELS_H_
