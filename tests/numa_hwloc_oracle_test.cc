// hwloc as an oracle for the cpu, numa and hmat providers: for every recorded
// tree lstopo can load, run
//   HWLOC_FSROOT=<root> HWLOC_COMPONENTS=linux,stop lstopo --of xml --whole-io -
// load the XML with the hwloc C API and compare with accelmap's facts.
// Deliberate differences are asserted exactly (not skipped) and documented in
// docs/hwloc-differences.md, section "NUMA and memory".
#include <gtest/gtest.h>
#include <hwloc.h>

#include <cerrno>
#include <filesystem>
#include <map>
#include <tuple>
#include <set>

#include "platform_test_util.h"
#include "test_util.h"

namespace accelmap::testing {
namespace {

using Cpus = std::vector<std::uint32_t>;

Cpus to_cpus(hwloc_const_bitmap_t b) {
  Cpus out;
  if (!b) return out;
  int i;
  hwloc_bitmap_foreach_begin(i, b) out.push_back(static_cast<std::uint32_t>(i));
  hwloc_bitmap_foreach_end();
  return out;
}

Cpus unite(const Cpus& a, const Cpus& b) {
  std::set<std::uint32_t> s(a.begin(), a.end());
  s.insert(b.begin(), b.end());
  return Cpus(s.begin(), s.end());
}

struct Topo {
  hwloc_topology_t t = nullptr;
  ~Topo() {
    if (t) hwloc_topology_destroy(t);
  }
};

// The HMAT access class hwloc reads for a target: access1 (best CPU
// initiators, 5.10+) when present, else access0.
const Object* hwloc_access(const FactSet& f, std::uint32_t target) {
  const std::string base = "hmat:numa:" + std::to_string(target) + ":access";
  if (const Object* o = f.find(base + "1")) return o;
  return f.find(base + "0");
}

Cpus initiator_cpus(const FactSet& f, const Object& access) {
  Cpus cpus;
  for (std::uint32_t n : access.get_ids("initiators")->ids) {
    const Object* node = f.find("numa:" + std::to_string(n));
    if (node && node->get_ids("cpus")) cpus = unite(cpus, node->get_ids("cpus")->ids);
  }
  return cpus;
}

// `root` "/" is this machine, read by hwloc as it reads any.
void compare_root(const std::string& root) {
  SCOPED_TRACE(root);
  ASSERT_FALSE(root.empty());
  // This machine: --whole-system, or hwloc would leave out the CPUs and nodes a
  // container's cpuset disallows, which accelmap (reading /sys) keeps.
  const std::string fsroot = root == "/" ? "" : "HWLOC_FSROOT='" + root + "' ";
  const std::string whole = root == "/" ? " --whole-system" : "";
  CommandResult r = run_command(fsroot + "HWLOC_COMPONENTS=linux,stop lstopo --of xml --whole-io" + whole + " -");
  if (r.exit_code != 0) {
    // Only trees without CPU topology (recordings of /sys/bus or /proc only)
    // may defeat lstopo; anything else is a failure, not a skip.
    EXPECT_FALSE(std::filesystem::exists(root + "/sys/devices/system/cpu")) << r.err;
    EXPECT_NE(r.err.find("failed to find sysfs cpu topology directory"), std::string::npos) << r.err;
    return;
  }
  Topo topo;
  ASSERT_EQ(hwloc_topology_init(&topo.t), 0);
  // MemCache objects are filtered out by default, even from XML.
  ASSERT_EQ(hwloc_topology_set_type_filter(topo.t, HWLOC_OBJ_MEMCACHE, HWLOC_TYPE_FILTER_KEEP_ALL), 0);
  ASSERT_EQ(hwloc_topology_set_xmlbuffer(topo.t, r.out.data(), static_cast<int>(r.out.size())), 0);
  ASSERT_EQ(hwloc_topology_load(topo.t), 0);

  FactSet f = discover_with(root, "cpu,numa,hmat");

  // --- NUMA nodes. hwloc drops nodes whose MemTotal is 0 (CPU-only and
  // Generic Initiator nodes); accelmap keeps every node the kernel lists.
  std::map<std::uint32_t, const Object*> expected;
  for (const Object* o : f.of_kind("numa_node")) {
    if (o->get_bool("online") == false) continue;
    std::uint32_t id = static_cast<std::uint32_t>(std::stoul(o->key.substr(5)));
    if (o->get_int("capacity") == 0) continue;
    expected[id] = o;
  }
  std::map<std::uint32_t, hwloc_obj_t> got;
  for (hwloc_obj_t n = nullptr; (n = hwloc_get_next_obj_by_type(topo.t, HWLOC_OBJ_NUMANODE, n));)
    got[n->os_index] = n;
  if (f.of_kind("numa_node").empty()) {
    // No /sys/devices/system/node: hwloc invents one node 0 with all CPUs.
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got.begin()->first, 0u);
    return;
  }
  std::set<std::uint32_t> want_ids, got_ids;
  for (auto& [k, v] : expected) want_ids.insert(k);
  for (auto& [k, v] : got) got_ids.insert(k);
  ASSERT_EQ(got_ids, want_ids);

