// qat: Intel QuickAssist Technology endpoints (crypto and compression).
// ABI: Documentation/ABI/testing/sysfs-driver-qat (GEN4+, 6.0+):
//   /sys/bus/pci/devices/<BDF>/qat/{state (up|down), cfg_services
//   ("sym;asym", "dc", "asym;dc", "dcc", "decomp", ...), num_rps (6.7)}
// Identity is the PCI id (qat_ids.h). A PF is one accelerator; its SR-IOV VFs
// (sriov_numvfs, virtfnN / physfn links) are listed under it, since they are
// slices of the same engines handed to user space or guests.
#include <algorithm>
#include <map>
#include <string>

#include "providers/dir_reader.h"
#include "providers/engine_util.h"
#include "providers/path_util.h"
#include "providers/providers.h"
#include "providers/qat_ids.h"

namespace accelmap::providers {
namespace {

constexpr std::string_view kPciDevices = "/sys/bus/pci/devices";

class QatProvider final : public Provider {
 public:
  std::string_view name() const noexcept override { return "qat"; }
  Phase phase() const noexcept override { return Phase::kDevice; }
  std::string_view abi() const noexcept override { return "Documentation/ABI/testing/sysfs-driver-qat"; }

  void probe(const ProbeContext& ctx) const override {
    struct Fn {
      std::string bdf;
      const QatId* id;
      bool vf;
      const Object* pci;  // the pci provider's object of this very folder (kernel_names), or null
    };
    std::vector<Fn> fns;
    const std::vector<DirEntry> entries = ctx.list(kPciDevices);
    // The pci provider (phase kBus, run before this one) has read every
    // function's vendor and device files; reading them again by full path
    // cost two confined walks each, for every PCI function of the machine.
    // Its values are taken when they surely come from the very file named
    // here: every function name in the folder is written as the kernel writes
    // it (lower-case hex, a domain of 4 digits or without leading zeros), so
    // entry N alone makes pci object "pci:N"; and that object holds the
    // attribute only when the read succeeded and parsed (to the number this
    // read would give). Otherwise the file is read here as before, with its
    // diagnostics.
    const bool kernel_names = std::all_of(entries.begin(), entries.end(), [](const DirEntry& e) {
      if (!is_pci_bdf(e.name)) return true;
      const std::size_t colon = e.name.find(':');
      return ascii_lower(e.name) == e.name && (colon == 4 || e.name[0] != '0');
    });
    for (const DirEntry& e : entries) {
      if (!is_pci_bdf(e.name)) continue;
      const std::string dir = std::string(kPciDevices) + "/" + e.name;
      const Object* pci = kernel_names ? ctx.earlier().find("pci:" + e.name) : nullptr;
      std::optional<std::int64_t> known_vendor = pci ? pci->get_int("vendor_id") : std::nullopt;
      if (known_vendor) {
        if (*known_vendor != kIntelVendor) continue;
      } else {
        auto vendor = read_quiet(ctx, dir + "/vendor");
        if (!vendor || parse::to_uint64(*vendor) != static_cast<std::uint64_t>(kIntelVendor)) continue;
      }
      std::optional<std::int64_t> known_device = pci ? pci->get_int("device_id") : std::nullopt;
      std::optional<std::uint64_t> device;
      if (known_device) device = static_cast<std::uint64_t>(*known_device);
      else device = ctx.read_uint(dir + "/device");
      if (!device) continue;
      const auto dev = static_cast<std::int64_t>(*device);
      if (const QatId* pf = qat_pf(kIntelVendor, dev)) fns.push_back({ascii_lower(e.name), pf, false, pci});
      else if (const QatId* vf = qat_vf(kIntelVendor, dev)) fns.push_back({ascii_lower(e.name), vf, true, pci});
    }
    // VF -> PF through the physfn link (drivers/pci/iov.c).
    std::map<std::string, std::vector<std::string>> vfs_of;
    std::vector<const Fn*> orphans;
    for (const Fn& f : fns) {
      if (!f.vf) continue;
      const std::string physfn = std::string(kPciDevices) + "/" + f.bdf + "/physfn";
      std::string pf_key = ctx.fs().exists(physfn) ? pci_parent_key(ctx, physfn) : "";
      bool pf_here = false;
      for (const Fn& p : fns) pf_here |= !p.vf && "pci:" + p.bdf == pf_key;
      if (pf_here) vfs_of[pf_key].push_back("pci:" + f.bdf);
      else orphans.push_back(&f);
    }
    // The accelerators: every PF, then every VF whose PF is not visible (a
    // guest with a passed-through VF), the only handle on the engines there.
    // Each writes its own accelerator and functions, so many are read in
    // parts on several threads; a part of 16 is ~5 ms of reads.
    std::vector<const Fn*> accelerators;
    for (const Fn& f : fns)
      if (!f.vf) accelerators.push_back(&f);
    accelerators.insert(accelerators.end(), orphans.begin(), orphans.end());
    static const std::vector<std::string> kNoVfs;
    ctx.in_parts(accelerators.size(), 16, [&](const ProbeContext& part, std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) {
        const Fn& f = *accelerators[i];
        auto vfs = vfs_of.find("pci:" + f.bdf);
        probe_pf(part, f.bdf, *f.id, f.vf || vfs == vfs_of.end() ? kNoVfs : vfs->second, f.vf, f.pci);
      }
    });
  }

