// idxd: Intel Data Streaming Accelerator (DSA) and In-Memory Analytics
// Accelerator (IAA) as the idxd driver shows them on the dsa bus.
// ABI: Documentation/ABI/stable/sysfs-driver-dma-idxd:
//   /sys/bus/dsa/devices/{dsa,iax}N/{state, op_cap, numa_node, version,
//     max_work_queues, max_engines, max_groups, ...}   -> PCI function parent
//   /sys/bus/dsa/devices/wqN.M/{state, mode, type, size, group_id, name,
//     driver_name (6.7), op_config (6.0)}
//   /sys/bus/dsa/devices/groupN.M/{engines, work_queues}
//   /sys/bus/dsa/devices/engineN.M/group_id
// op_cap bit n = opcode n (include/uapi/linux/idxd.h); its three print formats
// are parsed by parse::idxd_opcode_bits. A function is available only when an
// enabled work queue in a group with an engine may run it (a WQ's op_config
// narrows the device's op_cap).
#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <unordered_map>
#include <string>

#include "providers/dir_reader.h"
#include "providers/engine_util.h"
#include "providers/path_util.h"
#include "providers/providers.h"

namespace accelmap::providers {
namespace {

constexpr std::string_view kDevices = "/sys/bus/dsa/devices";

struct WorkQueue {
  std::string name;  // "wq0.1"
  std::string dir;
  std::string state, mode, type;
  std::optional<std::int64_t> group_id;
  std::optional<std::vector<std::uint32_t>> op_config;
};

/// "wq0.1" -> 0 (the device number a child belongs to).
std::optional<std::uint32_t> device_number(std::string_view name, std::string_view prefix) {
  if (!is_numbered_pair(name, prefix)) return std::nullopt;
  name.remove_prefix(prefix.size());
  return small_number(name.substr(0, name.find('.')));
}

std::string opcode_word(std::uint32_t bit) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", bit);
  return buf;
}

class IdxdProvider final : public Provider {
 public:
  std::string_view name() const noexcept override { return "idxd"; }
  Phase phase() const noexcept override { return Phase::kDevice; }
  std::string_view abi() const noexcept override { return "Documentation/ABI/stable/sysfs-driver-dma-idxd"; }

  void probe(const ProbeContext& ctx) const override {
    std::vector<DirEntry> entries = ctx.list(kDevices);
    // Children (groupN.M, engineN.M, wqN.M) by device number, in listing order:
    // scanning the whole bus for every device made discovery quadratic.
    std::unordered_map<std::uint32_t, std::vector<const DirEntry*>> children;
    for (const DirEntry& e : entries) {
      for (std::string_view prefix : {"group", "engine", "wq"}) {
        if (auto n = device_number(e.name, prefix)) {
          children[*n].push_back(&e);
          break;
        }
      }
    }
    static const std::vector<const DirEntry*> kNone;
    auto kids = [&](std::uint32_t n) -> const std::vector<const DirEntry*>& {
      auto it = children.find(n);
      return it == children.end() ? kNone : it->second;
    };
    struct Device {
      const DirEntry* entry;
      std::uint32_t n;
      bool iax;
    };
    std::vector<Device> devices;
    for (const DirEntry& e : entries) {
      if (auto n = numbered(e.name, "dsa")) devices.push_back({&e, *n, false});
      else if (auto m = numbered(e.name, "iax")) devices.push_back({&e, *m, true});
    }
    // Devices are independent (each writes its own accelerator, queues and
    // functions), so many are read in parts on several threads. A part of 16
    // devices (a device is ~17 folders) is ~15 ms of reads on a recorded tree.
    ctx.in_parts(devices.size(), 16, [&](const ProbeContext& part, std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i)
        probe_device(part, kids(devices[i].n), devices[i].entry->name, devices[i].n, devices[i].iax);
    });
  }

 private:
  static std::optional<std::string> str(const DirReader& r, std::string_view name) {
    auto v = r.read_trimmed(name);
    if (v && v->empty()) return std::nullopt;
    return v;
  }

  static WorkQueue read_wq(const ProbeContext& ctx, const DirReader& r, const std::string& name) {
    WorkQueue wq;
    wq.name = name;
    wq.dir = r.dir();
    wq.state = str(r, "state").value_or("");
    wq.mode = str(r, "mode").value_or("");
    wq.type = str(r, "type").value_or("");
    wq.group_id = r.read_int("group_id");
    const std::string opc = wq.dir + "/op_config";
    if (auto text = r.read("op_config")) {
      wq.op_config = parse::idxd_opcode_bits(*text);
      if (!wq.op_config) ctx.warn(opc, "not an opcode bitmap in any known idxd format");
    }
    return wq;
  }

