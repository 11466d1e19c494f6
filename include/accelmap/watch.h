// accelmap/watch.h — a live machine: versioned snapshots that follow changes.
//
// A Watcher owns the newest snapshot of a root and a generation number that
// grows by one each time the facts change. Changes arrive from kernel uevents
// (a NETLINK_KOBJECT_UEVENT socket, only for the live root "/") and from
// polling (every `interval`: content hashes of the files, listings of the
// directories and targets of the links that the last probe of each provider
// read, as FsRoot's AccessRecorder saw them). Both feed one pending *set of
// providers* (bounded by the number of providers, whatever the event rate),
// which is coalesced for `coalesce` and then re-probed incrementally
// (IncrementalDiscovery: the result always equals a fresh discovery).
//
//   auto w = Watcher::start({.root = "/tmp/tree", .interval = std::chrono::milliseconds(20)});
//   auto g = (*w)->current();                       // never null after start()
//   auto next = (*w)->wait_for_generation_after(g->number, std::chrono::seconds(5));
//
// Publication: readers get the newest Generation by copying one std::shared_ptr
// under a mutex held only for that copy (the writer holds it only to swap the
// pointer, never during discovery; readers hold nothing while they read). A
// Generation bundles number, time and snapshot in one immutable object, so a
// reader can never see the number of one generation with the snapshot of
// another, and keeps its generation alive as long as it holds the pointer.
//
// Thread-safety: every public method may be called from any thread.
// Subscriber callbacks run on the watcher's own thread, one at a time, in
// generation order; they must not call stop() or destroy the Watcher.
// Errors: start() fails when the root cannot be opened or discovery options
// are invalid; afterwards nothing fails: unreadable or vanished files are
// diagnostics in the facts, as in a full discovery.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "accelmap/diff.h"
#include "accelmap/discover.h"
#include "accelmap/snapshot.h"

namespace accelmap {

/// One published state. Immutable.
struct Generation {
  std::uint64_t number = 0;  ///< 1 for the initial discovery, +1 per change
  std::chrono::system_clock::time_point time;  ///< when it was published
  std::shared_ptr<const Snapshot> snapshot;
};

/// What subscribers get for each new generation.
struct Change {
  std::shared_ptr<const Generation> generation;
  FactsDiff diff;                     ///< from the previous generation
  std::set<std::string> providers;    ///< the providers that were re-probed
};

class Watcher {
 public:
  struct Options {
    std::string root = "/";
    DiscoverOptions discover;
    /// Polling period; 0 disables polling (uevents only). Milliseconds.
    std::chrono::milliseconds interval{1000};
    /// Events within this window after the first are handled together. Milliseconds.
    std::chrono::milliseconds coalesce{50};
    /// Listen to kernel uevents when the root is "/" (falls back to polling
    /// alone when the socket cannot be opened, e.g. in a container).
    bool netlink = true;
  };

  struct Stats {
    std::uint64_t events = 0;     ///< uevents and notifications received
    std::uint64_t ignored = 0;    ///< of those, for subsystems accelmap does not read
    std::uint64_t reprobes = 0;   ///< incremental re-probe passes run
    std::uint64_t polls = 0;      ///< polling scans done
    std::size_t pending_max = 0;  ///< largest pending provider set seen (bounded by the provider count)
    bool netlink = false;         ///< a uevent socket is open
  };

  using Callback = std::function<void(const Change&)>;

  /// Runs the initial discovery (generation 1) and starts the watcher thread.
  static Result<std::unique_ptr<Watcher>> start(Options options);
  ~Watcher();  ///< stops the thread
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  /// The newest generation; never null. Lock-free where the library allows.
  std::shared_ptr<const Generation> current() const;

  /// Calls `cb` for every later generation. Returns an id for unsubscribe().
  std::uint64_t subscribe(Callback cb);
  void unsubscribe(std::uint64_t id);

  /// Blocks until a generation newer than `number` is published (returns it)
  /// or `timeout` passes (returns nullptr).
  std::shared_ptr<const Generation> wait_for_generation_after(std::uint64_t number,
                                                              std::chrono::milliseconds timeout) const;

  /// Feeds a uevent (as read from netlink). Returns false when the subsystem is
  /// not one accelmap reads (the event is dropped).
  bool notify_uevent(std::string_view subsystem, std::string_view devpath);
  /// Feeds a changed in-root path (e.g. from an external file watcher).
  void notify_path(std::string_view path);

  /// Makes the watcher poll now and waits until that poll, and the re-probe it
  /// causes, are done. True unless `timeout` passed first. For tests and
  /// one-shot callers that need "caught up with the tree as it is now".
  bool settle(std::chrono::milliseconds timeout);

  Stats stats() const;
  /// Stops the thread (idempotent); current() stays valid.
  void stop();

 private:
  struct Impl;
  explicit Watcher(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Parses one NETLINK_KOBJECT_UEVENT datagram ("ACTION@DEVPATH\0KEY=VALUE\0...").
/// Returns false for anything that is not a kernel uevent (e.g. libudev's).
bool parse_uevent(std::string_view datagram, std::string* subsystem, std::string* devpath, std::string* action);

}  // namespace accelmap
