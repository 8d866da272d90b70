//! Go: every touched package is compiled and vetted by the user's own go
//! command, module setup (go.mod, go.work, vendor/) and build flags, with
//! the fixed files handed over through `-overlay`: nothing is written into
//! the tree.
//!
//! Per Go module (one go command per module, modules side by side):
//! - `go list -e -export -json` compiles the packages (the compile step of
//!   `go build`, without linking binaries; errors come back per package,
//!   and a package whose dependency failed says so), and says which files
//!   each package compiles (build constraints decide);
//! - `go vet` type-checks the packages with their test files and runs the
//!   vet analyzers. A finding vet already reported before the fix is not
//!   held against it; a package whose tests did not type-check before
//!   leaves fixes in its test files unverifiable.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use super::{Baseline, Diag, Options, Outcome, Unit, bounded};

const LIST_FIELDS: &str =
    "-json=Dir,ImportPath,Name,GoFiles,CgoFiles,TestGoFiles,XTestGoFiles,Error,DepsErrors,Export";

pub struct GoChecker {
    go: PathBuf,
    flags: Vec<String>,
    available: std::sync::OnceLock<bool>,
    /// Overlay files: one folder per check.
    tmp: Mutex<Option<tempfile::TempDir>>,
    seq: AtomicUsize,
    /// What vet said about each package before the fix (by import path).
    vet_before: Mutex<HashMap<String, VetBefore>>,
    /// Import path of each unit, from the baseline.
    import_paths: Mutex<HashMap<Unit, String>>,
}

