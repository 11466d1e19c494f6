#include "accelmap/discover.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <optional>
#include <set>
#include <system_error>

#include "providers/pci_ids.h"
#include "providers/prefetched.h"
#include "providers/providers.h"
#include "providers/select.h"

namespace accelmap {

namespace internal {

// Parses hwloc-style selections: "pci,numa" keeps only those; "-pci,-hmat"
// drops those from all. Mixing both forms is refused.
Result<std::set<std::string>> select_providers(const std::vector<std::unique_ptr<Provider>>& all, const std::string& spec) {
  std::set<std::string> names;
  for (const auto& p : all) names.emplace(p->name());
  if (spec.empty()) return names;
  std::set<std::string> keep, drop;
  std::size_t i = 0;
  while (i <= spec.size()) {
    std::size_t j = spec.find(',', i);
    if (j == std::string::npos) j = spec.size();
    std::string tok = spec.substr(i, j - i);
    i = j + 1;
    if (tok.empty()) {
      if (j == spec.size()) break;
      continue;
    }
    bool neg = tok[0] == '-';
    if (neg) tok.erase(0, 1);
    if (!names.count(tok)) {
      std::string known;
      for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
      return Status(StatusCode::kInvalidArgument, "unknown provider '" + tok + "' (known: " + known + ")");
    }
    (neg ? drop : keep).insert(tok);
    if (j == spec.size()) break;
  }
  if (!keep.empty() && !drop.empty())
    return Status(StatusCode::kInvalidArgument, "provider selection mixes 'name' and '-name' forms");
  if (!keep.empty()) return keep;
  for (const auto& d : drop) names.erase(d);
  return names;
}

namespace {

// Starts the second thread of a discovery (Prefetched): the PCI ID database
// pass, then /proc/crypto when `crypto_ahead`. Each promise is kept whatever
// happens (a provider waits on it); where no thread can be had the providers
// read for themselves.
void start_pass(Prefetched& prefetched, const FsRoot& root, const std::string& pci_ids_path, bool crypto_ahead) {
  prefetched.pci_names = prefetched.pci_names_from_pass.get_future().share();
  if (crypto_ahead) prefetched.proc_crypto = prefetched.proc_crypto_from_pass.get_future().share();
  try {
    prefetched.pass = std::async(std::launch::async, [&root, &prefetched, crypto_ahead, path = pci_ids_path,
                                                      questions = prefetched.pci_questions_for_pass.get_future()]() mutable {
      try {
        prefetched.pci_names_from_pass.set_value([&]() -> Result<providers::PciNameAnswers> {
          auto file = providers::PciIdsFile::open(path);
          if (!file) return file.error();
          if (Status s = file->index(&prefetched.pci_names_unwanted); !s.is_ok()) return s;
          const providers::PciNameQuestions asked = questions.get();
          return file->names(asked.functions, asked.classes);
        }());
      } catch (...) {
        prefetched.pci_names_from_pass.set_exception(std::current_exception());
      }
      if (!crypto_ahead) return;
      try {
        prefetched.proc_crypto_from_pass.set_value(root.read_text(providers::kProcCrypto));
      } catch (...) {
        prefetched.proc_crypto_from_pass.set_exception(std::current_exception());
      }
    });
  } catch (const std::system_error&) {
    prefetched.pci_names = {};
    prefetched.proc_crypto = {};
  }
}

}  // namespace
}  // namespace internal

Result<FactSet> discover(const FsRoot& root, const DiscoverOptions& options) {
  auto providers = builtin_providers();
  auto selected = internal::select_providers(providers, options.providers);
  if (!selected) return selected.error();
  std::stable_sort(providers.begin(), providers.end(),
                   [](const auto& a, const auto& b) { return a->phase() < b->phase(); });
  // The built-in catalog is shared; only user catalog files need a copy to extend.
  std::optional<FunctionCatalog> extended;
  if (!options.catalog_files.empty()) {
    auto loaded = FunctionCatalog::load(options.catalog_files);
    if (!loaded) return loaded.error();
    extended = std::move(*loaded);
  }
  const FunctionCatalog& catalog = extended ? *extended : FunctionCatalog::builtin();
  // The PCI ID database pass is host data and needs only the PCI functions'
  // ids: it runs on a second thread while the providers read the tree (on a
  // small server it is about a third of a discovery). It starts with the
  // discovery, indexing where the file's vendor blocks are while pci finds the
  // ids, and reads the asked blocks once pci hands them over (below); then it
  // reads /proc/crypto for crypto_registry, the last provider. Prefetched
  // waits for the thread before it goes out of scope.
  FactSet facts;
  internal::Prefetched prefetched;
  // Folders two providers read are listed once (ProbeContext::remember_listing).
  ListingMemo listings;
  bool names_wanted = !options.pci_ids_path.empty() && selected->count("pci_names") && selected->count("pci");
  bool start_after_pci = false;
  if (names_wanted && !root.recording()) {
    // A tree without PCI functions starts no thread (a start costs ~20 us of
    // this thread here): pci's folder is listed now and kept for pci. A
    // recording discovery lists it in pci, where the access is its provider's.
    constexpr std::string_view kPciFunctions = "/sys/bus/pci/devices";
    auto functions = root.list_dir(kPciFunctions);
    if (functions) {
      names_wanted = !functions->empty();
      // Where pci reads in parts on threads, the pass starts after it (below):
      // started first, its thread held a malloc arena of its own and each part
      // made another (gen-10000 peak 187 against 178 MB), and on such a tree
      // the pass is a small share of the time.
      if (parallel_parts(options, functions->size(), providers::kPciFunctionsPerPart) > 1)
        start_after_pci = true;
      listings.emplace(std::string(kPciFunctions), std::move(*functions));
    } else if (functions.error().code() == StatusCode::kNotFound) {
      names_wanted = false;
    }
  }
  auto start_names_pass = [&] {
    if (names_wanted)
      internal::start_pass(prefetched, root, options.pci_ids_path,
                           selected->count("crypto_registry") && !root.recording());
  };
  if (!start_after_pci) start_names_pass();
  auto hand_over_questions = [&] {
    if (!prefetched.pass.valid()) return;
    prefetched.pci_questions = providers::pci_name_questions(facts);
    if (prefetched.pci_questions.functions.empty()) prefetched.pci_names_unwanted = true;
    prefetched.pci_questions_for_pass.set_value(prefetched.pci_questions);
  };
  // The links of every bus and class point into one /sys/devices tree: which of
  // its components are not links is found out once for all providers.
  std::set<std::string> resolved_prefixes;
  auto run = [&](const Provider& p) {
    ProbeContext ctx(root, options, catalog, p.name(), facts);
    ctx.set_prefetched(&prefetched);
    ctx.set_resolve_memo(&resolved_prefixes);
    ctx.set_listing_memo(&listings);
    if (!options.on_provider_done) return p.probe(ctx);
    const auto start = std::chrono::steady_clock::now();
    p.probe(ctx);
    options.on_provider_done(p.name(), std::chrono::steady_clock::now() - start);
  };
  // pci runs first: it reads only files and no platform provider reads its
  // facts or writes its objects (provider_dependencies()), so the order gives
  // the same facts, and the names pass then overlaps the platform phase.
  const Provider* pci = nullptr;
  for (const auto& p : providers)
    if (p->name() == "pci" && selected->count("pci")) pci = p.get();
  if (pci != nullptr) {
    run(*pci);
    if (start_after_pci) start_names_pass();
    hand_over_questions();
  }
  for (const auto& p : providers) {
    if (p.get() == pci || !selected->count(std::string(p->name()))) continue;
    run(*p);
  }
  facts.normalize();
  return facts;
}

}  // namespace accelmap
