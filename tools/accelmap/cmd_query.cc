// Query commands: find, share, chain, best-memory, matrix.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "accelmap/path_index.h"
#include "accelmap/query.h"
#include "cli.h"

namespace accelmap::cli {

namespace {

struct QueryOptions {
  MachineOptions machine;
  Policy policy;
  bool json = false, explain = false;
};

std::int64_t number(const std::string& v) {
  std::size_t end = 0;
  long long n = -1;
  try {
    n = std::stoll(v, &end);
  } catch (...) {
  }
  if (n < 0 || end != v.size()) throw CliError{kExitUsage, "expected a number, got '" + v + "'"};
  return n;
}

// Shared options of every query command; false when `args` is not one of them.
bool query_option(Args& args, QueryOptions* q) {
  if (machine_option(args, &q->machine)) return true;
  if (args.flag("--json")) return q->json = true;
  if (args.flag("--explain")) return q->explain = true;
  if (args.flag("--all-states")) return !(q->policy.only_available = false);
  std::string v;
  if (args.value("--exclude", &v)) return q->policy.excluded.push_back(v), true;
  if (args.value("--include", &v)) return q->policy.included.push_back(v), true;
  if (args.value("--vendor", &q->policy.vendor)) return true;
  if (args.value("--p2p-max", &v)) {
    auto c = path_class_from_name(v);
    if (!c) throw CliError{kExitUsage, "--p2p-max takes a class: SELF PKG LINK PIX PXB PHB NODE SYS"};
    q->policy.p2p_max_class = *c;
    return true;
  }
  if (args.value("--min-free", &v)) return q->policy.min_free_instances = number(v), true;
  if (args.value("--count", &v) || args.value("-n", &v)) return q->policy.count = static_cast<std::size_t>(number(v)), true;
  return false;
}

std::shared_ptr<const Snapshot> load(const QueryOptions& q) {
  // Queries print keys, classes and numbers, never device names: the PCI ID
  // database (1.3 MB, a third of a `find` on a small machine) is only read when
  // asked for, or when --vendor needs vendor names to match. The answers are the
  // same either way (checked on every corpus and test tree).
  MachineOptions m = q.machine;
  if (m.pci_ids.empty() && q.policy.vendor.empty()) m.pci_ids = "none";
  return load_snapshot(m);
}

// Prints a ranked result; exit 1 with its one-sentence reason when it is empty.
int report(const PathIndex& index, const Ranked& r, const QueryOptions& q, const std::string& title) {
  if (q.json) {
    write_output("", ranked_to_json(index, r));
    return r.items.empty() ? kExitNoMatch : kExitOk;
  }
  if (r.items.empty()) {
    // An expected answer, not an error path: no exception (its first throw in a
    // fresh process costs the unwinder's tables, ~0.1 ms), the same line and code.
    std::fprintf(stderr, "accelmap: %s\n", r.reason.c_str());
    return kExitNoMatch;
  }
  std::string out = title + "\n";
  std::size_t rank = 1;
  for (const auto& c : r.items) {
    std::string what;
    for (auto a : c.accelerators) what += (what.empty() ? "" : (c.memory && c.accelerators.size() == 2 && title.rfind("share", 0) == 0 ? " + " : " -> ")) + std::string(index.place(a).key);
    if (c.memory) {
      const auto& t = index.memory_targets()[*c.memory];
      what += (what.empty() ? "" : "  @ ") + t.key + " (" + t.kind_name + ")";
    }
    const Path* worst = nullptr;
    for (const auto& s : c.explanation.steps)
      if (!worst || compare_paths(*s.path, *worst) > 0) worst = s.path;
    out += std::to_string(rank++) + ". " + what + "  " + path_class_name(c.explanation.worst);
    if (worst) out += "  bw " + format_metric(worst->bandwidth, "MB/s") + "  lat " + format_metric(worst->latency, "ns");
    out += "\n";
    if (q.explain) out += explain_text(index, c);
  }
  write_output("", out);
  return kExitOk;
}

[[noreturn]] void unknown(const char* cmd, const std::string& arg) {
  throw CliError{kExitUsage, std::string(cmd) + ": unexpected argument '" + arg + "' (see accelmap --help)"};
}

}  // namespace

int cmd_find(Args& args) {
  QueryOptions q;
  std::string function, near;
  while (!args.done()) {
    if (query_option(args, &q)) continue;
    if (args.value("--near", &near)) continue;
    if (args.peek().rfind("-", 0) != 0 && function.empty()) { function = args.next(); continue; }
    unknown("find", args.peek());
  }
  if (function.empty() || near.empty()) throw CliError{kExitUsage, "find: usage: accelmap find FUNCTION --near TARGET"};
  NearestRequest r;
  r.function = function;
  if (near == "self") {
    // The process's own binding: the front end reads it, the library takes a node set.
    std::ifstream f("/proc/self/status");
    std::string line, list;
    while (std::getline(f, line))
      if (line.rfind("Mems_allowed_list:", 0) == 0) list = line.substr(18);
    std::stringstream ss(list);
    std::string part;
    while (std::getline(ss, part, ',')) {
      auto dash = part.find('-');
      try {
        unsigned lo = std::stoul(part.substr(0, dash)), hi = dash == std::string::npos ? lo : std::stoul(part.substr(dash + 1));
        for (unsigned n = lo; n <= hi && n - lo < 4096; ++n) r.target.numa_nodes.push_back(n);
      } catch (...) {
        throw CliError{kExitInput, "cannot parse Mems_allowed_list of /proc/self/status"};
      }
    }
    if (r.target.numa_nodes.empty()) throw CliError{kExitInput, "no Mems_allowed_list in /proc/self/status"};
  } else if (near.find(':') != std::string::npos) {
    r.target.keys.push_back(near);
  } else {
    r.target.kinds.push_back(near);
  }
  auto snap = load(q);
  PathIndex index(snap);
  return report(index, nearest(index, q.policy, r), q, "nearest " + function + " to " + near + ":");
}

int cmd_share(Args& args) {
  QueryOptions q;
  std::vector<std::string> fns;
  std::string kind;
  while (!args.done()) {
    if (query_option(args, &q)) continue;
    if (args.value("--memory", &kind)) continue;
    if (args.peek().rfind("-", 0) != 0) { fns.push_back(args.next()); continue; }
    unknown("share", args.peek());
  }
  if (fns.size() != 2) throw CliError{kExitUsage, "share: usage: accelmap share X Y [--memory KIND]"};
  auto snap = load(q);
  PathIndex index(snap);
  ShareRequest r{fns[0], fns[1], kind};
  return report(index, share(index, q.policy, r), q, "share " + fns[0] + " + " + fns[1] + (kind.empty() ? "" : " in " + kind) + ":");
}

int cmd_chain(Args& args) {
  QueryOptions q;
  ChainRequest r;
  while (!args.done()) {
    if (query_option(args, &q)) continue;
    if (args.peek().rfind("-", 0) != 0) { r.functions.push_back(args.next()); continue; }
    unknown("chain", args.peek());
  }
  if (r.functions.size() < 2) throw CliError{kExitUsage, "chain: usage: accelmap chain X Y [Z...]"};
  auto snap = load(q);
  PathIndex index(snap);
  std::string names;
  for (const auto& f : r.functions) names += (names.empty() ? "" : " -> ") + f;
  return report(index, chain(index, q.policy, r), q, "chain " + names + ":");
}

int cmd_best_memory(Args& args) {
  QueryOptions q;
  BestMemoryRequest r;
  std::string by = "bandwidth";
  while (!args.done()) {
    if (query_option(args, &q)) continue;
    if (args.value("--from", &r.from) || args.value("--by", &by) || args.value("--kind", &r.kind)) continue;
    unknown("best-memory", args.peek());
  }
  if (r.from.empty()) throw CliError{kExitUsage, "best-memory: --from INITIATOR is required (numa:N, cpus:LIST, a device key)"};
  if (by == "bandwidth") r.by = MemoryOrder::kBandwidth;
  else if (by == "latency") r.by = MemoryOrder::kLatency;
  else if (by == "capacity") r.by = MemoryOrder::kCapacity;
  else throw CliError{kExitUsage, "--by takes bandwidth, latency or capacity"};
  auto snap = load(q);
  PathIndex index(snap);
  return report(index, best_memory(index, q.policy, r), q, "best memory for " + r.from + " by " + by + ":");
}

int cmd_matrix(Args& args) {
  QueryOptions q;
  while (!args.done()) {
    if (query_option(args, &q)) continue;
    unknown("matrix", args.peek());
  }
  auto snap = load(q);
  PathIndex index(snap);
  const std::size_t n = index.accelerator_count();
  if (q.json) {
    std::string out = "{\n  \"devices\": [";
    for (std::uint32_t i = 0; i < n; ++i) out += (i ? ", \"" : "\"") + std::string(index.place(i).key) + "\"";
    out += "],\n  \"paths\": [\n";
    for (std::uint32_t i = 0; i < n; ++i) {
      out += "    [";
      for (std::uint32_t j = 0; j < n; ++j) {
        const Path& p = index.device_path(i, j);
        out += std::string(j ? ", " : "") + "{\"class\": \"" + path_class_name(p.cls) + "\", \"bandwidth_mbps\": " +
               (p.bandwidth.known() ? std::to_string(p.bandwidth.value) : "null") + "}";
      }
      out += i + 1 < n ? "],\n" : "]\n";
    }
    out += "  ]\n}\n";
    write_output("", out);
    return kExitOk;
  }
  if (n == 0) throw CliError{kExitNoMatch, "no accelerators on this machine."};
  std::size_t w = 4;
  for (std::uint32_t i = 0; i < n; ++i) w = std::max(w, index.place(i).key.size());
  auto pad = [](std::string s, std::size_t width) { return s.size() < width ? s + std::string(width - s.size(), ' ') : s; };
  std::string out = pad("", w + 2);
  for (std::uint32_t j = 0; j < n; ++j) out += pad("D" + std::to_string(j), 6);
  out += "\n";
  for (std::uint32_t i = 0; i < n; ++i) {
    out += pad(std::string(index.place(i).key), w) + "  ";
    for (std::uint32_t j = 0; j < n; ++j) out += pad(path_class_name(index.device_path(i, j).cls), 6);
    out += "\n";
  }
  out += "\nDevices:\n";
  for (std::uint32_t i = 0; i < n; ++i) out += "  D" + std::to_string(i) + " = " + std::string(index.place(i).key) + "\n";
  if (q.explain) {
    out += "\nPaths:\n";
    for (std::uint32_t i = 0; i < n; ++i)
      for (std::uint32_t j = i + 1; j < n; ++j) {
        const Path& p = index.device_path(i, j);
        out += "  " + std::string(index.place(i).key) + " <-> " + std::string(index.place(j).key) + "  " + path_class_name(p.cls) +
               "  bw " + format_metric(p.bandwidth, "MB/s") + "  hops " + format_metric(p.hops, "") + "  [" + std::string(p.basis) + "]\n";
      }
  }
  out += "\nLegend:\n"
         "  SELF = the same device\n"
         "  PKG  = partitions of one package / functions of one PCI device\n"
         "  LINK = a direct device link (xGMI, NVLink, C2C)\n"
         "  PIX  = below one PCIe switch or bridge\n"
         "  PXB  = across several PCIe switches, not through a host bridge\n"
         "  PHB  = through a PCIe host bridge\n"
         "  NODE = across host bridges within one NUMA node / CPU package\n"
         "  SYS  = across the inter-socket interconnect\n"
         "  DIS  = no path known\n";
  write_output("", out);
  return kExitOk;
}

}  // namespace accelmap::cli
