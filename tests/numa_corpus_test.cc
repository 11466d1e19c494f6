// cpu/numa/hmat providers on recorded trees. Every expectation below was read
// by hand from the recorded files (cat), not from accelmap's own output.
#include <gtest/gtest.h>

#include "platform_test_util.h"
#include "test_util.h"

namespace accelmap::testing {
namespace {

const char* kPlatform = "cpu,numa,hmat,memory_tiers";

bool is_null(const Object* o, const char* attr) {
  const Attr* a = o ? o->find(attr) : nullptr;
  return a && a->value.is_unknown();
}

TEST(NumaCorpus, FakeHeteroMemTiers) {
  FactSet f = discover_with(corpus_root("hwloc-fakeheteromemtiers"), kPlatform);
  EXPECT_TRUE(f.diagnostics().empty()) << diagnostics_text(f);
  // online "0-2,4,6,8-9" (possible 0-9): 3, 5 and 7 have no directory.
  std::vector<std::string> keys;
  for (const Object* o : f.of_kind("numa_node")) keys.push_back(o->key);
  EXPECT_EQ(keys, (std::vector<std::string>{"numa:0", "numa:1", "numa:2", "numa:4", "numa:6", "numa:8", "numa:9"}));
  const Object* n0 = f.find("numa:0");
  EXPECT_EQ(*n0->get_ids("cpus"), ids("0-1"));
  EXPECT_EQ(n0->get_int("capacity"), 3005392LL * 1024);
  EXPECT_EQ(n0->get_bool("has_normal_memory"), true);
  EXPECT_EQ(n0->get_bool("generic_initiator"), false);  // has_generic_initiator is empty
  EXPECT_EQ(*n0->get_ints("distances"), (std::vector<std::int64_t>{10, 20, 20, 20, 20, 20, 20}));
  EXPECT_EQ(*n0->get_ids("distance_nodes"), ids("0-2,4,6,8-9"));
  const Object* n6 = f.find("numa:6");
  EXPECT_TRUE(n6->get_ids("cpus")->ids.empty());
  EXPECT_EQ(n6->get_int("capacity"), 393216LL * 1024);
  EXPECT_EQ(n6->get_bool("has_cpu"), false);
  EXPECT_EQ(n6->get_bool("has_normal_memory"), false);
  EXPECT_EQ(*n6->get_ints("distances"), (std::vector<std::int64_t>{20, 20, 20, 20, 10, 20, 20}));

  // access1 only (no access0 in this tree); latencies are 0 = unknown.
  EXPECT_EQ(f.of_kind("hmat_access").size(), 7u);
  EXPECT_EQ(f.find("hmat:numa:0:access0"), nullptr);
  const Object* a2 = f.find("hmat:numa:2:access1");
  ASSERT_NE(a2, nullptr);
  EXPECT_EQ(*a2->get_ids("initiators"), ids("2"));
  EXPECT_EQ(a2->get_int("read_bandwidth"), 10000);
  EXPECT_EQ(a2->get_int("write_bandwidth"), 10000);
  EXPECT_TRUE(is_null(a2, "read_latency"));
  EXPECT_TRUE(is_null(a2, "write_latency"));
  const Object* a4 = f.find("hmat:numa:4:access1");
  EXPECT_EQ(*a4->get_ids("initiators"), ids("1"));
  EXPECT_EQ(a4->get_int("read_bandwidth"), 10000);
  const Object* a8 = f.find("hmat:numa:8:access1");
  EXPECT_EQ(*a8->get_ids("initiators"), ids("0"));
  EXPECT_EQ(a8->get_int("read_bandwidth"), 100);
  const Object* a9 = f.find("hmat:numa:9:access1");
  EXPECT_EQ(*a9->get_ids("initiators"), ids("2"));
  EXPECT_EQ(a9->get_int("write_bandwidth"), 100);
  EXPECT_EQ(f.find("hmat:numa:1:access1")->get_int("read_bandwidth"), 1000);

  EXPECT_EQ(f.of_kind("cpu").size(), 6u);
  EXPECT_TRUE(f.of_kind("memory_tier").empty());  // predates memory_tiering despite the name
}

TEST(NumaCorpus, FakeMemInitiatorsGenericInitiator) {
  FactSet f = discover_with(corpus_root("hwloc-fakememinitiators-1np2c+1npp+gi"), kPlatform);
  EXPECT_TRUE(f.diagnostics().empty()) << diagnostics_text(f);
  EXPECT_EQ(f.of_kind("numa_node").size(), 11u);
  const Object* n4 = f.find("numa:4");
  EXPECT_EQ(n4->get_bool("generic_initiator"), true);
  EXPECT_EQ(n4->get_bool("has_cpu"), false);
  EXPECT_EQ(n4->get_bool("has_memory"), false);
  EXPECT_TRUE(n4->get_ids("cpus")->ids.empty());  // cpumap 0000,00000000,00000000
  EXPECT_EQ(n4->find("cpus")->source, "/sys/devices/system/node/node4/cpumap");  // no cpulist in this tree
  EXPECT_EQ(*n4->get_ints("distances"), (std::vector<std::int64_t>{12, 31, 12, 31, 10, 15, 15, 13, 31, 31, 13}));
  EXPECT_EQ(f.find("numa:5")->get_bool("generic_initiator"), false);
  EXPECT_EQ(*f.find("numa:1")->get_ids("cpus"), ids("2-3"));    // cpumap ...0c
  EXPECT_EQ(*f.find("numa:3")->get_ids("cpus"), ids("6-7"));    // cpumap ...c0
  EXPECT_EQ(f.find("numa:0")->get_int("capacity"), 0);          // "MemTotal: 0 kB" is a real 0 (CPU-only node)
  EXPECT_EQ(f.find("numa:10")->get_int("capacity"), 780140544LL * 1024);

  // node5: access0 = the Generic Initiator, access1 = the best CPU node.
  const Object* a50 = f.find("hmat:numa:5:access0");
  ASSERT_NE(a50, nullptr);
  EXPECT_EQ(*a50->get_ids("initiators"), ids("4"));
  EXPECT_EQ(a50->get_int("read_bandwidth"), 419431);
  EXPECT_EQ(a50->get_int("write_bandwidth"), 419431);
  EXPECT_EQ(a50->get_int("read_latency"), 8);
  EXPECT_EQ(a50->get_int("write_latency"), 8);
  const Object* a51 = f.find("hmat:numa:5:access1");
  EXPECT_EQ(*a51->get_ids("initiators"), ids("0"));
  EXPECT_EQ(a51->get_int("read_bandwidth"), 131072);
  EXPECT_EQ(a51->get_int("read_latency"), 26);
  // node7: access0 GI at 8192 MB/s / 8 ns, access1 CPUs 0+2 at 78644 / 77.
  EXPECT_EQ(*f.find("hmat:numa:7:access0")->get_ids("initiators"), ids("4"));
  EXPECT_EQ(f.find("hmat:numa:7:access0")->get_int("read_bandwidth"), 8192);
  EXPECT_EQ(*f.find("hmat:numa:7:access1")->get_ids("initiators"), ids("0,2"));
  EXPECT_EQ(f.find("hmat:numa:7:access1")->get_int("write_latency"), 77);
  EXPECT_EQ(*f.find("hmat:numa:10:access1")->get_ids("initiators"), ids("1,3"));
  // Initiator nodes (0-4) only have targets/: no access objects.
  for (int n = 0; n <= 4; ++n)
    for (int c = 0; c <= 1; ++c)
      EXPECT_EQ(f.find("hmat:numa:" + std::to_string(n) + ":access" + std::to_string(c)), nullptr) << n;
  // 6 targets (5-10) x 2 classes.
  EXPECT_EQ(f.of_kind("hmat_access").size(), 12u);
  EXPECT_EQ(f.of_kind("cpu").size(), 8u);
}

TEST(NumaCorpus, MemorySideCachesAllZeroHmat) {
  FactSet f = discover_with(corpus_root("hwloc-memorysidecaches"), kPlatform);
  EXPECT_TRUE(f.diagnostics().empty()) << diagnostics_text(f);
  ASSERT_EQ(f.of_kind("hmat_access").size(), 4u);
  for (int n = 0; n < 4; ++n) {
    const Object* a = f.find("hmat:numa:" + std::to_string(n) + ":access0");
    ASSERT_NE(a, nullptr) << n;
    EXPECT_EQ(*a->get_ids("initiators"), ids(std::to_string(n)));
    for (const char* attr : {"read_bandwidth", "write_bandwidth", "read_latency", "write_latency"})
      EXPECT_TRUE(is_null(a, attr)) << n << " " << attr;
    const Object* c = f.find("memcache:numa:" + std::to_string(n) + ":index1");
    ASSERT_NE(c, nullptr) << n;
    EXPECT_EQ(c->get_int("size"), 103079215104LL);
    EXPECT_EQ(c->get_int("line_size"), 64);
    EXPECT_EQ(c->get_int("level"), 1);
    EXPECT_EQ(*c->get_string("indexing"), "direct-mapped");
    EXPECT_EQ(*c->get_string("write_policy"), "write-back");
  }
  EXPECT_EQ(f.of_kind("memory_side_cache").size(), 4u);
  EXPECT_EQ(*f.find("numa:1")->get_ids("cpus"), ids("1,5,9,13,17,21,25,29,33,37,41,45,49,53,57,61,65,69,73,77"));
  EXPECT_EQ(f.find("numa:3")->get_int("capacity"), 390162812LL * 1024);
  EXPECT_EQ(*f.find("numa:2")->get_ints("distances"), (std::vector<std::int64_t>{11, 21, 10, 21}));
  EXPECT_EQ(f.of_kind("cpu").size(), 80u);
}

TEST(NumaCorpus, Ia64SixtyFourNodesNoStateLists) {
  // 2.6-era ia64: no online/possible/has_* files, cpumap only.
  FactSet f = discover_with(corpus_root("hwloc-256ia64-64n2s2c"), kPlatform);
  EXPECT_TRUE(f.diagnostics().empty()) << diagnostics_text(f);
  ASSERT_EQ(f.of_kind("numa_node").size(), 64u);
  const Object* n63 = f.find("numa:63");
  EXPECT_EQ(n63->get_bool("online"), true);
  EXPECT_EQ(n63->find("possible"), nullptr);
  EXPECT_EQ(*n63->get_ids("cpus"), ids("252-255"));
  EXPECT_EQ(n63->get_int("capacity"), 8054560LL * 1024);
  ASSERT_NE(n63->get_ints("distances"), nullptr);
  EXPECT_EQ(n63->get_ints("distances")->size(), 64u);
  EXPECT_EQ(n63->get_ints("distances")->back(), 10);
  EXPECT_EQ((*n63->get_ints("distances"))[0], 34);
  EXPECT_EQ((*n63->get_ints("distances"))[52], 26);
  EXPECT_EQ(*n63->get_ids("distance_nodes"), ids("0-63"));
  ASSERT_EQ(f.of_kind("cpu").size(), 256u);
  EXPECT_EQ(f.find("cpu:252")->get_int("package_id"), 32256);
  EXPECT_EQ(f.find("cpu:255")->get_int("package_id"), 32259);
  EXPECT_EQ(f.find("cpu:4")->get_int("package_id"), 512);
  EXPECT_EQ(f.find("cpu:5")->get_int("core_id"), 1);
  EXPECT_EQ(f.find("cpu:255")->get_bool("online"), true);  // topology/ present, no online list
  EXPECT_TRUE(f.of_kind("hmat_access").empty());
}

TEST(NumaCorpus, Amd16SlitDistances) {
  FactSet f = discover_with(corpus_root("hwloc-16amd64-8n2c"), kPlatform);
  EXPECT_TRUE(f.diagnostics().empty()) << diagnostics_text(f);
  ASSERT_EQ(f.of_kind("numa_node").size(), 8u);
  EXPECT_EQ(*f.find("numa:0")->get_ints("distances"), (std::vector<std::int64_t>{10, 20, 20, 20, 20, 20, 20, 20}));
  EXPECT_EQ(*f.find("numa:7")->get_ints("distances"), (std::vector<std::int64_t>{20, 20, 20, 20, 20, 20, 20, 10}));
  EXPECT_EQ(*f.find("numa:7")->get_ids("cpus"), ids("14-15"));
  EXPECT_EQ(f.find("numa:0")->get_int("capacity"), 8386704LL * 1024);
  EXPECT_EQ(f.find("numa:7")->get_int("capacity"), 8388608LL * 1024);
  EXPECT_EQ(f.find("numa:0")->find("has_memory"), nullptr);  // 2.6.2x: no has_memory file
  EXPECT_EQ(f.of_kind("cpu").size(), 16u);
}

TEST(NumaCorpus, TrailingNulNodeLists) {
  // This 2.6.x recording ends online/possible/has_cpu with "\n\0".
  FactSet f = discover_with(corpus_root("hwloc-32em64t-2n8c+dax+nvme+mic+dimms"), kPlatform);
  EXPECT_TRUE(f.diagnostics().empty()) << diagnostics_text(f);
  ASSERT_EQ(f.of_kind("numa_node").size(), 2u);
  EXPECT_EQ(f.find("numa:1")->get_bool("has_cpu"), true);
  EXPECT_EQ(*f.find("numa:0")->get_ints("distances"), (std::vector<std::int64_t>{10, 21}));
  EXPECT_EQ(f.find("numa:0")->get_int("capacity"), 16747124LL * 1024);
  // cpu/possible is 0-127 but only cpu0..15 have directories.
  EXPECT_EQ(f.of_kind("cpu").size(), 16u);
  EXPECT_EQ(f.find("cpu:15")->get_bool("possible"), true);
}

TEST(NumaCorpus, TreesWithoutNodeDirectoryAreSilent) {
  for (const char* t : {"rocm-vega10", "nfd-qat-c62x"}) {
    FactSet f = discover_with(corpus_root(t), "numa,hmat,memory_tiers");
    EXPECT_TRUE(f.objects().empty()) << t;
    EXPECT_TRUE(f.diagnostics().empty()) << t << "\n" << diagnostics_text(f);
  }
}

}  // namespace
}  // namespace accelmap::testing
