#include "watchers/manifests/manifests_source.h"

#include <dirent.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/log.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "watchers/decode/object_decoder.h"

namespace dest {
namespace fs = std::filesystem;

namespace {

bool IsManifestName(const std::string& name) {
  return absl::EndsWith(name, ".yaml") || absl::EndsWith(name, ".yml") ||
         absl::EndsWith(name, ".json");
}

enum class ReadResult { kOk, kUnreadable, kTooLarge };

ReadResult ReadFile(const std::string& path, size_t max_bytes, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return ReadResult::kUnreadable;
  std::string content;
  char buf[64 * 1024];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    content.append(buf, static_cast<size_t>(in.gcount()));
    if (content.size() > max_bytes) return ReadResult::kTooLarge;
  }
  if (in.bad()) return ReadResult::kUnreadable;
  *out = std::move(content);
  return ReadResult::kOk;
}

// What one walk of the directory saw.
struct WalkResult {
  bool root_ok = false;              // the root could be listed
  std::set<std::string> files;       // manifest files
  std::set<std::string> dirs;        // directories read (to watch)
  std::set<std::string> unreadable;  // directories that could not be listed
  std::set<std::string> cycles;      // links to a directory already read (not followed)
};

// Directories deeper than this below the root are not read.
constexpr int kMaxDirDepth = 32;

// Lists manifest files under `root`, following symlinks and skipping dot-names (so ConfigMap
// volume mounts work). Each directory is read once, by device and inode: a symlink back to an
// ancestor (a cycle) or a second link to a directory already read is recorded and not followed.
class DirWalk {
 public:
  WalkResult Run(const std::string& root) {
    out_.root_ok = Visit(root, 0);
    return std::move(out_);
  }

 private:
  // Reads `dir`; false when it cannot be listed.
  bool Visit(const std::string& dir, int depth) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      out_.unreadable.insert(dir);
      return false;
    }
    if (!seen_.insert({st.st_dev, st.st_ino}).second) {
      out_.cycles.insert(dir);
      return true;
    }
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) {
      out_.unreadable.insert(dir);
      return false;
    }
    out_.dirs.insert(dir);
    std::vector<std::string> names;
    errno = 0;
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] != '.') names.emplace_back(e->d_name);
    }
    const bool listed = errno == 0;
    ::closedir(d);
    if (!listed) {
      out_.unreadable.insert(dir);
      return false;
    }
    for (const std::string& name : names) {
      const std::string path = absl::StrCat(dir, "/", name);
      struct stat entry {};
      if (::stat(path.c_str(), &entry) != 0) {
        // A dangling symlink, or no permission to look: only a manifest's name matters.
        if (IsManifestName(name)) out_.files.insert(path);
        continue;
      }
      if (S_ISDIR(entry.st_mode)) {
        if (depth < kMaxDirDepth) Visit(path, depth + 1);
      } else if (S_ISREG(entry.st_mode) && IsManifestName(name)) {
        out_.files.insert(path);
      }
    }
    return true;
  }

  WalkResult out_;
  std::set<std::pair<dev_t, ino_t>> seen_;
};

// Whether `path` lies under one of `dirs`.
bool UnderAny(const std::string& path, const std::set<std::string>& dirs) {
  for (const std::string& d : dirs) {
    if (path.size() > d.size() && path.compare(0, d.size(), d) == 0 && path[d.size()] == '/') {
      return true;
    }
  }
  return false;
}

const char* ProblemName(int problem) {
  static constexpr const char* kNames[] = {"unavailable", "unreadable_dir", "unreadable_file",
                                           "too_large",   "parse",          "cycle"};
  return kNames[problem];
}

}  // namespace

ManifestsSource::ManifestsSource(Options options, Store* store, prometheus::Registry* registry)
    : options_(std::move(options)), store_(store) {
  if (registry == nullptr) return;
  rescans_ = &prometheus::BuildCounter()
                  .Name("destination_manifests_rescans_total")
                  .Help("Times the manifests directory was re-read.")
                  .Register(*registry)
                  .Add({});
  errors_ = &prometheus::BuildCounter()
                 .Name("destination_manifests_errors_total")
                 .Help(
                     "Manifest problems by reason (parse, too_large, unreadable_file, "
                     "unreadable_dir, unavailable, cycle); the objects already loaded stay in "
                     "force.")
                 .Register(*registry);
  degraded_gauge_ = &prometheus::BuildGauge()
                         .Name("destination_manifests_degraded")
                         .Help(
                             "1 while part of the manifests directory cannot be read (its "
                             "objects are kept), else 0.")
                         .Register(*registry)
                         .Add({});
  skipped_ = &prometheus::BuildCounter()
                  .Name("destination_manifests_skipped_objects_total")
                  .Help("Documents of kinds the service does not watch, skipped.")
                  .Register(*registry)
                  .Add({});
  files_gauge_ = &prometheus::BuildGauge()
                      .Name("destination_manifests_files")
                      .Help("Manifest files currently loaded.")
                      .Register(*registry)
                      .Add({});
}

