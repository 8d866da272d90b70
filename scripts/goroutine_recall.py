#!/usr/bin/env python3
"""Recall benchmark for the blocked-goroutine rules: mutants in real Go trees.

    scripts/goroutine_recall.py TREE [TREE ...] [--leakfix PATH] [--work DIR] [--missed N]

For each TREE (a real Go repository), copies it to WORK/<name>, undoes
fixes its authors wrote against goroutines blocked on a channel, runs
`leakfix check` on the copy and prints, per tree and kind: the mutants, how
many leakfix flags again (recall), and how many get the authors' fix back.
Two kinds of mutant, at most one per function:

- result: `ch := make(chan T, 1)` whose function then starts a goroutine
  with a plain send on `ch`, and receives it in a `select` with another case (a timeout,
  a context, a stop channel) becomes `make(chan T)`: the sender blocks when
  the function gives up. go-abandoned-result should flag the `make` and
  give the room back (a safe fix writing `make(chan T, 1)`).
- producer: inside a loop of a `go func`, a send written as
  `select { case out <- v: case <-ctx.Done(): return }` (five lines, any
  done channel) becomes `out <- v`. go-blocked-producer should flag the go
  statement and write the select back (any fix counts).

Test files, vendor/, testdata/, hidden folders and generated files are left
alone. This is a benchmark to run, not a test: what it misses is for
people to read (--missed N prints up to N per tree). `leakfix` defaults to
target/release.
"""
import argparse
import json
import os
import re
import subprocess
import sys

from gotree import copy_tree, go_sources

FUNC = re.compile(r"^func\b")
MAKE1 = re.compile(r"^(\s*(?:var\s+)?)(\w+)(\s*:?=\s*make\(chan\s+)(.+?),\s*1\)(\s*(//.*)?)$")
SELECT = re.compile(r"^(\s*)select \{\s*$")
SEND_CASE = re.compile(r"^(\s*)case (\w+(?:\.\w+)?) <- (.+):\s*$")
DONE_CASE = re.compile(r"^(\s*)case <-[\w.()]+:\s*$")
GO_FUNC = re.compile(r"^(\s*)go func\(")


def function_end(lines, start):
    for k in range(start + 1, len(lines)):
        if lines[k].startswith("}"):
            return k
    return len(lines) - 1


def result_mutant(lines, i, end):
    """The line to rewrite for a `make(chan T, 1)` at i, or None."""
    m = MAKE1.match(lines[i])
    if not m:
        return None
    name = m.group(2)
    # A plain send (not a select case) in a goroutine started after it.
    send = re.compile(r"^\s*" + re.escape(name) + r" <- ")
    sends = False
    for k in range(i + 1, end + 1):
        g = GO_FUNC.match(lines[k])
        if not g:
            continue
        close = next(
            (j for j in range(k + 1, end + 1) if lines[j].startswith(g.group(1) + "}(")), end
        )
        sends |= any(send.match(lines[j]) for j in range(k + 1, close))
    if not sends:
        return None
    # Received as one case of a select with another case.
    recv = re.compile(r"^\s*case\s+(?:[\w, ]+:?=\s*)?<-" + re.escape(name) + r"\s*:")
    for k in range(i + 1, end + 1):
        if recv.match(lines[k]):
            return m.group(1) + name + m.group(3) + m.group(4) + ")" + m.group(5)
    return None


def producer_mutant(lines, i, func_start):
    """(go line, replacement) for a five-line select-send at i, or None."""
    if i + 4 >= len(lines):
        return None
    s = SELECT.match(lines[i])
    if not s:
        return None
    ind = s.group(1)
    c1 = SEND_CASE.match(lines[i + 1])
    c2 = DONE_CASE.match(lines[i + 2])
    if not (c1 and c2 and c1.group(1) == ind and c2.group(1) == ind):
        return None
    if lines[i + 3].strip() != "return" or lines[i + 4] != ind + "}":
        return None
    # In a loop of a goroutine: a stream, not a one-shot result.
    in_loop = False
    for k in range(i - 1, func_start, -1):
        f = re.match(r"^(\s*)for\b", lines[k])
        if f and len(f.group(1)) < len(ind):
            in_loop = True
        g = GO_FUNC.match(lines[k])
        if g and len(g.group(1)) < len(ind):
            return (k, f"{ind}{c1.group(2)} <- {c1.group(3)}") if in_loop else None
    return None


