//! Reading and parsing one file: the `ParsedFile` every analysis starts from.
//! A file that is unreadable, not UTF-8 or does not parse becomes a
//! `Problem`: reported, never analysed, never written.

use std::path::Path;
use std::sync::Arc;

use tree_sitter::Tree;

use crate::finding::{Problem, ProblemKind};
use crate::lang::Language;
use crate::source::SourceText;
use crate::suppress::{IgnoreFile, Marker, Suppressions};

pub struct ParsedFile {
    pub path: Arc<Path>,
    pub language: Language,
    pub source: SourceText,
    pub tree: Tree,
    pub suppressions: Suppressions,
}

impl ParsedFile {
    pub fn text(&self) -> &str {
        self.source.text()
    }

    /// Parses `source`; a syntax error becomes a Problem.
    pub fn parse(
        path: Arc<Path>,
        language: Language,
        source: SourceText,
    ) -> Result<ParsedFile, Problem> {
        if std::env::var_os("LEAKFIX_TRACE_PARSE").is_some() {
            eprintln!("parse: {} {}", source.text().len(), path.display());
        }
        let (tree, error) = language.parse(source.text());
        if let Some(at) = error {
            let lc = source.line_col(at);
            return Err(Problem {
                path,
                kind: ProblemKind::Syntax,
                message: format!(
                    "syntax error at {}:{}; file skipped and left unchanged",
                    lc.line, lc.column
                ),
            });
        }
        let suppressions = Suppressions::scan(&source);
        Ok(ParsedFile {
            path,
            language,
            source,
            tree,
            suppressions,
        })
    }
}

/// Reads a file into a `SourceText`.
pub fn read_source(path: &Arc<Path>) -> Result<SourceText, Problem> {
    let bytes = std::fs::read(path).map_err(|e| Problem {
        path: path.clone(),
        kind: ProblemKind::Io,
        message: format!("cannot read: {e}"),
    })?;
    SourceText::from_bytes(bytes).map_err(|e| Problem {
        path: path.clone(),
        kind: ProblemKind::Encoding,
        message: format!("skipped: {e}"),
    })
}

impl ParsedFile {
    /// After the rules ran over the file: its `leakfix:ignore` markers, if it
    /// has any.
    pub fn ignore_file(&self) -> Option<IgnoreFile> {
        let file = self;
        let root = file.tree.root_node();
        let markers: Vec<Marker> = file
            .suppressions
            .markers()
            .iter()
            .filter(|m| {
                // The smallest node there may be the comment's `//` token.
                std::iter::successors(
                    root.descendant_for_byte_range(m.comment.start, m.comment.start + 2),
                    |n| n.parent(),
                )
                .take(3)
                .any(|n| n.kind().contains("comment"))
            })
            .cloned()
            .collect();
        (!markers.is_empty()).then(|| IgnoreFile {
            path: file.path.clone(),
            language: file.language,
            source: file.source.clone(),
            markers,
        })
    }
}
