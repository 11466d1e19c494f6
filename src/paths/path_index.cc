// PathIndex: classifies every pair of places once, so queries are lookups.
//
// The classification follows NCCL's topology words (PIX/PXB/PHB/NODE/SYS), extended
// below PIX with what a PCI tree cannot show: the same device, partitions of one
// package, and direct device links from Snapshot::device_links().
#include "accelmap/path_index.h"

#include <algorithm>
#include <array>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <tuple>

namespace accelmap {

namespace {

constexpr std::array<const char*, 9> kClassNames = {"SELF", "PKG", "LINK", "PIX", "PXB",
                                                    "PHB",  "NODE", "SYS", "DIS"};

// Link types that are a direct device-to-device path. KFD also lists "pcie" io_links,
// which are the PCI tree again, so they are classified from the tree instead.
bool is_direct_link(std::string_view type) {
  return type == "xgmi" || type == "nvlink" || type == "c2c" || type == "intra-package" || type == "cxl";
}

// Bottleneck of two segments: both known -> the smaller (with its provenance);
// otherwise unknown, because an unknown segment might be the bottleneck.
PathMetric bottleneck(const PathMetric& a, const PathMetric& b) {
  if (!a.known() || !b.known()) return {};
  return a.value <= b.value ? a : b;
}

PathMetric from_measured(const Measured<std::int64_t>& m) {
  if (!m.known()) return {};
  return PathMetric::of(*m.value, m.provenance);
}

// Bandwidth of the links from the endpoint up to (not including) chain[stop].
PathMetric uplink_of(const Snapshot& s, const AcceleratorPlace& p, std::size_t stop, std::int64_t* hops) {
  PathMetric bw = PathMetric::of(INT64_MAX, Provenance::kLinkTrained);
  for (std::size_t i = 0; i < stop && i < p.pci_chain.size(); ++i) {
    const PciDevice& d = s.pci_devices()[p.pci_chain[i]];
    if (d.role == PciRole::kHostBridge) break;
    ++*hops;
    const auto& l = d.current_link.bandwidth;
    bw = bottleneck(bw, l.known() ? PathMetric::of(static_cast<std::int64_t>(*l.value), l.provenance) : PathMetric{});
  }
  return bw;
}

bool contains(const IdSet& s, std::uint32_t id) { return std::binary_search(s.ids.begin(), s.ids.end(), id); }

// Function k of accelerator i as an Offer.
Offer offer_of(const std::vector<Accelerator>& accs, std::uint32_t i, std::uint32_t k) {
  const Function& f = accs[i].functions[k];
  Offer o;
  o.accelerator = i;
  o.function = k;
  o.available = f.state == "available";
  o.instances_free = f.instances_free.value_or(-1);
  return o;
}

class Builder {
 public:
  Builder(const Snapshot& s, PathIndex* out, std::vector<AcceleratorPlace>& places,
          std::vector<MemoryTarget>& targets, std::vector<CpuDomain>& cpus,
          std::vector<std::unique_ptr<std::string>>& strings)
      : s_(s), places_(places), targets_(targets), cpus_(cpus), strings_(strings) {
    (void)out;
  }

  std::string_view intern(std::string text) {
    auto it = interned_.find(text);
    if (it != interned_.end()) return it->second;
    strings_.push_back(std::make_unique<std::string>(text));
    std::string_view v = *strings_.back();
    interned_.emplace(std::move(text), v);
    return v;
  }

  void places() {
    const auto& accs = s_.accelerators();
    std::map<std::string, std::int32_t> groups;
    for (const auto& a : accs) {
      AcceleratorPlace p;
      p.key = a.key;
      if (a.numa_node && *a.numa_node >= 0) p.numa_node = static_cast<std::uint32_t>(*a.numa_node);
      if (p.numa_node)
        if (const NumaNode* n = s_.find_numa(*p.numa_node)) p.cpu_package = n->package;
      const PciDevice* pci = a.pci.empty() ? nullptr : s_.find_pci(a.pci);
      for (const PciDevice* d = pci; d && p.pci_chain.size() < 64; d = d->parent.empty() ? nullptr : s_.find_pci(d->parent))
        p.pci_chain.push_back(static_cast<std::int32_t>(d - s_.pci_devices().data()));
      if (pci) p.pci = p.pci_chain.front();
      // One physical package: the package the driver names, else the partitioned parent,
      // else the PCI slot (functions of one device). Otherwise the device is alone.
      std::string group;
      if (!a.package.empty()) group = "package:" + std::string(a.package);
      else if (!a.partition_of.empty()) group = "partition:" + std::string(a.partition_of);
      else if (pci && pci->role == PciRole::kEndpoint && !pci->bdf.empty())
        group = "slot:" + std::to_string(pci->domain) + ":" + std::to_string(pci->bus) + ":" + std::to_string(pci->device);
      else group = "self:" + std::string(a.key);
      auto [it, fresh] = groups.emplace(group, static_cast<std::int32_t>(groups.size()));
      (void)fresh;
      p.package = it->second;
      places_.push_back(std::move(p));
    }
    for (const auto& n : s_.numa_nodes())
      if (n.has_cpu || n.generic_initiator) cpus_.push_back(CpuDomain{n.id, !n.has_cpu && n.generic_initiator, n.package});
    links_of_.resize(places_.size());
    const auto& links = s_.device_links();
    for (std::uint32_t li = 0; li < links.size(); ++li) {
      if (!is_direct_link(links[li].type)) continue;
      auto a = accel_id(links[li].a), b = accel_id(links[li].b);
      if (!a || !b) continue;
      links_of_[*a].emplace_back(*b, li);
      if (*a != *b) links_of_[*b].emplace_back(*a, li);
    }
  }

