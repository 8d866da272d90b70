#!/usr/bin/env python3
"""Measure `--verify` on real trees: counts, cold and warm times, and proof
that every touched package still builds after `fix --unsafe --verify`.

    scripts/verify_bench.py TREE [TREE ...] [--include-tests] [--keep DIR]

Each TREE (a Go module or a Cargo workspace, or a folder holding several) is
copied into one scratch folder; the copies are never the originals. Then:

1. cold: `leakfix check --unsafe --verify --format json` over all copies,
   with an empty Go build cache (GOCACHE) and an empty leakfix cache (the
   Cargo scratch copies and their target dirs). Modules already in the Go
   module cache or Cargo registry are not downloaded again; anything else
   is (that time is part of "cold");
2. warm: the same command again, caches kept;
3. `leakfix fix --unsafe --verify` (warm), which writes the verified fixes;
4. every Go package and Cargo package a fix touched is built again by the
   toolchain itself (`go build` and `go vet`, which type-checks the tests
   too; `cargo check --all-targets`), except those leakfix reported as not
   building before the fix, in the fixed copy and in a pristine copy: an
   error only the fixed copy has fails the run (a vet finding or a broken
   test dependency that was there before is not the fix's doing).

Prints the number of touched packages, fixes verified / withheld /
unverifiable, and the wall time of each run (leakfix's own "verify" phase
from LEAKFIX_TIMINGS, and the whole command).
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def leakfix() -> str:
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    return str(ROOT / "target" / "release" / "leakfix")


def run_leakfix(exe, args, cwd, env):
    start = time.monotonic()
    p = subprocess.run([exe, *args], cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.monotonic() - start
    verify = None
    for line in p.stderr.splitlines():
        m = re.match(r"leakfix: timing: verify: ([0-9.]+)s$", line)
        if m:
            verify = float(m.group(1))
    if p.returncode not in (0, 1):
        sys.exit(f"leakfix {' '.join(args)} failed ({p.returncode}):\n{p.stderr[-3000:]}")
    return p, wall, verify


def unit_of(path: Path):
    """('go', module root, package dir) or ('cargo', manifest) for a file."""
    if path.suffix == ".go":
        for d in path.parents:
            if (d / "go.mod").is_file():
                return ("go", d, path.parent)
    if path.suffix == ".rs":
        for d in path.parents:
            m = d / "Cargo.toml"
            if m.is_file() and "[package]" in m.read_text():
                return ("cargo", m)
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("trees", nargs="+", type=Path)
    ap.add_argument("--include-tests", action="store_true")
    ap.add_argument("--keep", type=Path, help="scratch folder to use (kept afterwards)")
    ap.add_argument(
        "--warm-only",
        action="store_true",
        help="keep the caches a previous --keep run left in the scratch folder; skip the cold run",
    )
    args = ap.parse_args()

    exe = leakfix()
    scratch = args.keep or Path(tempfile.mkdtemp(prefix="leakfix-verify-bench-"))
    scratch.mkdir(parents=True, exist_ok=True)
    work = scratch / "trees"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir()
    names = []
    for t in args.trees:
        dest = work / t.resolve().name
        shutil.copytree(t, dest, symlinks=True)
        names.append(dest.name)
    if not args.warm_only:
        for d in ("gocache", "leakfix-cache"):
            shutil.rmtree(scratch / d, ignore_errors=True)
    env = dict(os.environ)
    env.update(
        GOCACHE=str(scratch / "gocache"),
        LEAKFIX_CACHE_DIR=str(scratch / "leakfix-cache"),
        LEAKFIX_TIMINGS="1",
        GOFLAGS="-buildvcs=false",
    )
    flags = ["--unsafe", "--verify", "--no-progress"] + (["--include-tests"] if args.include_tests else [])

    results = {}
    phases = ("warm",) if args.warm_only else ("cold", "warm")
    for phase in phases:
        p, wall, verify = run_leakfix(exe, ["check", *flags, "--format", "json", *names], work, env)
        doc = json.loads(p.stdout)
        results[phase] = (wall, verify, doc)
    doc = results[phases[0]][2]
    changed = [work / c["path"] for c in doc["changed_files"]]
    units = {u for u in (unit_of(p) for p in changed) if u}
    counts = doc["summary"].get("verification") or {}
    broken = {
        f["path"]
        for f in doc["findings"]
        if (f.get("fix") or {}).get("verification", {}).get("status") == "unverifiable"
        and "did not build before the fix" in f["fix"]["verification"].get("message", "")
    }

    p, fix_wall, fix_verify = run_leakfix(exe, ["fix", *flags, *names], work, env)
    fixed_doc_counts = re.findall(r"Checked .*", p.stdout)

    # The toolchains confirm what was written: every touched package is
    # built and vetted (tests included) in the fixed copy and in a pristine
    # copy; an error the fixed copy has and the pristine one does not is a
    # failure. (Packages can fail vet before any fix: pre-existing findings,
    # a test dependency that does not build.)
    orig = scratch / "orig"
    if orig.exists():
        shutil.rmtree(orig)
    orig.mkdir()
    for t in args.trees:
        shutil.copytree(t, orig / t.resolve().name, symlinks=True)
    failures = []
    go_pkgs = {}
    crates = {}
    for u in units:
        if u[0] == "go":
            go_pkgs.setdefault(u[1], set()).add(u[2])
        else:
            crates.setdefault(u[1], set())

    def problems(cmd, cwd, extra_env=None):
        r = subprocess.run(cmd, cwd=cwd, env={**env, **(extra_env or {})}, capture_output=True, text=True)
        lines = [
            re.sub(r":\d+(:\d+)?:", ":", l.strip()).replace(str(work), "<tree>").replace(str(orig), "<tree>")
            for l in (r.stdout + r.stderr).splitlines()
            if l.strip() and not l.startswith("#") and not l.startswith("{")
        ]
        return r.returncode == 0, lines

    skipped = set()
    for module, dirs in sorted(go_pkgs.items()):
        keep = []
        for d in sorted(dirs):
            if any((work / b).parent == d for b in broken):
                skipped.add(str(d.relative_to(work)))
            else:
                keep.append("./" + str(d.relative_to(module)) if d != module else ".")
        if not keep:
            continue
        pristine = orig / module.relative_to(work)
        for cmd in (["go", "build", *keep], ["go", "vet", *keep]):
            ok, after = problems(cmd, module)
            if ok:
                continue
            _, before = problems(cmd, pristine)
            new = list(after)
            for l in before:
                if l in new:
                    new.remove(l)
            if new:
                failures.append(f"{' '.join(cmd[:2])} in {module}: new errors:\n" + "\n".join(new[:20]))
    target = scratch / "confirm-target"
    for manifest in sorted(crates):
        if any(Path(work / b).is_relative_to(manifest.parent) for b in broken):
            skipped.add(str(manifest.relative_to(work)))
            continue
        cmd = ["cargo", "check", "--all-targets", "--message-format=short", "--manifest-path"]
        ok, after = problems(cmd + [str(manifest)], work, {"CARGO_TARGET_DIR": str(target)})
        if ok:
            continue
        _, before = problems(cmd + [str(orig / manifest.relative_to(work))], orig, {"CARGO_TARGET_DIR": str(target)})
        new = [l for l in after if l.startswith("error") and l not in before]
        if new:
            failures.append(f"cargo check {manifest}: new errors:\n" + "\n".join(new[:20]))

    print(f"trees: {', '.join(names)}")
    print(f"touched packages: {len(units)} (Go {sum(len(d) for d in go_pkgs.values())}, Cargo {len(crates)}); files changed: {len(changed)}")
    print(f"fixes: verified {counts.get('verified', 0)}, withheld {counts.get('withheld', 0)}, unverifiable {counts.get('unverifiable', 0)}")
    for phase in phases:
        wall, verify, _ = results[phase]
        print(f"check --verify, {phase}: verify phase {verify:.1f}s, whole run {wall:.1f}s")
    print(f"fix --verify (warm): verify phase {fix_verify:.1f}s, whole run {fix_wall:.1f}s; {fixed_doc_counts[-1] if fixed_doc_counts else ''}")
    if skipped:
        print(f"not rebuilt (did not build before the fix): {', '.join(sorted(skipped))}")
    if failures:
        print("AFTER THE FIX, THESE DO NOT BUILD:")
        for f in failures:
            print(f)
        sys.exit(1)
    print("after the fix: no touched package has an error it did not have before (go build, go vet / cargo check --all-targets)")
    if not args.keep:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
