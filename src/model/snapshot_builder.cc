// SnapshotBuilder: the pure function FactSet -> Snapshot.
//
// Everything that interprets facts lives here: memory kinds from DAX/CXL/GPU
// ownership, memory tiers (kernel's, or derived with the kernel's own
// formula), PCIe port roles from the tree shape, link bandwidth from speed x
// width. Providers only report what the files say.
#include <algorithm>
#include <cstdio>
#include <cmath>
#include <iterator>
#include <map>
#include <stdexcept>
#include <unordered_map>

#include "accelmap/snapshot.h"

namespace accelmap {

const char* memory_kind_name(MemoryKind k) noexcept {
  switch (k) {
    case MemoryKind::kUnknown: return "unknown";
    case MemoryKind::kDram: return "dram";
    case MemoryKind::kHbm: return "hbm";
    case MemoryKind::kSpecificPurpose: return "specific-purpose";
    case MemoryKind::kPmem: return "pmem";
    case MemoryKind::kCxl: return "cxl";
    case MemoryKind::kCxlPmem: return "cxl-pmem";
    case MemoryKind::kDevice: return "device";
  }
  return "unknown";
}

const char* pci_role_name(PciRole r) noexcept {
  switch (r) {
    case PciRole::kHostBridge: return "host-bridge";
    case PciRole::kRootPort: return "root-port";
    case PciRole::kSwitchUpstream: return "switch-upstream";
    case PciRole::kSwitchDownstream: return "switch-downstream";
    case PciRole::kBridge: return "bridge";
    case PciRole::kEndpoint: return "endpoint";
  }
  return "endpoint";
}

const NumaNode* Snapshot::find_numa(std::uint32_t id) const {
  auto it = std::lower_bound(numa_nodes_.begin(), numa_nodes_.end(), id,
                             [](const NumaNode& n, std::uint32_t v) { return n.id < v; });
  return it != numa_nodes_.end() && it->id == id ? &*it : nullptr;
}

namespace {

// The first (key, index) pair of a sorted index whose key is not less than `key`.
using KeyIndex = std::vector<std::pair<std::string_view, std::size_t>>;
KeyIndex::const_iterator first_of(const KeyIndex& index, std::string_view key) {
  return std::lower_bound(index.begin(), index.end(), key,
                          [](const std::pair<std::string_view, std::size_t>& e, std::string_view k) { return e.first < k; });
}

// The accelerator `key` in `accs`, which is in natural key order (of_kind's order).
template <typename Accelerators>
auto find_by_key(Accelerators& accs, std::string_view key) -> decltype(&accs[0]) {
  auto it = std::lower_bound(accs.begin(), accs.end(), key,
                             [](const Accelerator& a, std::string_view k) { return natural_less(a.key, k); });
  return it != accs.end() && it->key == key ? &*it : nullptr;
}

}  // namespace

const PciDevice* Snapshot::find_pci(std::string_view key) const {
  auto it = first_of(pci_index_, key);
  return it != pci_index_.end() && it->first == key ? &pci_[it->second] : nullptr;
}

const Accelerator* Snapshot::find_accelerator(std::string_view key) const { return find_by_key(accelerators_, key); }

std::vector<const Accelerator*> Snapshot::accelerators_on(std::string_view pci_key) const {
  std::vector<const Accelerator*> out;
  for (auto it = first_of(accel_by_pci_, pci_key); it != accel_by_pci_.end() && it->first == pci_key; ++it)
    out.push_back(&accelerators_[it->second]);
  return out;
}

bool AcceleratorDetails::is_field(std::string_view name) noexcept {
  // Sorted: the attributes that Accelerator has fields for (build_accelerators).
  static constexpr std::string_view kFields[] = {"device_type", "driver",  "family",       "hive_id",
                                                 "model",       "numa_node", "package",    "partition_of",
                                                 "pci",         "state",   "vendor"};
  return std::binary_search(std::begin(kFields), std::end(kFields), name);
}

AcceleratorDetails::const_iterator::const_iterator(AttrMap::const_iterator read, AttrMap::const_iterator read_end,
                                                   AttrMap::const_iterator joined,
                                                   AttrMap::const_iterator joined_end) noexcept
    : read_(read), read_end_(read_end), joined_(joined), joined_end_(joined_end) {
  skip_hidden();
}

bool AcceleratorDetails::const_iterator::read_first() const noexcept {
  return read_ != read_end_ && (joined_ == joined_end_ || read_.name() < joined_.name());
}

void AcceleratorDetails::const_iterator::skip_hidden() noexcept {
  // Both ranges are sorted and walked together, so a read name that a joined one
  // hides meets it here: joined_ never passes a name that read_ has not reached.
  while (read_ != read_end_ &&
         (is_field(read_.name()) || (joined_ != joined_end_ && joined_.name() == read_.name())))
    ++read_;
}

AcceleratorDetails::const_iterator& AcceleratorDetails::const_iterator::operator++() noexcept {
  if (read_first()) ++read_;
  else ++joined_;
  skip_hidden();
  return *this;
}

AcceleratorDetails::const_iterator AcceleratorDetails::begin() const noexcept {
  if (!read_) return {{}, {}, joined_.begin(), joined_.end()};
  return {read_->begin(), read_->end(), joined_.begin(), joined_.end()};
}

AcceleratorDetails::const_iterator AcceleratorDetails::end() const noexcept {
  if (!read_) return {{}, {}, joined_.end(), joined_.end()};
  return {read_->end(), read_->end(), joined_.end(), joined_.end()};
}

const Attr* AcceleratorDetails::find(std::string_view name) const noexcept {
  if (auto it = joined_.find(name); it != joined_.end()) return &it->second;
  if (!read_ || is_field(name)) return nullptr;
  auto it = read_->find(name);
  return it != read_->end() ? &it->second : nullptr;
}

const Attr& AcceleratorDetails::at(std::string_view name) const {
  if (const Attr* a = find(name)) return *a;
  throw std::out_of_range("accelerator has no detail " + std::string(name));
}

namespace {

template <typename T>
Measured<T> measured(const Object& o, std::string_view name) {
  Measured<T> m;
  const Attr* a = o.find(name);
  if (!a) return m;
  m.provenance = a->provenance;
  m.source = a->source;
  if constexpr (std::is_same_v<T, double>) {
    if (const double* d = a->value.as_double()) m.value = *d;
    else if (const std::int64_t* i = a->value.as_int()) m.value = static_cast<double>(*i);
  } else {
    if (const std::int64_t* i = a->value.as_int()) m.value = static_cast<T>(*i);
  }
  if (!m.value) m.provenance = Provenance::kUnknown;
  return m;
}

// The text attribute `name` as a view into `o` ("" when absent or not a text).
// The builder reads the Snapshot's own facts, which never change afterwards,
// so the view lives as long as the Snapshot.
std::string_view str(const Object& o, std::string_view name) {
  return o.get_string(name).value_or(std::string_view());
}

std::optional<std::uint32_t> node_id_of(std::string_view key) {
  constexpr std::string_view kPrefix = "numa:";
  if (key.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  std::uint32_t v = 0;
  std::string_view d = key.substr(kPrefix.size());
  if (d.empty() || d.size() > 9) return std::nullopt;
  for (char c : d) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint32_t>(c - '0');
  }
  return v;
}

bool is_bridge_class(std::optional<std::int64_t> cls) {
  // 0x0604 PCI-to-PCI bridge, 0x0609 semi-transparent PCI-to-PCI bridge.
  return cls && ((*cls >> 8) == 0x0604 || (*cls >> 8) == 0x0609);
}

// `bw_source` names the computation; one Source per build, so every link shares its text.
PciLink make_link(const Object& o, const char* speed_attr, const char* width_attr, Provenance bw_provenance,
                  const Source& bw_source) {
  PciLink l;
  l.speed = measured<double>(o, speed_attr);
  l.width = measured<std::int64_t>(o, width_attr);
  if (l.speed.known() && l.width.known()) {
    double gts = *l.speed.value;
    // 8b/10b line code up to 5 GT/s, 128b/130b from 8 GT/s (PCIe 3.0-5.0). PCIe 6.0
    // FLIT mode is close to 128b/130b in payload efficiency; treated the same.
    double encoding = gts < 8.0 ? 0.8 : 128.0 / 130.0;
    l.bandwidth.value = std::round(gts * encoding * static_cast<double>(*l.width.value) / 8.0 * 1000.0);
    l.bandwidth.provenance = bw_provenance;
    l.bandwidth.source = bw_source;
  }
  return l;
}

}  // namespace

class SnapshotBuilder {
 public:
  explicit SnapshotBuilder(FactSet facts) : snap_(std::make_shared<Snapshot>()) { snap_->facts_ = std::move(facts); }

