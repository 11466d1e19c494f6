// Writes the files a discovery read into a tar archive (libarchive).
#include "accelmap/capture.h"

#include <archive.h>
#include <archive_entry.h>

#include <ctime>
#include <set>

namespace accelmap {

namespace {

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
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (ends_with(out_path, ".tar.xz") || ends_with(out_path, ".txz")) archive_write_add_filter_xz(a);
  else if (ends_with(out_path, ".tar.gz") || ends_with(out_path, ".tgz")) archive_write_add_filter_gzip(a);
  else if (!ends_with(out_path, ".tar")) {
    archive_write_free(a);
    return Status(StatusCode::kInvalidArgument,
                  out_path + ": unknown archive type (use .tar.xz, .txz, .tar.gz, .tgz or .tar)");
  }
  if (archive_write_open_filename(a, out_path.c_str()) != ARCHIVE_OK) {
    std::string msg = out_path + ": cannot write: " + archive_error_string(a);
    archive_write_free(a);
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
    if (archive_write_header(a, e) != ARCHIVE_OK) {
      failure = Status(StatusCode::kIoError, out_path + ": " + archive_error_string(a));
      return false;
    }
    if (data && !data->empty() && archive_write_data(a, data->data(), data->size()) < 0) {
      failure = Status(StatusCode::kIoError, out_path + ": " + archive_error_string(a));
      return false;
    }
    return true;
  };
  std::string top = top_dir.empty() ? std::string("capture") : top_dir;
  {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, (top + "/").c_str());
    archive_entry_set_filetype(e, AE_IFDIR);
    archive_entry_set_perm(e, 0755);
    archive_entry_set_mtime(e, kEpoch, 0);
    bool ok = write_entry(e, nullptr);
    archive_entry_free(e);
    if (!ok) {
      archive_write_free(a);
      return failure;
    }
  }
  for (const auto& d : dirs) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, (top + d + "/").c_str());
    archive_entry_set_filetype(e, AE_IFDIR);
    archive_entry_set_perm(e, 0755);
    archive_entry_set_mtime(e, kEpoch, 0);
    bool ok = write_entry(e, nullptr);
    archive_entry_free(e);
    if (!ok) break;
    ++stats.dirs;
  }
  for (const auto& [l, t] : links) {
    if (!failure.is_ok()) break;
    std::string target = t;
    if (!target.empty() && target[0] == '/') target = relative_link_target(l, target);
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, (top + l).c_str());
    archive_entry_set_filetype(e, AE_IFLNK);
    archive_entry_set_perm(e, 0777);
    archive_entry_set_symlink(e, target.c_str());
    archive_entry_set_mtime(e, kEpoch, 0);
    bool ok = write_entry(e, nullptr);
    archive_entry_free(e);
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
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, (top + f).c_str());
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, static_cast<la_int64_t>(content->size()));
    archive_entry_set_mtime(e, kEpoch, 0);
    bool ok = write_entry(e, &*content);
    archive_entry_free(e);
    if (!ok) break;
    ++stats.files;
  }
  if (failure.is_ok() && archive_write_close(a) != ARCHIVE_OK)
    failure = Status(StatusCode::kIoError, out_path + ": " + archive_error_string(a));
  archive_write_free(a);
  if (!failure.is_ok()) return failure;
  return stats;
}

}  // namespace accelmap
