// uacce: user-space accelerators of the Unified/User-space-access-intended
// Accelerator Framework (HiSilicon ZIP, SEC, HPRE on Kunpeng; others).
// ABI: Documentation/ABI/testing/sysfs-driver-uacce (kernel 5.7+):
//   /sys/class/uacce/<name>-<id>/{api, flags, available_instances, algorithms,
//   region_mmio_size, region_dus_size, isolate, isolate_strategy}
// and the parent device's numa_node (read as `device/numa_node`, exactly as
// Linaro UADK's wd.c does). Out-of-tree openEuler/KAE "warpdrive" kernels put
// available_instances and isolate under attrs/ and have a node_id file: both
// layouts are accepted.
#include <set>
#include <string>

#include "providers/dir_reader.h"
#include "providers/engine_util.h"
#include "providers/path_util.h"
#include "providers/providers.h"

namespace accelmap::providers {
namespace {

constexpr std::string_view kClass = "/sys/class/uacce";
constexpr std::int64_t kUacceDevSva = 1;  // UACCE_DEV_SVA, include/linux/uacce.h

/// "hisi_zip-0" -> "hisi_zip": the kernel names the device "%s-%d".
std::string_view base_name(std::string_view entry) {
  std::size_t dash = entry.rfind('-');
  if (dash == std::string_view::npos || !small_number(entry.substr(dash + 1))) return entry;
  return entry.substr(0, dash);
}

std::string_view device_type_of(std::string_view name) {
  if (name == "hisi_zip") return "compression engine";
  if (name == "hisi_sec2" || name == "hisi_sec") return "crypto engine";
  if (name == "hisi_hpre") return "public-key engine";
  return "accelerator";
}

class UacceProvider final : public Provider {
 public:
  std::string_view name() const noexcept override { return "uacce"; }
  Phase phase() const noexcept override { return Phase::kDevice; }
  std::string_view abi() const noexcept override { return "Documentation/ABI/testing/sysfs-driver-uacce"; }

  void probe(const ProbeContext& ctx) const override {
    // Every device links into one /sys/devices tree: its common components
    // are looked at once for all of them (once per part). Devices are
    // independent (each writes its own accelerator and functions), so many are
    // read in parts on several threads; a part of 32 is ~6 ms of reads.
    const std::vector<DirEntry> entries = ctx.list(kClass);
    ctx.in_parts(entries.size(), 32, [&](const ProbeContext& part, std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) probe_one(part, entries[i].name);
    });
  }

 private:
  /// First of `names` under `d` that exists (in-tree layout first).
  static std::string first_existing(const DirReader& d, std::initializer_list<std::string_view> names) {
    for (std::string_view n : names)
      if (d.exists(n)) return d.path(n);
    return "";
  }

  /// Reads `p` (d's folder + "/" + a plain name) through `d`'s open folder.
  static std::string_view leaf_of(const DirReader& d, const std::string& p) {
    return std::string_view(p).substr(d.dir().size() + 1);
  }

  static void probe_one(const ProbeContext& ctx, const std::string& entry) {
    const std::string dir = std::string(kClass) + "/" + entry;
    const std::string name(base_name(entry));
    const std::string key = "uacce:" + entry;
    Object& o = accelerator(ctx, key, "uacce", device_type_of(name));
    o.set("driver_name", name, Unit::kNone, Provenance::kKernel, dir);
    join_pci(ctx, o, pci_parent_key(ctx, dir), dir);

    // One open + listing of the device folder; its attributes are then read
    // relative to it (results and diagnostics as reads by full path).
    DirReader d(ctx, dir, DirReader::Capture::kPaths);
    d.prefetch({"api", "flags", "isolate", "isolate_strategy", "node_id", "algorithms", "available_instances"});
    if (auto api = d.read_trimmed("api")) o.set("api", *api, Unit::kNone, Provenance::kKernel, dir + "/api");
    if (auto flags = d.read_int("flags")) {
      o.set("flags", *flags, Unit::kNone, Provenance::kKernel, dir + "/flags");
      o.set("sva", (*flags & kUacceDevSva) != 0, Unit::kNone, Provenance::kKernel, dir + "/flags");
    }

    // available_instances: the driver's get_available_instances(); the read
    // fails with ENODEV when the driver has none, and recordings keep such
    // files empty. Either way the count is unknown, not 0.
    std::optional<std::int64_t> free_count;
    const std::string avail = first_existing(d, {"available_instances", "attrs/available_instances"});
    if (!avail.empty()) {
      auto text = read_quiet(ctx, d, leaf_of(d, avail));
      if (text && !text->empty()) {
        free_count = parse::to_int64(*text);
        if (!free_count || *free_count < 0) {
          ctx.warn(avail, "not a count of instances", Severity::kInfo);
          free_count.reset();
        }
      }
      if (free_count) o.set("available_instances", *free_count, Unit::kCount, Provenance::kKernel, avail);
    }

    bool isolated = false;
    const std::string iso = first_existing(d, {"isolate", "attrs/isolate"});
    if (!iso.empty()) {
      if (auto v = d.read_int(leaf_of(d, iso))) {
        o.set("isolate", *v, Unit::kNone, Provenance::kKernel, iso);
        isolated = *v != 0;
      }
    }
    if (auto v = d.read_int("isolate_strategy"))
      o.set("isolate_strategy", *v, Unit::kNone, Provenance::kKernel, dir + "/isolate_strategy");
    if (isolated) o.set("state", std::string(kIsolated), Unit::kNone, Provenance::kKernel, iso);

    // NUMA: the parent device's, else the warpdrive node_id file.
    {
      const DirReader parent(ctx, dir + "/device", DirReader::Capture::kPaths);
      if (parent.exists("numa_node")) {
        if (auto v = parent.read_int("numa_node")) set_numa_node(o, *v, parent.path("numa_node"));
      } else if (d.exists("node_id")) {
        if (auto v = d.read_int("node_id")) set_numa_node(o, *v, d.path("node_id"));
      }
    }

    // A queue can be opened only while the device is not isolated and one is
    // free; with none free right now there is no better word than unknown.
    std::string_view state = isolated                        ? kIsolated
                             : (!free_count || *free_count > 0) ? kAvailable
                                                                : kStateUnknown;
    const std::string alg_path = dir + "/algorithms";
    auto algs = d.read("algorithms");
    if (!algs) return;
    std::vector<std::string> words = words_of(*algs);
    o.set("algorithms", words, Unit::kNone, Provenance::kKernel, alg_path);
    std::vector<std::string> unknown;
    for (const std::string& w : words)
      if (!add_functions_from(ctx, key, "uacce.algorithm", w, state, alg_path)) unknown.push_back(w);
    if (!unknown.empty()) o.set("unknown_algorithms", unknown, Unit::kNone, Provenance::kKernel, alg_path);
    set_instances(ctx, key, free_count, std::nullopt, avail);
  }
};

}  // namespace

std::unique_ptr<Provider> make_uacce_provider() { return std::make_unique<UacceProvider>(); }

}  // namespace accelmap::providers
