//! `fix --review`: the interactive loop, as one more output sink (the shape
//! of ast-grep's interactive printer and fastmod's `ask_about_patch`).
//!
//! Every fix a run offers, safe and unsafe, comes in path order, then by
//! position; at one position an unsafe fix comes before a safe one (as in
//! `fix --unsafe`, where the bigger rewrite wins), so answering `n` to a
//! hoist still leaves the plain `defer x.Close()` to be asked about.
//!
//! The invariants:
//! - All fixes are in the coordinates of the *current* text of their files
//!   (as read, plus the fixes accepted so far). Accepting a fix moves every
//!   pending fix past its edits (`Fix::rebase`); a pending fix that overlaps
//!   it (`Fix::conflicts_with`, claims included) is never shifted blindly: it
//!   is re-computed by re-analysing its unit over the current text, and
//!   offered again only if its finding is still there with a fix.
//! - Files are written when the review leaves them (like `git add -p`):
//!   atomically (`write::write_atomic`), and only if the file on disk is
//!   still what leakfix read (fastmod re-reads; people edit during long
//!   reviews). A file that changed is left alone, and its fixes skipped.
//! - `q` writes what was accepted, nothing more. Ctrl-C stops at once: the
//!   fixes accepted in the file under review are *not* written (files
//!   already finished keep theirs). No file is ever half-written.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{self, Write};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use console::{Key, style};

use crate::apply::apply;
use crate::diff::{NumberedLine, numbered};
use crate::engine::{Analysis, Engine, Overlay, UnitSpec};
use crate::finding::{Finding, Problem, ProblemKind};
use crate::fix::{Applicability, Fix, shift_range};
use crate::report::display_path;
use crate::source::SourceText;
use crate::verify::Verdict;

/// Lines of context around each change in the diffs shown.
const CONTEXT: usize = 3;
/// At most this much context, to show the reported line above a change.
const MAX_CONTEXT: usize = 8;

const PROMPT: &str = "Apply this fix [y,n,a,d,q,?]? ";

const HELP: &str = "\
y - apply this fix
n - skip this fix
a - apply this fix and all the remaining ones
d - skip the remaining fixes in this file
q - quit: write the fixes accepted so far, nothing else
? - print this help
Ctrl-C stops at once: the fixes accepted in the current file are not written
(files already finished keep theirs).";

/// Where answers come from: the terminal, or a script in tests.
pub trait Keys {
    fn read_key(&mut self) -> io::Result<Key>;
}

impl Keys for console::Term {
    /// Raw mode: a single key, no Enter; Ctrl-C arrives as `Key::CtrlC`
    /// instead of a signal, so the review can stop cleanly.
    fn read_key(&mut self) -> io::Result<Key> {
        self.read_key_raw()
    }
}

/// Re-analyses the unit of a finding over the given texts and returns the
/// finding at `range` (same rule and file), if it is still reported.
pub type Recompute<'a> =
    dyn Fn(&HashMap<Arc<Path>, SourceText>, &Finding, Range<usize>) -> Option<Finding> + 'a;

/// What became of a fix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Not asked about yet.
    Pending,
    /// Overlaps the fix of this item, accepted since: re-compute before asking.
    Stale {
        by: usize,
    },
    /// Accepted, to be written when the review leaves the file.
    Accepted,
    Written,
    /// Answered `n` or `d`, or dropped with a message.
    Skipped,
    /// Not reached: `q` or Ctrl-C came first.
    NotReviewed,
    /// Accepted but not written: Ctrl-C, or the file changed on disk.
    NotWritten,
}

struct Item {
    /// As first reported: rule, message and notes.
    finding: Finding,
    /// The reported code in the current text; `None` once a fix rewrote it.
    range: Option<Range<usize>>,
    /// In the coordinates of the current text.
    fix: Fix,
    state: State,
    /// The fix was re-computed over fixes accepted before it.
    recomputed: bool,
    /// `--verify`: what the compilers said about this fix (None: not checked).
    verdict: Option<Verdict>,
}

struct FileState {
    /// What leakfix expects on disk: as read, or as it last wrote it.
    on_disk: Vec<u8>,
    /// The current text: as read plus the fixes accepted so far.
    text: SourceText,
    /// Changed on disk by someone else: nothing more is written to it.
    changed: bool,
}

/// How the loop ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// Every fix was answered.
    Finished,
    /// `q`.
    Quit,
    /// Ctrl-C (or the terminal went away).
    Interrupted,
}

pub struct Session<'a> {
    cwd: &'a Path,
    items: Vec<Item>,
    files: HashMap<Arc<Path>, FileState>,
    /// Items accepted since the last write.
    batch: Vec<usize>,
    recompute: &'a Recompute<'a>,
    /// Files leakfix wrote.
    pub written: Vec<Arc<Path>>,
    pub problems: Vec<Problem>,
    /// `--verify` ran: each fix shows its verdict.
    verifying: bool,
}

impl<'a> Session<'a> {
    /// Reads every file the fixes touch, right away: the fixes were computed
    /// from these texts, and the review may last minutes.
    pub fn new(cwd: &'a Path, findings: Vec<Finding>, recompute: &'a Recompute<'a>) -> Self {
        let mut session = Session {
            cwd,
            items: Vec::new(),
            files: HashMap::new(),
            batch: Vec::new(),
            recompute,
            written: Vec::new(),
            problems: Vec::new(),
            verifying: false,
        };
        let mut sorted: Vec<Item> = findings
            .into_iter()
            .filter_map(|finding| {
                let fix = finding.fix.clone()?;
                Some(Item {
                    range: Some(finding.range.clone()),
                    finding,
                    fix,
                    state: State::Pending,
                    recomputed: false,
                    verdict: None,
                })
            })
            .collect();
        // Path, position, then the unsafe fix before the safe one for the
        // same code, then rule.
        sorted.sort_by(|a, b| {
            let key = |i: &Item| {
                (
                    i.finding.path.clone(),
                    i.finding.range.start,
                    i.finding.range.end,
                    i.fix.applicability(),
                    i.finding.rule,
                )
            };
            key(a).cmp(&key(b))
        });
        let mut items = unsafe_first(sorted);
        for item in &mut items {
            let paths: Vec<Arc<Path>> = std::iter::once(item.finding.path.clone())
                .chain(item.fix.paths().into_iter().cloned())
                .collect();
            for p in paths {
                if !session.load(&p) {
                    item.state = State::Skipped;
                }
            }
        }
        session.items = items;
        session
    }

