// Factories of the built-in providers; registry.cc lists them in order.
// One provider per kernel interface; each file cites the ABI it follows.
#pragma once

#include <memory>

#include "accelmap/provider.h"

namespace accelmap::providers {

std::unique_ptr<Provider> make_machine_provider();  // machine.cc

}  // namespace accelmap::providers
