// FsRoot: confinement, bounded and non-blocking reads, diagnostics instead of failures.
#include "accelmap/fs_root.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "fs/batch_read.h"
#include "test_util.h"

namespace accelmap {
namespace {

using testing::make_link;
using testing::make_temp_dir;
using testing::write_file;

struct Confined : ::testing::Test {
  void SetUp() override {
    outside = make_temp_dir();
    write_file(outside, "secret", "SENTINEL-OUTSIDE\n");
    base = make_temp_dir();
    root = base + "/root";
    write_file(root, "sys/ok", "inside\n");
    write_file(root, "secret", "root-secret\n");
    // Every way out we can think of.
    make_link(root, "sys/abs", outside + "/secret");           // absolute link to the host path
    make_link(root, "sys/dotdot", "../../../../../../../secret");  // .. beyond the root
    make_link(root, "sys/dotdot_dir", "../../../../..");       // a folder above the root
    make_link(root, "sys/slash", "/");
    make_link(root, "sys/loop_a", "loop_b");
    make_link(root, "sys/loop_b", "loop_a");
    make_link(root, "sys/dangling", "nothing-here");
  }
  std::string outside, base, root;
};

TEST_F(Confined, AbsoluteLinkResolvesInsideRoot) {
  auto fs = FsRoot::open(root);
  ASSERT_TRUE(fs);
  // "/<outside>/secret" taken relative to the root does not exist there.
  auto r = fs->read_text("/sys/abs");
  EXPECT_FALSE(r);
  EXPECT_EQ(r.error().code(), StatusCode::kNotFound);
}

TEST_F(Confined, DotDotIsClampedAtRoot) {
  auto fs = FsRoot::open(root);
  ASSERT_TRUE(fs);
  auto r = fs->read_text("/sys/dotdot");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*r, "root-secret\n");  // the root's own /secret, never the host's
  auto r2 = fs->read_text("/../../../../secret");
  ASSERT_TRUE(r2);
  EXPECT_EQ(*r2, "root-secret\n");
  auto r3 = fs->read_text("/sys/dotdot_dir/secret");
  ASSERT_TRUE(r3);
  EXPECT_EQ(*r3, "root-secret\n");
  auto r4 = fs->read_text("/sys/slash/secret");
  ASSERT_TRUE(r4);
  EXPECT_EQ(*r4, "root-secret\n");
}

TEST_F(Confined, HandWrittenResolverAgrees) {
  // With a recorder the hand-written resolver runs instead of openat2.
  FsRoot::Options o;
  o.recorder = std::make_shared<AccessRecorder>();
  auto fs = FsRoot::open(root, o);
  ASSERT_TRUE(fs);
  EXPECT_FALSE(fs->read_text("/sys/abs"));
  EXPECT_EQ(*fs->read_text("/sys/dotdot"), "root-secret\n");
  EXPECT_EQ(*fs->read_text("/sys/dotdot_dir/secret"), "root-secret\n");
  EXPECT_EQ(*fs->resolve("/sys/dotdot"), "/secret");
  auto loop = fs->read_text("/sys/loop_a");
  ASSERT_FALSE(loop);
  EXPECT_NE(loop.error().message().find("symbolic links"), std::string::npos) << loop.error().message();
  EXPECT_EQ(o.recorder->links().count("/sys/dotdot"), 1u);
}

TEST_F(Confined, LoopsAndDanglingLinksAreErrorsNotHangs) {
  auto fs = FsRoot::open(root);
  ASSERT_TRUE(fs);
  auto loop = fs->read_text("/sys/loop_a");
  ASSERT_FALSE(loop);
  EXPECT_NE(loop.error().message().find("/sys/loop_a"), std::string::npos);
  EXPECT_FALSE(fs->read_text("/sys/dangling"));
  EXPECT_FALSE(fs->resolve("/sys/loop_a"));
}

TEST_F(Confined, ResolveGivesCanonicalInRootPath) {
  write_file(root, "sys/devices/pci0000:00/0000:00:01.0/vendor", "0x8086\n");
  make_link(root, "sys/bus/pci/devices/0000:00:01.0", "../../../devices/pci0000:00/0000:00:01.0");
  auto fs = FsRoot::open(root);
  ASSERT_TRUE(fs);
  EXPECT_EQ(*fs->resolve("/sys/bus/pci/devices/0000:00:01.0"), "/sys/devices/pci0000:00/0000:00:01.0");
  EXPECT_EQ(*fs->read_text("/sys/bus/pci/devices/0000:00:01.0/vendor"), "0x8086\n");
  EXPECT_EQ(*fs->read_link("/sys/bus/pci/devices/0000:00:01.0"), "../../../devices/pci0000:00/0000:00:01.0");
}

TEST(FsRootFiles, FifoIsRefusedWithoutBlocking) {
  std::string root = make_temp_dir();
  std::filesystem::create_directories(root + "/sys");
  ASSERT_EQ(::mkfifo((root + "/sys/fifo").c_str(), 0644), 0);
  auto fs = FsRoot::open(root);
  ASSERT_TRUE(fs);
  auto r = fs->read_text("/sys/fifo");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("FIFO"), std::string::npos) << r.error().message();
}

