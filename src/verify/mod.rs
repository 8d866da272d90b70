//! `--verify`: prove that fixes compile before anything is written.
//!
//! This module knows nothing of rules. Its input is what the fix loop
//! produces for a set of fixes left out (`Attempt`: the new text of every
//! changed file, and which fixes made it); its output says, for each fix,
//! whether it was verified, withheld (with the compiler's first error) or
//! could not be verified (and why).
//!
//! The flow:
//! 1. Each changed file belongs to a *unit*: a Go package (its folder in a
//!    Go module) or a Cargo package. A file in no unit (no go.mod or
//!    Cargo.toml above it, or a language without a compiler check) leaves
//!    its fixes unverifiable.
//! 2. Every unit is checked as it is on disk first (the *baseline*): a unit
//!    that does not build before the fix cannot tell a good fix from a bad
//!    one, so its fixes are unverifiable, never blamed.
//! 3. All units are checked with every fix applied (Go: `-overlay`; Cargo: a
//!    scratch copy). Units that fail are grouped with the units their fixes
//!    also touch (a fix that rewrites callers across packages is verified as
//!    one), and within each group the fixes responsible are found by
//!    bisecting (`Search`): the smallest prefix of the group's fixes that
//!    fails ends with a culprit; it is withheld, and the search goes on with
//!    the rest until the group builds. Groups are searched side by side, one
//!    build per step for all of them.
//! 4. The fix loop runs again without the withheld fixes (a fix left out
//!    for a conflict may now apply), and everything is checked again, until
//!    a run checks clean. The last attempt is what gets written.

pub mod go;
pub mod rust;
mod search;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Debug;
use std::hash::Hash;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;

use search::Search;

/// Rounds of "fix, check, withhold" before giving up on a unit (its fixes
/// are then all withheld).
const MAX_ROUNDS: usize = 6;

/// What the fix loop made of a set of fixes.
#[derive(Clone, Debug)]
pub struct Attempt<K> {
    /// The new bytes of every changed file (paths as walked).
    pub texts: Vec<(Arc<Path>, Vec<u8>)>,
    /// The fixes applied, each with the files it edits.
    pub fixes: Vec<(K, Vec<Arc<Path>>)>,
}

/// A Go package or a Cargo package: what one compiler check covers.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Unit {
    /// A Go package: its folder, in the module rooted at `module`.
    Go { module: PathBuf, dir: PathBuf },
    /// A Cargo package: its manifest and name.
    Cargo { manifest: PathBuf, package: String },
}

impl Unit {
    pub fn describe(&self) -> String {
        match self {
            Unit::Go { dir, .. } => format!("Go package {}", dir.display()),
            Unit::Cargo { package, .. } => format!("crate {package}"),
        }
    }
}

/// One compiler message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diag {
    /// The file (absolute, as the user knows it), when the message has one.
    pub path: Option<PathBuf>,
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// `go build`, `go vet`, `cargo check`.
    pub tool: &'static str,
}

impl Diag {
    pub fn general(tool: &'static str, message: impl Into<String>) -> Diag {
        Diag {
            path: None,
            line: 0,
            column: 0,
            message: message.into(),
            tool,
        }
    }

    /// `path:line:col: message (tool)`, paths shown by `show`.
    pub fn render(&self, show: &dyn Fn(&Path) -> String) -> String {
        match &self.path {
            Some(p) if self.line > 0 => format!(
                "{}:{}:{}: {} ({})",
                show(p),
                self.line,
                self.column,
                self.message,
                self.tool
            ),
            Some(p) => format!("{}: {} ({})", show(p), self.message, self.tool),
            None => format!("{} ({})", self.message, self.tool),
        }
    }
}

/// What became of one fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every unit it touches builds (and vets) with it.
    Verified,
    /// It broke the build: left out, with the first error it caused (in
    /// the code as the fixes would have left it).
    Withheld(Diag),
    /// Applied, but nothing could check it.
    Unverifiable(String),
}

impl Verdict {
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Verified => "verified",
            Verdict::Withheld(_) => "withheld",
            Verdict::Unverifiable(_) => "unverifiable",
        }
    }
}

