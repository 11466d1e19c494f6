// Replays every file in tests/fuzz/regressions/<target>/ (inputs that once
// crashed a fuzzer) and every seed through the same entry points, in the
// normal (and sanitizer) test build, so a fixed crash stays fixed without clang.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "fuzz_targets.h"

namespace accelmap {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(FuzzRegressions, ReplayEveryCrashAndSeed) {
  const fs::path base = fs::path(ACCELMAP_SOURCE_DIR) / "tests" / "fuzz";
  int replayed = 0;
  for (const auto& t : fuzz::kTargets) {
    for (const char* kind : {"regressions", "seeds"}) {
      fs::path dir = base / kind / t.name;
      if (!fs::is_directory(dir)) continue;
      for (const auto& e : fs::directory_iterator(dir)) {
        if (!e.is_regular_file()) continue;
        SCOPED_TRACE(e.path().string());
        t.run(slurp(e.path()));
        ++replayed;
      }
    }
    EXPECT_TRUE(fs::is_directory(base / "seeds" / t.name)) << "no seed corpus for " << t.name;
  }
  EXPECT_GT(replayed, 0);
}

}  // namespace
}  // namespace accelmap
