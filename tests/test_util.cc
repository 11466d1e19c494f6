#include "test_util.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

namespace fs = std::filesystem;

namespace accelmap::testing {

namespace {
std::mutex g_mu;
std::vector<std::string> g_temp_dirs;
std::map<std::string, std::string> g_extracted;

struct Cleanup {
  ~Cleanup() {
    std::error_code ec;
    for (const auto& d : g_temp_dirs) fs::remove_all(d, ec);
  }
} g_cleanup;

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}
}  // namespace

std::string corpus_dir() {
  if (const char* e = std::getenv("ACCELMAP_CORPUS_DIR"); e && *e) return e;
  return ACCELMAP_CORPUS_DIR;
}

std::vector<std::string> corpus_tree_names() {
  std::vector<std::string> out;
  fs::path dir = fs::path(corpus_dir()) / "sysfs";
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    ADD_FAILURE() << "corpus missing: " << dir << " (set ACCELMAP_CORPUS_DIR)";
    return out;
  }
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string n = e.path().filename().string();
    const std::string suffix = ".tar.xz";
    if (n.size() > suffix.size() && n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0)
      out.push_back(n.substr(0, n.size() - suffix.size()));
  }
  std::sort(out.begin(), out.end());
  if (out.empty()) ADD_FAILURE() << "corpus has no trees: " << dir;
  return out;
}

std::string make_temp_dir() {
  std::string tmpl = (fs::temp_directory_path() / "accelmap-test-XXXXXX").string();
  char* p = ::mkdtemp(tmpl.data());
  if (!p) {
    ADD_FAILURE() << "mkdtemp failed";
    return {};
  }
  std::lock_guard<std::mutex> lock(g_mu);
  g_temp_dirs.push_back(p);
  return p;
}

std::string corpus_root(const std::string& name) {
  {
    std::lock_guard<std::mutex> lock(g_mu);
    auto it = g_extracted.find(name);
    if (it != g_extracted.end()) return it->second;
  }
  std::string archive = (fs::path(corpus_dir()) / "sysfs" / (name + ".tar.xz")).string();
  if (!fs::exists(archive)) {
    ADD_FAILURE() << "corpus tree missing: " << archive;
    return {};
  }
  std::string dir = make_temp_dir();
  auto r = run_command("tar -xJf '" + archive + "' -C '" + dir + "'");
  if (r.exit_code != 0) {
    ADD_FAILURE() << "cannot extract " << archive << ": " << r.err;
    return {};
  }
  std::string root = (fs::path(dir) / name).string();
  std::lock_guard<std::mutex> lock(g_mu);
  g_extracted[name] = root;
  return root;
}

void write_file(const std::string& root, const std::string& rel, const std::string& content) {
  fs::path p = fs::path(root) / rel;
  fs::create_directories(p.parent_path());
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f << content;
}

void make_link(const std::string& root, const std::string& rel, const std::string& target) {
  fs::path p = fs::path(root) / rel;
  fs::create_directories(p.parent_path());
  std::error_code ec;
  fs::remove(p, ec);
  fs::create_symlink(target, p);
}

FactSet discover_with(const std::string& root_dir, const std::string& providers,
                      const std::vector<std::string>& catalogs) {
  auto root = FsRoot::open(root_dir);
  EXPECT_TRUE(root) << root_dir;
  if (!root) return {};
  DiscoverOptions opt;
  opt.providers = providers;
  opt.catalog_files = catalogs;
  auto facts = discover(*root, opt);
  EXPECT_TRUE(facts) << (facts ? "" : facts.error().message());
  return facts ? std::move(*facts) : FactSet{};
}

std::set<std::string> function_names(const FactSet& facts, const std::string& device) {
  std::set<std::string> out;
  for (const Object* o : facts.of_kind("function"))
    if (std::optional<std::string_view> d = o->get_string("device"); d && *d == device) out.emplace(*o->get_string("name"));
  return out;
}

std::string source_dir() { return ACCELMAP_SOURCE_DIR; }
std::string pci_ids_path() { return ACCELMAP_PCI_IDS; }
std::string cli_path() { return ACCELMAP_CLI; }

CommandResult run_command(const std::string& command) {
  std::string dir = make_temp_dir();
  std::string out = dir + "/out", err = dir + "/err";
  // A subshell, so the redirections apply to the whole command (a pipeline's
  // last stage would otherwise read /dev/null instead of the pipe).
  int status = std::system(("( " + command + " ) >'" + out + "' 2>'" + err + "' </dev/null").c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

}  // namespace accelmap::testing
