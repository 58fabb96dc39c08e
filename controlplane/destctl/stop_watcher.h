// StopWatcher: ends destctl's call early on SIGINT, SIGTERM or a deadline.
#ifndef CONTROLPLANE_DESTCTL_STOP_WATCHER_H_
#define CONTROLPLANE_DESTCTL_STOP_WATCHER_H_

#include <signal.h>

#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/client_context.h"

namespace destctl {

// Decides when the call must stop early and cancels it: on SIGINT or SIGTERM, or when the deadline
// set by StartTimeout() passes.
//
// Signals are handled without a signal handler: BlockStopSignals() blocks them in the calling
// thread before any other thread exists, so every thread inherits the mask and the signals stay
// pending until this class's own thread takes them with sigwait-style calls. That thread is also
// the one that calls ClientContext::TryCancel(), which is safe before, during and after the call.
// The owner wakes the thread with SIGUSR1 (sent to that thread only) when the deadline changes or
// when it shuts the watcher down.
//
// Thread-safe.
class StopWatcher {
 public:
  enum class Reason { kNone, kSignal, kTimeout };

  // Blocks SIGINT, SIGTERM and SIGUSR1 in the calling thread. Call it first thing in main.
  static void BlockStopSignals();

  // `context` must outlive this object.
  explicit StopWatcher(grpc::ClientContext* context);
  StopWatcher(const StopWatcher&) = delete;
  StopWatcher& operator=(const StopWatcher&) = delete;
  ~StopWatcher() { Shutdown(); }

  // Stops the call `timeout` from now.
  void StartTimeout(absl::Duration timeout) ABSL_LOCKS_EXCLUDED(mu_);

  // Why the call was stopped: kNone until a signal arrives or the timeout passes.
  Reason stop_reason() const ABSL_LOCKS_EXCLUDED(mu_);
  bool stop_requested() const { return stop_reason() != Reason::kNone; }

  // Ends the watcher thread. Idempotent.
  void Shutdown() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  static sigset_t WaitedSignals();
  void Wake();
  void Run() ABSL_LOCKS_EXCLUDED(mu_);
  void RequestStop(Reason reason) ABSL_LOCKS_EXCLUDED(mu_);

  grpc::ClientContext* const context_;
  mutable absl::Mutex mu_;
  absl::Time deadline_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  Reason reason_ ABSL_GUARDED_BY(mu_) = Reason::kNone;
  bool quit_ ABSL_GUARDED_BY(mu_) = false;
  // Last member: the thread starts in the constructor and reads the members above.
  std::thread thread_;
};

}  // namespace destctl

#endif  // CONTROLPLANE_DESTCTL_STOP_WATCHER_H_