  void targets() {
    for (const auto& n : s_.numa_nodes()) {
      if (!n.has_memory) continue;
      MemoryTarget t;
      t.type = MemoryTarget::Type::kNumaNode;
      t.key = n.key;
      t.kind = n.kind;
      t.kind_name = memory_kind_name(n.kind);
      t.capacity = n.capacity;
      t.numa_node = n.id;
      if (!n.owner.empty())
        if (auto id = accel_id(n.owner)) t.owners.push_back(*id);
      targets_.push_back(std::move(t));
    }
    for (const auto& r : s_.memory_regions()) {
      MemoryTarget t;
      t.type = MemoryTarget::Type::kRegion;
      t.key = r.key;
      t.kind = r.kind;
      t.kind_name = memory_kind_name(r.kind);
      t.capacity = r.capacity;
      if (r.numa_node) t.numa_node = *r.numa_node;
      else if (r.near_node && *r.near_node >= 0) t.numa_node = static_cast<std::uint32_t>(*r.near_node);
      targets_.push_back(std::move(t));
    }
    const auto& accs = s_.accelerators();
    for (std::uint32_t i = 0; i < accs.size(); ++i)
      for (const auto& m : accs[i].memory) {
        MemoryTarget t;
        t.type = MemoryTarget::Type::kDeviceMemory;
        t.key = m.key;
        t.kind = MemoryKind::kDevice;
        t.kind_name = m.kind;
        t.capacity = m.size;
        if (m.numa_node && *m.numa_node >= 0) t.numa_node = static_cast<std::uint32_t>(*m.numa_node);
        t.owners.push_back(i);
        for (const auto& k : m.shared_by)
          if (auto id = accel_id(k); id && *id != i) t.owners.push_back(*id);
        std::sort(t.owners.begin() + 1, t.owners.end());
        // Partitions each list the package memory: keep one target per key.
        bool dup = false;
        for (auto& prev : targets_)
          if (prev.type == MemoryTarget::Type::kDeviceMemory && prev.key == t.key) {
            for (auto o : t.owners)
              if (std::find(prev.owners.begin(), prev.owners.end(), o) == prev.owners.end()) prev.owners.push_back(o);
            dup = true;
          }
        if (!dup) targets_.push_back(std::move(t));
      }
    // Memory that is onlined as a NUMA node is that node: link the aliases to it.
    for (auto& t : targets_) {
      if (t.type == MemoryTarget::Type::kNumaNode || !t.numa_node) continue;
      bool onlined = t.type == MemoryTarget::Type::kDeviceMemory;
      if (t.type == MemoryTarget::Type::kRegion)
        for (const auto& r : s_.memory_regions())
          if (r.key == t.key) onlined = r.numa_node.has_value();
      if (!onlined) continue;
      for (std::uint32_t j = 0; j < targets_.size(); ++j)
        if (targets_[j].type == MemoryTarget::Type::kNumaNode && targets_[j].numa_node == t.numa_node) t.same_as = j;
    }
  }

  // Per accelerator id: (other accelerator id, index into device_links()) of each direct link.
  const std::vector<std::vector<std::pair<std::uint32_t, std::uint32_t>>>& links_of() const { return links_of_; }

  std::optional<std::uint32_t> accel_id(std::string_view key) const {
    const auto& accs = s_.accelerators();
    auto it = std::lower_bound(accs.begin(), accs.end(), key,
                               [](const Accelerator& a, std::string_view k) { return natural_less(a.key, k); });
    if (it != accs.end() && it->key == key) return static_cast<std::uint32_t>(it - accs.begin());
    for (std::uint32_t i = 0; i < accs.size(); ++i)  // accelerators may be ordered by another rule
      if (accs[i].key == key) return i;
    return std::nullopt;
  }

  PathMetric uplink(const AcceleratorPlace& p, std::size_t stop, std::int64_t* hops) const {
    return accelmap::uplink_of(s_, p, stop, hops);
  }

  // Links from the endpoint up to the root port: the device's way to the host.
  PathMetric host_uplink(const AcceleratorPlace& p, std::int64_t* hops) const {
    if (p.pci_chain.empty()) return {};
    PathMetric bw = uplink(p, p.pci_chain.size(), hops);
    return bw.known() && bw.value == INT64_MAX ? PathMetric{} : bw;
  }

  // CPU nodes that are the home of memory node `n`: itself when it has CPUs, else its best
  // CPU initiators (HMAT access1, then access0), else the nearest CPU node by SLIT distance.
  std::vector<std::uint32_t> home(const NumaNode& n) const {
    if (n.has_cpu) return {n.id};
    for (int cls : {1, 0})
      for (const auto& acc : n.access)
        if (acc.access_class == cls && !acc.initiators.ids.empty()) {
          std::vector<std::uint32_t> out;
          for (auto i : acc.initiators.ids)
            if (const NumaNode* c = s_.find_numa(i); c && c->has_cpu) out.push_back(i);
          if (!out.empty()) return out;
        }
    std::int64_t best = INT64_MAX;
    std::vector<std::uint32_t> out;
    for (const auto& [id, dist] : n.distances) {
      const NumaNode* c = s_.find_numa(id);
      if (!c || !c->has_cpu || id == n.id) continue;
      if (dist < best) out.clear(), best = dist;
      if (dist == best) out.push_back(id);
    }
    return out;
  }

  std::optional<std::int64_t> package_of(std::uint32_t node) const {
    const NumaNode* n = s_.find_numa(node);
    return n ? n->package : std::nullopt;
  }

  // HMAT numbers for an initiator node reaching memory node n, preferring `first_class`.
  const MemoryAccess* access_from(const NumaNode& n, std::uint32_t initiator, int first_class) const {
    for (int cls : {first_class, 1 - first_class})
      for (const auto& acc : n.access)
        if (acc.access_class == cls && contains(acc.initiators, initiator)) return &acc;
    return nullptr;
  }

