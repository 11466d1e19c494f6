// Internal: the hwloc-style provider selection shared by discover() and
// IncrementalDiscovery, so both run exactly the same providers.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "accelmap/provider.h"

namespace accelmap::internal {

/// Names selected by `spec` ("" = all, "pci,numa", "-pci"); kInvalidArgument otherwise.
Result<std::set<std::string>> select_providers(const std::vector<std::unique_ptr<Provider>>& all,
                                               const std::string& spec);

}  // namespace accelmap::internal
