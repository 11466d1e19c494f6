// One entry point per parser, shared by the libFuzzer binaries (fuzz_main.cc,
// one binary per target) and the regression replay test
// (fuzz_regressions_test.cc), so a crash file replays through the same code.
//
// Besides "no crash, no sanitizer report", each target checks the parser's
// own promises (a parsed list formats and re-parses to itself, opcodes stay
// below 256, facts JSON round-trips); a broken promise traps.
#pragma once

#include <cmath>
#include <cstdio>
#include <string>
#include <string_view>

#include "accelmap/catalog.h"
#include "accelmap/facts.h"
#include "accelmap/render.h"
#include "accelmap/snapshot.h"
#include "parse/parse.h"

namespace accelmap::fuzz {

inline void check(bool ok) {
  if (!ok) __builtin_trap();  // a broken invariant is a finding, like a crash
}

inline void id_list(std::string_view s) {
  auto v = parse::id_list(s);
  if (!v) return;
  for (std::size_t i = 1; i < v->size(); ++i) check((*v)[i - 1] < (*v)[i]);
  auto again = parse::id_list(parse::format_id_list(*v));
  check(again && *again == *v);
}

inline void hex_mask(std::string_view s) {
  auto v = parse::hex_mask(s);
  if (!v) return;
  for (std::size_t i = 1; i < v->size(); ++i) check((*v)[i - 1] < (*v)[i]);
}

inline void key_values(std::string_view s) {
  for (char sep : {':', ' ', '='}) {
    for (const auto& [k, v] : parse::key_values(s, sep)) check(k.size() <= s.size() && v.size() <= s.size());
  }
  (void)parse::node_meminfo_total_bytes(s);
  (void)parse::uint_list(s);
  (void)parse::is_clean_text(s);
  (void)parse::lines(s);
}

inline void link_speed(std::string_view s) {
  auto v = parse::link_speed_gts(s);
  if (v) check(std::isfinite(*v) && *v >= 0);
}

inline void integers(std::string_view s) {
  (void)parse::to_int64(s);
  (void)parse::to_uint64(s);
  (void)parse::hex_to_uint64(s);
  if (auto v = parse::to_int64(s)) check(parse::to_int64(std::to_string(*v)) == v);
}

inline void idxd_op_cap(std::string_view s) {
  auto v = parse::idxd_opcode_bits(s);
  if (!v) return;
  for (std::size_t i = 0; i < v->size(); ++i) {
    check((*v)[i] < parse::kIdxdOpcodeBits);
    if (i) check((*v)[i - 1] < (*v)[i]);
  }
}

inline void pci_uevent(std::string_view s) {
  // The kernel prints these fields with %04X (ids) and %04X of a 24-bit class:
  // what parses must fit, the pairs come whole, and printing them the kernel's
  // way parses back to the same fields.
  const parse::PciUevent u = parse::pci_uevent(s);
  check(u.vendor.has_value() == u.device.has_value());
  check(u.subsystem_vendor.has_value() == u.subsystem_device.has_value());
  for (const auto& id : {u.vendor, u.device, u.subsystem_vendor, u.subsystem_device}) check(!id || *id <= 0xffff);
  check(!u.class_code || *u.class_code <= 0xffffff);
  check(u.driver.empty() || parse::is_clean_text(u.driver));
  std::string again;
  char line[64];
  if (u.vendor) {
    std::snprintf(line, sizeof line, "PCI_ID=%04X:%04X\n", *u.vendor, *u.device);
    again += line;
  }
  if (u.subsystem_vendor) {
    std::snprintf(line, sizeof line, "PCI_SUBSYS_ID=%04X:%04X\n", *u.subsystem_vendor, *u.subsystem_device);
    again += line;
  }
  if (u.class_code) {
    std::snprintf(line, sizeof line, "PCI_CLASS=%04X\n", *u.class_code);
    again += line;
  }
  // A driver is one trimmed line's value (key_values), so it prints back as one line.
  if (!u.driver.empty()) again += "DRIVER=" + u.driver + "\n";
  const parse::PciUevent v = parse::pci_uevent(again);
  check(v.vendor == u.vendor && v.device == u.device && v.subsystem_vendor == u.subsystem_vendor &&
        v.subsystem_device == u.subsystem_device && v.class_code == u.class_code);
  check(v.driver == u.driver);
}

inline void kfd_properties(std::string_view s) {
  auto p = parse::kfd_properties(s);
  check(p.values.size() + p.malformed.size() <= s.size());
}

inline void proc_crypto(std::string_view s) {
  for (const auto& r : parse::crypto_records(s)) check(!r.name.empty());
}

inline void facts_json(std::string_view s) {
  auto facts = facts_from_json(s);
  if (!facts) return;
  const std::string once = facts_to_json(*facts);
  auto again = facts_from_json(once);
  check(again.has_value());
  check(facts_to_json(*again) == once);  // our own output is a fixed point
  auto snap = build_snapshot(std::move(*facts));
  (void)snapshot_to_json(*snap);
  (void)render_text(*snap, TextOptions{});
  (void)accelerators_to_json(*snap);
  (void)functions_to_json(*snap);
}

inline void catalog(std::string_view s) {
  FunctionCatalog c = FunctionCatalog::builtin();
  Status st = c.merge_json(s, "fuzz.json");
  if (!st.is_ok()) check(!st.message().empty());
  (void)c.lookup("pci.class", "0b4000");
  (void)c.lookup("uacce.algorithm", "zlib");
}

inline void columns(std::string_view s) {
  // The -o column list of `accelmap ls`, against an empty machine.
  static const auto snap = build_snapshot(FactSet{});
  (void)render_accelerator_table(*snap, std::string(s), false);
}

struct Target {
  const char* name;
  void (*run)(std::string_view);
};

inline constexpr Target kTargets[] = {
    {"id_list", id_list},       {"hex_mask", hex_mask},       {"key_values", key_values},
    {"link_speed", link_speed}, {"integers", integers},       {"idxd_op_cap", idxd_op_cap},
    {"kfd_properties", kfd_properties}, {"pci_uevent", pci_uevent}, {"proc_crypto", proc_crypto}, {"facts_json", facts_json},
    {"catalog", catalog},       {"columns", columns},
};

}  // namespace accelmap::fuzz
