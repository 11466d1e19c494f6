// FsRoot: confined, bounded, non-blocking reads of a recorded or live root.
//
// Two resolvers share one rule ("the root is /"):
//  * openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) — the kernel does the
//    confinement in one system call (Linux >= 5.6). Used for plain reads.
//  * walk() — component by component with readlinkat(); used when openat2 is
//    missing, for resolve(), and whenever an AccessRecorder must see each link.
#include "accelmap/fs_root.h"

#include "fs/batch_read.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <unordered_map>
#include <unordered_set>
#include <cerrno>
#include <cstring>

namespace accelmap {

namespace {

long sys_openat2(int dirfd, const char* path, open_how* how) {
  return syscall(SYS_openat2, dirfd, path, how, sizeof(open_how));
}

std::vector<std::string_view> split_components(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    std::size_t j = i;
    while (j < path.size() && path[j] != '/') ++j;
    if (j > i) out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

// "/a/b" -> "a/b" (relative to the root fd); "/" -> ".".
std::string relative(std::string_view canonical) {
  std::size_t i = 0;
  while (i < canonical.size() && canonical[i] == '/') ++i;
  return i == canonical.size() ? std::string(".") : std::string(canonical.substr(i));
}

std::string reason(int err) {
  switch (err) {
    case ENOENT: return "missing";
    case ENOTDIR: return "a path component is not a directory";
    case EACCES:
    case EPERM: return "permission denied";
    case ELOOP: return "too many levels of symbolic links";
    case EXDEV: return "link points outside the root";
    case EISDIR: return "is a directory, not a file";
    case EFBIG: return "file too large";
    case ENXIO:
    case ENODEV: return "no such device (the driver refused the read)";
    default: return std::strerror(err);
  }
}

// Whether resolving `path` went through a symlink, given where it led: a path
// with no link on the way is its own canonical form.
bool link_on_the_way(std::string_view path, const std::string& canonical) { return canonical != normalize_path(path); }

Status io_status(std::string_view path, int err, std::string_view what = {}) {
  std::string msg = std::string(path) + ": ";
  if (!what.empty()) msg += std::string(what) + ": ";
  msg += reason(err);
  StatusCode code = err == ENOENT || err == ENOTDIR ? StatusCode::kNotFound
                    : err == EACCES || err == EPERM ? StatusCode::kPermissionDenied
                                                    : StatusCode::kIoError;
  return {code, std::move(msg)};
}

const char* type_name(mode_t mode) {
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISLNK(mode)) return "a symbolic link";
  return "not a regular file";
}

// The kernel's struct linux_dirent64 (glibc declares no type for getdents64).
struct linux_dirent64_view {
  std::uint64_t d_ino;
  std::int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[1];
};

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { if (fd_ >= 0) ::close(fd_); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { int f = fd_; fd_ = -1; return f; }
 private:
  int fd_;
};

}  // namespace

// ---------------------------------------------------------------- recorder

std::size_t AccessRecorder::file_fingerprint(std::string_view content) {
  return std::hash<std::string_view>{}(content) * 3 + 0;
}
std::size_t AccessRecorder::dir_fingerprint(const std::vector<DirEntry>& entries) {
  std::string s;
  for (const auto& e : entries) {
    s += e.name;
    s += '/';
    s += static_cast<char>('0' + static_cast<int>(e.type));
    s += '\n';
  }
  return std::hash<std::string>{}(s) * 3 + 1;
}
std::size_t AccessRecorder::link_fingerprint(std::string_view target) {
  return std::hash<std::string_view>{}(target) * 3 + 2;
}

// A path read twice with different answers changed during the recording:
// no fingerprint stands for it.
void AccessRecorder::seen(std::map<std::string, Fingerprint>& in, const std::string& path, std::size_t fp) {
  auto [it, added] = in.try_emplace(path, fp);
  if (!added && it->second != fp) it->second = std::nullopt;
}

void AccessRecorder::add_file(const std::string& path, std::string_view content) {
  std::size_t fp = file_fingerprint(content);
  std::lock_guard<std::mutex> lock(mu_);
  seen(files_, path, fp);
}
void AccessRecorder::add_dir(const std::string& path, const std::vector<DirEntry>& entries) {
  std::size_t fp = dir_fingerprint(entries);
  std::lock_guard<std::mutex> lock(mu_);
  seen(dirs_, path, fp);
}
void AccessRecorder::add_link(const std::string& path, const std::string& target) {
  std::size_t fp = link_fingerprint(target);
  std::lock_guard<std::mutex> lock(mu_);
  links_.emplace(path, target);
  seen(link_seen_, path, fp);
}

namespace {
std::set<std::string> keys_of(const std::map<std::string, AccessRecorder::Fingerprint>& m) {
  std::set<std::string> out;
  for (const auto& [path, fp] : m) out.insert(out.end(), path);
  return out;
}
}  // namespace

std::set<std::string> AccessRecorder::files() const { return keys_of(locked_copy(files_)); }
std::set<std::string> AccessRecorder::dirs() const { return keys_of(locked_copy(dirs_)); }
std::map<std::string, std::string> AccessRecorder::links() const { return locked_copy(links_); }
std::map<std::string, AccessRecorder::Fingerprint> AccessRecorder::file_fingerprints() const {
  return locked_copy(files_);
}
std::map<std::string, AccessRecorder::Fingerprint> AccessRecorder::dir_fingerprints() const {
  return locked_copy(dirs_);
}
std::map<std::string, AccessRecorder::Fingerprint> AccessRecorder::link_fingerprints() const {
  return locked_copy(link_seen_);
}

// ---------------------------------------------------------------- paths

std::string normalize_path(std::string_view path) {
  std::vector<std::string_view> stack;
  for (std::string_view c : split_components(path)) {
    if (c == ".") continue;
    if (c == "..") {
      if (!stack.empty()) stack.pop_back();
      continue;
    }
    stack.push_back(c);
  }
  std::string out;
  for (std::string_view c : stack) {
    out += '/';
    out += c;
  }
  return out.empty() ? std::string("/") : out;
}

// ---------------------------------------------------------------- FsRoot

struct FsRoot::WalkMemo {
  std::mutex mu;  // walks from several threads share one memo
  // Hashed: the keys are long paths sharing long prefixes, where an ordered
  // set's comparisons were a tenth of a re-probe.
  std::unordered_set<std::string> not_links;                // in-root prefixes that exist and are not links
  std::unordered_map<std::string, std::string> links;       // link -> target, as recorded
  // Folder as asked for -> its canonical path: a recording reads many files of
  // one folder through the same links ("/sys/bus/dsa/devices/wq0.0/state",
  // ".../size", ...), and each walk then starts at the folder.
  std::unordered_map<std::string, std::string> folders;
};

struct FsRoot::Batch {
  // Readers not in use. A BatchReader does one batch at a time, so threads
  // reading one root side by side (ProbeContext::in_parts) each take their
  // own: a ring per thread at most, made on first need and kept for reuse.
  std::vector<std::unique_ptr<internal::BatchReader>> idle;  // guarded by mu
  // Top-level folder of the root ("sys", "proc") -> whether its folders are a
  // sysfs or procfs mounted inside the recorded root (read plainly, not batched),
  // asked once per top-level folder instead of once per folder read.
  std::mutex mu;
  std::map<std::string, bool, std::less<>> kernfs_by_top;
};

FsRoot::FsRoot(std::string dir, int fd, Options options, bool have_openat2)
    : dir_(std::move(dir)), fd_(fd), options_(std::move(options)), have_openat2_(have_openat2) {
  if (options_.recorder) walk_memo_ = std::make_shared<WalkMemo>();
  // The live root's /sys and /proc hold no FIFOs or device nodes, so the extra
  // O_PATH + fstat round trip that protects us from hostile recorded trees is
  // skipped there.
  untrusted_ = normalize_path(dir_) != "/";
  if (untrusted_) batch_ = std::make_shared<Batch>();
}

FsRoot::FsRoot(FsRoot&& other) noexcept
    : dir_(std::move(other.dir_)),
      fd_(std::exchange(other.fd_, -1)),
      options_(std::move(other.options_)),
      have_openat2_(other.have_openat2_),
      untrusted_(other.untrusted_),
      walk_memo_(std::move(other.walk_memo_)),
      batch_(std::move(other.batch_)) {}

FsRoot& FsRoot::operator=(FsRoot&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    dir_ = std::move(other.dir_);
    fd_ = std::exchange(other.fd_, -1);
    options_ = std::move(other.options_);
    have_openat2_ = other.have_openat2_;
    untrusted_ = other.untrusted_;
    walk_memo_ = std::move(other.walk_memo_);
    batch_ = std::move(other.batch_);
  }
  return *this;
}

