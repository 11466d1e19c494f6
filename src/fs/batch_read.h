// BatchReader: many small files of one open directory read with one system
// call (io_uring: open, read, close per file, linked), for recorded trees.
//
// Why: on a recorded tree every attribute costs openat + read + close, and on
// the VMs this project is measured on a system call costs 2-5 us, so a PCI
// function's dozen attributes cost more in system-call entries than in work.
// Submitted together, the kernel does the same opens and reads without the
// entries (5.5 -> 1.3 us per file measured on an ext4 recording).
// Not for the live sysfs: kernfs reads cannot be done without blocking, so
// io_uring hands each to a worker thread, and batches there measured twice as
// slow as plain reads. FsRoot only batches directories that are not sysfs or
// procfs (checked with fstatfs once per top-level folder of the root).
//
// Exactness: only what the caller's plain read would return is kept: a read
// that filled the buffer (a file that may be longer), an empty read, and any
// error are dropped, and the caller reads those the plain way, with its checks
// and its messages.
//
// Thread-safety: one batch at a time per BatchReader (internally locked).
// Availability: built with liburing when the build found it; at run time a
// kernel without io_uring, or one that refuses it (seccomp, the
// kernel.io_uring_disabled sysctl), makes available() false for good.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace accelmap::internal {

class BatchReader {
 public:
  /// A batch keeps files shorter than this; longer ones are left to the caller.
  /// Bytes. Sysfs attributes are mostly a few bytes; a NUMA node's meminfo is
  /// 1.1-1.3 KiB, so 2 KiB keeps it in the batch.
  static constexpr std::size_t kBufferBytes = 2048;
  /// Files per submission (each is three linked operations); more are read in
  /// several submissions. Why 21: the ring's size is a fixed cost of every
  /// FsRoot that batches, paid again when it is torn down (munmap of its pages,
  /// with a TLB flush), and 21 files fill a 64-entry ring. Setting up and
  /// tearing down a ring measured 25 + 30 us at 64 entries against 32 + 107-138
  /// us at 256 (the 48 slots before), which was about a tenth of a small
  /// tree's discovery (perf). Of the batches of the 20 benchmark trees only
  /// rocm-mi308x-cpx's (33 of up to 34 KFD properties files) and one per
  /// synthetic tree of 1,000 devices or more ask for more than 21 files: they
  /// take one more submission each, a system call entry, not more work.
  static constexpr std::size_t kSlots = 21;
  /// Submission queue entries: three per file, rounded up to a power of two.
  static constexpr unsigned kRingEntries = 64;
  static_assert(kSlots * 3 <= kRingEntries);

  BatchReader();
  ~BatchReader();
  BatchReader(const BatchReader&) = delete;
  BatchReader& operator=(const BatchReader&) = delete;

  /// False when io_uring could not be set up (or was not built in). Not
  /// synchronised with read_files(), which may give up on io_uring for good.
  bool available() const noexcept;

  /// Reads each regular file `names[i]` below the open directory `dirfd`
  /// (openat with O_NOFOLLOW | O_NONBLOCK, as FsDir does) and returns the
  /// (name, contents) pairs that read completely, in the order of `names`. An
  /// empty text is returned too: the caller knows whether that name was seen
  /// to be an empty regular file, or must read it plainly (a FIFO swapped in
  /// reads empty as well).
  std::vector<std::pair<std::string, std::string>> read_files(int dirfd, const std::vector<std::string_view>& names);

  /// Like read_files, for paths below `dirfd` of the form "sub/leaf" that the
  /// caller has seen to be regular files (FsDir types them as read_below does),
  /// opened with openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS: a link or ".."
  /// anywhere fails the open and leaves the file to the caller.
  std::vector<std::pair<std::string, std::string>> read_files_below(int dirfd,
                                                                    const std::vector<std::string_view>& paths);

 private:
  // One or more submissions of open + read + close for `names`; `below` opens
  // with openat2 as read_files_below says, else with openat O_NOFOLLOW. Locked by the caller.
  std::vector<std::pair<std::string, std::string>> read_locked(int dirfd, const std::vector<std::string_view>& names,
                                                               bool below);
  template <typename OnCqe>
  bool submit_and_collect(std::size_t queued, OnCqe&& on_cqe);
  void abandon();
  struct Ring;
  std::mutex mu_;
  std::unique_ptr<Ring> ring_;
};

}  // namespace accelmap::internal
