// kfd, drm and nvidia fallback providers on recorded trees. Every expectation was read by
// hand from the tree's files (ls, cat), not copied from accelmap's output:
// * rocm-mi308x-cpx: KFD nodes 0-1 are CPU nodes (simd_count 0), nodes 2-33 GPU partitions
//   (simd_count 80, simd_per_cu 4). location_id groups of four consecutive values (2560-2563 =
//   bus 0x0a functions 0-3, 32768-32771 = bus 0x80, ...) -> 8 packages. Each mem_banks/0 has
//   heap_type 1, width 8192, mem_clk_max 1300, size 51539607552 (48 GiB; the fourth partition
//   of each package 51522830336). Every GPU node has 32 io_links (1 CPU + 31 GPUs): 32*31/2 =
//   496 links, of which same-package pairs (weight 13, 819200 MB/s) are 8 * 6 = 48.
// * rocm-mi210-2hives: nodes 2-5 hive_id 12609507387757274807, nodes 6-9 18091350218769748594;
//   io_links xGMI (type 11, weight 15, 50000 MB/s) inside a hive (2 * 6 = 12), p2p_links PCIe
//   (type 2, weight 72, bandwidth 0) across hives (4 * 4 = 16). No mem_banks.
// * rocm-vega10: nodes 1 and 2 both report location_id 6400 (0x1900) and one 2048-bit,
//   945 MHz bank of 17163091968 bytes (a 16 GB HBM2 card).
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "accelmap/discover.h"
#include "test_util.h"

