// accelmap/path_index.h — the best path between every pair of places that matter.
//
// A PathIndex is built from a Snapshot (never the reverse) by one pure function
// and never changes afterwards. Places are integer ids into flat vectors:
//   - accelerators: the index of the Accelerator in Snapshot::accelerators()
//   - memory targets: NUMA nodes with memory, MemoryRegions, device memories
//   - initiator (CPU) domains: NUMA nodes with CPUs, and Generic Initiator nodes
// Each (CPU domain, memory target) pair has one stored Path: an ordered PathClass and
// three Measured numbers. Nothing is stored per pair of accelerators or per
// (accelerator, memory) pair, so the index grows with the machine, not with its square:
//   - a path between two accelerators is computed when asked, from their PCI chains,
//     packages, direct links and NUMA nodes (a walk of two chains);
//   - a path from an accelerator to a NUMA node or memory region depends on the
//     accelerator only through its NUMA node and its PCI uplink, so accelerators alike
//     in those share one stored row (a 10,000-device machine has a handful of rows);
//   - a path to a device's memory is the owner's own, or the device path to the owner.
// Each function's offers ranked for one memory target (offers_near) are ranked on the
// first request for that pair and kept. Queries (accelmap/query.h) are lookups into
// these.
//
//   auto snap = accelmap::build_snapshot(facts);
//   accelmap::PathIndex index(snap);   // keeps the snapshot alive
//   accelmap::Path p = index.device_path(0, 1);
//
// Policy (peer-to-peer threshold, excluded devices) is *not* in here: paths are
// facts about the machine, policy is an input of each query.
//
// Ownership: the index holds a shared_ptr to its snapshot; string_views and
// pointers it hands out live as long as the index.
// Thread-safety: logically immutable after construction; share it freely between
// threads. What is filled in on first use (stable_path()'s copies, the offers_near
// rankings) is behind a lock, and a ranking once published never changes.
// Errors: construction never fails; what cannot be known is an unknown Measured
// or kUnreachable, with the reason in Path::basis.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <utility>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "accelmap/snapshot.h"

namespace accelmap {

/// How far apart two places are; smaller is closer. The order is the ranking
/// order, so comparisons (`<`) are meaningful. Short names: path_class_name().
enum class PathClass : std::uint8_t {
  kSelf,            ///< SELF: the same device (or a device's own memory)
  kSamePackage,     ///< PKG: partitions of one package, functions of one PCI device
  kDirectLink,      ///< LINK: a device link (xGMI, NVLink, C2C, intra-package)
  kSameSwitch,      ///< PIX: below one PCIe switch (or one bridge)
  kAcrossSwitches,  ///< PXB: several PCIe switches below one root port / host bridge
  kHostBridge,      ///< PHB: through one host bridge (device to its local CPU memory)
  kSameNode,        ///< NODE: across host bridges within one NUMA node / package
  kAcrossSockets,   ///< SYS: across the inter-socket interconnect
  kUnreachable,     ///< DIS: no path known
};
/// "SELF", "PKG", "LINK", "PIX", "PXB", "PHB", "NODE", "SYS", "DIS".
const char* path_class_name(PathClass c) noexcept;
std::optional<PathClass> path_class_from_name(std::string_view name) noexcept;

/// A path number: a Measured without its own source string (Path::basis says where
/// the numbers came from), so that a million paths stay small. Unknown is never 0.
struct PathMetric {
  static constexpr std::int64_t kUnknownValue = -1;
  std::int64_t value = kUnknownValue;
  Provenance provenance = Provenance::kUnknown;
  bool known() const { return value != kUnknownValue; }
  static PathMetric of(std::int64_t v, Provenance p) { return PathMetric{v, p}; }
  friend bool operator==(const PathMetric&, const PathMetric&) = default;
};

/// The best known path between two places.
struct Path {
  PathClass cls = PathClass::kUnreachable;
  PathMetric bandwidth;  ///< bottleneck, MB/s; unknown when any segment on the path is unknown
  PathMetric latency;    ///< summed, ns; unknown when any segment is unknown
  PathMetric hops;       ///< links traversed (derived from the PCI tree / link table)
  /// How the class and numbers were obtained, in words: "HMAT access0 (generic
  /// initiator numa:2)", "PCI path + CPU access of numa:0", "xgmi link". Points into
  /// the index's string table.
  std::string_view basis;
};

/// A memory a query can target.
struct MemoryTarget {
  enum class Type : std::uint8_t { kNumaNode, kRegion, kDeviceMemory };
  Type type = Type::kNumaNode;
  std::string key;           ///< "numa:2", "dax:dax0.0", "kfd:node2/mem0" (device memory key)
  MemoryKind kind = MemoryKind::kUnknown;
  std::string kind_name;     ///< memory_kind_name(kind), or the device memory's own word ("hbm")
  Measured<std::int64_t> capacity;       ///< bytes
  std::optional<std::uint32_t> numa_node;  ///< the node holding it (the region's node, the node itself)
  std::vector<std::uint32_t> owners;     ///< accelerator ids owning / sharing it (device memory)
  /// Set when this target is the same memory as another target (a DAX device or CXL
  /// region onlined as a NUMA node, a device memory that is a NUMA node): the id of
  /// that node's target. Ranked lists show the node once; the alias stays addressable by key.
  std::optional<std::uint32_t> same_as;
};

/// An initiator domain: a NUMA node with CPUs, or a Generic Initiator node (a device's
/// node, whose memory figures are HMAT access0).
struct CpuDomain {
  std::uint32_t node = 0;
  bool generic_initiator = false;
  std::optional<std::int64_t> package;
};

/// Per-accelerator facts the queries need, in integer form.
struct AcceleratorPlace {
  std::string_view key;
  std::optional<std::uint32_t> numa_node;
  std::int32_t package = -1;      ///< index into the index's package groups; -1 = none
  std::int32_t pci = -1;          ///< index into Snapshot::pci_devices(); -1 = none
  std::vector<std::int32_t> pci_chain;  ///< pci ancestors, endpoint first, host bridge last
  std::optional<std::int64_t> cpu_package;  ///< socket of its NUMA node's CPUs
};

/// One accelerator offering one function (an entry of a per-function list).
struct Offer {
  std::uint32_t accelerator = 0;
  std::uint32_t function = 0;   ///< index into Accelerator::functions
  bool available = false;       ///< state == "available"
  std::int64_t instances_free = -1;  ///< -1 = unknown
};

class PathIndex {
 public:
  explicit PathIndex(std::shared_ptr<const Snapshot> snapshot);
  ~PathIndex();
  PathIndex(PathIndex&&) noexcept;  ///< pointers handed out stay valid, now into the new index
  PathIndex& operator=(PathIndex&&) noexcept;
  PathIndex(const PathIndex&) = delete;
  PathIndex& operator=(const PathIndex&) = delete;

