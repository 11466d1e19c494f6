// accelmap/fs_root.h — the one object through which accelmap reads /sys and /proc.
//
// A FsRoot is opened on a directory that mirrors a machine's filesystem root
// ("/" for the live machine, or an extracted recording such as
// corpus/sysfs/hwloc-fakeheteromemtiers). Every path given to it is absolute
// *inside* that root ("/sys/devices/system/node/online").
//
// Confinement: symlinks are resolved inside the root. An absolute link target
// is taken relative to the root and ".." never climbs above it (the kernel's
// openat2(RESOLVE_IN_ROOT) where available, and the same rule implemented by
// hand otherwise). Nothing outside the root is ever opened.
//
// Never blocks: files are opened O_NONBLOCK and anything that is not a regular
// file (FIFO, socket, device node, directory) is refused before it is read.
// Reads are bounded (Options::max_file_bytes).
//
//   auto root = accelmap::FsRoot::open("/tmp/corpus/hwloc-16amd64-8n2c");
//   if (!root) return root.error();
//   auto text = root->read_text("/sys/devices/system/node/online");  // "0-7\n"
//
// Errors: open() fails only when the root itself is unusable. Per-file reads
// return a Status whose message names the in-root path and the reason; callers
// (providers) turn those into Diagnostics.
//
// Thread-safety: all const methods are safe to call concurrently. An attached
// AccessRecorder is internally synchronised.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "accelmap/status.h"

namespace accelmap {

/// What kind of filesystem object a directory entry is (from d_type / lstat).
enum class EntryType : std::uint8_t { kFile, kDir, kLink, kOther };

struct DirEntry {
  std::string name;
  EntryType type = EntryType::kOther;
  friend bool operator==(const DirEntry&, const DirEntry&) = default;
};

/// Records every path a discovery touched, so `accelmap capture` can write
/// exactly those files (and the symlinks on the way) into an archive, and what
/// each read answered, as a fingerprint, so the watcher can tell whether the
/// facts a probe made still match the machine (docs/live.md).
/// Paths are absolute in-root paths. Owned by the caller; shared with FsRoot;
/// all members are safe to call from several threads.
class AccessRecorder {
 public:
  /// A hash of what a read answered: equal answers, equal fingerprints.
  /// nullopt: the recording read the path more than once and the answers
  /// differed (it changed during the discovery), so no answer stands for it.
  using Fingerprint = std::optional<std::size_t>;
  /// The fingerprints of a file's content, a folder's sorted listing and a
  /// link's target; a failed read is fingerprinted by whoever compares (the
  /// recorder only keeps successful reads).
  static std::size_t file_fingerprint(std::string_view content);
  static std::size_t dir_fingerprint(const std::vector<DirEntry>& entries);
  static std::size_t link_fingerprint(std::string_view target);

  void add_file(const std::string& path, std::string_view content);
  void add_dir(const std::string& path, const std::vector<DirEntry>& entries);
  void add_link(const std::string& path, const std::string& target);

  /// Snapshot of what was recorded, sorted by path.
  std::set<std::string> files() const;
  std::set<std::string> dirs() const;
  std::map<std::string, std::string> links() const;
  /// The same paths with what their reads answered.
  std::map<std::string, Fingerprint> file_fingerprints() const;
  std::map<std::string, Fingerprint> dir_fingerprints() const;
  std::map<std::string, Fingerprint> link_fingerprints() const;