TEST(FsRootFiles, DeviceNodeIsNotOpened) {
  std::string root = make_temp_dir();
  std::filesystem::create_directories(root + "/sys");
  if (::mknod((root + "/sys/zero").c_str(), S_IFCHR | 0644, makedev(1, 5)) != 0)
    GTEST_SKIP() << "mknod needs privileges here";
  auto fs = FsRoot::open(root);
  ASSERT_TRUE(fs);
  auto r = fs->read_text("/sys/zero");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("character device"), std::string::npos);
}

TEST(FsRootFiles, HugeFileIsRefusedWithLimit) {
  std::string root = make_temp_dir();
  write_file(root, "sys/huge", std::string(5000, 'x'));
  FsRoot::Options o;
  o.max_file_bytes = 4096;
  auto fs = FsRoot::open(root, o);
  ASSERT_TRUE(fs);
  auto r = fs->read_text("/sys/huge");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("4096-byte limit"), std::string::npos);
  write_file(root, "sys/fits", std::string(4096, 'y'));
  EXPECT_EQ(fs->read_text("/sys/fits")->size(), 4096u);
}

TEST(FsRootFiles, DirectoryIsNotAFile) {
  std::string root = make_temp_dir();
  std::filesystem::create_directories(root + "/sys/dir");
  auto fs = FsRoot::open(root);
  ASSERT_TRUE(fs);
  EXPECT_FALSE(fs->read_text("/sys/dir"));
  auto l = fs->list_dir("/sys");
  ASSERT_TRUE(l);
  ASSERT_EQ(l->size(), 1u);
  EXPECT_EQ((*l)[0].name, "dir");
  EXPECT_EQ((*l)[0].type, EntryType::kDir);
}

TEST(FsRootOpen, MissingRootIsNotFound) {
  auto r = FsRoot::open("/definitely/not/here");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), StatusCode::kNotFound);
  EXPECT_NE(r.error().message().find("/definitely/not/here"), std::string::npos);
}

TEST(FsRootOpen, FileAsRootIsInvalid) {
  std::string d = make_temp_dir();
  write_file(d, "f", "x");
  auto r = FsRoot::open(d + "/f");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), StatusCode::kInvalidArgument);
}

TEST(NormalizePath, Clamps) {
  EXPECT_EQ(normalize_path("/a//b/./c/../d"), "/a/b/d");
  EXPECT_EQ(normalize_path("../../x"), "/x");
  EXPECT_EQ(normalize_path(""), "/");
}

// ---------------------------------------------------------------- FsDir

// Every FsDir read must equal FsRoot::read_text / read_link on the full path:
// same value, same error code, same message (diagnostics must not change).
void expect_same(const FsRoot& fs, const FsDir& d, const std::string& name) {
  auto a = d.read_text(name);
  auto b = fs.read_text(d.path() + "/" + name);
  ASSERT_EQ(static_cast<bool>(a), static_cast<bool>(b)) << name;
  if (a) {
    EXPECT_EQ(*a, *b) << name;
  } else {
    EXPECT_EQ(a.error().code(), b.error().code()) << name;
    EXPECT_EQ(a.error().message(), b.error().message()) << name;
  }
}

