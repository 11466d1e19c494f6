// pci_names: human names of PCI functions from the PCI ID database.
// Source: pci.ids (PCI ID database, Debian package pci.ids, format described in its
// header; the loader and lookups are accelmap/pci_ids.h).
//
// This is the one provider that reads a host file outside the root: the database
// describes ids, not the machine. It comes from ProbeContext::pci_ids(): the
// caller's loaded database, or the load discover() started on a second thread.
#include <array>
#include <cstdint>
#include <exception>
#include <map>
#include <string>
#include <vector>

#include "providers/providers.h"

namespace accelmap::providers {
namespace {

constexpr const char* kSource = "pci.ids";

class PciNamesProvider final : public Provider {
 public:
  std::string_view name() const noexcept override { return "pci_names"; }
  Phase phase() const noexcept override { return Phase::kAnnotate; }
  std::string_view abi() const noexcept override { return "pci.ids (PCI ID database, Debian package pci.ids)"; }

  void probe(const ProbeContext& ctx) const override {
    // Allocation failures must not abort discovery: report and go on with the other providers.
    try {
      probe_impl(ctx);
    } catch (const std::exception& e) {
      ctx.warn(std::string(ctx.options().pci_ids_path), std::string("stopped: ") + e.what(), Severity::kError);
    }
  }

 private:
  void probe_impl(const ProbeContext& ctx) const {
    const std::string& path = ctx.options().pci_ids_path;
    if (path.empty() && !ctx.options().pci_id_database) return;
    std::vector<std::string> keys;
    for (const Object* o : ctx.facts().of_kind("pci_device")) keys.push_back(o->key);
    // Accelerators known only by ids (KFD nodes in a tree without /sys/bus/pci) get names too.
    std::vector<std::string> named_by_id;
    for (const Object* o : ctx.facts().of_kind("accelerator")) {
      const std::string* pci = o->get_string("pci");
      bool has_pci_names = pci && ctx.facts().find(*pci);
      if (!has_pci_names && !o->find("model") && o->get_int("vendor_id") && o->get_int("device_id"))
        named_by_id.push_back(o->key);
    }
    if (keys.empty() && named_by_id.empty()) return;  // no need to touch the file

    auto loaded = ctx.pci_ids();
    if (!loaded) {
      // Status messages read "PATH: reason"; the diagnostic names the path apart.
      std::string reason = loaded.error().message();
      if (reason.rfind(path + ": ", 0) == 0) reason.erase(0, path.size() + 2);
      ctx.warn(path, "cannot read the PCI ID database: " + reason + "; no PCI names");
      return;
    }
    if (!*loaded) return;
    const PciIdDatabase& ids = **loaded;
    std::map<std::uint32_t, std::string> class_names;  // by base class << 8 | subclass
    auto put = [](Object& o, const char* attr, std::string value) {
      if (!value.empty()) o.set(attr, Value(std::move(value)), Unit::kNone, Provenance::kNominal, kSource);
    };

    // Many functions share their ids (a GPU per slot, a bridge per port): each
    // (vendor, device, subsystem vendor, subsystem device) is looked up once; -1 = id absent.
    struct Names {
      std::string vendor, device, subsystem;
    };
    std::map<std::array<std::int64_t, 4>, Names> names_by_ids;
    auto names_of = [&](const std::array<std::int64_t, 4>& id) -> const Names& {
      auto it = names_by_ids.find(id);
      if (it != names_by_ids.end()) return it->second;
      Names n;
      if (id[0] >= 0) {
        auto vendor = static_cast<std::uint32_t>(id[0]);
        n.vendor = ids.vendor_name(vendor);
        if (id[1] >= 0) {
          auto device = static_cast<std::uint32_t>(id[1]);
          n.device = ids.device_name(vendor, device);
          if (id[2] >= 0 && id[3] >= 0)
            n.subsystem = ids.subsystem_name(vendor, device, static_cast<std::uint32_t>(id[2]),
                                             static_cast<std::uint32_t>(id[3]));
        }
      }
      return names_by_ids.emplace(id, std::move(n)).first->second;
    };
    auto id_or_absent = [](const Object& o, const char* attr) { return o.get_int(attr).value_or(-1); };

    for (const std::string& key : keys) {
      Object& o = ctx.facts().object(key, "pci_device");
      const Names& n = names_of({id_or_absent(o, "vendor_id"), id_or_absent(o, "device_id"),
                                 id_or_absent(o, "subsystem_vendor_id"), id_or_absent(o, "subsystem_device_id")});
      put(o, "vendor_name", n.vendor);
      put(o, "device_name", n.device);
      put(o, "subsystem_name", n.subsystem);
      if (auto cls = o.get_int("class_code")) {
        auto key16 = static_cast<std::uint32_t>(*cls >> 8) & 0xffff;
        auto it = class_names.find(key16);
        if (it == class_names.end()) it = class_names.emplace(key16, ids.class_name(key16 >> 8, key16 & 0xff)).first;
        put(o, "class_name", it->second);
      }
    }
    for (const std::string& key : named_by_id) {
      Object& o = ctx.facts().object(key, "accelerator");
      const Names& n = names_of({*o.get_int("vendor_id"), *o.get_int("device_id"), -1, -1});
      put(o, "vendor", n.vendor);
      put(o, "model", n.device);
    }
  }
};

}  // namespace

std::unique_ptr<Provider> make_pci_names_provider() { return std::make_unique<PciNamesProvider>(); }

}  // namespace accelmap::providers
