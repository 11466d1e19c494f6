// rdma: RDMA devices (/sys/class/infiniband/<dev>): InfiniBand, RoCE and iWARP HCAs.
// Source: linux Documentation/ABI/stable/sysfs-class-infiniband (node_type, node_guid,
// ports/N/state "4: ACTIVE", ports/N/link_layer, device -> parent PCI function).
// Every RDMA device gives the catalog word "any" of source "rdma.device" (net.rdma):
// RDMA is what the device is, not a capability it advertises.
#include <string>
#include <vector>

#include "parse/parse.h"
#include "providers/device_facts.h"
#include "providers/path_util.h"
#include "providers/providers.h"

namespace accelmap::providers {
namespace {

constexpr std::string_view kClassIb = "/sys/class/infiniband";

class RdmaProvider final : public Provider {
 public:
  std::string_view name() const noexcept override { return "rdma"; }
  Phase phase() const noexcept override { return Phase::kDevice; }
  std::string_view abi() const noexcept override { return "linux Documentation/ABI/stable/sysfs-class-infiniband"; }

  void probe(const ProbeContext& ctx) const override {
    for (const DirEntry& e : ctx.list(kClassIb)) {
      const std::string dir = std::string(kClassIb) + "/" + e.name;
      const std::string key = "rdma:" + e.name;
      Object& o = accelerator(ctx, key, "rdma", "RDMA adapter");
      set_parent_device(ctx, o, dir);
      if (auto v = ctx.read_trimmed(dir + "/hca_type"); v && !v->empty() && parse::is_clean_text(*v))
        o.set("model", *v, Unit::kNone, Provenance::kKernel, dir + "/hca_type");
      // Port states: "4: ACTIVE" -> "ACTIVE"; the device is usable when one port is ACTIVE.
      std::vector<std::string> states;
      bool active = false;
      for (const DirEntry& p : ctx.list(dir + "/ports")) {
        if (!small_number(p.name)) continue;
        const std::string sp = dir + "/ports/" + p.name + "/state";
        auto s = ctx.read_trimmed(sp);
        if (!s) continue;
        std::size_t colon = s->find(':');
        std::string word(parse::trim(colon == std::string::npos ? std::string_view(*s) : std::string_view(*s).substr(colon + 1)));
        if (word.empty() || !parse::is_clean_text(word)) {
          ctx.warn(sp, "not a port state");
          continue;
        }
        if (word == "ACTIVE") active = true;
        states.push_back(p.name + ":" + word);
      }
      if (!states.empty()) {
        o.set("port_states", states, Unit::kNone, Provenance::kKernel, dir + "/ports");
        o.set("state", std::string(active ? "ACTIVE" : "DOWN"), Unit::kNone, Provenance::kKernel, dir + "/ports");
      }
      add_functions_from(ctx, key, "rdma.device", "any", states.empty() ? kStateUnknown : (active ? kAvailable : kNotConfigured),
                         dir);
    }
  }
};

}  // namespace

std::unique_ptr<Provider> make_rdma_provider() { return std::make_unique<RdmaProvider>(); }

}  // namespace accelmap::providers
