// Names from the PCI ID database (pci.ids), for exactly the ids asked: an index
// pass over the file, then the blocks asked for.
//
// Format (Debian package pci.ids, described in the file's header): vendor lines
// "VVVV  name" at column 0, device lines "\tDDDD  name", subsystem lines
// "\t\tSSSS TTTT  name", then the class section "C CC  name" / "\tSS  name" /
// "\t\tPP  name". Ids are hexadecimal. A vendor's block runs to the next vendor
// line (a stray line does not end it); the first "C " line ends the vendors.
//
// Why two passes and no loaded database: a machine asks for a handful of
// vendors, but where each vendor's block starts is only known by reading the
// lines before it (a bisection over byte offsets lands inside Intel's 372 KB
// block and must scan out of it). Holding the 1.3 MB text costs more than
// reading it: on the VMs this project is measured on a page fault costs tens of
// microseconds, and a fresh 1.3 MB buffer took ~330 of them (~10 ms of a
// 30 ms `accelmap show`). So index() reads the file once through one reused
// chunk, looking only at the lines that start at column 0, and keeps where
// each vendor's first block starts and ends (~2,300 offsets); names() then
// reads just the blocks asked for and the class section. The index needs no
// ids, so discover() runs it on a second thread while pci is still finding
// them, and what is left once they are known is a fraction of the file.
// An unsorted file resolves too: the first block of a vendor counts.
//
// Errors: kNotFound, kPermissionDenied, kInvalidArgument (not a regular file,
// empty, larger than kMaxBytes) and kIoError, with a message naming the path.
// Thread-safety: read_pci_names is a plain function of its arguments; a
// PciIdsFile is used by one thread at a time (index() writes it, names() reads).
#pragma once

#include <atomic>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "accelmap/facts.h"
#include "accelmap/status.h"

namespace accelmap::providers {

/// A function's ids; -1 where the kernel gave none.
struct PciIds {
  std::int64_t vendor = -1;
  std::int64_t device = -1;
  std::int64_t subsystem_vendor = -1;
  std::int64_t subsystem_device = -1;
  friend auto operator<=>(const PciIds&, const PciIds&) = default;
};

/// Names of one function; "" where the database has none (or the name is not clean text).
struct PciNames {
  std::string vendor, device, subsystem;
};

struct PciNameAnswers {
  std::map<PciIds, PciNames> functions;    ///< one entry per asked function
  std::map<std::uint32_t, std::string> classes;  ///< by base << 8 | sub: the subclass name, else the class's, else ""
};

/// What pci_names asks of the database for the PCI functions in `facts`: each
/// function's ids and each class (base << 8 | sub). Defined in pci_names.cc.
struct PciNameQuestions {
  std::set<PciIds> functions;
  std::set<std::uint32_t> classes;
};
PciNameQuestions pci_name_questions(const FactSet& facts);

/// Files larger than this are refused (pci.ids is ~1.3 MB). Bytes.
constexpr std::size_t kMaxPciIdsBytes = 64u << 20;

/// How the skips over lines nobody asked for read the text: kWidest uses the
/// widest vectors the CPU has (AVX2 on x86-64 where present, checked at run
/// time); kPortable the 16-byte loop every build has (tests run both).
enum class Scan : std::uint8_t { kWidest, kPortable };

/// An open pci.ids, indexed by where each vendor's block is. Owns its file
/// descriptor (closed by the destructor); movable, not copyable.
class PciIdsFile {
 public:
  /// Opens the database at `path` (a host path), to be read through a buffer of
  /// `chunk_bytes` (tests pass tiny chunks to put lines across chunk edges).
  static Result<PciIdsFile> open(const std::string& path, std::size_t chunk_bytes = 64u << 10,
                                 Scan scan = Scan::kWidest);
  PciIdsFile(PciIdsFile&& other) noexcept;
  PciIdsFile& operator=(PciIdsFile&&) = delete;
  ~PciIdsFile();

  /// Reads the file once to note where each vendor's first block and the class
  /// section start. `cancel`, when given, is looked at between chunks: once it
  /// reads true the pass stops with kInternal (nobody wants the names).
  Status index(const std::atomic<bool>* cancel = nullptr);

  /// The names of exactly the ids asked, from the asked vendors' blocks and the
  /// class section only. Requires index(); answers do not depend on what else is asked.
  Result<PciNameAnswers> names(const std::set<PciIds>& functions, const std::set<std::uint32_t>& classes) const;

 private:
  PciIdsFile() = default;
  struct Block {
    std::uint32_t vendor;
    std::uint64_t begin, end;  // byte offsets: the vendor line, the next vendor line or the class section
  };
  std::string path_;
  int fd_ = -1;
  std::size_t chunk_bytes_ = 64u << 10;
  bool wide_scan_ = false;  // AVX2 for the skip to top lines
  bool indexed_ = false;
  std::vector<Block> blocks_;           // one per vendor (its first block), sorted by vendor
  std::uint64_t classes_begin_ = ~std::uint64_t{0};  // the first "C " line; all ones when there is none
};

/// open(), index() and names() in one call.
Result<PciNameAnswers> read_pci_names(const std::string& path, const std::set<PciIds>& functions,
                                      const std::set<std::uint32_t>& classes, std::size_t chunk_bytes = 64u << 10,
                                      Scan scan = Scan::kWidest);

}  // namespace accelmap::providers
