// Helpers for the platform-provider tests: run a provider selection over a tree.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "accelmap/discover.h"
#include "parse/parse.h"
#include "test_util.h"

namespace accelmap::testing {

inline IdSet ids(std::string_view list) {
  auto v = parse::id_list(list);
  EXPECT_TRUE(v) << list;
  return IdSet{v ? *v : std::vector<std::uint32_t>{}};
}

inline std::string diagnostics_text(const FactSet& f) {
  std::string s;
  for (const auto& d : f.diagnostics()) s += d.provider + " " + d.path + ": " + d.message + "\n";
  return s;
}

}  // namespace accelmap::testing
