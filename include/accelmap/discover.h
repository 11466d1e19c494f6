// accelmap/discover.h — run the providers over a root and collect facts.
//
//   auto root = accelmap::FsRoot::open("/");
//   accelmap::DiscoverOptions opt;
//   opt.pci_ids_path = "/usr/share/misc/pci.ids";
//   auto facts = accelmap::discover(*root, opt);
//
// Errors: only an invalid `options.providers` selection is a hard error; all
// per-file trouble lands in FactSet::diagnostics().
// Thread-safety: discover() is reentrant; it shares nothing between calls.
// Threads: it may run a second thread for the PCI ID database (and then
// /proc/crypto) and, on a large tree, read devices on up to options.threads
// threads (0: the CPUs this process may run on); every thread it starts is
// joined before it returns, and the facts are the same whatever the number.
// DiscoverOptions::on_provider_done, when set, is called on the calling thread.
#pragma once

#include "accelmap/facts.h"
#include "accelmap/fs_root.h"
#include "accelmap/provider.h"

namespace accelmap {

Result<FactSet> discover(const FsRoot& root, const DiscoverOptions& options);

}  // namespace accelmap
