// Best-first search of share()'s and chain()'s pairs: see pair_search.h.
#include "query/pair_search.h"

#include <algorithm>
#include <cstdint>
#include <memory>

namespace accelmap::detail {

namespace {

using Pair = std::pair<std::uint32_t, std::uint32_t>;

int cmp(const Path* a, const Path* b) { return compare_paths(*a, *b); }

// Candidate pairs, one level at a time, each level ascending by (a, b).
class Source {
 public:
  virtual ~Source() = default;
  /// The next level this source may have pairs at; nullptr when it has none left. Calls
  /// without open()/close() in between give the same answer.
  virtual const Path* next_level() = 0;
  /// Starts the pairs at `level`, which next_level() returned.
  virtual void open(const Path* level) = 0;
  /// The current pair of the open level; nullopt when the level is exhausted.
  virtual std::optional<Pair> head() const = 0;
  virtual void pop() = 0;
  /// Ends the open level: what it covered is in the past.
  virtual void close() = 0;
};

// Offers [at, end) of one offers_near() list, in ascending accelerator id.
struct Cursor {
  const Offer* at;
  const Offer* end;
  bool fresh;  // part of the run at the open level
};

// The cursor with the smallest accelerator id; -1 when all are exhausted.
int min_cursor(const std::vector<Cursor>& cs) {
  int best = -1;
  for (int k = 0; k < static_cast<int>(cs.size()); ++k)
    if (cs[k].at < cs[k].end && (best < 0 || cs[k].at->accelerator < cs[best].at->accelerator)) best = k;
  return best;
}

// Pairs sharing one memory target m: a and b both among the accelerators that reach m at
// its best class (the head of offers_near(function, m)), at the worse of their two paths.
// Each list is cut into runs of equal paths; within a run offers are in id order. At level
// v the pairs are (a from a run at v, b from any run up to v) and (a from a run below v,
// b from the run at v).
class MemorySource final : public Source {
 public:
  MemorySource(const PathIndex& x, const PairSearch& q, std::uint32_t m) : x_(x), q_(q), m_(m) {
    a_ = local(q.first);
    b_ = local(q.second);
    na_ = a_.begin;
    nb_ = b_.begin;
  }

  const Path* next_level() override {
    for (;;) {
      const Path* va = na_ < a_.end ? path(na_) : nullptr;
      const Path* vb = nb_ < b_.end ? path(nb_) : nullptr;
      if ((!va && a_old_.empty()) || (!vb && b_old_.empty())) return nullptr;  // one side is empty
      if (!va && !vb) return nullptr;
      const Path* u = !va ? vb : !vb ? va : cmp(va, vb) <= 0 ? va : vb;
      const bool a_has = !a_old_.empty() || cmp(va, u) == 0;
      const bool b_has = !b_old_.empty() || cmp(vb, u) == 0;
      if (a_has && b_has) return u;
      // Nothing on the other side at or below u yet: this run pairs with nothing at u.
      if (!a_has) {
        const Offer* e = run_end(nb_, b_.end);
        b_old_.push_back({nb_, e});
        nb_ = e;
      } else {
        const Offer* e = run_end(na_, a_.end);
        a_old_.push_back({na_, e});
        na_ = e;
      }
    }
  }

  void open(const Path* level) override {
    fa_ = fb_ = {nullptr, nullptr};
    if (na_ < a_.end && cmp(path(na_), level) == 0) fa_ = {na_, run_end(na_, a_.end)};
    if (nb_ < b_.end && cmp(path(nb_), level) == 0) fb_ = {nb_, run_end(nb_, b_.end)};
    a_cur_.clear();
    if (fb_.begin)  // earlier a pair only with b at this level
      for (const Range& r : a_old_) a_cur_.push_back({r.begin, r.end, false});
    if (fa_.begin) a_cur_.push_back({fa_.begin, fa_.end, true});
    next_a();
  }

  std::optional<Pair> head() const override {
    if (!have_) return std::nullopt;
    return Pair{a_id_, b_id_};
  }

