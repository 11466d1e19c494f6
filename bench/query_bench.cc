// accelmap_query_bench: placement queries and live updates, accelmap against hwloc.
//
//   accelmap_query_bench --root NAME=DIR ... [--rounds N] [benchmark flags]
//       Queries on each tree, interleaved by round like accelmap_bench:
//       accelmap nearest (first answer and whole ranking), share, chain,
//       best_memory, and the PathIndex build; hwloc's nearest OS-device walk
//       and hwloc_memattr_get_best_target on the same tree.
//   accelmap_query_bench --reprobe DIR [--rounds N] [benchmark flags]
//       Live updates, cost side: one provider's incremental re-probe (idxd, pci)
//       against a re-probe of every provider and a fresh discover().
//   accelmap_query_bench --events DIR --file PATH --changes N [--interval MS]
//       Live updates, latency side: writes PATH (a file inside the writable tree
//       DIR) N times, alternating two values, and prints the time from each
//       write to the watcher's change event as JSON, once with notify_path()
//       right after the write (what a uevent does) and once by polling alone.
//
// Queries are answered from an index built once, as a runtime would hold it;
// what is timed is one query. hwloc answers its own versions of the questions
// (there is no hwloc "share" or "chain"), also from a topology loaded once.
#include <benchmark/benchmark.h>
#include <hwloc.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "accelmap/discover.h"
#include "bench_util.h"
#include "accelmap/incremental.h"
#include "accelmap/path_index.h"
#include "accelmap/query.h"
#include "accelmap/snapshot.h"
#include "accelmap/watch.h"

