// pci_names: human names of PCI functions from the PCI ID database.
// Source: pci.ids (PCI ID database, Debian package pci.ids, format described in its
// header): vendor lines "VVVV  name" at column 0 sorted by id, device lines
// "\tDDDD  name", subsystem lines "\t\tSSSS TTTT  name", then the class section
// "C CC  name" / "\tSS  name" / "\t\tPP  name".
//
// This is the one provider that reads a host file outside the root: the database
// describes ids, not the machine. It is 1.3 MB, so it is mapped and searched
// (binary search over vendor lines) instead of being parsed into maps each run.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <charconv>
#include <cstring>
#include <map>
#include <vector>

#include <exception>

#include "parse/parse.h"
#include "providers/providers.h"

namespace accelmap::providers {
namespace {

constexpr const char* kSource = "pci.ids";

// A read-only mapping of the database, unmapped on scope exit.
class MappedFile {
 public:
  MappedFile() = default;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile() {
    if (data_ != nullptr) ::munmap(data_, size_);
  }

  // Returns an empty string on success, else the reason.
  std::string open(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return std::strerror(errno);
    struct stat st {};
    std::string err;
    if (::fstat(fd, &st) != 0) err = std::strerror(errno);
    else if (!S_ISREG(st.st_mode)) err = "not a regular file";
    else if (st.st_size == 0) err = "empty";
    else {
      void* p = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
      if (p == MAP_FAILED) err = std::strerror(errno);
      else {
        data_ = p;
        size_ = static_cast<std::size_t>(st.st_size);
      }
    }
    ::close(fd);
    return err;
  }

  std::string_view view() const { return {static_cast<const char*>(data_), size_}; }

 private:
  void* data_ = nullptr;
  std::size_t size_ = 0;
};

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

// Lookups on the mapped text; every function returns "" / npos when not found.
//
// Why an index of vendor lines: a bisection over byte offsets has to scan from
// its midpoint to the next vendor line, and inside the big vendor blocks (Intel,
// AMD, NVIDIA: hundreds of KB of device and subsystem lines) that scan covered
// most of the file per lookup (1.1-1.3 ms for the 37 functions of a small
// server, a third of hwloc's whole discovery of it). One memchr pass over the
// ~40,000 lines finds the ~2,300 vendor lines; each vendor is then a binary search, and its
// device lines are bisected inside its own block only.
class PciIds {
 public:
  explicit PciIds(std::string_view db) : db_(db) { index_vendors(); }

  struct Vendor {
    std::uint32_t id = 0;
    std::size_t line = std::string_view::npos;  ///< offset of "VVVV  name"
    std::size_t end = std::string_view::npos;   ///< offset just past the vendor's block
  };

  // The vendor `vendor`, or one with line == npos.
  Vendor find_vendor(std::uint32_t vendor) const {
    auto it = std::lower_bound(vendors_.begin(), vendors_.end(), vendor,
                               [](const Vendor& v, std::uint32_t id) { return v.id < id; });
    return it != vendors_.end() && it->id == vendor ? *it : Vendor{};
  }

  std::string vendor_name(std::size_t vline) const { return clean_name(line_text(vline, 6)); }

  // Offset of "\tDDDD  name" in the vendor block [vline, block_end), or npos.
  // Device lines are sorted within a vendor.
  std::size_t find_device(std::size_t vline, std::size_t block_end, std::uint32_t device) const {
    std::size_t p = lower_bound(line_end(db_, vline) + 1, block_end, 1, device);
    return p != std::string_view::npos && id_at(p, 1) == device ? p : std::string_view::npos;
  }

  std::string device_name(std::size_t dline) const { return clean_name(line_text(dline, 7)); }

