//! Fix until stable: apply every fix that qualifies, re-analyse the edited
//! units, and repeat while new fixes appear (a fix left out for a conflict
//! gets its turn on the edited text). Nothing is written here: the result is
//! the new text of each file, which `check` diffs and `fix` writes.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use crate::apply::apply;
use crate::engine::{Analysis, Engine, Overlay, UnitSpec};
use crate::finding::{Finding, Problem, ProblemKind};
use crate::fix::{Applicability, Fix};
use crate::source::SourceText;

/// Rounds before the loop is declared a bug.
const MAX_ROUNDS: usize = 8;

pub struct FixRun {
    /// Original and new text of every changed file.
    pub changes: Vec<(Arc<Path>, SourceText, SourceText)>,
    /// Findings whose fix was applied (as first reported).
    pub fixed: Vec<Finding>,
    /// Findings left after the last round (positions in the new text).
    pub remaining: Vec<Finding>,
    pub problems: Vec<Problem>,
    pub overlay: Overlay,
}

/// Applies fixes of at least `min` applicability, round by round (the
/// review keeps its own loop; this is for `fix` and `check --format diff`).
pub fn fix_until_stable(engine: &Engine, initial: &Analysis, min: Applicability) -> FixRun {
    fix_until_stable_without(engine, initial, min, &BTreeSet::new())
}

/// `fix_until_stable`, leaving out the fixes of the findings in `withheld`
/// (by `finding_key`, so a fix re-computed over other fixes stays out too):
/// their findings remain.
pub fn fix_until_stable_without(
    engine: &Engine,
    initial: &Analysis,
    min: Applicability,
    withheld: &BTreeSet<FindingKey>,
) -> FixRun {
    let mut overlay = Overlay::default();
    let mut originals: HashMap<Arc<Path>, SourceText> = HashMap::new();
    let mut current: Vec<Finding> = initial.findings.clone();
    let mut fixed = Vec::new();
    let mut problems = Vec::new();
    let mut given_up: HashSet<FixKey> = HashSet::new();

    for round in 0.. {
        let mut candidates: Vec<usize> = current
            .iter()
            .enumerate()
            .filter(|(_, f)| f.fix.as_ref().is_some_and(|x| x.applicability() >= min))
            .filter(|(_, f)| !given_up.contains(&fix_key(f)))
            .filter(|(_, f)| withheld.is_empty() || !withheld.contains(&finding_key(f)))
            .map(|(i, _)| i)
            .collect();
        // Conflicts go to the earlier fix. When the run allows unsafe fixes,
        // they come first: they rewrite more (hoisting a client instead of
        // closing it per request) and supersede the safe fix for the same code.
        candidates.sort_by_key(|&i| current[i].fix.as_ref().map(|f| f.applicability()));
        if candidates.is_empty() {
            break;
        }
        if round >= MAX_ROUNDS {
            problems.push(Problem {
                path: current[candidates[0]].path.clone(),
                kind: ProblemKind::Internal,
                message: format!(
                    "fixes did not settle after {MAX_ROUNDS} rounds; please report this"
                ),
            });
            break;
        }
        let fixes: Vec<&Fix> = candidates
            .iter()
            .map(|&i| current[i].fix.as_ref().unwrap())
            .collect();
        let mut sources: HashMap<Arc<Path>, SourceText> = HashMap::new();
        for fix in &fixes {
            for path in fix.paths() {
                if !sources.contains_key(path) {
                    match overlay.load(path) {
                        Ok(s) => {
                            originals.entry(path.clone()).or_insert_with(|| s.clone());
                            sources.insert(path.clone(), s);
                        }
                        Err(p) => problems.push(p),
                    }
                }
            }
        }
        let result = apply(&fixes, &sources);
        for &i in &result.reverted {
            let f = &current[candidates[i]];
            given_up.insert(fix_key(f));
            problems.push(Problem {
                path: f.path.clone(),
                kind: ProblemKind::FixReverted,
                message: format!(
                    "{}:{}: the {} fix would not parse and was dropped; please report this",
                    f.start.line, f.start.column, f.rule
                ),
            });
        }
        if result.applied.is_empty() {
            // Only conflicts and reverts left: nothing will change any more.
            break;
        }
        let applied: HashSet<usize> = result.applied.iter().map(|&i| candidates[i]).collect();
        fixed.extend(applied.iter().map(|&i| current[i].clone()));
        let changed: HashSet<Arc<Path>> = result.texts.keys().cloned().collect();
        for (path, text) in result.texts {
            overlay.insert(path, text);
        }
        // Re-analyse the units that contain an edited file.
        let units: Vec<UnitSpec> = engine
            .units
            .iter()
            .filter(|u| u.files().iter().any(|f| changed.contains(*f)))
            .cloned()
            .collect();
        let again = engine.analyse(&units, &overlay, None);
        problems.extend(
            again
                .problems
                .into_iter()
                .filter(|p| p.kind != ProblemKind::Syntax),
        );
        let unit_files: HashSet<&Arc<Path>> = units.iter().flat_map(|u| u.files()).collect();
        current.retain(|f| !unit_files.contains(&f.path));
        current.extend(again.findings);
        current.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    }

    fixed.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let mut changes: Vec<(Arc<Path>, SourceText, SourceText)> = overlay
        .paths()
        .map(|p| {
            (
                p.clone(),
                originals[p].clone(),
                overlay.get(p).unwrap().clone(),
            )
        })
        .filter(|(_, old, new)| old.text() != new.text())
        .collect();
    changes.sort_by(|a, b| a.0.cmp(&b.0));
    FixRun {
        changes,
        fixed,
        remaining: current,
        problems,
        overlay,
    }
}

