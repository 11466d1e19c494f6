// cxl: CXL type-3 memory devices (memN) and the regions (regionN) that map
// them into host physical memory, joined to their PCI functions.
// Source: Documentation/ABI/testing/sysfs-bus-cxl (memX/{ram,pmem}/size,
// serial, numa_node, firmware_version; regionZ/{mode,size,resource,
// interleave_ways,targetN}; regionZ/accessY since 6.9) and the object layout
// of Documentation/driver-api/cxl/linux/example-configurations/single-device.rst.
// The region -> decoder -> endpoint -> memdev walk is hwloc's
// annotate_cxl_dax() (topology-linux.c):
//   regionZ/targetN = "decoderA.B"
//   /sys/bus/cxl/devices/decoderA.B -> .../portP/endpointE/decoderA.B
//   .../endpointE/uport            -> .../pciDDDD:BB/<BDF>/.../<BDF>/memN
// The kernel prints sizes, serial and resource with "%#llx"; read_uint takes
// both that and decimal.
#include <algorithm>
#include <string>
#include <vector>

#include "parse/parse.h"
#include "providers/path_util.h"
#include "providers/providers.h"

namespace accelmap::providers {
namespace {

constexpr std::string_view kCxlDevices = "/sys/bus/cxl/devices";

void set_uint(const ProbeContext& ctx, Object& o, const char* attr, const std::string& path, Unit unit) {
  auto v = ctx.read_uint(path);
  if (!v) return;
  if (*v > static_cast<std::uint64_t>(INT64_MAX)) {
    ctx.warn(path, "value does not fit a signed 64-bit integer");
    return;
  }
  o.set(attr, static_cast<std::int64_t>(*v), unit, Provenance::kKernel, path);
}

void set_text(const ProbeContext& ctx, Object& o, const char* attr, const std::string& path) {
  auto v = ctx.read_trimmed(path);
  if (v && !v->empty() && parse::is_clean_text(*v)) o.set(attr, *v, Unit::kNone, Provenance::kKernel, path);
}

// The PCI function of a memdev: the last BDF component before "memN" in its
// canonical path (switch ports come earlier in the chain).
std::string pci_key_of(std::string_view canonical) {
  std::string key;
  for (std::string_view c : path_components(canonical))
    if (is_pci_bdf(c)) key = "pci:" + ascii_lower(c);
  return key;
}

class CxlProvider final : public Provider {
 public:
  std::string_view name() const noexcept override { return "cxl"; }
  Phase phase() const noexcept override { return Phase::kBus; }
  std::string_view abi() const noexcept override { return "Documentation/ABI/testing/sysfs-bus-cxl"; }

  void probe(const ProbeContext& ctx) const override {
    for (const DirEntry& e : ctx.list(kCxlDevices)) {
      if (numbered(e.name, "mem")) probe_memdev(ctx, e.name);
      else if (numbered(e.name, "region")) probe_region(ctx, e.name);
    }
  }

 private:
  static void probe_memdev(const ProbeContext& ctx, const std::string& name) {
    const std::string dir = std::string(kCxlDevices) + "/" + name;
    auto canonical = ctx.resolve(dir);
    if (!canonical) {
      ctx.warn(dir, "cannot resolve the device link: " + canonical.error().message());
      return;
    }
    Object& o = ctx.facts().object("cxl:" + name, "cxl_memdev");
    set_uint(ctx, o, "ram_size", dir + "/ram/size", Unit::kBytes);
    set_uint(ctx, o, "pmem_size", dir + "/pmem/size", Unit::kBytes);
    set_uint(ctx, o, "serial", dir + "/serial", Unit::kNone);
    const std::string numa = dir + "/numa_node";
    if (auto v = ctx.read_int(numa); v && *v >= 0) o.set("numa_node", *v, Unit::kNone, Provenance::kKernel, numa);
    set_text(ctx, o, "firmware_version", dir + "/firmware_version");
    if (std::string pci = pci_key_of(*canonical); !pci.empty())
      o.set("pci", pci, Unit::kNone, Provenance::kKernel, dir);
  }

