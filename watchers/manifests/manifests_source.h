// A Source reading Kubernetes manifests from a directory and watching it with inotify.
//
// Every *.yaml, *.yml and *.json file under the directory (recursively, following symlinks,
// skipping names that start with '.', so ConfigMap volume mounts work) is parsed; the objects found
// are fed to the Store. File changes become the add/update/delete events a Kubernetes watch would
// produce: a changed file's objects are re-read and diffed against what that file held before; a
// deleted file's objects are deleted. A file that fails to parse is logged (file, line, reason) and
// counted, and its previous objects stay in force. When several files define the same object, the
// file whose path sorts last wins (and the duplicate is logged).
//
// What the source cannot see, it does not delete: a file that cannot be read, a subdirectory that
// cannot be listed, or the whole directory gone for a moment (renamed, remounted) keep the objects
// they held, and the problem is logged (once per change), counted by reason
// (destination_manifests_errors_total) and shown by destination_manifests_degraded until it
// clears; while degraded the directory is re-read every second, so a directory that comes back is
// picked up even when no inotify watch could see it return. The walk reads each directory once
// (by device and inode), so symlink cycles and several links to one directory cost nothing; a
// file larger than Options::max_file_bytes is rejected like a parse error.
//
// Thread-safe. Start() does the initial load on the caller's thread; a background thread then
// watches the directory until Stop().
#ifndef WATCHERS_MANIFESTS_MANIFESTS_SOURCE_H_
#define WATCHERS_MANIFESTS_MANIFESTS_SOURCE_H_

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "watchers/source.h"
#include "watchers/store/store.h"

namespace prometheus {
class Registry;
class Counter;
class Gauge;
template <typename T>
class Family;
}  // namespace prometheus

namespace dest {

class ManifestsSource : public Source {
 public:
  struct Options {
    std::string dir;
    // After a change is seen, wait this long for the directory to go quiet before re-reading, so
    // a burst of partial writes is read once. Bounded by max_debounce. Not waited when the last
    // event finished a write (a rename into place, a manifest closed after writing).
    absl::Duration debounce = absl::Milliseconds(5);
    absl::Duration max_debounce = absl::Milliseconds(100);
    // A larger manifest file is rejected (its previous objects stay in force).
    size_t max_file_bytes = 16 << 20;
    // How often the directory is re-read while part of it cannot be read.
    absl::Duration degraded_rescan = absl::Seconds(1);
  };

  ManifestsSource(Options options, Store* store, prometheus::Registry* registry = nullptr);
  ~ManifestsSource() override;

  absl::Status Start() override;
  void Stop() override;
  std::vector<Kind> Kinds() const override;

  // Re-reads the directory now and applies what changed (the watch thread calls this; tests may
  // too). Returns the number of store changes.
  size_t Rescan() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct FileState {
    bool loaded = false;                          // parsed successfully at least once
    std::string content;                          // the content last parsed successfully
    std::optional<std::string> rejected_content;  // last rejected content (reported once)
    bool unreadable = false;                      // the last read failed (reported once)
    bool too_large = false;                       // the last read was too large (reported once)
    std::map<ObjectKey, AnyObject> objects;
  };

  // Why part of the directory could not be seen, as counted and logged.
  enum class Problem { kUnavailable, kUnreadableDir, kUnreadableFile, kTooLarge, kParse, kCycle };
  void CountLocked(Problem problem) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Logs and counts each directory of `now` not in `before` (a problem is reported once per
  // change), then makes `now` the new `before`.
  void ReportNewLocked(std::set<std::string> now, std::set<std::string>& before, Problem problem,
                       const char* message) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Rescan's steps. Keys whose effective object may change, with the effective object before.
  using Touched = std::map<ObjectKey, std::optional<AnyObject>>;
  // Lists the directory (reporting what cannot be seen, watching what can); nullopt when the
  // directory itself is unavailable, which keeps every object.
  std::optional<std::set<std::string>> WalkLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void TouchLocked(Touched& touched, const ObjectKey& key) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void DropObjectsLocked(Touched& touched, const std::string& path, FileState& f)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void DropVanishedFilesLocked(const std::set<std::string>& paths, Touched& touched)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The file's content when it is readable, within the size limit and new (not the content loaded
  // or the content last rejected); `trouble` is set when it could not be read.
  std::optional<std::string> ReadChangedLocked(const std::string& path, FileState& f, bool& trouble)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Reads, parses and takes in one file's objects; false when it could not be read.
  bool LoadFileLocked(const std::string& path, Touched& touched) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<ObjectEvent> EventsLocked(const Touched& touched) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  void WatchLoop();
  void AddWatchesLocked(const std::set<std::string>& dirs) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The effective object for key: the one from the last file (by path) defining it.
  const AnyObject* EffectiveLocked(const ObjectKey& key) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  Store* const store_;

  absl::Mutex mu_;
  std::map<std::string, FileState> files_ ABSL_GUARDED_BY(mu_);
  std::map<ObjectKey, std::set<std::string>> owners_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> watched_dirs_ ABSL_GUARDED_BY(mu_);  // path -> inotify wd
  // What the last rescan could not see (for logging each change once).
  bool root_unavailable_ ABSL_GUARDED_BY(mu_) = false;
  std::set<std::string> unreadable_dirs_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> cycles_ ABSL_GUARDED_BY(mu_);
  std::atomic<bool> degraded_{false};

  int inotify_fd_ = -1;
  int wake_fd_ = -1;  // eventfd to stop the watch thread
  std::thread thread_;
  std::atomic<bool> started_{false};

  prometheus::Counter* rescans_ = nullptr;
  prometheus::Family<prometheus::Counter>* errors_ = nullptr;
  prometheus::Gauge* degraded_gauge_ = nullptr;
  prometheus::Counter* skipped_ = nullptr;
  prometheus::Gauge* files_gauge_ = nullptr;
};

}  // namespace dest

#endif  // WATCHERS_MANIFESTS_MANIFESTS_SOURCE_H_
