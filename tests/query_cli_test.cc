// The query commands end to end on the demo machine. Expectations come from
// demo/root's files: both H100s sit below one PEX890xx switch (PIX); DSA and IAA
// are on socket 0 like HBM node 2; node 2's HMAT read bandwidth is 819200 MB/s
// against node 0's 262144 MB/s.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_util.h"

namespace accelmap {
namespace {

using testing::run_command;

std::string cli(const std::string& args) {
  return "'" + testing::cli_path() + "' " + args + " --root '" + testing::source_dir() + "/demo/root'";
}

int lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

TEST(QueryCli, FindNearHbm) {
  auto r = run_command(cli("find compress.deflate --near hbm"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("1. idxd:iax1  @ numa:2 (hbm)  PHB"), std::string::npos) << r.out;
}

// Queries skip the PCI ID database unless told to read it (they print no names);
// their answers must not depend on it, and --vendor still matches vendor names.
TEST(QueryCli, AnswersAreTheSameWithAndWithoutPciNames) {
  const std::string ids = " --pci-ids '" + testing::pci_ids_path() + "'";
  for (const std::string q : {"find compress.deflate --near numa:0 --json", "share gpu.compute gpu.compute --json",
                              "chain dma.memmove compress.deflate --json", "best-memory --from numa:0 --json"}) {
    auto plain = run_command(cli(q));
    auto named = run_command(cli(q + ids));
    EXPECT_EQ(plain.exit_code, named.exit_code) << q;
    EXPECT_EQ(plain.out, named.out) << q;
  }
  auto nvidia = run_command(cli("find gpu.compute --near numa:0 --vendor nvidia"));
  EXPECT_EQ(nvidia.exit_code, 0) << nvidia.err;
}

TEST(QueryCli, NothingMatchesIsExit1WithOneSentence) {
  auto r = run_command(cli("find video.decode.hevc --near numa:0"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "accelmap: no accelerator offers video.decode.hevc.\n");
  EXPECT_TRUE(r.out.empty());
}

TEST(QueryCli, ShareHbmBetweenDsaAndIaa) {
  auto r = run_command(cli("share dma.memmove compress.deflate --memory hbm --json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  ASSERT_EQ(j["items"].size(), 1u) << r.out;
  EXPECT_EQ(j["items"][0]["memory"], "numa:2");
  EXPECT_EQ(j["items"][0]["accelerators"], (nlohmann::json{"idxd:dsa0", "idxd:iax1"}));
}

TEST(QueryCli, BestMemoryByBandwidthListsEachMemoryOnce) {
  auto r = run_command(cli("best-memory --from numa:0 --by bandwidth"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("1. numa:2 (hbm)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2. numa:0 (dram)"), std::string::npos) << r.out;
  // dax:dax0.0 is numa:2's memory, cxl:region1 is numa:3's: not listed again.
  EXPECT_EQ(r.out.find("dax:dax0.0"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("cxl:region1"), std::string::npos) << r.out;
  EXPECT_EQ(lines(r.out), 5) << r.out;  // title + 4 NUMA nodes
}

TEST(QueryCli, MatrixShowsTheSwitch) {
  auto r = run_command(cli("matrix --json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  auto devs = j["devices"];
  std::size_t g0 = 0, g1 = 0;
  for (std::size_t i = 0; i < devs.size(); ++i) {
    if (devs[i] == "nvidia:0000:18:00.0") g0 = i;
    if (devs[i] == "nvidia:0000:19:00.0") g1 = i;
  }
  EXPECT_EQ(j["paths"][g0][g1]["class"], "PIX");
  EXPECT_EQ(j["paths"][g1][g0]["class"], "PIX");
  // 32 GT/s x16 with 128b/130b: 32 * 16 * 128/130 / 8 GB/s = 63015 MB/s.
  EXPECT_EQ(j["paths"][g0][g1]["bandwidth_mbps"], 63015);
}

TEST(QueryCli, UsageErrors) {
  auto r = run_command(cli("find compress.deflate"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(lines(r.err), 1);
  auto b = run_command(cli("best-memory --from numa:0 --by color"));
  EXPECT_EQ(b.exit_code, 2);
  EXPECT_EQ(lines(b.err), 1);
}

}  // namespace
}  // namespace accelmap
