// hmat: ACPI HMAT performance figures and memory-side caches, as the kernel
// relays them per target node.
// ABI: Documentation/ABI/stable/sysfs-devices-node (nodeX/accessY/initiators/*,
// nodeX/memory_side_cache/indexY/*); Documentation/admin-guide/mm/numaperf.rst.
//
// access0 = best initiators of any kind (CPU or Generic Initiator), access1
// (5.10+) = best CPU initiators. Both are kept: they answer different
// questions, and the snapshot builder chooses. Firmware that fills HMAT with
// zeros exists (hwloc-memorysidecaches, a real Cascade Lake): 0 means unknown
// and is written as null, never as a figure.
#include <string>

#include "providers/dir_reader.h"
#include "providers/providers.h"
#include "providers/sysfs_lists.h"

namespace accelmap::providers {
namespace {

constexpr std::string_view kNodeDir = "/sys/devices/system/node";
constexpr std::uint32_t kProbedAccessClasses = 8;

// indexing follows the kernel's enum cache_indexing (include/linux/node.h):
// 0 NODE_CACHE_DIRECT_MAP, 1 NODE_CACHE_INDEXED, 2 NODE_CACHE_OTHER. The ABI
// text says only "0 for direct mapped, non-zero if indexed", but drivers/acpi/
// numa/hmat.c maps HMAT "none" associativity to 2, which is not "indexed".
std::string_view indexing_name(std::uint64_t v) {
  switch (v) {
    case 0: return "direct-mapped";
    case 1: return "indexed";
    default: return "other";
  }
}

// enum cache_write_policy: 0 write-back, 1 write-through, 2 other.
std::string_view write_policy_name(std::uint64_t v) {
  switch (v) {
    case 0: return "write-back";
    case 1: return "write-through";
    default: return "other";
  }
}

class HmatProvider final : public Provider {
 public:
  std::string_view name() const noexcept override { return "hmat"; }
  Phase phase() const noexcept override { return Phase::kPlatform; }
  std::string_view abi() const noexcept override {
    return "Documentation/ABI/stable/sysfs-devices-node (accessY, memory_side_cache); "
           "Documentation/admin-guide/mm/numaperf.rst";
  }

  void probe(const ProbeContext& ctx) const override {
    const std::string dir(kNodeDir);
    for (const DirEntry& e : ctx.list(dir)) {
      auto node = numbered_name(e.name, "node");
      if (!node) continue;
      const std::string ndir = dir + "/" + e.name;
      // One listing per node tells which of accessY / memory_side_cache exist,
      // instead of probing each name with a failing open; but a recorded node
      // folder of hundreds of memory blocks costs more to list (~0.5 ms for
      // 1,042 entries) than asking for the access classes the kernel makes
      // (drivers/base/node.c: 0 local, 1 CPU; up to kProbedAccessClasses here).
      // A memory target gets its classes together and from 0
      // (drivers/acpi/numa/hmat.c registers LOCAL then CPU for each target), so
      // the asking stops at the first class that is not there: one failed open
      // for a node without HMAT figures instead of eight. A class that exists
      // only on an initiator's side holds targets/, which this provider does
      // not read. numa has just opened every node's folder: what it saw is kept for us.
      std::vector<DirEntry> own;
      const std::vector<DirEntry>* listing = &own;
      bool unlisted = false;
      if (const auto* kept = ctx.remembered_listing(ndir)) {
        if (kept->has_value()) listing = &**kept;
        else unlisted = true;
      } else {
        auto nd = ctx.fs().open_dir(ndir, FsRoot::Listing::kUnlessLarge);
        if (nd && !nd->listed()) unlisted = true;
        else own = nd ? nd->entries() : ctx.list(ndir);
      }
      if (unlisted) {
        for (std::uint32_t c = 0; c < kProbedAccessClasses; ++c)
          if (!probe_access(ctx, *node, c, ndir + "/access" + std::to_string(c))) break;
        probe_caches(ctx, *node, ndir + "/memory_side_cache");
        continue;
      }
      for (const DirEntry& sub : *listing) {
        if (auto c = numbered_name(sub.name, "access")) probe_access(ctx, *node, *c, ndir + "/" + sub.name);
        else if (sub.name == "memory_side_cache") probe_caches(ctx, *node, ndir + "/" + sub.name);
      }
    }
  }

