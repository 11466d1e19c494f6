// accelmap/incremental.h — re-run only the providers a change affects, and get
// exactly what a full discovery of the same tree would give.
//
// How "incremental equals fresh" holds: a full discovery is recorded as one
// *delta* per provider, in run order (the objects it created, the attributes
// it set or removed, the diagnostics it added), together with the files,
// directories and links that provider read (FsRoot's AccessRecorder, one per
// provider). A re-probe replays the run order from an empty FactSet: a dirty
// provider runs again on the facts built so far; any other provider has its
// recorded delta applied. A provider is dirty when the caller says so or when
// a provider it depends on (provider_dependencies()) produced a different
// delta in this pass (early cutoff: an upstream re-run that changed nothing
// does not wake its dependents). Since a provider's output depends only on the
// files it reads and the earlier facts it reads, replaying its unchanged delta
// gives the same facts as running it again, so the result is byte-identical
// (facts_to_json) to discover() on the same tree; tests/live_test.cc checks
// this after every step and under random edit sequences.
//
//   auto inc = IncrementalDiscovery::create("/tmp/tree", options);   // full pass
//   ... the tree changes under /sys/bus/dsa ...
//   inc->reprobe({"idxd"});                   // idxd, and what depends on it
//   const FactSet& now = inc->facts();
//
// Errors: create() fails like FsRoot::open / discover() (unusable root,
// invalid provider selection, unreadable catalog). reprobe() cannot fail:
// files that vanish mid-probe become diagnostics, as in a full pass.
// Thread-safety: none; one owner (the Watcher's worker thread) drives it.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "accelmap/discover.h"

namespace accelmap {

/// What one provider added to the facts, replayable onto the facts before it.
struct ProviderDelta {
  struct ObjectDelta {
    std::string key;
    std::string kind;
    AttrMap set;                                   ///< attributes written (final values)
    std::vector<AttrName> erased;                  ///< attributes removed
    friend bool operator==(const ObjectDelta&, const ObjectDelta&) = default;
  };
  std::vector<ObjectDelta> objects;  ///< by key
  std::vector<Diagnostic> diagnostics;  ///< in the order the provider reported them
  friend bool operator==(const ProviderDelta&, const ProviderDelta&) = default;
};

/// Which earlier providers' facts each provider reads (or amends). "*" means
/// every provider that runs before it. Documented in docs/live.md.
std::map<std::string, std::vector<std::string>> provider_dependencies();

/// Providers to re-probe for a kernel uevent of `subsystem` (SUBSYSTEM=...).
/// Empty for subsystems accelmap does not read (the event is dropped).
std::set<std::string> providers_for_subsystem(std::string_view subsystem);

/// Providers to re-probe for a change at in-root `path`, by where it lies
/// (/sys/bus/pci/..., /sys/class/drm/..., /proc/crypto, ...). Used for uevent
/// DEVPATHs and as a fallback for paths no provider recorded.
std::set<std::string> providers_for_path(std::string_view path);

class IncrementalDiscovery {
 public:
  /// Opens `root_dir` and runs a full, recorded discovery.
  static Result<IncrementalDiscovery> create(const std::string& root_dir, const DiscoverOptions& options);

  IncrementalDiscovery(IncrementalDiscovery&&) noexcept;
  IncrementalDiscovery& operator=(IncrementalDiscovery&&) noexcept;
  ~IncrementalDiscovery();

  /// Re-runs `dirty` (unknown names are ignored) and everything whose inputs
  /// changed as a result. Returns the providers that actually ran.
  std::set<std::string> reprobe(const std::set<std::string>& dirty);
  /// Re-runs every provider (same result as a fresh discover()).
  std::set<std::string> reprobe_all();

  /// Current facts, normalized (as discover() returns them).
  const FactSet& facts() const;
  /// Names of the selected providers, in run order.
  std::vector<std::string> provider_names() const;

  /// In-root paths the last probe of each provider read: files (canonical),
  /// listed directories and symlinks met on the way, each with the fingerprint
  /// of what that probe read there (AccessRecorder). The watcher polls these:
  /// a provider is stale when any of its paths now answers differently.
  struct Reads {
    std::map<std::string, AccessRecorder::Fingerprint> files, dirs, links;
  };
  const Reads& reads_of(std::string_view provider) const;
  /// Providers whose last probe read `path` (as a file, a listed dir or a link).
  std::set<std::string> providers_reading(const std::string& path) const;

  const std::string& root_dir() const;

 private:
  struct State;
  explicit IncrementalDiscovery(std::unique_ptr<State> s);
  std::unique_ptr<State> s_;
};

}  // namespace accelmap
