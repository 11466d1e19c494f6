// Factories of the built-in providers; registry.cc lists them in order.
// One provider per kernel interface; each file cites the ABI it follows.
#pragma once

#include <memory>

#include "accelmap/provider.h"

namespace accelmap::providers {

std::unique_ptr<Provider> make_machine_provider();  // machine.cc
std::unique_ptr<Provider> make_pci_provider();  // pci.cc
std::unique_ptr<Provider> make_pci_names_provider();  // pci_names.cc

}  // namespace accelmap::providers
