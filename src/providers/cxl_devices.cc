// cxl_devices: every CXL memory device (memN) as an accelerator — a type-3
// memory expander, or a type-2 accelerator with its own device memory (HDM).
// Sources: Documentation/ABI/testing/sysfs-bus-cxl (decoderX.Y/{target_type,
// cap_type2,cap_type3,start,size}, endpointX/uport) and
// Documentation/driver-api/cxl (the root -> port -> endpoint -> memdev layout;
// "accelerator" is the ABI's word for CXL_DECODER_DEVMEM, HDM-D/DB).
//
// The bus-phase facts are reused, not re-read: cxl_memdev (sizes, PCI
// function, numa_node) and cxl_region (memdevs, dax) from cxl.cc, dax_device
// (target_node, mode) from dax.cc, pci_device (ids, class, driver) from pci.cc.
// Only the decoders are read here, because no earlier provider keeps them.
//
// A memdev is type-2 when any of these says so (first one found is cited):
//   * one of its endpoint decoders reads target_type "accelerator";
//   * a switch or root decoder whose HPA window holds one of its endpoint
//     decoders' windows routes accelerator memory (target_type "accelerator",
//     or a root decoder with cap_type2 1 and cap_type3 0);
//   * its PCI function is not class 0x0502 (CXL memory device): a type-3
//     expander always is, an accelerator usually is not.
// Otherwise it is a type-3 expander.
//
// Key: "cxldev:memN". The contract's "cxl:memN" is already the raw cxl_memdev
// object of cxl.cc, and a key names one object of one kind.
#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "providers/device_facts.h"
#include "providers/path_util.h"
#include "providers/providers.h"

namespace accelmap::providers {
namespace {

constexpr std::string_view kCxlDevices = "/sys/bus/cxl/devices";
constexpr std::int64_t kMemoryDeviceClass = 0x0502;  // PCI base class 05 (memory), subclass 02 (CXL)

enum class DecoderLevel : std::uint8_t { kRoot, kSwitch, kEndpoint };

struct Decoder {
  std::string name;       // "decoder2.0"
  std::string link;       // /sys/bus/cxl/devices/decoder2.0
  std::string port_dir;   // canonical folder of its port (rootN, portN or endpointN)
  DecoderLevel level = DecoderLevel::kEndpoint;
  std::string target_type;
  std::optional<std::uint64_t> start, size;
  std::optional<std::int64_t> cap_type2, cap_type3;

  bool committed() const { return start && size && *size > 0; }
  bool holds(const Decoder& d) const {
    // Ordered so the unsigned subtractions cannot wrap.
    return committed() && d.committed() && *d.size <= *size && *d.start >= *start &&
           *d.start - *start <= *size - *d.size;
  }
};

std::vector<Decoder> read_decoders(const ProbeContext& ctx) {
  std::vector<Decoder> out;
  for (const DirEntry& e : ctx.list(kCxlDevices)) {
    if (!is_numbered_pair(e.name, "decoder")) continue;
    Decoder d;
    d.name = e.name;
    d.link = std::string(kCxlDevices) + "/" + e.name;
    auto canonical = ctx.resolve(d.link);
    if (!canonical) {
      ctx.warn(d.link, "cannot resolve the decoder link: " + canonical.error().message());
      continue;
    }
    d.port_dir = canonical->substr(0, canonical->rfind('/'));
    std::string_view port = path_basename(d.port_dir);
    if (numbered(port, "root")) d.level = DecoderLevel::kRoot;
    else if (numbered(port, "endpoint")) d.level = DecoderLevel::kEndpoint;
    else if (numbered(port, "port")) d.level = DecoderLevel::kSwitch;
    else {
      ctx.warn(*canonical, "decoder is not below a root, port or endpoint");
      continue;
    }
    if (auto v = ctx.read_trimmed(d.link + "/target_type")) d.target_type = *v;
    d.start = ctx.read_uint(d.link + "/start");
    d.size = ctx.read_uint(d.link + "/size");
    if (d.level == DecoderLevel::kRoot) {
      d.cap_type2 = ctx.read_int(d.link + "/cap_type2");
      d.cap_type3 = ctx.read_int(d.link + "/cap_type3");
    }
    out.push_back(std::move(d));
  }
  return out;
}

struct TypeEvidence {
  int type = 3;
  std::string source;  // in-root path that decided it
};

class CxlDevicesProvider final : public Provider {
 public:
  std::string_view name() const noexcept override { return "cxl_devices"; }
  Phase phase() const noexcept override { return Phase::kDevice; }
  std::string_view abi() const noexcept override {
    return "Documentation/ABI/testing/sysfs-bus-cxl, Documentation/driver-api/cxl";
  }