  const Snapshot& snapshot() const { return *snap_; }
  std::size_t accelerator_count() const { return places_.size(); }
  const AcceleratorPlace& place(std::uint32_t accelerator) const { return places_[accelerator]; }
  const std::vector<MemoryTarget>& memory_targets() const { return targets_; }
  const std::vector<CpuDomain>& cpu_domains() const { return cpu_domains_; }

  /// Accelerator id by key; nullopt when unknown.
  std::optional<std::uint32_t> accelerator_id(std::string_view key) const;
  /// Memory target id by key ("numa:1", "dax:dax0.0", a device memory key); nullopt when unknown.
  std::optional<std::uint32_t> memory_target_id(std::string_view key) const;
  /// Position of `target` in the natural order of memory target keys (natural_less):
  /// the queries' last tie-break as an integer compare instead of a string walk.
  std::uint32_t memory_target_order(std::uint32_t target) const { return target_order_[target]; }
  /// The memory target of NUMA node `node`, if the node has memory.
  std::optional<std::uint32_t> numa_target(std::uint32_t node) const;
  /// CPU domain id of NUMA node `node`, if it has CPUs.
  std::optional<std::uint32_t> cpu_domain_id(std::uint32_t node) const;

  /// Device to device, computed on demand from the two PCI chains, the package groups, the
  /// direct links at each device and their NUMA nodes (O(chain depth^2); nothing per pair is
  /// stored). Symmetric: device_path(a, b) == device_path(b, a).
  Path device_path(std::uint32_t a, std::uint32_t b) const {
    return a <= b ? compute_device_path(a, b) : compute_device_path(b, a);
  }
  /// A copy of `p` that lives as long as the index (explanation steps point at device paths):
  /// equal paths share one copy. Takes a lock; thread-safe.
  const Path* stable_path(const Path& p) const;
  /// Device to memory target. The reference lives as long as the index. A NUMA node or
  /// region is a lookup; another device's memory is computed from the device path to its
  /// owner and kept through stable_path() (a lock).
  const Path& memory_path(std::uint32_t accelerator, std::uint32_t target) const {
    const std::int32_t column = plain_column_[target];
    if (column >= 0) return mem_rows_[mem_row_of_[accelerator] * plain_columns_ + column];
    return device_memory_path(accelerator, target);
  }
  /// CPU domain to memory target.
  const Path& cpu_memory_path(std::uint32_t domain, std::uint32_t target) const {
    return cpu_mem_[domain * targets_.size() + target];
  }
  /// The best class any accelerator reaches `target` at (kUnreachable with no accelerators).
  PathClass best_device_class(std::uint32_t target) const { return best_class_[target]; }
  /// The accelerator's local memories, ascending: targets (not aliases) it reaches at
  /// best_device_class(target), where that class is at most kSameNode.
  const std::vector<std::uint32_t>& local_targets(std::uint32_t accelerator) const {
    return local_targets_[accelerator];
  }

