// Unit tests of the cpu, numa, hmat and memory_tiers providers on hand-made
// trees (formats from Documentation/ABI/stable/sysfs-devices-node,
// sysfs-devices-system-cpu and testing/sysfs-kernel-mm-memory-tiers).
#include <gtest/gtest.h>

#include <filesystem>

#include "accelmap/provider.h"
#include "platform_test_util.h"
#include "test_util.h"

namespace accelmap::testing {
namespace {

const std::string kNode = "sys/devices/system/node/";

TEST(NumaProvider, NoNodeDirectoryIsSilent) {
  std::string root = make_temp_dir();
  write_file(root, "proc/version", "Linux version 2.6.9\n");
  FactSet f = discover_with(root, "numa,hmat,memory_tiers");
  EXPECT_TRUE(f.objects().empty());
  EXPECT_TRUE(f.diagnostics().empty()) << diagnostics_text(f);
}

TEST(NumaProvider, SparseLargeNodeIds) {
  // POWER9 + V100 style: GPU memory as nodes 252..255, no CPUs there.
  std::string root = make_temp_dir();
  write_file(root, kNode + "possible", "0-255\n");
  write_file(root, kNode + "online", "0,252-255\n");
  write_file(root, kNode + "has_cpu", "0\n");
  write_file(root, kNode + "has_memory", "0,252-255\n");
  std::vector<std::uint32_t> nodes = {0, 252, 253, 254, 255};
  for (std::uint32_t n : nodes) {
    std::string d = kNode + "node" + std::to_string(n) + "/";
    write_file(root, d + "cpulist", n == 0 ? "0-3\n" : "\n");
    write_file(root, d + "meminfo", "Node " + std::to_string(n) + " MemTotal:       15728640 kB\nNode " +
                                        std::to_string(n) + " MemFree: 1 kB\n");
    write_file(root, d + "distance", n == 0 ? "10 80 80 80 80\n" : "80 10 80 80 80\n");
  }
  FactSet f = discover_with(root, "numa");
  EXPECT_TRUE(f.diagnostics().empty()) << diagnostics_text(f);
  ASSERT_EQ(f.of_kind("numa_node").size(), 5u);
  const Object* n255 = f.find("numa:255");
  ASSERT_NE(n255, nullptr);
  EXPECT_EQ(n255->get_bool("online"), true);
  EXPECT_EQ(n255->get_bool("possible"), true);
  EXPECT_EQ(n255->get_bool("has_cpu"), false);
  EXPECT_EQ(n255->get_bool("has_memory"), true);
  EXPECT_EQ(n255->find("has_normal_memory"), nullptr);  // no such list file
  EXPECT_EQ(n255->get_int("capacity"), 15728640LL * 1024);
  ASSERT_NE(n255->get_ids("cpus"), nullptr);
  EXPECT_TRUE(n255->get_ids("cpus")->ids.empty());
  ASSERT_NE(n255->get_ints("distances"), nullptr);
  EXPECT_EQ(*n255->get_ints("distances"), (std::vector<std::int64_t>{80, 10, 80, 80, 80}));
  EXPECT_EQ(*n255->get_ids("distance_nodes"), ids("0,252-255"));
  EXPECT_EQ(n255->find("distances")->unit, Unit::kRelative);
  EXPECT_EQ(n255->find("distances")->provenance, Provenance::kFirmware);
  EXPECT_EQ(*f.find("numa:0")->get_ids("cpus"), ids("0-3"));
  EXPECT_EQ(f.find("numa:1"), nullptr);  // possible only: no object
}

TEST(NumaProvider, MismatchedDistanceRowIsDiagnosedAndDropped) {
  std::string root = make_temp_dir();
  write_file(root, kNode + "online", "0-1\n");
  write_file(root, kNode + "node0/distance", "10 20 30\n");
  write_file(root, kNode + "node1/distance", "20 10\n");
  FactSet f = discover_with(root, "numa");
  const Object* n0 = f.find("numa:0");
  ASSERT_NE(n0, nullptr);
  EXPECT_EQ(n0->find("distances"), nullptr);
  EXPECT_EQ(n0->find("distance_nodes"), nullptr);
  EXPECT_EQ(*f.find("numa:1")->get_ints("distances"), (std::vector<std::int64_t>{20, 10}));
  ASSERT_EQ(f.diagnostics().size(), 1u) << diagnostics_text(f);
  EXPECT_EQ(f.diagnostics()[0].provider, "numa");
  EXPECT_EQ(f.diagnostics()[0].path, "/sys/devices/system/node/node0/distance");
  EXPECT_EQ(f.diagnostics()[0].message, "distance row has 3 entries but 2 nodes are online");
}

TEST(NumaProvider, GarbageMeminfoAndMissingFilesAreOptional) {
  std::string root = make_temp_dir();
  write_file(root, kNode + "online", "0-2\n");
  write_file(root, kNode + "node0/meminfo", "Node 0 MemTotal: lots kB\n");
  write_file(root, kNode + "node1/meminfo", "garbage\n");
  write_file(root, kNode + "node2/power/async", "disabled\n");  // a node dir with nothing useful
  FactSet f = discover_with(root, "numa");
  ASSERT_EQ(f.of_kind("numa_node").size(), 3u);
  for (const char* k : {"numa:0", "numa:1", "numa:2"}) {
    EXPECT_EQ(f.find(k)->find("capacity"), nullptr) << k;
    EXPECT_EQ(f.find(k)->find("cpus"), nullptr) << k;
  }
  ASSERT_EQ(f.diagnostics().size(), 2u) << diagnostics_text(f);
  EXPECT_EQ(f.diagnostics()[0].path, "/sys/devices/system/node/node0/meminfo");
  EXPECT_EQ(f.diagnostics()[0].message, "no valid MemTotal line");
  EXPECT_EQ(f.diagnostics()[1].path, "/sys/devices/system/node/node1/meminfo");
}

TEST(NumaProvider, CpumapFallbackAndTrailingNul) {
  // 2.6.x kernels: no cpulist, node lists end in a NUL byte.
  std::string root = make_temp_dir();
  write_file(root, kNode + "online", std::string("0-1\n\0", 5));
  write_file(root, kNode + "has_cpu", std::string("0-1\n\0", 5));
  write_file(root, kNode + "node0/cpumap", "00000000,000000f0\n");
  write_file(root, kNode + "node1/cpumap", "garbage\n");
  FactSet f = discover_with(root, "numa");
  EXPECT_EQ(*f.find("numa:0")->get_ids("cpus"), ids("4-7"));
  EXPECT_EQ(f.find("numa:0")->find("cpus")->source, "/sys/devices/system/node/node0/cpumap");
  EXPECT_EQ(f.find("numa:1")->get_bool("has_cpu"), true);
  EXPECT_EQ(f.find("numa:1")->find("cpus"), nullptr);
  ASSERT_EQ(f.diagnostics().size(), 1u) << diagnostics_text(f);
  EXPECT_EQ(f.diagnostics()[0].path, "/sys/devices/system/node/node1/cpumap");
}

TEST(NumaProvider, NoOnlineFileUsesNodeDirectories) {
  std::string root = make_temp_dir();
  write_file(root, kNode + "node0/distance", "10 20\n");
  write_file(root, kNode + "node3/distance", "20 10\n");
  FactSet f = discover_with(root, "numa");
  EXPECT_TRUE(f.diagnostics().empty()) << diagnostics_text(f);
  EXPECT_EQ(f.find("numa:3")->get_bool("online"), true);
  EXPECT_EQ(*f.find("numa:3")->get_ids("distance_nodes"), ids("0,3"));
}

// Nodes 0-1 online; node 1's access class 0 has node 0 as its initiator and a
// read bandwidth of 5000 MB/s. Returns that initiators folder.
std::string write_node1_access0(const std::string& root) {
  write_file(root, kNode + "online", "0-1\n");
  std::string a = kNode + "node1/access0/initiators/";
  make_link(root, a + "node0", "../../../node0");
  write_file(root, a + "read_bandwidth", "5000\n");
  return a;
}

TEST(HmatProvider, ZeroIsNullAndInitiatorOnlyNodesHaveNoObject) {
  std::string root = make_temp_dir();
  const std::string a = write_node1_access0(root);
  write_file(root, a + "write_bandwidth", "0\n");
  write_file(root, a + "read_latency", "120\n");
  write_file(root, a + "write_latency", "0\n");
  // An initiator node: targets/ links and an empty initiators/ directory.
  std::filesystem::create_directories(root + "/" + kNode + "node0/access0/initiators");
  make_link(root, kNode + "node0/access0/targets/node1", "../../../node1");
  FactSet f = discover_with(root, "hmat");
  EXPECT_TRUE(f.diagnostics().empty()) << diagnostics_text(f);
  ASSERT_EQ(f.of_kind("hmat_access").size(), 1u);
  const Object* o = f.find("hmat:numa:1:access0");
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->get_int("target"), 1);
  EXPECT_EQ(o->get_int("access_class"), 0);
  EXPECT_EQ(*o->get_ids("initiators"), ids("0"));
  EXPECT_EQ(o->get_int("read_bandwidth"), 5000);
  EXPECT_EQ(o->find("read_bandwidth")->unit, Unit::kMBps);
  EXPECT_EQ(o->find("read_bandwidth")->provenance, Provenance::kFirmware);
  EXPECT_EQ(o->get_int("read_latency"), 120);
  EXPECT_EQ(o->find("read_latency")->unit, Unit::kNs);
  ASSERT_NE(o->find("write_bandwidth"), nullptr);
  EXPECT_TRUE(o->find("write_bandwidth")->value.is_unknown());
  EXPECT_TRUE(o->find("write_latency")->value.is_unknown());
}

// numa keeps what it saw of each node's folder (ProbeContext::remember_listing)
// and hmat takes it instead of opening and listing the folder again: a kept
// listing without the access folder hides it, and a folder kept as "too large
// to list" is probed by name.
TEST(HmatProvider, TakesTheNodeListingsAnEarlierProviderKept) {
  std::string root = make_temp_dir();
  write_node1_access0(root);
  std::filesystem::create_directories(root + "/" + kNode + "node0");
  auto fs = FsRoot::open(root);
  ASSERT_TRUE(fs.has_value());
  const Provider* hmat = nullptr;
  auto providers = builtin_providers();
  for (const auto& p : providers)
    if (p->name() == "hmat") hmat = p.get();
  ASSERT_NE(hmat, nullptr);
  DiscoverOptions options;
  auto run = [&](ListingMemo* memo) {
    FactSet facts;
    ProbeContext ctx(*fs, options, FunctionCatalog::builtin(), "hmat", facts);
    ctx.set_listing_memo(memo);
    hmat->probe(ctx);
    return facts;
  };
  const std::string node1 = "/" + kNode + "node1";
  EXPECT_NE(run(nullptr).find("hmat:numa:1:access0"), nullptr);  // no memo: listed afresh
  ListingMemo kept_without_access;
  kept_without_access[node1] = std::vector<DirEntry>{};
  EXPECT_EQ(run(&kept_without_access).find("hmat:numa:1:access0"), nullptr);
  // Asked by name, the classes are asked from 0 until one is not there: node1's
  // access1 is found after its access0, and node0 (no classes) costs one question.
  const std::string a1 = kNode + "node1/access1/initiators/";
  make_link(root, a1 + "node0", "../../../node0");
  write_file(root, a1 + "read_latency", "90\n");
  ListingMemo kept_unlisted;
  kept_unlisted[node1] = std::nullopt;
  kept_unlisted["/" + kNode + "node0"] = std::nullopt;
  const FactSet by_name = run(&kept_unlisted);
  ASSERT_NE(by_name.find("hmat:numa:1:access0"), nullptr);
  EXPECT_EQ(by_name.find("hmat:numa:1:access0")->get_int("read_bandwidth"), 5000);
  ASSERT_NE(by_name.find("hmat:numa:1:access1"), nullptr);
  EXPECT_EQ(by_name.find("hmat:numa:1:access1")->get_int("read_latency"), 90);
  EXPECT_EQ(by_name.of_kind("hmat_access").size(), 2u);
  EXPECT_TRUE(by_name.diagnostics().empty()) << diagnostics_text(by_name);
  // A class after a gap (which the kernel never leaves: a target gets 0 and 1
  // together) is found by a listing only: asked by name, node0's stops at access0.
  const std::string gap = kNode + "node0/access2/initiators/";
  make_link(root, gap + "node1", "../../../node1");
  write_file(root, gap + "read_latency", "300\n");
  EXPECT_NE(run(nullptr).find("hmat:numa:0:access2"), nullptr);
  EXPECT_EQ(run(&kept_unlisted).find("hmat:numa:0:access2"), nullptr);
  std::filesystem::remove_all(root + "/" + kNode + "node0/access2");
  // In a whole pass numa keeps the listings hmat then reads: the same object as hmat's alone.
  const FactSet pass = discover_with(root, "numa,hmat"), alone = discover_with(root, "hmat");
  ASSERT_NE(pass.find("hmat:numa:1:access0"), nullptr);
  EXPECT_EQ(*pass.find("hmat:numa:1:access0"), *alone.find("hmat:numa:1:access0"));
}

TEST(HmatProvider, MemorySideCacheEncodings) {
  std::string root = make_temp_dir();
  const std::pair<const char*, const char*> cases[] = {{"0", "0"}, {"1", "1"}, {"2", "2"}};
  int i = 1;
  for (auto [indexing, policy] : cases) {
    std::string d = kNode + "node0/memory_side_cache/index" + std::to_string(i++) + "/";
    write_file(root, d + "size", "1073741824\n");
    write_file(root, d + "line_size", "64\n");
    write_file(root, d + "indexing", std::string(indexing) + "\n");
    write_file(root, d + "write_policy", std::string(policy) + "\n");
  }
  FactSet f = discover_with(root, "hmat");
  ASSERT_EQ(f.of_kind("memory_side_cache").size(), 3u);
  const Object* c1 = f.find("memcache:numa:0:index1");
  ASSERT_NE(c1, nullptr);
  EXPECT_EQ(c1->get_int("node"), 0);
  EXPECT_EQ(c1->get_int("level"), 1);
  EXPECT_EQ(c1->get_int("size"), 1073741824);
  EXPECT_EQ(c1->get_int("line_size"), 64);
  EXPECT_EQ(*c1->get_string("indexing"), "direct-mapped");
  EXPECT_EQ(*c1->get_string("write_policy"), "write-back");
  EXPECT_EQ(*f.find("memcache:numa:0:index2")->get_string("indexing"), "indexed");
  EXPECT_EQ(*f.find("memcache:numa:0:index2")->get_string("write_policy"), "write-through");
  EXPECT_EQ(*f.find("memcache:numa:0:index3")->get_string("indexing"), "other");
  EXPECT_EQ(*f.find("memcache:numa:0:index3")->get_string("write_policy"), "other");
}

TEST(MemoryTiersProvider, HandMadeTiers) {
  // Hand-written after Documentation/ABI/testing/sysfs-kernel-mm-memory-tiers:
  // DRAM in memory_tier4 (adistance 576), kmem-onlined CXL in memory_tier22.
  std::string root = make_temp_dir();
  const std::string t = "sys/devices/virtual/memory_tiering/";
  write_file(root, t + "memory_tier4/nodelist", "0-1\n");
  write_file(root, t + "memory_tier22/nodes", "2\n");  // the ABI draft's name, still accepted
  write_file(root, t + "memory_tier30/nodelist", "1-x\n");
  write_file(root, t + "power/async", "disabled\n");
  FactSet f = discover_with(root, "memory_tiers");
  ASSERT_EQ(f.of_kind("memory_tier").size(), 3u);
  EXPECT_EQ(*f.find("tier:4")->get_ids("nodes"), ids("0-1"));
  EXPECT_EQ(f.find("tier:4")->get_int("abstract_distance_chunk"), 4);
  EXPECT_EQ(*f.find("tier:22")->get_ids("nodes"), ids("2"));
  EXPECT_EQ(f.find("tier:30")->find("nodes"), nullptr);
  ASSERT_EQ(f.diagnostics().size(), 1u) << diagnostics_text(f);
  EXPECT_EQ(f.diagnostics()[0].path, "/sys/devices/virtual/memory_tiering/memory_tier30/nodelist");
}

TEST(CpuProvider, OfflineCpusAndUnknownPackage) {
  std::string root = make_temp_dir();
  const std::string c = "sys/devices/system/cpu/";
  write_file(root, c + "online", "0,2\n");
  write_file(root, c + "possible", "0-7\n");
  for (int n : {0, 2}) {
    write_file(root, c + "cpu" + std::to_string(n) + "/topology/physical_package_id", n == 0 ? "1\n" : "-1\n");
    write_file(root, c + "cpu" + std::to_string(n) + "/topology/core_id", std::to_string(n) + "\n");
  }
  write_file(root, c + "cpu0/topology/die_id", "0\n");
  write_file(root, c + "cpu1/online", "0\n");  // offline: no topology/
  write_file(root, c + "cpufreq/policy0/x", "");
  FactSet f = discover_with(root, "cpu");
  EXPECT_TRUE(f.diagnostics().empty()) << diagnostics_text(f);
  ASSERT_EQ(f.of_kind("cpu").size(), 3u);
  EXPECT_EQ(f.find("cpu:0")->get_int("package_id"), 1);
  EXPECT_EQ(f.find("cpu:0")->get_int("die_id"), 0);
  EXPECT_EQ(f.find("cpu:0")->get_bool("online"), true);
  EXPECT_EQ(f.find("cpu:1")->get_bool("online"), false);
  EXPECT_EQ(f.find("cpu:1")->get_bool("possible"), true);
  EXPECT_EQ(f.find("cpu:1")->find("core_id"), nullptr);
  ASSERT_NE(f.find("cpu:2")->find("package_id"), nullptr);
  EXPECT_TRUE(f.find("cpu:2")->find("package_id")->value.is_unknown());
  EXPECT_EQ(f.find("cpu:2")->get_int("core_id"), 2);
  EXPECT_EQ(f.find("cpu:2")->find("die_id"), nullptr);
}

TEST(CpuProvider, NoOnlineListUsesTopologyPresence) {
  std::string root = make_temp_dir();
  const std::string c = "sys/devices/system/cpu/";
  write_file(root, c + "cpu0/topology/core_id", "0\n");
  write_file(root, c + "cpu1/crash_notes", "0\n");
  FactSet f = discover_with(root, "cpu");
  EXPECT_EQ(f.find("cpu:0")->get_bool("online"), true);
  EXPECT_EQ(f.find("cpu:1")->get_bool("online"), false);
  EXPECT_EQ(f.find("cpu:0")->find("possible"), nullptr);
}

}  // namespace
}  // namespace accelmap::testing
