// cxl_devices provider: CXL memdevs as accelerators, against the hand-written
// cxl-expander and cxl-type2 trees and small trees that isolate each piece of
// type-2 evidence. Expected values were read by hand from the trees' files
// (tests/trees/cxl-expander/README.md, tests/trees/cxl-type2/README.md).
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "accelmap/discover.h"
#include "test_util.h"

namespace accelmap {
namespace {

using testing::make_link;
using testing::make_temp_dir;
using testing::source_dir;
using testing::write_file;

constexpr std::int64_t kGiB = std::int64_t{1} << 30;

FactSet discover_at(const std::string& dir, std::vector<std::string> catalogs = {}) {
  return testing::discover_with(dir, "pci,dax,cxl,cxl_devices", catalogs);
}


const Diagnostic* find_diag(const FactSet& f, const std::string& message_part) {
  for (const Diagnostic& d : f.diagnostics())
    if (d.provider == "cxl_devices" && d.message.find(message_part) != std::string::npos) return &d;
  return nullptr;
}

TEST(CxlDevices, ExpanderTreeMem0IsAMemoryExpanderOnNode1) {
  FactSet f = discover_at(source_dir() + "/tests/trees/cxl-expander");
  // The raw memdev stays as cxl.cc wrote it; the accelerator has its own key.
  ASSERT_NE(f.find("cxl:mem0"), nullptr);
  EXPECT_EQ(f.find("cxl:mem0")->kind, "cxl_memdev");
  const Object* acc = f.find("cxldev:mem0");
  ASSERT_NE(acc, nullptr);
  EXPECT_EQ(acc->kind, "accelerator");
  EXPECT_EQ(*acc->get_string("family"), "cxl");
  EXPECT_EQ(acc->get_int("cxl_type"), 3);
  EXPECT_EQ(acc->find("cxl_type")->source, "/sys/bus/cxl/devices/decoder2.0/target_type");  // "expander"
  EXPECT_EQ(*acc->get_string("memdev"), "cxl:mem0");
  EXPECT_EQ(*acc->get_string("pci"), "pci:0000:35:00.0");
  EXPECT_EQ(acc->get_int("numa_node"), 0);  // the PCI function's node
  EXPECT_EQ(*acc->get_string("driver"), "cxl_pci");

  EXPECT_EQ(testing::function_names(f, "cxldev:mem0"), std::set<std::string>{"memory.expander"});
  EXPECT_EQ(*f.find("fn:cxldev:mem0:memory.expander")->get_string("state"), "available");  // in region0

  const Object* mem = f.find("devmem:cxldev:mem0:0");
  ASSERT_NE(mem, nullptr);
  EXPECT_EQ(mem->kind, "device_memory");
  EXPECT_EQ(*mem->get_string("device"), "cxldev:mem0");
  EXPECT_EQ(*mem->get_string("kind"), "ddr");
  EXPECT_EQ(mem->get_int("size"), 4 * kGiB);  // ram/size 4 GiB + pmem/size 0
  EXPECT_EQ(mem->find("size")->unit, Unit::kBytes);
  // region0 -> dax0.0, onlined by kmem as node 1.
  EXPECT_EQ(mem->get_int("numa_node"), 1);
  EXPECT_EQ(mem->find("numa_node")->source, "/sys/bus/dax/devices/dax0.0/target_node");
}

TEST(CxlDevices, Type2TreeIsAnAcceleratorWithDeviceMemory) {
  FactSet f = discover_at(source_dir() + "/tests/trees/cxl-type2");
  const Object* acc = f.find("cxldev:mem0");
  ASSERT_NE(acc, nullptr);
  EXPECT_EQ(acc->get_int("cxl_type"), 2);
  EXPECT_EQ(acc->find("cxl_type")->source, "/sys/bus/cxl/devices/decoder2.0/target_type");  // "accelerator"
  EXPECT_EQ(*acc->get_string("device_type"), "CXL type-2 accelerator");
  EXPECT_EQ(*acc->get_string("pci"), "pci:0000:39:00.0");
  EXPECT_EQ(acc->get_int("numa_node"), 0);
  EXPECT_EQ(*acc->get_string("driver"), "type2_accel");

  const Object* mem = f.find("devmem:cxldev:mem0:0");
  ASSERT_NE(mem, nullptr);
  EXPECT_EQ(mem->get_int("size"), 2 * kGiB);
  EXPECT_EQ(*mem->get_string("kind"), "unknown");
  EXPECT_EQ(mem->find("numa_node"), nullptr);  // no region, no DAX: not a NUMA node

  // 8086:0d9f is fictional: no functions, and an info diagnostic naming the id.
  EXPECT_TRUE(testing::function_names(f, "cxldev:mem0").empty());
  const Diagnostic* d = find_diag(f, "unknown pci.id '8086:0d9f'");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->severity, Severity::kInfo);
  EXPECT_NE(d->message.find("--catalog"), std::string::npos);
}

TEST(CxlDevices, Type2FunctionsComeFromAPciIdCatalogEntryAsNominal) {
  std::string dir = make_temp_dir();
  write_file(dir, "site.json",
             R"({"format": "accelmap-catalog", "version": 1, "mappings": [
                 {"source": "pci.id", "name": "8086:0d9f", "functions": ["compress.deflate"]}]})");
  FactSet f = discover_at(source_dir() + "/tests/trees/cxl-type2", {dir + "/site.json"});
  EXPECT_EQ(testing::function_names(f, "cxldev:mem0"), std::set<std::string>{"compress.deflate"});
  const Object* fn = f.find("fn:cxldev:mem0:compress.deflate");
  ASSERT_NE(fn, nullptr);
  EXPECT_EQ(fn->find("name")->provenance, Provenance::kNominal);
  EXPECT_EQ(*fn->get_strings("via"), std::vector<std::string>{"pci.id=8086:0d9f"});
  EXPECT_EQ(find_diag(f, "unknown pci.id"), nullptr);
}

