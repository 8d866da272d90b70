//! The results cache (src/engine/cache): a second run over unchanged code reads
//! what the first found, in every output format, identically to a run
//! without the cache; a change re-analyses what it touches and what read
//! it, nothing else; damaged entries and concurrent runs are harmless.

use std::path::Path;
use std::process::Output;

use crate::common::{copy_dir, leakfix, repo_root};

fn write(root: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let p = root.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

const STORE_FRESH: &str = "package store\n\nimport \"os\"\n\nvar shared *os.File\n\n// Load opens the named file for reading.\nfunc Load(name string) (*os.File, error) {\n\treturn os.Open(name)\n}\n";

const STORE_SHARED: &str = "package store\n\nimport \"os\"\n\nvar shared *os.File\n\n// Load returns the file every caller shares.\nfunc Load(name string) (*os.File, error) {\n\treturn shared, nil\n}\n";

const APP: &str = "package app\n\nimport \"example.com/m/store\"\n\nfunc Size(name string) (int64, error) {\n\tf, err := store.Load(name)\n\tif err != nil {\n\t\treturn 0, err\n\t}\n\tst, err := f.Stat()\n\tif err != nil {\n\t\treturn 0, err\n\t}\n\treturn st.Size(), nil\n}\n";

const OTHER: &str = "package other\n\nimport \"os\"\n\nfunc Read(name string) ([]byte, error) {\n\tf, err := os.Open(name)\n\tif err != nil {\n\t\treturn nil, err\n\t}\n\tb := make([]byte, 4)\n\t_, err = f.Read(b)\n\treturn b, err\n}\n";

/// A module whose `app` package leaks what `store.Load` returns: whether
/// it leaks depends on the body of a function in another package.
fn module() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("go.mod", "module example.com/m\n\ngo 1.22\n"),
            ("store/store.go", STORE_FRESH),
            ("app/app.go", APP),
            ("other/other.go", OTHER),
        ],
    );
    dir
}

struct Run {
    out: Output,
}

impl Run {
    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.stdout).into_owned()
    }

    /// (hits, misses) from the `LEAKFIX_TIMINGS` line.
    fn cache(&self) -> (usize, usize) {
        let err = String::from_utf8_lossy(&self.out.stderr);
        let line = err
            .lines()
            .find_map(|l| l.strip_prefix("leakfix: timing: cache: "))
            .unwrap_or_else(|| panic!("no cache line in\n{err}"));
        let nums: Vec<usize> = line
            .split(|c: char| !c.is_ascii_digit())
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().unwrap())
            .collect();
        (nums[0], nums[1])
    }
}

/// `leakfix check` in `dir` (paths relative to it) with `cache` as the
/// cache folder.
fn check(dir: &Path, cache: &Path, args: &[&str]) -> Run {
    let out = leakfix()
        .args(["check", "--no-progress"])
        .args(args)
        .arg(".")
        .current_dir(dir)
        .env("LEAKFIX_CACHE_DIR", cache)
        .env("LEAKFIX_TIMINGS", "1")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Run { out }
}

const FORMATS: [&str; 5] = ["text", "diff", "json", "sarif", "github"];

#[test]
fn warm_runs_read_the_cache_and_print_what_a_run_without_it_prints() {
    // Go, Rust and JavaScript, with fixes and notes.
    let tree = tempfile::tempdir().unwrap();
    copy_dir(&repo_root().join("examples"), tree.path());
    let cache = tempfile::tempdir().unwrap();
    for format in FORMATS {
        let args = ["--format", format];
        let cold = check(tree.path(), cache.path(), &args);
        let warm = check(tree.path(), cache.path(), &args);
        let none = check(
            tree.path(),
            cache.path(),
            &["--format", format, "--no-cache"],
        );
        assert!(!cold.stdout().is_empty());
        assert_eq!(warm.stdout(), cold.stdout(), "--format {format}");
        assert_eq!(none.stdout(), cold.stdout(), "--format {format}");
        let (hits, misses) = warm.cache();
        assert!(hits > 0, "--format {format}");
        assert_eq!(misses, 0, "--format {format}: every unit is read back");
    }
}

#[test]
fn no_cache_neither_reads_nor_writes_it() {
    let tree = module();
    let cache = tempfile::tempdir().unwrap();
    let out = leakfix()
        .args(["check", "--no-cache", "."])
        .current_dir(tree.path())
        .env("LEAKFIX_CACHE_DIR", cache.path())
        .env("LEAKFIX_TIMINGS", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("timing: cache:"),
        "no cache was used"
    );
    assert_eq!(
        std::fs::read_dir(cache.path()).unwrap().count(),
        0,
        "nothing written"
    );
}

