// share() and chain() with a count take the best-first search (src/query/pair_search.cc);
// without one they rank every pair. The first must be the head of the second, byte for
// byte (order, memory per pair, tie-breaks, explanation steps), on every tree we have and
// under policies that move the answers. Also the PathIndex facts that search relies on.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <thread>

#include "accelmap/discover.h"
#include "accelmap/query.h"
#include "test_util.h"

namespace accelmap {
namespace {

std::shared_ptr<const Snapshot> snapshot_of(const std::string& dir) {
  return build_snapshot(testing::discover_with(dir));
}

// A 30-device synthetic machine (bench/gen): switches of 8 mixed endpoints, xGMI hives,
// two sockets, HBM and CXL nodes: every peer-to-peer class and many ties.
std::string generated_tree() {
  static const std::string dir = [] {
    std::string d = testing::make_temp_dir() + "/gen-30";
    auto r = testing::run_command("/usr/bin/python3 " + testing::source_dir() + "/bench/gen/gen_machine.py --devices 30 " +
                                  d + " >/dev/null");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return d;
  }();
  return dir;
}

std::vector<std::pair<std::string, std::string>> trees() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& n : testing::corpus_tree_names()) out.emplace_back(n, testing::corpus_root(n));
  out.emplace_back("demo", testing::source_dir() + "/demo/root");
  for (const char* t : {"xeon-dsa-iaa", "hbm-flat", "kunpeng-hisi", "qat-4xxx", "cxl-type2", "npu-accel"})
    out.emplace_back(t, testing::source_dir() + "/tests/trees/" + t);
  out.emplace_back("gen-30", generated_tree());
  return out;
}

// One function per distinct set of offers (same devices, states and free instances answer alike).
std::vector<std::string> representatives(const PathIndex& x) {
  std::map<std::string, std::string> by_offers;
  const auto& accs = x.snapshot().accelerators();
  for (std::uint32_t f = 0; f < x.function_count(); ++f) {
    std::string sig;
    for (const Offer& o : x.offers(f))
      sig += std::string(accs[o.accelerator].key) + "/" + std::string(accs[o.accelerator].functions[o.function].state) + "/" +
             std::to_string(o.instances_free) + " ";
    by_offers.emplace(sig, x.function_name(f));
  }
  std::vector<std::string> out;
  for (const auto& [sig, name] : by_offers) out.push_back(name);
  std::sort(out.begin(), out.end());
  return out;
}

std::string head(const PathIndex& x, Ranked all, std::size_t k) {
  if (all.items.size() > k) all.items.resize(k);
  return ranked_to_json(x, all);
}

std::vector<std::pair<std::string, Policy>> policies(const PathIndex& x) {
  std::vector<std::pair<std::string, Policy>> out;
  out.emplace_back("default", Policy{});
  for (PathClass c : {PathClass::kSelf, PathClass::kSamePackage, PathClass::kDirectLink, PathClass::kSameSwitch,
                      PathClass::kHostBridge, PathClass::kSameNode, PathClass::kAcrossSockets, PathClass::kUnreachable}) {
    Policy p;
    p.p2p_max_class = c;
    out.emplace_back(std::string("p2p-max ") + path_class_name(c), p);
  }
  Policy all_states;
  all_states.only_available = false;
  out.emplace_back("all-states", all_states);
  if (x.accelerator_count() >= 3) {
    Policy ex;
    ex.excluded = {std::string(x.place(0).key), std::string(x.place(2).key)};
    out.emplace_back("exclude", ex);
    Policy in;
    for (std::uint32_t i = 1; i < x.accelerator_count(); i += 2) in.included.emplace_back(x.place(i).key);
    out.emplace_back("include", in);
  }
  return out;
}

// One answer, exactly: accelerators, memory, class, and each step's ends, path (the very
// Path object of the index), note and memory.
std::string describe(const Candidate& c) {
  std::string out;
  for (auto a : c.accelerators) out += std::to_string(a) + ",";
  char buf[64];
  std::snprintf(buf, sizeof buf, "@%ld %s", c.memory ? static_cast<long>(*c.memory) : -1L,
                path_class_name(c.explanation.worst));
  out += buf;
  for (const Step& s : c.explanation.steps) {
    std::snprintf(buf, sizeof buf, " %p %ld ", static_cast<const void*>(s.path), s.memory ? static_cast<long>(*s.memory) : -1L);
    out.append(" [").append(s.from).append(">").append(s.to).append(buf).append(s.note).append("]");
  }
  return out;
}