  void pop() override {
    if (!next_b()) next_a();
  }

  void close() override {
    if (fa_.begin) a_old_.push_back(fa_), na_ = fa_.end;
    if (fb_.begin) b_old_.push_back(fb_), nb_ = fb_.end;
    fa_ = fb_ = {nullptr, nullptr};
    have_ = false;
  }

 private:
  struct Range {
    const Offer* begin;
    const Offer* end;
  };

  Range local(std::uint32_t function) const {
    const auto& list = x_.offers_near(function, m_);
    const PathClass best = x_.best_device_class(m_);
    auto end = std::partition_point(list.begin(), list.end(),
                                    [&](const Offer& o) { return x_.memory_path(o.accelerator, m_).cls == best; });
    return {list.data(), list.data() + (end - list.begin())};
  }
  const Path* path(const Offer* o) const { return &x_.memory_path(o->accelerator, m_); }
  // The end of the run of equal paths starting at `begin`.
  const Offer* run_end(const Offer* begin, const Offer* end) const {
    const Path* rep = path(begin);
    return std::partition_point(begin, end, [&](const Offer& o) { return cmp(path(&o), rep) == 0; });
  }

  // Moves to the next a that has a b; have_ = false when there is none.
  void next_a() {
    for (;;) {
      const int k = min_cursor(a_cur_);
      if (k < 0) {
        have_ = false;
        return;
      }
      const Offer* o = a_cur_[k].at++;
      if (!q_.pass_first(*o)) continue;
      a_id_ = o->accelerator;
      b_cur_.clear();
      auto add = [&](const Range& r) {
        const Offer* s = r.begin;
        if (q_.ascending_only)
          s = std::partition_point(r.begin, r.end, [&](const Offer& y) { return y.accelerator <= a_id_; });
        if (s < r.end) b_cur_.push_back({s, r.end, false});
      };
      if (a_cur_[k].fresh)
        for (const Range& r : b_old_) add(r);
      if (fb_.begin) add(fb_);
      if (next_b()) return;
    }
  }

  // Moves to the next b of the current a; false when there is none.
  bool next_b() {
    for (;;) {
      const int k = min_cursor(b_cur_);
      if (k < 0) return have_ = false;
      const Offer* o = b_cur_[k].at++;
      if (o->accelerator == a_id_ || !q_.pass_second(*o)) continue;
      b_id_ = o->accelerator;
      return have_ = true;
    }
  }

  const PathIndex& x_;
  const PairSearch& q_;
  std::uint32_t m_;
  Range a_{}, b_{};                       // the local heads of both offers_near lists
  const Offer* na_ = nullptr;             // the first offer of a_ not yet in a_old_
  const Offer* nb_ = nullptr;
  std::vector<Range> a_old_, b_old_;      // runs below the open level
  Range fa_{nullptr, nullptr}, fb_{nullptr, nullptr};  // the runs at the open level
  std::vector<Cursor> a_cur_, b_cur_;
  std::uint32_t a_id_ = 0, b_id_ = 0;
  bool have_ = false;
};

// (a, a): an accelerator offering both functions hands off to itself. Every such pair is
// at device_path(a, a), one value (SELF, nothing measured, 0 hops).
class SameDeviceSource final : public Source {
 public:
  SameDeviceSource(const PathIndex& x, const PairSearch& q) : x_(x), q_(q) { advance(0); }

  const Path* next_level() override {
    if (done_) return nullptr;
    self_ = x_.device_path(cur_, cur_);
    return &self_;
  }
  void open(const Path*) override {}
  std::optional<Pair> head() const override {
    if (done_) return std::nullopt;
    return Pair{cur_, cur_};
  }
  void pop() override { advance(cur_ + 1); }
  void close() override { done_ = true; }

