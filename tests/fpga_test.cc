// fpga provider against the hand-written N3000-style trees (before and after
// reprogramming the AFU), the site catalog tests/trees/fpga-catalog.json, and
// small malformed trees. Every expected value was read by hand from the
// trees' files (tests/trees/fpga-n3000-*/README.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "accelmap/discover.h"
#include "providers/fpga_id.h"
#include "test_util.h"

namespace accelmap {
namespace {

using testing::make_link;
using testing::make_temp_dir;
using testing::source_dir;
using testing::write_file;

constexpr const char* kNlb0 = "d8424dc4-a4a3-c413-f89e-433683f9040b";
constexpr const char* kFakeDeflate = "c0ffee00-d0d0-4eed-beef-00000000de11";
constexpr const char* kCompat = "a3b5c7d9-e1f3-4a5b-8c7d-9e0f1a2b3c4d";
constexpr const char* kPortDir = "/sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/fpga_region/region0/dfl-port.0";

std::string tree(const std::string& name) { return source_dir() + "/tests/trees/" + name; }
std::string site_catalog() { return source_dir() + "/tests/trees/fpga-catalog.json"; }

FactSet discover_at(const std::string& dir, std::vector<std::string> catalogs = {},
                    const std::string& providers = "pci,fpga") {
  return testing::discover_with(dir, providers, catalogs);
}


const Diagnostic* find_diag(const FactSet& f, const std::string& path_part, const std::string& message_part) {
  for (const Diagnostic& d : f.diagnostics())
    if (d.path.find(path_part) != std::string::npos && d.message.find(message_part) != std::string::npos) return &d;
  return nullptr;
}

TEST(FpgaId, NormalisesBothKernelSpellings) {
  using providers::normalize_fpga_id;
  // The kernel's "%016llx%016llx" form and the dashed %pU form, any case.
  EXPECT_EQ(normalize_fpga_id("d8424dc4a4a3c413f89e433683f9040b"), kNlb0);
  EXPECT_EQ(normalize_fpga_id("D8424DC4A4A3C413F89E433683F9040B"), kNlb0);
  EXPECT_EQ(normalize_fpga_id("d8424dc4-a4a3-c413-f89e-433683f9040b"), kNlb0);
  EXPECT_EQ(normalize_fpga_id("D8424DC4-A4A3-C413-F89E-433683F9040B"), kNlb0);
  // Anything else is refused, not guessed.
  EXPECT_EQ(normalize_fpga_id(""), std::nullopt);
  EXPECT_EQ(normalize_fpga_id("d8424dc4a4a3c413f89e433683f9040"), std::nullopt);    // 31 digits
  EXPECT_EQ(normalize_fpga_id("d8424dc4a4a3c413f89e433683f9040bb"), std::nullopt);  // 33 digits
  EXPECT_EQ(normalize_fpga_id("g8424dc4a4a3c413f89e433683f9040b"), std::nullopt);   // not hex
  EXPECT_EQ(normalize_fpga_id("d8424dc4a-4a3-c413-f89e-433683f9040b"), std::nullopt);  // dash misplaced
  EXPECT_EQ(normalize_fpga_id("d8424dc4--4a3-c413-f89e-433683f9040b"), std::nullopt);  // two dashes
  EXPECT_EQ(normalize_fpga_id("0xd8424dc4a4a3c413f89e433683f9040b"), std::nullopt);
}

TEST(Fpga, N3000BeforeIsAnOperatingRegionWithItsCard) {
  FactSet f = discover_at(tree("fpga-n3000-before"), {site_catalog()});
  // One accelerator per card: region1 is region0's partial-reconfiguration region.
  ASSERT_EQ(f.of_kind("accelerator").size(), 1u);
  const Object* acc = f.find("fpga:region0");
  ASSERT_NE(acc, nullptr);
  EXPECT_EQ(acc->kind, "accelerator");
  EXPECT_EQ(f.find("fpga:region1"), nullptr);
  EXPECT_EQ(*acc->get_string("family"), "fpga");
  EXPECT_EQ(*acc->get_string("pci"), "pci:0000:01:00.0");
  EXPECT_EQ(acc->get_int("numa_node"), 0);
  EXPECT_EQ(*acc->get_string("driver"), "dfl-pci");
  EXPECT_EQ(*acc->get_string("state"), "operating");
  EXPECT_EQ(acc->find("state")->source, "/sys/class/fpga_manager/fpga0/state");
  EXPECT_EQ(*acc->get_string("compat_id"), kCompat);  // from region1, normalised
  EXPECT_EQ(acc->find("compat_id")->source, "/sys/class/fpga_region/region1/compat_id");
  EXPECT_EQ(*acc->get_strings("afu_id"), std::vector<std::string>{kNlb0});
  EXPECT_EQ(*acc->get_string("bitstream_id"), "0x23000410010309");
  EXPECT_EQ(*acc->get_string("bitstream_metadata"), "0x1192012302");
  EXPECT_EQ(acc->get_int("ports_num"), 1);
  EXPECT_EQ(acc->get_int("socket_id"), 0);

  const Object* mgr = f.find("fpga_manager:fpga0");
  ASSERT_NE(mgr, nullptr);
  EXPECT_EQ(*mgr->get_string("name"), "DFL FME FPGA Manager");
  EXPECT_EQ(*mgr->get_string("region"), "fpga:region0");
  EXPECT_TRUE(mgr->get_strings("status")->empty());
  const Object* br = f.find("fpga_bridge:br0");
  ASSERT_NE(br, nullptr);
  EXPECT_EQ(*br->get_string("state"), "enabled");
  const Object* port = f.find("fpga_port:dfl-port.0");
  ASSERT_NE(port, nullptr);
  EXPECT_EQ(*port->get_string("afu_id"), kNlb0);
  EXPECT_EQ(port->get_int("id"), 0);
  EXPECT_EQ(*port->get_string("power_state"), "0x0");
  const Object* dfl = f.find("dfl:dfl_dev.0");
  ASSERT_NE(dfl, nullptr);
  EXPECT_EQ(dfl->get_int("type"), 0);
  EXPECT_EQ(dfl->get_int("feature_id"), 0xd);
  EXPECT_EQ(*dfl->get_string("parent"), "dfl-fme.0");
  EXPECT_EQ(*dfl->get_string("region"), "fpga:region0");
}

TEST(Fpga, ReprogrammingTheAfuChangesTheFunctionsAsTheCatalogSays) {
  FactSet before = discover_at(tree("fpga-n3000-before"), {site_catalog()});
  FactSet after = discover_at(tree("fpga-n3000-after"), {site_catalog()});
  EXPECT_EQ(testing::function_names(before, "fpga:region0"),
            (std::set<std::string>{"fpga.reconfigurable", "site.loopback.nlb"}));
  EXPECT_EQ(testing::function_names(after, "fpga:region0"),
            (std::set<std::string>{"fpga.reconfigurable", "compress.deflate", "decompress.deflate"}));
  // Only the AFU changed: same static region (compat_id) and FIM bitstream.
  EXPECT_EQ(*after.find("fpga:region0")->get_strings("afu_id"), std::vector<std::string>{kFakeDeflate});
  EXPECT_EQ(*after.find("fpga:region0")->get_string("compat_id"), kCompat);
  EXPECT_EQ(*after.find("fpga:region0")->get_string("bitstream_id"), "0x23000410010309");

  const Object* fn = after.find("fn:fpga:region0:compress.deflate");
  ASSERT_NE(fn, nullptr);
  EXPECT_EQ(*fn->get_string("state"), "available");  // manager operating
  EXPECT_EQ(*fn->get_strings("via"), std::vector<std::string>{std::string("fpga.afu_id=") + kFakeDeflate});
  EXPECT_EQ(fn->find("name")->source, std::string(kPortDir) + "/afu_id");
  // Neither tree leaves a diagnostic about its AFU: the catalog knows both.
  EXPECT_EQ(find_diag(before, "afu_id", ""), nullptr);
  EXPECT_EQ(find_diag(after, "afu_id", ""), nullptr);
}

TEST(Fpga, UnknownAfuIsADiagnosticAndARawFactNeverDropped) {
  FactSet f = discover_at(tree("fpga-n3000-before"));  // built-in catalog only
  EXPECT_EQ(testing::function_names(f, "fpga:region0"), std::set<std::string>{"fpga.reconfigurable"});
  const Diagnostic* d = find_diag(f, std::string(kPortDir) + "/afu_id", kNlb0);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->severity, Severity::kInfo);
  EXPECT_EQ(d->provider, "fpga");
  EXPECT_NE(d->message.find("fpga.afu_id"), std::string::npos);
  EXPECT_NE(d->message.find("--catalog"), std::string::npos);
  // The id itself is kept on the accelerator and on the port.
  EXPECT_EQ(*f.find("fpga:region0")->get_strings("afu_id"), std::vector<std::string>{kNlb0});
  EXPECT_EQ(*f.find("fpga_port:dfl-port.0")->get_string("afu_id"), kNlb0);
  // The compat id is unknown to both catalogs: also an info diagnostic.
  const Diagnostic* c = find_diag(f, "/sys/class/fpga_region/region1/compat_id", kCompat);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->severity, Severity::kInfo);
}

