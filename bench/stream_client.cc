#include "bench/stream_client.h"

#include <grpcpp/impl/rpc_method.h>
#include <grpcpp/support/client_callback.h>

#include <algorithm>
#include <optional>

#include "bench/bench_manifests.h"
#include "destination.pb.h"

namespace dest::bench {
namespace pb = io::linkerd::proxy::destination;

struct StreamClient::Channel {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<grpc::internal::RpcMethod> get;
  std::unique_ptr<grpc::internal::RpcMethod> get_profile;
};

// One stream. Its reactions run one at a time, so the plain fields need no lock.
class StreamClient::Stream final : public grpc::ClientReadReactor<grpc::ByteBuffer> {
 public:
  Stream(StreamClient* owner, Rpc rpc, uint32_t request, bool relevant, bool sample)
      : owner_(owner), request_(request), rpc_(rpc), relevant_(relevant), sample_(sample) {}

  void Start(const Channel& ch, const grpc::ByteBuffer* request) {
    // The generated stub does exactly this, with message types in place of raw bytes.
    grpc::internal::ClientCallbackReaderFactory<grpc::ByteBuffer>::Create(
        ch.channel.get(), rpc_ == Rpc::kGet ? *ch.get : *ch.get_profile, &context_, request, this);
    StartRead(&msg_);
    StartCall();
  }
  void Cancel() { context_.TryCancel(); }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // OnDone follows
    owner_->OnMessage(this, msg_);
    msg_.Clear();
    StartRead(&msg_);
  }
  void OnDone(const grpc::Status& status) override { owner_->OnDone(this, status); }

  grpc::ClientContext context_;
  grpc::ByteBuffer msg_;
  StreamClient* const owner_;
  const uint32_t request_;
  uint32_t generation_ = 0;  // newest generation seen (churn mode)
  const Rpc rpc_;
  const bool relevant_;
  const bool sample_;
  bool got_first_ = false;
};

size_t StreamClient::StreamObjectBytes() { return sizeof(Stream); }

StreamClient::StreamClient(Options options) : options_(std::move(options)) {}

StreamClient::~StreamClient() {
  if (!CloseAll(absl::Seconds(30))) {
    // gRPC still holds reactors: never free them under it.
    for (auto& s : streams_) s.release();
  }
}

bool StreamClient::Connect(absl::Duration timeout) {
  for (int i = 0; i < options_.connections; ++i) {
    grpc::ChannelArguments args;
    // Each channel its own subchannel, so its own TCP connection.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt(GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, -1);
    auto ch = std::make_unique<Channel>();
    ch->channel =
        grpc::CreateCustomChannel(options_.target, grpc::InsecureChannelCredentials(), args);
    ch->get = std::make_unique<grpc::internal::RpcMethod>(
        "/io.linkerd.proxy.destination.Destination/Get",
        grpc::internal::RpcMethod::SERVER_STREAMING, ch->channel);
    ch->get_profile = std::make_unique<grpc::internal::RpcMethod>(
        "/io.linkerd.proxy.destination.Destination/GetProfile",
        grpc::internal::RpcMethod::SERVER_STREAMING, ch->channel);
    channels_.push_back(std::move(ch));
  }
  auto deadline = std::chrono::system_clock::now() + absl::ToChronoNanoseconds(timeout);
  for (auto& ch : channels_) {
    if (!ch->channel->WaitForConnected(deadline)) return false;
  }
  return true;
}

void StreamClient::Add(Rpc rpc, const std::string& authority, bool relevant, bool sample) {
  auto [it, inserted] = request_index_.try_emplace(authority, requests_.size());
  if (inserted) {
    pb::GetDestination req;
    req.set_scheme("k8s");
    req.set_path(authority);
    std::string bytes = req.SerializeAsString();
    grpc::Slice slice(bytes);
    requests_.push_back(std::make_unique<grpc::ByteBuffer>(&slice, 1));
  }
  streams_.push_back(std::make_unique<Stream>(this, rpc, it->second, relevant, sample));
}