int FsRoot::walk_followed(std::string_view path, std::string* canonical) const {
  if (!walk_memo_) return walk(path, /*follow_last=*/true, canonical);
  std::lock_guard<std::mutex> lock(walk_memo_->mu);
  return walk_with(path, /*follow_last=*/true, canonical, &walk_memo_->not_links, &walk_memo_->links,
                   &walk_memo_->folders);
}

FsRoot::~FsRoot() {
  if (fd_ >= 0) ::close(fd_);
}

Result<FsRoot> FsRoot::open(const std::string& dir, Options options) {
  if (dir.empty()) return Status(StatusCode::kInvalidArgument, "root directory is empty");
  int fd = ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) return Status(StatusCode::kNotFound, "root " + dir + " does not exist");
    if (err == ENOTDIR)
      return Status(StatusCode::kInvalidArgument, "root " + dir + " is not a directory");
    return io_status("root " + dir, err);
  }
  open_how probe{};
  probe.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
  probe.resolve = RESOLVE_IN_ROOT;
  long t = sys_openat2(fd, ".", &probe);
  bool have_openat2 = t >= 0;
  if (t >= 0) ::close(static_cast<int>(t));
  return FsRoot(dir, fd, std::move(options), have_openat2);
}

int FsRoot::walk(std::string_view path, bool follow_last, std::string* canonical,
                 std::set<std::string>* memo, std::map<std::string, std::string, std::less<>>* link_memo,
                 bool check_last) const {
  return walk_with(path, follow_last, canonical, memo, link_memo,
                   static_cast<std::map<std::string, std::string, std::less<>>*>(nullptr), check_last);
}