    /// `--verify`: each fix shows what the compilers said about it.
    pub fn with_verdicts(mut self, verdict_of: &VerdictOf) -> Self {
        self.verifying = true;
        for item in &mut self.items {
            item.verdict = verdict_of(&item.finding);
        }
        self
    }

    /// How many fixes will be asked about, and in how many files.
    pub fn counts(&self) -> (usize, usize) {
        let files: HashSet<&Arc<Path>> = self.items.iter().map(|i| &i.finding.path).collect();
        (self.items.len(), files.len())
    }

    /// Loads `path` if it is not loaded yet; false when it cannot be read.
    fn load(&mut self, path: &Arc<Path>) -> bool {
        if self.files.contains_key(path) {
            return true;
        }
        match crate::parse::read_source(path) {
            Ok(text) => {
                self.files.insert(
                    path.clone(),
                    FileState {
                        on_disk: text.to_bytes(),
                        text,
                        changed: false,
                    },
                );
                true
            }
            Err(p) => {
                self.problems.push(p);
                false
            }
        }
    }

    fn show_path(&self, path: &Path) -> String {
        display_path(self.cwd, path)
    }

    /// `file:line:col` of an item in the current text.
    fn location(&self, i: usize) -> String {
        let item = &self.items[i];
        let path = &item.finding.path;
        let at = match (&item.range, self.files.get(path)) {
            (Some(r), Some(f)) => f.text.line_col(r.start),
            _ => item.finding.start,
        };
        format!("{}:{}:{}", self.show_path(path), at.line, at.column)
    }

    /// The loop: one fix at a time, answers from `keys`, output to `out`.
    pub fn run(&mut self, keys: &mut dyn Keys, out: &mut dyn Write) -> io::Result<End> {
        let total = self.items.len();
        let mut accept_all = false;
        let mut skip_rest_of: Option<Arc<Path>> = None;
        let mut current: Option<Arc<Path>> = None;
        for i in 0..total {
            let path = self.items[i].finding.path.clone();
            if current.as_ref() != Some(&path) {
                if current.is_some() {
                    self.flush(out)?;
                }
                current = Some(path.clone());
                self.check_disk(&path, out)?;
            }
            if !matches!(self.items[i].state, State::Pending | State::Stale { .. }) {
                continue;
            }
            if skip_rest_of.as_ref() == Some(&path) {
                self.items[i].state = State::Skipped;
                continue;
            }
            if let State::Stale { by } = self.items[i].state
                && let Err(why) = self.refresh(i, by)
            {
                self.skip(i, &why, out)?;
                continue;
            }
            let new_texts = match self.preview(i) {
                Ok(t) => t,
                Err(why) => {
                    self.skip(i, &why, out)?;
                    continue;
                }
            };
            if accept_all {
                writeln!(
                    out,
                    "{} {} {}: {}",
                    style("applied").green().bold(),
                    style(self.location(i)).bold(),
                    style(self.items[i].finding.rule).yellow(),
                    self.items[i].fix.title()
                )?;
                self.accept(i, new_texts);
                continue;
            }
            self.show(i, total, &new_texts, out)?;
            let mut new_texts = Some(new_texts);
            loop {
                write!(out, "{}", style(PROMPT).blue().bold())?;
                out.flush()?;
                let key = keys.read_key();
                match key {
                    Ok(Key::Char(c)) => match c.to_ascii_lowercase() {
                        'y' => {
                            writeln!(out, "y")?;
                            self.accept(i, new_texts.take().unwrap_or_default());
                            break;
                        }
                        'n' => {
                            writeln!(out, "n")?;
                            self.items[i].state = State::Skipped;
                            break;
                        }
                        'a' => {
                            writeln!(out, "a")?;
                            self.accept(i, new_texts.take().unwrap_or_default());
                            accept_all = true;
                            break;
                        }
                        'd' => {
                            writeln!(out, "d")?;
                            self.items[i].state = State::Skipped;
                            skip_rest_of = Some(path.clone());
                            writeln!(
                                out,
                                "{}",
                                style(format!(
                                    "skipping the remaining fixes in {}",
                                    self.show_path(&path)
                                ))
                                .dim()
                            )?;
                            break;
                        }
                        'q' => {
                            writeln!(out, "q")?;
                            self.stop_from(i);
                            self.flush(out)?;
                            return Ok(End::Quit);
                        }
                        '?' => {
                            writeln!(out, "?")?;
                            writeln!(out, "{}", style(HELP).dim())?;
                        }
                        _ => unknown_key(out)?,
                    },
                    Ok(Key::CtrlC) => {
                        writeln!(out, "^C")?;
                        self.interrupt(i, out)?;
                        return Ok(End::Interrupted);
                    }
                    Ok(_) => unknown_key(out)?,
                    Err(e) => {
                        writeln!(out)?;
                        writeln!(out, "cannot read a key from the terminal: {e}")?;
                        self.interrupt(i, out)?;
                        return Ok(End::Interrupted);
                    }
                }
            }
        }
        self.flush(out)?;
        Ok(End::Finished)
    }

    /// Re-computes a fix that overlaps the fix of item `by`, accepted since.
    fn refresh(&mut self, i: usize, by: usize) -> Result<(), String> {
        let accepted = format!(
            "the {} fix you accepted for line {}",
            self.items[by].finding.rule,
            self.line_of(by)
        );
        let Some(range) = self.items[i].range.clone() else {
            return Err(format!("{accepted} rewrote the code it is about"));
        };
        let texts: HashMap<Arc<Path>, SourceText> = self
            .files
            .iter()
            .map(|(p, f)| (p.clone(), f.text.clone()))
            .collect();
        match (self.recompute)(&texts, &self.items[i].finding, range) {
            None => Err(format!("no longer reported after {accepted}")),
            Some(f) => match f.fix {
                Some(fix) if fix.applicability() >= Applicability::Unsafe => {
                    for p in fix.paths() {
                        if !self.load(p) {
                            return Err(format!("cannot read {}", self.show_path(p)));
                        }
                    }
                    let item = &mut self.items[i];
                    item.fix = fix;
                    item.range = Some(f.range);
                    item.recomputed = true;
                    item.verdict = None;
                    item.state = State::Pending;
                    Ok(())
                }
                _ => Err(format!("no automatic fix any more after {accepted}")),
            },
        }
    }