  std::string subsystem_name(std::size_t dline, std::uint32_t sv, std::uint32_t sd) const {
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

  // Name of base class `base`, subclass `sub`: the subclass name when listed, else the class name.
  std::string class_name(std::uint32_t base, std::uint32_t sub) const {
    std::size_t c = std::string_view::npos;
    for (std::size_t p = class_start_; p < db_.size(); p = line_end(db_, p) + 1) {
      std::uint32_t id = 0;
      if (db_[p] == 'C' && p + 1 < db_.size() && db_[p + 1] == ' ' && hex_at(db_, p + 2, 2, id) && id == base) {
        c = p;
        break;
      }
    }
    if (c == std::string_view::npos) return {};
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

 private:
  // One pass over the lines: every vendor line "VVVV  name" with the end of its
  // block, and the start of the class section ("C CC  name" lines), which closes
  // the file. Sorted by id afterwards, so an unsorted database still resolves.
  void index_vendors() {
    class_start_ = db_.size();
    for (std::size_t p = 0; p < db_.size(); p = line_end(db_, p) + 1) {
      char c = db_[p];
      if (c == '\t' || c == '#' || c == '\n') continue;  // the common lines, rejected on one byte
      if (c == 'C' && p + 1 < db_.size() && db_[p + 1] == ' ') {
        class_start_ = p;
        break;
      }
      if (!is_id_line(p, 0)) continue;  // a stray line does not end a vendor's block
      if (!vendors_.empty()) vendors_.back().end = p;
      vendors_.push_back({id_at(p, 0), p, std::string_view::npos});
    }
    if (!vendors_.empty()) vendors_.back().end = class_start_;
    std::stable_sort(vendors_.begin(), vendors_.end(), [](const Vendor& a, const Vendor& b) { return a.id < b.id; });
  }

  // True when a line starting at `pos` is an id line at `depth` tabs: "VVVV  " or "\tDDDD  ".
  bool is_id_line(std::size_t pos, std::size_t depth) const {
    std::uint32_t id = 0;
    for (std::size_t i = 0; i < depth; ++i)
      if (pos + i >= db_.size() || db_[pos + i] != '\t') return false;
    return hex_at(db_, pos + depth, 4, id) && db_.substr(pos + depth + 4, 2) == "  ";
  }

  std::uint32_t id_at(std::size_t pos, std::size_t depth) const {
    std::uint32_t id = 0;
    hex_at(db_, pos + depth, 4, id);
    return id;
  }

  // First id line at `depth` starting in [pos, limit), or npos.
  std::size_t next_id_line(std::size_t pos, std::size_t limit, std::size_t depth) const {
    if (pos != 0 && db_[pos - 1] != '\n') {
      pos = line_end(db_, pos);
      if (pos >= db_.size()) return std::string_view::npos;
      ++pos;
    }
    while (pos < limit) {
      if (is_id_line(pos, depth)) return pos;
      pos = line_end(db_, pos) + 1;
    }
    return std::string_view::npos;
  }

  // First id line at `depth` in [lo, hi) whose id is >= `id` (lines there are sorted), or npos.
  // Bisects on byte offsets: from any offset the next id line is found by a short scan.
  std::size_t lower_bound(std::size_t lo, std::size_t hi, std::size_t depth, std::uint32_t id) const {
    std::size_t best = std::string_view::npos;
    while (lo < hi) {
      std::size_t mid = lo + (hi - lo) / 2;
      std::size_t p = next_id_line(mid, hi, depth);
      if (p == std::string_view::npos) {
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

  std::string_view line_text(std::size_t line, std::size_t skip) const {
    std::size_t e = line_end(db_, line);
    if (line + skip >= e) return {};
    return db_.substr(line + skip, e - line - skip);
  }

  std::string_view db_;
  std::vector<Vendor> vendors_;  // sorted by id
  std::size_t class_start_ = 0;  // offset of the first "C " line, or db_.size()
};

class PciNamesProvider final : public Provider {
 public:
  std::string_view name() const noexcept override { return "pci_names"; }
  Phase phase() const noexcept override { return Phase::kAnnotate; }
  std::string_view abi() const noexcept override { return "pci.ids (PCI ID database, Debian package pci.ids)"; }

  void probe(const ProbeContext& ctx) const override {
    // Allocation failures must not abort discovery: report and go on with the other providers.
    try {
      probe_impl(ctx);
    } catch (const std::exception& e) {
      ctx.warn(std::string(ctx.options().pci_ids_path), std::string("stopped: ") + e.what(), Severity::kError);
    }
  }

 private:
  void probe_impl(const ProbeContext& ctx) const {
    const std::string& path = ctx.options().pci_ids_path;
    if (path.empty()) return;
    std::vector<std::string> keys;
    for (const Object* o : ctx.facts().of_kind("pci_device")) keys.push_back(o->key);
    // Accelerators known only by ids (KFD nodes in a tree without /sys/bus/pci) get names too.
    std::vector<std::string> named_by_id;
    for (const Object* o : ctx.facts().of_kind("accelerator")) {
      const std::string* pci = o->get_string("pci");
      bool has_pci_names = pci && ctx.facts().find(*pci);
      if (!has_pci_names && !o->find("model") && o->get_int("vendor_id") && o->get_int("device_id"))
        named_by_id.push_back(o->key);
    }
    if (keys.empty() && named_by_id.empty()) return;  // no need to touch the file

    MappedFile file;
    if (std::string err = file.open(path); !err.empty()) {
      ctx.warn(path, "cannot read the PCI ID database: " + err + "; no PCI names");
      return;
    }
    PciIds ids(file.view());
    std::map<std::uint32_t, std::string> class_names;  // by base class << 8 | subclass
    auto put = [](Object& o, const char* attr, std::string value) {
      if (!value.empty()) o.set(attr, Value(std::move(value)), Unit::kNone, Provenance::kNominal, kSource);
    };

    // Many functions share their ids (a GPU per slot, a bridge per port): each
    // (vendor, device, subsystem vendor, subsystem device) is looked up once; -1 = id absent.
    struct Names {
      std::string vendor, device, subsystem;
    };
    std::map<std::array<std::int64_t, 4>, Names> names_by_ids;
    auto names_of = [&](const std::array<std::int64_t, 4>& id) -> const Names& {
      auto it = names_by_ids.find(id);
      if (it != names_by_ids.end()) return it->second;
      Names n;
      PciIds::Vendor v = id[0] < 0 ? PciIds::Vendor{} : ids.find_vendor(static_cast<std::uint32_t>(id[0]));
      if (v.line != std::string_view::npos) {
        n.vendor = ids.vendor_name(v.line);
        std::size_t dl = id[1] < 0 ? std::string_view::npos
                                   : ids.find_device(v.line, v.end, static_cast<std::uint32_t>(id[1]));
        if (dl != std::string_view::npos) {
          n.device = ids.device_name(dl);
          if (id[2] >= 0 && id[3] >= 0)
            n.subsystem = ids.subsystem_name(dl, static_cast<std::uint32_t>(id[2]), static_cast<std::uint32_t>(id[3]));
        }
      }
      return names_by_ids.emplace(id, std::move(n)).first->second;
    };
    auto id_or_absent = [](const Object& o, const char* attr) { return o.get_int(attr).value_or(-1); };

    for (const std::string& key : keys) {
      Object& o = ctx.facts().object(key, "pci_device");
      const Names& n = names_of({id_or_absent(o, "vendor_id"), id_or_absent(o, "device_id"),
                                 id_or_absent(o, "subsystem_vendor_id"), id_or_absent(o, "subsystem_device_id")});
      put(o, "vendor_name", n.vendor);
      put(o, "device_name", n.device);
      put(o, "subsystem_name", n.subsystem);
      if (auto cls = o.get_int("class_code")) {
        auto key16 = static_cast<std::uint32_t>(*cls >> 8) & 0xffff;
        auto it = class_names.find(key16);
        if (it == class_names.end()) it = class_names.emplace(key16, ids.class_name(key16 >> 8, key16 & 0xff)).first;
        put(o, "class_name", it->second);
      }
    }
    for (const std::string& key : named_by_id) {
      Object& o = ctx.facts().object(key, "accelerator");
      const Names& n = names_of({*o.get_int("vendor_id"), *o.get_int("device_id"), -1, -1});
      put(o, "vendor", n.vendor);
      put(o, "model", n.device);
    }
  }
};

}  // namespace

std::unique_ptr<Provider> make_pci_names_provider() { return std::make_unique<PciNamesProvider>(); }

}  // namespace accelmap::providers
