// accel: compute accelerators of the DRM accel subsystem (/sys/class/accel/accelN, 6.2+).
// Source: linux Documentation/accel/introduction.rst (class "accel", char major 261, `device`
// link to the parent) and, for Habana Gaudi, Documentation/ABI/testing/sysfs-driver-habanalabs
// (device/device_type, device/status: "Operational", "Malfunction", "In reset", ...).
// The subsystem has no common capability attributes: functions come from the bound driver
// through the catalog (source "accel.driver": habanalabs, intel_vpu, amdxdna, qaic, ...).
#include <string>

#include "parse/parse.h"
#include "providers/device_facts.h"
#include "providers/path_util.h"
#include "providers/providers.h"

namespace accelmap::providers {
namespace {

constexpr std::string_view kClassAccel = "/sys/class/accel";

class AccelProvider final : public Provider {
 public:
  std::string_view name() const noexcept override { return "accel"; }
  Phase phase() const noexcept override { return Phase::kDevice; }
  std::string_view abi() const noexcept override {
    return "linux Documentation/accel/introduction.rst, ABI/testing/sysfs-driver-habanalabs";
  }

  void probe(const ProbeContext& ctx) const override {
    for (const DirEntry& e : ctx.list(kClassAccel)) {
      if (!numbered(e.name, "accel")) continue;
      const std::string dir = std::string(kClassAccel) + "/" + e.name;
      const std::string key = "accel:" + e.name;
      Object& o = accelerator(ctx, key, "npu", "NPU");
      std::string driver = set_parent_device(ctx, o, dir);
      if (auto v = ctx.read_uint(dir + "/device/vendor"); v && *v <= 0xffff)
        o.set("vendor_id", static_cast<std::int64_t>(*v), Unit::kNone, Provenance::kKernel, dir + "/device/vendor");
      if (auto v = ctx.read_uint(dir + "/device/device"); v && *v <= 0xffff)
        o.set("device_id", static_cast<std::int64_t>(*v), Unit::kNone, Provenance::kKernel, dir + "/device/device");
      std::string state(kAvailable);
      if (driver == "habanalabs") state = habanalabs(ctx, o, dir + "/device");
      if (driver.empty()) {
        ctx.warn(dir, "no driver bound; functions unknown", Severity::kInfo);
        continue;
      }
      add_functions_from(ctx, key, "accel.driver", driver, state, dir + "/device/driver");
    }
  }

 private:
  // Gaudi: the driver's own words; only "Operational" means jobs can run now.
  static std::string habanalabs(const ProbeContext& ctx, Object& o, const std::string& dev) {
    if (auto v = ctx.read_trimmed(dev + "/device_type"); v && !v->empty() && parse::is_clean_text(*v))
      o.set("model", *v, Unit::kNone, Provenance::kKernel, dev + "/device_type");
    auto status = ctx.read_trimmed(dev + "/status");
    if (!status || status->empty() || !parse::is_clean_text(*status)) return std::string(kStateUnknown);
    o.set("state", *status, Unit::kNone, Provenance::kKernel, dev + "/status");
    if (*status == "Operational") return std::string(kAvailable);
    if (*status == "Malfunction" || status->find("isabled") != std::string::npos) return std::string(kFailed);
    return std::string(kStateUnknown);
  }
};

}  // namespace

std::unique_ptr<Provider> make_accel_provider() { return std::make_unique<AccelProvider>(); }

}  // namespace accelmap::providers