def find_mutants(lines):
    """[(kind, line, replacement lines count, new text, expected line)]."""
    out, func_start, used = [], 0, set()
    ends = {}
    for i, line in enumerate(lines):
        if FUNC.match(line):
            func_start = i
            ends[i] = function_end(lines, i)
        if func_start in used or func_start not in ends:
            continue
        new = result_mutant(lines, i, ends[func_start])
        if new is not None:
            out.append(("result", i, 1, new, i))
            used.add(func_start)
            continue
        p = producer_mutant(lines, i, func_start)
        if p is not None:
            go_line, new = p
            out.append(("producer", i, 5, new, go_line))
            used.add(func_start)
    return out


def make(src, dst):
    copy_tree(src, dst)
    truth = []
    for p, text in go_sources(dst):
        lines = text.split("\n")
        muts = find_mutants(lines)
        if not muts:
            continue
        rel = os.path.relpath(p, dst)
        # Rewrite from the bottom so earlier line numbers hold, then
        # shift the expected lines by what was removed above them.
        for kind, i, n, new, _ in sorted(muts, key=lambda m: -m[1]):
            lines[i : i + n] = [new]
        for kind, i, n, new, expect in muts:
            shift = sum(m[2] - 1 for m in muts if m[1] < expect)
            truth.append({"file": rel, "kind": kind, "line": expect + 1 - shift, "code": new.strip()})
        with open(p, "w", encoding="utf-8") as out:
            out.write("\n".join(lines))
    return truth


RULES = {"result": "go-abandoned-result", "producer": "go-blocked-producer"}


def score(dst, truth, leakfix):
    args = [leakfix, "check", "--format", "json", "--exit-zero", "--no-progress"]
    for r in RULES.values():
        args += ["--rule", r]
    r = subprocess.run(args + ["."], cwd=dst, capture_output=True, text=True)
    if r.returncode not in (0, 1):
        sys.exit(f"goroutine_recall.py: leakfix failed on {dst}:\n{r.stderr}")
    by_line = {}
    for f in json.loads(r.stdout)["findings"]:
        by_line.setdefault((f["rule"], f["path"], f["range"]["start"]["line"]), []).append(f)
    stats = {k: [0, 0, 0] for k in RULES}
    missed = []
    for t in truth:
        hits = by_line.get((RULES[t["kind"]], t["file"], t["line"]), [])
        st = stats[t["kind"]]
        st[0] += 1
        if hits:
            st[1] += 1
        fixed = any(h["fix"] for h in hits)
        if t["kind"] == "result":
            fixed = any(
                h["fix"] and h["fix"]["applicability"] == "safe" and ", 1)" in h["fix"]["title"]
                for h in hits
            )
        if fixed:
            st[2] += 1
        else:
            note = hits[0]["notes"][0] if hits and hits[0].get("notes") else ""
            missed.append((t, "flagged, not fixed" if hits else "not flagged", note))
    return stats, missed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("trees", nargs="+")
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--leakfix", default=os.path.join(here, "target/release/leakfix"))
    ap.add_argument("--work", default=os.path.join(here, "target/goroutine-recall"))
    ap.add_argument("--missed", type=int, default=0)
    args = ap.parse_args()
    if not os.path.exists(args.leakfix):
        sys.exit(f"goroutine_recall.py: no leakfix at {args.leakfix} (cargo build --release)")
    leakfix = os.path.abspath(args.leakfix)
    print(f"{'tree':20} {'kind':9} {'mutants':>7} {'flagged':>8} {'recall':>7} {'fixed':>6}")
    totals = {k: [0, 0, 0] for k in RULES}
    for tree in args.trees:
        name = os.path.basename(os.path.normpath(tree))
        dst = os.path.join(args.work, name)
        truth = make(tree, dst)
        if not truth:
            print(f"{name:20} (no mutants)")
            continue
        stats, missed = score(dst, truth, leakfix)
        for kind, (n, flagged, fixed) in stats.items():
            if n:
                print(f"{name:20} {kind:9} {n:7} {flagged:8} {flagged / n:7.2f} {fixed:6}")
            for i in range(3):
                totals[kind][i] += stats[kind][i]
        for t, why, note in missed[: args.missed]:
            print(f"    {t['kind']} {t['file']}:{t['line']}: {why}: {t['code']}" + (f"  [{note}]" if note else ""))
    for kind, (n, flagged, fixed) in totals.items():
        if n:
            print(f"{'all':20} {kind:9} {n:7} {flagged:8} {flagged / n:7.2f} {fixed:6}")


if __name__ == "__main__":
    main()
