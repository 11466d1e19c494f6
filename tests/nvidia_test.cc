// nvidia_procfs provider on hand-made /proc/driver/nvidia trees (format of
// kernel-open/nvidia/nv-procfs.c; numa_status values as in hwloc's recorded
// POWER9 + V100 tree) and on demo/root.
#include <gtest/gtest.h>

#include <string>

#include "accelmap/discover.h"
#include "test_util.h"

namespace accelmap {
namespace {

using testing::make_temp_dir;
using testing::source_dir;
using testing::write_file;

FactSet discover_nvidia(const std::string& dir) { return testing::discover_with(dir, "nvidia_procfs"); }

constexpr const char* kGpus = "proc/driver/nvidia/gpus/";

TEST(NvidiaProcfs, InformationAndNumaStatus) {
  std::string r = make_temp_dir();
  write_file(r, std::string(kGpus) + "0035:03:00.0/information",
             "Model: \t\t Tesla V100-SXM2-16GB\nIRQ:   \t\t 0\nGPU UUID: \t GPU-1d8f4a4c-0c5e-1e2b-9e6e-2b0f7a3c4d5e\n"
             "Video BIOS: \t 88.00.80.00.01\nBus Type: \t PCIe\nDMA Size: \t 47 bits\n"
             "Bus Location: \t 0035:03:00.0\nDevice Minor: \t 3\n");
  // P9 + V100: GPU memory is NUMA node 255, 0x3f0000000 bytes (15.75 GiB).
  write_file(r, std::string(kGpus) + "0035:03:00.0/numa_status",
             "Node:      255\nStatus:    online\nAddress:   40000000000\nSize:      3f0000000\n");
  FactSet f = discover_nvidia(r);
  const Object* g = f.find("nvidia:0035:03:00.0");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->kind, "accelerator");
  EXPECT_EQ(*g->get_string("family"), "gpu");
  EXPECT_EQ(*g->get_string("pci"), "pci:0035:03:00.0");
  EXPECT_EQ(*g->get_string("model"), "Tesla V100-SXM2-16GB");
  EXPECT_EQ(*g->get_string("uuid"), "GPU-1d8f4a4c-0c5e-1e2b-9e6e-2b0f7a3c4d5e");
  EXPECT_EQ(*g->get_string("video_bios"), "88.00.80.00.01");
  EXPECT_EQ(g->get_int("device_minor"), 3);
  EXPECT_EQ(g->get_int("numa_memory_node"), 255);
  EXPECT_EQ(*g->get_string("numa_memory_status"), "online");
  EXPECT_EQ(g->get_int("numa_memory_size"), 16911433728);
  EXPECT_EQ(g->find("numa_memory_size")->unit, Unit::kBytes);
  EXPECT_EQ(g->get_int("numa_memory_address"), 0x40000000000);
  EXPECT_TRUE(f.diagnostics().empty());
}

TEST(NvidiaProcfs, MalformedFiles) {
  std::string r = make_temp_dir();
  // No colons at all: nothing is taken, one diagnostic.
  write_file(r, std::string(kGpus) + "0000:62:00.0/information", "NVIDIA H100\nwhatever\n");
  // Node -1 (no node), garbage size, Bus Location that disagrees with the folder.
  write_file(r, std::string(kGpus) + "0000:63:00.0/numa_status", "Node: -1\nStatus: disabled\nSize: 0xqq\n");
  write_file(r, std::string(kGpus) + "0000:63:00.0/information", "Model: X\nBus Location: 0000:64:00.0\n");
  write_file(r, std::string(kGpus) + "not-a-bdf/information", "Model: Y\n");
  FactSet f = discover_nvidia(r);
  const Object* a = f.find("nvidia:0000:62:00.0");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->find("model"), nullptr);
  const Object* b = f.find("nvidia:0000:63:00.0");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->find("numa_memory_node"), nullptr);
  EXPECT_EQ(b->find("numa_memory_size"), nullptr);
  EXPECT_EQ(*b->get_string("numa_memory_status"), "disabled");
  EXPECT_EQ(f.of_kind("accelerator").size(), 2u);
  int info = 0, numa = 0, loc = 0, name = 0;
  for (const auto& d : f.diagnostics()) {
    EXPECT_EQ(d.provider, "nvidia_procfs");
    if (d.path == "/proc/driver/nvidia/gpus/0000:62:00.0/information") ++info;
    if (d.path == "/proc/driver/nvidia/gpus/0000:63:00.0/numa_status") ++numa;
    if (d.path == "/proc/driver/nvidia/gpus/0000:63:00.0/information") ++loc;
    if (d.path == "/proc/driver/nvidia/gpus/not-a-bdf") ++name;
  }
  EXPECT_EQ(info, 1);
  EXPECT_EQ(numa, 1);
  EXPECT_EQ(loc, 1);
  EXPECT_EQ(name, 1);
}

TEST(NvidiaProcfs, DemoRoot) {
  FactSet f = discover_nvidia(source_dir() + "/demo/root");
  ASSERT_EQ(f.of_kind("accelerator").size(), 2u);
  const Object* g = f.find("nvidia:0000:18:00.0");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(*g->get_string("model"), "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(*g->get_string("uuid"), "GPU-9221d5d1-b60b-a624-bf14-0a1819cfda3b");
  EXPECT_EQ(g->get_int("device_minor"), 0);
  EXPECT_EQ(g->find("numa_memory_node"), nullptr);  // PCIe H100: no numa_status
  EXPECT_TRUE(f.diagnostics().empty());
}

TEST(NvidiaProcfs, NoDriverIsSilent) {
  FactSet f = discover_nvidia(source_dir() + "/tests/trees/hbm-flat");
  EXPECT_TRUE(f.objects().empty());
  EXPECT_TRUE(f.diagnostics().empty());
}

}  // namespace
}  // namespace accelmap