  for (auto& [id, node] : expected) {
    SCOPED_TRACE("node " + std::to_string(id));
    hwloc_obj_t h = got[id];
    // Capacity: hwloc local_memory is MemTotal in bytes.
    if (auto cap = node->get_int("capacity")) EXPECT_EQ(static_cast<std::int64_t>(h->attr->numanode.local_memory), *cap);
    else EXPECT_EQ(h->attr->numanode.local_memory, 0u);
    // CPUs: the kernel's list; for a CPU-less node hwloc instead attaches the
    // node to the CPUs of its best HMAT initiators (access1, else access0).
    const IdSet* cpus = node->get_ids("cpus");
    ASSERT_NE(cpus, nullptr);
    if (!cpus->ids.empty()) {
      EXPECT_EQ(to_cpus(h->cpuset), cpus->ids);
    } else {
      const Object* a = hwloc_access(f, id);
      ASSERT_NE(a, nullptr) << "CPU-less node without HMAT: hwloc's choice not covered";
      EXPECT_EQ(to_cpus(h->cpuset), initiator_cpus(f, *a));
    }
  }

  // --- Packages: physical_package_id -> CPUs.
  std::map<std::int64_t, Cpus> want_pkgs;
  for (const Object* c : f.of_kind("cpu")) {
    if (c->get_bool("online") != true) continue;
    auto pkg = c->get_int("package_id");
    ASSERT_TRUE(pkg) << c->key;
    want_pkgs[*pkg].push_back(static_cast<std::uint32_t>(std::stoul(c->key.substr(4))));
  }
  for (auto& [k, v] : want_pkgs) std::sort(v.begin(), v.end());
  std::map<std::int64_t, Cpus> got_pkgs;
  for (hwloc_obj_t p = nullptr; (p = hwloc_get_next_obj_by_type(topo.t, HWLOC_OBJ_PACKAGE, p));)
    got_pkgs[p->os_index] = to_cpus(p->cpuset);
  EXPECT_EQ(got_pkgs, want_pkgs);

  // --- SLIT distances, over the nodes hwloc kept.
  unsigned nr = 1;
  hwloc_distances_s* d = nullptr;
  ASSERT_EQ(hwloc_distances_get_by_name(topo.t, "NUMALatency", &nr, &d, 0), 0);
  bool any_rows = false;
  for (auto& [id, node] : expected) any_rows = any_rows || node->get_ints("distances");
  if (!any_rows || expected.size() == 1) {
    // hwloc records no matrix for a single node (its row is just "10");
    // accelmap keeps the kernel's one-entry row.
    EXPECT_EQ(nr, 0u);
  } else {
    ASSERT_EQ(nr, 1u);
    ASSERT_EQ(d->nbobjs, expected.size());
    for (unsigned i = 0; i < d->nbobjs; ++i) {
      const Object* row_node = expected[d->objs[i]->os_index];
      const auto* row = row_node->get_ints("distances");
      const auto& cols = row_node->get_ids("distance_nodes")->ids;
      ASSERT_NE(row, nullptr);
      for (unsigned j = 0; j < d->nbobjs; ++j) {
        auto it = std::find(cols.begin(), cols.end(), d->objs[j]->os_index);
        ASSERT_NE(it, cols.end());
        EXPECT_EQ(static_cast<std::int64_t>(d->values[i * d->nbobjs + j]), (*row)[it - cols.begin()])
            << d->objs[i]->os_index << "->" << d->objs[j]->os_index;
      }
    }
    hwloc_distances_release(topo.t, d);
  }

