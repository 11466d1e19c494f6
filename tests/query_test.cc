// Query golden answers (derived by hand from the tree files; see path_index_test.cc
// for the corpus facts used) and property tests on hand-made FactSets (no I/O).
#include <gtest/gtest.h>

#include "accelmap/discover.h"
#include "accelmap/query.h"
#include "test_util.h"

namespace accelmap {
namespace {

FactSet facts_of(const std::string& dir) { return testing::discover_with(dir); }

std::vector<std::string> keys(const PathIndex& x, const Candidate& c) {
  std::vector<std::string> out;
  for (auto a : c.accelerators) out.emplace_back(x.place(a).key);
  return out;
}

std::string memory_of(const PathIndex& x, const Candidate& c) {
  return c.memory ? x.memory_targets()[*c.memory].key : std::string();
}

TEST(Query, DsaAndIaaShareTheHbmOfTheirSocket) {
  // demo/root: idxd:dsa0 (6a:01.0) and idxd:iax1 (6a:02.0) are on node 0; HBM node 2 has
  // no CPUs and its access1 initiator is node 0 (HMAT): the socket owning the HBM.
  PathIndex x(build_snapshot(facts_of(testing::source_dir() + "/demo/root")));
  auto r = share(x, Policy{}, ShareRequest{"dma.memmove", "compress.deflate", "hbm"});
  ASSERT_EQ(r.items.size(), 1u) << r.reason;
  EXPECT_EQ(keys(x, r.items[0]), (std::vector<std::string>{"idxd:dsa0", "idxd:iax1"}));
  EXPECT_EQ(memory_of(x, r.items[0]), "numa:2");
  EXPECT_EQ(r.items[0].explanation.worst, PathClass::kHostBridge);
  ASSERT_EQ(r.items[0].explanation.steps.size(), 2u);
  // The QAT on node 1 does not share node 2's HBM with the DSA (SYS, not its best class).
  auto none = share(x, Policy{}, ShareRequest{"dma.memmove", "crypto.cipher.aes-cbc", "hbm"});
  EXPECT_TRUE(none.items.empty());
  EXPECT_FALSE(none.reason.empty());
  auto nokind = share(x, Policy{}, ShareRequest{"dma.memmove", "compress.deflate", "gddr"});
  EXPECT_EQ(nokind.reason, "no memory of kind gddr on this machine.");
}

TEST(Query, Mi308xPartitionsShareHbmAndChainOverXgmi) {
  PathIndex x(build_snapshot(facts_of(testing::corpus_root("rocm-mi308x-cpx"))));
  auto r = share(x, Policy{}, ShareRequest{"gpu.compute", "gpu.compute", "hbm"});
  ASSERT_FALSE(r.items.empty()) << r.reason;
  // Every answer is a pair of partitions of one package, sharing its HBM at PKG.
  for (const auto& c : r.items) {
    EXPECT_EQ(c.explanation.worst, PathClass::kSamePackage);
    const auto& accs = x.snapshot().accelerators();
    EXPECT_EQ(accs[c.accelerators[0]].package, accs[c.accelerators[1]].package);
  }
  EXPECT_EQ(keys(x, r.items[0]), (std::vector<std::string>{"kfd:node2", "kfd:node3"}));
  EXPECT_EQ(memory_of(x, r.items[0]), "devmem:kfd:node2:0");
  // Chain between packages: the hand-off is xGMI peer-to-peer (LINK), below the PXB threshold.
  Policy p;
  p.included = {"kfd:node2", "kfd:node6"};
  auto c = chain(x, p, ChainRequest{{"gpu.compute", "gpu.compute"}});
  bool found = false;
  for (const auto& cand : c.items)
    if (keys(x, cand) == std::vector<std::string>{"kfd:node2", "kfd:node6"}) {
      found = true;
      EXPECT_EQ(cand.explanation.worst, PathClass::kDirectLink);
      EXPECT_EQ(cand.explanation.steps[0].note, "peer-to-peer");
    }
  EXPECT_TRUE(found);
  // Within a package the partitions chain at PKG.
  p.included = {"kfd:node2", "kfd:node3"};
  auto in = chain(x, p, ChainRequest{{"gpu.compute", "gpu.compute"}});
  ASSERT_GE(in.items.size(), 3u);
  EXPECT_EQ(in.items[2].explanation.worst, PathClass::kSamePackage);  // after the two same-device chains
}

TEST(Query, Mi210ChainAcrossHivesFallsBackToPcie) {
  PathIndex x(build_snapshot(facts_of(testing::corpus_root("rocm-mi210-2hives"))));
  Policy p;
  p.included = {"kfd:node2", "kfd:node6"};
  ChainRequest req{{"gpu.compute", "gpu.compute"}};
  // Default threshold PXB: across the hives there is neither xGMI nor a shared local memory.
  auto strict = chain(x, p, req);
  for (const auto& c : strict.items) EXPECT_EQ(c.accelerators[0], c.accelerators[1]) << "only same-device chains";
  // Allowing SYS, the hand-off goes over PCIe through the sockets.
  p.p2p_max_class = PathClass::kAcrossSockets;
  auto loose = chain(x, p, req);
  bool found = false;
  for (const auto& c : loose.items)
    if (keys(x, c) == std::vector<std::string>{"kfd:node2", "kfd:node6"}) {
      found = true;
      EXPECT_EQ(c.explanation.worst, PathClass::kAcrossSockets);
      EXPECT_EQ(c.explanation.steps[0].path->basis.find("xgmi"), std::string_view::npos);
    }
  EXPECT_TRUE(found);
  // Inside a hive the chain uses xGMI.
  p.included = {"kfd:node2", "kfd:node3"};
  p.excluded = {};
  auto hive = chain(x, p, req);
  ASSERT_EQ(hive.items.size(), 4u);
  EXPECT_EQ(hive.items[2].explanation.worst, PathClass::kDirectLink);
}

TEST(Query, NearestVectorEnginePrefersSameSwitch) {
  PathIndex x(build_snapshot(facts_of(testing::corpus_root("hwloc-32intel64-2p8co2t+8ve"))));
  NearestRequest r;
  r.function = "vector.compute";
  r.target.keys = {"ve:ve0"};  // ve0's own HBM
  auto res = nearest(x, Policy{}, r);
  ASSERT_EQ(res.items.size(), 8u) << res.reason;
  EXPECT_EQ(keys(x, res.items[0]), std::vector<std::string>{"ve:ve0"});
  EXPECT_EQ(res.items[0].explanation.worst, PathClass::kSelf);
  for (int i = 1; i <= 3; ++i) EXPECT_EQ(res.items[i].explanation.worst, PathClass::kSameSwitch) << i;
  for (int i = 4; i < 8; ++i) EXPECT_EQ(res.items[i].explanation.worst, PathClass::kSameNode) << i;
  Policy only2;
  only2.count = 2;
  EXPECT_EQ(nearest(x, only2, r).items.size(), 2u);
}

TEST(Query, NearestIntoAReusedResultEqualsAFreshOne) {
  // One Ranked kept across calls whose answers grow, shrink, fail and span several
  // targets: every call must give exactly what a fresh nearest() gives.
  PathIndex x(build_snapshot(facts_of(testing::corpus_root("hwloc-32intel64-2p8co2t+8ve"))));
  std::vector<std::pair<NearestRequest, Policy>> calls;
  NearestRequest ve;
  ve.function = "vector.compute";
  ve.target.keys = {"ve:ve0"};
  Policy all, one, none;
  one.count = 1;
  none.excluded = {"ve:ve0", "ve:ve1", "ve:ve2", "ve:ve3", "ve:ve4", "ve:ve5", "ve:ve6", "ve:ve7"};
  NearestRequest node0 = ve;
  node0.target = {};
  node0.target.numa_nodes = {0};
  NearestRequest both = ve;
  both.target.keys = {"ve:ve3", "ve:ve6"};  // two targets: ranked over their best
  NearestRequest unknown = ve;
  unknown.function = "compress.deflate";
  NearestRequest nowhere = ve;
  nowhere.target.keys = {"numa:99"};
  for (auto& [r, p] : std::vector<std::pair<NearestRequest, Policy>>{
           {ve, all}, {ve, one}, {node0, all}, {ve, none}, {both, all}, {unknown, all}, {ve, all}, {nowhere, one},
           {node0, one}, {both, one}})
    calls.emplace_back(r, p);
  Ranked reused;
  for (std::size_t i = 0; i < calls.size(); ++i) {
    const auto& [r, p] = calls[i];
    nearest(x, p, r, reused);
    Ranked fresh = nearest(x, p, r);
    EXPECT_EQ(ranked_to_json(x, reused), ranked_to_json(x, fresh)) << "call " << i;
    EXPECT_EQ(reused.reason, fresh.reason) << "call " << i;
  }
  // The calls above do give answers, reasons and multi-target rankings.
  EXPECT_EQ(nearest(x, all, ve).items.size(), 8u);
  EXPECT_FALSE(nearest(x, none, ve).reason.empty());
  EXPECT_FALSE(nearest(x, all, both).items.empty());
}

TEST(Query, GenericInitiatorBestMemoryFollowsAccess0) {
  // node5 and node6 list node4 in access0 at 419431 MB/s, node7 at 8192 MB/s.
  PathIndex x(build_snapshot(facts_of(testing::corpus_root("hwloc-fakememinitiators-1np2c+1npp+gi"))));
  auto r = best_memory(x, Policy{}, BestMemoryRequest{"numa:4", MemoryOrder::kBandwidth, ""});
  ASSERT_GE(r.items.size(), 3u) << r.reason;
  EXPECT_EQ(memory_of(x, r.items[0]), "numa:5");
  EXPECT_EQ(memory_of(x, r.items[1]), "numa:6");
  EXPECT_EQ(r.items[0].explanation.steps[0].path->bandwidth.value, 419431);
  EXPECT_NE(r.items[0].explanation.steps[0].path->basis.find("access0"), std::string_view::npos);
  // A CPU node ranks by its access1 figures instead: node 8 (131072 MB/s) is node 1's best.
  auto cpu = best_memory(x, Policy{}, BestMemoryRequest{"numa:1", MemoryOrder::kBandwidth, ""});
  ASSERT_FALSE(cpu.items.empty());
  EXPECT_EQ(memory_of(x, cpu.items[0]), "numa:8");
  auto bad = best_memory(x, Policy{}, BestMemoryRequest{"numa:5", MemoryOrder::kBandwidth, ""});
  EXPECT_EQ(bad.reason, "numa:5 has neither CPUs nor a generic initiator.");
}

// ---- Property tests on hand-made facts -------------------------------------------------

void node(FactSet& f, int id, std::vector<std::uint32_t> cpus, int package) {
  Object& n = f.object("numa:" + std::to_string(id), "numa_node");
  n.set("cpus", Value(IdSet{cpus}), Unit::kNone, Provenance::kKernel, "test");
  n.set("capacity", Value(std::int64_t{1} << 34), Unit::kBytes, Provenance::kKernel, "test");
  for (auto c : cpus) {
    Object& o = f.object("cpu:" + std::to_string(c), "cpu");
    o.set("package_id", Value(std::int64_t{package}), Unit::kNone, Provenance::kKernel, "test");
  }
}

void device(FactSet& f, const std::string& key, int numa, const std::string& function) {
  Object& a = f.object(key, "accelerator");
  a.set("family", Value(std::string("dsa")), Unit::kNone, Provenance::kKernel, "test");
  a.set("numa_node", Value(std::int64_t{numa}), Unit::kNone, Provenance::kKernel, "test");
  Object& fn = f.object("function:" + key + ":" + function, "function");
  fn.set("device", Value(key), Unit::kNone, Provenance::kKernel, "test");
  fn.set("name", Value(function), Unit::kNone, Provenance::kKernel, "test");
  fn.set("state", Value(std::string("available")), Unit::kNone, Provenance::kKernel, "test");
}

FactSet two_sockets() {
  FactSet f;
  node(f, 0, {0, 1}, 0);
  node(f, 1, {2, 3}, 1);
  device(f, "idxd:dsa0", 1, "dma.memmove");
  device(f, "idxd:dsa1", 1, "dma.memmove");
  device(f, "idxd:iax0", 1, "compress.deflate");
  return f;
}

NearestRequest near0() {
  NearestRequest r;
  r.function = "dma.memmove";
  r.target.numa_nodes = {0};
  return r;
}

TEST(QueryProperties, Deterministic) {
  PathIndex a(build_snapshot(two_sockets()));
  PathIndex b(build_snapshot(two_sockets()));
  EXPECT_EQ(ranked_to_json(a, nearest(a, Policy{}, near0())), ranked_to_json(b, nearest(b, Policy{}, near0())));
  EXPECT_EQ(ranked_to_json(a, chain(a, Policy{}, ChainRequest{{"dma.memmove", "compress.deflate"}})),
            ranked_to_json(b, chain(b, Policy{}, ChainRequest{{"dma.memmove", "compress.deflate"}})));
}

TEST(QueryProperties, CloserCandidateNeverWorsensTheBest) {
  PathIndex before(build_snapshot(two_sockets()));
  auto r0 = nearest(before, Policy{}, near0());
  ASSERT_FALSE(r0.items.empty());
  EXPECT_EQ(r0.items[0].explanation.worst, PathClass::kAcrossSockets);
  FactSet f = two_sockets();
  device(f, "idxd:dsa9", 0, "dma.memmove");  // local to node 0
  PathIndex after(build_snapshot(std::move(f)));
  auto r1 = nearest(after, Policy{}, near0());
  ASSERT_FALSE(r1.items.empty());
  EXPECT_LE(compare_paths(*r1.items[0].explanation.steps[0].path, *r0.items[0].explanation.steps[0].path), 0);
  EXPECT_EQ(keys(after, r1.items[0]), std::vector<std::string>{"idxd:dsa9"});
  EXPECT_EQ(r1.items[0].explanation.worst, PathClass::kHostBridge);
}

TEST(QueryProperties, RemovingADeviceNeverAddsAnswers) {
  FactSet full = two_sockets();
  FactSet less;
  for (const Object& o : full.objects())
    if (o.key.find("dsa1") == std::string::npos) less.object(o.key, o.kind) = o;
  PathIndex a(build_snapshot(std::move(full)));
  PathIndex b(build_snapshot(std::move(less)));
  for (auto q : {0, 1}) {
    auto ra = q ? chain(a, Policy{}, ChainRequest{{"dma.memmove", "compress.deflate"}}) : nearest(a, Policy{}, near0());
    auto rb = q ? chain(b, Policy{}, ChainRequest{{"dma.memmove", "compress.deflate"}}) : nearest(b, Policy{}, near0());
    EXPECT_LE(rb.items.size(), ra.items.size());
    std::vector<std::vector<std::string>> ka;
    for (const auto& c : ra.items) ka.push_back(keys(a, c));
    for (const auto& c : rb.items) EXPECT_NE(std::find(ka.begin(), ka.end(), keys(b, c)), ka.end());
  }
}

TEST(QueryProperties, EmptyResultsSayWhichConstraint) {
  PathIndex x(build_snapshot(two_sockets()));
  Policy p;
  p.excluded = {"idxd:dsa0", "idxd:dsa1"};
  EXPECT_EQ(nearest(x, p, near0()).reason, "every accelerator offering dma.memmove is excluded by the policy.");
  Policy v;
  v.vendor = "nvidia";
  EXPECT_EQ(nearest(x, v, near0()).reason, "no accelerator offering dma.memmove is from vendor 'nvidia'.");
  NearestRequest r = near0();
  r.function = "gpu.compute";
  EXPECT_EQ(nearest(x, Policy{}, r).reason, "no accelerator offers gpu.compute.");
  Policy free;
  free.min_free_instances = 2;
  EXPECT_EQ(nearest(x, free, near0()).reason, "no accelerator offering dma.memmove has at least 2 free instances.");
  // Chain across: devices on node 1 share node 1's memory, so dsa0 -> iax0 chains via memory.
  auto c = chain(x, Policy{}, ChainRequest{{"dma.memmove", "compress.deflate"}});
  ASSERT_FALSE(c.items.empty()) << c.reason;
  EXPECT_EQ(c.items[0].explanation.steps[0].note, "shared memory");
}

}  // namespace
}  // namespace accelmap
