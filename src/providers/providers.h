// Factories of the built-in providers; registry.cc lists them in order.
// One provider per kernel interface; each file cites the ABI it follows.
#pragma once

#include <memory>

#include "accelmap/provider.h"

namespace accelmap::providers {

std::unique_ptr<Provider> make_machine_provider();  // machine.cc
std::unique_ptr<Provider> make_cpu_provider();           // cpu.cc
std::unique_ptr<Provider> make_numa_provider();          // numa.cc
std::unique_ptr<Provider> make_hmat_provider();          // hmat.cc
std::unique_ptr<Provider> make_memory_tiers_provider();  // memory_tiers.cc
std::unique_ptr<Provider> make_pci_provider();  // pci.cc
/// pci reads its functions' folders in parts of at least this many
/// (ProbeContext::in_parts): ~15 ms of reads on a recorded tree.
inline constexpr std::size_t kPciFunctionsPerPart = 256;
std::unique_ptr<Provider> make_pci_names_provider();  // pci_names.cc
std::unique_ptr<Provider> make_dax_provider();            // dax.cc
std::unique_ptr<Provider> make_cxl_provider();            // cxl.cc
std::unique_ptr<Provider> make_nvidia_procfs_provider();  // nvidia_procfs.cc
std::unique_ptr<Provider> make_drm_provider();            // drm.cc
std::unique_ptr<Provider> make_kfd_provider();            // kfd.cc
std::unique_ptr<Provider> make_accel_provider();          // accel.cc
std::unique_ptr<Provider> make_ve_provider();             // ve.cc
std::unique_ptr<Provider> make_rdma_provider();           // rdma.cc
std::unique_ptr<Provider> make_uacce_provider();            // uacce.cc
std::unique_ptr<Provider> make_idxd_provider();             // idxd.cc
std::unique_ptr<Provider> make_qat_provider();              // qat.cc
std::unique_ptr<Provider> make_dma_provider();              // dma.cc
std::unique_ptr<Provider> make_pci_class_provider();        // pci_class.cc (annotate, before crypto_registry)
std::unique_ptr<Provider> make_crypto_registry_provider();  // crypto.cc (annotate)
std::unique_ptr<Provider> make_fpga_provider();           // fpga.cc
std::unique_ptr<Provider> make_cxl_devices_provider();    // cxl_devices.cc

}  // namespace accelmap::providers