 private:
  static void probe_pf(const ProbeContext& ctx, const std::string& bdf, const QatId& id,
                       const std::vector<std::string>& vfs, bool is_vf, const Object* pci) {
    const std::string dir = std::string(kPciDevices) + "/" + bdf;
    const std::string key = "qat:" + bdf;
    Object& o = accelerator(ctx, key, "qat", "crypto and compression engine");
    join_pci(ctx, o, "pci:" + bdf, dir);
    o.set("generation", std::string(id.model), Unit::kNone, Provenance::kNominal, "qat_ids");
    if (is_vf) o.set("virtual_function", true, Unit::kNone, Provenance::kKernel, dir + "/device");
    if (!o.find("numa_node"))
      if (auto v = ctx.read_int(dir + "/numa_node")) set_numa_node(o, *v, dir + "/numa_node");
    if (!o.find("driver")) {
      if (auto link = ctx.fs().read_link(dir + "/driver"))
        o.set("driver", std::string(path_basename(*link)), Unit::kNone, Provenance::kKernel, dir + "/driver");
    }
    if (!is_vf) {
      // The recorded trees often hold no VF folders; sriov_numvfs still says how many exist.
      // The pci provider read this very file when it holds the count (see probe()'s
      // kernel_names): taken from there, else read here with its diagnostics.
      std::optional<std::int64_t> n = pci ? pci->get_int("sriov_numvfs") : std::nullopt;
      if (!n) n = ctx.read_int(dir + "/sriov_numvfs");
      if (n) o.set("vf_count", *n, Unit::kCount, Provenance::kKernel, dir + "/sriov_numvfs");
      if (!vfs.empty()) o.set("vfs", vfs, Unit::kNone, Provenance::kKernel, dir);
    }

    // Three attributes of one folder: one open + listing, then relative reads.
    // An open that found nothing is "no folder"; any other failure (or a
    // capture, which opens nothing) asks as before.
    const std::string qdir = dir + "/qat";
    DirReader q(ctx, qdir, DirReader::Capture::kPaths);
    if (!q.fs_dir() && (q.missing() || !ctx.fs().is_dir(qdir))) {
      // Before GEN4 (c6xx, dh895xcc, c3xxx, ...) there is no qat/ folder: the
      // services a device runs are set by its firmware configuration file
      // (/etc/<dev>_devN.conf), which sysfs does not show. The hardware can do
      // all three, so they are listed as nominal with state unknown.
      for (std::string_view svc : {"sym", "asym", "dc"})
        add_functions_from(ctx, key, "qat.service", svc, kStateUnknown, dir, Provenance::kNominal);
      return;
    }
    q.prefetch({"state", "num_rps", "cfg_services"});
    std::optional<std::string> state = read_quiet(ctx, q, "state");
    if (state && !state->empty()) o.set("state", *state, Unit::kNone, Provenance::kKernel, qdir + "/state");
    const bool up = state && *state == "up";
    std::optional<std::int64_t> rps = q.read_int("num_rps");
    if (rps) o.set("num_rps", *rps, Unit::kCount, Provenance::kKernel, qdir + "/num_rps");
    const std::string cfg_path = qdir + "/cfg_services";
    auto cfg = q.read_trimmed("cfg_services");
    if (!cfg) return;
    o.set("cfg_services", *cfg, Unit::kNone, Provenance::kKernel, cfg_path);
    std::vector<std::string> unknown;
    std::size_t i = 0;
    while (i <= cfg->size()) {
      std::size_t j = cfg->find(';', i);
      if (j == std::string::npos) j = cfg->size();
      std::string svc(parse::trim(std::string_view(*cfg).substr(i, j - i)));
      if (!svc.empty() && !add_functions_from(ctx, key, "qat.service", svc, up ? kAvailable : kNotConfigured, cfg_path))
        unknown.push_back(svc);
      i = j + 1;
    }
    if (!unknown.empty()) o.set("unknown_services", unknown, Unit::kNone, Provenance::kKernel, cfg_path);
    // Each ring pair is one instance a user (or the kernel) can be given.
    set_instances(ctx, key, std::nullopt, rps, qdir + "/num_rps");
  }
};

}  // namespace

std::unique_ptr<Provider> make_qat_provider() { return std::make_unique<QatProvider>(); }

}  // namespace accelmap::providers