 private:
  // The first accelerator from `from` on offering both functions with both offers passing.
  void advance(std::uint32_t from) {
    const std::uint64_t* fa = x_.offer_bits(q_.first);
    const std::uint64_t* fb = x_.offer_bits(q_.second);
    const std::size_t words = x_.offer_words();
    for (std::size_t w = from / 64; w < words; ++w) {
      std::uint64_t bits = fa[w] & fb[w];
      if (w == from / 64) bits &= ~std::uint64_t{0} << (from % 64);
      for (; bits; bits &= bits - 1) {
        const auto i = static_cast<std::uint32_t>(w * 64 + static_cast<unsigned>(__builtin_ctzll(bits)));
        if (q_.pass_first(*x_.offer(q_.first, i)) && q_.pass_second(*x_.offer(q_.second, i))) {
          cur_ = i;
          return;
        }
      }
    }
    done_ = true;
  }

  const PathIndex& x_;
  const PairSearch& q_;
  std::uint32_t cur_ = 0;
  bool done_ = false;
  Path self_;
};

// Peer-to-peer pairs (a != b, device_path at or below p2p_max), gathered one class at a
// time from the groups that hold every pair of that class, and kept in a heap by (path, a,
// b): a level is the run of equal paths at its top, popped in (a, b) order.
class PeerSource final : public Source {
 public:
  PeerSource(const PathIndex& x, const PairSearch& q)
      : x_(x), q_(q), max_(std::min(*q.p2p_max, PathClass::kAcrossSockets)),
        in_first_(x.accelerator_count(), kUnknown), in_second_(x.accelerator_count(), kUnknown) {}

  /// The next class not gathered yet.
  std::optional<PathClass> pending() const {
    if (cls_ > max_) return std::nullopt;
    return cls_;
  }

  void gather() {
    auto pair = [&](std::uint32_t a, std::uint32_t b) {
      if (a == b) return;
      Path p = x_.device_path(a, b);
      if (p.cls == cls_) heap_.push_back({a, b, p});
    };
    std::vector<std::uint32_t> ga, gb;
    auto groups = [&](PathIndex::PeerGrouping g) {
      for (const auto& members : x_.peer_groups(g)) {
        ga.clear();
        gb.clear();
        for (std::uint32_t i : members) {
          if (in_first(i)) ga.push_back(i);
          if (in_second(i)) gb.push_back(i);
        }
        for (std::uint32_t a : ga)
          for (std::uint32_t b : gb) pair(a, b);
      }
    };
    using G = PathIndex::PeerGrouping;
    switch (cls_) {
      case PathClass::kSamePackage: groups(G::kPackage); break;
      case PathClass::kDirectLink:
        for (auto [u, w] : x_.linked_pairs()) {
          if (in_first(u) && in_second(w)) pair(u, w);
          if (in_first(w) && in_second(u)) pair(w, u);
        }
        break;
      case PathClass::kSameSwitch:
      case PathClass::kAcrossSwitches: groups(G::kPciBranch); break;
      case PathClass::kHostBridge: groups(G::kPciTree); break;
      case PathClass::kSameNode:  // a pair may be in both groupings: pop() drops the second
        groups(G::kNumaNode);
        groups(G::kCpuPackage);
        break;
      case PathClass::kAcrossSockets:
        for (const Offer& a : x_.offers(q_.first))
          if (in_first(a.accelerator))
            for (const Offer& b : x_.offers(q_.second))
              if (in_second(b.accelerator)) pair(a.accelerator, b.accelerator);
        break;
      default: break;
    }
    std::make_heap(heap_.begin(), heap_.end(), after);
    cls_ = static_cast<PathClass>(static_cast<int>(cls_) + 1);
  }

  const Path* next_level() override { return heap_.empty() ? nullptr : &heap_.front().path; }
  // The level's pairs are popped from the heap as they are used (a pair gathered twice comes
  // twice in a row; the merge drops the second).
  void open(const Path* level) override { level_ = level; }
  std::optional<Pair> head() const override {
    if (heap_.empty() || cmp(&heap_.front().path, level_) != 0) return std::nullopt;
    return Pair{heap_.front().a, heap_.front().b};
  }
  void pop() override {
    std::pop_heap(heap_.begin(), heap_.end(), after);
    heap_.pop_back();
  }
  void close() override {
    while (head()) pop();
  }

