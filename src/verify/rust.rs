//! Rust: `cargo check` of every touched package, on a scratch copy of its
//! workspace (cargo has no overlay), never in the user's tree.
//!
//! The scratch copy lives in leakfix's cache folder
//! (`<cache>/verify/cargo/<hash of the workspace path>/`): `src/` mirrors
//! the workspace (and the path dependencies outside it, at the same
//! relative places, so `path = "../x"` still resolves), and `target/` is its
//! own build output, shared by every later verification of that workspace.
//! The mirror is synced by content: a file is rewritten only when it
//! differs, so cargo's freshness checks (by modification time) keep the
//! second and later checks warm. The user's own `target/` is never
//! written: cargo would take artifacts built from fixed-but-unwritten code
//! for fresh there.
//!
//! Each check runs `cargo check --message-format=json --keep-going -p PKG
//! --lib --bins --tests --examples` (benches are left out: they often need
//! a nightly compiler) plus the configured `verify-cargo-flags`. A file is
//! verified only if the check compiled it: the dep-info files cargo writes
//! list every source file of every target, so a file no target includes
//! (a fixture, a module behind a disabled feature) is reported as
//! unverifiable rather than passed.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use super::{Baseline, Diag, Options, Outcome, Unit, bounded};

pub struct CargoChecker {
    cargo: PathBuf,
    flags: Vec<String>,
    available: std::sync::OnceLock<bool>,
    /// Package manifest -> its workspace (set up on first use).
    workspaces: Mutex<HashMap<PathBuf, PathBuf>>,
    /// Workspace root -> its scratch copy.
    scratches: Mutex<HashMap<PathBuf, std::sync::Arc<Mutex<Scratch>>>>,
}

#[derive(Debug, Deserialize)]
struct Metadata {
    packages: Vec<MetaPackage>,
    workspace_root: PathBuf,
    target_directory: PathBuf,
}

#[derive(Debug, Deserialize)]
struct MetaPackage {
    name: String,
    source: Option<String>,
    manifest_path: PathBuf,
    targets: Vec<MetaTarget>,
}

#[derive(Debug, Deserialize)]
struct MetaTarget {
    kind: Vec<String>,
}

/// A workspace's scratch copy.
struct Scratch {
    /// The user's folder that `src` mirrors (the workspace root, or a
    /// folder above it that also holds its path dependencies).
    base: PathBuf,
    /// `<scratch>/src`.
    src: PathBuf,
    /// `<scratch>/target`.
    target: PathBuf,
    /// The workspace root, in the user's tree.
    workspace: PathBuf,
    /// Packages with a library target.
    libs: HashSet<String>,
    /// Files currently holding fixed text in the mirror (user paths).
    edited: HashSet<PathBuf>,
    /// Artifacts each package produced in the check before the fix.
    artifacts: HashMap<PathBuf, usize>,
    /// Held while leakfix uses the scratch copy.
    _lock: File,
}

impl Scratch {
    fn to_scratch(&self, user: &Path) -> Option<PathBuf> {
        user.strip_prefix(&self.base).ok().map(|r| self.src.join(r))
    }

    fn to_user(&self, scratch: &Path) -> PathBuf {
        match scratch.strip_prefix(&self.src) {
            Ok(r) => self.base.join(r),
            Err(_) => scratch.to_path_buf(),
        }
    }

    fn scratch_workspace(&self) -> PathBuf {
        self.to_scratch(&self.workspace)
            .unwrap_or_else(|| self.src.clone())
    }
}

