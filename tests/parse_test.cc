#include "parse/parse.h"

#include <gtest/gtest.h>

using namespace accelmap::parse;

TEST(IdList, Ranges) {
  auto v = id_list("0-2,4,6,8-9\n");
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, (std::vector<std::uint32_t>{0, 1, 2, 4, 6, 8, 9}));
  EXPECT_EQ(format_id_list(*v), "0-2,4,6,8-9");
}
TEST(IdList, EmptyIsEmptySet) {
  auto v = id_list("\n");
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->empty());
  EXPECT_EQ(format_id_list({}), "");
}
TEST(IdList, RejectsGarbage) {
  EXPECT_FALSE(id_list("0-"));
  EXPECT_FALSE(id_list("3-1"));
  EXPECT_FALSE(id_list("a,b"));
  EXPECT_FALSE(id_list("1,,2"));
  EXPECT_FALSE(id_list("0-4294967295"));  // would allocate gigabytes
  EXPECT_FALSE(id_list("-1"));
}
TEST(IdList, UnsortedAndDuplicatesNormalised) {
  EXPECT_EQ(*id_list("5,1-2,2"), (std::vector<std::uint32_t>{1, 2, 5}));
}
TEST(HexMask, MostSignificantWordFirst) {
  auto v = hex_mask("00000000,0000ffff\n");
  ASSERT_TRUE(v);
  ASSERT_EQ(v->size(), 16u);
  EXPECT_EQ(v->front(), 0u);
  EXPECT_EQ(v->back(), 15u);
  auto w = hex_mask("1,00000001");
  EXPECT_EQ(*w, (std::vector<std::uint32_t>{0, 32}));
  EXPECT_EQ(*hex_mask("ff00ff00"), (std::vector<std::uint32_t>{8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31}));
}
TEST(HexMask, RejectsGarbage) {
  EXPECT_FALSE(hex_mask(""));
  EXPECT_FALSE(hex_mask("xyz"));
  EXPECT_FALSE(hex_mask("123456789"));  // a word wider than 32 bits
  EXPECT_FALSE(hex_mask("ff,,ff"));
}
TEST(LinkSpeed, BothKernelFormats) {
  EXPECT_DOUBLE_EQ(*link_speed_gts("8 GT/s\n"), 8.0);
  EXPECT_DOUBLE_EQ(*link_speed_gts("8.0 GT/s PCIe\n"), 8.0);
  EXPECT_DOUBLE_EQ(*link_speed_gts("2.5 GT/s"), 2.5);
  EXPECT_DOUBLE_EQ(*link_speed_gts("32.0 GT/s PCIe"), 32.0);
  EXPECT_FALSE(link_speed_gts("Unknown\n"));
  EXPECT_FALSE(link_speed_gts("Unknown speed"));
  EXPECT_FALSE(link_speed_gts("nan GT/s"));
  EXPECT_FALSE(link_speed_gts("-8 GT/s"));
  EXPECT_FALSE(link_speed_gts("8 MB/s"));
}
TEST(Integers, DecimalHexAndGarbage) {
  EXPECT_EQ(*to_int64("-1\n"), -1);
  EXPECT_EQ(*to_uint64("0x10de\n"), 0x10deu);
  EXPECT_EQ(*to_uint64("16"), 16u);
  EXPECT_FALSE(to_int64("12abc"));
  EXPECT_FALSE(to_int64(""));
  EXPECT_FALSE(to_uint64("-5"));
  EXPECT_FALSE(to_uint64("0x"));
  EXPECT_FALSE(to_uint64("99999999999999999999999"));
  EXPECT_EQ(*hex_to_uint64("3f0000000"), 0x3f0000000u);
}
TEST(KeyValues, ColonAndSpaceFiles) {
  auto kv = key_values("Model: \t NVIDIA H100\nGPU UUID:  GPU-1\nno separator here\n", ':');
  ASSERT_EQ(kv.size(), 2u);
  EXPECT_EQ(kv[0].first, "Model");
  EXPECT_EQ(kv[0].second, "NVIDIA H100");
  auto sp = key_values("simd_count 80\nlocation_id 2560\n", ' ');
  ASSERT_EQ(sp.size(), 2u);
  EXPECT_EQ(sp[1].second, "2560");
}
TEST(Meminfo, NodeMemTotal) {
  EXPECT_EQ(*node_meminfo_total_bytes("Node 0 MemTotal:        3005392 kB\nNode 0 MemFree: 1 kB\n"),
            3005392ull * 1024);
  EXPECT_FALSE(node_meminfo_total_bytes("Node 0 MemFree: 1 kB\n"));
  EXPECT_FALSE(node_meminfo_total_bytes("Node 0 MemTotal: lots kB\n"));
  EXPECT_FALSE(node_meminfo_total_bytes("Node 0 MemTotal: 99999999999999999999 kB\n"));
}
TEST(UintList, Distances) {
  EXPECT_EQ(*uint_list("10 21 21\n"), (std::vector<std::uint64_t>{10, 21, 21}));
  EXPECT_FALSE(uint_list("10 x"));
}

// The kernel's text (pci_uevent and the driver core), and what is not it.
TEST(PciUevent, ReadsTheKernelsLines) {
  auto u = pci_uevent(
      "DRIVER=virtio-pci\nPCI_CLASS=20000\nPCI_ID=1AF4:1041\nPCI_SUBSYS_ID=1AF4:1100\n"
      "PCI_SLOT_NAME=0000:00:03.0\nMODALIAS=pci:v00001AF4d00001041sv00001AF4sd00001100bc02sc00i00\n");
  EXPECT_EQ(u.vendor, 0x1af4u);
  EXPECT_EQ(u.device, 0x1041u);
  EXPECT_EQ(u.subsystem_vendor, 0x1af4u);
  EXPECT_EQ(u.subsystem_device, 0x1100u);
  EXPECT_EQ(u.class_code, 0x020000u);
  EXPECT_EQ(u.driver, "virtio-pci");
  auto unbound = pci_uevent("PCI_CLASS=C0330\nPCI_ID=8086:A0ED\nPCI_SUBSYS_ID=17AA:22D8\n");
  EXPECT_EQ(unbound.class_code, 0x0c0330u);
  EXPECT_EQ(unbound.driver, "");
  auto bad = pci_uevent("PCI_ID=18086:1\nPCI_SUBSYS_ID=17AA\nPCI_CLASS=1234567\nDRIVER=\n");
  EXPECT_FALSE(bad.vendor);
  EXPECT_FALSE(bad.device);
  EXPECT_FALSE(bad.subsystem_vendor);
  EXPECT_FALSE(bad.class_code);
  EXPECT_EQ(bad.driver, "");
  auto garbage = pci_uevent("PCI_ID=zz:10\n\x01\x02");
  EXPECT_FALSE(garbage.vendor);
}
