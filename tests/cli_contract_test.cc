// The command line contract, over a table of bad invocations: every error is
// exactly one line on stderr ("accelmap: ..."), the documented exit code
// (README: 2 usage, 3 unusable root/facts, 4 output), nothing on stdout (no
// partial JSON), and never an abort, a signal or a stack trace.
#include <gtest/gtest.h>

#include <filesystem>

#include "test_util.h"

namespace accelmap {
namespace {

using testing::run_command;

struct BadCall {
  const char* name;
  std::string args;  // after the CLI path; may use shell redirections
  int exit_code;
  const char* says;  // a phrase the error line must contain
};

std::string facts_of_demo(const std::string& dir) {
  std::string f = dir + "/good.json";
  auto r = run_command("'" + testing::cli_path() + "' facts --pci-ids none --root '" + testing::source_dir() +
                       "/demo/root' -o '" + f + "'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return f;
}

TEST(CliContract, EveryBadInvocationIsOneLineAndADocumentedCode) {
  const std::string d = testing::make_temp_dir();
  const std::string demo = testing::source_dir() + "/demo/root";
  const std::string good = facts_of_demo(d);
  // Damaged facts files, derived from a good one.
  ASSERT_EQ(run_command("head -c 3000 '" + good + "' > '" + d + "/truncated.json'").exit_code, 0);
  testing::write_file(d, "empty.json", "");
  testing::write_file(d, "garbage.json", std::string("\xff\xfe\x00{\x80", 5));
  testing::write_file(d, "array.json", "[1, 2, 3]");
  testing::write_file(d, "wrong_format.json", R"({"format": "something-else", "version": 1, "objects": []})");
  testing::write_file(d, "future.json", R"({"format": "accelmap-facts", "version": 999, "objects": []})");
  testing::write_file(d, "bad_types.json",
                      R"({"format": "accelmap-facts", "version": 1, "objects": [{"key": 5, "attrs": "x"}]})");
  testing::write_file(d, "deep.json", std::string(100000, '[') + std::string(100000, ']'));
  std::filesystem::create_directories(d + "/dir.json");
  testing::write_file(d, "catalog_bad.json", "{\"functions\": 3");
  testing::write_file(d, "catalog_undefined.json",
                      R"({"mappings": [{"source": "uacce.algorithm", "name": "x", "functions": ["no.such.function"]}]})");
  testing::write_file(d, "a_file", "not a folder\n");

  const std::string r = " --pci-ids none --root '" + demo + "'";
  const std::vector<BadCall> calls = {
      {"unknown command", "frobnicate", 2, "unknown command"},
      {"unknown option", "show --bogus" + r, 2, "--bogus"},
      {"option without value", "show --root", 2, "needs a value"},
      {"unknown provider", "show --providers nosuch" + r, 2, "nosuch"},
      {"bad colour", "show --color sometimes" + r, 2, "--color"},
      {"threads not a number", "show --threads many" + r, 2, "--threads"},
      {"threads negative", "ls --threads -1" + r, 2, "--threads"},
      {"threads too many", "facts --threads 100000" + r, 2, "--threads"},
      {"unknown column", "ls -o key,bogus" + r, 2, "bogus"},
      {"empty column list", "ls -o ''" + r, 2, ""},
      {"missing root", "show --root /no/such/root --json", 3, "/no/such/root"},
      {"root is a file", "show --json --root '" + d + "/a_file'", 3, "a_file"},
      {"empty root", "show --json --root ''", 3, "root"},
      {"missing facts", "show --json --facts '" + d + "/none.json'", 3, "none.json"},
      {"facts is a folder", "show --json --facts '" + d + "/dir.json'", 3, "dir.json"},
      {"truncated facts", "show --json --facts '" + d + "/truncated.json'", 3, "truncated.json"},
      {"empty facts", "show --json --facts '" + d + "/empty.json'", 3, "empty.json"},
      {"garbage facts", "show --json --facts '" + d + "/garbage.json'", 3, "garbage.json"},
      {"array facts", "show --json --facts '" + d + "/array.json'", 3, "array.json"},
      {"other format", "show --json --facts '" + d + "/wrong_format.json'", 3, "wrong_format.json"},
      {"future version", "show --json --facts '" + d + "/future.json'", 3, "future.json"},
      {"bad types", "show --json --facts '" + d + "/bad_types.json'", 3, "bad_types.json"},
      {"deeply nested facts", "show --json --facts '" + d + "/deep.json'", 3, "deep.json"},
      {"missing catalog", "show --json --catalog '" + d + "/nocat.json'" + r, 3, "nocat.json"},
      {"bad catalog JSON", "show --json --catalog '" + d + "/catalog_bad.json'" + r, 3, "catalog_bad.json"},
      {"catalog names an undefined function",
       "show --json --catalog '" + d + "/catalog_undefined.json'" + r, 3, "catalog_undefined.json"},
      {"unwritable output", "show --json -o /no/such/dir/out.json" + r, 4, "/no/such/dir/out.json"},
      {"output is a folder", "facts -o '" + d + "'" + r, 4, d.c_str()},
      {"output device full", "show --json -o /dev/full" + r, 4, "/dev/full"},
      {"stdout full", "show --json" + r + " >/dev/full", 4, "standard output"},
      {"stdout closed", "show --json" + r + " >&-", 4, "standard output"},
      {"unwritable capture", "capture /no/such/dir/x.tar.xz" + r, 4, "x.tar.xz"},
  };
  for (const BadCall& c : calls) {
    SCOPED_TRACE(c.name);
    // Through sh so that redirections in the table apply to the CLI itself.
    std::string cmd = "sh -c \"'" + testing::cli_path() + "' " + c.args + "\"";
    auto res = run_command(cmd);
    EXPECT_EQ(res.exit_code, c.exit_code) << c.args << "\nstderr: " << res.err;
    EXPECT_TRUE(res.out.empty()) << "stdout not empty: " << res.out.substr(0, 200);
    int lines = 0;
    for (char ch : res.err) lines += ch == '\n';
    EXPECT_EQ(lines, 1) << res.err;
    EXPECT_EQ(res.err.rfind("accelmap: ", 0), 0u) << res.err;
    EXPECT_NE(res.err.find(c.says), std::string::npos) << "error does not say '" << c.says << "': " << res.err;
    for (const char* bad : {"terminate called", "Aborted", "internal error", "#0 ", "Segmentation"})
      EXPECT_EQ(res.err.find(bad), std::string::npos) << res.err;
  }
}

// On a machine with many engines the functions table names a few devices per
// function and says how many more there are; --json still lists every offer.
TEST(CliContract, FunctionsTableNamesAFewDevicesAndCountsTheRest) {
  std::string root = testing::make_temp_dir() + "/gen";
  auto gen = testing::run_command("/usr/bin/python3 '" + testing::source_dir() + "/bench/gen/gen_machine.py' --devices 100 '" +
                                  root + "'");
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  auto table = testing::run_command(testing::cli_path() + " functions --pci-ids none --root '" + root + "'");
  ASSERT_EQ(table.exit_code, 0) << table.err;
  std::string line;
  for (std::size_t pos = 0, end; pos < table.out.size(); pos = end + 1) {
    end = table.out.find('\n', pos);
    if (end == std::string::npos) end = table.out.size();
    if (table.out.compare(pos, 17, "analytics.expand ") == 0) line = table.out.substr(pos, end - pos);
  }
  EXPECT_NE(line.find("13/13"), std::string::npos) << line;
  EXPECT_NE(line.find("idxd:iax11, ... 7 more (--json lists all)"), std::string::npos) << line;
  auto json = testing::run_command(testing::cli_path() + " functions --json --pci-ids none --root '" + root + "'");
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_NE(json.out.find("idxd:iax25"), std::string::npos);
}

}  // namespace
}  // namespace accelmap