  std::shared_ptr<const Snapshot> build() {
    const FactSet& f = snap_->facts_;
    snap_->diagnostics_ = f.diagnostics();
    build_machine(f);
    build_cpus(f);
    build_numa(f);
    build_regions(f);
    classify_memory(f);
    propagate_node_kinds();
    assign_tiers(f);
    build_packages();
    build_pci(f);
    build_accelerators(f);
    std::stable_sort(snap_->diagnostics_.begin(), snap_->diagnostics_.end(), [](const auto& a, const auto& b) {
      return std::tie(a.provider, a.path, a.message) < std::tie(b.provider, b.path, b.message);
    });
    return snap_;
  }

 private:
  // A text made while building (no attribute holds it word for word), kept by the Snapshot.
  std::string_view keep(std::string text) { return snap_->texts_.emplace_back(std::move(text)); }
  TextListView keep(const std::vector<std::string_view>& texts) {
    return TextListView(snap_->lists_.emplace_back(Value::strings(texts)).as_strings());
  }

  void note(std::string path, std::string message) {
    snap_->diagnostics_.push_back({Severity::kWarning, "snapshot", std::move(path), std::move(message)});
  }

  NumaNode* numa(std::uint32_t id) { return const_cast<NumaNode*>(snap_->find_numa(id)); }

  void build_machine(const FactSet& f) {
    if (const Object* m = f.find("machine")) {
      snap_->machine_ = {str(*m, "product_name"), str(*m, "sys_vendor"), str(*m, "kernel_release"),
                         str(*m, "cpu_model")};
    }
  }

  void build_cpus(const FactSet& f) {
    for (const Object* o : f.of_kind("cpu")) {
      auto id = o->key.substr(4);
      Cpu c;
      try {
        c.id = static_cast<std::uint32_t>(std::stoul(id));
      } catch (...) {
        note(o->key, "cpu key is not numeric");
        continue;
      }
      c.online = o->get_bool("online").value_or(true);
      c.package = o->get_int("package_id");
      c.core = o->get_int("core_id");
      c.die = o->get_int("die_id");
      snap_->cpus_.push_back(c);
    }
    std::sort(snap_->cpus_.begin(), snap_->cpus_.end(), [](const Cpu& a, const Cpu& b) { return a.id < b.id; });
  }

