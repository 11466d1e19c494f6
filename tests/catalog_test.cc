#include "accelmap/catalog.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "test_util.h"

namespace accelmap {
namespace {

TEST(Catalog, BuiltinIsConsistent) {
  const FunctionCatalog& c = FunctionCatalog::builtin();
  EXPECT_GT(c.functions().size(), 50u);
  ASSERT_NE(c.lookup("uacce.algorithm", "zlib"), nullptr);
  EXPECT_EQ(*c.lookup("uacce.algorithm", "zlib"), (std::vector<std::string>{"compress.zlib", "decompress.zlib"}));
  EXPECT_EQ(*c.lookup("idxd.dsa.opcode", "0x03"), (std::vector<std::string>{"dma.memmove"}));
  EXPECT_EQ(*c.lookup("idxd.iax.opcode", "0x43"), (std::vector<std::string>{"compress.deflate"}));
  EXPECT_EQ(c.lookup("uacce.algorithm", "no-such-algorithm"), nullptr);
  EXPECT_FALSE(c.describe("compress.deflate").empty());
}

// builtin() is built from tables generated at configure time; it must be the
// catalog merge_json makes of data/functions.json, which also checks the file.
TEST(Catalog, BuiltinTablesMatchTheJsonFile) {
  std::ifstream in(testing::source_dir() + "/data/functions.json", std::ios::binary);
  ASSERT_TRUE(in);
  std::stringstream text;
  text << in.rdbuf();
  FunctionCatalog parsed;
  Status s = parsed.merge_json(text.str(), "data/functions.json");
  ASSERT_TRUE(s.is_ok()) << s.message();
  const FunctionCatalog& builtin = FunctionCatalog::builtin();
  EXPECT_EQ(parsed.functions(), builtin.functions());
  EXPECT_TRUE(parsed == builtin) << "the mappings differ";
  FunctionCatalog changed = builtin;
  ASSERT_TRUE(changed.merge_json(R"({"format":"accelmap-catalog","version":1,
    "mappings":[{"source":"uacce.algorithm","name":"zlib","functions":["compress.zlib"]}]})", "t").is_ok());
  EXPECT_FALSE(changed == builtin);
}

TEST(Catalog, PciClassPrefixes) {
  FunctionCatalog c = FunctionCatalog::builtin();
  ASSERT_TRUE(c.merge_json(R"({"format":"accelmap-catalog","version":1,
    "mappings":[{"source":"pci.class","name":"1080","functions":["crypto.rng"]}]})", "t").is_ok());
  ASSERT_NE(c.lookup("pci.class", "0x108000"), nullptr);
  EXPECT_EQ(c.lookup("pci.class", "0x108000")->front(), "crypto.rng");
}

TEST(Catalog, UserFileExtendsAndOverrides) {
  std::string d = testing::make_temp_dir();
  testing::write_file(d, "site.json", R"({"format":"accelmap-catalog","version":1,
    "functions":{"site.genomics.smith-waterman":"Smith-Waterman alignment bitstream"},
    "mappings":[{"source":"fpga.afu_id","name":"D8424DC4-A4A3-C413-F89E-433683F9040B",
                 "functions":["site.genomics.smith-waterman"]},
                {"source":"uacce.algorithm","name":"zlib","functions":["compress.zlib"]}]})");
  auto c = FunctionCatalog::load({d + "/site.json"});
  ASSERT_TRUE(c) << c.error().message();
  ASSERT_NE(c->lookup("fpga.afu_id", "d8424dc4-a4a3-c413-f89e-433683f9040b"), nullptr);
  EXPECT_EQ(*c->lookup("uacce.algorithm", "zlib"), (std::vector<std::string>{"compress.zlib"}));
  EXPECT_NE(c->lookup("idxd.dsa.opcode", "0x03"), nullptr);  // built-in still there
}

TEST(Catalog, BadFilesNameTheProblem) {
  std::string d = testing::make_temp_dir();
  testing::write_file(d, "a.json", R"({"format":"accelmap-catalog","version":1,
    "mappings":[{"source":"x","name":"y","functions":["not.defined.anywhere"]}]})");
  auto c = FunctionCatalog::load({d + "/a.json"});
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message().find("not.defined.anywhere"), std::string::npos);
  auto missing = FunctionCatalog::load({d + "/none.json"});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), StatusCode::kNotFound);
  testing::write_file(d, "b.json", "[1,2");
  EXPECT_FALSE(FunctionCatalog::load({d + "/b.json"}));
}

}  // namespace
}  // namespace accelmap
