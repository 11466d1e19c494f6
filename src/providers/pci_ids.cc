// pci.ids: an index pass, then the names of the ids asked from their blocks (pci_ids.h).
#include "providers/pci_ids.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__SSE2__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "parse/parse.h"

namespace accelmap::providers {
namespace {

constexpr std::size_t npos = std::string_view::npos;

// Hex digit value, or -1. Not std::isxdigit: that is a locale-aware call per byte.
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool hex_at(std::string_view s, std::size_t pos, std::size_t n, std::uint32_t& out) {
  if (pos + n > s.size()) return false;
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    int d = hex_value(s[pos + i]);
    if (d < 0) return false;
    v = v << 4 | static_cast<std::uint32_t>(d);
  }
  out = v;
  return true;
}

// An id line at `depth` tabs: "VVVV  ", "\tDDDD  "; the id in `id`.
bool id_line(std::string_view line, std::size_t depth, std::uint32_t& id) {
  for (std::size_t i = 0; i < depth; ++i)
    if (i >= line.size() || line[i] != '\t') return false;
  return hex_at(line, depth, 4, id) && line.substr(depth + 4, 2) == "  ";
}

std::string name_after(std::string_view line, std::size_t skip) {
  if (skip >= line.size()) return {};
  std::string_view s = parse::trim(line.substr(skip));
  if (s.empty() || !parse::is_clean_text(s)) return {};
  return std::string(s);
}

// Lines that start with something other than '\t', '#' or a newline: vendor,
// class and stray lines, the only ones that can end a vendor's block.
bool top(char c) { return c != '\t' && c != '#' && c != '\n'; }

// What the lines ahead can be skipped to, unread.
enum class Skip : std::uint8_t {
  kNothing,         // every line matters
  kToTopLine,       // outside the blocks asked for: to the next top line
  kPastSubsystems,  // in a vendor's block, between asked devices: past "\t\t" lines
};

// Whether the line starting at d[p] (with `avail` bytes from there) stops a skip;
// nullopt when too few bytes are there to tell.
std::optional<bool> stops(const char* d, std::size_t p, std::size_t avail, Skip skip) {
  if (skip == Skip::kToTopLine) {
    if (avail < 1) return std::nullopt;
    return top(d[p]);
  }
  if (avail < 2) return std::nullopt;
  return !(d[p] == '\t' && d[p + 1] == '\t');
}

// Device lines ("\tDDDD  name") a vendor's block can be skipped past while
// looking for the devices asked: all but those whose four id bytes, folded to
// lower case (| 0x20: hex letters only move, digits stay), are an asked id.
// Intel's block has ~3,000 device lines; handed one by one to the reader they
// were most of a names pass. The reader checks every line it is handed, so a
// byte that folds onto a hex digit only costs a look.
class DeviceFilter {
 public:
  void set(const std::vector<std::uint32_t>& ids) {
    folded_.clear();
    for (std::uint32_t id : ids) {
      static constexpr char kHex[] = "0123456789abcdef";
      const char text[4] = {kHex[id >> 12 & 15], kHex[id >> 8 & 15], kHex[id >> 4 & 15], kHex[id & 15]};
      std::uint32_t w = 0;
      std::memcpy(&w, text, 4);
      folded_.push_back(w);
    }
  }
  // Whether the line starting at d[p] is a device line for none of the ids;
  // false when fewer than five of its bytes are here.
  bool passes_over(const char* d, std::size_t p, std::size_t len) const {
    if (p + 5 > len || d[p] != '\t' || d[p + 1] == '\t') return false;
    std::uint32_t w = 0;
    std::memcpy(&w, d + p + 1, 4);
    w |= 0x20202020u;
    for (std::uint32_t f : folded_)
      if (f == w) return false;
    return true;
  }

