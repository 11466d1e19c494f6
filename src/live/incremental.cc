// Incremental discovery: per-provider deltas replayed in run order; only dirty
// providers (and those whose inputs changed) run again. See incremental.h for
// why the result equals a fresh discover() byte for byte.
#include "accelmap/incremental.h"

#include <algorithm>

#include "providers/select.h"

namespace accelmap {

std::map<std::string, std::vector<std::string>> provider_dependencies() {
  // Read off the providers' sources (every ctx.facts() read, join_pci, and
  // objects amended rather than owned). Platform and bus providers read files
  // only. Annotate providers join over everything before them.
  return {
      {"machine", {}},
      {"cpu", {}},
      {"numa", {}},
      {"hmat", {}},
      {"memory_tiers", {}},
      {"pci", {}},
      {"dax", {}},
      {"cxl", {}},
      {"nvidia_procfs", {"pci"}},
      {"drm", {"pci", "nvidia_procfs"}},             // claims PCI GPUs no earlier provider took
      {"kfd", {"numa", "pci", "nvidia_procfs", "drm"}},  // CPU-node locality, links next to drm's
      {"accel", {"pci"}},
      {"ve", {"pci"}},
      {"rdma", {"pci"}},
      {"uacce", {"pci"}},
      {"idxd", {"pci"}},
      {"qat", {"pci"}},
      {"dma", {"pci"}},
      {"fpga", {"pci"}},
      {"cxl_devices", {"pci", "dax", "cxl"}},
      {"pci_names", {"*"}},        // names PCI functions and the accelerators on them
      {"pci_class", {"*"}},        // PCI functions that no device provider claimed
      {"crypto_registry", {"*"}},  // /proc/crypto drivers joined to accelerators and functions
  };
}

std::set<std::string> providers_for_subsystem(std::string_view s) {
  // Everything that reads below a PCI function's sysfs directory.
  static constexpr const char* kPciReaders[] = {"pci", "nvidia_procfs", "drm", "kfd", "accel", "ve", "rdma",
                                                "uacce", "idxd", "qat", "dma", "fpga", "cxl_devices"};
  if (s == "pci") return {std::begin(kPciReaders), std::end(kPciReaders)};
  if (s == "dsa" || s == "idxd") return {"idxd"};
  if (s == "fpga_region" || s == "fpga_manager" || s == "fpga_bridge" || s == "dfl") return {"fpga"};
  if (s == "drm") return {"drm", "kfd"};
  if (s == "accel") return {"accel"};
  if (s == "cxl") return {"cxl", "cxl_devices"};
  if (s == "dax") return {"dax", "cxl", "cxl_devices"};
  if (s == "memory" || s == "node") return {"numa", "hmat", "memory_tiers"};
  if (s == "memory_tiering") return {"memory_tiers"};
  if (s == "cpu") return {"cpu", "numa"};
  if (s == "uacce") return {"uacce"};
  if (s == "kfd") return {"kfd"};
  if (s == "infiniband") return {"rdma"};
  if (s == "dma") return {"dma", "idxd"};
  if (s == "ve") return {"ve"};
  return {};
}

std::set<std::string> providers_for_path(std::string_view path) {
  auto under = [&](std::string_view prefix) {
    return path.substr(0, prefix.size()) == prefix &&
           (path.size() == prefix.size() || path[prefix.size()] == '/' || prefix.back() == '/');
  };
  struct Rule {
    const char* prefix;
    const char* subsystem;
  };
  static constexpr Rule kRules[] = {
      {"/sys/bus/pci", "pci"},           {"/sys/bus/dsa", "dsa"},          {"/sys/class/fpga_region", "fpga_region"},
      {"/sys/class/fpga_manager", "fpga_manager"}, {"/sys/class/fpga_bridge", "fpga_bridge"},
      {"/sys/bus/dfl", "dfl"},           {"/sys/class/drm", "drm"},        {"/sys/class/accel", "accel"},
      {"/sys/bus/cxl", "cxl"},           {"/sys/bus/dax", "dax"},          {"/sys/devices/system/node", "node"},
      {"/sys/devices/system/memory", "memory"}, {"/sys/devices/virtual/memory_tiering", "memory_tiering"},
      {"/sys/devices/system/cpu", "cpu"}, {"/sys/class/uacce", "uacce"},   {"/sys/class/kfd", "kfd"},
      {"/sys/devices/virtual/kfd", "kfd"}, {"/sys/class/infiniband", "infiniband"}, {"/sys/class/dma", "dma"},
      {"/sys/class/ve", "ve"},
  };
  for (const auto& r : kRules)
    if (under(r.prefix)) return providers_for_subsystem(r.subsystem);
  if (under("/proc/crypto")) return {"crypto_registry"};
  if (under("/proc/driver/nvidia")) return {"nvidia_procfs"};
  if (under("/sys/class/dmi") || under("/proc/sys/kernel") || under("/proc/version") || under("/proc/cpuinfo"))
    return {"machine"};
  if (under("/sys/devices")) return providers_for_subsystem("pci");  // a device directory: ask its readers
  return {};
}

namespace {

// One provider's delta: the objects it accessed mutably (`touched`, each with its
// state before), compared with what they are now. Untouched objects cannot differ.
ProviderDelta compute_delta(const FactJournal& touched, const FactSet& after, std::size_t diag_start) {
  ProviderDelta d;
  for (const auto& [key, before] : touched.before) {
    const Object* now = after.find(key);
    if (!now) continue;  // not reachable: objects are never removed
    const Object& o = *now;
    const Object* b = before ? &*before : nullptr;
    if (b && b->attrs == o.attrs) continue;
    ProviderDelta::ObjectDelta od{key, o.kind.str(), {}, {}};
    for (const auto& [name, a] : o.attrs) {
      const Attr* old = b ? b->find(name) : nullptr;
      if (!old || !(*old == a)) od.set.emplace(name, a);
    }
    if (b)
      for (const auto& [name, a] : b->attrs)
        if (!o.find(name)) od.erased.push_back(name);
    d.objects.push_back(std::move(od));
  }
  const auto& diags = after.diagnostics();
  d.diagnostics.assign(diags.begin() + static_cast<std::ptrdiff_t>(std::min(diag_start, diags.size())), diags.end());
  return d;
}

void apply_delta(const ProviderDelta& d, FactSet& facts) {
  for (const auto& od : d.objects) {
    Object& o = facts.object(od.key, od.kind);
    for (const auto& [name, a] : od.set) o.attrs.insert_or_assign(name, a);
    for (const auto& name : od.erased) o.attrs.erase(name);
  }
  for (const auto& diag : d.diagnostics) facts.add(diag);
}

}  // namespace

struct IncrementalDiscovery::State {
  std::string root_dir;
  DiscoverOptions options;
  FunctionCatalog catalog;
  std::vector<std::unique_ptr<Provider>> all;  // owns the providers
  struct Run {
    const Provider* provider = nullptr;
    std::string name;
    std::set<std::string> deps;  // expanded ("*" -> every earlier provider)
    ProviderDelta delta;
    Reads reads;
  };
  std::vector<Run> runs;
  FactSet facts;

