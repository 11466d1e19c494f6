// memory_tiers: the kernel's memory tiers (demotion order), 6.1+.
// ABI: Documentation/ABI/testing/sysfs-kernel-mm-memory-tiers
// (/sys/devices/virtual/memory_tiering/memory_tierN/nodelist).
//
// N is the abstract-distance chunk (adistance >> MEMTIER_CHUNK_BITS = 7):
// smaller N = faster tier; default DRAM is memory_tier4. Tiers derived when
// the kernel has none are the snapshot builder's business, not this provider's.
#include <string>

#include "providers/providers.h"
#include "providers/sysfs_lists.h"

namespace accelmap::providers {
namespace {

constexpr std::string_view kTierDir = "/sys/devices/virtual/memory_tiering";

class MemoryTiersProvider final : public Provider {
 public:
  std::string_view name() const noexcept override { return "memory_tiers"; }
  Phase phase() const noexcept override { return Phase::kPlatform; }
  std::string_view abi() const noexcept override { return "Documentation/ABI/testing/sysfs-kernel-mm-memory-tiers"; }

  void probe(const ProbeContext& ctx) const override {
    const std::string dir(kTierDir);
    for (const DirEntry& e : ctx.list(dir)) {
      auto n = numbered_name(e.name, "memory_tier");
      if (!n) continue;
      const std::string tdir = dir + "/" + e.name;
      Object& t = ctx.facts().object("tier:" + std::to_string(*n), "memory_tier");
      t.set("abstract_distance_chunk", static_cast<std::int64_t>(*n), Unit::kNone, Provenance::kKernel, tdir);
      // The kernel's attribute is `nodelist` (mm/memory-tiers.c, ABI
      // sysfs-kernel-mm-memory-tiers); `nodes` is accepted for trees written
      // after the earlier draft of that ABI.
      std::string file = tdir + "/nodelist";
      if (!ctx.fs().exists(file) && ctx.fs().exists(tdir + "/nodes")) file = tdir + "/nodes";
      if (auto nodes = read_list(ctx, file)) t.set("nodes", std::move(*nodes), Unit::kNone, Provenance::kKernel, file);
    }
  }
};

}  // namespace

std::unique_ptr<Provider> make_memory_tiers_provider() { return std::make_unique<MemoryTiersProvider>(); }

}  // namespace accelmap::providers