/// The result of a verification.
#[derive(Debug)]
pub struct Verification<K> {
    /// Every fix of the last attempt, and every fix withheld.
    pub verdicts: BTreeMap<K, Verdict>,
    /// The units checked (built before the fix and checked with it).
    pub units_checked: usize,
    /// The tools that ran (`go build`, `go vet`, `cargo check`).
    pub tools: BTreeSet<&'static str>,
    pub elapsed: Duration,
}

impl<K: Ord> Verification<K> {
    pub fn count(&self, label: &str) -> usize {
        self.verdicts
            .values()
            .filter(|v| v.label() == label)
            .count()
    }
}

/// A unit as it is on disk.
#[derive(Clone, Debug)]
pub enum Baseline {
    /// It builds; these files (absolute) are compiled by the check, so a fix
    /// in them is verified by it.
    Builds { checked: HashSet<PathBuf> },
    /// It does not build (or cannot be checked): why.
    Broken(String),
}

/// A unit with the fixes applied.
#[derive(Clone, Debug)]
pub enum Outcome {
    Pass,
    Fail(Vec<Diag>),
    /// Not checked: a package it depends on failed.
    Blocked,
}

/// The compilers: one check of many units at once.
pub trait Checker: Sync {
    /// Which unit a file belongs to, or why it has none.
    fn unit_of(&self, path: &Path) -> Result<Unit, String>;
    /// The units as they are on disk.
    fn baseline(&self, units: &[Unit]) -> Result<HashMap<Unit, Baseline>>;
    /// The units with `texts` (absolute path -> bytes) in place of the files on disk.
    fn check(
        &self,
        units: &[Unit],
        texts: &HashMap<PathBuf, Vec<u8>>,
    ) -> Result<HashMap<Unit, Outcome>>;
    /// The tools a check of these units runs.
    fn tools(&self, units: &[Unit]) -> Vec<&'static str>;
}

/// Progress messages for people (a spinner on a terminal).
pub type Progress<'a> = &'a (dyn Fn(&str) + Sync);

