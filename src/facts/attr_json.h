// Internal: the JSON form of one attribute, shared by facts_to_json and the
// diff (so a diff shows values exactly as the facts file does).
#pragma once

#include <nlohmann/json.hpp>

#include "accelmap/facts.h"

namespace accelmap::internal {

/// {"type", "value", "provenance", "unit"?, "source"?} as in docs/facts.md.
nlohmann::json attr_to_json(const Attr& a);

}  // namespace accelmap::internal
