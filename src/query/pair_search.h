// pair_search.h — the first answers of share() and chain() without ranking every pair
// (internal to src/query).
//
// share() and two-stage chain() rank pairs (a, b) of accelerators, a offering one
// function and b another, by a path value v(a, b), then by a's key, then b's. The
// full enumeration looks at every pair. best_pairs() walks the values in rank order
// instead ("levels"): at each level it merges, in (a, b) order, the pairs that some
// source can offer at exactly that value, and stops after `count` answers. The
// sources cover every way a pair can get its value:
//   - shared memory: for each target of PathIndex::shared_targets(), the accelerators
//     reaching it at its best class, as ready ranked lists (PathIndex::offers_near);
//     a pair's value there is the worse of its two paths;
//   - the same device (chain): (a, a) at SELF;
//   - peer-to-peer (chain): pairs of one PathIndex::peer_groups() group (or linked),
//     gathered one class at a time, before the first level of that class.
// Each candidate's exact value comes from the caller (PairSearch::value), so the order,
// and which pairs there are, are the caller's: a candidate whose exact value is better
// than the level was answered at its own level and is skipped.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "accelmap/path_index.h"

namespace accelmap::detail {

struct PairSearch {
  std::uint32_t first = 0, second = 0;                        ///< function ids (a offers first, b second)
  std::function<bool(const Offer&)> pass_first, pass_second;  ///< the policy, per offer
  std::function<bool(std::uint32_t)> target_ok;               ///< shared-memory targets allowed (memory kind)
  bool ascending_only = false;           ///< only pairs with a < b (share of one function with itself)
  bool same_device = false;              ///< (a, a) is a pair, at device_path(a, a) (chain)
  std::optional<PathClass> p2p_max;      ///< peer-to-peer pairs at or below this class (chain)
  /// The exact rank value of (a, b) into *out; false when (a, b) is no pair. Must be at most
  /// (no worse than) the value any source offers the pair at.
  std::function<bool(std::uint32_t a, std::uint32_t b, Path* out)> value;
};

/// The first `count` (> 0) pairs in rank order: value, then a, then b (ids, which are in key
/// order: needs index.ranked_by_id(); with p2p_max also index.peer_groups_complete()).
std::vector<std::pair<std::uint32_t, std::uint32_t>> best_pairs(const PathIndex& index, const PairSearch& search,
                                                                std::size_t count);

}  // namespace accelmap::detail
