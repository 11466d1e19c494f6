// Tests of the pci and pci_names providers: hand-made trees for the chain
// parsing and odd values, recorded trees with expectations read off the files.
#include <gtest/gtest.h>

#include <atomic>
#include <cctype>
#include <fstream>
#include <map>
#include <set>

#include "accelmap/discover.h"
#include "accelmap/incremental.h"
#include "parse/parse.h"
#include "providers/pci_ids.h"
#include "test_util.h"

namespace accelmap {
namespace {

using testing::corpus_root;
using testing::make_link;
using testing::make_temp_dir;
using testing::write_file;

FactSet discover_pci(const std::string& dir, const std::string& pci_ids = "") {
  auto root = FsRoot::open(dir);
  EXPECT_TRUE(static_cast<bool>(root)) << dir;
  if (!root) return {};
  DiscoverOptions o;
  o.providers = "pci,pci_names";
  o.pci_ids_path = pci_ids;
  auto f = discover(*root, o);
  EXPECT_TRUE(static_cast<bool>(f));
  return f ? std::move(*f) : FactSet{};
}

std::string str(const FactSet& f, const std::string& key, const std::string& attr) {
  const Object* o = f.find(key);
  if (!o) return "<no " + key + ">";
  std::optional<std::string_view> s = o->get_string(attr);
  return s ? std::string(*s) : "<none>";
}

std::set<std::string> keys_of(const FactSet& f, const std::string& kind) {
  std::set<std::string> out;
  for (const Object* o : f.of_kind(kind)) out.insert(o->key);
  return out;
}

// A device directory under /sys/devices with the usual attributes.
void add_device(const std::string& root, const std::string& canon, const std::string& vendor = "0x8086\n") {
  write_file(root, canon + "/vendor", vendor);
  write_file(root, canon + "/device", "0x1234\n");
  write_file(root, canon + "/class", "0x0b4000\n");
}

TEST(PciProvider, ChainParentsHostBridgeRelativeLinksAndAttributes) {
  std::string r = make_temp_dir();
  const std::string br = "sys/devices/pci0000:17/0000:17:00.0";
  const std::string dev = br + "/0000:18:00.0";
  add_device(r, br);
  add_device(r, dev);
  write_file(r, dev + "/numa_node", "-1\n");
  write_file(r, dev + "/local_cpus", "00ff00ff\n");  // no local_cpulist: the mask is used
  write_file(r, dev + "/current_link_speed", "8 GT/s\n");        // before Linux 4.13
  write_file(r, dev + "/max_link_speed", "16.0 GT/s PCIe\n");    // since 4.13
  write_file(r, dev + "/current_link_width", "0\n");
  write_file(r, dev + "/max_link_width", "16\n");
  write_file(r, br + "/current_link_speed", "Unknown\n");
  write_file(r, br + "/max_link_width", "255\n");
  write_file(r, br + "/numa_node", "1\n");
  write_file(r, br + "/local_cpulist", "8-15\n");
  write_file(r, br + "/local_cpus", "ffffffff\n");  // ignored: cpulist preferred
  write_file(r, br + "/secondary_bus_number", "24\n");
  write_file(r, br + "/subordinate_bus_number", "30\n");
  write_file(r, "sys/bus/pci/drivers/ve_drv/.keep", "");
  make_link(r, dev + "/driver", "../../../../bus/pci/drivers/ve_drv");
  make_link(r, "sys/bus/pci/devices/0000:17:00.0", "../../../devices/pci0000:17/0000:17:00.0");
  make_link(r, "sys/bus/pci/devices/0000:18:00.0", "../../../devices/pci0000:17/0000:17:00.0/0000:18:00.0");

  FactSet f = discover_pci(r);
  EXPECT_EQ(keys_of(f, "pci_host_bridge"), std::set<std::string>{"hostbridge:0000:17"});
  EXPECT_EQ(str(f, "pci:0000:17:00.0", "parent"), "hostbridge:0000:17");
  EXPECT_EQ(str(f, "pci:0000:18:00.0", "parent"), "pci:0000:17:00.0");
  EXPECT_EQ(str(f, "pci:0000:18:00.0", "sysfs_path"), "/sys/devices/pci0000:17/0000:17:00.0/0000:18:00.0");
  EXPECT_EQ(str(f, "pci:0000:18:00.0", "driver"), "ve_drv");
  EXPECT_EQ(str(f, "pci:0000:17:00.0", "driver"), "<none>");  // no driver link: no attribute
  const Object* d = f.find("pci:0000:18:00.0");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->get_int("vendor_id"), 0x8086);
  EXPECT_EQ(d->get_int("class_code"), 0x0b4000);
  ASSERT_NE(d->find("numa_node"), nullptr);
  EXPECT_TRUE(d->find("numa_node")->value.is_unknown());  // -1 -> null
  ASSERT_NE(d->get_ids("local_cpus"), nullptr);
  EXPECT_EQ(d->get_ids("local_cpus")->ids, (std::vector<std::uint32_t>{0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20,
                                                                        21, 22, 23}));
  EXPECT_EQ(d->get_double("current_link_speed"), 8.0);
  EXPECT_EQ(d->find("current_link_speed")->provenance, Provenance::kLinkTrained);
  EXPECT_EQ(d->get_double("max_link_speed"), 16.0);
  EXPECT_EQ(d->find("max_link_speed")->provenance, Provenance::kKernel);
  EXPECT_TRUE(d->find("current_link_width")->value.is_unknown());  // 0 -> null
  EXPECT_EQ(d->get_int("max_link_width"), 16);
  const Object* b = f.find("pci:0000:17:00.0");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->find("current_link_speed"), nullptr);  // "Unknown": nothing
  EXPECT_TRUE(b->find("max_link_width")->value.is_unknown());  // 255 -> null
  EXPECT_EQ(b->get_int("numa_node"), 1);
  EXPECT_EQ(b->get_ids("local_cpus")->ids, (std::vector<std::uint32_t>{8, 9, 10, 11, 12, 13, 14, 15}));
  EXPECT_EQ(b->get_int("secondary_bus"), 24);
  EXPECT_EQ(b->get_int("subordinate_bus"), 30);
  EXPECT_TRUE(f.diagnostics().empty()) << f.diagnostics().front().path << ": " << f.diagnostics().front().message;
}