impl CargoChecker {
    pub fn new(options: &Options) -> Result<CargoChecker> {
        Ok(CargoChecker {
            cargo: std::env::var_os("LEAKFIX_CARGO")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("cargo")),
            flags: options.cargo_flags.clone(),
            available: std::sync::OnceLock::new(),
            workspaces: Mutex::default(),
            scratches: Mutex::default(),
        })
    }

    fn require(&self) -> Result<()> {
        let ok = *self
            .available
            .get_or_init(|| super::runnable(&self.cargo, "--version"));
        if !ok {
            bail!(
                "--verify needs cargo to check Rust fixes, and `{}` could not be run; install Rust (https://rustup.rs) and put `cargo` on PATH, or run without --verify; nothing was written",
                self.cargo.display()
            );
        }
        Ok(())
    }

    /// The package of a Rust file: the nearest Cargo.toml above it that
    /// declares a `[package]`.
    pub fn unit_of(&self, path: &Path) -> Result<Unit, String> {
        for dir in path.ancestors().skip(1) {
            let manifest = dir.join("Cargo.toml");
            if !manifest.is_file() {
                continue;
            }
            let text = std::fs::read_to_string(&manifest)
                .map_err(|e| format!("cannot read {}: {e}", manifest.display()))?;
            let value: toml::Table = toml::from_str(&text)
                .map_err(|e| format!("cannot parse {}: {e}", manifest.display()))?;
            if let Some(name) = value
                .get("package")
                .and_then(|p| p.get("name"))
                .and_then(|n| n.as_str())
            {
                return Ok(Unit::Cargo {
                    manifest,
                    package: name.to_string(),
                });
            }
        }
        Err("not in a Cargo package (no Cargo.toml with a [package] above it)".into())
    }

    fn workspace_of(&self, manifest: &Path) -> Result<PathBuf> {
        if let Some(w) = self.workspaces.lock().unwrap().get(manifest) {
            return Ok(w.clone());
        }
        let out = Command::new(&self.cargo)
            .args(["locate-project", "--workspace", "--message-format", "plain"])
            .arg("--manifest-path")
            .arg(manifest)
            .output()
            .with_context(|| format!("cannot run {}", self.cargo.display()))?;
        let root = if out.status.success() {
            PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default()
        } else {
            // Not in a valid workspace: the package alone (its check will say why).
            manifest.parent().map(Path::to_path_buf).unwrap_or_default()
        };
        self.workspaces
            .lock()
            .unwrap()
            .insert(manifest.to_path_buf(), root.clone());
        Ok(root)
    }

    fn by_workspace(&self, units: &[Unit]) -> Result<BTreeMap<PathBuf, Vec<Unit>>> {
        let mut out: BTreeMap<PathBuf, Vec<Unit>> = BTreeMap::new();
        for u in units {
            if let Unit::Cargo { manifest, .. } = u {
                out.entry(self.workspace_of(manifest)?)
                    .or_default()
                    .push(u.clone());
            }
        }
        Ok(out)
    }

    pub fn baseline(&self, units: &[Unit], jobs: usize) -> Result<HashMap<Unit, Baseline>> {
        if units.is_empty() {
            return Ok(HashMap::new());
        }
        self.require()?;
        let groups: Vec<(PathBuf, Vec<Unit>)> = self.by_workspace(units)?.into_iter().collect();
        let results = bounded(
            groups,
            jobs,
            |(ws, units)| -> Result<Vec<(Unit, Baseline)>> {
                let scratch = match self.scratch(&ws) {
                    Ok(s) => s,
                    Err(e) => {
                        let why = format!("its crate could not be set up for checking: {e:#}");
                        return Ok(units
                            .into_iter()
                            .map(|u| (u, Baseline::Broken(why.clone())))
                            .collect());
                    }
                };
                let mut scratch = scratch.lock().unwrap();
                sync_edits(&mut scratch, &HashMap::new())?;
                let run = self.run_check(&scratch, &units)?;
                for u in &units {
                    if let Unit::Cargo { manifest, .. } = u {
                        let n = run.built.get(manifest).copied().unwrap_or(0);
                        scratch.artifacts.insert(manifest.clone(), n);
                    }
                }
                Ok(units
                    .into_iter()
                    .map(|u| {
                        let b = match run.outcome(&u, None) {
                            Outcome::Pass => Baseline::Builds {
                                checked: run.compiled(&u),
                            },
                            Outcome::Fail(d) => {
                                let root = match &u {
                                    Unit::Cargo { manifest, .. } => {
                                        manifest.parent().map(Path::to_path_buf)
                                    }
                                    Unit::Go { .. } => None,
                                }
                                .unwrap_or_default();
                                Baseline::Broken(format!(
                                    "its crate did not build before the fix: {}",
                                    d.first()
                                        .map(|d| d.render(&|p| {
                                            p.strip_prefix(&root).unwrap_or(p).display().to_string()
                                        }))
                                        .unwrap_or_default()
                                ))
                            }
                            Outcome::Blocked => Baseline::Broken(
                                "a crate it depends on did not build before the fix".into(),
                            ),
                        };
                        (u, b)
                    })
                    .collect())
            },
        );
        let mut out = HashMap::new();
        for r in results {
            out.extend(r?);
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
        let groups: Vec<(PathBuf, Vec<Unit>)> = self.by_workspace(units)?.into_iter().collect();
        let results = bounded(
            groups,
            jobs,
            |(ws, units)| -> Result<Vec<(Unit, Outcome)>> {
                let scratch = self.scratch(&ws)?;
                let mut scratch = scratch.lock().unwrap();
                sync_edits(&mut scratch, texts)?;
                let run = self.run_check(&scratch, &units)?;
                Ok(units
                    .into_iter()
                    .map(|u| {
                        let expected = match &u {
                            Unit::Cargo { manifest, .. } => {
                                scratch.artifacts.get(manifest).copied()
                            }
                            Unit::Go { .. } => None,
                        };
                        let o = run.outcome(&u, expected);
                        (u, o)
                    })
                    .collect())
            },
        );
        let mut out = HashMap::new();
        for r in results {
            out.extend(r?);
        }
        Ok(out)
    }

    /// The scratch copy of a workspace, mirrored from the user's tree on
    /// first use in this run.
    fn scratch(&self, ws: &Path) -> Result<std::sync::Arc<Mutex<Scratch>>> {
        if let Some(s) = self.scratches.lock().unwrap().get(ws) {
            return Ok(s.clone());
        }
        let out = Command::new(&self.cargo)
            .args(["metadata", "--format-version", "1"])
            .arg("--manifest-path")
            .arg(ws.join("Cargo.toml"))
            .output()
            .with_context(|| format!("cannot run {}", self.cargo.display()))?;
        if !out.status.success() {
            bail!(
                "cargo metadata failed: {}",
                first_error_line(&String::from_utf8_lossy(&out.stderr))
            );
        }
        let meta: Metadata =
            serde_json::from_slice(&out.stdout).context("cannot read cargo metadata")?;
        let workspace = meta.workspace_root.clone();
        // Path packages (members and path dependencies) must keep their
        // places relative to each other.
        let mut dirs: BTreeSet<PathBuf> = BTreeSet::new();
        dirs.insert(workspace.clone());
        for p in meta.packages.iter().filter(|p| p.source.is_none()) {
            if let Some(d) = p.manifest_path.parent()
                && !d.starts_with(&workspace)
            {
                dirs.insert(d.to_path_buf());
            }
        }
        let base = common_ancestor(dirs.iter());
        let libs = meta
            .packages
            .iter()
            .filter(|p| {
                p.targets.iter().any(|t| {
                    t.kind
                        .iter()
                        .any(|k| k.contains("lib") || k == "proc-macro")
                })
            })
            .map(|p| p.name.clone())
            .collect();

        let root = super::cache_dir()
            .join("verify")
            .join("cargo")
            .join(format!(
                "{:016x}",
                fnv(workspace.to_string_lossy().as_bytes())
            ));
        std::fs::create_dir_all(&root)
            .with_context(|| format!("cannot create {}", root.display()))?;
        let lock = File::create(root.join("lock"))?;
        if lock.try_lock().is_err() {
            eprintln!(
                "leakfix: waiting for another leakfix --verify of {}",
                workspace.display()
            );
            lock.lock()?;
        }
        std::fs::write(
            root.join("workspace.txt"),
            workspace.to_string_lossy().as_bytes(),
        )?;
        let src = root.join("src");
        let skip: Vec<PathBuf> = vec![meta.target_directory.clone()];
        let mut keep: HashSet<PathBuf> = HashSet::new();
        for d in &dirs {
            let rel = d.strip_prefix(&base).unwrap_or(Path::new(""));
            mirror(d, &src.join(rel), &skip, &mut keep)?;
        }
        // Cargo configuration in folders above the workspace, up to the base.
        for anc in workspace.ancestors().skip(1) {
            if !anc.starts_with(&base) {
                break;
            }
            let cfg = anc.join(".cargo");
            if cfg.is_dir() {
                let rel = anc.strip_prefix(&base).unwrap_or(Path::new(""));
                mirror(&cfg, &src.join(rel).join(".cargo"), &skip, &mut keep)?;
            }
        }
        prune(&src, &keep)?;
        let scratch = std::sync::Arc::new(Mutex::new(Scratch {
            base,
            src,
            target: root.join("target"),
            workspace,
            libs,
            edited: HashSet::new(),
            artifacts: HashMap::new(),
            _lock: lock,
        }));
        self.scratches
            .lock()
            .unwrap()
            .insert(ws.to_path_buf(), scratch.clone());
        Ok(scratch)
    }

    fn run_check(&self, scratch: &Scratch, units: &[Unit]) -> Result<CheckRun> {
        let mut cmd = Command::new(&self.cargo);
        cmd.current_dir(scratch.scratch_workspace())
            .env("CARGO_TARGET_DIR", &scratch.target)
            .args(["check", "--message-format=json", "--keep-going"]);
        let mut any_lib = false;
        for u in units {
            if let Unit::Cargo { package, .. } = u {
                cmd.args(["-p", package]);
                any_lib |= scratch.libs.contains(package);
            }
        }
        if any_lib {
            cmd.arg("--lib");
        }
        cmd.args(["--bins", "--tests", "--examples"]);
        cmd.args(&self.flags);
        let out = super::output(&mut cmd)
            .with_context(|| format!("cannot run {}", self.cargo.display()))?;
        Ok(CheckRun::parse(scratch, &out))
    }
}