// Every count from 1 past the last answer against the head of the whole ranking (and the
// JSON text for the first answer and all of them).
void expect_heads(const PathIndex& x, const std::string& what, const Ranked& all,
                  const std::function<Ranked(std::size_t)>& with_count) {
  const std::size_t n = all.items.size();
  std::vector<std::string> want;
  for (const auto& c : all.items) want.push_back(describe(c));
  std::vector<std::size_t> counts;
  for (std::size_t k = 1; k <= std::min<std::size_t>(n + 1, 12); ++k) counts.push_back(k);
  if (n > 12) counts.insert(counts.end(), {n / 2, n - 1, n, n + 1});
  for (std::size_t k : counts) {
    Ranked r = with_count(k);
    std::vector<std::string> got;
    for (const auto& c : r.items) got.push_back(describe(c));
    EXPECT_EQ(got, std::vector<std::string>(want.begin(), want.begin() + static_cast<std::ptrdiff_t>(std::min(k, n))))
        << what << " --count " << k;
    EXPECT_EQ(r.reason, r.items.empty() ? all.reason : std::string()) << what << " --count " << k;
    if (k == 1 || k == n) {
      EXPECT_EQ(ranked_to_json(x, r), head(x, all, k)) << what << " --count " << k;
    }
  }
}

TEST(PairSearch, FirstAnswersAreTheHeadOfTheWholeRanking) {
  std::size_t checked = 0;
  for (const auto& [name, dir] : trees()) {
    PathIndex x(snapshot_of(dir));
    EXPECT_TRUE(x.ranked_by_id()) << name;
    EXPECT_TRUE(x.peer_groups_complete()) << name;
    auto reps = representatives(x);
    if (reps.size() > 7) reps.resize(7);  // the rest repeat the same offer shapes
    for (const auto& [pname, policy] : policies(x))
      for (const auto& f1 : reps)
        for (const auto& f2 : reps) {
          const std::string what = name + ": " + f1 + " + " + f2 + " (" + pname + ")";
          for (const std::string kind : {"", "hbm", "device"}) {
            ShareRequest req{f1, f2, kind};
            expect_heads(x, "share " + what + " " + kind, share(x, policy, req), [&](std::size_t k) {
              Policy p = policy;
              p.count = k;
              return share(x, p, req);
            });
          }
          ChainRequest req{{f1, f2}};
          expect_heads(x, "chain " + what, chain(x, policy, req), [&](std::size_t k) {
            Policy p = policy;
            p.count = k;
            return chain(x, p, req);
          });
          ++checked;
        }
  }
  EXPECT_GT(checked, 1000u);
}

// The generated machine: a GPU and a DSA below one switch hand off peer-to-peer (PIX),
// found before any shared-memory level; without peer-to-peer they meet in memory.
TEST(PairSearch, GeneratedMachineChainsBelowOneSwitchFirst) {
  PathIndex x(snapshot_of(generated_tree()));
  Policy p;
  p.count = 1;
  // gpu -> dma: no device offers both; the first answer is a hand-off below one switch.
  auto r = chain(x, p, ChainRequest{{"gpu.compute", "dma.memmove"}});
  ASSERT_EQ(r.items.size(), 1u) << r.reason;
  Policy all;
  auto full = chain(x, all, ChainRequest{{"gpu.compute", "dma.memmove"}});
  ASSERT_FALSE(full.items.empty());
  EXPECT_EQ(ranked_to_json(x, r), head(x, full, 1));
  EXPECT_EQ(r.items[0].explanation.steps[0].note, "peer-to-peer");
  EXPECT_EQ(r.items[0].explanation.worst, PathClass::kSameSwitch);
  // Without peer-to-peer the same pair types meet in memory.
  p.p2p_max_class = PathClass::kSelf;
  auto mem = chain(x, p, ChainRequest{{"gpu.compute", "dma.memmove"}});
  ASSERT_EQ(mem.items.size(), 1u) << mem.reason;
  EXPECT_EQ(mem.items[0].explanation.steps[0].note, "shared memory");
}