  // Class of reaching memory node `n` from NUMA node `from` (a CPU or device's node),
  // relative to `local` (the class for memory homed at `from`).
  PathClass node_class(std::uint32_t from, const NumaNode& n, PathClass local) const {
    auto h = home(n);
    if (from == n.id || std::find(h.begin(), h.end(), from) != h.end()) return local;
    auto pf = package_of(from);
    for (auto c : h)
      if (pf && package_of(c) == pf) return PathClass::kSameNode;
    if (h.empty() && n.package && pf && *n.package == *pf) return PathClass::kSameNode;
    return PathClass::kAcrossSockets;
  }

  // Device to a NUMA node or memory region (not device memory: PathIndex::device_memory_value).
  // Depends on the device only through its NUMA node and its PCI uplink (host_uplink and
  // whether it has a PCI chain at all): PathIndex shares one row between devices alike in those.
  Path node_memory(std::uint32_t ai, const MemoryTarget& t) {
    const AcceleratorPlace& a = places_[ai];
    Path p;
    const NumaNode* n = t.numa_node ? s_.find_numa(*t.numa_node) : nullptr;
    if (!n) {
      p.basis = intern("memory with no known NUMA node");
      return p;
    }
    if (!a.numa_node) {
      p.cls = PathClass::kAcrossSockets;
      p.basis = intern("device NUMA node unknown: assumed across sockets");
      return p;
    }
    const NumaNode* dn = s_.find_numa(*a.numa_node);
    if (dn && dn->generic_initiator) {
      if (const MemoryAccess* acc = access_from(*n, *a.numa_node, 0); acc && acc->access_class == 0) {
        p.cls = PathClass::kHostBridge;
        p.bandwidth = from_measured(acc->read_bandwidth);
        p.latency = from_measured(acc->read_latency);
        p.hops = PathMetric::of(1, Provenance::kFirmware);
        p.basis = intern("HMAT access0: generic initiator numa:" + std::to_string(*a.numa_node) + " is a best initiator of " + std::string(n->key));
        return p;
      }
    }
    p.cls = node_class(*a.numa_node, *n, PathClass::kHostBridge);
    std::int64_t hops = 0;
    PathMetric link = host_uplink(a, &hops);
    const MemoryAccess* cpu = nullptr;
    // CPU access figures of the memory, from the CPU node nearest the device.
    std::uint32_t via = *a.numa_node;
    if (dn && !dn->has_cpu) {
      for (const auto& [id, dist] : dn->distances) {
        (void)dist;
        if (const NumaNode* c = s_.find_numa(id); c && c->has_cpu) { via = id; break; }
      }
    }
    cpu = access_from(*n, via, 1);
    PathMetric mem_bw = cpu ? from_measured(cpu->read_bandwidth) : PathMetric{};
    PathMetric mem_lat = cpu ? from_measured(cpu->read_latency) : PathMetric{};
    p.bandwidth = a.pci_chain.empty() ? mem_bw : bottleneck(link, mem_bw);
    p.latency = a.pci_chain.empty() ? mem_lat : PathMetric{};  // PCIe latency is not published
    p.hops = PathMetric::of(hops + (p.cls == PathClass::kHostBridge ? 1 : p.cls == PathClass::kSameNode ? 2 : 3),
                            Provenance::kDerived);
    p.basis = intern(std::string(a.pci_chain.empty() ? "device on numa:" : "PCI path + CPU access from numa:") +
                     std::to_string(via) + " to " + std::string(n->key) + (cpu ? " (HMAT access" + std::to_string(cpu->access_class) + ")" : " (no HMAT)"));
    return p;
  }

  Path cpu_memory(const CpuDomain& c, const MemoryTarget& t) {
    Path p;
    if (t.type == MemoryTarget::Type::kDeviceMemory && !t.numa_node) {
      // Device memory without a node: reached through its owner's PCI path.
      const AcceleratorPlace& o = places_[t.owners.front()];
      if (!o.numa_node) {
        p.cls = PathClass::kAcrossSockets;
        p.basis = intern("owner's NUMA node unknown: assumed across sockets");
        return p;
      }
      const NumaNode* on = s_.find_numa(*o.numa_node);
      p.cls = on ? node_class(c.node, *on, PathClass::kHostBridge) : PathClass::kAcrossSockets;
      std::int64_t hops = 0;
      p.bandwidth = host_uplink(o, &hops);
      p.hops = PathMetric::of(hops + 1, Provenance::kDerived);
      p.basis = intern("PCI path of owner " + std::string(o.key));
      return p;
    }
    const NumaNode* n = t.numa_node ? s_.find_numa(*t.numa_node) : nullptr;
    if (!n) {
      p.basis = intern("memory with no known NUMA node");
      return p;
    }
    p.cls = c.node == n->id ? PathClass::kSelf : node_class(c.node, *n, PathClass::kSamePackage);
    // A Generic Initiator is not a CPU: only access0 (best initiator of any kind) speaks for it.
    const MemoryAccess* acc = access_from(*n, c.node, c.generic_initiator ? 0 : 1);
    if (acc && c.generic_initiator && acc->access_class != 0) acc = nullptr;
    if (c.generic_initiator && acc && p.cls != PathClass::kSelf) p.cls = PathClass::kSamePackage;
    if (acc) {
      p.bandwidth = from_measured(acc->read_bandwidth);
      p.latency = from_measured(acc->read_latency);
    }
    p.hops = PathMetric::of(static_cast<std::int64_t>(p.cls) == 0 ? 0 : p.cls == PathClass::kAcrossSockets ? 2 : 1,
                            Provenance::kDerived);
    p.basis = intern(acc ? "HMAT access" + std::to_string(acc->access_class) + " from numa:" + std::to_string(c.node)
                         : std::string("no HMAT figures for numa:") + std::to_string(c.node) + " to " + std::string(n->key));
    return p;
  }

