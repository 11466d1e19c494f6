#!/usr/bin/env python3
"""Runs share and chain queries (and matrix, find, best-memory) with two accelmap binaries and compares the outputs byte for byte.

Query speed work must not change a ranking: the order, the memory chosen per pair, the
tie-breaks and the explanation steps. For every tree (the corpus trees, tests/trees/*,
demo/root and the generated machines) this takes one function per distinct offer set
(same devices, states and free instances give the same answers) and asks both binaries
`share` and `chain` for pairs of them with several --count values (1..N and all), --json
and --explain, and policy variants (--p2p-max, --memory, --exclude, --include, --vendor,
--all-states, --min-free); and every device pair's path (matrix --explain, --json), paths to
other devices' memory (best-memory --from DEVICE, find --near DEVICE) and find near each
memory kind. Standard output, standard error and the exit code must match.

  bench/query_identical.py OLD_BIN NEW_BIN [--jobs 2] [--quick] [--only SUBSTRING]

Exit 0 when every query matched, 1 otherwise (the differing queries are listed, their
outputs kept under /tmp/accelmap-query-diffs).
"""
import argparse
import concurrent.futures as cf
import itertools
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)
TREES = os.environ.get("ACCELMAP_BENCH_TREES", "/tmp/accelmap-bench-trees")
CORPUS = os.environ.get("ACCELMAP_CORPUS_DIR", os.path.join(os.path.dirname(SRC), "shared", "corpus"))
DIFFS = "/tmp/accelmap-query-diffs"


def roots():
    out = []
    sysfs = os.path.join(CORPUS, "sysfs")
    for tx in sorted(os.listdir(sysfs)) if os.path.isdir(sysfs) else []:
        if not tx.endswith(".tar.xz"):
            continue
        name = tx[: -len(".tar.xz")]
        d = os.path.join(TREES, name)
        if not os.path.isdir(d):
            os.makedirs(d)
            subprocess.run(["tar", "-xJf", os.path.join(sysfs, tx), "-C", d], check=True)
        if os.path.isdir(os.path.join(d, name)):
            d = os.path.join(d, name)
        out.append(("corpus-" + name, d))
    tt = os.path.join(SRC, "tests", "trees")
    for name in sorted(os.listdir(tt)):
        if os.path.isdir(os.path.join(tt, name)):
            out.append(("trees-" + name, os.path.join(tt, name)))
    out.append(("demo", os.path.join(SRC, "demo", "root")))
    for n in (10, 100, 1000):
        d = os.path.join(TREES, f"gen-{n}")
        if not os.path.isdir(d):
            subprocess.run([sys.executable, os.path.join(HERE, "gen", "gen_machine.py"), "--devices", str(n), d],
                           check=True, stdout=subprocess.DEVNULL)
        out.append((f"gen-{n}", d))
    return out


def run(binary, args):
    p = subprocess.run([binary] + args, capture_output=True)
    return p.returncode, p.stdout, p.stderr


def representatives(binary, root):
    """One function per distinct offer set, in name order, and the accelerator keys."""
    rc, out, _ = run(binary, ["functions", "--root", root, "--pci-ids", "none", "--json"])
    if rc != 0:
        return [], [], []
    seen, reps, keys = set(), [], set()
    names = []
    for f in json.loads(out):
        names.append(f["name"])
        sig = json.dumps(f["devices"], sort_keys=True)
        keys.update(d["key"] for d in f["devices"])
        if sig not in seen:
            seen.add(sig)
            reps.append(f["name"])
    return reps, sorted(keys), names