 private:
  std::vector<std::uint32_t> folded_;
};

#if defined(__x86_64__)
// The skip to top lines, 32 bytes a step with AVX2 where the CPU has it (the
// index pass runs it over the whole 1.3 MB file, beside the providers): the
// first line start in [i, len) after a newline whose first byte is not a tab,
// '#' or newline, or npos with `*resume` where the byte-wise scan goes on.
__attribute__((target("avx2"))) std::size_t next_top_line_avx2(const char* d, std::size_t i, std::size_t len,
                                                                std::size_t* resume) {
  const __m256i nl = _mm256_set1_epi8('\n');
  const __m256i tab = _mm256_set1_epi8('\t');
  const __m256i hash = _mm256_set1_epi8('#');
  for (; i + 33 <= len; i += 32) {
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(d + i));
    const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(d + i + 1));
    const __m256i not_top =
        _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(b, tab), _mm256_cmpeq_epi8(b, hash)), _mm256_cmpeq_epi8(b, nl));
    const auto m = static_cast<unsigned>(_mm256_movemask_epi8(_mm256_andnot_si256(not_top, _mm256_cmpeq_epi8(a, nl))));
    if (m != 0) return i + static_cast<std::size_t>(__builtin_ctz(m)) + 1;
  }
  *resume = i;
  return npos;
}
#endif

// The first line start p in (from, len) whose line stops `skip`, or npos when
// none can be told in the buffer. 95% of pci.ids' ~40,000 lines are device,
// subsystem or comment lines; sixteen bytes at a time with GCC/Clang vector
// extensions (SSE2 on x86-64, NEON on arm64), a chunk with nothing to stop at
// costs a few instructions, where a memchr per line spent ~11 ns of call
// overhead on each.
// `devices` (in a vendor's block, between asked devices) passes over the device
// lines nobody asked for without leaving the loop; `wide` takes the AVX2 loop
// for the skip to top lines.
std::size_t next_stop(const char* d, std::size_t from, std::size_t len, Skip skip, const DeviceFilter* devices,
                      bool wide) {
#if defined(__x86_64__)
  if (skip == Skip::kToTopLine && wide) {
    const std::size_t p = next_top_line_avx2(d, from, len, &from);
    if (p != npos) return p;
  }
#else
  (void)wide;
#endif
  typedef unsigned char v16 __attribute__((vector_size(16)));
  const v16 nl = {10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10};
  const v16 tab = {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9};
  const v16 hash = {35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35};
  std::size_t i = from;
  // Newlines in [i, i+16), looking at the two bytes after each.
  for (; i + 18 <= len; i += 16) {
    v16 a, b, c;
    std::memcpy(&a, d + i, 16);
    std::memcpy(&b, d + i + 1, 16);
    std::memcpy(&c, d + i + 2, 16);
    v16 m = skip == Skip::kToTopLine ? (a == nl) & (b != tab) & (b != hash) & (b != nl)
                                     : (a == nl) & ~((b == tab) & (c == tab));
    std::uint64_t w[2];
    std::memcpy(w, &m, 16);
    if ((w[0] | w[1]) == 0) continue;
#if defined(__SSE2__)
    // One bit per line start found, lowest first: a chunk holding a device
    // line the filter passes over costs a few instructions, not sixteen tests.
    for (unsigned bits = static_cast<unsigned>(_mm_movemask_epi8(reinterpret_cast<__m128i>(m))); bits != 0;
         bits &= bits - 1) {
      const std::size_t p = i + static_cast<std::size_t>(__builtin_ctz(bits)) + 1;
      if (!(devices && devices->passes_over(d, p, len))) return p;
    }
#else
    for (std::size_t k = 0; k < 16; ++k)
      if (m[k] && !(devices && devices->passes_over(d, i + k + 1, len))) return i + k + 1;
#endif
  }
  for (; i + 1 < len; ++i)
    if (d[i] == '\n') {
      std::optional<bool> stop = stops(d, i + 1, len - i - 1, skip);
      if (!stop) return npos;
      if (*stop && !(devices && devices->passes_over(d, i + 1, len))) return i + 1;
    }
  return npos;
}

