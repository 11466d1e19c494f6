#!/usr/bin/env python3
"""Writes the hand-written sysfs/procfs trees of tests/trees/ and demo/root.

Nothing here was recorded from a machine: every file is written from the
kernel ABI documents cited in each tree's README.md. Symlinks are relative,
exactly as the kernel shows them (and as hwloc-gather-topology records them).
Run from anywhere:  python3 tests/trees/make_trees.py   (rewrites the trees)
"""
import os
import shutil

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GiB = 1 << 30


class Tree:
    def __init__(self, root):
        self.root = root
        # Keep README.md (hand-written prose); regenerate sys/ and proc/.
        for d in ("sys", "proc"):
            shutil.rmtree(os.path.join(root, d), ignore_errors=True)
        os.makedirs(root, exist_ok=True)

    def f(self, rel, content):
        p = os.path.join(self.root, rel.lstrip("/"))
        os.makedirs(os.path.dirname(p), exist_ok=True)
        s = str(content)
        with open(p, "w") as fh:
            fh.write(s if s.endswith("\n") or s == "" else s + "\n")

    def d(self, rel):
        os.makedirs(os.path.join(self.root, rel.lstrip("/")), exist_ok=True)

    def ln(self, rel, target):
        """Symlink /rel -> /target, written relative like the kernel's."""
        rel, target = rel.lstrip("/"), target.lstrip("/")
        p = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        if os.path.lexists(p):
            os.remove(p)
        os.symlink(os.path.relpath(target, os.path.dirname(rel) or "."), p)


def idlist(ids):
    ids = sorted(ids)
    out, i = [], 0
    while i < len(ids):
        j = i
        while j + 1 < len(ids) and ids[j + 1] == ids[j] + 1:
            j += 1
        out.append(str(ids[i]) if i == j else f"{ids[i]}-{ids[j]}")
        i = j + 1
    return ",".join(out)