  // Runs one provider on `work` with its own recorder, so its reads are its own.
  void run(Run& r, FactSet& work) {
    auto recorder = std::make_shared<AccessRecorder>();
    FsRoot::Options fo;
    fo.recorder = recorder;
    auto fs = FsRoot::open(root_dir, fo);
    if (!fs) {  // the root itself went away: say so, like any unreadable file
      work.add(Diagnostic{Severity::kError, r.name, "/", fs.error().message()});
      r.reads = {};
      return;
    }
    ProbeContext ctx(*fs, options, catalog, r.provider->name(), work);
    r.provider->probe(ctx);
    r.reads.files = recorder->file_fingerprints();
    r.reads.dirs = recorder->dir_fingerprints();
    r.reads.links = recorder->link_fingerprints();
  }

  std::set<std::string> reprobe(const std::set<std::string>& dirty, bool all_dirty) {
    std::set<std::string> changed, ran;
    FactSet work;
    for (Run& r : runs) {
      bool rerun = all_dirty || dirty.count(r.name) > 0;
      for (const auto& dep : r.deps)
        if (!rerun && changed.count(dep)) rerun = true;
      if (!rerun) {
        apply_delta(r.delta, work);
        continue;
      }
      // The journal keeps what the provider touches as it was; no copy of the rest.
      FactJournal touched;
      std::size_t diag_start = work.diagnostics().size();
      work.attach_journal(&touched);
      run(r, work);
      work.attach_journal(nullptr);
      ProviderDelta d = compute_delta(touched, work, diag_start);
      if (!(d == r.delta)) {
        changed.insert(r.name);
        r.delta = std::move(d);
      }
      ran.insert(r.name);
    }
    work.normalize();
    facts = std::move(work);
    return ran;
  }
};

IncrementalDiscovery::IncrementalDiscovery(std::unique_ptr<State> s) : s_(std::move(s)) {}
IncrementalDiscovery::IncrementalDiscovery(IncrementalDiscovery&&) noexcept = default;
IncrementalDiscovery& IncrementalDiscovery::operator=(IncrementalDiscovery&&) noexcept = default;
IncrementalDiscovery::~IncrementalDiscovery() = default;

Result<IncrementalDiscovery> IncrementalDiscovery::create(const std::string& root_dir,
                                                          const DiscoverOptions& options) {
  {
    auto probe_root = FsRoot::open(root_dir);
    if (!probe_root) return probe_root.error();
  }
  auto all = builtin_providers();
  auto selected = internal::select_providers(all, options.providers);
  if (!selected) return selected.error();
  std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a->phase() < b->phase(); });
  auto catalog = FunctionCatalog::load(options.catalog_files);
  if (!catalog) return catalog.error();
  auto s = std::unique_ptr<State>(new State{root_dir, options, std::move(*catalog), std::move(all), {}, {}});
  auto table = provider_dependencies();
  std::vector<std::string> earlier;
  for (const auto& p : s->all) {
    std::string name(p->name());
    if (!selected->count(name)) continue;
    State::Run r;
    r.provider = p.get();
    r.name = name;
    for (const auto& dep : table[name]) {
      if (dep == "*") r.deps.insert(earlier.begin(), earlier.end());
      else r.deps.insert(dep);
    }
    earlier.push_back(name);
    s->runs.push_back(std::move(r));
  }
  s->reprobe({}, true);
  return IncrementalDiscovery(std::move(s));
}

std::set<std::string> IncrementalDiscovery::reprobe(const std::set<std::string>& dirty) {
  if (dirty.empty()) return {};
  return s_->reprobe(dirty, false);
}

std::set<std::string> IncrementalDiscovery::reprobe_all() { return s_->reprobe({}, true); }

const FactSet& IncrementalDiscovery::facts() const { return s_->facts; }

std::vector<std::string> IncrementalDiscovery::provider_names() const {
  std::vector<std::string> out;
  for (const auto& r : s_->runs) out.push_back(r.name);
  return out;
}

const IncrementalDiscovery::Reads& IncrementalDiscovery::reads_of(std::string_view provider) const {
  static const Reads kNone;  // immutable empty value, not state
  for (const auto& r : s_->runs)
    if (r.name == provider) return r.reads;
  return kNone;
}

std::set<std::string> IncrementalDiscovery::providers_reading(const std::string& path) const {
  std::set<std::string> out;
  for (const auto& r : s_->runs)
    if (r.reads.files.count(path) || r.reads.dirs.count(path) || r.reads.links.count(path)) out.insert(r.name);
  return out;
}

const std::string& IncrementalDiscovery::root_dir() const { return s_->root_dir; }

}  // namespace accelmap
