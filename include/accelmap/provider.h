// accelmap/provider.h — the provider interface: one provider per kernel interface.
//
// A provider reads one kernel interface through the FsRoot and writes facts.
// Providers are stateless (probe is const) and run in phases; a later phase may
// read (never change) what earlier phases wrote, which is how joins happen
// (e.g. memory kinds read the DAX and CXL facts, device providers join their
// PCI function by key "pci:DDDD:BB:DD.F").
//
// A provider never fails discovery: a missing interface is normal (nothing is
// written), a missing or malformed file becomes a Diagnostic via ProbeContext.
//
// Thread-safety: probe() must not touch anything but its arguments.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "accelmap/catalog.h"
#include "accelmap/facts.h"
#include "accelmap/fs_root.h"

namespace accelmap {

namespace internal {
struct Prefetched;  // work discover() started early for a later provider (src/providers/prefetched.h)
}  // namespace internal

/// Discovery phases, run in this order (as hwloc's component phases).
enum class Phase : std::uint8_t {
  kPlatform,  ///< CPUs, NUMA nodes, HMAT
  kBus,       ///< PCI tree, CXL ports/regions, DAX devices
  kDevice,    ///< accelerators and their functions
  kLink,      ///< device-to-device links
  kAnnotate,  ///< names, memory kinds, tiers: joins over earlier facts
};

/// Inputs that are not in the tree (host files, user choices). Front ends fill
/// this; the library never reads the environment.
struct DiscoverOptions {
  /// PCI ID database for human names; empty = no names.
  std::string pci_ids_path;
  /// hwloc-style selection: "" = all, "pci,numa" = only those, "-pci" = all but pci.
  std::string providers;
  /// Catalog files that extend the built-in function vocabulary, in order.
  std::vector<std::string> catalog_files;
  /// Threads a provider may use, the calling thread included, for work that
  /// splits into independent parts (today: the pci provider's bus links and
  /// functions, idxd's and uacce's devices, qat's accelerators).
  /// 0: as many as the CPUs this process may run on, and only for work large
  /// enough to repay starting them (each provider says how many items a part
  /// needs: a few milliseconds of reads); 1: none; N > 1: up to N parts
  /// whatever the size (tests use this to check that the facts do not depend
  /// on it). The facts are the same byte for byte whatever the value: parts
  /// are merged in order (FactSet::absorb).
  unsigned threads = 0;
  /// Called by discover() after each provider's probe, on the thread that
  /// called it and in run order, with the provider's name and the wall time its
  /// probe took (its part threads included; the second thread's names pass only
  /// where a provider waited for it). Empty: nothing is timed. Where a
  /// discovery's time goes: `accelmap --timings`, `accelmap_bench
  /// --provider-times`. Re-probes (IncrementalDiscovery) do not call it.
  std::function<void(std::string_view provider, std::chrono::nanoseconds wall)> on_provider_done;
};

/// How many parts `items` independent pieces of work are split into under
/// `options.threads` (see there), when threads = 0 splitting only into parts of
/// at least `min_per_part` items: 1 means "do it on the calling thread".
std::size_t parallel_parts(const DiscoverOptions& options, std::size_t items, std::size_t min_per_part);

/// Folder listings one discovery pass keeps for its later providers, by
/// in-root path (ProbeContext::remember_listing). nullopt: the folder was left
/// unlisted for its size (FsRoot::Listing::kUnlessLarge).
using ListingMemo = std::map<std::string, std::optional<std::vector<DirEntry>>, std::less<>>;

/// What a provider gets: the root, options, earlier facts, and a diagnostic sink.
class ProbeContext {
 public:
  ProbeContext(const FsRoot& fs, const DiscoverOptions& options, const FunctionCatalog& catalog,
               std::string_view provider, FactSet& facts)
      : fs_(fs), options_(options), catalog_(catalog), provider_(provider), facts_(facts) {}

