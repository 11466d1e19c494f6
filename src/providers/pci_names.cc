// pci_names: human names of PCI functions from the PCI ID database.
// Source: pci.ids (PCI ID database, Debian package pci.ids, format described in its
// header; the loader and lookups are accelmap/pci_ids.h).
//
// This is the one provider that reads a host file outside the root: the database
// describes ids, not the machine. It is read once per discovery, for exactly
// the ids this machine has (providers/pci_ids.h says why not loaded whole).
#include <cstdint>
#include <exception>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "providers/pci_ids.h"
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
    if (path.empty()) return;
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

    // Each (vendor, device, subsystem vendor, subsystem device) is asked once:
    // many functions share their ids (a GPU per slot, a bridge per port).
    auto id_or_absent = [](const Object& o, const char* attr) { return o.get_int(attr).value_or(-1); };
    auto ids_of = [&](const Object& o) {
      return PciIds{id_or_absent(o, "vendor_id"), id_or_absent(o, "device_id"), id_or_absent(o, "subsystem_vendor_id"),
                    id_or_absent(o, "subsystem_device_id")};
    };
    // class_code 0xBBSSPP: the name is the subclass's (BBSS), else the base class's.
    auto class_of = [](const Object& o) -> std::optional<std::uint32_t> {
      auto cls = o.get_int("class_code");
      if (!cls) return std::nullopt;
      return static_cast<std::uint32_t>(*cls >> 8) & 0xffff;
    };
    std::set<PciIds> functions;
    std::set<std::uint32_t> classes;
    for (const std::string& key : keys) {
      const Object& o = *ctx.facts().find(key);
      functions.insert(ids_of(o));
      if (auto c = class_of(o)) classes.insert(*c);
    }
    for (const std::string& key : named_by_id) {
      const Object& o = *ctx.facts().find(key);
      functions.insert(PciIds{*o.get_int("vendor_id"), *o.get_int("device_id"), -1, -1});
    }

    auto names = read_pci_names(path, functions, classes);
    if (!names) {
      // Status messages read "PATH: reason"; the diagnostic names the path apart.
      std::string reason = names.error().message();
      if (reason.rfind(path + ": ", 0) == 0) reason.erase(0, path.size() + 2);
      ctx.warn(path, "cannot read the PCI ID database: " + reason + "; no PCI names");
      return;
    }
    auto put = [](Object& o, const char* attr, const std::string& value) {
      if (!value.empty()) o.set(attr, Value(value), Unit::kNone, Provenance::kNominal, kSource);
    };
    for (const std::string& key : keys) {
      Object& o = ctx.facts().object(key, "pci_device");
      const PciNames& n = names->functions.at(ids_of(o));
      put(o, "vendor_name", n.vendor);
      put(o, "device_name", n.device);
      put(o, "subsystem_name", n.subsystem);
      if (auto c = class_of(o)) put(o, "class_name", names->classes.at(*c));
    }
    for (const std::string& key : named_by_id) {
      Object& o = ctx.facts().object(key, "accelerator");
      const PciNames& n = names->functions.at(PciIds{*o.get_int("vendor_id"), *o.get_int("device_id"), -1, -1});
      put(o, "vendor", n.vendor);
      put(o, "model", n.device);
    }
  }
};

}  // namespace

std::unique_ptr<Provider> make_pci_names_provider() { return std::make_unique<PciNamesProvider>(); }

}  // namespace accelmap::providers
