#!/usr/bin/env python3
"""Recall benchmark: deletion mutants in real Go trees.

    scripts/recall.py TREE [TREE ...] [--leakfix PATH] [--work DIR] [--missed N]

For each TREE (a real Go repository, go.mod files included), copies it to
WORK/<name>, deletes releases its authors wrote, runs `leakfix check` on the
copy and prints, per tree: the mutants, how many leakfix flags again
(recall), how many get the same release as a safe fix, and the check's wall
time. A mutant is a `defer x.Close()`, `defer x.Stop()` or `defer cancel()`
that releases a local assigned from a call at most 12 lines above it in the
same function, one per function; test files, vendor/, testdata/, hidden
folders and generated files are left alone. This is how recall was measured
for the ownership model (docs/ownership.md); it is a benchmark to run, not a
test.

--missed N prints up to N missed mutants per tree, with the line of code,
so a regression can be read. The copy is kept in WORK (default
target/recall) for a second look; `leakfix` defaults to target/release.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

from gotree import SKIP_DIRS, copy_tree, go_sources

DEFER = re.compile(r"^(\s*)defer\s+([A-Za-z_]\w*)\.(Close|Stop)\(\)\s*(//.*)?$")
DEFER_CANCEL = re.compile(r"^(\s*)defer\s+(cancel\w*)\(\)\s*$")
FUNC = re.compile(r"^func\b")


def assignment(var, method):
    if method == "call":
        return re.compile(r"^\s*[\w_]+\s*,\s*" + re.escape(var) + r"\s*:?=\s*context\.With")
    return re.compile(
        r"^\s*(?:var\s+)?" + re.escape(var) + r"\b\s*(?:,\s*[\w_]+\s*)*:?=\s*[\w.\[\]*&]+.*\("
    )


def find_mutants(lines):
    """(defer line, assignment line, var, method), the first per function."""
    out, func_start, used = [], 0, set()
    for i, line in enumerate(lines):
        if FUNC.match(line):
            func_start = i
        m = DEFER.match(line)
        if m:
            var, method = m.group(2), m.group(3)
        else:
            m = DEFER_CANCEL.match(line)
            if not m:
                continue
            var, method = m.group(2), "call"
        if func_start in used:
            continue
        rx = assignment(var, method)
        for j in range(i - 1, max(func_start, i - 13) - 1, -1):
            if rx.match(lines[j]):
                out.append((i, j, var, method))
                used.add(func_start)
                break
    return out


def make(src, dst):
    copy_tree(src, dst)
    truth = []
    for p, text in go_sources(dst):
        lines = text.split("\n")
        muts = find_mutants(lines)
        if not muts:
            continue
        drop = {i for i, _, _, _ in muts}
        kept = [l for k, l in enumerate(lines) if k not in drop]
        with open(p, "w", encoding="utf-8") as out:
            out.write("\n".join(kept))
        rel = os.path.relpath(p, dst)
        for i, j, var, method in muts:
            shift = sum(1 for d in drop if d < j)
            truth.append({"file": rel, "line": j + 1 - shift, "var": var, "method": method})
    return truth


def score(dst, truth, leakfix):
    start = time.monotonic()
    r = subprocess.run(
        [leakfix, "check", "--format", "json", "--exit-zero", "--no-progress", "."],
        cwd=dst,
        capture_output=True,
        text=True,
    )
    wall = time.monotonic() - start
    if r.returncode not in (0, 1):
        sys.exit(f"recall.py: leakfix failed on {dst}:\n{r.stderr}")
    by_line = {}
    for f in json.loads(r.stdout)["findings"]:
        if f["rule"] == "go-missing-release":
            by_line.setdefault((f["path"], f["range"]["start"]["line"]), []).append(f)
    flagged = same = 0
    missed = []
    for t in truth:
        hits = by_line.get((t["file"], t["line"]), [])
        want = f'{t["var"]}()' if t["method"] == "call" else f'{t["var"]}.{t["method"]}()'
        if hits:
            flagged += 1
        if any(
            h["fix"] and h["fix"]["applicability"] == "safe" and want in h["fix"]["title"]
            for h in hits
        ):
            same += 1
        else:
            note = hits[0]["notes"][0] if hits and hits[0].get("notes") else ""
            missed.append((t, "flagged, no safe fix" if hits else "not flagged", note))
    return flagged, same, wall, missed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("trees", nargs="+")
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--leakfix", default=os.path.join(here, "target/release/leakfix"))
    ap.add_argument("--work", default=os.path.join(here, "target/recall"))
    ap.add_argument("--missed", type=int, default=0)
    args = ap.parse_args()
    if not os.path.exists(args.leakfix):
        sys.exit(f"recall.py: no leakfix at {args.leakfix} (cargo build --release)")
    leakfix = os.path.abspath(args.leakfix)
    print(f"{'tree':20} {'files':>6} {'mutants':>7} {'flagged':>8} {'recall':>7} "
          f"{'same fix':>8} {'same':>6} {'check s':>8}")
    totals = [0, 0, 0]
    for tree in args.trees:
        name = os.path.basename(os.path.normpath(tree))
        dst = os.path.join(args.work, name)
        truth = make(tree, dst)
        files = sum(
            1
            for root, dirs, fs in os.walk(dst)
            if not any(p in SKIP_DIRS or p.startswith(".") for p in root.split(os.sep)[1:])
            for f in fs
            if f.endswith(".go") and not f.endswith("_test.go")
        )
        n = len(truth)
        if n == 0:
            print(f"{name:20} {files:6} {0:7} (no mutants)")
            continue
        flagged, same, wall, missed = score(dst, truth, leakfix)
        totals[0] += n
        totals[1] += flagged
        totals[2] += same
        print(f"{name:20} {files:6} {n:7} {flagged:8} {flagged / n:7.2f} {same:8} "
              f"{same / n:6.2f} {wall:8.1f}")
        for t, why, note in missed[: args.missed]:
            line = open(os.path.join(dst, t["file"]), errors="replace").read().split("\n")
            code = line[t["line"] - 1].strip() if t["line"] <= len(line) else ""
            print(f"    {t['file']}:{t['line']}: {why}: {code}" + (f"  [{note}]" if note else ""))
    n, flagged, same = totals
    if n:
        print(f"{'all':20} {'':6} {n:7} {flagged:8} {flagged / n:7.2f} {same:8} {same / n:6.2f}")


if __name__ == "__main__":
    main()
