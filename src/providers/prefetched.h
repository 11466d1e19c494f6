// Work discover() starts early, on a second thread, for a provider of a later
// phase (ProbeContext::prefetched()). The provider checks that what was asked
// covers what it needs, and reads for itself otherwise, so its facts and
// diagnostics are the same with or without it.
#pragma once

#include <future>

#include "accelmap/facts.h"
#include "providers/pci_ids.h"

namespace accelmap::internal {

struct Prefetched {
  /// The PCI ID database pass for the PCI functions the bus phase found
  /// (pci_name_questions), started before the device phase.
  providers::PciNameQuestions pci_questions;
  std::shared_future<Result<providers::PciNameAnswers>> pci_names;
};

}  // namespace accelmap::internal