 private:
  struct Entry {
    std::uint32_t a, b;
    Path path;
  };
  // Heap order: the top is the smallest (path, a, b).
  static bool after(const Entry& p, const Entry& r) {
    if (int c = cmp(&p.path, &r.path); c != 0) return c > 0;
    return std::pair(p.a, p.b) > std::pair(r.a, r.b);
  }
  // Whether accelerator i offers the first (second) function and that offer passes the
  // policy: asked once per accelerator and query.
  enum : std::int8_t { kUnknown = -1 };
  bool in(std::uint32_t function, const std::function<bool(const Offer&)>& pass, std::vector<std::int8_t>& memo,
          std::uint32_t i) {
    if (memo[i] == kUnknown) memo[i] = x_.offers_function(function, i) && pass(*x_.offer(function, i));
    return memo[i];
  }
  bool in_first(std::uint32_t i) { return in(q_.first, q_.pass_first, in_first_, i); }
  bool in_second(std::uint32_t i) { return in(q_.second, q_.pass_second, in_second_, i); }

  const PathIndex& x_;
  const PairSearch& q_;
  PathClass max_;
  PathClass cls_ = PathClass::kSamePackage;
  std::vector<std::int8_t> in_first_, in_second_;
  std::vector<Entry> heap_;
  const Path* level_ = nullptr;  // the open level
};

}  // namespace

std::vector<std::pair<std::uint32_t, std::uint32_t>> best_pairs(const PathIndex& index, const PairSearch& search,
                                                                std::size_t count) {
  std::vector<Pair> out;
  std::vector<std::unique_ptr<Source>> sources;
  for (std::uint32_t m : index.shared_targets())
    if (!search.target_ok || search.target_ok(m)) sources.push_back(std::make_unique<MemorySource>(index, search, m));
  if (search.same_device) sources.push_back(std::make_unique<SameDeviceSource>(index, search));
  PeerSource* peers = nullptr;
  if (search.p2p_max) {
    auto p = std::make_unique<PeerSource>(index, search);
    peers = p.get();
    sources.push_back(std::move(p));
  }
  std::vector<Source*> open;
  while (out.size() < count) {
    // The next level: the best any source has. Peer pairs of a class are gathered before
    // the first level of that class (or of a worse one) is opened.
    const Path* best = nullptr;
    auto consider = [&](const Path* p) {
      if (p && (!best || cmp(p, best) < 0)) best = p;
    };
    for (const auto& s : sources) consider(s->next_level());
    while (peers && peers->pending() && (!best || *peers->pending() <= best->cls)) {
      peers->gather();  // may move the entries `best` points at: take the levels again
      best = nullptr;
      for (const auto& s : sources) consider(s->next_level());
    }
    if (!best) break;
    const Path level_value = *best;  // sources move their entries as they pop them
    const Path* level = &level_value;
    open.clear();
    for (const auto& s : sources)
      if (const Path* p = s->next_level(); p && cmp(p, level) == 0) {
        s->open(level);
        open.push_back(s.get());
      }
    // Merge the open sources in (a, b) order; one pair may come from several sources.
    Pair last{UINT32_MAX, UINT32_MAX};
    while (out.size() < count) {
      Source* from = nullptr;
      std::optional<Pair> best_pair;
      for (Source* s : open)
        if (auto h = s->head(); h && (!best_pair || *h < *best_pair)) from = s, best_pair = h;
      if (!from) break;
      from->pop();
      if (*best_pair == last) continue;
      last = *best_pair;
      // A pair better than the level was answered at its own level.
      Path v;
      if (search.value(best_pair->first, best_pair->second, &v) && cmp(&v, level) == 0) out.push_back(*best_pair);
    }
    if (out.size() >= count) break;
    for (Source* s : open) s->close();
  }
  return out;
}

}  // namespace accelmap::detail