#[derive(Clone, Debug, Default)]
struct VetBefore {
    /// The package and its tests type-checked: vet's verdict counts.
    usable: bool,
    /// Findings vet reported before the fix: (file, message) -> how many.
    findings: HashMap<(String, String), usize>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListPackage {
    dir: Option<PathBuf>,
    import_path: String,
    #[serde(default)]
    go_files: Vec<String>,
    #[serde(default)]
    cgo_files: Vec<String>,
    #[serde(default)]
    test_go_files: Vec<String>,
    #[serde(default)]
    x_test_go_files: Vec<String>,
    error: Option<ListError>,
    #[serde(default)]
    deps_errors: Vec<ListError>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListError {
    err: String,
}

/// The files of one check handed to the go command.
struct Overlay {
    /// The overlay JSON file (None: nothing replaced).
    json: Option<PathBuf>,
    /// The hash in a backing file's name -> the file it stands for.
    real: HashMap<String, PathBuf>,
}

/// Backing files are named `lfv-HASH-name.go`.
const MARKER: &str = "lfv-";

/// Removes backing files nobody used for a week.
fn clean_old(dir: &Path) {
    let week = std::time::Duration::from_secs(7 * 24 * 3600);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > week);
        if old {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

impl GoChecker {
    pub fn new(options: &Options) -> Result<GoChecker> {
        Ok(GoChecker {
            go: std::env::var_os("LEAKFIX_GO")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("go")),
            flags: options.go_flags.clone(),
            available: std::sync::OnceLock::new(),
            tmp: Mutex::new(None),
            seq: AtomicUsize::new(0),
            vet_before: Mutex::default(),
            import_paths: Mutex::default(),
        })
    }

    fn require(&self) -> Result<()> {
        let ok = *self
            .available
            .get_or_init(|| super::runnable(&self.go, "version"));
        if !ok {
            bail!(
                "--verify needs the Go toolchain to check Go fixes, and `{}` could not be run; install Go (https://go.dev/dl/) and put `go` on PATH, or run without --verify; nothing was written",
                self.go.display()
            );
        }
        Ok(())
    }

    /// The package of a Go file: its folder, in the module of the nearest
    /// go.mod above it.
    pub fn unit_of(&self, path: &Path) -> Result<Unit, String> {
        let dir = path.parent().ok_or("no folder")?.to_path_buf();
        let module = dir
            .ancestors()
            .find(|d| d.join("go.mod").is_file())
            .ok_or("not in a Go module (no go.mod above it), so the go command cannot build it")?
            .to_path_buf();
        Ok(Unit::Go { module, dir })
    }

    fn by_module(units: &[Unit]) -> BTreeMap<PathBuf, Vec<Unit>> {
        let mut out: BTreeMap<PathBuf, Vec<Unit>> = BTreeMap::new();
        for u in units {
            if let Unit::Go { module, .. } = u {
                out.entry(module.clone()).or_default().push(u.clone());
            }
        }
        out
    }

    pub fn baseline(&self, units: &[Unit], jobs: usize) -> Result<HashMap<Unit, Baseline>> {
        if units.is_empty() {
            return Ok(HashMap::new());
        }
        self.require()?;
        let overlay = Overlay {
            json: None,
            real: HashMap::new(),
        };
        let results = bounded(
            Self::by_module(units).into_iter().collect(),
            jobs,
            |(module, units)| self.baseline_module(&module, &units, &overlay),
        );
        let mut out = HashMap::new();
        for r in results {
            out.extend(r?);
        }
        Ok(out)
    }

    fn baseline_module(
        &self,
        module: &Path,
        units: &[Unit],
        overlay: &Overlay,
    ) -> Result<Vec<(Unit, Baseline)>> {
        let run = self.run_module(module, units, overlay)?;
        let mut out = Vec::new();
        let mut vet_before = self.vet_before.lock().unwrap();
        let mut import_paths = self.import_paths.lock().unwrap();
        for u in units {
            let Unit::Go { dir, .. } = u else { continue };
            let Some(pkg) = run.package(dir) else {
                out.push((
                    u.clone(),
                    Baseline::Broken(format!(
                        "go list found no package in {}{}",
                        dir.display(),
                        run.general_error()
                    )),
                ));
                continue;
            };
            import_paths.insert(u.clone(), pkg.import_path.clone());
            if let Some(e) = &pkg.error {
                out.push((
                    u.clone(),
                    Baseline::Broken(did_not_build(&run, dir, &e.err)),
                ));
                continue;
            }
            if let Some(e) = pkg.deps_errors.first() {
                out.push((
                    u.clone(),
                    Baseline::Broken(format!(
                        "a package it imports did not build before the fix: {}",
                        first_line(
                            &run.diags("go build", &e.err)
                                .first()
                                .map(|d| d.message.clone())
                                .unwrap_or_else(|| e.err.clone())
                        )
                    )),
                ));
                continue;
            }
            let vet = run.vet.get(&pkg.import_path);
            let usable =
                run.vet_ran && vet.is_none_or(|v| v.type_errors.is_empty() && !v.tests_blocked);
            let mut findings: HashMap<(String, String), usize> = HashMap::new();
            if let Some(v) = vet {
                for d in &v.findings {
                    *findings.entry(key(d)).or_default() += 1;
                }
            }
            vet_before.insert(pkg.import_path.clone(), VetBefore { usable, findings });
            let mut checked: HashSet<PathBuf> = pkg
                .go_files
                .iter()
                .chain(&pkg.cgo_files)
                .map(|f| dir.join(f))
                .collect();
            if usable {
                checked.extend(
                    pkg.test_go_files
                        .iter()
                        .chain(&pkg.x_test_go_files)
                        .map(|f| dir.join(f)),
                );
            }
            out.push((u.clone(), Baseline::Builds { checked }));
        }
        Ok(out)
    }

    pub fn check(
        &self,
        units: &[Unit],
        texts: &HashMap<PathBuf, Vec<u8>>,
        jobs: usize,
    ) -> Result<HashMap<Unit, Outcome>> {
        if units.is_empty() {
            return Ok(HashMap::new());
        }
        self.require()?;
        let overlay = self.write_overlay(texts)?;
        let results = bounded(
            Self::by_module(units).into_iter().collect(),
            jobs,
            |(module, units)| self.check_module(&module, &units, &overlay),
        );
        let mut out = HashMap::new();
        for r in results {
            out.extend(r?);
        }
        Ok(out)
    }

    fn check_module(
        &self,
        module: &Path,
        units: &[Unit],
        overlay: &Overlay,
    ) -> Result<Vec<(Unit, Outcome)>> {
        let run = self.run_module(module, units, overlay)?;
        let vet_before = self.vet_before.lock().unwrap().clone();
        let mut out = Vec::new();
        for u in units {
            let Unit::Go { dir, .. } = u else { continue };
            let Some(pkg) = run.package(dir) else {
                out.push((
                    u.clone(),
                    Outcome::Fail(vec![Diag::general(
                        "go build",
                        format!("go list found no package{}", run.general_error()),
                    )]),
                ));
                continue;
            };
            if let Some(e) = &pkg.error {
                let mut diags = run.diags("go build", &e.err);
                if diags.is_empty() {
                    diags.push(Diag::general("go build", first_line(&e.err)));
                }
                out.push((u.clone(), Outcome::Fail(diags)));
                continue;
            }
            if !pkg.deps_errors.is_empty() {
                out.push((u.clone(), Outcome::Blocked));
                continue;
            }
            let before = vet_before.get(&pkg.import_path);
            let mut diags = Vec::new();
            if before.is_some_and(|b| b.usable) && run.vet_ran {
                let before = before.expect("checked");
                if let Some(v) = run.vet.get(&pkg.import_path) {
                    if v.tests_blocked && v.type_errors.is_empty() {
                        out.push((u.clone(), Outcome::Blocked));
                        continue;
                    }
                    diags.extend(v.type_errors.iter().cloned());
                    let mut seen: HashMap<(String, String), usize> = HashMap::new();
                    for d in &v.findings {
                        let k = key(d);
                        let n = seen.entry(k.clone()).or_default();
                        *n += 1;
                        if *n > before.findings.get(&k).copied().unwrap_or(0) {
                            diags.push(d.clone());
                        }
                    }
                }
            }
            out.push((
                u.clone(),
                if diags.is_empty() {
                    Outcome::Pass
                } else {
                    Outcome::Fail(diags)
                },
            ));
        }
        Ok(out)
    }

    /// Writes the fixed Go files where the go command reads them instead.
    /// A backing file's name comes from its path and contents, so the same
    /// fixed file has the same name in every run and the go build cache
    /// (whose keys include file names) stays warm.
    fn write_overlay(&self, texts: &HashMap<PathBuf, Vec<u8>>) -> Result<Overlay> {
        let dir = super::cache_dir().join("verify").join("go-overlay");
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let mut tmp = self.tmp.lock().unwrap();
        if tmp.is_none() {
            *tmp = Some(
                tempfile::Builder::new()
                    .prefix("leakfix-verify-")
                    .tempdir()
                    .context("cannot create a temporary folder for the go overlay")?,
            );
            clean_old(&dir);
        }
        let json_dir = tmp.as_ref().expect("created").path().to_path_buf();
        drop(tmp);
        let mut replace = serde_json::Map::new();
        let mut real = HashMap::new();
        for (path, bytes) in texts
            .iter()
            .filter(|(p, _)| p.extension().is_some_and(|e| e == "go"))
        {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            let mut id = path.to_string_lossy().into_owned().into_bytes();
            id.push(0);
            id.extend_from_slice(bytes);
            let hash = format!("{:016x}", super::rust::fnv(&id));
            let backing = dir.join(format!("{MARKER}{hash}-{name}"));
            if !std::fs::read(&backing).is_ok_and(|b| b == *bytes) {
                std::fs::write(&backing, bytes)
                    .with_context(|| format!("cannot write {}", backing.display()))?;
            }
            // The go command compares overlay paths with the real ones it
            // finds (symbolic links resolved).
            let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
            replace.insert(
                key.to_string_lossy().into_owned(),
                serde_json::Value::String(backing.to_string_lossy().into_owned()),
            );
            real.insert(hash, path.clone());
        }
        let n = self.seq.fetch_add(1, Ordering::Relaxed);
        let json = json_dir.join(format!("overlay{n}.json"));
        std::fs::write(
            &json,
            serde_json::to_vec(&serde_json::json!({ "Replace": replace }))?,
        )?;
        Ok(Overlay {
            json: Some(json),
            real,
        })
    }

    /// `go list -export` and `go vet` of some packages of one module.
    fn run_module(&self, module: &Path, units: &[Unit], overlay: &Overlay) -> Result<ModuleRun> {
        let canon = std::fs::canonicalize(module).unwrap_or_else(|_| module.to_path_buf());
        let mut patterns = Vec::new();
        let mut dirs = Vec::new();
        for u in units {
            if let Unit::Go { dir, .. } = u {
                let rel = dir.strip_prefix(module).unwrap_or(dir);
                patterns.push(if rel.as_os_str().is_empty() {
                    ".".to_string()
                } else {
                    format!("./{}", rel.to_string_lossy())
                });
                dirs.push((
                    dir.clone(),
                    std::fs::canonicalize(dir).unwrap_or_else(|_| dir.clone()),
                ));
            }
        }
        let mut flags = self.flags.clone();
        if let Some(json) = &overlay.json {
            flags.push(format!("-overlay={}", json.display()));
        }
        let mut list_cmd = self.command(&canon);
        list_cmd
            .args(["list", "-e", "-export", LIST_FIELDS])
            .args(&flags)
            .args(&patterns);
        let mut vet_cmd = self.command(&canon);
        vet_cmd.arg("vet").args(&flags).args(&patterns);
        // Before the fix (a cold build cache) vet waits for the compile of
        // the dependencies that list does; with the fix, only the touched
        // packages are compiled, and the two run side by side.
        let (list, vet) = if overlay.json.is_none() {
            (super::output(&mut list_cmd), super::output(&mut vet_cmd))
        } else {
            std::thread::scope(|s| {
                let vet = s.spawn(|| super::output(&mut vet_cmd));
                let list = super::output(&mut list_cmd);
                (list, vet.join().expect("go vet does not panic"))
            })
        };
        let list = list.with_context(|| format!("cannot run {}", self.go.display()))?;
        let vet = vet.with_context(|| format!("cannot run {}", self.go.display()))?;
        let mut packages = Vec::new();
        for p in serde_json::Deserializer::from_slice(&list.stdout).into_iter::<ListPackage>() {
            match p {
                Ok(p) => packages.push(p),
                Err(_) => break,
            }
        }
        let mut run = ModuleRun {
            module: module.to_path_buf(),
            canon,
            dirs,
            packages,
            list_stderr: String::from_utf8_lossy(&list.stderr).into_owned(),
            vet: HashMap::new(),
            vet_ran: true,
            real: overlay.real.clone(),
        };
        run.parse_vet(&String::from_utf8_lossy(&vet.stderr), vet.status.success());
        Ok(run)
    }

    fn command(&self, dir: &Path) -> Command {
        let mut c = Command::new(&self.go);
        c.current_dir(dir).env("PWD", dir);
        // The go command must never edit go.mod or go.sum in the user's tree.
        if let Some(flags) = std::env::var_os("GOFLAGS") {
            let kept: Vec<String> = flags
                .to_string_lossy()
                .split_whitespace()
                .filter(|f| *f != "-mod=mod")
                .map(str::to_string)
                .collect();
            c.env("GOFLAGS", kept.join(" "));
        }
        c
    }
}

fn did_not_build(run: &ModuleRun, dir: &Path, err: &str) -> String {
    let first = run
        .diags("go build", err)
        .first()
        .map(|d| d.render(&|p| p.strip_prefix(dir).unwrap_or(p).display().to_string()))
        .unwrap_or_else(|| first_line(err));
    format!("its package did not build before the fix: {first}")
}

fn first_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or("")
        .to_string()
}

/// Joins an indented line (`\thave ()`) to the message above it:
/// `not enough arguments in call to F: have (), want (int)`.
fn continue_message(message: &mut String, line: &str, first: bool) {
    if message.len() > 300 {
        return;
    }
    message.push_str(match (first, message.ends_with(':')) {
        (_, true) => " ",
        (true, false) => ": ",
        (false, false) => ", ",
    });
    message.push_str(line.trim());
}

fn key(d: &Diag) -> (String, String) {
    (
        d.path
            .as_ref()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default(),
        d.message.clone(),
    )
}

/// What vet said about one package.
#[derive(Debug, Default)]
struct VetPackage {
    /// The package or its tests did not type-check (`vet: ...` lines).
    type_errors: Vec<Diag>,
    findings: Vec<Diag>,
    /// A package its tests import did not compile.
    tests_blocked: bool,
}

struct ModuleRun {
    module: PathBuf,
    canon: PathBuf,
    /// Each unit's folder, as given and canonical.
    dirs: Vec<(PathBuf, PathBuf)>,
    packages: Vec<ListPackage>,
    list_stderr: String,
    vet: HashMap<String, VetPackage>,
    /// vet ran its packages (a failure before any package is not a verdict).
    vet_ran: bool,
    /// Backing file hash -> the file it stands for.
    real: HashMap<String, PathBuf>,
}

impl ModuleRun {
    fn package(&self, dir: &Path) -> Option<&ListPackage> {
        let canon = self
            .dirs
            .iter()
            .find(|(d, _)| d == dir)
            .map(|(_, c)| c.clone())?;
        self.packages.iter().find(|p| {
            p.dir
                .as_ref()
                .is_some_and(|d| *d == canon || std::fs::canonicalize(d).is_ok_and(|c| c == canon))
        })
    }

