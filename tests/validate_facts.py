#!/usr/bin/env python3
"""Validates `accelmap facts` output against schema/facts.schema.json for every
corpus tree and every hand-written tree. Exit 1 on the first invalid document."""
import glob, json, os, subprocess, sys, tarfile, tempfile

import jsonschema

cli, source_dir, corpus_dir = sys.argv[1:4]
schema = json.load(open(os.path.join(source_dir, "schema", "facts.schema.json")))
validator = jsonschema.Draft202012Validator(schema)
roots = [os.path.join(source_dir, "demo", "root")]
roots += sorted(d for d in glob.glob(os.path.join(source_dir, "tests", "trees", "*")) if os.path.isdir(d))
archives = sorted(glob.glob(os.path.join(corpus_dir, "sysfs", "*.tar.xz")))
if not archives:
    print(f"corpus missing at {corpus_dir}", file=sys.stderr)
    sys.exit(1)
checked = failed = 0
with tempfile.TemporaryDirectory() as tmp:
    for a in archives:
        with tarfile.open(a) as t:
            t.extractall(tmp)
        roots.append(os.path.join(tmp, os.path.basename(a)[: -len(".tar.xz")]))
    for r in roots:
        out = subprocess.run([cli, "facts", "--root", r], capture_output=True, text=True)
        if out.returncode != 0:
            print(f"FAIL {r}: exit {out.returncode}: {out.stderr.strip()}")
            failed += 1
            continue
        errors = list(validator.iter_errors(json.loads(out.stdout)))
        checked += 1
        if errors:
            failed += 1
            print(f"FAIL {r}: {errors[0].message} at {list(errors[0].absolute_path)}")
print(f"{checked - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
