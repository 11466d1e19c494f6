// nvidia_procfs: NVIDIA GPUs as the nvidia kernel module reports them, and the
// NUMA node their memory becomes on coherent platforms (POWER9 + V100 over
// NVLink, Grace Hopper / Grace Blackwell).
// Source: NVIDIA open-gpu-kernel-modules kernel-open/nvidia/nv-procfs.c:
//   /proc/driver/nvidia/gpus/<BDF>/information  "Key: \t value" lines
//     (Model, GPU UUID, Video BIOS, Bus Location, Device Minor, ...)
//   /proc/driver/nvidia/gpus/<BDF>/numa_status  "Node: %d", "Status: %s",
//     "Address: %llx", "Size: %llx" (hex without 0x; present only when GPU
//     memory is NUMA-capable). hwloc's topology-linux.c reads the same Node line.
// Each GPU is an `accelerator` (family gpu) with function gpu.compute; the raw procfs
// attributes (video_bios, device_minor, numa_memory_*) stay on the same object. A GPU
// whose memory is a NUMA node also gets a `device_memory` with that numa_node (its kind
// is not in procfs: `unknown`).
#include <string>

#include "parse/parse.h"
#include "providers/device_facts.h"
#include "providers/path_util.h"
#include "providers/providers.h"

namespace accelmap::providers {
namespace {

constexpr std::string_view kGpus = "/proc/driver/nvidia/gpus";

std::optional<std::int64_t> hex_int64(std::string_view s) {
  auto v = parse::hex_to_uint64(s);
  if (!v || *v > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
  return static_cast<std::int64_t>(*v);
}

class NvidiaProcfsProvider final : public Provider {
 public:
  std::string_view name() const noexcept override { return "nvidia_procfs"; }
  Phase phase() const noexcept override { return Phase::kDevice; }
  std::string_view abi() const noexcept override {
    return "NVIDIA open-gpu-kernel-modules kernel-open/nvidia/nv-procfs.c";
  }

  void probe(const ProbeContext& ctx) const override {
    for (const DirEntry& e : ctx.list(kGpus)) {
      const std::string dir = std::string(kGpus) + "/" + e.name;
      if (!is_pci_bdf(e.name)) {
        ctx.warn(dir, "not a PCI address (expected DDDD:BB:DD.F)", Severity::kInfo);
        continue;
      }
      const std::string bdf = ascii_lower(e.name);
      const std::string key = "nvidia:" + bdf;
      Object& o = accelerator(ctx, key, "gpu", "GPU");
      o.set("pci", "pci:" + bdf, Unit::kNone, Provenance::kKernel, dir);
      o.set("driver", std::string("nvidia"), Unit::kNone, Provenance::kKernel, dir);
      read_information(ctx, o, dir, bdf);
      read_numa_status(ctx, o, dir);
      // The module lists only GPUs it initialised: they can run CUDA now.
      add_function(ctx, key, "gpu.compute", kAvailable, "nvidia.procfs", dir);
      if (auto node = o.get_int("numa_memory_node")) {
        const std::string path = dir + "/numa_status";
        Object& m = ctx.facts().object("devmem:" + key + ":0", "device_memory");
        m.set("device", key, Unit::kNone, Provenance::kKernel, path);
        m.set("kind", std::string("unknown"), Unit::kNone, Provenance::kKernel, path);
        m.set("numa_node", *node, Unit::kNone, Provenance::kKernel, path);
        if (auto size = o.get_int("numa_memory_size")) m.set("size", *size, Unit::kBytes, Provenance::kKernel, path);
      }
    }
  }

 private:
  // "Key: value" lines of a procfs file (views into *text); empty, with a
  // diagnostic, when the file exists but has none.
  static std::vector<std::pair<std::string_view, std::string_view>> colon_lines(const ProbeContext& ctx,
                                                                                const std::string& path,
                                                                                std::string* text) {
    auto read = ctx.read(path);
    if (!read) return {};
    *text = std::move(*read);
    auto kv = parse::key_values(*text, ':');
    if (kv.empty()) ctx.warn(path, "no \"Key: value\" lines");
    return kv;
  }

  static void read_information(const ProbeContext& ctx, Object& o, const std::string& dir, const std::string& bdf) {
    const std::string path = dir + "/information";
    std::string text;
    for (const auto& [k, v] : colon_lines(ctx, path, &text)) {
      if (v.empty() || !parse::is_clean_text(v)) continue;
      if (k == "Model") o.set("model", std::string(v), Unit::kNone, Provenance::kKernel, path);
      else if (k == "GPU UUID") o.set("uuid", std::string(v), Unit::kNone, Provenance::kKernel, path);
      else if (k == "Video BIOS") o.set("video_bios", std::string(v), Unit::kNone, Provenance::kKernel, path);
      else if (k == "Device Minor") {
        if (auto n = parse::to_int64(v); n && *n >= 0)
          o.set("device_minor", *n, Unit::kNone, Provenance::kKernel, path);
        else ctx.warn(path, "Device Minor is not a number");
      } else if (k == "Bus Location") {
        // The folder name is the key; a disagreeing file means a broken recording.
        if (ascii_lower(v) != bdf) ctx.warn(path, "Bus Location " + std::string(v) + " differs from the folder name");
      }
    }
  }

  static void read_numa_status(const ProbeContext& ctx, Object& o, const std::string& dir) {
    const std::string path = dir + "/numa_status";
    std::string text;
    for (const auto& [k, v] : colon_lines(ctx, path, &text)) {
      if (k == "Node") {
        auto n = parse::to_int64(v);
        if (!n) ctx.warn(path, "Node is not a number");
        // -1 (NUMA_NO_NODE) is "no node": written as nothing.
        else if (*n >= 0) o.set("numa_memory_node", *n, Unit::kNone, Provenance::kKernel, path);
      } else if (k == "Status") {
        if (!v.empty() && parse::is_clean_text(v))
          o.set("numa_memory_status", std::string(v), Unit::kNone, Provenance::kKernel, path);
      } else if (k == "Address") {
        if (auto a = hex_int64(v)) o.set("numa_memory_address", *a, Unit::kNone, Provenance::kKernel, path);
        else ctx.warn(path, "Address is not a hex number");
      } else if (k == "Size") {
        if (auto s = hex_int64(v)) o.set("numa_memory_size", *s, Unit::kBytes, Provenance::kKernel, path);
        else ctx.warn(path, "Size is not a hex number");
      }
    }
  }
};

}  // namespace

std::unique_ptr<Provider> make_nvidia_procfs_provider() { return std::make_unique<NvidiaProcfsProvider>(); }

}  // namespace accelmap::providers
