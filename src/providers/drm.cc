// drm: GPUs as DRM devices (/sys/class/drm/cardN).
// Source: linux Documentation/ABI/testing/sysfs-class-drm and drivers/gpu/drm/drm_sysfs.c
// (cardN and renderDN minors under <PCI function>/drm/, cardN-<connector> entries for
// outputs); amdgpu attributes under the PCI function: Documentation/gpu/amdgpu/driver-misc.rst
// and amdgpu_device.c / amdgpu_xgmi.c (mem_info_vram_total, mem_info_vram_vendor,
// product_name, xgmi_physical_id, xgmi_device_id, xgmi_hive_info/xgmi_hive_id).
//
// Only cards whose driver maps to functions in the catalog (source "drm.driver": amdgpu,
// i915, xe, nouveau, radeon, nvidia-drm, ...) are accelerators; display-only drivers
// (cirrus, ast, mgag200, simpledrm) leave an info diagnostic and nothing else.
//
// Fallback (NVIDIA without procfs and without a DRM card, e.g. a passthrough VM recording
// with only /sys/bus/pci): a PCI function bound to `nvidia` with class 0x0300/0x0302 that no
// accelerator claims yet becomes accelerator `gpu:<BDF>`; its functions are `nominal`.
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "parse/parse.h"
#include "providers/device_facts.h"
#include "providers/dir_reader.h"
#include "providers/path_util.h"
#include "providers/providers.h"

namespace accelmap::providers {
namespace {

constexpr std::string_view kClassDrm = "/sys/class/drm";

class DrmProvider final : public Provider {
 public:
  std::string_view name() const noexcept override { return "drm"; }
  Phase phase() const noexcept override { return Phase::kDevice; }
  std::string_view abi() const noexcept override {
    return "linux Documentation/ABI/testing/sysfs-class-drm, drivers/gpu/drm/drm_sysfs.c";
  }

  void probe(const ProbeContext& ctx) const override {
    // Every card links into one /sys/devices tree: its common components are
    // looked at once for all of them (once per part). Cards are independent
    // (each writes its own accelerator, functions and memory), so many are
    // read in parts on several threads; a part of 64 is ~6 ms of reads on a
    // recorded tree. The NVIDIA fallback reads what the cards wrote: after.
    std::vector<std::string> cards;
    for (const DirEntry& e : ctx.list(kClassDrm))
      if (numbered(e.name, "card")) cards.push_back(e.name);
    ctx.in_parts(cards.size(), 64, [&](const ProbeContext& part, std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) probe_card(part, cards[i]);
    });
    nvidia_pci_fallback(ctx);
  }

 private:
  static void probe_card(const ProbeContext& ctx, const std::string& card) {
    const std::string dir = std::string(kClassDrm) + "/" + card;
    const std::string dev = dir + "/device";
    // The attributes live in the card's parent device (the PCI function):
    // one open + listing of it, then reads relative to it (results and
    // diagnostics as reads by full path).
    DirReader d(ctx, dev, DirReader::Capture::kPaths);
    d.prefetch({"numa_node", "product_name", "vendor", "device", "mem_info_vram_total", "mem_info_vram_vendor",
                "xgmi_physical_id", "xgmi_device_id", "xgmi_hive_info/xgmi_hive_id"});
    std::string driver;
    auto target = d.fs_dir() ? d.fs_dir()->read_link("driver") : ctx.fs().read_link(dev + "/driver");
    if (target) driver = std::string(path_basename(*target));
    if (driver.empty()) {
      ctx.warn(dir, "no driver bound to the card's device; not listed", Severity::kInfo);
      return;
    }
    const auto* fns = ctx.catalog().lookup("drm.driver", driver);
    if (!fns || fns->empty()) {
      ctx.warn(dir, "driver '" + driver + "' has no functions in the catalog (display only?); not listed",
               Severity::kInfo);
      return;
    }
    const std::string key = "drm:" + card;
    Object& o = accelerator(ctx, key, "gpu", "GPU");
    o.set("driver", driver, Unit::kNone, Provenance::kKernel, dev + "/driver");
    add_functions_from(ctx, key, "drm.driver", driver, kAvailable, dev + "/driver");

    // The PCI function: from the card's canonical path, else from its device link.
    std::string canon_dev;
    if (auto c = ctx.resolve(dev)) canon_dev = *c;
    std::string pci = pci_key_of_path(canon_dev);
    if (pci.empty())
      if (auto c = ctx.resolve(dir)) pci = pci_key_of_path(*c);
    if (!pci.empty()) o.set("pci", pci, Unit::kNone, Provenance::kKernel, dev);

    // The render node is a sibling minor of the same device: list <device>/drm once.
    // Opened relative to the device's open folder when it lists drm/.
    if (!canon_dev.empty())
      for (const DirEntry& m : render_candidates(ctx, d, canon_dev))
        if (numbered(m.name, "renderD")) {
          o.set("render_node", m.name, Unit::kNone, Provenance::kKernel, canon_dev + "/drm");
          break;
        }

    if (auto n = d.read_int("numa_node")) {
      // -1 is NUMA_NO_NODE: known to be unknown.
      o.set("numa_node", *n >= 0 ? Value(*n) : Value{}, Unit::kNone, Provenance::kKernel, dev + "/numa_node");
    }
    if (auto v = d.read_trimmed("product_name"); v && !v->empty() && parse::is_clean_text(*v))
      o.set("model", *v, Unit::kNone, Provenance::kKernel, dev + "/product_name");
    if (auto v = d.read_uint("vendor"); v && *v <= 0xffff)
      o.set("vendor_id", static_cast<std::int64_t>(*v), Unit::kNone, Provenance::kKernel, dev + "/vendor");
    if (auto v = d.read_uint("device"); v && *v <= 0xffff)
      o.set("device_id", static_cast<std::int64_t>(*v), Unit::kNone, Provenance::kKernel, dev + "/device");
    amdgpu_attrs(ctx, o, key, d);
  }