ManifestsSource::~ManifestsSource() { Stop(); }

std::vector<Kind> ManifestsSource::Kinds() const {
  std::vector<Kind> kinds;
  for (int k = 0; k < kNumKinds; ++k) kinds.push_back(static_cast<Kind>(k));
  return kinds;
}

absl::Status ManifestsSource::Start() {
  std::error_code ec;
  if (!fs::is_directory(options_.dir, ec)) {
    return absl::InvalidArgumentError(
        absl::StrCat("manifests directory \"", options_.dir, "\" is not a readable directory"));
  }
  inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd_ < 0) {
    return absl::InternalError(absl::StrCat("inotify_init1: ", std::strerror(errno)));
  }
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) {
    return absl::InternalError(absl::StrCat("eventfd: ", std::strerror(errno)));
  }
  // Watches go in before the first read, so no change between the read and the watch is lost.
  Rescan();
  for (Kind k : Kinds()) store_->MarkSynced(k);
  started_ = true;
  thread_ = std::thread([this] { WatchLoop(); });
  return absl::OkStatus();
}

void ManifestsSource::Stop() {
  if (started_.exchange(false)) {
    uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);
    thread_.join();
  }
  if (inotify_fd_ >= 0) ::close(inotify_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
  inotify_fd_ = wake_fd_ = -1;
}

void ManifestsSource::AddWatchesLocked(const std::set<std::string>& dirs) {
  constexpr uint32_t kMask = IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM |
                             IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ATTRIB;
  // Added again on every rescan: inotify returns the same descriptor for a directory already
  // watched, and a new one when the path now names another directory (one removed and created
  // again), whose old watch the kernel has dropped.
  std::map<std::string, int> now;
  for (const std::string& d : dirs) {
    int wd = inotify_add_watch(inotify_fd_, d.c_str(), kMask);
    if (wd < 0) {
      Log(LogLevel::kWarn, "cannot watch manifests directory",
          {{"dir", d}, {"error", std::strerror(errno)}});
      continue;
    }
    now[d] = wd;
  }
  std::set<int> kept;
  for (const auto& [d, wd] : now) kept.insert(wd);
  for (const auto& [d, wd] : watched_dirs_) {
    if (kept.count(wd) == 0) inotify_rm_watch(inotify_fd_, wd);
  }
  watched_dirs_ = std::move(now);
}

const AnyObject* ManifestsSource::EffectiveLocked(const ObjectKey& key) const {
  auto it = owners_.find(key);
  if (it == owners_.end() || it->second.empty()) return nullptr;
  const FileState& f = files_.at(*it->second.rbegin());
  return &f.objects.at(key);
}

size_t ManifestsSource::Rescan() {
  std::vector<ObjectEvent> events;
  {
    absl::MutexLock lock(&mu_);
    if (rescans_ != nullptr) rescans_->Increment();
    const std::optional<std::set<std::string>> paths = WalkLocked();
    if (!paths) return 0;
    Touched touched;
    DropVanishedFilesLocked(*paths, touched);
    bool file_trouble = false;
    for (const std::string& path : *paths) {
      if (!LoadFileLocked(path, touched)) file_trouble = true;
    }
    if (files_gauge_ != nullptr) files_gauge_->Set(static_cast<double>(files_.size()));
    const bool degraded = !unreadable_dirs_.empty() || file_trouble;
    degraded_ = degraded;
    if (degraded_gauge_ != nullptr) degraded_gauge_->Set(degraded ? 1 : 0);
    events = EventsLocked(touched);
  }
  // Applied outside mu_ so store listeners never run under this source's lock.
  return events.empty() ? 0 : store_->Apply(events);
}