  std::optional<std::int64_t> package_of_cpus(const IdSet& cpus) const {
    std::optional<std::int64_t> pkg;
    for (std::uint32_t c : cpus.ids) {
      auto it = std::lower_bound(snap_->cpus_.begin(), snap_->cpus_.end(), c,
                                 [](const Cpu& x, std::uint32_t v) { return x.id < v; });
      if (it == snap_->cpus_.end() || it->id != c || !it->package) return std::nullopt;
      if (pkg && *pkg != *it->package) return std::nullopt;
      pkg = it->package;
    }
    return pkg;
  }

  void build_numa(const FactSet& f) {
    for (const Object* o : f.of_kind("numa_node")) {
      auto id = node_id_of(o->key);
      if (!id) {
        note(o->key, "NUMA key is not numa:<number>");
        continue;
      }
      NumaNode n;
      n.id = *id;
      n.key = o->key;
      n.online = o->get_bool("online").value_or(true);
      n.has_cpu = o->get_bool("has_cpu").value_or(false);
      n.has_memory = o->get_bool("has_memory").value_or(false);
      n.generic_initiator = o->get_bool("generic_initiator").value_or(false);
      if (const IdSet* c = o->get_ids("cpus")) n.cpus = *c;
      if (!o->find("has_cpu")) n.has_cpu = !n.cpus.ids.empty();
      n.capacity = measured<std::int64_t>(*o, "capacity");
      if (!o->find("has_memory")) n.has_memory = n.capacity.known() && *n.capacity.value > 0;
      const auto* dist = o->get_ints("distances");
      const IdSet* dnodes = o->get_ids("distance_nodes");
      if (dist && dnodes && dist->size() == dnodes->ids.size())
        for (std::size_t i = 0; i < dist->size(); ++i) n.distances.emplace_back(dnodes->ids[i], (*dist)[i]);
      n.package = package_of_cpus(n.cpus);
      if (n.cpus.ids.empty()) n.package.reset();
      snap_->numa_nodes_.push_back(std::move(n));
    }
    std::sort(snap_->numa_nodes_.begin(), snap_->numa_nodes_.end(),
              [](const NumaNode& a, const NumaNode& b) { return a.id < b.id; });

    for (const Object* o : f.of_kind("hmat_access")) {
      auto target = o->get_int("target");
      NumaNode* n = target && *target >= 0 ? numa(static_cast<std::uint32_t>(*target)) : nullptr;
      if (!n) {
        note(o->key, "HMAT data for a NUMA node that was not found");
        continue;
      }
      MemoryAccess a;
      a.access_class = static_cast<int>(o->get_int("access_class").value_or(0));
      if (const IdSet* i = o->get_ids("initiators")) a.initiators = *i;
      a.read_bandwidth = measured<std::int64_t>(*o, "read_bandwidth");
      a.write_bandwidth = measured<std::int64_t>(*o, "write_bandwidth");
      a.read_latency = measured<std::int64_t>(*o, "read_latency");
      a.write_latency = measured<std::int64_t>(*o, "write_latency");
      n->access.push_back(std::move(a));
    }
    for (const Object* o : f.of_kind("memory_side_cache")) {
      auto node = o->get_int("node");
      NumaNode* n = node && *node >= 0 ? numa(static_cast<std::uint32_t>(*node)) : nullptr;
      if (!n) {
        note(o->key, "memory-side cache of a NUMA node that was not found");
        continue;
      }
      MemorySideCache c;
      c.level = static_cast<int>(o->get_int("level").value_or(0));
      c.size = measured<std::int64_t>(*o, "size");
      c.line_size = measured<std::int64_t>(*o, "line_size");
      c.indexing = str(*o, "indexing");
      c.write_policy = str(*o, "write_policy");
      n->caches.push_back(std::move(c));
    }
    for (auto& n : snap_->numa_nodes_) {
      std::sort(n.access.begin(), n.access.end(),
                [](const MemoryAccess& a, const MemoryAccess& b) { return a.access_class < b.access_class; });
      std::sort(n.caches.begin(), n.caches.end(),
                [](const MemorySideCache& a, const MemorySideCache& b) { return a.level < b.level; });
    }
  }