 private:
  static void seen(std::map<std::string, Fingerprint>& in, const std::string& path, std::size_t fp);
  // A copy of `member`, taken under the lock (the getters' one body).
  template <class T>
  T locked_copy(const T& member) const {
    std::lock_guard<std::mutex> lock(mu_);
    return member;
  }
  mutable std::mutex mu_;
  std::map<std::string, Fingerprint> files_;
  std::map<std::string, Fingerprint> dirs_;
  std::map<std::string, std::string> links_;
  std::map<std::string, Fingerprint> link_seen_;
};

class FsRoot;

/// A directory opened once (confined by its FsRoot) and listed once; its
/// entries are then read relative to the open directory. This is the fast path
/// for providers that read many attributes of one sysfs object: per attribute
/// one openat(dirfd, name, O_NOFOLLOW | O_NONBLOCK) + read + close, instead of
/// a confined resolution of the whole path (and, for recorded trees, an extra
/// O_PATH open + fstat + close to look before opening).
///
/// The same guarantees as FsRoot: only entries the listing shows as regular
/// files take the fast path; an entry that is a symlink (or anything else) is
/// read through FsRoot::read_text on the full path, so it is resolved inside
/// the root. The listing's d_type is trusted for the file's type (no fstat):
/// it comes from the same directory fd, O_NOFOLLOW refuses a link swapped in
/// since, O_NONBLOCK makes a FIFO swapped in harmless (and the empty or failed
/// read it gives is checked with fstat, so it is refused as before), and
/// swapping in a device node needs CAP_MKNOD. Entries whose d_type was
/// DT_UNKNOWN, and the live root's non-sysfs files, are still checked with
/// fstat before the read.
/// Errors name the full in-root path "<path()>/<name>", exactly as
/// FsRoot::read_text(path() + "/" + name) would, so diagnostics do not change.
///
/// A name "sub/leaf" (exactly two components, "sub" listed as a directory) is
/// read relative to the open directory with openat2(RESOLVE_BENEATH |
/// RESOLVE_NO_SYMLINKS), after an fstatat look on recorded trees; anything
/// else containing '/' (or "." / ".."), a symlink on the way, or an older
/// kernel is read through the FsRoot as a path, with its messages.
/// Thread-safety: const methods may be called concurrently; the FsRoot must
/// outlive the FsDir.
class FsDir {
 public:
  FsDir(FsDir&&) noexcept;
  FsDir& operator=(FsDir&&) noexcept;
  FsDir(const FsDir&) = delete;
  FsDir& operator=(const FsDir&) = delete;
  ~FsDir();

  /// The in-root path as given to FsRoot::open_dir (used in messages).
  const std::string& path() const noexcept { return path_; }
  /// False when opened without a listing (FsRoot::Listing::kUnlessLarge on a
  /// large folder): entries() is then empty, find() finds nothing, and each
  /// read looks its name up (fstatat) before opening it; values and messages
  /// are the listed reads'.
  bool listed() const noexcept { return listed_; }
  /// True when the folder is on the live sysfs (not a recorded tree): there each
  /// attribute read is its own open, read and close (kernfs reads are not batched).
  bool on_live_sysfs() const noexcept { return sysfs_; }
  /// Sorted entries ("." and ".." excluded), as FsRoot::list_dir returns them.
  const std::vector<DirEntry>& entries() const noexcept { return entries_; }
  /// The entry called `name`, or nullptr.
  const DirEntry* find(std::string_view name) const;
  bool has(std::string_view name) const { return find(name) != nullptr; }
  /// path() + "/" + name.
  std::string child(std::string_view name) const;

  /// As FsRoot::read_text(child(name)).
  Result<std::string> read_text(std::string_view name) const;
  /// As FsRoot::read_link(child(name)).
  Result<std::string> read_link(std::string_view name) const;

  /// As FsRoot::open_dir(child(name)), opened relative to this open
  /// directory when the listing shows `name` as a directory: one openat2 of one
  /// component (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) instead of a confined
  /// walk of the whole path. A link, anything unlisted, a recording (every link
  /// must be seen) or an older kernel takes FsRoot::open_dir with its messages.
  /// path() of the result is child(name).
  Result<FsDir> open_subdir(std::string_view name) const;

  /// Reads the files among `names` that the listing shows as regular files in
  /// one batch, on recorded trees (io_uring, see src/fs/batch_read.h), so the
  /// read_text() calls that follow cost no system call. A provider calls it with
  /// the attributes it is about to read. A name may also be "sub/leaf" with
  /// `sub` a folder of the listing (kfd's "3/properties"): those are typed one
  /// by one (fstatat) and the regular ones read in a batch. In a folder opened
  /// without a listing (a large one) each plain name is typed the same way, the
  /// regular files are read in a batch and the missing ones remembered, so
  /// their reads ask nothing more. Changes nothing read_text() returns or
  /// reports; a no-op on the live root, while recording, and without io_uring.
  /// Not thread-safe: call it before sharing the FsDir.
  void prefetch(std::initializer_list<std::string_view> names);
  void prefetch(const std::vector<std::string>& names);
  void prefetch(const std::vector<std::string_view>& names) { prefetch_names(names); }

