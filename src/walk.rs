//! Finds the files to scan: a parallel, .gitignore/.ignore-aware walk that
//! skips vendor/, testdata/, target/, node_modules/ and hidden folders, test
//! code unless asked for, and the config file's excludes.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use globset::GlobSet;
use ignore::{WalkBuilder, WalkState};

use crate::finding::{Problem, ProblemKind};
use crate::lang::Language;

/// Paths the user never wants read, from the config file's `exclude`.
#[derive(Clone, Debug, Default)]
pub struct Excludes {
    root: PathBuf,
    set: Option<GlobSet>,
}

impl Excludes {
    /// `set` holds globs relative to `root` (the config file's folder).
    pub fn new(root: PathBuf, set: Option<GlobSet>) -> Self {
        Excludes { root, set }
    }

    /// The folder the globs are relative to.
    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn is_excluded(&self, path: &Path) -> bool {
        let Some(set) = &self.set else { return false };
        let rel = path.strip_prefix(&self.root).unwrap_or(path);
        let rel = rel.strip_prefix(".").unwrap_or(rel);
        set.is_match(rel)
            || rel
                .ancestors()
                .any(|a| !a.as_os_str().is_empty() && set.is_match(a))
    }
}

/// Folder names never descended into (`target` only as a build folder,
/// see [`skipped_dir`]).
pub const SKIPPED_DIRS: [&str; 4] = ["vendor", "testdata", "target", "node_modules"];

/// Is the folder `dir` (named `name`) one the walk leaves out? `target` is
/// Cargo's build folder, but in a Go module it is also a common package
/// name (`internal/event/target`): a `target` folder under a `go.mod`, with
/// no `Cargo.toml` beside it and none of Cargo's marks inside, is code.
pub fn skipped_dir(dir: &Path, name: &str) -> bool {
    if !SKIPPED_DIRS.contains(&name) {
        return false;
    }
    if name != "target" {
        return true;
    }
    let Some(parent) = dir.parent() else {
        return true;
    };
    let cargo_build = parent.join("Cargo.toml").is_file()
        || dir.join("CACHEDIR.TAG").is_file()
        || dir.join(".rustc_info.json").is_file();
    let in_go_module = parent.ancestors().any(|d| d.join("go.mod").is_file());
    cargo_build || !in_go_module
}

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
    let mut prefix = if path.is_absolute() {
        cwd.to_path_buf()
    } else {
        PathBuf::new()
    };
    dir.components().any(|c| {
        prefix.push(c);
        match c {
            std::path::Component::Normal(name) => name
                .to_str()
                .is_some_and(|n| skipped_dir(&prefix, n) || (n.starts_with('.') && n.len() > 1)),
            _ => false,
        }
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
                        .is_some_and(|n| skipped_dir(e.path(), n)))
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
    fn target_is_skipped_as_a_build_folder_only() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let write = |p: &str, body: &str| {
            let p = root.join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, body).unwrap();
        };
        // A Go package named target (minio's internal/event/target).
        write("gomod/go.mod", "module example.com/m\n");
        write("gomod/event/target/t.go", "package target\n");
        // Cargo's build folder beside a Cargo.toml, and one marked by Cargo.
        write("gomod/tool/Cargo.toml", "[package]\n");
        write("gomod/tool/target/debug/build/x.rs", "fn main() {}\n");
        write(
            "gomod/other/target/CACHEDIR.TAG",
            "Signature: 8a477f597d28d172789f06886806bc55\n",
        );
        write("gomod/other/target/y.go", "package y\n");
        // Outside any Go module, target/ is never code.
        write("plain/target/z.go", "package z\n");
        let none = Excludes::default();
        let opts = WalkOptions {
            include_tests: false,
            excludes: &none,
            threads: 1,
        };
        let (files, _) = walk(&[root.to_path_buf()], &opts);
        let found: Vec<String> = files
            .iter()
            .map(|f| f.path.strip_prefix(root).unwrap().display().to_string())
            .collect();
        assert_eq!(found, ["gomod/event/target/t.go"]);
        let ex = |p: &str| excluded_by_walk(&root.join(p), root, Language::Go, false, &none);
        assert!(!ex("gomod/event/target/t.go"));
        assert!(ex("gomod/other/target/y.go"));
        assert!(ex("plain/target/z.go"));
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
