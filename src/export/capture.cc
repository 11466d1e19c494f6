// Writes the files a discovery read into a tar archive (libarchive, loaded
// with dlopen() by the capture that needs it: linking it would make every
// start of the CLI load and relocate it and its dozen dependencies).
#include "accelmap/capture.h"

#include <archive.h>
#include <archive_entry.h>
#include <dlfcn.h>

#include <ctime>
#include <set>

namespace accelmap {

namespace {

// Every libarchive function capture calls; the headers give their types.
#define ACCELMAP_LIBARCHIVE_FUNCTIONS(X)                                                                  \
  X(archive_write_new) X(archive_write_set_format_pax_restricted) X(archive_write_add_filter_xz)          \
  X(archive_write_add_filter_gzip) X(archive_write_open_filename) X(archive_write_header)                 \
  X(archive_write_data) X(archive_write_close) X(archive_write_free) X(archive_error_string)              \
  X(archive_entry_new) X(archive_entry_free) X(archive_entry_set_pathname) X(archive_entry_set_filetype) \
  X(archive_entry_set_perm) X(archive_entry_set_mtime) X(archive_entry_set_symlink) X(archive_entry_set_size)

std::string dl_error() {
  const char* e = dlerror();
  return e ? e : "unknown dynamic loader error";
}

// libarchive for one capture: a handle and one pointer per function, all set
// by open() or none usable. Each capture makes its own (no state is kept
// between calls); RTLD_NODELETE keeps the library mapped after dlclose, so a
// second capture in one process does not load and relocate it again.
struct Libarchive {
#define ACCELMAP_MEMBER(name) decltype(&::name) name = nullptr;
  ACCELMAP_LIBARCHIVE_FUNCTIONS(ACCELMAP_MEMBER)
#undef ACCELMAP_MEMBER

  Libarchive() = default;
  Libarchive(const Libarchive&) = delete;
  Libarchive& operator=(const Libarchive&) = delete;
  ~Libarchive() {
    if (handle_) dlclose(handle_);
  }