 private:
  const Snapshot& s_;
  std::vector<AcceleratorPlace>& places_;
  std::vector<MemoryTarget>& targets_;
  std::vector<CpuDomain>& cpus_;
  std::vector<std::unique_ptr<std::string>>& strings_;
  std::map<std::string, std::string_view, std::less<>> interned_;
  // Per accelerator id: (other accelerator id, index into device_links()) of each direct link.
  std::vector<std::vector<std::pair<std::uint32_t, std::uint32_t>>> links_of_;
};

// Ids 0..count-1 in the natural order of their keys (natural_less), ties by id.
template <class KeyOf>
std::vector<std::uint32_t> natural_order(std::size_t count, KeyOf key_of) {
  std::vector<std::uint32_t> ids(count);
  for (std::uint32_t i = 0; i < count; ++i) ids[i] = i;
  std::stable_sort(ids.begin(), ids.end(),
                   [&](std::uint32_t x, std::uint32_t y) { return natural_less(key_of(x), key_of(y)); });
  return ids;
}

}  // namespace

const char* path_class_name(PathClass c) noexcept {
  auto i = static_cast<std::size_t>(c);
  return i < kClassNames.size() ? kClassNames[i] : "DIS";
}

std::optional<PathClass> path_class_from_name(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kClassNames.size(); ++i)
    if (name == kClassNames[i]) return static_cast<PathClass>(i);
  return std::nullopt;
}

int compare_paths(const Path& a, const Path& b) noexcept {
  if (a.cls != b.cls) return a.cls < b.cls ? -1 : 1;
  // Known before unknown; then higher bandwidth, lower latency, fewer hops.
  if (a.bandwidth.known() != b.bandwidth.known()) return a.bandwidth.known() ? -1 : 1;
  if (a.bandwidth.known() && a.bandwidth.value != b.bandwidth.value) return a.bandwidth.value > b.bandwidth.value ? -1 : 1;
  if (a.latency.known() != b.latency.known()) return a.latency.known() ? -1 : 1;
  if (a.latency.known() && a.latency.value != b.latency.value) return a.latency.value < b.latency.value ? -1 : 1;
  if (a.hops.known() != b.hops.known()) return a.hops.known() ? -1 : 1;
  if (a.hops.known() && a.hops.value != b.hops.value) return a.hops.value < b.hops.value ? -1 : 1;
  return 0;
}

std::string format_metric(const PathMetric& m, std::string_view unit) {
  if (!m.known()) return "unknown";
  std::string s = std::to_string(m.value);
  if (!unit.empty()) s += " " + std::string(unit);
  return s;
}

