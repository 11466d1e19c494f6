// Tests of the machine provider and of FsRoot::read_head, which it reads
// /proc/cpuinfo with: hand-made trees in /proc/cpuinfo's format (proc(5)).
#include <gtest/gtest.h>

#include <string>

#include "accelmap/discover.h"
#include "accelmap/fs_root.h"
#include "test_util.h"

namespace accelmap::testing {
namespace {

// One x86-style record of about `bytes` bytes, its model on line five as the
// kernel writes it (arch/x86/kernel/cpu/proc.c).
std::string record(int cpu, const std::string& model, std::size_t bytes) {
  std::string r = "processor\t: " + std::to_string(cpu) + "\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 1\n";
  if (!model.empty()) r += "model name\t: " + model + "\n";
  r += "flags\t\t:";
  while (r.size() + 2 < bytes) r += " fpu";
  return r + "\n\n";
}

std::string cpu_model(const FactSet& f) {
  const Object* m = f.find("machine");
  if (m == nullptr) return "<no machine>";
  auto v = m->get_string("cpu_model");
  return v ? std::string(*v) : "<none>";
}

TEST(Machine, CpuModelFromTheFirstRecordOrLater) {
  // The model in the first record, whose record is longer than the head read.
  std::string a = make_temp_dir();
  write_file(a, "proc/cpuinfo", record(0, "AMD EPYC 7B13", 3000) + record(1, "Other", 3000));
  EXPECT_EQ(cpu_model(discover_with(a, "machine")), "AMD EPYC 7B13");
  // None in the first record: found where the whole file names one.
  std::string b = make_temp_dir();
  write_file(b, "proc/cpuinfo", record(0, "", 3000) + record(1, "Second CPU", 500));
  EXPECT_EQ(cpu_model(discover_with(b, "machine")), "Second CPU");
  // A model line cut by the head is not taken cut: the whole line is read.
  std::string c = make_temp_dir();
  const std::string long_name(1100, 'x');
  write_file(c, "proc/cpuinfo", record(0, long_name, 200));
  EXPECT_EQ(cpu_model(discover_with(c, "machine")), long_name);
  // None anywhere, and a file without a newline.
  std::string d = make_temp_dir();
  write_file(d, "proc/cpuinfo", record(0, "", 2000));
  EXPECT_EQ(cpu_model(discover_with(d, "machine")), "<none>");
  std::string e = make_temp_dir();
  write_file(e, "proc/cpuinfo", "model name\t: No newline");
  EXPECT_EQ(cpu_model(discover_with(e, "machine")), "No newline");
}

TEST(FsRootReadHead, HeadOfAFileAndWhetherItIsWhole) {
  std::string r = make_temp_dir();
  write_file(r, "f", std::string(5000, 'a'));
  auto fs = FsRoot::open(r);
  ASSERT_TRUE(static_cast<bool>(fs));
  bool whole = true;
  auto head = fs->read_head("/f", 1024, &whole);
  ASSERT_TRUE(static_cast<bool>(head));
  EXPECT_EQ(head->size(), 1024u);
  EXPECT_FALSE(whole);
  auto all = fs->read_head("/f", 8192, &whole);
  ASSERT_TRUE(static_cast<bool>(all));
  EXPECT_EQ(all->size(), 5000u);
  EXPECT_TRUE(whole);
  auto missing = fs->read_head("/nope", 10, &whole);
  ASSERT_FALSE(static_cast<bool>(missing));
  EXPECT_EQ(missing.error().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace accelmap::testing
