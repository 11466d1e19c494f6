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
  out.push_back(providers::make_fpga_provider());
  out.push_back(providers::make_cxl_devices_provider());
  return out;
}

}  // namespace accelmap