// Pass 1 leaves each function's own folder unasked (resolve_except_last) and
// pass 2 opens it refusing links; a folder that is a link after all, or is
// gone, must give what the full walk gives.
TEST(PciProvider, FunctionFolderThatIsALinkOrGoneGivesWhatTheFullWalkGives) {
  std::string r = make_temp_dir();
  add_device(r, "sys/devices/pci0000:00/0000:00:01.0");
  add_device(r, "sys/devices/pci0000:00/moved", "0x10de\n");
  make_link(r, "sys/devices/pci0000:00/0000:00:02.0", "moved");  // the function's folder is a link
  make_link(r, "sys/bus/pci/devices/0000:00:01.0", "../../../devices/pci0000:00/0000:00:01.0");
  make_link(r, "sys/bus/pci/devices/0000:00:02.0", "../../../devices/pci0000:00/0000:00:02.0");
  make_link(r, "sys/bus/pci/devices/0000:00:03.0", "../../../devices/pci0000:00/0000:00:03.0");  // dangling

  FactSet f = discover_pci(r);
  EXPECT_EQ(keys_of(f, "pci_device"), (std::set<std::string>{"pci:0000:00:01.0", "pci:0000:00:02.0"}));
  EXPECT_EQ(str(f, "pci:0000:00:01.0", "sysfs_path"), "/sys/devices/pci0000:00/0000:00:01.0");
  EXPECT_EQ(str(f, "pci:0000:00:02.0", "sysfs_path"), "/sys/devices/pci0000:00/moved");
  const Object* moved = f.find("pci:0000:00:02.0");
  ASSERT_NE(moved, nullptr);
  EXPECT_EQ(moved->get_int("vendor_id"), 0x10de);
  EXPECT_EQ(moved->find("vendor_id")->source, "/sys/devices/pci0000:00/moved/vendor");
  EXPECT_EQ(str(f, "pci:0000:00:02.0", "parent"), "hostbridge:0000:00");
  ASSERT_EQ(f.diagnostics().size(), 1u);
  EXPECT_EQ(f.diagnostics()[0].path, "/sys/bus/pci/devices/0000:00:03.0");
  EXPECT_EQ(f.diagnostics()[0].message, "missing");

  // The two halves in FsRoot: the last component is left as the link's target
  // names it, and an open that refuses links fails on it.
  auto root = FsRoot::open(r);
  ASSERT_TRUE(root);
  std::set<std::string> memo;
  auto canon = root->resolve_except_last("/sys/bus/pci/devices/0000:00:02.0", memo);
  ASSERT_TRUE(canon) << canon.error().message();
  EXPECT_EQ(*canon, "/sys/devices/pci0000:00/0000:00:02.0");
  EXPECT_EQ(memo.count(*canon), 0u);
  EXPECT_FALSE(root->open_dir(*canon, FsRoot::Listing::kAlways, FsRoot::Links::kRefuse));
  EXPECT_TRUE(root->open_dir(*canon));  // followed, as ever
  EXPECT_TRUE(root->open_dir("/sys/devices/pci0000:00/0000:00:01.0", FsRoot::Listing::kAlways, FsRoot::Links::kRefuse));
  EXPECT_EQ(*root->resolve("/sys/bus/pci/devices/0000:00:02.0", memo), "/sys/devices/pci0000:00/moved");
}

TEST(PciProvider, ThirtyTwoBitDomain) {
  std::string r = make_temp_dir();
  add_device(r, "sys/devices/pci10000:00/10000:00:02.0");
  make_link(r, "sys/bus/pci/devices/10000:00:02.0", "../../../devices/pci10000:00/10000:00:02.0/");
  FactSet f = discover_pci(r);
  EXPECT_EQ(keys_of(f, "pci_device"), std::set<std::string>{"pci:10000:00:02.0"});
  EXPECT_EQ(keys_of(f, "pci_host_bridge"), std::set<std::string>{"hostbridge:10000:00"});
  EXPECT_EQ(str(f, "pci:10000:00:02.0", "parent"), "hostbridge:10000:00");
  EXPECT_EQ(f.find("pci:10000:00:02.0")->get_int("domain"), 0x10000);
}