PathIndex::PathIndex(std::shared_ptr<const Snapshot> snapshot) : snap_(std::move(snapshot)) {
  const Snapshot& s = *snap_;
  Builder b(s, this, places_, targets_, cpu_domains_, strings_);
  b.places();
  b.targets();
  const std::size_t n = places_.size(), t = targets_.size();

  for (std::uint32_t i = 0; i < n; ++i) accel_by_key_.emplace_back(places_[i].key, i);
  std::sort(accel_by_key_.begin(), accel_by_key_.end());
  for (std::uint32_t i = 0; i < t; ++i) target_by_key_.emplace_back(targets_[i].key, i);
  // NUMA node id -> its target, for the nearest-to-a-node hot path. A stable
  // sort keeps the first target of a node first, as a scan would find it.
  for (std::uint32_t i = 0; i < t; ++i)
    if (targets_[i].type == MemoryTarget::Type::kNumaNode && targets_[i].numa_node)
      target_of_node_.emplace_back(*targets_[i].numa_node, i);
  std::stable_sort(target_of_node_.begin(), target_of_node_.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  std::sort(target_by_key_.begin(), target_by_key_.end());
  {
    const auto by_key = natural_order(t, [&](std::uint32_t m) -> std::string_view { return targets_[m].key; });
    target_order_.resize(t);
    for (std::uint32_t r = 0; r < t; ++r) target_order_[by_key[r]] = r;
  }

  // Device paths are computed on demand (compute_device_path): what they need is kept per
  // accelerator (its direct links) and per meeting point (the basis texts), never per pair.
  link_start_.assign(n + 1, 0);
  for (std::uint32_t i = 0; i < n; ++i) link_start_[i + 1] = link_start_[i] + static_cast<std::uint32_t>(b.links_of()[i].size());
  for (std::uint32_t i = 0; i < n; ++i) link_at_.insert(link_at_.end(), b.links_of()[i].begin(), b.links_of()[i].end());
  const auto& links = s.device_links();
  link_basis_.resize(links.size());
  link_in_package_basis_.resize(links.size());
  for (const auto& [other, li] : link_at_) {
    (void)other;
    if (!link_basis_[li].empty()) continue;
    const std::string link = std::string(links[li].type) + " link " + std::string(links[li].key);
    link_basis_[li] = b.intern(link);
    link_in_package_basis_[li] = b.intern("one package, " + link);
  }
  // A PCI device is where two accelerators meet when both have it in their chains.
  const auto& pcis = s.pci_devices();
  std::vector<std::uint32_t> below(pcis.size(), 0);
  for (const auto& p : places_)
    for (auto d : p.pci_chain) ++below[d];
  pci_basis_at_.assign(pcis.size(), -1);
  for (std::size_t d = 0; d < pcis.size(); ++d) {
    if (below[d] < 2) continue;
    pci_basis_at_[d] = static_cast<std::int32_t>(pci_basis_.size());
    std::array<std::string_view, 3> texts{};
    if (pcis[d].role == PciRole::kHostBridge) {
      texts[0] = b.intern("PCI path through host bridge " + std::string(pcis[d].key));
    } else {
      texts[1] = b.intern("PCI path below one switch/bridge " + std::string(pcis[d].key));
      texts[2] = b.intern("PCI path across switches below " + std::string(pcis[d].key));
    }
    pci_basis_.push_back(texts);
  }
  std::vector<std::uint32_t> nodes;
  std::vector<std::int64_t> packages;
  for (const auto& p : places_) {
    if (p.numa_node) nodes.push_back(*p.numa_node);
    if (p.cpu_package) packages.push_back(*p.cpu_package);
  }
  std::sort(nodes.begin(), nodes.end());
  nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
  std::sort(packages.begin(), packages.end());
  packages.erase(std::unique(packages.begin(), packages.end()), packages.end());
  for (auto node : nodes) node_basis_.emplace_back(node, b.intern("different host bridges in NUMA node " + std::to_string(node)));
  for (auto pkg : packages)
    package_basis_.emplace_back(pkg, b.intern("different NUMA nodes of CPU package " + std::to_string(pkg)));
  for (auto x : nodes)
    for (auto y : nodes)
      if (x != y)
        socket_basis_.emplace_back(std::pair(x, y), b.intern("across sockets: numa:" + std::to_string(x) + " to numa:" +
                                                             std::to_string(y)));
  same_device_basis_ = b.intern("the same device");
  one_package_basis_ = b.intern("one package");
  unknown_node_basis_ = b.intern("NUMA node unknown: assumed across sockets");
  stable_ = std::make_unique<StablePaths>();
  // Every text a device path can carry is interned by now: the "via owner" wording of each,
  // for paths to another device's memory (computed on demand, device_memory_value()).
  for (std::size_t k = 0, texts = strings_.size(); k < texts; ++k) {
    const std::string& text = *strings_[k];
    via_owner_basis_.emplace(text.data(), b.intern("via owner: " + text));
  }
  // Kept in stable_ (on the heap), so references to them survive a move of the index.
  Path own;
  own.cls = PathClass::kSelf;
  own.hops = PathMetric::of(0, Provenance::kDerived);
  own.basis = b.intern("the device's own memory");
  own_memory_ = stable_path(own);
  Path shared = own;
  shared.cls = PathClass::kSamePackage;  // shared package memory is each partition's own
  shared.basis = b.intern("memory of its package, shared by its partitions");
  package_memory_ = stable_path(shared);
  package_members_.resize(places_.size());
  for (std::uint32_t i = 0; i < n; ++i) package_members_[static_cast<std::size_t>(places_[i].package)].push_back(i);

  // Device -> NUMA node / region rows: one per distinct (NUMA node, PCI uplink).
  plain_column_.assign(t, -1);
  std::vector<std::uint32_t> plain;
  for (std::uint32_t m = 0; m < t; ++m)
    if (targets_[m].type != MemoryTarget::Type::kDeviceMemory) {
      plain_column_[m] = static_cast<std::int32_t>(plain.size());
      plain.push_back(m);
    }
  plain_columns_ = plain.size();
  {
    using RowKey = std::tuple<bool, std::uint32_t, std::int64_t, Provenance, std::int64_t, bool>;
    std::map<RowKey, std::uint32_t> rows;
    mem_row_of_.resize(n);
    for (std::uint32_t i = 0; i < n; ++i) {
      const AcceleratorPlace& p = places_[i];
      std::int64_t hops = 0;
      const PathMetric up = b.host_uplink(p, &hops);
      const RowKey key{p.numa_node.has_value(), p.numa_node.value_or(0), up.value, up.provenance, hops, p.pci_chain.empty()};
      auto [it, fresh] = rows.try_emplace(key, static_cast<std::uint32_t>(rows.size()));
      mem_row_of_[i] = it->second;
      if (fresh)
        for (auto m : plain) mem_rows_.push_back(b.node_memory(i, targets_[m]));
    }
  }
  // The best class any accelerator reaches each target at. A device memory's owners reach
  // it at SELF (PKG when partitions share it); nobody else does better than PKG.
  best_class_.assign(t, PathClass::kUnreachable);
  for (std::uint32_t m = 0; m < t; ++m) {
    if (plain_column_[m] < 0) {
      best_class_[m] = targets_[m].owners.size() > 1 ? PathClass::kSamePackage : PathClass::kSelf;
      continue;
    }
    for (std::size_t r = 0; r * plain_columns_ < mem_rows_.size(); ++r)
      best_class_[m] = std::min(best_class_[m], mem_rows_[r * plain_columns_ + plain_column_[m]].cls);
  }
  // Each accelerator's local memories: targets it reaches at the best class any
  // accelerator does, when that class is local (at most NODE). Shared-memory
  // hand-offs (share, chain) intersect two of these short lists instead of
  // scanning every target per pair.
  local_targets_.resize(n);
  std::vector<std::uint32_t> reach;
  for (std::uint32_t m = 0; m < t; ++m) {
    if (targets_[m].same_as || best_class_[m] > PathClass::kSameNode) continue;
    if (plain_column_[m] >= 0) {
      for (std::uint32_t i = 0; i < n; ++i)
        if (memory_path(i, m).cls == best_class_[m]) local_targets_[i].push_back(m);
      continue;
    }
    // Device memory: its owners, and at PKG also the owners' package mates (a device path
    // is PKG exactly between two accelerators of one package group).
    reach = targets_[m].owners;
    if (best_class_[m] == PathClass::kSamePackage)
      for (auto o : targets_[m].owners) {
        const auto& mates = package_members_[static_cast<std::size_t>(places_[o].package)];
        reach.insert(reach.end(), mates.begin(), mates.end());
      }
    std::sort(reach.begin(), reach.end());
    reach.erase(std::unique(reach.begin(), reach.end()), reach.end());
    for (auto i : reach) local_targets_[i].push_back(m);
  }
  cpu_mem_.resize(cpu_domains_.size() * t);
  for (std::uint32_t c = 0; c < cpu_domains_.size(); ++c)
    for (std::uint32_t m = 0; m < t; ++m) cpu_mem_[c * t + m] = b.cpu_memory(cpu_domains_[c], targets_[m]);

  // Functions: one sorted name table, the offers of each, and each list ranked per target.
  const auto& accs = s.accelerators();
  for (const auto& a : accs)
    for (const auto& f : a.functions) function_names_.emplace_back(f.name);
  std::sort(function_names_.begin(), function_names_.end());
  function_names_.erase(std::unique(function_names_.begin(), function_names_.end()), function_names_.end());
  {
    std::size_t slots = 4;
    while (slots < 2 * function_names_.size()) slots *= 2;
    function_slots_.assign(slots, 0);
    for (std::uint32_t id = 0; id < function_names_.size(); ++id) {
      std::size_t slot = std::hash<std::string_view>{}(function_names_[id]) & (slots - 1);
      while (function_slots_[slot] != 0) slot = (slot + 1) & (slots - 1);
      function_slots_[slot] = id + 1;
    }
  }
  offers_.resize(function_names_.size());
  for (std::uint32_t i = 0; i < n; ++i)
    for (std::uint32_t k = 0; k < accs[i].functions.size(); ++k) {
      offers_[*function_id(accs[i].functions[k].name)].push_back(offer_of(accs, i, k));
    }
  // Stable: one accelerator's offers of a function keep its function order.
  for (auto& list : offers_)
    std::stable_sort(list.begin(), list.end(), [&](const Offer& x, const Offer& y) {
      return natural_less(places_[x.accelerator].key, places_[y.accelerator].key);
    });
  // offers_near: ranked per (function, target) on first request (rank_offers).
  near_slots_ = std::make_unique<std::atomic<const std::vector<Offer>*>[]>(function_names_.size() * t);
  for (std::size_t k = 0; k < function_names_.size() * t; ++k) near_slots_[k].store(nullptr, std::memory_order_relaxed);
  rankings_ = std::make_unique<Rankings>();
  // What the best-first share/chain searches need (all linear in accelerators x local memories).
  std::vector<std::uint32_t> at_best(t, 0);
  for (std::uint32_t i = 0; i < n; ++i)
    for (auto m : local_targets_[i]) ++at_best[m];
  for (std::uint32_t m = 0; m < t; ++m)
    if (at_best[m] >= 2) shared_targets_.push_back(m);
  offer_words_ = (n + 63) / 64;
  offer_bits_.assign(function_names_.size() * offer_words_, 0);
  for (std::uint32_t f = 0; f < offers_.size(); ++f)
    for (const Offer& o : offers_[f]) offer_bits_[f * offer_words_ + o.accelerator / 64] |= std::uint64_t{1} << (o.accelerator % 64);
  ranked_by_id_ = true;
  for (std::uint32_t i = 0; i + 1 < n; ++i)
    if (!natural_less(places_[i].key, places_[i + 1].key)) ranked_by_id_ = false;
  for (std::uint32_t i = 0; i < n; ++i)
    for (std::size_t k = 1; k < accs[i].functions.size(); ++k)
      if (accs[i].functions[k].name == accs[i].functions[k - 1].name) ranked_by_id_ = false;  // names are sorted
  peer_groups_complete_ = true;
  for (const auto& p : places_) {
    if (p.pci_chain.size() >= 64) peer_groups_complete_ = false;
    for (std::size_t k = 0; k + 1 < p.pci_chain.size(); ++k)
      if (pcis[p.pci_chain[k]].role == PciRole::kHostBridge) peer_groups_complete_ = false;
  }
  // Groups by a key per accelerator (nullopt: in no group), kept when two or more share it.
  auto group_by = [&](PeerGrouping g, auto key_of) {
    std::vector<std::pair<std::int64_t, std::uint32_t>> keyed;
    for (std::uint32_t i = 0; i < n; ++i)
      if (std::optional<std::int64_t> k = key_of(places_[i])) keyed.emplace_back(*k, i);
    std::sort(keyed.begin(), keyed.end());
    auto& out = peer_groups_[static_cast<std::size_t>(g)];
    for (std::size_t j = 0; j < keyed.size();) {
      std::size_t e = j;
      while (e < keyed.size() && keyed[e].first == keyed[j].first) ++e;
      if (e - j >= 2) {
        out.emplace_back();
        for (std::size_t k = j; k < e; ++k) out.back().push_back(keyed[k].second);
      }
      j = e;
    }
    std::sort(out.begin(), out.end());
  };
  using Key = std::optional<std::int64_t>;
  group_by(PeerGrouping::kPackage, [](const AcceleratorPlace& p) -> Key { return p.package; });
  // With host bridges only at the top, two accelerators whose lowest common PCI ancestor is
  // not a host bridge share the element below the top host bridge (or the top itself).
  group_by(PeerGrouping::kPciBranch, [&](const AcceleratorPlace& p) -> Key {
    if (p.pci_chain.empty()) return std::nullopt;
    if (pcis[p.pci_chain.back()].role != PciRole::kHostBridge) return p.pci_chain.back();
    if (p.pci_chain.size() >= 2) return p.pci_chain[p.pci_chain.size() - 2];
    return std::nullopt;
  });
  group_by(PeerGrouping::kPciTree, [](const AcceleratorPlace& p) -> Key {
    if (p.pci_chain.empty()) return std::nullopt;
    return p.pci_chain.back();
  });
  group_by(PeerGrouping::kNumaNode, [](const AcceleratorPlace& p) -> Key {
    if (!p.numa_node) return std::nullopt;
    return *p.numa_node;
  });
  group_by(PeerGrouping::kCpuPackage, [](const AcceleratorPlace& p) -> Key { return p.cpu_package; });
  for (std::uint32_t i = 0; i < n; ++i)
    for (auto [other, li] : b.links_of()[i]) {
      (void)li;
      if (other > i) linked_pairs_.emplace_back(i, other);
    }
  std::sort(linked_pairs_.begin(), linked_pairs_.end());
  linked_pairs_.erase(std::unique(linked_pairs_.begin(), linked_pairs_.end()), linked_pairs_.end());
}

// Interned device paths for explanation steps: one copy per distinct path (value and basis).
struct PathIndex::StablePaths {
  struct Hash {
    std::size_t operator()(const Path& p) const noexcept {
      std::size_t h = static_cast<std::size_t>(p.cls);
      for (const PathMetric* m : {&p.bandwidth, &p.latency, &p.hops})
        h = h * 1000003u ^ (static_cast<std::size_t>(m->value) * 31u + static_cast<std::size_t>(m->provenance));
      return h * 1000003u ^ std::hash<const void*>()(p.basis.data()) ^ p.basis.size();
    }
  };
  struct Same {
    bool operator()(const Path& x, const Path& y) const noexcept {
      return x.cls == y.cls && x.bandwidth == y.bandwidth && x.latency == y.latency && x.hops == y.hops &&
             x.basis.data() == y.basis.data() && x.basis.size() == y.basis.size();
    }
  };
  std::mutex mu;
  std::unordered_set<Path, Hash, Same> paths;  // nodes: stable addresses
};

PathIndex::~PathIndex() = default;
PathIndex::PathIndex(PathIndex&&) noexcept = default;
PathIndex& PathIndex::operator=(PathIndex&&) noexcept = default;

struct PathIndex::Rankings {
  std::mutex mu;
  std::deque<std::vector<Offer>> lists;  // stable addresses: near_slots_ point into it
};

const std::vector<Offer>& PathIndex::rank_offers(std::uint32_t function, std::uint32_t target) const {
  std::lock_guard<std::mutex> lock(rankings_->mu);
  auto& slot = near_slots_[function * targets_.size() + target];
  if (const std::vector<Offer>* done = slot.load(std::memory_order_acquire)) return *done;  // ranked meanwhile
  // offers() is in accelerator key order, each accelerator's offers in its function order:
  // a stable sort by path leaves ties in that order.
  const std::vector<Offer>& base = offers_[function];
  std::vector<std::pair<Path, std::uint32_t>> keyed;
  keyed.reserve(base.size());
  for (std::uint32_t k = 0; k < base.size(); ++k) {
    const std::uint32_t a = base[k].accelerator;
    keyed.emplace_back(plain_column_[target] >= 0 ? memory_path(a, target) : device_memory_value(a, target), k);
  }
  std::stable_sort(keyed.begin(), keyed.end(), [](const auto& x, const auto& y) { return compare_paths(x.first, y.first) < 0; });
  std::vector<Offer>& ranked = rankings_->lists.emplace_back();
  ranked.reserve(keyed.size());
  for (const auto& [path, k] : keyed) ranked.push_back(base[k]);
  slot.store(&ranked, std::memory_order_release);
  return ranked;
}

const Path* PathIndex::owner_memory_path(std::uint32_t accelerator, std::uint32_t target) const {
  const MemoryTarget& t = targets_[target];
  if (std::find(t.owners.begin(), t.owners.end(), accelerator) == t.owners.end()) return nullptr;
  return t.owners.size() > 1 ? package_memory_ : own_memory_;
}

Path PathIndex::device_memory_value(std::uint32_t accelerator, std::uint32_t target) const {
  if (const Path* own = owner_memory_path(accelerator, target)) return *own;
  const MemoryTarget& t = targets_[target];
  // Another device's memory: the path to its owner (the nearest sharer), from this end.
  Path best = compute_device_path(accelerator, t.owners.front());
  for (auto o : t.owners) {
    Path q = compute_device_path(accelerator, o);
    if (compare_paths(q, best) < 0) best = q;
  }
  if (auto it = via_owner_basis_.find(best.basis.data()); it != via_owner_basis_.end()) best.basis = it->second;
  return best;
}

const Path& PathIndex::device_memory_path(std::uint32_t accelerator, std::uint32_t target) const {
  if (const Path* own = owner_memory_path(accelerator, target)) return *own;
  return *stable_path(device_memory_value(accelerator, target));
}

const Path* PathIndex::stable_path(const Path& p) const {
  std::lock_guard<std::mutex> lock(stable_->mu);
  return &*stable_->paths.insert(p).first;
}

// device_path() without the symmetry: a first. The index computes every device path
// through here (the pair's order decides which end's numbers win a tie and how an
// across-sockets basis is worded), as when all pairs were stored.
Path PathIndex::compute_device_path(std::uint32_t ai, std::uint32_t bi) const {
  const Snapshot& s = *snap_;
  const AcceleratorPlace& a = places_[ai];
  const AcceleratorPlace& b = places_[bi];
  Path p;
  if (ai == bi) {
    p.cls = PathClass::kSelf;
    p.hops = PathMetric::of(0, Provenance::kDerived);
    p.basis = same_device_basis_;
    return p;
  }
  // The best direct link between the two, by bandwidth.
  const DeviceLink* link = nullptr;
  for (std::uint32_t k = link_start_[ai]; k < link_start_[ai + 1]; ++k) {
    auto [other, li] = link_at_[k];
    if (other != bi) continue;
    const DeviceLink& l = s.device_links()[li];
    auto bw = [](const DeviceLink& x) { return x.bandwidth_max.known() ? *x.bandwidth_max.value : x.bandwidth_min.value.value_or(-1); };
    if (!link || bw(l) > bw(*link)) link = &l;
  }
  const std::size_t li = link ? static_cast<std::size_t>(link - s.device_links().data()) : 0;
  if (link) {
    const auto& m = link->bandwidth_max.known() ? link->bandwidth_max : link->bandwidth_min;
    p.bandwidth = from_measured(m);
    p.hops = PathMetric::of(link->hops.value_or(1), link->hops ? Provenance::kFirmware : Provenance::kDerived);
  }
  if (a.package == b.package) {
    p.cls = PathClass::kSamePackage;
    if (!link) p.hops = PathMetric::of(0, Provenance::kDerived);
    p.basis = link ? link_in_package_basis_[li] : one_package_basis_;
    return p;
  }
  if (link) {
    p.cls = PathClass::kDirectLink;
    p.basis = link_basis_[li];
    return p;
  }
  // The PCI tree: the lowest common ancestor decides.
  std::size_t ia = 0, ib = 0;
  bool found = false;
  for (ia = 0; ia < a.pci_chain.size() && !found; ++ia)
    for (ib = 0; ib < b.pci_chain.size(); ++ib)
      if (a.pci_chain[ia] == b.pci_chain[ib]) {
        found = true;
        break;
      }
  if (found) {
    --ia;
    const auto& pcis = s.pci_devices();
    const PciDevice& lca = pcis[a.pci_chain[ia]];
    const auto& texts = pci_basis_[pci_basis_at_[a.pci_chain[ia]]];
    std::int64_t hops = 0;
    PathMetric bw = bottleneck(uplink_of(s, a, ia, &hops), uplink_of(s, b, ib, &hops));
    if (bw.known() && bw.value == INT64_MAX) bw = {};
    p.bandwidth = bw;
    p.hops = PathMetric::of(hops, Provenance::kDerived);
    if (lca.role == PciRole::kHostBridge) {
      p.cls = PathClass::kHostBridge;
      p.basis = texts[0];
      return p;
    }
    // Count the switches crossed: a downstream port belongs to its upstream port's switch.
    std::int32_t units[128];  // chains are shorter than 64
    std::size_t nunits = 0;
    auto add = [&](const AcceleratorPlace& x, std::size_t stop) {
      for (std::size_t i = 1; i <= stop && i < x.pci_chain.size(); ++i) {
        const PciDevice& d = pcis[x.pci_chain[i]];
        std::int32_t unit = x.pci_chain[i];
        if (d.role == PciRole::kSwitchDownstream && i + 1 < x.pci_chain.size() &&
            pcis[x.pci_chain[i + 1]].role == PciRole::kSwitchUpstream)
          unit = x.pci_chain[i + 1];
        if (std::find(units, units + nunits, unit) == units + nunits && nunits < 128) units[nunits++] = unit;
      }
    };
    add(a, ia);
    add(b, ib);
    const bool one = nunits <= 1;
    p.cls = one ? PathClass::kSameSwitch : PathClass::kAcrossSwitches;
    p.basis = one ? texts[1] : texts[2];
    return p;
  }
  auto text = [](const auto& table, auto key) {
    return std::lower_bound(table.begin(), table.end(), key, [](const auto& e, const auto& k) { return e.first < k; })->second;
  };
  if (a.numa_node && b.numa_node && *a.numa_node == *b.numa_node) {
    p.cls = PathClass::kSameNode;
    p.basis = text(node_basis_, *a.numa_node);
  } else if (a.cpu_package && b.cpu_package && *a.cpu_package == *b.cpu_package) {
    p.cls = PathClass::kSameNode;
    p.basis = text(package_basis_, *a.cpu_package);
  } else if (a.numa_node && b.numa_node) {
    p.cls = PathClass::kAcrossSockets;
    p.basis = text(socket_basis_, std::pair(*a.numa_node, *b.numa_node));
  } else {
    p.cls = PathClass::kAcrossSockets;
    p.basis = unknown_node_basis_;
  }
  p.hops = PathMetric::of(p.cls == PathClass::kSameNode ? 2 : 3, Provenance::kDerived);
  return p;
}

const Offer* PathIndex::offer(std::uint32_t function, std::uint32_t a) const {
  const auto& list = offers_[function];
  auto it = std::lower_bound(list.begin(), list.end(), a, [](const Offer& o, std::uint32_t id) { return o.accelerator < id; });
  return it != list.end() && it->accelerator == a ? &*it : nullptr;
}

std::optional<std::uint32_t> PathIndex::accelerator_id(std::string_view key) const {
  auto it = std::lower_bound(accel_by_key_.begin(), accel_by_key_.end(), key,
                             [](const auto& e, std::string_view k) { return e.first < k; });
  if (it != accel_by_key_.end() && it->first == key) return it->second;
  return std::nullopt;
}

std::optional<std::uint32_t> PathIndex::memory_target_id(std::string_view key) const {
  auto it = std::lower_bound(target_by_key_.begin(), target_by_key_.end(), key,
                             [](const auto& e, std::string_view k) { return e.first < k; });
  if (it != target_by_key_.end() && it->first == key) return it->second;
  return std::nullopt;
}

std::optional<std::uint32_t> PathIndex::numa_target(std::uint32_t node) const {
  auto it = std::lower_bound(target_of_node_.begin(), target_of_node_.end(), node,
                             [](const auto& e, std::uint32_t n) { return e.first < n; });
  if (it != target_of_node_.end() && it->first == node) return it->second;
  return std::nullopt;
}

std::optional<std::uint32_t> PathIndex::cpu_domain_id(std::uint32_t node) const {
  for (std::uint32_t i = 0; i < cpu_domains_.size(); ++i)
    if (cpu_domains_[i].node == node) return i;
  return std::nullopt;
}

std::optional<std::uint32_t> PathIndex::function_id(std::string_view name) const {
  const std::size_t mask = function_slots_.size() - 1;
  for (std::size_t s = std::hash<std::string_view>{}(name) & mask; function_slots_[s] != 0; s = (s + 1) & mask)
    if (function_names_[function_slots_[s] - 1] == name) return function_slots_[s] - 1;
  return std::nullopt;
}

}  // namespace accelmap
