// Damaged trees: every corpus and hand-written tree, damaged one thing at a
// time (tests/damage/damage.h), is discovered, built, rendered and serialised
// in a child process under a timeout and a memory limit, with no crash; the
// damage shows up as a diagnostic naming the path; and everything that does
// not depend on the damaged path is still found with the same attributes.
//
// "Depends on" (the comparison, precisely): the damaged subtree D is the
// folder holding a damaged file, the damaged folder itself, or a damaged link
// together with the folder it resolved to. An object of the clean tree is
// *affected* when any of its attributes has a source path (as written, or
// resolved inside the clean root) at or below D, or when one of its string
// attributes names the key of an affected object (transitively). Every
// unaffected object must still exist, and each of its attributes whose source
// is a path outside D must be equal (attributes sourced "derived"/"pci.ids"
// are computed from other objects and may legitimately change).
//
// Variants per tree: ACCELMAP_DAMAGE_VARIANTS (default 12, so plain ctest stays
// fast; scripts/test.sh sets 150). Seed: ACCELMAP_DAMAGE_SEED (default 1).
// Counts go to the test log; ACCELMAP_DAMAGE_REPORT names a file for them too.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "accelmap/discover.h"
#include "accelmap/render.h"
#include "accelmap/snapshot.h"
#include "damage.h"
#include "test_util.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define ACCELMAP_UNDER_SANITIZER 1
#endif

namespace accelmap {
namespace {

namespace fs = std::filesystem;
using damage::Damage;
using damage::Kind;

constexpr int kTimeoutSeconds = 10;                    // per variant; discovery takes milliseconds
constexpr rlim_t kMemoryLimitBytes = rlim_t{2} << 30;  // per variant (address space)
constexpr const char* kSentinelContent = "ACCELMAP-DAMAGE-SENTINEL-7f3e9c1b";

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}

bool under(const std::string& path, const std::string& dir) {
  if (dir == "/") return true;
  return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/');
}

std::string parent_of(const std::string& p) {
  std::size_t s = p.rfind('/');
  return s == 0 || s == std::string::npos ? std::string("/") : p.substr(0, s);
}

/// Everything about one clean tree that variants are compared with.
struct Baseline {
  FactSet facts;
  std::map<std::string, std::string> canonical;  // source path -> resolved in the clean root
  damage::Targets targets;
};

Baseline clean_baseline(const std::string& dir) {
  Baseline b;
  FsRoot::Options o;
  o.recorder = std::make_shared<AccessRecorder>();
  auto root = FsRoot::open(dir, o);
  EXPECT_TRUE(root) << dir;
  auto facts = discover(*root, DiscoverOptions{});
  EXPECT_TRUE(facts);
  b.facts = std::move(*facts);
  auto plain = FsRoot::open(dir);
  for (const Object& obj : b.facts.objects())
    for (const auto& [name, attr] : obj.attrs) {
      const std::string src = attr.source.str();
      if (attr.source.is_path() && !b.canonical.count(src)) {
        auto r = plain->resolve(src);
        b.canonical[src] = r ? *r : normalize_path(src);
      }
    }
  for (const auto& f : o.recorder->files()) b.targets.files.push_back(f);
  for (const auto& d : o.recorder->dirs())
    if (d != "/") b.targets.dirs.push_back(d);
  for (const auto& [l, t] : o.recorder->links()) b.targets.links.push_back(l);
  for (const auto& [l, t] : o.recorder->links()) {
    auto r = plain->resolve(l);
    if (r) b.canonical[l] = *r;
  }
  return b;
}

std::vector<std::string> damaged_subtrees(const Damage& d, const Baseline& b) {
  switch (d.kind) {
    case Kind::kDirMissing:
    case Kind::kDirToFile:
    case Kind::kDirNoPermission: {
      // A folder of links (/sys/bus/pci/devices) is how the linked objects are found.
      std::vector<std::string> out{d.path};
      for (const auto& l : b.targets.links)
        if (under(l, d.path))
          if (auto it = b.canonical.find(l); it != b.canonical.end()) out.push_back(it->second);
      return out;
    }
    case Kind::kLinkLoop:
    case Kind::kLinkDangling:
    case Kind::kLinkOutside: {
      std::vector<std::string> out{d.path};
      if (auto it = b.canonical.find(d.path); it != b.canonical.end()) out.push_back(it->second);
      return out;
    }
    default:
      return {parent_of(d.path)};
  }
}

/// Keys of clean objects that depend on the damaged subtrees (see the file comment).
std::set<std::string> affected_keys(const Baseline& b, const std::vector<std::string>& subtrees) {
  auto touches = [&](const std::string& src) {
    if (src.empty() || src[0] != '/') return false;
    auto it = b.canonical.find(src);
    for (const auto& d : subtrees)
      if (under(normalize_path(src), d) || (it != b.canonical.end() && under(it->second, d))) return true;
    return false;
  };
  std::set<std::string> out;
  for (const Object& obj : b.facts.objects())
    for (const auto& [n, a] : obj.attrs)
      if (touches(a.source)) {
        out.insert(obj.key);
        break;
      }
  // Who names whom: a host bridge exists because devices below it name it.
  std::map<std::string, std::set<std::string>> named_by;
  for (const Object& obj : b.facts.objects())
    for (const auto& [n, a] : obj.attrs) {
      if (auto s = a.value.as_string()) named_by[std::string(*s)].insert(obj.key);
      if (const auto* v = a.value.as_strings())
        for (std::string_view s : *v) named_by[std::string(s)].insert(obj.key);
    }
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& [key, names] : named_by) {
      if (out.count(key) || !b.facts.find(key)) continue;
      bool all = true;
      for (const auto& n : names) all = all && (out.count(n) > 0 || n == key);
      if (all) {
        out.insert(key);
        grew = true;
      }
    }
    for (const Object& obj : b.facts.objects()) {
      const std::string& key = obj.key;
      if (out.count(key)) continue;
      for (const auto& [n, a] : obj.attrs) {
        bool hit = false;
        if (auto s = a.value.as_string()) hit = out.count(std::string(*s)) > 0;
        if (const auto* v = a.value.as_strings())
          for (std::string_view s : *v) hit = hit || out.count(std::string(s)) > 0;
        if (hit) {
          out.insert(key);
          grew = true;
          break;
        }
      }
    }
  }
  return out;
}