#[test]
fn a_changed_file_re_analyses_its_package_and_the_packages_that_read_it() {
    let tree = module();
    let cache = tempfile::tempdir().unwrap();
    let first = check(tree.path(), cache.path(), &[]);
    assert!(
        first.stdout().contains("app/app.go:6:12"),
        "{}",
        first.stdout()
    );
    assert_eq!(first.cache(), (0, 3));
    assert_eq!(check(tree.path(), cache.path(), &[]).cache(), (3, 0));

    // store.Load now returns a file it keeps: app no longer leaks it. The
    // app package is analysed again although none of its files changed.
    // (What the module as a whole declares is the same: a change there, a
    // new type with a Close method, would re-analyse every package.)
    write(tree.path(), &[("store/store.go", STORE_SHARED)]);
    let after = check(tree.path(), cache.path(), &[]);
    assert_eq!(
        after.cache(),
        (1, 2),
        "other is read back; store and app are not"
    );
    assert!(!after.stdout().contains("app/app.go"), "{}", after.stdout());
    let fresh = check(tree.path(), cache.path(), &["--no-cache"]);
    assert_eq!(after.stdout(), fresh.stdout());

    // And back: store's entry of the first state is still there; app has
    // one entry (its files did not change), the one for the second state.
    write(tree.path(), &[("store/store.go", STORE_FRESH)]);
    let back = check(tree.path(), cache.path(), &[]);
    assert_eq!(back.cache(), (2, 1));
    assert_eq!(back.stdout(), first.stdout());
}

#[test]
fn configuration_and_rules_are_part_of_the_key() {
    let tree = module();
    let cache = tempfile::tempdir().unwrap();
    check(tree.path(), cache.path(), &[]);
    assert_eq!(check(tree.path(), cache.path(), &[]).cache(), (3, 0));

    let one_rule = check(tree.path(), cache.path(), &["--rule", "go-missing-release"]);
    assert_eq!(one_rule.cache(), (0, 3), "other rules, other entries");
    assert_eq!(
        check(tree.path(), cache.path(), &["--rule", "go-missing-release"]).cache(),
        (3, 0)
    );

    // A config file (here one that changes what is reported).
    write(
        tree.path(),
        &[(
            "leakfix.toml",
            "[[go.ignore]]\npackage = \"os\"\nfunctions = [\"Open\"]\nreason = \"test\"\n",
        )],
    );
    let configured = check(tree.path(), cache.path(), &[]);
    assert_eq!(configured.cache(), (0, 3));
    let fresh = check(tree.path(), cache.path(), &["--no-cache"]);
    assert_eq!(configured.stdout(), fresh.stdout());
}

#[test]
fn damaged_entries_are_misses_and_are_written_again() {
    let tree = module();
    let cache = tempfile::tempdir().unwrap();
    let first = check(tree.path(), cache.path(), &["--format", "json"]);
    let mut damaged = 0;
    let mut stack = vec![cache.path().to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.components().any(|c| c.as_os_str() == "units") {
                // Cut in half: not JSON any more.
                let bytes = std::fs::read(&p).unwrap();
                std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
                damaged += 1;
            }
        }
    }
    assert!(damaged >= 3, "{damaged}");
    let again = check(tree.path(), cache.path(), &["--format", "json"]);
    assert_eq!(again.stdout(), first.stdout());
    assert_eq!(again.cache(), (0, 3));
    assert_eq!(
        check(tree.path(), cache.path(), &["--format", "json"]).cache(),
        (3, 0)
    );
}

#[test]
fn concurrent_runs_share_a_cache_safely() {
    let tree = module();
    let cache = tempfile::tempdir().unwrap();
    let expected = check(
        tree.path(),
        cache.path(),
        &["--no-cache", "--format", "json"],
    )
    .stdout();
    let runs: Vec<_> = (0..6)
        .map(|_| {
            leakfix()
                .args(["check", "--no-progress", "--format", "json", "."])
                .current_dir(tree.path())
                .env("LEAKFIX_CACHE_DIR", cache.path())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for r in runs {
        let out = r.wait_with_output().unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
    }
    let warm = check(tree.path(), cache.path(), &["--format", "json"]);
    assert_eq!(warm.stdout(), expected);
    assert_eq!(warm.cache(), (3, 0));
}

#[test]
fn fix_runs_read_the_cache_too_and_write_what_a_run_without_it_writes() {
    let cache = tempfile::tempdir().unwrap();
    let base = tempfile::tempdir().unwrap();
    // The same path each time: paths are part of the key.
    let tree = base.path().join("tree");
    let mut results = Vec::new();
    for args in [&[][..], &[][..], &["--no-cache"][..]] {
        let _ = std::fs::remove_dir_all(&tree);
        copy_dir(&repo_root().join("examples/go"), &tree);
        let tree = tree.as_path();
        let out = leakfix()
            .args(["fix", "--unsafe"])
            .args(args)
            .arg(".")
            .current_dir(tree)
            .env("LEAKFIX_CACHE_DIR", cache.path())
            .output()
            .unwrap();
        let mut files = Vec::new();
        let mut stack = vec![tree.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    let rel = p.strip_prefix(tree).unwrap().to_path_buf();
                    files.push((rel, std::fs::read(&p).unwrap()));
                }
            }
        }
        files.sort();
        results.push((String::from_utf8_lossy(&out.stdout).into_owned(), files));
    }
    assert_eq!(results[0], results[1]);
    assert_eq!(results[0], results[2]);
}
