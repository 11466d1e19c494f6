// Placement queries: lookups into a PathIndex, filtered by a Policy, ranked, explained.
#include "accelmap/query.h"

#include <algorithm>
#include <array>
#include <cctype>

#include <nlohmann/json.hpp>

#include "query/pair_search.h"

namespace accelmap {

namespace {

// Policy constraints in the order they are applied; the reason of an empty result
// names the last one that removed something.
enum Constraint : int { kExcluded, kIncluded, kVendor, kAvailable, kFreeInstances, kConstraintCount };

struct Filter {
  const PathIndex& index;
  const Policy& policy;
  std::array<std::size_t, kConstraintCount> removed{};
  int last = -1;

  bool pass(const Offer& o) {
    const AcceleratorPlace& p = index.place(o.accelerator);
    auto drop = [&](Constraint c) {
      ++removed[c];
      last = std::max(last, static_cast<int>(c));
      return false;
    };
    if (std::find(policy.excluded.begin(), policy.excluded.end(), p.key) != policy.excluded.end()) return drop(kExcluded);
    if (!policy.included.empty() &&
        std::find(policy.included.begin(), policy.included.end(), p.key) == policy.included.end())
      return drop(kIncluded);
    if (!policy.vendor.empty()) {
      std::string_view v = index.snapshot().accelerators()[o.accelerator].vendor;
      auto lower = [](std::string_view text) {
        std::string s(text);
        for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        return s;
      };
      if (lower(v).find(lower(policy.vendor)) == std::string::npos) return drop(kVendor);
    }
    if (policy.only_available && !o.available) return drop(kAvailable);
    if (policy.min_free_instances > 0 && o.instances_free < policy.min_free_instances) return drop(kFreeInstances);
    return true;
  }