namespace {

using bench::point_hwloc_at;
using bench::Root;

using Clock = std::chrono::steady_clock;

// One tree, loaded once by both libraries.
struct Loaded {
  std::string name;
  std::shared_ptr<const accelmap::Snapshot> snapshot;
  std::unique_ptr<accelmap::PathIndex> index;
  hwloc_topology_t topo = nullptr;
  std::size_t accelerators = 0;
  int hwloc_osdevs = 0;
  // The first call of each query on the freshly built index, once (ns): what a
  // short-lived process pays; the registered benchmarks time warm calls.
  std::vector<std::pair<std::string, double>> cold_ns;
  ~Loaded() {
    if (topo) hwloc_topology_destroy(topo);
  }
};

std::unique_ptr<Loaded> load(const Root& r, const std::string& pci_ids) {
  auto l = std::make_unique<Loaded>();
  l->name = r.name;
  auto root = accelmap::FsRoot::open(r.dir);
  if (!root) return nullptr;
  accelmap::DiscoverOptions opt;
  opt.pci_ids_path = pci_ids;
  auto facts = accelmap::discover(*root, opt);
  if (!facts) return nullptr;
  l->snapshot = accelmap::build_snapshot(std::move(*facts));
  l->index = std::make_unique<accelmap::PathIndex>(l->snapshot);
  l->accelerators = l->index->accelerator_count();
  {
    accelmap::Policy first;
    first.count = 1;
    auto cold = [&](const char* what, auto query) {
      auto t0 = Clock::now();
      benchmark::DoNotOptimize(query().items.size());
      l->cold_ns.emplace_back(what, std::chrono::duration<double, std::nano>(Clock::now() - t0).count());
    };
    accelmap::NearestRequest near;
    near.function = "compress.deflate";
    near.target.numa_nodes = {0};
    cold("accelmap.cold.nearest", [&] { return accelmap::nearest(*l->index, first, near); });
    accelmap::BestMemoryRequest bm;
    bm.from = "numa:0";
    cold("accelmap.cold.best_memory", [&] { return accelmap::best_memory(*l->index, first, bm); });
    accelmap::ShareRequest share;
    share.first = "gpu.compute";
    share.second = "dma.memmove";
    cold("accelmap.cold.share", [&] { return accelmap::share(*l->index, first, share); });
    accelmap::ChainRequest chain{.functions = {"dma.memmove", "compress.deflate"}};
    cold("accelmap.cold.chain", [&] { return accelmap::chain(*l->index, first, chain); });
  }
  point_hwloc_at(r.dir);
  hwloc_topology_init(&l->topo);
  hwloc_topology_set_io_types_filter(l->topo, HWLOC_TYPE_FILTER_KEEP_ALL);
  if (hwloc_topology_load(l->topo) != 0) return nullptr;
  for (hwloc_obj_t o = hwloc_get_next_osdev(l->topo, nullptr); o; o = hwloc_get_next_osdev(l->topo, o))
    ++l->hwloc_osdevs;
  return l;
}

// hwloc's way to the OS device nearest a NUMA node: walk every OS device, take
// its first non-I/O ancestor, keep the deepest one whose CPUs meet the node's.
hwloc_obj_t hwloc_nearest_osdev(hwloc_topology_t topo, hwloc_obj_t node) {
  hwloc_obj_t best = nullptr;
  int best_depth = -1;
  for (hwloc_obj_t o = hwloc_get_next_osdev(topo, nullptr); o; o = hwloc_get_next_osdev(topo, o)) {
    hwloc_obj_t anc = hwloc_get_non_io_ancestor_obj(topo, o);
    if (!anc || !anc->cpuset || !hwloc_bitmap_intersects(anc->cpuset, node->cpuset)) continue;
    if (anc->depth > best_depth) best = o, best_depth = anc->depth;
  }
  return best;
}

void register_queries(const std::vector<std::shared_ptr<Loaded>>& trees, int rounds) {
  using accelmap::Policy;
  // Cold first calls: one measurement each, taken at load (see Loaded::cold_ns).
  for (const auto& t : trees)
    for (const auto& [what, ns] : t->cold_ns)
      benchmark::RegisterBenchmark((what + "/" + t->name + "/round:0").c_str(),
                                   [ns = ns](benchmark::State& st) {
                                     for (auto _ : st) st.SetIterationTime(ns / 1e9);
                                   })
          ->UseManualTime()
          ->Iterations(1)
          ->Unit(benchmark::kNanosecond);
  Policy first;
  first.count = 1;
  Policy all;
  for (int r = 0; r < rounds; ++r) {
    for (const auto& t : trees) {
      const std::string sfx = "/" + t->name + "/round:" + std::to_string(r);
      auto reg = [&](const std::string& what, auto fn) {
        benchmark::RegisterBenchmark((what + sfx).c_str(), fn)->Unit(benchmark::kNanosecond);
      };
      // One accelmap query, timed; its answer count is reported beside the time.
      auto answers = [&](const std::string& what, auto query) {
        reg(what, [t, query](benchmark::State& st) {
          std::size_t n = 0;
          for (auto _ : st) benchmark::DoNotOptimize(n = query(*t->index).items.size());
          st.counters["answers"] = static_cast<double>(n);
        });
      };
      accelmap::NearestRequest near;
      near.function = "compress.deflate";
      near.target.numa_nodes = {0};
      reg("accelmap.nearest.first", [t, first, near](benchmark::State& st) {
        std::size_t n = 0;
        for (auto _ : st) benchmark::DoNotOptimize(n = accelmap::nearest(*t->index, first, near).items.size());
        st.counters["answers"] = static_cast<double>(n);
        st.counters["accelerators"] = static_cast<double>(t->accelerators);
      });
      // The same query into a Ranked kept across calls (the runtime's hot path):
      // no allocation in the steady state.
      reg("accelmap.nearest.first_reused", [t, first, near](benchmark::State& st) {
        accelmap::Ranked out;
        for (auto _ : st) {
          accelmap::nearest(*t->index, first, near, out);
          benchmark::DoNotOptimize(out.items.data());
        }
        st.counters["answers"] = static_cast<double>(out.items.size());
      });
      answers("accelmap.nearest.all", [all, near](const accelmap::PathIndex& x) { return accelmap::nearest(x, all, near); });
      reg("hwloc.nearest_osdev", [t](benchmark::State& st) {
        hwloc_obj_t node = hwloc_get_obj_by_type(t->topo, HWLOC_OBJ_NUMANODE, 0);
        hwloc_obj_t found = nullptr;
        for (auto _ : st) benchmark::DoNotOptimize(found = hwloc_nearest_osdev(t->topo, node));
        st.counters["answers"] = found ? 1 : 0;
        st.counters["osdevs"] = t->hwloc_osdevs;
      });
      accelmap::BestMemoryRequest bm;
      bm.from = "numa:0";
      answers("accelmap.best_memory.first", [first, bm](const accelmap::PathIndex& x) { return accelmap::best_memory(x, first, bm); });
      answers("accelmap.best_memory", [all, bm](const accelmap::PathIndex& x) { return accelmap::best_memory(x, all, bm); });
      reg("hwloc.best_memory", [t](benchmark::State& st) {
        hwloc_obj_t node = hwloc_get_obj_by_type(t->topo, HWLOC_OBJ_NUMANODE, 0);
        hwloc_location loc{};
        loc.type = HWLOC_LOCATION_TYPE_CPUSET;
        loc.location.cpuset = node->cpuset;
        hwloc_obj_t best = nullptr;
        hwloc_uint64_t value = 0;
        int rc = 0;
        for (auto _ : st)
          benchmark::DoNotOptimize(rc = hwloc_memattr_get_best_target(t->topo, HWLOC_MEMATTR_ID_BANDWIDTH, &loc, 0,
                                                                      &best, &value));
        st.counters["answers"] = rc == 0 ? 1 : 0;
      });
      accelmap::ShareRequest share;
      share.first = "gpu.compute";
      share.second = "dma.memmove";
      answers("accelmap.share.first", [first, share](const accelmap::PathIndex& x) { return accelmap::share(x, first, share); });
      answers("accelmap.share.all", [all, share](const accelmap::PathIndex& x) { return accelmap::share(x, all, share); });
      accelmap::ChainRequest chain{.functions = {"dma.memmove", "compress.deflate"}};
      answers("accelmap.chain.first", [first, chain](const accelmap::PathIndex& x) { return accelmap::chain(x, first, chain); });
      answers("accelmap.chain.all", [all, chain](const accelmap::PathIndex& x) { return accelmap::chain(x, all, chain); });
      reg("accelmap.index_build", [t](benchmark::State& st) {
        for (auto _ : st) benchmark::DoNotOptimize(accelmap::PathIndex(t->snapshot).accelerator_count());
      });
    }
  }
}

void register_reprobe(const std::string& dir, const std::string& pci_ids, int rounds) {
  accelmap::DiscoverOptions opt;
  opt.pci_ids_path = pci_ids;
  auto created = accelmap::IncrementalDiscovery::create(dir, opt);
  if (!created) {
    std::fprintf(stderr, "%s: %s\n", dir.c_str(), created.error().message().c_str());
    std::exit(1);
  }
  auto inc = std::make_shared<accelmap::IncrementalDiscovery>(std::move(*created));
  for (int r = 0; r < rounds; ++r) {
    const std::string sfx = "/reprobe/round:" + std::to_string(r);
    for (const char* provider : {"idxd", "pci"}) {
      benchmark::RegisterBenchmark((std::string("accelmap.reprobe.") + provider + sfx).c_str(),
                                   [inc, provider](benchmark::State& st) {
                                     std::size_t ran = 0;
                                     for (auto _ : st) benchmark::DoNotOptimize(ran = inc->reprobe({provider}).size());
                                     st.counters["providers_run"] = static_cast<double>(ran);
                                   })
          ->Unit(benchmark::kMicrosecond);
    }
    benchmark::RegisterBenchmark(("accelmap.reprobe.all" + sfx).c_str(), [inc](benchmark::State& st) {
      std::size_t ran = 0;
      for (auto _ : st) benchmark::DoNotOptimize(ran = inc->reprobe_all().size());
      st.counters["providers_run"] = static_cast<double>(ran);
    })->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("accelmap.discover_fresh" + sfx).c_str(), [dir, opt](benchmark::State& st) {
      for (auto _ : st) {
        auto root = accelmap::FsRoot::open(dir);
        auto facts = accelmap::discover(*root, opt);
        benchmark::DoNotOptimize(facts->objects().size());
      }
    })->Unit(benchmark::kMicrosecond);
  }
}

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::trunc);
  f << text;
  return static_cast<bool>(f);
}

