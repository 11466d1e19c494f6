#!/usr/bin/env python3
"""Writes the hand-written offload-engine trees of tests/trees/:
kunpeng-hisi (uacce), xeon-dsa-iaa (idxd), qat-4xxx (qat + /proc/crypto).

Nothing here was recorded from a machine (no public recording of these
interfaces exists): every file follows the kernel ABI documents cited in each
tree's README.md. Symlinks are relative, as the kernel shows them.
Run from anywhere:  python3 tests/trees/make_engine_trees.py
"""
import os

from make_trees import REPO, GiB, Tree, cpus, host_bridge, nodes, pci


def machine(t, model):
    """Two sockets of 4 CPUs, one NUMA node each."""
    n = cpus(t, [list(range(4)), list(range(4, 8))], model=model)
    nodes(t, {0: (list(range(4)), 16 * GiB), 1: (list(range(4, 8)), 16 * GiB)}, n, [[10, 20], [20, 10]])
    return n


def uacce(t, pcipath, name, api, flags, avail, algs, isolate, strategy):
    d = f"{pcipath}/uacce/{name}"
    t.f(f"{d}/api", api)
    t.f(f"{d}/flags", flags)
    t.f(f"{d}/available_instances", avail)
    t.f(f"{d}/algorithms", "\n".join(algs))
    t.f(f"{d}/region_mmio_size", 16384)
    t.f(f"{d}/region_dus_size", 16384)
    t.f(f"{d}/isolate", isolate)
    t.f(f"{d}/isolate_strategy", strategy)
    t.f(f"{d}/dev", "240:0")
    t.ln(f"{d}/device", pcipath)
    t.ln(f"{d}/subsystem", "/sys/class/uacce")
    t.ln(f"/sys/class/uacce/{name}", d)


def kunpeng():
    t = Tree(os.path.join(REPO, "tests/trees/kunpeng-hisi"))
    n = machine(t, "Kunpeng 920")
    # (bus, node, device id, driver, uacce name, algorithms, isolate, available_instances)
    zip_algs = ["zlib", "gzip", "deflate", "lz77_zstd"]
    devs = [
        ("75", 0, 0xa250, "hisi_zip", "hisi_zip-0", zip_algs, 0, 256),
        ("76", 0, 0xa255, "hisi_sec2", "hisi_sec2-0", ["cipher", "digest", "aead"], 0, 128),
        ("79", 0, 0xa258, "hisi_hpre", "hisi_hpre-0", ["rsa", "dh", "ecdh", "x25519", "x448", "ecdsa", "sm2"], 0, 64),
        ("b5", 1, 0xa250, "hisi_zip", "hisi_zip-1", zip_algs, 1, 256),
    ]
    for bus, node, dev, drv, name, algs, iso, avail in devs:
        hb = f"pci0000:{bus}"
        host_bridge(t, hb)
        cl = list(range(4)) if node == 0 else list(range(4, 8))
        path = pci(t, [hb, f"0000:{bus}:00.0"], 0x19e5, dev, 0x120000, node, cl, n, driver=drv, rev=0x21,
                   extra={"sriov_totalvfs": 63, "sriov_numvfs": 0})
        uacce(t, path, name, "hisi_qm_v2", 1, avail, algs, iso, 4 if iso else 0)


def idxd_device(t, pcipath, dev, n, op_cap, max_wq, max_eng, groups, wqs):
    """groups: {gid: (engines, wq names)}; wqs: {m: dict of attributes}."""
    d = f"{pcipath}/{dev}"
    for k, v in {"state": "enabled", "op_cap": op_cap, "numa_node": 0, "max_work_queues": max_wq,
                 "max_work_queues_size": 128, "max_engines": max_eng, "max_groups": 4, "version": "0x100",
                 "max_batch_size": 1024, "max_transfer_size": 2147483648, "configurable": 1,
                 "pasid_enabled": 1, "gen_cap": "0x40915f0107"}.items():
        t.f(f"{d}/{k}", v)
    t.ln(f"{d}/subsystem", "/sys/bus/dsa")
    t.ln(f"/sys/bus/dsa/devices/{dev}", d)
    eng_group = {}
    for gid in range(4):
        engines, wql = groups.get(gid, ([], []))
        for e in engines:
            eng_group[e] = gid
        g = f"{d}/group{n}.{gid}"
        t.f(f"{g}/engines", " ".join(f"engine{n}.{e}" for e in engines))
        t.f(f"{g}/work_queues", " ".join(f"wq{n}.{m}" for m in wql))
        t.ln(f"/sys/bus/dsa/devices/group{n}.{gid}", g)
    for e in range(max_eng):
        p = f"{d}/engine{n}.{e}"
        t.f(f"{p}/group_id", eng_group.get(e, -1))
        t.ln(f"/sys/bus/dsa/devices/engine{n}.{e}", p)
    for m in range(max_wq):
        # An unset name or driver_name reads "\n", not nothing: the kernel prints
        # them with sysfs_emit(buf, "%s\n", ...) (drivers/dma/idxd/sysfs.c,
        # wq_name_show, wq_driver_name_show); only a group's empty engines and
        # work_queues lists read as zero bytes.
        a = {"state": "disabled", "mode": "dedicated", "type": "none", "size": 0, "group_id": -1, "name": "\n",
             "priority": 0, "driver_name": "\n"}
        a.update(wqs.get(m, {}))
        p = f"{d}/wq{n}.{m}"
        for k, v in a.items():
            t.f(f"{p}/{k}", v)
        t.ln(f"/sys/bus/dsa/devices/wq{n}.{m}", p)