TEST(PciProvider, FlatTreeHasNoParentAndOneInfo) {
  std::string r = make_temp_dir();
  add_device(r, "sys/bus/pci/devices/0000:3b:00.0");
  add_device(r, "sys/bus/pci/devices/0000:00:04.0");
  FactSet f = discover_pci(r);
  EXPECT_EQ(keys_of(f, "pci_device").size(), 2u);
  EXPECT_TRUE(keys_of(f, "pci_host_bridge").empty());
  EXPECT_EQ(str(f, "pci:0000:3b:00.0", "parent"), "<none>");
  ASSERT_EQ(f.diagnostics().size(), 1u);
  EXPECT_EQ(f.diagnostics()[0].severity, Severity::kInfo);
  EXPECT_NE(f.diagnostics()[0].message.find("no hierarchy"), std::string::npos);
}

TEST(PciProvider, GarbageVendorIsDiagnosedAndDiscoveryContinues) {
  std::string r = make_temp_dir();
  add_device(r, "sys/devices/pci0000:00/0000:00:01.0", "banana\n");
  add_device(r, "sys/devices/pci0000:00/0000:00:02.0");
  write_file(r, "sys/devices/pci0000:00/0000:00:02.0/current_link_speed", "fast\n");
  make_link(r, "sys/bus/pci/devices/0000:00:01.0", "../../../devices/pci0000:00/0000:00:01.0");
  make_link(r, "sys/bus/pci/devices/0000:00:02.0", "../../../devices/pci0000:00/0000:00:02.0");
  make_link(r, "sys/bus/pci/devices/not-a-bdf", "../../../devices/pci0000:00/0000:00:02.0");
  FactSet f = discover_pci(r);
  EXPECT_EQ(keys_of(f, "pci_device"), (std::set<std::string>{"pci:0000:00:01.0", "pci:0000:00:02.0"}));
  EXPECT_EQ(f.find("pci:0000:00:01.0")->find("vendor_id"), nullptr);
  EXPECT_EQ(f.find("pci:0000:00:01.0")->get_int("device_id"), 0x1234);
  std::set<std::string> diag;
  for (const auto& d : f.diagnostics()) diag.insert(d.path);
  EXPECT_EQ(diag, (std::set<std::string>{"/sys/devices/pci0000:00/0000:00:01.0/vendor",
                                          "/sys/devices/pci0000:00/0000:00:02.0/current_link_speed",
                                          "/sys/bus/pci/devices/not-a-bdf"}));
}

// One PCI function 0000:00:FN.0 below host bridge 0000:00, with vendor, device and
// (when given) class files, listed on the bus.
void write_function(const std::string& r, const std::string& fn, const std::string& vendor,
                    const std::string& device, const std::string& cls = "") {
  const std::string bdf = "0000:00:" + fn + ".0";
  const std::string c = "sys/devices/pci0000:00/" + bdf;
  write_file(r, c + "/vendor", vendor + "\n");
  write_file(r, c + "/device", device + "\n");
  if (!cls.empty()) write_file(r, c + "/class", cls + "\n");
  make_link(r, "sys/bus/pci/devices/" + bdf, "../../../devices/pci0000:00/" + bdf);
}

// A discovery that splits the pci provider's functions and idxd's devices into
// parts on several threads (DiscoverOptions::threads) gives the facts of one
// pass, byte for byte: on every recorded tree, the hand-made trees and the
// demo, and in incremental re-probes, whose journal sees the parts' objects made.
FactSet discover_threads(const std::string& dir, unsigned threads) {
  auto root = FsRoot::open(dir);
  EXPECT_TRUE(root) << dir;
  DiscoverOptions o;
  o.threads = threads;
  auto f = discover(*root, o);
  EXPECT_TRUE(f) << dir;
  return f ? std::move(*f) : FactSet();
}

TEST(ProviderParts, OnThreadsGiveTheFactsOfOnePass) {
  std::vector<std::string> dirs;
  for (const auto& name : testing::corpus_tree_names()) dirs.push_back(corpus_root(name));
  for (const char* t : {"xeon-dsa-iaa", "qat-4xxx", "kunpeng-hisi", "hbm-flat", "cxl-expander", "fpga-n3000-after"})
    dirs.push_back(testing::source_dir() + "/tests/trees/" + t);
  dirs.push_back(testing::source_dir() + "/demo/root");
  std::size_t split = 0;
  for (const auto& dir : dirs) {
    FactSet one = discover_threads(dir, 1);
    const std::size_t functions = one.of_kind("pci_device").size();
    if (functions >= 2) ++split;
    for (unsigned threads : {2u, 3u, 7u})
      EXPECT_EQ(facts_to_json(discover_threads(dir, threads)), facts_to_json(one)) << dir << " threads " << threads;
  }
  EXPECT_GE(split, 10u);  // the trees do exercise the split
}

TEST(ProviderParts, OnThreadsInAReprobeGiveTheFactsOfOnePass) {
  const std::string dir = testing::source_dir() + "/tests/trees/xeon-dsa-iaa";
  DiscoverOptions o;
  o.threads = 3;
  auto inc = IncrementalDiscovery::create(dir, o);
  ASSERT_TRUE(inc.has_value());
  const std::string one = facts_to_json(discover_threads(dir, 1));
  EXPECT_EQ(facts_to_json(inc->facts()), one);
  inc->reprobe({"pci"});
  EXPECT_EQ(facts_to_json(inc->facts()), one);
  inc->reprobe({"idxd"});
  EXPECT_EQ(facts_to_json(inc->facts()), one);
  inc->reprobe_all();
  EXPECT_EQ(facts_to_json(inc->facts()), one);
}