// A DFL card with the given afu_id / compat_id / manager state files (nullptr = absent).
std::string dfl_tree(const char* afu_id, const char* compat_id, const char* mgr_state) {
  std::string root = make_temp_dir();
  const std::string dev = "sys/devices/pci0000:00/0000:00:02.0";
  const std::string r0 = dev + "/fpga_region/region0";
  make_link(root, "sys/class/fpga_region/region0", "../../devices/pci0000:00/0000:00:02.0/fpga_region/region0");
  if (compat_id) write_file(root, r0 + "/compat_id", compat_id);
  write_file(root, r0 + "/dfl-port.0/id", "0\n");
  if (afu_id) write_file(root, r0 + "/dfl-port.0/afu_id", afu_id);
  const std::string mgr = r0 + "/dfl-fme.0/dfl-fme-mgr.0/fpga_manager/fpga0";
  write_file(root, mgr + "/name", "DFL FME FPGA Manager\n");
  if (mgr_state) write_file(root, mgr + "/state", mgr_state);
  make_link(root, "sys/class/fpga_manager/fpga0",
            "../../devices/pci0000:00/0000:00:02.0/fpga_region/region0/dfl-fme.0/dfl-fme-mgr.0/fpga_manager/fpga0");
  return root;
}

TEST(Fpga, AfuIdIsLookedUpInCanonicalFormWhateverTheFileSays) {
  // Upper case with dashes in the file, lower case with dashes in the catalog.
  std::string root = dfl_tree("D8424DC4-A4A3-C413-F89E-433683F9040B\n", nullptr, "operating\n");
  FactSet f = discover_at(root, {site_catalog()}, "fpga");
  EXPECT_EQ(testing::function_names(f, "fpga:region0"), (std::set<std::string>{"fpga.reconfigurable", "site.loopback.nlb"}));
  EXPECT_EQ(*f.find("fpga:region0")->get_strings("afu_id"), std::vector<std::string>{kNlb0});
  // Without PCI facts (providers=fpga) the PCI key still comes from the path.
  EXPECT_EQ(*f.find("fpga:region0")->get_string("pci"), "pci:0000:00:02.0");
  EXPECT_EQ(f.find("fpga:region0")->find("numa_node"), nullptr);
}

