// The readable tree of `accelmap show`: machine, packages with NUMA nodes and
// their memory, memory regions, the PCI tree, diagnostics.
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <map>

#include "accelmap/render.h"
#include "parse/parse.h"

namespace accelmap {

std::string format_bytes(std::int64_t bytes) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024.0 && u < 6) {
    v /= 1024.0;
    ++u;
  }
  char buf[32];
  if (u == 0 || std::fabs(v - std::round(v)) < 0.05) std::snprintf(buf, sizeof(buf), "%.0f %s", v, kUnits[u]);
  else std::snprintf(buf, sizeof(buf), "%.1f %s", v, kUnits[u]);
  return buf;
}

std::string format_bandwidth_mbps(double mbps) {
  char buf[32];
  if (mbps >= 1000.0) std::snprintf(buf, sizeof(buf), "%.1f GB/s", mbps / 1000.0);
  else std::snprintf(buf, sizeof(buf), "%.0f MB/s", mbps);
  return buf;
}

namespace {

class Writer {
 public:
  explicit Writer(const TextOptions& o) : o_(o) {}
  std::string bold(std::string_view s) const { return wrap("1", s); }
  std::string dim(std::string_view s) const { return wrap("2", s); }
  std::string cyan(std::string_view s) const { return wrap("36", s); }
  std::string green(std::string_view s) const { return wrap("32", s); }
  std::string yellow(std::string_view s) const { return wrap("33", s); }
  std::string magenta(std::string_view s) const { return wrap("35", s); }
  std::string tee() const { return o_.unicode ? "├─ " : "|- "; }
  std::string elbow() const { return o_.unicode ? "└─ " : "`- "; }
  std::string pipe() const { return o_.unicode ? "│  " : "|  "; }
  std::string dot() const { return o_.unicode ? " · " : " | "; }
  std::string arrow() const { return o_.unicode ? "▸ " : "> "; }
  std::string out;

