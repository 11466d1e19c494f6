// kfd: AMD GPUs (and MI300-class compute partitions) as the amdkfd topology reports them.
// Source: linux drivers/gpu/drm/amd/amdkfd/kfd_topology.c (node_show, mem_show, iolink_show:
// "%s %llu\n" lines under /sys/class/kfd/kfd/topology/nodes/N/{properties,mem_banks/M/properties,
// io_links/M/properties,p2p_links/M/properties}), the CRAT link types of kfd_crat.h
// (CRAT_IOLINK_TYPE_PCIEXPRESS 2, CRAT_IOLINK_TYPE_XGMI 11), and the ROCm thunk
// (ROCT-Thunk-Interface src/topology.c) which reads the very same files.
//
// Rules this provider follows (docs/facts.md, "Accelerators ..."):
// * GPU nodes are those with simd_count > 0 (gpu_id is missing in some recordings and is
//   0 for CPU nodes). CPU nodes come first; the k-th CPU node is the k-th NUMA node with CPUs
//   (the thunk numbers them the same way), or NUMA node k when no NUMA facts exist.
// * location_id is bus<<8 | devfn. GPU nodes with equal (domain, location_id >> 3) sit on
//   one PCI device: they are compute partitions of one package (MI300 CPX/DPX). Their HBM is
//   one pool: amdgpu gives each partition an equal share of it (amdgpu_amdkfd_xcp_memory_size
//   divides the pool by the number of partitions in NPS1), so each partition's bank keeps the
//   size that partition sees and lists all partitions in `shared_by`.
// * Memory kind from the bank's bus width: >= 1024 bits can only be HBM (an HBM stack has a
//   1024-bit interface; GDDR boards top out at 512 bits, e.g. Hawaii), 128-512 bits on a
//   GPU's own frame buffer is GDDR, 64 bits is a DDR channel (APU carve-out / system memory);
//   anything else is `unknown`.
// * Links: io_links (direct) win over p2p_links (kernel-computed indirect paths) for the same
//   pair. A->B and B->A become one link; when both directions are read and differ the link
//   keeps the smaller bandwidths and the larger weight (the conservative reading).
#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "parse/parse.h"
#include "providers/device_facts.h"
#include "providers/path_util.h"
#include "providers/providers.h"

