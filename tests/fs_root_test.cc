// FsRoot: confinement, bounded and non-blocking reads, diagnostics instead of failures.
#include "accelmap/fs_root.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>

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

}  // namespace
}  // namespace accelmap