namespace accelmap {
namespace {

using testing::corpus_root;
using testing::make_temp_dir;
using testing::write_file;

FactSet discover_in(const std::string& dir, const std::string& providers) {
  return testing::discover_with(dir, providers);
}

std::string str(const Object* o, const char* attr) {
  if (!o) return "<no object>";
  std::optional<std::string_view> s = o->get_string(attr);
  return s ? std::string(*s) : "<none>";
}

TEST(Kfd, Mi308xCpxPartitionsPackagesAndLinks) {
  FactSet f = discover_in(corpus_root("rocm-mi308x-cpx"), "kfd");
  EXPECT_TRUE(f.diagnostics().empty());
  auto accels = f.of_kind("accelerator");
  ASSERT_EQ(accels.size(), 32u);
  std::map<std::string, std::set<std::string>> packages;
  for (const Object* a : accels) {
    EXPECT_EQ(str(a, "family"), "gpu");
    EXPECT_EQ(a->get_int("compute_units"), 20);  // 80 / 4
    EXPECT_EQ(a->get_int("gfx_target_version"), 90402);
    EXPECT_EQ(str(a, "hive_id"), "2095653680343411291");
    EXPECT_EQ(str(a, "partition_of"), str(a, "package"));
    packages[str(a, "package")].insert(a->key);
  }
  ASSERT_EQ(packages.size(), 8u);
  for (const auto& [pkg, parts] : packages) EXPECT_EQ(parts.size(), 4u) << pkg;
  EXPECT_EQ(packages["pkg:0000:0a:00"],
            (std::set<std::string>{"kfd:node2", "kfd:node3", "kfd:node4", "kfd:node5"}));
  // location_id 32771 = 0x8003: bus 0x80, device 0, function 3.
  EXPECT_EQ(str(f.find("kfd:node9"), "pci"), "pci:0000:80:00.3");
  EXPECT_EQ(str(f.find("kfd:node9"), "package"), "pkg:0000:80:00");
  // Node 2's weight-20 io_link goes to CPU node 0, node 22's to CPU node 1.
  EXPECT_EQ(f.find("kfd:node2")->get_int("numa_node"), 0);
  EXPECT_EQ(f.find("kfd:node22")->get_int("numa_node"), 1);
  EXPECT_NE(f.find("fn:kfd:node2:gpu.compute"), nullptr);

  auto mems = f.of_kind("device_memory");
  ASSERT_EQ(mems.size(), 32u);
  const Object* m2 = f.find("devmem:kfd:node2:0");
  ASSERT_NE(m2, nullptr);
  EXPECT_EQ(str(m2, "kind"), "hbm");
  EXPECT_EQ(m2->get_int("size"), 51539607552);
  EXPECT_EQ(m2->get_int("width"), 8192);
  EXPECT_EQ(m2->get_int("clock_max"), 1300);
  EXPECT_EQ(*m2->get_strings("shared_by"),
            (std::vector<std::string>{"kfd:node2", "kfd:node3", "kfd:node4", "kfd:node5"}));
  EXPECT_EQ(f.find("devmem:kfd:node5:0")->get_int("size"), 51522830336);
  // The four shares of one package add up to the card's 192 GB (less the last one's reserve).
  std::int64_t pkg_total = 0;
  for (int n = 2; n <= 5; ++n) pkg_total += *f.find("devmem:kfd:node" + std::to_string(n) + ":0")->get_int("size");
  EXPECT_EQ(pkg_total, 3 * 51539607552 + 51522830336);

  auto links = f.of_kind("device_link");
  EXPECT_EQ(links.size(), 496u);
  int intra = 0, xgmi = 0;
  for (const Object* l : links) {
    if (str(l, "type") == "intra-package") ++intra;
    if (str(l, "type") == "xgmi") ++xgmi;
  }
  EXPECT_EQ(intra, 48);
  EXPECT_EQ(xgmi, 448);
  const Object* l23 = f.find("link:kfd:node2~kfd:node3");
  ASSERT_NE(l23, nullptr);
  EXPECT_EQ(str(l23, "type"), "intra-package");
  EXPECT_EQ(l23->get_int("bandwidth_max"), 819200);
  EXPECT_EQ(l23->get_int("weight"), 13);
  const Object* l26 = f.find("link:kfd:node2~kfd:node6");
  ASSERT_NE(l26, nullptr);
  EXPECT_EQ(str(l26, "type"), "xgmi");
  EXPECT_EQ(l26->get_int("weight"), 41);
  ASSERT_NE(l26->find("bandwidth_max"), nullptr);
  EXPECT_TRUE(l26->find("bandwidth_max")->value.is_unknown());  // 0 = unknown
  EXPECT_EQ(l26->find("weight")->provenance, Provenance::kFirmware);
}

TEST(Kfd, Mi210TwoHivesJoinedOverPcie) {
  FactSet f = discover_in(corpus_root("rocm-mi210-2hives"), "kfd");
  EXPECT_TRUE(f.diagnostics().empty());
  auto accels = f.of_kind("accelerator");
  ASSERT_EQ(accels.size(), 8u);
  std::map<std::string, std::set<std::string>> hives;
  for (const Object* a : accels) {
    hives[str(a, "hive_id")].insert(a->key);
    EXPECT_EQ(a->get_int("compute_units"), 104);  // 416 / 4
    EXPECT_EQ(a->find("partition_of"), nullptr);  // one node per PCI device
  }
  ASSERT_EQ(hives.size(), 2u);
  EXPECT_EQ(hives["12609507387757274807"],
            (std::set<std::string>{"kfd:node2", "kfd:node3", "kfd:node4", "kfd:node5"}));
  EXPECT_EQ(hives["18091350218769748594"],
            (std::set<std::string>{"kfd:node6", "kfd:node7", "kfd:node8", "kfd:node9"}));
  EXPECT_EQ(str(f.find("kfd:node2"), "pci"), "pci:0000:63:00.0");  // 25344 = 0x6300
  EXPECT_EQ(f.find("kfd:node2")->get_int("numa_node"), 0);
  EXPECT_EQ(f.find("kfd:node6")->get_int("numa_node"), 1);
  EXPECT_TRUE(f.of_kind("device_memory").empty());
  auto links = f.of_kind("device_link");
  EXPECT_EQ(links.size(), 28u);
  int xgmi = 0, pcie = 0;
  for (const Object* l : links) {
    const std::string a(*l->get_string("a"));
    const std::string b(*l->get_string("b"));
    bool same_hive = str(f.find(a), "hive_id") == str(f.find(b), "hive_id");
    if (str(l, "type") == "xgmi") {
      ++xgmi;
      EXPECT_TRUE(same_hive) << l->key;
      EXPECT_EQ(l->get_int("bandwidth_max"), 50000);
      EXPECT_EQ(l->get_int("weight"), 15);
    } else if (str(l, "type") == "pcie") {
      ++pcie;
      EXPECT_FALSE(same_hive) << l->key;
      EXPECT_EQ(l->get_int("weight"), 72);
      EXPECT_EQ(l->get_bool("indirect"), true);
    }
  }
  EXPECT_EQ(xgmi, 12);
  EXPECT_EQ(pcie, 16);
}

TEST(Kfd, Vega10HbmCard) {
  FactSet f = discover_in(corpus_root("rocm-vega10"), "kfd");
  const Object* m = f.find("devmem:kfd:node1:0");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(str(m, "kind"), "hbm");  // 2048-bit bus
  EXPECT_EQ(m->get_int("size"), 17163091968);
  EXPECT_EQ(m->get_int("clock_max"), 945);
  EXPECT_EQ(str(f.find("kfd:node1"), "pci"), "pci:0000:19:00.0");
  // Both nodes report the same location: the same physical card, memory shared.
  EXPECT_EQ(str(f.find("kfd:node1"), "package"), str(f.find("kfd:node2"), "package"));
  EXPECT_EQ(m->get_strings("shared_by")->size(), 2u);
  EXPECT_EQ(f.find("kfd:node1")->get_int("compute_units"), 64);  // 256 / 4
  EXPECT_EQ(f.find("kfd:node1")->find("hive_id"), nullptr);
}

TEST(Kfd, MalformedPropertiesAreDiagnosed) {
  std::string r = make_temp_dir();
  const std::string nodes = "sys/class/kfd/kfd/topology/nodes/";
  write_file(r, nodes + "0/properties", "cpu_cores_count 4\nsimd_count 0\n");
  write_file(r, nodes + "1/properties",
             "simd_count 64\nsimd_per_cu 4\nthis is garbage\nlocation_id 768\ndomain 0\nvendor_id 4098\n");
  write_file(r, nodes + "1/mem_banks/0/properties", "heap_type 1\nsize_in_bytes 8589934592\nwidth 256\n");
  write_file(r, nodes + "1/io_links/0/properties", "type 2\nnode_from 1\nnode_to 0\nweight 20\n");
  write_file(r, nodes + "1/io_links/1/properties", "type 11\nnode_from 1\nnode_to 7\nweight 15\n");
  write_file(r, nodes + "2/gpu_id", "1234\n");  // properties missing
  FactSet f = discover_in(r, "kfd");
  const Object* g = f.find("kfd:node1");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->get_int("compute_units"), 16);
  EXPECT_EQ(str(g, "pci"), "pci:0000:03:00.0");
  EXPECT_EQ(g->get_int("numa_node"), 0);
  EXPECT_EQ(str(f.find("devmem:kfd:node1:0"), "kind"), "gddr");  // 256-bit frame buffer
  EXPECT_EQ(f.find("kfd:node2"), nullptr);
  bool garbage = false, missing = false, dangling = false;
  for (const auto& d : f.diagnostics()) {
    EXPECT_EQ(d.provider, "kfd");
    if (d.path == "/" + nodes + "1/properties" && d.message.find("malformed") != std::string::npos) garbage = true;
    if (d.path.find("nodes/2/properties") != std::string::npos || d.message.find("nodes/2/properties") != std::string::npos)
      missing = true;
    if (d.path == "/" + nodes + "1/io_links/1/properties") dangling = true;
  }
  EXPECT_TRUE(garbage);
  EXPECT_TRUE(missing);
  EXPECT_TRUE(dangling);
  EXPECT_TRUE(f.of_kind("device_link").empty());
}

TEST(Drm, AmdgpuVramAndDisplayOnlyCards) {
  // procfs-crypto-amdgpu: card0 -> amdgpu (mem_info_vram_total 8573157376, vendor samsung),
  // card1 -> i915; neither device folder is a PCI path in this recording.
  FactSet f = discover_in(corpus_root("procfs-crypto-amdgpu"), "drm");
  const Object* c0 = f.find("drm:card0");
  ASSERT_NE(c0, nullptr);
  EXPECT_EQ(str(c0, "driver"), "amdgpu");
  EXPECT_EQ(c0->get_int("device_id"), 0x687f);
  EXPECT_TRUE(c0->find("numa_node")->value.is_unknown());  // -1
  const Object* m = f.find("devmem:drm:card0:0");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->get_int("size"), 8573157376);
  EXPECT_EQ(str(m, "kind"), "unknown");
  EXPECT_EQ(str(m, "manufacturer"), "samsung");
  EXPECT_NE(f.find("fn:drm:card0:gpu.compute"), nullptr);
  EXPECT_EQ(str(f.find("drm:card1"), "driver"), "i915");