TEST(Fpga, MalformedCompatIdIsDiagnosedAndNotLookedUp) {
  std::string root = dfl_tree("d8424dc4a4a3c413f89e433683f9040b\n", "not-a-compat-id\n", "operating\n");
  FactSet f = discover_at(root, {site_catalog()}, "fpga");
  const Object* acc = f.find("fpga:region0");
  ASSERT_NE(acc, nullptr);
  EXPECT_EQ(acc->find("compat_id"), nullptr);
  const Diagnostic* d = find_diag(f, "/sys/class/fpga_region/region0/compat_id", "not a UUID");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->severity, Severity::kWarning);
  EXPECT_EQ(find_diag(f, "compat_id", "unknown fpga.compat_id"), nullptr);
  // The AFU is still read and mapped.
  EXPECT_EQ(testing::function_names(f, "fpga:region0"), (std::set<std::string>{"fpga.reconfigurable", "site.loopback.nlb"}));
}

TEST(Fpga, MissingAfuIdAndManagerStateAreDiagnosed) {
  std::string root = dfl_tree(nullptr, "a3b5c7d9e1f34a5b8c7d9e0f1a2b3c4d\n", nullptr);
  FactSet f = discover_at(root, {}, "fpga");
  const Object* acc = f.find("fpga:region0");
  ASSERT_NE(acc, nullptr);
  EXPECT_EQ(acc->find("afu_id"), nullptr);
  EXPECT_EQ(acc->find("state"), nullptr);
  EXPECT_EQ(*acc->get_string("compat_id"), kCompat);  // the region's own file
  EXPECT_NE(find_diag(f, "dfl-port.0/afu_id", ""), nullptr);
  EXPECT_NE(find_diag(f, "/sys/class/fpga_manager/fpga0/state", ""), nullptr);
  // Nothing says the region is operating: its one function's state is unknown.
  EXPECT_EQ(testing::function_names(f, "fpga:region0"), std::set<std::string>{"fpga.reconfigurable"});
  EXPECT_EQ(*f.find("fn:fpga:region0:fpga.reconfigurable")->get_string("state"), "unknown");
  EXPECT_EQ(f.find("fpga_port:dfl-port.0")->find("afu_id"), nullptr);
}