template <class NotLinks, class LinkMap, class Folders>
int FsRoot::walk_with(std::string_view path, bool follow_last, std::string* canonical, NotLinks* memo,
                      LinkMap* link_memo, Folders* folders, bool check_last) const {
  // `pending` holds the components still to visit, in reverse order so that a
  // link's target can be pushed in front cheaply.
  std::vector<std::string> pending;
  {
    auto comps = split_components(path);
    for (auto it = comps.rbegin(); it != comps.rend(); ++it) pending.emplace_back(*it);
  }
  // The in-root path walked so far ("/a/b"), and where each of its components starts.
  std::string here;
  std::vector<std::size_t> starts;
  auto pop = [&] {
    here.resize(starts.back());
    starts.pop_back();
  };
  // The folder holding the last component, as asked for ("" when it has "." or ".."
  // components, or there is none): its canonical path may be known already.
  std::string parent;
  if (pending.size() >= 2) {
    for (std::size_t i = pending.size(); i-- > 1;) {
      if (pending[i] == "." || pending[i] == "..") {
        parent.clear();
        break;
      }
      parent.append(1, '/').append(pending[i]);
    }
  }
  auto start_at = [&](const std::string& folder) {  // `folder` canonical: every prefix a non-link
    for (std::size_t i = 0; i < folder.size(); i = folder.find('/', i + 1)) {
      starts.push_back(i);
      if (folder.find('/', i + 1) == std::string::npos) break;
    }
    here = folder;
    pending.resize(1);  // the last component
  };
  bool parent_known = parent.empty();
  if (!parent.empty() && folders) {
    if (auto it = folders->find(parent); it != folders->end()) {
      start_at(it->second);
      parent_known = true;
    }
  }
  // Every prefix `here` reaches is canonical and made of non-links, so a parent folder
  // already in the memo vouches for all its own prefixes: start the walk there.
  if (!parent_known && memo && memo->count(parent)) {
    start_at(parent);
    parent_known = true;
  }
  int links = 0;
  char buf[4096];
  while (!pending.empty()) {
    if (!parent_known && pending.size() == 1) {
      // Only the last component asked for is left: `here` is its folder, resolved.
      if (folders && !here.empty()) folders->emplace(parent, here);  // not the root: it has no prefixes
      parent_known = true;
    }
    std::string comp = std::move(pending.back());
    pending.pop_back();
    if (comp == ".") continue;
    if (comp == "..") {
      if (!starts.empty()) pop();  // clamped at the root
      continue;
    }
    starts.push_back(here.size());
    here += '/';
    here += comp;
    if (pending.empty() && !follow_last) break;
    // The last component of a link's target, left to the caller's open
    // (resolve_except_last); not remembered as a non-link.
    if (pending.empty() && !check_last && links > 0) break;
    // A prefix already seen not to be a link stays one within a batch.
    if (memo && memo->count(here)) continue;
    std::string target;
    const std::string* known = nullptr;  // a link met before on this FsRoot (recorded then)
    if (link_memo)
      if (auto it = link_memo->find(here); it != link_memo->end()) known = &it->second;
    if (known) {
      target = *known;
      if (++links > options_.max_symlinks) return -ELOOP;
    } else {
      ssize_t n = ::readlinkat(fd_, relative(here).c_str(), buf, sizeof(buf));
      if (n < 0) {
        int err = errno;
        if (err == EINVAL) {  // exists, not a link
          if (memo) memo->insert(here);
          continue;
        }
        return -err;
      }
      if (static_cast<std::size_t>(n) >= sizeof(buf)) return -ENAMETOOLONG;
      if (++links > options_.max_symlinks) return -ELOOP;
      target.assign(buf, static_cast<std::size_t>(n));
      if (options_.recorder) options_.recorder->add_link(here, target);
      if (link_memo) link_memo->emplace(here, target);
    }
    pop();
    if (!target.empty() && target[0] == '/') {  // absolute: from the root
      here.clear();
      starts.clear();
    }
    auto tcomps = split_components(target);
    for (auto it = tcomps.rbegin(); it != tcomps.rend(); ++it) pending.emplace_back(*it);
  }
  *canonical = here.empty() ? std::string("/") : std::move(here);
  return 0;
}

int FsRoot::open_confined(std::string_view path, int flags, std::string* canonical, bool refuse_links) const {
  // openat2 rejects flags that do not apply to O_PATH (EINVAL), so O_NOCTTY
  // is only added to real opens.
  flags |= O_CLOEXEC;
  if (!(flags & O_PATH)) flags |= O_NOCTTY;
  if (have_openat2_ && !options_.recorder) {
    open_how how{};
    how.flags = static_cast<std::uint64_t>(flags);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | (refuse_links ? RESOLVE_NO_SYMLINKS : 0);
    const std::string rel = relative(path);
    // EAGAIN: a rename or mount anywhere on the system during a ".." step of
    // the walk (the links of sysfs are all "../../devices/..."); the kernel
    // asks the caller to retry. On a busy machine this dropped attributes at
    // random. A few retries, then the hand-written walk below.
    for (int attempt = 0; attempt < 8; ++attempt) {
      long fd = sys_openat2(fd_, rel.c_str(), &how);
      if (fd >= 0 || errno != EAGAIN) {
        if (canonical) *canonical = normalize_path(path);
        return fd < 0 ? -errno : static_cast<int>(fd);
      }
    }
  }
  std::string canon;
  int rc = walk_followed(path, &canon);
  if (rc < 0) return rc;
  if (refuse_links && link_on_the_way(path, canon)) return -ELOOP;
  int fd = ::openat(fd_, relative(canon).c_str(), flags | O_NOFOLLOW);
  if (canonical) *canonical = canon;
  return fd < 0 ? -errno : fd;
}

Result<std::string> FsRoot::read_text(std::string_view path) const { return read_head(path, SIZE_MAX, nullptr); }

Result<std::string> FsRoot::read_head(std::string_view path, std::size_t head_bytes, bool* whole) const {
  if (options_.recorder) head_bytes = SIZE_MAX;  // a capture holds whole files
  std::string canon;
  if (untrusted_) {
    // Look before opening: opening a device node can have side effects.
    int pfd = open_confined(path, O_PATH, &canon);
    if (pfd < 0) return io_status(path, -pfd);
    Fd guard(pfd);
    struct stat st {};
    if (::fstat(pfd, &st) != 0) return io_status(path, errno);
    if (!S_ISREG(st.st_mode)) return Status(StatusCode::kIoError, std::string(path) + ": " + type_name(st.st_mode) + ", not read");
  }
  int fd = open_confined(path, O_RDONLY | O_NONBLOCK, &canon);
  if (fd < 0) return io_status(path, -fd);
  Fd guard(fd);
  auto out = read_fd(fd, path, {}, /*known_regular=*/false, head_bytes, whole);
  if (out && options_.recorder) options_.recorder->add_file(canon, *out);
  return out;
}

