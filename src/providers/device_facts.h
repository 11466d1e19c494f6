// Helpers every device provider uses to write `accelerator`, `function`,
// `device_memory` and `device_link` facts the same way (docs/facts.md).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "accelmap/provider.h"

namespace accelmap::providers {

/// Function states (docs/facts.md).
inline constexpr std::string_view kAvailable = "available";
inline constexpr std::string_view kNotConfigured = "not-configured";
inline constexpr std::string_view kIsolated = "isolated";
inline constexpr std::string_view kFailed = "failed";
inline constexpr std::string_view kStateUnknown = "unknown";

/// Creates (or returns) the accelerator object `key` with its family.
Object& accelerator(const ProbeContext& ctx, const std::string& key, std::string_view family,
                    std::string_view device_type);

/// Maps `word` of `source` (e.g. "uacce.algorithm", "zlib") through the catalog
/// and adds each canonical function to device `device_key` with `state`.
/// Functions already present get `via` extended; their state is upgraded when
/// the new one is better (available > not-configured > unknown) unless the old
/// one is isolated/failed. An unmapped word becomes a diagnostic at `path` and
/// is returned false. `provenance` is kKernel for what the kernel states.
bool add_functions_from(const ProbeContext& ctx, const std::string& device_key, std::string_view source,
                        std::string_view word, std::string_view state, const std::string& path,
                        Provenance provenance = Provenance::kKernel);

/// Adds one canonical function directly (already canonical, e.g. "gpu.compute").
Object& add_function(const ProbeContext& ctx, const std::string& device_key, std::string_view function,
                     std::string_view state, std::string_view via, const std::string& path,
                     Provenance provenance = Provenance::kKernel);

/// Sets free/total instances on every function of `device_key` that lacks them.
void set_instances(const ProbeContext& ctx, const std::string& device_key, std::optional<std::int64_t> free_count,
                   std::optional<std::int64_t> total, const std::string& path);

/// Key of a link between two accelerators, order-independent.
std::string link_key(const std::string& a, const std::string& b);

/// "pci:DDDD:BB:DD.F" for the last PCI address component of a canonical sysfs
/// path ("/sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/drm/card0" ->
/// "pci:0000:01:00.0"); "" when there is none.
std::string pci_key_of_path(std::string_view canonical);

/// For a class device folder (`/sys/class/accel/accel0`): sets `pci` from the canonical path
/// of its `device` link, `driver` from `device/driver` and `numa_node` from `device/numa_node`
/// (-1 -> null). Returns the driver name ("" when none is bound).
std::string set_parent_device(const ProbeContext& ctx, Object& accel, const std::string& class_dir);

}  // namespace accelmap::providers
