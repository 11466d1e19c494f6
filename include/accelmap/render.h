// accelmap/render.h — front-end renderings of a snapshot: JSON and a readable tree.
//
// Both are deterministic: same snapshot, same bytes. Neither does I/O; the CLI
// writes the returned text.
//
// Thread-safety: pure functions of an immutable snapshot.
#pragma once

#include <string>

#include "accelmap/snapshot.h"
#include "accelmap/status.h"

namespace accelmap {

/// The snapshot as JSON ({"format": "accelmap-snapshot", "version": 1, ...}),
/// documented in docs/snapshot-json.md. Includes diagnostics.
std::string snapshot_to_json(const Snapshot& snap);

/// Just the accelerators (with functions and memory) as a JSON array, for `accelmap ls --json`.
std::string accelerators_to_json(const Snapshot& snap);

/// Columns of `accelmap ls` (lsblk style). Names are the -o vocabulary.
inline constexpr const char* kAcceleratorColumns[] = {"key",    "type",   "family", "vendor",    "model",
                                                      "driver", "pci",    "numa",   "memory",    "state",
                                                      "package", "functions"};
/// Default columns of `accelmap ls`.
inline constexpr const char* kDefaultAcceleratorColumns = "key,type,model,driver,numa,memory,functions";

/// One row per accelerator with the given columns (comma-separated). Fails on an unknown column.
Result<std::string> render_accelerator_table(const Snapshot& snap, const std::string& columns, bool color);

/// "48 GiB hbm (shared)", "-" when the device has no memory of its own.
std::string accelerator_memory_summary(const Accelerator& a);
/// Available functions, grouped when many ("crypto.cipher.*(6)"), plus counts of the
/// others by state ("(3 not-configured)"); "-" when none.
std::string accelerator_function_summary(const Accelerator& a);

/// Every function on the machine and where it is offered (`accelmap functions`).
std::string render_functions_table(const Snapshot& snap, bool color);
/// The same as JSON: [{"name", "description", "devices": [{"key", "state", ...}]}].
std::string functions_to_json(const Snapshot& snap);

struct TextOptions {
  bool color = false;          ///< ANSI colours (the CLI sets this only on a terminal)
  bool diagnostics = false;    ///< list every diagnostic instead of a one-line count
  bool unicode = true;         ///< box-drawing characters for the tree (else ASCII)
};

/// The readable tree of `accelmap show`.
std::string render_text(const Snapshot& snap, const TextOptions& options);

/// "16 GiB", "1.5 TiB", "512 MiB" — binary units, at most one decimal.
std::string format_bytes(std::int64_t bytes);
/// "25.6 GB/s" from MB/s (decimal units, as bandwidth is quoted).
std::string format_bandwidth_mbps(double mbps);

}  // namespace accelmap