    fn general_error(&self) -> String {
        let l = first_line(&self.list_stderr);
        if l.is_empty() {
            String::new()
        } else {
            format!(": {l}")
        }
    }

    /// The path a compiler message names, as the user knows it.
    fn real_path(&self, shown: &str) -> PathBuf {
        if let Some(at) = shown.rfind(MARKER)
            && let Some((hash, _)) = shown[at + MARKER.len()..].split_once('-')
            && let Some(p) = self.real.get(hash)
        {
            return p.clone();
        }
        let p = Path::new(shown);
        let abs = if p.is_absolute() {
            p.to_path_buf()
        } else {
            super::absolute(&self.canon.join(p))
        };
        match abs.strip_prefix(&self.canon) {
            Ok(rel) => self.module.join(rel),
            Err(_) => abs,
        }
    }

    /// The messages in a compiler's output (`file:line:col: message` lines,
    /// with the indented lines after them).
    fn diags(&self, tool: &'static str, text: &str) -> Vec<Diag> {
        let mut out: Vec<Diag> = Vec::new();
        let mut first = true;
        for line in text.lines() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            if line.starts_with('\t') || line.starts_with("  ") {
                if let Some(last) = out.last_mut() {
                    continue_message(&mut last.message, line, first);
                    first = false;
                }
                continue;
            }
            first = true;
            let line = line.strip_prefix("vet: ").unwrap_or(line);
            out.push(match parse_position(line) {
                Some((path, l, c, msg)) => Diag {
                    path: Some(self.real_path(path)),
                    line: l,
                    column: c,
                    message: msg.to_string(),
                    tool,
                },
                None => Diag::general(tool, line.trim()),
            });
        }
        out
    }