 private:
  friend class FsRoot;
  FsDir(const FsRoot* root, int fd, std::string path, std::vector<DirEntry> entries, bool sysfs);
  bool fast(std::string_view name, const DirEntry** entry) const;
  std::optional<Result<std::string>> read_below(std::string_view name) const;
  // "sub/leaf" with `sub` a listed folder and a plain leaf: what read_below reads.
  bool below_listed_folder(std::string_view name) const;
  // `name` (below the folder, last component not followed) is a regular file.
  bool regular_below(std::string_view name, bool* empty = nullptr) const;
  // Keeps a batch's results: non-empty texts, and empty ones of `typed_empty`
  // (names an fstatat just saw as empty regular files).
  void keep_batch(std::vector<std::pair<std::string, std::string>> got,
                  const std::vector<std::string_view>& typed_empty);
  void prefetch_names(const std::vector<std::string_view>& names);
  // prefetch() of a folder opened without a listing.
  void prefetch_unlisted(const std::vector<std::string_view>& names);
  const std::string* prefetched(std::string_view name) const;
  Result<std::string> read_unlisted(std::string_view name) const;
  // Opens `cname` (== name) below the folder for reading, O_NOFOLLOW | O_NONBLOCK;
  // -1 with `*failed` set to what the read returns instead (a link swapped in
  // since, ELOOP, takes FsRoot's confined path).
  int open_entry(std::string_view name, const char* cname, std::optional<Result<std::string>>* failed) const;
  // While recording: the canonical in-root path of `name` below the folder, and
  // the note of a file read there.
  std::string canonical_child(std::string_view name) const;
  void recorded(std::string_view name, std::string_view content) const;

  const FsRoot* root_ = nullptr;
  int fd_ = -1;
  std::string path_;
  std::vector<DirEntry> entries_;
  // Sorted names whose type came from an fstatat because getdents said
  // DT_UNKNOWN: those are read with an fstat of the opened file, as before.
  std::vector<std::string> stat_typed_;
  // Regular files of a recorded tree read in one batch by prefetch(), sorted by
  // name: exactly what the plain read would return (complete reads only, and
  // empty ones only where an fstatat just before saw an empty regular file;
  // the rest are read plainly).
  std::vector<std::pair<std::string, std::string>> prefetched_;
  // Unlisted folder: sorted names prefetch() looked up and found missing.
  std::vector<std::string> absent_;
  bool sysfs_ = false;  // attributes of a live sysfs: one read() returns the whole value
  bool listed_ = true;
  // While recording (FsRoot::Options::recorder): the folder's canonical in-root path,
  // under which the files read through fd_ are recorded.
  std::string canonical_;
};

class FsRoot {
 public:
  struct Options {
    /// Files larger than this are refused with a diagnostic (sysfs attributes are
    /// at most a page; /proc/crypto is tens of KiB). Bytes.
    std::size_t max_file_bytes = 4u << 20;
    /// Maximum number of symlinks followed while resolving one path (as the kernel's 40).
    int max_symlinks = 40;
    /// Entries beyond this in one directory are dropped with an error (hostile trees).
    std::size_t max_dir_entries = 1u << 20;
    /// Set to record every access (used by `accelmap capture`). Forces the
    /// hand-written resolver so every symlink on the way is seen.
    std::shared_ptr<AccessRecorder> recorder;
  };

  /// Opens `dir` as the root. Fails with kNotFound / kInvalidArgument when it
  /// does not exist or is not a directory.
  static Result<FsRoot> open(const std::string& dir, Options options);
  static Result<FsRoot> open(const std::string& dir) { return open(dir, Options{}); }

  FsRoot(FsRoot&&) noexcept;
  FsRoot& operator=(FsRoot&&) noexcept;
  FsRoot(const FsRoot&) = delete;
  FsRoot& operator=(const FsRoot&) = delete;
  ~FsRoot();

  /// The directory this root was opened on, as given.
  const std::string& path() const noexcept { return dir_; }