  void build_regions(const FactSet& f) {
    for (const Object* o : f.of_kind("dax_device")) {
      MemoryRegion r;
      r.key = o->key;
      r.capacity = measured<std::int64_t>(*o, "size");
      r.mode = str(*o, "mode");
      r.parent = str(*o, "parent_path");
      r.near_node = o->get_int("numa_node");
      auto target = o->get_int("target_node");
      std::string_view pk = str(*o, "parent_kind");
      if (pk == "hmem") {
        r.kind = MemoryKind::kSpecificPurpose;
        r.kind_reason = "DAX device below platform/hmem: EFI soft-reserved (specific-purpose) memory";
      } else if (pk == "nvdimm" || pk == "e820_pmem") {
        r.kind = MemoryKind::kPmem;
        r.kind_reason = pk == "nvdimm" ? "DAX device below an NVDIMM bus (ndbus): persistent memory"
                                       : "DAX device below e820_pmem (memmap= emulated persistent memory)";
      } else if (pk == "cxl_ram") {
        r.kind = MemoryKind::kCxl;
        r.kind_reason = "DAX device below a CXL RAM region";
      } else if (pk == "cxl_pmem") {
        r.kind = MemoryKind::kCxlPmem;
        r.kind_reason = "DAX device below a CXL persistent-memory region";
      }
      if (std::optional<std::string_view> reg = o->get_string("cxl_region")) r.members.emplace_back(*reg);
      if (target && *target >= 0 && r.mode == "system-ram") {
        r.numa_node = static_cast<std::uint32_t>(*target);
        if (NumaNode* n = numa(*r.numa_node)) n->dax.push_back(r.key);
        else note(o->key, "DAX device is onlined as NUMA node " + std::to_string(*target) + ", which was not found");
      }
      snap_->memory_regions_.push_back(std::move(r));
    }
    for (const Object* o : f.of_kind("cxl_region")) {
      MemoryRegion r;
      r.key = o->key;
      r.capacity = measured<std::int64_t>(*o, "size");
      r.mode = str(*o, "mode");
      r.kind = r.mode == "pmem" ? MemoryKind::kCxlPmem : MemoryKind::kCxl;
      r.kind_reason = keep("CXL region in " + std::string(r.mode.empty() ? "unknown" : r.mode) + " mode");
      if (const auto* m = o->get_strings("memdevs")) r.members.assign(m->begin(), m->end());
      for (std::string_view md : r.members)
        if (const Object* mo = f.find(md))
          if (std::optional<std::string_view> pci = mo->get_string("pci")) r.devices.emplace_back(*pci);
      if (const auto* dax = o->get_strings("dax")) {
        for (std::string_view d : *dax) {
          const Object* dobj = f.find(d);
          auto t = dobj ? dobj->get_int("target_node") : std::nullopt;
          if (dobj && t && *t >= 0 && str(*dobj, "mode") == "system-ram") r.numa_node = static_cast<std::uint32_t>(*t);
        }
      }
      snap_->memory_regions_.push_back(std::move(r));
    }
    std::sort(snap_->memory_regions_.begin(), snap_->memory_regions_.end(),
              [](const MemoryRegion& a, const MemoryRegion& b) { return natural_less(a.key, b.key); });
  }

  static std::optional<double> best_read_bandwidth(const NumaNode& n) {
    // Prefer the CPU view (access1), as the kernel and hwloc do.
    std::optional<double> bw;
    for (const auto& a : n.access)
      if (a.read_bandwidth.known() && (!bw || a.access_class == 1)) bw = static_cast<double>(*a.read_bandwidth.value);
    return bw;
  }

  void classify_memory(const FactSet& f) {
    // 1. Device-owned memory (NVIDIA coherent GPU memory as a NUMA node).
    for (const Object* o : f.of_kind("accelerator")) {
      if (o->key.rfind("nvidia:", 0) != 0) continue;
      auto node = o->get_int("numa_memory_node");
      if (!node || *node < 0) continue;
      NumaNode* n = numa(static_cast<std::uint32_t>(*node));
      if (!n) continue;
      n->kind = MemoryKind::kDevice;
      n->owner = str(*o, "pci");
      std::string_view model = str(*o, "model");
      n->kind_reason = keep("memory of GPU " +
                            (model.empty() ? std::string(n->owner) : std::string(model) + " (" + std::string(n->owner) + ")") +
                            ", per " +
                            (o->find("numa_memory_node") ? o->find("numa_memory_node")->source.str() : "numa_status"));
    }
    // 2. DRAM reference bandwidth: nodes with CPUs whose memory is not carved
    //    from a DAX device (those are the ones being classified).
    std::optional<double> dram_bw;
    for (const auto& n : snap_->numa_nodes_)
      if (n.has_cpu && n.kind == MemoryKind::kUnknown && n.dax.empty())
        if (auto bw = best_read_bandwidth(n)) dram_bw = std::max(dram_bw.value_or(0.0), *bw);
    // 3. Kinds from the DAX / CXL region that backs the node.
    for (auto& n : snap_->numa_nodes_) {
      if (n.kind != MemoryKind::kUnknown) continue;
      const MemoryRegion* backing = nullptr;
      for (const auto& r : snap_->memory_regions_)
        if (r.numa_node == n.id && r.kind != MemoryKind::kUnknown) {
          // A CXL region outranks the DAX device carved from it (same memory, more precise).
          if (!backing || (r.key.rfind("cxl:", 0) == 0)) backing = &r;
        }
      if (backing) {
        n.kind = backing->kind;
        std::string reason = std::string(backing->kind_reason) + " (" + std::string(backing->key) + ")";
        if (n.kind == MemoryKind::kSpecificPurpose && dram_bw) {
          if (auto bw = best_read_bandwidth(n); bw && *bw > *dram_bw) {
            n.kind = MemoryKind::kHbm;
            reason += "; HMAT read bandwidth " + std::to_string(static_cast<long long>(*bw)) + " MB/s exceeds DRAM's " +
                      std::to_string(static_cast<long long>(*dram_bw)) + " MB/s, so high-bandwidth memory";
          }
        }
        n.kind_reason = keep(std::move(reason));
        continue;
      }
      if (!n.has_memory) continue;
      if (n.has_cpu) {
        n.kind = MemoryKind::kDram;
        n.kind_reason = "node with CPUs and no DAX, CXL or device owner: system DRAM";
        continue;
      }
      // Memory-only node with no owner in sysfs: HBM in flat mode shows up this
      // way (SRAT lists it as plain memory). Only HMAT can tell it apart.
      if (auto bw = best_read_bandwidth(n); bw && dram_bw && *bw > 1.5 * *dram_bw) {
        n.kind = MemoryKind::kHbm;
        n.kind_reason = keep("memory-only node whose HMAT read bandwidth " + std::to_string(static_cast<long long>(*bw)) +
                             " MB/s is over 1.5x DRAM's " + std::to_string(static_cast<long long>(*dram_bw)) +
                             " MB/s: high-bandwidth memory (derived)");
      } else {
        n.kind_reason = "memory-only node with no DAX, CXL or device owner in sysfs; kind not published";
      }
    }
  }

