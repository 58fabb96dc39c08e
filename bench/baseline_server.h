// The baseline the benchmark compares against: a bare gRPC server-streaming server, written the
// way a naive server is, on the *generated message* callback API. GetProfile streams receive a
// shared DestinationProfile object, and gRPC serializes it again for every stream it is written to.
//
// Apart from that it does what the destination service does: one write in flight per stream, the
// newest pending message kept, offers made outside the registry lock. So the comparison isolates
// the cost of per-stream serialization and per-message overhead, with no Kubernetes logic.
//
// Thread-safe.
#ifndef BENCH_BASELINE_SERVER_H_
#define BENCH_BASELINE_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "destination.grpc.pb.h"

namespace dest::bench {

class BaselineServer {
 public:
  using Profile = io::linkerd::proxy::destination::DestinationProfile;

  // `initial` is what every new stream receives first. `servers` grpc::Server instances share one
  // port (SO_REUSEPORT: the kernel spreads connections over them), each with its own completion
  // queue; 1 is the plain server.
  BaselineServer(std::shared_ptr<const Profile> initial, int servers = 1);
  ~BaselineServer();

  // Listens on 127.0.0.1 (any port). False on failure.
  bool Start();
  int port() const { return port_; }
  // Makes `profile` the current one and offers it to every open stream. Returns the streams
  // offered it.
  size_t Push(std::shared_ptr<const Profile> profile);
  size_t Streams();
  void Shutdown();

 private:
  class Stream;
  class Service;

  void Register(const std::shared_ptr<Stream>& s);
  void Unregister(Stream* s);

  const int server_count_;
  std::vector<std::unique_ptr<Service>> services_;
  std::vector<std::unique_ptr<grpc::Server>> servers_;
  int port_ = 0;
  absl::Mutex mu_;
  std::shared_ptr<const Profile> current_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<Stream*, std::shared_ptr<Stream>> streams_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dest::bench

#endif  // BENCH_BASELINE_SERVER_H_
