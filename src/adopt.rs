//! Adopting leakfix on a repository that already has findings: a baseline
//! that hides the accepted ones, new code only (`--new-from-rev`,
//! `--new-from-patch`), findings about the ignore markers themselves, and
//! one patch per owner (`report::split`).
//!
//! The options are resolved with the rest of the `Config`; the filtering is
//! an `AnalysisPass` the engine runs on every analysis, so `check`, `fix`,
//! the fix loop's re-analyses and `fix --review` all see the same findings,
//! and `fix` never touches what is hidden.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, bail};

use crate::analysis::anchor::anchors;
use crate::baseline::{self, Baseline, Key};
use crate::changed_lines::ChangedLines;
use crate::cli::Mode;
use crate::cli::{AdoptArgs, Format};
use crate::engine::{Analysis, AnalysisPass, Overlay};
use crate::finding::Finding;
use crate::lang::Language;
use crate::rules::{self, Rule};

/// The adoption options of one run, resolved and checked.
#[derive(Default)]
pub struct AdoptOptions {
    /// The baseline that hides findings, and the folder its paths are
    /// relative to. None with `--include-baselined`, or when writing one.
    pub baseline: Option<(Baseline, PathBuf)>,
    /// `check --write-baseline FILE`.
    pub write_baseline: Option<PathBuf>,
    /// Report only findings that start on these lines.
    pub new_code: Option<ChangedLines>,
    /// `check --format diff --split-by ... --output DIR`.
    pub split: Option<Split>,
    /// Config `require-reason`: an ignore must say why.
    pub require_reason: bool,
}

pub use crate::report::split::Split;

/// What leakfix.toml says about adoption.
pub struct FileOptions<'a> {
    pub baseline: Option<&'a str>,
    pub require_reason: bool,
    /// The config file's folder (what `baseline` is relative to).
    pub dir: &'a Path,
}

impl AdoptOptions {
    pub fn resolve(
        mode: Mode,
        format: Format,
        args: &AdoptArgs,
        file: &FileOptions,
        paths: &[PathBuf],
        cwd: &Path,
    ) -> Result<AdoptOptions> {
        let new_from = args.new_from_rev.is_some() || args.new_from_patch.is_some();
        if let Some(path) = &args.write_baseline {
            if mode != Mode::Check {
                bail!("--write-baseline goes with `leakfix check`");
            }
            if new_from {
                bail!(
                    "--write-baseline records every finding; leave out --new-from-rev / --new-from-patch"
                );
            }
            if args.split_by.is_some() {
                bail!("--write-baseline and --split-by do not go together");
            }
            if path.is_dir() {
                bail!("--write-baseline {}: that is a folder", path.display());
            }
        }
        let baseline = match (&args.baseline, file.baseline) {
            _ if args.write_baseline.is_some() || args.include_baselined => None,
            (Some(path), _) => Some(path.clone()),
            (None, Some(name)) => Some(file.dir.join(name)),
            (None, None) => None,
        };
        let baseline = match baseline {
            Some(path) => {
                let b = Baseline::read(&path).with_context(|| {
                    format!(
                        "create it with `leakfix check --write-baseline {}`",
                        path.display()
                    )
                })?;
                Some((b, folder_of(&path)?))
            }
            None => None,
        };
        let new_code = match (&args.new_from_rev, &args.new_from_patch) {
            (Some(rev), _) => {
                let first = paths
                    .first()
                    .map(PathBuf::as_path)
                    .unwrap_or(Path::new("."));
                Some(ChangedLines::from_rev(first, rev)?)
            }
            (None, Some(patch)) => Some(ChangedLines::from_patch(patch, cwd)?),
            (None, None) => None,
        };
        let split = match (args.split_by, &args.output) {
            (Some(by), Some(output)) => {
                if mode != Mode::Check || format != Format::Diff {
                    bail!("--split-by goes with `leakfix check --format diff`");
                }
                crate::report::split::check_options(by, output, cwd)?;
                Some(Split {
                    by,
                    output: output.clone(),
                })
            }
            (None, None) => None,
            _ => bail!("--split-by and --output go together"),
        };
        Ok(AdoptOptions {
            baseline,
            write_baseline: args.write_baseline.clone(),
            new_code,
            split,
            require_reason: file.require_reason,
        })
    }
}

/// The folder a baseline file's paths are relative to, canonical.
fn folder_of(file: &Path) -> Result<PathBuf> {
    let dir = match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::canonicalize(dir).with_context(|| format!("cannot read folder {}", dir.display()))
}

/// The pass the engine runs on every analysis.
pub struct Adoption {
    rules: Vec<&'static dyn Rule>,
    require_reason: bool,
    baseline: Option<(Baseline, PathBuf)>,
    new_code: Option<ChangedLines>,
    /// New code only, per file edited by this run's fixes: the findings
    /// hidden when the file was first analysed (its lines have moved since).
    first_seen: Mutex<BTreeMap<PathBuf, Baseline>>,
    /// Findings hidden in the first analysis, by the baseline and as old code.
    pub hidden_by_baseline: AtomicUsize,
    pub hidden_as_old: AtomicUsize,
    counted: std::sync::atomic::AtomicBool,
}

