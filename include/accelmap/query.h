// accelmap/query.h — placement queries over a PathIndex: ranked and explained.
//
// Every query is a pure function of (PathIndex (and its Snapshot), Policy, request):
// no I/O, no global state; the same inputs give the same bytes. Results are ranked
// (class, then higher bandwidth, lower latency, fewer hops, then keys) and every
// candidate carries an Explanation: the steps of its path with class, numbers and
// their provenance. When nothing matches, Ranked::reason is ONE sentence naming the
// constraint that removed the last candidate.
//
//   accelmap::PathIndex index(snap);
//   accelmap::NearestRequest r{.function = "compress.deflate", .target = {.numa_nodes = {1}}};
//   auto res = accelmap::nearest(index, accelmap::Policy{}, r);
//   if (res.items.empty()) puts(res.reason.c_str());
//
// Ownership: results hold pointers/string_views into the PathIndex (and its Snapshot);
// keep the index alive while using them.
// Thread-safety: pure functions; call them from any number of threads on one index.
// Errors: an unknown function, device or target is not an error but an empty
// result whose reason says so.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "accelmap/path_index.h"
#include "accelmap/status.h"

namespace accelmap {

/// Query-time choices; never stored in the index.
struct Policy {
  PathClass p2p_max_class = PathClass::kAcrossSwitches;  ///< peer-to-peer allowed at or below (NCCL: PXB)
  std::vector<std::string> excluded;   ///< accelerator keys never proposed
  std::vector<std::string> included;   ///< when not empty: only these accelerator keys
  std::string vendor;                  ///< when not empty: only accelerators whose vendor contains it (case-insensitive)
  bool only_available = true;          ///< only functions in state "available"
  std::int64_t min_free_instances = 0; ///< > 0: functions with at least this many free instances (unknown fails)
  std::size_t count = 0;               ///< at most this many candidates; 0 = all
};

/// One step of an explanation: from -> to over `path`.
struct Step {
  std::string_view from, to;  ///< place keys
  const Path* path = nullptr;
  std::string_view note;      ///< how this step was chosen: "peer-to-peer", "same device", "shared memory"
  std::optional<std::uint32_t> memory;  ///< the memory target a shared-memory hand-off goes through
};

struct Explanation {
  std::vector<Step> steps;
  /// Class of the worst step (the candidate's rank class).
  PathClass worst = PathClass::kSelf;
};

/// A ranked answer: accelerators (one per stage; one for nearest) or a memory.
struct Candidate {
  std::vector<std::uint32_t> accelerators;        ///< ids into PathIndex / Snapshot::accelerators()
  std::optional<std::uint32_t> memory;            ///< memory target id, where the query is about one
  Explanation explanation;
};

struct Ranked {
  std::vector<Candidate> items;  ///< best first
  std::string reason;            ///< one sentence when items is empty
};

/// Where memory is: any of these nodes, memory target keys, or kinds (all ORed).
struct MemoryTargetSpec {
  std::vector<std::uint32_t> numa_nodes;  ///< e.g. the process's binding
  std::vector<std::string> keys;          ///< "numa:1", "dax:dax0.0", a device memory key, or an accelerator key (its memory)
  std::vector<std::string> kinds;         ///< "hbm", "dram", "cxl", "pmem", "device", ...
};

struct NearestRequest {
  std::string function;
  MemoryTargetSpec target;
};
/// Accelerators offering `function`, nearest to the target memory (the best over its targets).
Ranked nearest(const PathIndex& index, const Policy& policy, const NearestRequest& request);
/// The same answer written into `out` (overwritten), reusing its storage: the Candidates
/// of an earlier call and their vectors keep their capacity, so a caller that keeps one
/// Ranked per thread across calls allocates nothing in the steady state (the placement
/// hot path of a runtime: one NUMA node, a `count`). Not for one `out` shared by threads.
void nearest(const PathIndex& index, const Policy& policy, const NearestRequest& request, Ranked& out);

/// The NUMA node of the page holding `address` in this process (get_mempolicy
/// MPOL_F_NODE|MPOL_F_ADDR). The only query-side call that does I/O (a system call);
/// kIoError with the kernel's reason where it refuses. src/query/address.cc.
Result<std::uint32_t> numa_node_of_address(const void* address);

struct ShareRequest {
  std::string first, second;  ///< functions
  std::string memory_kind;    ///< "" = any kind
};
/// Pairs of distinct accelerators (offering first, second) that both reach one memory at
/// that memory's best class (local memory: at most NODE). One candidate per pair, with
/// its best shared memory.
Ranked share(const PathIndex& index, const Policy& policy, const ShareRequest& request);

struct ChainRequest {
  std::vector<std::string> functions;  ///< two or more, in order
};
/// Sequences of accelerators offering functions[0], functions[1], ... where each hand-off is
/// the same device, peer-to-peer at or below policy.p2p_max_class, or a shared memory.
/// Ranked by the worst hand-off's class, then its bandwidth.
Ranked chain(const PathIndex& index, const Policy& policy, const ChainRequest& request);

enum class MemoryOrder : std::uint8_t { kBandwidth, kLatency, kCapacity };

struct BestMemoryRequest {
  /// The initiator: a NUMA node with CPUs ("numa:0"), a CPU list ("cpus:0-3"), or an accelerator key.
  std::string from;
  MemoryOrder by = MemoryOrder::kBandwidth;
  std::string kind;  ///< "" = any kind
};
/// Memory targets ranked for an initiator. Device initiators use HMAT access0 where their node
/// is a generic initiator (the step's path basis says so) and PCI paths otherwise.
Ranked best_memory(const PathIndex& index, const Policy& policy, const BestMemoryRequest& request);

/// One line per step: "kfd:node2 -> numa:0  PHB  bw 25600 MB/s (link-trained)  lat unknown  hops 2  [basis]".
std::string explain_text(const PathIndex& index, const Candidate& c);
/// The result as JSON: {"items":[{"accelerators":[...],"memory":...,"class":"PIX","steps":[...]}],"reason":...}.
std::string ranked_to_json(const PathIndex& index, const Ranked& r);

}  // namespace accelmap
