// Memory kinds, capacities and tiers per hand-written tree and corpus tree.
// Expected values are read off the tree files (meminfo, DAX parents,
// memory_tiering), not from accelmap's own output.
#include <gtest/gtest.h>

#include "accelmap/discover.h"
#include "accelmap/render.h"
#include "accelmap/snapshot.h"
#include "test_util.h"

namespace accelmap {
namespace {

std::shared_ptr<const Snapshot> snapshot_of(const std::string& dir) {
  auto root = FsRoot::open(dir);
  EXPECT_TRUE(root) << dir;
  DiscoverOptions o;
  auto facts = discover(*root, o);
  EXPECT_TRUE(facts);
  return build_snapshot(std::move(*facts));
}

std::string tree(const std::string& name) { return testing::source_dir() + "/tests/trees/" + name; }

struct NodeExpect {
  std::uint32_t id;
  MemoryKind kind;
  std::int64_t capacity_kib;
  std::optional<int> tier;
};

void expect_nodes(const Snapshot& s, const std::vector<NodeExpect>& want, bool tiers_derived) {
  ASSERT_EQ(s.numa_nodes().size(), want.size());
  for (const auto& w : want) {
    const NumaNode* n = s.find_numa(w.id);
    ASSERT_NE(n, nullptr) << "node " << w.id;
    EXPECT_EQ(n->kind, w.kind) << "node " << w.id << ": " << n->kind_reason;
    ASSERT_TRUE(n->capacity.known()) << "node " << w.id;
    EXPECT_EQ(*n->capacity.value, w.capacity_kib * 1024) << "node " << w.id;
    EXPECT_EQ(n->tier, w.tier) << "node " << w.id;
    if (n->tier) {
      EXPECT_EQ(n->tier_derived, tiers_derived) << "node " << w.id;
    }
    EXPECT_FALSE(n->kind_reason.empty()) << "every kind says why";
  }
}

TEST(MemoryKinds, HbmFlatSoftReserved) {
  // node1 memory comes from platform/hmem.0/dax0.0 (kmem); its HMAT read
  // bandwidth (819200 MB/s) exceeds node0's (262144 MB/s).
  auto s = snapshot_of(tree("hbm-flat"));
  expect_nodes(*s, {{0, MemoryKind::kDram, 16777216, 4}, {1, MemoryKind::kHbm, 16777216, 1}}, false);
  EXPECT_EQ(s->tiering_source(), "kernel");
  ASSERT_EQ(s->memory_regions().size(), 1u);
  EXPECT_EQ(s->memory_regions()[0].kind, MemoryKind::kHbm);
  EXPECT_EQ(s->memory_regions()[0].numa_node, 1u);
  // The package of a memory-only node is its best CPU initiator's (HMAT access1 -> node 0).
  ASSERT_EQ(s->packages().size(), 1u);
  EXPECT_EQ(s->packages()[0].numa_nodes.ids, (std::vector<std::uint32_t>{0, 1}));
}

TEST(MemoryKinds, CxlExpanderWithRegion) {
  auto s = snapshot_of(tree("cxl-expander"));
  expect_nodes(*s, {{0, MemoryKind::kDram, 16777216, 4}, {1, MemoryKind::kCxl, 4194304, 90}}, false);
  const MemoryRegion* region = nullptr;
  for (const auto& r : s->memory_regions())
    if (r.key == "cxl:region0") region = &r;
  ASSERT_NE(region, nullptr);
  EXPECT_EQ(region->numa_node, 1u);
  EXPECT_EQ(region->members, (std::vector<std::string_view>{"cxl:mem0"}));
  EXPECT_EQ(region->devices, (std::vector<std::string_view>{"pci:0000:35:00.0"}));
  EXPECT_EQ(*region->capacity.value, 4LL << 30);
}

TEST(MemoryKinds, PmemViaDax) {
  auto s = snapshot_of(tree("pmem-dax"));
  expect_nodes(*s, {{0, MemoryKind::kDram, 8388608, 4}, {1, MemoryKind::kDram, 8388608, 4},
                    {2, MemoryKind::kPmem, 33554432, 22}}, false);
  // The second namespace stays device-dax: a region, not a node.
  ASSERT_EQ(s->memory_regions().size(), 2u);
  const MemoryRegion& devdax = s->memory_regions()[1];
  EXPECT_EQ(devdax.key, "dax:dax1.0");
  EXPECT_EQ(devdax.mode, "devdax");
  EXPECT_FALSE(devdax.numa_node);
  EXPECT_EQ(devdax.kind, MemoryKind::kPmem);
}

TEST(MemoryKinds, DemoRoot) {
  auto s = snapshot_of(testing::source_dir() + "/demo/root");
  expect_nodes(*s, {{0, MemoryKind::kDram, 33554432, 4}, {1, MemoryKind::kDram, 33554432, 4},
                    {2, MemoryKind::kHbm, 16777216, 1}, {3, MemoryKind::kCxl, 8388608, 90}}, false);
}

TEST(MemoryKinds, FakeHeteroMemTiersDerivesTiers) {
  // No memory_tiering in this recording: tiers are derived (and marked so).
  // HMAT lists no latencies, so, as the kernel does, DAX/kmem nodes take the
  // default abstract distance 2880 (tier 22) and DRAM 576 (tier 4).
  auto s = snapshot_of(testing::corpus_root("hwloc-fakeheteromemtiers"));
  EXPECT_EQ(s->tiering_source(), "derived");
  const NumaNode* dram = s->find_numa(0);
  const NumaNode* hbm = s->find_numa(4);
  const NumaNode* pmem = s->find_numa(6);
  ASSERT_TRUE(dram && hbm && pmem);
  EXPECT_EQ(dram->kind, MemoryKind::kDram);
  EXPECT_EQ(hbm->kind, MemoryKind::kHbm);  // hmem, 10000 MB/s against DRAM's 1000 MB/s
  EXPECT_EQ(pmem->kind, MemoryKind::kPmem);
  EXPECT_EQ(dram->tier, 4);
  EXPECT_EQ(pmem->tier, 22);
  EXPECT_TRUE(pmem->tier_derived);
}

TEST(MemoryKinds, MemorySideCachesZeroHmatIsUnknown) {
  auto s = snapshot_of(testing::corpus_root("hwloc-memorysidecaches"));
  bool any_access = false;
  for (const auto& n : s->numa_nodes())
    for (const auto& a : n.access) {
      any_access = true;
      EXPECT_FALSE(a.read_bandwidth.known());  // firmware wrote 0: unknown, never 0
      EXPECT_FALSE(a.read_latency.known());
    }
  EXPECT_TRUE(any_access);
  std::string text = render_text(*s, TextOptions{});
  EXPECT_NE(text.find("read unknown"), std::string::npos);
  EXPECT_NE(text.find("memory-side cache L1: 96 GiB, 64 B lines, direct-mapped, write-back"), std::string::npos) << text;
}

}  // namespace
}  // namespace accelmap