/// Identifies a finding across rounds and runs (its fix may be re-computed
/// over other fixes; lines move): file, rule, message and column. Findings
/// that share all four (the same leak twice in a file) share a key.
pub type FindingKey = (String, &'static str, String, usize);

pub fn finding_key(f: &Finding) -> FindingKey {
    (
        f.path.display().to_string(),
        f.rule,
        f.message.clone(),
        f.start.column,
    )
}

/// Identifies a fix across rounds (positions move; rule, file and edit text do not).
type FixKey = (String, &'static str, String);

fn fix_key(f: &Finding) -> FixKey {
    let edits = f
        .fix
        .as_ref()
        .map(|x| {
            x.edits()
                .iter()
                .map(|e| e.content().to_string())
                .collect::<Vec<_>>()
                .join("\u{0}")
        })
        .unwrap_or_default();
    (f.path.display().to_string(), f.rule, edits)
}

/// `fix_until_stable` with `--verify`: the fixes are checked with the
/// compilers (`crate::verify`) and those that break a build are left out.
/// Returns the run to write (without the withheld fixes) and what became
/// of each fix.
pub fn fix_verified(
    engine: &Engine,
    initial: &Analysis,
    min: Applicability,
    checker: &dyn crate::verify::Checker,
    progress: crate::verify::Progress,
) -> anyhow::Result<(FixRun, crate::verify::Verification<FindingKey>)> {
    let mut last: Option<(BTreeSet<FindingKey>, FixRun)> = None;
    let mut fixer = |withheld: &BTreeSet<FindingKey>| {
        let run = fix_until_stable_without(engine, initial, min, withheld);
        let mut fixes: Vec<(FindingKey, Vec<Arc<Path>>)> = Vec::new();
        for f in &run.fixed {
            let key = finding_key(f);
            let paths = f
                .fix
                .as_ref()
                .map(|x| x.paths().into_iter().cloned().collect::<Vec<_>>())
                .unwrap_or_default();
            match fixes.iter_mut().find(|(k, _)| *k == key) {
                Some((_, ps)) => {
                    for p in paths {
                        if !ps.contains(&p) {
                            ps.push(p);
                        }
                    }
                }
                None => fixes.push((key, paths)),
            }
        }
        let attempt = crate::verify::Attempt {
            texts: run
                .changes
                .iter()
                .map(|(p, _, new)| (p.clone(), new.to_bytes()))
                .collect(),
            fixes,
        };
        last = Some((withheld.clone(), run));
        attempt
    };
    let verification = crate::verify::verify(&mut fixer, checker, progress)?;
    let withheld: BTreeSet<FindingKey> = verification
        .verdicts
        .iter()
        .filter(|(_, v)| matches!(v, crate::verify::Verdict::Withheld(_)))
        .map(|(k, _)| k.clone())
        .collect();
    let run = match last {
        Some((w, run)) if w == withheld => run,
        _ => fix_until_stable_without(engine, initial, min, &withheld),
    };
    Ok((run, verification))
}
