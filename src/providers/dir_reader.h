// DirReader: the ProbeContext read helpers for many attributes of one sysfs
// directory, through one FsDir (one confined open + listing, then a short
// openat per attribute that exists; none for one that does not) instead of a
// confined walk of the full path, twice on recorded trees, per attribute.
//
// Results and diagnostics equal ctx.read*(dir + "/" + name): a directory that
// cannot be opened for another reason than "missing" (permissions, a hostile
// tree) falls back to those per-path reads, so their diagnostics are kept.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "accelmap/provider.h"

namespace accelmap::providers {

class DirReader {
 public:
  /// What a capture (an attached AccessRecorder) records of the folder.
  enum class Capture {
    kListing,  ///< the folder is opened and listed as always: its links go into the archive
    kPaths,    ///< under a recorder every read is by path, so the archive holds exactly
               ///< what those reads record (providers that read by path before keep
               ///< their captures, and the damage tests their targets)
  };

  DirReader(const ProbeContext& ctx, std::string dir, Capture capture = Capture::kListing,
            FsRoot::Listing listing = FsRoot::Listing::kAlways)
      : ctx_(ctx), dir_(std::move(dir)) {
    if (capture == Capture::kPaths && ctx.fs().recording()) return;
    auto r = ctx.fs().open_dir(dir_, listing);
    if (r) d_.emplace(std::move(*r));
    else missing_ = r.error().code() == StatusCode::kNotFound;
  }

  /// The folder `name` below `parent`'s, opened relative to the parent's open
  /// folder when it lists `name` as a folder (FsDir::open_subdir); otherwise as
  /// DirReader(ctx, parent.path(name)). dir() is parent.path(name) either way.
  DirReader(const ProbeContext& ctx, const DirReader& parent, std::string_view name)
      : ctx_(ctx), dir_(parent.path(name)) {
    auto r = parent.d_ ? parent.d_->open_subdir(name) : ctx.fs().open_dir(dir_);
    if (r) d_.emplace(std::move(*r));
    else missing_ = r.error().code() == StatusCode::kNotFound;
  }

  const std::string& dir() const { return dir_; }
  std::string path(std::string_view name) const {
    std::string p;
    p.reserve(dir_.size() + 1 + name.size());
    p += dir_;
    p += '/';
    p += name;
    return p;
  }
  /// Reads these attributes in one batch where that pays (FsDir::prefetch);
  /// what the read helpers return does not change.
  void prefetch(std::initializer_list<std::string_view> names) {
    if (d_) d_->prefetch(names);
  }
  void prefetch(const std::vector<std::string>& names) {
    if (d_) d_->prefetch(names);
  }
  /// The open directory, when it could be opened.
  const FsDir* fs_dir() const { return d_ ? &*d_ : nullptr; }
  /// True when the folder was not there (the open said "not found"): its
  /// listing is empty and every optional read misses, without asking again.
  bool missing() const { return missing_; }
  /// The folder's entries: its listing when it was opened; none when it is
  /// missing; otherwise ctx.list(dir()), which words the error as before.
  std::vector<DirEntry> entries() const {
    if (d_) return d_->entries();
    if (missing_) return {};
    return ctx_.list(dir_);
  }

  /// As ctx.fs().exists(path(name)) for a plain name, without a confined walk
  /// when the listing answers: not listed is missing, listed as anything but
  /// a link exists; a link (or a name with '/') is resolved by the FsRoot.
  bool exists(std::string_view name) const {
    if (d_ && d_->listed() && name.find('/') == std::string_view::npos && name != "." && name != ".." &&
        !name.empty()) {
      const DirEntry* e = d_->find(name);
      if (!e) return false;
      if (e->type != EntryType::kLink) return true;
    } else if (missing_) {
      return false;
    }
    return ctx_.fs().exists(path(name));
  }

  /// As ctx.fs().read_text(path(name)), through the open folder when there is one.
  Result<std::string> read_text(std::string_view name) const {
    if (d_) return d_->read_text(name);
    return ctx_.fs().read_text(path(name));
  }
  std::optional<std::string> read(std::string_view name, bool optional = true) const {
    if (d_) return ctx_.read(*d_, name, optional);
    if (missing_ && optional) return std::nullopt;
    return ctx_.read(path(name), optional);
  }
  std::optional<std::string> read_trimmed(std::string_view name, bool optional = true) const {
    if (d_) return ctx_.read_trimmed(*d_, name, optional);
    if (missing_ && optional) return std::nullopt;
    return ctx_.read_trimmed(path(name), optional);
  }
  std::optional<std::int64_t> read_int(std::string_view name, bool optional = true) const {
    if (d_) return ctx_.read_int(*d_, name, optional);
    if (missing_ && optional) return std::nullopt;
    return ctx_.read_int(path(name), optional);
  }
  std::optional<std::uint64_t> read_uint(std::string_view name, bool optional = true) const {
    if (d_) return ctx_.read_uint(*d_, name, optional);
    if (missing_ && optional) return std::nullopt;
    return ctx_.read_uint(path(name), optional);
  }

 private:
  const ProbeContext& ctx_;
  std::string dir_;
  std::optional<FsDir> d_;
  bool missing_ = false;
};

}  // namespace accelmap::providers