/// Verifies the fixes `fixer` applies: see the module documentation.
/// `fixer` gets the fixes to leave out and returns what the fix loop makes
/// of the others; its last call is with the final set, whose attempt is
/// the one to write.
pub fn verify<K>(
    fixer: &mut dyn FnMut(&BTreeSet<K>) -> Attempt<K>,
    checker: &dyn Checker,
    progress: Progress,
) -> Result<Verification<K>>
where
    K: Clone + Ord + Hash + Debug,
{
    let started = Instant::now();
    let mut withheld: BTreeMap<K, Diag> = BTreeMap::new();
    let mut baseline: HashMap<Unit, Baseline> = HashMap::new();
    let mut unit_of: HashMap<PathBuf, Result<Unit, String>> = HashMap::new();
    let mut tools: BTreeSet<&'static str> = BTreeSet::new();
    let mut checked: HashSet<Unit> = HashSet::new();
    // Units whose failure no fix of their own explains: searched over all fixes.
    let mut escalated: HashSet<Unit> = HashSet::new();

    // What each set of withheld fixes made of the units checked with it:
    // the check that ends a search is often the next round's check.
    let mut seen: HashMap<BTreeSet<K>, HashMap<Unit, Outcome>> = HashMap::new();
    let mut check = |config: &BTreeSet<K>,
                     units: &[Unit],
                     texts: &HashMap<PathBuf, Vec<u8>>|
     -> Result<HashMap<Unit, Outcome>> {
        if let Some(known) = seen.get(config)
            && units.iter().all(|u| known.contains_key(u))
        {
            return Ok(known.clone());
        }
        let results = checker.check(units, texts)?;
        seen.entry(config.clone())
            .or_default()
            .extend(results.iter().map(|(u, o)| (u.clone(), o.clone())));
        Ok(results)
    };

    let mut round = 0;
    let attempt = loop {
        round += 1;
        let keys: BTreeSet<K> = withheld.keys().cloned().collect();
        let attempt = fixer(&keys);
        let plan = Plan::new(&attempt, checker, &mut unit_of);
        let new: Vec<Unit> = plan
            .units()
            .into_iter()
            .filter(|u| !baseline.contains_key(u))
            .collect();
        if !new.is_empty() {
            progress(&format!(
                "verify: building {} as they are",
                plural(new.len(), "unit", "units")
            ));
            baseline.extend(checker.baseline(&new)?);
        }
        let units: Vec<Unit> = plan
            .units()
            .into_iter()
            .filter(|u| matches!(baseline.get(u), Some(Baseline::Builds { .. })))
            .collect();
        if units.is_empty() {
            break attempt;
        }
        tools.extend(checker.tools(&units));
        checked.extend(units.iter().cloned());
        progress(&format!(
            "verify: checking {} with {}",
            plural(units.len(), "unit", "units"),
            plural(attempt.fixes.len(), "fix", "fixes")
        ));
        let results = check(&keys, &units, &plan.texts())?;
        let mut failing: BTreeMap<Unit, Vec<Diag>> = BTreeMap::new();
        let mut blocked = Vec::new();
        for u in &units {
            match results.get(u) {
                Some(Outcome::Fail(d)) => {
                    failing.insert(u.clone(), d.clone());
                }
                Some(Outcome::Blocked) => blocked.push(u.clone()),
                _ => {}
            }
        }
        if failing.is_empty() && blocked.is_empty() {
            break attempt;
        }
        if failing.is_empty() {
            // Blocked by a dependency that is not itself failing: a unit
            // that built before depends on something a fix changed.
            for u in blocked {
                failing.insert(
                    u.clone(),
                    vec![Diag::general(
                        "build",
                        "a package it depends on no longer builds with the fixes",
                    )],
                );
            }
        }

        if round > MAX_ROUNDS + 3 {
            // Every fix was left out and the units still fail: a bug.
            anyhow::bail!(
                "--verify could not settle which fixes break the build of {}; nothing was written (please report this)",
                failing
                    .keys()
                    .map(Unit::describe)
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        if round > MAX_ROUNDS {
            // Give up on the failing units: withhold every fix touching them.
            for (unit, diags) in &failing {
                for (k, _) in plan.fixes_touching(unit) {
                    withheld
                        .entry(k.clone())
                        .or_insert_with(|| first_error(diags, &[]));
                }
            }
            if round > MAX_ROUNDS + 1 {
                // Still failing with all of them left out: leave out everything.
                let diag = failing
                    .values()
                    .next()
                    .map(|d| first_error(d, &[]))
                    .unwrap_or_else(|| Diag::general("build", "the fixes do not build"));
                for (k, _) in &attempt.fixes {
                    withheld.entry(k.clone()).or_insert_with(|| diag.clone());
                }
            }
            continue;
        }

        let mut searches = plan.groups(&failing, &escalated);
        progress(&format!(
            "verify: {} failed; finding the fixes responsible",
            plural(failing.len(), "unit", "units")
        ));
        let mut step = 0;
        while searches.iter().any(|s| !s.done()) {
            step += 1;
            let mut config: BTreeSet<K> = withheld.keys().cloned().collect();
            let mut probe_units: BTreeSet<Unit> = BTreeSet::new();
            for s in &searches {
                config.extend(s.left_out());
                if !s.done() {
                    probe_units.extend(s.units.iter().cloned());
                }
            }
            progress(&format!(
                "verify: bisecting {} (step {step})",
                plural(
                    searches.iter().filter(|s| !s.done()).count(),
                    "failing group",
                    "failing groups"
                )
            ));
            let probe = fixer(&config);
            let probe_plan = Plan::new(&probe, checker, &mut unit_of);
            let probe_units: Vec<Unit> = probe_units.into_iter().collect();
            let results = check(&config, &probe_units, &probe_plan.texts())?;
            for s in searches.iter_mut().filter(|s| !s.done()) {
                s.record(&results);
            }
        }
        for s in searches {
            let paths = plan.paths_of();
            for (k, diags) in &s.culprits {
                let touched = paths.get(k).cloned().unwrap_or_default();
                withheld.insert(k.clone(), first_error(diags, &touched));
            }
            if s.no_culprit {
                if s.escalated {
                    // Not even all fixes together explain it: withhold every
                    // fix touching the units (checked again next round).
                    for unit in &s.units {
                        for (k, _) in plan.fixes_touching(unit) {
                            withheld
                                .entry(k.clone())
                                .or_insert_with(|| first_error(&s.first_diags, &[]));
                        }
                    }
                } else {
                    escalated.extend(s.units.iter().cloned());
                }
            }
        }
    };

    // Verdicts for the fixes of the attempt that will be written.
    let plan = Plan::new(&attempt, checker, &mut unit_of);
    let mut verdicts: BTreeMap<K, Verdict> = BTreeMap::new();
    for (k, paths) in &attempt.fixes {
        verdicts.insert(k.clone(), plan.verdict(paths, &baseline, &unit_of));
    }
    for (k, d) in withheld {
        verdicts.insert(k, Verdict::Withheld(d));
    }
    Ok(Verification {
        verdicts,
        units_checked: checked.len(),
        tools,
        elapsed: started.elapsed(),
    })
}

/// The error to show for a culprit: the first one in a file it edits, or
/// else the first one.
fn first_error(diags: &[Diag], touched: &[PathBuf]) -> Diag {
    diags
        .iter()
        .find(|d| d.path.as_ref().is_some_and(|p| touched.contains(p)))
        .or_else(|| diags.first())
        .cloned()
        .unwrap_or_else(|| Diag::general("build", "the check failed without a message"))
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// An attempt's fixes mapped onto units.
struct Plan<'a, K> {
    attempt: &'a Attempt<K>,
    /// Absolute path of each changed or edited file -> its unit.
    units: HashMap<PathBuf, Result<Unit, String>>,
}

impl<'a, K: Clone + Ord + Hash + Debug> Plan<'a, K> {
    fn new(
        attempt: &'a Attempt<K>,
        checker: &dyn Checker,
        cache: &mut HashMap<PathBuf, Result<Unit, String>>,
    ) -> Plan<'a, K> {
        let mut units = HashMap::new();
        let paths = attempt
            .fixes
            .iter()
            .flat_map(|(_, ps)| ps.iter())
            .chain(attempt.texts.iter().map(|(p, _)| p));
        for p in paths {
            let abs = absolute(p);
            let unit = cache
                .entry(abs.clone())
                .or_insert_with(|| checker.unit_of(&abs))
                .clone();
            units.insert(abs, unit);
        }
        Plan { attempt, units }
    }

    /// Every unit a fix touches, sorted.
    fn units(&self) -> Vec<Unit> {
        let set: BTreeSet<Unit> = self
            .attempt
            .fixes
            .iter()
            .flat_map(|(_, ps)| ps.iter())
            .filter_map(|p| self.units.get(&absolute(p)).and_then(|u| u.clone().ok()))
            .collect();
        set.into_iter().collect()
    }

    fn units_of(&self, paths: &[Arc<Path>]) -> BTreeSet<Unit> {
        paths
            .iter()
            .filter_map(|p| self.units.get(&absolute(p)).and_then(|u| u.clone().ok()))
            .collect()
    }

    fn texts(&self) -> HashMap<PathBuf, Vec<u8>> {
        self.attempt
            .texts
            .iter()
            .map(|(p, t)| (absolute(p), t.clone()))
            .collect()
    }

    fn paths_of(&self) -> HashMap<K, Vec<PathBuf>> {
        self.attempt
            .fixes
            .iter()
            .map(|(k, ps)| (k.clone(), ps.iter().map(|p| absolute(p)).collect()))
            .collect()
    }

    fn fixes_touching<'s>(
        &'s self,
        unit: &'s Unit,
    ) -> impl Iterator<Item = &'s (K, Vec<Arc<Path>>)> {
        self.attempt
            .fixes
            .iter()
            .filter(move |(_, ps)| self.units_of(ps).contains(unit))
    }

    /// Failing units grouped with the units their fixes also touch, each
    /// group with its suspects (the fixes touching it, or every fix when a
    /// unit's failure was not explained by its own fixes before).
    fn groups(
        &self,
        failing: &BTreeMap<Unit, Vec<Diag>>,
        escalated: &HashSet<Unit>,
    ) -> Vec<Search<K>> {
        if failing.keys().any(|u| escalated.contains(u)) {
            let mut suspects: Vec<K> = self.attempt.fixes.iter().map(|(k, _)| k.clone()).collect();
            suspects.sort();
            let diags = failing.values().flatten().cloned().collect();
            let mut s = Search::new(failing.keys().cloned().collect(), suspects, diags);
            s.escalated = true;
            return vec![s];
        }
        // Union-find over the failing units.
        let units: Vec<&Unit> = failing.keys().collect();
        let index: HashMap<&Unit, usize> = units.iter().enumerate().map(|(i, u)| (*u, i)).collect();
        let mut parent: Vec<usize> = (0..units.len()).collect();
        fn find(parent: &mut [usize], i: usize) -> usize {
            let mut r = i;
            while parent[r] != r {
                r = parent[r];
            }
            parent[i] = r;
            r
        }
        for (_, paths) in &self.attempt.fixes {
            let ids: Vec<usize> = self
                .units_of(paths)
                .iter()
                .filter_map(|u| index.get(u).copied())
                .collect();
            for w in ids.windows(2) {
                let (a, b) = (find(&mut parent, w[0]), find(&mut parent, w[1]));
                parent[a] = b;
            }
        }
        let mut groups: BTreeMap<usize, Vec<Unit>> = BTreeMap::new();
        for (i, u) in units.iter().enumerate() {
            let r = find(&mut parent, i);
            groups.entry(r).or_default().push((*u).clone());
        }
        groups
            .into_values()
            .map(|group| {
                let mut suspects: Vec<K> = self
                    .attempt
                    .fixes
                    .iter()
                    .filter(|(_, ps)| {
                        let touched = self.units_of(ps);
                        group.iter().any(|u| touched.contains(u))
                    })
                    .map(|(k, _)| k.clone())
                    .collect();
                suspects.sort();
                let diags = group.iter().flat_map(|u| failing[u].clone()).collect();
                Search::new(group, suspects, diags)
            })
            .collect()
    }

    fn verdict(
        &self,
        paths: &[Arc<Path>],
        baseline: &HashMap<Unit, Baseline>,
        cache: &HashMap<PathBuf, Result<Unit, String>>,
    ) -> Verdict {
        for p in paths {
            let abs = absolute(p);
            let unit = match cache.get(&abs) {
                Some(Ok(u)) => u,
                Some(Err(why)) => return Verdict::Unverifiable(why.clone()),
                None => return Verdict::Unverifiable("not checked".into()),
            };
            match baseline.get(unit) {
                Some(Baseline::Builds { checked }) => {
                    if !checked.contains(&abs) {
                        return Verdict::Unverifiable(format!(
                            "{} is not compiled by the check of its {} (build constraints, features or targets leave it out)",
                            abs.file_name().unwrap_or_default().to_string_lossy(),
                            match unit {
                                Unit::Go { .. } => "package",
                                Unit::Cargo { .. } => "crate",
                            }
                        ));
                    }
                }
                Some(Baseline::Broken(why)) => return Verdict::Unverifiable(why.clone()),
                None => return Verdict::Unverifiable("not checked".into()),
            }
        }
        Verdict::Verified
    }
}