TEST(PciNames, NamesFromPciIdsAndMissingDatabase) {
  std::string r = make_temp_dir();
  write_function(r, "01", "0x1bcf", "0x001c", "0x030200");
  FactSet f = discover_pci(r, testing::pci_ids_path());
  EXPECT_EQ(str(f, "pci:0000:00:01.0", "vendor_name"), "NEC Corporation");
  EXPECT_EQ(str(f, "pci:0000:00:01.0", "device_name"), "Vector Engine 1.0");
  EXPECT_EQ(str(f, "pci:0000:00:01.0", "class_name"), "3D controller");
  EXPECT_EQ(f.find("pci:0000:00:01.0")->find("vendor_name")->provenance, Provenance::kNominal);
  EXPECT_EQ(f.find("pci:0000:00:01.0")->find("vendor_name")->source, "pci.ids");

  FactSet g = discover_pci(r, "/nonexistent/pci.ids");
  EXPECT_EQ(str(g, "pci:0000:00:01.0", "vendor_name"), "<none>");
  ASSERT_EQ(g.diagnostics().size(), 1u);
  EXPECT_EQ(g.diagnostics()[0].severity, Severity::kWarning);
}

// A hand-written database in the pci.ids format, vendors out of order and a stray
// line inside a block: each vendor still resolves, and its block ends at the next vendor.
TEST(PciNames, UnsortedDatabaseWithAStrayLine) {
  std::string r = make_temp_dir();
  write_function(r, "01", "0x1bcf", "0x001c", "0x030200");
  write_function(r, "02", "0x10de", "0x0002");
  std::string db = make_temp_dir();
  write_file(db, "pci.ids",
             "# test database\n"
             "1bcf  NEC Corporation\n"
             "\t001c  Vector Engine 1.0\n"
             "stray text\n"
             "\t001d  Not this one\n"
             "10de  NVIDIA Corporation\n"
             "\t0001  Other\n"
             "\t0002  The Device\n"
             "C 03  Display controller\n"
             "\t02  3D controller\n");
  FactSet f = discover_pci(r, db + "/pci.ids");
  EXPECT_EQ(str(f, "pci:0000:00:01.0", "vendor_name"), "NEC Corporation");
  EXPECT_EQ(str(f, "pci:0000:00:01.0", "device_name"), "Vector Engine 1.0");
  EXPECT_EQ(str(f, "pci:0000:00:01.0", "class_name"), "3D controller");
  EXPECT_EQ(str(f, "pci:0000:00:02.0", "vendor_name"), "NVIDIA Corporation");
  EXPECT_EQ(str(f, "pci:0000:00:02.0", "device_name"), "The Device");
}

// A database in the pci.ids format with what a reader must get right: a vendor
// out of order, a stray line, a later duplicate block, the class section and a
// last line without a newline.
constexpr const char* kSmallDatabase =
    "# comment\n"
    "ffff  Late Vendor\n"
    "\t0001  Late Dev\n"
    "0001  First\n"
    "\t0001  Dev one\n"
    "\t\t0001 0002  Sub of one\n"
    "stray line\n"
    "\t0002  Dev two after a stray line\n"
    "\t\t0003 0004  Sub of two\n"
    "00a0  Second\n"
    "\t0002  Other two\n"
    "0001  Duplicate block\n"
    "\t0003  Not this\n"
    "C 03  Display controller\n"
    "\t00  VGA compatible controller\n"
    "\t\t00  VGA controller\n"
    "\t02  3D controller\n"
    "C 0b  Processor";

// The database is read through a reused chunk: lines across every chunk edge,
// a last line without a newline, a vendor's later duplicate block, a stray line,
// unsorted vendors and the class section must all read as they would whole.
TEST(PciIdsFile, NamesAcrossEveryChunkEdge) {
  const std::string text = kSmallDatabase;
  std::string dir = make_temp_dir();
  write_file(dir, "pci.ids", text);
  const std::set<providers::PciIds> asked = {{0x0001, 0x0001, 0x0001, 0x0002}, {0x0001, 0x0002, 0x0003, 0x0004},
                                             {0x0001, 0x0003, -1, -1},         {0x00a0, 0x0002, -1, -1},
                                             {0xffff, 0x0001, -1, -1},         {0x1234, 0x0001, -1, -1},
                                             {-1, -1, -1, -1}};
  const std::set<std::uint32_t> classes = {0x0300, 0x0302, 0x037f, 0x0b00, 0x0400};
  std::vector<std::size_t> chunks = {100, 4096};
  for (std::size_t c = 16; c <= 64; ++c) chunks.push_back(c);  // every byte of the text at some chunk's edge
  std::vector<std::pair<std::size_t, providers::Scan>> reads;
  for (std::size_t chunk : chunks)
    for (providers::Scan scan : {providers::Scan::kWidest, providers::Scan::kPortable}) reads.emplace_back(chunk, scan);
  for (const auto& [chunk, scan] : reads) {
    auto r = providers::read_pci_names(dir + "/pci.ids", asked, classes, chunk, scan);
    ASSERT_TRUE(static_cast<bool>(r)) << r.error().message();
    auto fn = [&](providers::PciIds id) { return r->functions.at(id); };
    EXPECT_EQ(fn({0x0001, 0x0001, 0x0001, 0x0002}).vendor, "First") << chunk;
    EXPECT_EQ(fn({0x0001, 0x0001, 0x0001, 0x0002}).device, "Dev one") << chunk;
    EXPECT_EQ(fn({0x0001, 0x0001, 0x0001, 0x0002}).subsystem, "Sub of one") << chunk;
    EXPECT_EQ(fn({0x0001, 0x0002, 0x0003, 0x0004}).device, "Dev two after a stray line") << chunk;
    EXPECT_EQ(fn({0x0001, 0x0002, 0x0003, 0x0004}).subsystem, "Sub of two") << chunk;
    EXPECT_EQ(fn({0x0001, 0x0003, -1, -1}).device, "") << chunk;  // only in the later duplicate block
    EXPECT_EQ(fn({0x00a0, 0x0002, -1, -1}).device, "Other two") << chunk;
    EXPECT_EQ(fn({0xffff, 0x0001, -1, -1}).vendor, "Late Vendor") << chunk;
    EXPECT_EQ(fn({0xffff, 0x0001, -1, -1}).device, "Late Dev") << chunk;
    EXPECT_EQ(fn({0x1234, 0x0001, -1, -1}).vendor, "") << chunk;
    EXPECT_EQ(fn({-1, -1, -1, -1}).vendor, "") << chunk;
    EXPECT_EQ(r->classes.at(0x0300), "VGA compatible controller") << chunk;
    EXPECT_EQ(r->classes.at(0x0302), "3D controller") << chunk;
    EXPECT_EQ(r->classes.at(0x037f), "Display controller") << chunk;
    EXPECT_EQ(r->classes.at(0x0b00), "Processor") << chunk;
    EXPECT_EQ(r->classes.at(0x0400), "") << chunk;
  }
}