/// Runs in the child: discover the damaged tree and judge it. Returns "" or a failure.
std::string judge(const std::string& dir, const Damage& d, const Baseline& b, const damage::Damager& damager,
                  bool hand_resolver, bool* diagnosed) {
  FsRoot::Options o;
  if (hand_resolver) o.recorder = std::make_shared<AccessRecorder>();
  auto root = FsRoot::open(dir, o);
  if (!root) return "root unusable: " + root.error().message();
  std::thread vanisher;
  if (d.kind == Kind::kVanishes) vanisher = std::thread([&] { damager.vanish(d); });
  auto facts = discover(*root, DiscoverOptions{});
  if (vanisher.joinable()) vanisher.join();
  if (!facts) return "discover failed: " + facts.error().message();
  const std::string facts_json = facts_to_json(*facts);
  auto snap = build_snapshot(*facts);
  TextOptions t;
  t.diagnostics = true;
  const std::string text = render_text(*snap, t);
  const std::string snap_json = snapshot_to_json(*snap);
  auto replay = facts_from_json(facts_json);
  if (!replay) return "own facts JSON does not parse back: " + replay.error().message();
  for (const std::string* s : {&facts_json, &text, &snap_json})
    if (s->find(kSentinelContent) != std::string::npos) return "the sentinel outside the root was read";

  // The damage is named.
  const std::string tail2 = [&] {
    std::size_t a = d.path.rfind('/');
    std::size_t b2 = a == 0 || a == std::string::npos ? std::string::npos : d.path.rfind('/', a - 1);
    return b2 == std::string::npos ? d.path : d.path.substr(b2);
  }();
  for (const Diagnostic& g : facts->diagnostics()) {
    const std::string n = normalize_path(g.path);
    auto it = b.canonical.find(g.path);
    if (n == d.path || under(n, d.path) || (it != b.canonical.end() && it->second == d.path) ||
        (n.size() >= tail2.size() && n.compare(n.size() - tail2.size(), tail2.size(), tail2) == 0) ||
        g.message.find(d.path) != std::string::npos) {
      *diagnosed = true;
      break;
    }
  }
  if (damage::must_diagnose(d.kind, ::geteuid() == 0) && !*diagnosed && d.kind != Kind::kVanishes)
    return "no diagnostic names " + d.path;

  // Everything undamaged is still found.
  const auto subtrees = damaged_subtrees(d, b);
  const auto affected = affected_keys(b, subtrees);
  std::string lost;
  int n_lost = 0;
  auto touches = [&](const std::string& src) {
    auto it = b.canonical.find(src);
    for (const auto& s : subtrees)
      if (under(normalize_path(src), s) || (it != b.canonical.end() && under(it->second, s))) return true;
    return false;
  };
  // An attribute read from a folder (a count of its entries) or from a file
  // beside the damaged folder (a device's state summarising its queues) may change.
  auto summarises = [&](const std::string& src) {
    auto it = b.canonical.find(src);
    const std::string c = it != b.canonical.end() ? it->second : normalize_path(src);
    for (const auto& s : subtrees)
      if (under(s, c) || under(s, parent_of(c))) return true;
    return false;
  };
  // An object with an attribute read from a folder holding the damage (a
  // listing: which nodes the distance columns are, how many queues) may
  // change as a whole; it must still exist.
  auto lists_damage = [&](const Object& obj) {
    for (const auto& [n, a] : obj.attrs) {
      if (!a.source.is_path()) continue;
      const std::string src = a.source.str();
      auto it = b.canonical.find(src);
      const std::string c = it != b.canonical.end() ? it->second : normalize_path(src);
      for (const auto& s : subtrees)
        if (s != c && under(s, c)) return true;
    }
    return false;
  };
  for (const Object& obj : b.facts.objects()) {
    const std::string& key = obj.key;
    if (affected.count(key)) continue;
    const Object* now = facts->find(key);
    if (!now) {
      if (n_lost++ < 3) lost += " object " + key + " missing;";
      continue;
    }
    if (lists_damage(obj)) continue;
    // A function's state, counts and queues are computed from its device's
    // whole configuration (queues, regions, services) but carry the source of
    // the file that named the function; they may change with any damage.
    const bool function_summary = obj.kind == "function";
    for (const auto& [name, attr] : obj.attrs) {
      const std::string src = attr.source.str();
      if (!attr.source.is_path() || touches(src)) continue;
      if (attr.provenance == Provenance::kDerived || summarises(src)) continue;
      if (function_summary && (name == "state" || name.view().starts_with("instances_") || name == "queues" || name == "via")) continue;
      const Attr* a = now->find(name);
      if (!a || !(*a == attr)) {
        if (n_lost++ < 3) lost += " " + key + "." + name.str() + (a ? " changed;" : " missing;");
      }
    }
  }
  if (n_lost) return std::to_string(n_lost) + " undamaged facts lost:" + lost;
  return "";
}