Status open_error(const std::string& path, int e) {
  StatusCode code = e == ENOENT                 ? StatusCode::kNotFound
                    : e == EACCES || e == EPERM ? StatusCode::kPermissionDenied
                                                : StatusCode::kIoError;
  return Status(code, path + ": " + std::strerror(e));
}

// What was asked, arranged the way the file is: vendor -> device -> subsystems.
struct Wanted {
  struct Device {
    std::set<std::pair<std::uint32_t, std::uint32_t>> subsystems;
  };
  struct Vendor {
    std::map<std::uint32_t, Device> devices;
  };
  std::map<std::uint32_t, Vendor> vendors;
  std::map<std::uint32_t, std::set<std::uint32_t>> classes;  // base -> subclasses
};

// The names found, keyed as asked.
struct Found {
  std::map<std::uint32_t, std::string> vendor;
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::string> device;
  std::map<std::array<std::uint32_t, 4>, std::string> subsystem;
  std::map<std::uint32_t, std::string> class_base;
  std::map<std::uint32_t, std::string> subclass;  // base << 8 | sub
};

// The line-by-line meaning of the file, fed one complete line at a time.
class Reader {
 public:
  Reader(const Wanted& w, Found& f) : w_(w), f_(f) {}

  // What the lines from here on can be skipped to. Once every device asked
  // of a vendor is found (and its subsystem lines are read), the rest of the
  // block is skipped too: Intel's block alone is 372 KB.
  Skip skip() const {
    if (in_class_) return Skip::kNothing;
    if (vendor_ == nullptr) return Skip::kToTopLine;
    if (device_ != nullptr) return Skip::kNothing;
    return devices_left_ == 0 ? Skip::kToTopLine : Skip::kPastSubsystems;
  }

  bool in_classes() const { return classes_started_; }

  void line(std::string_view l) {
    if (l.empty() || l[0] == '#') return;  // comments and blank lines change nothing
    if (top(l[0])) return top_line(l);
    if (vendor_ != nullptr) return vendor_line(l);
    if (in_class_) class_line(l);
  }

 private:
  void top_line(std::string_view l) {
    device_ = nullptr;
    in_class_ = false;
    if (l.size() >= 2 && l[0] == 'C' && l[1] == ' ') {
      // The class section: no vendor blocks after its first line.
      classes_started_ = true;
      vendor_ = nullptr;
      std::uint32_t base = 0;
      if (!hex_at(l, 2, 2, base) || f_.class_base.count(base)) return;
      auto it = w_.classes.find(base);
      if (it == w_.classes.end()) return;
      f_.class_base[base] = name_after(l, 6);
      class_ = &*it;
      in_class_ = true;
      return;
    }
    if (classes_started_) return;
    std::uint32_t id = 0;
    if (!id_line(l, 0, id)) return;  // a stray line does not end a vendor's block
    vendor_ = nullptr;
    vendor_id_ = id;
    auto it = w_.vendors.find(id);
    // Only a vendor's first block counts (as a lookup by id would find): its
    // name is recorded there, so a later block finds it set.
    if (it == w_.vendors.end() || f_.vendor.count(id)) return;
    f_.vendor[id] = name_after(l, 6);
    vendor_ = &it->second;
    devices_left_ = vendor_->devices.size();
  }