    /// Line (1-based, current text) of an item's reported code.
    fn line_of(&self, i: usize) -> usize {
        let item = &self.items[i];
        match (&item.range, self.files.get(&item.finding.path)) {
            (Some(r), Some(f)) => f.text.line_col(r.start).line,
            _ => item.finding.start.line,
        }
    }

    /// The new text of each file the fix touches, applied to the current text.
    fn preview(&self, i: usize) -> Result<BTreeMap<Arc<Path>, SourceText>, String> {
        let fix = &self.items[i].fix;
        if fix.edits().is_empty() {
            return Err("a fix you accepted already made its edits".into());
        }
        let mut sources = HashMap::new();
        for p in fix.paths() {
            let Some(f) = self.files.get(p) else {
                return Err(format!("cannot read {}", self.show_path(p)));
            };
            if f.changed {
                return Err(format!(
                    "{} changed on disk since leakfix read it",
                    self.show_path(p)
                ));
            }
            sources.insert(p.clone(), f.text.clone());
        }
        let result = apply(&[fix], &sources);
        if !result.reverted.is_empty() {
            return Err("the fixed code would not parse (please report this)".into());
        }
        if result.applied.is_empty() {
            return Err("its edits do not fit the current text (please report this)".into());
        }
        Ok(result.texts)
    }

    fn accept(&mut self, i: usize, new_texts: BTreeMap<Arc<Path>, SourceText>) {
        for (p, t) in new_texts {
            if let Some(f) = self.files.get_mut(&p) {
                f.text = t;
            }
        }
        let fix = self.items[i].fix.clone();
        self.items[i].state = State::Accepted;
        self.batch.push(i);
        for (j, item) in self.items.iter_mut().enumerate() {
            if j == i || !matches!(item.state, State::Pending | State::Stale { .. }) {
                continue;
            }
            let path = item.finding.path.clone();
            item.range = item
                .range
                .take()
                .and_then(|r| shift_range(&path, r, fix.edits()));
            if item.state != State::Pending {
                continue;
            }
            if item.fix.conflicts_with(&fix) {
                item.state = State::Stale { by: i };
            } else {
                match item.fix.rebase(fix.edits()) {
                    Some(moved) => item.fix = moved,
                    None => item.state = State::Stale { by: i },
                }
            }
        }
    }

    fn skip(&mut self, i: usize, why: &str, out: &mut dyn Write) -> io::Result<()> {
        self.items[i].state = State::Skipped;
        writeln!(
            out,
            "{} {} {}: {why}",
            style("skipped").yellow().bold(),
            style(self.location(i)).bold(),
            style(self.items[i].finding.rule).yellow(),
        )
    }

    /// On entering a file: if it changed on disk since it was read, its
    /// fixes are skipped (they were computed for the old text).
    fn check_disk(&mut self, path: &Arc<Path>, out: &mut dyn Write) -> io::Result<()> {
        let Some(f) = self.files.get_mut(path) else {
            return Ok(());
        };
        if f.changed || std::fs::read(path).is_ok_and(|now| now == f.on_disk) {
            return Ok(());
        }
        f.changed = true;
        let n = self.drop_file(path);
        writeln!(
            out,
            "{} {} changed on disk since leakfix read it: its {} left as it is (run leakfix again)",
            style("skipped").yellow().bold(),
            style(self.show_path(path)).bold(),
            plural(n, "fix is", "fixes are"),
        )
    }

    /// Skips every open item in `path` or touching it; returns how many.
    fn drop_file(&mut self, path: &Arc<Path>) -> usize {
        let mut n = 0;
        for item in &mut self.items {
            if matches!(item.state, State::Pending | State::Stale { .. })
                && (&item.finding.path == path || item.fix.paths().contains(&path))
            {
                item.state = State::Skipped;
                n += 1;
            }
        }
        n
    }

    /// Writes the files changed by the fixes accepted since the last write.
    /// Fixes that span files are written together or not at all.
    fn flush(&mut self, out: &mut dyn Write) -> io::Result<()> {
        let batch = std::mem::take(&mut self.batch);
        // Groups of files tied together by a fix spanning them.
        let mut groups: Vec<(HashSet<Arc<Path>>, Vec<usize>)> = Vec::new();
        for &i in &batch {
            let mut paths: HashSet<Arc<Path>> =
                self.items[i].fix.paths().into_iter().cloned().collect();
            let mut members = vec![i];
            groups.retain(|(g, m)| {
                if g.is_disjoint(&paths) {
                    true
                } else {
                    paths.extend(g.iter().cloned());
                    members.extend(m);
                    false
                }
            });
            groups.push((paths, members));
        }
        groups.sort_by_key(|(_, m)| m.iter().min().copied());
        for (paths, members) in groups {
            let mut paths: Vec<Arc<Path>> = paths.into_iter().collect();
            paths.sort();
            let changed: Vec<Arc<Path>> = paths
                .iter()
                .filter(|p| {
                    let f = &self.files[*p];
                    f.changed || std::fs::read(p).map_or(true, |now| now != f.on_disk)
                })
                .cloned()
                .collect();
            if !changed.is_empty() {
                for &i in &members {
                    self.items[i].state = State::NotWritten;
                }
                let shown: Vec<String> = changed.iter().map(|p| self.show_path(p)).collect();
                writeln!(
                    out,
                    "{} {} changed on disk since leakfix read it: {} not written (run leakfix again)",
                    style("not written").red().bold(),
                    shown.join(", "),
                    plural(members.len(), "accepted fix", "accepted fixes"),
                )?;
                // Nothing of the group is written: every file in it goes
                // back to its text on disk, and its open fixes (moved past
                // the lost edits) are skipped.
                for p in &paths {
                    let f = self.files.get_mut(p).expect("loaded");
                    f.changed = true;
                    if let Ok(text) = SourceText::from_bytes(f.on_disk.clone()) {
                        f.text = text;
                    }
                    self.drop_file(p);
                }
                continue;
            }
            let mut failed = false;
            for p in &paths {
                let f = &self.files[p];
                let new = f.text.to_bytes();
                if new == f.on_disk {
                    continue;
                }
                match crate::write::write_atomic(p, &f.on_disk, &new) {
                    Ok(()) => {
                        self.files.get_mut(p).expect("loaded").on_disk = new;
                        if !self.written.contains(p) {
                            self.written.push(p.clone());
                        }
                    }
                    Err(e) => {
                        failed = true;
                        writeln!(out, "{} {e:#}", style("not written").red().bold())?;
                        self.problems.push(Problem {
                            path: p.clone(),
                            kind: ProblemKind::Io,
                            message: format!("not written: {e:#}"),
                        });
                        self.files.get_mut(p).expect("loaded").changed = true;
                        self.drop_file(p);
                    }
                }
            }
            for &i in &members {
                self.items[i].state = if failed {
                    State::NotWritten
                } else {
                    State::Written
                };
            }
            if !failed {
                let shown: Vec<String> = paths.iter().map(|p| self.show_path(p)).collect();
                writeln!(
                    out,
                    "{}",
                    style(format!(
                        "wrote {} ({})",
                        shown.join(", "),
                        plural(members.len(), "fix", "fixes")
                    ))
                    .dim()
                )?;
            }
        }
        Ok(())
    }