  std::string reason(const std::string& function) const {
    switch (last) {
      case kExcluded: return "every accelerator offering " + function + " is excluded by the policy.";
      case kIncluded: return "no accelerator offering " + function + " is among the included devices.";
      case kVendor: return "no accelerator offering " + function + " is from vendor '" + policy.vendor + "'.";
      case kAvailable: return "no accelerator offers " + function + " in state available (only-available filter).";
      case kFreeInstances:
        return "no accelerator offering " + function + " has at least " + std::to_string(policy.min_free_instances) +
               " free instances.";
      default: return "no accelerator offers " + function + ".";
    }
  }
};

// Offers of `function` passing the policy; sets *reason when none.
std::vector<Offer> offers_of(const PathIndex& index, const Policy& policy, const std::string& function, std::string* reason) {
  std::vector<Offer> out;
  auto f = index.function_id(function);
  Filter filter{index, policy};
  if (f)
    for (const Offer& o : index.offers(*f))
      if (filter.pass(o)) out.push_back(o);
  if (out.empty()) *reason = filter.reason(function);
  return out;
}

// Whether some offer of `function` passes the policy (offers_of() is not empty, without
// building it); sets *reason as offers_of() does when none.
bool any_offer(const PathIndex& index, const Policy& policy, const std::string& function, std::string* reason) {
  auto f = index.function_id(function);
  Filter filter{index, policy};
  if (f)
    for (const Offer& o : index.offers(*f))
      if (filter.pass(o)) return true;
  *reason = filter.reason(function);
  return false;
}

bool key_less(const PathIndex& index, const std::vector<std::uint32_t>& a, const std::vector<std::uint32_t>& b) {
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i)
    if (a[i] != b[i]) return natural_less(index.place(a[i]).key, index.place(b[i]).key);
  return a.size() < b.size();
}

// The worse of two paths (by ranking order).
const Path* worse(const Path* a, const Path* b) { return compare_paths(*a, *b) >= 0 ? a : b; }

// The worst step of an explanation (nullptr for none): a candidate's rank.
const Path* worst_step(const std::vector<Step>& steps) {
  const Path* w = nullptr;
  for (const auto& s : steps) w = w ? worse(w, s.path) : s.path;
  return w;
}

// Explanation::worst: the class of the worst step.
void set_worst_class(Candidate& c) {
  c.explanation.worst = PathClass::kSelf;
  for (const auto& s : c.explanation.steps) c.explanation.worst = std::max(c.explanation.worst, s.path->cls);
}

std::string lower(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

bool kind_matches(const MemoryTarget& t, const std::string& kind) {
  if (kind.empty()) return true;
  std::string k = lower(kind);
  return lower(t.kind_name) == k || memory_kind_name(t.kind) == k;
}

// The best memory two accelerators share: both reach it at its best class, which is local
// (at most NODE). Returns the target and the worse of the two paths, or nullopt.
std::optional<std::pair<std::uint32_t, const Path*>> shared_memory(const PathIndex& index, std::uint32_t a,
                                                                   std::uint32_t b, const std::string& kind) {
  std::optional<std::pair<std::uint32_t, const Path*>> best;
  // Both lists are ascending: walk them as a merge.
  const auto& la = index.local_targets(a);
  const auto& lb = index.local_targets(b);
  for (std::size_t i = 0, j = 0; i < la.size() && j < lb.size();) {
    if (la[i] != lb[j]) {
      (la[i] < lb[j] ? i : j) += 1;
      continue;
    }
    const std::uint32_t m = la[i];
    ++i, ++j;
    if (!kind.empty() && !kind_matches(index.memory_targets()[m], kind)) continue;
    const Path* w = worse(&index.memory_path(a, m), &index.memory_path(b, m));
    if (!best || compare_paths(*w, *best->second) < 0) best = std::make_pair(m, w);
  }
  return best;
}

// A chain's hand-off from a to b: the same device, peer-to-peer within the threshold, or a
// shared memory, whichever path ranks better (peer-to-peer on a tie). Returns the choice;
// *device gets the device path, *memory the shared memory when that is chosen.
enum class Via { kNone, kSameDevice, kPeer, kMemory };
Via choose_hand_off(const PathIndex& index, const Policy& policy, std::uint32_t a, std::uint32_t b, Path* device,
                    std::optional<std::pair<std::uint32_t, const Path*>>* memory) {
  *device = index.device_path(a, b);
  if (a == b) return Via::kSameDevice;
  const bool peer = device->cls <= policy.p2p_max_class;
  *memory = shared_memory(index, a, b, "");
  if (*memory && (!peer || compare_paths(*(*memory)->second, *device) < 0)) return Via::kMemory;
  return peer ? Via::kPeer : Via::kNone;
}

// The hand-off as an explanation step (device paths as the index's stable copies); nullopt when none.
std::optional<Step> hand_off(const PathIndex& index, const Policy& policy, std::uint32_t a, std::uint32_t b) {
  Path device;
  std::optional<std::pair<std::uint32_t, const Path*>> memory;
  Step s{index.place(a).key, index.place(b).key, nullptr, "", std::nullopt};
  switch (choose_hand_off(index, policy, a, b, &device, &memory)) {
    case Via::kSameDevice: s.note = "same device", s.path = index.stable_path(device); return s;
    case Via::kPeer: s.note = "peer-to-peer", s.path = index.stable_path(device); return s;
    case Via::kMemory: s.note = "shared memory", s.path = memory->second, s.memory = memory->first; return s;
    case Via::kNone: break;
  }
  return std::nullopt;
}

// The hand-off's path (its rank), without a step; false when there is no hand-off.
bool hand_off_path(const PathIndex& index, const Policy& policy, std::uint32_t a, std::uint32_t b, Path* out) {
  std::optional<std::pair<std::uint32_t, const Path*>> memory;
  switch (choose_hand_off(index, policy, a, b, out, &memory)) {
    case Via::kSameDevice:
    case Via::kPeer: return true;
    case Via::kMemory: *out = *memory->second; return true;
    case Via::kNone: break;
  }
  return false;
}

// Sorts `items` (candidates, or the small records share and chain rank before
// building candidates) best first and keeps at most `count` (0: all). The comparators
// below are total orders over one query's candidates (ties end in distinct
// accelerator sequences or memory keys), so a partial sort of the first `count`
// gives exactly the head of the full stable sort, in O(n log count).
template <class T, class Less>
void rank(std::vector<T>& items, std::size_t count, Less less) {
  if (count > 0 && count < items.size()) {
    std::partial_sort(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(count), items.end(), less);
    items.resize(count);
  } else {
    std::stable_sort(items.begin(), items.end(), less);
  }
}

void finish(Ranked& r, const PathIndex& index, const Policy& policy) {
  rank(r.items, policy.count, [&](const Candidate& x, const Candidate& y) {
    const Path* px = worst_step(x.explanation.steps);
    const Path* py = worst_step(y.explanation.steps);
    if (px && py) {
      int c = compare_paths(*px, *py);
      if (c != 0) return c < 0;
    }
    if (x.accelerators != y.accelerators) return key_less(index, x.accelerators, y.accelerators);
    if (x.memory && y.memory && *x.memory != *y.memory)
      return index.memory_target_order(*x.memory) < index.memory_target_order(*y.memory);
    return false;
  });
  for (auto& c : r.items) set_worst_class(c);
}

// Resolves a target spec to memory target ids; *reason when none.
std::vector<std::uint32_t> resolve_targets(const PathIndex& index, const MemoryTargetSpec& spec, std::string* reason) {
  std::vector<std::uint32_t> out;
  const auto& ts = index.memory_targets();
  for (auto n : spec.numa_nodes) {
    if (auto t = index.numa_target(n)) out.push_back(*t);
    else *reason = "numa:" + std::to_string(n) + " has no memory.";
  }
  for (const auto& k : spec.keys) {
    if (auto t = index.memory_target_id(k)) {
      out.push_back(*t);
    } else if (auto a = index.accelerator_id(k)) {
      bool any = false;
      for (std::uint32_t m = 0; m < ts.size(); ++m)
        if (ts[m].type == MemoryTarget::Type::kDeviceMemory && !ts[m].owners.empty() && ts[m].owners.front() == *a)
          out.push_back(m), any = true;
      if (!any) *reason = k + " has no memory of its own.";
    } else {
      *reason = "no memory or device is called " + k + ".";
    }
  }
  for (const auto& kind : spec.kinds) {
    bool any = false;
    for (std::uint32_t m = 0; m < ts.size(); ++m)
      if (!ts[m].same_as && kind_matches(ts[m], kind)) out.push_back(m), any = true;
    if (!any) *reason = "no memory of kind " + kind + " on this machine.";
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  if (out.empty() && reason->empty()) *reason = "no memory target was given.";
  return out;
}

}  // namespace

void nearest(const PathIndex& index, const Policy& policy, const NearestRequest& request, Ranked& out) {
  out.reason.clear();
  std::size_t used = 0;  // out.items[0, used) are this query's answers; the rest are reused
  // The next answer, in a Candidate of an earlier call where there is one: its
  // vectors keep their capacity, so a caller's steady state allocates nothing.
  auto next = [&]() -> Candidate& {
    if (used == out.items.size()) out.items.emplace_back();
    Candidate& c = out.items[used++];
    c.accelerators.clear();
    c.memory.reset();
    c.explanation.steps.clear();
    c.explanation.worst = PathClass::kSelf;
    return c;
  };
  auto answer = [&](const Offer& o, std::uint32_t t) -> Candidate& {
    Candidate& c = next();
    c.accelerators.push_back(o.accelerator);
    c.memory = t;
    const Path& p = index.memory_path(o.accelerator, t);
    c.explanation.steps.push_back(Step{index.place(o.accelerator).key, index.memory_targets()[t].key, &p, "", t});
    c.explanation.worst = p.cls;
    return c;
  };
  // The common request, one NUMA node with memory, needs no target list.
  std::optional<std::uint32_t> single;
  const MemoryTargetSpec& spec = request.target;
  if (spec.numa_nodes.size() == 1 && spec.keys.empty() && spec.kinds.empty())
    single = index.numa_target(spec.numa_nodes.front());
  std::vector<std::uint32_t> targets;
  if (!single) {
    std::string target_reason;
    targets = resolve_targets(index, spec, &target_reason);
    if (targets.empty()) {
      out.items.clear();
      out.reason = std::move(target_reason);
      return;
    }
  }
  auto f = index.function_id(request.function);
  Filter filter{index, policy};
  if (!f) {
    // nothing offers it
  } else if (single || targets.size() == 1) {
    // The hot path: the list is already ranked for this target; stop at `count`.
    const std::uint32_t t = single ? *single : targets.front();
    for (const Offer& o : index.offers_near(*f, t)) {
      if (!filter.pass(o)) continue;
      answer(o, t);
      if (policy.count > 0 && used >= policy.count) break;
    }
  } else {
    for (const Offer& o : index.offers(*f)) {
      if (!filter.pass(o)) continue;
      std::uint32_t best = targets.front();
      for (auto t : targets)
        if (compare_paths(index.memory_path(o.accelerator, t), index.memory_path(o.accelerator, best)) < 0) best = t;
      answer(o, best);
    }
  }
  out.items.resize(used);
  if (f && !single && targets.size() > 1) finish(out, index, policy);
  if (out.items.empty()) out.reason = filter.reason(request.function);
}

Ranked nearest(const PathIndex& index, const Policy& policy, const NearestRequest& request) {
  Ranked r;
  nearest(index, policy, request, r);
  return r;
}

Ranked share(const PathIndex& index, const Policy& policy, const ShareRequest& request) {
  Ranked r;
  // With a count, the best-first search finds the first answers without looking at every
  // pair (src/query/pair_search.h); the full enumeration below ranks them all.
  const bool best_first = policy.count > 0 && index.ranked_by_id();
  std::vector<Offer> a, b;
  if (best_first) {
    if (!any_offer(index, policy, request.first, &r.reason) || !any_offer(index, policy, request.second, &r.reason))
      return r;
  } else {
    a = offers_of(index, policy, request.first, &r.reason);
    if (a.empty()) return r;
    b = offers_of(index, policy, request.second, &r.reason);
    if (b.empty()) return r;
  }
  bool any_kind = request.memory_kind.empty();
  for (const auto& t : index.memory_targets()) any_kind = any_kind || kind_matches(t, request.memory_kind);
  if (!any_kind) {
    r.reason = "no memory of kind " + request.memory_kind + " on this machine.";
    return r;
  }
  const bool same_function = request.first == request.second;
  // Every pair is ranked as a small record (no allocation); only the kept ones
  // become Candidates. Same order as finish(): worse path, then the two keys.
  struct Pair {
    std::uint32_t x, y, memory;
    const Path* worst;
  };
  std::vector<Pair> pairs;
  if (best_first) {
    Filter fx{index, policy}, fy{index, policy};
    detail::PairSearch q;
    q.first = *index.function_id(request.first);
    q.second = *index.function_id(request.second);
    q.pass_first = [&](const Offer& o) { return fx.pass(o); };
    q.pass_second = [&](const Offer& o) { return fy.pass(o); };
    q.target_ok = [&](std::uint32_t m) { return kind_matches(index.memory_targets()[m], request.memory_kind); };
    q.ascending_only = same_function;
    q.value = [&](std::uint32_t x, std::uint32_t y, Path* out) {
      auto m = shared_memory(index, x, y, request.memory_kind);
      if (m) *out = *m->second;
      return m.has_value();
    };
    for (auto [x, y] : detail::best_pairs(index, q, policy.count)) {
      auto m = shared_memory(index, x, y, request.memory_kind);
      pairs.push_back(Pair{x, y, m->first, m->second});
    }
  } else {
    for (const Offer& x : a)
      for (const Offer& y : b) {
        if (x.accelerator == y.accelerator) continue;  // a pair is two devices
        if (same_function && x.accelerator > y.accelerator) continue;
        auto m = shared_memory(index, x.accelerator, y.accelerator, request.memory_kind);
        if (m) pairs.push_back(Pair{x.accelerator, y.accelerator, m->first, m->second});
      }
    auto pair_less = [&](const Pair& p, const Pair& q) {
      if (int c = compare_paths(*p.worst, *q.worst); c != 0) return c < 0;
      if (p.x != q.x) return natural_less(index.place(p.x).key, index.place(q.x).key);
      return p.y != q.y && natural_less(index.place(p.y).key, index.place(q.y).key);
    };
    rank(pairs, policy.count, pair_less);
  }
  r.items.reserve(pairs.size());
  for (const Pair& p : pairs) {
    Candidate c;
    c.accelerators = {p.x, p.y};
    c.memory = p.memory;
    const auto& mk = index.memory_targets()[p.memory].key;
    const Path& px = index.memory_path(p.x, p.memory);
    const Path& py = index.memory_path(p.y, p.memory);
    c.explanation.steps.push_back(Step{index.place(p.x).key, mk, &px, "shared memory", p.memory});
    c.explanation.steps.push_back(Step{index.place(p.y).key, mk, &py, "shared memory", p.memory});
    set_worst_class(c);
    r.items.push_back(std::move(c));
  }
  if (r.items.empty())
    r.reason = "no pair of devices offering " + request.first + " and " + request.second + " reaches one " +
               (request.memory_kind.empty() ? std::string("local memory") : request.memory_kind + " memory") +
               " at its best class.";
  return r;
}

Ranked chain(const PathIndex& index, const Policy& policy, const ChainRequest& request) {
  Ranked r;
  if (request.functions.size() < 2) {
    r.reason = "a chain needs at least two functions.";
    return r;
  }
  // A bound on the enumeration below (without a count, or three or more stages), not on the
  // answers of the best-first search.
  constexpr std::size_t kMaxChains = 1'000'000;
  auto no_chain = [&] {
    std::string names;
    for (const auto& f : request.functions) names += (names.empty() ? "" : " -> ") + f;
    r.reason = "no chain " + names + " hands off without a detour: no same device, no peer-to-peer path at or below " +
               path_class_name(policy.p2p_max_class) + ", no shared local memory.";
  };
  // Two stages with a count: the best-first search (src/query/pair_search.h) finds the first
  // answers without looking at every pair, whatever the number of pairs. (It used to be taken
  // only below the enumeration's bound; above it, the enumeration ranked only the first
  // million chains in offer order, which need not hold the best ones, and took 267 ms for the
  // first answer at 10,000 devices.)
  if (request.functions.size() == 2 && policy.count > 0 && index.ranked_by_id() && index.peer_groups_complete()) {
    for (const auto& f : request.functions)
      if (!any_offer(index, policy, f, &r.reason)) return r;
    const std::uint32_t f0 = *index.function_id(request.functions[0]);
    const std::uint32_t f1 = *index.function_id(request.functions[1]);
    Filter fa{index, policy}, fb{index, policy};
    detail::PairSearch q;
    q.first = f0;
    q.second = f1;
    q.pass_first = [&](const Offer& o) { return fa.pass(o); };
    q.pass_second = [&](const Offer& o) { return fb.pass(o); };
    q.same_device = true;
    q.p2p_max = policy.p2p_max_class;
    q.value = [&](std::uint32_t a, std::uint32_t b, Path* out) { return hand_off_path(index, policy, a, b, out); };
    for (auto [a, b] : detail::best_pairs(index, q, policy.count)) {
      Candidate c;
      c.accelerators = {a, b};
      c.explanation.steps.push_back(*hand_off(index, policy, a, b));
      set_worst_class(c);
      r.items.push_back(std::move(c));
    }
    if (r.items.empty()) no_chain();
    return r;
  }
  std::vector<std::vector<Offer>> stages;
  for (const auto& f : request.functions) {
    stages.push_back(offers_of(index, policy, f, &r.reason));
    if (stages.back().empty()) return r;
  }
  // Chains are collected flat (accelerators and steps in two arrays, a chain's
  // worst step beside them), ranked as indices, and only the kept ones become
  // Candidates. Same order as finish(): worst step, then the keys in order.
  const std::size_t n = stages.size();
  std::vector<std::uint32_t> flat_seq;
  std::vector<Step> flat_steps;
  std::vector<const Path*> flat_worst;
  std::vector<std::uint32_t> seq;
  std::vector<Step> steps;
  auto dfs = [&](auto& self, std::size_t stage) -> void {
    if (flat_worst.size() >= kMaxChains) return;
    if (stage == n) {
      flat_seq.insert(flat_seq.end(), seq.begin(), seq.end());
      flat_steps.insert(flat_steps.end(), steps.begin(), steps.end());
      flat_worst.push_back(worst_step(steps));
      return;
    }
    for (const Offer& o : stages[stage]) {
      if (stage > 0) {
        auto h = hand_off(index, policy, seq.back(), o.accelerator);
        if (!h) continue;
        steps.push_back(*h);
      }
      seq.push_back(o.accelerator);
      self(self, stage + 1);
      seq.pop_back();
      if (stage > 0) steps.pop_back();
    }
  };
  dfs(dfs, 0);
  std::vector<std::uint32_t> order(flat_worst.size());
  for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  auto chain_less = [&](std::uint32_t p, std::uint32_t q) {
    if (int c = compare_paths(*flat_worst[p], *flat_worst[q]); c != 0) return c < 0;
    for (std::size_t k = 0; k < n; ++k) {
      std::uint32_t a = flat_seq[p * n + k], b = flat_seq[q * n + k];
      if (a != b) return natural_less(index.place(a).key, index.place(b).key);
    }
    return false;
  };
  rank(order, policy.count, chain_less);
  r.items.reserve(order.size());
  for (std::uint32_t i : order) {
    Candidate c;
    c.accelerators.assign(flat_seq.begin() + static_cast<std::ptrdiff_t>(i * n),
                          flat_seq.begin() + static_cast<std::ptrdiff_t>((i + 1) * n));
    c.explanation.steps.assign(flat_steps.begin() + static_cast<std::ptrdiff_t>(i * (n - 1)),
                               flat_steps.begin() + static_cast<std::ptrdiff_t>((i + 1) * (n - 1)));
    set_worst_class(c);
    r.items.push_back(std::move(c));
  }
  if (r.items.empty()) no_chain();
  return r;
}

Ranked best_memory(const PathIndex& index, const Policy& policy, const BestMemoryRequest& request) {
  Ranked r;
  const Snapshot& s = index.snapshot();
  std::vector<std::uint32_t> domains;
  std::optional<std::uint32_t> device;
  const std::string& from = request.from;
  if (from.rfind("numa:", 0) == 0) {
    try {
      std::uint32_t n = static_cast<std::uint32_t>(std::stoul(from.substr(5)));
      if (auto d = index.cpu_domain_id(n)) domains.push_back(*d);
      else {
        r.reason = from + " has neither CPUs nor a generic initiator.";
        return r;
      }
    } catch (...) {
      r.reason = from + " is not a NUMA node.";
      return r;
    }
  } else if (from.rfind("cpus:", 0) == 0) {
    // A CPU list: the nodes holding those CPUs.
    std::vector<std::uint32_t> cpus;
    std::string list = from.substr(5);
    std::size_t pos = 0;
    while (pos < list.size()) {
      std::size_t end = list.find(',', pos);
      std::string part = list.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
      pos = end == std::string::npos ? list.size() : end + 1;
      try {
        auto dash = part.find('-');
        std::uint32_t lo = static_cast<std::uint32_t>(std::stoul(part.substr(0, dash)));
        std::uint32_t hi = dash == std::string::npos ? lo : static_cast<std::uint32_t>(std::stoul(part.substr(dash + 1)));
        for (std::uint32_t c = lo; c <= hi && c - lo < 65536; ++c) cpus.push_back(c);
      } catch (...) {
        r.reason = from + " is not a CPU list.";
        return r;
      }
    }
    for (const auto& n : s.numa_nodes())
      for (auto c : cpus)
        if (std::binary_search(n.cpus.ids.begin(), n.cpus.ids.end(), c)) {
          if (auto d = index.cpu_domain_id(n.id)) domains.push_back(*d);
          break;
        }
    if (domains.empty()) {
      r.reason = "no NUMA node holds CPUs " + list + ".";
      return r;
    }
  } else if (auto a = index.accelerator_id(from)) {
    device = *a;
  } else {
    r.reason = "no NUMA node, CPU list or device is called " + from + ".";
    return r;
  }
  const auto& ts = index.memory_targets();
  // The key each CPU domain is named by in a step, found once.
  std::vector<std::string_view> domain_keys;
  for (auto d : domains) domain_keys.push_back(s.find_numa(index.cpu_domains()[d].node)->key);
  // Every memory is ranked as a small record; only the kept ones become Candidates.
  struct Reach {
    std::uint32_t memory;
    const Path* path;
    std::string_view from;
  };
  std::vector<Reach> reach;
  bool any_kind = false;
  for (std::uint32_t m = 0; m < ts.size(); ++m) {
    if (ts[m].same_as || !kind_matches(ts[m], request.kind)) continue;
    any_kind = true;
    const Path* best = nullptr;
    std::string_view from_key;
    if (device) {
      best = &index.memory_path(*device, m);
      from_key = index.place(*device).key;
    }
    for (std::size_t i = 0; i < domains.size(); ++i) {
      const Path* p = &index.cpu_memory_path(domains[i], m);
      if (!best || compare_paths(*p, *best) < 0) {
        best = p;
        from_key = domain_keys[i];
      }
    }
    if (!best || best->cls == PathClass::kUnreachable) continue;
    reach.push_back(Reach{m, best, from_key});
  }
  auto metric_less = [](const PathMetric& x, const PathMetric& y, bool higher) {
    if (x.known() != y.known()) return x.known() ? -1 : 1;
    if (!x.known() || x.value == y.value) return 0;
    return (higher ? x.value > y.value : x.value < y.value) ? -1 : 1;
  };
  rank(reach, policy.count, [&](const Reach& x, const Reach& y) {
    const Path& px = *x.path;
    const Path& py = *y.path;
    int c = 0;
    if (request.by == MemoryOrder::kBandwidth) c = metric_less(px.bandwidth, py.bandwidth, true);
    if (request.by == MemoryOrder::kLatency) c = metric_less(px.latency, py.latency, false);
    if (request.by == MemoryOrder::kCapacity) {
      const auto& cx = ts[x.memory].capacity;
      const auto& cy = ts[y.memory].capacity;
      c = metric_less(cx.known() ? PathMetric::of(*cx.value, cx.provenance) : PathMetric{},
                      cy.known() ? PathMetric::of(*cy.value, cy.provenance) : PathMetric{}, true);
    }
    if (c == 0) c = compare_paths(px, py);
    if (c != 0) return c < 0;
    return index.memory_target_order(x.memory) < index.memory_target_order(y.memory);
  });
  r.items.reserve(reach.size());
  for (const Reach& x : reach) {
    Candidate c;
    c.memory = x.memory;
    if (device) c.accelerators.push_back(*device);
    c.explanation.steps.push_back(Step{x.from, ts[x.memory].key, x.path, "", x.memory});
    c.explanation.worst = x.path->cls;
    r.items.push_back(std::move(c));
  }
  if (r.items.empty())
    r.reason = any_kind ? from + " reaches no memory." : "no memory of kind " + request.kind + " on this machine.";
  return r;
}

std::string explain_text(const PathIndex& index, const Candidate& c) {
  (void)index;
  std::string out;
  for (const auto& s : c.explanation.steps) {
    const Path& p = *s.path;
    out += "  " + std::string(s.from) + " -> " + std::string(s.to) + "  " + path_class_name(p.cls) + "  bw " +
           format_metric(p.bandwidth, "MB/s") + (p.bandwidth.known() ? std::string(" (") + provenance_name(p.bandwidth.provenance) + ")" : "") +
           "  lat " + format_metric(p.latency, "ns") +
           (p.latency.known() ? std::string(" (") + provenance_name(p.latency.provenance) + ")" : "") + "  hops " +
           format_metric(p.hops, "") + "  [" + std::string(p.basis) + "]";
    if (!s.note.empty()) {
      out += "  " + std::string(s.note);
      if (s.memory && s.note == "shared memory") out += " " + index.memory_targets()[*s.memory].key;
    }
    out += "\n";
  }
  return out;
}

std::string ranked_to_json(const PathIndex& index, const Ranked& r) {
  using nlohmann::ordered_json;
  auto metric = [](const PathMetric& m, const char* unit) {
    ordered_json j;
    j["value"] = m.known() ? ordered_json(m.value) : ordered_json(nullptr);
    j["unit"] = unit;
    j["provenance"] = provenance_name(m.provenance);
    return j;
  };
  ordered_json items = ordered_json::array();
  for (const auto& c : r.items) {
    ordered_json j;
    ordered_json accs = ordered_json::array();
    for (auto a : c.accelerators) accs.push_back(std::string(index.place(a).key));
    j["accelerators"] = accs;
    j["memory"] = c.memory ? ordered_json(index.memory_targets()[*c.memory].key) : ordered_json(nullptr);
    j["class"] = path_class_name(c.explanation.worst);
    ordered_json steps = ordered_json::array();
    for (const auto& s : c.explanation.steps) {
      ordered_json st;
      st["from"] = std::string(s.from);
      st["to"] = std::string(s.to);
      st["class"] = path_class_name(s.path->cls);
      st["bandwidth"] = metric(s.path->bandwidth, "MB/s");
      st["latency"] = metric(s.path->latency, "ns");
      st["hops"] = metric(s.path->hops, "count");
      st["basis"] = std::string(s.path->basis);
      if (!s.note.empty()) st["via"] = std::string(s.note);
      if (s.memory && s.note == "shared memory") st["memory"] = index.memory_targets()[*s.memory].key;
      steps.push_back(st);
    }
    j["steps"] = steps;
    items.push_back(j);
  }
  ordered_json out;
  out["items"] = items;
  out["reason"] = r.items.empty() ? ordered_json(r.reason) : ordered_json(nullptr);
  return out.dump(2) + "\n";
}

}  // namespace accelmap
