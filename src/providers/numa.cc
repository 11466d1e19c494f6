// numa: NUMA nodes — state lists, local CPUs, capacity and SLIT distances.
// ABI: Documentation/ABI/stable/sysfs-devices-node (possible, online, has_cpu,
// has_memory, has_normal_memory, has_generic_initiator (5.10), nodeN/cpulist,
// nodeN/cpumap, nodeN/meminfo, nodeN/distance).
//
// A tree without /sys/devices/system/node (single-node kernels built without
// CONFIG_NUMA) is normal: nothing is written and nothing is diagnosed.
// Objects exist for every nodeN directory (and every online id); nodes that are
// only "possible" get no object, since nothing about them can be read.
#include <set>
#include <string>

#include "providers/dir_reader.h"
#include "providers/providers.h"
#include "providers/sysfs_lists.h"

namespace accelmap::providers {
namespace {

constexpr std::string_view kNodeDir = "/sys/devices/system/node";

class NumaProvider final : public Provider {
 public:
  std::string_view name() const noexcept override { return "numa"; }
  Phase phase() const noexcept override { return Phase::kPlatform; }
  std::string_view abi() const noexcept override { return "Documentation/ABI/stable/sysfs-devices-node"; }

  void probe(const ProbeContext& ctx) const override {
    const std::string dir(kNodeDir);
    // One open + listing of the folder; its lists are read relative to it.
    // Not opened (an error, or a capture): ctx.list words the error as before.
    DirReader top(ctx, dir, DirReader::Capture::kPaths);
    std::vector<DirEntry> entries = top.entries();
    if (entries.empty()) return;
    if (top.fs_dir() != nullptr) ctx.remember_listing(dir, entries);  // hmat reads the nodes too
    // The six state lists in one batch (those the listing shows).
    top.prefetch({"possible", "online", "has_cpu", "has_memory", "has_normal_memory", "has_generic_initiator"});

    std::set<std::uint32_t> node_dirs;
    for (const DirEntry& e : entries)
      if (auto n = numbered_name(e.name, "node")) node_dirs.insert(*n);

    struct StateList {
      const char* file;
      const char* attr;
      std::optional<IdSet> ids;
    };
    StateList states[] = {
        {"possible", "possible", {}},   {"online", "online", {}},
        {"has_cpu", "has_cpu", {}},     {"has_memory", "has_memory", {}},
        {"has_normal_memory", "has_normal_memory", {}},
        {"has_generic_initiator", "generic_initiator", {}},
    };
    for (StateList& s : states) {
      // Only read lists the directory listing shows: saves failed opens on old kernels.
      bool listed = false;
      for (const DirEntry& e : entries) listed = listed || e.name == s.file;
      if (listed) s.ids = read_list(ctx, top, s.file);
    }
    const std::optional<IdSet>& online = states[1].ids;

    // The distance row has one entry per online node, in id order
    // (node_read_distance() walks for_each_online_node). Old kernels without
    // the online file: the node directories are exactly the online nodes.
    IdSet row_nodes;
    std::string row_nodes_source = dir + "/online";
    if (online) {
      row_nodes = *online;
    } else {
      row_nodes.ids.assign(node_dirs.begin(), node_dirs.end());
      row_nodes_source = dir;
    }

    std::set<std::uint32_t> all = node_dirs;
    if (online) all.insert(online->ids.begin(), online->ids.end());

    for (std::uint32_t n : all) {
      Object& node = ctx.facts().object("numa:" + std::to_string(n), "numa_node");
      for (const StateList& s : states) {
        if (s.ids) node.set(s.attr, contains(*s.ids, n), Unit::kNone, Provenance::kKernel, dir + "/" + s.file);
      }
      if (!online) node.set("online", node_dirs.count(n) > 0, Unit::kNone, Provenance::kKernel, dir);
      if (!node_dirs.count(n)) {
        ctx.warn(dir + "/node" + std::to_string(n), "node is listed online but has no directory");
        continue;
      }
      // Three or four files of one folder: one open + listing, relative reads
      // (no listing where the node holds hundreds of memory blocks).
      DirReader nd(ctx, dir + "/node" + std::to_string(n), DirReader::Capture::kPaths, FsRoot::Listing::kUnlessLarge);
      if (const FsDir* f = nd.fs_dir())  // hmat looks for access classes and caches here
        ctx.remember_listing(nd.dir(), f->listed() ? std::optional(f->entries()) : std::nullopt);
      nd.prefetch({"cpulist", "cpumap", "meminfo", "distance"});
      probe_cpus(ctx, node, nd);
      probe_capacity(ctx, node, nd);
      probe_distances(ctx, node, nd, row_nodes, row_nodes_source);
    }
  }