    /// `q` at item `i`: it and everything after it are not reviewed.
    fn stop_from(&mut self, i: usize) {
        for item in &mut self.items[i..] {
            if matches!(item.state, State::Pending | State::Stale { .. }) {
                item.state = State::NotReviewed;
            }
        }
    }

    /// Ctrl-C at item `i`: nothing more is written, including the fixes
    /// accepted in the file under review.
    fn interrupt(&mut self, i: usize, out: &mut dyn Write) -> io::Result<()> {
        self.stop_from(i);
        let lost = std::mem::take(&mut self.batch);
        for &j in &lost {
            self.items[j].state = State::NotWritten;
        }
        if !lost.is_empty() {
            writeln!(
                out,
                "{} the {} accepted in {} {} not written",
                style("stopped (Ctrl-C):").red().bold(),
                plural(lost.len(), "fix", "fixes"),
                self.show_path(&self.items[i].finding.path),
                if lost.len() == 1 { "was" } else { "were" },
            )?;
        } else {
            writeln!(
                out,
                "{} nothing more is written",
                style("stopped (Ctrl-C):").red().bold()
            )?;
        }
        Ok(())
    }

    fn show(
        &self,
        i: usize,
        total: usize,
        new_texts: &BTreeMap<Arc<Path>, SourceText>,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let item = &self.items[i];
        let applicability = match item.fix.applicability() {
            Applicability::Safe => style("safe").green().bold(),
            Applicability::Unsafe => style("unsafe").magenta().bold(),
            Applicability::DisplayOnly => style("display-only").cyan().bold(),
        };
        writeln!(out)?;
        writeln!(
            out,
            "{} {} {} ({applicability})",
            style(format!("[{}/{total}]", i + 1)).dim(),
            style(self.location(i)).bold(),
            style(item.finding.rule).yellow().bold(),
        )?;
        writeln!(out, "{}", one_line(&item.finding.message))?;
        for n in &item.finding.notes {
            writeln!(out, "  {} {}", style("note:").bold(), one_line(n))?;
        }
        if item.recomputed {
            writeln!(
                out,
                "  {} re-computed over the fixes you accepted in this file",
                style("note:").bold()
            )?;
        }
        for (j, later) in self.items.iter().enumerate().skip(i + 1) {
            if later.state == State::Pending && later.fix.conflicts_with(&item.fix) {
                writeln!(
                    out,
                    "  {} the {} fix ({}) for line {} changes the same code and comes later: answer n to get it instead; after y it is re-checked",
                    style("note:").bold(),
                    later.finding.rule,
                    later.fix.applicability().as_str(),
                    self.line_of(j),
                )?;
            }
        }
        writeln!(out, "{} {}", style("fix:").bold(), item.fix.title())?;
        if self.verifying {
            let line = match &item.verdict {
                Some(Verdict::Verified) => style(
                    "verified: the packages it touches build (and vet) with it".to_string(),
                )
                .green(),
                Some(Verdict::Unverifiable(why)) => {
                    style(format!("not verified: {}", one_line(why))).yellow()
                }
                Some(Verdict::Withheld(_)) => style("withheld: it does not compile".into()).red(),
                None if item.recomputed => style(
                    "not verified: re-computed after the check (run `leakfix check --verify` afterwards)"
                        .to_string(),
                )
                .yellow(),
                None => style(
                    "not verified: another fix for the same code was checked instead".to_string(),
                )
                .yellow(),
            };
            writeln!(out, "{line}")?;
        }
        let several = new_texts.len() > 1;
        for (p, new) in new_texts {
            let old = &self.files[p].text;
            if several || *p != item.finding.path {
                writeln!(out, "{}", style(self.show_path(p)).bold().underlined())?;
            }
            let focus = (*p == item.finding.path).then(|| self.line_of(i));
            render_diff(old.text(), new.text(), focus, out)?;
        }
        Ok(())
    }

    /// Per file: fixes applied, skipped, not reviewed, not written.
    pub fn summary(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut per_file: BTreeMap<&Arc<Path>, [usize; 4]> = BTreeMap::new();
        for item in &self.items {
            let counts = per_file.entry(&item.finding.path).or_default();
            match item.state {
                State::Written => counts[0] += 1,
                State::Skipped | State::Pending | State::Stale { .. } => counts[1] += 1,
                State::NotReviewed => counts[2] += 1,
                State::Accepted | State::NotWritten => counts[3] += 1,
            }
        }
        writeln!(out)?;
        writeln!(out, "{}", style("Review summary:").bold())?;
        let width = per_file
            .keys()
            .map(|p| console::measure_text_width(&self.show_path(p)))
            .max()
            .unwrap_or(0);
        for (p, [applied, skipped, unreviewed, unwritten]) in per_file {
            let mut parts = vec![format!("{applied} applied"), format!("{skipped} skipped")];
            if unreviewed > 0 {
                parts.push(format!("{unreviewed} not reviewed"));
            }
            if unwritten > 0 {
                parts.push(format!("{unwritten} accepted but not written"));
            }
            let shown = self.show_path(p);
            let pad = " ".repeat(width - console::measure_text_width(&shown));
            writeln!(out, "  {shown}{pad}  {}", parts.join(", "))?;
        }
        Ok(())
    }

    /// Findings whose fix was written.
    pub fn fixed(&self) -> usize {
        self.items
            .iter()
            .filter(|i| i.state == State::Written)
            .count()
    }
}

