// The snapshot builder joins what separate interfaces say about one device.
#include <gtest/gtest.h>

#include <stdexcept>

#include "accelmap/snapshot.h"

namespace accelmap {
namespace {

void gpu(FactSet& f, const std::string& key, const std::string& pci, std::vector<std::string> fns) {
  Object& a = f.object(key, "accelerator");
  a.set("family", std::string("gpu"), Unit::kNone, Provenance::kKernel, "");
  a.set("device_type", std::string("GPU"), Unit::kNone, Provenance::kKernel, "");
  a.set("pci", pci, Unit::kNone, Provenance::kKernel, "");
  for (const auto& n : fns) {
    Object& fn = f.object("fn:" + key + ":" + n, "function");
    fn.set("device", key, Unit::kNone, Provenance::kKernel, "");
    fn.set("name", n, Unit::kNone, Provenance::kKernel, "");
    fn.set("state", std::string("available"), Unit::kNone, Provenance::kKernel, "");
    fn.set("via", std::vector<std::string>{"from " + key}, Unit::kNone, Provenance::kKernel, "");
  }
}

TEST(SnapshotJoin, DrmCardFoldsIntoKfdNodeByRenderMinor) {
  FactSet f;
  gpu(f, "drm:card0", "pci:0000:03:00.0", {"gpu.compute", "gpu.graphics"});
  f.object("drm:card0", "accelerator").set("render_node", std::string("renderD129"), Unit::kNone, Provenance::kKernel, "");
  f.object("drm:card0", "accelerator").set("driver", std::string("amdgpu"), Unit::kNone, Provenance::kKernel, "");
  gpu(f, "kfd:node1", "pci:0000:03:00.0", {"gpu.compute"});
  f.object("kfd:node1", "accelerator").set("drm_render_minor", std::int64_t{129}, Unit::kNone, Provenance::kKernel, "");
  // A second KFD partition on the same PCI function with another render node stays alone.
  gpu(f, "kfd:node2", "pci:0000:03:00.0", {"gpu.compute"});
  f.object("kfd:node2", "accelerator").set("drm_render_minor", std::int64_t{130}, Unit::kNone, Provenance::kKernel, "");
  auto s = build_snapshot(f);
  ASSERT_EQ(s->accelerators().size(), 2u);
  EXPECT_EQ(s->find_accelerator("drm:card0"), nullptr);
  const Accelerator* a = s->find_accelerator("kfd:node1");
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->functions.size(), 2u);
  EXPECT_EQ(a->functions[1].name, "gpu.graphics");
  EXPECT_EQ(a->functions[0].via, (std::vector<std::string_view>{"from drm:card0", "from kfd:node1"}));
  EXPECT_EQ(a->driver, "amdgpu");
  EXPECT_EQ(a->details.at("drm_card").value.as_string(), "drm:card0");
  EXPECT_EQ(s->find_accelerator("kfd:node2")->functions.size(), 1u);
}

// An accelerator's details are its own attributes less the Accelerator fields,
// plus what a folded card joined as "drm_...", once each and in name order: a
// card's detail the GPU already has under that name is left out, and the joined
// "drm_card" hides a stale one of the GPU's own.
TEST(SnapshotJoin, DetailsMergeTheReadAndTheJoinedInNameOrder) {
  FactSet f;
  gpu(f, "drm:card0", "pci:0000:03:00.0", {"gpu.compute"});
  Object& card = f.object("drm:card0", "accelerator");
  card.set("render_node", std::string("renderD128"), Unit::kNone, Provenance::kKernel, "");
  card.set("zeta", std::int64_t{1}, Unit::kNone, Provenance::kKernel, "");
  gpu(f, "kfd:node1", "pci:0000:03:00.0", {"gpu.compute"});
  Object& kfd = f.object("kfd:node1", "accelerator");
  kfd.set("drm_render_minor", std::int64_t{128}, Unit::kNone, Provenance::kKernel, "");
  kfd.set("alpha", std::int64_t{2}, Unit::kNone, Provenance::kKernel, "");
  kfd.set("drm_zeta", std::int64_t{7}, Unit::kNone, Provenance::kKernel, "");
  kfd.set("drm_card", std::string("stale"), Unit::kNone, Provenance::kKernel, "");
  auto s = build_snapshot(f);
  ASSERT_EQ(s->accelerators().size(), 1u);
  const Accelerator& a = s->accelerators()[0];
  std::vector<std::string> names;
  for (const auto& [name, attr] : a.details) names.push_back(name.str());
  EXPECT_EQ(names, (std::vector<std::string>{"alpha", "drm_card", "drm_render_minor", "drm_render_node", "drm_zeta"}));
  EXPECT_EQ(a.details.at("drm_card").value.as_string(), "drm:card0");
  EXPECT_EQ(*a.details.at("drm_zeta").value.as_int(), 7);
  EXPECT_EQ(a.details.at("drm_render_node").value.as_string(), "renderD128");
  EXPECT_EQ(a.details.find("family"), nullptr);  // a field of Accelerator
  EXPECT_EQ(a.details.find("nope"), nullptr);
  EXPECT_THROW(a.details.at("nope"), std::out_of_range);
  EXPECT_FALSE(a.details.empty());
}

TEST(SnapshotJoin, DrmCardFoldsIntoTheOnlyGpuOnItsPciFunction) {
  FactSet f;
  gpu(f, "drm:card1", "pci:0000:18:00.0", {"gpu.compute", "gpu.graphics"});
  gpu(f, "nvidia:0000:18:00.0", "pci:0000:18:00.0", {"gpu.compute"});
  gpu(f, "drm:card2", "pci:0000:19:00.0", {"gpu.compute"});  // nothing else there: stays
  auto s = build_snapshot(f);
  ASSERT_EQ(s->accelerators().size(), 2u);
  EXPECT_NE(s->find_accelerator("drm:card2"), nullptr);
  EXPECT_EQ(s->find_accelerator("nvidia:0000:18:00.0")->functions.size(), 2u);
}

}  // namespace
}  // namespace accelmap
