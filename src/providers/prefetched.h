// Work discover() starts early, on a second thread, for a provider of a later
// phase (ProbeContext::prefetched()). The provider checks that what was asked
// covers what it needs, and reads for itself otherwise, so its facts and
// diagnostics are the same with or without it.
#pragma once

#include <atomic>
#include <exception>
#include <future>
#include <optional>
#include <string>
#include <string_view>

#include "accelmap/facts.h"
#include "providers/pci_ids.h"

namespace accelmap::providers {
/// Read by crypto_registry, or ahead of it (Prefetched::proc_crypto).
inline constexpr std::string_view kProcCrypto = "/proc/crypto";
}  // namespace accelmap::providers

namespace accelmap::internal {

struct Prefetched {
  /// The ids the names pass was asked (pci_name_questions of the PCI functions
  /// pci found), set before they are handed to the pass.
  providers::PciNameQuestions pci_questions;
  /// Tells the pass nobody wants its names (pci found no function).
  std::atomic<bool> pci_names_unwanted{false};
  /// The pass's names: it indexes the database from the start of the
  /// discovery and answers once it has the questions.
  std::promise<Result<providers::PciNameAnswers>> pci_names_from_pass;
  std::shared_future<Result<providers::PciNameAnswers>> pci_names;
  /// /proc/crypto, read on the same thread once the names are out (the kernel
  /// takes ~55 us to write it on a small VM; crypto_registry runs last).
  /// Invalid when not read ahead (a capture reads it in its provider).
  std::promise<Result<std::string>> proc_crypto_from_pass;
  std::shared_future<Result<std::string>> proc_crypto;
  /// The thread. Its destructor waits for it, so it is declared after what
  /// the thread writes; the questions' promise is destroyed before it: a pass
  /// never handed its questions then stops on the broken promise instead of
  /// waiting forever.
  std::future<void> pass;
  std::promise<providers::PciNameQuestions> pci_questions_for_pass;
};

/// What a read-ahead holds, or nullopt where there is none (`ahead` not valid)
/// or its thread met an exception (no memory): the provider then reads for
/// itself, so its facts and diagnostics do not depend on the thread. Waits for
/// the thread where it is not done.
template <class T>
std::optional<T> taken(const std::shared_future<T>& ahead) {
  if (!ahead.valid()) return std::nullopt;
  try {
    return ahead.get();
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace accelmap::internal