  // A DAX region onlined as a node that HMAT showed to be HBM is HBM too.
  void propagate_node_kinds() {
    for (auto& r : snap_->memory_regions_) {
      if (!r.numa_node || r.kind != MemoryKind::kSpecificPurpose) continue;
      const NumaNode* n = snap_->find_numa(*r.numa_node);
      if (n && n->kind == MemoryKind::kHbm) {
        r.kind = MemoryKind::kHbm;
        r.kind_reason = n->kind_reason;
      }
    }
  }

  void assign_tiers(const FactSet& f) {
    auto tiers = f.of_kind("memory_tier");
    if (!tiers.empty()) {
      snap_->tiering_source_ = "kernel";
      for (const Object* o : tiers) {
        auto chunk = o->get_int("abstract_distance_chunk");
        if (!chunk) continue;
        if (const IdSet* nodes = o->get_ids("nodes"))
          for (std::uint32_t id : nodes->ids)
            if (NumaNode* n = numa(id)) n->tier = static_cast<int>(*chunk);
      }
      return;
    }
    // The kernel's own rule (mm/memory-tiers.c): abstract distance
    // adist = 576 * (lat / dram_lat) * (dram_bw / bw), tier = adist >> 7, where
    // latency and bandwidth are read+write sums of the node's best CPU access.
    // Without performance data: DRAM 576 (tier 4), dax/kmem memory 2880 (tier 22).
    constexpr double kDramAdistance = 576.0;
    struct Perf { double lat, bw; };
    auto perf_of = [](const NumaNode& n) -> std::optional<Perf> {
      const MemoryAccess* best = nullptr;
      for (const auto& a : n.access)
        if (a.access_class == 1 || !best) best = &a;
      if (!best || !best->read_latency.known() || !best->write_latency.known() || !best->read_bandwidth.known() ||
          !best->write_bandwidth.known())
        return std::nullopt;
      double lat = static_cast<double>(*best->read_latency.value + *best->write_latency.value);
      double bw = static_cast<double>(*best->read_bandwidth.value + *best->write_bandwidth.value);
      if (lat <= 0 || bw <= 0) return std::nullopt;
      return Perf{lat, bw};
    };
    std::optional<Perf> dram;
    for (const auto& n : snap_->numa_nodes_)
      if (n.has_cpu && n.has_memory && n.kind == MemoryKind::kDram)
        if (auto p = perf_of(n)) { dram = p; break; }
    bool any = false;
    for (auto& n : snap_->numa_nodes_) {
      if (!n.has_memory) continue;
      std::optional<double> adist;
      auto p = perf_of(n);
      if (p && dram) adist = kDramAdistance * (p->lat / dram->lat) * (dram->bw / p->bw);
      else if (n.kind == MemoryKind::kDram) adist = kDramAdistance;
      else if (!n.dax.empty()) adist = kDramAdistance * 5;  // MEMTIER_DEFAULT_DAX_ADISTANCE
      if (!adist) continue;
      n.tier = static_cast<int>(static_cast<long long>(*adist) >> 7);
      n.tier_derived = true;
      any = true;
    }
    if (any) snap_->tiering_source_ = "derived";
  }

  void build_packages() {
    std::map<std::int64_t, Package> pk;
    for (const auto& c : snap_->cpus_) {
      if (!c.package || !c.online) continue;
      Package& p = pk[*c.package];
      p.id = *c.package;
      p.cpus.ids.push_back(c.id);
    }
    for (const auto& n : snap_->numa_nodes_) {
      std::optional<std::int64_t> pkg = n.package;
      if (!pkg && !n.has_cpu) {
        // Memory-only node: the package of its best CPU initiators (HMAT access1).
        for (const auto& a : n.access) {
          if (a.access_class != 1) continue;
          std::optional<std::int64_t> cand;
          bool agree = true;
          for (std::uint32_t i : a.initiators.ids) {
            const NumaNode* in = snap_->find_numa(i);
            if (!in || !in->package || (cand && *cand != *in->package)) { agree = false; break; }
            cand = in->package;
          }
          if (agree) pkg = cand;
        }
      }
      if (pkg && pk.count(*pkg)) pk[*pkg].numa_nodes.ids.push_back(n.id);
    }
    for (auto& [id, p] : pk) snap_->packages_.push_back(std::move(p));
  }

