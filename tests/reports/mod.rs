//! Reports for CI and pipelines, over a folder of known leaks
//! (tests/fixtures/reports/known-leaks, labelled like the rule fixtures):
//! every output format, exit codes, that `check` never writes, the progress
//! bar, and the pre-commit hook and GitHub Action definitions.
//!
//! Each run happens in a copy of the fixture with the copy as the working
//! directory, as in CI: paths in the reports are relative to it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde::Deserialize;
use serde_json::Value;

use crate::common::{Label, copy_dir, label_of, leakfix, repo_root, require_tool};

const FORMATS: [&str; 5] = ["text", "diff", "json", "sarif", "github"];

fn known_leaks() -> PathBuf {
    repo_root().join("tests/fixtures/reports/known-leaks")
}

/// A leak a fixture labels: file (relative, `/`-separated), 1-based line of
/// the constructor call, and whether it gets a fix.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Leak {
    path: String,
    line: usize,
    fix: bool,
}

/// Every labelled leak in the `.go` and `.js` files below `dir`.
fn labelled(dir: &Path) -> Vec<Leak> {
    let mut leaks = Vec::new();
    for file in files(dir) {
        if file.extension().is_none_or(|e| e != "go" && e != "js") {
            continue;
        }
        let text = String::from_utf8(std::fs::read(dir.join(&file)).unwrap()).unwrap();
        for (i, line) in text.lines().enumerate() {
            let fix = match label_of(line) {
                Some(Label::Leak) => true,
                Some(Label::LeakNoFix) => false,
                _ => continue,
            };
            leaks.push(Leak {
                path: slash(&file),
                line: i + 1,
                fix,
            });
        }
    }
    leaks.sort();
    leaks
}

/// Relative paths of every file below `dir`, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                if e.file_name() != ".git" {
                    walk(root, &e.path(), out);
                }
            } else {
                out.push(e.path().strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn slash(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Every file's bytes (and whether it is executable) below `dir`: two equal
/// snapshots mean nothing was written, created or removed.
fn snapshot(dir: &Path) -> BTreeMap<String, (Vec<u8>, bool)> {
    files(dir)
        .into_iter()
        .map(|f| {
            let p = dir.join(&f);
            let meta = std::fs::metadata(&p).unwrap();
            #[cfg(unix)]
            let exec = std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o111 != 0;
            #[cfg(not(unix))]
            let exec = meta.permissions().readonly();
            (slash(&f), (std::fs::read(&p).unwrap(), exec))
        })
        .collect()
}

/// A copy of the known leaks, as the working directory of a run.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&known_leaks(), dir.path());
    dir
}

/// The known leaks plus the files that trip reports up: CRLF line endings,
/// a BOM (also where a diff hunk starts at line 1), and folder names with a
/// space, a comma, a colon and a percent sign.
fn mixed_workspace() -> tempfile::TempDir {
    let dir = workspace();
    let store = std::fs::read_to_string(known_leaks().join("store/store.go")).unwrap();
    let put = |rel: &str, bytes: Vec<u8>| {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    };
    put(
        "crlf/store.go",
        store
            .replace("package store", "package crlf")
            .replace('\n', "\r\n")
            .into_bytes(),
    );
    let mut bom = "\u{feff}".to_string();
    bom.push_str(&store.replace("package store", "package bom"));
    put("bom/store.go", bom.into_bytes());
    put(
        "bom/top.go",
        "\u{feff}package bom; import \"time\"\nfunc Tick() {\n\tt := time.NewTicker(time.Second) // leak\n\t<-t.C\n}\n"
            .as_bytes()
            .to_vec(),
    );
    put(
        "odd dir, a:b 100%/store.go",
        store.replace("package store", "package odd").into_bytes(),
    );
    dir
}

fn run(dir: &Path, args: &[&str]) -> Output {
    leakfix()
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs and checks the exit code; returns stdout.
fn run_ok(dir: &Path, args: &[&str], code: i32) -> String {
    let out = run(dir, args);
    assert_eq!(
        out.status.code(),
        Some(code),
        "leakfix {args:?}\nstdout:\n{}\nstderr:\n{}",
        stdout(&out),
        stderr(&out)
    );
    stdout(&out)
}

/// What `leakfix fix ARGS` writes, run on a copy of `dir`.
fn fixed_copy(dir: &Path, args: &[&str]) -> tempfile::TempDir {
    let copy = tempfile::tempdir().unwrap();
    copy_dir(dir, copy.path());
    let mut full = vec!["fix"];
    full.extend(args);
    let out = run(copy.path(), &full);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "fix failed: {}",
        stderr(&out)
    );
    copy
}

mod acceptance;
mod diff;
mod github;
mod hooks;
mod json_output;
mod sarif;

use diff::{assert_diff_equals_fix, git_apply};
use github::parse_annotation;
pub(crate) use json_output::json;
pub(crate) use sarif::assert_valid_sarif;
