#include "fs/batch_read.h"

#include <fcntl.h>
#include <linux/openat2.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#if ACCELMAP_HAVE_LIBURING
#include <liburing.h>
#endif

namespace accelmap::internal {

#if ACCELMAP_HAVE_LIBURING

// The ring, a sparse table of kSlots direct descriptors (opened files never
// enter the process's descriptor table, so nothing leaks into a fork), and a
// buffer per slot.
struct BatchReader::Ring {
  io_uring ring{};
  bool ok = false;
  std::unique_ptr<char[]> buffers{new char[kSlots * kBufferBytes]};  // not zeroed: only read into

  Ring() {
    if (io_uring_queue_init(kRingEntries, &ring, 0) != 0) return;
    if (io_uring_register_files_sparse(&ring, static_cast<unsigned>(kSlots)) != 0) {
      io_uring_queue_exit(&ring);
      return;
    }
    ok = true;
  }
  ~Ring() {
    if (ok) io_uring_queue_exit(&ring);
  }
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;
};

BatchReader::BatchReader() : ring_(std::make_unique<Ring>()) {
  if (!ring_->ok) ring_.reset();
}

BatchReader::~BatchReader() = default;

bool BatchReader::available() const noexcept { return ring_ != nullptr; }

// Gives up on batches after a failed submission or wait, when reads may still
// be in flight: the ring's teardown cancels them asynchronously, and one that
// completes after the buffers were freed would write into memory malloc has
// handed out again. So the buffers are not given back (42 KiB, once, after a
// kernel error). The same was seen with rings kept in our own pages
// (IORING_SETUP_NO_MMAP, tried): freed right after closing the ring, they were
// written to by the kernel and the heap broke within a thousand discoveries.
void BatchReader::abandon() {
  (void)ring_->buffers.release();
  ring_.reset();
}

// Submits the `queued` operations prepared on the ring and hands each
// completion's user data and result to `on_cqe`. False when the kernel took
// none of them or waiting failed: batches are given up for good (ring_ reset),
// and callers read plainly from then on.
template <typename OnCqe>
bool BatchReader::submit_and_collect(std::size_t queued, OnCqe&& on_cqe) {
  io_uring* ring = &ring_->ring;
  if (io_uring_submit_and_wait(ring, static_cast<unsigned>(queued)) < 0) {
    abandon();
    return false;
  }
  for (std::size_t seen = 0; seen < queued;) {
    io_uring_cqe* cqe = nullptr;
    int r = io_uring_wait_cqe(ring, &cqe);
    if (r == -EINTR) continue;
    if (r < 0) {
      abandon();
      return false;
    }
    on_cqe(io_uring_cqe_get_data64(cqe), cqe->res);
    io_uring_cqe_seen(ring, cqe);
    ++seen;
  }
  return true;
}

std::vector<std::pair<std::string, std::string>> BatchReader::read_files(int dirfd,
                                                                         const std::vector<std::string_view>& names) {
  std::lock_guard<std::mutex> lock(mu_);
  return read_locked(dirfd, names, /*below=*/false);
}

std::vector<std::pair<std::string, std::string>> BatchReader::read_files_below(
    int dirfd, const std::vector<std::string_view>& paths) {
  std::lock_guard<std::mutex> lock(mu_);
  return read_locked(dirfd, paths, /*below=*/true);
}

std::vector<std::pair<std::string, std::string>> BatchReader::read_locked(int dirfd,
                                                                          const std::vector<std::string_view>& names,
                                                                          bool below) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!ring_) return out;
  io_uring* ring = &ring_->ring;
  // Read by the kernel while the submission is taken (io_openat2_prep copies it).
  open_how how{};
  how.flags = static_cast<std::uint64_t>(O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  enum Op : std::uint64_t { kOpen = 0, kRead = 1, kClose = 2 };
  std::vector<std::string> cnames;  // NUL-terminated, alive until the batch completes
  std::vector<int> read_len;
  for (std::size_t start = 0; start < names.size(); start += kSlots) {
    const std::size_t n = std::min(kSlots, names.size() - start);
    cnames.assign(names.begin() + static_cast<std::ptrdiff_t>(start),
                  names.begin() + static_cast<std::ptrdiff_t>(start + n));
    read_len.assign(n, -1);
    std::size_t queued = 0;
    for (std::size_t i = 0; i < n; ++i) {
      io_uring_sqe* open = io_uring_get_sqe(ring);
      io_uring_sqe* read = io_uring_get_sqe(ring);
      io_uring_sqe* close = io_uring_get_sqe(ring);
      if (!open || !read || !close) break;  // cannot happen: the ring holds 3 * kSlots entries
      const unsigned slot = static_cast<unsigned>(i);
      if (below)
        io_uring_prep_openat2_direct(open, dirfd, cnames[i].c_str(), &how, slot);
      else
        io_uring_prep_openat_direct(open, dirfd, cnames[i].c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY, 0,
                                    slot);
      open->flags |= IOSQE_IO_LINK;
      io_uring_sqe_set_data64(open, i << 2 | kOpen);
      io_uring_prep_read(read, static_cast<int>(slot), ring_->buffers.get() + i * kBufferBytes,
                         static_cast<unsigned>(kBufferBytes), 0);
      // A hard link: the close runs even when the read fails.
      read->flags |= IOSQE_FIXED_FILE | IOSQE_IO_HARDLINK;
      io_uring_sqe_set_data64(read, i << 2 | kRead);
      io_uring_prep_close_direct(close, slot);
      io_uring_sqe_set_data64(close, i << 2 | kClose);
      queued += 3;
    }
    if (!submit_and_collect(queued, [&](std::uint64_t data, int r) {
          if ((data & 3) == kRead) read_len[data >> 2] = r;
        }))
      return out;
    for (std::size_t i = 0; i < n; ++i) {
      int len = read_len[i];
      if (len < 0 || static_cast<std::size_t>(len) >= kBufferBytes) continue;
      out.emplace_back(std::move(cnames[i]), std::string(ring_->buffers.get() + i * kBufferBytes,
                                                         static_cast<std::size_t>(len)));
    }
  }
  return out;
}

#else  // no liburing at build time: never available

struct BatchReader::Ring {};
BatchReader::BatchReader() = default;
BatchReader::~BatchReader() = default;
bool BatchReader::available() const noexcept { return false; }
std::vector<std::pair<std::string, std::string>> BatchReader::read_files(int, const std::vector<std::string_view>&) {
  return {};
}
std::vector<std::pair<std::string, std::string>> BatchReader::read_files_below(int,
                                                                               const std::vector<std::string_view>&) {
  return {};
}

#endif

}  // namespace accelmap::internal