  void vendor_line(std::string_view l) {
    if (l.size() >= 2 && l[1] == '\t') {
      if (device_ == nullptr) return;
      std::uint32_t sv = 0, sd = 0;
      if (!hex_at(l, 2, 4, sv) || l.size() <= 6 || l[6] != ' ' || !hex_at(l, 7, 4, sd)) return;
      if (!device_->subsystems.count({sv, sd})) return;
      f_.subsystem.try_emplace({vendor_id_, device_id_, sv, sd}, name_after(l, 13));
      return;
    }
    // Any other line ends the subsystem lines of the device before it.
    device_ = nullptr;
    std::uint32_t id = 0;
    if (!id_line(l, 1, id)) return;
    auto it = vendor_->devices.find(id);
    // Only a device's first line counts; its name is recorded there.
    if (it == vendor_->devices.end() || f_.device.count({vendor_id_, id})) return;
    f_.device[{vendor_id_, id}] = name_after(l, 7);
    --devices_left_;
    if (it->second.subsystems.empty()) return;
    device_ = &it->second;
    device_id_ = id;
  }

  void class_line(std::string_view l) {
    if (l.size() >= 2 && l[1] == '\t') return;  // programming interfaces
    std::uint32_t sub = 0;
    if (!hex_at(l, 1, 2, sub) || !class_->second.count(sub)) return;
    f_.subclass.try_emplace(class_->first << 8 | sub, name_after(l, 5));
  }

  const Wanted& w_;
  Found& f_;
  const Wanted::Vendor* vendor_ = nullptr;  // the block being read, when asked for
  std::uint32_t vendor_id_ = 0;
  std::size_t devices_left_ = 0;           // asked of vendor_ and not found yet
  const Wanted::Device* device_ = nullptr;  // its subsystem lines are being read
  std::uint32_t device_id_ = 0;
  bool classes_started_ = false;
  bool in_class_ = false;
  const std::pair<const std::uint32_t, std::set<std::uint32_t>>* class_ = nullptr;
};

// The names sink: the line-by-line meaning above, fed one block at a time. A
// vendor's block is done once every device asked of it is found and its
// subsystem lines are read (Intel's block alone is 372 KB); the class section
// runs to the end of the file.
class BlockReader {
 public:
  BlockReader(const Wanted& w, Found& f) : reader_(w, f) {}
  Skip skip() const { return reader_.skip(); }
  void line(std::string_view l, std::uint64_t /*offset*/) {
    fed_ = true;
    reader_.line(l);
  }
  bool done() const { return fed_ && !reader_.in_classes() && reader_.skip() == Skip::kToTopLine; }
  // The next block read is `vendor`'s (nullptr: the class section).
  void next_block(const Wanted::Vendor* vendor) {
    fed_ = false;
    std::vector<std::uint32_t> ids;
    if (vendor != nullptr)
      for (const auto& [id, device] : vendor->devices) ids.push_back(id);
    devices_.set(ids);
  }
  const DeviceFilter* device_filter() const { return &devices_; }

 private:
  Reader reader_;
  bool fed_ = false;
  DeviceFilter devices_;
};

// The index sink: every top line, where vendor blocks start and the class
// section begins (after which there are no vendor blocks).
class IndexWriter {
 public:
  explicit IndexWriter(std::vector<std::pair<std::uint32_t, std::uint64_t>>& starts) : starts_(starts) {}
  Skip skip() const { return Skip::kToTopLine; }
  void line(std::string_view l, std::uint64_t offset) {
    if (l.size() >= 2 && l[0] == 'C' && l[1] == ' ') {
      classes_begin_ = offset;
      return;
    }
    std::uint32_t id = 0;
    if (id_line(l, 0, id)) starts_.emplace_back(id, offset);  // a stray line starts nothing
  }
  bool done() const { return classes_begin_ != kNoOffset; }
  const DeviceFilter* device_filter() const { return nullptr; }  // it skips to top lines only
  std::uint64_t classes_begin() const { return classes_begin_; }

  static constexpr std::uint64_t kNoOffset = ~std::uint64_t{0};

 private:
  std::vector<std::pair<std::uint32_t, std::uint64_t>>& starts_;
  std::uint64_t classes_begin_ = kNoOffset;
};

