// crypto_registry: the kernel crypto API's algorithm registry, to learn which
// algorithms an offload device has registered with the kernel.
// ABI: proc(5) /proc/crypto (crypto/proc.c): blank-line separated records of
// "key : value" lines (name, driver, module, priority, type, async, ...).
// Records do not name a device: the module (or driver prefix) names a family,
// and the family's accelerators (found earlier by their own providers) get
// the function. Software implementations (module "kernel", aesni_intel,
// *_generic, ...) describe the CPU, not a device, and are only counted.
#include <string>

#include "providers/engine_util.h"
#include "providers/path_util.h"
#include "providers/prefetched.h"
#include "providers/providers.h"

namespace accelmap::providers {
namespace {

using Record = parse::CryptoRecord;

/// Which accelerators a record's implementation runs on; empty = software.
enum class Family { kNone, kQat, kCcp, kHisi, kIaa };

Family family_of(const Record& r) {
  auto starts = [](std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; };
  if (r.module == "intel_qat" || starts(r.module, "qat_") || starts(r.driver, "qat_") || starts(r.driver, "qat-"))
    return Family::kQat;
  if (r.module == "ccp_crypto" || r.module == "ccp") return Family::kCcp;
  if (r.module == "hisi_sec2" || r.module == "hisi_zip" || r.module == "hisi_hpre") return Family::kHisi;
  if (r.module == "iaa_crypto" || r.driver == "deflate-iaa") return Family::kIaa;
  return Family::kNone;
}

class CryptoRegistryProvider final : public Provider {
 public:
  std::string_view name() const noexcept override { return "crypto_registry"; }
  Phase phase() const noexcept override { return Phase::kAnnotate; }
  std::string_view abi() const noexcept override { return "proc(5) /proc/crypto (crypto/proc.c)"; }

  void probe(const ProbeContext& ctx) const override {
    const std::string path(kProcCrypto);
    std::optional<std::string> text;
    if (const internal::Prefetched* pre = ctx.prefetched())
      if (auto ahead = internal::taken(pre->proc_crypto); ahead && *ahead) text = std::move(**ahead);
    if (!text) text = ctx.read(path);  // with its diagnostics, as if never read ahead
    if (!text) return;
    const std::vector<parse::CryptoRecord> records = parse::crypto_records(*text);

    std::int64_t hardware = 0;
    std::vector<std::string> hw_drivers;
    // Once, not per record: of_kind walks and sorts every object. The loop adds
    // only functions and attributes, never accelerators, so the list stays right.
    const std::vector<const Object*> accels = ctx.facts().of_kind("accelerator");
    for (const Record& r : records) {
      const Family fam = family_of(r);
      if (fam == Family::kNone) continue;
      ++hardware;
      hw_drivers.emplace_back(r.driver);
      std::vector<std::string> devices = devices_of(ctx, accels, fam, r);
      if (devices.empty()) continue;
      const auto* fns = ctx.catalog().lookup("crypto.name", r.name);
      const std::string via = "crypto.driver=" + std::string(r.driver);
      if (!fns) {
        ctx.warn(path, "unknown crypto.name '" + std::string(r.name) + "' of driver " + std::string(r.driver) +
                           " (not in the function catalog; add it with --catalog)",
                 Severity::kInfo);
        for (const std::string& d : devices) {
          Object& o = ctx.facts().object(d, "accelerator");
          const TextList* known = o.get_strings("unknown_crypto_drivers");
          std::vector<std::string> u = known ? known->to_vector() : std::vector<std::string>{};
          u.emplace_back(r.driver);
          o.set("unknown_crypto_drivers", u, Unit::kNone, Provenance::kKernel, path);
        }
        continue;
      }
      // A registered algorithm is one the kernel can run on the device now.
      // Records do not say which QAT endpoint registered them, so a QAT device
      // whose cfg_services is known only gets its configured functions
      // confirmed (a "dc" endpoint must not gain ciphers); on older ones the
      // registration is the only word on what the firmware set up.
      for (const std::string& d : devices) {
        const Object* dev = ctx.facts().find(d);
        const bool confirm_only = fam == Family::kQat && dev && dev->find("cfg_services");
        for (const std::string& fn : *fns) {
          if (confirm_only && !ctx.facts().find("fn:" + d + ":" + fn)) continue;
          add_function(ctx, d, fn, confirm_only ? kStateUnknown : kAvailable, via, path);
        }
      }
    }
    Object& reg = ctx.facts().object("crypto_registry", "crypto_registry");
    reg.set("algorithms", static_cast<std::int64_t>(records.size()), Unit::kCount, Provenance::kKernel, path);
    reg.set("hardware_backed", hardware, Unit::kCount, Provenance::kKernel, path);
    if (!hw_drivers.empty()) reg.set("hardware_drivers", hw_drivers, Unit::kNone, Provenance::kKernel, path);
  }

 private:
  static std::vector<std::string> devices_of(const ProbeContext& ctx, const std::vector<const Object*>& accels,
                                             Family fam, const Record& r) {
    std::vector<std::string> out;
    for (const Object* a : accels) {
      std::optional<std::string_view> family = a->get_string("family");
      if (!family) continue;
      switch (fam) {
        case Family::kQat:
          if (*family == "qat") out.push_back(a->key);
          break;
        case Family::kHisi: {
          std::optional<std::string_view> n = a->get_string("driver_name");
          if (*family == "uacce" && n && *n == r.module) out.push_back(a->key);
          break;
        }
        case Family::kIaa:
          if (*family == "iaa") out.push_back(a->key);
          break;
        case Family::kCcp: {
          // The CCP is found by its PCI class (pci_class): an AMD encryption controller.
          std::optional<std::string_view> pci = a->get_string("pci");
          const Object* p = pci ? ctx.facts().find(*pci) : nullptr;
          std::optional<std::string_view> drv = a->get_string("driver");
          if (*family == "crypto" && ((drv && *drv == "ccp") || (p && p->get_int("vendor_id") == 0x1022)))
            out.push_back(a->key);
          break;
        }
        case Family::kNone:
          break;
      }
    }
    return out;
  }
};

}  // namespace

std::unique_ptr<Provider> make_crypto_registry_provider() { return std::make_unique<CryptoRegistryProvider>(); }

}  // namespace accelmap::providers
