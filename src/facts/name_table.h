// Internal: accelmap's constant table of names (attribute names and the longer
// sysfs file names it reads), shared by AttrName and Source's leaves.
#pragma once

#include <string_view>

namespace accelmap::internal {

/// The table's entry equal to `text`, or null when there is none. Entries are
/// static storage: a pointer to one stays valid for the whole program.
const std::string_view* table_name(std::string_view text) noexcept;

}  // namespace accelmap::internal