// The index pass needs no ids (discover() runs it while pci finds them): one
// index answers any later questions as a single pass would, a pass nobody
// wants stops, and names are refused before the index.
TEST(PciIdsFile, OneIndexAnswersAnyQuestions) {
  const std::string text = kSmallDatabase;
  std::string dir = make_temp_dir();
  write_file(dir, "pci.ids", text);
  for (std::size_t chunk : {16u, 17u, 33u, 4096u}) {
    auto file = providers::PciIdsFile::open(dir + "/pci.ids", chunk);
    ASSERT_TRUE(static_cast<bool>(file)) << file.error().message();
    auto early = file->names({{1, 1, -1, -1}}, {});
    ASSERT_FALSE(static_cast<bool>(early));
    EXPECT_EQ(early.error().code(), StatusCode::kInternal);
    ASSERT_TRUE(file->index().is_ok());
    const std::vector<std::set<providers::PciIds>> questions = {
        {{0x0001, 0x0001, 0x0001, 0x0002}}, {{0x00a0, 0x0002, -1, -1}, {0x0001, 0x0003, -1, -1}}, {}};
    for (const auto& asked : questions) {
      auto got = file->names(asked, {0x0302, 0x0300});
      auto whole = providers::read_pci_names(dir + "/pci.ids", asked, {0x0302, 0x0300}, chunk);
      ASSERT_TRUE(static_cast<bool>(got) && static_cast<bool>(whole));
      ASSERT_EQ(got->functions.size(), asked.size());
      for (const auto& [id, n] : got->functions) {
        EXPECT_EQ(n.vendor, whole->functions.at(id).vendor);
        EXPECT_EQ(n.device, whole->functions.at(id).device);
        EXPECT_EQ(n.subsystem, whole->functions.at(id).subsystem);
      }
      EXPECT_EQ(got->classes.at(0x0302), "3D controller");
      EXPECT_EQ(got->classes.at(0x0300), "VGA compatible controller");
    }
    auto again = file->names({{0x0001, 0x0001, 0x0001, 0x0002}, {0x0001, 0x0003, -1, -1}}, {});
    ASSERT_TRUE(static_cast<bool>(again));
    EXPECT_EQ(again->functions.at({0x0001, 0x0001, 0x0001, 0x0002}).subsystem, "Sub of one") << chunk;
    EXPECT_EQ(again->functions.at({0x0001, 0x0003, -1, -1}).device, "") << chunk;  // the duplicate block does not count

    auto unwanted = providers::PciIdsFile::open(dir + "/pci.ids", chunk);
    ASSERT_TRUE(static_cast<bool>(unwanted));
    std::atomic<bool> cancel{true};
    Status stopped = unwanted->index(&cancel);
    EXPECT_EQ(stopped.code(), StatusCode::kInternal) << stopped.message();
  }
}