  void build_pci(const FactSet& f) {
    const Source current_bw_source("derived: current_link_speed x current_link_width");
    const Source max_bw_source("derived: max_link_speed x max_link_width");
    // A PciDevice is ~1 KB: size `all` once and reorder it in place below, so a
    // large machine never holds two or three arrays of them at a time.
    const std::vector<const Object*> host_bridges = f.of_kind("pci_host_bridge");
    const std::vector<const Object*> functions = f.of_kind("pci_device");
    std::vector<PciDevice> all;
    all.reserve(host_bridges.size() + functions.size());
    for (const Object* o : host_bridges) {
      PciDevice d;
      d.key = o->key;
      d.role = PciRole::kHostBridge;
      d.domain = o->get_int("domain").value_or(0);
      d.bus = o->get_int("bus").value_or(0);
      d.sysfs_path = str(*o, "sysfs_path");
      all.push_back(std::move(d));
    }
    for (const Object* o : functions) {
      PciDevice d;
      d.key = o->key;
      d.bdf = std::string_view(o->key).substr(4);  // a view of the key, not of a temporary copy
      d.domain = o->get_int("domain").value_or(0);
      d.bus = o->get_int("bus").value_or(0);
      d.device = o->get_int("device").value_or(0);
      d.function = o->get_int("function").value_or(0);
      d.parent = str(*o, "parent");
      d.vendor_id = o->get_int("vendor_id");
      d.device_id = o->get_int("device_id");
      d.subsystem_vendor_id = o->get_int("subsystem_vendor_id");
      d.subsystem_device_id = o->get_int("subsystem_device_id");
      d.class_code = o->get_int("class_code");
      d.revision = o->get_int("revision");
      d.vendor_name = str(*o, "vendor_name");
      d.device_name = str(*o, "device_name");
      d.subsystem_name = str(*o, "subsystem_name");
      d.class_name = str(*o, "class_name");
      d.driver = str(*o, "driver");
      d.numa_node = o->get_int("numa_node");
      d.local_cpus = o->get_ids("local_cpus");
      d.current_link =
          make_link(*o, "current_link_speed", "current_link_width", Provenance::kLinkTrained, current_bw_source);
      d.max_link = make_link(*o, "max_link_speed", "max_link_width", Provenance::kNominal, max_bw_source);
      d.sriov_totalvfs = o->get_int("sriov_totalvfs");
      d.sriov_numvfs = o->get_int("sriov_numvfs");
      d.physfn = str(*o, "physfn");
      d.sysfs_path = str(*o, "sysfs_path");
      d.role = is_bridge_class(d.class_code) ? PciRole::kBridge : PciRole::kEndpoint;
      all.push_back(std::move(d));
    }
    std::unordered_map<std::string_view, std::size_t> idx;
    idx.reserve(all.size());
    for (std::size_t i = 0; i < all.size(); ++i) idx[all[i].key] = i;
    for (auto& d : all) {
      if (!d.parent.empty() && !idx.count(d.parent)) {
        note(std::string(d.key), "parent " + std::string(d.parent) + " was not found; shown at the top level");
        d.parent = {};
      }
      if (!d.physfn.empty() && !idx.count(d.physfn)) {
        note(std::string(d.key), "physical function " + std::string(d.physfn) + " was not found");
        d.physfn = {};
      }
    }
    for (auto& d : all) {
      if (!d.parent.empty()) all[idx[d.parent]].children.push_back(d.key);
      if (!d.physfn.empty()) all[idx[d.physfn]].virtfns.push_back(d.key);
    }
    for (auto& d : all) {
      std::sort(d.children.begin(), d.children.end(), natural_less);
      std::sort(d.virtfns.begin(), d.virtfns.end(), natural_less);
    }
    // Port roles from the tree shape (sysfs has no port type without config space):
    // a bridge right below a host bridge is a root port; a bridge below a root
    // port or downstream port that itself has bridges below is a switch upstream
    // port, and the bridges below an upstream port are its downstream ports.
    std::vector<std::string_view> roots;
    for (const auto& d : all)
      if (d.parent.empty()) roots.push_back(d.key);
    std::sort(roots.begin(), roots.end(), [&](std::string_view a, std::string_view b) {
      bool ha = all[idx[a]].role == PciRole::kHostBridge, hb = all[idx[b]].role == PciRole::kHostBridge;
      if (ha != hb) return ha;  // host bridges first, then orphans
      return natural_less(a, b);
    });
    std::vector<std::size_t> order;
    std::vector<std::pair<std::size_t, bool>> stack;  // (index, visited)
    std::vector<char> seen(all.size(), 0);
    for (auto it = roots.rbegin(); it != roots.rend(); ++it) stack.push_back({idx[*it], false});
    while (!stack.empty()) {
      auto [i, _] = stack.back();
      stack.pop_back();
      if (seen[i]) continue;  // a cycle in hostile facts
      seen[i] = 1;
      order.push_back(i);
      PciDevice& d = all[i];
      if (d.role == PciRole::kBridge && !d.parent.empty()) {
        const PciDevice& p = all[idx[d.parent]];
        bool has_bridge_child = std::any_of(d.children.begin(), d.children.end(), [&](std::string_view c) {
          return is_bridge_class(all[idx[c]].class_code);
        });
        if (p.role == PciRole::kHostBridge) d.role = PciRole::kRootPort;
        else if (p.role == PciRole::kSwitchUpstream) d.role = PciRole::kSwitchDownstream;
        else if ((p.role == PciRole::kRootPort || p.role == PciRole::kSwitchDownstream) && has_bridge_child)
          d.role = PciRole::kSwitchUpstream;
      }
      for (auto it = d.children.rbegin(); it != d.children.rend(); ++it) stack.push_back({idx[*it], false});
    }
    for (std::size_t i = 0; i < all.size(); ++i)
      if (!seen[i]) {
        note(std::string(all[i].key), "part of a parent cycle; shown at the top level");
        all[i].parent = {};
        order.push_back(i);
      }
    // Put `all` in tree order in place: position k takes the device at order[k],
    // following each cycle of the permutation with one device held aside.
    std::vector<char> placed(all.size(), 0);
    for (std::size_t start = 0; start < all.size(); ++start) {
      if (placed[start]) continue;
      PciDevice held = std::move(all[start]);
      for (std::size_t k = start;;) {
        placed[k] = 1;
        std::size_t from = order[k];
        if (from == start) {
          all[k] = std::move(held);
          break;
        }
        all[k] = std::move(all[from]);
        k = from;
      }
    }
    snap_->pci_ = std::move(all);
    auto& index = snap_->pci_index_;
    index.reserve(snap_->pci_.size());
    for (std::size_t i = 0; i < snap_->pci_.size(); ++i) index.emplace_back(snap_->pci_[i].key, i);
    std::sort(index.begin(), index.end());
  }

