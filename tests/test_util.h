// Test helpers: the recorded corpus, extracted once per test process, and
// small hand-made trees in temporary folders.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "accelmap/discover.h"

namespace accelmap::testing {

/// Folder holding corpus/sysfs/*.tar.xz: $ACCELMAP_CORPUS_DIR, else the path
/// configured at build time (default ../shared/corpus).
std::string corpus_dir();

/// Names of all recorded trees (file names without .tar.xz), sorted. Fails the
/// calling test (ADD_FAILURE) when the corpus is missing: never a silent pass.
std::vector<std::string> corpus_tree_names();

/// Extracts corpus tree NAME (once per process) and returns its root folder.
std::string corpus_root(const std::string& name);

/// A fresh empty temporary folder, removed at process exit.
std::string make_temp_dir();

/// Writes `content` to ROOT/REL, creating parent folders.
void write_file(const std::string& root, const std::string& rel, const std::string& content);
/// Creates a symlink ROOT/REL -> TARGET (target taken literally).
void make_link(const std::string& root, const std::string& rel, const std::string& target);

/// Discovers the tree at `root_dir` with a provider selection ("" = all) and
/// extra catalog files; records a test failure if the root cannot be opened.
FactSet discover_with(const std::string& root_dir, const std::string& providers = "",
                      const std::vector<std::string>& catalogs = {});

/// Canonical names of the functions of accelerator `device`, sorted.
std::set<std::string> function_names(const FactSet& facts, const std::string& device);

/// Repository paths.
std::string source_dir();
std::string pci_ids_path();
std::string cli_path();

/// Runs a shell command, capturing stdout (and exit code).
struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
CommandResult run_command(const std::string& command);

}  // namespace accelmap::testing
