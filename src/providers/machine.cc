// machine: what the box is — DMI product, kernel release, CPU model.
// Sources: Documentation/ABI/testing/sysfs-class-dmi (product_name, sys_vendor),
// /proc/sys/kernel/osrelease (proc(5)), /proc/cpuinfo.
#include <optional>
#include <string>

#include "parse/parse.h"
#include "providers/dir_reader.h"
#include "providers/providers.h"

namespace accelmap::providers {
namespace {

class MachineProvider final : public Provider {
 public:
  std::string_view name() const noexcept override { return "machine"; }
  Phase phase() const noexcept override { return Phase::kPlatform; }
  std::string_view abi() const noexcept override { return "ABI/testing/sysfs-class-dmi; proc(5)"; }

  void probe(const ProbeContext& ctx) const override {
    Object& m = ctx.facts().object("machine", "machine");
    auto put = [&](const char* attr, std::optional<std::string> v, const std::string& path) {
      if (v && !v->empty() && parse::is_clean_text(*v)) m.set(attr, *v, Unit::kNone, Provenance::kKernel, path);
    };
    {
      // Two files of one folder: one open and listing, one batch.
      DirReader dmi(ctx, "/sys/class/dmi/id", DirReader::Capture::kPaths);
      dmi.prefetch({"product_name", "sys_vendor"});
      for (const char* name : {"product_name", "sys_vendor"}) put(name, dmi.read_trimmed(name), dmi.path(name));
    }
    put("kernel_release", ctx.read_trimmed("/proc/sys/kernel/osrelease"), "/proc/sys/kernel/osrelease");
    if (!m.find("kernel_release")) {
      // "Linux version 3.10.0-... (builder@host) ..." — the third word.
      if (auto v = ctx.read("/proc/version")) {
        std::string_view s = parse::trim(*v);
        constexpr std::string_view kPrefix = "Linux version ";
        if (s.substr(0, kPrefix.size()) == kPrefix) {
          s.remove_prefix(kPrefix.size());
          m.set("kernel_release", std::string(s.substr(0, s.find(' '))), Unit::kNone, Provenance::kKernel,
                "/proc/version");
        }
      }
    }
    if (auto info = ctx.read("/proc/cpuinfo")) {
      for (auto& [k, v] : parse::key_values(*info, ':')) {
        // x86 "model name", POWER "cpu", arm64 has none that names the part.
        if (k == "model name" || k == "cpu model") {
          m.set("cpu_model", std::string(v), Unit::kNone, Provenance::kKernel, "/proc/cpuinfo");
          break;
        }
      }
    }
  }
};

}  // namespace

std::unique_ptr<Provider> make_machine_provider() { return std::make_unique<MachineProvider>(); }

}  // namespace accelmap::providers
