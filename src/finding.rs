//! What a rule reports: where, what, and the fix it offers (if any).

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use crate::fix::Fix;
use crate::source::{LineCol, SourceText};

#[derive(Clone, Debug)]
pub struct Finding {
    pub rule: &'static str,
    /// The file as it is read and written.
    pub path: Arc<Path>,
    /// Byte range of the reported code (usually the constructor call).
    pub range: Range<usize>,
    pub start: LineCol,
    pub end: LineCol,
    /// One sentence saying what leaks and why.
    pub message: String,
    pub fix: Option<Fix>,
    /// Extra lines for people: why there is no fix, API changes a fix makes,
    /// call sites that need a look.
    pub notes: Vec<String>,
    /// The part of the fix still to be found at the callers of a function
    /// (a signature change). The engine completes it before the finding is
    /// reported or applied, and then clears it (`crate::engine::callers` knows what
    /// is inside).
    pub callers: Option<Deferred>,
}

/// Work a later stage completes before a finding is reported or applied,
/// opaque to everything else: findings are plain data that every stage
/// reads, so they cannot name the types of the stages above them.
#[derive(Clone)]
pub struct Deferred(Arc<dyn std::any::Any + Send + Sync>);

impl Deferred {
    pub fn new<T: std::any::Any + Send + Sync>(work: T) -> Self {
        Deferred(Arc::new(work))
    }

    /// The work, if it is a `T`.
    pub fn get<T: std::any::Any>(&self) -> Option<&T> {
        self.0.downcast_ref()
    }
}

impl std::fmt::Debug for Deferred {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Deferred(..)")
    }
}

impl Finding {
    pub fn new(
        rule: &'static str,
        path: Arc<Path>,
        source: &SourceText,
        range: Range<usize>,
        message: impl Into<String>,
    ) -> Self {
        Finding {
            rule,
            path,
            start: source.line_col(range.start),
            end: source.line_col(range.end),
            range,
            message: message.into(),
            fix: None,
            notes: Vec::new(),
            callers: None,
        }
    }

    pub fn with_fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }

    /// Appends to the message (before any notes are shown).
    pub fn with_message_suffix(mut self, suffix: &str) -> Self {
        self.message.push_str(suffix);
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// Order of presentation: path, then position, then rule.
    pub fn sort_key(&self) -> (&Path, usize, usize, &'static str) {
        (&self.path, self.range.start, self.range.end, self.rule)
    }
}

/// A file that could not be analysed. Reported, never fatal to the run.
#[derive(Clone, Debug)]
pub struct Problem {
    pub path: Arc<Path>,
    pub kind: ProblemKind,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    /// The file could not be read.
    Io,
    /// The file is not UTF-8.
    Encoding,
    /// The file does not parse; it is never written.
    Syntax,
    /// A fix produced code that does not parse; it was dropped.
    FixReverted,
    /// A bug in leakfix while analysing this file.
    Internal,
}
