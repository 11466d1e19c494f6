// The PCI ID database: loading, the vendor index, lookups (accelmap/pci_ids.h).
#include "accelmap/pci_ids.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "parse/parse.h"

namespace accelmap {
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

std::size_t line_end(std::string_view s, std::size_t pos) {
  if (pos >= s.size()) return s.size();
  const void* nl = std::memchr(s.data() + pos, '\n', s.size() - pos);
  return nl == nullptr ? s.size() : static_cast<std::size_t>(static_cast<const char*>(nl) - s.data());
}

std::string clean_name(std::string_view s) {
  s = parse::trim(s);
  if (s.empty() || !parse::is_clean_text(s)) return {};
  return std::string(s);
}

// Calls `f(pos)` for the start of every line that begins with something other
// than '\t', '#' or '\n' (vendor lines, class lines, stray lines), in order,
// until `f` returns false. 95% of pci.ids' ~40,000 lines are device, subsystem
// or comment lines; a memchr per line spent ~11 ns of call overhead on each
// (0.45 ms for the file). Sixteen bytes at a time, with GCC/Clang vector
// extensions (SSE2 on x86-64, NEON on arm64, plain code elsewhere), a chunk
// without such a line start costs a few instructions.
template <typename F>
void for_each_top_line(std::string_view s, F&& f) {
  const char* d = s.data();
  const std::size_t n = s.size();
  auto top = [&](std::size_t p) { return d[p] != '\t' && d[p] != '#' && d[p] != '\n'; };
  if (n == 0) return;
  if (top(0) && !f(std::size_t{0})) return;
  typedef unsigned char v16 __attribute__((vector_size(16)));
  const v16 nl = {10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10};
  const v16 tab = {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9};
  const v16 hash = {35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35, 35};
  std::size_t i = 0;
  // Chunk [i, i+16) of newlines, looking at the bytes [i+1, i+17) after them.
  for (; i + 17 <= n; i += 16) {
    v16 a, b;
    std::memcpy(&a, d + i, 16);
    std::memcpy(&b, d + i + 1, 16);
    v16 m = (a == nl) & (b != tab) & (b != hash) & (b != nl);
    std::uint64_t w[2];
    std::memcpy(w, &m, 16);
    if ((w[0] | w[1]) == 0) continue;
    for (std::size_t k = 0; k < 16; ++k)
      if (m[k] && !f(i + k + 1)) return;
  }
  for (; i + 1 < n; ++i)
    if (d[i] == '\n' && top(i + 1) && !f(i + 1)) return;
}

}  // namespace