pub(crate) fn absolute(p: &Path) -> PathBuf {
    let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    // `a/./b` and `a/../b` as the compilers print them.
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Runs a compiler command; with `LEAKFIX_TIMINGS` set, says how long it took.
pub(crate) fn output(cmd: &mut Command) -> std::io::Result<std::process::Output> {
    let start = Instant::now();
    let out = cmd.output();
    if std::env::var_os("LEAKFIX_TIMINGS").is_some_and(|v| !v.is_empty()) {
        let args: Vec<String> = cmd
            .get_args()
            .filter(|a| !a.to_string_lossy().starts_with("-json="))
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        eprintln!(
            "leakfix: timing: verify: {} {} in {}: {:.3}s",
            cmd.get_program().to_string_lossy(),
            args.join(" "),
            cmd.get_current_dir()
                .map(|d| d.display().to_string())
                .unwrap_or_default(),
            start.elapsed().as_secs_f64()
        );
    }
    out
}

/// Is `program` runnable? (`go version`, `cargo --version`.)
pub(crate) fn runnable(program: &Path, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs `jobs` closures on at most `limit` threads at once; results in order.
pub(crate) fn bounded<T: Send, R: Send>(
    items: Vec<T>,
    limit: usize,
    f: impl Fn(T) -> R + Sync,
) -> Vec<R> {
    use std::sync::Mutex;
    let n = items.len();
    let queue: Mutex<Vec<(usize, T)>> = Mutex::new(items.into_iter().enumerate().rev().collect());
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..n).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..limit.max(1).min(n.max(1)) {
            scope.spawn(|| {
                loop {
                    let next = queue.lock().unwrap().pop();
                    let Some((i, item)) = next else { break };
                    let r = f(item);
                    results.lock().unwrap()[i] = Some(r);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap()
        .into_iter()
        .map(|r| r.expect("every job ran"))
        .collect()
}

/// Where leakfix keeps what makes a second verification fast (scratch
/// copies of Cargo workspaces and their build output):
/// `LEAKFIX_CACHE_DIR`, else `$XDG_CACHE_HOME/leakfix`, else
/// `~/.cache/leakfix`, else the temporary folder.
pub fn cache_dir() -> PathBuf {
    crate::engine::cache::root_dir()
}

/// How to run the checks (from the configuration).
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Extra flags for `go list` and `go vet` (`-tags=integration`).
    pub go_flags: Vec<String>,
    /// Extra arguments for `cargo check` (`--all-features`).
    pub cargo_flags: Vec<String>,
    /// Checks run at once (modules and workspaces side by side).
    pub jobs: usize,
}

/// The real compilers: Go and Cargo, found on PATH.
pub struct Toolchains {
    go: go::GoChecker,
    cargo: rust::CargoChecker,
    jobs: usize,
}

impl Toolchains {
    pub fn new(options: &Options) -> Result<Toolchains> {
        Ok(Toolchains {
            go: go::GoChecker::new(options)?,
            cargo: rust::CargoChecker::new(options)?,
            jobs: options.jobs.max(1),
        })
    }

    fn split(units: &[Unit]) -> (Vec<Unit>, Vec<Unit>) {
        units
            .iter()
            .cloned()
            .partition(|u| matches!(u, Unit::Go { .. }))
    }
}

impl Checker for Toolchains {
    fn unit_of(&self, path: &Path) -> Result<Unit, String> {
        match path.extension().and_then(|e| e.to_str()) {
            Some("go") => self.go.unit_of(path),
            Some("rs") => self.cargo.unit_of(path),
            Some("js" | "mjs" | "cjs" | "jsx" | "ts" | "mts" | "cts" | "tsx") => Err(
                "leakfix type-checks Go and Rust fixes only; JavaScript and TypeScript fixes are checked by re-parsing".into(),
            ),
            Some(ext) => Err(format!("no compiler check for .{ext} files")),
            None => Err("no compiler check for this file".into()),
        }
    }

    fn baseline(&self, units: &[Unit]) -> Result<HashMap<Unit, Baseline>> {
        let (go, cargo) = Self::split(units);
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(|| self.go.baseline(&go, self.jobs));
            let b = self.cargo.baseline(&cargo, self.jobs);
            (a.join().expect("go checks do not panic"), b)
        });
        let mut out = a?;
        out.extend(b?);
        Ok(out)
    }

    fn check(
        &self,
        units: &[Unit],
        texts: &HashMap<PathBuf, Vec<u8>>,
    ) -> Result<HashMap<Unit, Outcome>> {
        let (go, cargo) = Self::split(units);
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(|| self.go.check(&go, texts, self.jobs));
            let b = self.cargo.check(&cargo, texts, self.jobs);
            (a.join().expect("go checks do not panic"), b)
        });
        let mut out = a?;
        out.extend(b?);
        Ok(out)
    }

    fn tools(&self, units: &[Unit]) -> Vec<&'static str> {
        let mut out = Vec::new();
        if units.iter().any(|u| matches!(u, Unit::Go { .. })) {
            out.extend(["go build", "go vet"]);
        }
        if units.iter().any(|u| matches!(u, Unit::Cargo { .. })) {
            out.push("cargo check");
        }
        out
    }
}

#[cfg(test)]
mod tests;