  const FsRoot& fs() const { return fs_; }
  /// The function vocabulary (built-in plus the user's catalog files).
  const FunctionCatalog& catalog() const { return catalog_; }
  const DiscoverOptions& options() const { return options_; }
  FactSet& facts() const { return facts_; }
  std::string_view provider() const { return provider_; }

  /// What discover() started early for this run's later providers (the PCI ID
  /// database pass, on a second thread while the device phase reads the tree);
  /// nullptr outside discover() (re-probes), where a provider reads for itself.
  const internal::Prefetched* prefetched() const { return prefetched_; }
  void set_prefetched(const internal::Prefetched* p) { prefetched_ = p; }

  /// ctx.fs().resolve(path) for a provider: the canonical in-root path, every
  /// symlink resolved inside the root. Components already seen not to be links
  /// are not looked at again, across every provider of one discovery pass when
  /// discover() shares its memo (set_resolve_memo), else within this provider
  /// (the links of /sys/bus/*/devices and /sys/class/* all point into one
  /// /sys/devices tree). The results are FsRoot::resolve's.
  Result<std::string> resolve(std::string_view path) const;
  /// ctx.fs().resolve_except_last(path) with the same memo: for a link to a
  /// folder the provider opens next with FsRoot::Links::kRefuse.
  Result<std::string> resolve_except_last(std::string_view path) const;
  /// Tells resolve()'s memo that no component of the canonical `path` is a
  /// link (say, an open with FsRoot::Links::kRefuse just succeeded), so later
  /// walks through it ask nothing about it.
  void remember_not_a_link(std::string path) const;
  /// The memo resolve() shares, owned by the caller and kept alive while this
  /// context is used; one thread at a time. nullptr: this context's own.
  void set_resolve_memo(std::set<std::string>* memo) { memo_ = memo; }

  /// The listings the providers of one discovery pass share, owned by the
  /// caller and kept alive while this context is used; one thread at a time
  /// (the parts of in_parts() get none). nullptr (re-probes): none.
  void set_listing_memo(ListingMemo* memo) { listings_ = memo; }
  /// Keeps `entries` (nullopt: left unlisted for its size) as the listing of
  /// `path` for this pass's later providers, where one is known to read the
  /// same folder (numa and hmat both read every NUMA node's folder; pci and qat
  /// both list /sys/bus/pci/devices): it is then listed once. Nothing is kept
  /// without a memo, or while recording (a capture records each provider's own
  /// reads). A folder's listing cannot change within a pass as far as its
  /// providers can tell: the later one would have raced the change anyway.
  void remember_listing(std::string_view path, std::optional<std::vector<DirEntry>> entries) const;
  /// What an earlier provider of this pass kept of `path`; nullptr when nothing.
  const std::optional<std::vector<DirEntry>>* remembered_listing(std::string_view path) const;

  /// The facts of the providers that ran before this one, to read. The same
  /// set as facts() except in a part of in_parts(), whose facts() holds only
  /// what the part wrote while earlier() stays the whole pass's (not written
  /// to while parts run).
  const FactSet& earlier() const { return earlier_ ? *earlier_ : facts_; }

  /// Runs `work` over the items [0, items) split into parallel_parts(options(),
  /// items, min_per_part) contiguous ranges, each on a thread of its own (the
  /// first on the calling thread) with a context whose facts() is a FactSet of
  /// its own; those are then absorbed into facts() in range order
  /// (FactSet::absorb), so the result is a single pass's, byte for byte.
  /// `work` may read files and earlier(), and write the objects its range
  /// owns (objects written by several ranges must come out identical). An
  /// exception in a part stops that part only and becomes an error
  /// diagnostic. A thread that cannot be started leaves its part to the
  /// calling thread.
  void in_parts(std::size_t items, std::size_t min_per_part,
                const std::function<void(const ProbeContext& part, std::size_t begin, std::size_t end)>& work) const;

