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

use std::collections::{HashMap, HashSet};
use std::io::{self, Write};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use console::{Key, style};

use crate::engine::{Analysis, Engine, Overlay, UnitSpec};
use crate::finding::{Finding, Problem};
use crate::fix::Applicability;
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
mod render;
mod session;
#[cfg(test)]
mod tests;

use render::{one_line, plural};
pub use session::{End, Session};

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
