// Names from the PCI ID database (pci.ids), for exactly the ids asked, in one
// streaming pass over the file.
//
// Format (Debian package pci.ids, described in the file's header): vendor lines
// "VVVV  name" at column 0, device lines "\tDDDD  name", subsystem lines
// "\t\tSSSS TTTT  name", then the class section "C CC  name" / "\tSS  name" /
// "\t\tPP  name". Ids are hexadecimal. A vendor's block runs to the next vendor
// line (a stray line does not end it); the first "C " line ends the vendors.
//
// Why one pass and not a loaded, indexed database: a machine asks for a handful
// of vendors, but where each vendor's block starts is only known by reading the
// lines before it (a bisection over byte offsets lands inside Intel's 372 KB
// block and must scan out of it). Holding the 1.3 MB text costs more than
// reading it: on the VMs this project is measured on a page fault costs tens of
// microseconds, and a fresh 1.3 MB buffer took ~330 of them (~10 ms of a
// 30 ms `accelmap show`). Read through one reused chunk, the pass costs a
// few hundred microseconds and no memory, and an unsorted file resolves too.
//
// Errors: kNotFound, kPermissionDenied, kInvalidArgument (not a regular file,
// empty, larger than kMaxBytes) and kIoError, with a message naming the path.
// Thread-safety: a plain function of its arguments.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>

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

/// Reads the database at `path` (a host path) once, through a buffer of
/// `chunk_bytes` (tests pass tiny chunks to put lines across chunk edges).
Result<PciNameAnswers> read_pci_names(const std::string& path, const std::set<PciIds>& functions,
                                      const std::set<std::uint32_t>& classes, std::size_t chunk_bytes = 64u << 10);

}  // namespace accelmap::providers