// Feeds `sink` the lines of bytes [begin, end) of the file (`end` past the
// file's end reads to its end) that its skip() does not pass over, until it is
// done(), through `buf` (a line longer than `buf` grows it). Sets `*read_to` to
// the offset the reading reached. Stops with kInvalidArgument past
// kMaxPciIdsBytes, and quietly between chunks once `cancel` reads true.
//
// Aligned to a cache line: the skip loops inlined here are most of a small
// machine's names pass, and where they fell relative to 32- and 64-byte
// boundaries followed wherever the linker put the function. An unrelated change
// elsewhere in the library once moved the pass by 16 bytes and made it a fifth
// slower (perf: 11.9% -> 15.3% of a live discovery, the same code).
template <class Sink>
__attribute__((aligned(64))) Status stream_lines(int fd, const std::string& path, std::uint64_t begin, std::uint64_t end,
                                                 std::vector<char>& buf, Sink& sink, const std::atomic<bool>* cancel,
                                                 std::uint64_t* read_to, bool wide) {
  std::uint64_t base = begin;  // the file offset of buf[0]
  std::size_t len = 0;         // bytes in buf
  std::size_t pos = 0;         // where the unread text starts
  bool line_start = true;      // pos is the start of a line
  bool eof = false;
  // Keeps [pos, len), reads more after it.
  auto fill = [&]() -> Status {
    std::memmove(buf.data(), buf.data() + pos, len - pos);
    base += pos;
    len -= pos;
    pos = 0;
    if (len == buf.size()) buf.resize(buf.size() * 2);
    const std::uint64_t at = base + len;
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size() - len, end > at ? end - at : 0));
    if (want == 0) {
      eof = true;
      return Status();
    }
    for (;;) {
      ssize_t r = ::pread(fd, buf.data() + len, want, static_cast<off_t>(at));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return Status(StatusCode::kIoError, path + ": " + std::strerror(errno));
      if (r == 0) eof = true;
      len += static_cast<std::size_t>(r);
      if (base + len > kMaxPciIdsBytes)
        return Status(StatusCode::kInvalidArgument, path + ": larger than " + std::to_string(kMaxPciIdsBytes) + " bytes");
      return Status();
    }
  };
  auto line_at = [&](std::size_t start) {  // feeds the line at `start`; false when its end is not here yet
    const void* nl = std::memchr(buf.data() + start, '\n', len - start);
    if (nl == nullptr && !eof) return false;
    std::size_t stop = nl != nullptr ? static_cast<std::size_t>(static_cast<const char*>(nl) - buf.data()) : len;
    sink.line(std::string_view(buf.data() + start, stop - start), base + start);
    pos = nl != nullptr ? stop + 1 : len;
    return true;
  };
  for (;;) {
    if (sink.done()) break;
    const char* d = buf.data();
    if (!line_start) {  // skipped into the middle of a line: resume after it
      const void* nl = std::memchr(d + pos, '\n', len - pos);
      if (nl != nullptr) {
        pos = static_cast<std::size_t>(static_cast<const char*>(nl) - d) + 1;
        line_start = true;
        continue;
      }
      pos = len;
    } else if (pos < len) {
      const Skip skip = sink.skip();
      // Whether the line at pos stops the skip: nullopt when too few of its bytes are here.
      const DeviceFilter* devices = skip == Skip::kPastSubsystems ? sink.device_filter() : nullptr;
      std::optional<bool> here = skip == Skip::kNothing ? std::optional<bool>(true) : stops(d, pos, len - pos, skip);
      if (here == true && devices && devices->passes_over(d, pos, len)) here = false;
      if (here == true) {
        if (line_at(pos)) continue;
      } else if (!here) {
        // A line of one byte so far: more bytes tell, or it is the range's last line.
        if (eof && line_at(pos)) continue;
      } else {
        std::size_t p = next_stop(d, pos, len, skip, devices, wide);
        if (p != npos) {
          pos = p;
          continue;
        }
        // No stop told in the buffer. Keep from the last newline on: the line
        // after it may be one that more bytes tell about (or, at the end of the
        // range, a last line too short to tell: it is read).
        const void* last = ::memrchr(d + pos, '\n', len - pos);
        if (last == nullptr) {
          line_start = false;
          pos = len;
        } else {
          pos = static_cast<std::size_t>(static_cast<const char*>(last) - d) + 1;
          if (eof && pos < len && line_at(pos)) continue;
        }
      }
    }
    if (eof) break;
    if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) break;
    if (Status s = fill(); !s.is_ok()) return s;
  }
  *read_to = base + len;
  return Status();
}

}  // namespace