  /// True when an AccessRecorder is attached (a capture is being made).
  bool recording() const noexcept { return options_.recorder != nullptr; }

  /// Whole contents of a regular file (bounded, non-blocking).
  Result<std::string> read_text(std::string_view path) const;

  /// The first `head_bytes` of a regular file (all of it when shorter), read
  /// as read_text reads; `*whole` (when `whole` is not null) says whether that
  /// is the whole file. For a
  /// kernel text made record by record as it is read (/proc/cpuinfo: one
  /// record per CPU, each costing the kernel microseconds), asking for the
  /// head makes only the records it holds. A capture reads and records the
  /// whole file (`*whole` true).
  Result<std::string> read_head(std::string_view path, std::size_t head_bytes, bool* whole) const;

  /// Sorted entries of a directory ("." and ".." excluded).
  Result<std::vector<DirEntry>> list_dir(std::string_view path) const;

  /// Whether open_dir lists the folder.
  enum class Listing : std::uint8_t {
    kAlways,
    /// Not a folder of more than one 4 KiB block on a recorded tree (hundreds of
    /// entries: a NUMA node's memory blocks). Listing 1,042 entries and sorting
    /// them costs ~0.5 ms; a provider that reads four known names there does
    /// better asking for each. Costs one fstat per folder opened. On the live
    /// sysfs, whose folders all report size 0, never listed: the kernel links
    /// every memory block of a node there (208 on a 24 GB VM, where the
    /// listing cost ~25 us; thousands on a large server).
    kUnlessLarge,
  };
  static constexpr std::int64_t kLargeDirectoryBytes = 4096;

  /// Whether open_dir follows symlinks on the way (always inside the root).
  enum class Links : std::uint8_t {
    kFollow,
    /// Fails (kIoError, "too many levels of symbolic links") when any component
    /// of `path`, the folder itself included, is a symlink: for a path that is
    /// canonical but for its last component (resolve_except_last).
    kRefuse,
  };

  /// Opens and lists the directory at `path` once, for reading many of its
  /// entries (see FsDir). Fails as list_dir(path) would.
  Result<FsDir> open_dir(std::string_view path, Listing listing = Listing::kAlways,
                         Links links = Links::kFollow) const;

  /// Raw target of the symlink at `path` (the last component is not followed).
  Result<std::string> read_link(std::string_view path) const;

  /// Canonical in-root path of `path` with every symlink resolved inside the
  /// root, e.g. "/sys/bus/pci/devices/0000:00:01.0" ->
  /// "/sys/devices/pci0000:00/0000:00:01.0". Fails if a component is missing.
  Result<std::string> resolve(std::string_view path) const;

  /// True when `path` resolves to something (file, dir, ...).
  bool exists(std::string_view path) const;

  /// True when `path` resolves to a directory.
  bool is_dir(std::string_view path) const;

  /// resolve() for many paths that share prefixes (the links of
  /// /sys/bus/pci/devices all point into one /sys/devices tree): components
  /// already seen not to be symlinks are not looked at again. `memo` is the
  /// caller's, one per batch; the results equal resolve()'s.
  Result<std::string> resolve(std::string_view path, std::set<std::string>& memo) const;

  /// resolve(path, memo) for a link to a folder that the caller opens next with
  /// open_dir(answer, ..., Links::kRefuse): once a link has been followed, the
  /// last component of the answer is not looked at (a readlinkat that answers
  /// "not a link" for every PCI function of a tree), because that open fails
  /// when it is a link after all, and the caller then takes resolve(). Nor is it
  /// added to `memo`. While recording (every link must be seen): resolve().
  Result<std::string> resolve_except_last(std::string_view path, std::set<std::string>& memo) const;

