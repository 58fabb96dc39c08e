#include "controlplane/destctl/stop_watcher.h"

#include <pthread.h>

#include <algorithm>
#include <cerrno>
#include <ctime>

#include "absl/time/clock.h"

namespace destctl {

void StopWatcher::BlockStopSignals() {
  sigset_t set = WaitedSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

StopWatcher::StopWatcher(grpc::ClientContext* context)
    : context_(context), thread_([this] { Run(); }) {}

void StopWatcher::StartTimeout(absl::Duration timeout) {
  {
    absl::MutexLock lock(&mu_);
    deadline_ = absl::Now() + timeout;
  }
  Wake();
}

StopWatcher::Reason StopWatcher::stop_reason() const {
  absl::MutexLock lock(&mu_);
  return reason_;
}

void StopWatcher::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    if (quit_) return;
    quit_ = true;
  }
  Wake();
  thread_.join();
}

sigset_t StopWatcher::WaitedSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR1);
  return set;
}

void StopWatcher::Wake() { pthread_kill(thread_.native_handle(), SIGUSR1); }

void StopWatcher::Run() {
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
      RequestStop(Reason::kSignal);
    } else if (received < 0 && errno == EAGAIN) {
      // The deadline passed.
      RequestStop(Reason::kTimeout);
      absl::MutexLock lock(&mu_);
      deadline_ = absl::InfiniteFuture();
    }
    // SIGUSR1 (a wake-up from the owner) and EINTR: loop and re-read the state.
  }
}

void StopWatcher::RequestStop(Reason reason) {
  {
    absl::MutexLock lock(&mu_);
    if (reason_ == Reason::kNone) reason_ = reason;
  }
  context_->TryCancel();
}

}  // namespace destctl
