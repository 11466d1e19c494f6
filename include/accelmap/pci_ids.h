// accelmap/pci_ids.h — the PCI ID database (pci.ids), loaded once and looked up.
//
// Format (Debian package pci.ids, described in the file's header): vendor lines
// "VVVV  name" at column 0, device lines "\tDDDD  name", subsystem lines
// "\t\tSSSS TTTT  name", then the class section "C CC  name" / "\tSS  name" /
// "\t\tPP  name". Ids are hexadecimal.
//
//   auto db = accelmap::PciIdDatabase::load("/usr/share/misc/pci.ids");
//   if (db) opt.pci_id_database = *db;      // reused by every discover() with opt
//
// Why a loaded object: the file is 1.3 MB and every lookup needs the offsets
// of its ~2,300 vendor lines, which only a pass over the whole file finds (a
// bisection over byte offsets lands inside Intel's 372 KB block and has to
// scan out of it). Loading and indexing cost ~0.3-0.5 ms; a caller that
// discovers repeatedly (a watcher, a service) loads once, and discover() loads
// it on a second thread while the earlier phases read the tree.
//
// Ownership: the database owns a copy of the text; lookups return copies.
// Thread-safety: immutable after load(); every const method may be called
// concurrently. Errors: load() fails (kNotFound, kPermissionDenied, kInvalidArgument, kIoError) with a
// message naming the path and the reason; lookups return "" when not found.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "accelmap/status.h"

namespace accelmap {

class PciIdDatabase {
 public:
  /// Files larger than this are refused (pci.ids is ~1.3 MB). Bytes.
  static constexpr std::size_t kMaxBytes = 64u << 20;

  /// Reads and indexes the database at `path` (a host path, not a root path).
  static Result<std::shared_ptr<const PciIdDatabase>> load(const std::string& path);
  /// Indexes `text` (tests, embedded databases).
  static std::shared_ptr<const PciIdDatabase> from_text(std::string text);

  /// Names of a vendor, a device of it, and a subsystem of that device; "" when
  /// the database does not list it (or the name is not clean printable text).
  std::string vendor_name(std::uint32_t vendor) const;
  std::string device_name(std::uint32_t vendor, std::uint32_t device) const;
  std::string subsystem_name(std::uint32_t vendor, std::uint32_t device, std::uint32_t subvendor,
                             std::uint32_t subdevice) const;
  /// Name of base class `base`, subclass `sub`: the subclass name when listed,
  /// else the base class name, else "".
  std::string class_name(std::uint32_t base, std::uint32_t sub) const;

  /// Number of vendor lines indexed.
  std::size_t vendor_count() const noexcept { return vendors_.size(); }

 private:
  struct Vendor {
    std::uint32_t id = 0;
    std::size_t line = 0;  ///< offset of "VVVV  name"
    std::size_t end = 0;   ///< offset just past the vendor's block
  };
  explicit PciIdDatabase(std::string text);
  void index_vendors();
  const Vendor* find_vendor(std::uint32_t vendor) const;
  std::size_t find_device(const Vendor& v, std::uint32_t device) const;
  bool is_id_line(std::size_t pos, std::size_t depth) const;
  std::uint32_t id_at(std::size_t pos, std::size_t depth) const;
  std::size_t next_id_line(std::size_t pos, std::size_t limit, std::size_t depth) const;
  std::size_t lower_bound(std::size_t lo, std::size_t hi, std::size_t depth, std::uint32_t id) const;
  std::string_view line_text(std::size_t line, std::size_t skip) const;

  std::string text_;
  std::string_view db_;           // text_
  std::vector<Vendor> vendors_;   // sorted by id
  std::size_t class_start_ = 0;   // offset of the first "C " line, or db_.size()
};

}  // namespace accelmap
