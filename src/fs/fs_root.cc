// FsRoot: confined, bounded, non-blocking reads of a recorded or live root.
//
// Two resolvers share one rule ("the root is /"):
//  * openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) — the kernel does the
//    confinement in one system call (Linux >= 5.6). Used for plain reads.
//  * walk() — component by component with readlinkat(); used when openat2 is
//    missing, for resolve(), and whenever an AccessRecorder must see each link.
#include "accelmap/fs_root.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
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

void AccessRecorder::add_file(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  files_.insert(path);
}
void AccessRecorder::add_dir(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  dirs_.insert(path);
}
void AccessRecorder::add_link(const std::string& path, const std::string& target) {
  std::lock_guard<std::mutex> lock(mu_);
  links_.emplace(path, target);
}
std::set<std::string> AccessRecorder::files() const {
  std::lock_guard<std::mutex> lock(mu_);
  return files_;
}
std::set<std::string> AccessRecorder::dirs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dirs_;
}
std::map<std::string, std::string> AccessRecorder::links() const {
  std::lock_guard<std::mutex> lock(mu_);
  return links_;
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

FsRoot::FsRoot(std::string dir, int fd, Options options, bool have_openat2)
    : dir_(std::move(dir)), fd_(fd), options_(std::move(options)), have_openat2_(have_openat2) {
  // The live root's /sys and /proc hold no FIFOs or device nodes, so the extra
  // O_PATH + fstat round trip that protects us from hostile recorded trees is
  // skipped there.
  untrusted_ = normalize_path(dir_) != "/";
}

FsRoot::FsRoot(FsRoot&& other) noexcept
    : dir_(std::move(other.dir_)),
      fd_(std::exchange(other.fd_, -1)),
      options_(std::move(other.options_)),
      have_openat2_(other.have_openat2_),
      untrusted_(other.untrusted_) {}

FsRoot& FsRoot::operator=(FsRoot&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    dir_ = std::move(other.dir_);
    fd_ = std::exchange(other.fd_, -1);
    options_ = std::move(other.options_);
    have_openat2_ = other.have_openat2_;
    untrusted_ = other.untrusted_;
  }
  return *this;
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

int FsRoot::walk(std::string_view path, bool follow_last, std::string* canonical) const {
  // `pending` holds the components still to visit, in reverse order so that a
  // link's target can be pushed in front cheaply.
  std::vector<std::string> pending;
  {
    auto comps = split_components(path);
    for (auto it = comps.rbegin(); it != comps.rend(); ++it) pending.emplace_back(*it);
  }
  std::vector<std::string> done;
  int links = 0;
  char buf[4096];
  while (!pending.empty()) {
    std::string comp = std::move(pending.back());
    pending.pop_back();
    if (comp == ".") continue;
    if (comp == "..") {
      if (!done.empty()) done.pop_back();  // clamped at the root
      continue;
    }
    done.push_back(comp);
    if (pending.empty() && !follow_last) break;
    std::string here;
    for (const auto& c : done) here += "/" + c;
    ssize_t n = ::readlinkat(fd_, relative(here).c_str(), buf, sizeof(buf));
    if (n < 0) {
      int err = errno;
      if (err == EINVAL) continue;  // exists, not a link
      return -err;
    }
    if (static_cast<std::size_t>(n) >= sizeof(buf)) return -ENAMETOOLONG;
    if (++links > options_.max_symlinks) return -ELOOP;
    std::string target(buf, static_cast<std::size_t>(n));
    if (options_.recorder) options_.recorder->add_link(here, target);
    done.pop_back();
    if (!target.empty() && target[0] == '/') done.clear();  // absolute: from the root
    auto tcomps = split_components(target);
    for (auto it = tcomps.rbegin(); it != tcomps.rend(); ++it) pending.emplace_back(*it);
  }
  std::string out;
  for (const auto& c : done) out += "/" + c;
  *canonical = out.empty() ? std::string("/") : out;
  return 0;
}

int FsRoot::open_confined(std::string_view path, int flags, std::string* canonical) const {
  // openat2 rejects flags that do not apply to O_PATH (EINVAL), so O_NOCTTY
  // is only added to real opens.
  flags |= O_CLOEXEC;
  if (!(flags & O_PATH)) flags |= O_NOCTTY;
  if (have_openat2_ && !options_.recorder) {
    open_how how{};
    how.flags = static_cast<std::uint64_t>(flags);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    long fd = sys_openat2(fd_, relative(path).c_str(), &how);
    if (canonical) *canonical = normalize_path(path);
    return fd < 0 ? -errno : static_cast<int>(fd);
  }
  std::string canon;
  int rc = walk(path, /*follow_last=*/true, &canon);
  if (rc < 0) return rc;
  int fd = ::openat(fd_, relative(canon).c_str(), flags | O_NOFOLLOW);
  if (canonical) *canonical = canon;
  return fd < 0 ? -errno : fd;
}

Result<std::string> FsRoot::read_text(std::string_view path) const {
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
  struct stat st {};
  if (::fstat(fd, &st) != 0) return io_status(path, errno);
  if (!S_ISREG(st.st_mode))
    return Status(StatusCode::kIoError, std::string(path) + ": " + type_name(st.st_mode) + ", not read");
  std::string out;
  // sysfs reports a size of 4096 for every attribute; read until EOF instead.
  std::size_t cap = std::min<std::size_t>(options_.max_file_bytes + 1,
                                          st.st_size > 0 ? static_cast<std::size_t>(st.st_size) + 1 : 4096);
  out.resize(cap);
  std::size_t len = 0;
  for (;;) {
    if (len == out.size()) {
      if (out.size() > options_.max_file_bytes) break;
      out.resize(std::min(out.size() * 2, options_.max_file_bytes + 1));
    }
    ssize_t n = ::read(fd, out.data() + len, out.size() - len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_status(path, errno, "read failed");
    }
    if (n == 0) break;
    len += static_cast<std::size_t>(n);
  }
  if (len > options_.max_file_bytes)
    return Status(StatusCode::kIoError, std::string(path) + ": larger than the " +
                                            std::to_string(options_.max_file_bytes) + "-byte limit, not read");
  out.resize(len);
  if (options_.recorder) options_.recorder->add_file(canon);
  return out;
}

Result<std::vector<DirEntry>> FsRoot::list_dir(std::string_view path) const {
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
  DIR* d = ::fdopendir(fd);
  if (!d) {
    int err = errno;
    ::close(fd);
    return io_status(path, err);
  }
  std::vector<DirEntry> out;
  bool truncated = false;
  while (dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    if (out.size() >= options_.max_dir_entries) {
      truncated = true;
      break;
    }
    EntryType t = EntryType::kOther;
    unsigned char dt = e->d_type;
    if (dt == DT_UNKNOWN) {
      struct stat st {};
      if (::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        dt = S_ISREG(st.st_mode) ? DT_REG : S_ISDIR(st.st_mode) ? DT_DIR : S_ISLNK(st.st_mode) ? DT_LNK : DT_UNKNOWN;
      }
    }
    if (dt == DT_REG) t = EntryType::kFile;
    else if (dt == DT_DIR) t = EntryType::kDir;
    else if (dt == DT_LNK) t = EntryType::kLink;
    out.push_back({std::string(name), t});
  }
  ::closedir(d);
  if (truncated)
    return Status(StatusCode::kIoError, std::string(path) + ": more than " +
                                            std::to_string(options_.max_dir_entries) + " entries, not listed");
  std::sort(out.begin(), out.end(), [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
  if (options_.recorder) {
    options_.recorder->add_dir(canon);
    // Entries that are links are kept so a capture lists the same names.
    for (const auto& e : out) {
      if (e.type != EntryType::kLink) continue;
      std::string child = canon == "/" ? "/" + e.name : canon + "/" + e.name;
      char buf[4096];
      ssize_t n = ::readlinkat(fd_, relative(child).c_str(), buf, sizeof(buf));
      if (n > 0 && static_cast<std::size_t>(n) < sizeof(buf))
        options_.recorder->add_link(child, std::string(buf, static_cast<std::size_t>(n)));
    }
  }
  return out;
}

Result<std::string> FsRoot::read_link(std::string_view path) const {
  std::string parent_canon;
  std::string norm = normalize_path(path);
  std::size_t slash = norm.rfind('/');
  std::string parent = slash == 0 ? std::string("/") : norm.substr(0, slash);
  std::string leaf = norm.substr(slash + 1);
  if (leaf.empty()) return Status(StatusCode::kInvalidArgument, std::string(path) + ": not a link");
  int rc = walk(parent, /*follow_last=*/true, &parent_canon);
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

Result<std::string> FsRoot::resolve(std::string_view path) const {
  std::string canon;
  int rc = walk(path, /*follow_last=*/true, &canon);
  if (rc < 0) return io_status(path, -rc);
  struct stat st {};
  if (::fstatat(fd_, relative(canon).c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return io_status(path, errno);
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
