// Snapshot -> JSON. Layout documented in docs/snapshot-json.md.
#include <nlohmann/json.hpp>

#include "accelmap/render.h"
#include "parse/parse.h"

namespace accelmap {

using nlohmann::json;

namespace {

template <typename T>
json measured_json(const Measured<T>& m, Unit unit) {
  json j = {{"value", m.value ? json(*m.value) : json(nullptr)},
            {"unit", unit_name(unit)},
            {"provenance", provenance_name(m.provenance)}};
  if (!m.source.empty()) j["source"] = m.source.str();
  return j;
}

template <typename T>
json opt(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

json ids(const IdSet& s) { return parse::format_id_list(s.ids); }

std::string hex(std::optional<std::int64_t> v, int width) {
  if (!v) return {};
  char buf[32];
  std::snprintf(buf, sizeof(buf), "0x%0*llx", width, static_cast<unsigned long long>(*v));
  return buf;
}

json link_json(const PciLink& l) {
  return {{"speed", measured_json(l.speed, Unit::kGTps)},
          {"width", measured_json(l.width, Unit::kLanes)},
          {"bandwidth", measured_json(l.bandwidth, Unit::kMBps)}};
}

json attr_value(const Attr& a) {
  return a.value.visit([](const auto& x) -> json {
    using T = std::decay_t<decltype(x)>;
    if constexpr (std::is_same_v<T, std::monostate>) return nullptr;
    else if constexpr (std::is_same_v<T, IdSet>) return parse::format_id_list(x.ids);
    else return x;
  });
}

}  // namespace

std::string accelerators_to_json(const Snapshot& snap) {
  json out = json::array();
  for (const auto& a : snap.accelerators()) {
    json fns = json::array();
    for (const auto& f : a.functions) {
      fns.push_back({{"name", f.name},
                     {"state", f.state},
                     {"instances_free", opt(f.instances_free)},
                     {"instances_total", opt(f.instances_total)},
                     {"via", f.via},
                     {"queues", f.queues},
                     {"provenance", provenance_name(f.provenance)}});
    }
    json mem = json::array();
    for (const auto& m : a.memory) {
      mem.push_back({{"key", m.key},
                     {"kind", m.kind},
                     {"size", measured_json(m.size, Unit::kBytes)},
                     {"width_bits", opt(m.width_bits)},
                     {"clock_mhz", opt(m.clock_mhz)},
                     {"shared_by", m.shared_by},
                     {"numa_node", opt(m.numa_node)}});
    }
    json details = json::object();
    for (const auto& [k, v] : a.details) details[k.str()] = attr_value(v);
    out.push_back({{"key", a.key},
                   {"family", a.family},
                   {"device_type", a.device_type},
                   {"pci", a.pci},
                   {"vendor", a.vendor},
                   {"model", a.model},
                   {"driver", a.driver},
                   {"state", a.state},
                   {"numa_node", opt(a.numa_node)},
                   {"partition_of", a.partition_of},
                   {"package", a.package},
                   {"hive_id", a.hive_id},
                   {"functions", std::move(fns)},
                   {"memory", std::move(mem)},
                   {"details", std::move(details)}});
  }
  return out.dump(1, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string snapshot_to_json(const Snapshot& snap) {
  json root;
  root["format"] = "accelmap-snapshot";
  root["version"] = 1;
  const MachineInfo& m = snap.machine();
  root["machine"] = {{"product_name", m.product_name},
                     {"sys_vendor", m.sys_vendor},
                     {"kernel_release", m.kernel_release},
                     {"cpu_model", m.cpu_model}};
  json pk = json::array();
  for (const auto& p : snap.packages()) pk.push_back({{"id", p.id}, {"cpus", ids(p.cpus)}, {"numa_nodes", ids(p.numa_nodes)}});
  root["packages"] = std::move(pk);
  json nodes = json::array();
  for (const auto& n : snap.numa_nodes()) {
    json jn = {{"id", n.id},
               {"key", n.key},
               {"online", n.online},
               {"has_cpu", n.has_cpu},
               {"has_memory", n.has_memory},
               {"generic_initiator", n.generic_initiator},
               {"cpus", ids(n.cpus)},
               {"package", opt(n.package)},
               {"capacity", measured_json(n.capacity, Unit::kBytes)},
               {"kind", memory_kind_name(n.kind)},
               {"kind_reason", n.kind_reason},
               {"tier", opt(n.tier)},
               {"tier_source", n.tier ? (n.tier_derived ? "derived" : "kernel") : ""}};
    if (!n.owner.empty()) jn["owner"] = n.owner;
    json dist = json::array();
    for (const auto& [to, d] : n.distances) dist.push_back({{"node", to}, {"distance", d}});
    jn["distances"] = {{"unit", "relative"}, {"provenance", "firmware"}, {"values", std::move(dist)}};
    json acc = json::array();
    for (const auto& a : n.access)
      acc.push_back({{"access_class", a.access_class},
                     {"initiators", ids(a.initiators)},
                     {"read_bandwidth", measured_json(a.read_bandwidth, Unit::kMBps)},
                     {"write_bandwidth", measured_json(a.write_bandwidth, Unit::kMBps)},
                     {"read_latency", measured_json(a.read_latency, Unit::kNs)},
                     {"write_latency", measured_json(a.write_latency, Unit::kNs)}});
    jn["access"] = std::move(acc);
    json caches = json::array();
    for (const auto& c : n.caches)
      caches.push_back({{"level", c.level},
                        {"size", measured_json(c.size, Unit::kBytes)},
                        {"line_size", measured_json(c.line_size, Unit::kBytes)},
                        {"indexing", c.indexing},
                        {"write_policy", c.write_policy}});
    jn["memory_side_caches"] = std::move(caches);
    jn["dax"] = n.dax;
    nodes.push_back(std::move(jn));
  }
  root["numa_nodes"] = std::move(nodes);
  json regions = json::array();
  for (const auto& r : snap.memory_regions()) {
    regions.push_back({{"key", r.key},
                       {"kind", memory_kind_name(r.kind)},
                       {"kind_reason", r.kind_reason},
                       {"capacity", measured_json(r.capacity, Unit::kBytes)},
                       {"numa_node", opt(r.numa_node)},
                       {"near_node", opt(r.near_node)},
                       {"mode", r.mode},
                       {"parent", r.parent},
                       {"members", r.members},
                       {"devices", r.devices}});
  }
  root["memory_regions"] = std::move(regions);
  json pci = json::array();
  for (const auto& d : snap.pci_devices()) {
    json jd = {{"key", d.key}, {"role", pci_role_name(d.role)}, {"parent", d.parent}, {"children", d.children}};
    if (d.role == PciRole::kHostBridge) {
      jd["domain"] = d.domain;
      jd["bus"] = d.bus;
    } else {
      jd["bdf"] = d.bdf;
      jd["vendor_id"] = hex(d.vendor_id, 4);
      jd["device_id"] = hex(d.device_id, 4);
      jd["subsystem_vendor_id"] = hex(d.subsystem_vendor_id, 4);
      jd["subsystem_device_id"] = hex(d.subsystem_device_id, 4);
      jd["class_code"] = hex(d.class_code, 6);
      jd["revision"] = hex(d.revision, 2);
      jd["vendor_name"] = d.vendor_name;
      jd["device_name"] = d.device_name;
      jd["subsystem_name"] = d.subsystem_name;
      jd["class_name"] = d.class_name;
      jd["driver"] = d.driver;
      jd["numa_node"] = opt(d.numa_node);
      jd["local_cpus"] = d.local_cpus ? ids(*d.local_cpus) : json(nullptr);
      jd["current_link"] = link_json(d.current_link);
      jd["max_link"] = link_json(d.max_link);
      jd["sriov_totalvfs"] = opt(d.sriov_totalvfs);
      jd["sriov_numvfs"] = opt(d.sriov_numvfs);
      jd["physfn"] = d.physfn;
      jd["virtfns"] = d.virtfns;
    }
    pci.push_back(std::move(jd));
  }
  root["pci"] = std::move(pci);
  root["memory_tiering"] = snap.tiering_source();
  root["accelerators"] = nlohmann::json::parse(accelerators_to_json(snap));
  json links = json::array();
  for (const auto& l : snap.device_links()) {
    links.push_back({{"key", l.key},
                     {"a", l.a},
                     {"b", l.b},
                     {"type", l.type},
                     {"bandwidth_min", measured_json(l.bandwidth_min, Unit::kMBps)},
                     {"bandwidth_max", measured_json(l.bandwidth_max, Unit::kMBps)},
                     {"weight", opt(l.weight)},
                     {"hops", opt(l.hops)}});
  }
  root["device_links"] = std::move(links);
  json diags = json::array();
  for (const auto& d : snap.diagnostics())
    diags.push_back({{"severity", severity_name(d.severity)}, {"provider", d.provider}, {"path", d.path},
                     {"message", d.message}});
  root["diagnostics"] = std::move(diags);
  return root.dump(1, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace accelmap
