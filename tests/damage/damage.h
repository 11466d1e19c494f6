// Tree damage generator: deterministic, seeded damage to one file, folder or
// link of a recorded tree, applied in place and reverted afterwards.
//
//   Damager d(root_dir, backup_dir, sentinel_path);
//   Damage dmg = d.pick(rng, targets);   // what and how
//   d.apply(dmg);  ... discover ...  d.revert(dmg);
//
// Targets come from an AccessRecorder of the clean discovery (canonical
// in-root paths), so every damage hits something accelmap really reads.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace accelmap::damage {

enum class Kind : std::uint8_t {
  // A file's content.
  kEmpty,
  kTruncated,
  kGarbage,         ///< random bytes including NUL and invalid UTF-8
  kHuge,            ///< sparse file larger than FsRoot's 4 MiB limit
  kOutOfRange,      ///< "99999999999999999999999"
  kNegative,        ///< "-1", "-2147483649"
  kNotANumber,      ///< "nan", "inf", "0x"
  kOtherFormat,     ///< another kernel version's format (link speed, op_cap, lists)
  // A file's kind.
  kFileToDir,
  kFifo,
  kDeviceNode,      ///< /dev/null's numbers (mknod, root only)
  kNoPermission,    ///< chmod 000 (no effect when running as root)
  kSelfLoop,        ///< the file becomes a link to itself
  kDangling,        ///< the file becomes a link to nothing
  kAbsoluteOutside, ///< link to the host path of a sentinel outside the root
  kDotDotOutside,   ///< ../ chain to the sentinel outside the root
  kVanishes,        ///< deleted by another thread while discovery runs
  // A folder.
  kDirMissing,
  kDirToFile,
  kDirNoPermission,
  // A link met on the way.
  kLinkLoop,
  kLinkDangling,
  kLinkOutside,
};
inline constexpr int kKindCount = static_cast<int>(Kind::kLinkOutside) + 1;
const char* kind_name(Kind k);

/// True when the damage makes the file unreadable (not merely odd), so a
/// diagnostic naming it is required.
bool must_diagnose(Kind k, bool root);

struct Damage {
  Kind kind = Kind::kEmpty;
  std::string path;  ///< canonical in-root path ("/sys/devices/.../class")
  std::uint64_t seed = 0;
};

struct Targets {
  std::vector<std::string> files, dirs, links;
};

class Damager {
 public:
  Damager(std::string root, std::string backup, std::string sentinel)
      : root_(std::move(root)), backup_(std::move(backup)), sentinel_(std::move(sentinel)) {}

  /// A damage for a random target; kinds are drawn uniformly among those that
  /// apply to the target's type.
  Damage pick(std::mt19937_64& rng, const Targets& targets) const;
  /// Applies it; false when this damage cannot be made here (e.g. mknod not permitted).
  bool apply(const Damage& d) const;
  /// For kVanishes: what the helper thread does while discovery runs.
  void vanish(const Damage& d) const;
  /// Restores the original object exactly (content, type, mode).
  void revert(const Damage& d) const;

 private:
  std::string host(const std::string& in_root) const { return root_ + in_root; }
  std::string root_, backup_, sentinel_;
};

}  // namespace accelmap::damage
