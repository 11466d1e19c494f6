#include "damage.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace accelmap::damage {
namespace {

namespace fs = std::filesystem;

constexpr std::uint64_t kHugeBytes = (4u << 20) + 4096;  // just past FsRoot's default limit

std::string read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void write_all(const std::string& path, const std::string& content) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << content;
}

bool all_hex(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ',') return false;
  return true;
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

/// The same value as another kernel version (or a sloppy recorder) would print it.
std::string other_format(const std::string& original, std::mt19937_64& rng) {
  std::string t = trim(original);
  if (t.find("GT/s") != std::string::npos) {
    // Before 4.13 the suffix " PCIe" was missing; "Unknown" when untrained.
    if (t.find(" PCIe") != std::string::npos) return t.substr(0, t.find(" PCIe")) + "\n";
    return rng() % 2 ? t + " PCIe\n" : "Unknown speed\n";
  }
  if (t.rfind("0x", 0) == 0) {
    // "%#llx" -> "%*pb" (idxd op_cap 6.0+), or four words least significant first.
    std::string h = t.substr(2);
    if (h.find(' ') != std::string::npos) return "0x" + h.substr(0, h.find(' ')) + "\n";
    while (h.size() < 16) h = "0" + h;
    if (rng() % 2) return h.substr(0, 8) + "," + h.substr(8, 8) + "\n";
    return t + " 0x0 0x0 0x0\n";
  }
  if (t.find(',') != std::string::npos && all_hex(t)) {
    // "%*pb" words -> one "%#llx" word of the low bits.
    std::string low = t.substr(t.rfind(',') + 1);
    return "0x" + low + "\n";
  }
  if (t.find('-') != std::string::npos && t.find_first_not_of("0123456789-,") == std::string::npos)
    return t + ":2\n";  // strided bitmap list, which older parsers never saw
  if (!t.empty() && t.find_first_not_of("0123456789") == std::string::npos) {
    char buf[64];
    std::snprintf(buf, sizeof buf, rng() % 2 ? "%s kB\n" : "0x%s\n", t.c_str());
    return buf;
  }
  // Windows line ends and stray tabs, as from a recording copied through another OS.
  std::string out;
  for (char c : original) {
    if (c == '\n') out += " \t\r\n";
    else out += c;
  }
  return out;
}

std::string garbage(std::mt19937_64& rng) {
  std::string s(1 + rng() % 200, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xff);
  if (rng() % 2) s += "\xff\xfe\xc0\x80 \xed\xa0\x80";  // invalid UTF-8 for sure
  return s;
}

}  // namespace

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::kEmpty: return "empty";
    case Kind::kTruncated: return "truncated";
    case Kind::kGarbage: return "garbage";
    case Kind::kHuge: return "huge";
    case Kind::kOutOfRange: return "out-of-range";
    case Kind::kNegative: return "negative";
    case Kind::kNotANumber: return "nan";
    case Kind::kOtherFormat: return "other-format";
    case Kind::kFileToDir: return "file-to-dir";
    case Kind::kFifo: return "fifo";
    case Kind::kDeviceNode: return "device-node";
    case Kind::kNoPermission: return "chmod-000";
    case Kind::kSelfLoop: return "self-loop";
    case Kind::kDangling: return "dangling";
    case Kind::kAbsoluteOutside: return "absolute-outside";
    case Kind::kDotDotOutside: return "dotdot-outside";
    case Kind::kVanishes: return "vanishes";
    case Kind::kDirMissing: return "dir-missing";
    case Kind::kDirToFile: return "dir-to-file";
    case Kind::kDirNoPermission: return "dir-chmod-000";
    case Kind::kLinkLoop: return "link-loop";
    case Kind::kLinkDangling: return "link-dangling";
    case Kind::kLinkOutside: return "link-outside";
  }
  return "?";
}

bool must_diagnose(Kind k, bool root) {
  switch (k) {
    case Kind::kHuge:
    case Kind::kFileToDir:
    case Kind::kFifo:
    case Kind::kDeviceNode:
    case Kind::kSelfLoop:
      return true;
    case Kind::kNoPermission:
      return !root;  // root reads through mode 000
    default:
      // Values may be legal strings and missing files are often optional; a
      // folder turned file is named when the provider lists it, but some
      // check is_dir() first and take it as absent.
      return false;
  }
}

Damage Damager::pick(std::mt19937_64& rng, const Targets& t) const {
  static constexpr Kind kFileKinds[] = {
      Kind::kEmpty,      Kind::kTruncated,   Kind::kGarbage,      Kind::kHuge,
      Kind::kOutOfRange, Kind::kNegative,    Kind::kNotANumber,   Kind::kOtherFormat,
      Kind::kOtherFormat, Kind::kFileToDir,  Kind::kFifo,         Kind::kDeviceNode,
      Kind::kNoPermission, Kind::kSelfLoop,  Kind::kDangling,     Kind::kAbsoluteOutside,
      Kind::kDotDotOutside, Kind::kVanishes};
  static constexpr Kind kDirKinds[] = {Kind::kDirMissing, Kind::kDirToFile, Kind::kDirNoPermission};
  static constexpr Kind kLinkKinds[] = {Kind::kLinkLoop, Kind::kLinkDangling, Kind::kLinkOutside};
  Damage d;
  d.seed = rng();
  // Files are most of what is read: 80% files, 10% folders, 10% links.
  unsigned which = rng() % 10;
  if ((which < 8 || (t.dirs.empty() && t.links.empty())) && !t.files.empty()) {
    d.path = t.files[rng() % t.files.size()];
    d.kind = kFileKinds[rng() % std::size(kFileKinds)];
  } else if ((which == 8 || t.links.empty()) && !t.dirs.empty()) {
    d.path = t.dirs[rng() % t.dirs.size()];
    d.kind = kDirKinds[rng() % std::size(kDirKinds)];
  } else {
    d.path = t.links[rng() % t.links.size()];
    d.kind = kLinkKinds[rng() % std::size(kLinkKinds)];
  }
  return d;
}

