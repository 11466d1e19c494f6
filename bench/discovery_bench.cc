// accelmap_bench: in-process discovery, accelmap against hwloc, interleaved.
//
// Google Benchmark runs benchmarks in registration order, so registering
// round 1 {tree A: accelmap, hwloc; tree B: ...}, round 2 {...} interleaves the
// two libraries on every tree within one run; bench/report.py takes the median
// over rounds. Drift of the machine (frequency, cache, noisy neighbours)
// therefore hits both sides alike, which is why ratios are the claim.
//
//   accelmap_bench --root NAME=DIR ... [--rounds N] [--pci-ids FILE] [--threads N] [benchmark flags]
//   accelmap_bench --one-shot accelmap|hwloc|none DIR   (one discovery, for strace / rusage;
//                                                        prints peak_rss_kb, and for accelmap
//                                                        peak_rss_after_discover_kb first)
//   accelmap_bench --provider-times DIR   (where accelmap's time goes: mean wall
//                                          per provider over ~1 s of discoveries, JSON)
//
// hwloc is pointed at a recorded tree through its environment
// (HWLOC_FSROOT, HWLOC_COMPONENTS=linux,stop), set before hwloc_topology_init:
// the benchmark may use the environment; the library never does.
#include <benchmark/benchmark.h>
#include <hwloc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "accelmap/discover.h"
#include "bench_util.h"
#include "accelmap/snapshot.h"

namespace {

using bench::point_hwloc_at;
using bench::Root;

// One full hwloc load with every I/O object kept; returns the object count so
// the work cannot be optimised away.
int hwloc_load_once() {
  hwloc_topology_t topo;
  if (hwloc_topology_init(&topo) != 0) return -1;
  hwloc_topology_set_io_types_filter(topo, HWLOC_TYPE_FILTER_KEEP_ALL);
  int n = -1;
  if (hwloc_topology_load(topo) == 0) {
    n = 0;
    for (hwloc_obj_t o = hwloc_get_next_pcidev(topo, nullptr); o; o = hwloc_get_next_pcidev(topo, o)) ++n;
    n += hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
  }
  hwloc_topology_destroy(topo);
  return n;
}

// Where one accelmap_once() spent its time, microseconds: opening the root,
// discover() (the providers, their merge and the facts' normalisation),
// build_snapshot() and freeing the snapshot and the root.
struct Phases {
  double open = 0, discover = 0, build_snapshot = 0, free = 0;
};

// Peak resident memory of this process image. Not getrusage: its ru_maxrss
// keeps the high-water mark of the process before exec (the forking Python
// driver), while VmHWM belongs to this address space only.
long peak_rss_kb() {
  FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  long kb = -1;
  while (std::fgets(line, sizeof line, f))
    if (std::strncmp(line, "VmHWM:", 6) == 0) kb = std::strtol(line + 6, nullptr, 10);
  std::fclose(f);
  return kb;
}

// accelmap with every provider: open the root, discover, build the snapshot.
// `phases`, when given, is added this discovery's times; `rss_after_discover`,
// when given, is set to peak_rss_kb() between discover() and build_snapshot().
std::size_t accelmap_once(const std::string& dir, const accelmap::DiscoverOptions& opt, bool* diagnostics,
                          Phases* phases = nullptr, long* rss_after_discover = nullptr) {
  using Clock = std::chrono::steady_clock;
  auto us = [](Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); };
  const auto t0 = Clock::now();
  auto root = accelmap::FsRoot::open(dir);
  if (!root) return 0;
  const auto t1 = Clock::now();
  auto facts = accelmap::discover(*root, opt);
  if (!facts) return 0;
  if (diagnostics) *diagnostics = !facts->diagnostics().empty();
  const auto t2 = Clock::now();
  if (rss_after_discover) *rss_after_discover = peak_rss_kb();
  auto snap = accelmap::build_snapshot(std::move(*facts));
  if (!snap) return 0;
  const auto t3 = Clock::now();
  snap.reset();  // the facts were moved into it
  { accelmap::FsRoot closing = std::move(*root); }
  if (phases) {
    phases->open += us(t1 - t0);
    phases->discover += us(t2 - t1);
    phases->build_snapshot += us(t3 - t2);
    phases->free += us(Clock::now() - t3);
  }
  return 1;
}