  Status open(const std::string& soname) {
    const std::string need = "capture needs " + soname + " (Debian package libarchive13), but ";
    handle_ = dlopen(soname.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!handle_) return Status(StatusCode::kNotFound, need + "it cannot be loaded: " + dl_error());
#define ACCELMAP_RESOLVE(name)                                                                        \
  name = reinterpret_cast<decltype(name)>(dlsym(handle_, #name));                                     \
  if (!name) return Status(StatusCode::kNotFound, need + "it is not a usable libarchive: " + dl_error());
    ACCELMAP_LIBARCHIVE_FUNCTIONS(ACCELMAP_RESOLVE)
#undef ACCELMAP_RESOLVE
    return Status();
  }

 private:
  void* handle_ = nullptr;
};
#undef ACCELMAP_LIBARCHIVE_FUNCTIONS

std::vector<std::string> split(const std::string& p) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < p.size()) {
    while (i < p.size() && p[i] == '/') ++i;
    std::size_t j = p.find('/', i);
    if (j == std::string::npos) j = p.size();
    if (j > i) out.push_back(p.substr(i, j - i));
    i = j;
  }
  return out;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::string relative_link_target(const std::string& link_path, const std::string& absolute_target) {
  auto from = split(normalize_path(link_path));
  if (!from.empty()) from.pop_back();  // the folder holding the link
  auto to = split(normalize_path(absolute_target));
  std::size_t common = 0;
  while (common < from.size() && common < to.size() && from[common] == to[common]) ++common;
  std::string out;
  for (std::size_t i = common; i < from.size(); ++i) out += "../";
  for (std::size_t i = common; i < to.size(); ++i) out += to[i] + (i + 1 < to.size() ? "/" : "");
  if (out.empty()) return ".";
  if (out.back() == '/') out.pop_back();
  return out;
}

Result<CaptureStats> write_capture(const FsRoot& root, const AccessRecorder& recorder, const std::string& out_path,
                                   const std::string& top_dir) {
  CaptureOptions options;
  options.top_dir = top_dir;
  return write_capture(root, recorder, out_path, options);
}

Result<CaptureStats> write_capture(const FsRoot& root, const AccessRecorder& recorder, const std::string& out_path,
                                   const CaptureOptions& options) {
  bool xz = ends_with(out_path, ".tar.xz") || ends_with(out_path, ".txz");
  bool gz = ends_with(out_path, ".tar.gz") || ends_with(out_path, ".tgz");
  if (!xz && !gz && !ends_with(out_path, ".tar"))
    return Status(StatusCode::kInvalidArgument,
                  out_path + ": unknown archive type (use .tar.xz, .txz, .tar.gz, .tgz or .tar)");
  Libarchive la;
  if (Status s = la.open(options.libarchive); !s.is_ok()) return s;
  archive* a = la.archive_write_new();
  la.archive_write_set_format_pax_restricted(a);
  if (xz) la.archive_write_add_filter_xz(a);
  else if (gz) la.archive_write_add_filter_gzip(a);
  if (la.archive_write_open_filename(a, out_path.c_str()) != ARCHIVE_OK) {
    std::string msg = out_path + ": cannot write: " + la.archive_error_string(a);
    la.archive_write_free(a);
    return Status(StatusCode::kIoError, msg);
  }
  CaptureStats stats;
  auto files = recorder.files();
  auto links = recorder.links();
  std::set<std::string> dirs;
  auto add_parents = [&](const std::string& p) {
    auto comps = split(p);
    std::string cur;
    for (std::size_t i = 0; i + 1 < comps.size(); ++i) {
      cur += "/" + comps[i];
      dirs.insert(cur);
    }
  };
  for (const auto& d : recorder.dirs()) {
    if (d != "/") dirs.insert(d);
    add_parents(d);
  }
  for (const auto& f : files) add_parents(f);
  for (const auto& [l, t] : links) add_parents(l);
  // A path recorded as a link must not also be written as a folder.
  for (const auto& [l, t] : links) dirs.erase(l);

  const std::time_t kEpoch = 0;  // fixed times: the same machine gives the same archive
  Status failure;
  auto write_entry = [&](archive_entry* e, const std::string* data) {
    if (la.archive_write_header(a, e) != ARCHIVE_OK) {
      failure = Status(StatusCode::kIoError, out_path + ": " + la.archive_error_string(a));
      return false;
    }
    if (data && !data->empty() && la.archive_write_data(a, data->data(), data->size()) < 0) {
      failure = Status(StatusCode::kIoError, out_path + ": " + la.archive_error_string(a));
      return false;
    }
    return true;
  };
  std::string top = options.top_dir.empty() ? std::string("capture") : options.top_dir;
  {
    archive_entry* e = la.archive_entry_new();
    la.archive_entry_set_pathname(e, (top + "/").c_str());
    la.archive_entry_set_filetype(e, AE_IFDIR);
    la.archive_entry_set_perm(e, 0755);
    la.archive_entry_set_mtime(e, kEpoch, 0);
    bool ok = write_entry(e, nullptr);
    la.archive_entry_free(e);
    if (!ok) {
      la.archive_write_free(a);
      return failure;
    }
  }
  for (const auto& d : dirs) {
    archive_entry* e = la.archive_entry_new();
    la.archive_entry_set_pathname(e, (top + d + "/").c_str());
    la.archive_entry_set_filetype(e, AE_IFDIR);
    la.archive_entry_set_perm(e, 0755);
    la.archive_entry_set_mtime(e, kEpoch, 0);
    bool ok = write_entry(e, nullptr);
    la.archive_entry_free(e);
    if (!ok) break;
    ++stats.dirs;
  }
  for (const auto& [l, t] : links) {
    if (!failure.is_ok()) break;
    std::string target = t;
    if (!target.empty() && target[0] == '/') target = relative_link_target(l, target);
    archive_entry* e = la.archive_entry_new();
    la.archive_entry_set_pathname(e, (top + l).c_str());
    la.archive_entry_set_filetype(e, AE_IFLNK);
    la.archive_entry_set_perm(e, 0777);
    la.archive_entry_set_symlink(e, target.c_str());
    la.archive_entry_set_mtime(e, kEpoch, 0);
    bool ok = write_entry(e, nullptr);
    la.archive_entry_free(e);
    if (!ok) break;
    ++stats.links;
  }
  for (const auto& f : files) {
    if (!failure.is_ok()) break;
    if (links.count(f)) continue;
    auto content = root.read_text(f);
    if (!content) {
      ++stats.skipped;
      continue;
    }
    archive_entry* e = la.archive_entry_new();
    la.archive_entry_set_pathname(e, (top + f).c_str());
    la.archive_entry_set_filetype(e, AE_IFREG);
    la.archive_entry_set_perm(e, 0644);
    la.archive_entry_set_size(e, static_cast<la_int64_t>(content->size()));
    la.archive_entry_set_mtime(e, kEpoch, 0);
    bool ok = write_entry(e, &*content);
    la.archive_entry_free(e);
    if (!ok) break;
    ++stats.files;
  }
  if (failure.is_ok() && la.archive_write_close(a) != ARCHIVE_OK)
    failure = Status(StatusCode::kIoError, out_path + ": " + la.archive_error_string(a));
  la.archive_write_free(a);
  if (!failure.is_ok()) return failure;
  return stats;
}

}  // namespace accelmap
