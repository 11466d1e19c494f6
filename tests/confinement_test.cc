// Confinement of a whole discovery: a tree whose links try every way out of
// the root (absolute links, ".." chains, /proc/self/root and other magic
// links, bus links into ../../..) is discovered, rendered and captured, with a
// folder of sentinel files outside the root named like the sysfs files the
// providers read. Nothing outside may be opened: inotify (IN_OPEN|IN_ACCESS)
// watches the sentinel folder and its files, and no sentinel content may
// appear in any fact or rendering.
#include <gtest/gtest.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "accelmap/capture.h"
#include "accelmap/discover.h"
#include "accelmap/render.h"
#include "accelmap/snapshot.h"
#include "test_util.h"

namespace accelmap {
namespace {

namespace fs = std::filesystem;
using testing::make_link;
using testing::write_file;

constexpr const char* kSentinel = "SENTINEL-CONFINEMENT-4b1d";

TEST(Confinement, NothingOutsideTheRootIsOpened) {
  const std::string outside = testing::make_temp_dir() + "/outside";
  // Files a provider would read if it landed here.
  for (const char* f : {"vendor", "device", "class", "numa_node", "local_cpulist", "cpulist", "distance",
                        "meminfo", "online", "properties", "op_cap", "crypto", "uevent", "driver_override",
                        "current_link_speed", "state", "api", "algorithms", "size", "target_node"})
    write_file(outside, f, std::string(kSentinel) + "-" + f + "\n");
  const std::string sentinel_dir = fs::canonical(outside).string();

  const std::string root = testing::make_temp_dir() + "/root";
  fs::copy(testing::source_dir() + "/demo/root", root, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  std::string up;
  for (char c : root)
    if (c == '/') up += "../";
  up += "../../../../";  // more than enough: ".." is clamped at the root, not at "/"
  const std::string rel = up + sentinel_dir.substr(1);
  int n = 0;
  auto pci = [&](const std::string& target) {
    char bdf[32];
    std::snprintf(bdf, sizeof bdf, "0000:f%x:00.0", n++);
    make_link(root, std::string("sys/bus/pci/devices/") + bdf, target);
  };
  pci(sentinel_dir);                           // absolute host path
  pci(rel);                                    // .. chain beyond the root
  pci("../../../../../../../../.." + sentinel_dir);  // .. then absolute-looking rest
  pci("/proc/self/root" + sentinel_dir);       // magic link to the host root
  pci("/proc/1/root" + sentinel_dir);
  pci("/proc/self/cwd/" + rel);
  pci("/proc/thread-self/root" + sentinel_dir);
  pci("/sys/../../.." + sentinel_dir);
  make_link(root, "sys/devices/system/node/node9", sentinel_dir);
  make_link(root, "sys/class/kfd/kfd/topology/nodes/7", rel);
  make_link(root, "sys/bus/dsa/devices/dsa9", "/proc/self/root" + sentinel_dir);
  make_link(root, "sys/class/uacce/hisi_zip-9", rel);
  make_link(root, "sys/bus/cxl/devices/mem9", sentinel_dir);
  make_link(root, "proc/self", "/proc/self");  // a host magic link name inside the tree
  make_link(root, "proc/crypto", "/proc/self/root" + sentinel_dir + "/crypto");
  make_link(root, "sys/devices/system/node/node0/meminfo_escape", sentinel_dir + "/meminfo");
  // Sanity: the links do reach the sentinel when followed naively.
  ASSERT_TRUE(fs::exists(root + "/sys/bus/pci/devices/0000:f0:00.0/vendor"));

  int in = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  ASSERT_GE(in, 0);
  ASSERT_GE(::inotify_add_watch(in, sentinel_dir.c_str(), IN_OPEN | IN_ACCESS), 0);

  std::string everything;
  for (bool hand_resolver : {false, true}) {
    FsRoot::Options o;
    if (hand_resolver) o.recorder = std::make_shared<AccessRecorder>();
    auto fsroot = FsRoot::open(root, o);
    ASSERT_TRUE(fsroot);
    auto facts = discover(*fsroot, DiscoverOptions{});
    ASSERT_TRUE(facts);
    everything += facts_to_json(*facts);
    auto snap = build_snapshot(*facts);
    TextOptions t;
    t.diagnostics = true;
    everything += render_text(*snap, t) + snapshot_to_json(*snap);
    if (hand_resolver) {
      const std::string out = testing::make_temp_dir();
      auto stats = write_capture(*fsroot, *o.recorder, out + "/cap.tar.xz", "cap");
      ASSERT_TRUE(stats) << stats.error().message();
      auto r = testing::run_command("tar -xJOf '" + out + "/cap.tar.xz'");
      everything += r.out;
    }
  }
  // And the CLI end to end (another process: inotify sees it too).
  auto cli = testing::run_command("'" + testing::cli_path() + "' show --json --diagnostics --pci-ids none --root '" +
                                  root + "'");
  EXPECT_EQ(cli.exit_code, 0) << cli.err;
  everything += cli.out + cli.err;

  char buf[4096];
  ssize_t got = ::read(in, buf, sizeof buf);
  int events = 0;
  std::string opened;
  for (ssize_t i = 0; got > 0 && i < got;) {
    auto* e = reinterpret_cast<inotify_event*>(buf + i);
    ++events;
    opened += std::string(" ") + (e->len ? e->name : ".");
    i += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
  }
  // Positive control: the watch does see an open of a sentinel file.
  { std::ifstream probe(sentinel_dir + "/vendor"); }
  EXPECT_GT(::read(in, buf, sizeof buf), 0) << "inotify saw nothing: the check above would be vacuous";
  ::close(in);
  EXPECT_EQ(events, 0) << "opened outside the root:" << opened;
  EXPECT_EQ(everything.find(kSentinel), std::string::npos) << "sentinel content leaked into the output";
}

}  // namespace
}  // namespace accelmap