def xeon_dsa_iaa():
    t = Tree(os.path.join(REPO, "tests/trees/xeon-dsa-iaa"))
    n = machine(t, "Intel(R) Xeon(R) Platinum 8480+")
    host_bridge(t, "pci0000:6a")
    dsa = pci(t, ["pci0000:6a", "0000:6a:01.0"], 0x8086, 0x0b25, 0x088000, 0, list(range(4)), n, driver="idxd")
    iax = pci(t, ["pci0000:6a", "0000:6a:02.0"], 0x8086, 0x0cfe, 0x088000, 0, list(range(4)), n, driver="idxd")
    # dsa0, op_cap in the %*pb format (6.0+): opcodes 0x00-0x09, 0x10-0x15, 0x20.
    idxd_device(t, dsa, "dsa0", 0,
                "00000000,00000000,00000000,00000000,00000000,00000000,00000001,003f03ff", 8, 4,
                {0: ([0, 1], [0, 1])},
                {0: {"state": "enabled", "mode": "dedicated", "type": "user", "size": 16, "group_id": 0,
                     "name": "app1", "driver_name": "user", "priority": 10,
                     # op_config narrows wq0.0 to 0x00-0x09, 0x10, 0x11, 0x20 (no DIF).
                     "op_config": "00000000,00000000,00000000,00000000,00000000,00000000,00000001,000303ff"},
                 1: {"state": "disabled", "mode": "shared", "type": "user", "size": 16, "group_id": 0,
                     "name": "app2", "driver_name": "user",
                     "op_config": "00000000,00000000,00000000,00000000,00000000,00000000,00000001,003f03ff"}})
    # iax1, op_cap in the four-%#llx-words format (~5.12 fix): 0x00, 0x02, 0x03,
    # 0x42-0x44, 0x48, 0x49, 0x4c, 0x4d, 0x50-0x56. No op_config (before 6.0).
    idxd_device(t, iax, "iax1", 1, "0xd 0x7f331c 0 0", 8, 8,
                {0: ([0], [0])},
                {0: {"state": "enabled", "mode": "shared", "type": "user", "size": 128, "group_id": 0,
                     "name": "iaa_app", "driver_name": "user"}})


def qat_4xxx():
    t = Tree(os.path.join(REPO, "tests/trees/qat-4xxx"))
    n = machine(t, "Intel(R) Xeon(R) Platinum 8480+")
    for bus, node, svc in (("6b", 0, "sym;asym"), ("e8", 1, "dc")):
        hb = f"pci0000:{bus}"
        host_bridge(t, hb)
        cl = list(range(4)) if node == 0 else list(range(4, 8))
        p = pci(t, [hb, f"0000:{bus}:00.0"], 0x8086, 0x4940, 0x0b4000, node, cl, n, driver="4xxx",
                extra={"sriov_totalvfs": 16, "sriov_numvfs": 0, "sriov_vf_device": "4941"})
        t.f(f"{p}/qat/state", "up")
        t.f(f"{p}/qat/cfg_services", svc)
        t.f(f"{p}/qat/num_rps", 64)
        t.f(f"{p}/qat/pm_idle_enabled", 1)

    def rec(name, driver, module, prio, typ, extra=""):
        return (f"name         : {name}\ndriver       : {driver}\nmodule       : {module}\n"
                f"priority     : {prio}\nrefcnt       : 1\nselftest     : passed\ninternal     : no\n"
                f"type         : {typ}\n{extra}")
    sk = "async        : yes\nblocksize    : 16\nmin keysize  : 16\nmax keysize  : 32\nivsize       : 16\n"
    recs = [
        rec("authenc(hmac(sha256),cbc(aes))", "qat_aes_cbc_hmac_sha256", "intel_qat", 4001, "aead",
            "async        : yes\nblocksize    : 16\nivsize       : 16\nmaxauthsize  : 32\n"),
        rec("xts(aes)", "qat_aes_xts", "intel_qat", 4001, "skcipher", sk),
        rec("ctr(aes)", "qat_aes_ctr", "intel_qat", 4001, "skcipher", sk),
        rec("cbc(aes)", "qat_aes_cbc", "intel_qat", 4001, "skcipher", sk),
        rec("dh", "qat-dh", "intel_qat", 1000, "kpp"),
        rec("rsa", "qat-rsa", "intel_qat", 1000, "akcipher"),
        rec("deflate", "qat_deflate", "intel_qat", 4001, "acomp"),
        rec("cbc(aes)", "cbc-aes-aesni", "aesni_intel", 400, "skcipher", sk),
        rec("sha256", "sha256-generic", "kernel", 100, "shash",
            "blocksize    : 64\ndigestsize   : 32\n"),
    ]
    t.f("/proc/crypto", "\n".join(recs))


if __name__ == "__main__":
    kunpeng()
    xeon_dsa_iaa()
    qat_4xxx()