  void probe(const ProbeContext& ctx) const override {
    std::vector<const Object*> memdevs = ctx.facts().of_kind("cxl_memdev");
    if (memdevs.empty()) return;
    const std::vector<Decoder> decoders = read_decoders(ctx);

    // Endpoint decoders by memdev: endpointE/uport -> .../memN.
    std::map<std::string, std::vector<const Decoder*>> endpoint_decoders;
    for (const Decoder& d : decoders) {
      if (d.level != DecoderLevel::kEndpoint) continue;
      auto mem = ctx.resolve(d.port_dir + "/uport");
      if (!mem) continue;  // cxl.cc already diagnoses broken endpoints it walks
      endpoint_decoders["cxl:" + std::string(path_basename(*mem))].push_back(&d);
    }

    for (const Object* mem : memdevs) {
      auto it = endpoint_decoders.find(mem->key);
      static const std::vector<const Decoder*> kNone;
      probe_memdev(ctx, *mem, it == endpoint_decoders.end() ? kNone : it->second, decoders);
    }
  }

 private:
  static TypeEvidence classify(const ProbeContext& ctx, const Object& mem, const std::vector<const Decoder*>& mine,
                               const std::vector<Decoder>& decoders) {
    for (const Decoder* d : mine)
      if (d->target_type == "accelerator") return {2, d->link + "/target_type"};
    for (const Decoder& up : decoders) {
      if (up.level == DecoderLevel::kEndpoint) continue;
      for (const Decoder* d : mine) {
        if (!up.holds(*d)) continue;
        if (up.target_type == "accelerator") return {2, up.link + "/target_type"};
        if (up.level == DecoderLevel::kRoot && up.cap_type2 == 1 && up.cap_type3 == 0) return {2, up.link + "/cap_type2"};
      }
    }
    if (std::optional<std::string_view> pci = mem.get_string("pci")) {
      if (const Object* dev = ctx.facts().find(*pci)) {
        if (auto cls = dev->get_int("class_code"); cls && (*cls >> 8) != kMemoryDeviceClass)
          return {2, dev->find("class_code")->source};
      }
    }
    for (const Decoder* d : mine)
      if (d->target_type == "expander") return {3, d->link + "/target_type"};
    const Attr* src = mem.find("ram_size");
    return {3, src ? src->source : std::string(kCxlDevices) + "/" + mem.key.substr(4)};
  }