  // --- HMAT. hwloc keeps one class per target (access1, else access0) and
  // drops 0 ("unknown"), which accelmap writes as null. Bandwidth/Latency are
  // hwloc's own summaries: the mean of read and write (both equal here).
  struct Attr4 {
    const char* hwloc_name;
    const char* fact;
  };
  const Attr4 attrs[] = {{"ReadBandwidth", "read_bandwidth"},
                         {"WriteBandwidth", "write_bandwidth"},
                         {"ReadLatency", "read_latency"},
                         {"WriteLatency", "write_latency"}};
  for (auto& [id, node] : expected) {
    SCOPED_TRACE("hmat target " + std::to_string(id));
    const Object* a = hwloc_access(f, id);
    auto values_of = [&](const char* attr_name) {
      std::map<Cpus, std::uint64_t> out;
      // A topology loaded from XML only has the attributes the XML names.
      hwloc_memattr_id_t attr;
      if (hwloc_memattr_get_by_name(topo.t, attr_name, &attr) != 0) return out;
      unsigned n = 0;
      if (hwloc_memattr_get_initiators(topo.t, attr, got[id], 0, &n, nullptr, nullptr) != 0) {
        // memattrs.c answers EINVAL for a target without any value.
        if (errno == EINVAL) return out;
        ADD_FAILURE() << "hwloc_memattr_get_initiators: errno " << errno;
        return out;
      }
      std::vector<hwloc_location> locs(n);
      std::vector<hwloc_uint64_t> vals(n);
      if (n) {
        EXPECT_EQ(hwloc_memattr_get_initiators(topo.t, attr, got[id], 0, &n, locs.data(), vals.data()), 0);
      }
      for (unsigned i = 0; i < n; ++i) {
        EXPECT_EQ(locs[i].type, HWLOC_LOCATION_TYPE_CPUSET);
        out[to_cpus(locs[i].location.cpuset)] = vals[i];
      }
      return out;
    };
    for (const Attr4& at : attrs) {
      std::map<Cpus, std::uint64_t> want;
      if (a) {
        if (auto v = a->get_int(at.fact)) want[initiator_cpus(f, *a)] = static_cast<std::uint64_t>(*v);
      }
      EXPECT_EQ(values_of(at.hwloc_name), want) << at.fact;
    }
    for (auto [summary, rd, wr] : {std::tuple{"Bandwidth", "read_bandwidth", "write_bandwidth"},
                                   std::tuple{"Latency", "read_latency", "write_latency"}}) {
      std::map<Cpus, std::uint64_t> want;
      if (a && a->get_int(rd) && a->get_int(wr))
        want[initiator_cpus(f, *a)] = static_cast<std::uint64_t>((*a->get_int(rd) + *a->get_int(wr)) / 2);
      EXPECT_EQ(values_of(summary), want) << rd;
    }
  }

  // --- Memory-side caches: hwloc MemCache objects above their node.
  std::map<std::pair<std::uint32_t, std::uint32_t>, hwloc_obj_t> got_caches;
  for (hwloc_obj_t c = nullptr; (c = hwloc_get_next_obj_by_type(topo.t, HWLOC_OBJ_MEMCACHE, c));)
    got_caches[{static_cast<std::uint32_t>(hwloc_bitmap_first(c->nodeset)), c->attr->cache.depth}] = c;
  auto caches = f.of_kind("memory_side_cache");
  ASSERT_EQ(got_caches.size(), caches.size());
  for (const Object* c : caches) {
    auto key = std::pair{static_cast<std::uint32_t>(*c->get_int("node")), static_cast<std::uint32_t>(*c->get_int("level"))};
    ASSERT_TRUE(got_caches.count(key)) << c->key;
    hwloc_obj_t h = got_caches[key];
    EXPECT_EQ(static_cast<std::int64_t>(h->attr->cache.size), c->get_int("size").value_or(0));
    EXPECT_EQ(static_cast<std::int64_t>(h->attr->cache.linesize), c->get_int("line_size").value_or(0));
    // hwloc: associativity 1 = direct-mapped; anything else it leaves 0 (unknown).
    EXPECT_EQ(h->attr->cache.associativity, *c->get_string("indexing") == "direct-mapped" ? 1 : 0);
    EXPECT_EQ(h->attr->cache.type, HWLOC_OBJ_CACHE_UNIFIED);
  }
}

TEST(NumaHwlocOracle, EveryCorpusTree) {
  std::vector<std::string> names = corpus_tree_names();
  ASSERT_FALSE(names.empty());
  int compared = 0;
  for (const std::string& n : names) {
    compare_root(corpus_root(n));
    ++compared;
  }
  EXPECT_GE(compared, 11);
}

// The live sysfs takes other paths than a recorded tree: its node folders are
// opened without a listing (FsRoot::Listing::kUnlessLarge), its files read once.
TEST(NumaHwlocOracle, ThisMachine) {
  if (!std::filesystem::exists("/sys/devices/system/node")) GTEST_SKIP() << "no NUMA nodes in this machine's /sys";
  compare_root("/");
}

}  // namespace
}  // namespace accelmap::testing