Result<std::shared_ptr<const PciIdDatabase>> PciIdDatabase::load(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    int e = errno;
    StatusCode code = e == ENOENT ? StatusCode::kNotFound
                      : e == EACCES || e == EPERM ? StatusCode::kPermissionDenied
                                                  : StatusCode::kIoError;
    return Status(code, path + ": " + std::strerror(e));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Status(StatusCode::kIoError, path + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return Status(StatusCode::kInvalidArgument, path + ": not a regular file");
  if (static_cast<std::uint64_t>(st.st_size) > kMaxBytes)
    return Status(StatusCode::kInvalidArgument, path + ": larger than " + std::to_string(kMaxBytes) + " bytes");
  // One read of the size fstat gave (plus one byte, to see a file that grew);
  // a file that changes while read is read as far as it goes, under the limit.
  std::string text(static_cast<std::size_t>(st.st_size) + 1, '\0');
  std::size_t got = 0;
  for (;;) {
    if (got == text.size()) {
      if (text.size() > kMaxBytes)
        return Status(StatusCode::kInvalidArgument, path + ": larger than " + std::to_string(kMaxBytes) + " bytes");
      text.resize(std::min(text.size() * 2, kMaxBytes + 1));
    }
    ssize_t r = ::read(fd, text.data() + got, text.size() - got);
    if (r < 0) {
      if (errno == EINTR) continue;
      return Status(StatusCode::kIoError, path + ": " + std::strerror(errno));
    }
    if (r == 0) break;
    got += static_cast<std::size_t>(r);
  }
  text.resize(got);
  if (text.empty()) return Status(StatusCode::kInvalidArgument, path + ": empty");
  return std::shared_ptr<const PciIdDatabase>(new PciIdDatabase(std::move(text)));
}

std::shared_ptr<const PciIdDatabase> PciIdDatabase::from_text(std::string text) {
  return std::shared_ptr<const PciIdDatabase>(new PciIdDatabase(std::move(text)));
}

PciIdDatabase::PciIdDatabase(std::string text) : text_(std::move(text)), db_(text_) { index_vendors(); }

// Every vendor line "VVVV  name" with the end of its block, and the start of
// the class section ("C CC  name" lines), which closes the file. Sorted by id
// afterwards, so an unsorted database still resolves; a stray line at column 0
// does not end a vendor's block (only the next vendor line does).
void PciIdDatabase::index_vendors() {
  class_start_ = db_.size();
  vendors_.reserve(4096);
  for_each_top_line(db_, [&](std::size_t p) {
    if (db_[p] == 'C' && p + 1 < db_.size() && db_[p + 1] == ' ') {
      class_start_ = p;
      return false;
    }
    if (!is_id_line(p, 0)) return true;
    if (!vendors_.empty()) vendors_.back().end = p;
    vendors_.push_back({id_at(p, 0), p, npos});
    return true;
  });
  if (!vendors_.empty()) vendors_.back().end = class_start_;
  std::stable_sort(vendors_.begin(), vendors_.end(), [](const Vendor& a, const Vendor& b) { return a.id < b.id; });
}

const PciIdDatabase::Vendor* PciIdDatabase::find_vendor(std::uint32_t vendor) const {
  auto it = std::lower_bound(vendors_.begin(), vendors_.end(), vendor,
                             [](const Vendor& v, std::uint32_t id) { return v.id < id; });
  return it != vendors_.end() && it->id == vendor ? &*it : nullptr;
}

// Offset of "\tDDDD  name" in the vendor's block, or npos. Device lines are
// sorted within a vendor, so they are bisected inside its own block only.
std::size_t PciIdDatabase::find_device(const Vendor& v, std::uint32_t device) const {
  std::size_t p = lower_bound(line_end(db_, v.line) + 1, v.end, 1, device);
  return p != npos && id_at(p, 1) == device ? p : npos;
}

std::string PciIdDatabase::vendor_name(std::uint32_t vendor) const {
  const Vendor* v = find_vendor(vendor);
  return v ? clean_name(line_text(v->line, 6)) : std::string();
}

std::string PciIdDatabase::device_name(std::uint32_t vendor, std::uint32_t device) const {
  const Vendor* v = find_vendor(vendor);
  if (!v) return {};
  std::size_t d = find_device(*v, device);
  return d == npos ? std::string() : clean_name(line_text(d, 7));
}

std::string PciIdDatabase::subsystem_name(std::uint32_t vendor, std::uint32_t device, std::uint32_t sv,
                                          std::uint32_t sd) const {
  const Vendor* v = find_vendor(vendor);
  if (!v) return {};
  std::size_t dline = find_device(*v, device);
  if (dline == npos) return {};
  for (std::size_t p = line_end(db_, dline) + 1; p < db_.size(); p = line_end(db_, p) + 1) {
    if (db_[p] == '#' || db_[p] == '\n') continue;
    if (db_.substr(p, 2) != "\t\t") break;  // next device or vendor
    std::uint32_t a = 0, b = 0;
    if (hex_at(db_, p + 2, 4, a) && p + 6 < db_.size() && db_[p + 6] == ' ' && hex_at(db_, p + 7, 4, b) && a == sv &&
        b == sd)
      return clean_name(line_text(p, 13));
  }
  return {};
}

std::string PciIdDatabase::class_name(std::uint32_t base, std::uint32_t sub) const {
  std::size_t c = npos;
  for (std::size_t p = class_start_; p < db_.size(); p = line_end(db_, p) + 1) {
    std::uint32_t id = 0;
    if (db_[p] == 'C' && p + 1 < db_.size() && db_[p + 1] == ' ' && hex_at(db_, p + 2, 2, id) && id == base) {
      c = p;
      break;
    }
  }
  if (c == npos) return {};
  std::string base_name = clean_name(line_text(c, 6));
  for (std::size_t p = line_end(db_, c) + 1; p < db_.size(); p = line_end(db_, p) + 1) {
    char ch = db_[p];
    if (ch == '#' || ch == '\n') continue;
    if (ch != '\t') break;
    std::uint32_t id = 0;
    if (p + 1 < db_.size() && db_[p + 1] != '\t' && hex_at(db_, p + 1, 2, id) && id == sub) {
      std::string n = clean_name(line_text(p, 5));
      return n.empty() ? base_name : n;
    }
  }
  return base_name;
}

// True when a line starting at `pos` is an id line at `depth` tabs: "VVVV  " or "\tDDDD  ".
bool PciIdDatabase::is_id_line(std::size_t pos, std::size_t depth) const {
  std::uint32_t id = 0;
  for (std::size_t i = 0; i < depth; ++i)
    if (pos + i >= db_.size() || db_[pos + i] != '\t') return false;
  return hex_at(db_, pos + depth, 4, id) && db_.substr(pos + depth + 4, 2) == "  ";
}

std::uint32_t PciIdDatabase::id_at(std::size_t pos, std::size_t depth) const {
  std::uint32_t id = 0;
  hex_at(db_, pos + depth, 4, id);
  return id;
}

// First id line at `depth` starting in [pos, limit), or npos.
std::size_t PciIdDatabase::next_id_line(std::size_t pos, std::size_t limit, std::size_t depth) const {
  if (pos != 0 && db_[pos - 1] != '\n') {
    pos = line_end(db_, pos);
    if (pos >= db_.size()) return npos;
    ++pos;
  }
  while (pos < limit) {
    if (is_id_line(pos, depth)) return pos;
    pos = line_end(db_, pos) + 1;
  }
  return npos;
}

// First id line at `depth` in [lo, hi) whose id is >= `id` (lines there are sorted), or npos.
// Bisects on byte offsets: from any offset the next id line is found by a short scan.
std::size_t PciIdDatabase::lower_bound(std::size_t lo, std::size_t hi, std::size_t depth, std::uint32_t id) const {
  std::size_t best = npos;
  while (lo < hi) {
    std::size_t mid = lo + (hi - lo) / 2;
    std::size_t p = next_id_line(mid, hi, depth);
    if (p == npos) {
      hi = mid;
      continue;
    }
    if (id_at(p, depth) < id) {
      lo = line_end(db_, p) + 1;
    } else {
      best = p;
      hi = mid;  // no id line in [mid, p), so anything earlier is before mid
    }
  }
  return best;
}

std::string_view PciIdDatabase::line_text(std::size_t line, std::size_t skip) const {
  std::size_t e = line_end(db_, line);
  if (line + skip >= e) return {};
  return db_.substr(line + skip, e - line - skip);
}

}  // namespace accelmap