TEST_F(Confined, DirReadsMatchPathReads) {
  write_file(root, "sys/empty", "");
  write_file(root, "sys/sub/inner", "x\n");
  auto fs = FsRoot::open(root);
  ASSERT_TRUE(fs);
  auto d = fs->open_dir("/sys");
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(d->entries(), *fs->list_dir("/sys"));
  EXPECT_TRUE(d->has("ok"));
  EXPECT_FALSE(d->has("nope"));
  EXPECT_EQ(d->child("ok"), "/sys/ok");
  EXPECT_EQ(*d->read_text("ok"), "inside\n");
  for (const char* n : {"ok", "empty", "abs", "dotdot", "dotdot_dir", "slash", "loop_a", "dangling", "nope", "sub",
                        "sub/inner", "..", "."})
    expect_same(*fs, *d, n);
}

// A live sysfs folder is listed in one getdents call when it fits (the call
// that would answer 0 is saved): the listing must still be the whole folder.
TEST(LiveSysfs, OneCallListingsAreWhole) {
  auto fs = FsRoot::open("/");
  ASSERT_TRUE(fs);
  int compared = 0;
  for (const char* dir : {"/sys/bus/pci/devices", "/sys/devices/system/cpu", "/sys/devices/system/node/node0",
                          "/sys/devices/system/memory", "/sys/kernel/slab", "/sys/module", "/sys/class/tty"}) {
    std::error_code ec;
    std::set<std::string> expected;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) expected.insert(e.path().filename().string());
    if (ec) continue;
    auto d = fs->open_dir(dir);
    ASSERT_TRUE(d) << dir << ": " << d.error().message();
    std::set<std::string> listed;
    for (const DirEntry& e : d->entries()) listed.insert(e.name);
    EXPECT_EQ(listed, expected) << dir;
    ++compared;
  }
  if (compared == 0) GTEST_SKIP() << "no sysfs at /sys";
}

TEST_F(Confined, DirLinksStayInsideRoot) {
  auto fs = FsRoot::open(root);
  ASSERT_TRUE(fs);
  auto d = fs->open_dir("/sys");
  ASSERT_TRUE(d);
  // Links go through the confined resolver: the host's secret is never read.
  auto r = d->read_text("dotdot");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "root-secret\n");
  EXPECT_FALSE(d->read_text("abs"));
  EXPECT_EQ(*d->read_link("abs"), outside + "/secret");  // the raw target, as read_link
  EXPECT_EQ(*d->read_link("dotdot"), *fs->read_link("/sys/dotdot"));
  EXPECT_FALSE(d->read_link("ok"));  // not a link
  EXPECT_EQ(d->read_link("ok").error().message(), fs->read_link("/sys/ok").error().message());
}

// "N/properties" is read below the open directory; links, ".." and odd types
// on the way take the confined path, so values and messages stay FsRoot's.
TEST_F(Confined, DirReadsBelowMatchPathReadsAndStayInside) {
  write_file(root, "sys/sub/inner", "x\n");
  write_file(root, "sys/sub/deeper/leaf", "y\n");
  std::filesystem::create_directories(root + "/sys/sub/adir");
  ASSERT_EQ(::mkfifo((root + "/sys/sub/fifo").c_str(), 0644), 0);
  make_link(root, "sys/sub/up", "../../..");                // a link inside the subdirectory
  make_link(root, "sys/linked", outside);                  // a linked subdirectory, absolute
  auto fs = FsRoot::open(root);
  ASSERT_TRUE(fs);
  auto d = fs->open_dir("/sys");
  ASSERT_TRUE(d);
  EXPECT_EQ(*d->read_text("sub/inner"), "x\n");
  EXPECT_EQ(*d->read_text("sub/deeper/leaf"), "y\n");
  for (const char* n : {"sub/inner", "sub/deeper/leaf", "sub/nope", "sub/adir", "sub/fifo", "sub/up/secret",
                        "sub/../ok", "sub//inner", "sub/./inner", "linked/secret", "dotdot_dir/secret",
                        "nope/inner", "ok/inner"})
    expect_same(*fs, *d, n);
  // The host's secret is never read through a linked subdirectory.
  auto r = d->read_text("linked/secret");
  EXPECT_TRUE(!r || *r != "SENTINEL-OUTSIDE\n");
  // A subdirectory swapped for a link to the host after the listing: refused by
  // the open below the directory, then resolved inside the root.
  std::filesystem::remove_all(root + "/sys/sub");
  make_link(root, "sys/sub", outside);
  auto s = d->read_text("sub/secret");
  EXPECT_TRUE(!s || *s != "SENTINEL-OUTSIDE\n");
  expect_same(*fs, *d, "sub/secret");
}