TEST(PairSearch, IndexGroupsHoldEveryPeerPairOfTheirClass) {
  for (const auto& [name, dir] : trees()) {
    PathIndex x(snapshot_of(dir));
    const auto n = static_cast<std::uint32_t>(x.accelerator_count());
    using G = PathIndex::PeerGrouping;
    // group id of each accelerator per grouping (-1: none)
    std::map<G, std::vector<int>> group_of;
    for (G g : {G::kPackage, G::kPciBranch, G::kPciTree, G::kNumaNode, G::kCpuPackage}) {
      auto& v = group_of[g];
      v.assign(n, -1);
      const auto& gs = x.peer_groups(g);
      for (std::size_t k = 0; k < gs.size(); ++k) {
        EXPECT_GE(gs[k].size(), 2u);
        EXPECT_TRUE(std::is_sorted(gs[k].begin(), gs[k].end()));
        for (auto a : gs[k]) {
          EXPECT_EQ(v[a], -1) << name << ": in two groups of one grouping";
          v[a] = static_cast<int>(k);
        }
      }
    }
    auto together = [&](G g, std::uint32_t a, std::uint32_t b) { return group_of[g][a] >= 0 && group_of[g][a] == group_of[g][b]; };
    const auto& linked = x.linked_pairs();
    for (std::uint32_t a = 0; a < n; ++a)
      for (std::uint32_t b = a + 1; b < n; ++b) {
        const PathClass c = x.device_path(a, b).cls;
        const std::string what = name + ": " + std::string(x.place(a).key) + " ~ " + std::string(x.place(b).key);
        switch (c) {
          case PathClass::kSamePackage: EXPECT_TRUE(together(G::kPackage, a, b)) << what; break;
          case PathClass::kDirectLink:
            EXPECT_TRUE(std::binary_search(linked.begin(), linked.end(), std::pair(a, b))) << what;
            break;
          case PathClass::kSameSwitch:
          case PathClass::kAcrossSwitches: EXPECT_TRUE(together(G::kPciBranch, a, b)) << what; break;
          case PathClass::kHostBridge: EXPECT_TRUE(together(G::kPciTree, a, b)) << what; break;
          case PathClass::kSameNode:
            EXPECT_TRUE(together(G::kNumaNode, a, b) || together(G::kCpuPackage, a, b)) << what;
            break;
          default: break;
        }
      }
    // Shared targets: exactly the memories two or more accelerators count as local.
    std::vector<int> locals(x.memory_targets().size(), 0);
    for (std::uint32_t a = 0; a < n; ++a)
      for (auto m : x.local_targets(a)) ++locals[m];
    std::vector<std::uint32_t> expect;
    for (std::uint32_t m = 0; m < locals.size(); ++m)
      if (locals[m] >= 2) expect.push_back(m);
    EXPECT_EQ(x.shared_targets(), expect) << name;
    // Offer bits match the offer lists.
    for (std::uint32_t f = 0; f < x.function_count(); ++f) {
      std::size_t bits = 0;
      for (std::uint32_t a = 0; a < n; ++a) bits += x.offers_function(f, a);
      EXPECT_EQ(bits, x.offers(f).size()) << name << " " << x.function_name(f);
      for (const Offer& o : x.offers(f)) EXPECT_EQ(x.offer(f, o.accelerator), &o);
    }
  }
}

// Device paths are computed on demand; explanation steps point at the index's stable copies,
// one per distinct path, shared by threads.
TEST(PairSearch, StableDevicePathsAreSharedAndThreadSafe) {
  PathIndex x(snapshot_of(testing::corpus_root("rocm-mi210-2hives")));
  const auto n = static_cast<std::uint32_t>(x.accelerator_count());
  ASSERT_GE(n, 4u);
  const Path* p01 = x.stable_path(x.device_path(0, 1));
  EXPECT_EQ(p01, x.stable_path(x.device_path(1, 0)));  // symmetric: the same copy
  EXPECT_EQ(compare_paths(*p01, x.device_path(0, 1)), 0);
  EXPECT_EQ(p01->basis, x.device_path(0, 1).basis);
  EXPECT_NE(x.stable_path(x.device_path(0, 0)), p01);
  Policy all;
  all.p2p_max_class = PathClass::kAcrossSockets;
  const std::string want = ranked_to_json(x, chain(x, all, ChainRequest{{"gpu.compute", "gpu.compute"}}));
  std::vector<std::string> got(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int k = 0; k < 20; ++k) got[t] = ranked_to_json(x, chain(x, all, ChainRequest{{"gpu.compute", "gpu.compute"}}));
    });
  for (auto& t : threads) t.join();
  for (const auto& g : got) EXPECT_EQ(g, want);
}

// Facts where one accelerator lists a function twice: ids no longer decide ties alone, so
// share and chain rank every pair (and still agree with the whole ranking).
TEST(PairSearch, DuplicateFunctionFallsBackToTheFullRanking) {
  FactSet f;
  Object& n = f.object("numa:0", "numa_node");
  n.set("cpus", Value(IdSet{{0, 1}}), Unit::kNone, Provenance::kKernel, "test");
  n.set("capacity", Value(std::int64_t{1} << 34), Unit::kBytes, Provenance::kKernel, "test");
  for (const char* key : {"idxd:dsa0", "idxd:dsa1"}) {
    Object& a = f.object(key, "accelerator");
    a.set("family", Value(std::string("dsa")), Unit::kNone, Provenance::kKernel, "test");
    a.set("numa_node", Value(std::int64_t{0}), Unit::kNone, Provenance::kKernel, "test");
    for (const char* fn : {"a", "b"}) {
      Object& o = f.object(std::string("fn:") + key + ":" + fn, "function");
      o.set("device", Value(std::string(key)), Unit::kNone, Provenance::kKernel, "test");
      o.set("name", Value(std::string("dma.memmove")), Unit::kNone, Provenance::kKernel, "test");
      o.set("state", Value(std::string("available")), Unit::kNone, Provenance::kKernel, "test");
    }
  }
  PathIndex x(build_snapshot(std::move(f)));
  EXPECT_FALSE(x.ranked_by_id());
  Policy p;
  auto all = chain(x, p, ChainRequest{{"dma.memmove", "dma.memmove"}});
  EXPECT_EQ(all.items.size(), 16u);  // 4 offers x 4 offers: duplicates count, as the full ranking has them
  for (std::size_t k = 1; k <= 17; ++k) {
    p.count = k;
    EXPECT_EQ(ranked_to_json(x, chain(x, p, ChainRequest{{"dma.memmove", "dma.memmove"}})), head(x, all, k)) << k;
  }
}

}  // namespace
}  // namespace accelmap
