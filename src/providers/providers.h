// Factories of the built-in providers; registry.cc lists them in order.
// One provider per kernel interface; each file cites the ABI it follows.
#pragma once

#include <memory>

#include "accelmap/provider.h"

namespace accelmap::providers {

std::unique_ptr<Provider> make_machine_provider();        // machine.cc
std::unique_ptr<Provider> make_dax_provider();            // dax.cc
std::unique_ptr<Provider> make_cxl_provider();            // cxl.cc
std::unique_ptr<Provider> make_nvidia_procfs_provider();  // nvidia_procfs.cc

}  // namespace accelmap::providers
