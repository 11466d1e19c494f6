// fpga: FPGA regions as accelerators, their loaded accelerator functions
// (AFUs) and the managers and bridges that program them.
// Sources: Documentation/ABI/testing/sysfs-class-fpga-manager (name, state,
// status), sysfs-class-fpga-region (compat_id), sysfs-class-fpga-bridge
// (state), sysfs-platform-dfl-fme (bitstream_id, bitstream_metadata,
// ports_num, socket_id), sysfs-platform-dfl-port (afu_id, id, power_state),
// sysfs-bus-dfl (type, feature_id) and the DFL object layout of
// Documentation/fpga/dfl.rst as dfl.c builds it:
//   <BDF>/fpga_region/region0/dfl-fme.0/dfl-fme-mgr.0/fpga_manager/fpga0
//   <BDF>/fpga_region/region0/dfl-fme.0/dfl-fme-region.0/fpga_region/region1   (PR region)
//   <BDF>/fpga_region/region0/dfl-port.0                                        (afu_id)
//
// One accelerator per *outermost* region: a region below another region's
// device (the DFL partial-reconfiguration region region1 above) is part of the
// same card, and gives its compat_id to it. Managers and bridges belong to the
// region they sit below. AFU and compat ids are normalised (fpga_id.h) before
// the catalog lookup; an id the catalog does not know stays on the accelerator
// (afu_id, compat_id) and leaves an info diagnostic.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "parse/parse.h"
#include "providers/device_facts.h"
#include "providers/fpga_id.h"
#include "providers/path_util.h"
#include "providers/providers.h"

namespace accelmap::providers {
namespace {

constexpr std::string_view kRegionClass = "/sys/class/fpga_region";
constexpr std::string_view kManagerClass = "/sys/class/fpga_manager";
constexpr std::string_view kBridgeClass = "/sys/class/fpga_bridge";
constexpr std::string_view kDflDevices = "/sys/bus/dfl/devices";
constexpr std::string_view kOperating = "operating";

struct ClassDevice {
  std::string name;       // "region0", "fpga0", "br0"
  std::string link;       // /sys/class/<class>/<name>
  std::string canonical;  // resolved in-root path
};

std::vector<ClassDevice> list_class(const ProbeContext& ctx, std::string_view cls) {
  std::vector<ClassDevice> out;
  for (const DirEntry& e : ctx.list(cls)) {
    std::string link = std::string(cls) + "/" + e.name;
    auto canonical = ctx.resolve(link);
    if (!canonical) {
      ctx.warn(link, "cannot resolve the class link: " + canonical.error().message());
      continue;
    }
    out.push_back({e.name, std::move(link), std::move(*canonical)});
  }
  // Natural order so region10 follows region9 whatever the listing order.
  std::sort(out.begin(), out.end(), [](const ClassDevice& a, const ClassDevice& b) { return natural_less(a.name, b.name); });
  return out;
}

// Which region's device folder contains a path. A machine may carry thousands
// of regions (one per card plus its partial-reconfiguration regions), so the
// question is answered by walking up the path's own folders (tens) instead of
// testing every region (thousands, asked once per region, manager and bridge).
class RegionOwners {
 public:
  explicit RegionOwners(const std::vector<ClassDevice>& regions) {
    by_folder_.reserve(regions.size());
    for (const ClassDevice& r : regions) by_folder_.emplace(r.canonical, &r);
  }

  // The outermost region whose device folder strictly contains `path`; nullptr when none.
  const ClassDevice* owner(std::string_view path) const {
    // Shortest prefix first: the first region found is the outermost.
    for (std::size_t slash = path.find('/', 1); slash != std::string_view::npos; slash = path.find('/', slash + 1))
      if (auto it = by_folder_.find(path.substr(0, slash)); it != by_folder_.end()) return it->second;
    return nullptr;
  }