PciIdsFile::~PciIdsFile() {
  if (fd_ >= 0) ::close(fd_);
}

PciIdsFile::PciIdsFile(PciIdsFile&& other) noexcept
    : path_(std::move(other.path_)),
      fd_(std::exchange(other.fd_, -1)),
      chunk_bytes_(other.chunk_bytes_),
      wide_scan_(other.wide_scan_),
      indexed_(other.indexed_),
      blocks_(std::move(other.blocks_)),
      classes_begin_(other.classes_begin_) {}

Result<PciIdsFile> PciIdsFile::open(const std::string& path, std::size_t chunk_bytes, Scan scan) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return open_error(path, errno);
  PciIdsFile file;
  file.path_ = path;
  file.fd_ = fd;
  file.chunk_bytes_ = std::max<std::size_t>(chunk_bytes, 16);
#if defined(__x86_64__)
  file.wide_scan_ = scan == Scan::kWidest && __builtin_cpu_supports("avx2");
#else
  (void)scan;
#endif
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Status(StatusCode::kIoError, path + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return Status(StatusCode::kInvalidArgument, path + ": not a regular file");
  if (static_cast<std::uint64_t>(st.st_size) > kMaxPciIdsBytes)
    return Status(StatusCode::kInvalidArgument, path + ": larger than " + std::to_string(kMaxPciIdsBytes) + " bytes");
  return file;
}

Status PciIdsFile::index(const std::atomic<bool>* cancel) {
  std::vector<std::pair<std::uint32_t, std::uint64_t>> starts;  // (vendor, offset) in file order
  starts.reserve(4096);                                          // Debian 12's file has ~2,300 vendors
  IndexWriter writer(starts);
  std::vector<char> buf(chunk_bytes_);
  std::uint64_t read_to = 0;
  if (Status s = stream_lines(fd_, path_, 0, kMaxPciIdsBytes + 1, buf, writer, cancel, &read_to, wide_scan_);
      !s.is_ok())
    return s;
  if (cancel != nullptr && cancel->load(std::memory_order_relaxed) && !writer.done() && read_to < kMaxPciIdsBytes)
    return Status(StatusCode::kInternal, path_ + ": indexing stopped");
  if (read_to == 0) return Status(StatusCode::kInvalidArgument, path_ + ": empty");
  // A block runs to the next vendor line, whichever vendor it names, else to
  // the class section, else to the end of the file.
  classes_begin_ = writer.classes_begin();
  const std::uint64_t vendors_end = writer.done() ? classes_begin_ : read_to;
  blocks_.clear();
  blocks_.reserve(starts.size());
  for (std::size_t i = 0; i < starts.size(); ++i)
    blocks_.push_back(Block{starts[i].first, starts[i].second, i + 1 < starts.size() ? starts[i + 1].second : vendors_end});
  // Only a vendor's first block counts (as a lookup by id would find): a stable
  // sort by id keeps it first among its duplicates.
  std::stable_sort(blocks_.begin(), blocks_.end(), [](const Block& a, const Block& b) { return a.vendor < b.vendor; });
  blocks_.erase(std::unique(blocks_.begin(), blocks_.end(), [](const Block& a, const Block& b) { return a.vendor == b.vendor; }),
                blocks_.end());
  indexed_ = true;
  return Status();
}