// Mean wall time of each provider (DiscoverOptions::on_provider_done) and of
// the whole discovery + snapshot, over discoveries repeated for about a second
// after three warm-up ones; JSON on standard output, providers in run order.
// "phases" splits the whole into opening the root, discover() (the providers,
// their merge and the facts' normalisation), build_snapshot() and freeing
// both, so the time outside the providers is visible too.
int provider_times(const std::string& dir, const std::string& pci_ids, unsigned threads) {
  using Clock = std::chrono::steady_clock;
  std::vector<std::pair<std::string, double>> sums;  // run order, microseconds
  Phases phases;
  accelmap::DiscoverOptions opt;
  opt.pci_ids_path = pci_ids;
  opt.threads = threads;
  bool counting = false;
  opt.on_provider_done = [&](std::string_view name, std::chrono::nanoseconds t) {
    if (!counting) return;
    auto it = std::find_if(sums.begin(), sums.end(), [&](const auto& e) { return e.first == name; });
    if (it == sums.end()) it = sums.insert(sums.end(), {std::string(name), 0.0});
    it->second += std::chrono::duration<double, std::micro>(t).count();
  };
  for (int i = 0; i < 3; ++i)
    if (accelmap_once(dir, opt, nullptr) == 0) {
      std::fprintf(stderr, "accelmap_bench: cannot discover %s\n", dir.c_str());
      return 1;
    }
  counting = true;
  int runs = 0;
  const auto start = Clock::now();
  while (runs < 3 || Clock::now() - start < std::chrono::seconds(1)) {
    if (accelmap_once(dir, opt, nullptr, &phases) == 0) return 1;
    ++runs;
  }
  const double total = std::chrono::duration<double, std::micro>(Clock::now() - start).count() / runs;
  std::printf("{\"runs\": %d, \"total_us\": %.2f, \"providers\": [", runs, total);
  for (std::size_t i = 0; i < sums.size(); ++i)
    std::printf("%s[\"%s\", %.2f]", i ? ", " : "", sums[i].first.c_str(), sums[i].second / runs);
  std::printf("], \"phases\": [[\"open root\", %.2f], [\"discover\", %.2f], [\"build_snapshot\", %.2f], "
              "[\"free facts and snapshot\", %.2f]]}\n",
              phases.open / runs, phases.discover / runs, phases.build_snapshot / runs, phases.free / runs);
  return 0;
}

int one_shot(const std::string& what, const std::string& dir, const std::string& pci_ids, unsigned threads) {
  int rc = 2;
  if (what == "hwloc") {
    point_hwloc_at(dir);
    rc = hwloc_load_once() >= 0 ? 0 : 1;
  } else if (what == "accelmap") {
    accelmap::DiscoverOptions opt;
    opt.pci_ids_path = pci_ids;
    opt.threads = threads;
    long after_discover = -1;
    rc = accelmap_once(dir, opt, nullptr, nullptr, &after_discover) ? 0 : 1;
    // The facts alone; the rest of the peak is the snapshot's rows.
    std::printf("peak_rss_after_discover_kb=%ld\n", after_discover);
  } else if (what == "none") {
    rc = 0;
  }
  std::printf("peak_rss_kb=%ld\n", peak_rss_kb());
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<Root> roots;
  int rounds = 5;
  std::string pci_ids = "/usr/share/misc/pci.ids";
  unsigned threads = 0;  // DiscoverOptions::threads
  std::vector<char*> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--root" && i + 1 < argc) {
      roots.push_back(bench::parse_root(argv[++i]));
    } else if (a == "--rounds" && i + 1 < argc) {
      rounds = std::atoi(argv[++i]);
    } else if (a == "--pci-ids" && i + 1 < argc) {
      pci_ids = argv[++i];
      if (pci_ids == "none") pci_ids.clear();
    } else if (a == "--threads" && i + 1 < argc) {
      threads = static_cast<unsigned>(std::atoi(argv[++i]));
    } else if (a == "--one-shot" && i + 2 < argc) {
      return one_shot(argv[i + 1], argv[i + 2], pci_ids, threads);
    } else if (a == "--provider-times" && i + 1 < argc) {
      return provider_times(argv[i + 1], pci_ids, threads);
    } else {
      rest.push_back(argv[i]);
    }
  }
  if (roots.empty()) roots.push_back({"live", "/"});

  accelmap::DiscoverOptions opt;
  opt.pci_ids_path = pci_ids;
  opt.threads = threads;
  for (int r = 0; r < rounds; ++r) {
    for (const Root& root : roots) {
      const std::string suffix = "/" + root.name + "/round:" + std::to_string(r);
      benchmark::RegisterBenchmark(("accelmap" + suffix).c_str(), [root, opt](benchmark::State& st) {
        bool diag = false;
        for (auto _ : st) benchmark::DoNotOptimize(accelmap_once(root.dir, opt, &diag));
        st.counters["diagnostics"] = diag ? 1 : 0;
      })
          // accelmap reads large trees on several threads (DiscoverOptions::threads):
          // CPU time is the whole process's, and iterations are paced by wall time.
          ->MeasureProcessCPUTime()
          ->UseRealTime()
          ->Unit(benchmark::kMicrosecond);
      benchmark::RegisterBenchmark(("hwloc" + suffix).c_str(), [root](benchmark::State& st) {
        point_hwloc_at(root.dir);
        int n = 0;
        for (auto _ : st) benchmark::DoNotOptimize(n = hwloc_load_once());
        st.counters["objects"] = n;
      })
          ->MeasureProcessCPUTime()
          ->UseRealTime()
          ->Unit(benchmark::kMicrosecond);
    }
  }
  int bargc = static_cast<int>(rest.size());
  benchmark::Initialize(&bargc, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
