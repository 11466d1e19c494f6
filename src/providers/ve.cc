// ve: NEC SX-Aurora TSUBASA Vector Engines (/sys/class/ve/veN, out-of-tree `ve_drv`).
// Source: NEC veos vedrv (ve_drv.c sysfs attributes: memory_size, num_of_core, os_state,
// ve_state, model, type) as recorded in hwloc's 32intel64-2p8co2t+8ve tree, and hwloc
// topology-linux.c (hwloc_linuxfs_ve_class_fillinfos), which reads the same files.
// `memory_size` is in GB meaning GiB: hwloc stores it as VectorEngineMemorySize = value *
// 1024 * 1024 KiB and lstopo prints "48 GB" for the value 48 (KiB / 1024 / 1024), so the
// size written here is memory_size << 30 bytes. The memory is the card's HBM2 (SX-Aurora
// Type 10/20 carry 6 HBM2 stacks).
#include <string>

#include "parse/parse.h"
#include "providers/device_facts.h"
#include "providers/path_util.h"
#include "providers/providers.h"

namespace accelmap::providers {
namespace {

constexpr std::string_view kClassVe = "/sys/class/ve";

class VeProvider final : public Provider {
 public:
  std::string_view name() const noexcept override { return "ve"; }
  Phase phase() const noexcept override { return Phase::kDevice; }
  std::string_view abi() const noexcept override { return "NEC veos ve_drv sysfs (/sys/class/ve), as read by hwloc"; }

  void probe(const ProbeContext& ctx) const override {
    for (const DirEntry& e : ctx.list(kClassVe)) {
      if (!numbered(e.name, "ve")) continue;
      const std::string dir = std::string(kClassVe) + "/" + e.name;
      const std::string key = "ve:" + e.name;
      Object& o = accelerator(ctx, key, "ve", "vector engine");
      set_parent_device(ctx, o, dir);
      if (auto n = ctx.read_int(dir + "/num_of_core"); n && *n > 0)
        o.set("num_of_core", *n, Unit::kCount, Provenance::kKernel, dir + "/num_of_core");
      else if (n) ctx.warn(dir + "/num_of_core", "not a positive core count");
      // The driver's `model` is a generation number (1 = VE 1.0), not a name: the
      // name comes from the PCI function.
      if (auto m = ctx.read_int(dir + "/model")) o.set("ve_model", *m, Unit::kNone, Provenance::kKernel, dir + "/model");
      // ve_state 1 = ONLINE in ve_drv.h; other values are reported but not interpreted.
      std::string state(kStateUnknown);
      if (auto s = ctx.read_int(dir + "/ve_state")) {
        o.set("ve_state", *s, Unit::kNone, Provenance::kKernel, dir + "/ve_state");
        if (*s == 1) state = kAvailable;
      }
      add_function(ctx, key, "vector.compute", state, "ve.class", dir);
      const std::string msize = dir + "/memory_size";
      if (auto gb = ctx.read_int(msize)) {
        if (*gb <= 0 || *gb > (1 << 20)) {
          ctx.warn(msize, "not a plausible size in GB");
        } else {
          Object& m = ctx.facts().object("devmem:" + key + ":0", "device_memory");
          m.set("device", key, Unit::kNone, Provenance::kKernel, msize);
          m.set("kind", std::string("hbm"), Unit::kNone, Provenance::kNominal, msize);
          m.set("size", *gb << 30, Unit::kBytes, Provenance::kKernel, msize);
        }
      }
    }
  }
};

}  // namespace

std::unique_ptr<Provider> make_ve_provider() { return std::make_unique<VeProvider>(); }

}  // namespace accelmap::providers
