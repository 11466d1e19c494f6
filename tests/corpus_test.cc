// Every recorded tree: discovery completes, is deterministic, replays from its
// facts to the identical snapshot, and survives a capture round trip.
#include <gtest/gtest.h>

#include <filesystem>

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

  auto from_tree = build_snapshot(a);
  auto replayed = facts_from_json(ja);
  ASSERT_TRUE(replayed) << replayed.error().message();
  auto from_facts = build_snapshot(std::move(*replayed));
  EXPECT_EQ(snapshot_to_json(*from_tree), snapshot_to_json(*from_facts));
  TextOptions t;
  EXPECT_EQ(render_text(*from_tree, t), render_text(*from_facts, t));
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
