// Internal: accelmap's constant table of names (attribute names and the longer
// sysfs file names it reads), shared by AttrName and Source's leaves.
#pragma once

#include <cstdint>
#include <string_view>

#include "accelmap/facts.h"  // kNameTable

namespace accelmap::internal {

/// The table's entry equal to `text`, or null when there is none. Entries are
/// static storage: a pointer to one stays valid for the whole program.
const std::string_view* table_name(std::string_view text) noexcept;
/// The position of `entry` (an answer of table_name) in the table, and the
/// entry at a position: a Source keeps a long leaf as two bytes, an AttrMap a name.
inline std::uint16_t table_index(const std::string_view* entry) noexcept {
  return static_cast<std::uint16_t>(entry - kNameTable);
}
inline const std::string_view* table_entry(std::uint16_t index) noexcept { return &kNameTable[index]; }

}  // namespace accelmap::internal