  static void probe_device(const ProbeContext& ctx, const std::vector<const DirEntry*>& entries, const std::string& dev,
                           std::uint32_t n, bool iax) {
    const std::string dir = std::string(kDevices) + "/" + dev;
    const std::string key = "idxd:" + dev;
    Object& o = accelerator(ctx, key, iax ? "iaa" : "dsa",
                            iax ? "in-memory analytics accelerator" : "data streaming accelerator");
    join_pci(ctx, o, pci_parent_key(ctx, dir), dir);
    DirReader attrs(ctx, dir);
    attrs.prefetch({"state", "numa_node", "max_work_queues", "max_engines", "max_groups", "max_work_queues_size",
                    "version", "op_cap"});
    std::optional<std::string> dev_state = str(attrs, "state");
    if (dev_state) o.set("state", *dev_state, Unit::kNone, Provenance::kKernel, dir + "/state");
    if (auto v = attrs.read_int("numa_node")) set_numa_node(o, *v, dir + "/numa_node");
    for (std::string_view a : {"max_work_queues", "max_engines", "max_groups", "max_work_queues_size"})
      if (auto v = attrs.read_int(a))
        o.set(std::string(a), *v, Unit::kCount, Provenance::kKernel, dir + "/" + std::string(a));
    if (auto v = str(attrs, "version")) o.set("version", *v, Unit::kNone, Provenance::kKernel, dir + "/version");

    // A group, engine or WQ is a folder of its device (the kernel makes the
    // device their parent, and the bus links point there); read through the
    // device's open folder, each costs one open of one name instead of a walk
    // through the bus link. A recording that keeps them elsewhere is read by
    // the bus path.
    auto below_device = [&](const std::string& child) {
      const FsDir* d = attrs.fs_dir();
      const DirEntry* e = d ? d->find(child) : nullptr;
      return e && e->type == EntryType::kDir;
    };
    auto on_bus = [](const std::string& child) { return std::string(kDevices) + "/" + child; };

    // Groups: which have at least one engine (a WQ in a group without one never runs).
    // Each group lists its engines; only when a group cannot say (kernels without
    // groupN.M/engines) are the engines asked for the group they name.
    std::set<std::int64_t> groups_with_engine;
    bool every_group_lists = true;
    {
      // Every group's engines file below the device's folder in one batch.
      std::vector<std::string> lists;
      for (const DirEntry* ep : entries)
        if (device_number(ep->name, "group") == n && below_device(ep->name)) lists.push_back(ep->name + "/engines");
      attrs.prefetch(lists);
    }
    for (const DirEntry* ep : entries) {
      const DirEntry& e = *ep;
      if (device_number(e.name, "group") != n) continue;
      std::string_view gid = std::string_view(e.name).substr(e.name.find('.') + 1);
      auto engines = below_device(e.name) ? attrs.read(e.name + "/engines") : ctx.read(on_bus(e.name) + "/engines");
      if (!engines) every_group_lists = false;
      else if (!words_of(*engines).empty()) groups_with_engine.insert(*small_number(gid));
    }
    if (!every_group_lists)
      for (const DirEntry* ep : entries)
        if (device_number(ep->name, "engine") == n) {
          auto g = below_device(ep->name) ? attrs.read_int(ep->name + "/group_id")
                                          : ctx.read_int(on_bus(ep->name) + "/group_id");
          if (g && *g >= 0) groups_with_engine.insert(*g);
        }

    std::vector<WorkQueue> wqs;
    std::vector<DirReader> wq_dirs;  // kept open for the attributes read below
    for (const DirEntry* e : entries)
      if (device_number(e->name, "wq") == n) {
        if (below_device(e->name)) wq_dirs.emplace_back(ctx, attrs, e->name);
        else wq_dirs.emplace_back(ctx, on_bus(e->name));
        wq_dirs.back().prefetch({"state", "mode", "type", "group_id", "op_config", "name", "driver_name", "size"});
        wqs.push_back(read_wq(ctx, wq_dirs.back(), e->name));
      }
    std::vector<const WorkQueue*> runnable;
    for (std::size_t i = 0; i < wqs.size(); ++i) {
      const WorkQueue& wq = wqs[i];
      const DirReader& wd = wq_dirs[i];
      Object& w = ctx.facts().object("idxd:" + wq.name, "idxd_wq");
      const auto name = str(wd, "name");
      const auto driver_name = str(wd, "driver_name");
      const auto size = wd.read_int("size");
      // Room for exactly what is set below: a device's queues differ (a named,
      // enabled one has two attributes more), and a queue is made with the room
      // of the one before it, growing one at a time by doubling (8 of 12 slots).
      w.attrs.reserve(w.attrs.size() + 1 + !wq.state.empty() + !wq.mode.empty() + !wq.type.empty() +
                      wq.group_id.has_value() + name.has_value() + driver_name.has_value() + size.has_value() +
                      wq.op_config.has_value());
      w.set("device", key, Unit::kNone, Provenance::kKernel, wq.dir);
      for (const auto& [attr, val] : {std::pair{"state", wq.state}, {"mode", wq.mode}, {"type", wq.type}})
        if (!val.empty()) w.set(attr, val, Unit::kNone, Provenance::kKernel, wq.dir + "/" + attr);
      if (wq.group_id) w.set("group_id", *wq.group_id, Unit::kNone, Provenance::kKernel, wq.dir + "/group_id");
      if (name) w.set("name", *name, Unit::kNone, Provenance::kKernel, wq.dir + "/name");
      if (driver_name) w.set("driver_name", *driver_name, Unit::kNone, Provenance::kKernel, wq.dir + "/driver_name");
      if (size) w.set("size", *size, Unit::kCount, Provenance::kKernel, wq.dir + "/size");
      if (wq.op_config) {
        std::vector<std::string> ops;
        for (std::uint32_t b : *wq.op_config) ops.push_back(opcode_word(b));
        w.set("op_config", ops, Unit::kNone, Provenance::kKernel, wq.dir + "/op_config");
      }
      if (wq.state != "enabled" || !wq.group_id || !groups_with_engine.count(*wq.group_id)) continue;
      runnable.push_back(&wq);
    }
    o.set("enabled_work_queues", static_cast<std::int64_t>(runnable.size()), Unit::kCount, Provenance::kDerived, dir);

    const std::string cap_path = dir + "/op_cap";
    auto cap_text = attrs.read("op_cap", false);
    if (!cap_text) return;
    auto bits = parse::idxd_opcode_bits(*cap_text);
    if (!bits) {
      ctx.warn(cap_path, "not an opcode bitmap in any known idxd format");
      return;
    }
    std::vector<std::string> op_cap, unknown;
    for (std::uint32_t b : *bits) op_cap.push_back(opcode_word(b));
    o.set("op_cap", op_cap, Unit::kNone, Provenance::kKernel, cap_path);

    const std::string_view source = iax ? "idxd.iax.opcode" : "idxd.dsa.opcode";
    // Queues per canonical function (several opcodes may give one function).
    std::map<std::string, std::set<std::string>, std::less<>> queues_of;
    for (std::uint32_t b : *bits) {
      const std::string word = opcode_word(b);
      std::set<std::string> queues;
      for (const WorkQueue* wq : runnable)
        if (!wq->op_config || std::binary_search(wq->op_config->begin(), wq->op_config->end(), b))
          queues.insert(wq->name);
      std::string_view state = queues.empty() ? kNotConfigured : kAvailable;
      if (!add_functions_from(ctx, key, source, word, state, cap_path)) {
        unknown.push_back(word);
        continue;
      }
      for (const std::string& fn : *ctx.catalog().lookup(source, word)) queues_of[fn].insert(queues.begin(), queues.end());
    }
    if (!unknown.empty()) o.set("unknown_opcodes", unknown, Unit::kNone, Provenance::kKernel, cap_path);
    for (const auto& [fn, queues] : queues_of) {
      // add_functions_from created it above.
      Object* f = &ctx.facts().object("fn:" + key + ":" + fn, "function");
      // Each enabled user WQ is a /dev/{dsa,iax}/wqN.M a process can open; a
      // shared one admits many processes (ENQCMD), so it counts once but is named.
      std::int64_t users = 0;
      std::vector<std::string> shared_here;
      for (const WorkQueue* wq : runnable) {
        if (!queues.count(wq->name) || wq->type != "user") continue;
        ++users;
        if (wq->mode == "shared") shared_here.push_back(wq->name);
      }
      // Room for exactly the attributes set below (see set_instances).
      f->attrs.reserve(f->attrs.size() + 2 + (shared_here.empty() ? 0 : 1));
      std::vector<std::string> q(queues.begin(), queues.end());
      std::sort(q.begin(), q.end(), [](const std::string& a, const std::string& b) { return natural_less(a, b); });
      f->set("queues", ctx.facts().share(Value(q)), Unit::kNone, Provenance::kDerived, cap_path);
      f->set("instances_total", users, Unit::kCount, Provenance::kDerived, cap_path);
      if (!shared_here.empty()) f->set("shared_queues", shared_here, Unit::kNone, Provenance::kDerived, cap_path);
    }
  }
};

}  // namespace

std::unique_ptr<Provider> make_idxd_provider() { return std::make_unique<IdxdProvider>(); }

}  // namespace accelmap::providers