 private:
  // False when the node has no such access class.
  static bool probe_access(const ProbeContext& ctx, std::uint32_t target, std::uint32_t access_class,
                           const std::string& adir) {
    const std::string idir = adir + "/initiators";
    IdSet initiators;
    bool has_values = false;
    // One open + listing; the figures are then read relative to it. Not
    // opened (an error, or a capture): ctx.list words the error as before.
    DirReader id(ctx, idir, DirReader::Capture::kPaths);
    if (id.missing()) return false;  // no such access class: asked once, not twice
    for (const DirEntry& e : id.entries()) {
      if (auto n = numbered_name(e.name, "node")) initiators.ids.push_back(*n);
      else if (e.name.ends_with("_bandwidth") || e.name.ends_with("_latency")) has_values = true;
    }
    // Initiator-only nodes have an accessY/ with targets/ and an empty initiators/.
    if (initiators.ids.empty() && !has_values) return true;
    std::sort(initiators.ids.begin(), initiators.ids.end());

    const std::string key =
        "hmat:numa:" + std::to_string(target) + ":access" + std::to_string(access_class);
    Object& o = ctx.facts().object(key, "hmat_access");
    o.set("target", static_cast<std::int64_t>(target), Unit::kNone, Provenance::kKernel, adir);
    o.set("access_class", static_cast<std::int64_t>(access_class), Unit::kNone, Provenance::kKernel, adir);
    o.set("initiators", std::move(initiators), Unit::kNone, Provenance::kFirmware, idir);
    id.prefetch({"read_bandwidth", "write_bandwidth", "read_latency", "write_latency"});  // one batch, not four reads
    struct Figure {
      const char* name;
      Unit unit;
    };
    for (const Figure& f : {Figure{"read_bandwidth", Unit::kMBps}, Figure{"write_bandwidth", Unit::kMBps},
                            Figure{"read_latency", Unit::kNs}, Figure{"write_latency", Unit::kNs}}) {
      const std::string path = idir + "/" + f.name;
      auto v = id.read_uint(f.name);
      if (!v) continue;
      if (*v > static_cast<std::uint64_t>(INT64_MAX)) {
        ctx.warn(path, "value out of range");
        continue;
      }
      o.set(f.name, *v == 0 ? Value{} : Value{static_cast<std::int64_t>(*v)}, f.unit, Provenance::kFirmware, path);
    }
    return true;
  }

  static void probe_caches(const ProbeContext& ctx, std::uint32_t node, const std::string& cdir) {
    for (const DirEntry& e : ctx.list(cdir)) {
      auto level = numbered_name(e.name, "index");
      if (!level) continue;
      const std::string idx = cdir + "/" + e.name;
      DirReader ix(ctx, idx, DirReader::Capture::kPaths);  // four files of one folder: relative reads
      ix.prefetch({"size", "line_size", "indexing", "write_policy"});
      Object& o = ctx.facts().object("memcache:numa:" + std::to_string(node) + ":" + e.name, "memory_side_cache");
      o.set("node", static_cast<std::int64_t>(node), Unit::kNone, Provenance::kKernel, cdir);
      o.set("level", static_cast<std::int64_t>(*level), Unit::kNone, Provenance::kKernel, idx);
      for (const char* f : {"size", "line_size"}) {
        const std::string path = idx + "/" + f;
        auto v = ix.read_uint(f);
        if (!v) continue;
        if (*v > static_cast<std::uint64_t>(INT64_MAX)) {
          ctx.warn(path, "value out of range");
          continue;
        }
        o.set(f, *v == 0 ? Value{} : Value{static_cast<std::int64_t>(*v)}, Unit::kBytes, Provenance::kFirmware,
              path);
      }
      if (auto v = ix.read_uint("indexing"))
        o.set("indexing", std::string(indexing_name(*v)), Unit::kNone, Provenance::kFirmware, idx + "/indexing");
      if (auto v = ix.read_uint("write_policy"))
        o.set("write_policy", std::string(write_policy_name(*v)), Unit::kNone, Provenance::kFirmware,
              idx + "/write_policy");
    }
  }
};

}  // namespace

std::unique_ptr<Provider> make_hmat_provider() { return std::make_unique<HmatProvider>(); }

}  // namespace accelmap::providers
