// accel, ve and rdma providers. Expectations read by hand from the trees:
// * tests/trees/npu-accel (hand-written, see its README): accel0 = Intel NPU 8086:7d1d at
//   0000:00:0b.0 (intel_vpu, numa -1), accel1 = Gaudi2 1da3:1020 at 0000:3b:00.0 (habanalabs,
//   device_type GAUDI2, status Operational, numa 0).
// * hwloc-32intel64-2p8co2t+8ve: /sys/class/ve/ve0..ve7, each memory_size 48, num_of_core 8,
//   ve_state 1; ve0 -> 0000:1b:00.0 (1bcf:001c), numa_node 0.
// * hwloc-40intel64-2g2n4c+pcilocality: /sys/class/infiniband/qib0 -> 0000:43:00.0,
//   driver ib_qib, ports/1/state "4: ACTIVE".
#include <gtest/gtest.h>

#include <string>

#include "accelmap/discover.h"
#include "test_util.h"

namespace accelmap {
namespace {

using testing::corpus_root;
using testing::make_temp_dir;
using testing::source_dir;
using testing::write_file;

FactSet run(const std::string& dir, const std::string& providers) {
  return testing::discover_with(dir, providers);
}

std::string str(const Object* o, const char* attr) {
  if (!o) return "<no object>";
  std::optional<std::string_view> s = o->get_string(attr);
  return s ? std::string(*s) : "<none>";
}

TEST(Accel, HandWrittenNpuTree) {
  FactSet f = run(source_dir() + "/tests/trees/npu-accel", "accel");
  EXPECT_TRUE(f.diagnostics().empty());
  ASSERT_EQ(f.of_kind("accelerator").size(), 2u);
  const Object* npu = f.find("accel:accel0");
  ASSERT_NE(npu, nullptr);
  EXPECT_EQ(str(npu, "family"), "npu");
  EXPECT_EQ(str(npu, "pci"), "pci:0000:00:0b.0");
  EXPECT_EQ(str(npu, "driver"), "intel_vpu");
  EXPECT_EQ(npu->get_int("device_id"), 0x7d1d);
  EXPECT_TRUE(npu->find("numa_node")->value.is_unknown());
  EXPECT_NE(f.find("fn:accel:accel0:npu.inference"), nullptr);
  EXPECT_EQ(f.find("fn:accel:accel0:npu.training"), nullptr);

  const Object* gaudi = f.find("accel:accel1");
  ASSERT_NE(gaudi, nullptr);
  EXPECT_EQ(str(gaudi, "pci"), "pci:0000:3b:00.0");
  EXPECT_EQ(str(gaudi, "model"), "GAUDI2");
  EXPECT_EQ(str(gaudi, "state"), "Operational");
  EXPECT_EQ(gaudi->get_int("numa_node"), 0);
  const Object* train = f.find("fn:accel:accel1:npu.training");
  ASSERT_NE(train, nullptr);
  EXPECT_EQ(str(train, "state"), "available");
  EXPECT_EQ(*train->get_strings("via"), std::vector<std::string>{"accel.driver=habanalabs"});
}

TEST(Accel, UnknownDriverAndMalfunction) {
  std::string r = make_temp_dir();
  write_file(r, "sys/class/accel/accel0/device/status", "Malfunction\n");
  testing::make_link(r, "sys/class/accel/accel0/device/driver", "../../../../bus/pci/drivers/habanalabs");
  write_file(r, "sys/class/accel/accel1/dev", "261:1\n");
  testing::make_link(r, "sys/class/accel/accel1/device/driver", "../../../../bus/pci/drivers/newnpu");
  FactSet f = run(r, "accel");
  EXPECT_EQ(str(f.find("fn:accel:accel0:npu.training"), "state"), "failed");
  ASSERT_NE(f.find("accel:accel1"), nullptr);  // kept, with its driver, but no functions
  EXPECT_EQ(str(f.find("accel:accel1"), "driver"), "newnpu");
  bool unknown = false;
  for (const auto& d : f.diagnostics())
    if (d.message.find("newnpu") != std::string::npos) unknown = true;
  EXPECT_TRUE(unknown);
}

TEST(Ve, EightVectorEnginesWith48GiBEach) {
  FactSet f = run(corpus_root("hwloc-32intel64-2p8co2t+8ve"), "ve");
  ASSERT_EQ(f.of_kind("accelerator").size(), 8u);
  ASSERT_EQ(f.of_kind("device_memory").size(), 8u);
  for (int i = 0; i < 8; ++i) {
    const std::string key = "ve:ve" + std::to_string(i);
    const Object* v = f.find(key);
    ASSERT_NE(v, nullptr) << key;
    EXPECT_EQ(str(v, "family"), "ve");
    EXPECT_EQ(v->get_int("num_of_core"), 8);
    const Object* m = f.find("devmem:" + key + ":0");
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->get_int("size"), 48LL << 30);
    EXPECT_EQ(str(m, "kind"), "hbm");
    EXPECT_EQ(str(f.find("fn:" + key + ":vector.compute"), "state"), "available");
  }
  EXPECT_EQ(str(f.find("ve:ve0"), "pci"), "pci:0000:1b:00.0");
  EXPECT_EQ(f.find("ve:ve0")->get_int("numa_node"), 0);
}

TEST(Rdma, QlogicHcaWithActivePort) {
  FactSet f = run(corpus_root("hwloc-40intel64-2g2n4c+pcilocality"), "rdma");
  ASSERT_EQ(f.of_kind("accelerator").size(), 1u);
  const Object* ib = f.find("rdma:qib0");
  ASSERT_NE(ib, nullptr);
  EXPECT_EQ(str(ib, "pci"), "pci:0000:43:00.0");
  EXPECT_EQ(str(ib, "driver"), "ib_qib");
  EXPECT_EQ(str(ib, "state"), "ACTIVE");
  EXPECT_EQ(*ib->get_strings("port_states"), std::vector<std::string>{"1:ACTIVE"});
  EXPECT_EQ(str(f.find("fn:rdma:qib0:net.rdma"), "state"), "available");
}

}  // namespace
}  // namespace accelmap
