//! The review session: the fixes in review order, the files' current texts,
//! and what became of each fix.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{self, Write};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use console::{Key, style};

use crate::apply::apply;
use crate::finding::{Finding, Problem, ProblemKind};
use crate::fix::{Applicability, Fix, shift_range};
use crate::report::display_path;
use crate::source::SourceText;
use crate::verify::Verdict;

use super::render::{one_line, plural, render_diff, unknown_key};
use super::{HELP, Keys, PROMPT, Recompute, VerdictOf};

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
