// accelmap/snapshot.h — the immutable, typed picture of one machine.
//
// A Snapshot is built from facts by a pure function (build_snapshot) and never
// changes afterwards; share it as std::shared_ptr<const Snapshot>. Readers need
// no locks. Later stages (path index, queries) are built *from* it.
//
//   auto facts = accelmap::discover(*root, options);
//   std::shared_ptr<const accelmap::Snapshot> snap = accelmap::build_snapshot(*facts);
//   for (const auto& node : snap->numa_nodes()) ...
//
// Every number is a Measured<T>: a value that may be unknown, with the
// provenance and source it came from. Unknown is never 0.
//
// Ordering: every vector is sorted by id / natural key order, so iteration
// (and therefore all output) is deterministic.
//
// Texts: every text in a row (a key, a name, a driver, a list of keys) is a
// std::string_view into the Snapshot itself: into its facts() where the text
// is there word for word, else into a store of its own. They stay valid as
// long as the Snapshot; copy one into a std::string to keep it longer. Why
// views: a std::string is 32 bytes plus a block for a text over 15 characters
// (nearly every key), and the copies were 15 of the 47 MB that the rows of a
// 10,000-device machine took (docs/PERFORMANCE.md); a view is 16 bytes and
// never allocates.
//
// Thread-safety: immutable after construction; safe to share between threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "accelmap/facts.h"

