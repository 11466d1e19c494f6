#include "parse/parse.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

namespace accelmap::parse {

namespace {
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }
int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::optional<std::int64_t> to_int64(std::string_view s) {
  s = trim(s);
  if (s.empty()) return std::nullopt;
  if (s.front() == '+') s.remove_prefix(1);
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 10);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<std::uint64_t> hex_to_uint64(std::string_view s) {
  s = trim(s);
  if (s.empty() || s.size() > 16) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    int d = hex_digit(c);
    if (d < 0) return std::nullopt;
    v = (v << 4) | static_cast<std::uint64_t>(d);
  }
  return v;
}

std::optional<std::uint64_t> to_uint64(std::string_view s) {
  s = trim(s);
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) return hex_to_uint64(s.substr(2));
  if (s.empty() || s.front() == '-') return std::nullopt;
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 10);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<std::vector<std::uint32_t>> id_list(std::string_view s) {
  s = trim(s);
  std::vector<std::uint32_t> out;
  if (s.empty()) return out;
  std::size_t i = 0;
  while (i <= s.size()) {
    std::size_t j = s.find(',', i);
    if (j == std::string_view::npos) j = s.size();
    std::string_view tok = trim(s.substr(i, j - i));
    if (tok.empty()) return std::nullopt;
    std::size_t dash = tok.find('-');
    auto lo = to_uint64(tok.substr(0, dash));
    auto hi = dash == std::string_view::npos ? lo : to_uint64(tok.substr(dash + 1));
    if (!lo || !hi || *lo > *hi || *hi > kMaxListId) return std::nullopt;
    if (tok.substr(0, 2) == "0x") return std::nullopt;  // lists are decimal
    for (std::uint64_t v = *lo; v <= *hi; ++v) out.push_back(static_cast<std::uint32_t>(v));
    i = j + 1;
    if (j == s.size()) break;
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string format_id_list(const std::vector<std::uint32_t>& ids) {
  std::string out;
  std::size_t i = 0;
  while (i < ids.size()) {
    std::size_t j = i;
    while (j + 1 < ids.size() && ids[j + 1] == ids[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(ids[i]);
    if (j > i) out += '-' + std::to_string(ids[j]);
    i = j + 1;
  }
  return out;
}

std::optional<std::vector<std::uint32_t>> hex_mask(std::string_view s) {
  s = trim(s);
  if (s.empty()) return std::nullopt;
  std::vector<std::string_view> words;
  std::size_t i = 0;
  for (;;) {
    std::size_t j = s.find(',', i);
    words.push_back(s.substr(i, j == std::string_view::npos ? s.npos : j - i));
    if (j == std::string_view::npos) break;
    i = j + 1;
  }
  if (words.size() * 32 > kMaxListId) return std::nullopt;
  std::vector<std::uint32_t> out;
  std::uint32_t base = 0;
  for (auto it = words.rbegin(); it != words.rend(); ++it, base += 32) {
    std::string_view w = *it;
    if (w.substr(0, 2) == "0x" || w.substr(0, 2) == "0X") w.remove_prefix(2);
    if (w.empty() || w.size() > 8) return std::nullopt;
    auto v = hex_to_uint64(w);
    if (!v) return std::nullopt;
    for (std::uint32_t b = 0; b < 32; ++b)
      if ((*v >> b) & 1u) out.push_back(base + b);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<std::vector<std::uint32_t>> idxd_opcode_bits(std::string_view s) {
  s = trim(s);
  if (s.empty()) return std::nullopt;
  const bool has_comma = s.find(',') != std::string_view::npos;
  const bool has_space = s.find_first_of(" \t") != std::string_view::npos;
  if (has_comma && has_space) return std::nullopt;
  const std::string_view first = s.substr(0, s.find_first_of(" \t"));
  if (has_comma || (first.substr(0, 2) != "0x" && first.substr(0, 2) != "0X" && first != "0")) {
    // Format 3 (%*pb): most significant word first, at most 8 words of 32 bits.
    if (std::count(s.begin(), s.end(), ',') >= static_cast<std::ptrdiff_t>(kIdxdOpcodeBits / 32)) return std::nullopt;
    for (char c : s)
      if (c != ',' && !std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    return hex_mask(s);
  }
  // Formats 1 and 2: "%#llx" words, least significant first ("0" for zero).
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t j = s.find_first_of(" \t", i);
    if (j == std::string_view::npos) j = s.size();
    if (j > i) words.push_back(s.substr(i, j - i));
    i = j + 1;
  }
  if (words.empty() || words.size() > kIdxdOpcodeBits / 64) return std::nullopt;
  std::vector<std::uint32_t> out;
  for (std::size_t w = 0; w < words.size(); ++w) {
    std::string_view t = words[w];
    std::uint64_t v = 0;
    if (t == "0") {
      v = 0;
    } else {
      if (t.size() < 3 || (t.substr(0, 2) != "0x" && t.substr(0, 2) != "0X") || t.size() > 18) return std::nullopt;
      auto h = hex_to_uint64(t.substr(2));
      if (!h) return std::nullopt;
      v = *h;
    }
    for (std::uint32_t b = 0; b < 64; ++b)
      if ((v >> b) & 1u) out.push_back(static_cast<std::uint32_t>(w * 64 + b));
  }
  return out;
}

std::optional<double> link_speed_gts(std::string_view s) {
  s = trim(s);
  std::size_t sp = s.find(' ');
  if (sp == std::string_view::npos) return std::nullopt;
  std::string_view num = s.substr(0, sp);
  std::string_view rest = trim(s.substr(sp));
  if (rest != "GT/s" && rest != "GT/s PCIe") return std::nullopt;
  double v = 0;
  auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
  if (ec != std::errc() || p != num.data() + num.size() || !std::isfinite(v) || v <= 0 || v > 1024) return std::nullopt;
  return v;
}

std::vector<std::string_view> split_any(std::string_view s, std::string_view separators) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t j = s.find_first_of(separators, i);
    if (j == std::string_view::npos) j = s.size();
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::vector<std::string_view> lines(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t j = s.find('\n', i);
    if (j == std::string_view::npos) j = s.size();
    std::string_view l = s.substr(i, j - i);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    out.push_back(l);
    i = j + 1;
  }
  return out;
}

std::vector<std::pair<std::string_view, std::string_view>> key_values(std::string_view s, char sep) {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  for (std::string_view l : lines(s)) {
    std::string_view t = trim(l);
    if (t.empty()) continue;
    std::size_t k = sep == ' ' ? t.find_first_of(" \t") : t.find(sep);
    if (k == std::string_view::npos) continue;
    std::string_view key = trim(t.substr(0, k));
    if (key.empty()) continue;
    out.emplace_back(key, trim(t.substr(k + 1)));
  }
  return out;
}

namespace {
// 1 to `digits` hex digits without a prefix (the uevent's %04X), nothing else.
std::optional<std::uint32_t> short_hex(std::string_view s, std::size_t digits) {
  if (s.size() > digits) return std::nullopt;
  auto v = hex_to_uint64(s);
  if (!v) return std::nullopt;
  return static_cast<std::uint32_t>(*v);
}
// "VVVV:DDDD" -> both, or neither.
bool id_pair(std::string_view s, std::optional<std::uint32_t>& a, std::optional<std::uint32_t>& b) {
  std::size_t colon = s.find(':');
  if (colon == std::string_view::npos) return false;
  auto x = short_hex(s.substr(0, colon), 4), y = short_hex(s.substr(colon + 1), 4);
  if (!x || !y) return false;
  a = x;
  b = y;
  return true;
}
}  // namespace

PciUevent pci_uevent(std::string_view text) {
  PciUevent u;
  for (auto [key, value] : key_values(text, '=')) {
    if (key == "PCI_ID") id_pair(value, u.vendor, u.device);
    else if (key == "PCI_SUBSYS_ID") id_pair(value, u.subsystem_vendor, u.subsystem_device);
    else if (key == "PCI_CLASS") u.class_code = short_hex(value, 6);
    else if (key == "DRIVER" && !value.empty() && is_clean_text(value)) u.driver = std::string(value);
  }
  return u;
}

std::optional<std::uint64_t> node_meminfo_total_bytes(std::string_view meminfo) {
  for (std::string_view l : lines(meminfo)) {
    std::size_t k = l.find("MemTotal:");
    if (k == std::string_view::npos) continue;
    std::string_view rest = trim(l.substr(k + 9));
    std::size_t sp = rest.find(' ');
    std::string_view num = rest.substr(0, sp);
    std::string_view unit = sp == std::string_view::npos ? std::string_view() : trim(rest.substr(sp));
    auto v = to_uint64(num);
    if (!v) return std::nullopt;
    if (unit == "kB") {
      if (*v > (UINT64_MAX >> 10)) return std::nullopt;
      return *v << 10;
    }
    if (unit.empty() || unit == "B") return *v;
    return std::nullopt;
  }
  return std::nullopt;
}

std::optional<std::vector<std::uint64_t>> uint_list(std::string_view s) {
  std::vector<std::uint64_t> out;
  s = trim(s);
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_space(s[i])) ++i;
    std::size_t j = i;
    while (j < s.size() && !is_space(s[j])) ++j;
    if (j > i) {
      auto v = to_uint64(s.substr(i, j - i));
      if (!v) return std::nullopt;
      out.push_back(*v);
    }
    i = j;
  }
  return out;
}

bool is_clean_text(std::string_view s) {
  for (unsigned char c : s) {
    if (c == '\n' || c == '\t' || c == '\r') continue;
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

}  // namespace accelmap::parse

namespace accelmap::parse {

KfdProperties kfd_properties(std::string_view text) {
  KfdProperties out;
  for (std::string_view line : lines(text)) {
    std::string_view t = trim(line);
    if (t.empty()) continue;
    std::size_t sp = t.find_first_of(" \t");
    std::optional<std::uint64_t> v;
    if (sp != std::string_view::npos) v = to_uint64(trim(t.substr(sp + 1)));
    if (!v) {
      out.malformed.push_back(t);
      continue;
    }
    out.values.emplace_back(t.substr(0, sp), *v);
  }
  return out;
}

std::vector<CryptoRecord> crypto_records(std::string_view text) {
  std::vector<CryptoRecord> records;
  CryptoRecord cur;
  bool open = false;
  for (std::string_view line : lines(text)) {
    if (trim(line).empty()) {
      // A record without a name is not an algorithm (trailing junk in a recording).
      if (open && !cur.name.empty()) records.push_back(cur);
      cur = {};
      open = false;
      continue;
    }
    std::size_t c = line.find(':');
    if (c == std::string_view::npos) continue;
    std::string_view k = trim(line.substr(0, c)), v = trim(line.substr(c + 1));
    open = true;
    if (k == "name") cur.name = v;
    else if (k == "driver") cur.driver = v;
    else if (k == "module") cur.module = v;
  }
  if (open && !cur.name.empty()) records.push_back(cur);
  return records;
}

}  // namespace accelmap::parse