// One memdev under PCI function 0000:00:02.0 of class `cls`, optionally with
// an endpoint decoder (target_type `ep_type`) inside root decoder `root_caps`.
struct MiniCxl {
  const char* cls = "0x050210";
  const char* ep_type = nullptr;  // nullptr: no decoders at all
  bool root_type2_only = false;
  bool sizes = true;
};

std::string mini_tree(const MiniCxl& m) {
  std::string root = make_temp_dir();
  const std::string dev = "sys/devices/pci0000:00/0000:00:02.0";
  write_file(root, dev + "/vendor", "0x8086\n");
  write_file(root, dev + "/device", "0x0d93\n");
  write_file(root, dev + "/class", std::string(m.cls) + "\n");
  make_link(root, "sys/bus/pci/devices/0000:00:02.0", "../../../devices/pci0000:00/0000:00:02.0");
  if (m.sizes) {
    write_file(root, dev + "/mem0/ram/size", "0x40000000\n");
    write_file(root, dev + "/mem0/pmem/size", "0x40000000\n");
  } else {
    write_file(root, dev + "/mem0/serial", "0x1\n");
  }
  make_link(root, "sys/bus/cxl/devices/mem0", "../../../devices/pci0000:00/0000:00:02.0/mem0");
  if (m.ep_type) {
    const std::string r = "sys/devices/platform/ACPI0017:00/root0";
    write_file(root, r + "/decoder0.0/start", "0x1000000000\n");
    write_file(root, r + "/decoder0.0/size", "0x100000000\n");
    write_file(root, r + "/decoder0.0/cap_type2", m.root_type2_only ? "1\n" : "0\n");
    write_file(root, r + "/decoder0.0/cap_type3", m.root_type2_only ? "0\n" : "1\n");
    make_link(root, "sys/bus/cxl/devices/decoder0.0", "../../../devices/platform/ACPI0017:00/root0/decoder0.0");
    const std::string ep = r + "/port1/endpoint2";
    make_link(root, ep + "/uport", "../../../../../pci0000:00/0000:00:02.0/mem0");
    write_file(root, ep + "/decoder2.0/start", "0x1000000000\n");
    write_file(root, ep + "/decoder2.0/size", "0x80000000\n");
    write_file(root, ep + "/decoder2.0/target_type", std::string(m.ep_type) + "\n");
    make_link(root, "sys/bus/cxl/devices/decoder2.0",
              "../../../devices/platform/ACPI0017:00/root0/port1/endpoint2/decoder2.0");
  }
  return root;
}

