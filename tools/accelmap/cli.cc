#include "cli.h"

#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace accelmap::cli {

bool Args::value(const std::string& name, std::string* out) {
  if (done()) return false;
  const std::string& a = args_[i_];
  if (a == name) {
    if (i_ + 1 >= args_.size()) throw CliError{kExitUsage, name + " needs a value"};
    *out = args_[i_ + 1];
    i_ += 2;
    return true;
  }
  if (a.rfind(name + "=", 0) == 0) {
    *out = a.substr(name.size() + 1);
    ++i_;
    return true;
  }
  return false;
}

bool Args::flag(const std::string& name) {
  if (!done() && args_[i_] == name) {
    ++i_;
    return true;
  }
  return false;
}

bool machine_option(Args& args, MachineOptions* opts) {
  if (args.flag("--timings")) {
    opts->timings = true;
    return true;
  }
  std::string catalog;
  if (args.value("--catalog", &catalog)) {
    opts->catalogs.push_back(catalog);
    return true;
  }
  std::string threads;
  if (args.value("--threads", &threads)) {
    unsigned n = 0;
    auto [end, ec] = std::from_chars(threads.data(), threads.data() + threads.size(), n);
    if (ec != std::errc() || end != threads.data() + threads.size() || n > 4096)
      throw CliError{kExitUsage, "--threads: expected a number from 0 (the CPUs this process may use) to 4096, got '" +
                                     threads + "'"};
    opts->threads = n;
    return true;
  }
  return args.value("--root", &opts->root) || args.value("--facts", &opts->facts_file) ||
         args.value("--providers", &opts->providers) || args.value("--pci-ids", &opts->pci_ids);
}

DiscoverOptions discover_options(const MachineOptions& opts) {
  DiscoverOptions d;
  d.providers = opts.providers;
  d.catalog_files = opts.catalogs;
  d.threads = opts.threads;
  if (opts.pci_ids == "none") {
    d.pci_ids_path.clear();
  } else if (!opts.pci_ids.empty()) {
    d.pci_ids_path = opts.pci_ids;
  } else if (const char* env = std::getenv("ACCELMAP_PCI_IDS"); env && *env) {
    d.pci_ids_path = env;
  } else {
    d.pci_ids_path = ACCELMAP_DEFAULT_PCI_IDS;
  }
  return d;
}

namespace {

using Clock = std::chrono::steady_clock;

double micros(std::chrono::nanoseconds t) { return std::chrono::duration<double, std::micro>(t).count(); }

}  // namespace

Result<FactSet> discover_with_timings(const FsRoot& root, const MachineOptions& opts) {
  DiscoverOptions d = discover_options(opts);
  if (!opts.timings) return discover(root, d);
  std::vector<std::pair<std::string, std::chrono::nanoseconds>> times;
  d.on_provider_done = [&times](std::string_view name, std::chrono::nanoseconds t) { times.emplace_back(name, t); };
  const auto start = Clock::now();
  auto facts = discover(root, d);
  const std::chrono::nanoseconds total = Clock::now() - start;
  if (!facts) return facts;  // a usage error stays one line
  std::chrono::nanoseconds providers{0};
  for (const auto& [name, t] : times) providers += t;
  std::fprintf(stderr, "accelmap: timings of one discovery of %s (wall clock):\n", opts.root.c_str());
  for (const auto& [name, t] : times)
    std::fprintf(stderr, "  %-18s %10.1f µs  %5.1f%%\n", name.c_str(), micros(t),
                 total.count() > 0 ? 100.0 * static_cast<double>(t.count()) / static_cast<double>(total.count()) : 0.0);
  std::fprintf(stderr, "  %-18s %10.1f µs  (the providers %.1f µs; the rest is setup, the names thread's start and merging)\n",
               "discovery", micros(total), micros(providers));
  return facts;
}

FactSet load_facts(const MachineOptions& opts) {
  if (!opts.facts_file.empty()) {
    std::ifstream f(opts.facts_file, std::ios::binary);
    if (!f) throw CliError{kExitInput, "cannot read facts file " + opts.facts_file};
    std::stringstream ss;
    ss << f.rdbuf();
    auto facts = facts_from_json(ss.str());
    if (!facts) throw CliError{kExitInput, opts.facts_file + ": " + facts.error().message()};
    return std::move(*facts);
  }
  auto root = FsRoot::open(opts.root);
  if (!root) throw CliError{kExitInput, root.error().message()};
  auto facts = discover_with_timings(*root, opts);
  if (!facts)
    throw CliError{facts.error().code() == StatusCode::kInvalidArgument ? kExitUsage : kExitInput,
                   facts.error().message()};
  return std::move(*facts);
}

std::shared_ptr<const Snapshot> load_snapshot(const MachineOptions& opts) {
  FactSet facts = load_facts(opts);
  if (!opts.timings) return build_snapshot(std::move(facts));
  if (!opts.facts_file.empty()) std::fprintf(stderr, "accelmap: timings of rebuilding %s:\n", opts.facts_file.c_str());
  const auto start = Clock::now();
  auto snap = build_snapshot(std::move(facts));
  std::fprintf(stderr, "  %-18s %10.1f µs\n", "snapshot build", micros(Clock::now() - start));
  return snap;
}

void write_output(const std::string& out, const std::string& text) {
  if (out.empty() || out == "-") {
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0)
      throw CliError{kExitOutput, "cannot write to standard output"};
    return;
  }
  std::ofstream f(out, std::ios::binary | std::ios::trunc);
  if (!f) throw CliError{kExitOutput, "cannot write " + out};
  f << text;
  f.close();
  if (!f) throw CliError{kExitOutput, "cannot write " + out};
}

void write_output(const std::string& out, const std::function<void(const FactsSink&)>& produce) {
  if (out.empty() || out == "-") {
    produce([](std::string_view chunk) {
      if (std::fwrite(chunk.data(), 1, chunk.size(), stdout) != chunk.size())
        throw CliError{kExitOutput, "cannot write to standard output"};
    });
    if (std::fflush(stdout) != 0) throw CliError{kExitOutput, "cannot write to standard output"};
    return;
  }
  std::ofstream f(out, std::ios::binary | std::ios::trunc);
  if (!f) throw CliError{kExitOutput, "cannot write " + out};
  produce([&](std::string_view chunk) { f.write(chunk.data(), static_cast<std::streamsize>(chunk.size())); });
  f.close();
  if (!f) throw CliError{kExitOutput, "cannot write " + out};
}

bool stdout_is_terminal() { return ::isatty(STDOUT_FILENO) == 1; }

bool color_wanted(const std::string& mode) {
  if (mode == "always") return true;
  if (mode == "never") return false;
  if (mode != "auto") throw CliError{kExitUsage, "--color takes auto, always or never"};
  const char* no_color = std::getenv("NO_COLOR");  // https://no-color.org
  if (no_color && *no_color) return false;
  const char* term = std::getenv("TERM");
  if (term && std::string(term) == "dumb") return false;
  return stdout_is_terminal();
}

}  // namespace accelmap::cli