def queries(reps, keys, all_names, size, quick):
    """The argument lists to compare on one tree (size: small, medium (gen-100), big (gen-1000))."""
    big = size == "big"
    counts = ["1", "2", "3", "5", "17", "0"] if not big else ["1", "2", "10", "0"]
    if not reps:
        reps = ["gpu.compute", "dma.memmove"]  # no functions: the reasons must match too
    if size == "medium":
        reps = [f for f in reps if f.split(".")[0] in ("gpu", "dma", "compress", "crypto", "analytics")][:6] or reps[:6]
    pairs = list(itertools.product(reps, reps))
    if big:
        # gen-1000: ~1 s per query; the benchmark pair and a spread of others.
        want = ["gpu.compute", "dma.memmove", "compress.deflate", "crypto.cipher.aes-gcm", "compress.gzip",
                "dma.crc64", "gpu.graphics"]
        names = [f for f in want if f in all_names] or reps[:4]
        pairs = [("gpu.compute", "dma.memmove"), ("dma.memmove", "compress.deflate"), ("gpu.compute", "gpu.compute"),
                 ("dma.memmove", "dma.memmove"), ("compress.deflate", "crypto.cipher.aes-gcm"),
                 ("gpu.compute", "dma.crc64"), ("compress.gzip", "gpu.graphics")]
        pairs = [p for p in pairs if p[0] in names and p[1] in names]
    if quick:
        pairs = pairs[:6]
    out = []
    for f1, f2 in pairs:
        for q in ("share", "chain"):
            for n in counts:
                out.append([q, f1, f2, "--json", "--count", n])
            out.append([q, f1, f2, "--explain", "--count", "4"])
            if not big:
                out.append([q, f1, f2, "--explain"])
        variants = [["--all-states"], ["--min-free", "1"], ["--vendor", "intel"]]
        if keys:
            variants += [["--exclude", keys[0]], ["--include", keys[0], "--include", keys[len(keys) // 2],
                                                  "--include", keys[-1]]]
        for v in variants if not big else variants[:1]:
            for q in ("share", "chain"):
                for n in ("1", "3", "0"):
                    out.append([q, f1, f2, "--json", "--count", n] + v)
        for cls in ("SELF", "PKG", "LINK", "PIX", "PHB", "NODE", "SYS", "DIS") if not big else ("PIX", "SYS"):
            for n in ("1", "3", "0") if not big else ("1", "10"):
                out.append(["chain", f1, f2, "--p2p-max", cls, "--json", "--count", n])
        for kind in ("hbm", "dram", "cxl", "device") if not big else ("hbm",):
            for n in ("1", "4", "0") if not big else ("1",):
                out.append(["share", f1, f2, "--memory", kind, "--json", "--count", n])
    # Device-to-device and device-to-memory paths themselves: every pair once (matrix), the
    # memory of other devices (reached through their owner), and find near each kind.
    out.append(["matrix", "--explain"])
    out.append(["matrix", "--json"])
    for k in keys[:: max(1, len(keys) // 6)]:
        out.append(["best-memory", "--from", k, "--json"])
        out.append(["find", reps[0], "--near", k, "--json", "--count", "5"])
    for kind in ("device", "hbm", "dram", "numa:0"):
        for f in reps[:4]:
            out.append(["find", f, "--near", kind, "--explain"])
    if reps and not big:
        for f1, f2 in pairs[: 4 if quick else 12]:
            for n in ("1", "3", "0"):
                out.append(["chain", f1, f2, f1, "--json", "--count", n])
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="fewer function pairs per tree")
    ap.add_argument("--only", default="", help="only trees whose name contains this")
    a = ap.parse_args()
    os.makedirs(DIFFS, exist_ok=True)
    jobs = []
    for name, root in roots():
        if a.only and a.only not in name:
            continue
        reps, keys, names = representatives(a.new, root)
        size = {"gen-1000": "big", "gen-100": "medium"}.get(name, "small")
        for q in queries(reps, keys, names, size, a.quick):
            jobs.append((name, root, q))
    print(f"{len(jobs)} queries on {len({j[0] for j in jobs})} trees", flush=True)

    def one(job):
        name, root, q = job
        args = q + ["--root", root, "--pci-ids", "none"]
        return job, run(a.old, args), run(a.new, args)

    bad = 0
    per_tree = {}
    with cf.ThreadPoolExecutor(a.jobs) as ex:
        for (name, root, q), old, new in ex.map(one, jobs):
            if name not in per_tree:
                print(f"  {name} ...", flush=True)
            per_tree[name] = per_tree.get(name, 0) + 1
            if old != new:
                bad += 1
                tag = f"{name}__{'_'.join(q)}".replace("/", "_")[:200]
                for which, r in (("old", old), ("new", new)):
                    with open(os.path.join(DIFFS, f"{tag}.{which}"), "wb") as fh:
                        fh.write(b"rc %d\n" % r[0] + r[1] + b"\n--- stderr\n" + r[2])
                print(f"DIFF {name}: accelmap {' '.join(q)}", flush=True)
    for name, n in per_tree.items():
        print(f"  {name}: {n} queries")
    print(f"{len(jobs) - bad}/{len(jobs)} identical" + (f"; differing outputs in {DIFFS}" if bad else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
