// pci: the PCI/PCIe functions and the tree they hang in.
// Source: Documentation/ABI/testing/sysfs-bus-pci (vendor, device, class, revision,
// numa_node, local_cpus/local_cpulist, current/max_link_speed/width, sriov_*, physfn,
// secondary/subordinate_bus_number) and the driver-model symlinks of
// Documentation/ABI/testing/sysfs-devices (driver).
//
// The tree comes from the canonical path of each /sys/bus/pci/devices/X link:
// /sys/devices/pci0000:17/0000:17:00.0/0000:18:00.0 says 0000:18:00.0 sits below
// bridge 0000:17:00.0, below host bridge pci0000:17. Config space is never read
// (it needs root beyond 64 bytes, and hwloc's reliance on it is what makes it slow
// and blind in VMs).
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <exception>
#include <optional>

#include "parse/parse.h"
#include "providers/providers.h"

namespace accelmap::providers {
namespace {

constexpr std::string_view kDevicesDir = "/sys/bus/pci/devices";

struct Bdf {
  std::uint32_t domain = 0;
  std::uint32_t bus = 0;
  std::uint32_t device = 0;
  std::uint32_t function = 0;
};

bool parse_hex(std::string_view s, std::size_t min_digits, std::size_t max_digits, std::uint32_t& out) {
  if (s.size() < min_digits || s.size() > max_digits) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, 16);
  return ec == std::errc() && p == s.data() + s.size();
}

// "DDDD:BB:DD.F" with a 4- to 8-digit domain (Intel VMD and Hyper-V use 32-bit domains).
std::optional<Bdf> parse_bdf(std::string_view s) {
  std::size_t c2 = s.rfind(':');
  if (c2 == std::string_view::npos || c2 == 0) return std::nullopt;
  std::size_t c1 = s.rfind(':', c2 - 1);
  std::size_t dot = s.find('.', c2);
  if (c1 == std::string_view::npos || dot == std::string_view::npos) return std::nullopt;
  Bdf b;
  if (!parse_hex(s.substr(0, c1), 4, 8, b.domain) || !parse_hex(s.substr(c1 + 1, c2 - c1 - 1), 2, 2, b.bus) ||
      !parse_hex(s.substr(c2 + 1, dot - c2 - 1), 2, 2, b.device) || !parse_hex(s.substr(dot + 1), 1, 1, b.function))
    return std::nullopt;
  if (b.device > 31 || b.function > 7) return std::nullopt;
  return b;
}

// "pciDDDD:BB", the host bridge component of a canonical path.
std::optional<Bdf> parse_host_bridge(std::string_view s) {
  if (s.substr(0, 3) != "pci") return std::nullopt;
  s.remove_prefix(3);
  std::size_t c = s.find(':');
  if (c == std::string_view::npos) return std::nullopt;
  Bdf b;
  if (!parse_hex(s.substr(0, c), 4, 8, b.domain) || !parse_hex(s.substr(c + 1), 2, 2, b.bus)) return std::nullopt;
  return b;
}

std::string device_key(const Bdf& b) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "pci:%04x:%02x:%02x.%x", b.domain, b.bus, b.device, b.function);
  return buf;
}

std::string host_bridge_key(const Bdf& b) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "hostbridge:%04x:%02x", b.domain, b.bus);
  return buf;
}

std::string_view basename(std::string_view p) {
  while (!p.empty() && p.back() == '/') p.remove_suffix(1);
  std::size_t s = p.rfind('/');
  return s == std::string_view::npos ? p : p.substr(s + 1);
}

// One function as found in the first pass.
struct Found {
  Bdf bdf;
  std::string key;
  std::string path;  // canonical in-root directory (but see last_unchecked)
  std::string link;  // its entry in /sys/bus/pci/devices
  bool flat = false;
  // The last component of `path` was not looked at (resolve_except_last): the
  // folder is opened refusing links, and anything but success takes resolve().
  bool last_unchecked = false;
};