TEST(FsDirFiles, FifoAndDeviceAreRefusedWithoutBlocking) {
  std::string root = make_temp_dir();
  std::filesystem::create_directories(root + "/sys");
  ASSERT_EQ(::mkfifo((root + "/sys/fifo").c_str(), 0644), 0);
  bool have_dev = ::mknod((root + "/sys/zero").c_str(), S_IFCHR | 0644, makedev(1, 5)) == 0;
  auto fs = FsRoot::open(root);
  ASSERT_TRUE(fs);
  auto d = fs->open_dir("/sys");
  ASSERT_TRUE(d);
  auto r = d->read_text("fifo");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("FIFO"), std::string::npos) << r.error().message();
  EXPECT_EQ(r.error().message(), fs->read_text("/sys/fifo").error().message());
  if (have_dev) {
    auto z = d->read_text("zero");
    ASSERT_FALSE(z);
    EXPECT_NE(z.error().message().find("character device"), std::string::npos);
  }
}

TEST(FsDirFiles, SwappedForFifoAfterListingIsRefused) {
  // The listing said "regular file"; the fstat after the O_NONBLOCK open still refuses.
  std::string root = make_temp_dir();
  write_file(root, "sys/attr", "1\n");
  auto fs = FsRoot::open(root);
  ASSERT_TRUE(fs);
  auto d = fs->open_dir("/sys");
  ASSERT_TRUE(d);
  ASSERT_EQ(::unlink((root + "/sys/attr").c_str()), 0);
  ASSERT_EQ(::mkfifo((root + "/sys/attr").c_str(), 0644), 0);
  auto r = d->read_text("attr");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("FIFO"), std::string::npos) << r.error().message();
}

TEST(FsDirFiles, LimitAndLargeFiles) {
  std::string root = make_temp_dir();
  write_file(root, "sys/big", std::string(10000, 'a'));
  write_file(root, "sys/huge", std::string(70000, 'b'));
  FsRoot::Options o;
  o.max_file_bytes = 65536;
  auto fs = FsRoot::open(root, o);
  ASSERT_TRUE(fs);
  auto d = fs->open_dir("/sys");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->read_text("big")->size(), 10000u);  // beyond the stack buffer
  auto h = d->read_text("huge");
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().message(), fs->read_text("/sys/huge").error().message());
}

// A batch read (io_uring on recorded trees) must change nothing a read
// returns: the same values, errors and messages as the plain FsDir reads and
// the full-path reads, for every kind of entry a hostile tree may hold.
TEST_F(Confined, PrefetchedReadsMatchPathReads) {
  write_file(root, "sys/empty", "");
  write_file(root, "sys/page", std::string(internal::BatchReader::kBufferBytes, 'p'));  // fills a batch buffer: read plainly
  write_file(root, "sys/big", std::string(10000, 'b'));   // longer than the batch buffer
  write_file(root, "sys/two", "2\n");
  write_file(root, "sys/sub/inner", "x\n");
  ASSERT_EQ(::mkfifo((root + "/sys/fifo").c_str(), 0644), 0);
  auto fs = FsRoot::open(root);
  ASSERT_TRUE(fs);
  auto d = fs->open_dir("/sys");
  ASSERT_TRUE(d) << d.error().message();
  d->prefetch({"ok", "empty", "page", "big", "two", "fifo", "abs", "dotdot", "loop_a", "dangling", "nope", "sub",
               "sub/inner", ".."});
  for (const char* n : {"ok", "empty", "page", "big", "two", "fifo", "abs", "dotdot", "dotdot_dir", "slash", "loop_a",
                        "dangling", "nope", "sub", "sub/inner", "..", "."})
    expect_same(*fs, *d, n);
  EXPECT_EQ(d->read_text("page")->size(), internal::BatchReader::kBufferBytes);
  EXPECT_EQ(d->read_text("big")->size(), 10000u);

  // The size limit holds for batched files too: "inside\n" (7 bytes) fits in 7, "2\n" too.
  write_file(root, "sys/eight", "12345678");
  FsRoot::Options small;
  small.max_file_bytes = 7;
  auto limited = FsRoot::open(root, small);
  ASSERT_TRUE(limited);
  auto ld = limited->open_dir("/sys");
  ASSERT_TRUE(ld);
  ld->prefetch({"ok", "two", "eight"});
  for (const char* n : {"ok", "two", "eight"}) expect_same(*limited, *ld, n);
  EXPECT_FALSE(ld->read_text("eight"));
}

