// Helpers shared by the offload-engine providers (uacce, idxd, qat, dma,
// crypto_registry, pci_class): joining an accelerator to its PCI function and
// reading the small sysfs attributes they all have. Header-only, no state.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "parse/parse.h"
#include "providers/device_facts.h"
#include "providers/dir_reader.h"

namespace accelmap::providers {

/// Key "pci:..." of the PCI function `dir` (any in-root path) sits below, after
/// resolving symlinks inside the root; "" when it has none. `canonical`
/// receives the resolved path (or `dir` when it does not resolve).
inline std::string pci_parent_key(const ProbeContext& ctx, const std::string& dir, std::string* canonical = nullptr) {
  auto r = ctx.resolve(dir);
  std::string path = r ? *r : dir;
  if (canonical) *canonical = path;
  return r ? pci_key_of_path(path) : std::string();
}

/// Sets `numa_node` from a sysfs int; the kernel's -1 ("no affinity") is null.
inline void set_numa_node(Object& o, std::int64_t v, const std::string& path) {
  if (v < 0) o.set("numa_node", Value{}, Unit::kNone, Provenance::kKernel, path);
  else o.set("numa_node", v, Unit::kNone, Provenance::kKernel, path);
}

/// Records `pci` on accelerator `o` and copies what the pci provider already
/// read about that function (numa_node, driver) when the accelerator lacks it,
/// so the device view does not depend on which provider read a file first.
inline void join_pci(const ProbeContext& ctx, Object& o, const std::string& pci_key, const std::string& source) {
  if (pci_key.empty()) return;
  o.set("pci", pci_key, Unit::kNone, Provenance::kKernel, source);
  const Object* p = ctx.earlier().find(pci_key);
  if (!p) return;
  for (std::string_view name : {"numa_node", "driver", "vendor_name", "device_name"}) {
    const Attr* a = p->find(name);
    if (!a || o.find(name)) continue;
    std::string target = name == "vendor_name" ? "vendor" : name == "device_name" ? "model" : std::string(name);
    if (!o.find(target)) o.attrs[target] = *a;
  }
}

/// Trimmed text of `path` when it exists and is readable; silently nullopt when
/// it is missing or the driver refuses the read (ENODEV/ENXIO: normal, means
/// "unknown"). Anything else (a FIFO, a device node, a huge file, a link
/// loop in a recorded tree) is damage and is diagnosed.
inline std::optional<std::string> read_quiet(const ProbeContext& ctx, Result<std::string> r) {
  if (!r) {
    const bool normal = r.error().code() == StatusCode::kNotFound ||
                        r.error().message().find("driver refused the read") != std::string::npos;
    if (!normal) ctx.warn(r.error());
    return std::nullopt;
  }
  return std::string(parse::trim(*r));
}
inline std::optional<std::string> read_quiet(const ProbeContext& ctx, const std::string& path) {
  return read_quiet(ctx, ctx.fs().read_text(path));
}
/// read_quiet of `name` in `d`'s folder.
inline std::optional<std::string> read_quiet(const ProbeContext& ctx, const DirReader& d, std::string_view name) {
  return read_quiet(ctx, d.read_text(name));
}

/// White-space separated words ("copy intr", "wq0.0 wq0.1", "zlib\ngzip").
inline std::vector<std::string> words_of(std::string_view s) {
  auto pieces = parse::split_any(s, " \t\n\r");
  return {pieces.begin(), pieces.end()};
}

}  // namespace accelmap::providers
