#include "providers/providers.h"

namespace accelmap {

std::vector<std::unique_ptr<Provider>> builtin_providers() {
  std::vector<std::unique_ptr<Provider>> out;
  out.push_back(providers::make_machine_provider());
  out.push_back(providers::make_cpu_provider());
  out.push_back(providers::make_numa_provider());
  out.push_back(providers::make_hmat_provider());
  out.push_back(providers::make_memory_tiers_provider());
  out.push_back(providers::make_pci_provider());
  out.push_back(providers::make_pci_names_provider());
  out.push_back(providers::make_dax_provider());
  out.push_back(providers::make_cxl_provider());
  out.push_back(providers::make_nvidia_procfs_provider());
  out.push_back(providers::make_drm_provider());
  out.push_back(providers::make_kfd_provider());
  out.push_back(providers::make_accel_provider());
  out.push_back(providers::make_ve_provider());
  out.push_back(providers::make_rdma_provider());
  out.push_back(providers::make_uacce_provider());
  out.push_back(providers::make_idxd_provider());
  out.push_back(providers::make_qat_provider());
  out.push_back(providers::make_dma_provider());
  out.push_back(providers::make_fpga_provider());
  out.push_back(providers::make_cxl_devices_provider());
  // Annotate phase: pci_class first, so the CCP it finds can take
  // crypto_registry's ccp functions.
  out.push_back(providers::make_pci_class_provider());
  out.push_back(providers::make_crypto_registry_provider());
  return out;
}

}  // namespace accelmap