Result<std::string> FsRoot::read_fd(int fd, std::string_view dir, std::string_view leaf, bool known_regular,
                                    std::size_t head_bytes, bool* whole) const {
  // Messages name the full path; it is only built on failure.
  auto where = [&] { return leaf.empty() ? std::string(dir) : std::string(dir) + "/" + std::string(leaf); };
  // A file already known to be regular needs no fstat (see FsDir::read_text
  // for when that holds): a sysfs attribute, where one read() returns the
  // attribute's whole value (the show() buffer), or a regular file of a
  // recorded tree on a local file system, where read() returns less than
  // asked only at the end of the file. Either way a short read is the end,
  // and only a full buffer needs another read.
  struct stat st {};
  if (!known_regular) {
    if (::fstat(fd, &st) != 0) return io_status(where(), errno);
    if (!S_ISREG(st.st_mode))
      return Status(StatusCode::kIoError, where() + ": " + type_name(st.st_mode) + ", not read");
  }
  // sysfs reports a size of 4096 for every attribute; read until EOF instead.
  // A file whose stated size was read in full needs no second read: on disk the
  // size is exact, and no sysfs file returns more than its stated size.
  const std::size_t stated = st.st_size > 0 ? static_cast<std::size_t>(st.st_size) : 0;
  std::size_t cap = std::min<std::size_t>(options_.max_file_bytes + 1, stated > 0 ? stated + 1 : 4096);
  char small[4096];
  std::string big;
  char* data = small;
  std::size_t size = std::min(cap, sizeof(small));
  std::size_t len = 0;
  bool at_end = false;
  for (;;) {
    if (len >= head_bytes) break;
    if (len == size) {
      if (size > options_.max_file_bytes) break;
      std::size_t grown = std::min(size * 2, options_.max_file_bytes + 1);
      if (data == small) big.assign(small, len);
      big.resize(grown);
      data = big.data();
      size = grown;
    }
    const std::size_t want = std::min(size - len, head_bytes - len);
    ssize_t n = ::read(fd, data + len, want);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_status(where(), errno, "read failed");
    }
    at_end = n == 0 || (stated > 0 && len + static_cast<std::size_t>(n) == stated) ||
             (known_regular && static_cast<std::size_t>(n) < want);
    len += static_cast<std::size_t>(n);
    if (at_end) break;
  }
  if (whole) *whole = at_end;
  if (len > options_.max_file_bytes)
    return Status(StatusCode::kIoError, where() + ": larger than the " +
                                            std::to_string(options_.max_file_bytes) + "-byte limit, not read");
  return std::string(data, len);
}

Result<std::vector<DirEntry>> FsRoot::list_dir(std::string_view path) const {
  return list_dir_at(path, nullptr, nullptr, nullptr);
}

Result<std::vector<DirEntry>> FsRoot::list_dir_at(std::string_view path, int* fd_out, std::string* canonical_out,
                                                  std::vector<std::string>* stat_typed) const {
  std::string canon;
  int fd = open_confined(path, O_RDONLY | O_DIRECTORY | O_NONBLOCK, &canon);
  if (fd == -ENOTDIR) {
    // ENOTDIR reads as "missing" (a file on the way), but a folder that is
    // itself a file is damage and must not be silently taken as absent.
    int pfd = open_confined(path, O_PATH, nullptr);
    if (pfd >= 0) {
      ::close(pfd);
      return Status(StatusCode::kIoError, std::string(path) + ": not a directory, not listed");
    }
  }
  if (fd < 0) return io_status(path, -fd);
  Fd guard(fd);
  auto out = list_fd(fd, path, stat_typed);
  if (!out) return out;
  if (options_.recorder) {
    options_.recorder->add_dir(canon, *out);
    // Entries that are links are kept so a capture lists the same names.
    for (const auto& e : *out) {
      if (e.type != EntryType::kLink) continue;
      std::string child = canon == "/" ? "/" + e.name : canon + "/" + e.name;
      char buf[4096];
      ssize_t n = ::readlinkat(fd_, relative(child).c_str(), buf, sizeof(buf));
      if (n > 0 && static_cast<std::size_t>(n) < sizeof(buf))
        options_.recorder->add_link(child, std::string(buf, static_cast<std::size_t>(n)));
    }
  }
  if (fd_out) {
    *fd_out = guard.release();
    if (canonical_out) *canonical_out = std::move(canon);
  }
  return out;
}