TEST(Fpga, ManagerInAnErrorStateFailsTheFunctions) {
  std::string root = dfl_tree("d8424dc4a4a3c413f89e433683f9040b\n", nullptr, "write error\n");
  FactSet f = discover_at(root, {site_catalog()}, "fpga");
  EXPECT_EQ(*f.find("fpga:region0")->get_string("state"), "write error");
  EXPECT_EQ(*f.find("fn:fpga:region0:site.loopback.nlb")->get_string("state"), "failed");
}

TEST(Fpga, NonDflRegionTakesTheOnlyManager) {
  // Device-tree style (of-fpga-region): region and manager are not nested.
  std::string root = make_temp_dir();
  write_file(root, "sys/devices/platform/soc/ff706000.fpga-mgr/fpga_manager/fpga0/state", "operating\n");
  make_link(root, "sys/class/fpga_manager/fpga0", "../../devices/platform/soc/ff706000.fpga-mgr/fpga_manager/fpga0");
  write_file(root, "sys/devices/platform/soc/soc:base-fpga-region/fpga_region/region0/compat_id",
             "A3B5C7D9-E1F3-4A5B-8C7D-9E0F1A2B3C4D\n");
  make_link(root, "sys/class/fpga_region/region0", "../../devices/platform/soc/soc:base-fpga-region/fpga_region/region0");
  FactSet f = discover_at(root, {}, "fpga");
  const Object* acc = f.find("fpga:region0");
  ASSERT_NE(acc, nullptr);
  EXPECT_EQ(acc->find("pci"), nullptr);
  EXPECT_EQ(*acc->get_string("state"), "operating");
  EXPECT_EQ(*acc->get_string("compat_id"), kCompat);
  EXPECT_EQ(f.find("fpga_manager:fpga0")->find("region")->provenance, Provenance::kDerived);
  EXPECT_EQ(acc->find("afu_id"), nullptr);  // no DFL ports, nothing to diagnose
  EXPECT_EQ(find_diag(f, "afu_id", ""), nullptr);
}

}  // namespace
}  // namespace accelmap