def cpumask(ids, ncpus):
    v = 0
    for i in ids:
        v |= 1 << i
    words = max(1, (ncpus + 31) // 32)
    return ",".join(f"{(v >> (32 * w)) & 0xffffffff:08x}" for w in reversed(range(words)))


def cpus(t, packages, model="Intel(R) Xeon(R) CPU Max 9480"):
    """packages: list of CPU-id lists, one per socket; one thread per core."""
    allc = sorted(c for p in packages for c in p)
    n = len(allc)
    for f in ("online", "possible", "present"):
        t.f(f"/sys/devices/system/cpu/{f}", idlist(allc))
    info = []
    for pkg, cl in enumerate(packages):
        for core, c in enumerate(cl):
            base = f"/sys/devices/system/cpu/cpu{c}"
            t.f(f"{base}/topology/physical_package_id", pkg)
            t.f(f"{base}/topology/core_id", core)
            t.f(f"{base}/topology/die_id", 0)
            t.f(f"{base}/topology/thread_siblings_list", c)
            t.f(f"{base}/topology/thread_siblings", cpumask([c], n))
            t.f(f"{base}/topology/core_siblings_list", idlist(cl))
            t.f(f"{base}/topology/core_siblings", cpumask(cl, n))
            t.f(f"{base}/topology/package_cpus_list", idlist(cl))
            t.f(f"{base}/topology/package_cpus", cpumask(cl, n))
            if c != 0:
                t.f(f"{base}/online", 1)
            t.ln(f"/sys/bus/cpu/devices/cpu{c}", base)
            info.append(f"processor\t: {c}\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 143\n"
                        f"model name\t: {model}\nphysical id\t: {pkg}\nsiblings\t: {len(cl)}\n"
                        f"core id\t\t: {core}\ncpu cores\t: {len(cl)}\napicid\t\t: {c * 2}\n")
    t.f("/proc/cpuinfo", "\n".join(info))
    return n


def nodes(t, spec, ncpus, distances):
    """spec: {node: (cpu list, MemTotal bytes)}; distances: row per node, in node order."""
    ids = sorted(spec)
    base = "/sys/devices/system/node"
    for f in ("online", "possible", "has_memory", "has_normal_memory"):
        t.f(f"{base}/{f}", idlist(ids))
    t.f(f"{base}/has_cpu", idlist([n for n in ids if spec[n][0]]))
    t.f(f"{base}/has_generic_initiator", "")
    total = 0
    for i, n in enumerate(ids):
        cl, mem = spec[n]
        kb = mem // 1024
        total += kb
        nd = f"{base}/node{n}"
        t.f(f"{nd}/cpulist", idlist(cl))
        t.f(f"{nd}/cpumap", cpumask(cl, ncpus))
        t.f(f"{nd}/distance", " ".join(str(x) for x in distances[i]))
        t.f(f"{nd}/meminfo", f"Node {n} MemTotal:       {kb} kB\nNode {n} MemFree:        {kb - kb // 16} kB\n"
                             f"Node {n} MemUsed:        {kb // 16} kB\n")
        t.f(f"{nd}/hugepages/hugepages-2048kB/nr_hugepages", 0)
        t.f(f"{nd}/hugepages/hugepages-2048kB/free_hugepages", 0)
        t.ln(f"/sys/bus/node/devices/node{n}", nd)
        for c in cl:
            t.ln(f"{nd}/cpu{c}", f"/sys/devices/system/cpu/cpu{c}")
    t.f("/proc/meminfo", f"MemTotal:       {total} kB\nMemFree:        {total - total // 16} kB\n"
                         "Hugepagesize:       2048 kB\n")


def hmat(t, target, access, initiators, rbw, wbw, rlat, wlat):
    """numaperf.rst: accessY/initiators/{nodeI,read_bandwidth,...} on the target,
    accessY/targets/nodeT on each initiator (MB/s and ns)."""
    base = "/sys/devices/system/node"
    a = f"{base}/node{target}/access{access}/initiators"
    for k, v in (("read_bandwidth", rbw), ("write_bandwidth", wbw), ("read_latency", rlat), ("write_latency", wlat)):
        t.f(f"{a}/{k}", v)
    for i in initiators:
        t.ln(f"{a}/node{i}", f"{base}/node{i}")
        t.ln(f"{base}/node{i}/access{access}/targets/node{target}", f"{base}/node{target}")


def adistance(perf, dram):
    """mm/memory-tiers.c mt_perf_to_adistance(), integer arithmetic left to right."""
    rbw, wbw, rlat, wlat = perf
    drbw, dwbw, drlat, dwlat = dram
    return 576 * (rlat + wlat) // (drlat + dwlat) * (drbw + dwbw) // (rbw + wbw)


def tiers(t, tiermap):
    """sysfs-kernel-mm-memory-tiers: memory_tierN (N = abstract distance >> 7)."""
    for n, ns in sorted(tiermap.items()):
        d = f"/sys/devices/virtual/memory_tiering/memory_tier{n}"
        t.f(f"{d}/nodelist", idlist(ns))
        t.ln(f"{d}/subsystem", "/sys/bus/memory_tiering")
        t.ln(f"/sys/bus/memory_tiering/devices/memory_tier{n}", d)
    t.f("/sys/kernel/mm/numa/demotion_enabled", "false")


def dax(t, devpath, name, size, target_node, numa_node, driver, resource):
    """sysfs-bus-dax: devpath is the canonical device folder; driver kmem|device_dax."""
    t.f(f"{devpath}/size", size)
    t.f(f"{devpath}/target_node", target_node)
    t.f(f"{devpath}/numa_node", numa_node)
    t.f(f"{devpath}/align", 2097152)
    t.f(f"{devpath}/resource", hex(resource))
    t.f(f"{devpath}/modalias", "dax:t0")
    t.ln(f"{devpath}/subsystem", "/sys/bus/dax")
    t.ln(f"{devpath}/driver", f"/sys/bus/dax/drivers/{driver}")
    t.ln(f"/sys/bus/dax/devices/{name}", devpath)
    t.ln(f"/sys/bus/dax/drivers/{driver}/{name}", devpath)
    for drv in ("kmem", "device_dax"):
        t.d(f"/sys/bus/dax/drivers/{drv}")


def dax_region(t, parent, rid, size):
    t.f(f"{parent}/dax_region/id", rid)
    t.f(f"{parent}/dax_region/size", size)
    t.f(f"{parent}/dax_region/align", 2097152)
    t.f(f"{parent}/dax_region/available_size", 0)


def host_bridge(t, hb):
    t.d(f"/sys/devices/{hb}")
    dom, bus = hb[3:].split(":")
    t.ln(f"/sys/class/pci_bus/{dom}:{bus}", f"/sys/devices/{hb}/pci_bus/{dom}:{bus}")
    t.d(f"/sys/devices/{hb}/pci_bus/{dom}:{bus}")


def pci(t, chain, vendor, device, cls, node, local_cpus, ncpus, driver=None, speed=None, width=None,
        max_speed=None, max_width=None, sub=None, rev=0, bridge=None, extra=None, uevent=False):
    """chain: ["pci0000:00", "0000:00:01.0", ...]; the last element is this function.
    uevent: also write the function's uevent, as the kernel prints it (the
    driver core's DRIVER= while one is bound, then pci_uevent() of
    drivers/pci/pci-driver.c). The committed test trees leave it out, so
    their PCI attributes are read from the attribute files."""
    path = "/sys/devices/" + "/".join(chain)
    bdf = chain[-1]
    t.f(f"{path}/vendor", f"0x{vendor:04x}")
    t.f(f"{path}/device", f"0x{device:04x}")
    sv, sd = sub or (vendor, device)
    t.f(f"{path}/subsystem_vendor", f"0x{sv:04x}")
    t.f(f"{path}/subsystem_device", f"0x{sd:04x}")
    t.f(f"{path}/class", f"0x{cls:06x}")
    t.f(f"{path}/revision", f"0x{rev:02x}")
    t.f(f"{path}/numa_node", node)
    t.f(f"{path}/local_cpulist", idlist(local_cpus))
    t.f(f"{path}/local_cpus", cpumask(local_cpus, ncpus))
    t.f(f"{path}/enable", 1)
    t.f(f"{path}/irq", 0)
    if speed:
        t.f(f"{path}/current_link_speed", f"{speed} GT/s PCIe")
        t.f(f"{path}/max_link_speed", f"{max_speed or speed} GT/s PCIe")
        t.f(f"{path}/current_link_width", width)
        t.f(f"{path}/max_link_width", max_width or width)
    if bridge:
        sec, sub_ = bridge
        t.f(f"{path}/secondary_bus_number", sec)
        t.f(f"{path}/subordinate_bus_number", sub_)
        t.d(f"{path}/pci_bus/{bdf[:4]}:{sec:02x}")
    # First 64 bytes of config space (what a non-root reader sees): ids,
    # command, revision/class, header type, and the bus numbers of bridges.
    cfg = bytearray(64)
    cfg[0:2] = vendor.to_bytes(2, "little")
    cfg[2:4] = device.to_bytes(2, "little")
    cfg[4] = 0x06
    cfg[8] = rev
    cfg[9:12] = cls.to_bytes(3, "little")
    if bridge:
        cfg[0x0e] = 0x01
        cfg[0x18] = int(bdf.split(":")[1], 16)
        cfg[0x19], cfg[0x1a] = bridge
    else:
        cfg[0x2c:0x2e] = sv.to_bytes(2, "little")
        cfg[0x2e:0x30] = sd.to_bytes(2, "little")
    p = os.path.join(t.root, path.lstrip("/"), "config")
    with open(p, "wb") as fh:
        fh.write(bytes(cfg))
    t.ln(f"{path}/subsystem", "/sys/bus/pci")
    t.ln(f"/sys/bus/pci/devices/{bdf}", path)
    if driver:
        t.ln(f"{path}/driver", f"/sys/bus/pci/drivers/{driver}")
        t.ln(f"/sys/bus/pci/drivers/{driver}/{bdf}", path)
    if uevent:
        lines = [f"DRIVER={driver}"] if driver else []
        lines += [f"PCI_CLASS={cls:04X}", f"PCI_ID={vendor:04X}:{device:04X}", f"PCI_SUBSYS_ID={sv:04X}:{sd:04X}",
                  f"PCI_SLOT_NAME={bdf}",
                  f"MODALIAS=pci:v{vendor:08X}d{device:08X}sv{sv:08X}sd{sd:08X}"
                  f"bc{cls >> 16:02X}sc{(cls >> 8) & 0xff:02X}i{cls & 0xff:02X}"]
        t.f(f"{path}/uevent", "\n".join(lines))
    for k, v in (extra or {}).items():
        t.f(f"{path}/{k}", v)
    return path


def nvidia_info(t, bdf, minor, uuid):
    """nv-procfs.c information file (format of a real H100)."""
    t.f(f"/proc/driver/nvidia/version",
        "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  535.129.03\nGCC version:  gcc version 12.2.0\n")
    t.f(f"/proc/driver/nvidia/gpus/{bdf}/information",
        "Model: \t\t NVIDIA H100 80GB HBM3\nIRQ:   \t\t 0\n"
        f"GPU UUID: \t GPU-{uuid}\nVideo BIOS: \t 96.00.99.00.01\nBus Type: \t PCIe\n"
        "DMA Size: \t 52 bits\nDMA Mask: \t 0xfffffffffffff\n"
        f"Bus Location: \t {bdf}\nDevice Minor: \t {minor}\nGPU Firmware: \t 535.129.03\nGPU Excluded:\t No\n")


def cxl_expander(t, hb, rootport, dev, node, cpus_, ncpus, size, region, hpa, serial, dax_node):
    """sysfs-bus-cxl + single-device.rst: root0 -> port1 (host bridge) -> endpoint2
    -> mem0, root decoder0.0 -> region -> dax_region -> daxR.0 (kmem)."""
    host_bridge(t, hb)
    pci(t, [hb, rootport], 0x8086, 0x2030, 0x060400, node, cpus_, ncpus, driver="pcieport",
        speed="32.0", width=16, bridge=(int(dev.split(":")[1], 16),) * 2)
    devpath = pci(t, [hb, rootport, dev], 0x8086, 0x0d93, 0x050210, node, cpus_, ncpus, driver="cxl_pci",
                  speed="32.0", width=16)
    acpi = "/sys/devices/platform/ACPI0017:00"
    root = f"{acpi}/root0"
    t.f(f"{acpi}/modalias", "acpi:ACPI0017:")
    bus = "/sys/bus/cxl/devices"

    def obj(path, name, devtype):
        t.f(f"{path}/devtype", devtype)
        t.ln(f"{path}/subsystem", "/sys/bus/cxl")
        t.ln(f"{bus}/{name}", path)

    obj(root, "root0", "cxl_port")
    t.ln(f"{root}/uport", acpi)
    t.ln(f"{root}/dport0", f"/sys/devices/{hb}")
    # Root decoder: the CFMWS window (cap_ram) that regions are carved from.
    rd = f"{root}/decoder0.0"
    obj(rd, "decoder0.0", "cxl_decoder_root")
    for k, v in (("start", hex(hpa)), ("size", hex(size)), ("interleave_ways", 1),
                 ("interleave_granularity", 256), ("target_list", 0), ("cap_pmem", 0), ("cap_ram", 1),
                 ("cap_type2", 0), ("cap_type3", 1), ("locked", 0), ("qos_class", 0),
                 ("target_type", "expander")):
        t.f(f"{rd}/{k}", v)
    port = f"{root}/port1"
    obj(port, "port1", "cxl_port")
    t.ln(f"{port}/uport", f"/sys/devices/{hb}")
    t.ln(f"{port}/dport0", devpath.rsplit("/", 1)[0])
    sd = f"{port}/decoder1.0"
    obj(sd, "decoder1.0", "cxl_decoder_switch")
    for k, v in (("start", hex(hpa)), ("size", hex(size)), ("interleave_ways", 1),
                 ("interleave_granularity", 256), ("target_list", 0), ("target_type", "expander"),
                 ("locked", 0)):
        t.f(f"{sd}/{k}", v)
    ep = f"{port}/endpoint2"
    obj(ep, "endpoint2", "cxl_port")
    mem = f"{devpath}/mem0"
    t.ln(f"{ep}/uport", mem)
    ed = f"{ep}/decoder2.0"
    obj(ed, "decoder2.0", "cxl_decoder_endpoint")
    for k, v in (("start", hex(hpa)), ("size", hex(size)), ("interleave_ways", 1),
                 ("interleave_granularity", 256), ("mode", "ram"), ("dpa_resource", "0x0"),
                 ("dpa_size", hex(size)), ("target_type", "expander"), ("locked", 0)):
        t.f(f"{ed}/{k}", v)
    obj(mem, "mem0", "cxl_memdev")
    t.f(f"{mem}/ram/size", hex(size))
    t.f(f"{mem}/ram/qos_class", 0)
    t.f(f"{mem}/pmem/size", "0x0")
    t.f(f"{mem}/serial", hex(serial))
    t.f(f"{mem}/numa_node", node)
    t.f(f"{mem}/firmware_version", "BWFW VERSION 00")
    t.f(f"{mem}/payload_max", 2048)
    t.f(f"{mem}/label_storage_size", 0)
    t.f(f"{mem}/dev", "251:0")
    # The region (6.0+) and its DAX region, onlined by kmem as `dax_node`.
    rg = f"{rd}/region{region}"
    obj(rg, f"region{region}", "cxl_region")
    for k, v in (("uuid", ""), ("mode", "ram"), ("size", hex(size)), ("resource", hex(hpa)),
                 ("interleave_ways", 1), ("interleave_granularity", 256), ("commit", 1),
                 ("target0", "decoder2.0")):
        t.f(f"{rg}/{k}", v)
    dr = f"{rg}/dax_region{region}"
    obj(dr, f"dax_region{region}", "cxl_dax_region")
    dax_region(t, dr, region, size)
    dax(t, f"{dr}/dax{region}.0", f"dax{region}.0", size, dax_node, node, "kmem", hpa)
    return rg


# ---------------------------------------------------------------------------

def hbm_flat():
    t = Tree(os.path.join(REPO, "tests/trees/hbm-flat"))
    n = cpus(t, [list(range(8))])
    nodes(t, {0: (list(range(8)), 16 * GiB), 1: ([], 16 * GiB)}, n, [[10, 13], [13, 10]])
    ddr, hbm = (262144, 196608, 110, 110), (819200, 655360, 130, 130)
    for acc in (0, 1):
        hmat(t, 0, acc, [0], *ddr)
        hmat(t, 1, acc, [0], *hbm)
    host_bridge(t, "pci0000:00")
    hm = "/sys/devices/platform/hmem.0"
    t.f(f"{hm}/modalias", "platform:hmem")
    dax_region(t, hm, 0, 16 * GiB)
    dax(t, f"{hm}/dax0.0", "dax0.0", 16 * GiB, 1, 0, "kmem", 0x1080000000)
    tiers(t, {4: [0], adistance(hbm, ddr) >> 7: [1]})
    return adistance(hbm, ddr)


def cxl_tree():
    t = Tree(os.path.join(REPO, "tests/trees/cxl-expander"))
    n = cpus(t, [list(range(8))], model="Intel(R) Xeon(R) Gold 6430")
    size = 4 * GiB  # single-device.rst's 128 GiB scaled down
    nodes(t, {0: (list(range(8)), 16 * GiB), 1: ([], size)}, n, [[10, 20], [20, 10]])
    ddr, cxl = (262144, 196608, 110, 110), (28000, 28000, 270, 270)
    for acc in (0, 1):
        hmat(t, 0, acc, [0], *ddr)
    hmat(t, 1, 1, [0], *cxl)
    host_bridge(t, "pci0000:00")
    rg = cxl_expander(t, "pci0000:34", "0000:34:00.0", "0000:35:00.0", 0, list(range(8)), n, size, 0,
                      0x1050000000, 0x4d2, 1)
    for k, v in zip(("read_bandwidth", "write_bandwidth", "read_latency", "write_latency"), cxl):
        t.f(f"{rg}/access1/{k}", v)
        t.f(f"{rg}/access0/{k}", v)
    tiers(t, {4: [0], adistance(cxl, ddr) >> 7: [1]})
    return adistance(cxl, ddr)


def pmem_tree():
    t = Tree(os.path.join(REPO, "tests/trees/pmem-dax"))
    n = cpus(t, [list(range(4)), list(range(4, 8))], model="Intel(R) Xeon(R) Gold 6230")
    nodes(t, {0: (list(range(4)), 8 * GiB), 1: (list(range(4, 8)), 8 * GiB), 2: ([], 32 * GiB)}, n,
          [[10, 21, 17], [21, 10, 28], [17, 28, 10]])
    host_bridge(t, "pci0000:00")
    nd = "/sys/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0012:00/ndbus0"
    t.f(f"{nd}/provider", "ACPI.NFIT")
    t.f(f"{nd}/region0/numa_node", 0)
    t.f(f"{nd}/region0/target_node", 2)
    t.f(f"{nd}/region1/numa_node", 1)
    t.f(f"{nd}/region1/target_node", 3)
    dax_region(t, f"{nd}/region0/dax0.1", 0, 32 * GiB)
    dax(t, f"{nd}/region0/dax0.1/dax0.0", "dax0.0", 32 * GiB, 2, 0, "kmem", 0x3060000000)
    dax_region(t, f"{nd}/region1/dax1.1", 1, 16 * GiB)
    dax(t, f"{nd}/region1/dax1.1/dax1.0", "dax1.0", 16 * GiB, 3, 1, "device_dax", 0x3880000000)
    # No HMAT here: kmem's default MEMTIER_DEFAULT_DAX_ADISTANCE (5 * 576 = 2880) -> tier 22.
    tiers(t, {4: [0, 1], 2880 >> 7: [2]})


def demo():
    t = Tree(os.path.join(REPO, "demo/root"))
    s0, s1 = list(range(8)), list(range(8, 16))
    n = cpus(t, [s0, s1])
    cxl_size = 8 * GiB
    nodes(t, {0: (s0, 32 * GiB), 1: (s1, 32 * GiB), 2: ([], 16 * GiB), 3: ([], cxl_size)}, n,
          [[10, 21, 13, 24], [21, 10, 23, 14], [13, 23, 10, 26], [24, 14, 26, 10]])
    ddr = (262144, 196608, 110, 110)
    hbm, cxl = (819200, 655360, 130, 130), (28000, 28000, 270, 270)
    for acc in (0, 1):
        hmat(t, 0, acc, [0], *ddr)
        hmat(t, 1, acc, [1], *ddr)
        hmat(t, 2, acc, [0], *hbm)
        hmat(t, 3, acc, [1], *cxl)
    t.f("/sys/class/dmi/id/sys_vendor", "accelmap demo (hand-written)")
    t.f("/sys/class/dmi/id/product_name", "Two-socket accelerator server")
    t.f("/proc/sys/kernel/osrelease", "6.8.0-demo")
    # Socket 0: a Gen5 switch with two H100s under a root port.
    host_bridge(t, "pci0000:15")
    rp = ["pci0000:15", "0000:15:01.0"]
    pci(t, rp, 0x8086, 0x2030, 0x060400, 0, s0, n, driver="pcieport", speed="32.0", width=16, bridge=(0x16, 0x19))
    usp = rp + ["0000:16:00.0"]
    pci(t, usp, 0x1000, 0xc030, 0x060400, 0, s0, n, driver="pcieport", speed="32.0", width=16, bridge=(0x17, 0x19))
    for i, (dsp, gpu) in enumerate((("0000:17:00.0", "0000:18:00.0"), ("0000:17:01.0", "0000:19:00.0"))):
        bus = int(gpu.split(":")[1], 16)
        pci(t, usp + [dsp], 0x1000, 0xc030, 0x060400, 0, s0, n, driver="pcieport", speed="32.0", width=16,
            bridge=(bus, bus))
        pci(t, usp + [dsp, gpu], 0x10de, 0x2330, 0x030200, 0, s0, n, driver="nvidia", speed="32.0", width=16,
            sub=(0x10de, 0x16c1), rev=0xa1)
        nvidia_info(t, gpu, i, ["9221d5d1-b60b-a624-bf14-0a1819cfda3b", "5b1f2c0e-7a1d-4c8e-9e0f-3d2a6b7c8d90"][i])
    # Socket 0: DSA and IAA are root-complex integrated endpoints on SPR.
    host_bridge(t, "pci0000:6a")
    dsa = pci(t, ["pci0000:6a", "0000:6a:01.0"], 0x8086, 0x0b25, 0x088000, 0, s0, n, driver="idxd")
    iax = pci(t, ["pci0000:6a", "0000:6a:02.0"], 0x8086, 0x0cfe, 0x088000, 0, s0, n, driver="idxd")
    # Their idxd configuration (sysfs-driver-dma-idxd): dsa0 with one enabled
    # dedicated user WQ and one still disabled; iax1 with one enabled shared WQ.
    from make_engine_trees import idxd_device  # late import: that module imports this one
    idxd_device(t, dsa, "dsa0", 0,
                "00000000,00000000,00000000,00000000,00000000,00000000,00000001,003f03ff", 8, 4,
                {0: ([0, 1], [0, 1])},
                {0: {"state": "enabled", "mode": "dedicated", "type": "user", "size": 16, "group_id": 0,
                     "name": "demo-copy", "driver_name": "user"},
                 1: {"state": "disabled", "mode": "shared", "type": "user", "size": 16, "group_id": 0,
                     "name": "demo-spare", "driver_name": "user"}})
    idxd_device(t, iax, "iax1", 1,
                "00000000,00000000,00000000,00000000,00000000,007f331c,00000000,0000000d", 8, 8,
                {0: ([0], [0])},
                {0: {"state": "enabled", "mode": "shared", "type": "user", "size": 128, "group_id": 0,
                     "name": "demo-deflate", "driver_name": "user"}})
    # Socket 1: QAT 4xxx (RCiEP) with its qat/ state, and the CXL expander.
    host_bridge(t, "pci0000:e8")
    q = pci(t, ["pci0000:e8", "0000:e8:00.0"], 0x8086, 0x4940, 0x0b4000, 1, s1, n, driver="4xxx",
            extra={"sriov_totalvfs": 16, "sriov_numvfs": 0})
    t.f(f"{q}/qat/state", "up")
    t.f(f"{q}/qat/cfg_services", "sym;asym")
    # HBM of socket 0 set aside by firmware (EFI_MEMORY_SP) and onlined by kmem as node 2.
    hm = "/sys/devices/platform/hmem.0"
    t.f(f"{hm}/modalias", "platform:hmem")
    dax_region(t, hm, 0, 16 * GiB)
    dax(t, f"{hm}/dax0.0", "dax0.0", 16 * GiB, 2, 0, "kmem", 0x2080000000)
    rg = cxl_expander(t, "pci0000:c0", "0000:c0:01.0", "0000:c1:00.0", 1, s1, n, cxl_size, 1,
                      0x4080000000, 0x5a5a1234, 3)
    for k, v in zip(("read_bandwidth", "write_bandwidth", "read_latency", "write_latency"), cxl):
        t.f(f"{rg}/access0/{k}", v)
        t.f(f"{rg}/access1/{k}", v)
    tiers(t, {4: [0, 1], adistance(hbm, ddr) >> 7: [2], adistance(cxl, ddr) >> 7: [3]})


if __name__ == "__main__":
    print("hbm-flat HBM adistance", hbm_flat())
    print("cxl-expander CXL adistance", cxl_tree())
    pmem_tree()
    demo()