  /// Records a soft problem with `path` (in-root path or key).
  void warn(std::string path, std::string message, Severity severity = Severity::kWarning) const;
  /// Records a failed read; Status messages already name the path.
  void warn(const Status& status, Severity severity = Severity::kWarning) const;

  // --- Reading helpers: each returns nullopt and records a diagnostic when the
  // file exists but cannot be read or parsed. A *missing* file is silent when
  // `optional` is true (most sysfs attributes are optional), else diagnosed.
  std::optional<std::string> read(std::string_view path, bool optional = true) const;
  /// read() of the first `head_bytes` only (FsRoot::read_head); `*whole` (when
  /// `whole` is not null) says whether that is all of the file.
  std::optional<std::string> read_head(std::string_view path, std::size_t head_bytes, bool* whole,
                                       bool optional = true) const;
  /// read() then trim.
  std::optional<std::string> read_trimmed(std::string_view path, bool optional = true) const;
  std::optional<std::int64_t> read_int(std::string_view path, bool optional = true) const;
  std::optional<std::uint64_t> read_uint(std::string_view path, bool optional = true) const;  // dec or 0x hex
  std::optional<IdSet> read_id_list(std::string_view path, bool optional = true) const;
  std::optional<IdSet> read_hex_mask(std::string_view path, bool optional = true) const;
  /// list_dir, silent when missing; other failures diagnosed. The listing an
  /// earlier provider of this pass kept (remember_listing), where there is one.
  std::vector<DirEntry> list(std::string_view path) const;

  // --- The same helpers on an open directory (FsRoot::open_dir): the fast path
  // for reading many attributes of one object. Diagnostics are identical to
  // the path forms' with path dir.path() + "/" + name.
  /// open_dir, silent when missing (nullopt); other failures diagnosed.
  std::optional<FsDir> open_dir(std::string_view path) const;
  std::optional<std::string> read(const FsDir& dir, std::string_view name, bool optional = true) const;
  std::optional<std::string> read_trimmed(const FsDir& dir, std::string_view name, bool optional = true) const;
  std::optional<std::int64_t> read_int(const FsDir& dir, std::string_view name, bool optional = true) const;
  std::optional<std::uint64_t> read_uint(const FsDir& dir, std::string_view name, bool optional = true) const;
  std::optional<IdSet> read_id_list(const FsDir& dir, std::string_view name, bool optional = true) const;
  std::optional<IdSet> read_hex_mask(const FsDir& dir, std::string_view name, bool optional = true) const;

 private:
  const FsRoot& fs_;
  const DiscoverOptions& options_;
  const FunctionCatalog& catalog_;
  std::string_view provider_;
  FactSet& facts_;
  const FactSet* earlier_ = nullptr;  // set in a part of in_parts(): the whole pass's facts
  const internal::Prefetched* prefetched_ = nullptr;
  std::set<std::string>* memo_ = nullptr;
  mutable std::set<std::string> own_memo_;  // resolve()'s when none is shared
  ListingMemo* listings_ = nullptr;
  // The memo resolve() uses: the shared one, else own_memo_.
  std::set<std::string>& resolve_memo() const;
};

class Provider {
 public:
  virtual ~Provider() = default;
  /// Short stable name, e.g. "pci"; used in diagnostics and --providers.
  virtual std::string_view name() const noexcept = 0;
  virtual Phase phase() const noexcept = 0;
  /// The kernel ABI document this provider follows (shown by `accelmap providers`).
  virtual std::string_view abi() const noexcept = 0;
  /// Reads through ctx.fs() and writes into ctx.facts().
  virtual void probe(const ProbeContext& ctx) const = 0;
};

/// Every built-in provider, in phase then registration order. The registry is
/// a plain function (no static registration objects, no global state).
std::vector<std::unique_ptr<Provider>> builtin_providers();

}  // namespace accelmap
