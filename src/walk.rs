//! Finds the files to scan: a parallel, .gitignore/.ignore-aware walk that
//! skips vendor/, testdata/, target/, node_modules/ and hidden folders, test
//! code unless asked for, and the config file's excludes.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ignore::{WalkBuilder, WalkState};

use crate::config::Excludes;
use crate::finding::{Problem, ProblemKind};
use crate::lang::Language;

/// Folder names never descended into.
pub const SKIPPED_DIRS: [&str; 4] = ["vendor", "testdata", "target", "node_modules"];

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct WalkedFile {
    pub path: Arc<Path>,
    pub language: Language,
}

pub struct WalkOptions<'a> {
    pub include_tests: bool,
    pub excludes: &'a Excludes,
    pub threads: usize,
}

/// Is this file test code (skipped unless `--include-tests`)?
pub fn is_test_file(path: &Path, language: Language) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    match language {
        Language::Go => name.ends_with("_test.go"),
        Language::JavaScript | Language::TypeScript | Language::Tsx => {
            crate::lang::js::is_test_file(path)
        }
        Language::Rust => {
            if name == "tests.rs" {
                return true;
            }
            let Some(dir) = path.parent() else {
                return false;
            };
            // Inside a crate, only its own `tests/` and `benches/` hold test
            // code: a crate that itself sits under some `tests/` folder (a
            // fixture) is ordinary code.
            let within = crate_root(dir)
                .and_then(|root| dir.strip_prefix(root).ok())
                .unwrap_or(dir);
            within
                .components()
                .any(|c| matches!(c.as_os_str().to_str(), Some("tests" | "benches")))
        }
    }
}

/// Would the folder walk leave this file out? (For files named on the
/// command line with `--force-exclude`.) Folder names are checked below
/// `cwd` only, so a checkout under `~/target/` is not skipped whole.
pub fn excluded_by_walk(
    path: &Path,
    cwd: &Path,
    language: Language,
    include_tests: bool,
    excludes: &Excludes,
) -> bool {
    if !include_tests && is_test_file(path, language) || excludes.is_excluded(path) {
        return true;
    }
    let inside = if path.is_absolute() {
        path.strip_prefix(cwd).ok()
    } else {
        Some(path)
    };
    let Some(dir) = inside.and_then(Path::parent) else {
        return false;
    };
    dir.components().any(|c| match c {
        std::path::Component::Normal(name) => name
            .to_str()
            .is_some_and(|n| SKIPPED_DIRS.contains(&n) || (n.starts_with('.') && n.len() > 1)),
        _ => false,
    })
}

/// The nearest folder at or above `dir` with a `Cargo.toml`.
fn crate_root(dir: &Path) -> Option<&Path> {
    dir.ancestors().find(|d| d.join("Cargo.toml").is_file())
}

/// Walks `roots` and returns the files to scan, sorted by path, plus the
/// problems met on the way (unreadable folders).
pub fn walk(roots: &[PathBuf], opts: &WalkOptions) -> (Vec<WalkedFile>, Vec<Problem>) {
    let files = Mutex::new(Vec::new());
    let problems = Mutex::new(Vec::new());
    let take = |path: &Path, explicit: bool| -> Option<WalkedFile> {
        let language = Language::from_path(path)?;
        if !explicit
            && (!opts.include_tests && is_test_file(path, language)
                || opts.excludes.is_excluded(path))
        {
            return None;
        }
        Some(WalkedFile {
            path: Arc::from(path),
            language,
        })
    };

    let mut dirs = Vec::new();
    for root in roots {
        if root.is_file() {
            // A file named on the command line is always scanned.
            if let Some(f) = take(root, true) {
                files.lock().unwrap().push(f);
            }
        } else {
            dirs.push(root.clone());
        }
    }
    if let Some((first, rest)) = dirs.split_first() {
        let mut builder = WalkBuilder::new(first);
        for d in rest {
            builder.add(d);
        }
        builder
            .hidden(true)
            .parents(true)
            .ignore(true)
            .git_ignore(true)
            .git_exclude(true)
            .git_global(true)
            .require_git(false)
            .threads(opts.threads)
            .filter_entry(|e| {
                let is_dir = e.file_type().is_some_and(|t| t.is_dir());
                !(is_dir
                    && e.depth() > 0
                    && e.file_name()
                        .to_str()
                        .is_some_and(|n| SKIPPED_DIRS.contains(&n)))
            });
        builder.build_parallel().run(|| {
            Box::new(|entry| {
                match entry {
                    Ok(e) => {
                        if e.file_type().is_some_and(|t| t.is_file())
                            && !(e.depth() > 0 && opts.excludes.is_excluded(e.path()))
                            && let Some(f) = take(e.path(), false)
                        {
                            files.lock().unwrap().push(f);
                        }
                    }
                    Err(err) => {
                        let path = error_path(&err).unwrap_or_else(|| PathBuf::from("."));
                        problems.lock().unwrap().push(Problem {
                            path: Arc::from(path.as_path()),
                            kind: ProblemKind::Io,
                            message: format!("cannot walk: {err}"),
                        });
                    }
                }
                WalkState::Continue
            })
        });
    }
    let mut files = files.into_inner().unwrap();
    files.sort();
    files.dedup();
    (files, problems.into_inner().unwrap())
}

fn error_path(err: &ignore::Error) -> Option<PathBuf> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn force_exclude_checks_folders_below_the_working_directory_only() {
        let none = Excludes::default();
        let cwd = Path::new("/home/u/target/repo");
        let ex =
            |p: &str, tests: bool| excluded_by_walk(Path::new(p), cwd, Language::Go, tests, &none);
        assert!(!ex("a/b.go", false));
        assert!(ex("a/b_test.go", false));
        assert!(!ex("a/b_test.go", true));
        assert!(ex("vendor/x/y.go", true));
        assert!(ex("./.git/hooks/h.go", true));
        assert!(!ex("./a.go", true));
        assert!(
            !ex("/home/u/target/repo/a/b.go", false),
            "target/ above cwd"
        );
        assert!(ex("/home/u/target/repo/testdata/b.go", false));
    }

    #[test]
    fn test_files() {
        assert!(is_test_file(Path::new("a/b_test.go"), Language::Go));
        assert!(!is_test_file(Path::new("a/b.go"), Language::Go));
        assert!(is_test_file(Path::new("crate/tests/it.rs"), Language::Rust));
        assert!(is_test_file(
            Path::new("crate/src/tests.rs"),
            Language::Rust
        ));
        assert!(!is_test_file(Path::new("crate/src/lib.rs"), Language::Rust));
    }

    #[test]
    fn a_crate_under_a_tests_folder_is_not_test_code() {
        let dir = tempfile::tempdir().unwrap();
        let svc = dir.path().join("tests/fixtures/svc");
        std::fs::create_dir_all(svc.join("src")).unwrap();
        std::fs::create_dir_all(svc.join("tests")).unwrap();
        std::fs::write(svc.join("Cargo.toml"), "[package]\nname = \"svc\"\n").unwrap();
        assert!(!is_test_file(&svc.join("src/lib.rs"), Language::Rust));
        assert!(is_test_file(&svc.join("tests/it.rs"), Language::Rust));
    }
}
