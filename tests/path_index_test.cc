// PathIndex golden classes, derived by hand from the recorded trees:
//  - hwloc-32intel64-2p8co2t+8ve: ve0..ve3 sit below PLX switch 0000:18:00.0 (one
//    upstream port, downstream ports 19:08/0c/10/14), ve4..ve7 below PLX 0000:3b:00.0
//    behind another host bridge (0000:3a); every PCI function reports numa_node 0.
//  - rocm-mi210-2hives: kfd nodes 2-5 (numa 0) and 6-9 (numa 1) form two xGMI hives
//    (io_links type 11, weight 15, 50000 MB/s); no xGMI link crosses the hives.
//  - rocm-mi308x-cpx: CPX partitions 0000:0a:00.0-.3 are one package (kfd:node2-5).
#include <gtest/gtest.h>

#include <memory>

#include "accelmap/discover.h"
#include "accelmap/path_index.h"
#include "test_util.h"

namespace accelmap {
namespace {

FactSet facts_of(const std::string& dir) { return testing::discover_with(dir); }

std::uint32_t id(const PathIndex& x, std::string_view key) {
  auto i = x.accelerator_id(key);
  EXPECT_TRUE(i) << key;
  return i.value_or(0);
}

TEST(PathIndex, ClassNamesRoundTrip) {
  for (int i = 0; i <= static_cast<int>(PathClass::kUnreachable); ++i) {
    auto c = static_cast<PathClass>(i);
    EXPECT_EQ(path_class_from_name(path_class_name(c)), c);
  }
  EXPECT_STREQ(path_class_name(PathClass::kSameSwitch), "PIX");
  EXPECT_STREQ(path_class_name(PathClass::kAcrossSockets), "SYS");
  EXPECT_LT(PathClass::kDirectLink, PathClass::kSameSwitch);
}

TEST(PathIndex, VectorEnginesBehindOnePlxSwitchArePix) {
  PathIndex x(build_snapshot(facts_of(testing::corpus_root("hwloc-32intel64-2p8co2t+8ve"))));
  const Path& pix = x.device_path(id(x, "ve:ve0"), id(x, "ve:ve1"));
  EXPECT_EQ(pix.cls, PathClass::kSameSwitch) << pix.basis;
  // Both links are 8 GT/s x16: 8000 * 16 * 128/130 / 8 = 15753.8 MB/s (15754 as the snapshot
  // rounds it), link-trained; 4 links crossed (two endpoints, two downstream ports).
  ASSERT_TRUE(pix.bandwidth.known());
  EXPECT_EQ(pix.bandwidth.value, 15754);
  EXPECT_EQ(pix.bandwidth.provenance, Provenance::kLinkTrained);
  EXPECT_EQ(pix.hops.value, 4);
  // Across the two host bridges, both in NUMA node 0: NODE.
  EXPECT_EQ(x.device_path(id(x, "ve:ve0"), id(x, "ve:ve4")).cls, PathClass::kSameNode);
  EXPECT_EQ(x.device_path(id(x, "ve:ve3"), id(x, "ve:ve3")).cls, PathClass::kSelf);
}

TEST(PathIndex, VectorEnginesOnTwoSocketsAreSys) {
  // The same machine with ve4..ve7 declared on node 1 (package 1): PIX beats SYS.
  FactSet f = facts_of(testing::corpus_root("hwloc-32intel64-2p8co2t+8ve"));
  for (const char* k : {"ve:ve4", "ve:ve5", "ve:ve6", "ve:ve7"})
    f.object(k, "accelerator").set("numa_node", Value(std::int64_t{1}), Unit::kNone, Provenance::kUser, "test");
  PathIndex x(build_snapshot(std::move(f)));
  const Path& pix = x.device_path(id(x, "ve:ve0"), id(x, "ve:ve1"));
  const Path& sys = x.device_path(id(x, "ve:ve0"), id(x, "ve:ve4"));
  EXPECT_EQ(pix.cls, PathClass::kSameSwitch);
  EXPECT_EQ(sys.cls, PathClass::kAcrossSockets) << sys.basis;
  EXPECT_LT(compare_paths(pix, sys), 0);
  // Still one switch apart on the far side: the PCI tree wins over NUMA numbers.
  EXPECT_EQ(x.device_path(id(x, "ve:ve4"), id(x, "ve:ve5")).cls, PathClass::kSameSwitch);
}

TEST(PathIndex, Mi210HivesAreLinkedInsideAndSysAcross) {
  PathIndex x(build_snapshot(facts_of(testing::corpus_root("rocm-mi210-2hives"))));
  const Path& in = x.device_path(id(x, "kfd:node2"), id(x, "kfd:node5"));
  EXPECT_EQ(in.cls, PathClass::kDirectLink);
  EXPECT_EQ(in.bandwidth.value, 50000);
  EXPECT_EQ(in.bandwidth.provenance, Provenance::kFirmware);
  const Path& across = x.device_path(id(x, "kfd:node2"), id(x, "kfd:node6"));
  EXPECT_EQ(across.cls, PathClass::kAcrossSockets) << across.basis;
  EXPECT_FALSE(across.bandwidth.known());  // the inter-socket segment has no published figure
  // Symmetric where links are.
  const auto n = x.accelerator_count();
  for (std::uint32_t a = 0; a < n; ++a)
    for (std::uint32_t b = 0; b < n; ++b) {
      EXPECT_EQ(x.device_path(a, b).cls, x.device_path(b, a).cls);
      EXPECT_EQ(x.device_path(a, b).bandwidth, x.device_path(b, a).bandwidth);
    }
  for (const auto& l : x.snapshot().device_links()) {
    if (l.type == "xgmi") {
      EXPECT_EQ(x.device_path(id(x, l.a), id(x, l.b)).cls, PathClass::kDirectLink) << l.key;
    }
  }
}

TEST(PathIndex, Mi308xPartitionsShareThePackage) {
  PathIndex x(build_snapshot(facts_of(testing::corpus_root("rocm-mi308x-cpx"))));
  EXPECT_EQ(x.device_path(id(x, "kfd:node2"), id(x, "kfd:node3")).cls, PathClass::kSamePackage);
  EXPECT_EQ(x.device_path(id(x, "kfd:node2"), id(x, "kfd:node6")).cls, PathClass::kDirectLink);
  // Every partition reaches its package's HBM at PKG; other packages do not.
  auto mem = x.memory_target_id("devmem:kfd:node2:0");
  ASSERT_TRUE(mem);
  EXPECT_EQ(x.best_device_class(*mem), PathClass::kSamePackage);
  for (const char* k : {"kfd:node2", "kfd:node3", "kfd:node4", "kfd:node5"})
    EXPECT_EQ(x.memory_path(id(x, k), *mem).cls, PathClass::kSamePackage) << k;
  EXPECT_GT(x.memory_path(id(x, "kfd:node6"), *mem).cls, PathClass::kSamePackage);
}

// Paths handed out (explanation steps keep pointers to them) live as long as the
// index, wherever it is moved: an owner's path to its memory, another device's
// path to it (computed on demand), and a stored path to a NUMA node.
TEST(PathIndex, PathsHandedOutSurviveAMove) {
  auto x = std::make_unique<PathIndex>(build_snapshot(facts_of(testing::corpus_root("rocm-mi308x-cpx"))));
  auto mem = x->memory_target_id("devmem:kfd:node2:0");
  ASSERT_TRUE(mem);
  const std::uint32_t owner = id(*x, "kfd:node2"), other = id(*x, "kfd:node6");
  const Path* own = &x->memory_path(owner, *mem);
  const Path* far = &x->memory_path(other, *mem);
  const Path own_copy = *own, far_copy = *far;
  PathIndex moved(std::move(*x));
  x.reset();  // the index the pointers were taken from is gone
  EXPECT_EQ(&moved.memory_path(owner, *mem), own);
  EXPECT_EQ(&moved.memory_path(other, *mem), far);
  EXPECT_EQ(own->cls, own_copy.cls);
  EXPECT_EQ(own->basis, own_copy.basis);
  EXPECT_EQ(far->cls, far_copy.cls);
  EXPECT_EQ(far->basis, far_copy.basis);
  EXPECT_NE(far->basis.find("via owner"), std::string_view::npos) << far->basis;
}

TEST(PathIndex, GenericInitiatorUsesAccess0) {
  // node5/access0/initiators: node4, read_bandwidth 419431, read_latency 8.
  PathIndex x(build_snapshot(facts_of(testing::corpus_root("hwloc-fakememinitiators-1np2c+1npp+gi"))));
  auto gi = x.cpu_domain_id(4);
  auto n5 = x.numa_target(5);
  ASSERT_TRUE(gi && n5);
  EXPECT_TRUE(x.cpu_domains()[*gi].generic_initiator);
  const Path& p = x.cpu_memory_path(*gi, *n5);
  EXPECT_EQ(p.bandwidth.value, 419431);
  EXPECT_EQ(p.latency.value, 8);
  EXPECT_EQ(p.bandwidth.provenance, Provenance::kFirmware);
  EXPECT_NE(p.basis.find("access0"), std::string_view::npos) << p.basis;
  // The CPU node 0 sees node 5 through access1: 131072 MB/s, 26 ns.
  const Path& cpu = x.cpu_memory_path(*x.cpu_domain_id(0), *n5);
  EXPECT_EQ(cpu.bandwidth.value, 131072);
  EXPECT_EQ(cpu.latency.value, 26);
}

TEST(PathIndex, UnknownSortsAfterKnown) {
  Path known, unknown;
  known.cls = unknown.cls = PathClass::kHostBridge;
  known.bandwidth = PathMetric::of(1, Provenance::kNominal);
  EXPECT_LT(compare_paths(known, unknown), 0);
  EXPECT_EQ(format_metric(unknown.bandwidth, "MB/s"), "unknown");
  EXPECT_EQ(format_metric(known.bandwidth, "MB/s"), "1 MB/s");
}

}  // namespace
}  // namespace accelmap