namespace accelmap {

/// A number that may be unknown, with where it came from.
///
/// The provenance sits in the Source's unused last bytes (see Attr), so a
/// Measured<double> is 32 bytes, not 40: a PCI function's row holds six.
template <typename T>
struct Measured {
  std::optional<T> value;
  [[no_unique_address]] Source source;  ///< shares its stem with the attribute it was read from (see Source)
  Provenance provenance = Provenance::kUnknown;
  bool known() const { return value.has_value(); }
  friend bool operator==(const Measured&, const Measured&) = default;
};

/// Memory kinds. Names (memory_kind_name) are part of the JSON output.
enum class MemoryKind : std::uint8_t {
  kUnknown,
  kDram,          ///< ordinary system DRAM (DDR)
  kHbm,           ///< high-bandwidth memory on the CPU package (flat mode)
  kSpecificPurpose,  ///< EFI soft-reserved memory not otherwise classified
  kPmem,          ///< persistent memory (NVDIMM namespaces)
  kCxl,           ///< CXL-attached volatile memory (type-3 expander)
  kCxlPmem,       ///< CXL-attached persistent memory
  kDevice,        ///< memory owned by a device (GPU memory as a NUMA node)
};
const char* memory_kind_name(MemoryKind k) noexcept;

struct Cpu {
  std::uint32_t id = 0;
  bool online = true;
  std::optional<std::int64_t> package;
  std::optional<std::int64_t> core;
  std::optional<std::int64_t> die;
};

struct Package {
  std::int64_t id = 0;
  IdSet cpus;
  IdSet numa_nodes;  ///< nodes with CPUs of this package, plus memory-only nodes whose best CPU initiator is here
};

/// One row of HMAT performance: from `initiators` to the node that owns it.
struct MemoryAccess {
  int access_class = 0;  ///< 0 = best initiator of any kind (devices too), 1 = best CPU initiator
  IdSet initiators;      ///< NUMA nodes of the initiators
  Measured<std::int64_t> read_bandwidth;   ///< MB/s
  Measured<std::int64_t> write_bandwidth;  ///< MB/s
  Measured<std::int64_t> read_latency;     ///< ns
  Measured<std::int64_t> write_latency;    ///< ns
};

struct MemorySideCache {
  int level = 0;
  Measured<std::int64_t> size;       ///< bytes
  Measured<std::int64_t> line_size;  ///< bytes
  std::string_view indexing;         ///< "direct-mapped", "indexed", "other"
  std::string_view write_policy;     ///< "write-back", "write-through", "other"
};

struct NumaNode {
  std::uint32_t id = 0;
  std::string_view key;  ///< "numa:N"
  bool online = true;
  bool has_cpu = false;
  bool has_memory = false;
  bool generic_initiator = false;  ///< holds an ACPI Generic Initiator (a device, no CPUs)
  IdSet cpus;
  std::optional<std::int64_t> package;  ///< package of its CPUs, when they agree
  Measured<std::int64_t> capacity;      ///< bytes
  std::vector<std::pair<std::uint32_t, std::int64_t>> distances;  ///< (node, SLIT distance), relative
  MemoryKind kind = MemoryKind::kUnknown;
  std::string_view kind_reason;  ///< why the kind was chosen, in one sentence
  std::optional<int> tier;  ///< smaller is faster
  bool tier_derived = false;  ///< true when accelmap derived it (no kernel memory_tiering)
  std::string_view owner;     ///< device key that owns this memory (GPU), if any
  std::vector<MemoryAccess> access;  ///< by access class
  std::vector<MemorySideCache> caches;
  std::vector<std::string_view> dax;  ///< dax device keys whose memory is this node
};

/// Memory that is not (or not only) a NUMA node: DAX devices, CXL regions.
struct MemoryRegion {
  std::string_view key;  ///< "dax:dax0.0", "cxl:region0"
  MemoryKind kind = MemoryKind::kUnknown;
  std::string_view kind_reason;
  Measured<std::int64_t> capacity;  ///< bytes
  std::optional<std::uint32_t> numa_node;  ///< node it is onlined as (system-ram mode)
  std::optional<std::int64_t> near_node;   ///< closest CPU node (dax numa_node)
  std::string_view mode;  ///< "system-ram", "devdax", "ram", "pmem"
  std::string_view parent;  ///< dax: the platform/ndbus/cxl parent path
  std::vector<std::string_view> members;  ///< cxl region: memdev keys; dax: its CXL region
  std::vector<std::string_view> devices;  ///< PCI keys of the devices backing it
};

enum class PciRole : std::uint8_t {
  kHostBridge,
  kRootPort,
  kSwitchUpstream,
  kSwitchDownstream,
  kBridge,     ///< a bridge whose role is not clear from sysfs (e.g. PCI-to-PCI legacy)
  kEndpoint,
};
const char* pci_role_name(PciRole r) noexcept;

struct PciLink {
  Measured<double> speed;          ///< GT/s per lane
  Measured<std::int64_t> width;    ///< lanes
  /// Usable bandwidth MB/s: speed x width x encoding (8b/10b below 8 GT/s, 128b/130b above) / 8.
  Measured<double> bandwidth;
};

struct PciDevice {
  std::string_view key;     ///< "pci:0000:3b:00.0" or "hostbridge:0000:3a"
  std::string_view bdf;     ///< "0000:3b:00.0" ("" for host bridges)
  PciRole role = PciRole::kEndpoint;
  std::int64_t domain = 0, bus = 0, device = 0, function = 0;
  std::string_view parent;  ///< key of the upstream bridge or host bridge; "" at the top / flat trees
  std::vector<std::string_view> children;  ///< keys, sorted
  std::optional<std::int64_t> vendor_id, device_id, subsystem_vendor_id, subsystem_device_id, class_code,
      revision;
  std::string_view vendor_name, device_name, subsystem_name, class_name;
  std::string_view driver;
  std::optional<std::int64_t> numa_node;  ///< unknown when the kernel says -1
  /// The CPUs near it (local_cpulist, else the local_cpus mask); null when the
  /// kernel gave none. Points into facts() (nearly every function of a large
  /// machine has the same set: one block, no copy per row).
  const IdSet* local_cpus = nullptr;
  PciLink current_link, max_link;
  std::optional<std::int64_t> sriov_totalvfs, sriov_numvfs;
  std::string_view physfn;              ///< key of the PF, for a VF
  std::vector<std::string_view> virtfns;  ///< keys of the VFs, for a PF
  std::string_view sysfs_path;
};

/// One function an accelerator offers, in the catalog's vocabulary.
struct Function {
  std::string_view name;  ///< canonical, e.g. "compress.deflate"
  std::string_view state;  ///< "available", "not-configured", "isolated", "failed", "unknown"
  std::optional<std::int64_t> instances_free, instances_total;  ///< count, where the kernel says
  TextListView via;     ///< the source words that gave it ("qat.service=dc"), sorted
  TextListView queues;  ///< e.g. idxd work queues that can run it
  Provenance provenance = Provenance::kKernel;  ///< kernel (stated) or nominal (a table says)
};

/// Memory that belongs to a device (GPU HBM, VE HBM, CXL device memory).
struct DeviceMemory {
  std::string_view key;
  std::string_view kind;  ///< "hbm", "gddr", "ddr", "lpddr", "unknown"
  Measured<std::int64_t> size;  ///< bytes
  std::optional<std::int64_t> width_bits, clock_mhz;
  TextListView shared_by;  ///< accelerator keys sharing this memory (partitions)
  std::optional<std::int64_t> numa_node;  ///< when it is also a NUMA node
};

/// An accelerator's family-specific attributes (name -> attribute), in name order:
/// those of its object in Snapshot::facts() that have no field of their own in
/// Accelerator, plus what the snapshot joined to it (a folded DRM card's, as "drm_...").
///
/// Why a view: the snapshot owns those facts already, and a copy of every
/// accelerator's attributes was 4 MB of the 147 MB heap of a 10,000-device discovery.
///
/// Ownership: refers into the Snapshot that holds it; valid as long as that
/// Snapshot. Thread-safety: immutable once built; const use from many threads is safe.
class AcceleratorDetails {
 public:
  using value_type = AttrMap::value_type;