struct Tally {
  std::map<std::string, int> tried, diagnosed, skipped;
  int total = 0, failed = 0;
};

void run_tree(const std::string& name, const std::string& dir, int variants, Tally* tally) {
  Baseline b = clean_baseline(dir);
  ASSERT_FALSE(b.targets.files.empty()) << name << ": clean discovery read nothing";
  const std::string scratch = testing::make_temp_dir();  // outside the root
  fs::create_directories(scratch + "/backup");
  const std::string sentinel = scratch + "/sentinel";
  testing::write_file(scratch, "sentinel", std::string(kSentinelContent) + "\n");
  damage::Damager damager(dir, scratch + "/backup", sentinel);
  std::mt19937_64 rng(static_cast<std::uint64_t>(env_int("ACCELMAP_DAMAGE_SEED", 1)) * 1000003u +
                      std::hash<std::string>{}(name));
  for (int i = 0; i < variants; ++i) {
    const Damage d = damager.pick(rng, b.targets);
    const std::string label = name + " " + damage::kind_name(d.kind) + " " + d.path;
    if (!damager.apply(d)) {
      damager.revert(d);
      ++tally->skipped[damage::kind_name(d.kind)];
      continue;
    }
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    std::fflush(nullptr);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
#ifndef ACCELMAP_UNDER_SANITIZER
      rlimit lim{kMemoryLimitBytes, kMemoryLimitBytes};
      ::setrlimit(RLIMIT_AS, &lim);
#endif
      bool diagnosed = false;
      std::string verdict = judge(dir, d, b, damager, i % 4 == 3, &diagnosed);
      std::string line = (verdict.empty() ? std::string(diagnosed ? "D" : "O") : "F" + verdict) + "\n";
      [[maybe_unused]] auto w = ::write(fds[1], line.data(), line.size());
      ::_exit(0);
    }
    ::close(fds[1]);
    std::string reply;
    pollfd p{fds[0], POLLIN, 0};
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kTimeoutSeconds);
    bool timed_out = false;
    for (;;) {
      int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      deadline - std::chrono::steady_clock::now())
                                      .count());
      if (left <= 0) {
        timed_out = true;
        break;
      }
      int r = ::poll(&p, 1, left);
      if (r < 0 && errno == EINTR) continue;
      if (r == 0) continue;
      char buf[4096];
      ssize_t n = ::read(fds[0], buf, sizeof buf);
      if (n <= 0) break;
      reply.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fds[0]);
    if (timed_out) ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    damager.revert(d);
    ++tally->total;
    ++tally->tried[damage::kind_name(d.kind)];
    std::string failure;
    if (timed_out) failure = "no result within " + std::to_string(kTimeoutSeconds) + " s";
    else if (WIFSIGNALED(status)) failure = "crashed with signal " + std::to_string(WTERMSIG(status));
    else if (WEXITSTATUS(status) != 0) failure = "exited with " + std::to_string(WEXITSTATUS(status));
    else if (reply.empty()) failure = "no verdict (out of memory?)";
    else if (reply[0] == 'F') failure = reply.substr(1, reply.size() - 2);
    else if (reply[0] == 'D') ++tally->diagnosed[damage::kind_name(d.kind)];
    if (!failure.empty()) {
      if (++tally->failed <= 40) ADD_FAILURE() << label << ": " << failure;
    }
  }
}

