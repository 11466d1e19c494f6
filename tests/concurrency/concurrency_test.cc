// Concurrent readers: several threads discover the same root (FsRoot's const
// methods are documented thread-safe) and render one shared immutable
// snapshot at once. Run under ThreadSanitizer by scripts/test.sh (label
// "concurrency"); in the normal build it checks the outputs agree.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "accelmap/discover.h"
#include "accelmap/path_index.h"
#include "accelmap/query.h"
#include "accelmap/render.h"
#include "accelmap/snapshot.h"
#include "test_util.h"

namespace accelmap {
namespace {

constexpr int kThreads = 4;

TEST(Concurrency, ThreadsShareOneRootAndOneSnapshot) {
  const std::string dir = testing::source_dir() + "/demo/root";
  auto root = FsRoot::open(dir);
  ASSERT_TRUE(root);
  auto facts = discover(*root, DiscoverOptions{});
  ASSERT_TRUE(facts);
  const std::string expected_facts = facts_to_json(*facts);
  std::shared_ptr<const Snapshot> snap = build_snapshot(std::move(*facts));
  const std::string expected_json = snapshot_to_json(*snap);
  const std::string expected_text = render_text(*snap, TextOptions{});

  std::vector<std::string> got_facts(kThreads), got_json(kThreads), got_text(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      // One shared FsRoot, one shared snapshot: the documented sharing.
      auto f = discover(*root, DiscoverOptions{});
      if (f) got_facts[i] = facts_to_json(*f);
      got_json[i] = snapshot_to_json(*snap);
      got_text[i] = render_text(*snap, TextOptions{});
      (void)render_functions_table(*snap, false);
      (void)accelerators_to_json(*snap);
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kThreads; ++i) {
    EXPECT_EQ(got_facts[i], expected_facts);
    EXPECT_EQ(got_json[i], expected_json);
    EXPECT_EQ(got_text[i], expected_text);
  }
}

// One discovery whose pci provider works in parts on several threads: the
// parts share the root (its batch readers, one per thread) and write their own
// fact sets, absorbed in order.
// Trees with PCI functions, idxd, uacce and QAT devices, FPGA regions and KFD
// GPU nodes with links (xGMI hives, partitions) to split.
TEST(Concurrency, ProviderPartsOnThreadsShareOneRoot) {
  for (const std::string& dir : {testing::source_dir() + "/demo/root", testing::source_dir() + "/tests/trees/kunpeng-hisi",
                                testing::source_dir() + "/tests/trees/qat-4xxx",
                                testing::source_dir() + "/tests/trees/fpga-n3000-after",
                                testing::corpus_root("rocm-mi210-2hives"), testing::corpus_root("rocm-mi308x-cpx")}) {
    auto root = FsRoot::open(dir);
    ASSERT_TRUE(root) << dir;
    DiscoverOptions one, parts;
    one.threads = 1;
    parts.threads = kThreads;
    auto a = discover(*root, one);
    auto b = discover(*root, parts);
    ASSERT_TRUE(a && b) << dir;
    EXPECT_EQ(facts_to_json(*b), facts_to_json(*a)) << dir;
  }
}

// One PathIndex shared by query threads: device paths and paths to device memory are
// computed on demand, the copies explanation steps point at are interned behind the
// index's lock, and each function's ranking per memory target is built on first use.
// The snapshot of a corpus tree; null (with a test failure) when it cannot be read.
std::shared_ptr<const Snapshot> corpus_snapshot(const std::string& name) {
  const std::string dir = testing::corpus_root(name);
  EXPECT_FALSE(dir.empty()) << name;
  auto root = FsRoot::open(dir);
  EXPECT_TRUE(root) << name;
  if (!root) return nullptr;
  auto facts = discover(*root, DiscoverOptions{});
  EXPECT_TRUE(facts) << name;
  return facts ? build_snapshot(std::move(*facts)) : nullptr;
}

TEST(Concurrency, QueriesShareOnePathIndex) {
  auto snap = corpus_snapshot("rocm-mi210-2hives");
  ASSERT_TRUE(snap);
  const PathIndex index(snap);
  Policy any;
  any.p2p_max_class = PathClass::kAcrossSockets;
  const ChainRequest gpu_to_gpu{{"gpu.compute", "gpu.compute"}};
  // A machine whose partitions share package memory (paths to device memory): every
  // memory target once per thread, in a different order per thread, so each
  // (function, target) ranking is built on first use by whichever thread asks first.
  auto cpx_snap = corpus_snapshot("rocm-mi308x-cpx");
  ASSERT_TRUE(cpx_snap);
  const PathIndex cpx(cpx_snap);
  auto nearest_everywhere = [&](int start) {
    const auto& targets = cpx.memory_targets();
    std::vector<std::string> out(targets.size());
    for (std::size_t k = 0; k < targets.size(); ++k) {
      const std::size_t m = (k + static_cast<std::size_t>(start)) % targets.size();
      NearestRequest near;
      near.function = "gpu.compute";
      near.target.keys = {targets[m].key};
      out[m] = ranked_to_json(cpx, nearest(cpx, any, near));
    }
    return out;
  };
  std::vector<std::string> got(kThreads);
  std::vector<std::vector<std::string>> got_near(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&, i] {
      got_near[i] = nearest_everywhere(i * 3);
      for (int k = 0; k < 10; ++k) got[i] = ranked_to_json(index, chain(index, any, gpu_to_gpu));
    });
  for (auto& t : threads) t.join();
  const std::string want = ranked_to_json(index, chain(index, any, gpu_to_gpu));
  EXPECT_NE(want.find("kfd:"), std::string::npos) << want;
  for (const auto& g : got) EXPECT_EQ(g, want);
  const std::vector<std::string> want_near = nearest_everywhere(0);
  ASSERT_GT(want_near.size(), 2u);
  for (const auto& g : got_near) EXPECT_EQ(g, want_near);
}

// With the PCI ID database every discovery starts its own second thread (the
// names pass, then /proc/crypto read ahead: Prefetched): several at once on
// one root give what one gives alone.
TEST(Concurrency, DiscoveriesWithTheirNamesThreads) {
  auto root = FsRoot::open(testing::source_dir() + "/tests/trees/qat-4xxx");
  ASSERT_TRUE(root);
  DiscoverOptions named;
  named.pci_ids_path = testing::pci_ids_path();
  auto one = discover(*root, named);
  ASSERT_TRUE(one);
  const std::string expected = facts_to_json(*one);
  ASSERT_NE(expected.find("vendor_name"), std::string::npos);
  std::vector<std::string> got(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&, i] {
      for (int round = 0; round < 3; ++round) {
        auto f = discover(*root, named);
        got[i] = f ? facts_to_json(*f) : f.error().message();
        if (got[i] != expected) return;
      }
    });
  for (auto& t : threads) t.join();
  for (const auto& g : got) EXPECT_EQ(g, expected);
}

TEST(Concurrency, RecorderSharedBetweenThreads) {
  // The AccessRecorder is internally synchronised; a capture may run providers in parallel later.
  FsRoot::Options o;
  o.recorder = std::make_shared<AccessRecorder>();
  auto root = FsRoot::open(testing::source_dir() + "/demo/root", o);
  ASSERT_TRUE(root);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&] { (void)discover(*root, DiscoverOptions{}); });
  for (auto& t : threads) t.join();
  EXPECT_FALSE(o.recorder->files().empty());
}

}  // namespace
}  // namespace accelmap
