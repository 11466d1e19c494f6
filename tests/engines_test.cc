// Offload-engine providers (uacce, idxd, qat, dma, pci_class, crypto_registry)
// against the hand-written trees of tests/trees, recorded corpus trees and
// small malformed trees. Every expected value was read by hand from the files
// (see each tree's README.md and tests/trees/make_engine_trees.py).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "accelmap/discover.h"
#include "parse/parse.h"
#include "test_util.h"

namespace accelmap {
namespace {

using testing::corpus_root;
using testing::make_link;
using testing::make_temp_dir;
using testing::source_dir;
using testing::write_file;

FactSet discover_at(const std::string& dir, const std::string& providers = "") {
  return testing::discover_with(dir, providers);
}

std::string tree(const std::string& name) { return source_dir() + "/tests/trees/" + name; }

std::string str_attr(const FactSet& f, const std::string& key, const std::string& attr) {
  const Object* o = f.find(key);
  if (!o) return "<no " + key + ">";
  std::optional<std::string_view> s = o->get_string(attr);
  return s ? std::string(*s) : "<no " + attr + ">";
}

std::vector<std::string> strings_attr(const FactSet& f, const std::string& key, const std::string& attr) {
  const Object* o = f.find(key);
  if (!o || !o->get_strings(attr)) return {"<none>"};
  return o->get_strings(attr)->to_vector();
}

using testing::function_names;

bool has_diag(const FactSet& f, const std::string& provider, const std::string& needle) {
  for (const Diagnostic& d : f.diagnostics())
    if (d.provider == provider && d.message.find(needle) != std::string::npos) return true;
  return false;
}

using Bits = std::vector<std::uint32_t>;

// --- op_cap / op_config parser ---

TEST(IdxdOpcodeBits, NewestFormatAccelConfigDocExample) {
  // 0x003f03ff: bits 0-9, 16-21; 0x00fc00ff (bits 32..63): 32-39, 50-55.
  auto b = parse::idxd_opcode_bits("00000000,00000000,00000000,00000000,00000000,00000000,00fc00ff,003f03ff\n");
  ASSERT_TRUE(b);
  Bits want;
  for (std::uint32_t i = 0; i <= 9; ++i) want.push_back(i);
  for (std::uint32_t i = 16; i <= 21; ++i) want.push_back(i);
  for (std::uint32_t i = 32; i <= 39; ++i) want.push_back(i);
  for (std::uint32_t i = 50; i <= 55; ++i) want.push_back(i);
  EXPECT_EQ(*b, want);
}

TEST(IdxdOpcodeBits, NewestFormatTopWordIsBit224) {
  auto b = parse::idxd_opcode_bits("80000001,00000000,00000000,00000000,00000000,00000000,00000000,00000000");
  ASSERT_TRUE(b);
  EXPECT_EQ(*b, (Bits{224, 255}));
}

TEST(IdxdOpcodeBits, SingleLlxIsLow64Bits) {
  EXPECT_EQ(parse::idxd_opcode_bits("0x1003f03ff"), (Bits{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 17, 18, 19, 20, 21, 32}));
  EXPECT_EQ(parse::idxd_opcode_bits("0"), Bits{});
}

TEST(IdxdOpcodeBits, FourLlxWordsLeastSignificantFirst) {
  // IAA: word0 0xd = 0x00, 0x02, 0x03; word1 0x7f331c = 0x42-0x44, 0x48, 0x49, 0x4c, 0x4d, 0x50-0x56.
  auto b = parse::idxd_opcode_bits("0xd 0x7f331c 0 0\n");
  ASSERT_TRUE(b);
  EXPECT_EQ(*b, (Bits{0x00, 0x02, 0x03, 0x42, 0x43, 0x44, 0x48, 0x49, 0x4c, 0x4d, 0x50, 0x51, 0x52, 0x53, 0x54, 0x55,
                      0x56}));
  EXPECT_EQ(parse::idxd_opcode_bits("0 0 0 0x1"), (Bits{192}));
}

TEST(IdxdOpcodeBits, Garbage) {
  for (const char* s : {"", "  \n", "zz", "0x", "0xg1", "0x1 zz", "0x1,0x2 0x3", "0x1 0x2 0x3 0x4 0x5",
                        "123456789,0", "0,0,0,0,0,0,0,0,0", "0x11111111111111111", "1 2", "-1"}) {
    EXPECT_FALSE(parse::idxd_opcode_bits(s)) << "'" << s << "'";
  }
}

// --- idxd: xeon-dsa-iaa ---

TEST(Idxd, DsaFunctionsAvailableOnlyThroughEnabledWq) {
  FactSet f = discover_at(tree("xeon-dsa-iaa"));
  EXPECT_EQ(str_attr(f, "idxd:dsa0", "family"), "dsa");
  EXPECT_EQ(str_attr(f, "idxd:dsa0", "pci"), "pci:0000:6a:01.0");
  EXPECT_EQ(str_attr(f, "idxd:dsa0", "state"), "enabled");
  EXPECT_EQ(f.find("idxd:dsa0")->get_int("max_work_queues"), 8);
  EXPECT_EQ(f.find("idxd:dsa0")->get_int("numa_node"), 0);
  // memmove (0x03): wq0.0 is enabled in group0.0 (2 engines) and its op_config has 0x03;
  // wq0.1 is disabled, so it does not count.
  EXPECT_EQ(str_attr(f, "fn:idxd:dsa0:dma.memmove", "state"), "available");
  EXPECT_EQ(strings_attr(f, "fn:idxd:dsa0:dma.memmove", "queues"), std::vector<std::string>{"wq0.0"});
  EXPECT_EQ(strings_attr(f, "fn:idxd:dsa0:dma.memmove", "via"), std::vector<std::string>{"idxd.dsa.opcode=0x03"});
  EXPECT_EQ(f.find("fn:idxd:dsa0:dma.memmove")->get_int("instances_total"), 1);
  EXPECT_EQ(str_attr(f, "fn:idxd:dsa0:dma.cache-flush", "state"), "available");  // bit 32 = 0x20
  // DIF opcodes 0x12-0x15 are in op_cap but outside wq0.0's op_config; only the
  // disabled wq0.1 allows them.
  for (const char* fn : {"dma.dif-check", "dma.dif-insert", "dma.dif-strip", "dma.dif-update"}) {
    EXPECT_EQ(str_attr(f, std::string("fn:idxd:dsa0:") + fn, "state"), "not-configured") << fn;
    EXPECT_EQ(strings_attr(f, std::string("fn:idxd:dsa0:") + fn, "queues"), std::vector<std::string>{}) << fn;
  }
  // 0x00-0x02 (noop, batch, drain) are control opcodes, not functions; 0x0a is not in op_cap.
  EXPECT_EQ(function_names(f, "idxd:dsa0").size(), 14u);
  EXPECT_EQ(f.find("fn:idxd:dsa0:dma.translation-fetch"), nullptr);
  EXPECT_EQ(str_attr(f, "idxd:wq0.1", "state"), "disabled");
  EXPECT_EQ(str_attr(f, "idxd:wq0.0", "mode"), "dedicated");
  EXPECT_EQ(str_attr(f, "idxd:wq0.0", "name"), "app1");
  EXPECT_FALSE(has_diag(f, "idxd", ""));
}

TEST(Idxd, IaxCompressDecompressOnSharedWq) {
  FactSet f = discover_at(tree("xeon-dsa-iaa"));
  EXPECT_EQ(str_attr(f, "idxd:iax1", "family"), "iaa");
  EXPECT_EQ(str_attr(f, "idxd:iax1", "pci"), "pci:0000:6a:02.0");
  for (const char* fn : {"compress.deflate", "decompress.deflate", "dma.crc64", "analytics.scan"}) {
    const std::string k = std::string("fn:idxd:iax1:") + fn;
    EXPECT_EQ(str_attr(f, k, "state"), "available") << fn;
    EXPECT_EQ(strings_attr(f, k, "queues"), std::vector<std::string>{"wq1.0"}) << fn;
    EXPECT_EQ(strings_attr(f, k, "shared_queues"), std::vector<std::string>{"wq1.0"}) << fn;
  }
  EXPECT_EQ(strings_attr(f, "fn:idxd:iax1:compress.deflate", "via"),
            std::vector<std::string>{"idxd.iax.opcode=0x43"});
  // 0x48 and 0x49 (zero-decompress 32/16) give one function with both sources.
  EXPECT_EQ(strings_attr(f, "fn:idxd:iax1:analytics.zero-decompress", "via"),
            (std::vector<std::string>{"idxd.iax.opcode=0x48", "idxd.iax.opcode=0x49"}));
  EXPECT_EQ(function_names(f, "idxd:iax1").size(), 13u);
}

// The kernel makes groups, engines and WQs folders of their device and links
// them from the bus; idxd reads them through the device's folder. A recording
// that keeps them as plain folders on the bus only, and a kernel whose groups
// do not list their engines (the engines name their group), give the same answer.
TEST(Idxd, ChildrenOnTheBusOnlyAndEnginesNamingGroups) {
  std::string root = make_temp_dir();
  const std::string bus = "sys/bus/dsa/devices/";
  write_file(root, bus + "dsa0/op_cap", "0x8\n");  // memmove (0x03)
  write_file(root, bus + "dsa0/state", "enabled\n");
  write_file(root, bus + "engine0.0/group_id", "1\n");  // no groupN.M/engines anywhere
  write_file(root, bus + "group0.1/grouped_workqueues", "wq0.0\n");
  for (const char* wq : {"wq0.0", "wq0.1"}) {
    write_file(root, bus + wq + "/state", "enabled\n");
    write_file(root, bus + wq + "/mode", "dedicated\n");
    write_file(root, bus + wq + "/type", "user\n");
  }
  write_file(root, bus + "wq0.0/group_id", "1\n");  // the group with the engine
  write_file(root, bus + "wq0.1/group_id", "0\n");  // a group without one: never runs
  FactSet f = discover_at(root, "idxd");
  EXPECT_EQ(str_attr(f, "fn:idxd:dsa0:dma.memmove", "state"), "available");
  EXPECT_EQ(strings_attr(f, "fn:idxd:dsa0:dma.memmove", "queues"), std::vector<std::string>{"wq0.0"});
  EXPECT_EQ(f.find("idxd:dsa0")->get_int("enabled_work_queues"), 1);
  EXPECT_EQ(str_attr(f, "idxd:wq0.1", "mode"), "dedicated");
}

TEST(Idxd, UnknownOpcodeBitIsDiagnosedAndKept) {
  std::string root = make_temp_dir();
  write_file(root, "sys/devices/pci0000:00/0000:00:01.0/dsa0/op_cap", "0x8000000000000008\n");
  write_file(root, "sys/devices/pci0000:00/0000:00:01.0/dsa0/state", "enabled\n");
  make_link(root, "sys/bus/dsa/devices/dsa0", "../../../devices/pci0000:00/0000:00:01.0/dsa0");
  FactSet f = discover_at(root, "idxd");
  EXPECT_EQ(str_attr(f, "fn:idxd:dsa0:dma.memmove", "state"), "not-configured");  // no WQ at all
  EXPECT_EQ(strings_attr(f, "idxd:dsa0", "unknown_opcodes"), std::vector<std::string>{"0x3f"});
  EXPECT_TRUE(has_diag(f, "idxd", "unknown idxd.dsa.opcode '0x3f'"));
  EXPECT_EQ(str_attr(f, "idxd:dsa0", "pci"), "pci:0000:00:01.0");
}

TEST(Idxd, GarbageOpCapIsDiagnosed) {
  std::string root = make_temp_dir();
  write_file(root, "sys/bus/dsa/devices/iax3/op_cap", "hello world\n");
  FactSet f = discover_at(root, "idxd");
  ASSERT_NE(f.find("idxd:iax3"), nullptr);
  EXPECT_TRUE(function_names(f, "idxd:iax3").empty());
  EXPECT_TRUE(has_diag(f, "idxd", "not an opcode bitmap"));
}

// --- uacce: kunpeng-hisi ---

TEST(Uacce, KunpengDevices) {
  FactSet f = discover_at(tree("kunpeng-hisi"));
  EXPECT_EQ(str_attr(f, "uacce:hisi_zip-0", "device_type"), "compression engine");
  EXPECT_EQ(str_attr(f, "uacce:hisi_sec2-0", "device_type"), "crypto engine");
  EXPECT_EQ(str_attr(f, "uacce:hisi_hpre-0", "device_type"), "public-key engine");
  EXPECT_EQ(str_attr(f, "uacce:hisi_zip-0", "pci"), "pci:0000:75:00.0");
  EXPECT_EQ(str_attr(f, "uacce:hisi_zip-0", "api"), "hisi_qm_v2");
  EXPECT_EQ(str_attr(f, "uacce:hisi_zip-0", "family"), "uacce");
  EXPECT_EQ(f.find("uacce:hisi_zip-0")->get_bool("sva"), true);
  EXPECT_EQ(f.find("uacce:hisi_zip-0")->get_int("available_instances"), 256);
  EXPECT_EQ(f.find("uacce:hisi_zip-1")->get_int("numa_node"), 1);
  EXPECT_EQ(str_attr(f, "fn:uacce:hisi_zip-0:compress.zlib", "state"), "available");
  EXPECT_EQ(f.find("fn:uacce:hisi_zip-0:compress.zlib")->get_int("instances_free"), 256);
  EXPECT_EQ(strings_attr(f, "fn:uacce:hisi_zip-0:compress.zstd", "via"),
            std::vector<std::string>{"uacce.algorithm=lz77_zstd"});
  EXPECT_EQ(function_names(f, "uacce:hisi_zip-0").size(), 7u);  // zlib, gzip, deflate x2 + zstd
  EXPECT_EQ(str_attr(f, "fn:uacce:hisi_hpre-0:crypto.pke.sm2", "state"), "available");
  EXPECT_EQ(function_names(f, "uacce:hisi_hpre-0").size(), 7u);
}

TEST(Uacce, IsolatedDeviceIsolatesAllFunctions) {
  FactSet f = discover_at(tree("kunpeng-hisi"));
  EXPECT_EQ(str_attr(f, "uacce:hisi_zip-1", "state"), "isolated");
  EXPECT_EQ(f.find("uacce:hisi_zip-1")->get_int("isolate_strategy"), 4);
  auto fns = function_names(f, "uacce:hisi_zip-1");
  ASSERT_EQ(fns.size(), 7u);
  for (const std::string& fn : fns) EXPECT_EQ(str_attr(f, "fn:uacce:hisi_zip-1:" + fn, "state"), "isolated") << fn;
}

TEST(Uacce, UnknownAlgorithmAndOutOfTreeLayout) {
  std::string root = make_temp_dir();
  const std::string dev = "sys/devices/pci0000:00/0000:00:02.0/uacce/hisi_zip-3";
  write_file(root, dev + "/algorithms", "zlib\nbrotli\n");
  write_file(root, dev + "/available_instances", "");  // read failed when recorded (ENODEV)
  write_file(root, dev + "/attrs/isolate", "0\n");
  write_file(root, dev + "/node_id", "2\n");
  make_link(root, "sys/class/uacce/hisi_zip-3", "../../devices/pci0000:00/0000:00:02.0/uacce/hisi_zip-3");
  FactSet f = discover_at(root, "uacce");
  EXPECT_TRUE(has_diag(f, "uacce", "unknown uacce.algorithm 'brotli'"));
  EXPECT_EQ(strings_attr(f, "uacce:hisi_zip-3", "unknown_algorithms"), std::vector<std::string>{"brotli"});
  EXPECT_EQ(f.find("uacce:hisi_zip-3")->find("available_instances"), nullptr);
  EXPECT_EQ(f.find("uacce:hisi_zip-3")->get_int("numa_node"), 2);
  EXPECT_EQ(str_attr(f, "fn:uacce:hisi_zip-3:decompress.zlib", "state"), "available");
  EXPECT_EQ(f.find("fn:uacce:hisi_zip-3:decompress.zlib")->find("instances_free"), nullptr);
}

// --- qat ---

TEST(Qat, SymAsymVersusDc) {
  FactSet f = discover_at(tree("qat-4xxx"));
  const std::string a = "qat:0000:6b:00.0", b = "qat:0000:e8:00.0";
  EXPECT_EQ(str_attr(f, a, "cfg_services"), "sym;asym");
  EXPECT_EQ(str_attr(f, a, "state"), "up");
  EXPECT_EQ(str_attr(f, a, "family"), "qat");
  EXPECT_EQ(f.find(a)->get_int("num_rps"), 64);
  EXPECT_EQ(str_attr(f, "fn:" + a + ":crypto.pke.rsa", "state"), "available");
  EXPECT_EQ(f.find("fn:" + a + ":crypto.pke.rsa")->get_int("instances_total"), 64);
  EXPECT_EQ(f.find("fn:" + a + ":compress.deflate"), nullptr);
  EXPECT_EQ(str_attr(f, "fn:" + b + ":compress.deflate", "state"), "available");
  EXPECT_EQ(f.find("fn:" + b + ":crypto.cipher.aes-cbc"), nullptr);  // /proc/crypto must not add it to dc
  EXPECT_EQ(function_names(f, b).size(), 2u);
  // /proc/crypto confirms the configured ones.
  EXPECT_EQ(strings_attr(f, "fn:" + a + ":crypto.cipher.aes-cbc", "via"),
            (std::vector<std::string>{"crypto.driver=qat_aes_cbc", "qat.service=sym"}));
  EXPECT_EQ(strings_attr(f, "fn:" + b + ":decompress.deflate", "via"),
            (std::vector<std::string>{"crypto.driver=qat_deflate", "qat.service=dc"}));
  const Object* reg = f.find("crypto_registry");
  ASSERT_NE(reg, nullptr);
  EXPECT_EQ(reg->get_int("algorithms"), 9);
  EXPECT_EQ(reg->get_int("hardware_backed"), 7);
}

// With the PCI ID database, discover() reads /proc/crypto ahead on its second
// thread (Prefetched::proc_crypto): the registry and the functions it adds or
// confirms are what crypto_registry finds reading it itself.
TEST(CryptoRegistry, ReadAheadGivesWhatItsOwnReadGives) {
  auto root = FsRoot::open(tree("qat-4xxx"));
  ASSERT_TRUE(static_cast<bool>(root));
  DiscoverOptions plain, named;
  named.pci_ids_path = testing::pci_ids_path();
  auto a = discover(*root, plain);
  auto b = discover(*root, named);
  ASSERT_TRUE(a && b);
  ASSERT_NE(a->find("crypto_registry"), nullptr);
  EXPECT_EQ(a->find("crypto_registry")->attrs, b->find("crypto_registry")->attrs);
  std::size_t functions = 0;
  for (const Object* fn : a->of_kind("function")) {
    const Object* other = b->find(fn->key);
    ASSERT_NE(other, nullptr) << fn->key;
    EXPECT_EQ(fn->attrs, other->attrs) << fn->key;
    ++functions;
  }
  EXPECT_EQ(functions, b->of_kind("function").size());
  EXPECT_GT(functions, 0u);
  // And the names were there to be read: the thread ran.
  EXPECT_TRUE(b->find("pci:0000:6b:00.0")->find("vendor_name"));
}

TEST(Qat, DownDeviceIsNotConfigured) {
  std::string root = make_temp_dir();
  const std::string dev = "sys/devices/pci0000:00/0000:01:00.0";
  write_file(root, dev + "/vendor", "0x8086\n");
  write_file(root, dev + "/device", "0x4942\n");
  write_file(root, dev + "/qat/state", "down\n");
  write_file(root, dev + "/qat/cfg_services", "asym;dc\n");
  make_link(root, "sys/bus/pci/devices/0000:01:00.0", "../../../devices/pci0000:00/0000:01:00.0");
  FactSet f = discover_at(root, "qat");
  EXPECT_EQ(str_attr(f, "qat:0000:01:00.0", "state"), "down");
  EXPECT_EQ(str_attr(f, "fn:qat:0000:01:00.0:compress.deflate", "state"), "not-configured");
  EXPECT_EQ(str_attr(f, "fn:qat:0000:01:00.0:crypto.pke.rsa", "state"), "not-configured");
  EXPECT_EQ(f.find("fn:qat:0000:01:00.0:crypto.cipher.aes-cbc"), nullptr);
}

TEST(Qat, C62xFromNfdRecordingHasVfCountAndNominalServices) {
  FactSet f = discover_at(corpus_root("nfd-qat-c62x"));
  const std::string k = "qat:0000:3b:00.0";
  ASSERT_NE(f.find(k), nullptr);
  // The flat recording has no virtfnN links or VF folders; sriov_numvfs says 16.
  EXPECT_EQ(f.find(k)->get_int("vf_count"), 16);
  EXPECT_EQ(f.find(k)->find("vfs"), nullptr);
  EXPECT_EQ(f.find(k)->get_int("numa_node"), 0);
  EXPECT_EQ(str_attr(f, k, "generation"), "c6xx");
  // No qat/ folder before GEN4: sym + asym + dc, nominal, state unknown.
  const Object* fn = f.find("fn:" + k + ":compress.deflate");
  ASSERT_NE(fn, nullptr);
  EXPECT_EQ(*fn->get_string("state"), "unknown");
  EXPECT_EQ(fn->find("state")->provenance, Provenance::kNominal);
  EXPECT_NE(f.find("fn:" + k + ":crypto.pke.rsa"), nullptr);
  EXPECT_NE(f.find("fn:" + k + ":crypto.cipher.aes-gcm"), nullptr);
  // Only one accelerator: the 0x0b4000 PF is claimed by qat, not pci_class.
  EXPECT_EQ(f.find("pcicls:0000:3b:00.0"), nullptr);
  EXPECT_EQ(f.of_kind("accelerator").size(), 1u);
}

TEST(Qat, VfsListedUnderPf) {
  std::string root = make_temp_dir();
  auto fn = [&](const std::string& bdf, const char* dev) {
    write_file(root, "sys/devices/pci0000:00/" + bdf + "/vendor", "0x8086\n");
    write_file(root, "sys/devices/pci0000:00/" + bdf + "/device", dev);
    make_link(root, "sys/bus/pci/devices/" + bdf, "../../../devices/pci0000:00/" + bdf);
  };
  fn("0000:00:01.0", "0x37c8\n");
  write_file(root, "sys/devices/pci0000:00/0000:00:01.0/sriov_numvfs", "2\n");
  fn("0000:00:01.1", "0x37c9\n");
  fn("0000:00:01.2", "0x37c9\n");
  make_link(root, "sys/devices/pci0000:00/0000:00:01.1/physfn", "../0000:00:01.0");
  make_link(root, "sys/devices/pci0000:00/0000:00:01.2/physfn", "../0000:00:01.0");
  FactSet f = discover_at(root, "qat");
  EXPECT_EQ(f.of_kind("accelerator").size(), 1u);
  EXPECT_EQ(strings_attr(f, "qat:0000:00:01.0", "vfs"),
            (std::vector<std::string>{"pci:0000:00:01.1", "pci:0000:00:01.2"}));
  EXPECT_EQ(f.find("qat:0000:00:01.0")->get_int("vf_count"), 2);
}

// --- dma ---

TEST(Dma, SixteenIoatChannels) {
  FactSet f = discover_at(corpus_root("hwloc-32em64t-2n8c+dax+nvme+mic+dimms"));
  int n = 0;
  for (const Object* a : f.of_kind("accelerator")) {
    if (*a->get_string("family") != "dma") continue;
    ++n;
    EXPECT_EQ(a->get_int("channels"), 1) << a->key;
    EXPECT_EQ(a->get_int("in_use"), 6) << a->key;
    EXPECT_EQ(*a->get_string("version"), "3.2") << a->key;
    EXPECT_EQ(*a->get_strings("cap"), (std::vector<std::string>{"copy", "intr"})) << a->key;
    // "copy" -> dma.memmove; "intr" is interrupt support, no function.
    EXPECT_EQ(str_attr(f, "fn:" + a->key + ":dma.memmove", "state"), "available");
  }
  EXPECT_EQ(n, 16);
  EXPECT_EQ(str_attr(f, "dma:0000:00:04.0", "pci"), "pci:0000:00:04.0");
  EXPECT_EQ(f.find("dma:0000:00:04.0")->get_int("numa_node"), 0);
  EXPECT_EQ(f.find("dma:0000:80:04.7")->get_int("numa_node"), 1);
  EXPECT_EQ(function_names(f, "dma:0000:80:04.7"), std::set<std::string>{"dma.memmove"});
}

// --- pci_class and crypto_registry ---

TEST(PciClass, RyzenCcpFoundByClass) {
  FactSet f = discover_at(corpus_root("ghw-ryzen-ccp"));
  const std::string k = "pcicls:0000:0b:00.2";  // 1022:1456 class 0x108000
  EXPECT_EQ(str_attr(f, k, "family"), "crypto");
  EXPECT_EQ(str_attr(f, k, "device_type"), "encryption controller");
  EXPECT_EQ(str_attr(f, k, "pci"), "pci:0000:0b:00.2");
  const Object* fn = f.find("fn:" + k + ":crypto.rng");
  ASSERT_NE(fn, nullptr);
  EXPECT_EQ(fn->find("name")->provenance, Provenance::kNominal);
  EXPECT_EQ(*fn->get_strings("via"), std::vector<std::string>{"pci.id=1022:1456"});
  EXPECT_EQ(function_names(f, k).size(), 5u);
  EXPECT_EQ(f.of_kind("accelerator").size(), 1u);
}

TEST(CryptoRegistry, SoftwareOnlyProcCryptoAddsNoFunctions) {
  FactSet f = discover_at(corpus_root("procfs-crypto-amdgpu"));
  // The tree's amdgpu card offers gpu.* functions; /proc/crypto must add none.
  for (const Object* fn : f.of_kind("function")) {
    EXPECT_EQ(fn->get_string("name")->rfind("gpu.", 0), 0u) << fn->key;
    for (const auto& via : *fn->get_strings("via")) EXPECT_EQ(via.rfind("crypto.", 0), std::string::npos) << fn->key;
  }
  const Object* reg = f.find("crypto_registry");
  ASSERT_NE(reg, nullptr);
  // grep -c '^name' proc/crypto; the recording ends with a stray "Mode: 444" line, not a record.
  EXPECT_EQ(reg->get_int("algorithms"), 83);
  EXPECT_EQ(reg->get_int("hardware_backed"), 0);
}

TEST(CryptoRegistry, CcpRecordsConfirmClassFoundDevice) {
  std::string root = make_temp_dir();
  write_file(root, "proc/crypto",
             "name         : sha256\ndriver       : sha256-ccp\nmodule       : ccp_crypto\n\n"
             "name         : cmac(aes)\ndriver       : cmac-aes-ccp\nmodule       : ccp_crypto\n\n"
             "name         : weird(alg)\ndriver       : weird-ccp\nmodule       : ccp_crypto\n\n"
             "name         : sha256\ndriver       : sha256-generic\nmodule       : kernel\n");
  write_file(root, "sys/devices/pci0000:00/0000:00:08.1/0000:0b:00.2/vendor", "0x1022\n");
  write_file(root, "sys/devices/pci0000:00/0000:00:08.1/0000:0b:00.2/device", "0x1456\n");
  write_file(root, "sys/devices/pci0000:00/0000:00:08.1/0000:0b:00.2/class", "0x108000\n");
  make_link(root, "sys/bus/pci/devices/0000:0b:00.2", "../../../devices/pci0000:00/0000:00:08.1/0000:0b:00.2");
  FactSet f = discover_at(root, "pci,pci_class,crypto_registry");
  const std::string k = "pcicls:0000:0b:00.2";
  EXPECT_EQ(strings_attr(f, "fn:" + k + ":crypto.hash.sha256", "via"),
            (std::vector<std::string>{"crypto.driver=sha256-ccp", "pci.id=1022:1456"}));
  EXPECT_EQ(str_attr(f, "fn:" + k + ":crypto.hash.sha256", "state"), "available");
  EXPECT_EQ(str_attr(f, "fn:" + k + ":crypto.mac.aes-cmac", "state"), "available");
  EXPECT_TRUE(has_diag(f, "crypto_registry", "unknown crypto.name 'weird(alg)'"));
  EXPECT_EQ(strings_attr(f, k, "unknown_crypto_drivers"), std::vector<std::string>{"weird-ccp"});
  EXPECT_EQ(f.find("crypto_registry")->get_int("hardware_backed"), 3);
}

}  // namespace
}  // namespace accelmap
