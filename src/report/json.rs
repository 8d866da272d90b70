//! `--format json`: one document. The schema is a promise (docs/json-output.md):
//! these output structs change only with the `version` number.

use std::io::Write;

use serde::Serialize;

use super::{Report, Status};
use crate::diff::unified;
use crate::source::{LineCol, SourceText};

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    tool: Tool,
    mode: &'static str,
    findings: Vec<JsonFinding<'a>>,
    changed_files: Vec<JsonChange>,
    problems: Vec<JsonProblem>,
    summary: Summary,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'static str,
    path: &'a str,
    range: JsonRange,
    message: &'a str,
    status: Status,
    fix: Option<JsonFix>,
    notes: &'a [String],
}

#[derive(Serialize)]
struct JsonRange {
    start: LineCol,
    end: LineCol,
    byte_start: usize,
    byte_end: usize,
}

#[derive(Serialize)]
struct JsonFix {
    applicability: &'static str,
    title: String,
    edits: Vec<JsonEdit>,
    /// The fix alone, as a unified diff against the file as it was read.
    diff: String,
    /// `--verify` only: what the compilers said about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    verification: Option<JsonVerification>,
}

#[derive(Serialize)]
struct JsonVerification {
    /// `verified`, `withheld`, `unverifiable`.
    status: &'static str,
    /// withheld: the first compiler error; unverifiable: why.
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

#[derive(Serialize)]
struct JsonVerifySummary {
    verified: usize,
    withheld: usize,
    unverifiable: usize,
}

#[derive(Serialize)]
struct JsonEdit {
    path: String,
    range: JsonRange,
    content: String,
}

#[derive(Serialize)]
struct JsonChange {
    path: String,
    diff: String,
}

#[derive(Serialize)]
struct JsonProblem {
    path: String,
    kind: crate::finding::ProblemKind,
    message: String,
}

#[derive(Serialize)]
struct Summary {
    findings: usize,
    fixed: usize,
    remaining: usize,
    fixable_safe: usize,
    fixable_unsafe: usize,
    without_fix: usize,
    files_changed: usize,
    problems: usize,
    /// `--verify` only: how many fixes were verified, withheld, unverifiable.
    #[serde(skip_serializing_if = "Option::is_none")]
    verification: Option<JsonVerifySummary>,
}

pub fn emit(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let findings: Vec<JsonFinding> = report
        .findings
        .iter()
        .map(|r| {
            let f = &r.finding;
            let source = report.source_of(r, &f.path);
            let fix = f.fix.as_ref().map(|fix| {
                let edits = fix
                    .edits()
                    .iter()
                    .map(|e| {
                        let src = if *e.path() == f.path {
                            source.clone()
                        } else {
                            report.source_of(r, e.path())
                        };
                        let pos = |o| {
                            src.as_ref()
                                .map(|s: &SourceText| s.line_col(o))
                                .unwrap_or(LineCol { line: 0, column: 0 })
                        };
                        let shift = bom_len(src.as_ref());
                        JsonEdit {
                            path: report.display_path(e.path()),
                            range: JsonRange {
                                start: pos(e.start()),
                                end: pos(e.end()),
                                byte_start: e.start() + shift,
                                byte_end: e.end() + shift,
                            },
                            content: e.content().to_string(),
                        }
                    })
                    .collect();
                JsonFix {
                    applicability: fix.applicability().as_str(),
                    title: fix.title().to_string(),
                    edits,
                    diff: fix_diff(report, r, fix),
                    verification: r.verdict.as_ref().map(|v| JsonVerification {
                        status: v.label(),
                        message: match v {
                            crate::verify::Verdict::Verified => None,
                            crate::verify::Verdict::Withheld(d) => {
                                Some(d.render(&|p| report.display_path(p)))
                            }
                            crate::verify::Verdict::Unverifiable(why) => Some(why.clone()),
                        },
                    }),
                }
            });
            JsonFinding {
                rule: f.rule,
                path: &r.path,
                range: JsonRange {
                    start: f.start,
                    end: f.end,
                    byte_start: f.range.start + bom_len(source.as_ref()),
                    byte_end: f.range.end + bom_len(source.as_ref()),
                },
                message: &f.message,
                status: r.status,
                fix,
                notes: &f.notes,
            }
        })
        .collect();
    let count_fix = |a| {
        report
            .findings
            .iter()
            .filter(|r| {
                r.status != Status::Fixed
                    && r.finding
                        .fix
                        .as_ref()
                        .is_some_and(|f| f.applicability() == a)
            })
            .count()
    };
    let summary = Summary {
        findings: report.findings.len(),
        fixed: report.count(Status::Fixed),
        remaining: report.count(Status::Remaining),
        fixable_safe: count_fix(crate::fix::Applicability::Safe),
        fixable_unsafe: count_fix(crate::fix::Applicability::Unsafe),
        without_fix: report
            .findings
            .iter()
            .filter(|r| r.status != Status::Fixed && r.finding.fix.is_none())
            .count(),
        files_changed: report.changes.len(),
        problems: report.problems.len(),
        verification: report.verification.as_ref().map(|v| JsonVerifySummary {
            verified: v.verified,
            withheld: v.withheld,
            unverifiable: v.unverifiable,
        }),
    };
    let doc = Document {
        version: SCHEMA_VERSION,
        tool: Tool {
            name: "leakfix",
            version: env!("CARGO_PKG_VERSION"),
        },
        mode: match report.mode {
            crate::cli::Mode::Check => "check",
            _ => "fix",
        },
        findings,
        changed_files: report
            .changes
            .iter()
            .map(|c| JsonChange {
                path: c.display.clone(),
                diff: unified(&c.display, &c.old_text(), &c.new_text(), 3),
            })
            .collect(),
        problems: report
            .problems
            .iter()
            .map(|p| JsonProblem {
                path: report.display_path(&p.path),
                kind: p.kind,
                message: p.message.clone(),
            })
            .collect(),
        summary,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

/// Byte offsets in the output count from the start of the file as stored,
/// so a UTF-8 BOM (kept out of `SourceText`) counts for its 3 bytes.
fn bom_len(source: Option<&SourceText>) -> usize {
    if source.is_some_and(SourceText::has_bom) {
        '\u{feff}'.len_utf8()
    } else {
        0
    }
}

/// The diff of one fix applied alone to the files it touches.
fn fix_diff(report: &Report, r: &super::Reported, fix: &crate::fix::Fix) -> String {
    let mut out = String::new();
    for path in fix.paths() {
        let Some(src) = report.source_of(r, path) else {
            continue;
        };
        let edits: Vec<_> = fix.edits().iter().filter(|e| e.path() == path).collect();
        let new = src.with_text(crate::apply::splice(src.text(), edits));
        let old = String::from_utf8(src.to_bytes()).unwrap_or_default();
        let new = String::from_utf8(new.to_bytes()).unwrap_or_default();
        out.push_str(&unified(&report.display_path(path), &old, &new, 3));
    }
    out
}