 private:
  // Two regions never share a canonical folder (each is its own device).
  std::unordered_map<std::string_view, const ClassDevice*> by_folder_;
};

std::optional<std::string> read_text_attr(const ProbeContext& ctx, const std::string& path, bool optional = true) {
  auto v = ctx.read_trimmed(path, optional);
  if (!v) return std::nullopt;
  if (!parse::is_clean_text(*v)) {
    ctx.warn(path, "not printable text");
    return std::nullopt;
  }
  return v;
}

// "0x23000410010309" -> the same, lower-case; the DFL prints 64-bit ids with
// "0x%llx", which may not fit an int64, so they are kept as strings.
std::optional<std::string> read_hex_id(const ProbeContext& ctx, const std::string& path) {
  auto v = read_text_attr(ctx, path);
  if (!v || v->empty()) return std::nullopt;
  std::string_view t(*v);
  if (t.size() < 3 || t.substr(0, 2) != "0x" || !parse::hex_to_uint64(t.substr(2))) {
    ctx.warn(path, "not a hexadecimal id (expected e.g. \"0x23000410010309\")");
    return std::nullopt;
  }
  return ascii_lower(*v);
}

// Reads an AFU/compat id file and normalises it; diagnoses a malformed one.
std::optional<std::string> read_fpga_id(const ProbeContext& ctx, const std::string& path, bool optional) {
  auto v = read_text_attr(ctx, path, optional);
  if (!v) return std::nullopt;
  auto id = normalize_fpga_id(*v);
  if (!id) ctx.warn(path, "not a UUID (expected 32 hex digits, with or without dashes 8-4-4-4-12)");
  return id;
}

// The function state that follows from the manager's state (sysfs-class-fpga-manager).
std::string_view function_state(const std::string* mgr_state) {
  if (!mgr_state) return kStateUnknown;
  if (*mgr_state == kOperating) return kAvailable;
  if (mgr_state->find("error") != std::string::npos) return kFailed;
  return kStateUnknown;  // power off, reset, write ...: being (re)programmed or not started
}

class FpgaProvider final : public Provider {
 public:
  std::string_view name() const noexcept override { return "fpga"; }
  Phase phase() const noexcept override { return Phase::kDevice; }
  std::string_view abi() const noexcept override {
    return "Documentation/ABI/testing/sysfs-class-fpga-{manager,region,bridge}, sysfs-bus-dfl, "
           "sysfs-platform-dfl-{fme,port}";
  }

  void probe(const ProbeContext& ctx) const override {
    const std::vector<ClassDevice> regions = list_class(ctx, kRegionClass);
    const std::vector<ClassDevice> managers = list_class(ctx, kManagerClass);
    const std::vector<ClassDevice> bridges = list_class(ctx, kBridgeClass);

    const RegionOwners owners(regions);
    std::vector<const ClassDevice*> top;
    std::unordered_map<const ClassDevice*, std::vector<const ClassDevice*>> subregions;  // in natural order
    for (const ClassDevice& r : regions) {
      if (const ClassDevice* outer = owners.owner(r.canonical)) subregions[outer].push_back(&r);
      else top.push_back(&r);
    }

    // Managers first: the accelerators take their state from them.
    std::map<std::string, std::pair<std::string, std::string>> state_of_region;  // region -> (state, path)
    for (const ClassDevice& m : managers) {
      Object& o = ctx.facts().object("fpga_manager:" + m.name, "fpga_manager");
      if (auto v = read_text_attr(ctx, m.link + "/name")) o.set("name", *v, Unit::kNone, Provenance::kKernel, m.link + "/name");
      auto state = read_text_attr(ctx, m.link + "/state", /*optional=*/false);
      if (state) o.set("state", *state, Unit::kNone, Provenance::kKernel, m.link + "/state");
      if (auto v = ctx.read(m.link + "/status")) {
        std::vector<std::string> errors;
        for (std::string_view line : parse::lines(*v))
          if (auto t = parse::trim(line); !t.empty()) errors.emplace_back(t);
        o.set("status", errors, Unit::kNone, Provenance::kKernel, m.link + "/status");
      }
      const ClassDevice* r = owners.owner(m.canonical);
      Provenance how = Provenance::kKernel;
      // Outside DFL (e.g. of-fpga-region) the region does not contain its
      // manager; with one of each on the machine they can only belong together.
      if (!r && managers.size() == 1 && top.size() == 1) {
        r = top.front();
        how = Provenance::kDerived;
      }
      if (!r) continue;
      o.set("region", "fpga:" + r->name, Unit::kNone, how, m.link);
      if (state && !state_of_region.count(r->name)) state_of_region[r->name] = {*state, m.link + "/state"};
    }

    for (const ClassDevice& b : bridges) {
      Object& o = ctx.facts().object("fpga_bridge:" + b.name, "fpga_bridge");
      if (auto v = read_text_attr(ctx, b.link + "/name")) o.set("name", *v, Unit::kNone, Provenance::kKernel, b.link + "/name");
      if (auto v = read_text_attr(ctx, b.link + "/state")) o.set("state", *v, Unit::kNone, Provenance::kKernel, b.link + "/state");
      if (const ClassDevice* r = owners.owner(b.canonical))
        o.set("region", "fpga:" + r->name, Unit::kNone, Provenance::kKernel, b.link);
    }

    // Regions are independent (each writes its own accelerator, functions and
    // ports), so many are read in parts on several threads; a part of 64 is
    // ~3 ms of reads on a recorded tree.
    static const std::vector<const ClassDevice*> kNoSubregions;
    ctx.in_parts(top.size(), 64, [&](const ProbeContext& part, std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) {
        const ClassDevice* r = top[i];
        auto it = state_of_region.find(r->name);
        auto sub = subregions.find(r);
        probe_region(part, *r, sub == subregions.end() ? kNoSubregions : sub->second,
                     it == state_of_region.end() ? nullptr : &it->second.first,
                     it == state_of_region.end() ? std::string() : it->second.second);
      }
    });
    probe_dfl_bus(ctx, owners);
  }