  /// Walks the read attributes and the joined ones together, in name order.
  class const_iterator {
   public:
    using value_type = AttrMap::value_type;
    /// The name and the attribute, as AttrMap's iteration gives them.
    using reference = AttrMap::const_reference;
    using pointer = AttrMap::const_iterator::pointer;
    using difference_type = std::ptrdiff_t;
    using iterator_category = std::input_iterator_tag;  // `reference` is not a true reference
    using iterator_concept = std::forward_iterator_tag;
    const_iterator() = default;
    reference operator*() const { return read_first() ? *read_ : *joined_; }
    pointer operator->() const { return {**this}; }
    const_iterator& operator++() noexcept;
    const_iterator operator++(int) noexcept {
      const_iterator before = *this;
      ++*this;
      return before;
    }
    friend bool operator==(const const_iterator& a, const const_iterator& b) noexcept {
      return a.read_ == b.read_ && a.joined_ == b.joined_;
    }

   private:
    friend class AcceleratorDetails;
    const_iterator(AttrMap::const_iterator read, AttrMap::const_iterator read_end, AttrMap::const_iterator joined,
                   AttrMap::const_iterator joined_end) noexcept;
    bool read_first() const noexcept;
    void skip_hidden() noexcept;  ///< past read attributes that are Accelerator fields or joined ones
    AttrMap::const_iterator read_{}, read_end_{}, joined_{}, joined_end_{};
  };

  const_iterator begin() const noexcept;
  const_iterator end() const noexcept;
  bool empty() const noexcept { return begin() == end(); }
  /// The attribute `name`; null when there is none (or it is one of Accelerator's fields).
  const Attr* find(std::string_view name) const noexcept;
  /// The attribute `name`; throws std::out_of_range when there is none.
  const Attr& at(std::string_view name) const;

  /// True for the attribute names that are Accelerator fields ("family", "pci", ...),
  /// which details leave out.
  static bool is_field(std::string_view name) noexcept;

