// Shared by the two benchmark programs: the --root NAME=DIR argument and how
// hwloc is pointed at a tree.
#pragma once

#include <cstdlib>
#include <string>

namespace bench {

struct Root {
  std::string name;
  std::string dir;
};

// "NAME=DIR", or a bare DIR that names itself.
inline Root parse_root(const std::string& arg) {
  auto eq = arg.find('=');
  if (eq == std::string::npos) return {arg, arg};
  return {arg.substr(0, eq), arg.substr(eq + 1)};
}

// hwloc reads its input from the environment; "/" is the live machine with the
// default components (what a user of hwloc pays), anything else a recording.
// The benchmarks may use the environment; the library never does.
inline void point_hwloc_at(const std::string& dir) {
  if (dir == "/") {
    unsetenv("HWLOC_FSROOT");
    unsetenv("HWLOC_COMPONENTS");
  } else {
    setenv("HWLOC_FSROOT", dir.c_str(), 1);
    setenv("HWLOC_COMPONENTS", "linux,stop", 1);
  }
}

}  // namespace bench
