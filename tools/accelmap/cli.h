// Shared pieces of the accelmap command line: exit codes, option parsing,
// loading a snapshot from a root or a facts file.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "accelmap/discover.h"
#include "accelmap/snapshot.h"

namespace accelmap::cli {

/// Exit codes, documented in `accelmap --help` and the README.
enum Exit : int {
  kExitOk = 0,
  kExitNoMatch = 1,    ///< a query found nothing (query commands)
  kExitUsage = 2,      ///< wrong usage: unknown command or option, missing argument
  kExitInput = 3,      ///< the root or facts file cannot be used (missing, unreadable, not facts JSON)
  kExitOutput = 4,     ///< the output cannot be written
  kExitInternal = 5,   ///< a bug: please report it with `accelmap capture`
};

/// Thrown inside the CLI only; main() turns it into one line on stderr + exit code.
struct CliError {
  int code;
  std::string message;
};

/// Options every command that reads a machine takes.
struct MachineOptions {
  std::string root = "/";
  std::string facts_file;   ///< --facts FILE: replay instead of reading a root
  std::string providers;    ///< --providers LIST
  std::string pci_ids;      ///< --pci-ids FILE ("" = default database, "none" = no names)
  std::vector<std::string> catalogs;  ///< --catalog FILE (repeatable): extra function catalogs
  unsigned threads = 0;     ///< --threads N (DiscoverOptions::threads)
  bool timings = false;     ///< --timings: each provider's wall time on standard error
};

/// Simple argument cursor: flags like --root DIR or --root=DIR.
class Args {
 public:
  Args(std::vector<std::string> args) : args_(std::move(args)) {}  // NOLINT
  bool done() const { return i_ >= args_.size(); }
  const std::string& peek() const { return args_[i_]; }
  std::string next() { return args_[i_++]; }
  /// If the current argument is `name` (or `name=value`), consume it and its value.
  bool value(const std::string& name, std::string* out);
  bool flag(const std::string& name);

 private:
  std::vector<std::string> args_;
  std::size_t i_ = 0;
};

/// Consumes --root/--facts/--providers/--pci-ids if present.
bool machine_option(Args& args, MachineOptions* opts);

/// Discovers (or replays) and builds the snapshot; throws CliError on hard errors.
std::shared_ptr<const Snapshot> load_snapshot(const MachineOptions& opts);
FactSet load_facts(const MachineOptions& opts);
DiscoverOptions discover_options(const MachineOptions& opts);
/// discover() with the options of `opts`; with --timings, then prints where
/// its time went (each provider, in run order) to standard error.
Result<FactSet> discover_with_timings(const FsRoot& root, const MachineOptions& opts);

/// Writes `text` to stdout, or to FILE when out is not "" / "-"; throws on failure.
void write_output(const std::string& out, const std::string& text);
/// As above for output made in pieces (`produce` hands each one to the sink),
/// so a large document is never held whole.
void write_output(const std::string& out, const std::function<void(const FactsSink&)>& produce);

bool stdout_is_terminal();
bool color_wanted(const std::string& mode);  // "auto", "always", "never"

int cmd_show(Args& args);
int cmd_facts(Args& args);
int cmd_capture(Args& args);
int cmd_providers(Args& args);
int cmd_ls(Args& args);
int cmd_functions(Args& args);
int cmd_find(Args& args);
int cmd_share(Args& args);
int cmd_chain(Args& args);
int cmd_best_memory(Args& args);
int cmd_matrix(Args& args);
int cmd_watch(Args& args);  // cmd_live.cc
int cmd_diff(Args& args);   // cmd_live.cc

}  // namespace accelmap::cli