// "sub/leaf" paths (kfd's "3/properties") are typed, then the regular ones read
// in a batch: every kind of leaf a hostile tree may hold reads as the path read does.
TEST_F(Confined, PrefetchedPathsBelowFoldersMatchPathReads) {
  write_file(root, "sys/n0/properties", "simd_count 0\n");
  write_file(root, "sys/n1/properties", "");                                   // empty: read plainly
  write_file(root, "sys/n2/properties", std::string(10000, 'b'));              // longer than a batch buffer
  write_file(root, "sys/n3/properties/inner", "a folder, not a file\n");       // a folder
  ASSERT_EQ(::mkdir((root + "/sys/n4").c_str(), 0755), 0);                    // missing leaf
  ASSERT_EQ(::mkdir((root + "/sys/n5").c_str(), 0755), 0);
  ASSERT_EQ(::mkfifo((root + "/sys/n5/properties").c_str(), 0644), 0);         // a FIFO
  make_link(root, "sys/n6/properties", outside + "/secret");                   // a link out
  make_link(root, "sys/n7/properties", "../ok");                               // a link in
  make_link(root, "sys/n8", "n0");                                             // the folder is a link
  write_file(root, "sys/n9/properties", "node_to 3\n");
  auto fs = FsRoot::open(root);
  ASSERT_TRUE(fs);
  auto d = fs->open_dir("/sys");
  ASSERT_TRUE(d) << d.error().message();
  std::vector<std::string> names;
  for (int i = 0; i <= 9; ++i) names.push_back("n" + std::to_string(i) + "/properties");
  names.push_back("../sys/ok");
  names.push_back("n0/../ok");
  d->prefetch(names);
  for (const std::string& n : names) expect_same(*fs, *d, n);
  EXPECT_EQ(*d->read_text("n9/properties"), "node_to 3\n");
}

// Where io_uring is at hand the prefetched values are what later reads return:
// the files are gone from the disk and still read as they were.
TEST(FsDirFiles, PrefetchBelowFoldersReadsInBatches) {
  if (!internal::BatchReader().available()) GTEST_SKIP() << "io_uring is not available here (built without liburing, or refused)";
  std::string root = make_temp_dir();
  for (const char* n : {"0", "1", "2"}) write_file(root, std::string("sys/nodes/") + n + "/properties", std::string("id ") + n + "\n");
  write_file(root, "sys/nodes/3/properties", "");  // an empty file, seen empty before the batch: kept
  auto fs = FsRoot::open(root);
  ASSERT_TRUE(fs);
  auto d = fs->open_dir("/sys/nodes");
  ASSERT_TRUE(d);
  d->prefetch(std::vector<std::string>{"0/properties", "1/properties", "3/properties"});
  for (const char* n : {"0", "1", "2", "3"}) ASSERT_EQ(::unlink((root + "/sys/nodes/" + n + "/properties").c_str()), 0);
  EXPECT_EQ(*d->read_text("0/properties"), "id 0\n");
  EXPECT_EQ(*d->read_text("1/properties"), "id 1\n");
  EXPECT_EQ(*d->read_text("3/properties"), "");
  auto c = d->read_text("2/properties");  // not prefetched: read now, and gone
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code(), StatusCode::kNotFound);
}

