// dma: kernel DMA engine channels (dmaengine), e.g. Intel I/OAT (CBDMA).
// ABI: /sys/class/dma/dmaNchanM/{bytes_transferred, memcpy_count, in_use}
// (drivers/dma/dmaengine.c) and, for ioatdma only, quickdata/{cap, version,
// ring_size, ring_active} (drivers/dma/ioat/sysfs.c: cap prints "copy" then
// " pq", " pq_val", " xor", " xor_val", " intr" as the channel supports them).
// Channels are grouped by the PCI function they hang off (one I/OAT function
// per channel on Xeon); idxd kernel work queues also register channels here,
// but those belong to the idxd provider's DSA device and are skipped.
#include <map>
#include <set>
#include <string>

#include "providers/engine_util.h"
#include "providers/path_util.h"
#include "providers/providers.h"

namespace accelmap::providers {
namespace {

constexpr std::string_view kClass = "/sys/class/dma";

/// True for "dma3chan0".
bool is_channel_name(std::string_view s) {
  if (s.substr(0, 3) != "dma") return false;
  std::size_t c = s.find("chan");
  return c != std::string_view::npos && small_number(s.substr(3, c - 3)) && small_number(s.substr(c + 4));
}

struct Group {
  std::vector<std::string> channels;  // class paths
  std::string canonical_first;
};

class DmaProvider final : public Provider {
 public:
  std::string_view name() const noexcept override { return "dma"; }
  Phase phase() const noexcept override { return Phase::kDevice; }
  std::string_view abi() const noexcept override {
    return "drivers/dma/dmaengine.c, drivers/dma/ioat/sysfs.c (/sys/class/dma)";
  }

  void probe(const ProbeContext& ctx) const override {
    std::map<std::string, Group> groups;  // accelerator key -> channels
    for (const DirEntry& e : ctx.list(kClass)) {
      if (!is_channel_name(e.name)) continue;
      const std::string path = std::string(kClass) + "/" + e.name;
      std::string canonical;
      std::string pci = pci_parent_key(ctx, path, &canonical);
      bool idxd = false;
      for (std::string_view c : path_components(canonical))
        idxd |= numbered(c, "dsa").has_value() || numbered(c, "iax").has_value();
      if (idxd) continue;
      // Without a PCI parent (platform DMA controllers) the dmaN device names it.
      std::string key = pci.empty() ? "dma:" + std::string(e.name.substr(0, e.name.find("chan")))
                                    : "dma:" + pci.substr(4);
      Group& g = groups[key];
      g.channels.push_back(path);
      if (g.canonical_first.empty()) g.canonical_first = canonical;
    }
    for (const auto& [key, g] : groups) probe_group(ctx, key, g);
  }

 private:
  static void probe_group(const ProbeContext& ctx, const std::string& key, const Group& g) {
    const std::string pci = pci_key_of_path(g.canonical_first);
    Object& o = accelerator(ctx, key, "dma", "DMA engine");
    join_pci(ctx, o, pci, g.canonical_first);
    o.set("channels", static_cast<std::int64_t>(g.channels.size()), Unit::kCount, Provenance::kKernel,
          std::string(kClass));
    std::int64_t in_use = 0;
    std::set<std::string> caps;
    std::string cap_path;
    for (const std::string& ch : g.channels) {
      // in_use is the channel's client count (dmaengine shares channels).
      if (auto v = ctx.read_int(ch + "/in_use")) in_use += *v;
      const std::string cp = ch + "/quickdata/cap";
      if (auto text = ctx.read(cp)) {
        for (std::string& w : words_of(*text)) caps.insert(std::move(w));
        if (cap_path.empty()) cap_path = cp;
      }
      if (!o.find("version"))
        if (auto v = read_quiet(ctx, ch + "/quickdata/version"); v && !v->empty())
          o.set("version", *v, Unit::kNone, Provenance::kKernel, ch + "/quickdata/version");
    }
    o.set("in_use", in_use, Unit::kCount, Provenance::kKernel, g.channels.front() + "/in_use");
    if (!cap_path.empty()) {
      o.set("model", std::string("I/OAT QuickData"), Unit::kNone, Provenance::kKernel, cap_path);
      o.set("cap", std::vector<std::string>(caps.begin(), caps.end()), Unit::kNone, Provenance::kKernel, cap_path);
    }
    // A registered channel is usable by every dmaengine client right away.
    for (const std::string& c : caps) add_functions_from(ctx, key, "dma.cap", c, kAvailable, cap_path);
    set_instances(ctx, key, std::nullopt, static_cast<std::int64_t>(g.channels.size()), std::string(kClass));
  }
};

}  // namespace

std::unique_ptr<Provider> make_dma_provider() { return std::make_unique<DmaProvider>(); }

}  // namespace accelmap::providers
