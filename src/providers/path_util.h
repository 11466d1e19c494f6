// Small helpers over canonical in-root sysfs paths, shared by the bus providers.
// Pure string functions: no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "parse/parse.h"

namespace accelmap::providers {

/// "/sys/devices/platform/hmem.0/dax0.0" -> {"sys","devices","platform","hmem.0","dax0.0"}.
inline std::vector<std::string_view> path_components(std::string_view path) {
  return parse::split_any(path, "/");
}

/// Last component of a path ("../../bus/dax/drivers/kmem" -> "kmem"); trailing '/' ignored.
inline std::string_view path_basename(std::string_view path) {
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  std::size_t k = path.rfind('/');
  return k == std::string_view::npos ? path : path.substr(k + 1);
}

/// Digits only, at most 9 of them ("12" -> 12).
inline std::optional<std::uint32_t> small_number(std::string_view s) {
  if (s.empty() || s.size() > 9) return std::nullopt;
  std::uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint32_t>(c - '0');
  }
  return v;
}

/// Parses NAME<digits> ("region12" with prefix "region" -> 12); nullopt otherwise.
inline std::optional<std::uint32_t> numbered(std::string_view name, std::string_view prefix) {
  if (name.size() <= prefix.size() || name.substr(0, prefix.size()) != prefix) return std::nullopt;
  return small_number(name.substr(prefix.size()));
}

/// True for NAME<a>.<b> ("dax1.4" with prefix "dax"), the kernel's "%s%d.%d" device names.
inline bool is_numbered_pair(std::string_view name, std::string_view prefix) {
  if (name.size() <= prefix.size() || name.substr(0, prefix.size()) != prefix) return false;
  name.remove_prefix(prefix.size());
  std::size_t dot = name.find('.');
  if (dot == std::string_view::npos) return false;
  return small_number(name.substr(0, dot)) && small_number(name.substr(dot + 1));
}

/// True for a PCI function address "DDDD:BB:DD.F" (domain may be 4 to 8 hex digits).
inline bool is_pci_bdf(std::string_view s) {
  auto hex = [](std::string_view t, std::size_t n_min, std::size_t n_max) {
    if (t.size() < n_min || t.size() > n_max) return false;
    for (char c : t)
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
    return true;
  };
  std::size_t c1 = s.find(':');
  if (c1 == std::string_view::npos) return false;
  std::size_t c2 = s.find(':', c1 + 1);
  std::size_t dot = s.find('.', c1 + 1);
  if (c2 == std::string_view::npos || dot == std::string_view::npos || dot < c2) return false;
  return hex(s.substr(0, c1), 4, 8) && hex(s.substr(c1 + 1, c2 - c1 - 1), 2, 2) &&
         hex(s.substr(c2 + 1, dot - c2 - 1), 2, 2) && hex(s.substr(dot + 1), 1, 1);
}

/// Lower-cased copy (PCI keys are lower-case hex, as the kernel writes them).
inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace accelmap::providers
