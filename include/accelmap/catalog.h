// accelmap/catalog.h — one function vocabulary for every device family.
//
// The catalog is data (data/functions.json, plus any user catalog files): it
// names the canonical functions (`compress.deflate`, `crypto.cipher.aes-gcm`,
// `dma.memmove`, `gpu.compute`, ...) and maps each source's own words to them:
// uacce algorithm strings, idxd opcodes, QAT services, /proc/crypto names,
// PCI classes, FPGA accelerator ids. Users add site catalogs (their FPGA
// bitstreams, new drivers) with --catalog FILE, without recompiling.
//
//   auto cat = FunctionCatalog::load({"/usr/share/accelmap/functions.json", "site.json"});
//   if (auto* fns = cat->lookup("uacce.algorithm", "zlib")) ...  // {"compress.zlib", "decompress.zlib"}
//
// Later files extend earlier ones; a mapping given again replaces the earlier
// one for that (source, name).
//
// Errors: load() fails with kNotFound / kDataLoss naming the file and the
// problem (a function used in a mapping but not defined, bad JSON, ...).
// Thread-safety: immutable after load; share freely.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "accelmap/status.h"

namespace accelmap {

class FunctionCatalog {
 public:
  /// The built-in vocabulary (data/functions.json, compiled into the library).
  static const FunctionCatalog& builtin();
  /// The built-in vocabulary extended by `files`, merged in order.
  static Result<FunctionCatalog> load(const std::vector<std::string>& files);
  /// Parses one catalog document (for tests and embedded use); `name` is used in messages.
  Status merge_json(std::string_view text, const std::string& name);

  /// Canonical functions for a source's own word; nullptr when unmapped.
  /// `source` examples: "uacce.algorithm", "idxd.dsa.opcode", "idxd.iax.opcode",
  /// "qat.service", "crypto.name", "pci.class", "fpga.afu_id", "fpga.compat_id",
  /// "dma.cap", "accel.driver", "drm.driver". Names are matched exactly, except
  /// "pci.class" which tries the 6-, then 4-, then 2-hex-digit class prefix.
  const std::vector<std::string>* lookup(std::string_view source, std::string_view name) const;

  /// One-line description of a canonical function; "" when not defined.
  std::string_view describe(std::string_view function) const;
  /// Every canonical function, sorted.
  const std::map<std::string, std::string, std::less<>>& functions() const { return functions_; }

  /// Same functions, descriptions and mappings.
  friend bool operator==(const FunctionCatalog&, const FunctionCatalog&) = default;

 private:
  std::map<std::string, std::string, std::less<>> functions_;  // name -> description
  std::map<std::pair<std::string, std::string>, std::vector<std::string>, std::less<>> mappings_;
};

}  // namespace accelmap
