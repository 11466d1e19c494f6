// The built-in function catalog as constant tables, generated at configure
// time from data/functions.json (cmake/BuiltinCatalog.cmake); mappings keep the
// file's order, so a later one for the same (source, name) replaces an earlier
// one as in merge_json. FunctionCatalog::builtin() builds its maps from them;
// tests/catalog_test.cc checks that this gives the catalog merge_json makes of
// the file.
#pragma once

#include <cstddef>
#include <span>

namespace accelmap::builtin_catalog {

struct Function {
  const char* name;
  const char* description;
};

/// One mapping; its functions are kMappedFunctions[first, first + count).
struct Mapping {
  const char* source;
  const char* name;
  std::size_t first, count;
};

extern const std::span<const Function> kFunctions;
extern const std::span<const Mapping> kMappings;
extern const char* const* const kMappedFunctions;

}  // namespace accelmap::builtin_catalog