std::optional<std::set<std::string>> ManifestsSource::WalkLocked() {
  WalkResult walk = DirWalk().Run(options_.dir);
  if (!walk.root_ok) {
    // Gone for a moment (renamed, remounted) or unreadable: keep every object; the periodic
    // rescan of the degraded state picks the directory up when it is back.
    if (!root_unavailable_) {
      root_unavailable_ = true;
      CountLocked(Problem::kUnavailable);
      Log(LogLevel::kWarn, "manifests directory unavailable; its objects stay in force",
          {{"dir", options_.dir}, {"files", files_.size()}});
    }
    degraded_ = true;
    if (degraded_gauge_ != nullptr) degraded_gauge_->Set(1);
    return std::nullopt;
  }
  if (root_unavailable_) {
    root_unavailable_ = false;
    Log(LogLevel::kInfo, "manifests directory available again", {{"dir", options_.dir}});
  }
  ReportNewLocked(std::move(walk.unreadable), unreadable_dirs_, Problem::kUnreadableDir,
                  "manifests subdirectory unreadable; its files' objects stay in force");
  ReportNewLocked(std::move(walk.cycles), cycles_, Problem::kCycle,
                  "manifests directory reached again through a link; not read twice");
  if (inotify_fd_ >= 0) AddWatchesLocked(walk.dirs);
  return std::move(walk.files);
}

void ManifestsSource::TouchLocked(Touched& touched, const ObjectKey& key) const {
  if (touched.count(key)) return;
  const AnyObject* e = EffectiveLocked(key);
  touched[key] = e ? std::optional<AnyObject>(*e) : std::nullopt;
}

void ManifestsSource::DropObjectsLocked(Touched& touched, const std::string& path, FileState& f) {
  for (const auto& [key, obj] : f.objects) {
    TouchLocked(touched, key);
    auto& o = owners_[key];
    o.erase(path);
    if (o.empty()) owners_.erase(key);
  }
  f.objects.clear();
}

void ManifestsSource::DropVanishedFilesLocked(const std::set<std::string>& paths,
                                              Touched& touched) {
  // Not those under a directory that could not be listed: they may well still be there.
  for (auto it = files_.begin(); it != files_.end();) {
    if (paths.count(it->first) == 0 && !UnderAny(it->first, unreadable_dirs_)) {
      DropObjectsLocked(touched, it->first, it->second);
      Log(LogLevel::kInfo, "manifest file removed", {{"file", it->first}});
      it = files_.erase(it);
    } else {
      ++it;
    }
  }
}

std::optional<std::string> ManifestsSource::ReadChangedLocked(const std::string& path, FileState& f,
                                                              bool& trouble) {
  std::string content;
  const ReadResult read = ReadFile(path, options_.max_file_bytes, &content);
  if (read == ReadResult::kUnreadable) {
    // Unreadable, or vanished between the walk and the read: keep what it had; the next
    // event (or the degraded state's rescan) reads it again.
    trouble = true;
    if (!f.unreadable) {
      f.unreadable = true;
      CountLocked(Problem::kUnreadableFile);
      Log(LogLevel::kWarn, "manifest file unreadable; its previous objects stay in force",
          {{"file", path}, {"error", std::strerror(errno)}});
    }
    return std::nullopt;
  }
  f.unreadable = false;
  if (read == ReadResult::kTooLarge) {
    if (!f.too_large) {
      f.too_large = true;
      CountLocked(Problem::kTooLarge);
      Log(LogLevel::kWarn, "manifest rejected; its previous objects stay in force",
          {{"file", path},
           {"error", absl::StrCat("larger than ", options_.max_file_bytes,
                                  " bytes (-max-manifest-bytes)")}});
    }
    return std::nullopt;
  }
  f.too_large = false;
  if (f.loaded && content == f.content) {
    f.rejected_content.reset();  // back to the good content: a later rejection is news
    return std::nullopt;
  }
  if (f.rejected_content && content == *f.rejected_content) return std::nullopt;  // reported
  return content;
}

bool ManifestsSource::LoadFileLocked(const std::string& path, Touched& touched) {
  FileState& f = files_[path];
  bool trouble = false;
  std::optional<std::string> content = ReadChangedLocked(path, f, trouble);
  if (!content) return !trouble;
  absl::StatusOr<DecodedManifest> parsed = ParseManifest(path, *content);
  if (!parsed.ok()) {
    f.rejected_content = std::move(content);
    CountLocked(Problem::kParse);
    Log(LogLevel::kWarn, "manifest rejected; its previous objects stay in force",
        {{"file", path}, {"error", parsed.status().message()}});
    return true;
  }
  f.rejected_content.reset();
  f.loaded = true;
  f.content = *std::move(content);
  if (!parsed->skipped.empty()) {
    if (skipped_ != nullptr) skipped_->Increment(static_cast<double>(parsed->skipped.size()));
    Log(LogLevel::kDebug, "manifest documents skipped",
        {{"file", path}, {"count", parsed->skipped.size()}, {"first", parsed->skipped[0]}});
  }
  DropObjectsLocked(touched, path, f);
  for (AnyObject& obj : parsed->objects) {
    ObjectKey key = KeyOf(obj);
    TouchLocked(touched, key);
    if (f.objects.count(key)) {
      Log(LogLevel::kWarn, "object defined twice in one file; the later one wins",
          {{"file", path},
           {"kind", KindName(key.kind)},
           {"namespace", key.ns},
           {"name", key.name}});
    }
    f.objects.insert_or_assign(key, std::move(obj));
    auto& o = owners_[key];
    o.insert(path);
    if (o.size() == 2) {
      Log(LogLevel::kWarn, "object defined in several files; the last path wins",
          {{"file", *o.begin()},
           {"other", *o.rbegin()},
           {"kind", KindName(key.kind)},
           {"namespace", key.ns},
           {"name", key.name}});
    }
  }
  return true;
}

