// dax: device-DAX instances — soft-reserved / specific-purpose memory (often
// HBM), NVDIMM namespaces, fake e820 PMEM and CXL regions — and whether each
// is onlined as system RAM (kmem) or left as a character device (device_dax).
// Source: Documentation/ABI/testing/sysfs-bus-dax (size, target_node since 5.1,
// numa_node since 5.5, driver binding); the parent classification follows
// hwloc's annotate_dax_parent() (topology-linux.c), which reads the same
// canonical link targets:
//   platform/hmem.N/daxN.0                                      -> hmem
//   .../ACPI0012:00/ndbus0/regionN/daxN.M/daxN.K                -> nvdimm
//   platform/e820_pmem/ndbus0/...                               -> e820_pmem
//   .../ACPI0017:00/root0/decoder0.0/region0/dax_region0/dax0.0 -> cxl_ram
//   .../ACPI0017:00/root0/nvdimm-bridge0/ndbus0/...             -> cxl_pmem
#include <string>

#include "parse/parse.h"
#include "providers/dir_reader.h"
#include "providers/path_util.h"
#include "providers/providers.h"

namespace accelmap::providers {
namespace {

constexpr std::string_view kDaxDevices = "/sys/bus/dax/devices";
constexpr std::string_view kDaxDrivers = "/sys/bus/dax/drivers";

struct ParentInfo {
  std::string kind;        // one of the parent_kind values of docs/facts.md
  std::string cxl_region;  // "cxl:regionN" when the device sits below a CXL region
};

// Classifies by path components, not substrings, so that a directory such as
// "hmem.10" or a host name inside a recorded path cannot be mistaken.
ParentInfo classify(std::string_view canonical) {
  auto comps = path_components(canonical);
  bool cxl_root = false, nvdimm_bridge = false, acpi_nfit = false, ndbus = false, e820 = false, hmem = false;
  std::string region;
  for (std::size_t i = 0; i < comps.size(); ++i) {
    std::string_view c = comps[i];
    // ACPI0017 is the CXL root object (CEDT); ACPI0012 the NVDIMM root (NFIT).
    if (c.substr(0, 9) == "ACPI0017:") cxl_root = true;
    else if (c.substr(0, 9) == "ACPI0012:") acpi_nfit = true;
    else if (numbered(c, "nvdimm-bridge")) nvdimm_bridge = true;
    else if (numbered(c, "ndbus")) ndbus = true;
    else if (c == "e820_pmem") e820 = true;
    else if (i > 0 && comps[i - 1] == "platform" && numbered(c, "hmem.")) hmem = true;
    // A CXL region device is a child of its root decoder (decoderX.Y/regionN);
    // an nd "regionN" below an ndbus is a different numbering and is not one.
    else if (i > 0 && is_numbered_pair(comps[i - 1], "decoder") && numbered(c, "region")) region = std::string(c);
  }
  ParentInfo out;
  if (cxl_root && nvdimm_bridge) out.kind = "cxl_pmem";
  else if (cxl_root && !region.empty()) out.kind = "cxl_ram";
  else if (e820) out.kind = "e820_pmem";
  else if (hmem) out.kind = "hmem";
  else if (ndbus || acpi_nfit) out.kind = "nvdimm";
  else out.kind = "other";
  if (!region.empty()) out.cxl_region = "cxl:" + region;
  return out;
}

class DaxProvider final : public Provider {
 public:
  std::string_view name() const noexcept override { return "dax"; }
  Phase phase() const noexcept override { return Phase::kBus; }
  std::string_view abi() const noexcept override { return "Documentation/ABI/testing/sysfs-bus-dax"; }

  void probe(const ProbeContext& ctx) const override {
    for (const DirEntry& e : ctx.list(kDaxDevices)) {
      if (!is_numbered_pair(e.name, "dax")) continue;
      const std::string dir = std::string(kDaxDevices) + "/" + e.name;
      auto canonical = ctx.resolve(dir);
      if (!canonical) {
        // A dangling link: the device vanished mid-read or the tree is incomplete.
        ctx.warn(dir, "cannot resolve the device link: " + canonical.error().message());
        continue;
      }
      Object& o = ctx.facts().object("dax:" + e.name, "dax_device");
      ParentInfo parent = classify(*canonical);
      o.set("parent_path", *canonical, Unit::kNone, Provenance::kKernel, dir);
      o.set("parent_kind", parent.kind, Unit::kNone, Provenance::kDerived, dir);
      if (!parent.cxl_region.empty()) o.set("cxl_region", parent.cxl_region, Unit::kNone, Provenance::kDerived, dir);

      // The device's folder, opened once through its link: three figures in
      // one batch and the driver link relative to it.
      DirReader d(ctx, dir, DirReader::Capture::kPaths);
      d.prefetch({"size", "target_node", "numa_node"});
      if (auto v = d.read_uint("size"); v && *v <= static_cast<std::uint64_t>(INT64_MAX))
        o.set("size", static_cast<std::int64_t>(*v), Unit::kBytes, Provenance::kKernel, d.path("size"));
      // The kernel prints NUMA_NO_NODE as -1; that is "unknown", never written.
      for (const char* attr : {"target_node", "numa_node"}) {
        if (auto v = d.read_int(attr); v && *v >= 0) o.set(attr, *v, Unit::kNone, Provenance::kKernel, d.path(attr));
      }
      if (auto mode = driver_mode(ctx, d, e.name)) o.set("mode", mode->first, Unit::kNone, Provenance::kKernel, mode->second);
    }
  }

 private:
  // Returns (mode, source path). The device's own driver link is one readlink;
  // the driver directories are hwloc's test and also work where a recording
  // kept the bus driver folders but not the per-device link.
  static std::optional<std::pair<std::string, std::string>> driver_mode(const ProbeContext& ctx,
                                                                        const DirReader& d,
                                                                        const std::string& name) {
    const std::string link = d.path("driver");
    auto target = d.fs_dir() ? d.fs_dir()->read_link("driver") : ctx.fs().read_link(link);
    if (target) {
      std::string_view drv = path_basename(*target);
      if (drv == "kmem") return std::pair<std::string, std::string>{"system-ram", link};
      if (drv == "device_dax") return std::pair<std::string, std::string>{"devdax", link};
      return std::nullopt;  // another driver (e.g. a future one): mode unknown
    }
    const std::string kmem = std::string(kDaxDrivers) + "/kmem/" + name;
    if (ctx.fs().exists(kmem)) return std::pair<std::string, std::string>{"system-ram", kmem};
    const std::string devdax = std::string(kDaxDrivers) + "/device_dax/" + name;
    if (ctx.fs().exists(devdax)) return std::pair<std::string, std::string>{"devdax", devdax};
    return std::nullopt;
  }
};

}  // namespace

std::unique_ptr<Provider> make_dax_provider() { return std::make_unique<DaxProvider>(); }

}  // namespace accelmap::providers
