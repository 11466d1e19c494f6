#!/usr/bin/env python3
"""Writes a synthetic but realistic sysfs/procfs tree with N PCI devices.

Used by the benchmarks for scaling curves (10 .. 10,000 devices) and by one
ctest smoke test. Every file follows the layouts of tests/trees/make_trees.py
(the same helpers are imported, so the trees match what the providers were
written against):

  * 2 sockets x 16 CPUs; NUMA nodes 0-1 (DDR, with CPUs), 2-3 (HBM, CPU-less),
    4 (CXL memory expander node); HMAT access0/access1 for every target and
    memory-side caches on the DDR nodes;
  * PCIe: host bridges, each with root ports -> switch upstream port ->
    8 downstream ports -> one endpoint each; PCI domains are added as bus
    numbers run out (256 per domain);
  * endpoints cycle through AMD GPUs (KFD topology nodes with io_links to the
    CPU node, xGMI hives of 4 with p2p io_links, a DRM card with amdgpu),
    DSA and IAA (idxd with groups/engines/WQs), QAT 4xxx, HiSilicon ZIP (uacce),
    FPGA regions, NVMe and Ethernet functions; every PCI function has the
    attribute files, a 64-byte config and a uevent, as on a real machine.

  python3 bench/gen/gen_machine.py --devices 1000 OUT_DIR
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "trees"))
from make_trees import GiB, Tree, cpus, hmat, host_bridge, nodes  # noqa: E402
from make_trees import pci as tree_pci  # noqa: E402
from make_engine_trees import idxd_device, uacce  # noqa: E402

def pci(*args, **kwargs):
    """Every PCI function of a real /sys has a uevent (the driver core makes it
    for every device), so the synthetic machines have one too."""
    return tree_pci(*args, uevent=True, **kwargs)


KINDS = ("gpu", "dsa", "iax", "qat", "zip", "fpga", "nvme", "nic")
PER_SWITCH = 8      # endpoints below one switch
SWITCHES_PER_RP = 1
RP_PER_HB = 4       # root ports per host bridge
DDR = (262144, 196608, 110, 110)
HBM = (819200, 655360, 130, 130)
CXL = (28000, 28000, 270, 270)
HIVE = 4


def platform(t):
    s0, s1 = list(range(16)), list(range(16, 32))
    n = cpus(t, [s0, s1], model="Synthetic Xeon 9480")
    nodes(t, {0: (s0, 64 * GiB), 1: (s1, 64 * GiB), 2: ([], 16 * GiB), 3: ([], 16 * GiB), 4: ([], 32 * GiB)}, n,
          [[10, 21, 13, 23, 24], [21, 10, 23, 13, 26], [13, 23, 10, 26, 28], [23, 13, 26, 10, 28],
           [24, 26, 28, 28, 10]])
    for acc in (0, 1):
        hmat(t, 0, acc, [0], *DDR)
        hmat(t, 1, acc, [1], *DDR)
        hmat(t, 2, acc, [0], *HBM)
        hmat(t, 3, acc, [1], *HBM)
        hmat(t, 4, acc, [0], *CXL)
    for node in (0, 1):
        c = f"/sys/devices/system/node/node{node}/memory_side_cache/index1"
        t.f(f"{c}/size", 16 * GiB)
        t.f(f"{c}/line_size", 64)
        t.f(f"{c}/indexing", 0)
        t.f(f"{c}/write_policy", 0)
    t.f("/proc/sys/kernel/osrelease", "6.8.0-synthetic")
    return n, (s0, s1)


class Gen:
    def __init__(self, t, ncpus, sockets):
        self.t, self.ncpus, self.sockets = t, ncpus, sockets
        self.domain, self.bus = 0, 0
        self.gpus = []      # (kfd index, bdf path, socket)
        self.counts = {k: 0 for k in KINDS}

    def next_bus(self):
        self.bus += 1
        return self.bus

    def reserve(self, buses):
        """A host bridge and everything below it stay in one PCI domain (256 buses)."""
        if self.bus + buses > 0xff:
            self.domain += 1
            self.bus = 0

    def bdf(self, bus, dev=0, fn=0):
        return f"{self.domain:04x}:{bus:02x}:{dev:02x}.{fn}"

    def endpoint(self, chain, kind, sock):
        t, cl = self.t, self.sockets[sock]
        i = self.counts[kind]
        self.counts[kind] += 1
        if kind == "gpu":
            p = pci(t, chain, 0x1002, 0x740f, 0x038000, sock, cl, self.ncpus, driver="amdgpu", speed="16.0",
                    width=16, sub=(0x1002, 0x0c34), rev=0x02)
            self.gpus.append((p, sock, i))
            card = f"{p}/drm/card{i}"
            t.f(f"{card}/dev", f"226:{i}")
            t.ln(f"{card}/device", p)
            t.ln(f"{card}/subsystem", "/sys/class/drm")
            t.ln(f"/sys/class/drm/card{i}", card)
            t.f(f"{p}/mem_info_vram_total", 64 * GiB)
            t.f(f"{p}/mem_info_vram_vendor", "samsung")
            t.f(f"{p}/product_name", "Synthetic Instinct")
        elif kind in ("dsa", "iax"):
            dev = 0x0b25 if kind == "dsa" else 0x0cfe
            p = pci(t, chain, 0x8086, dev, 0x088000, sock, cl, self.ncpus, driver="idxd")
            op = ("00000000,00000000,00000000,00000000,00000000,00000000,00000001,003f03ff" if kind == "dsa" else
                  "00000000,00000000,00000000,00000000,00000000,007f331c,00000000,0000000d")
            idx = self.counts["dsa"] + self.counts["iax"] - 1
            idxd_device(t, p, f"{kind}{idx}", idx, op, 8, 4, {0: ([0, 1], [0])},
                        {0: {"state": "enabled", "mode": "dedicated", "type": "user", "size": 16, "group_id": 0,
                             "name": f"app{idx}", "driver_name": "user"}})
        elif kind == "qat":
            p = pci(t, chain, 0x8086, 0x4940, 0x0b4000, sock, cl, self.ncpus, driver="4xxx",
                    extra={"sriov_totalvfs": 16, "sriov_numvfs": 0})
            t.f(f"{p}/qat/state", "up")
            t.f(f"{p}/qat/cfg_services", "sym;asym" if i % 2 == 0 else "dc")
        elif kind == "zip":
            p = pci(t, chain, 0x19e5, 0xa250, 0x120000, sock, cl, self.ncpus, driver="hisi_zip", rev=0x21)
            uacce(t, p, f"hisi_zip-{i}", "hisi_qm_v2", 1, 256, ["zlib", "gzip", "deflate"], 0, 0)
        elif kind == "fpga":
            p = pci(t, chain, 0x8086, 0x0b30, 0x120000, sock, cl, self.ncpus, driver="dfl-pci", speed="8.0",
                    width=8)
            r = f"{p}/fpga_region/region{i}"
            t.ln(f"{r}/subsystem", "/sys/class/fpga_region")
            t.ln(f"/sys/class/fpga_region/region{i}", r)
        elif kind == "nvme":
            pci(t, chain, 0x144d, 0xa824, 0x010802, sock, cl, self.ncpus, driver="nvme", speed="16.0", width=4)
        else:
            pci(t, chain, 0x15b3, 0x101d, 0x020000, sock, cl, self.ncpus, driver="mlx5_core", speed="16.0",
                width=16)

    def build(self, ndev):
        made = 0
        hb_index = 0
        while made < ndev:
            sock = hb_index % 2
            cl = self.sockets[sock]
            self.reserve(1 + RP_PER_HB * (2 + PER_SWITCH))
            hbus = self.next_bus()
            hb = f"pci{self.domain:04x}:{hbus:02x}"
            host_bridge(self.t, hb)
            for rp_i in range(RP_PER_HB):
                if made >= ndev:
                    break
                rp = [hb, self.bdf(hbus, rp_i + 1)]
                usp_bus = self.next_bus()
                last = usp_bus + 1 + min(PER_SWITCH, ndev - made)
                pci(self.t, rp, 0x8086, 0x352a, 0x060400, sock, cl, self.ncpus, driver="pcieport", speed="16.0",
                    width=16, bridge=(usp_bus, last))
                usp = rp + [self.bdf(usp_bus)]
                dsp_bus = self.next_bus()
                pci(self.t, usp, 0x1000, 0xc030, 0x060400, sock, cl, self.ncpus, driver="pcieport", speed="16.0",
                    width=16, bridge=(dsp_bus, last))
                for k in range(PER_SWITCH):
                    if made >= ndev:
                        break
                    ep_bus = self.next_bus()
                    dsp = usp + [self.bdf(dsp_bus, k)]
                    pci(self.t, dsp, 0x1000, 0xc030, 0x060400, sock, cl, self.ncpus, driver="pcieport",
                        speed="16.0", width=16, bridge=(ep_bus, ep_bus))
                    self.endpoint(dsp + [self.bdf(ep_bus)], KINDS[made % len(KINDS)], sock)
                    made += 1
            hb_index += 1
        self.kfd()

    def kfd(self):
        """kfd_topology.c: CPU nodes first (one per socket), then one node per GPU;
        io_links/0 to the socket's CPU node (PCIe, type 2), xGMI (type 11) to hive peers."""
        if not self.gpus:
            return
        t = self.t
        topo = "/sys/devices/virtual/kfd/kfd/topology"
        t.ln("/sys/class/kfd/kfd", "/sys/devices/virtual/kfd/kfd")
        t.f(f"{topo}/system_properties", "platform_oem 0\nplatform_id 0\nplatform_rev 0\n")
        for s in range(2):
            t.f(f"{topo}/nodes/{s}/properties", f"cpu_cores_count 16\nsimd_count 0\nmem_banks_count 1\n"
                f"io_links_count 0\ncpu_core_id_base {16 * s}\nvendor_id 0\ndevice_id 0\nlocation_id 0\n"
                "domain 0\nhive_id 0\n")
            t.f(f"{topo}/nodes/{s}/gpu_id", 0)
        for g, (path, sock, i) in enumerate(self.gpus):
            node = 2 + g
            bdf = path.rsplit("/", 1)[1]
            dom, bus, df = bdf.split(":")
            dev, fn = df.split(".")
            loc = (int(bus, 16) << 8) | (int(dev, 16) << 3) | int(fn)
            hive = g // HIVE
            base = f"{topo}/nodes/{node}"
            t.f(f"{base}/gpu_id", 1000 + g)
            t.f(f"{base}/name", "gfx90a")
            t.f(f"{base}/properties",
                "cpu_cores_count 0\nsimd_count 416\nmem_banks_count 1\nio_links_count 1\n"
                "simd_per_cu 4\ngfx_target_version 90010\nvendor_id 4098\ndevice_id 29711\n"
                f"location_id {loc}\ndomain {int(dom, 16)}\ndrm_render_minor {128 + i}\n"
                f"hive_id {0x1000 + hive}\nmax_engine_clk_fcompute 1700\nnum_xcc 1\ngpu_id {1000 + g}\n")
            t.f(f"{base}/mem_banks/0/properties",
                "heap_type 1\nsize_in_bytes 68702699520\nflags 0\nwidth 4096\nmem_clk_max 1600\n")
            links = [(sock, 2, 20, 312, 32000)]
            first = hive * HIVE
            for peer in range(first, min(first + HIVE, len(self.gpus))):
                if peer != g:
                    links.append((2 + peer, 11, 15, 50000, 50000))
            for li, (to, typ, w, bmin, bmax) in enumerate(links):
                t.f(f"{base}/io_links/{li}/properties",
                    f"type {typ}\nversion_major 0\nversion_minor 0\nnode_from {node}\nnode_to {to}\n"
                    f"weight {w}\nmin_latency 0\nmax_latency 0\nmin_bandwidth {bmin}\nmax_bandwidth {bmax}\n"
                    "recommended_transfer_size 0\nflags 1\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--devices", type=int, required=True, help="number of PCI endpoints (switch ports come extra)")
    ap.add_argument("out")
    a = ap.parse_args()
    t = Tree(os.path.abspath(a.out))
    n, sockets = platform(t)
    g = Gen(t, n, sockets)
    g.build(a.devices)
    print(f"{a.out}: {a.devices} endpoints, {len(g.gpus)} GPUs, domains 0-{g.domain:x}", file=sys.stderr)


if __name__ == "__main__":
    main()
