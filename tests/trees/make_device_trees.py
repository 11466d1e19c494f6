#!/usr/bin/env python3
"""Writes the hand-written FPGA and CXL type-2 trees of tests/trees/.

Nothing here was recorded from a machine: every file is written from the kernel
ABI documents cited in each tree's README.md, with the helpers of make_trees.py
(relative symlinks, as the kernel shows them). Kept apart from make_trees.py so
the memory trees and these device trees can be regenerated independently.
Run from anywhere:  python3 tests/trees/make_device_trees.py
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_trees import GiB, REPO, Tree, cpus, host_bridge, nodes, pci  # noqa: E402

# The AFUs of the two FPGA trees. NLB0 is the OPAE "native loopback" sample AFU;
# the second id is made up (no such bitstream exists) and is only named by
# tests/trees/fpga-catalog.json.
NLB0_AFU = "d8424dc4-a4a3-c413-f89e-433683f9040b"
FAKE_DEFLATE_AFU = "c0ffee00-d0d0-4eed-beef-00000000de11"
# Interface id of the static region (FIM); made up, unchanged by reprogramming the AFU.
N3000_COMPAT_ID = "a3b5c7d9-e1f3-4a5b-8c7d-9e0f1a2b3c4d"


def kernel_uuid(u):
    """dfl-afu-main.c / fpga-region.c print ids as "%016llx%016llx": 32 hex digits, no dashes."""
    return u.replace("-", "")


def platform_dev(t, path, name, driver):
    t.ln(f"{path}/subsystem", "/sys/bus/platform")
    t.ln(f"/sys/bus/platform/devices/{name}", path)
    t.ln(f"{path}/driver", f"/sys/bus/platform/drivers/{driver}")
    t.ln(f"/sys/bus/platform/drivers/{driver}/{name}", path)


def fpga_n3000(name, afu):
    """dfl.c, dfl-fme-*.c, dfl-afu-main.c, fpga-{mgr,region,bridge}.c object layout:
    <BDF>/fpga_region/region0                  (the DFL container region, no compat_id)
      dfl-fme.0                                (bitstream_id, bitstream_metadata, ports_num, socket_id)
        dfl-fme-mgr.0/fpga_manager/fpga0       (name, state, status)
        dfl-fme-br.0/fpga_bridge/br0           (state)
        dfl-fme-region.0/fpga_region/region1   (compat_id of the partial-reconfiguration region)
        dfl_dev.0                              (DFL bus: type, feature_id)
      dfl-port.0                               (afu_id, id, power_state)"""
    t = Tree(os.path.join(REPO, "tests/trees", name))
    n = cpus(t, [list(range(8))], model="Intel(R) Xeon(R) Gold 6230")
    nodes(t, {0: (list(range(8)), 16 * GiB)}, n, [[10]])
    t.f("/proc/sys/kernel/osrelease", "6.8.0-handwritten")
    host_bridge(t, "pci0000:00")
    pci(t, ["pci0000:00", "0000:00:01.0"], 0x8086, 0x2030, 0x060400, 0, list(range(8)), n, driver="pcieport",
        speed="8.0", width=16, bridge=(0x01, 0x01))
    dev = pci(t, ["pci0000:00", "0000:00:01.0", "0000:01:00.0"], 0x8086, 0x0b30, 0x120000, 0, list(range(8)), n,
              driver="dfl-pci", speed="8.0", width=8, max_width=8)

    r0 = f"{dev}/fpga_region/region0"
    t.ln(f"{r0}/subsystem", "/sys/class/fpga_region")
    t.ln("/sys/class/fpga_region/region0", r0)

    fme = f"{r0}/dfl-fme.0"
    platform_dev(t, fme, "dfl-fme.0", "dfl-fme")
    t.f(f"{fme}/bitstream_id", "0x23000410010309")
    t.f(f"{fme}/bitstream_metadata", "0x1192012302")
    t.f(f"{fme}/ports_num", 1)
    t.f(f"{fme}/socket_id", 0)

    mgr = f"{fme}/dfl-fme-mgr.0"
    platform_dev(t, mgr, "dfl-fme-mgr.0", "dfl-fme-mgr")
    fm = f"{mgr}/fpga_manager/fpga0"
    t.f(f"{fm}/name", "DFL FME FPGA Manager")
    t.f(f"{fm}/state", "operating")
    t.f(f"{fm}/status", "")
    t.ln(f"{fm}/subsystem", "/sys/class/fpga_manager")
    t.ln("/sys/class/fpga_manager/fpga0", fm)

    br = f"{fme}/dfl-fme-br.0"
    platform_dev(t, br, "dfl-fme-br.0", "dfl-fme-bridge")
    fb = f"{br}/fpga_bridge/br0"
    t.f(f"{fb}/name", "DFL FPGA FME Bridge")
    t.f(f"{fb}/state", "enabled")
    t.ln(f"{fb}/subsystem", "/sys/class/fpga_bridge")
    t.ln("/sys/class/fpga_bridge/br0", fb)

    pr = f"{fme}/dfl-fme-region.0"
    platform_dev(t, pr, "dfl-fme-region.0", "dfl-fme-region")
    r1 = f"{pr}/fpga_region/region1"
    t.f(f"{r1}/compat_id", kernel_uuid(N3000_COMPAT_ID))
    t.ln(f"{r1}/subsystem", "/sys/class/fpga_region")
    t.ln("/sys/class/fpga_region/region1", r1)

    # A private FME feature on the DFL bus: the N3000 Nios (FME feature id 0xd).
    dd = f"{fme}/dfl_dev.0"
    t.f(f"{dd}/type", "0x0")
    t.f(f"{dd}/feature_id", "0xd")
    t.ln(f"{dd}/subsystem", "/sys/bus/dfl")
    t.ln("/sys/bus/dfl/devices/dfl_dev.0", dd)

    port = f"{r0}/dfl-port.0"
    platform_dev(t, port, "dfl-port.0", "dfl-port")
    t.f(f"{port}/afu_id", kernel_uuid(afu))
    t.f(f"{port}/id", 0)
    t.f(f"{port}/power_state", "0x0")


def cxl_type2():
    """sysfs-bus-cxl objects for an accelerator with device memory (HDM-D/DB):
    root0 -> root decoder decoder0.0 (cap_type2) -> port1 (host bridge pci0000:38,
    switch decoder decoder1.0) -> endpoint2 (uport -> <BDF>/mem0, decoder2.0)."""
    t = Tree(os.path.join(REPO, "tests/trees/cxl-type2"))
    n = cpus(t, [list(range(8))], model="Intel(R) Xeon(R) Gold 6430")
    nodes(t, {0: (list(range(8)), 16 * GiB)}, n, [[10]])
    t.f("/proc/sys/kernel/osrelease", "6.12.0-handwritten")
    host_bridge(t, "pci0000:00")
    hb, rp, bdf = "pci0000:38", "0000:38:00.0", "0000:39:00.0"
    host_bridge(t, hb)
    cl = list(range(8))
    pci(t, [hb, rp], 0x8086, 0x2030, 0x060400, 0, cl, n, driver="pcieport", speed="32.0", width=16,
        bridge=(0x39, 0x39))
    # Fictional accelerator id (no such product): class 0x120000 processing accelerator.
    devpath = pci(t, [hb, rp, bdf], 0x8086, 0x0d9f, 0x120000, 0, cl, n, driver="type2_accel",
                  speed="32.0", width=16)
    hdm, hpa = 2 * GiB, 0x2080000000
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
    rd = f"{root}/decoder0.0"
    obj(rd, "decoder0.0", "cxl_decoder_root")
    for k, v in (("start", hex(hpa)), ("size", hex(4 * GiB)), ("interleave_ways", 1),
                 ("interleave_granularity", 256), ("target_list", 0), ("cap_pmem", 0), ("cap_ram", 1),
                 ("cap_type2", 1), ("cap_type3", 0), ("locked", 0), ("qos_class", 0),
                 ("target_type", "accelerator")):
        t.f(f"{rd}/{k}", v)
    port = f"{root}/port1"
    obj(port, "port1", "cxl_port")
    t.ln(f"{port}/uport", f"/sys/devices/{hb}")
    t.ln(f"{port}/dport0", f"/sys/devices/{hb}/{rp}")
    sd = f"{port}/decoder1.0"
    obj(sd, "decoder1.0", "cxl_decoder_switch")
    for k, v in (("start", hex(hpa)), ("size", hex(hdm)), ("interleave_ways", 1),
                 ("interleave_granularity", 256), ("target_list", 0), ("target_type", "accelerator"),
                 ("locked", 0)):
        t.f(f"{sd}/{k}", v)
    ep = f"{port}/endpoint2"
    obj(ep, "endpoint2", "cxl_port")
    mem = f"{devpath}/mem0"
    t.ln(f"{ep}/uport", mem)
    ed = f"{ep}/decoder2.0"
    obj(ed, "decoder2.0", "cxl_decoder_endpoint")
    for k, v in (("start", hex(hpa)), ("size", hex(hdm)), ("interleave_ways", 1),
                 ("interleave_granularity", 256), ("mode", "ram"), ("dpa_resource", "0x0"),
                 ("dpa_size", hex(hdm)), ("target_type", "accelerator"), ("locked", 1)):
        t.f(f"{ed}/{k}", v)
    obj(mem, "mem0", "cxl_memdev")
    t.f(f"{mem}/ram/size", hex(hdm))
    t.f(f"{mem}/pmem/size", "0x0")
    t.f(f"{mem}/serial", hex(0x7e57))
    t.f(f"{mem}/numa_node", 0)
    t.f(f"{mem}/dev", "251:0")


if __name__ == "__main__":
    fpga_n3000("fpga-n3000-before", NLB0_AFU)
    fpga_n3000("fpga-n3000-after", FAKE_DEFLATE_AFU)
    cxl_type2()
