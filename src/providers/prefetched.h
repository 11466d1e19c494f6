// Work discover() starts early, on a second thread, for a provider of a later
// phase (ProbeContext::prefetched()). The provider checks that what was asked
// covers what it needs, and reads for itself otherwise, so its facts and
// diagnostics are the same with or without it.
#pragma once

#include <atomic>
#include <future>

#include "accelmap/facts.h"
#include "providers/pci_ids.h"

namespace accelmap::internal {

struct Prefetched {
  /// The ids the names pass was asked (pci_name_questions of the PCI functions
  /// pci found), set before they are handed to the pass.
  providers::PciNameQuestions pci_questions;
  /// Tells the pass nobody wants its names (pci found no function).
  std::atomic<bool> pci_names_unwanted{false};
  /// The pass: it indexes the database from the start of the discovery and
  /// answers once it has the questions. Its destructor waits for the thread,
  /// so it is declared after what the thread uses and before the promise,
  /// which is destroyed first: a pass never handed its questions then stops
  /// on the broken promise instead of waiting forever.
  std::shared_future<Result<providers::PciNameAnswers>> pci_names;
  std::promise<providers::PciNameQuestions> pci_questions_for_pass;
};
}  // namespace accelmap::internal