namespace accelmap::providers {
namespace {

constexpr std::string_view kTopologyDirs[] = {"/sys/class/kfd/kfd/topology",
                                              "/sys/devices/virtual/kfd/kfd/topology"};
constexpr std::uint64_t kCratPcie = 2;
constexpr std::uint64_t kCratXgmi = 11;
constexpr std::uint64_t kHeapFbPublic = 1;
constexpr std::uint64_t kHeapFbPrivate = 2;
constexpr std::int64_t kIntraPackageWeight = 13;

using Props = std::map<std::string, std::uint64_t, std::less<>>;

struct Node {
  std::uint32_t index = 0;
  std::string dir;
  Props props;
  bool gpu = false;
  std::string key;      // kfd:nodeN for GPUs
  std::string package;  // pkg:DDDD:BB:DD for GPUs
};

std::optional<std::uint64_t> get(const Props& p, std::string_view k) {
  auto it = p.find(k);
  if (it == p.end()) return std::nullopt;
  return it->second;
}

std::optional<std::int64_t> as_int(std::optional<std::uint64_t> v) {
  if (!v || *v > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
  return static_cast<std::int64_t>(*v);
}

std::string hex_fmt(const char* fmt, std::uint64_t a, std::uint64_t b, std::uint64_t c, std::uint64_t d) {
  char buf[48];
  std::snprintf(buf, sizeof buf, fmt, static_cast<unsigned>(a), static_cast<unsigned>(b), static_cast<unsigned>(c),
                static_cast<unsigned>(d));
  return buf;
}

/// Reads the "key value" properties file `name` ("3/properties") below `dir`;
/// each line that is not "name <unsigned>" is diagnosed. Relative to the open
/// directory: a partitioned MI300 has thousands of io_links/p2p_links files.
std::optional<Props> read_props(const ProbeContext& ctx, const FsDir& dir, const std::string& name) {
  auto text = ctx.read(dir, name, /*optional=*/false);
  const std::string path = dir.child(name);
  if (!text) return std::nullopt;
  Props out;
  const parse::KfdProperties parsed = parse::kfd_properties(*text);
  for (std::string_view bad : parsed.malformed)
    ctx.warn(path, "malformed line '" + std::string(bad.substr(0, 60)) + "' (expected \"name number\")");
  // First occurrence wins, as with the map emplace this replaced.
  for (const auto& [k, v] : parsed.values) out.emplace(std::string(k), v);
  return out;
}

std::string memory_kind(std::uint64_t width) {
  if (width >= 1024) return "hbm";
  if (width >= 128 && width <= 512) return "gddr";
  if (width == 64) return "ddr";
  return "unknown";
}

/// Reads every "N/properties" below `dir` (a folder of numbered folders) in
/// batches on a recorded tree: a partitioned MI300 has thousands of them, each
/// otherwise a type check, an open, an fstat, a read and a close.
void prefetch_properties(FsDir& dir) {
  std::vector<std::string> names;
  for (const DirEntry& e : dir.entries())
    if (e.type == EntryType::kDir && small_number(e.name)) names.push_back(e.name + "/properties");
  dir.prefetch(names);
}

class KfdProvider final : public Provider {
 public:
  std::string_view name() const noexcept override { return "kfd"; }
  Phase phase() const noexcept override { return Phase::kDevice; }
  std::string_view abi() const noexcept override {
    return "linux drivers/gpu/drm/amd/amdkfd/kfd_topology.c (/sys/class/kfd/kfd/topology)";
  }

  void probe(const ProbeContext& ctx) const override {
    std::string topo;
    std::optional<FsDir> nodes_dir;
    for (std::string_view dir : kTopologyDirs) {
      nodes_dir = ctx.open_dir(std::string(dir) + "/nodes");
      if (nodes_dir && !nodes_dir->entries().empty()) {
        topo = dir;
        break;
      }
    }
    if (topo.empty()) return;
    const std::vector<DirEntry>& entries = nodes_dir->entries();
    prefetch_properties(*nodes_dir);

    std::vector<Node> nodes;
    for (const DirEntry& e : entries) {
      auto idx = small_number(e.name);
      if (!idx) continue;
      Node n;
      n.index = *idx;
      n.dir = topo + "/nodes/" + e.name;
      auto props = read_props(ctx, *nodes_dir, e.name + "/properties");
      if (!props) continue;
      n.props = std::move(*props);
      n.gpu = get(n.props, "simd_count").value_or(0) > 0;
      nodes.push_back(std::move(n));
    }
    std::sort(nodes.begin(), nodes.end(), [](const Node& a, const Node& b) { return a.index < b.index; });

    std::map<std::uint32_t, std::int64_t> cpu_numa = map_cpu_nodes(ctx, nodes);
    std::map<std::uint32_t, const Node*> gpu_by_index;
    std::map<std::string, std::vector<std::string>> packages;  // package -> partition keys
    for (Node& n : nodes) {
      if (!n.gpu) continue;
      n.key = "kfd:node" + std::to_string(n.index);
      std::uint64_t loc = get(n.props, "location_id").value_or(0);
      std::uint64_t domain = get(n.props, "domain").value_or(0);
      n.package = hex_fmt("pkg:%04x:%02x:%02x", domain, loc >> 8, (loc >> 3) & 0x1f, 0);
      packages[n.package].push_back(n.key);
      gpu_by_index[n.index] = &n;
    }
    // A GPU node writes its own accelerator, function and memory, so many are
    // written in parts on several threads (reading each node's mem_banks is
    // most of it; a part of 64 is ~3 ms on a recorded tree). The links below
    // merge what both ends say about one link, in node order: one thread.
    std::vector<std::pair<const Node*, const std::vector<std::string>*>> gpus;
    for (const Node& n : nodes)
      if (n.gpu) gpus.emplace_back(&n, &packages[n.package]);
    // Each GPU's io_links and p2p_links are read in the same parts; the links
    // are written after, on this thread.
    std::vector<std::vector<LinkRead>> links(gpus.size());
    ctx.in_parts(gpus.size(), 64, [&](const ProbeContext& part, std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) {
        write_gpu(part, *gpus[i].first, *gpus[i].second);
        links[i] = read_links(part, *gpus[i].first);
      }
    });
    for (std::size_t i = 0; i < gpus.size(); ++i) write_links(ctx, *gpus[i].first, links[i], gpu_by_index, cpu_numa);
  }

 private:
  static std::map<std::uint32_t, std::int64_t> map_cpu_nodes(const ProbeContext& ctx, const std::vector<Node>& nodes) {
    std::vector<std::int64_t> numa_with_cpus;
    for (const Object* o : ctx.facts().of_kind("numa_node")) {
      if (o->get_bool("has_cpu").value_or(false)) {
        auto id = small_number(std::string_view(o->key).substr(o->key.find(':') + 1));
        if (id) numa_with_cpus.push_back(*id);
      }
    }
    std::sort(numa_with_cpus.begin(), numa_with_cpus.end());
    std::map<std::uint32_t, std::int64_t> out;
    std::size_t k = 0;
    for (const Node& n : nodes) {
      if (n.gpu) continue;
      out[n.index] = numa_with_cpus.empty() ? static_cast<std::int64_t>(k)
                                            : (k < numa_with_cpus.size() ? numa_with_cpus[k] : -1);
      ++k;
    }
    return out;
  }

  static void write_gpu(const ProbeContext& ctx, const Node& n, const std::vector<std::string>& partitions) {
    const std::string props = n.dir + "/properties";
    Object& o = accelerator(ctx, n.key, "gpu", "GPU");
    auto set_int = [&](const char* attr, std::string_view prop, Unit unit = Unit::kNone) {
      if (auto v = as_int(get(n.props, prop))) o.set(attr, *v, unit, Provenance::kKernel, props);
    };
    set_int("vendor_id", "vendor_id");
    set_int("device_id", "device_id");
    set_int("simd_count", "simd_count", Unit::kCount);
    set_int("gfx_target_version", "gfx_target_version");
    set_int("num_xcc", "num_xcc", Unit::kCount);
    set_int("location_id", "location_id");
    if (auto v = get(n.props, "gpu_id"); v && *v) set_int("gpu_id", "gpu_id");
    if (auto v = get(n.props, "drm_render_minor"); v && *v) set_int("drm_render_minor", "drm_render_minor");
    if (auto v = get(n.props, "max_engine_clk_fcompute"); v && *v)
      set_int("clock_max", "max_engine_clk_fcompute", Unit::kMHz);
    auto simd = get(n.props, "simd_count").value_or(0);
    if (auto per_cu = get(n.props, "simd_per_cu"); per_cu && *per_cu)
      o.set("compute_units", static_cast<std::int64_t>(simd / *per_cu), Unit::kCount, Provenance::kDerived, props);
    // hive_id is a 64-bit hash that often exceeds int64: kept as the kernel's decimal string.
    if (auto h = get(n.props, "hive_id"); h && *h)
      o.set("hive_id", std::to_string(*h), Unit::kNone, Provenance::kKernel, props);
    std::uint64_t loc = get(n.props, "location_id").value_or(0);
    std::uint64_t domain = get(n.props, "domain").value_or(0);
    // Derived: the PCI function exists even when the recording holds no /sys/bus/pci.
    o.set("pci", hex_fmt("pci:%04x:%02x:%02x.%x", domain, loc >> 8, (loc >> 3) & 0x1f, loc & 7), Unit::kNone,
          Provenance::kDerived, props);
    o.set("package", n.package, Unit::kNone, Provenance::kDerived, props);
    if (partitions.size() > 1) o.set("partition_of", n.package, Unit::kNone, Provenance::kDerived, props);
    add_function(ctx, n.key, "gpu.compute", kAvailable, "kfd.node", props);
    write_memory(ctx, n, partitions);
  }

  static void write_memory(const ProbeContext& ctx, const Node& n, const std::vector<std::string>& partitions) {
    std::optional<FsDir> banks = ctx.open_dir(n.dir + "/mem_banks");
    if (!banks) return;
    prefetch_properties(*banks);
    for (const DirEntry& b : banks->entries()) {
      auto bank = small_number(b.name);
      if (!bank) continue;
      const std::string path = n.dir + "/mem_banks/" + b.name + "/properties";
      auto p = read_props(ctx, *banks, b.name + "/properties");
      if (!p) continue;
      auto heap = get(*p, "heap_type");
      if (!heap) {
        ctx.warn(path, "no heap_type");
        continue;
      }
      // System (0), GDS, LDS and scratch heaps are not the device's own memory.
      if (*heap != kHeapFbPublic && *heap != kHeapFbPrivate) continue;
      Object& m = ctx.facts().object("devmem:" + n.key + ":" + b.name, "device_memory");
      m.set("device", n.key, Unit::kNone, Provenance::kKernel, path);
      std::uint64_t width = get(*p, "width").value_or(0);
      m.set("kind", memory_kind(width), Unit::kNone, Provenance::kDerived, path);
      if (auto v = as_int(get(*p, "size_in_bytes"))) m.set("size", *v, Unit::kBytes, Provenance::kKernel, path);
      if (width) m.set("width", static_cast<std::int64_t>(width), Unit::kBits, Provenance::kKernel, path);
      if (auto c = as_int(get(*p, "mem_clk_max")); c && *c)
        m.set("clock_max", *c, Unit::kMHz, Provenance::kKernel, path);
      if (partitions.size() > 1) m.set("shared_by", partitions, Unit::kNone, Provenance::kDerived, path);
    }
  }

  // One link as its node's io_links (direct) or p2p_links folder says it.
  struct LinkRead {
    std::string path;  // .../properties
    Props props;
    bool direct = true;
  };

  // A node's links, io_links first, each folder in listing order.
  static std::vector<LinkRead> read_links(const ProbeContext& ctx, const Node& n) {
    std::vector<LinkRead> out;
    for (std::string_view table : {"io_links", "p2p_links"}) {
      std::optional<FsDir> links = ctx.open_dir(n.dir + "/" + std::string(table));
      if (!links) continue;
      prefetch_properties(*links);
      for (const DirEntry& e : links->entries()) {
        if (!small_number(e.name)) continue;
        auto p = read_props(ctx, *links, e.name + "/properties");
        if (!p) continue;
        out.push_back({n.dir + "/" + std::string(table) + "/" + e.name + "/properties", std::move(*p),
                       table == "io_links"});
      }
    }
    return out;
  }

  static void write_links(const ProbeContext& ctx, const Node& n, const std::vector<LinkRead>& links,
                          const std::map<std::uint32_t, const Node*>& gpus,
                          const std::map<std::uint32_t, std::int64_t>& cpu_numa) {
    std::optional<std::pair<std::uint64_t, std::int64_t>> nearest_cpu;  // (weight, numa)
    for (const auto& [path, p, direct] : links) {
      auto to = get(p, "node_to");
      if (!to || *to > UINT32_MAX) {
        ctx.warn(path, "no node_to");
        continue;
      }
      std::uint64_t weight = get(p, "weight").value_or(0);
      if (auto cpu = cpu_numa.find(static_cast<std::uint32_t>(*to)); cpu != cpu_numa.end()) {
        if (direct && cpu->second >= 0 && (!nearest_cpu || weight < nearest_cpu->first))
          nearest_cpu = std::make_pair(weight, cpu->second);
        continue;
      }
      auto peer = gpus.find(static_cast<std::uint32_t>(*to));
      if (peer == gpus.end()) {
        ctx.warn(path, "node_to " + std::to_string(*to) + " is not a node of the topology", Severity::kInfo);
        continue;
      }
      write_link(ctx, n, *peer->second, p, direct, path);
    }
    if (nearest_cpu)
      ctx.facts().object(n.key, "accelerator").set("numa_node", nearest_cpu->second, Unit::kNone,
                                                   Provenance::kDerived, n.dir + "/io_links");
  }

  static void write_link(const ProbeContext& ctx, const Node& a, const Node& b, const Props& p, bool direct,
                         const std::string& path) {
    const std::string key = link_key(a.key, b.key);
    Object* existing = ctx.facts().find(key) ? &ctx.facts().object(key, "device_link") : nullptr;
    auto bw_min = as_int(get(p, "min_bandwidth")).value_or(0);
    auto bw_max = as_int(get(p, "max_bandwidth")).value_or(0);
    auto weight = as_int(get(p, "weight")).value_or(0);
    if (existing) {
      bool old_direct = !existing->get_bool("indirect").value_or(false);
      if (old_direct && !direct) return;  // a direct link outranks an indirect path
      if (old_direct == direct) {
        auto merge_min = [&](const char* attr, std::int64_t v) {
          auto old = existing->get_int(attr);
          if (old && (v == 0 || *old < v)) return;
          if (v == 0 && !old) return;
          existing->set(attr, v, Unit::kMBps, Provenance::kFirmware, path);
        };
        merge_min("bandwidth_min", bw_min);
        merge_min("bandwidth_max", bw_max);
        if (weight > existing->get_int("weight").value_or(0))
          existing->set("weight", weight, Unit::kRelative, Provenance::kFirmware, path);
        return;
      }
      // An indirect path recorded first is replaced by the direct link.
    }
    Object& l = ctx.facts().object(key, "device_link");
    l.attrs.clear();
    const bool a_first = !natural_less(b.key, a.key);
    l.set("a", a_first ? a.key : b.key, Unit::kNone, Provenance::kKernel, path);
    l.set("b", a_first ? b.key : a.key, Unit::kNone, Provenance::kKernel, path);
    auto crat = get(p, "type").value_or(0);
    std::string type;
    if (a.package == b.package && weight == kIntraPackageWeight) type = "intra-package";
    else if (crat == kCratXgmi) type = "xgmi";
    else if (crat == kCratPcie) type = "pcie";
    else {
      type = "other";
      ctx.warn(path, "CRAT link type " + std::to_string(crat) + " is not PCIe (2) or xGMI (11)", Severity::kInfo);
    }
    l.set("type", type, Unit::kNone, Provenance::kFirmware, path);
    l.set("crat_type", static_cast<std::int64_t>(crat), Unit::kNone, Provenance::kFirmware, path);
    l.set("bandwidth_min", bw_min ? Value(bw_min) : Value{}, Unit::kMBps, Provenance::kFirmware, path);
    l.set("bandwidth_max", bw_max ? Value(bw_max) : Value{}, Unit::kMBps, Provenance::kFirmware, path);
    if (weight) l.set("weight", weight, Unit::kRelative, Provenance::kFirmware, path);
    l.set("indirect", !direct, Unit::kNone, Provenance::kKernel, path);
  }
};

}  // namespace

std::unique_ptr<Provider> make_kfd_provider() { return std::make_unique<KfdProvider>(); }

}  // namespace accelmap::providers