    /// Splits vet's output into its packages (`# import/path` headers).
    fn parse_vet(&mut self, text: &str, success: bool) {
        let known: HashSet<String> = self
            .packages
            .iter()
            .map(|p| p.import_path.clone())
            .collect();
        let mut current: Option<(String, bool)> = None;
        let mut sections: BTreeMap<(String, bool), Vec<String>> = BTreeMap::new();
        for line in text.lines() {
            if let Some(header) = line.strip_prefix("# ") {
                current = vet_header(header, &known);
                if let Some(key) = &current {
                    sections.entry(key.clone()).or_default();
                }
                continue;
            }
            if let Some(key) = &current {
                sections
                    .entry(key.clone())
                    .or_default()
                    .push(line.to_string());
            }
        }
        if !success && sections.is_empty() {
            // vet failed before checking any package (a broken module setup).
            self.vet_ran = false;
            return;
        }
        let mut vet: HashMap<String, VetPackage> = HashMap::new();
        for ((pkg, own), lines) in sections {
            let v = vet.entry(pkg).or_default();
            if !own {
                // A package its tests import did not compile: the tests
                // were not type-checked.
                v.tests_blocked |= lines.iter().any(|l| !l.trim().is_empty());
                continue;
            }
            let mut last_is_type_error = false;
            let mut first = true;
            for line in &lines {
                if line.starts_with('\t') {
                    // A continuation of the previous message.
                    let last = if last_is_type_error {
                        v.type_errors.last_mut()
                    } else {
                        v.findings.last_mut()
                    };
                    if let Some(last) = last {
                        continue_message(&mut last.message, line, first);
                        first = false;
                    }
                    continue;
                }
                first = true;
                let ds = self.diags("go vet", line);
                last_is_type_error = line.starts_with("vet: ");
                if last_is_type_error {
                    v.type_errors.extend(ds);
                } else {
                    v.findings.extend(ds);
                }
            }
        }
        self.vet = vet;
    }
}