impl Adoption {
    pub fn new(rules: Vec<&'static dyn Rule>, options: &AdoptOptions) -> Adoption {
        Adoption {
            rules,
            require_reason: options.require_reason,
            baseline: options.baseline.clone(),
            new_code: options.new_code.clone(),
            first_seen: Mutex::new(BTreeMap::new()),
            hidden_by_baseline: AtomicUsize::new(0),
            hidden_as_old: AtomicUsize::new(0),
            counted: Default::default(),
        }
    }
}

impl AnalysisPass for Arc<Adoption> {
    fn run(&self, analysis: &mut Analysis, overlay: &Overlay) {
        analysis.findings.extend(rules::check_markers(
            &analysis.ignores,
            &self.rules,
            self.require_reason,
        ));
        analysis
            .findings
            .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        if self.baseline.is_none() && self.new_code.is_none() {
            return;
        }
        let root = self
            .baseline
            .as_ref()
            .map(|(_, r)| r.clone())
            .unwrap_or_default();
        let keys = keys(&analysis.findings, overlay, &root);
        let n = analysis.findings.len();
        let by_baseline = match &self.baseline {
            Some((b, _)) => b.hidden(&keys),
            None => vec![false; n],
        };
        let mut as_old = vec![false; n];
        if let Some(lines) = &self.new_code {
            let mut first_seen = self.first_seen.lock().unwrap_or_else(|e| e.into_inner());
            let mut by_file: BTreeMap<&Path, Vec<usize>> = BTreeMap::new();
            for (i, f) in analysis.findings.iter().enumerate() {
                if !by_baseline[i] {
                    by_file.entry(&f.path).or_default().push(i);
                }
            }
            for (path, idx) in by_file {
                if overlay.get(path).is_some() {
                    // Edited by this run: its lines moved. What was old when
                    // first seen stays hidden; what the edits brought is shown.
                    if let Some(seen) = first_seen.get(path) {
                        let file_keys: Vec<Key> = idx.iter().map(|&i| keys[i].clone()).collect();
                        for (&i, hide) in idx.iter().zip(seen.hidden(&file_keys)) {
                            as_old[i] = hide;
                        }
                    }
                    continue;
                }
                for &i in &idx {
                    as_old[i] = !lines.is_changed(path, analysis.findings[i].start.line);
                }
                first_seen.insert(
                    path.to_path_buf(),
                    Baseline::from_keys(idx.iter().filter(|&&i| as_old[i]).map(|&i| &keys[i])),
                );
            }
        }
        if !self.counted.swap(true, Ordering::Relaxed) {
            let count = |v: &[bool]| v.iter().filter(|h| **h).count();
            self.hidden_by_baseline
                .store(count(&by_baseline), Ordering::Relaxed);
            self.hidden_as_old.store(count(&as_old), Ordering::Relaxed);
        }
        let mut i = 0;
        analysis.findings.retain(|_| {
            let keep = !by_baseline[i] && !as_old[i];
            i += 1;
            keep
        });
    }
}

/// Each finding's key, with its path relative to `root`. The files are read
/// through `overlay` (the text the finding's positions refer to) and parsed
/// once each.
pub fn keys(findings: &[Finding], overlay: &Overlay, root: &Path) -> Vec<Key> {
    let mut by_file: BTreeMap<&Path, Vec<usize>> = BTreeMap::new();
    for (i, f) in findings.iter().enumerate() {
        by_file.entry(&f.path).or_default().push(i);
    }
    let mut keys: Vec<Option<Key>> = vec![None; findings.len()];
    for (path, idx) in by_file {
        let shown = relative(root, path);
        let arc = findings[idx[0]].path.clone();
        let anchors = match (Language::from_path(path), overlay.load(&arc)) {
            (Some(lang), Ok(source)) => {
                let ranges: Vec<_> = idx.iter().map(|&i| findings[i].range.clone()).collect();
                anchors(lang, source.text(), &ranges)
            }
            _ => vec![Default::default(); idx.len()],
        };
        for (&i, a) in idx.iter().zip(anchors) {
            keys[i] = Some(Key {
                path: shown.clone(),
                function: a.function,
                rule: findings[i].rule.to_string(),
                statement: a.statement,
            });
        }
    }
    keys.into_iter().map(|k| k.unwrap_or_default()).collect()
}

/// `path` relative to `root`, `/`-separated; absolute when outside it.
fn relative(root: &Path, path: &Path) -> String {
    let abs = std::fs::canonicalize(path)
        .or_else(|_| std::path::absolute(path))
        .unwrap_or_else(|_| path.to_path_buf());
    let shown = abs.strip_prefix(root).unwrap_or(&abs);
    shown
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
        .replace("//", "/")
}

/// `check --write-baseline FILE`: every finding of the run, keyed.
pub fn write_baseline(path: &Path, findings: &[Finding]) -> Result<(usize, usize)> {
    let root = folder_of(path)?;
    let keys = keys(findings, &Overlay::default(), &root);
    let entries: Vec<(Key, String)> = keys
        .into_iter()
        .zip(findings)
        .map(|(k, f)| (k, f.message.clone()))
        .collect();
    let n = baseline::write(path, &entries)?;
    Ok((findings.len(), n))
}
