// Parsers for the value formats of sysfs and procfs files.
//
// Pure functions of a string: no I/O, no allocation beyond their result, no
// exceptions. Every one of them is fuzzed; malformed input yields std::nullopt
// (or an error string) and never a partial, guessed value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace accelmap::parse {

/// Removes leading and trailing ASCII white space (including the '\n' sysfs appends).
std::string_view trim(std::string_view s);

/// Decimal integer with optional sign ("-1", "42\n"). Rejects trailing garbage and overflow.
std::optional<std::int64_t> to_int64(std::string_view s);
/// Unsigned integer, decimal or hex with 0x prefix ("0x10de", "16").
std::optional<std::uint64_t> to_uint64(std::string_view s);
/// Hex without prefix ("3f0000000"), as NVIDIA's procfs prints addresses and sizes.
std::optional<std::uint64_t> hex_to_uint64(std::string_view s);

/// Largest id a list or mask may name; a range beyond it is rejected instead of
/// allocating gigabytes ("0-4294967295" in a hostile tree).
inline constexpr std::uint32_t kMaxListId = 1u << 20;

/// cpulist / nodelist: "0-2,4,6,8-9", "" (empty set), "0-63:2" is not accepted.
/// Result is sorted and unique.
std::optional<std::vector<std::uint32_t>> id_list(std::string_view s);
/// Formats a sorted id list back as ranges ("0-2,4").
std::string format_id_list(const std::vector<std::uint32_t>& ids);

/// cpumask / %*pb bitmap: comma-separated 32-bit hex words, most significant
/// first ("0000,0000ffff"). Returns the set bit positions, sorted.
std::optional<std::vector<std::uint32_t>> hex_mask(std::string_view s);

/// Largest opcode bitmap the idxd driver prints: 256 bits (IDXD_MAX_OPCAP_BITS).
inline constexpr std::uint32_t kIdxdOpcodeBits = 256;

/// idxd `op_cap` / `op_config` (Documentation/ABI/stable/sysfs-driver-dma-idxd)
/// in each format the kernel has printed: (1) one "%#llx" word = the low 64
/// bits (5.6 to ~5.12); (2) four "%#llx" words separated by spaces, least
/// significant first (~5.12 fix); (3) "%*pb": up to 8 comma-separated 32-bit
/// hex words without prefix, most significant first (6.0+). "%#llx" prints 0
/// as "0". Returns the set bit numbers (= opcodes), sorted; nullopt on
/// anything else (mixed separators, a word too wide, more than 256 bits).
std::optional<std::vector<std::uint32_t>> idxd_opcode_bits(std::string_view s);

/// PCIe link speed in GT/s per lane, from either kernel format: "8 GT/s"
/// (before 4.13), "8.0 GT/s PCIe", "2.5 GT/s PCIe". "Unknown" or garbage -> nullopt.
std::optional<double> link_speed_gts(std::string_view s);

/// Non-empty pieces of `s` between any of the `separators` ("a//b/" with "/" -> {"a","b"}).
std::vector<std::string_view> split_any(std::string_view s, std::string_view separators);

/// Split into lines, without the line terminators; a final empty line is dropped.
std::vector<std::string_view> lines(std::string_view s);

/// "key value" or "Key: value" lines (KFD properties, NVIDIA information,
/// /proc/crypto records). `sep` is ':' for colon files, ' ' for space files.
/// Keys and values are trimmed; lines without a separator are skipped.
std::vector<std::pair<std::string_view, std::string_view>> key_values(std::string_view s, char sep);

/// What a PCI function's uevent says (drivers/pci/pci-driver.c pci_uevent:
/// "PCI_CLASS=%04X", "PCI_ID=%04X:%04X", "PCI_SUBSYS_ID=%04X:%04X"; the driver
/// core adds "DRIVER=name" while a driver is bound). A field the text does not
/// hold well-formed is nullopt (driver: empty).
struct PciUevent {
  std::optional<std::uint32_t> vendor, device, subsystem_vendor, subsystem_device, class_code;
  std::string driver;
};
PciUevent pci_uevent(std::string_view text);

/// The MemTotal line of a node's meminfo ("Node 0 MemTotal:  3005392 kB") in bytes.
std::optional<std::uint64_t> node_meminfo_total_bytes(std::string_view meminfo);

/// Space-separated unsigned integers ("10 21 21"). nullopt on any bad token.
std::optional<std::vector<std::uint64_t>> uint_list(std::string_view s);

/// True when every byte is printable ASCII or UTF-8-looking (no NULs or control bytes other than \t\n).
bool is_clean_text(std::string_view s);

}  // namespace accelmap::parse

namespace accelmap::parse {

/// A KFD topology properties file ("name value" lines, value decimal or 0x hex),
/// split into the well-formed pairs and the lines that were not ("name number").
struct KfdProperties {
  std::vector<std::pair<std::string_view, std::uint64_t>> values;  ///< in file order
  std::vector<std::string_view> malformed;                          ///< trimmed lines
};
KfdProperties kfd_properties(std::string_view text);

/// One /proc/crypto record (blank-line separated "key : value" lines); only the
/// fields accelmap uses. Records without a name are dropped.
struct CryptoRecord {
  std::string_view name, driver, module;
};
std::vector<CryptoRecord> crypto_records(std::string_view text);

}  // namespace accelmap::parse
