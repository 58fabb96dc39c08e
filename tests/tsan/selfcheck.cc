// Proves the ThreadSanitizer run can fail and sees absl::Mutex (tests/tsan/run.sh):
//   selfcheck mutex  — four threads increment a counter under absl::Mutex: clean only when the
//                      Abseil loaded at run time is instrumented (Debian's is not, and TSan then
//                      reports this correct program as a race);
//   selfcheck race   — the same without the lock: TSan must report it (exit 66).
#include <cstring>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

int main(int argc, char** argv) {
  const bool locked = argc > 1 && std::strcmp(argv[1], "mutex") == 0;
  absl::Mutex mu;
  long counter = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        if (locked) {
          absl::MutexLock lock(&mu);
          ++counter;
        } else {
          ++counter;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  return locked && counter != 40000 ? 1 : 0;
}