 private:
  static void probe_region(const ProbeContext& ctx, const ClassDevice& region,
                           const std::vector<const ClassDevice*>& subregions,
                           const std::string* mgr_state, const std::string& state_path) {
    const std::string key = "fpga:" + region.name;
    Object& acc = accelerator(ctx, key, "fpga", "FPGA");
    if (std::string pci = ascii_lower(pci_key_of_path(region.canonical)); !pci.empty()) {
      acc.set("pci", pci, Unit::kNone, Provenance::kKernel, region.link);
      // numa_node and driver are the PCI function's (pci provider, bus phase).
      if (const Object* dev = ctx.earlier().find(pci)) {
        if (const Attr* a = dev->find("numa_node")) acc.set("numa_node", a->value, Unit::kNone, a->provenance, a->source);
        if (const Attr* a = dev->find("driver")) acc.set("driver", a->value, Unit::kNone, a->provenance, a->source);
      }
    }
    if (mgr_state) acc.set("state", *mgr_state, Unit::kNone, Provenance::kKernel, state_path);
    const std::string_view fn_state = function_state(mgr_state);
    add_function(ctx, key, "fpga.reconfigurable", fn_state, "fpga.region", region.link);

    // compat_id: the region's own, else those of its partial-reconfiguration
    // sub-regions (DFL's container region has none: the kernel says -ENOENT).
    std::vector<std::pair<std::string, std::string>> compat;  // (id, path)
    auto add_compat = [&](const ClassDevice& r) {
      const std::string path = r.link + "/compat_id";
      if (auto id = read_fpga_id(ctx, path, /*optional=*/true))
        if (std::none_of(compat.begin(), compat.end(), [&](const auto& c) { return c.first == *id; }))
          compat.emplace_back(*id, path);
    };
    add_compat(region);
    if (compat.empty())
      for (const ClassDevice* sub : subregions) add_compat(*sub);
    if (!compat.empty()) {
      acc.set("compat_id", compat.front().first, Unit::kNone, Provenance::kKernel, compat.front().second);
      if (compat.size() > 1) {
        std::vector<std::string> ids;
        for (const auto& c : compat) ids.push_back(c.first);
        acc.set("compat_ids", ids, Unit::kNone, Provenance::kKernel, compat.front().second);
      }
    }
    for (const auto& [id, path] : compat) add_functions_from(ctx, key, "fpga.compat_id", id, fn_state, path);

    // DFL feature devices: children of the container region's device.
    std::vector<std::string> fmes, ports;
    for (const DirEntry& e : ctx.list(region.canonical)) {
      if (numbered(e.name, "dfl-fme.")) fmes.push_back(e.name);
      else if (numbered(e.name, "dfl-port.")) ports.push_back(e.name);
    }
    auto by_number = [](const std::string& a, const std::string& b) { return natural_less(a, b); };
    std::sort(fmes.begin(), fmes.end(), by_number);
    std::sort(ports.begin(), ports.end(), by_number);

    if (!fmes.empty()) {
      // One FME per card (dfl.rst); a second would be a broken tree, so only the first counts.
      const std::string fme = region.canonical + "/" + fmes.front();
      if (auto v = read_hex_id(ctx, fme + "/bitstream_id")) acc.set("bitstream_id", *v, Unit::kNone, Provenance::kKernel, fme + "/bitstream_id");
      if (auto v = read_hex_id(ctx, fme + "/bitstream_metadata"))
        acc.set("bitstream_metadata", *v, Unit::kNone, Provenance::kKernel, fme + "/bitstream_metadata");
      if (auto v = ctx.read_int(fme + "/ports_num"); v && *v >= 0) acc.set("ports_num", *v, Unit::kCount, Provenance::kKernel, fme + "/ports_num");
      if (auto v = ctx.read_int(fme + "/socket_id"); v && *v >= 0) acc.set("socket_id", *v, Unit::kNone, Provenance::kKernel, fme + "/socket_id");
    }

    std::vector<std::string> afu_ids;
    for (const std::string& p : ports) {
      const std::string dir = region.canonical + "/" + p;
      Object& port = ctx.facts().object("fpga_port:" + p, "fpga_port");
      port.set("region", key, Unit::kNone, Provenance::kKernel, dir);
      if (auto v = ctx.read_int(dir + "/id"); v && *v >= 0) port.set("id", *v, Unit::kNone, Provenance::kKernel, dir + "/id");
      if (auto v = read_hex_id(ctx, dir + "/power_state")) port.set("power_state", *v, Unit::kNone, Provenance::kKernel, dir + "/power_state");
      // Every DFL port has an afu_id (sysfs-platform-dfl-port); its absence is worth saying.
      auto afu = read_fpga_id(ctx, dir + "/afu_id", /*optional=*/false);
      if (!afu) continue;
      port.set("afu_id", *afu, Unit::kNone, Provenance::kKernel, dir + "/afu_id");
      afu_ids.push_back(*afu);
      add_functions_from(ctx, key, "fpga.afu_id", *afu, fn_state, dir + "/afu_id");
    }
    if (!afu_ids.empty()) acc.set("afu_id", afu_ids, Unit::kNone, Provenance::kKernel, region.canonical + "/" + ports.front() + "/afu_id");
  }