void StreamClient::StartAll() {
  storm_ = std::make_unique<Arrivals>(streams_.size());
  for (size_t i = 0; i < streams_.size(); ++i) {
    Stream* s = streams_[i].get();
    started_.fetch_add(1);
    s->Start(*channels_[i % channels_.size()], requests_[s->request_].get());
  }
}

bool StreamClient::CloseAll(absl::Duration timeout) {
  closing_.store(true);
  for (auto& s : streams_) s->Cancel();
  return WaitUntil([&] { return ended_.load() >= started_.load(); }, timeout);
}

std::string StreamClient::FirstError() {
  absl::MutexLock lock(&mu_);
  return first_error_;
}

std::string StreamClient::Sample() {
  absl::MutexLock lock(&mu_);
  return sample_;
}

namespace {

std::string Flatten(const grpc::ByteBuffer& msg) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!msg.Dump(&slices).ok()) return out;
  for (const grpc::Slice& s : slices)
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

int FirstByte(const grpc::ByteBuffer& msg) {
  grpc::Slice slice;
  if (msg.TrySingleSlice(&slice).ok()) return slice.size() > 0 ? slice.begin()[0] : -1;
  std::string flat = Flatten(msg);
  return flat.empty() ? -1 : static_cast<unsigned char>(flat[0]);
}

std::optional<uint32_t> Generation(StreamClient::Rpc rpc, const grpc::ByteBuffer& msg) {
  std::string bytes = Flatten(msg);
  if (rpc == StreamClient::Rpc::kGetProfile) {
    pb::DestinationProfile p;
    if (!p.ParseFromString(bytes) || p.dst_overrides_size() == 0) return std::nullopt;
    return BenchManifests::GenerationOfWeight(p.dst_overrides(0).weight());
  }
  pb::Update u;
  if (!u.ParseFromString(bytes) || !u.has_add()) return std::nullopt;
  for (const auto& a : u.add().addrs()) {
    if (auto g = BenchManifests::GenerationOfIp(a.addr().ip().ipv4())) return g;
  }
  return std::nullopt;
}

// The tag byte of Update.add (field 1, length-delimited).
constexpr int kUpdateAddTag = 0x0a;

}  // namespace

void StreamClient::OnMessage(Stream* s, const grpc::ByteBuffer& msg) {
  int64_t now = NowNs();
  messages_.fetch_add(1, std::memory_order_relaxed);
  bytes_.fetch_add(msg.Length(), std::memory_order_relaxed);
  if (!s->got_first_) {
    s->got_first_ = true;
    storm_->Record(now);
    if (s->sample_ && !sample_taken_.exchange(true)) {
      std::string flat = Flatten(msg);
      absl::MutexLock lock(&mu_);
      sample_ = std::move(flat);
    }
    return;
  }
  if (!s->relevant_) {
    unexpected_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (ChurnLog* log = churn_.load(std::memory_order_acquire)) {
    std::optional<uint32_t> g = Generation(s->rpc_, msg);
    if (g && *g > s->generation_) {
      log->Reached(s->generation_, *g, now);
      s->generation_ = *g;
    }
    return;
  }
  if (s->rpc_ == Rpc::kGetProfile || FirstByte(msg) == kUpdateAddTag) {
    if (Arrivals* round = round_.load(std::memory_order_acquire)) round->Record(now);
  }
}

void StreamClient::OnDone(Stream* s, const grpc::Status& status) {
  if (!s->got_first_ && !status.ok()) {
    failed_.fetch_add(1);
    absl::MutexLock lock(&mu_);
    if (first_error_.empty()) {
      first_error_ = std::to_string(status.error_code()) + ": " + status.error_message();
    }
  }
  if (!closing_.load()) dropped_.fetch_add(1);
  ended_.fetch_add(1);
}

}  // namespace dest::bench