  // The entries of the device's drm/ folder (canonical path `canon_dev`).
  static std::vector<DirEntry> render_candidates(const ProbeContext& ctx, const DirReader& d,
                                                 const std::string& canon_dev) {
    if (d.fs_dir() && d.fs_dir()->listed()) {
      const DirEntry* e = d.fs_dir()->find("drm");
      if (!e) return {};  // not there: as the listing of a missing folder
      if (e->type == EntryType::kDir) {
        DirReader sub(ctx, d, "drm");
        if (sub.fs_dir()) return sub.fs_dir()->entries();
      }
    }
    return ctx.list(canon_dev + "/drm");
  }

  static void amdgpu_attrs(const ProbeContext& ctx, Object& o, const std::string& key, const DirReader& d) {
    const std::string& dev = d.dir();
    const std::string vram = dev + "/mem_info_vram_total";
    if (auto size = d.read_uint("mem_info_vram_total"); size && *size > 0 && *size <= static_cast<std::uint64_t>(INT64_MAX)) {
      Object& m = ctx.facts().object("devmem:" + key + ":0", "device_memory");
      m.set("device", key, Unit::kNone, Provenance::kKernel, vram);
      // mem_info_vram_vendor names the DRAM maker (samsung, hynix), not HBM vs GDDR: kind unknown
      // here; kfd.cc reports the kind from the bus width.
      m.set("kind", std::string("unknown"), Unit::kNone, Provenance::kKernel, vram);
      m.set("size", static_cast<std::int64_t>(*size), Unit::kBytes, Provenance::kKernel, vram);
      const std::string maker = dev + "/mem_info_vram_vendor";
      if (auto v = d.read_trimmed("mem_info_vram_vendor"); v && !v->empty() && parse::is_clean_text(*v))
        m.set("manufacturer", *v, Unit::kNone, Provenance::kKernel, maker);
    }
    if (auto v = d.read_uint("xgmi_physical_id"); v && *v <= INT32_MAX)
      o.set("xgmi_physical_id", static_cast<std::int64_t>(*v), Unit::kNone, Provenance::kKernel,
            dev + "/xgmi_physical_id");
    if (auto v = d.read_uint("xgmi_device_id"); v && *v <= static_cast<std::uint64_t>(INT64_MAX))
      o.set("xgmi_device_id", static_cast<std::int64_t>(*v), Unit::kNone, Provenance::kKernel,
            dev + "/xgmi_device_id");
    const std::string hive = dev + "/xgmi_hive_info/xgmi_hive_id";
    if (auto v = d.read_uint("xgmi_hive_info/xgmi_hive_id"); v && *v) o.set("hive_id", std::to_string(*v), Unit::kNone, Provenance::kKernel, hive);
  }

  static void nvidia_pci_fallback(const ProbeContext& ctx) {
    std::vector<std::string> claimed;
    for (const Object* a : ctx.facts().of_kind("accelerator"))
      if (std::optional<std::string_view> p = a->get_string("pci")) claimed.emplace_back(*p);
    std::vector<std::pair<std::string, std::string>> todo;  // (pci key, sysfs path)
    for (const Object* d : ctx.facts().of_kind("pci_device")) {
      std::optional<std::string_view> drv = d->get_string("driver");
      auto cls = d->get_int("class_code");
      if (!drv || *drv != "nvidia" || !cls) continue;
      if ((*cls >> 8) != 0x0300 && (*cls >> 8) != 0x0302) continue;
      if (std::find(claimed.begin(), claimed.end(), d->key) != claimed.end()) continue;
      std::optional<std::string_view> path = d->get_string("sysfs_path");
      todo.emplace_back(d->key, path ? *path : d->key);
    }
    for (const auto& [pci, path] : todo) {
      const std::string key = "gpu:" + pci.substr(4);
      Object& o = accelerator(ctx, key, "gpu", "GPU");
      o.set("pci", pci, Unit::kNone, Provenance::kKernel, path);
      o.set("driver", std::string("nvidia"), Unit::kNone, Provenance::kKernel, path);
      const Object* d = ctx.facts().find(pci);
      if (auto n = d->get_int("numa_node")) o.set("numa_node", *n, Unit::kNone, Provenance::kKernel, path);
      else if (d->find("numa_node")) o.set("numa_node", Value{}, Unit::kNone, Provenance::kKernel, path);
      // Only the PCI binding says so: a table-level (nominal) statement.
      add_functions_from(ctx, key, "drm.driver", "nvidia", kStateUnknown, path, Provenance::kNominal);
    }
  }
};

}  // namespace

std::unique_ptr<Provider> make_drm_provider() { return std::make_unique<DrmProvider>(); }

}  // namespace accelmap::providers