  /// Non-alias targets that two or more accelerators reach at best_device_class(target), that
  /// class being at most kSameNode: the only memories a shared-memory hand-off (share, chain)
  /// can go through. Ascending.
  const std::vector<std::uint32_t>& shared_targets() const { return shared_targets_; }

  /// Groupings of the accelerators for peer-to-peer candidates: two accelerators whose
  /// device_path() has a class is in one group of that class's grouping (a superset: a
  /// group also holds pairs of other classes). Only groups of two or more are kept.
  enum class PeerGrouping : std::uint8_t {
    kPackage,     ///< PKG: one package group (AcceleratorPlace::package)
    kPciBranch,   ///< PIX, PXB: one PCI branch below a host bridge (its root port's subtree)
    kPciTree,     ///< PHB: one PCI tree (its top: the host bridge)
    kNumaNode,    ///< NODE: one NUMA node ...
    kCpuPackage,  ///< NODE: ... or one CPU package
  };
  /// The groups of `g`, each ascending by accelerator id; groups in order of their smallest id.
  const std::vector<std::vector<std::uint32_t>>& peer_groups(PeerGrouping g) const {
    return peer_groups_[static_cast<std::size_t>(g)];
  }
  /// Pairs (a < b) joined by a direct device link (LINK, or PKG inside a package), ascending.
  const std::vector<std::pair<std::uint32_t, std::uint32_t>>& linked_pairs() const { return linked_pairs_; }
  /// Whether `a` offers `function` (in any state): one bit per (function, accelerator).
  bool offers_function(std::uint32_t function, std::uint32_t a) const {
    return (offer_bits_[function * offer_words_ + a / 64] >> (a % 64)) & 1;
  }
  /// The offer bits of `function`: offer_words() words, bit a % 64 of word a / 64 for accelerator a.
  const std::uint64_t* offer_bits(std::uint32_t function) const { return offer_bits_.data() + function * offer_words_; }
  std::size_t offer_words() const { return offer_words_; }
  /// The offer of `function` by accelerator `a` (binary search of offers(function), which is in
  /// id order when ranked_by_id()); nullptr when none.
  const Offer* offer(std::uint32_t function, std::uint32_t a) const;
  /// True when accelerator ids follow the natural order of their keys and no accelerator
  /// offers one function twice: then ranking ties "by key" are ties by id, and the best-first
  /// share/chain searches (src/query/pair_search.cc) apply.
  bool ranked_by_id() const { return ranked_by_id_; }
  /// True when every PCI chain is complete (not cut at 64 levels) with host bridges only at its
  /// top, so that peer_groups() hold every pair of their classes.
  bool peer_groups_complete() const { return peer_groups_complete_; }

  /// Function id by canonical name (one hash probe); nullopt when nobody offers it.
  std::optional<std::uint32_t> function_id(std::string_view name) const;
  const std::string& function_name(std::uint32_t function) const { return function_names_[function]; }
  std::size_t function_count() const { return function_names_.size(); }
  /// Every offer of `function`, by accelerator key.
  const std::vector<Offer>& offers(std::uint32_t function) const { return offers_[function]; }
  /// Every offer of `function`, ranked by memory_path(offer, target) (class, -bandwidth,
  /// latency, hops, then offers() order). The nearest-function query walks this list and
  /// stops at `count`. Ranked on the first request for the pair (O(offers log offers),
  /// under a lock), then one atomic load; the list lives as long as the index.
  const std::vector<Offer>& offers_near(std::uint32_t function, std::uint32_t target) const {
    const std::vector<Offer>* ranked = near_slots_[function * targets_.size() + target].load(std::memory_order_acquire);
    return ranked ? *ranked : rank_offers(function, target);
  }

