// accelmap/capture.h — record exactly the files a discovery read, as a tree
// archive that works as a --root for accelmap. It is not a tree for hwloc's
// HWLOC_FSROOT: it holds only what accelmap read, and hwloc's load stops
// without the per-CPU topology folders accelmap does not need (checked with
// Debian's hwloc 2.9 on a capture of this machine and of a corpus tree).
//
//   auto rec = std::make_shared<accelmap::AccessRecorder>();
//   FsRoot::Options o; o.recorder = rec;
//   auto root = FsRoot::open("/", o);
//   auto facts = discover(*root, opts);          // fills rec
//   write_capture(*root, *rec, "me.tar.xz", "my-machine");
//
// The archive holds one folder `top_dir/` that is a filesystem root: the files
// read (their bytes as read now), the folders listed, and every symlink met on
// the way, with absolute targets rewritten as relative ones so the tree
// resolves inside itself wherever it is extracted.
//
// libarchive is loaded at run time (dlopen of libarchive.so.13, Debian package
// libarchive13) on the first capture, so programs that never capture do not
// pay for loading it and its dozen dependencies at start-up.
//
// Errors: kIoError when the archive cannot be written; kNotFound when
// libarchive cannot be loaded (the message names the package and dlerror()).
// Files that vanished since discovery are skipped and counted in `skipped`.
#pragma once

#include <string>

#include "accelmap/fs_root.h"
#include "accelmap/status.h"

namespace accelmap {

struct CaptureStats {
  std::size_t files = 0, dirs = 0, links = 0, skipped = 0;
};

struct CaptureOptions {
  /// The folder inside the archive; "" means "capture".
  std::string top_dir;
  /// The shared library dlopen()ed for writing; another name (or path) is for
  /// tests and for systems that ship libarchive under a different soname.
  std::string libarchive = "libarchive.so.13";
};

/// Writes a .tar.xz (by extension: .tar.xz, .txz, .tar.gz, .tgz, .tar) at `out_path`.
Result<CaptureStats> write_capture(const FsRoot& root, const AccessRecorder& recorder, const std::string& out_path,
                                   const CaptureOptions& options);
/// The same with default options and folder `top_dir`.
Result<CaptureStats> write_capture(const FsRoot& root, const AccessRecorder& recorder, const std::string& out_path,
                                   const std::string& top_dir);

/// The relative form of an absolute in-root link target, as seen from the
/// folder holding the link: ("/sys/bus/pci/devices/x", "/sys/devices/y") -> "../../../devices/y".
std::string relative_link_target(const std::string& link_path, const std::string& absolute_target);

}  // namespace accelmap