bool Damager::apply(const Damage& d) const {
  const std::string p = host(d.path);
  const std::string slot = backup_ + "/slot";
  std::error_code ec;
  fs::remove_all(slot, ec);
  std::mt19937_64 rng(d.seed);
  if (d.kind == Kind::kVanishes) return true;  // the helper thread does it
  if (d.kind == Kind::kNoPermission) return ::chmod(p.c_str(), 0) == 0;
  if (d.kind == Kind::kDirNoPermission) return ::chmod(p.c_str(), 0) == 0;
  const std::string original = d.kind <= Kind::kOtherFormat ? read_all(p) : std::string();
  if (::rename(p.c_str(), slot.c_str()) != 0) return false;
  // How many "../" reach the filesystem's root from the damaged path, plus spare.
  std::string up;
  for (char c : root_ + d.path)
    if (c == '/') up += "../";
  up += "../../../../";
  switch (d.kind) {
    case Kind::kEmpty: write_all(p, ""); break;
    case Kind::kTruncated: write_all(p, original.substr(0, original.size() / 2)); break;
    case Kind::kGarbage: write_all(p, garbage(rng)); break;
    case Kind::kHuge: {
      int fd = ::open(p.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
      if (fd < 0) return false;
      bool ok = ::ftruncate(fd, static_cast<off_t>(kHugeBytes)) == 0;  // sparse: costs no disk
      ::close(fd);
      if (!ok) return false;
      break;
    }
    case Kind::kOutOfRange: {
      static constexpr const char* kValues[] = {"99999999999999999999999\n", "18446744073709551616\n",
                                                "0xfffffffffffffffff\n", "4294967296-4294967300\n",
                                                "1e400\n"};
      write_all(p, kValues[rng() % std::size(kValues)]);
      break;
    }
    case Kind::kNegative: {
      static constexpr const char* kValues[] = {"-1\n", "-2147483649\n", "-9223372036854775808\n", "-0x10\n",
                                                "-3-5\n"};
      write_all(p, kValues[rng() % std::size(kValues)]);
      break;
    }
    case Kind::kNotANumber: {
      static constexpr const char* kValues[] = {"nan\n", "inf\n", "-nan GT/s PCIe\n", "0x\n", "+\n", "1.5e\n"};
      write_all(p, kValues[rng() % std::size(kValues)]);
      break;
    }
    case Kind::kOtherFormat: write_all(p, other_format(original, rng)); break;
    case Kind::kFileToDir:
      fs::create_directory(p, ec);
      write_all(p + "/inner", "x\n");
      break;
    case Kind::kFifo:
      if (::mkfifo(p.c_str(), 0644) != 0) return false;
      break;
    case Kind::kDeviceNode:
      if (::mknod(p.c_str(), S_IFCHR | 0644, makedev(1, 3)) != 0) return false;
      break;
    case Kind::kSelfLoop: fs::create_symlink(fs::path(p).filename(), p, ec); break;
    case Kind::kDangling: fs::create_symlink("nothing-here-damage", p, ec); break;
    case Kind::kAbsoluteOutside: fs::create_symlink(sentinel_, p, ec); break;
    case Kind::kDotDotOutside: fs::create_symlink(up + sentinel_.substr(1), p, ec); break;
    case Kind::kDirMissing: break;
    case Kind::kDirToFile: write_all(p, "not a folder\n"); break;
    case Kind::kLinkLoop: fs::create_symlink(fs::path(p).filename(), p, ec); break;
    case Kind::kLinkDangling: fs::create_symlink("../nothing-here-damage", p, ec); break;
    case Kind::kLinkOutside: fs::create_symlink(fs::path(sentinel_).parent_path(), p, ec); break;
    default: break;
  }
  return !ec;
}

void Damager::vanish(const Damage& d) const {
  ::rename(host(d.path).c_str(), (backup_ + "/slot").c_str());
}

void Damager::revert(const Damage& d) const {
  const std::string p = host(d.path);
  const std::string slot = backup_ + "/slot";
  if (d.kind == Kind::kNoPermission) {
    ::chmod(p.c_str(), 0644);
    return;
  }
  if (d.kind == Kind::kDirNoPermission) {
    ::chmod(p.c_str(), 0755);
    return;
  }
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(slot, ec))) return;  // a vanish that never happened
  if (fs::exists(fs::symlink_status(p, ec))) fs::remove_all(p, ec);
  ::rename(slot.c_str(), p.c_str());
}

}  // namespace accelmap::damage
