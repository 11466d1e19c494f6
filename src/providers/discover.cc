#include "accelmap/discover.h"

#include <algorithm>
#include <optional>
#include <set>

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
  FactSet facts;
  for (const auto& p : providers) {
    if (!selected->count(std::string(p->name()))) continue;
    ProbeContext ctx(root, options, catalog, p->name(), facts);
    p->probe(ctx);
  }
  facts.normalize();
  return facts;
}

}  // namespace accelmap
