// accelmap/diff.h — what changed between two fact sets (or two snapshots).
//
// A snapshot is a pure function of its facts (build_snapshot), so the diff of
// two snapshots is the diff of their facts: objects added, removed and changed
// (with each changed attribute's old and new value), plus, per accelerator,
// the functions it gained or lost (read from the "function" objects, whose key
// is "fn:<accelerator key>:<function name>").
//
//   FactsDiff d = diff_facts(before, after);
//   if (!d.empty()) std::puts(diff_to_json(d).c_str());
//
// Pure and deterministic: every list is sorted (keys in natural order,
// attribute and function names lexically). The JSON form is documented in
// docs/live.md ("format": "accelmap-diff", "version": 1).
//
// Thread-safety: plain values; the functions share nothing.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "accelmap/facts.h"
#include "accelmap/snapshot.h"

namespace accelmap {

struct ObjectRef {
  std::string key;
  std::string kind;
  friend bool operator==(const ObjectRef&, const ObjectRef&) = default;
};

/// One attribute of a changed object; an absent side means "not there".
struct AttrChange {
  std::string name;
  std::optional<Attr> before, after;
  friend bool operator==(const AttrChange&, const AttrChange&) = default;
};

struct ObjectChange {
  std::string key;
  std::string kind;
  std::vector<AttrChange> attrs;  ///< sorted by name; only attributes that differ
  friend bool operator==(const ObjectChange&, const ObjectChange&) = default;
};

/// Functions an accelerator gained or lost (names in the catalog vocabulary).
struct FunctionChange {
  std::string accelerator;
  std::vector<std::string> added, removed;
  friend bool operator==(const FunctionChange&, const FunctionChange&) = default;
};

struct FactsDiff {
  static constexpr int kFormatVersion = 1;
  std::vector<ObjectRef> added, removed;
  std::vector<ObjectChange> changed;
  std::vector<FunctionChange> functions;
  std::vector<Diagnostic> diagnostics_added, diagnostics_removed;
  /// True when the two fact sets are identical (objects and diagnostics).
  bool empty() const {
    return added.empty() && removed.empty() && changed.empty() && diagnostics_added.empty() &&
           diagnostics_removed.empty();
  }
  friend bool operator==(const FactsDiff&, const FactsDiff&) = default;
};

/// What changed from `before` to `after`. An object whose kind changed is
/// reported as removed and added.
FactsDiff diff_facts(const FactSet& before, const FactSet& after);
/// diff_facts of the snapshots' facts.
FactsDiff diff_snapshots(const Snapshot& before, const Snapshot& after);

/// Stable JSON (docs/live.md). indent < 0: one line (for streaming), else pretty.
std::string diff_to_json(const FactsDiff& diff, int indent = -1);
/// A few readable lines ("+ fn:... added", "~ idxd:wq0.1 state: disabled -> enabled").
std::string diff_to_text(const FactsDiff& diff);

}  // namespace accelmap
