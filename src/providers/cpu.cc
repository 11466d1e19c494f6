// cpu: logical CPUs and their package/core/die ids.
// ABI: Documentation/ABI/stable/sysfs-devices-system-cpu (online, possible,
// cpuN/topology/{physical_package_id,core_id,die_id}; die_id since 5.2).
//
// An offline CPU keeps its cpuN directory but loses topology/, so it is only
// marked online=false. Cost: two list files, one directory listing, and two or
// three small reads per online CPU.
#include <string>

#include "providers/dir_reader.h"
#include "providers/providers.h"
#include "providers/sysfs_lists.h"

namespace accelmap::providers {
namespace {

constexpr std::string_view kCpuDir = "/sys/devices/system/cpu";

class CpuProvider final : public Provider {
 public:
  std::string_view name() const noexcept override { return "cpu"; }
  Phase phase() const noexcept override { return Phase::kPlatform; }
  std::string_view abi() const noexcept override { return "Documentation/ABI/stable/sysfs-devices-system-cpu"; }

  void probe(const ProbeContext& ctx) const override {
    const std::string dir(kCpuDir);
    const std::string online_path = dir + "/online";
    const std::string possible_path = dir + "/possible";
    // One open and listing of the folder: its two lists in one batch, and
    // the CPU folders from the same listing.
    DirReader top(ctx, dir, DirReader::Capture::kPaths);
    top.prefetch({"online", "possible"});
    std::optional<IdSet> online = read_list(ctx, top, "online");
    std::optional<IdSet> possible = read_list(ctx, top, "possible");

    for (const DirEntry& e : top.entries()) {
      auto n = numbered_name(e.name, "cpu");
      if (!n) continue;
      const std::string cpu_dir = dir + "/" + e.name;
      Object& cpu = ctx.facts().object("cpu:" + std::to_string(*n), "cpu");
      if (possible) cpu.set("possible", contains(*possible, *n), Unit::kNone, Provenance::kKernel, possible_path);

      std::optional<bool> is_online;
      std::string online_source;
      if (online) {
        is_online = contains(*online, *n);
        online_source = online_path;
      } else if (auto v = ctx.read_int(cpu_dir + "/online")) {
        // Kernels without the global list (2.6.x) still have cpuN/online for
        // hot-pluggable CPUs (never for cpu0).
        is_online = *v != 0;
        online_source = cpu_dir + "/online";
      }
      if (is_online == false) {
        cpu.set("online", false, Unit::kNone, Provenance::kKernel, online_source);
        continue;  // no topology/ to read
      }

      const std::string topo = cpu_dir + "/topology/";
      // Two or three files of one folder: one open + listing, then relative
      // reads (a missing topology/ reads as missing files, as by path).
      DirReader t(ctx, cpu_dir + "/topology", DirReader::Capture::kPaths);
      t.prefetch({"physical_package_id", "core_id", "die_id"});
      bool any = false;
      auto put_id = [&](const char* attr, const char* file) {
        const std::string path = topo + file;
        auto v = t.read_int(file);
        if (!v) return;
        any = true;
        // -1 is the kernel's "unknown" (no package/die information).
        cpu.set(attr, *v < 0 ? Value{} : Value{*v}, Unit::kNone, Provenance::kKernel, path);
      };
      put_id("package_id", "physical_package_id");
      put_id("core_id", "core_id");
      put_id("die_id", "die_id");
      if (is_online) {
        cpu.set("online", *is_online, Unit::kNone, Provenance::kKernel, online_source);
      } else {
        // Neither list nor per-CPU file: topology/ exists only while online.
        cpu.set("online", any, Unit::kNone, Provenance::kKernel, cpu_dir + "/topology");
      }
    }
  }
};

}  // namespace

std::unique_ptr<Provider> make_cpu_provider() { return std::make_unique<CpuProvider>(); }

}  // namespace accelmap::providers