// Where io_uring is at hand the prefetched values are what later reads return:
// the files are gone from the disk and still read as they were.
TEST(FsDirFiles, PrefetchReadsOnceInOneBatch) {
  if (!internal::BatchReader().available()) GTEST_SKIP() << "io_uring is not available here (built without liburing, or refused)";
  std::string root = make_temp_dir();
  write_file(root, "sys/a", "alpha\n");
  write_file(root, "sys/b", "beta\n");
  write_file(root, "sys/c", "gamma\n");
  auto fs = FsRoot::open(root);
  ASSERT_TRUE(fs);
  auto d = fs->open_dir("/sys");
  ASSERT_TRUE(d);
  d->prefetch({"a", "b"});
  ASSERT_EQ(::unlink((root + "/sys/a").c_str()), 0);
  ASSERT_EQ(::unlink((root + "/sys/b").c_str()), 0);
  ASSERT_EQ(::unlink((root + "/sys/c").c_str()), 0);
  EXPECT_EQ(*d->read_text("a"), "alpha\n");
  EXPECT_EQ(*d->read_text("b"), "beta\n");
  auto c = d->read_text("c");  // not prefetched: read now, and gone
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code(), StatusCode::kNotFound);
}

// An unlisted (large) folder's prefetch reads its regular files in one batch:
// they are gone from the disk and still read as they were.
TEST(FsDirFiles, PrefetchInUnlistedFolderReadsInOneBatch) {
  if (!internal::BatchReader().available()) GTEST_SKIP() << "io_uring is not available here (built without liburing, or refused)";
  std::string root = make_temp_dir();
  for (int i = 0; i < 400; ++i) write_file(root, "sys/memory" + std::to_string(i) + "/online", "1\n");
  write_file(root, "sys/meminfo", std::string(1500, 'm'));  // above the old 1 KiB slots
  write_file(root, "sys/distance", "10 20\n");
  auto fs = FsRoot::open(root);
  ASSERT_TRUE(fs);
  auto d = fs->open_dir("/sys", FsRoot::Listing::kUnlessLarge);
  ASSERT_TRUE(d);
  if (d->listed()) GTEST_SKIP() << "this file system does not size folders by entries";
  write_file(root, "sys/cpumap", "");  // empty, and seen so by the look before the batch
  d->prefetch({"meminfo", "distance", "cpulist", "cpumap"});
  ASSERT_EQ(::unlink((root + "/sys/meminfo").c_str()), 0);
  ASSERT_EQ(::unlink((root + "/sys/distance").c_str()), 0);
  ASSERT_EQ(::unlink((root + "/sys/cpumap").c_str()), 0);
  EXPECT_EQ(*d->read_text("meminfo"), std::string(1500, 'm'));
  EXPECT_EQ(*d->read_text("distance"), "10 20\n");
  EXPECT_EQ(*d->read_text("cpumap"), "");
  auto missing = d->read_text("cpulist");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.error().message(), fs->read_text("/sys/cpulist").error().message());
}

// A capture records what each read touched: a file read ahead in a batch is
// recorded when it is read, by its canonical path, and one never read is not.
TEST(FsDirFiles, PrefetchWhileRecordingRecordsWhatIsRead) {
  std::string root = make_temp_dir();
  write_file(root, "devices/x/a", "alpha\n");
  write_file(root, "devices/x/b", "beta\n");
  write_file(root, "devices/x/c", "gamma\n");
  std::filesystem::create_directories(root + "/sys");
  std::filesystem::create_directory_symlink("../devices/x", root + "/sys/x");
  FsRoot::Options o;
  o.recorder = std::make_shared<AccessRecorder>();
  auto fs = FsRoot::open(root, o);
  ASSERT_TRUE(fs);
  auto d = fs->open_dir("/sys/x");
  ASSERT_TRUE(d);
  d->prefetch({"a", "b"});
  if (internal::BatchReader().available()) {
    // Read in the batch: gone from the disk, still read as it was.
    ASSERT_EQ(::unlink((root + "/devices/x/a").c_str()), 0);
  }
  EXPECT_EQ(*d->read_text("a"), "alpha\n");
  EXPECT_EQ(*d->read_text("c"), "gamma\n");
  EXPECT_EQ(o.recorder->files(), (std::set<std::string>{"/devices/x/a", "/devices/x/c"}));
  EXPECT_TRUE(o.recorder->dirs().count("/devices/x")) << "the folder's listing is recorded";
  EXPECT_EQ(o.recorder->links().count("/sys/x"), 1u) << "the link on the way is recorded";
}