  static void probe_region(const ProbeContext& ctx, const std::string& name) {
    const std::string dir = std::string(kCxlDevices) + "/" + name;
    auto canonical = ctx.resolve(dir);
    if (!canonical) {
      ctx.warn(dir, "cannot resolve the device link: " + canonical.error().message());
      return;
    }
    Object& o = ctx.facts().object("cxl:" + name, "cxl_region");
    set_text(ctx, o, "mode", dir + "/mode");
    set_uint(ctx, o, "size", dir + "/size", Unit::kBytes);
    set_uint(ctx, o, "resource", dir + "/resource", Unit::kNone);
    const std::string ways_path = dir + "/interleave_ways";
    auto ways = ctx.read_int(ways_path);
    if (ways && *ways > 0) o.set("interleave_ways", *ways, Unit::kCount, Provenance::kKernel, ways_path);

    // targetN in numeric order (target10 after target9), whatever the listing order.
    const std::vector<DirEntry> entries = ctx.list(*canonical);
    std::vector<std::pair<std::uint32_t, std::string>> target_files;
    std::vector<std::string> dax_regions;
    for (const DirEntry& c : entries) {
      if (auto n = numbered(c.name, "target")) target_files.emplace_back(*n, c.name);
      else if (numbered(c.name, "dax_region")) dax_regions.push_back(c.name);
    }
    std::sort(target_files.begin(), target_files.end());
    std::vector<std::string> targets, memdevs;
    for (const auto& [n, file] : target_files) {
      const std::string path = dir + "/" + file;
      auto decoder = ctx.read_trimmed(path);
      // An unconfigured slot reads as an empty line; only a committed target counts.
      if (!decoder || decoder->empty()) continue;
      if (!is_numbered_pair(*decoder, "decoder")) {
        ctx.warn(path, "not a decoder name (expected e.g. \"decoder5.0\")");
        continue;
      }
      targets.push_back(*decoder);
      if (auto mem = memdev_of_decoder(ctx, *decoder)) memdevs.push_back("cxl:" + *mem);
    }
    if (!targets.empty()) o.set("targets", targets, Unit::kNone, Provenance::kKernel, dir + "/target0");
    if (!memdevs.empty()) o.set("memdevs", memdevs, Unit::kNone, Provenance::kDerived, dir + "/target0");

    std::vector<std::string> dax;
    for (const std::string& dr : dax_regions) {
      for (const DirEntry& d : ctx.list(*canonical + "/" + dr))
        if (is_numbered_pair(d.name, "dax")) dax.push_back("dax:" + d.name);
    }
    if (!dax.empty()) o.set("dax", dax, Unit::kNone, Provenance::kKernel, *canonical);

    // Region performance (6.9+): the aggregate of the path as the kernel
    // computed it; the same numbers later show on the NUMA node's accessY.
    for (const char* access : {"access0", "access1"}) {
      for (const char* what : {"read_bandwidth", "write_bandwidth", "read_latency", "write_latency"}) {
        const std::string path = dir + "/" + access + "/" + what;
        auto v = ctx.read_uint(path);
        if (!v || *v > static_cast<std::uint64_t>(INT64_MAX)) continue;
        Unit unit = std::string_view(what).ends_with("bandwidth") ? Unit::kMBps : Unit::kNs;
        std::string attr = std::string(access) + "_" + what;
        // 0 is how firmware says "not provided": known to be unknown.
        if (*v == 0) o.set(std::move(attr), Value{}, unit, Provenance::kFirmware, path);
        else o.set(std::move(attr), static_cast<std::int64_t>(*v), unit, Provenance::kFirmware, path);
      }
    }
  }

  // decoderA.B -> .../endpointE/decoderA.B; endpointE/uport -> .../memN.
  static std::optional<std::string> memdev_of_decoder(const ProbeContext& ctx, const std::string& decoder) {
    const std::string link = std::string(kCxlDevices) + "/" + decoder;
    auto dpath = ctx.resolve(link);
    if (!dpath) {
      ctx.warn(link, "cannot resolve the decoder link: " + dpath.error().message());
      return std::nullopt;
    }
    std::string_view parent(*dpath);
    parent = parent.substr(0, parent.rfind('/'));
    if (!numbered(path_basename(parent), "endpoint")) {
      ctx.warn(*dpath, "region target is not an endpoint decoder");
      return std::nullopt;
    }
    const std::string uport = std::string(parent) + "/uport";
    auto mem = ctx.resolve(uport);
    if (!mem) {
      ctx.warn(uport, "cannot resolve the endpoint's uport: " + mem.error().message());
      return std::nullopt;
    }
    std::string_view base = path_basename(*mem);
    if (!numbered(base, "mem")) {
      ctx.warn(uport, "endpoint uport is not a memdev");
      return std::nullopt;
    }
    return std::string(base);
  }
};

}  // namespace

std::unique_ptr<Provider> make_cxl_provider() { return std::make_unique<CxlProvider>(); }

}  // namespace accelmap::providers
