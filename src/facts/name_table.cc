// accelmap's names as one constant table (attribute names, and the sysfs file
// names longer than a Source keeps inline), the lookup that turns a text into a
// pointer into it, and AttrName.
#include <array>
#include <cstdint>
#include <cstring>
#include <new>
#include <ostream>

#include "accelmap/facts.h"
#include "name_table.h"

namespace accelmap {

namespace internal {

// Every attribute name accelmap's providers and snapshot builder write and every
// object kind (docs/facts.md), and every sysfs file name longer than Source::kLeafCapacity
// (3) characters that they read (a Source's leaf; the name of one instance, with a digit in it, cannot
// be here), and the words providers give as a source ("pci.ids": such a Source
// needs no stem). A name missing here still works (an attribute name owns
// a copy of its text, a source keeps its leaf or its word in its stem); the tests in
// tests/corpus_test.cc find one that a provider writes on a recorded or hand-made tree.
constexpr std::string_view kNameTable[] = {
    "a",
    "abstract_distance_chunk",
    "accelerator",
    "access0_read_bandwidth",
    "access0_read_latency",
    "access0_write_bandwidth",
    "access0_write_latency",
    "access1_read_bandwidth",
    "access1_read_latency",
    "access1_write_bandwidth",
    "access1_write_latency",
    "access_class",
    "afu_id",
    "algorithms",
    "api",
    "available_instances",
    "b",
    "bandwidth_max",
    "bandwidth_min",
    "bitstream_id",
    "bitstream_metadata",
    "bus",
    "cap",
    "capacity",
    "cfg_services",
    "chan",
    "channels",
    "class",
    "class_code",
    "class_name",
    "clock_max",
    "compat_id",
    "compat_ids",
    "compute_units",
    "core_id",
    "cpu",
    "cpu_model",
    "cpuinfo",
    "cpulist",
    "cpumap",
    "cpus",
    "crat_type",
    "crypto",
    "crypto_registry",
    "current_link_speed",
    "current_link_width",
    "cxl_memdev",
    "cxl_region",
    "cxl_type",
    "dax",
    "dax_device",
    "device",
    "device_id",
    "device_link",
    "device_memory",
    "device_minor",
    "device_name",
    "device_type",
    "dfl_device",
    "die_id",
    "distance",
    "distance_nodes",
    "distances",
    "domain",
    "driver",
    "driver_name",
    "drm_render_minor",
    "enabled_work_queues",
    "family",
    "feature_id",
    "firmware_version",
    "flags",
    "fpga_bridge",
    "fpga_manager",
    "fpga_port",
    "function",
    "generation",
    "generic_initiator",
    "gfx_target_version",
    "gpu_id",
    "group_id",
    "hardware_backed",
    "hardware_drivers",
    "has_cpu",
    "has_generic_initiator",
    "has_memory",
    "has_normal_memory",
    "hca_type",
    "hive_id",
    "hmat_access",
    "hops",
    "id",
    "idxd_wq",
    "in_use",
    "indexing",
    "indirect",
    "information",
    "initiators",
    "instances_free",
    "instances_total",
    "interleave_ways",
    "io_links",
    "isolate",
    "isolate_strategy",
    "kernel_release",
    "kind",
    "level",
    "line_size",
    "local_cpulist",
    "local_cpus",
    "location_id",
    "machine",
    "manufacturer",
    "max_engines",
    "max_groups",
    "max_link_speed",
    "max_link_width",
    "max_work_queues",
    "max_work_queues_size",
    "mem_info_vram_total",
    "mem_info_vram_vendor",
    "memdev",
    "memdevs",
    "meminfo",
    "memory_side_cache",
    "memory_size",
    "memory_tier",
    "mode",
    "model",
    "name",
    "node",
    "nodelist",
    "nodes",
    "num_of_core",
    "num_rps",
    "num_xcc",
    "numa_memory_address",
    "numa_memory_node",
    "numa_memory_size",
    "numa_memory_status",
    "numa_node",
    "online",
    "op_cap",
    "op_config",
    "osrelease",
    "package",
    "package_id",
    "parent",
    "parent_kind",
    "parent_path",
    "partition_of",
    "pci",
    "pci.ids",
    "pci_device",
    "pci_host_bridge",
    "physfn",
    "physical_package_id",
    "pmem_size",
    "port_states",
    "ports",
    "ports_num",
    "possible",
    "power_state",
    "product_name",
    "properties",
    "qat_ids",
    "queues",
    "ram_size",
    "read_bandwidth",
    "read_latency",
    "region",
    "render_node",
    "resource",
    "revision",
    "secondary_bus",
    "secondary_bus_number",
    "serial",
    "shared_by",
    "shared_queues",
    "simd_count",
    "size",
    "socket_id",
    "sriov_numvfs",
    "sriov_totalvfs",
    "state",
    "status",
    "subordinate_bus",
    "subordinate_bus_number",
    "subsystem_device",
    "subsystem_device_id",
    "subsystem_name",
    "subsystem_vendor",
    "subsystem_vendor_id",
    "sva",
    "sys_vendor",
    "sysfs_path",
    "target",
    "target_node",
    "target_type",
    "targets",
    "topology",
    "type",
    "uevent",
    "unknown_algorithms",
    "unknown_crypto_drivers",
    "unknown_opcodes",
    "unknown_services",
    "uuid",
    "ve_model",
    "ve_state",
    "vendor",
    "vendor_id",
    "vendor_name",
    "version",
    "vf_count",
    "vfs",
    "via",
    "video_bios",
    "virtual_function",
    "weight",
    "width",
    "write_bandwidth",
    "write_latency",
    "write_policy",
    "xgmi_device_id",
    "xgmi_physical_id",
};

}  // namespace internal

namespace {

constexpr const std::string_view* kNames = internal::kNameTable;
constexpr std::size_t kNameCount = sizeof(internal::kNameTable) / sizeof(internal::kNameTable[0]);
static_assert(kNameCount < 0x7fff, "a Source keeps a table index in two bytes, an AttrMap below 0x7fff");

// Open addressing over a power of two at least four times the names: a lookup
// hashes the text once and compares about one entry.
constexpr std::size_t kSlots = 1024;
static_assert(kSlots >= 4 * kNameCount, "grow kSlots with the vocabulary");
constexpr std::uint16_t kEmptySlot = 0xffff;

constexpr std::size_t slot_of(std::string_view s) noexcept {
  std::uint32_t h = 2166136261u;  // FNV-1a
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  return h & (kSlots - 1);
}

constexpr std::array<std::uint16_t, kSlots> make_slots() {
  std::array<std::uint16_t, kSlots> slots{};
  for (auto& s : slots) s = kEmptySlot;
  for (std::size_t i = 0; i < kNameCount; ++i) {
    std::size_t at = slot_of(kNames[i]);
    while (slots[at] != kEmptySlot) at = (at + 1) & (kSlots - 1);
    slots[at] = static_cast<std::uint16_t>(i);
  }
  return slots;
}
constexpr std::array<std::uint16_t, kSlots> kSlotTable = make_slots();

const std::string_view* lookup(std::string_view text) noexcept {
  for (std::size_t at = slot_of(text);; at = (at + 1) & (kSlots - 1)) {
    std::uint16_t i = kSlotTable[at];
    if (i == kEmptySlot) return nullptr;
    if (kNames[i] == text) return &kNames[i];
  }
}

bool in_table(const std::string_view* p) noexcept {
  // Compared as integers: the pointers need not belong to one array.
  auto a = reinterpret_cast<std::uintptr_t>(p);
  return a >= reinterpret_cast<std::uintptr_t>(kNames) && a < reinterpret_cast<std::uintptr_t>(kNames + kNameCount);
}

// An owned name: one allocation holding the view, then the text it points at.
const std::string_view* make_owned(std::string_view text) {
  void* p = ::operator new(sizeof(std::string_view) + text.size());
  char* chars = static_cast<char*>(p) + sizeof(std::string_view);
  std::memcpy(chars, text.data(), text.size());
  return new (p) std::string_view(chars, text.size());
}

}  // namespace

namespace internal {
const std::string_view* table_name(std::string_view text) noexcept { return text.empty() ? nullptr : lookup(text); }
}  // namespace internal

AttrName::AttrName(std::string_view text) {
  if (text.empty()) return;
  text_ = lookup(text);
  if (!text_) text_ = make_owned(text);
}

AttrName::AttrName(const AttrName& other)
    : text_(other.text_ == nullptr || in_table(other.text_) ? other.text_ : make_owned(*other.text_)) {}

AttrName& AttrName::operator=(const AttrName& other) {
  if (this != &other) {
    const std::string_view* copy =
        other.text_ == nullptr || in_table(other.text_) ? other.text_ : make_owned(*other.text_);
    release();
    text_ = copy;
  }
  return *this;
}

AttrName& AttrName::operator=(AttrName&& other) noexcept {
  if (this != &other) {
    release();
    text_ = other.text_;
    other.text_ = nullptr;
  }
  return *this;
}

bool AttrName::is_builtin() const noexcept { return text_ == nullptr || in_table(text_); }

void AttrName::release() noexcept {
  if (text_ && !in_table(text_)) ::operator delete(const_cast<std::string_view*>(text_));
  text_ = nullptr;
}

std::ostream& operator<<(std::ostream& os, const AttrName& n) { return os << n.view(); }

}  // namespace accelmap
