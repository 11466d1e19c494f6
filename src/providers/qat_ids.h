// Intel QuickAssist PCI ids (vendor 0x8086), shared by the qat and pci_class
// providers. Sources: drivers/crypto/intel/qat/qat_common/adf_accel_devices.h
// and intel-device-plugins dpdkdrv.go (VF ids). 0x4948 (Gen6 PF) is approximate.
#pragma once

#include <cstdint>
#include <string_view>

namespace accelmap::providers {

inline constexpr std::int64_t kIntelVendor = 0x8086;

struct QatId {
  std::int64_t pf, vf;
  std::string_view model;  // driver family name
};

inline constexpr QatId kQatIds[] = {
    {0x37c8, 0x37c9, "c6xx"},    {0x0435, 0x0443, "dh895xcc"}, {0x6f54, 0x6f55, "d15xx"},
    {0x19e2, 0x19e3, "c3xxx"},   {0x18a0, 0x18a1, "c4xxx"},    {0x4940, 0x4941, "4xxx"},
    {0x4942, 0x4943, "401xx"},   {0x4944, 0x4945, "402xx"},    {0x4946, 0x4947, "420xx"},
    {0x4948, 0x4949, "6xxx"},
};

inline const QatId* qat_pf(std::int64_t vendor, std::int64_t device) {
  if (vendor != kIntelVendor) return nullptr;
  for (const QatId& q : kQatIds)
    if (q.pf == device) return &q;
  return nullptr;
}

inline const QatId* qat_vf(std::int64_t vendor, std::int64_t device) {
  if (vendor != kIntelVendor) return nullptr;
  for (const QatId& q : kQatIds)
    if (q.vf == device) return &q;
  return nullptr;
}

}  // namespace accelmap::providers