Result<std::vector<DirEntry>> FsRoot::list_fd(int fd, std::string_view path, std::vector<std::string>* stat_typed,
                                               bool sysfs) const {
  // getdents64 on our own fd (not fdopendir, which takes the fd over) so that
  // FsDir can keep the directory open for the reads that follow.
  std::vector<DirEntry> out;
  bool truncated = false;
  alignas(8) char buf[32768];
  for (;;) {
    long n = ::syscall(SYS_getdents64, fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_status(path, errno);
    }
    if (n == 0) break;
    for (long off = 0; off < n;) {
      auto* e = reinterpret_cast<linux_dirent64_view*>(buf + off);
      off += e->d_reclen;
      std::string_view name = e->d_name;
      if (name == "." || name == "..") continue;
      if (out.size() >= options_.max_dir_entries) {
        truncated = true;
        break;
      }
      unsigned char dt = e->d_type;
      if (dt == DT_UNKNOWN) {
        struct stat st {};
        if (::fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
          dt = S_ISREG(st.st_mode) ? DT_REG : S_ISDIR(st.st_mode) ? DT_DIR : S_ISLNK(st.st_mode) ? DT_LNK : DT_UNKNOWN;
        }
        if (stat_typed) stat_typed->emplace_back(name);
      }
      EntryType t = dt == DT_REG ? EntryType::kFile : dt == DT_DIR ? EntryType::kDir
                    : dt == DT_LNK ? EntryType::kLink : EntryType::kOther;
      out.push_back({std::string(name), t});
    }
    if (truncated) break;
    // kernfs's readdir (fs/kernfs/dir.c kernfs_fop_readdir) emits entries until
    // one does not fit or there are none left: a call that left room for the
    // largest entry (a 255-byte name: 280 bytes) listed the rest, and the call
    // that would answer 0 is saved (one a folder; a live PCI function is one).
    constexpr long kLargestEntry = 280;
    if (sysfs && n + kLargestEntry <= static_cast<long>(sizeof(buf))) break;
  }
  if (truncated)
    return Status(StatusCode::kIoError, std::string(path) + ": more than " +
                                            std::to_string(options_.max_dir_entries) + " entries, not listed");
  std::sort(out.begin(), out.end(), [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
  if (stat_typed) std::sort(stat_typed->begin(), stat_typed->end());
  return out;
}

// Only the live root's own sysfs gets the one-read shortcut: a recorded tree
// is plain files whose size fstat tells.
bool FsRoot::on_live_sysfs(int dirfd) const {
  if (untrusted_) return false;
  struct statfs sf {};
  return ::fstatfs(dirfd, &sf) == 0 && sf.f_type == SYSFS_MAGIC;
}

Result<FsDir> FsRoot::open_dir(std::string_view path, Listing listing, Links links) const {
  std::string p(path);
  const bool refuse_links = links == Links::kRefuse;
  if (options_.recorder) {
    // The folder is resolved and listed as list_dir records it (every link on the
    // way, the folder, its link entries); its files are then read through the open
    // folder, each recorded by its canonical path as FsRoot::read_text records it.
    int fd = -1;
    std::string canon;
    std::vector<std::string> stat_typed;
    auto entries = list_dir_at(path, &fd, &canon, &stat_typed);
    if (!entries) return entries.error();
    if (refuse_links && link_on_the_way(path, canon)) {
      ::close(fd);
      return io_status(path, ELOOP);
    }
    FsDir d(this, fd, std::move(p), std::move(*entries), on_live_sysfs(fd));
    d.stat_typed_ = std::move(stat_typed);
    d.canonical_ = std::move(canon);
    return d;
  }
  int fd = open_confined(path, O_RDONLY | O_DIRECTORY | O_NONBLOCK, nullptr, refuse_links);
  if (fd < 0) return io_status(path, -fd);
  Fd guard(fd);
  const bool sysfs = on_live_sysfs(fd);
  if (listing == Listing::kUnlessLarge) {
    // A recorded folder tells its size; a live sysfs folder reports 0 whatever
    // it holds, so it is taken as large (see Listing::kUnlessLarge).
    struct stat st {};
    if (sysfs || (untrusted_ && ::fstat(fd, &st) == 0 && st.st_size > kLargeDirectoryBytes)) {
      FsDir d(this, guard.release(), std::move(p), {}, sysfs);
      d.listed_ = false;
      return d;
    }
  }
  return listed_dir(guard.release(), std::move(p), sysfs);
}

Result<FsDir> FsRoot::listed_dir(int fd, std::string path, bool sysfs) const {
  Fd guard(fd);
  std::vector<std::string> stat_typed;
  auto entries = list_fd(fd, path, &stat_typed, sysfs);
  if (!entries) return entries.error();
  FsDir d(this, guard.release(), std::move(path), std::move(*entries), sysfs);
  d.stat_typed_ = std::move(stat_typed);
  return d;
}

std::vector<std::pair<std::string, std::string>> FsRoot::batch_read(int dirfd, std::string_view dir,
                                                                    const std::vector<std::string_view>& names,
                                                                    bool below) const {
  if (!batch_) return {};
  // A sysfs or procfs mounted inside the recorded root (a host's /sys below
  // /host): kernfs reads go to io_uring's worker threads, slower than plain reads.
  // Such a mount is a top-level folder of the root in practice, so the answer is
  // kept per top-level folder; a kernfs mounted deeper is batched, which reads
  // the same bytes, only slower.
  const std::size_t start = dir.find_first_not_of('/');
  const std::string_view rest = start == std::string_view::npos ? std::string_view() : dir.substr(start);
  const std::string_view top = rest.substr(0, rest.find('/'));
  std::unique_ptr<internal::BatchReader> reader;
  {
    std::lock_guard<std::mutex> lock(batch_->mu);
    auto it = batch_->kernfs_by_top.find(top);
    if (it == batch_->kernfs_by_top.end()) {
      struct statfs sf {};
      const bool kernfs = ::fstatfs(dirfd, &sf) != 0 || sf.f_type == SYSFS_MAGIC || sf.f_type == PROC_SUPER_MAGIC;
      it = batch_->kernfs_by_top.emplace(std::string(top), kernfs).first;
    }
    if (it->second) return {};
    if (!batch_->idle.empty()) {
      reader = std::move(batch_->idle.back());
      batch_->idle.pop_back();
    }
  }
  if (!reader) reader = std::make_unique<internal::BatchReader>();
  auto got = below ? reader->read_files_below(dirfd, names) : reader->read_files(dirfd, names);
  {
    std::lock_guard<std::mutex> lock(batch_->mu);
    batch_->idle.push_back(std::move(reader));
  }
  // A file over the size limit is refused by the plain read, with its message.
  std::erase_if(got, [&](const auto& g) { return g.second.size() > options_.max_file_bytes; });
  return got;
}

// ---------------------------------------------------------------- FsDir

namespace {
// fstatat of `name` below the open folder `dirfd`, the last component not
// followed (FsDir's look before an open): 0, or the errno.
int look_below(int dirfd, std::string_view name, struct stat* st) {
  char cname[1024];
  if (name.size() >= sizeof(cname)) return ENAMETOOLONG;
  std::memcpy(cname, name.data(), name.size());
  cname[name.size()] = '\0';
  return ::fstatat(dirfd, cname, st, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : errno;
}
}  // namespace

FsDir::FsDir(const FsRoot* root, int fd, std::string path, std::vector<DirEntry> entries, bool sysfs)
    : root_(root), fd_(fd), path_(std::move(path)), entries_(std::move(entries)), sysfs_(sysfs) {}

FsDir::FsDir(FsDir&& other) noexcept
    : root_(other.root_),
      fd_(std::exchange(other.fd_, -1)),
      path_(std::move(other.path_)),
      entries_(std::move(other.entries_)),
      stat_typed_(std::move(other.stat_typed_)),
      prefetched_(std::move(other.prefetched_)),
      absent_(std::move(other.absent_)),
      sysfs_(other.sysfs_),
      listed_(other.listed_),
      canonical_(std::move(other.canonical_)) {}

FsDir& FsDir::operator=(FsDir&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    root_ = other.root_;
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
    entries_ = std::move(other.entries_);
    stat_typed_ = std::move(other.stat_typed_);
    prefetched_ = std::move(other.prefetched_);
    absent_ = std::move(other.absent_);
    sysfs_ = other.sysfs_;
    listed_ = other.listed_;
    canonical_ = std::move(other.canonical_);
  }
  return *this;
}

std::string FsDir::canonical_child(std::string_view name) const {
  std::string path;
  path.reserve(canonical_.size() + 1 + name.size());
  if (canonical_ != "/") path += canonical_;
  path += '/';
  path += name;
  return path;
}

void FsDir::recorded(std::string_view name, std::string_view content) const {
  if (root_->options_.recorder) root_->options_.recorder->add_file(canonical_child(name), content);
}

void FsDir::prefetch(std::initializer_list<std::string_view> names) {
  prefetch_names(std::vector<std::string_view>(names.begin(), names.end()));
}

void FsDir::prefetch(const std::vector<std::string>& names) {
  prefetch_names(std::vector<std::string_view>(names.begin(), names.end()));
}

void FsDir::prefetch_names(const std::vector<std::string_view>& names) {
  if (fd_ < 0 || !root_->batch_) return;
  if (!listed_) {
    prefetch_unlisted(names);
    return;
  }
  // The files read_text() would read without an fstat (d_type DT_REG from
  // getdents): those whose plain read a batch can stand in for exactly. And
  // "sub/leaf" paths that read_text() reads through read_below: typed first.
  std::vector<std::string_view> files, below;
  for (std::string_view n : names) {
    if (n.find('/') != std::string_view::npos) {
      if (below_listed_folder(n) && root_->have_openat2_ && !root_->recording()) below.push_back(n);
      continue;
    }
    const DirEntry* e = find(n);
    if (e && e->type == EntryType::kFile &&
        (stat_typed_.empty() || !std::binary_search(stat_typed_.begin(), stat_typed_.end(), n)))
      files.push_back(n);
  }
  // One file gains nothing from a batch.
  const std::size_t before = prefetched_.size();
  if (files.size() >= 2)
    for (auto& g : root_->batch_read(fd_, path_, files))
      if (!g.second.empty()) prefetched_.push_back(std::move(g));  // empty: read plainly, fstat tells
  if (below.size() >= 2) {
    // Typed here as read_below types them (no listing did): regular files only.
    std::vector<std::string_view> empty;
    std::erase_if(below, [&](std::string_view n) {
      bool is_empty = false;
      if (!regular_below(n, &is_empty)) return true;
      if (is_empty) empty.push_back(n);
      return false;
    });
    keep_batch(root_->batch_read(fd_, path_, below, /*below=*/true), empty);
  }
  if (prefetched_.size() != before) std::sort(prefetched_.begin(), prefetched_.end());
}

void FsDir::keep_batch(std::vector<std::pair<std::string, std::string>> got,
                       const std::vector<std::string_view>& typed_empty) {
  // An empty read stands for the plain one only where the look before the
  // batch saw an empty regular file: then the plain read gives "" too. (A FIFO
  // swapped in between the look and the batch would also read empty, where
  // the plain read's fstat would refuse it; that race gives "" instead of the
  // refusal, never a read outside the folder or a wait.)
  for (auto& g : got)
    if (!g.second.empty() || std::find(typed_empty.begin(), typed_empty.end(), g.first) != typed_empty.end())
      prefetched_.push_back(std::move(g));
}

void FsDir::prefetch_unlisted(const std::vector<std::string_view>& names) {
  if (root_->recording()) return;
  // No listing to type them: each name is looked up as read_unlisted() would
  // (fstatat, last component not followed), then the regular files are read
  // in one batch (even one: a batch is one call, a plain read four). A name
  // found missing is remembered, so its read does not ask again.
  std::vector<std::string_view> files, empty;
  for (std::string_view n : names) {
    if (n.empty() || n == "." || n == ".." || n.find('/') != std::string_view::npos) continue;
    struct stat st {};
    if (int err = look_below(fd_, n, &st)) {
      if (err == ENOENT) absent_.emplace_back(n);
    } else if (S_ISREG(st.st_mode)) {
      files.push_back(n);
      if (st.st_size == 0) empty.push_back(n);
    }
  }
  std::sort(absent_.begin(), absent_.end());
  if (files.empty()) return;
  keep_batch(root_->batch_read(fd_, path_, files), empty);
  std::sort(prefetched_.begin(), prefetched_.end());
}

const std::string* FsDir::prefetched(std::string_view name) const {
  if (prefetched_.empty()) return nullptr;
  auto it = std::lower_bound(prefetched_.begin(), prefetched_.end(), name,
                             [](const auto& p, std::string_view n) { return p.first < n; });
  return it != prefetched_.end() && it->first == name ? &it->second : nullptr;
}

bool FsDir::regular_below(std::string_view name, bool* empty) const {
  // Look before opening, as FsRoot::read_text does: opening a device node can
  // have side effects. Only the last component is not followed here; the open
  // that follows refuses any symlink on the way, so a directory swapped for a
  // link since the listing is caught there (and read through the confined path).
  struct stat st {};
  if (look_below(fd_, name, &st) != 0 || !S_ISREG(st.st_mode)) return false;
  if (empty) *empty = st.st_size == 0;
  return true;
}

bool FsDir::below_listed_folder(std::string_view name) const {
  // Exactly "sub/leaf", with "sub" a real directory in the listing: then no
  // symlink lies on the way (short of a race, which the open refuses).
  std::size_t slash = name.find('/');
  if (slash == std::string_view::npos || name.find('/', slash + 1) != std::string_view::npos) return false;
  std::string_view sub = name.substr(0, slash), leaf = name.substr(slash + 1);
  if (leaf.empty() || leaf == "." || leaf == ".." || sub == "." || sub == "..") return false;
  const DirEntry* first = find(sub);
  return first && first->type == EntryType::kDir;
}

FsDir::~FsDir() {
  if (fd_ >= 0) ::close(fd_);
}

const DirEntry* FsDir::find(std::string_view name) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), name,
                             [](const DirEntry& e, std::string_view n) { return e.name < n; });
  return it != entries_.end() && it->name == name ? &*it : nullptr;
}

