#include "accelmap/facts.h"

#include <gtest/gtest.h>

namespace accelmap {
namespace {

FactSet sample() {
  FactSet f;
  Object& n = f.object("numa:10", "numa_node");
  n.set("capacity", std::int64_t{34359738368}, Unit::kBytes, Provenance::kKernel, "/sys/devices/system/node/node10/meminfo");
  n.set("cpus", IdSet{{0, 1, 2, 8}}, Unit::kNone, Provenance::kKernel, "");
  n.set("distances", std::vector<std::int64_t>{10, 21}, Unit::kRelative, Provenance::kFirmware, "");
  n.set("unknown_bw", Value{}, Unit::kMBps, Provenance::kFirmware, "");
  n.set("speed", 8.0, Unit::kGTps, Provenance::kLinkTrained, "");
  n.set("flag", true, Unit::kNone, Provenance::kKernel, "");
  n.set("names", std::vector<std::string>{"a", "b"}, Unit::kNone, Provenance::kKernel, "");
  f.object("numa:2", "numa_node").set("driver", std::string("x\"y"), Unit::kNone, Provenance::kKernel, "");
  f.add({Severity::kWarning, "pci", "/sys/x", "not an integer"});
  return f;
}

TEST(FactsJson, RoundTripIsExact) {
  FactSet f = sample();
  std::string j = facts_to_json(f);
  auto back = facts_from_json(j);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(*back, f);
  EXPECT_EQ(facts_to_json(*back), j);
}

TEST(FactsJson, NaturalKeyOrder) {
  std::string j = facts_to_json(sample());
  EXPECT_LT(j.find("\"numa:2\""), j.find("\"numa:10\""));
}

TEST(FactsJson, RejectsWithReasons) {
  EXPECT_EQ(facts_from_json("not json").error().message(), "not valid JSON");
  EXPECT_NE(facts_from_json("{\"format\":\"other\"}").error().message().find("not an accelmap facts file"), std::string::npos);
  EXPECT_NE(facts_from_json("{\"format\":\"accelmap-facts\",\"version\":99,\"objects\":[]}").error().message().find("version 99"),
            std::string::npos);
  auto bad_type = facts_from_json(
      R"({"format":"accelmap-facts","version":1,"objects":[{"key":"a","kind":"k","attrs":{"x":{"type":"int","value":"s"}}}]})");
  ASSERT_FALSE(bad_type);
  EXPECT_NE(bad_type.error().message().find("a.x"), std::string::npos);
  auto dup = facts_from_json(R"({"format":"accelmap-facts","version":1,"objects":[{"key":"a","kind":"k"},{"key":"a","kind":"k"}]})");
  ASSERT_FALSE(dup);
  auto wrong = facts_from_json(R"({"format":"accelmap-facts","version":1,"objects":[],"diagnostics":[{"severity":5}]})");
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message().find("severity"), std::string::npos);
}

TEST(NaturalLess, NumbersCompareAsNumbers) {
  EXPECT_TRUE(natural_less("numa:2", "numa:10"));
  EXPECT_FALSE(natural_less("numa:10", "numa:2"));
  EXPECT_TRUE(natural_less("pci:0000:00:02.0", "pci:0000:00:10.0"));
  EXPECT_TRUE(natural_less("a", "ab"));
  EXPECT_FALSE(natural_less("a", "a"));
}

}  // namespace
}  // namespace accelmap