 private:
  static void probe_cpus(const ProbeContext& ctx, Object& node, const DirReader& nd) {
    const std::string list_path = nd.path("cpulist");
    auto r = nd.read_text("cpulist");
    if (r) {
      if (auto ids = parse::id_list(strip_nuls(*r))) {
        node.set("cpus", IdSet{std::move(*ids)}, Unit::kNone, Provenance::kKernel, list_path);
        return;
      }
      ctx.warn(list_path, "not a valid id list (expected e.g. \"0-3,8\")");
    } else if (r.error().code() != StatusCode::kNotFound) {
      ctx.warn(r.error());
    }
    // cpulist appeared in 2.6.2x; older trees (and some recordings) only have the mask.
    const std::string mask_path = nd.path("cpumap");
    if (auto text = nd.read("cpumap")) {
      if (auto ids = parse::hex_mask(strip_nuls(*text)))
        node.set("cpus", IdSet{std::move(*ids)}, Unit::kNone, Provenance::kKernel, mask_path);
      else
        ctx.warn(mask_path, "not a valid hex mask (expected e.g. \"0000,0000ffff\")");
    }
  }

  static void probe_capacity(const ProbeContext& ctx, Object& node, const DirReader& nd) {
    const std::string path = nd.path("meminfo");
    auto text = nd.read("meminfo");
    if (!text) return;
    if (auto bytes = parse::node_meminfo_total_bytes(*text); bytes && *bytes <= INT64_MAX)
      node.set("capacity", static_cast<std::int64_t>(*bytes), Unit::kBytes, Provenance::kKernel, path);
    else
      ctx.warn(path, "no valid MemTotal line");
  }

  static void probe_distances(const ProbeContext& ctx, Object& node, const DirReader& nd,
                              const IdSet& row_nodes, const std::string& row_nodes_source) {
    const std::string path = nd.path("distance");
    auto text = nd.read("distance");
    if (!text) return;
    auto row = parse::uint_list(strip_nuls(*text));
    if (!row || row->empty()) {
      ctx.warn(path, "not a list of distances");
      return;
    }
    if (row->size() != row_nodes.ids.size()) {
      ctx.warn(path, "distance row has " + std::to_string(row->size()) + " entries but " +
                         std::to_string(row_nodes.ids.size()) + " nodes are online");
      return;
    }
    std::vector<std::int64_t> values;
    values.reserve(row->size());
    for (std::uint64_t v : *row) {
      if (v > INT32_MAX) {  // SLIT entries are one byte; anything huge is corrupt
        ctx.warn(path, "distance out of range");
        return;
      }
      values.push_back(static_cast<std::int64_t>(v));
    }
    node.set("distances", std::move(values), Unit::kRelative, Provenance::kFirmware, path);
    node.set("distance_nodes", row_nodes, Unit::kNone, Provenance::kKernel, row_nodes_source);
  }
};

}  // namespace

std::unique_ptr<Provider> make_numa_provider() { return std::make_unique<NumaProvider>(); }

}  // namespace accelmap::providers