  static void probe_memdev(const ProbeContext& ctx, const Object& mem, const std::vector<const Decoder*>& mine,
                           const std::vector<Decoder>& decoders) {
    const std::string name = mem.key.substr(4);  // "cxl:mem0" -> "mem0"
    const std::string dir = std::string(kCxlDevices) + "/" + name;
    const std::string key = "cxldev:" + name;
    const TypeEvidence ev = classify(ctx, mem, mine, decoders);

    Object& acc = accelerator(ctx, key, "cxl", ev.type == 2 ? "CXL type-2 accelerator" : "CXL memory expander");
    acc.set("cxl_type", std::int64_t{ev.type}, Unit::kNone, Provenance::kDerived, ev.source);
    acc.set("memdev", mem.key, Unit::kNone, Provenance::kKernel, dir);
    const Object* pci_dev = nullptr;
    if (const Attr* a = mem.find("pci")) {
      acc.set("pci", a->value, Unit::kNone, a->provenance, a->source);
      pci_dev = ctx.facts().find(*mem.get_string("pci"));
    }
    if (const Attr* a = mem.find("numa_node")) acc.set("numa_node", a->value, Unit::kNone, a->provenance, a->source);
    else if (const Attr* pn = pci_dev ? pci_dev->find("numa_node") : nullptr)
      acc.set("numa_node", pn->value, Unit::kNone, pn->provenance, pn->source);
    if (pci_dev && pci_dev->find("driver")) {
      const Attr* a = pci_dev->find("driver");
      acc.set("driver", a->value, Unit::kNone, a->provenance, a->source);
    }

    // Regions this memdev is a target of, and the NUMA nodes their onlined DAX became.
    std::vector<const Object*> regions;
    for (const Object* r : ctx.facts().of_kind("cxl_region")) {
      const auto* mds = r->get_strings("memdevs");
      if (mds && std::find(mds->begin(), mds->end(), mem.key) != mds->end()) regions.push_back(r);
    }

    write_memory(ctx, key, mem, dir, ev.type, regions);

    if (ev.type == 3) {
      // Capacity is usable once a region maps it; before that the host cannot reach it.
      add_function(ctx, key, "memory.expander", regions.empty() ? kNotConfigured : kAvailable,
                   "cxl.memdev", ev.source);
      return;
    }
    // Type-2: what it computes is the device's own business; only a table
    // keyed by its PCI id can say (nominal).
    std::optional<std::int64_t> vendor = pci_dev ? pci_dev->get_int("vendor_id") : std::nullopt;
    std::optional<std::int64_t> device = pci_dev ? pci_dev->get_int("device_id") : std::nullopt;
    if (!vendor || !device) {
      ctx.warn(dir, "type-2 CXL device without a known PCI id: its functions are unknown", Severity::kInfo);
      return;
    }
    char id[16];
    std::snprintf(id, sizeof id, "%04llx:%04llx", static_cast<unsigned long long>(*vendor & 0xffff),
                  static_cast<unsigned long long>(*device & 0xffff));
    add_functions_from(ctx, key, "pci.id", id, kStateUnknown, pci_dev->find("device_id")->source,
                       Provenance::kNominal);
  }

  static void write_memory(const ProbeContext& ctx, const std::string& key, const Object& mem, const std::string& dir,
                           int type, const std::vector<const Object*>& regions) {
    auto ram = mem.get_int("ram_size");
    auto pmem = mem.get_int("pmem_size");
    if (!ram && !pmem) {
      ctx.warn(dir, "no ram/size or pmem/size: device memory capacity unknown");
      return;
    }
    const std::int64_t total = ram.value_or(0) + pmem.value_or(0);
    if (total <= 0) return;  // a device with no capacity has no device memory to describe
    Object& m = ctx.facts().object("devmem:" + key + ":0", "device_memory");
    m.set("device", key, Unit::kNone, Provenance::kKernel, dir);
    // sysfs does not say what media a CXL device uses; expanders are DDR in
    // practice (the CXL memory-device class), an accelerator's HDM is its own.
    m.set("kind", std::string(type == 3 ? "ddr" : "unknown"), Unit::kNone,
          type == 3 ? Provenance::kNominal : Provenance::kUnknown, dir);
    const Attr* size_src = mem.find(ram ? "ram_size" : "pmem_size");
    m.set("size", total, Unit::kBytes, Provenance::kKernel, size_src->source);

    // numa_node: the node the region's DAX device was onlined as (kmem), when
    // there is exactly one; several would mean the memory is split across nodes.
    std::vector<std::int64_t> nodes;
    std::string node_src;
    for (const Object* r : regions) {
      const auto* dax = r->get_strings("dax");
      if (!dax) continue;
      for (std::string_view dk : *dax) {
        const Object* d = ctx.facts().find(dk);
        if (!d) continue;
        std::optional<std::string_view> mode = d->get_string("mode");
        auto node = d->get_int("target_node");
        if (!mode || *mode != "system-ram" || !node) continue;
        if (std::find(nodes.begin(), nodes.end(), *node) == nodes.end()) nodes.push_back(*node);
        node_src = d->find("target_node")->source;
      }
    }
    if (nodes.size() == 1) m.set("numa_node", nodes.front(), Unit::kNone, Provenance::kKernel, node_src);
  }
};

}  // namespace

std::unique_ptr<Provider> make_cxl_devices_provider() { return std::make_unique<CxlDevicesProvider>(); }

}  // namespace accelmap::providers