 private:
  friend class SnapshotBuilder;
  const AttrMap* read_ = nullptr;  ///< the accelerator's object's attributes, in Snapshot::facts()
  AttrMap joined_;                 ///< attributes the snapshot joined; a name here hides a read one
};

/// An accelerator: anything that offers functions (GPU, NPU, engine, FPGA region, ...).
struct Accelerator {
  std::string_view key;     ///< "kfd:node2", "uacce:hisi_zip-0", "idxd:dsa0", "qat:0000:3d:00.0"
  std::string_view family;  ///< "gpu", "npu", "uacce", "dsa", "iaa", "qat", "dma", "crypto", "fpga", "cxl", "ve", "rdma", ...
  std::string_view device_type;  ///< human words: "GPU", "compression engine"
  std::string_view pci;     ///< key of its PCI function; "" when it has none
  std::string_view vendor, model, driver, state;
  std::optional<std::int64_t> numa_node;  ///< the device's own, else its PCI function's
  std::string_view partition_of, package;  ///< for partitions of one physical package
  std::string_view hive_id;               ///< xGMI hive (a 64-bit id, kept as decimal text); "" = none
  std::vector<Function> functions;        ///< sorted by name
  std::vector<DeviceMemory> memory;
  /// Family-specific attributes as read (name -> attribute), for JSON and `ls -o`.
  AcceleratorDetails details;
};

/// A direct device-to-device link (xGMI, NVLink, PCIe peer path, intra-package).
struct DeviceLink {
  std::string_view key, a, b;
  std::string_view type;  ///< "xgmi", "pcie", "nvlink", "cxl", "c2c", "intra-package"
  Measured<std::int64_t> bandwidth_min, bandwidth_max;  ///< MB/s
  std::optional<std::int64_t> weight, hops;
};

struct MachineInfo {
  std::string_view product_name, sys_vendor, kernel_release, cpu_model;
};

class Snapshot {
 public:
  Snapshot() = default;
  /// Not copied nor moved: parts of it (AcceleratorDetails) refer into its own facts.
  /// Share it through the std::shared_ptr that build_snapshot returns.
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

  const MachineInfo& machine() const { return machine_; }
  const std::vector<Cpu>& cpus() const { return cpus_; }
  const std::vector<Package>& packages() const { return packages_; }
  const std::vector<NumaNode>& numa_nodes() const { return numa_nodes_; }
  const std::vector<MemoryRegion>& memory_regions() const { return memory_regions_; }
  /// Host bridges and PCI functions, in tree order (parents before children, siblings by bus id).
  const std::vector<PciDevice>& pci_devices() const { return pci_; }
  /// Accelerators, ordered by key.
  const std::vector<Accelerator>& accelerators() const { return accelerators_; }
  const std::vector<DeviceLink>& device_links() const { return links_; }
  const Accelerator* find_accelerator(std::string_view key) const;
  /// Accelerators that sit on PCI function `pci_key` (several for partitioned GPUs).
  std::vector<const Accelerator*> accelerators_on(std::string_view pci_key) const;
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }
  /// "kernel" when the kernel published memory tiers, "derived" when accelmap computed them, "" when none.
  const std::string& tiering_source() const { return tiering_source_; }
  /// The facts this snapshot was built from (kept for replay and diff).
  const FactSet& facts() const { return facts_; }

  const NumaNode* find_numa(std::uint32_t id) const;
  const PciDevice* find_pci(std::string_view key) const;

 private:
  friend class SnapshotBuilder;
  MachineInfo machine_;
  std::vector<Cpu> cpus_;
  std::vector<Package> packages_;
  std::vector<NumaNode> numa_nodes_;
  std::vector<MemoryRegion> memory_regions_;
  std::vector<PciDevice> pci_;
  /// (key, index into pci_), sorted by key: pci_ itself is in tree order.
  std::vector<std::pair<std::string_view, std::size_t>> pci_index_;
  std::vector<Accelerator> accelerators_;
  /// (PCI key, index into accelerators_), sorted: several partitions may share one function.
  std::vector<std::pair<std::string_view, std::size_t>> accel_by_pci_;
  std::vector<DeviceLink> links_;
  std::vector<Diagnostic> diagnostics_;
  std::string tiering_source_;
  FactSet facts_;
  /// The row texts that are not in facts_ word for word (made-up models, joined
  /// keys, reasons), and the lists of texts that are not (a function's `via`
  /// joined from two devices). A deque never moves what it holds, so views into
  /// its strings and lists stay valid.
  std::deque<std::string> texts_;
  std::deque<Value> lists_;
};

/// Pure: the same facts always give an identical snapshot. Never fails;
/// inconsistencies between facts become diagnostics of the snapshot.
std::shared_ptr<const Snapshot> build_snapshot(FactSet facts);

}  // namespace accelmap
