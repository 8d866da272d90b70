#!/usr/bin/env python3
"""Benchmark: leakfix check (every rule) against one ast-grep query, same files.

    scripts/bench.py [TREE ...] [--runs N] [--jobs N] [--format F]
                     [--leakfix BIN] [--ast-grep BIN] [--lang go|js]

For each tree it prints, side by side: ast-grep's single query; leakfix
cold (`--no-cache`); leakfix warm (a second run reading the results cache,
kept in a temporary folder for the benchmark); the leakfix / ast-grep
ratios of wall time and of CPU time (user + system, the steadier figure on
a shared machine); the peak RSS of each (from wait4(2), per run); and
whether the cold and warm outputs are identical. Figures are medians of
--runs runs after one unmeasured run (the page cache is warm for both).

Without TREE it builds a synthetic corpus under target/bench-corpus from the
repository's own Go fixtures (2,000 files), so anyone can reproduce the
figures. Pass a tree with one big package (minio, whose cmd/ holds 310
files) to see the cost of large packages.

Both tools read the same files: .gitignore respected, hidden folders,
vendor/, testdata/ and _test.go files skipped (leakfix's defaults, passed to
ast-grep as globs). The ast-grep query is the workload leakfix's Go
candidate query also does: every `a, b := f(...)`. `--format json` (or
diff) makes leakfix also compute every fix and the fixed code.

Nothing is installed by the tests or CI: this script is run by people. It
builds this checkout (`cargo build --release`, or use `--leakfix BIN`) and
installs ast-grep-cli from PyPI into .tools/ast-grep on first use (or use
`--ast-grep BIN`).

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
import tempfile
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


def run_once(cmd, env=None):
    """Wall time, CPU time (user + system) and peak RSS (MiB) of one run,
    from wait4(2) on that child alone; its stdout."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    out = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode not in (0, 1):
        sys.exit(f"{' '.join(map(str, cmd))} failed with exit code {p.returncode}")
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024, out


def timed(cmd, runs: int, env=None, warm_up=True):
    """Median wall time, median CPU time and the largest peak RSS of `runs`
    runs, and the output of the last."""
    if warm_up:
        run_once(cmd, env)  # the page cache (and the results cache, if on)
    walls, cpus, peak, out = [], [], 0.0, b""
    for _ in range(runs):
        w, c, m, out = run_once(cmd, env)
        walls.append(w)
        cpus.append(c)
        peak = max(peak, m)
    return statistics.median(walls), statistics.median(cpus), peak, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("trees", nargs="*", type=Path)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=0, help="threads for both tools (0: all cores)")
    ap.add_argument("--lang", choices=["go", "js"], default="go")
    ap.add_argument("--leakfix", type=Path, help="a leakfix binary to run instead of building this checkout")
    ap.add_argument("--ast-grep", dest="ast_grep", type=Path, help="an ast-grep binary (default: installed into .tools/)")
    ap.add_argument("--format", default="text", help="leakfix's --format (json and diff also compute every fix)")
    args = ap.parse_args()
    if args.lang == "js":
        if not args.trees:
            sys.exit("--lang js needs the trees to measure")
        return main_js(args)
    trees = args.trees or [corpus()]
    lf = str(args.leakfix) if args.leakfix else leakfix()
    sg = str(args.ast_grep) if args.ast_grep else ast_grep()
    jobs = args.jobs or os.cpu_count()
    cache = tempfile.mkdtemp(prefix="leakfix-bench-cache-")
    env = dict(os.environ, LEAKFIX_CACHE_DIR=cache)
    print(
        f"{'tree':28} {'files':>6} {'MB':>6} | {'ast-grep s':>10} {'MiB':>5} | {'cold s':>7} {'cpu':>6} {'MiB':>5} "
        f"{'ratio':>6} {'cpu r':>6} | {'warm s':>7} {'cpu':>6} {'ratio':>6} {'cpu r':>6} | same"
    )
    try:
        for tree in trees:
            files = list(go_files(tree))
            mb = sum(f.stat().st_size for f in files) / 1e6
            t_sg, c_sg, m_sg, _ = timed(
                [sg, "run", "--lang", "go", "--pattern", "$A, $B := $F($$$ARGS)", "--threads", str(jobs)]
                + [f for g in SAME_FILES for f in ("--globs", g)]
                + [str(tree)],
                args.runs,
            )
            base = [lf, "check", "--no-progress", "-j", str(jobs), "--format", args.format]
            t_cold, c_cold, m_cold, out_cold = timed(base + ["--no-cache", str(tree)], args.runs, env)
            shutil.rmtree(cache, ignore_errors=True)
            # The first run fills the cache; the timed ones read it.
            t_warm, c_warm, m_warm, out_warm = timed(base + [str(tree)], args.runs, env)
            same = "yes" if out_cold == out_warm else "NO"
            name = str(tree)[-28:]
            print(
                f"{name:28} {len(files):6d} {mb:6.1f} | {t_sg:10.3f} {m_sg:5.0f} | {t_cold:7.3f} {c_cold:6.2f} {m_cold:5.0f} "
                f"{t_cold / t_sg:6.2f} {c_cold / c_sg:6.2f} | {t_warm:7.3f} {c_warm:6.2f} {t_warm / t_sg:6.2f} "
                f"{c_warm / c_sg:6.2f} | {same}",
                flush=True,
            )
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    print(
        f"(median of {args.runs} runs after one warm-up, {jobs} threads; cold = --no-cache, warm = a second run "
        "with the results cache; ratio = leakfix / ast-grep wall time, cpu r = the same for user+system CPU time "
        "(steadier on a shared machine); MiB = peak RSS; same = cold and warm output identical)"
    )


def main_js(args):
    lf = str(args.leakfix) if args.leakfix else leakfix()
    sg = str(args.ast_grep) if args.ast_grep else ast_grep()
    jobs = args.jobs or os.cpu_count()
    print(f"{'tree':40} {'files':>7} {'MB':>7} {'leakfix s':>10} {'files/s':>9} {'MB/s':>7} {'ast-grep s':>11} {'ratio':>6}")
    for tree in args.trees:
        files = list(js_files(tree))
        mb = sum(f.stat().st_size for f in files) / 1e6
        t_lf = timed([lf, "check", "--no-progress", "--no-cache", "-j", str(jobs), str(tree)], args.runs)[0]
        t_sg = 0.0
        for lang in ("js", "ts", "tsx"):
            globs = [g for ext, l in JS_EXTS.items() if l == lang for g in ("--globs", f"**/*{ext}")]
            t_sg += timed(
                [sg, "run", "--lang", lang, "--pattern", "const $V = await $R.$M($$$A)", "--threads", str(jobs)]
                + globs
                + [f for g in ["!**/node_modules/**", "!**/*.d.ts", "!**/*.test.*", "!**/*.spec.*", "!**/__tests__/**", "!**/test/**", "!**/tests/**"] for f in ("--globs", g)]
                + [str(tree)],
                args.runs,
            )[0]
        name = str(tree)[-40:]
        print(
            f"{name:40} {len(files):7d} {mb:7.1f} {t_lf:10.3f} {len(files) / t_lf:9.0f} {mb / t_lf:7.1f} "
            f"{t_sg:11.3f} {t_lf / t_sg:6.2f}"
        )
    print(f"(median of {args.runs} runs, {jobs} threads; ratio < 1 means leakfix is faster)")


if __name__ == "__main__":
    main()