/// An unsafe fix that changes the same code as an earlier safe fix in the
/// same file (a hoist and a close for one constructor call) is asked about
/// just before it, wherever its finding is reported: as in `fix --unsafe`,
/// the bigger rewrite gets the first say, and `n` still leaves the safe one.
fn unsafe_first(items: Vec<Item>) -> Vec<Item> {
    let n = items.len();
    let mut order = Vec::with_capacity(n);
    let mut taken = vec![false; n];
    for i in 0..n {
        if taken[i] {
            continue;
        }
        for j in i + 1..n {
            if !taken[j]
                && items[j].finding.path == items[i].finding.path
                && items[j].fix.applicability() < items[i].fix.applicability()
                && items[j].fix.conflicts_with(&items[i].fix)
            {
                taken[j] = true;
                order.push(j);
            }
        }
        taken[i] = true;
        order.push(i);
    }
    let mut slots: Vec<Option<Item>> = items.into_iter().map(Some).collect();
    order
        .into_iter()
        .map(|i| slots[i].take().expect("each item once"))
        .collect()
}

fn unknown_key(out: &mut dyn Write) -> io::Result<()> {
    writeln!(out)?;
    writeln!(out, "{}", style("press y, n, a, d or q (? for help)").dim())
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A unified diff with line numbers on both sides, coloured on a terminal.
/// The context grows (a little) to show the `focus` line: the reported code.
fn render_diff(old: &str, new: &str, focus: Option<usize>, out: &mut dyn Write) -> io::Result<()> {
    let mut lines = numbered(old, new, CONTEXT);
    if let (Some(focus), Some(NumberedLine::Hunk { old_start, .. })) = (focus, lines.first()) {
        let first_change = old_start + CONTEXT;
        if focus < *old_start && first_change - focus <= MAX_CONTEXT {
            lines = numbered(old, new, first_change - focus);
        }
    }
    let width = lines
        .iter()
        .map(|l| match l {
            NumberedLine::Hunk {
                old_start,
                old_len,
                new_start,
                new_len,
            } => (old_start + old_len).max(new_start + new_len),
            _ => 0,
        })
        .max()
        .unwrap_or(0)
        .to_string()
        .len();
    let bar = style("|").dim();
    for line in lines {
        match line {
            NumberedLine::Hunk {
                old_start,
                old_len,
                new_start,
                new_len,
            } => writeln!(
                out,
                "{}",
                style(format!(
                    "@@ -{old_start},{old_len} +{new_start},{new_len} @@"
                ))
                .cyan()
            )?,
            NumberedLine::Context { old, new, text } => writeln!(
                out,
                "{} {} {bar}  {text}",
                style(format!("{old:>width$}")).dim(),
                style(format!("{new:>width$}")).dim(),
            )?,
            NumberedLine::Delete { old, text } => writeln!(
                out,
                "{} {} {bar}{}",
                style(format!("{old:>width$}")).dim(),
                " ".repeat(width),
                style(format!("- {text}")).red()
            )?,
            NumberedLine::Insert { new, text } => writeln!(
                out,
                "{} {} {bar}{}",
                " ".repeat(width),
                style(format!("{new:>width$}")).dim(),
                style(format!("+ {text}")).green()
            )?,
        }
    }
    Ok(())
}

/// `--verify`: what the compilers said about a finding's fix.
pub type VerdictOf<'a> = dyn Fn(&Finding) -> Option<Verdict> + 'a;

/// What the review did, for the exit code.
pub struct ReviewOutcome {
    pub end: End,
    /// Findings left after the review (in the files as they are now).
    pub remaining: usize,
}

/// `fix --review` over an analysed run: asks on the terminal, writes, and
/// prints the summary. Problems (unreadable files...) are returned for
/// stderr.
pub fn review(
    engine: &Engine,
    initial: &Analysis,
    cwd: &Path,
    problems: &mut Vec<Problem>,
    verdict_of: Option<&VerdictOf>,
) -> io::Result<ReviewOutcome> {
    let (offered, not_offered): (Vec<Finding>, Vec<Finding>) =
        initial.findings.iter().cloned().partition(|f| {
            f.fix
                .as_ref()
                .is_some_and(|x| x.applicability() >= Applicability::Unsafe)
        });
    // --verify: a fix that does not compile is not offered; its finding is
    // listed with the compiler's error.
    let (offered, withheld): (Vec<Finding>, Vec<Finding>) = offered
        .into_iter()
        .partition(|f| !matches!(verdict_of.and_then(|v| v(f)), Some(Verdict::Withheld(_))));
    let mut withheld = withheld;
    for f in &mut withheld {
        if let Some(Some(Verdict::Withheld(d))) = verdict_of.map(|v| v(f)) {
            f.notes.push(format!(
                "the fixed code does not build: {}",
                d.render(&|p| display_path(cwd, p))
            ));
        }
    }
    let recompute = |texts: &HashMap<Arc<Path>, SourceText>,
                     finding: &Finding,
                     range: Range<usize>|
     -> Option<Finding> {
        let mut overlay = Overlay::default();
        for (p, t) in texts {
            overlay.insert(p.clone(), t.clone());
        }
        let units: Vec<UnitSpec> = engine
            .units
            .iter()
            .filter(|u| u.files().contains(&&finding.path))
            .cloned()
            .collect();
        engine
            .analyse(&units, &overlay, None)
            .findings
            .into_iter()
            .find(|f| {
                f.rule == finding.rule && f.path == finding.path && f.range.start == range.start
            })
    };
    let term = console::Term::stdout();
    let mut out = io::stdout();
    let mut session = Session::new(cwd, offered, &recompute);
    if let Some(v) = verdict_of {
        session = session.with_verdicts(v);
    }
    let (n, files) = session.counts();
    let end = if n == 0 {
        writeln!(out, "No fixes to review.")?;
        End::Finished
    } else {
        writeln!(
            out,
            "{} to review in {} (y apply, n skip, ? help).",
            plural(n, "fix", "fixes"),
            plural(files, "file", "files")
        )?;
        let mut keys = term.clone();
        let end = session.run(&mut keys, &mut out)?;
        session.summary(&mut out)?;
        end
    };
    problems.append(&mut session.problems);

    if !withheld.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "{}",
            style("Withheld by --verify (not offered: the fixed code does not build):").bold()
        )?;
        for f in &withheld {
            writeln!(
                out,
                "  {}:{}:{} {} {}",
                display_path(cwd, &f.path),
                f.start.line,
                f.start.column,
                style(f.rule).yellow(),
                one_line(&f.message)
            )?;
            if let Some(fix) = &f.fix {
                writeln!(out, "    {} {}", style("fix:").bold(), fix.title())?;
            }
            for note in &f.notes {
                writeln!(out, "    {} {}", style("note:").bold(), one_line(note))?;
            }
        }
    }

    if !not_offered.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", style("Without an automatic fix:").bold())?;
        for f in &not_offered {
            writeln!(
                out,
                "  {}:{}:{} {} {}",
                display_path(cwd, &f.path),
                f.start.line,
                f.start.column,
                style(f.rule).yellow(),
                one_line(&f.message)
            )?;
            if let Some(fix) = &f.fix {
                writeln!(out, "    {} {}", style("suggestion:").bold(), fix.title())?;
            }
            for note in &f.notes {
                writeln!(out, "    {} {}", style("note:").bold(), one_line(note))?;
            }
        }
    }

    // What remains: the units leakfix wrote, analysed again as they are now.
    let written: HashSet<&Arc<Path>> = session.written.iter().collect();
    let units: Vec<UnitSpec> = engine
        .units
        .iter()
        .filter(|u| u.files().iter().any(|f| written.contains(f)))
        .cloned()
        .collect();
    let unit_files: HashSet<&Arc<Path>> = units.iter().flat_map(|u| u.files()).collect();
    if let Some(cache) = engine.cache() {
        cache.forget_now();
    }
    let again = engine.analyse(&units, &Overlay::default(), None);
    let remaining = initial
        .findings
        .iter()
        .filter(|f| !unit_files.contains(&f.path))
        .count()
        + again.findings.len();

    let fixed = session.fixed();
    writeln!(out)?;
    let mut line = String::new();
    if fixed > 0 {
        line.push_str(&format!(
            "{} in {}. ",
            style(format!("Fixed {}", plural(fixed, "leak", "leaks")))
                .green()
                .bold(),
            plural(session.written.len(), "file", "files")
        ));
    }
    if remaining == 0 {
        line.push_str(&style("No leaks remain.").green().bold().to_string());
    } else {
        line.push_str(&format!(
            "{} remain{}.",
            style(plural(remaining, "leak", "leaks")).bold(),
            if remaining == 1 { "s" } else { "" }
        ));
    }
    writeln!(out, "{line}")?;
    out.flush()?;
    Ok(ReviewOutcome { end, remaining })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fix::Edit;
    use std::collections::VecDeque;

    struct Script(VecDeque<Key>);

    impl Keys for Script {
        fn read_key(&mut self) -> io::Result<Key> {
            self.0
                .pop_front()
                .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "script ran out"))
        }
    }

    fn keys(s: &str) -> Script {
        Script(s.chars().map(Key::Char).collect())
    }

    struct Files {
        dir: tempfile::TempDir,
    }

    impl Files {
        fn new(files: &[(&str, &str)]) -> Self {
            let dir = tempfile::tempdir().unwrap();
            for (name, text) in files {
                std::fs::write(dir.path().join(name), text).unwrap();
            }
            Files { dir }
        }

        fn path(&self, name: &str) -> Arc<Path> {
            Arc::from(self.dir.path().join(name))
        }

        fn read(&self, name: &str) -> String {
            std::fs::read_to_string(self.dir.path().join(name)).unwrap()
        }

        /// A finding at `at` (the first occurrence of that text) with a fix.
        fn finding(&self, name: &str, rule: &'static str, at: &str, fix: Fix) -> Finding {
            let path = self.path(name);
            let text = SourceText::new(self.read(name));
            let start = text.text().find(at).unwrap();
            Finding::new(
                rule,
                path,
                &text,
                start..start + at.len(),
                format!("{at} leaks"),
            )
            .with_fix(fix)
        }

        /// A safe fix inserting `line` after the line containing `after`.
        fn insert_after(&self, name: &str, after: &str, line: &str) -> Fix {
            let text = self.read(name);
            let at = text.find(after).unwrap();
            let at = at + text[at..].find('\n').unwrap() + 1;
            Fix::safe(
                format!("insert `{}`", line.trim()),
                vec![Edit::insertion(self.path(name), at, line)],
            )
        }
    }

    const A: &str = "package a\n\nfunc f() {\n\tx := open()\n\ty := open()\n\tuse(x, y)\n}\n";

    fn no_recompute()
    -> impl Fn(&HashMap<Arc<Path>, SourceText>, &Finding, Range<usize>) -> Option<Finding> {
        |_: &HashMap<Arc<Path>, SourceText>, _: &Finding, _: Range<usize>| None
    }

    fn run(files: &Files, findings: Vec<Finding>, script: &str) -> (End, String) {
        let recompute = no_recompute();
        let cwd = files.dir.path().to_path_buf();
        let mut session = Session::new(&cwd, findings, &recompute);
        let mut out = Vec::new();
        let end = session.run(&mut keys(script), &mut out).unwrap();
        session.summary(&mut out).unwrap();
        (end, String::from_utf8(out).unwrap())
    }

    fn two_fixes(files: &Files) -> Vec<Finding> {
        let fx = files.insert_after("a.go", "x := open()", "\tdefer x.Close()\n");
        let fy = files.insert_after("a.go", "y := open()", "\tdefer y.Close()\n");
        vec![
            files.finding("a.go", "r", "y := open()", fy),
            files.finding("a.go", "r", "x := open()", fx),
        ]
    }

    #[test]
    fn y_then_n_writes_only_the_first_in_position_order() {
        let files = Files::new(&[("a.go", A)]);
        let (end, out) = run(&files, two_fixes(&files), "yn");
        assert_eq!(end, End::Finished);
        assert_eq!(
            files.read("a.go"),
            "package a\n\nfunc f() {\n\tx := open()\n\tdefer x.Close()\n\ty := open()\n\tuse(x, y)\n}\n"
        );
        assert!(out.contains("[1/2] a.go:4:2 r (safe)"), "{out}");
        assert!(out.contains("+ \tdefer x.Close()"), "{out}");
        // The second fix is shown on the text with the first applied.
        assert!(out.contains("[2/2] a.go:6:2 r (safe)"), "{out}");
        assert!(out.contains("a.go  1 applied, 1 skipped"), "{out}");
    }

    #[test]
    fn the_second_fix_moves_past_the_first() {
        let files = Files::new(&[("a.go", A)]);
        run(&files, two_fixes(&files), "yy");
        assert_eq!(
            files.read("a.go"),
            "package a\n\nfunc f() {\n\tx := open()\n\tdefer x.Close()\n\ty := open()\n\tdefer y.Close()\n\tuse(x, y)\n}\n"
        );
    }

    #[test]
    fn help_and_unknown_keys_ask_again() {
        let files = Files::new(&[("a.go", A)]);
        let (_, out) = run(&files, two_fixes(&files), "?zn\u{1b}y");
        assert_eq!(out.matches(PROMPT).count(), 5, "{out}");
        assert!(out.contains("d - skip the remaining fixes in this file"));
        assert!(out.contains("press y, n, a, d or q"));
        assert_eq!(
            files.read("a.go"),
            "package a\n\nfunc f() {\n\tx := open()\n\ty := open()\n\tdefer y.Close()\n\tuse(x, y)\n}\n"
        );
    }

    #[test]
    fn q_writes_what_was_accepted_and_ctrl_c_does_not() {
        let files = Files::new(&[("a.go", A)]);
        let (end, out) = run(&files, two_fixes(&files), "yq");
        assert_eq!(end, End::Quit);
        assert!(files.read("a.go").contains("defer x.Close()"));
        assert!(!files.read("a.go").contains("defer y.Close()"));
        assert!(
            out.contains("1 applied, 0 skipped, 1 not reviewed"),
            "{out}"
        );

        let files = Files::new(&[("a.go", A)]);
        let recompute = no_recompute();
        let cwd = files.dir.path().to_path_buf();
        let mut session = Session::new(&cwd, two_fixes(&files), &recompute);
        let mut out = Vec::new();
        let mut script = Script(VecDeque::from([Key::Char('y'), Key::CtrlC]));
        assert_eq!(
            session.run(&mut script, &mut out).unwrap(),
            End::Interrupted
        );
        assert_eq!(
            files.read("a.go"),
            A,
            "Ctrl-C writes nothing of the current file"
        );
        let out = String::from_utf8(out).unwrap();
        assert!(
            out.contains("the 1 fix accepted in a.go was not written"),
            "{out}"
        );
    }

    #[test]
    fn a_and_d() {
        let files = Files::new(&[("a.go", A), ("b.go", A)]);
        let mut findings = two_fixes(&files);
        let fb = files.insert_after("b.go", "x := open()", "\tdefer x.Close()\n");
        findings.push(files.finding("b.go", "r", "x := open()", fb));
        let (_, out) = run(&files, findings.clone(), "a");
        assert!(files.read("a.go").contains("defer y.Close()"));
        assert!(files.read("b.go").contains("defer x.Close()"));
        assert!(out.contains("applied a.go:6:2 r"), "{out}");

        let files2 = Files::new(&[("a.go", A), ("b.go", A)]);
        let mut findings = two_fixes(&files2);
        let fb = files2.insert_after("b.go", "x := open()", "\tdefer x.Close()\n");
        findings.push(files2.finding("b.go", "r", "x := open()", fb));
        let (_, out) = run(&files2, findings, "dy");
        assert_eq!(files2.read("a.go"), A);
        assert!(files2.read("b.go").contains("defer x.Close()"));
        assert!(out.contains("a.go  0 applied, 2 skipped"), "{out}");
        assert!(out.contains("b.go  1 applied, 0 skipped"), "{out}");
    }

    #[test]
    fn a_file_changed_on_disk_is_not_written() {
        let files = Files::new(&[("a.go", A), ("b.go", A)]);
        let mut findings = two_fixes(&files);
        let fb = files.insert_after("b.go", "x := open()", "\tdefer x.Close()\n");
        findings.push(files.finding("b.go", "r", "x := open()", fb));
        let recompute = no_recompute();
        let cwd = files.dir.path().to_path_buf();
        let mut session = Session::new(&cwd, findings, &recompute);
        // Someone edits both files after leakfix read them.
        std::fs::write(files.path("a.go"), format!("{A}// edited\n")).unwrap();
        std::fs::write(files.path("b.go"), format!("{A}// edited\n")).unwrap();
        let mut out = Vec::new();
        session.run(&mut keys("yy"), &mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert_eq!(files.read("a.go"), format!("{A}// edited\n"));
        assert_eq!(files.read("b.go"), format!("{A}// edited\n"));
        assert!(
            out.contains("a.go changed on disk since leakfix read it"),
            "{out}"
        );
        assert!(
            out.contains("b.go changed on disk since leakfix read it"),
            "{out}"
        );
        assert_eq!(out.matches(PROMPT).count(), 0, "{out}");
    }

    #[test]
    fn a_file_changed_during_its_review_is_not_written() {
        let files = Files::new(&[("a.go", A)]);
        let recompute = no_recompute();
        let cwd = files.dir.path().to_path_buf();
        let mut session = Session::new(&cwd, two_fixes(&files), &recompute);
        struct EditThenYes<'f>(&'f Files, usize);
        impl Keys for EditThenYes<'_> {
            fn read_key(&mut self) -> io::Result<Key> {
                self.1 += 1;
                if self.1 == 2 {
                    std::fs::write(self.0.path("a.go"), "package a\n").unwrap();
                }
                Ok(Key::Char('y'))
            }
        }
        let mut out = Vec::new();
        session.run(&mut EditThenYes(&files, 0), &mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert_eq!(files.read("a.go"), "package a\n");
        assert!(out.contains("2 accepted fixes not written"), "{out}");
    }

    /// Two fixes for the same call: the unsafe rewrite comes first; after
    /// it is accepted the safe close is skipped with the reason.
    #[test]
    fn unsafe_rewrite_first_then_the_close_for_the_same_call_is_skipped() {
        let make = |files: &Files| {
            let text = files.read("a.go");
            let call = text.find("open()").unwrap();
            let call = call..call + "open()".len();
            let close = files
                .insert_after("a.go", "x := open()", "\tdefer x.Close()\n")
                .with_claim(files.path("a.go"), call.clone());
            let hoist = Fix::unsafe_(
                "use the shared client",
                vec![Edit::replacement(files.path("a.go"), call, "shared")],
            );
            vec![
                files.finding("a.go", "go-missing-release", "open()", close),
                files.finding("a.go", "go-hoist", "open()", hoist),
            ]
        };
        let files = Files::new(&[("a.go", A)]);
        let (_, out) = run(&files, make(&files), "y");
        assert!(out.contains("[1/2] a.go:4:7 go-hoist (unsafe)"), "{out}");
        assert!(
            out.contains("the go-missing-release fix (safe) for line 4 changes the same code"),
            "{out}"
        );
        assert!(
            out.contains("skipped a.go:4:7 go-missing-release: the go-hoist fix you accepted for line 4 rewrote the code it is about"),
            "{out}"
        );
        assert_eq!(files.read("a.go"), A.replacen("open()", "shared", 1));

        // Answering n to the rewrite gets the close.
        let files = Files::new(&[("a.go", A)]);
        let (_, out) = run(&files, make(&files), "ny");
        assert!(
            out.contains("[2/2] a.go:4:7 go-missing-release (safe)"),
            "{out}"
        );
        assert_eq!(
            files.read("a.go"),
            A.replace("x := open()\n", "x := open()\n\tdefer x.Close()\n")
        );
    }

    /// The rewrite reported further down (say, at the handler) still comes
    /// before the close for the same call.
    #[test]
    fn an_unsafe_fix_for_the_same_code_is_pulled_before_the_safe_one() {
        let files = Files::new(&[("a.go", A)]);
        let text = files.read("a.go");
        let call = text.find("open()").unwrap();
        let call = call..call + "open()".len();
        let close = files
            .insert_after("a.go", "x := open()", "\tdefer x.Close()\n")
            .with_claim(files.path("a.go"), call.clone());
        let hoist = Fix::unsafe_(
            "use the shared client",
            vec![Edit::replacement(files.path("a.go"), call, "shared")],
        );
        let other = files.insert_after("a.go", "y := open()", "\tdefer y.Close()\n");
        let findings = vec![
            files.finding("a.go", "go-missing-release", "x := open()", close),
            files.finding("a.go", "go-missing-release", "y := open()", other),
            files.finding("a.go", "go-hoist", "use(x, y)", hoist),
        ];
        let (_, out) = run(&files, findings, "nnn");
        let at = |s: &str| out.find(s).unwrap_or_else(|| panic!("{s:?} not in {out}"));
        assert!(at("[1/3] a.go:6:2 go-hoist (unsafe)") < at("[2/3] a.go:4:2 go-missing-release"));
        assert!(at("[2/3] a.go:4:2 go-missing-release") < at("[3/3] a.go:5:2 go-missing-release"));
    }

    /// Two insertions at one point: the second is re-computed on the text
    /// with the first, never spliced blindly.
    #[test]
    fn overlapping_fixes_are_recomputed() {
        let files = Files::new(&[("a.go", A)]);
        let f1 = files.insert_after("a.go", "use(x, y)", "\tx.Close()\n");
        let f2 = files.insert_after("a.go", "use(x, y)", "\ty.Close()\n");
        let findings = vec![
            files.finding("a.go", "r", "x := open()", f1),
            files.finding("a.go", "r", "y := open()", f2),
        ];
        let path = files.path("a.go");
        let recompute = move |texts: &HashMap<Arc<Path>, SourceText>,
                              f: &Finding,
                              range: Range<usize>|
              -> Option<Finding> {
            let text = texts[&path].text();
            assert_eq!(&text[range.clone()], "y := open()");
            let at = text.find("\tx.Close()\n").unwrap() + "\tx.Close()\n".len();
            let mut again = f.clone();
            again.range = range;
            again.fix = Some(Fix::safe(
                "insert `y.Close()`",
                vec![Edit::insertion(path.clone(), at, "\ty.Close()\n")],
            ));
            Some(again)
        };
        let cwd = files.dir.path().to_path_buf();
        let mut session = Session::new(&cwd, findings, &recompute);
        let mut out = Vec::new();
        session.run(&mut keys("yy"), &mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(
            out.contains("re-computed over the fixes you accepted"),
            "{out}"
        );
        assert_eq!(
            files.read("a.go"),
            "package a\n\nfunc f() {\n\tx := open()\n\ty := open()\n\tuse(x, y)\n\tx.Close()\n\ty.Close()\n}\n"
        );
    }

    #[test]
    fn a_fix_that_no_longer_applies_is_skipped_with_the_reason() {
        let files = Files::new(&[("a.go", A)]);
        let f1 = files.insert_after("a.go", "use(x, y)", "\tx.Close()\n");
        let f2 = files.insert_after("a.go", "use(x, y)", "\ty.Close()\n");
        let findings = vec![
            files.finding("a.go", "r", "x := open()", f1),
            files.finding("a.go", "r", "y := open()", f2),
        ];
        let (_, out) = run(&files, findings, "y");
        assert!(
            out.contains(
                "skipped a.go:5:2 r: no longer reported after the r fix you accepted for line 4"
            ),
            "{out}"
        );
        assert!(!files.read("a.go").contains("y.Close()"));
    }

    #[test]
    fn a_fix_that_breaks_the_parse_is_never_offered() {
        let files = Files::new(&[("a.go", A)]);
        let bad = Fix::safe(
            "break it",
            vec![Edit::insertion(files.path("a.go"), 0, "}}}")],
        );
        let (_, out) = run(
            &files,
            vec![files.finding("a.go", "r", "x := open()", bad)],
            "",
        );
        assert!(out.contains("would not parse"), "{out}");
        assert_eq!(files.read("a.go"), A);
    }

    #[test]
    fn crlf_and_bom_survive() {
        let crlf = format!("\u{feff}{}", A.replace('\n', "\r\n"));
        let files = Files::new(&[("a.go", &crlf)]);
        let text = SourceText::new(crlf.clone());
        let at = text.text().find("\tuse").unwrap();
        let fix = Fix::safe(
            "close",
            vec![Edit::insertion(
                files.path("a.go"),
                at,
                "\tdefer x.Close()\r\n",
            )],
        );
        let start = text.text().find("x := open()").unwrap();
        let f =
            Finding::new("r", files.path("a.go"), &text, start..start + 11, "leaks").with_fix(fix);
        run(&files, vec![f], "y");
        let bytes = std::fs::read(files.path("a.go")).unwrap();
        assert!(bytes.starts_with("\u{feff}".as_bytes()));
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            crlf.replace("\tuse", "\tdefer x.Close()\r\n\tuse")
        );
    }
}