std::string copy_tree(const std::string& src) {
  std::string dst = testing::make_temp_dir() + "/root";
  fs::copy(src, dst, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  return dst;
}

TEST(Damage, EveryTreeSurvivesDamage) {
  const int per_tree = env_int("ACCELMAP_DAMAGE_VARIANTS", 12);
  std::vector<std::pair<std::string, std::string>> trees;
  for (const auto& n : testing::corpus_tree_names()) trees.emplace_back(n, testing::corpus_root(n));
  const std::string src = testing::source_dir();
  for (const auto& e : fs::directory_iterator(src + "/tests/trees"))
    if (e.is_directory()) trees.emplace_back("trees/" + e.path().filename().string(), copy_tree(e.path()));
  trees.emplace_back("demo/root", copy_tree(src + "/demo/root"));
  ASSERT_GE(trees.size(), 20u);

  Tally tally;
  for (const auto& [name, dir] : trees) {
    SCOPED_TRACE(name);
    run_tree(name, dir, per_tree, &tally);
  }
  std::ostringstream report;
  report << "damage: " << tally.total << " variants over " << trees.size() << " trees (" << per_tree
         << " per tree, seed " << env_int("ACCELMAP_DAMAGE_SEED", 1) << "), " << tally.failed << " failed"
         << (::geteuid() == 0 ? "; running as root: chmod 000 does not stop reads" : "") << "\n";
  for (const auto& [kind, n] : tally.tried)
    report << "  " << kind << ": " << n << " tried, " << tally.diagnosed[kind] << " named in a diagnostic\n";
  for (const auto& [kind, n] : tally.skipped) report << "  " << kind << ": " << n << " not possible here\n";
  std::printf("%s", report.str().c_str());
  if (const char* f = std::getenv("ACCELMAP_DAMAGE_REPORT"); f && *f) std::ofstream(f) << report.str();
  EXPECT_EQ(tally.failed, 0);
}

}  // namespace
}  // namespace accelmap