Result<PciNameAnswers> PciIdsFile::names(const std::set<PciIds>& functions, const std::set<std::uint32_t>& classes) const {
  if (!indexed_) return Status(StatusCode::kInternal, path_ + ": names asked before the file was indexed");
  Wanted want;
  for (const PciIds& f : functions) {
    if (f.vendor < 0 || f.vendor > 0xffff) continue;
    auto& v = want.vendors[static_cast<std::uint32_t>(f.vendor)];
    if (f.device < 0 || f.device > 0xffff) continue;
    auto& d = v.devices[static_cast<std::uint32_t>(f.device)];
    if (f.subsystem_vendor >= 0 && f.subsystem_vendor <= 0xffff && f.subsystem_device >= 0 &&
        f.subsystem_device <= 0xffff)
      d.subsystems.insert({static_cast<std::uint32_t>(f.subsystem_vendor), static_cast<std::uint32_t>(f.subsystem_device)});
  }
  for (std::uint32_t c : classes) want.classes[c >> 8 & 0xff].insert(c & 0xff);

  Found found;
  BlockReader reader(want, found);
  std::vector<char> buf(chunk_bytes_);
  std::uint64_t read_to = 0;
  for (const auto& [vendor, asked] : want.vendors) {
    auto it = std::lower_bound(blocks_.begin(), blocks_.end(), vendor,
                               [](const Block& b, std::uint32_t v) { return b.vendor < v; });
    if (it == blocks_.end() || it->vendor != vendor) continue;
    reader.next_block(&asked);
    if (Status s = stream_lines(fd_, path_, it->begin, it->end, buf, reader, nullptr, &read_to, wide_scan_);
        !s.is_ok())
      return s;
  }
  if (!want.classes.empty() && classes_begin_ != IndexWriter::kNoOffset) {
    reader.next_block(nullptr);
    if (Status s =
            stream_lines(fd_, path_, classes_begin_, kMaxPciIdsBytes + 1, buf, reader, nullptr, &read_to, wide_scan_);
        !s.is_ok())
      return s;
  }

  PciNameAnswers out;
  auto get = [](const auto& m, const auto& k) {
    auto it = m.find(k);
    return it == m.end() ? std::string() : it->second;
  };
  for (const PciIds& f : functions) {
    PciNames n;
    if (f.vendor >= 0 && f.vendor <= 0xffff) {
      auto v = static_cast<std::uint32_t>(f.vendor);
      n.vendor = get(found.vendor, v);
      if (f.device >= 0 && f.device <= 0xffff) {
        auto dev = static_cast<std::uint32_t>(f.device);
        n.device = get(found.device, std::pair{v, dev});
        if (f.subsystem_vendor >= 0 && f.subsystem_device >= 0 && f.subsystem_vendor <= 0xffff &&
            f.subsystem_device <= 0xffff)
          n.subsystem = get(found.subsystem, std::array<std::uint32_t, 4>{v, dev, static_cast<std::uint32_t>(f.subsystem_vendor),
                                                                          static_cast<std::uint32_t>(f.subsystem_device)});
      }
    }
    out.functions.emplace(f, std::move(n));
  }
  for (std::uint32_t c : classes) {
    std::string sub = get(found.subclass, c & 0xffff);
    out.classes.emplace(c, sub.empty() ? get(found.class_base, c >> 8 & 0xff) : sub);
  }
  return out;
}

Result<PciNameAnswers> read_pci_names(const std::string& path, const std::set<PciIds>& functions,
                                      const std::set<std::uint32_t>& classes, std::size_t chunk_bytes, Scan scan) {
  auto file = PciIdsFile::open(path, chunk_bytes, scan);
  if (!file) return file.error();
  if (Status s = file->index(); !s.is_ok()) return s;
  return file->names(functions, classes);
}

}  // namespace accelmap::providers