  // DFL bus devices (private features such as the N3000 Nios): raw facts only.
  static void probe_dfl_bus(const ProbeContext& ctx, const RegionOwners& owners) {
    for (const DirEntry& e : ctx.list(kDflDevices)) {
      if (!numbered(e.name, "dfl_dev.")) continue;
      const std::string dir = std::string(kDflDevices) + "/" + e.name;
      auto canonical = ctx.resolve(dir);
      if (!canonical) {
        ctx.warn(dir, "cannot resolve the device link: " + canonical.error().message());
        continue;
      }
      Object& o = ctx.facts().object("dfl:" + e.name, "dfl_device");
      for (const char* attr : {"type", "feature_id"}) {
        const std::string path = dir + "/" + attr;
        auto v = ctx.read_uint(path);
        if (v && *v <= static_cast<std::uint64_t>(INT64_MAX))
          o.set(attr, static_cast<std::int64_t>(*v), Unit::kNone, Provenance::kKernel, path);
      }
      std::string_view parent(*canonical);
      parent = parent.substr(0, parent.rfind('/'));
      o.set("parent", std::string(path_basename(parent)), Unit::kNone, Provenance::kKernel, dir);
      if (const ClassDevice* r = owners.owner(*canonical))
        o.set("region", "fpga:" + r->name, Unit::kNone, Provenance::kKernel, dir);
    }
  }
};

}  // namespace

std::unique_ptr<Provider> make_fpga_provider() { return std::make_unique<FpgaProvider>(); }

}  // namespace accelmap::providers