 private:
  friend class FsDir;
  FsRoot(std::string dir, int fd, Options options, bool have_openat2);
  // resolve(path, memo), or resolve_except_last when `check_last` is false.
  Result<std::string> resolve_with(std::string_view path, std::set<std::string>& memo, bool check_last) const;
  // Opens `path` with `flags`, confined to the root; returns fd or -errno.
  // `refuse_links`: -ELOOP when a component of `path` is a symlink.
  int open_confined(std::string_view path, int flags, std::string* canonical, bool refuse_links = false) const;
  // Hand-written confined resolution; returns 0 or -errno. `canonical` receives
  // the in-root path of the final object; links on the way go to the recorder.
  // `check_last` false: the last component, when reached through a link, is
  // taken as it is (resolve_except_last).
  int walk(std::string_view path, bool follow_last, std::string* canonical,
           std::set<std::string>* memo = nullptr,
           std::map<std::string, std::string, std::less<>>* link_memo = nullptr, bool check_last = true) const;
  // walk() with any set of non-link prefixes and map of links (WalkMemo's are hashed),
  // and optionally a map of folders as given to their canonical paths.
  template <class NotLinks, class LinkMap, class Folders = std::map<std::string, std::string, std::less<>>>
  int walk_with(std::string_view path, bool follow_last, std::string* canonical, NotLinks* memo,
                LinkMap* link_memo, Folders* folders = nullptr, bool check_last = true) const;
  // list_dir(); with `fd_out`, the open folder is handed over instead of closed,
  // `canonical_out` receives its canonical path and `stat_typed` what list_fd says.
  Result<std::vector<DirEntry>> list_dir_at(std::string_view path, int* fd_out, std::string* canonical_out,
                                            std::vector<std::string>* stat_typed) const;
  // The FsDir of the open folder `fd` (taken over, closed on failure), listed;
  // messages name `path`.
  Result<FsDir> listed_dir(int fd, std::string path, bool sysfs) const;
  // True when `dirfd` is a folder of the live root's sysfs (one read() returns an attribute).
  bool on_live_sysfs(int dirfd) const;
  // Reads every entry of the open directory `fd` (not closed), sorted.
  // `stat_typed` (optional) receives, sorted, the names getdents reported as
  // DT_UNKNOWN (typed here by an fstatat instead). `sysfs`: `fd` is a live
  // sysfs folder (on_live_sysfs), whose getdents lists all it can fit in one call.
  Result<std::vector<DirEntry>> list_fd(int fd, std::string_view path,
                                        std::vector<std::string>* stat_typed = nullptr, bool sysfs = false) const;
  // Reads the opened regular file `fd` (not closed) under the size limit;
  // messages name dir + "/" + leaf (just dir when leaf is empty).
  // `known_regular`: the caller knows the file is regular (see FsDir::read_text),
  // so no fstat, and a short read ends the file. `head_bytes`: stop once that
  // many are read, asking for no more (read_head); `*whole` (when given) says
  // whether the end of the file was reached.
  Result<std::string> read_fd(int fd, std::string_view dir, std::string_view leaf, bool known_regular,
                              std::size_t head_bytes = SIZE_MAX, bool* whole = nullptr) const;

  // walk(path, follow_last=true), remembering while recording (see WalkMemo).
  int walk_followed(std::string_view path, std::string* canonical) const;

  std::string dir_;
  int fd_ = -1;
  Options options_;
  bool have_openat2_ = false;
  bool untrusted_ = true;  // any root but "/": check types before opening
  // Only while recording (Options::recorder): every path is walked component by
  // component so that each link is seen, and the prefixes found not to be links
  // are remembered for this FsRoot's life (one provider's probe, one capture),
  // so later walks below them ask the kernel only about the rest.
  struct WalkMemo;
  std::shared_ptr<WalkMemo> walk_memo_;
  // Recorded trees only: the io_uring batch reader of FsDir's prefetch, made
  // on the first directory worth batching (see src/fs/batch_read.h).
  struct Batch;
  std::shared_ptr<Batch> batch_;
  // Reads `names` below the open directory `dirfd` (the in-root folder `dir`) in
  // one batch (FsDir::prefetch).
  // `below`: the names are "sub/leaf" paths (BatchReader::read_files_below).
  std::vector<std::pair<std::string, std::string>> batch_read(int dirfd, std::string_view dir,
                                                              const std::vector<std::string_view>& names,
                                                              bool below = false) const;
};

/// Normalises an in-root path lexically ("a//b/./c" -> "/a/b/c"); ".." is
/// clamped at "/". Used for keys and messages, never to escape the root.
std::string normalize_path(std::string_view path);

}  // namespace accelmap