// What the canonical path says is upstream of a function.
struct Upstream {
  std::string parent_key;        // empty when unknown
  std::optional<Bdf> host;       // the pciDDDD:BB component, when present
  std::string host_path;         // its canonical path
  std::vector<std::string> skipped;  // bridges on the path missing from /sys/bus/pci/devices
};

// Walks the path components from the function upwards. Derived from the string
// alone: the components were canonicalised by the single resolve() of the link.
Upstream upstream_of(const std::string& path, const std::unordered_set<std::string>& enumerated) {
  Upstream u;
  std::string_view p(path);
  std::size_t end = p.rfind('/');  // drop the function itself
  while (end != std::string_view::npos && end > 0) {
    std::size_t start = p.rfind('/', end - 1);
    if (start == std::string_view::npos) break;
    std::string_view comp = p.substr(start + 1, end - start - 1);
    if (auto b = parse_bdf(comp)) {
      std::string k = device_key(*b);
      if (u.parent_key.empty()) {
        if (enumerated.count(k)) u.parent_key = std::move(k);
        else u.skipped.push_back(std::move(k));
      }
    } else if (auto h = parse_host_bridge(comp)) {
      u.host = h;
      u.host_path = std::string(p.substr(0, end));
      if (u.parent_key.empty()) u.parent_key = host_bridge_key(*h);
      break;
    }
    end = start;
  }
  return u;
}

class PciProvider final : public Provider {
 public:
  std::string_view name() const noexcept override { return "pci"; }
  Phase phase() const noexcept override { return Phase::kBus; }
  std::string_view abi() const noexcept override { return "Documentation/ABI/testing/sysfs-bus-pci"; }

  void probe(const ProbeContext& ctx) const override {
    // Allocation failures must not abort discovery: report and go on with the other providers.
    try {
      probe_impl(ctx);
    } catch (const std::exception& e) {
      ctx.warn(std::string(kDevicesDir), std::string("stopped: ") + e.what(), Severity::kError);
    }
  }

 private:
  void probe_impl(const ProbeContext& ctx) const {
    std::vector<DirEntry> entries = ctx.list(kDevicesDir);
    if (entries.empty()) return;
    ctx.remember_listing(kDevicesDir, entries);  // qat lists the functions too

    // Pass 1: resolve every link once, in parts on several threads for a
    // large tree (each part learns the common /sys/devices components once).
    std::vector<std::optional<Found>> slots(entries.size());
    ctx.in_parts(entries.size(), 1024, [&](const ProbeContext& part, std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) {
        const DirEntry& e = entries[i];
        std::string dir = std::string(kDevicesDir) + "/" + e.name;
        auto bdf = parse_bdf(e.name);
        if (!bdf) {
          part.warn(dir, "not a PCI address (expected DDDD:BB:DD.F)");
          continue;
        }
        Found f{*bdf, device_key(*bdf), {}, dir, false, false};
        if (e.type == EntryType::kDir) {
          // Recorded trees sometimes keep real directories here (no /sys/devices).
          f.path = dir;
          f.flat = true;
        } else {
          // Each function's own folder is the last component of its link's
          // target, seen by no other link: asking whether it is a link costs a
          // readlinkat per function (8% of a recorded tree's calls). The open in
          // pass 2 answers that instead.
          auto canon = part.resolve_except_last(dir);
          if (!canon) {
            part.warn(canon.error());
            continue;
          }
          f.path = std::move(*canon);
          f.last_unchecked = !part.fs().recording();
        }
        slots[i] = std::move(f);
      }
    });
    std::vector<Found> found;
    found.reserve(entries.size());
    std::size_t flat = 0;
    for (auto& slot : slots)
      if (slot) {
        flat += slot->flat ? 1 : 0;
        found.push_back(std::move(*slot));
      }
    if (flat > 0) {
      ctx.warn(std::string(kDevicesDir),
               "the PCI tree has no hierarchy (" + std::to_string(flat) +
                   " functions are plain directories, not links into /sys/devices); no parent or host bridge",
               Severity::kInfo);
    }