/// The package a vet header is about, and whether the lines under it are
/// that package's own (`pkg`, `[pkg]`, `pkg [pkg.test]`, `pkg_test
/// [pkg.test]`) or another package's that its test build imports and that
/// failed to compile (`dep [pkg.test]`).
fn vet_header(header: &str, known: &HashSet<String>) -> Option<(String, bool)> {
    let mut words = header.split_whitespace();
    let first = words.next()?.trim_start_matches('[').trim_end_matches(']');
    let base = |p: &str| -> Option<String> {
        if known.contains(p) {
            return Some(p.to_string());
        }
        let p = p.strip_suffix("_test").unwrap_or(p);
        known.contains(p).then(|| p.to_string())
    };
    if let Some(test) = words.next() {
        let of = test
            .trim_start_matches('[')
            .trim_end_matches(']')
            .trim_end_matches(".test");
        if known.contains(of) {
            let own = first == of || first.strip_suffix("_test") == Some(of);
            return Some((of.to_string(), own));
        }
    }
    base(first).map(|p| (p, true))
}

/// `path:line:col: message` or `path:line: message`.
fn parse_position(line: &str) -> Option<(&str, usize, usize, &str)> {
    let mut search = 0;
    while let Some(i) = line[search..].find(':').map(|i| i + search) {
        let rest = &line[i + 1..];
        let digits = rest.chars().take_while(|c| c.is_ascii_digit()).count();
        if digits > 0 && i > 0 {
            let l: usize = rest[..digits].parse().ok()?;
            let after = &rest[digits..];
            if let Some(after) = after.strip_prefix(':') {
                let cd = after.chars().take_while(|c| c.is_ascii_digit()).count();
                if cd > 0 {
                    let c: usize = after[..cd].parse().ok()?;
                    if let Some(msg) = after[cd..].strip_prefix(": ") {
                        return Some((&line[..i], l, c, msg));
                    }
                } else if let Some(msg) = after.strip_prefix(' ') {
                    return Some((&line[..i], l, 0, msg));
                }
            }
        }
        search = i + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions() {
        assert_eq!(
            parse_position("a/b.go:3:23: undefined: x"),
            Some(("a/b.go", 3, 23, "undefined: x"))
        );
        assert_eq!(
            parse_position(
                "../x/lfv2/0-a.go:14:10: c.Close undefined (type *Conn has no field or method Close)"
            ),
            Some((
                "../x/lfv2/0-a.go",
                14,
                10,
                "c.Close undefined (type *Conn has no field or method Close)"
            ))
        );
        assert_eq!(parse_position("a.go:7: msg"), Some(("a.go", 7, 0, "msg")));
        assert_eq!(parse_position("go: no module"), None);
    }

    #[test]
    fn vet_headers() {
        let known: HashSet<String> = ["example.com/a".to_string()].into();
        let own = |p: &str| Some((p.to_string(), true));
        assert_eq!(vet_header("example.com/a", &known), own("example.com/a"));
        assert_eq!(vet_header("[example.com/a]", &known), own("example.com/a"));
        assert_eq!(
            vet_header("example.com/a_test [example.com/a.test]", &known),
            own("example.com/a")
        );
        assert_eq!(
            vet_header("example.com/a [example.com/a.test]", &known),
            own("example.com/a")
        );
        assert_eq!(
            vet_header("example.com/dep [example.com/a.test]", &known),
            Some(("example.com/a".to_string(), false))
        );
        assert_eq!(vet_header("example.com/b", &known), None);
    }

    #[test]
    fn overlay_paths_map_back_to_the_real_files() {
        let run = ModuleRun {
            module: PathBuf::from("/work/m"),
            canon: PathBuf::from("/real/m"),
            dirs: vec![],
            packages: vec![],
            list_stderr: String::new(),
            vet: HashMap::new(),
            vet_ran: true,
            real: HashMap::from([
                ("00aa".to_string(), PathBuf::from("/work/m/a/x.go")),
                ("00bb".to_string(), PathBuf::from("/work/m/b/y-z.go")),
            ]),
        };
        assert_eq!(
            run.real_path(".cache/leakfix/verify/go-overlay/lfv-00bb-y-z.go"),
            PathBuf::from("/work/m/b/y-z.go")
        );
        assert_eq!(run.real_path("c/z.go"), PathBuf::from("/work/m/c/z.go"));
        assert_eq!(
            run.real_path("/real/m/c/z.go"),
            PathBuf::from("/work/m/c/z.go")
        );
        let diags = run.diags(
            "go build",
            "# example.com/m/b\n/root/.cache/leakfix/verify/go-overlay/lfv-00bb-y-z.go:5:23: not enough arguments in call to a.F\n\thave ()\n\twant (int)\n",
        );
        assert_eq!(diags.len(), 1);
        assert_eq!(
            diags[0].path.as_deref(),
            Some(Path::new("/work/m/b/y-z.go"))
        );
        assert_eq!(
            diags[0].message,
            "not enough arguments in call to a.F: have (), want (int)"
        );
    }
}