// Change-to-event latency: write, (optionally notify), wait for the callback.
int events(const std::string& dir, const std::string& rel, int changes, int interval_ms, const std::string& pci_ids) {
  const std::string abs = dir + rel;
  std::string original;
  {
    std::ifstream f(abs);
    std::getline(f, original);
  }
  if (original.empty()) {
    std::fprintf(stderr, "%s: empty or unreadable\n", abs.c_str());
    return 2;
  }
  const std::string other = original == "disabled" ? "enabled" : "disabled";
  std::string current = original;
  std::printf("{\"file\":\"%s\",\"changes\":%d,\"poll_interval_ms\":%d", rel.c_str(), changes, interval_ms);
  for (bool notify : {true, false}) {
    accelmap::Watcher::Options o;
    o.root = dir;
    o.discover.pci_ids_path = pci_ids;
    o.netlink = false;
    o.coalesce = std::chrono::milliseconds(0);
    // With notify, polling only as a safety net far away; without, polling is the source.
    o.interval = std::chrono::milliseconds(notify ? 600000 : interval_ms);
    auto w = accelmap::Watcher::start(o);
    if (!w) {
      std::fprintf(stderr, "watcher: %s\n", w.error().message().c_str());
      return 1;
    }
    std::mutex mu;
    std::condition_variable cv;
    std::uint64_t seen = (*w)->current()->number;
    Clock::time_point at;
    (*w)->subscribe([&](const accelmap::Change& c) {
      std::lock_guard<std::mutex> l(mu);
      seen = c.generation->number;
      at = Clock::now();
      cv.notify_all();
    });
    std::vector<double> us;
    for (int i = 0; i < changes; ++i) {
      std::uint64_t before;
      {
        std::lock_guard<std::mutex> l(mu);
        before = seen;
      }
      auto t0 = Clock::now();
      current = current == original ? other : original;  // always a real change
      write_file(abs, current + "\n");
      if (notify) (*w)->notify_path(rel);
      std::unique_lock<std::mutex> l(mu);
      if (!cv.wait_for(l, std::chrono::seconds(30), [&] { return seen > before; })) {
        std::fprintf(stderr, "no event within 30 s\n");
        return 1;
      }
      us.push_back(std::chrono::duration<double, std::micro>(at - t0).count());
    }
    std::sort(us.begin(), us.end());
    auto s = (*w)->stats();
    std::printf(",\"%s\":{\"median_us\":%.1f,\"min_us\":%.1f,\"max_us\":%.1f,\"polls\":%llu,\"reprobes\":%llu}",
                notify ? "notify" : "poll", us[us.size() / 2], us.front(), us.back(),
                static_cast<unsigned long long>(s.polls), static_cast<unsigned long long>(s.reprobes));
  }
  write_file(abs, original + "\n");
  std::printf("}\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<Root> roots;
  int rounds = 3, changes = 11, interval_ms = 100;
  std::string pci_ids = "/usr/share/misc/pci.ids", reprobe_dir, events_dir, events_file;
  std::vector<char*> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--root") {
      roots.push_back(bench::parse_root(next()));
    } else if (a == "--rounds") {
      rounds = std::atoi(next().c_str());
    } else if (a == "--pci-ids") {
      pci_ids = next();
      if (pci_ids == "none") pci_ids.clear();
    } else if (a == "--reprobe") {
      reprobe_dir = next();
    } else if (a == "--events") {
      events_dir = next();
    } else if (a == "--file") {
      events_file = next();
    } else if (a == "--changes") {
      changes = std::atoi(next().c_str());
    } else if (a == "--interval") {
      interval_ms = std::atoi(next().c_str());
    } else {
      rest.push_back(argv[i]);
    }
  }
  if (!events_dir.empty()) return events(events_dir, events_file, changes, interval_ms, pci_ids);

  std::vector<std::shared_ptr<Loaded>> trees;
  for (const Root& r : roots) {
    auto l = load(r, pci_ids);
    if (!l) {
      std::fprintf(stderr, "%s: cannot load %s\n", r.name.c_str(), r.dir.c_str());
      return 1;
    }
    trees.push_back(std::move(l));
  }
  register_queries(trees, rounds);
  if (!reprobe_dir.empty()) register_reprobe(reprobe_dir, pci_ids, rounds);
  int bargc = static_cast<int>(rest.size());
  benchmark::Initialize(&bargc, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
