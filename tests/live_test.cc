// Live machine: diff, incremental re-probe (always equal to a fresh discovery),
// the watcher's events on scripted edits of copied trees, readers under change,
// and an event storm.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <functional>
#include <mutex>
#include <random>
#include <thread>

#include "accelmap/diff.h"
#include "accelmap/discover.h"
#include "accelmap/incremental.h"
#include "accelmap/watch.h"
#include "test_util.h"

namespace accelmap {
namespace {

using namespace std::chrono_literals;
using testing::run_command;

std::string copy_tree(const std::string& src) {
  std::string dst = testing::make_temp_dir() + "/root";
  auto r = run_command("cp -a '" + src + "' '" + dst + "'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return dst;
}

std::string tree(const std::string& name) { return testing::source_dir() + "/tests/trees/" + name; }

DiscoverOptions options_for(const std::string& catalog = "") {
  DiscoverOptions o;  // no pci.ids: names are not what changes here
  if (!catalog.empty()) o.catalog_files.push_back(catalog);
  return o;
}

FactSet fresh(const std::string& root, const DiscoverOptions& o) {
  auto fs = FsRoot::open(root);
  EXPECT_TRUE(static_cast<bool>(fs));
  auto f = discover(*fs, o);
  EXPECT_TRUE(f.has_value());
  return std::move(*f);
}

// Replaces a file atomically (written next door, renamed in), so a poll never
// sees it half-written.
void rewrite(const std::string& path, const std::string& content) {
  std::string tmp = testing::make_temp_dir() + "/new";
  { std::ofstream(tmp) << content; }
  ASSERT_EQ(std::rename(tmp.c_str(), path.c_str()), 0) << path;
}

void move(const std::string& from, const std::string& to) {
  ASSERT_EQ(std::rename(from.c_str(), to.c_str()), 0) << from;
}

std::string find_one(const std::string& root, const std::string& find_args) {
  auto r = run_command("find '" + root + "' " + find_args + " | sort | head -1");
  std::string s = r.out;
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

// A watcher on a copied tree that records every change it publishes.
class Live {
 public:
  Live(const std::string& root, DiscoverOptions o) : root_(root), options_(std::move(o)) {
    Watcher::Options wo;
    wo.root = root;
    wo.discover = options_;
    wo.interval = 10ms;
    wo.coalesce = 5ms;
    wo.netlink = false;
    auto w = Watcher::start(wo);
    EXPECT_TRUE(w.has_value());
    w_ = std::move(*w);
    w_->subscribe([this](const Change& c) {
      std::lock_guard<std::mutex> l(mu_);
      changes_.push_back(c);
    });
  }
  // Applies `edit`, waits until the watcher caught up, and returns the changes
  // it published for it. Checks "incremental equals fresh" and that the event's
  // diff is exactly the diff of fresh discoveries before and after.
  std::vector<Change> step(const std::function<void()>& edit, bool one_event = true) {
    FactSet before = fresh(root_, options_);
    edit();
    EXPECT_TRUE(w_->settle(10s));
    EXPECT_TRUE(w_->settle(10s));  // a second pass: nothing is left pending
    FactSet after = fresh(root_, options_);
    EXPECT_EQ(facts_to_json(w_->current()->snapshot->facts()), facts_to_json(after));
    std::vector<Change> out;
    {
      std::lock_guard<std::mutex> l(mu_);
      out.swap(changes_);
    }
    FactsDiff expected = diff_facts(before, after);
    if (expected.empty()) {
      EXPECT_TRUE(out.empty());
    } else if (!one_event) {
      EXPECT_FALSE(out.empty());
    } else {
      EXPECT_EQ(out.size(), 1u);
      if (!out.empty()) {
        EXPECT_EQ(diff_to_json(out[0].diff), diff_to_json(expected));
      }
    }
    return out;
  }
  Watcher& watcher() { return *w_; }

 private:
  std::string root_;
  DiscoverOptions options_;
  std::unique_ptr<Watcher> w_;
  std::mutex mu_;
  std::vector<Change> changes_;
};

const ObjectChange* changed(const FactsDiff& d, const std::string& key) {
  for (const auto& c : d.changed)
    if (c.key == key) return &c;
  return nullptr;
}

const AttrChange* attr_change(const ObjectChange* c, const std::string& name) {
  if (!c) return nullptr;
  for (const auto& a : c->attrs)
    if (a.name == name) return &a;
  return nullptr;
}

TEST(Diff, AddedRemovedChangedAndFunctions) {
  FactSet a, b;
  a.object("acc:x", "accelerator").set("state", std::string("on"), Unit::kNone, Provenance::kKernel, "/s");
  a.object("fn:acc:x:compress.deflate", "function").set("device", std::string("acc:x"), Unit::kNone, Provenance::kKernel, "/s");
  a.object("fn:acc:x:compress.deflate", "function").set("name", std::string("compress.deflate"), Unit::kNone, Provenance::kKernel, "/s");
  a.object("gone", "thing");
  b.object("acc:x", "accelerator").set("state", std::string("off"), Unit::kNone, Provenance::kKernel, "/s");
  b.object("fn:acc:x:dma.memmove", "function").set("device", std::string("acc:x"), Unit::kNone, Provenance::kKernel, "/s");
  b.object("fn:acc:x:dma.memmove", "function").set("name", std::string("dma.memmove"), Unit::kNone, Provenance::kKernel, "/s");
  FactsDiff d = diff_facts(a, b);
  ASSERT_EQ(d.removed.size(), 2u);
  EXPECT_EQ(d.removed[1].key, "gone");
  ASSERT_EQ(d.added.size(), 1u);
  ASSERT_EQ(d.changed.size(), 1u);
  EXPECT_EQ(d.changed[0].attrs[0].after->value.as_string(), "off");
  ASSERT_EQ(d.functions.size(), 1u);
  EXPECT_EQ(d.functions[0].added, std::vector<std::string>{"dma.memmove"});
  EXPECT_EQ(d.functions[0].removed, std::vector<std::string>{"compress.deflate"});
  EXPECT_TRUE(diff_facts(a, a).empty());
  EXPECT_EQ(diff_to_json(d), diff_to_json(diff_facts(a, b)));  // deterministic
  EXPECT_NE(diff_to_json(d).find("\"format\":\"accelmap-diff\""), std::string::npos);
}

TEST(Incremental, FullPassEqualsDiscoverOnEveryHandWrittenTree) {
  for (const char* name : {"fpga-n3000-before", "xeon-dsa-iaa", "qat-4xxx", "kunpeng-hisi", "cxl-expander"}) {
    auto inc = IncrementalDiscovery::create(tree(name), options_for());
    ASSERT_TRUE(inc.has_value()) << name;
    EXPECT_EQ(facts_to_json(inc->facts()), facts_to_json(fresh(tree(name), options_for()))) << name;
    inc->reprobe({"pci"});
    EXPECT_EQ(facts_to_json(inc->facts()), facts_to_json(fresh(tree(name), options_for()))) << name;
  }
}

TEST(Incremental, RandomisedEditsStayEqualToFresh) {
  std::string root = copy_tree(tree("xeon-dsa-iaa"));
  auto inc = IncrementalDiscovery::create(root, options_for());
  ASSERT_TRUE(inc.has_value());
  // Candidate files: everything the discovery read below /sys.
  std::vector<std::string> files;
  for (const auto& p : inc->provider_names())
    for (const auto& [f, read] : inc->reads_of(p).files)
      if (f.rfind("/sys/", 0) == 0) files.push_back(f);
  ASSERT_FALSE(files.empty());
  std::mt19937 rng(20240605);
  const char* values[] = {"enabled", "disabled", "0", "1", "-1", "dc", "sym;asym", "", "garbage"};
  for (int step = 0; step < 25; ++step) {
    const std::string& f = files[rng() % files.size()];
    rewrite(root + f, std::string(values[rng() % std::size(values)]) + "\n");
    auto readers = inc->providers_reading(f);
    inc->reprobe(readers);
    ASSERT_EQ(facts_to_json(inc->facts()), facts_to_json(fresh(root, options_for()))) << "step " << step << " " << f;
  }
}

TEST(Watch, FpgaRegionReprogrammed) {
  std::string catalog = tree("fpga-catalog.json");
  std::string root = copy_tree(tree("fpga-n3000-before"));
  std::string afu = find_one(root + "/sys/devices", "-name afu_id");
  ASSERT_FALSE(afu.empty());
  std::string after_afu = find_one(tree("fpga-n3000-after") + "/sys/devices", "-name afu_id");
  std::ifstream in(after_afu);
  std::string new_id((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Live live(root, options_for(catalog));
  auto ch = live.step([&] { rewrite(afu, new_id); });
  ASSERT_EQ(ch.size(), 1u);
  ASSERT_FALSE(ch[0].diff.functions.empty());
  bool added = false, removed = false;
  for (const auto& f : ch[0].diff.functions) {
    added |= !f.added.empty();
    removed |= !f.removed.empty();
  }
  EXPECT_TRUE(added);
  EXPECT_TRUE(removed);
  EXPECT_TRUE(ch[0].providers.count("fpga"));
  EXPECT_FALSE(ch[0].providers.count("numa"));  // only what the change touches runs
  // The copy now reads exactly as the recorded "after" card.
  EXPECT_EQ(facts_to_json(live.watcher().current()->snapshot->facts()),
            facts_to_json(fresh(tree("fpga-n3000-after"), options_for(catalog))));
}

TEST(Watch, DsaWorkQueueEnabledThenDisabled) {
  std::string root = copy_tree(tree("xeon-dsa-iaa"));
  std::string state = root + "/sys/devices/pci0000:6a/0000:6a:01.0/dsa0/wq0.1/state";
  Live live(root, options_for());
  auto on = live.step([&] { rewrite(state, "enabled\n"); });
  ASSERT_EQ(on.size(), 1u);
  const AttrChange* a = attr_change(changed(on[0].diff, "idxd:wq0.1"), "state");
  ASSERT_NE(a, nullptr) << diff_to_json(on[0].diff, 1);
  EXPECT_EQ(a->after->value.as_string(), "enabled");
  EXPECT_EQ(on[0].generation->number, 2u);
  auto off = live.step([&] { rewrite(state, "disabled\n"); });
  ASSERT_EQ(off.size(), 1u);
  a = attr_change(changed(off[0].diff, "idxd:wq0.1"), "state");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->after->value.as_string(), "disabled");
  EXPECT_EQ(off[0].generation->number, 3u);
}

TEST(Watch, QatServicesRewritten) {
  std::string root = copy_tree(tree("qat-4xxx"));
  std::string cfg = root + "/sys/devices/pci0000:6b/0000:6b:00.0/qat/cfg_services";
  Live live(root, options_for());
  auto ch = live.step([&] { rewrite(cfg, "dc\n"); });
  ASSERT_EQ(ch.size(), 1u);
  bool compress_added = false, crypto_removed = false;
  for (const auto& f : ch[0].diff.functions) {
    for (const auto& n : f.added) compress_added |= n.rfind("compress.", 0) == 0;
    for (const auto& n : f.removed) crypto_removed |= n.rfind("crypto.", 0) == 0;
  }
  EXPECT_TRUE(compress_added) << diff_to_json(ch[0].diff, 1);
  EXPECT_TRUE(crypto_removed);
}

TEST(Watch, UacceDeviceIsolated) {
  std::string root = copy_tree(tree("kunpeng-hisi"));
  Live live(root, options_for());
  auto ch = live.step([&] { rewrite(root + "/sys/devices/pci0000:75/0000:75:00.0/uacce/hisi_zip-0/isolate", "1\n"); });
  ASSERT_EQ(ch.size(), 1u);
  EXPECT_TRUE(ch[0].providers.count("uacce"));
}

TEST(Watch, GpuRemovedAndReAddedKeepsItsKey) {
  std::string root = copy_tree(testing::corpus_root("rocm-vega10"));
  std::string nodes = root + "/sys/class/kfd/kfd/topology/nodes";
  std::string node = find_one(nodes, "-mindepth 1 -maxdepth 1 -name '[1-9]*'");
  ASSERT_FALSE(node.empty());
  std::string away = testing::make_temp_dir() + "/node";
  Live live(root, options_for());
  FactSet start = live.watcher().current()->snapshot->facts();
  auto gone = live.step([&] { move(node, away); });
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_FALSE(gone[0].diff.removed.empty());
  auto back = live.step([&] { move(away, node); });
  ASSERT_EQ(back.size(), 1u);
  std::vector<std::string> removed_keys, added_keys;
  for (const auto& r : gone[0].diff.removed) removed_keys.push_back(r.key);
  for (const auto& r : back[0].diff.added) added_keys.push_back(r.key);
  EXPECT_EQ(removed_keys, added_keys);  // same stable keys back
  EXPECT_EQ(facts_to_json(live.watcher().current()->snapshot->facts()), facts_to_json(start));
}

TEST(Watch, CxlRegionOnlinedAsNewNode) {
  std::string root = copy_tree(tree("cxl-expander"));
  std::string nd = root + "/sys/devices/system/node";
  Live live(root, options_for());
  auto ch = live.step([&] {
    std::string staging = testing::make_temp_dir() + "/node2";
    ASSERT_EQ(run_command("cp -a '" + nd + "/node1' '" + staging + "'").exit_code, 0);
    rewrite(staging + "/cpulist", "\n");
    move(staging, nd + "/node2");
    rewrite(nd + "/online", "0-2\n");
    rewrite(nd + "/has_memory", "0-2\n");
  }, /*one_event=*/false);
  // Several files changed; the watcher may publish them in one or more steps,
  // but the end state is exact (checked in step) and numa:2 is there.
  EXPECT_NE(live.watcher().current()->snapshot->facts().find("numa:2"), nullptr);
  (void)ch;
}

TEST(Watch, ReadersAlwaysSeeOneWholeGeneration) {
  std::string root = copy_tree(tree("xeon-dsa-iaa"));
  std::string state = root + "/sys/devices/pci0000:6a/0000:6a:01.0/dsa0/wq0.1/state";
  Live live(root, options_for());
  // Generation -> facts JSON as published (recorded by a subscriber).
  std::mutex mu;
  std::map<std::uint64_t, std::string> published;
  published[1] = facts_to_json(live.watcher().current()->snapshot->facts());
  live.watcher().subscribe([&](const Change& c) {
    std::lock_guard<std::mutex> l(mu);
    published[c.generation->number] = facts_to_json(c.generation->snapshot->facts());
  });
  std::atomic<bool> done{false};
  std::atomic<int> bad{0}, reads{0};
  std::vector<std::thread> readers;
  std::vector<std::vector<std::pair<std::uint64_t, std::string>>> seen(4);
  for (int i = 0; i < 4; ++i)
    readers.emplace_back([&, i] {
      std::uint64_t last = 0;
      while (!done.load()) {
        auto g = live.watcher().current();
        if (!g || !g->snapshot || g->number < last) ++bad;
        last = g->number;
        if (seen[i].size() < 200) seen[i].emplace_back(g->number, facts_to_json(g->snapshot->facts()));
        ++reads;
      }
    });
  for (int k = 0; k < 6; ++k) {
    rewrite(state, k % 2 ? "disabled\n" : "enabled\n");
    ASSERT_TRUE(live.watcher().settle(10s));
  }
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(live.watcher().current()->number, 7u);
  std::lock_guard<std::mutex> l(mu);
  for (const auto& v : seen)
    for (const auto& [n, json] : v) EXPECT_EQ(json, published.at(n)) << "generation " << n;
}

TEST(Watch, EventStormEndsInTheFreshSnapshotWithBoundedPending) {
  std::string root = copy_tree(tree("qat-4xxx"));
  std::string cfg = root + "/sys/devices/pci0000:6b/0000:6b:00.0/qat/cfg_services";
  Live live(root, options_for());
  std::thread storm([&] {
    const char* subs[] = {"pci", "dsa", "drm", "cxl", "node", "usb", "block", "net"};
    for (int i = 0; i < 5000; ++i) live.watcher().notify_uevent(subs[i % std::size(subs)], "/devices/x");
  });
  for (int k = 0; k < 5; ++k) rewrite(cfg, k % 2 ? "sym;asym\n" : "dc\n");
  storm.join();
  ASSERT_TRUE(live.watcher().settle(20s));
  ASSERT_TRUE(live.watcher().settle(20s));
  EXPECT_EQ(facts_to_json(live.watcher().current()->snapshot->facts()), facts_to_json(fresh(root, options_for())));
  auto st = live.watcher().stats();
  EXPECT_GE(st.events, 5000u);
  EXPECT_GT(st.ignored, 0u);
  EXPECT_LE(st.pending_max, IncrementalDiscovery::create(root, options_for())->provider_names().size());
  EXPECT_LT(st.reprobes, 1000u);  // coalesced, not one pass per event
}

// A file can change between the poll that sees it change and the probe that
// reads it, and change back before the next poll. The watcher's baseline is
// what the probe read, not what the poll saw, so the final value always wins:
// edits spaced across poll, coalescing window and probe, many rounds.
TEST(Watch, AFileChangedBackDuringAProbeIsNotLost) {
  std::string root = copy_tree(tree("qat-4xxx"));
  std::string cfg = root + "/sys/devices/pci0000:6b/0000:6b:00.0/qat/cfg_services";
  Live live(root, options_for());
  std::mt19937 rng(7);
  for (int round = 0; round < 12; ++round) {
    for (int k = 0; k < 6; ++k) {
      rewrite(cfg, k % 2 ? "sym;asym\n" : "dc\n");
      std::this_thread::sleep_for(std::chrono::microseconds(rng() % 9000));
    }
    ASSERT_TRUE(live.watcher().settle(20s));
    ASSERT_TRUE(live.watcher().settle(20s));
    ASSERT_EQ(facts_to_json(live.watcher().current()->snapshot->facts()), facts_to_json(fresh(root, options_for())))
        << "round " << round;
  }
}

TEST(Watch, VanishedFileIsADiagnosticNotAnError) {
  std::string root = copy_tree(tree("xeon-dsa-iaa"));
  Live live(root, options_for());
  live.step([&] { std::remove((root + "/sys/devices/pci0000:6a/0000:6a:01.0/dsa0/wq0.1/state").c_str()); });
  EXPECT_GE(live.watcher().current()->number, 1u);
}

TEST(Uevent, ParsesKernelDatagramsAndMapsSubsystems) {
  std::string msg("change@/devices/pci0000:6a/0000:6a:01.0/dsa0/wq0.1\0ACTION=change\0DEVPATH=/devices/pci0000:6a/0000:6a:01.0/dsa0/wq0.1\0SUBSYSTEM=dsa\0SEQNUM=7\0", 140);
  std::string sub, path, action;
  ASSERT_TRUE(parse_uevent(msg, &sub, &path, &action));
  EXPECT_EQ(sub, "dsa");
  EXPECT_EQ(action, "change");
  EXPECT_EQ(providers_for_subsystem("dsa"), std::set<std::string>{"idxd"});
  EXPECT_TRUE(providers_for_subsystem("usb").empty());
  EXPECT_TRUE(providers_for_subsystem("pci").count("qat"));
  EXPECT_EQ(providers_for_path("/sys/class/drm/card0"), (std::set<std::string>{"drm", "kfd"}));
  EXPECT_FALSE(parse_uevent(std::string("libudev\0\xfe\xed", 10), &sub, &path, &action));
}

// notify_path() needs no poll: the recorded reads name the providers that read
// the path, so only they are re-probed and the change is published.
TEST(Watcher, NotifiedPathIsReprobedWithoutAPoll) {
  std::string root = copy_tree(tree("xeon-dsa-iaa"));
  const std::string rel = "/sys/devices/pci0000:6a/0000:6a:01.0/dsa0/wq0.1/state";
  Watcher::Options wo;
  wo.root = root;
  wo.discover = options_for();
  wo.interval = std::chrono::hours(1);  // polling would come far too late
  wo.coalesce = 0ms;
  wo.netlink = false;
  auto w = Watcher::start(wo);
  ASSERT_TRUE(w.has_value());
  // The callback runs on the watcher thread after the generation is published,
  // so the test waits for the callback itself, not only for the generation.
  std::mutex mu;
  std::condition_variable called;
  std::set<std::string> ran;
  (*w)->subscribe([&](const Change& c) {
    std::lock_guard<std::mutex> l(mu);
    ran = c.providers;
    called.notify_all();
  });
  rewrite(root + rel, "enabled\n");
  (*w)->notify_path(rel);
  auto g = (*w)->wait_for_generation_after(1, 20s);
  ASSERT_TRUE(g);
  {
    // Its reader and the providers that depend on what the reader changed
    // (crypto_registry, pci_class, pci_names), but not pci, which owns
    // /sys/devices by prefix and which nothing here made dirty.
    std::unique_lock<std::mutex> l(mu);
    ASSERT_TRUE(called.wait_for(l, 20s, [&] { return !ran.empty(); }));
    EXPECT_TRUE(ran.count("idxd"));
    EXPECT_FALSE(ran.count("pci"));
  }
  EXPECT_EQ(g->number, 2u);
  const Object* wq = g->snapshot->facts().find("idxd:wq0.1");
  ASSERT_TRUE(wq);
  ASSERT_TRUE(wq->get_string("state"));
  EXPECT_EQ(*wq->get_string("state"), "enabled");
  EXPECT_EQ((*w)->stats().polls, 0u);
  EXPECT_EQ(facts_to_json(g->snapshot->facts()), facts_to_json(fresh(root, wo.discover)));
}

TEST(LiveCli, DiffExitCodesAndWatchStops) {
  std::string cli = testing::cli_path();
  auto same = run_command(cli + " diff --pci-ids none '" + tree("fpga-n3000-before") + "' '" +
                          tree("fpga-n3000-before") + "'");
  EXPECT_EQ(same.exit_code, 0) << same.err;
  auto differ = run_command(cli + " diff --json --pci-ids none '" + tree("fpga-n3000-before") + "' '" +
                            tree("fpga-n3000-after") + "'");
  EXPECT_EQ(differ.exit_code, 1) << differ.err;
  EXPECT_NE(differ.out.find("accelmap-diff"), std::string::npos);
  EXPECT_EQ(run_command(cli + " diff onlyone").exit_code, 2);
  std::string root = copy_tree(tree("xeon-dsa-iaa"));
  std::string state = root + "/sys/devices/pci0000:6a/0000:6a:01.0/dsa0/wq0.1/state";
  auto w = run_command("(sleep 1; printf 'enabled\\n' > '" + state + "') & " + cli +
                       " watch --pci-ids none --root '" + root + "' --interval 20 --count 1 --timeout 20");
  EXPECT_EQ(w.exit_code, 0) << w.err;
  EXPECT_NE(w.out.find("\"generation\":2"), std::string::npos) << w.out;
  EXPECT_NE(w.out.find("idxd:wq0.1"), std::string::npos);
  auto t = run_command(cli + " watch --pci-ids none --root '" + root + "' --interval 20 --timeout 1");
  EXPECT_EQ(t.exit_code, 0);
  EXPECT_TRUE(t.out.empty());
}

}  // namespace
}  // namespace accelmap