  void build_accelerators(const FactSet& f) {
    const std::vector<const Object*> accelerators = f.of_kind("accelerator");
    snap_->accelerators_.reserve(accelerators.size());
    for (const Object* o : accelerators) {
      Accelerator a;
      a.key = o->key;
      a.family = str(*o, "family");
      a.device_type = str(*o, "device_type");
      a.pci = str(*o, "pci");
      a.vendor = str(*o, "vendor");
      a.model = str(*o, "model");
      a.driver = str(*o, "driver");
      a.state = str(*o, "state");
      a.numa_node = o->get_int("numa_node");
      a.partition_of = str(*o, "partition_of");
      a.package = str(*o, "package");
      a.hive_id = str(*o, "hive_id");
      if (const PciDevice* p = a.pci.empty() ? nullptr : snap_->find_pci(a.pci)) {
        // The PCI function fills what the device interface does not say.
        if (!a.numa_node) a.numa_node = p->numa_node;
        if (a.vendor.empty()) a.vendor = p->vendor_name;
        if (a.model.empty()) a.model = p->device_name;
        if (a.model.empty() && p->device_id) {
          // lspci's convention for an id the database does not name.
          char id[16];
          std::snprintf(id, sizeof(id), "%04llx", static_cast<unsigned long long>(*p->device_id));
          a.model = keep(std::string("Device ") + id);
        }
        if (a.driver.empty()) a.driver = p->driver;
      }
      a.details.read_ = &o->attrs;  // f is snap_->facts_: the snapshot keeps it, unchanged
      snap_->accelerators_.push_back(std::move(a));
    }
    // of_kind gives natural key order ("kfd:node2" before "kfd:node10"): what
    // find_by_key and "ordered by key" need. Checked, not assumed: is_sorted costs
    // one pass, and the sort never runs on facts that keep of_kind's promise.
    auto by_key = [](const Accelerator& x, const Accelerator& y) { return natural_less(x.key, y.key); };
    if (!std::is_sorted(snap_->accelerators_.begin(), snap_->accelerators_.end(), by_key))
      std::sort(snap_->accelerators_.begin(), snap_->accelerators_.end(), by_key);
    auto owner = [&](const Object& o) -> Accelerator* {
      std::optional<std::string_view> dev = o.get_string("device");
      Accelerator* a = dev ? find_by_key(snap_->accelerators_, *dev) : nullptr;
      if (!a)
        note(o.key, "belongs to accelerator " + (dev ? std::string(*dev) : std::string("(none)")) + ", which was not found");
      return a;
    };
    // Each accelerator's functions in one block of the right size: grown one
    // push at a time, the blocks of a 10,000-device machine's 60,625 functions
    // had 1.4 MB of room they never used (the owners found once cost 0.5 MB
    // while this runs).
    const std::vector<const Object*> functions = f.of_kind("function");
    std::vector<Accelerator*> owners;
    owners.reserve(functions.size());
    for (const Object* o : functions) owners.push_back(owner(*o));
    {
      std::vector<std::uint32_t> count(snap_->accelerators_.size(), 0);
      for (const Accelerator* a : owners)
        if (a) ++count[static_cast<std::size_t>(a - snap_->accelerators_.data())];
      for (std::size_t i = 0; i < count.size(); ++i) snap_->accelerators_[i].functions.reserve(count[i]);
    }
    for (std::size_t i = 0; i < functions.size(); ++i) {
      const Object* o = functions[i];
      Accelerator* a = owners[i];
      if (!a) continue;
      Function fn;
      fn.name = str(*o, "name");
      fn.state = str(*o, "state");
      if (fn.state.empty()) fn.state = "unknown";
      fn.instances_free = o->get_int("instances_free");
      fn.instances_total = o->get_int("instances_total");
      fn.via = TextListView(o->get_strings("via"));
      fn.queues = TextListView(o->get_strings("queues"));
      if (const Attr* n = o->find("name")) fn.provenance = n->provenance;
      a->functions.push_back(std::move(fn));
    }
    for (const Object* o : f.of_kind("device_memory")) {
      Accelerator* a = owner(*o);
      if (!a) continue;
      DeviceMemory m;
      m.key = o->key;
      m.kind = str(*o, "kind");
      if (m.kind.empty()) m.kind = "unknown";
      m.size = measured<std::int64_t>(*o, "size");
      m.width_bits = o->get_int("width");
      m.clock_mhz = o->get_int("clock_max");
      m.shared_by = TextListView(o->get_strings("shared_by"));
      m.numa_node = o->get_int("numa_node");
      a->memory.push_back(std::move(m));
    }
    fold_drm_cards();
    for (auto& a : snap_->accelerators_) {
      std::sort(a.functions.begin(), a.functions.end(),
                [](const Function& x, const Function& y) { return x.name < y.name; });
      std::sort(a.memory.begin(), a.memory.end(),
                [](const DeviceMemory& x, const DeviceMemory& y) { return natural_less(x.key, y.key); });
    }
    for (const Object* o : f.of_kind("device_link")) {
      DeviceLink l;
      l.key = o->key;
      l.a = str(*o, "a");
      l.b = str(*o, "b");
      l.type = str(*o, "type");
      l.bandwidth_min = measured<std::int64_t>(*o, "bandwidth_min");
      l.bandwidth_max = measured<std::int64_t>(*o, "bandwidth_max");
      l.weight = o->get_int("weight");
      l.hops = o->get_int("hops");
      if (!snap_->find_accelerator(l.a) || !snap_->find_accelerator(l.b)) {
        note(o->key, "links accelerators that were not found");
        continue;
      }
      snap_->links_.push_back(std::move(l));
    }
  }