 private:
  std::string wrap(const char* code, std::string_view s) const {
    return o_.color ? "\033[" + std::string(code) + "m" + std::string(s) + "\033[0m" : std::string(s);
  }
  const TextOptions& o_;
};

std::string hex4(std::optional<std::int64_t> v) {
  if (!v) return "????";
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%04" PRIx64, static_cast<std::uint64_t>(*v));
  return buf;
}

std::string ids(const IdSet& s) { return parse::format_id_list(s.ids); }

std::string kind_text(const Writer& w, MemoryKind k) {
  std::string s = memory_kind_name(k);
  switch (k) {
    case MemoryKind::kHbm: return w.magenta(s);
    case MemoryKind::kCxl:
    case MemoryKind::kCxlPmem: return w.yellow(s);
    case MemoryKind::kPmem: return w.green(s);
    case MemoryKind::kDevice: return w.cyan(s);
    case MemoryKind::kUnknown: return w.dim("kind unknown");
    default: return s;
  }
}

std::string link_text(const PciDevice& d) {
  auto one = [](const PciLink& l) -> std::string {
    if (!l.speed.known() && !l.width.known()) return {};
    char buf[64];
    std::string speed = l.speed.known() ? (std::fabs(*l.speed.value - std::round(*l.speed.value)) < 1e-9
                                               ? std::to_string(static_cast<int>(*l.speed.value))
                                               : (std::snprintf(buf, sizeof(buf), "%.1f", *l.speed.value), buf))
                                        : std::string("?");
    std::string width = l.width.known() ? "x" + std::to_string(*l.width.value) : "x?";
    return speed + " GT/s " + width;
  };
  std::string cur = one(d.current_link), max = one(d.max_link);
  if (cur.empty() && max.empty()) return {};
  std::string s = cur.empty() ? "link ? " : cur;
  if (d.current_link.bandwidth.known()) s += " (" + format_bandwidth_mbps(*d.current_link.bandwidth.value) + ")";
  if (!max.empty() && max != cur) s += ", max " + max;
  return s;
}

std::string access_text(const Writer& w, const MemoryAccess& a, const std::string& label = "") {
  auto num = [&](const Measured<std::int64_t>& m, bool bw) {
    if (!m.known()) return w.dim("unknown");
    return bw ? format_bandwidth_mbps(static_cast<double>(*m.value)) : std::to_string(*m.value) + " ns";
  };
  std::string from = !label.empty() ? label : a.access_class == 1 ? "best CPU" : "best initiator";
  return from + " (node " + ids(a.initiators) + "): read " + num(a.read_bandwidth, true) + ", write " +
         num(a.write_bandwidth, true) + ", latency " + num(a.read_latency, false) + " read / " +
         num(a.write_latency, false) + " write";
}

void render_node(Writer& w, const Snapshot& snap, const NumaNode& n, const std::string& prefix, bool last) {
  std::string line = prefix + (last ? w.elbow() : w.tee()) + w.bold("NUMA " + std::to_string(n.id));
  line += w.dot() + (n.cpus.ids.empty() ? w.dim("no CPUs") : "CPUs " + ids(n.cpus));
  if (n.generic_initiator) line += w.dot() + w.yellow("generic initiator (device)");
  if (n.has_memory) {
    line += w.dot() + (n.capacity.known() ? format_bytes(*n.capacity.value) : w.dim("capacity unknown"));
    line += " " + kind_text(w, n.kind);
    if (n.tier) line += w.dot() + "tier " + std::to_string(*n.tier) + (n.tier_derived ? w.dim(" (derived)") : "");
  } else {
    line += w.dot() + w.dim("no memory");
  }
  if (!n.online) line += w.dot() + w.yellow("offline");
  w.out += line + "\n";
  std::string sub = prefix + (last ? "   " : w.pipe()) + "   ";
  if (!n.owner.empty()) w.out += sub + "owned by " + w.cyan(n.owner) + "\n";
  if (n.kind != MemoryKind::kDram && !n.kind_reason.empty() && n.has_memory)
    w.out += sub + w.dim(n.kind_reason) + "\n";
  // access0 (best initiator of any kind) usually equals access1 (best CPU) unless a
  // device initiator is faster; then one line says both.
  bool same = n.access.size() == 2 && n.access[0].initiators == n.access[1].initiators &&
              n.access[0].read_bandwidth.value == n.access[1].read_bandwidth.value &&
              n.access[0].write_bandwidth.value == n.access[1].write_bandwidth.value &&
              n.access[0].read_latency.value == n.access[1].read_latency.value &&
              n.access[0].write_latency.value == n.access[1].write_latency.value;
  if (same) {
    w.out += sub + "HMAT " + access_text(w, n.access[1], "best CPU = best initiator") + "\n";
  } else {
    for (const auto& a : n.access) w.out += sub + "HMAT " + access_text(w, a) + "\n";
  }
  for (const auto& c : n.caches) {
    w.out += sub + "memory-side cache L" + std::to_string(c.level) + ": " +
             (c.size.known() ? format_bytes(*c.size.value) : w.dim("size unknown")) +
             (c.line_size.known() ? ", " + std::to_string(*c.line_size.value) + " B lines" : "") +
             (c.indexing.empty() ? "" : ", " + std::string(c.indexing)) +
             (c.write_policy.empty() ? "" : ", " + std::string(c.write_policy)) +
             "\n";
  }
  if (n.distances.size() > 1) {
    std::string d;
    for (const auto& [to, v] : n.distances) d += (d.empty() ? "" : " ") + std::to_string(to) + ":" + std::to_string(v);
    w.out += sub + w.dim("distances " + d) + "\n";
  }
  (void)snap;
}

void render_pci(Writer& w, const Snapshot& snap, const PciDevice& d, const std::string& prefix, bool last,
                bool top) {
  std::string line = top ? std::string() : prefix + (last ? w.elbow() : w.tee());
  if (d.role == PciRole::kHostBridge) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%04" PRIx64 ":%02" PRIx64, static_cast<std::uint64_t>(d.domain),
                  static_cast<std::uint64_t>(d.bus));
    line += w.bold(std::string("Host bridge ") + buf);
  } else {
    line += w.cyan(d.bdf);
    std::string name(!d.device_name.empty() ? d.device_name : d.class_name);
    std::string vendor(d.vendor_name);
    if (d.role != PciRole::kEndpoint) line += " " + w.dim(std::string(pci_role_name(d.role)));
    line += " " + (vendor.empty() ? std::string() : vendor + " ") + (name.empty() ? "device" : name);
    line += w.dim(" [" + hex4(d.vendor_id) + ":" + hex4(d.device_id) + "]");
    if (!d.driver.empty()) (line += w.dot() + "driver ") += d.driver;
    if (d.numa_node) line += w.dot() + "NUMA " + std::to_string(*d.numa_node);
    std::string link = link_text(d);
    if (!link.empty()) line += w.dot() + link;
    if (!d.virtfns.empty()) line += w.dot() + std::to_string(d.virtfns.size()) + " VFs";
    for (const Accelerator* a : snap.accelerators_on(d.key)) line += w.dot() + w.green(w.arrow() + std::string(a->key));
    if (!d.physfn.empty()) (line += w.dot() + "VF of ") += d.physfn.substr(4);
  }
  w.out += line + "\n";
  std::string child_prefix = top ? std::string() : prefix + (last ? "   " : w.pipe());
  for (std::size_t i = 0; i < d.children.size(); ++i) {
    const PciDevice* c = snap.find_pci(d.children[i]);
    if (c) render_pci(w, snap, *c, child_prefix, i + 1 == d.children.size(), false);
  }
}

}  // namespace