 private:
  std::shared_ptr<const Snapshot> snap_;
  std::vector<AcceleratorPlace> places_;
  std::vector<std::pair<std::string_view, std::uint32_t>> accel_by_key_;  // sorted
  std::vector<MemoryTarget> targets_;
  std::vector<std::pair<std::string, std::uint32_t>> target_by_key_;     // sorted
  std::vector<std::pair<std::uint32_t, std::uint32_t>> target_of_node_;  // (NUMA node id, target id), sorted
  std::vector<std::uint32_t> target_order_;                              // target id -> rank by natural key
  std::vector<CpuDomain> cpu_domains_;
  std::vector<Path> cpu_mem_;
  // Device -> NUMA node / region paths: rows shared by accelerators alike in NUMA node and
  // PCI uplink (mem_row_of_), one column per target that is not device memory.
  std::vector<std::uint32_t> mem_row_of_;   // accelerator -> row
  std::vector<std::int32_t> plain_column_;  // target -> column; -1 for device memory
  std::size_t plain_columns_ = 0;
  std::vector<Path> mem_rows_;              // row * plain_columns_ + column
  const Path* own_memory_ = nullptr;        // an owner's path to its own memory (in stable_)
  const Path* package_memory_ = nullptr;    // ... to its package's memory, shared by partitions
  std::vector<std::vector<std::uint32_t>> package_members_;  // package group -> accelerators
  std::unordered_map<const char*, std::string_view> via_owner_basis_;  // device path basis -> "via owner: ..."
  // An owner's (or partition's) path to its device memory; nullptr for any other accelerator.
  const Path* owner_memory_path(std::uint32_t accelerator, std::uint32_t target) const;
  Path device_memory_value(std::uint32_t accelerator, std::uint32_t target) const;
  const Path& device_memory_path(std::uint32_t accelerator, std::uint32_t target) const;
  std::vector<std::unique_ptr<std::string>> strings_;  // interned basis texts (stable addresses)
  std::vector<PathClass> best_class_;
  std::vector<std::vector<std::uint32_t>> local_targets_;
  std::vector<std::string> function_names_;  // sorted
  // Open-addressing table over function_names_: slot = id + 1, 0 = empty; size a
  // power of two, at most half full. The hot path of nearest() starts here, and a
  // binary search over names with long common prefixes ("crypto.cipher.aes-...")
  // was a quarter of its time.
  std::vector<std::uint32_t> function_slots_;
  std::vector<std::vector<Offer>> offers_;
  // offers_near rankings, published once per (function, target): function * targets + target.
  std::unique_ptr<std::atomic<const std::vector<Offer>*>[]> near_slots_;
  const std::vector<Offer>& rank_offers(std::uint32_t function, std::uint32_t target) const;
  struct Rankings;  // the lists and the lock that builds them
  std::unique_ptr<Rankings> rankings_;
  std::vector<std::uint32_t> shared_targets_;
  std::vector<std::vector<std::uint32_t>> peer_groups_[5];
  std::vector<std::pair<std::uint32_t, std::uint32_t>> linked_pairs_;
  std::vector<std::uint64_t> offer_bits_;
  std::size_t offer_words_ = 0;
  bool ranked_by_id_ = false;
  bool peer_groups_complete_ = false;

  // Device paths on demand.
  Path compute_device_path(std::uint32_t a, std::uint32_t b) const;
  std::vector<std::uint32_t> link_start_;  // direct links at accelerator i: link_at_[link_start_[i], link_start_[i + 1])
  std::vector<std::pair<std::uint32_t, std::uint32_t>> link_at_;  // (other accelerator, index into device_links())
  std::vector<std::string_view> link_basis_, link_in_package_basis_;  // per device link
  std::vector<std::int32_t> pci_basis_at_;  // per PCI device: index into pci_basis_; -1 = no two accelerators below it
  std::vector<std::array<std::string_view, 3>> pci_basis_;  // through the host bridge, below one switch, across switches
  std::vector<std::pair<std::uint32_t, std::string_view>> node_basis_;                         // sorted
  std::vector<std::pair<std::int64_t, std::string_view>> package_basis_;                       // sorted
  std::vector<std::pair<std::pair<std::uint32_t, std::uint32_t>, std::string_view>> socket_basis_;  // sorted
  std::string_view same_device_basis_, one_package_basis_, unknown_node_basis_;
  struct StablePaths;
  std::unique_ptr<StablePaths> stable_;
};

/// Ranking order of two paths: class, then higher bandwidth, lower latency, fewer hops;
/// unknown numbers sort after known ones. Returns <0, 0, >0.
int compare_paths(const Path& a, const Path& b) noexcept;

/// "unknown" or the value with its unit: "25600 MB/s", "120 ns".
std::string format_metric(const PathMetric& m, std::string_view unit);

}  // namespace accelmap