// A large folder opened without its listing reads every name as the listed
// folder and the full path do: values, errors and messages.
TEST_F(Confined, UnlistedLargeFolderReadsMatchPathReads) {
  for (int i = 0; i < 400; ++i) write_file(root, "sys/memory" + std::to_string(i) + "/online", "1\n");
  write_file(root, "sys/empty", "");
  write_file(root, "sys/big", std::string(10000, 'b'));
  ASSERT_EQ(::mkfifo((root + "/sys/fifo").c_str(), 0644), 0);
  auto fs = FsRoot::open(root);
  ASSERT_TRUE(fs);
  struct stat st {};
  ASSERT_EQ(::stat((root + "/sys").c_str(), &st), 0);
  if (st.st_size <= FsRoot::kLargeDirectoryBytes) GTEST_SKIP() << "this file system does not size folders by entries";
  auto d = fs->open_dir("/sys", FsRoot::Listing::kUnlessLarge);
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_FALSE(d->listed());
  EXPECT_TRUE(d->entries().empty());
  for (const char* n : {"ok", "empty", "big", "fifo", "abs", "dotdot", "dotdot_dir", "slash", "loop_a", "dangling",
                        "nope", "memory7", "memory7/online", "..", ".", ""})
    expect_same(*fs, *d, n);
  EXPECT_EQ(*d->read_text("ok"), "inside\n");
  EXPECT_EQ(*d->read_link("abs"), *fs->read_link("/sys/abs"));
  // The same after a prefetch of every name (typed one by one, the regular
  // files read in a batch, the missing ones remembered).
  auto p = fs->open_dir("/sys", FsRoot::Listing::kUnlessLarge);
  ASSERT_TRUE(p);
  std::vector<std::string> all = {"ok",   "empty", "big",     "fifo",           "abs", "dotdot", "dotdot_dir", "slash",
                                  "loop_a", "dangling", "nope", "memory7", "memory7/online", "..",  ".",      ""};
  p->prefetch(all);
  for (const std::string& n : all) expect_same(*fs, *p, n);
  // A small folder is listed as always.
  auto small = fs->open_dir("/sys/memory7", FsRoot::Listing::kUnlessLarge);
  ASSERT_TRUE(small);
  EXPECT_TRUE(small->listed());
  EXPECT_EQ(small->entries().size(), 1u);
}

TEST(FsDirOpen, MissingDirIsNotFound) {
  std::string root = make_temp_dir();
  auto fs = FsRoot::open(root);
  ASSERT_TRUE(fs);
  auto d = fs->open_dir("/sys/nothing");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code(), StatusCode::kNotFound);
}

