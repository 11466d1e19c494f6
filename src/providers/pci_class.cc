// pci_class: accelerators that no family provider claimed, found by their PCI
// class alone. ABI: the PCI class code of /sys/bus/pci/devices/*/class
// (Documentation/ABI/testing/sysfs-bus-pci; PCI Code and ID Assignment spec):
// 0x12 processing accelerator, 0x1080 encryption controller (0x10 base
// class), 0x0b40 co-processor. Reads the pci provider's facts, so it runs in
// the annotate phase after every device provider; an accelerator whose `pci`
// is the function (or a QAT VF listed under its PF) claims it first.
#include <cstdio>
#include <set>
#include <string>

#include "providers/engine_util.h"
#include "providers/providers.h"
#include "providers/qat_ids.h"

namespace accelmap::providers {
namespace {

struct ClassInfo {
  std::string_view family, device_type;
};

std::optional<ClassInfo> class_info(std::int64_t cls) {
  if ((cls >> 16) == 0x12) return ClassInfo{"coprocessor", "processing accelerator"};
  if ((cls >> 8) == 0x0b40) return ClassInfo{"coprocessor", "co-processor"};
  if ((cls >> 16) == 0x10) return ClassInfo{"crypto", "encryption controller"};
  return std::nullopt;
}

class PciClassProvider final : public Provider {
 public:
  std::string_view name() const noexcept override { return "pci_class"; }
  Phase phase() const noexcept override { return Phase::kAnnotate; }
  std::string_view abi() const noexcept override {
    return "Documentation/ABI/testing/sysfs-bus-pci (class), PCI Code and ID Assignment";
  }

  void probe(const ProbeContext& ctx) const override {
    std::set<std::string, std::less<>> claimed;
    for (const Object* a : ctx.facts().of_kind("accelerator"))
      if (std::optional<std::string_view> p = a->get_string("pci")) claimed.emplace(*p);
    std::vector<const Object*> candidates;
    for (const Object* p : ctx.facts().of_kind("pci_device")) {
      auto cls = p->get_int("class_code");
      if (!cls || !class_info(*cls) || claimed.count(p->key)) continue;
      auto vendor = p->get_int("vendor_id"), device = p->get_int("device_id");
      if (vendor && device && qat_vf(*vendor, *device)) continue;  // listed under its PF
      candidates.push_back(p);
    }
    for (const Object* p : candidates) add(ctx, *p);
  }

 private:
  static void add(const ProbeContext& ctx, const Object& p) {
    const ClassInfo info = *class_info(*p.get_int("class_code"));
    const std::string bdf = p.key.substr(4);
    const std::string key = "pcicls:" + bdf;
    const std::optional<std::string_view> sysfs_path = p.get_string("sysfs_path");
    const std::string src = sysfs_path ? std::string(*sysfs_path) : p.key;
    Object& o = accelerator(ctx, key, info.family, info.device_type);
    join_pci(ctx, o, p.key, src);
    auto vendor = p.get_int("vendor_id"), device = p.get_int("device_id");
    if (!vendor || !device) return;
    char id[16];
    std::snprintf(id, sizeof id, "%04llx:%04llx", static_cast<unsigned long long>(*vendor & 0xffff),
                  static_cast<unsigned long long>(*device & 0xffff));
    // Only a table knows what such a device does: nominal, state unknown. An
    // id the catalog lacks leaves the device listed with no functions.
    if (const auto* fns = ctx.catalog().lookup("pci.id", id))
      for (const std::string& fn : *fns)
        add_function(ctx, key, fn, kStateUnknown, "pci.id=" + std::string(id), src, Provenance::kNominal);
  }
};

}  // namespace

std::unique_ptr<Provider> make_pci_class_provider() { return std::make_unique<PciClassProvider>(); }

}  // namespace accelmap::providers
