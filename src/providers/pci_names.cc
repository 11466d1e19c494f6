// pci_names: human names of PCI functions from the PCI ID database.
// Source: pci.ids (PCI ID database, Debian package pci.ids, format described in its
// header; the one-pass reader is providers/pci_ids.h).
//
// This is the one provider that reads a host file outside the root: the database
// describes ids, not the machine. It is read once per discovery, for exactly
// the ids this machine has (providers/pci_ids.h says why not loaded whole).
#include <algorithm>
#include <cstdint>
#include <exception>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "providers/pci_ids.h"
#include "providers/prefetched.h"
#include "providers/providers.h"

namespace accelmap::providers {
namespace {

constexpr const char* kSource = "pci.ids";

std::int64_t id_or_absent(const Object& o, const char* attr) { return o.get_int(attr).value_or(-1); }

// Each (vendor, device, subsystem vendor, subsystem device) is asked once:
// many functions share their ids (a GPU per slot, a bridge per port).
PciIds ids_of(const Object& o) {
  return PciIds{id_or_absent(o, "vendor_id"), id_or_absent(o, "device_id"), id_or_absent(o, "subsystem_vendor_id"),
                id_or_absent(o, "subsystem_device_id")};
}

// class_code 0xBBSSPP: the name is the subclass's (BBSS), else the base class's.
std::optional<std::uint32_t> class_of(const Object& o) {
  auto cls = o.get_int("class_code");
  if (!cls) return std::nullopt;
  return static_cast<std::uint32_t>(*cls >> 8) & 0xffff;
}

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
    // The functions themselves, not copies of their keys: 22,500 blocks at 10,000
    // devices that would be holes in the heap once this provider is done.
    const std::vector<const Object*> functions = ctx.facts().of_kind("pci_device");
    // Accelerators known only by ids (KFD nodes in a tree without /sys/bus/pci) get names too.
    std::vector<std::string> named_by_id;
    for (const Object* o : ctx.facts().of_kind("accelerator")) {
      std::optional<std::string_view> pci = o->get_string("pci");
      bool has_pci_names = pci && ctx.facts().find(*pci);
      if (!has_pci_names && !o->find("model") && o->get_int("vendor_id") && o->get_int("device_id"))
        named_by_id.push_back(o->key);
    }
    if (functions.empty() && named_by_id.empty()) return;  // no need to touch the file

    PciNameQuestions asked = pci_name_questions(ctx.facts());
    for (const std::string& key : named_by_id) {
      const Object& o = *ctx.facts().find(key);
      asked.functions.insert(PciIds{*o.get_int("vendor_id"), *o.get_int("device_id"), -1, -1});
    }
    // The pass discover() started on its second thread answers when it was
    // asked at least this (answers do not depend on what else is asked); else read now.
    const internal::Prefetched* pre = ctx.prefetched();
    const bool covered = pre != nullptr &&
                         std::includes(pre->pci_questions.functions.begin(), pre->pci_questions.functions.end(),
                                       asked.functions.begin(), asked.functions.end()) &&
                         std::includes(pre->pci_questions.classes.begin(), pre->pci_questions.classes.end(),
                                       asked.classes.begin(), asked.classes.end());
    std::optional<Result<PciNameAnswers>> from_pass;
    if (covered) from_pass = internal::taken(pre->pci_names);
    const Result<PciNameAnswers> names =
        from_pass ? std::move(*from_pass) : read_pci_names(path, asked.functions, asked.classes);
    if (!names) {
      // Status messages read "PATH: reason"; the diagnostic names the path apart.
      std::string reason = names.error().message();
      if (reason.rfind(path + ": ", 0) == 0) reason.erase(0, path.size() + 2);
      ctx.warn(path, "cannot read the PCI ID database: " + reason + "; no PCI names");
      return;
    }
    const Source source(kSource);  // one stem for every name set below
    // A few names for thousands of functions: each is one block, shared.
    FactSet& facts = ctx.facts();
    auto put = [&source, &facts](Object& o, const char* attr, const std::string& value) {
      if (!value.empty()) o.set(attr, facts.share(Value(value)), Unit::kNone, Provenance::kNominal, source);
    };
    for (const Object* function : functions) {
      Object& o = ctx.facts().object(function->key, "pci_device");  // the same object, to change
      const PciNames& n = names->functions.at(ids_of(o));
      const auto c = class_of(o);
      const std::string* class_name = c ? &names->classes.at(*c) : nullptr;
      // pci made room for the names right after each function. Where it did
      // not (facts from elsewhere), room for exactly these: grown one name at
      // a time the attributes would move to twice that (fresh pages: 7,600
      // page faults and half this provider's time at 10,000 devices).
      o.attrs.reserve(o.attrs.size() + !n.vendor.empty() + !n.device.empty() + !n.subsystem.empty() +
                      (class_name && !class_name->empty()));
      put(o, "vendor_name", n.vendor);
      put(o, "device_name", n.device);
      put(o, "subsystem_name", n.subsystem);
      if (class_name) put(o, "class_name", *class_name);
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

PciNameQuestions pci_name_questions(const FactSet& facts) {
  PciNameQuestions q;
  for (const Object* o : facts.of_kind("pci_device")) {
    q.functions.insert(ids_of(*o));
    if (auto c = class_of(*o)) q.classes.insert(*c);
  }
  return q;
}

std::unique_ptr<Provider> make_pci_names_provider() { return std::make_unique<PciNamesProvider>(); }

}  // namespace accelmap::providers