/// What one `cargo check` said.
struct CheckRun {
    /// Package (manifest, user path) -> its errors.
    errors: HashMap<PathBuf, Vec<Diag>>,
    /// Artifacts produced, per package.
    built: HashMap<PathBuf, usize>,
    /// Source files compiled, per package (user paths).
    compiled: HashMap<PathBuf, HashSet<PathBuf>>,
    success: bool,
    /// The first error cargo printed outside a compiler message.
    general: Option<String>,
}

#[derive(Deserialize)]
struct CargoMessage {
    reason: String,
    manifest_path: Option<PathBuf>,
    #[serde(default)]
    filenames: Vec<PathBuf>,
    message: Option<CompilerMessage>,
    success: Option<bool>,
}

#[derive(Deserialize)]
struct CompilerMessage {
    message: String,
    level: String,
    #[serde(default)]
    spans: Vec<Span>,
}

#[derive(Deserialize)]
struct Span {
    file_name: String,
    line_start: usize,
    column_start: usize,
    is_primary: bool,
}

impl CheckRun {
    fn parse(scratch: &Scratch, out: &std::process::Output) -> CheckRun {
        let mut run = CheckRun {
            errors: HashMap::new(),
            built: HashMap::new(),
            compiled: HashMap::new(),
            success: out.status.success(),
            general: None,
        };
        let ws = scratch.scratch_workspace();
        for line in out.stdout.split(|b| *b == b'\n') {
            let Ok(m) = serde_json::from_slice::<CargoMessage>(line) else {
                continue;
            };
            let manifest = m.manifest_path.as_ref().map(|p| scratch.to_user(p));
            match m.reason.as_str() {
                "compiler-message" => {
                    let (Some(manifest), Some(msg)) = (manifest, m.message) else {
                        continue;
                    };
                    if msg.level != "error" || msg.message.starts_with("aborting due to") {
                        continue;
                    }
                    let span = msg
                        .spans
                        .iter()
                        .find(|s| s.is_primary)
                        .or(msg.spans.first());
                    let diag = Diag {
                        path: span.map(|s| {
                            let p = Path::new(&s.file_name);
                            let p = if p.is_absolute() {
                                p.to_path_buf()
                            } else {
                                ws.join(p)
                            };
                            scratch.to_user(&p)
                        }),
                        line: span.map_or(0, |s| s.line_start),
                        column: span.map_or(0, |s| s.column_start),
                        message: msg.message,
                        tool: "cargo check",
                    };
                    run.errors.entry(manifest).or_default().push(diag);
                }
                "compiler-artifact" => {
                    let Some(manifest) = manifest else { continue };
                    *run.built.entry(manifest.clone()).or_default() += 1;
                    let files = run.compiled.entry(manifest).or_default();
                    for f in &m.filenames {
                        for src in dep_info_sources(f, &ws) {
                            files.insert(scratch.to_user(&src));
                        }
                    }
                }
                "build-finished" => {
                    if let Some(s) = m.success {
                        run.success = s;
                    }
                }
                _ => {}
            }
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !run.success {
            run.general = Some(first_error_line(&stderr));
        }
        run
    }

    /// A package's result. When the build failed elsewhere, a package
    /// without errors passes only if it built everything it built before
    /// the fix (otherwise a crate it depends on stopped it: blocked).
    fn outcome(&self, unit: &Unit, expected: Option<usize>) -> Outcome {
        let Unit::Cargo { manifest, .. } = unit else {
            return Outcome::Pass;
        };
        if let Some(e) = self.errors.get(manifest) {
            return Outcome::Fail(e.clone());
        }
        if self.success {
            return Outcome::Pass;
        }
        if self.errors.is_empty() {
            // No compiler error anywhere: a build script or cargo failed.
            return Outcome::Fail(vec![Diag::general(
                "cargo check",
                self.general
                    .clone()
                    .unwrap_or_else(|| "cargo check failed".into()),
            )]);
        }
        let built = self.built.get(manifest).copied().unwrap_or(0);
        // Before the fix (no expectation yet), what built counts; its
        // targets that did not build leave their files out of `compiled`.
        if built > 0 && expected.is_none_or(|n| built >= n) {
            Outcome::Pass
        } else {
            Outcome::Blocked
        }
    }

    fn compiled(&self, unit: &Unit) -> HashSet<PathBuf> {
        match unit {
            Unit::Cargo { manifest, .. } => {
                self.compiled.get(manifest).cloned().unwrap_or_default()
            }
            Unit::Go { .. } => HashSet::new(),
        }
    }
}

/// The sources listed by the dep-info file next to an artifact
/// (`deps/libfoo-HASH.rmeta` -> `deps/foo-HASH.d`).
fn dep_info_sources(artifact: &Path, ws: &Path) -> Vec<PathBuf> {
    let Some(name) = artifact.file_stem().and_then(|s| s.to_str()) else {
        return Vec::new();
    };
    let stem = name.strip_prefix("lib").unwrap_or(name);
    let Some(dir) = artifact.parent() else {
        return Vec::new();
    };
    let mut candidates = vec![dir.join(format!("{stem}.d"))];
    if stem != name {
        candidates.push(dir.join(format!("{name}.d")));
    }
    for d in candidates {
        let Ok(text) = std::fs::read_to_string(&d) else {
            continue;
        };
        let Some(first) = text.lines().next() else {
            continue;
        };
        let Some((_, deps)) = first.split_once(": ") else {
            continue;
        };
        return split_escaped(deps)
            .into_iter()
            .filter(|p| p.ends_with(".rs"))
            .map(|p| {
                let p = PathBuf::from(p);
                if p.is_absolute() { p } else { ws.join(p) }
            })
            .map(|p| super::absolute(&p))
            .collect();
    }
    Vec::new()
}

/// Make-style dependency lists: spaces separate, `\ ` is a space.
fn split_escaped(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&' ') => {
                cur.push(' ');
                chars.next();
            }
            ' ' => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn first_error_line(stderr: &str) -> String {
    stderr
        .lines()
        .find(|l| l.trim_start().starts_with("error"))
        .or_else(|| stderr.lines().find(|l| !l.trim().is_empty()))
        .unwrap_or("")
        .trim()
        .to_string()
}

/// Puts the fixed texts into the mirror, and the original text back into
/// files an earlier check edited. Only files whose bytes change are
/// written, so cargo rebuilds exactly what differs.
fn sync_edits(scratch: &mut Scratch, texts: &HashMap<PathBuf, Vec<u8>>) -> Result<()> {
    let mine: HashMap<&PathBuf, &Vec<u8>> = texts
        .iter()
        .filter(|(p, _)| p.starts_with(&scratch.base))
        .collect();
    let restore: Vec<PathBuf> = scratch
        .edited
        .iter()
        .filter(|p| !mine.contains_key(p))
        .cloned()
        .collect();
    for p in restore {
        if let Some(dest) = scratch.to_scratch(&p) {
            match std::fs::read(&p) {
                Ok(bytes) => write_if_changed(&dest, &bytes)?,
                Err(_) => {
                    let _ = std::fs::remove_file(&dest);
                }
            }
        }
        scratch.edited.remove(&p);
    }
    for (p, bytes) in mine {
        if let Some(dest) = scratch.to_scratch(p) {
            write_if_changed(&dest, bytes)?;
            scratch.edited.insert(p.clone());
        }
    }
    Ok(())
}

fn write_if_changed(dest: &Path, bytes: &[u8]) -> Result<()> {
    if std::fs::read(dest).is_ok_and(|now| now == bytes) {
        return Ok(());
    }
    if let Some(d) = dest.parent() {
        std::fs::create_dir_all(d)?;
    }
    std::fs::write(dest, bytes).with_context(|| format!("cannot write {}", dest.display()))
}

/// Copies `from` into `to`, file by file, writing only what differs.
/// Skips `.git`, the folders in `skip` (the target directory) and any
/// folder holding a `CACHEDIR.TAG` (build output). Records what it copied.
fn mirror(from: &Path, to: &Path, skip: &[PathBuf], keep: &mut HashSet<PathBuf>) -> Result<()> {
    // The folders leading to `to` stay too.
    keep.extend(to.ancestors().map(Path::to_path_buf));
    let mut stack = vec![(from.to_path_buf(), to.to_path_buf())];
    while let Some((src, dst)) = stack.pop() {
        keep.insert(dst.clone());
        let entries = match std::fs::read_dir(&src) {
            Ok(e) => e,
            Err(e) => bail!("cannot read {}: {e}", src.display()),
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let target = dst.join(&name);
            if kind.is_dir() {
                if name == ".git"
                    || name == "node_modules"
                    || skip.contains(&path)
                    || path.join("CACHEDIR.TAG").is_file()
                {
                    continue;
                }
                stack.push((path, target));
            } else if kind.is_file() || kind.is_symlink() {
                let Ok(bytes) = std::fs::read(&path) else {
                    continue;
                };
                write_if_changed(&target, &bytes)?;
                keep.insert(target);
            }
        }
    }
    Ok(())
}

/// Removes files in the mirror that are no longer in the user's tree.
fn prune(root: &Path, keep: &HashSet<PathBuf>) -> Result<()> {
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if keep.contains(&path) {
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    stack.push(path);
                }
            } else if entry.file_type().is_ok_and(|t| t.is_dir()) {
                std::fs::remove_dir_all(&path)?;
            } else {
                std::fs::remove_file(&path)?;
            }
        }
    }
    Ok(())
}

