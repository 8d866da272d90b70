"""Shared by the mutant benchmarks (recall.py, goroutine_recall.py): a copy
of a Go tree and the source files a mutant may be made in."""
import os
import shutil

SKIP_DIRS = {"vendor", "testdata"}


def copy_tree(src, dst):
    """DST becomes a fresh copy of SRC."""
    if os.path.exists(dst):
        shutil.rmtree(dst)
    shutil.copytree(src, dst, symlinks=True)


def go_sources(root):
    """(path, text) of every non-test, non-generated Go file under ROOT,
    leaving out vendor/, testdata/ and hidden folders."""
    for dirpath, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.startswith(".")]
        for f in files:
            if not f.endswith(".go") or f.endswith("_test.go"):
                continue
            p = os.path.join(dirpath, f)
            try:
                text = open(p, encoding="utf-8").read()
            except (UnicodeDecodeError, OSError):
                continue
            if "Code generated" in text[:2000]:
                continue
            yield p, text
