// The hwloc oracle: for every recorded tree, lstopo's view of PCI (devices,
// ids, class, link speed, parent, locality) against the pci provider's facts.
// Where they differ on purpose (docs/hwloc-differences.md, "PCI") the exact
// difference is asserted, never skipped.
#include <gtest/gtest.h>
#include <hwloc.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "accelmap/discover.h"
#include "test_util.h"

namespace accelmap {
namespace {

std::string bdf(unsigned domain, unsigned bus, unsigned dev, unsigned fn) {
  char b[40];
  std::snprintf(b, sizeof b, "pci:%04x:%02x:%02x.%x", domain, bus, dev, fn);
  return b;
}

// GB/s as hwloc computes it: GT/s x lanes x encoding / 8.
double link_gbps(double gts, std::int64_t width) {
  double enc = gts <= 5.0 ? 8.0 / 10 : 128.0 / 130;
  return gts * static_cast<double>(width) * enc / 8;
}

struct HwlocDevice {
  unsigned vendor = 0, device = 0, class_id = 0;
  double linkspeed = 0;
  std::string parent;  // pci:... or hostbridge:DDDD:BB
  hwloc_obj_t non_io_parent = nullptr;
};

struct Oracle {
  hwloc_topology_t topo = nullptr;
  std::map<std::string, HwlocDevice> devices;
  ~Oracle() {
    if (topo) hwloc_topology_destroy(topo);
  }
};

void collect(hwloc_obj_t o, Oracle& out) {
  for (hwloc_obj_t c = o->io_first_child; c; c = c->next_sibling) {
    bool pci = c->type == HWLOC_OBJ_PCI_DEVICE ||
               (c->type == HWLOC_OBJ_BRIDGE && c->attr->bridge.upstream_type == HWLOC_OBJ_BRIDGE_PCI);
    if (pci) {
      const auto& a = c->attr->pcidev;
      HwlocDevice d{a.vendor_id, a.device_id, a.class_id, a.linkspeed, {}, hwloc_get_non_io_ancestor_obj(out.topo, c)};
      hwloc_obj_t p = c->parent;
      if (p->type == HWLOC_OBJ_BRIDGE && p->attr->bridge.upstream_type == HWLOC_OBJ_BRIDGE_HOST) {
        char b[40];
        std::snprintf(b, sizeof b, "hostbridge:%04x:%02x", p->attr->bridge.downstream.pci.domain,
                      p->attr->bridge.downstream.pci.secondary_bus);
        d.parent = b;
      } else if (p->type == HWLOC_OBJ_BRIDGE || p->type == HWLOC_OBJ_PCI_DEVICE) {
        d.parent = bdf(p->attr->pcidev.domain, p->attr->pcidev.bus, p->attr->pcidev.dev, p->attr->pcidev.func);
      }
      out.devices[bdf(a.domain, a.bus, a.dev, a.func)] = d;
    }
    collect(c, out);
  }
  for (hwloc_obj_t c = o->first_child; c; c = c->next_sibling) collect(c, out);
}

// Differences found on a tree, as sorted "KEY what: accelmap=X hwloc=Y" lines.
std::set<std::string> compare(const std::string& name, bool* lstopo_ok) {
  std::set<std::string> diffs;
  std::string root = testing::corpus_root(name);
  EXPECT_FALSE(root.empty()) << name;
  auto fs = FsRoot::open(root);
  EXPECT_TRUE(static_cast<bool>(fs));
  if (!fs) return diffs;
  DiscoverOptions opt;
  opt.providers = "pci";
  auto facts = discover(*fs, opt);
  EXPECT_TRUE(static_cast<bool>(facts));
  if (!facts) return diffs;

  auto r = testing::run_command("HWLOC_FSROOT='" + root + "' HWLOC_COMPONENTS=linux,stop lstopo --of xml --whole-io -");
  *lstopo_ok = r.exit_code == 0;
  if (!*lstopo_ok) {
    // No hwloc view at all: everything accelmap sees is a difference.
    for (const Object* o : facts->of_kind("pci_device")) diffs.insert(o->key + " only-accelmap");
    return diffs;
  }
  Oracle h;
  EXPECT_EQ(hwloc_topology_init(&h.topo), 0);
  EXPECT_EQ(hwloc_topology_set_xmlbuffer(h.topo, r.out.data(), static_cast<int>(r.out.size() + 1)), 0);
  hwloc_topology_set_io_types_filter(h.topo, HWLOC_TYPE_FILTER_KEEP_ALL);
  EXPECT_EQ(hwloc_topology_load(h.topo), 0) << name;
  collect(hwloc_get_root_obj(h.topo), h);

  for (const Object* o : facts->of_kind("pci_device")) {
    auto it = h.devices.find(o->key);
    if (it == h.devices.end()) {
      diffs.insert(o->key + " only-accelmap");
      continue;
    }
    const HwlocDevice& d = it->second;
    auto fmt = [](auto a, auto b) { return " accelmap=" + std::to_string(a) + " hwloc=" + std::to_string(b); };
    if (o->get_int("vendor_id").value_or(-1) != d.vendor) diffs.insert(o->key + " vendor" + fmt(*o->get_int("vendor_id"), d.vendor));
    if (o->get_int("device_id").value_or(-1) != d.device) diffs.insert(o->key + " device" + fmt(*o->get_int("device_id"), d.device));
    if ((o->get_int("class_code").value_or(-1) >> 8) != d.class_id)
      diffs.insert(o->key + " class" + fmt(o->get_int("class_code").value_or(-1) >> 8, d.class_id));
    double mine = 0;
    if (auto s = o->get_double("current_link_speed"))
      if (auto w = o->get_int("current_link_width")) mine = link_gbps(*s, *w);
    // hwloc stores a float; compare to its precision only.
    if (std::fabs(mine - d.linkspeed) > 1e-5 * std::max(1.0, mine)) diffs.insert(o->key + " linkspeed" + fmt(mine, d.linkspeed));
    const std::string parent(o->get_string("parent").value_or(""));
    if (parent != d.parent) diffs.insert(o->key + " parent accelmap=" + parent + " hwloc=" + d.parent);
    // Locality: hwloc attaches each PCI tree under the largest object whose cpuset is the
    // smallest one covering the device's local CPUs.
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    if (const IdSet* cpus = o->get_ids("local_cpus"))
      for (auto c : cpus->ids) hwloc_bitmap_set(set, c);
    hwloc_bitmap_and(set, set, hwloc_topology_get_topology_cpuset(h.topo));
    hwloc_obj_t want = hwloc_bitmap_iszero(set) ? hwloc_get_root_obj(h.topo) : hwloc_get_obj_covering_cpuset(h.topo, set);
    while (want && want->parent && hwloc_bitmap_isequal(want->cpuset, want->parent->cpuset)) want = want->parent;
    hwloc_bitmap_free(set);
    if (want != d.non_io_parent) {
      char a[256], b[256];
      hwloc_bitmap_snprintf(a, sizeof a, want ? want->cpuset : nullptr);
      hwloc_bitmap_snprintf(b, sizeof b, d.non_io_parent->cpuset);
      diffs.insert(o->key + " locality accelmap=" + a + " hwloc=" + b);
    }
    if (auto n = o->get_int("numa_node")) {
      if (!hwloc_bitmap_isset(d.non_io_parent->nodeset, static_cast<unsigned>(*n))) diffs.insert(o->key + " numa_node");
    }
    h.devices.erase(it);
  }
  for (const auto& [k, d] : h.devices) diffs.insert(k + " only-hwloc");
  return diffs;
}

TEST(PciHwlocOracle, EveryCorpusTree) {
  std::vector<std::string> names = testing::corpus_tree_names();
  ASSERT_FALSE(names.empty());
  std::map<std::string, std::set<std::string>> expected = {
#include "pci_hwloc_expected.inc"
  };
  std::set<std::string> lstopo_fails;
  for (const std::string& n : names) {
    bool ok = false;
    std::set<std::string> diffs = compare(n, &ok);
    if (!ok) lstopo_fails.insert(n);
    EXPECT_EQ(diffs, expected[n]) << n;
    if (diffs != expected[n]) for (const auto& d : diffs) std::printf("DIFF %s %s\n", n.c_str(), d.c_str());
  }
  // lstopo fails where there is no CPU topology directory to anchor I/O to.
  EXPECT_EQ(lstopo_fails, (std::set<std::string>{"nfd-qat-c62x", "procfs-crypto-amdgpu", "rocm-mi210-2hives",
                                                  "rocm-mi308x-cpx", "rocm-vega10"}));
}

}  // namespace
}  // namespace accelmap