TEST(CxlDevices, ExpanderWithoutARegionIsNotConfiguredAndSumsRamAndPmem) {
  FactSet f = discover_at(mini_tree({}));
  const Object* acc = f.find("cxldev:mem0");
  ASSERT_NE(acc, nullptr);
  EXPECT_EQ(acc->get_int("cxl_type"), 3);  // class 0x0502, no decoders: no accelerator evidence
  EXPECT_EQ(*f.find("fn:cxldev:mem0:memory.expander")->get_string("state"), "not-configured");
  const Object* mem = f.find("devmem:cxldev:mem0:0");
  ASSERT_NE(mem, nullptr);
  EXPECT_EQ(mem->get_int("size"), 2 * kGiB);  // 1 GiB ram + 1 GiB pmem
  EXPECT_EQ(mem->find("numa_node"), nullptr);
}

TEST(CxlDevices, PciClassOtherThanMemoryDeviceMeansType2) {
  FactSet f = discover_at(mini_tree({.cls = "0x120000"}));
  const Object* acc = f.find("cxldev:mem0");
  ASSERT_NE(acc, nullptr);
  EXPECT_EQ(acc->get_int("cxl_type"), 2);
  EXPECT_EQ(acc->find("cxl_type")->source, "/sys/devices/pci0000:00/0000:00:02.0/class");
  EXPECT_EQ(testing::function_names(f, "cxldev:mem0").count("memory.expander"), 0u);
}

TEST(CxlDevices, RootDecoderForType2OnlyRoutesAnAccelerator) {
  // The endpoint decoder says "expander", but its window lies in a root
  // window that only accepts type-2 devices (cap_type2 1, cap_type3 0).
  FactSet f = discover_at(mini_tree({.ep_type = "expander", .root_type2_only = true}));
  EXPECT_EQ(f.find("cxldev:mem0")->get_int("cxl_type"), 2);
  EXPECT_EQ(f.find("cxldev:mem0")->find("cxl_type")->source, "/sys/bus/cxl/devices/decoder0.0/cap_type2");
  // The same tree with a type-3 root window stays an expander.
  FactSet g = discover_at(mini_tree({.ep_type = "expander"}));
  EXPECT_EQ(g.find("cxldev:mem0")->get_int("cxl_type"), 3);
  EXPECT_EQ(g.find("cxldev:mem0")->find("cxl_type")->source, "/sys/bus/cxl/devices/decoder2.0/target_type");
}

TEST(CxlDevices, MissingSizesAreDiagnosedAndNoDeviceMemoryIsInvented) {
  FactSet f = discover_at(mini_tree({.sizes = false}));
  ASSERT_NE(f.find("cxldev:mem0"), nullptr);
  EXPECT_EQ(f.find("devmem:cxldev:mem0:0"), nullptr);
  const Diagnostic* d = find_diag(f, "capacity unknown");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->path, "/sys/bus/cxl/devices/mem0");
}

TEST(CxlDevices, NothingWithoutTheCxlBusFacts) {
  auto root = FsRoot::open(source_dir() + "/tests/trees/cxl-type2");
  ASSERT_TRUE(root);
  DiscoverOptions opt;
  opt.providers = "cxl_devices";  // cxl.cc did not run: no memdevs to build on
  auto facts = discover(*root, opt);
  ASSERT_TRUE(facts);
  EXPECT_TRUE(facts->of_kind("accelerator").empty());
}

}  // namespace
}  // namespace accelmap