    std::unordered_set<std::string> enumerated;
    enumerated.reserve(found.size());
    for (const Found& f : found) enumerated.insert(f.key);

    // Pass 2: attributes and tree. The functions are independent (each writes
    // its own object; a host bridge is written alike from every function below
    // it), so a large tree reads them in parts on several threads: the time
    // is the kernel's opens and reads, which run side by side.
    // pci_names adds up to four names to each function (vendor, device,
    // subsystem, class) where it has a database to read.
    constexpr std::size_t kNames = 4;
    const bool names_asked = !ctx.options().pci_ids_path.empty();
    ctx.in_parts(found.size(), kPciFunctionsPerPart, [&](const ProbeContext& part, std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) {
        Object* o = probe_function(part, found[i], enumerated);
        // Room for the four names pci_names adds, made now: the next function's
        // attributes take the room given back (a block of this very size), where
        // made later every PCI function's old block stayed a hole in the heap
        // (16 MB at 10,000 devices).
        // A function that grew past the room it was made with (the one before
        // it had fewer attributes) doubled it: give that back first.
        if (o && names_asked) {
          if (o->attrs.capacity() > o->attrs.size() + kNames) o->attrs.shrink_to_fit();
          o->attrs.reserve(o->attrs.size() + kNames);
        }
      }
    });
  }

  // The object made for `f`; null when none was.
  static Object* probe_function(const ProbeContext& ctx, const Found& f,
                                const std::unordered_set<std::string>& enumerated) {
    // One open + getdents instead of ~20 failed opens for the attributes this
    // function lacks; the attributes are then read relative to the open directory.
    std::string dir = f.path;
    std::optional<FsDir> d;
    if (!f.last_unchecked) {
      d = ctx.open_dir(dir);
    } else if (auto opened = ctx.fs().open_dir(dir, FsRoot::Listing::kAlways, FsRoot::Links::kRefuse)) {
      d = std::move(*opened);
      ctx.remember_not_a_link(dir);  // drm, idxd, ... walk through it again
    } else {
      // Not a plain folder after all (a link, gone, unreadable): what pass 1
      // does without the shortcut, with its messages. A link that does not
      // resolve leaves the function out, as there.
      auto canon = ctx.resolve(f.link);
      if (!canon) {
        ctx.warn(canon.error());
        return nullptr;
      }
      dir = std::move(*canon);
      d = ctx.open_dir(dir);
    }
    FactSet& facts = ctx.facts();
    Object& o = facts.object(f.key, "pci_device");
    o.set("domain", Value(std::int64_t{f.bdf.domain}), Unit::kNone, Provenance::kKernel, dir);
    o.set("bus", Value(std::int64_t{f.bdf.bus}), Unit::kNone, Provenance::kKernel, dir);
    o.set("device", Value(std::int64_t{f.bdf.device}), Unit::kNone, Provenance::kKernel, dir);
    o.set("function", Value(std::int64_t{f.bdf.function}), Unit::kNone, Provenance::kKernel, dir);
    o.set("sysfs_path", Value(dir), Unit::kNone, Provenance::kKernel, dir);

    if (!f.flat) {
      Upstream u = upstream_of(dir, enumerated);
      if (u.host) {
        Object& h = facts.object(host_bridge_key(*u.host), "pci_host_bridge");
        if (h.attrs.empty()) {
          h.set("domain", Value(std::int64_t{u.host->domain}), Unit::kNone, Provenance::kKernel, u.host_path);
          h.set("bus", Value(std::int64_t{u.host->bus}), Unit::kNone, Provenance::kKernel, u.host_path);
          h.set("sysfs_path", Value(u.host_path), Unit::kNone, Provenance::kKernel, u.host_path);
        }
      }
      if (!u.parent_key.empty()) {
        o.set("parent", facts.share(Value(u.parent_key)), Unit::kNone, Provenance::kKernel, dir);
      } else {
        ctx.warn(dir, "canonical path names no PCI bridge or pciDDDD:BB host bridge; no parent", Severity::kInfo);
      }
      for (const std::string& k : u.skipped) {
        // A recording that kept /sys/devices/.../BRIDGE but not its /sys/bus/pci/devices link:
        // attach to the nearest function that exists so no key dangles.
        ctx.warn(dir, "upstream bridge " + k + " is not in " + std::string(kDevicesDir) + "; skipped",
                 Severity::kInfo);
      }
    }

    if (!d) return &o;
    auto has = [&](std::string_view n) { return d->has(n); };
    auto path_of = [&](std::string_view n) { return d->child(n); };

    // The ids, the class and the driver come from the function's one uevent
    // where it has one, instead of five files and a link. pci_uevent
    // (drivers/pci/pci-driver.c) prints the same pci_dev fields as the
    // attribute files, after the kernel's fixups, and the driver core adds
    // DRIVER while one is bound. On the live /sys every file is its own open,
    // read and close; on a recorded tree, where a folder's files are read in
    // one batch, each file is still an open, a read and a close in the kernel
    // (the batch saves the calls, not that work), so the one file pays there
    // too. The recorded trees of the corpus agree with their attribute files
    // field by field (docs/PERFORMANCE.md).
    const bool by_uevent = has("uevent");
    // Only one of local_cpulist and local_cpus is read (below): the other is not fetched.
    std::vector<std::string_view> wanted = {"revision", "numa_node",
                                            has("local_cpulist") ? "local_cpulist" : "local_cpus",
                                            "current_link_speed", "max_link_speed", "current_link_width",
                                            "max_link_width", "sriov_totalvfs", "sriov_numvfs",
                                            "secondary_bus_number", "subordinate_bus_number"};
    if (by_uevent) wanted.push_back("uevent");
    else wanted.insert(wanted.end(), {"vendor", "device", "subsystem_vendor", "subsystem_device", "class"});
    d->prefetch(wanted);

    // A field the uevent does not hold well-formed is read from its file.
    std::optional<parse::PciUevent> ev;
    if (by_uevent)
      if (auto text = ctx.read(*d, "uevent")) ev = parse::pci_uevent(*text);
    auto put_uint = [&](std::string_view file, const char* attr, std::uint64_t max,
                        std::optional<std::uint32_t> from_uevent = std::nullopt) {
      if (from_uevent) {
        o.set(attr, Value(static_cast<std::int64_t>(*from_uevent)), Unit::kNone, Provenance::kKernel, path_of("uevent"));
        return;
      }
      if (!has(file)) return;
      auto v = ctx.read_uint(*d, file);
      if (!v) return;
      std::string p = path_of(file);
      if (*v > max) {
        ctx.warn(p, "out of range");
        return;
      }
      o.set(attr, Value(static_cast<std::int64_t>(*v)), Unit::kNone, Provenance::kKernel, p);
    };
    put_uint("vendor", "vendor_id", 0xffff, ev ? ev->vendor : std::nullopt);
    put_uint("device", "device_id", 0xffff, ev ? ev->device : std::nullopt);
    put_uint("subsystem_vendor", "subsystem_vendor_id", 0xffff, ev ? ev->subsystem_vendor : std::nullopt);
    put_uint("subsystem_device", "subsystem_device_id", 0xffff, ev ? ev->subsystem_device : std::nullopt);
    put_uint("class", "class_code", 0xffffff, ev ? ev->class_code : std::nullopt);
    put_uint("revision", "revision", 0xff);

    if (ev && ev->vendor) {
      // The uevent was read: its DRIVER line is the driver (none while unbound).
      if (!ev->driver.empty())
        o.set("driver", Value(ev->driver), Unit::kNone, Provenance::kKernel, path_of("uevent"));
    } else if (has("driver")) {
      std::string p = path_of("driver");
      auto target = d->read_link("driver");
      if (!target) ctx.warn(target.error());
      else if (auto b = basename(*target); !b.empty() && parse::is_clean_text(b))
        o.set("driver", Value(std::string(b)), Unit::kNone, Provenance::kKernel, p);
      else ctx.warn(p, "link target has no driver name");
    }

    if (has("numa_node")) {
      std::string p = path_of("numa_node");
      if (auto v = ctx.read_int(*d, "numa_node")) {
        if (*v == -1) o.set("numa_node", Value{}, Unit::kNone, Provenance::kKernel, p);
        else if (*v < 0 || *v > parse::kMaxListId) ctx.warn(p, "not a NUMA node id");
        else o.set("numa_node", Value(*v), Unit::kNone, Provenance::kKernel, p);
      }
    }

    // local_cpulist is the same set as local_cpus in a form that needs no word order.
    if (has("local_cpulist")) {
      std::string p = path_of("local_cpulist");
      // The same set for most functions: one block, shared.
      if (auto v = ctx.read_id_list(*d, "local_cpulist"))
        o.set("local_cpus", facts.share(Value(std::move(*v))), Unit::kNone, Provenance::kKernel, p);
    } else if (has("local_cpus")) {
      std::string p = path_of("local_cpus");
      if (auto v = ctx.read_hex_mask(*d, "local_cpus"))
        o.set("local_cpus", facts.share(Value(std::move(*v))), Unit::kNone, Provenance::kKernel, p);
    }

    auto put_speed = [&](std::string_view file, const char* attr, Provenance prov) {
      if (!has(file)) return;
      auto v = ctx.read_trimmed(*d, file);
      if (!v) return;
      std::string p = path_of(file);
      if (*v == "Unknown") return;  // pci_speed_string() for a link that is down or not PCIe
      if (auto s = parse::link_speed_gts(*v)) o.set(attr, Value(*s), Unit::kGTps, prov, p);
      else ctx.warn(p, "not a link speed (expected e.g. \"8.0 GT/s PCIe\")");
    };
    put_speed("current_link_speed", "current_link_speed", Provenance::kLinkTrained);
    put_speed("max_link_speed", "max_link_speed", Provenance::kKernel);

    auto put_width = [&](std::string_view file, const char* attr, Provenance prov) {
      if (!has(file)) return;
      auto v = ctx.read_int(*d, file);
      if (!v) return;
      std::string p = path_of(file);
      // 0 is a link that is down, 255 the all-ones of an unreadable register.
      if (*v == 0 || *v == 255) o.set(attr, Value{}, Unit::kLanes, prov, p);
      else if (*v < 0 || *v > 32) ctx.warn(p, "not a PCIe link width");
      else o.set(attr, Value(*v), Unit::kLanes, prov, p);
    };
    put_width("current_link_width", "current_link_width", Provenance::kLinkTrained);
    put_width("max_link_width", "max_link_width", Provenance::kKernel);

    auto put_count = [&](std::string_view file, const char* attr, Unit unit, std::int64_t max) {
      if (!has(file)) return;
      auto v = ctx.read_int(*d, file);
      if (!v) return;
      std::string p = path_of(file);
      if (*v < 0 || *v > max) ctx.warn(p, "out of range");
      else o.set(attr, Value(*v), unit, Provenance::kKernel, p);
    };
    put_count("sriov_totalvfs", "sriov_totalvfs", Unit::kCount, 0xffff);
    put_count("sriov_numvfs", "sriov_numvfs", Unit::kCount, 0xffff);
    put_count("secondary_bus_number", "secondary_bus", Unit::kNone, 0xff);
    put_count("subordinate_bus_number", "subordinate_bus", Unit::kNone, 0xff);

    if (has("physfn")) {
      std::string p = path_of("physfn");
      auto target = d->read_link("physfn");
      if (!target) ctx.warn(target.error());
      else if (auto b = parse_bdf(basename(*target)))
        o.set("physfn", Value(device_key(*b)), Unit::kNone, Provenance::kKernel, p);
      else ctx.warn(p, "link target is not a PCI address");
    }
    return &o;
  }
};

}  // namespace

std::unique_ptr<Provider> make_pci_provider() { return std::make_unique<PciProvider>(); }

}  // namespace accelmap::providers
