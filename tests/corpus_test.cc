// Every recorded tree: discovery completes, is deterministic, replays from its
// facts to the identical snapshot, and survives a capture round trip.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "accelmap/capture.h"
#include "accelmap/discover.h"
#include "accelmap/render.h"
#include "accelmap/snapshot.h"
#include "test_util.h"

namespace accelmap {
namespace {

DiscoverOptions options() {
  DiscoverOptions o;
  o.pci_ids_path = testing::pci_ids_path();
  return o;
}

FactSet discover_tree(const std::string& dir, std::shared_ptr<AccessRecorder> rec = nullptr) {
  FsRoot::Options fo;
  fo.recorder = std::move(rec);
  auto root = FsRoot::open(dir, fo);
  EXPECT_TRUE(root) << dir;
  auto facts = discover(*root, options());
  EXPECT_TRUE(facts);
  return std::move(*facts);
}

// Names of attributes and kinds of objects in `facts`, and names of the snapshot's
// accelerator details, that are not in accelmap's table of names
// (AttrName::is_builtin), and source leaves (file names) longer than a Source
// keeps inline (Source::kLeafCapacity) that are not in it either: each such
// attribute or object costs its own copy of the name, or a stem of its own, so a
// provider that writes one needs the name added to src/facts/name_table.cc.
// Leaves with a digit name one instance ("0000:3b:00.0", "index1", "dax0.0")
// and cannot be in a table: they are left out.
std::set<std::string> names_outside_the_table(const FactSet& facts) {
  std::set<std::string> out;
  for (const Object& o : facts.objects()) {
    if (!o.kind.is_builtin()) out.insert("kind " + o.kind.str());
    for (const auto& [name, a] : o.attrs) {
      if (!name.is_builtin()) out.insert(name.str());
      const std::string src = a.source.str();
      const std::string leaf = src.substr(src.rfind('/') + 1);
      const bool instance = leaf.find_first_of("0123456789") != std::string::npos;
      if (a.source.is_path() && leaf.size() > Source::kLeafCapacity && !instance && !AttrName(leaf).is_builtin())
        out.insert("source leaf " + leaf);
    }
  }
  auto snap = build_snapshot(facts);
  for (const Accelerator& acc : snap->accelerators())
    for (const auto& [name, a] : acc.details)
      if (!name.is_builtin()) out.insert(name.str());
  return out;
}

TEST(Corpus, IsPresent) {
  // Fails (never skips) when CI lost the corpus.
  EXPECT_GE(testing::corpus_tree_names().size(), 16u) << "corpus at " << testing::corpus_dir();
}

class EveryTree : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryTree, DeterministicAndReplayable) {
  std::string dir = testing::corpus_root(GetParam());
  ASSERT_FALSE(dir.empty());
  FactSet a = discover_tree(dir);
  FactSet b = discover_tree(dir);
  std::string ja = facts_to_json(a);
  EXPECT_EQ(ja, facts_to_json(b)) << "two discoveries of one tree differ";
  EXPECT_FALSE(a.objects().empty()) << "nothing discovered in " << GetParam();

  EXPECT_EQ(names_outside_the_table(a), std::set<std::string>{});