fn common_ancestor<'a>(dirs: impl Iterator<Item = &'a PathBuf>) -> PathBuf {
    let mut base: Option<PathBuf> = None;
    for d in dirs {
        base = Some(match base {
            None => d.clone(),
            Some(b) => b
                .ancestors()
                .find(|a| d.starts_with(a))
                .map(Path::to_path_buf)
                .unwrap_or_default(),
        });
    }
    base.unwrap_or_default()
}

/// FNV-1a: a cache key that stays the same across builds of leakfix.
pub(crate) fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dep_info_lists() {
        assert_eq!(
            split_escaped("src/lib.rs src/a\\ b.rs  src/c.rs"),
            vec!["src/lib.rs", "src/a b.rs", "src/c.rs"]
        );
    }

    #[test]
    fn cargo_messages_by_package() {
        let tmp = tempfile::tempdir().unwrap();
        let scratch = Scratch {
            base: PathBuf::from("/user"),
            src: PathBuf::from("/cache/src"),
            target: PathBuf::from("/cache/target"),
            workspace: PathBuf::from("/user/ws"),
            libs: HashSet::new(),
            edited: HashSet::new(),
            artifacts: HashMap::new(),
            _lock: File::create(tmp.path().join("lock")).unwrap(),
        };
        let stdout = [
            r#"{"reason":"compiler-artifact","manifest_path":"/cache/src/ws/b/Cargo.toml","filenames":["/nowhere/libb-1.rmeta"]}"#,
            r#"{"reason":"compiler-message","manifest_path":"/cache/src/ws/a/Cargo.toml","message":{"message":"type alias takes 1 generic argument but 2 generic arguments were supplied","level":"error","spans":[{"file_name":"a/src/lib.rs","line_start":40,"column_start":21,"is_primary":true}]}}"#,
            r#"{"reason":"compiler-message","manifest_path":"/cache/src/ws/a/Cargo.toml","message":{"message":"aborting due to 1 previous error","level":"error","spans":[]}}"#,
            r#"{"reason":"compiler-message","manifest_path":"/cache/src/ws/a/Cargo.toml","message":{"message":"unused import","level":"warning","spans":[]}}"#,
            r#"{"reason":"build-finished","success":false}"#,
        ]
        .join("\n");
        let out = std::process::Output {
            status: std::process::Command::new("false").status().unwrap(),
            stdout: stdout.into_bytes(),
            stderr: b"error: could not compile `a`".to_vec(),
        };
        let run = CheckRun::parse(&scratch, &out);
        let unit = |p: &str| Unit::Cargo {
            manifest: PathBuf::from(format!("/user/ws/{p}/Cargo.toml")),
            package: p.into(),
        };
        let Outcome::Fail(d) = run.outcome(&unit("a"), Some(1)) else {
            panic!()
        };
        assert_eq!(d.len(), 1);
        assert_eq!(
            d[0].path.as_deref(),
            Some(Path::new("/user/ws/a/src/lib.rs"))
        );
        assert_eq!((d[0].line, d[0].column), (40, 21));
        assert!(matches!(run.outcome(&unit("b"), Some(1)), Outcome::Pass));
        assert!(matches!(run.outcome(&unit("b"), Some(2)), Outcome::Blocked));
        assert!(matches!(run.outcome(&unit("c"), None), Outcome::Blocked));
    }

    #[test]
    fn common_ancestors() {
        let dirs = [
            PathBuf::from("/w/a/ws"),
            PathBuf::from("/w/a/deps/x"),
            PathBuf::from("/w/a/ws/m"),
        ];
        assert_eq!(common_ancestor(dirs.iter()), PathBuf::from("/w/a"));
        let one = [PathBuf::from("/w/ws")];
        assert_eq!(common_ancestor(one.iter()), PathBuf::from("/w/ws"));
    }
}
