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
    // The kernel makes /proc/cpuinfo one record per CPU as it is read, each
    // costing it microseconds (hundreds of records on a server); the model is
    // in the first record where the architecture names one. So the head is
    // read first, and the rest only where its complete lines do not name it.
    bool whole = false;
    std::optional<std::string> info = ctx.read_head(kCpuinfo, kCpuinfoHead, &whole);
    std::optional<std::string> model = info ? cpu_model(*info, whole) : std::nullopt;
    if (info && !model && !whole) {
      info = ctx.read(kCpuinfo);
      if (info) model = cpu_model(*info, true);
    }
    if (model) m.set("cpu_model", std::move(*model), Unit::kNone, Provenance::kKernel, std::string(kCpuinfo));
  }

 private:
  static constexpr std::string_view kCpuinfo = "/proc/cpuinfo";
  // A first x86 record is ~1.3 KB with its model on the fifth line.
  static constexpr std::size_t kCpuinfoHead = 1024;

  // The first model line of `text`; of its complete lines only when it is not `whole`.
  static std::optional<std::string> cpu_model(std::string_view text, bool whole) {
    if (!whole) text = text.substr(0, text.rfind('\n') + 1);  // npos + 1: nothing
    for (auto& [k, v] : parse::key_values(text, ':')) {
      // x86 "model name", MIPS "cpu model"; arm64 has none that names the part.
      if (k == "model name" || k == "cpu model") return std::string(v);
    }
    return std::nullopt;
  }
};

}  // namespace

std::unique_ptr<Provider> make_machine_provider() { return std::make_unique<MachineProvider>(); }

}  // namespace accelmap::providers