  auto from_tree = build_snapshot(a);
  auto replayed = facts_from_json(ja);
  ASSERT_TRUE(replayed) << replayed.error().message();
  auto from_facts = build_snapshot(std::move(*replayed));
  EXPECT_EQ(snapshot_to_json(*from_tree), snapshot_to_json(*from_facts));
  TextOptions t;
  EXPECT_EQ(render_text(*from_tree, t), render_text(*from_facts, t));
}

TEST(HandMadeTrees, AttributeNamesAreInTheTable) {
  std::vector<std::string> dirs{testing::source_dir() + "/demo/root"};
  for (const auto& e : std::filesystem::directory_iterator(testing::source_dir() + "/tests/trees"))
    if (e.is_directory()) dirs.push_back(e.path().string());
  ASSERT_GE(dirs.size(), 10u);
  for (const std::string& dir : dirs) EXPECT_EQ(names_outside_the_table(discover_tree(dir)), std::set<std::string>{}) << dir;
}

TEST(AttrName, AnyNameWorksAndOwnsItsTextWhenNotInTheTable) {
  AttrName builtin("numa_node"), other(std::string("a_name_from_a_newer_accelmap"));
  EXPECT_TRUE(builtin.is_builtin());
  EXPECT_FALSE(other.is_builtin());
  EXPECT_EQ(other.view(), "a_name_from_a_newer_accelmap");
  AttrName copy = other;
  EXPECT_EQ(copy, other);
  EXPECT_NE(copy.view().data(), other.view().data()) << "an owned name is copied, not shared";
  AttrName moved = std::move(copy);
  EXPECT_EQ(moved, "a_name_from_a_newer_accelmap");
  EXPECT_TRUE(AttrName().empty());
  EXPECT_EQ(AttrName("numa_node").view().data(), builtin.view().data()) << "built-in names share the table's text";
  EXPECT_LT(other, builtin);
  AttrMap m;
  m.emplace(other, Attr{});
  m.emplace(builtin, Attr{});
  m.emplace("cpus", Attr{});
  std::vector<std::string> order;
  for (const auto& [name, a] : m) order.push_back(name.str());
  EXPECT_EQ(order, (std::vector<std::string>{"a_name_from_a_newer_accelmap", "cpus", "numa_node"}));
}

TEST_P(EveryTree, CaptureRoundTripGivesSameFacts) {
  std::string dir = testing::corpus_root(GetParam());
  ASSERT_FALSE(dir.empty());
  auto rec = std::make_shared<AccessRecorder>();
  FactSet original = discover_tree(dir, rec);
  auto root = FsRoot::open(dir);
  ASSERT_TRUE(root);
  std::string out = testing::make_temp_dir();
  auto stats = write_capture(*root, *rec, out + "/cap.tar.xz", "cap");
  ASSERT_TRUE(stats) << stats.error().message();
  auto r = testing::run_command("tar -xJf '" + out + "/cap.tar.xz' -C '" + out + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  FactSet again = discover_tree(out + "/cap");
  // Sources name in-root paths, so the two must match byte for byte.
  EXPECT_EQ(facts_to_json(original), facts_to_json(again));
}

INSTANTIATE_TEST_SUITE_P(Corpus, EveryTree, ::testing::ValuesIn(testing::corpus_tree_names()),
                         [](const auto& tree_info) {
                           std::string n = tree_info.param;
                           for (char& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

// libarchive is dlopen()ed by capture; when it is missing the error says which
// package to install, in one sentence, and no archive is left behind.
TEST(Capture, MissingLibarchiveIsOneClearSentence) {
  std::string dir = testing::make_temp_dir();
  auto root = FsRoot::open(dir);
  ASSERT_TRUE(root);
  AccessRecorder rec;
  CaptureOptions o;
  o.top_dir = "cap";
  o.libarchive = "libaccelmap-test-no-such-archive.so.13";
  auto r = write_capture(*root, rec, dir + "/cap.tar.xz", o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), StatusCode::kNotFound);
  const std::string& m = r.error().message();
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  EXPECT_NE(m.find("libarchive13"), std::string::npos) << m;
  EXPECT_NE(m.find("cannot be loaded: libaccelmap-test-no-such-archive.so.13: cannot open shared object file"),
            std::string::npos)
      << m;
  EXPECT_FALSE(std::filesystem::exists(dir + "/cap.tar.xz"));

  o.libarchive = "libc.so.6";  // loads, but is not libarchive
  r = write_capture(*root, rec, dir + "/cap.tar.xz", o);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("libc.so.6 (Debian package libarchive13), but it is not a usable libarchive"),
            std::string::npos)
      << r.error().message();
  EXPECT_NE(r.error().message().find("archive_write_new"), std::string::npos) << r.error().message();

  // A wrong file name is still a usage error, whether or not libarchive loads.
  r = write_capture(*root, rec, dir + "/cap.zip", o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), StatusCode::kInvalidArgument);
}

TEST(Capture, RelativeLinkTargets) {
  EXPECT_EQ(relative_link_target("/sys/bus/pci/devices/x", "/sys/devices/pci0000:00/x"),
            "../../../devices/pci0000:00/x");
  EXPECT_EQ(relative_link_target("/a/b", "/a/c"), "c");
  EXPECT_EQ(relative_link_target("/a/b", "/"), "..");
}

}  // namespace
}  // namespace accelmap
