// DAX and CXL providers against recorded trees (hwloc captures), the
// hand-written trees of tests/trees and demo/root, and malformed inputs.
// Every expected value below was read by hand from the tree's files.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "accelmap/discover.h"
#include "test_util.h"

namespace accelmap {
namespace {

using testing::corpus_root;
using testing::make_link;
using testing::make_temp_dir;
using testing::source_dir;
using testing::write_file;

FactSet discover_at(const std::string& dir, const std::string& providers = "dax,cxl") {
  return testing::discover_with(dir, providers);
}

struct DaxExpect {
  const char* name;
  const char* parent_kind;
  std::int64_t size;
  std::int64_t target_node;
  std::int64_t numa_node;  // -1: no numa_node attribute
  const char* mode;
};

void expect_dax(const FactSet& f, const DaxExpect& x) {
  SCOPED_TRACE(x.name);
  const Object* o = f.find(std::string("dax:") + x.name);
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->kind, "dax_device");
  ASSERT_TRUE(o->get_string("parent_kind").has_value());
  EXPECT_EQ(*o->get_string("parent_kind"), x.parent_kind);
  EXPECT_EQ(o->get_int("size"), x.size);
  if (const Attr* a = o->find("size")) {
    EXPECT_EQ(a->unit, Unit::kBytes);
  }
  EXPECT_EQ(o->get_int("target_node"), x.target_node);
  if (x.numa_node < 0) {
    EXPECT_EQ(o->find("numa_node"), nullptr);
  } else {
    EXPECT_EQ(o->get_int("numa_node"), x.numa_node);
  }
  ASSERT_TRUE(o->get_string("mode").has_value());
  EXPECT_EQ(*o->get_string("mode"), x.mode);
}

// QEMU with 4 soft-reserved (hmem) ranges and 4 NVDIMM namespaces; some bound
// to kmem (NUMA nodes), some left as device_dax.
TEST(Dax, FakeHeteroMemTiers) {
  FactSet f = discover_at(corpus_root("hwloc-fakeheteromemtiers"));
  EXPECT_EQ(f.of_kind("dax_device").size(), 8u);
  const DaxExpect want[] = {
      {"dax0.0", "hmem", 536870912, 3, 0, "devdax"},     {"dax1.0", "hmem", 536870912, 4, 1, "system-ram"},
      {"dax2.0", "hmem", 536870912, 5, 1, "devdax"},     {"dax3.0", "hmem", 536870912, 2, 2, "system-ram"},
      {"dax5.0", "nvdimm", 526385152, 6, 0, "system-ram"}, {"dax6.0", "nvdimm", 526385152, 7, 2, "devdax"},
      {"dax7.0", "nvdimm", 526385152, 8, 0, "system-ram"}, {"dax8.0", "nvdimm", 526385152, 9, 2, "system-ram"},
  };
  for (const auto& w : want) expect_dax(f, w);
  EXPECT_EQ(*f.find("dax:dax0.0")->get_string("parent_path"), "/sys/devices/platform/hmem.0/dax0.0");
  EXPECT_EQ(*f.find("dax:dax5.0")->get_string("parent_path"),
            "/sys/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0012:00/ndbus0/region5/dax5.1/dax5.0");
  EXPECT_EQ(f.find("dax:dax5.0")->find("cxl_region"), nullptr);  // an nd region is not a CXL region
  EXPECT_TRUE(f.diagnostics().empty());
}

// Real NVDIMM box on a pre-5.5 kernel: no numa_node file at all.
TEST(Dax, RealNvdimmWithoutNumaNode) {
  FactSet f = discover_at(corpus_root("hwloc-32em64t-2n8c+dax+nvme+mic+dimms"));
  EXPECT_EQ(f.of_kind("dax_device").size(), 3u);
  expect_dax(f, {"dax0.0", "nvdimm", 107808292864, 4, -1, "devdax"});
  expect_dax(f, {"dax1.3", "nvdimm", 63415779328, 5, -1, "devdax"});
  expect_dax(f, {"dax1.4", "nvdimm", 545391640576, 5, -1, "system-ram"});
  EXPECT_TRUE(f.diagnostics().empty());
}

TEST(Dax, NoDaxBusIsSilent) {
  FactSet f = discover_at(corpus_root("hwloc-16amd64-8n2c"));
  EXPECT_TRUE(f.of_kind("dax_device").empty());
  EXPECT_TRUE(f.of_kind("cxl_region").empty());
  EXPECT_TRUE(f.diagnostics().empty());
}

TEST(Dax, MalformedInputsBecomeDiagnostics) {
  std::string r = make_temp_dir();
  // Garbage size, target_node -1 (NUMA_NO_NODE), no driver at all.
  write_file(r, "sys/devices/platform/hmem.0/dax0.0/size", "lots\n");
  write_file(r, "sys/devices/platform/hmem.0/dax0.0/target_node", "-1\n");
  write_file(r, "sys/devices/platform/hmem.0/dax0.0/numa_node", "\n");
  make_link(r, "sys/bus/dax/devices/dax0.0", "../../../devices/platform/hmem.0/dax0.0");
  // Dangling link: the target folder does not exist.
  make_link(r, "sys/bus/dax/devices/dax1.0", "../../../devices/platform/hmem.1/dax1.0");
  // Not a dax device name: ignored.
  write_file(r, "sys/bus/dax/devices/README", "x");
  FactSet f = discover_at(r);
  const Object* o = f.find("dax:dax0.0");
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(*o->get_string("parent_kind"), "hmem");
  EXPECT_EQ(o->find("size"), nullptr);
  EXPECT_EQ(o->find("target_node"), nullptr);
  EXPECT_EQ(o->find("numa_node"), nullptr);
  EXPECT_EQ(o->find("mode"), nullptr);
  EXPECT_EQ(f.find("dax:dax1.0"), nullptr);
  int size_diag = 0, numa_diag = 0, link_diag = 0;
  for (const auto& d : f.diagnostics()) {
    EXPECT_EQ(d.provider, "dax");
    if (d.path == "/sys/bus/dax/devices/dax0.0/size") ++size_diag;
    if (d.path == "/sys/bus/dax/devices/dax0.0/numa_node") ++numa_diag;
    if (d.path == "/sys/bus/dax/devices/dax1.0") ++link_diag;
  }
  EXPECT_EQ(size_diag, 1);
  EXPECT_EQ(numa_diag, 1);
  EXPECT_EQ(link_diag, 1);
}

TEST(Dax, ParentKindsOfEveryKnownLayout) {
  std::string r = make_temp_dir();
  const std::pair<const char*, const char*> layouts[] = {
      {"platform/e820_pmem/ndbus0/region0/dax0.0/dax0.0", "e820_pmem"},
      {"platform/ACPI0017:00/root0/decoder0.0/region1/dax_region1/dax1.0", "cxl_ram"},
      {"platform/ACPI0017:00/root0/nvdimm-bridge0/ndbus1/region2/dax2.0/dax2.0", "cxl_pmem"},
      {"virtual/somewhere/dax3.0", "other"},
  };
  for (const auto& [path, kind] : layouts) {
    std::string name = std::string(path).substr(std::string(path).rfind('/') + 1);
    write_file(r, std::string("sys/devices/") + path + "/size", "4096\n");
    make_link(r, "sys/bus/dax/devices/" + name, std::string("../../../devices/") + path);
  }
  FactSet f = discover_at(r);
  for (const auto& [path, kind] : layouts) {
    std::string name = std::string(path).substr(std::string(path).rfind('/') + 1);
    const Object* o = f.find("dax:" + name);
    ASSERT_NE(o, nullptr) << name;
    EXPECT_EQ(*o->get_string("parent_kind"), kind) << name;
  }
  ASSERT_TRUE(f.find("dax:dax1.0")->get_string("cxl_region").has_value());
  EXPECT_EQ(*f.find("dax:dax1.0")->get_string("cxl_region"), "cxl:region1");
  // The CXL pmem path has an nd "region2", which is not a CXL region.
  EXPECT_EQ(f.find("dax:dax2.0")->find("cxl_region"), nullptr);
}

TEST(Registry, BusProvidersFollowMachineInOrder) {
  std::vector<std::string> names;
  for (const auto& p : builtin_providers()) names.emplace_back(p->name());
  auto at = [&](const char* n) { return std::find(names.begin(), names.end(), n) - names.begin(); };
  ASSERT_LT(at("nvidia_procfs"), static_cast<long>(names.size()));
  EXPECT_LT(at("machine"), at("dax"));
  EXPECT_LT(at("dax"), at("cxl"));
  EXPECT_LT(at("cxl"), at("nvidia_procfs"));
}

std::string tree(const std::string& name) { return source_dir() + "/tests/trees/" + name; }

// Hand-written Xeon Max-style tree: HBM set aside as hmem, onlined as node 1.
TEST(Dax, HbmFlatTree) {
  FactSet f = discover_at(tree("hbm-flat"));
  ASSERT_EQ(f.of_kind("dax_device").size(), 1u);
  expect_dax(f, {"dax0.0", "hmem", 17179869184, 1, 0, "system-ram"});
  EXPECT_TRUE(f.of_kind("cxl_region").empty());
  EXPECT_TRUE(f.diagnostics().empty());
}

TEST(Dax, PmemDaxTree) {
  FactSet f = discover_at(tree("pmem-dax"));
  ASSERT_EQ(f.of_kind("dax_device").size(), 2u);
  expect_dax(f, {"dax0.0", "nvdimm", 34359738368, 2, 0, "system-ram"});
  expect_dax(f, {"dax1.0", "nvdimm", 17179869184, 3, 1, "devdax"});
  EXPECT_TRUE(f.diagnostics().empty());
}

// The full chain of single-device.rst: region -> endpoint decoder -> endpoint
// -> memdev -> PCI function, and region -> dax_region -> dax device.
TEST(Cxl, ExpanderTreeChain) {
  FactSet f = discover_at(tree("cxl-expander"));
  const Object* mem = f.find("cxl:mem0");
  ASSERT_NE(mem, nullptr);
  EXPECT_EQ(mem->kind, "cxl_memdev");
  EXPECT_EQ(mem->get_int("ram_size"), 4294967296);  // "0x100000000"
  EXPECT_EQ(mem->get_int("pmem_size"), 0);
  EXPECT_EQ(mem->get_int("serial"), 0x4d2);
  EXPECT_EQ(mem->get_int("numa_node"), 0);
  ASSERT_TRUE(mem->get_string("pci").has_value());
  EXPECT_EQ(*mem->get_string("pci"), "pci:0000:35:00.0");  // not the root port 0000:34:00.0
  EXPECT_EQ(*mem->get_string("firmware_version"), "BWFW VERSION 00");

  const Object* rg = f.find("cxl:region0");
  ASSERT_NE(rg, nullptr);
  EXPECT_EQ(rg->kind, "cxl_region");
  EXPECT_EQ(*rg->get_string("mode"), "ram");
  EXPECT_EQ(rg->get_int("size"), 4294967296);
  EXPECT_EQ(rg->get_int("resource"), 0x1050000000);
  EXPECT_EQ(rg->get_int("interleave_ways"), 1);
  EXPECT_EQ(*rg->get_strings("targets"), std::vector<std::string>{"decoder2.0"});
  EXPECT_EQ(*rg->get_strings("memdevs"), std::vector<std::string>{"cxl:mem0"});
  EXPECT_EQ(*rg->get_strings("dax"), std::vector<std::string>{"dax:dax0.0"});
  EXPECT_EQ(rg->get_int("access1_read_bandwidth"), 28000);
  EXPECT_EQ(rg->get_int("access1_read_latency"), 270);
  EXPECT_EQ(rg->find("access1_read_latency")->unit, Unit::kNs);
  EXPECT_EQ(rg->find("access1_read_bandwidth")->provenance, Provenance::kFirmware);

  expect_dax(f, {"dax0.0", "cxl_ram", 4294967296, 1, 0, "system-ram"});
  EXPECT_EQ(*f.find("dax:dax0.0")->get_string("cxl_region"), "cxl:region0");
  EXPECT_TRUE(f.diagnostics().empty());
}

TEST(Cxl, DemoRoot) {
  FactSet f = discover_at(source_dir() + "/demo/root");
  expect_dax(f, {"dax0.0", "hmem", 17179869184, 2, 0, "system-ram"});
  expect_dax(f, {"dax1.0", "cxl_ram", 8589934592, 3, 1, "system-ram"});
  const Object* rg = f.find("cxl:region1");
  ASSERT_NE(rg, nullptr);
  EXPECT_EQ(*rg->get_strings("memdevs"), std::vector<std::string>{"cxl:mem0"});
  EXPECT_EQ(*f.find("cxl:mem0")->get_string("pci"), "pci:0000:c1:00.0");
  EXPECT_TRUE(f.diagnostics().empty());
}

TEST(Cxl, BrokenChainsBecomeDiagnostics) {
  std::string r = make_temp_dir();
  const std::string region = "sys/devices/platform/ACPI0017:00/root0/decoder0.0/region0";
  write_file(r, region + "/mode", "ram\n");
  write_file(r, region + "/size", "0xzz\n");          // garbage
  write_file(r, region + "/interleave_ways", "2\n");
  write_file(r, region + "/target0", "decoder9.0\n");  // dangling decoder
  write_file(r, region + "/target1", "mem0\n");        // not a decoder
  write_file(r, region + "/access1/read_bandwidth", "0\n");  // firmware "unknown"
  make_link(r, "sys/bus/cxl/devices/region0", "../../../devices/platform/ACPI0017:00/root0/decoder0.0/region0");
  make_link(r, "sys/bus/cxl/devices/decoder9.0", "../../../devices/platform/ACPI0017:00/root0/gone/decoder9.0");
  make_link(r, "sys/bus/cxl/devices/mem7", "../../../devices/pci0000:00/0000:00:01.0/0000:01:00.0/mem7");
  FactSet f = discover_at(r);
  const Object* rg = f.find("cxl:region0");
  ASSERT_NE(rg, nullptr);
  EXPECT_EQ(*rg->get_string("mode"), "ram");
  EXPECT_EQ(rg->find("size"), nullptr);
  EXPECT_EQ(*rg->get_strings("targets"), std::vector<std::string>{"decoder9.0"});
  EXPECT_EQ(rg->find("memdevs"), nullptr);
  ASSERT_NE(rg->find("access1_read_bandwidth"), nullptr);
  EXPECT_TRUE(rg->find("access1_read_bandwidth")->value.is_unknown());
  EXPECT_EQ(f.find("cxl:mem7"), nullptr);  // dangling memdev link
  std::set<std::string> paths;
  for (const auto& d : f.diagnostics()) paths.insert(d.path);
  EXPECT_TRUE(paths.count("/sys/bus/cxl/devices/region0/size"));
  EXPECT_TRUE(paths.count("/sys/bus/cxl/devices/region0/target1"));
  EXPECT_TRUE(paths.count("/sys/bus/cxl/devices/decoder9.0"));
  EXPECT_TRUE(paths.count("/sys/bus/cxl/devices/mem7"));
}

}  // namespace
}  // namespace accelmap