std::vector<ObjectEvent> ManifestsSource::EventsLocked(const Touched& touched) const {
  auto identity = [](const AnyObject& o) {
    return std::visit([](const auto& p) { return static_cast<const void*>(p.get()); }, o);
  };
  std::vector<ObjectEvent> events;
  for (const auto& [key, before] : touched) {
    const AnyObject* after = EffectiveLocked(key);
    if (after == nullptr) {
      if (before) events.push_back({EventType::kDeleted, *before});
    } else if (!before) {
      events.push_back({EventType::kAdded, *after});
    } else if (identity(*before) != identity(*after)) {
      events.push_back({EventType::kModified, *after});
    }
  }
  return events;
}

void ManifestsSource::ReportNewLocked(std::set<std::string> now, std::set<std::string>& before,
                                      Problem problem, const char* message) {
  for (const std::string& dir : now) {
    if (before.count(dir) != 0) continue;
    CountLocked(problem);
    Log(LogLevel::kWarn, message, {{"dir", dir}});
  }
  before = std::move(now);
}

void ManifestsSource::CountLocked(Problem problem) {
  if (errors_ == nullptr) return;
  errors_->Add({{"reason", ProblemName(static_cast<int>(problem))}}).Increment();
}

void ManifestsSource::WatchLoop() {
  alignas(inotify_event) char buf[64 * 1024];
  // Reads every pending event. Returns whether there was any; *complete says whether the last one
  // finished a write: a file renamed into place (also a ConfigMap's `..data` swap) or a manifest
  // closed after writing. A temporary dot-file's close is not a finish (its rename follows).
  auto drain = [&](bool* complete) {
    bool any = false;
    for (;;) {
      ssize_t n = ::read(inotify_fd_, buf, sizeof buf);
      if (n <= 0) break;
      any = true;
      for (ssize_t off = 0; off + static_cast<ssize_t>(sizeof(inotify_event)) <= n;) {
        const auto* e = reinterpret_cast<const inotify_event*>(buf + off);
        const bool hidden = e->len > 0 && e->name[0] == '.';
        *complete = (e->mask & IN_MOVED_TO) != 0 || ((e->mask & IN_CLOSE_WRITE) != 0 && !hidden);
        off += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
      }
    }
    return any;
  };
  for (;;) {
    pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    const int timeout_ms =
        degraded_ ? static_cast<int>(absl::ToInt64Milliseconds(options_.degraded_rescan)) : -1;
    int r = ::poll(fds, 2, timeout_ms);
    if (r < 0) {
      if (errno == EINTR) continue;
      Log(LogLevel::kError, "manifests watch failed", {{"error", std::strerror(errno)}});
      return;
    }
    if (fds[1].revents != 0) return;
    if (r == 0) {  // degraded: look again
      Rescan();
      continue;
    }
    bool complete = false;
    if (!drain(&complete)) continue;
    // Debounce, unless the last event finished a write: wait until the directory is quiet for
    // `debounce`, at most `max_debounce`. A finished write is read at once (a burst that goes on
    // is read again when it ends).
    absl::Time deadline = absl::Now() + options_.max_debounce;
    while (!complete) {
      absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) break;
      int wait_ms =
          static_cast<int>(absl::ToInt64Milliseconds(std::min(left, options_.debounce)) + 1);
      pollfd q[2] = {{inotify_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
      int n = ::poll(q, 2, wait_ms);
      if (n > 0 && q[1].revents != 0) return;
      if (n <= 0 || !drain(&complete)) break;
    }
    size_t changes = Rescan();
    Log(LogLevel::kDebug, "manifests rescanned", {{"changes", changes}});
  }
}

}  // namespace dest
