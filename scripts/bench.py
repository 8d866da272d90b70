#!/usr/bin/env python3
"""Benchmark: leakfix check (every rule) against one ast-grep query, same tree.

    scripts/bench.py [TREE ...] [--runs N] [--jobs N] [--lang go|js]

Without TREE it builds a synthetic corpus under target/bench-corpus from the
repository's own Go fixtures (2,000 files), so anyone can reproduce the
figures. Prints files, MB, median wall time of N runs, files/s, MB/s and the
leakfix / ast-grep time ratio. ast-grep (ast-grep-cli from PyPI) is installed
into .tools/ast-grep on first use.

The ast-grep query is the workload leakfix's Go candidate query also does:
every `a, b := f(...)` in every Go file, with .gitignore respected, and the
files leakfix skips by default (vendor/, testdata/, _test.go) excluded so
that both tools read the same files. Times are wall-clock medians; on a
shared machine also compare user CPU time (--cpu).

With --lang js (TREE required) the files are JavaScript and TypeScript
(.js .mjs .cjs .jsx .ts .mts .cts .tsx, without node_modules/, *.d.ts and
the test files leakfix skips), and the ast-grep workload is the one
js-missing-release starts from: every `const $V = await $R.$M($$$)`, run
once per grammar (js, ts, tsx) and the times added.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / ".tools"
AST_GREP_VERSION = "0.51.1"
# What leakfix skips by default, so ast-grep reads the same files.
SAME_FILES = ["!**/vendor/**", "!**/testdata/**", "!**/node_modules/**", "!**/*_test.go"]


def ast_grep() -> str:
    exe = TOOLS / "ast-grep" / "bin" / "ast-grep"
    if not exe.exists():
        print(f"installing ast-grep-cli {AST_GREP_VERSION} into {exe.parent.parent} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(TOOLS / "ast-grep")], check=True)
        subprocess.run(
            [str(TOOLS / "ast-grep" / "bin" / "pip"), "install", "-q", f"ast-grep-cli=={AST_GREP_VERSION}"],
            check=True,
        )
    return str(exe)


def leakfix() -> str:
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    return str(ROOT / "target" / "release" / "leakfix")


def corpus() -> Path:
    """2,000 Go files made from the fixtures, each its own package folder."""
    out = ROOT / "target" / "bench-corpus"
    sources = sorted((ROOT / "tests" / "fixtures").rglob("*.go")) + sorted((ROOT / "examples").rglob("*.go"))
    sources += sorted((ROOT / "tests" / "go" / "standins").rglob("*.go"))
    sources = [s for s in sources if not s.name.endswith("_test.go")]
    marker = out / ".complete"
    if marker.exists():
        return out
    shutil.rmtree(out, ignore_errors=True)
    n = 0
    while n < 2000:
        for s in sources:
            d = out / f"pkg{n // 10:04d}"
            d.mkdir(parents=True, exist_ok=True)
            shutil.copy(s, d / f"f{n}.go")
            n += 1
            if n == 2000:
                break
    marker.write_text("")
    return out


def go_files(tree: Path):
    skip = {"vendor", "testdata", "target", "node_modules"}
    for dirpath, dirnames, filenames in os.walk(tree):
        dirnames[:] = [d for d in dirnames if d not in skip and not d.startswith(".")]
        for f in filenames:
            if f.endswith(".go") and not f.endswith("_test.go"):
                yield Path(dirpath) / f


JS_EXTS = {".js": "js", ".mjs": "js", ".cjs": "js", ".jsx": "js", ".ts": "ts", ".mts": "ts", ".cts": "ts", ".tsx": "tsx"}


def is_js_test(path: Path) -> bool:
    parts = path.name.split(".")[1:-1]
    if any(p in ("test", "spec", "test-d", "tst") for p in parts):
        return True
    return any(p in ("__tests__", "test", "tests") for p in path.parent.parts)


def js_files(tree: Path):
    skip = {"vendor", "testdata", "target", "node_modules"}
    for dirpath, dirnames, filenames in os.walk(tree):
        dirnames[:] = [d for d in dirnames if d not in skip and not d.startswith(".")]
        for f in filenames:
            p = Path(dirpath) / f
            if p.suffix in JS_EXTS and ".d." not in f and not is_js_test(p.relative_to(tree)):
                yield p


def timed(cmd, runs: int) -> float:
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # warm the page cache
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t)
        if r.returncode not in (0, 1):
            sys.exit(f"{cmd[0]} failed with exit code {r.returncode}")
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("trees", nargs="*", type=Path)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--jobs", type=int, default=0, help="threads for both tools (0: all cores)")
    ap.add_argument("--lang", choices=["go", "js"], default="go")
    args = ap.parse_args()
    if args.lang == "js":
        if not args.trees:
            sys.exit("--lang js needs the trees to measure")
        return main_js(args)
    trees = args.trees or [corpus()]
    lf, sg = leakfix(), ast_grep()
    jobs = args.jobs or os.cpu_count()
    print(f"{'tree':40} {'files':>7} {'MB':>7} {'leakfix s':>10} {'files/s':>9} {'MB/s':>7} {'ast-grep s':>11} {'ratio':>6}")
    for tree in trees:
        files = list(go_files(tree))
        mb = sum(f.stat().st_size for f in files) / 1e6
        t_lf = timed([lf, "check", "--no-progress", "-j", str(jobs), str(tree)], args.runs)
        t_sg = timed(
            [sg, "run", "--lang", "go", "--pattern", "$A, $B := $F($$$ARGS)", "--threads", str(jobs)]
            + [f for g in SAME_FILES for f in ("--globs", g)]
            + [str(tree)],
            args.runs,
        )
        name = str(tree)[-40:]
        print(
            f"{name:40} {len(files):7d} {mb:7.1f} {t_lf:10.3f} {len(files) / t_lf:9.0f} {mb / t_lf:7.1f} "
            f"{t_sg:11.3f} {t_lf / t_sg:6.2f}"
        )
    print(f"(median of {args.runs} runs, {jobs} threads; ratio < 1 means leakfix is faster)")


def main_js(args):
    lf, sg = leakfix(), ast_grep()
    jobs = args.jobs or os.cpu_count()
    print(f"{'tree':40} {'files':>7} {'MB':>7} {'leakfix s':>10} {'files/s':>9} {'MB/s':>7} {'ast-grep s':>11} {'ratio':>6}")
    for tree in args.trees:
        files = list(js_files(tree))
        mb = sum(f.stat().st_size for f in files) / 1e6
        t_lf = timed([lf, "check", "--no-progress", "-j", str(jobs), str(tree)], args.runs)
        t_sg = 0.0
        for lang in ("js", "ts", "tsx"):
            globs = [g for ext, l in JS_EXTS.items() if l == lang for g in ("--globs", f"**/*{ext}")]
            t_sg += timed(
                [sg, "run", "--lang", lang, "--pattern", "const $V = await $R.$M($$$A)", "--threads", str(jobs)]
                + globs
                + [f for g in ["!**/node_modules/**", "!**/*.d.ts", "!**/*.test.*", "!**/*.spec.*", "!**/__tests__/**", "!**/test/**", "!**/tests/**"] for f in ("--globs", g)]
                + [str(tree)],
                args.runs,
            )
        name = str(tree)[-40:]
        print(
            f"{name:40} {len(files):7d} {mb:7.1f} {t_lf:10.3f} {len(files) / t_lf:9.0f} {mb / t_lf:7.1f} "
            f"{t_sg:11.3f} {t_lf / t_sg:6.2f}"
        )
    print(f"(median of {args.runs} runs, {jobs} threads; ratio < 1 means leakfix is faster)")


if __name__ == "__main__":
    main()
