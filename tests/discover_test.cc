// discover() itself: the order providers run in and what it reports of them.
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "accelmap/discover.h"
#include "test_util.h"

namespace accelmap::testing {
namespace {

// DiscoverOptions::on_provider_done: once per selected provider, pci first
// (discover() runs it before the platform phase), then the phases in order.
TEST(Discover, OnProviderDoneOncePerProviderInRunOrder) {
  auto root = FsRoot::open(source_dir() + "/demo/root");
  ASSERT_TRUE(static_cast<bool>(root));
  std::vector<std::string> ran;
  std::chrono::nanoseconds sum{0};
  DiscoverOptions opt;
  opt.providers = "numa,machine,pci";
  opt.on_provider_done = [&](std::string_view name, std::chrono::nanoseconds t) {
    ran.emplace_back(name);
    EXPECT_GE(t.count(), 0);
    sum += t;
  };
  ASSERT_TRUE(static_cast<bool>(discover(*root, opt)));
  EXPECT_EQ(ran, (std::vector<std::string>{"pci", "machine", "numa"}));
  EXPECT_GT(sum.count(), 0);

  ran.clear();
  opt.providers.clear();
  opt.pci_ids_path = pci_ids_path();
  auto all = discover(*root, opt);
  ASSERT_TRUE(static_cast<bool>(all));
  EXPECT_EQ(ran.size(), builtin_providers().size());
  EXPECT_EQ(std::set<std::string>(ran.begin(), ran.end()).size(), ran.size());
  ASSERT_FALSE(ran.empty());
  EXPECT_EQ(ran.front(), "pci");
  EXPECT_EQ(ran.back(), "crypto_registry");
  // Timing changes nothing: the facts are those of an untimed discovery.
  opt.on_provider_done = nullptr;
  auto untimed = discover(*root, opt);
  ASSERT_TRUE(static_cast<bool>(untimed));
  EXPECT_TRUE(*all == *untimed);
}

}  // namespace
}  // namespace accelmap::testing