// A sub-folder opened through its parent's open folder reads what the root's
// open_dir of the full path reads; a sub-folder that is a link (here one
// pointing out of the root) takes the root's confined path, so it stays inside.
TEST_F(Confined, OpenSubdirEqualsOpenDirAndStaysInside) {
  write_file(root, "sys/dev0/wq0.0/state", "enabled\n");
  write_file(root, "secret-dir/state", "root-secret-dir\n");
  make_link(root, "sys/dev0/wq0.1", outside);           // absolute: resolved inside the root
  make_link(root, "sys/dev0/wq0.2", "../../secret-dir");  // relative: a folder of the root
  auto fs = FsRoot::open(root);
  ASSERT_TRUE(fs);
  auto parent = fs->open_dir("/sys/dev0");
  ASSERT_TRUE(parent);
  auto sub = parent->open_subdir("wq0.0");
  ASSERT_TRUE(sub);
  EXPECT_EQ(sub->path(), "/sys/dev0/wq0.0");
  EXPECT_EQ(*sub->read_text("state"), "enabled\n");
  auto whole = fs->open_dir("/sys/dev0/wq0.0");
  ASSERT_TRUE(whole);
  EXPECT_EQ(sub->entries().size(), whole->entries().size());

  auto out = parent->open_subdir("wq0.1");  // -> <root>/<outside>, which does not exist there
  auto out_whole = fs->open_dir("/sys/dev0/wq0.1");
  ASSERT_EQ(static_cast<bool>(out), static_cast<bool>(out_whole));
  if (out) {
    EXPECT_FALSE(out->read_text("secret"));
  }
  auto rel = parent->open_subdir("wq0.2");
  ASSERT_TRUE(rel);
  EXPECT_EQ(*rel->read_text("state"), "root-secret-dir\n");

  auto missing = parent->open_subdir("wq9.9");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.error().message(), fs->open_dir("/sys/dev0/wq9.9").error().message());
}

TEST(FsDirOpen, BatchResolveEqualsResolve) {
  std::string root = make_temp_dir();
  write_file(root, "sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/vendor", "0x10de\n");
  write_file(root, "sys/devices/pci0000:00/0000:00:01.0/vendor", "0x8086\n");
  make_link(root, "sys/bus/pci/devices/0000:00:01.0", "../../../devices/pci0000:00/0000:00:01.0");
  make_link(root, "sys/bus/pci/devices/0000:01:00.0", "../../../devices/pci0000:00/0000:00:01.0/0000:01:00.0");
  make_link(root, "sys/bus/pci/devices/0000:02:00.0", "../../../devices/pci0000:00/missing");
  auto fs = FsRoot::open(root);
  ASSERT_TRUE(fs);
  std::set<std::string> memo;
  for (const char* p : {"/sys/bus/pci/devices/0000:00:01.0", "/sys/bus/pci/devices/0000:01:00.0",
                        "/sys/bus/pci/devices/0000:02:00.0"}) {
    auto a = fs->resolve(p, memo);
    auto b = fs->resolve(p);
    ASSERT_EQ(static_cast<bool>(a), static_cast<bool>(b)) << p;
    if (a) EXPECT_EQ(*a, *b);
    else EXPECT_EQ(a.error().message(), b.error().message());
  }
}

// What a recording keeps for the watcher: the fingerprint of each answer, and
// none for a path whose answers differed within the recording.
TEST(AccessRecorderTest, FingerprintsWhatWasReadAndNothingForAnswersThatDiffer) {
  AccessRecorder rec;
  rec.add_file("/sys/a", "1\n");
  rec.add_file("/sys/a", "1\n");
  rec.add_file("/sys/b", "1\n");
  rec.add_file("/sys/b", "2\n");
  rec.add_dir("/sys", {{"a", EntryType::kFile}, {"b", EntryType::kFile}});
  rec.add_link("/sys/l", "a");
  auto files = rec.file_fingerprints();
  EXPECT_EQ(files.at("/sys/a"), AccessRecorder::file_fingerprint("1\n"));
  EXPECT_NE(files.at("/sys/a"), AccessRecorder::file_fingerprint("2\n"));
  EXPECT_EQ(files.at("/sys/b"), std::nullopt);
  EXPECT_EQ(rec.files(), (std::set<std::string>{"/sys/a", "/sys/b"}));
  EXPECT_EQ(rec.dir_fingerprints().at("/sys"),
            AccessRecorder::dir_fingerprint({{"a", EntryType::kFile}, {"b", EntryType::kFile}}));
  EXPECT_NE(rec.dir_fingerprints().at("/sys"), AccessRecorder::dir_fingerprint({{"a", EntryType::kFile}}));
  EXPECT_EQ(rec.link_fingerprints().at("/sys/l"), AccessRecorder::link_fingerprint("a"));
  // The three kinds never answer alike for the same text.
  EXPECT_NE(AccessRecorder::file_fingerprint("a"), AccessRecorder::link_fingerprint("a"));
}

}  // namespace
}  // namespace accelmap
