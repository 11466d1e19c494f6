// The command line contract: one clear line on stderr and a documented exit
// code for every error; nothing partial on stdout.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_util.h"

namespace accelmap {
namespace {

using testing::run_command;

std::string cli() { return "'" + testing::cli_path() + "'"; }

int lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

TEST(Cli, NoArgumentsIsUsage) {
  auto r = run_command(cli());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("usage: accelmap"), std::string::npos);
}

TEST(Cli, UnknownCommandIsOneLine) {
  auto r = run_command(cli() + " frobnicate");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("unknown command 'frobnicate'"), std::string::npos);
  EXPECT_TRUE(r.out.empty());
}

TEST(Cli, UnknownOptionIsOneLine) {
  auto r = run_command(cli() + " show --bogus");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(lines(r.err), 1) << r.err;
}

TEST(Cli, MissingOptionValue) {
  auto r = run_command(cli() + " show --root");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--root needs a value"), std::string::npos);
}

TEST(Cli, MissingRootExit3) {
  auto r = run_command(cli() + " show --root /no/such/root --json");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.err, "accelmap: root /no/such/root does not exist\n");
  EXPECT_TRUE(r.out.empty());  // no partial JSON
}

TEST(Cli, GarbageFactsExit3) {
  std::string d = testing::make_temp_dir();
  testing::write_file(d, "f.json", "{not json");
  auto r = run_command(cli() + " show --facts " + d + "/f.json");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(lines(r.err), 1);
  EXPECT_NE(r.err.find("f.json: not valid JSON"), std::string::npos);
  auto missing = run_command(cli() + " show --facts " + d + "/none.json");
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_NE(missing.err.find("cannot read facts file"), std::string::npos);
}

TEST(Cli, UnknownProviderIsUsage) {
  auto r = run_command(cli() + " show --root / --providers nosuch");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown provider 'nosuch'"), std::string::npos);
}

// --threads changes how a tree is read, never what comes out.
TEST(Cli, ThreadsGiveTheSameOutput) {
  const std::string demo = " --pci-ids none --root " + testing::source_dir() + "/demo/root";
  auto one = run_command(cli() + " facts --threads 1" + demo);
  auto four = run_command(cli() + " facts --threads 4" + demo);
  auto any = run_command(cli() + " facts" + demo);
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_FALSE(one.out.empty());
  EXPECT_EQ(four.out, one.out);
  EXPECT_EQ(any.out, one.out);
}

TEST(Cli, UnwritableOutputExit4) {
  auto r = run_command(cli() + " show --root " + testing::corpus_root("hwloc-16amd64-8n2c") + " -o /no/such/dir/out.txt");
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_EQ(lines(r.err), 1);
  auto c = run_command(cli() + " capture /no/such/dir/x.tar.xz --root " + testing::corpus_root("hwloc-16amd64-8n2c"));
  EXPECT_EQ(c.exit_code, 4) << c.err;
  EXPECT_EQ(lines(c.err), 1);
}

TEST(Cli, ReplayThroughFactsFileIsIdentical) {
  std::string root = testing::corpus_root("hwloc-fakeheteromemtiers");
  std::string d = testing::make_temp_dir();
  auto facts = run_command(cli() + " facts --root " + root + " -o " + d + "/f.json");
  ASSERT_EQ(facts.exit_code, 0) << facts.err;
  auto a = run_command(cli() + " show --json --root " + root);
  auto b = run_command(cli() + " show --json --facts " + d + "/f.json");
  ASSERT_EQ(a.exit_code, 0);
  ASSERT_EQ(b.exit_code, 0);
  EXPECT_EQ(a.out, b.out);
  auto j = nlohmann::json::parse(a.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["format"], "accelmap-snapshot");
}

TEST(Cli, TextHasNoColourWhenNotATerminal) {
  auto r = run_command(cli() + " show --root " + testing::corpus_root("hwloc-16amd64-8n2c"));
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.find('\033'), std::string::npos);
  auto c = run_command(cli() + " show --color always --root " + testing::corpus_root("hwloc-16amd64-8n2c"));
  EXPECT_NE(c.out.find('\033'), std::string::npos);
}

// --timings: one line per provider that ran, in run order, on standard error;
// the output itself does not change.
TEST(Cli, TimingsGoToStandardErrorOnly) {
  const std::string demo = " --pci-ids none --root " + testing::source_dir() + "/demo/root";
  auto plain = run_command(cli() + " show --json" + demo);
  auto timed = run_command(cli() + " show --json --timings" + demo);
  ASSERT_EQ(timed.exit_code, 0) << timed.err;
  EXPECT_EQ(timed.out, plain.out);
  EXPECT_EQ(timed.err.rfind("accelmap: timings of one discovery of ", 0), 0u) << timed.err;
  const std::size_t pci = timed.err.find("\n  pci "), numa = timed.err.find("\n  numa ");
  EXPECT_NE(pci, std::string::npos) << timed.err;
  EXPECT_NE(numa, std::string::npos) << timed.err;
  EXPECT_LT(pci, numa);  // pci runs first
  EXPECT_NE(timed.err.find("\n  discovery "), std::string::npos) << timed.err;
  EXPECT_NE(timed.err.find("\n  snapshot build "), std::string::npos) << timed.err;
  // Wrong usage stays one line.
  auto bad = run_command(cli() + " show --timings --providers nosuch" + demo);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(lines(bad.err), 1) << bad.err;
}

TEST(Cli, CaptureWritesAUsableRoot) {
  std::string root = testing::corpus_root("hwloc-fakeheteromemtiers");
  std::string d = testing::make_temp_dir();
  auto c = run_command(cli() + " capture " + d + "/m.tar.xz --root " + root);
  ASSERT_EQ(c.exit_code, 0) << c.err;
  ASSERT_EQ(run_command("tar -xJf " + d + "/m.tar.xz -C " + d).exit_code, 0);
  auto a = run_command(cli() + " show --json --root " + root);
  auto b = run_command(cli() + " show --json --root " + d + "/m");
  EXPECT_EQ(a.out, b.out);
}

// Start-up cost: libarchive (and its dozen dependencies) is dlopen()ed by
// capture, so the CLI must not name it as a shared library it needs (the CLI
// is a static executable in a normal build and needs none at all; sanitizer builds
// link their runtimes dynamically).
TEST(Cli, DoesNotLinkLibarchive) {
  auto r = run_command("readelf -d " + cli());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (std::size_t at = r.out.find("(NEEDED)"); at != std::string::npos; at = r.out.find("(NEEDED)", at + 1)) {
    const std::size_t open = r.out.find('[', at), close = r.out.find(']', open);
    ASSERT_NE(close, std::string::npos) << r.out;
    const std::string lib = r.out.substr(open + 1, close - open - 1);
    for (const char* never : {"libarchive", "libxml2", "libicu", "libnettle", "liblzma"})
      EXPECT_EQ(lib.find(never), std::string::npos) << lib << " in\n" << r.out;
  }
}

TEST(Cli, VersionAndHelp) {
  EXPECT_EQ(run_command(cli() + " --version").exit_code, 0);
  auto h = run_command(cli() + " show --help");
  EXPECT_EQ(h.exit_code, 0);
  EXPECT_NE(h.out.find("Exit codes"), std::string::npos);
}

}  // namespace
}  // namespace accelmap