// Against a plain line-by-line reading of Debian's pci.ids: every vendor and
// every device of it resolves to its own name (the first block of a vendor,
// the first line of a device), read through the default chunk.
TEST(PciIdsFile, EveryVendorAndDeviceOfTheRealDatabase) {
  std::ifstream in(testing::pci_ids_path());
  std::string line;
  std::map<providers::PciIds, std::pair<std::string, std::string>> expect;  // vendor, device names
  std::set<std::int64_t> vendors_seen;
  std::string vendor_name;
  bool first_block = false;
  std::int64_t vendor = 0;
  auto trimmed = [](std::string s) {
    while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.pop_back();
    return s;
  };
  while (std::getline(in, line)) {
    if (line.rfind("C ", 0) == 0) break;
    if (line.size() > 6 && line[4] == ' ' && line[5] == ' ' && std::isxdigit(static_cast<unsigned char>(line[0]))) {
      vendor = static_cast<std::int64_t>(std::stoul(line.substr(0, 4), nullptr, 16));
      first_block = vendors_seen.insert(vendor).second;
      vendor_name = trimmed(line.substr(6));
      if (first_block) expect[{vendor, -1, -1, -1}] = {vendor_name, ""};
    } else if (first_block && line.size() > 7 && line[0] == '\t' && line[5] == ' ' && line[6] == ' ' &&
               std::isxdigit(static_cast<unsigned char>(line[1]))) {
      providers::PciIds id{vendor, static_cast<std::int64_t>(std::stoul(line.substr(1, 4), nullptr, 16)), -1, -1};
      expect.try_emplace(id, vendor_name, trimmed(line.substr(7)));
    }
  }
  ASSERT_GT(expect.size(), 15000u);  // ~2,300 vendors and ~17,000 devices in Debian 12's file
  std::set<providers::PciIds> asked;
  for (const auto& [id, names] : expect) asked.insert(id);
  auto r = providers::read_pci_names(testing::pci_ids_path(), asked, {});
  ASSERT_TRUE(static_cast<bool>(r)) << r.error().message();
  // The 16-byte loop every build has gives what the widest scan gives.
  auto portable = providers::read_pci_names(testing::pci_ids_path(), asked, {}, 64u << 10, providers::Scan::kPortable);
  ASSERT_TRUE(static_cast<bool>(portable)) << portable.error().message();
  for (const auto& [id, names] : r->functions) {
    EXPECT_EQ(portable->functions.at(id).vendor, names.vendor);
    EXPECT_EQ(portable->functions.at(id).device, names.device);
  }
  std::size_t compared = 0;
  for (const auto& [id, names] : expect) {
    const providers::PciNames& got = r->functions.at(id);
    // "" only where the name is not clean printable text.
    if (got.vendor.empty()) {
      EXPECT_FALSE(parse::is_clean_text(names.first)) << names.first;
    } else {
      EXPECT_EQ(got.vendor, names.first);
      ++compared;
    }
    if (got.device.empty()) {
      if (!names.second.empty()) {
        EXPECT_FALSE(parse::is_clean_text(names.second)) << names.second;
      }
    } else {
      EXPECT_EQ(got.device, names.second);
    }
  }
  EXPECT_GT(compared, expect.size() - 100);

  // A few devices of each large vendor at a time, as a machine asks: the
  // device lines between them are skipped without being read one by one.
  std::map<std::int64_t, std::vector<providers::PciIds>> by_vendor;
  for (const auto& [id, names] : expect)
    if (id.device >= 0) by_vendor[id.vendor].push_back(id);
  int big_vendors = 0;
  for (const auto& [big, ids] : by_vendor) {
    if (ids.size() < 100) continue;
    ++big_vendors;
    const std::set<providers::PciIds> few = {ids.front(), ids[ids.size() / 2], ids.back(),
                                             {big, 0xfffe, -1, -1}};  // and one it does not have
    auto some = providers::read_pci_names(testing::pci_ids_path(), few, {});
    ASSERT_TRUE(static_cast<bool>(some)) << some.error().message();
    for (const providers::PciIds& id : few) {
      const auto want = expect.find(id);
      const std::string device = want == expect.end() ? "" : want->second.second;
      EXPECT_EQ(some->functions.at(id).device, parse::is_clean_text(device) ? device : "") << big << ":" << id.device;
    }
  }
  EXPECT_GT(big_vendors, 5);
}

// Ids in upper case are read as the reader reads them anywhere, and a line
// whose bytes only fold onto an asked id (not hex) names nothing.
TEST(PciIdsFile, UpperCaseIdsAndLookAlikes) {
  std::string dir = make_temp_dir();
  write_file(dir, "pci.ids",
             "8086  Intel Corporation\n"
             "\t0001  One\n"
             "\t\t8086 0001  One's subsystem\n"
             "\t\x10" "D57  Not an id\n"
             "\t0D57  Upper case\n"
             "\t0d58  Lower case\n"
             "\t0002  Two\n"
             "C 06  Bridge\n");
  for (std::size_t chunk : {16u, 21u, 64u, 4096u}) {
    auto r = providers::read_pci_names(dir + "/pci.ids", {{0x8086, 0x0d57, -1, -1}, {0x8086, 0x0d58, -1, -1}}, {}, chunk);
    ASSERT_TRUE(static_cast<bool>(r)) << r.error().message();
    EXPECT_EQ(r->functions.at({0x8086, 0x0d57, -1, -1}).device, "Upper case") << chunk;
    EXPECT_EQ(r->functions.at({0x8086, 0x0d58, -1, -1}).device, "Lower case") << chunk;
  }
}

TEST(PciIdsFile, ErrorsNameThePath) {
  auto missing = providers::read_pci_names("/nonexistent/pci.ids", {{1, 1, -1, -1}}, {});
  ASSERT_FALSE(static_cast<bool>(missing));
  EXPECT_EQ(missing.error().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.error().message().rfind("/nonexistent/pci.ids: ", 0), 0u);
  std::string d = make_temp_dir();
  auto dir = providers::read_pci_names(d, {{1, 1, -1, -1}}, {});
  ASSERT_FALSE(static_cast<bool>(dir));
  EXPECT_EQ(dir.error().message(), d + ": not a regular file");
  write_file(d, "empty.ids", "");
  auto empty = providers::read_pci_names(d + "/empty.ids", {{1, 1, -1, -1}}, {});
  ASSERT_FALSE(static_cast<bool>(empty));
  EXPECT_EQ(empty.error().message(), d + "/empty.ids: empty");
}

