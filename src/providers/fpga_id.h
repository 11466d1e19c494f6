// FPGA identifiers (AFU ids, region compat ids) in one canonical spelling, so a
// catalog entry matches whatever form the kernel printed.
//
// The kernel prints both ids as "%016llx%016llx" (32 hex digits, no dashes:
// dfl-afu-main.c afu_id_show(), fpga-region.c compat_id_show()); a proposed
// fpga-region change prints "%pU" (dashed), and users copy ids from OPAE tools
// in either form and either case. The canonical form is the RFC 4122 text
// form: lower-case, dashes after 8, 12, 16 and 20 digits.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace accelmap::providers {

/// "D8424DC4A4A3C413F89E433683F9040B" or "d8424dc4-a4a3-c413-f89e-433683f9040b"
/// -> "d8424dc4-a4a3-c413-f89e-433683f9040b"; nullopt for anything else
/// (wrong length, misplaced dashes, non-hex digits). Surrounding blanks are the
/// caller's to trim.
inline std::optional<std::string> normalize_fpga_id(std::string_view s) {
  constexpr std::size_t kDigits = 32;
  constexpr std::size_t kDashAt[] = {8, 13, 18, 23};  // indices of the dashes in the 36-char form
  auto is_dash_index = [&](std::size_t i) {
    for (std::size_t d : kDashAt)
      if (i == d) return true;
    return false;
  };
  const bool dashed = s.size() == kDigits + 4;
  if (s.size() != kDigits && !dashed) return std::nullopt;
  std::string digits;
  digits.reserve(kDigits);
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    // A dash exactly where the 8-4-4-4-12 form has one, and nowhere else.
    if (dashed && is_dash_index(i)) {
      if (c != '-') return std::nullopt;
      continue;
    }
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
    digits.push_back(c);
  }
  std::string out;
  out.reserve(kDigits + 4);
  for (std::size_t i = 0; i < kDigits; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) out.push_back('-');
    out.push_back(digits[i]);
  }
  return out;
}

}  // namespace accelmap::providers