  // One GPU shows up through DRM (cardN) and through its vendor interface (a
  // KFD node, NVIDIA procfs). The DRM card is folded into the richer one: by
  // render node for KFD (partitions each have their own), else by the PCI
  // function when exactly one other GPU sits on it.
  void fold_drm_cards() {
    auto& accs = snap_->accelerators_;
    std::vector<char> drop(accs.size(), 0);
    // The GPUs a card can fold into, indexed once (each card scanning every
    // accelerator was quadratic: 1,250 cards x 8,750 accelerators at 10,000
    // devices). Folding changes none of the keys: render minor, PCI function,
    // package and family are not touched below.
    std::unordered_map<std::string, std::vector<std::size_t>> by_render;
    std::unordered_map<std::string_view, std::vector<std::size_t>> by_pci, by_pci_without_minor;
    for (std::size_t i = 0; i < accs.size(); ++i) {
      const Accelerator& a = accs[i];
      if (a.key.rfind("drm:", 0) == 0 || a.family != "gpu") continue;
      const Attr* minor = a.details.find("drm_render_minor");
      const auto* m = minor ? minor->value.as_int() : nullptr;
      if (minor) {
        // A minor that is not a number matches no render node (as "renderD" + it never did).
        if (m) by_render["renderD" + std::to_string(*m)].push_back(i);
      }
      if (a.pci.empty() || !a.package.empty()) continue;
      by_pci[a.pci].push_back(i);
      if (!minor) by_pci_without_minor[a.pci].push_back(i);
    }
    for (std::size_t d = 0; d < accs.size(); ++d) {
      Accelerator& card = accs[d];
      if (card.key.rfind("drm:", 0) != 0) continue;
      const Attr* rn = card.details.find("render_node");
      std::optional<std::string_view> render = rn ? rn->value.as_string() : std::nullopt;
      // A GPU that names its render minor matches by it; one that does not (or
      // any GPU, when the card has no render node) by the PCI function.
      std::vector<std::size_t> cands;
      auto add = [&](const auto& index, const auto& k) {
        if (auto it = index.find(k); it != index.end()) cands.insert(cands.end(), it->second.begin(), it->second.end());
      };
      if (render) add(by_render, std::string(*render));
      if (!card.pci.empty()) add(render ? by_pci_without_minor : by_pci, card.pci);
      if (cands.size() != 1) continue;
      Accelerator& gpu = accs[cands[0]];
      if (gpu.driver.empty()) gpu.driver = card.driver;
      if (gpu.model.empty()) gpu.model = card.model;
      if (gpu.vendor.empty()) gpu.vendor = card.vendor;
      if (!gpu.numa_node) gpu.numa_node = card.numa_node;
      if (gpu.memory.empty()) gpu.memory = card.memory;
      for (auto& f : card.functions) {
        auto it = std::find_if(gpu.functions.begin(), gpu.functions.end(),
                               [&](const Function& g) { return g.name == f.name; });
        if (it == gpu.functions.end()) {
          gpu.functions.push_back(f);
        } else {
          std::vector<std::string_view> via(it->via.begin(), it->via.end());
          for (const auto& v : f.via)
            if (std::find(via.begin(), via.end(), v) == via.end()) via.push_back(v);
          std::sort(via.begin(), via.end());
          it->via = keep(via);
        }
      }
      // The card's details join the GPU's under "drm_", where the GPU has no such
      // detail already; which card it was replaces any earlier word.
      for (const auto& [k, v] : card.details) {
        std::string name = "drm_" + k.str();
        if (!gpu.details.find(name)) gpu.details.joined_.emplace(std::move(name), v);
      }
      gpu.details.joined_.insert_or_assign(
          "drm_card", Attr{card.key, Source("joined by accelmap"), Unit::kNone, Provenance::kDerived});
      drop[d] = 1;
    }
    // Compacted in place: a second array of accelerators was the peak of a large machine's build.
    std::size_t kept = 0;
    for (std::size_t i = 0; i < accs.size(); ++i)
      if (!drop[i]) {
        if (kept != i) accs[kept] = std::move(accs[i]);
        ++kept;
      }
    accs.erase(accs.begin() + static_cast<std::ptrdiff_t>(kept), accs.end());
    for (std::size_t i = 0; i < accs.size(); ++i)
      if (!accs[i].pci.empty()) snap_->accel_by_pci_.emplace_back(accs[i].pci, i);
    std::sort(snap_->accel_by_pci_.begin(), snap_->accel_by_pci_.end());
  }

  std::shared_ptr<Snapshot> snap_;
};

std::shared_ptr<const Snapshot> build_snapshot(FactSet facts) { return SnapshotBuilder(std::move(facts)).build(); }

}  // namespace accelmap