TEST(PciCorpus, NecVectorEnginesBehindPlxSwitches) {
  std::string r = corpus_root("hwloc-32intel64-2p8co2t+8ve");
  ASSERT_FALSE(r.empty());
  FactSet f = discover_pci(r, testing::pci_ids_path());
  EXPECT_EQ(keys_of(f, "pci_device").size(), 28u);
  EXPECT_EQ(keys_of(f, "pci_host_bridge"),
            (std::set<std::string>{"hostbridge:0000:17", "hostbridge:0000:3a", "hostbridge:0000:5d"}));
  std::set<std::string> ves;
  for (const Object* o : f.of_kind("pci_device"))
    if (o->get_int("vendor_id") == 0x1bcf && o->get_int("device_id") == 0x001c) {
      ves.insert(o->key);
      EXPECT_EQ(o->get_int("class_code"), 0x0b4000);
      EXPECT_EQ(o->get_double("current_link_speed"), 8.0);  // "8 GT/s"
      EXPECT_EQ(o->get_int("current_link_width"), 16);
      EXPECT_EQ(*o->get_string("driver"), "ve_drv");
      // Each VE hangs below one PLX 9797 downstream port.
      const Object* port = f.find(*o->get_string("parent"));
      ASSERT_NE(port, nullptr);
      EXPECT_EQ(port->get_int("vendor_id"), 0x10b5);
      EXPECT_EQ(port->get_int("device_id"), 0x9797);
    }
  EXPECT_EQ(ves, (std::set<std::string>{"pci:0000:1b:00.0", "pci:0000:1c:00.0", "pci:0000:1d:00.0",
                                         "pci:0000:1e:00.0", "pci:0000:3d:00.0", "pci:0000:3f:00.0",
                                         "pci:0000:40:00.0", "pci:0000:41:00.0"}));
  EXPECT_EQ(str(f, "pci:0000:1b:00.0", "parent"), "pci:0000:19:08.0");
  EXPECT_EQ(str(f, "pci:0000:19:08.0", "parent"), "pci:0000:18:00.0");
  EXPECT_EQ(str(f, "pci:0000:18:00.0", "parent"), "pci:0000:17:00.0");
  EXPECT_EQ(str(f, "pci:0000:17:00.0", "parent"), "hostbridge:0000:17");
  EXPECT_EQ(f.find("pci:0000:18:00.0")->get_int("secondary_bus"), 25);
  // 0000:5f:03.0 is in the recorded /sys/devices path but has no /sys/bus/pci/devices link.
  EXPECT_EQ(str(f, "pci:0000:60:00.0", "parent"), "pci:0000:5e:00.0");
  EXPECT_EQ(f.find("pci:0000:60:00.0")->get_double("current_link_speed"), 2.5);
  EXPECT_EQ(f.find("pci:0000:60:00.0")->get_int("sriov_totalvfs"), 64);
  EXPECT_EQ(f.find("pci:0000:1b:00.0")->get_ids("local_cpus")->ids.size(), 16u);  // 0-7,16-23
  EXPECT_EQ(str(f, "pci:0000:1b:00.0", "vendor_name"), "NEC Corporation");
  ASSERT_EQ(f.diagnostics().size(), 2u);
  for (const auto& d : f.diagnostics()) {
    EXPECT_EQ(d.severity, Severity::kInfo);
    EXPECT_NE(d.message.find("0000:5f:03.0"), std::string::npos);
  }
}

TEST(PciCorpus, QatC62xFlatTree) {
  std::string r = corpus_root("nfd-qat-c62x");
  ASSERT_FALSE(r.empty());
  FactSet f = discover_pci(r);
  EXPECT_EQ(keys_of(f, "pci_device").size(), 11u);
  EXPECT_TRUE(keys_of(f, "pci_host_bridge").empty());
  const Object* qat = f.find("pci:0000:3b:00.0");
  ASSERT_NE(qat, nullptr);
  EXPECT_EQ(qat->get_int("vendor_id"), 0x8086);
  EXPECT_EQ(qat->get_int("device_id"), 0x37c8);
  EXPECT_EQ(qat->get_int("class_code"), 0x0b4000);
  EXPECT_EQ(qat->get_int("sriov_totalvfs"), 16);
  EXPECT_EQ(qat->get_int("sriov_numvfs"), 16);  // the VFs themselves were not recorded
  EXPECT_EQ(qat->get_double("current_link_speed"), 5.0);
  EXPECT_EQ(qat->get_int("current_link_width"), 16);
  EXPECT_EQ(qat->find("parent"), nullptr);
  for (const Object* o : f.of_kind("pci_device")) EXPECT_EQ(o->find("physfn"), nullptr) << o->key;
  // I/OAT 00:04.0: "Unknown" speeds, width 0 / 255.
  const Object* ioat = f.find("pci:0000:00:04.0");
  ASSERT_NE(ioat, nullptr);
  EXPECT_EQ(ioat->find("current_link_speed"), nullptr);
  EXPECT_TRUE(ioat->find("current_link_width")->value.is_unknown());
  EXPECT_TRUE(ioat->find("max_link_width")->value.is_unknown());
  // 00:1f.2 is a dummy with only a class file.
  const Object* dummy = f.find("pci:0000:00:1f.2");
  ASSERT_NE(dummy, nullptr);
  EXPECT_EQ(dummy->find("vendor_id"), nullptr);
  EXPECT_EQ(dummy->get_int("class_code"), 0x058000);
  ASSERT_EQ(f.diagnostics().size(), 1u);
  EXPECT_EQ(f.diagnostics()[0].severity, Severity::kInfo);
}