  // hwloc-2pa-pcidomain32bits: card0 is a cirrus display adapter; card0-VGA-1 a connector.
  FactSet g = discover_in(corpus_root("hwloc-2pa-pcidomain32bits"), "drm");
  EXPECT_TRUE(g.of_kind("accelerator").empty());
  ASSERT_EQ(g.diagnostics().size(), 1u);
  EXPECT_NE(g.diagnostics()[0].message.find("cirrus"), std::string::npos);
}

TEST(Drm, NvidiaWithoutProcfsFallsBackToPci) {
  // ghw-p100-passthrough: 0000:06:00.0 class 0x030200 bound to nvidia, numa_node -1,
  // no /proc/driver/nvidia and no /sys/class/drm.
  FactSet f = discover_in(corpus_root("ghw-p100-passthrough"), "pci,nvidia_procfs,drm");
  auto accels = f.of_kind("accelerator");
  ASSERT_EQ(accels.size(), 1u);
  const Object* g = f.find("gpu:0000:06:00.0");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(str(g, "pci"), "pci:0000:06:00.0");
  EXPECT_EQ(str(g, "family"), "gpu");
  const Object* fn = f.find("fn:gpu:0000:06:00.0:gpu.compute");
  ASSERT_NE(fn, nullptr);
  EXPECT_EQ(fn->find("name")->provenance, Provenance::kNominal);
}

}  // namespace
}  // namespace accelmap