std::string FsDir::child(std::string_view name) const {
  std::string out;
  out.reserve(path_.size() + 1 + name.size());
  out += path_;
  out += '/';
  out += name;
  return out;
}

// True when `name` can be read relative to the open directory; `entry` gets the
// listing's entry (nullptr: not listed).
bool FsDir::fast(std::string_view name, const DirEntry** entry) const {
  *entry = nullptr;
  if (fd_ < 0 || name.empty() || name == "." || name == ".." || name.find('/') != std::string_view::npos)
    return false;
  *entry = find(name);
  return true;
}

// "N/properties" below an open directory (KFD io_links, mem_banks): the first
// component listed as a real directory, no "." / ".." / empty components.
// Returns the file read relative to the open directory, or nullopt when the
// caller must take FsRoot's confined path (which also words every error).
std::optional<Result<std::string>> FsDir::read_below(std::string_view name) const {
  if (fd_ < 0 || !root_->have_openat2_ || name.size() >= 1024 || root_->recording()) return std::nullopt;
  if (!below_listed_folder(name)) return std::nullopt;
  if (const std::string* text = prefetched(name)) return Result<std::string>(*text);
  char cname[1024];
  std::memcpy(cname, name.data(), name.size());
  cname[name.size()] = '\0';
  // Any failure or odd type: FsRoot words the error (a missing leaf too, so
  // the message is exactly the path form's).
  if (root_->untrusted_ && !regular_below(name)) return std::nullopt;
  // RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS: the kernel keeps the walk inside the
  // open directory; any link or ".." makes it fail and the caller falls back.
  open_how how{};
  how.flags = static_cast<std::uint64_t>(O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  long fd = sys_openat2(fd_, cname, &how);
  if (fd < 0) return std::nullopt;
  Fd guard(static_cast<int>(fd));
  // Not from this directory's listing: fstat checks the type before the read.
  return root_->read_fd(guard.get(), path_, name, /*known_regular=*/false);
}

Result<FsDir> FsDir::open_subdir(std::string_view name) const {
  const DirEntry* e = nullptr;
  char cname[256];
  if (!listed_ || !fast(name, &e) || !e || e->type != EntryType::kDir || !root_->have_openat2_ ||
      root_->recording() || name.size() >= sizeof(cname))
    return root_->open_dir(child(name));
  std::memcpy(cname, name.data(), name.size());
  cname[name.size()] = '\0';
  // One component below an open folder, no link allowed: the kernel keeps the
  // open inside this folder, so the confinement is the same as the root's walk.
  // No mount crossed either, so the folder is on this folder's filesystem and
  // sysfs_ carries over.
  open_how how{};
  how.flags = static_cast<std::uint64_t>(O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
  long fd = sys_openat2(fd_, cname, &how);
  // Swapped for a link or removed since the listing, or a mount point: the
  // root's open_dir gives the folder (or the message).
  if (fd < 0) return root_->open_dir(child(name));
  return root_->listed_dir(static_cast<int>(fd), child(name), sysfs_);
}

// An unlisted folder: the name's type comes from an fstatat, as for a listed
// entry getdents called DT_UNKNOWN, so the opened file is checked with fstat
// again (read_fd with known_regular only on the live sysfs). Everything that is
// not a plain regular file takes FsRoot's confined path, which words its error.
Result<std::string> FsDir::read_unlisted(std::string_view name) const {
  char cname[256];
  if (fd_ < 0 || name.empty() || name == "." || name == ".." || name.find('/') != std::string_view::npos ||
      name.size() >= sizeof(cname) || root_->recording())
    return root_->read_text(child(name));
  if (const std::string* text = prefetched(name)) return *text;
  if (!absent_.empty() && std::binary_search(absent_.begin(), absent_.end(), name))
    return io_status(child(name), ENOENT);  // prefetch looked it up: as the fstatat below says
  struct stat st {};
  if (int err = look_below(fd_, name, &st)) {
    if (err == ENOENT) return io_status(child(name), ENOENT);
    return root_->read_text(child(name));
  }
  if (!S_ISREG(st.st_mode)) return root_->read_text(child(name));
  std::memcpy(cname, name.data(), name.size());
  cname[name.size()] = '\0';
  std::optional<Result<std::string>> failed;
  int fd = open_entry(name, cname, &failed);
  if (fd < 0) return std::move(*failed);
  Fd guard(fd);
  return root_->read_fd(fd, path_, name, sysfs_);
}

int FsDir::open_entry(std::string_view name, const char* cname, std::optional<Result<std::string>>* failed) const {
  int fd = ::openat(fd_, cname, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    int err = errno;
    // ELOOP: replaced by a link since the listing; take the confined path.
    if (err == ELOOP) failed->emplace(root_->read_text(child(name)));
    else failed->emplace(io_status(child(name), err));
  }
  return fd;
}

Result<std::string> FsDir::read_text(std::string_view name) const {
  if (!listed_) return read_unlisted(name);
  const DirEntry* e = nullptr;
  if (!fast(name, &e)) {
    if (name.find('/') != std::string_view::npos)
      if (auto r = read_below(name)) return std::move(*r);
    return root_->read_text(child(name));
  }
  if (!e) return io_status(child(name), ENOENT);
  // Links are resolved inside the root by the full path; directories and odd
  // types get FsRoot's own refusal message.
  if (e->type != EntryType::kFile) return root_->read_text(child(name));
  if (const std::string* text = prefetched(name)) {
    recorded(name, *text);
    return *text;
  }
  char cname[256];
  if (name.size() >= sizeof(cname)) return root_->read_text(child(name));
  std::memcpy(cname, name.data(), name.size());
  cname[name.size()] = '\0';
  std::optional<Result<std::string>> failed;
  int fd = open_entry(name, cname, &failed);
  if (fd < 0) return std::move(*failed);
  Fd guard(fd);
  // On a recorded tree an entry that getdents itself reported as a regular
  // file (d_type DT_REG, not the fstatat guess made for DT_UNKNOWN) is read
  // without an fstat first. Safe because: d_type comes from this very
  // directory fd, so the name is the one the open above used; O_NOFOLLOW
  // refuses a link swapped in since; O_NONBLOCK makes a FIFO swapped in
  // harmless (the open does not wait and a read returns 0 or EAGAIN, and
  // either is checked below); and swapping in a device node, the only thing
  // whose open has side effects, needs CAP_MKNOD, which no one writing a
  // recording to be read by an unprivileged user has over us. The live root's
  // non-sysfs files (/proc) keep the fstat: seq_file reads may return short
  // before the end.
  const bool trusted_type =
      !sysfs_ && root_->untrusted_ &&
      (stat_typed_.empty() || !std::binary_search(stat_typed_.begin(), stat_typed_.end(), name));
  auto out = root_->read_fd(fd, path_, name, sysfs_ || trusted_type);
  if (trusted_type && (!out || out->empty())) {
    // Nothing read, or a failed read: what a FIFO swapped in since the listing
    // gives. The fstat skipped above words it as FsRoot::read_text would
    // ("a FIFO, not read"); only empty files and errors pay for it.
    struct stat st {};
    if (::fstat(fd, &st) != 0) return io_status(child(name), errno);
    if (!S_ISREG(st.st_mode))
      return Status(StatusCode::kIoError, child(name) + ": " + type_name(st.st_mode) + ", not read");
  }
  if (out) recorded(name, *out);
  return out;
}

Result<std::string> FsDir::read_link(std::string_view name) const {
  if (!listed_) return root_->read_link(child(name));
  const DirEntry* e = nullptr;
  if (!fast(name, &e)) return root_->read_link(child(name));
  if (!e) return io_status(child(name), ENOENT);
  if (e->type != EntryType::kLink) return root_->read_link(child(name));
  char cname[256];
  if (name.size() >= sizeof(cname)) return root_->read_link(child(name));
  std::memcpy(cname, name.data(), name.size());
  cname[name.size()] = '\0';
  char buf[4096];
  ssize_t n = ::readlinkat(fd_, cname, buf, sizeof(buf));
  if (n < 0 || static_cast<std::size_t>(n) >= sizeof(buf)) return root_->read_link(child(name));
  std::string target(buf, static_cast<std::size_t>(n));
  if (root_->options_.recorder)
    root_->options_.recorder->add_link(canonical_child(name), target);
  return target;
}

Result<std::string> FsRoot::read_link(std::string_view path) const {
  std::string parent_canon;
  std::string norm = normalize_path(path);
  std::size_t slash = norm.rfind('/');
  std::string parent = slash == 0 ? std::string("/") : norm.substr(0, slash);
  std::string leaf = norm.substr(slash + 1);
  if (leaf.empty()) return Status(StatusCode::kInvalidArgument, std::string(path) + ": not a link");
  int rc = walk_followed(parent, &parent_canon);
  if (rc < 0) return io_status(path, -rc);
  std::string full = parent_canon == "/" ? "/" + leaf : parent_canon + "/" + leaf;
  char buf[4096];
  ssize_t n = ::readlinkat(fd_, relative(full).c_str(), buf, sizeof(buf));
  if (n < 0) {
    int err = errno;
    if (err == EINVAL) return Status(StatusCode::kInvalidArgument, std::string(path) + ": not a symbolic link");
    return io_status(path, err);
  }
  if (static_cast<std::size_t>(n) >= sizeof(buf)) return io_status(path, ENAMETOOLONG);
  std::string target(buf, static_cast<std::size_t>(n));
  if (options_.recorder) options_.recorder->add_link(full, target);
  return target;
}

// No fstatat of the result: walk() with follow_last has readlinkat'ed every
// component it kept, the last one included, and readlinkat fails with EINVAL
// (taken as "exists, not a link") only for an object that exists; any other
// failure is returned. So a successful walk has already shown the canonical
// path to exist ("/", the only path with no component, is the root).
Result<std::string> FsRoot::resolve(std::string_view path) const {
  std::string canon;
  int rc = walk_followed(path, &canon);
  if (rc < 0) return io_status(path, -rc);
  return canon;
}

Result<std::string> FsRoot::resolve(std::string_view path, std::set<std::string>& memo) const {
  return resolve_with(path, memo, /*check_last=*/true);
}

Result<std::string> FsRoot::resolve_except_last(std::string_view path, std::set<std::string>& memo) const {
  return resolve_with(path, memo, /*check_last=*/false);
}

Result<std::string> FsRoot::resolve_with(std::string_view path, std::set<std::string>& memo, bool check_last) const {
  if (options_.recorder) return resolve(path);  // every link must be seen
  std::string canon;
  int rc = walk(path, /*follow_last=*/true, &canon, &memo, nullptr, check_last);
  if (rc < 0) return io_status(path, -rc);
  return canon;
}

bool FsRoot::exists(std::string_view path) const {
  int fd = open_confined(path, O_PATH, nullptr);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

bool FsRoot::is_dir(std::string_view path) const {
  int fd = open_confined(path, O_PATH | O_DIRECTORY, nullptr);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

}  // namespace accelmap