TEST(PciCorpus, ThirtyTwoBitDomainTree) {
  std::string r = corpus_root("hwloc-2pa-pcidomain32bits");
  ASSERT_FALSE(r.empty());
  FactSet f = discover_pci(r);
  EXPECT_EQ(keys_of(f, "pci_device").size(), 9u);
  EXPECT_EQ(keys_of(f, "pci_host_bridge"), (std::set<std::string>{"hostbridge:0000:00", "hostbridge:10000:00"}));
  EXPECT_EQ(str(f, "pci:10000:00:04.0", "parent"), "hostbridge:10000:00");
  EXPECT_EQ(f.find("pci:10000:00:04.0")->get_int("device_id"), 0x1001);
  EXPECT_EQ(str(f, "pci:10000:00:04.0", "driver"), "virtio-pci");
  EXPECT_TRUE(f.find("pci:10000:00:04.0")->find("numa_node")->value.is_unknown());
  // local_cpulist "0-1" wins over the (inconsistent) recorded local_cpus mask "2".
  EXPECT_EQ(f.find("pci:10000:00:04.0")->get_ids("local_cpus")->ids, (std::vector<std::uint32_t>{0, 1}));
  EXPECT_TRUE(f.diagnostics().empty());
}

// The ids, the class and the driver come from each function's uevent where it
// has one (one read instead of five files and a link). They must be what the
// attribute files and the driver link say, for every function of the root.
// Returns how many functions were read from their uevent.
int expect_uevent_agrees(const std::string& root_dir) {
  auto root = FsRoot::open(root_dir);
  EXPECT_TRUE(static_cast<bool>(root)) << root_dir;
  if (!root) return 0;
  auto bus = root->open_dir("/sys/bus/pci/devices");
  if (!bus) return 0;
  FactSet f = discover_pci(root_dir);
  auto number = [&](const std::string& path) -> std::optional<std::int64_t> {
    auto t = root->read_text(path);
    if (!t) return std::nullopt;
    auto v = parse::to_uint64(parse::trim(*t));
    return v ? std::optional<std::int64_t>(static_cast<std::int64_t>(*v)) : std::nullopt;
  };
  int by_uevent = 0;
  for (const DirEntry& e : bus->entries()) {
    const std::string dir = "/sys/bus/pci/devices/" + e.name;
    const Object* o = f.find("pci:" + e.name);
    EXPECT_NE(o, nullptr) << root_dir << dir;
    if (!o) continue;
    for (auto [file, attr] : {std::pair{"vendor", "vendor_id"}, {"device", "device_id"},
                              {"subsystem_vendor", "subsystem_vendor_id"}, {"subsystem_device", "subsystem_device_id"},
                              {"class", "class_code"}})
      EXPECT_EQ(o->get_int(attr), number(dir + "/" + file)) << root_dir << dir << " " << file;
    auto link = root->read_link(dir + "/driver");
    std::optional<std::string_view> driver = o->get_string("driver");
    if (link) {
      EXPECT_TRUE(driver.has_value()) << root_dir << dir;
      if (driver) {
        EXPECT_EQ(*driver, link->substr(link->rfind('/') + 1)) << root_dir << dir;
      }
    } else {
      EXPECT_FALSE(driver.has_value()) << root_dir << dir;
    }
    const Attr* vendor = o->find("vendor_id");
    EXPECT_NE(vendor, nullptr) << root_dir << dir;
    if (!vendor) continue;
    const bool has_uevent = root->exists(dir + "/uevent");
    EXPECT_TRUE(vendor->source.str().ends_with(has_uevent ? "/uevent" : "/vendor")) << vendor->source;
    by_uevent += has_uevent ? 1 : 0;
  }
  return by_uevent;
}

TEST(PciLive, UeventGivesWhatTheAttributeFilesSay) {
  auto root = FsRoot::open("/");
  ASSERT_TRUE(static_cast<bool>(root));
  auto bus = root->open_dir("/sys/bus/pci/devices");
  if (!bus || bus->entries().empty()) GTEST_SKIP() << "no PCI functions on this machine's /sys";
  EXPECT_GT(expect_uevent_agrees("/"), 0);
}

// Recorded trees are read the same way: the corpus recordings that kept their
// functions' uevent files (hwloc's four with PCI) agree with their attribute files.
TEST(PciCorpus, UeventGivesWhatTheAttributeFilesSay) {
  for (const char* name : {"hwloc-2pa-pcidomain32bits", "hwloc-32em64t-2n8c+dax+nvme+mic+dimms",
                           "hwloc-32intel64-2p8co2t+8ve", "hwloc-40intel64-2g2n4c+pcilocality"}) {
    SCOPED_TRACE(name);
    EXPECT_GT(expect_uevent_agrees(testing::corpus_root(name)), 8);
  }
}

}  // namespace
}  // namespace accelmap