std::string render_text(const Snapshot& snap, const TextOptions& options) {
  Writer w(options);
  const MachineInfo& m = snap.machine();
  std::string title = "Machine";
  std::string desc;
  auto add = [&](std::string_view s) {
    if (!s.empty()) (desc += desc.empty() ? "" : w.dot()) += s;
  };
  add(m.sys_vendor.empty() ? std::string(m.product_name) : std::string(m.sys_vendor) + " " + std::string(m.product_name));
  add(m.cpu_model);
  add(m.kernel_release.empty() ? "" : "Linux " + std::string(m.kernel_release));
  w.out += w.bold(title) + (desc.empty() ? "" : "  " + desc) + "\n";
  std::int64_t total = 0;
  bool total_known = true;
  for (const auto& n : snap.numa_nodes()) {
    if (n.capacity.known()) total += *n.capacity.value;
    else if (n.has_memory) total_known = false;
  }
  std::size_t online_cpus = 0;
  for (const auto& c : snap.cpus()) online_cpus += c.online ? 1 : 0;
  std::size_t pci_functions = 0;
  for (const auto& d : snap.pci_devices()) pci_functions += d.role == PciRole::kHostBridge ? 0 : 1;
  auto count = [](std::size_t n, const char* what) {
    return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
  };
  w.out += count(snap.packages().size(), "package") + w.dot() + count(snap.numa_nodes().size(), "NUMA node") +
           w.dot() + count(online_cpus, "CPU") + w.dot() +
           (snap.numa_nodes().empty() ? std::string("memory unknown")
                                      : format_bytes(total) + (total_known ? "" : "+") + " memory") +
           w.dot() + count(pci_functions, "PCI function") + "\n";

  // ---- CPUs and memory
  if (!snap.numa_nodes().empty() || !snap.packages().empty()) {
    w.out += "\n" + w.bold("CPUs and memory") + "\n";
    std::map<std::uint32_t, bool> placed;
    for (const auto& p : snap.packages()) {
      w.out += w.bold("Package " + std::to_string(p.id)) + w.dot() + "CPUs " + ids(p.cpus) + "\n";
      for (std::size_t i = 0; i < p.numa_nodes.ids.size(); ++i) {
        const NumaNode* n = snap.find_numa(p.numa_nodes.ids[i]);
        if (!n) continue;
        placed[n->id] = true;
        render_node(w, snap, *n, "", i + 1 == p.numa_nodes.ids.size());
      }
    }
    std::vector<const NumaNode*> rest;
    for (const auto& n : snap.numa_nodes())
      if (!placed.count(n.id)) rest.push_back(&n);
    if (!rest.empty()) {
      w.out += w.bold(snap.packages().empty() ? "NUMA nodes" : "Not attached to one package") + "\n";
      for (std::size_t i = 0; i < rest.size(); ++i) render_node(w, snap, *rest[i], "", i + 1 == rest.size());
    }
    if (!snap.tiering_source().empty())
      w.out += w.dim(snap.tiering_source() == "kernel"
                         ? "Memory tiers as published by the kernel (memory_tiering); smaller is faster."
                         : "Memory tiers derived by accelmap with the kernel's formula (no memory_tiering in "
                           "this tree); smaller is faster.") +
               "\n";
  }

  // ---- accelerators, by the NUMA node they are local to
  if (!snap.accelerators().empty()) {
    w.out += "\n" + w.bold("Accelerators") + "\n";
    std::map<std::int64_t, std::vector<const Accelerator*>> by_node;  // -1: no affinity
    for (const auto& a : snap.accelerators()) by_node[a.numa_node.value_or(-1)].push_back(&a);
    for (const auto& [node, list] : by_node) {
      w.out += w.bold(node < 0 ? std::string("No NUMA affinity") : "Near NUMA " + std::to_string(node)) + "\n";
      for (std::size_t i = 0; i < list.size(); ++i) {
        const Accelerator& a = *list[i];
        bool last = i + 1 == list.size();
        std::string line = std::string(last ? w.elbow() : w.tee()) + w.cyan(a.key) + "  " + std::string(a.device_type);
        std::string_view model = a.model.empty() ? a.vendor : a.model;
        if (!model.empty()) (line += w.dot()) += model;
        if (!a.memory.empty()) line += w.dot() + accelerator_memory_summary(a);
        if (!a.state.empty() && a.state != "enabled" && a.state != "up" && a.state != "operating")
          line += w.dot() + w.yellow(a.state);
        w.out += line + "\n";
        w.out += std::string(last ? "   " : w.pipe()) + "   " + accelerator_function_summary(a) + "\n";
      }
    }
    if (!snap.device_links().empty()) {
      std::map<std::string_view, std::size_t> by_type;
      for (const auto& l : snap.device_links()) ++by_type[l.type];
      std::string t;
      for (const auto& [type, n] : by_type) (t += (t.empty() ? "" : ", ") + std::to_string(n) + " ") += type;
      w.out += w.dim("Device links: " + t) + "\n";
    }
  }

  // ---- memory regions
  if (!snap.memory_regions().empty()) {
    w.out += "\n" + w.bold("Memory regions") + "\n";
    for (const auto& r : snap.memory_regions()) {
      std::string line = "  " + w.cyan(r.key) + "  " + kind_text(w, r.kind) + "  " +
                         (r.capacity.known() ? format_bytes(*r.capacity.value) : w.dim("size unknown"));
      if (!r.mode.empty()) line += w.dot() + std::string(r.mode);
      if (r.numa_node) line += w.dot() + "NUMA " + std::to_string(*r.numa_node);
      else if (r.near_node) line += w.dot() + "near NUMA " + std::to_string(*r.near_node);
      for (std::string_view mem : r.members) line += w.dot() + std::string(mem);
      for (std::string_view dev : r.devices) (line += w.dot() + "device ") += dev.substr(4);
      w.out += line + "\n";
    }
  }

  // ---- PCI
  if (!snap.pci_devices().empty()) {
    w.out += "\n" + w.bold("PCI") + "\n";
    for (const auto& d : snap.pci_devices())
      if (d.parent.empty()) render_pci(w, snap, d, "", true, true);
  }

  // ---- diagnostics
  const auto& diags = snap.diagnostics();
  if (!diags.empty()) {
    w.out += "\n";
    if (options.diagnostics) {
      w.out += w.bold("Diagnostics") + "\n";
      for (const auto& d : diags)
        w.out += "  " + std::string(severity_name(d.severity)) + " [" + d.provider + "] " +
                 (d.path.empty() ? "" : d.path + ": ") + d.message + "\n";
    } else {
      w.out += w.dim(std::to_string(diags.size()) + " diagnostic" + (diags.size() == 1 ? "" : "s") +
                     " (files that were missing or malformed); `accelmap show --diagnostics` lists them") +
               "\n";
    }
  }
  return w.out;
}

}  // namespace accelmap
