// Small readers shared by the platform providers (cpu, numa, hmat, memory_tiers).
//
// Why not ProbeContext::read_id_list: kernels before ~2.6.32 printed node lists
// with a trailing NUL ("0-1\n\0", seen in hwloc-32em64t-2n8c and
// hwloc-40intel64-2g2n4c recordings); hwloc's strtoul-based reader stops at the
// NUL, so we strip trailing NULs too instead of rejecting the file.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "accelmap/provider.h"
#include "providers/dir_reader.h"
#include "parse/parse.h"

namespace accelmap::providers {

/// Strips trailing NUL bytes and white space.
inline std::string_view strip_nuls(std::string_view s) {
  while (!s.empty() && (s.back() == '\0' || s.back() == '\n' || s.back() == ' ')) s.remove_suffix(1);
  return parse::trim(s);
}

/// A cpulist/nodelist file; nullopt (silent) when missing, diagnosed when malformed.
inline std::optional<IdSet> parse_list(const ProbeContext& ctx, std::optional<std::string> text, std::string_view path) {
  if (!text) return std::nullopt;
  auto ids = parse::id_list(strip_nuls(*text));
  if (!ids) {
    ctx.warn(std::string(path), "not a valid id list (expected e.g. \"0-3,8\")");
    return std::nullopt;
  }
  return IdSet{std::move(*ids)};
}
inline std::optional<IdSet> read_list(const ProbeContext& ctx, std::string_view path) {
  return parse_list(ctx, ctx.read(path), path);
}
/// read_list of `name` in `d`'s folder.
inline std::optional<IdSet> read_list(const ProbeContext& ctx, const DirReader& d, std::string_view name) {
  return parse_list(ctx, d.read(name), d.path(name));
}

/// "nodeN"/"cpuN"-style names: the number after `prefix`, or nullopt for
/// anything else ("cpufreq", "node", "node1x").
inline std::optional<std::uint32_t> numbered_name(std::string_view name, std::string_view prefix) {
  if (name.size() <= prefix.size() || name.substr(0, prefix.size()) != prefix) return std::nullopt;
  std::string_view digits = name.substr(prefix.size());
  if (digits.size() > 1 && digits[0] == '0') return std::nullopt;  // the kernel never pads
  std::uint64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
    if (v > parse::kMaxListId) return std::nullopt;
  }
  return static_cast<std::uint32_t>(v);
}

inline bool contains(const IdSet& set, std::uint32_t id) {
  // IdSet is sorted.
  auto it = std::lower_bound(set.ids.begin(), set.ids.end(), id);
  return it != set.ids.end() && *it == id;
}

}  // namespace accelmap::providers
