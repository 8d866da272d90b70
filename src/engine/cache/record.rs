//! What a cache entry keeps of a unit's analysis, in types of its own (the
//! analysis types stay free to change; a change here goes with a new build
//! id anyway). Decoding is strict: anything it does not recognise (a rule id
//! this build does not have, an unknown kind) makes the entry a miss.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::engine::Analysis;
use crate::finding::{Finding, Problem, ProblemKind};
use crate::fix::{Applicability, Edit, Fix};
use crate::lang::Language;
use crate::source::{LineCol, SourceText};
use crate::suppress::{IgnoreFile, Marker};

#[derive(Serialize, Deserialize)]
pub struct UnitRecord {
    findings: Vec<FindingRecord>,
    problems: Vec<ProblemRecord>,
    ignores: Vec<IgnoreRecord>,
}

#[derive(Serialize, Deserialize)]
struct FindingRecord {
    rule: String,
    path: PathBuf,
    range: Range<usize>,
    start: (usize, usize),
    end: (usize, usize),
    message: String,
    fix: Option<FixRecord>,
    notes: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct FixRecord {
    applicability: String,
    title: String,
    edits: Vec<(PathBuf, Range<usize>, String)>,
    claims: Vec<(PathBuf, Range<usize>)>,
}

#[derive(Serialize, Deserialize)]
pub struct ProblemRecord {
    path: PathBuf,
    kind: String,
    message: String,
}

impl ProblemRecord {
    pub fn of(p: &Problem) -> ProblemRecord {
        ProblemRecord {
            path: p.path.to_path_buf(),
            kind: kind_name(p.kind),
            message: p.message.clone(),
        }
    }

    pub fn into_problem(self) -> Option<Problem> {
        Some(Problem {
            kind: *PROBLEM_KINDS.iter().find(|k| kind_name(**k) == self.kind)?,
            path: Arc::from(self.path.as_path()),
            message: self.message,
        })
    }
}

#[derive(Serialize, Deserialize)]
struct IgnoreRecord {
    path: PathBuf,
    language: String,
    markers: Vec<MarkerRecord>,
}

#[derive(Serialize, Deserialize)]
struct MarkerRecord {
    line: usize,
    comment: Range<usize>,
    rules: Vec<(String, Range<usize>)>,
    reason: Option<String>,
    used: Vec<bool>,
}

const APPLICABILITIES: [Applicability; 3] = [
    Applicability::DisplayOnly,
    Applicability::Unsafe,
    Applicability::Safe,
];

const PROBLEM_KINDS: [ProblemKind; 5] = [
    ProblemKind::Io,
    ProblemKind::Encoding,
    ProblemKind::Syntax,
    ProblemKind::FixReverted,
    ProblemKind::Internal,
];

const LANGUAGES: [Language; 5] = [
    Language::Go,
    Language::Rust,
    Language::JavaScript,
    Language::TypeScript,
    Language::Tsx,
];

fn kind_name(k: ProblemKind) -> String {
    format!("{k:?}")
}

fn language_name(l: Language) -> String {
    format!("{l:?}")
}

impl UnitRecord {
    /// None when the analysis holds something a record cannot keep (a
    /// finding still waiting for its callers).
    pub fn of(a: &Analysis) -> Option<UnitRecord> {
        let mut findings = Vec::with_capacity(a.findings.len());
        for f in &a.findings {
            if f.callers.is_some() {
                return None;
            }
            findings.push(FindingRecord {
                rule: f.rule.to_string(),
                path: f.path.to_path_buf(),
                range: f.range.clone(),
                start: (f.start.line, f.start.column),
                end: (f.end.line, f.end.column),
                message: f.message.clone(),
                fix: f.fix.as_ref().map(|x| FixRecord {
                    applicability: x.applicability().as_str().to_string(),
                    title: x.title().to_string(),
                    edits: x
                        .edits()
                        .iter()
                        .map(|e| (e.path().to_path_buf(), e.range(), e.content().to_string()))
                        .collect(),
                    claims: x
                        .claims()
                        .iter()
                        .map(|(p, r)| (p.to_path_buf(), r.clone()))
                        .collect(),
                }),
                notes: f.notes.clone(),
            });
        }
        Some(UnitRecord {
            findings,
            problems: a.problems.iter().map(ProblemRecord::of).collect(),
            ignores: a
                .ignores
                .iter()
                .map(|i| IgnoreRecord {
                    path: i.path.to_path_buf(),
                    language: language_name(i.language),
                    markers: i
                        .markers
                        .iter()
                        .map(|m| MarkerRecord {
                            line: m.line,
                            comment: m.comment.clone(),
                            rules: m.rules.clone(),
                            reason: m.reason.clone(),
                            used: m.used_flags(),
                        })
                        .collect(),
                })
                .collect(),
        })
    }

    /// The analysis back; `load` reads a file as this run does (an ignore
    /// marker's file is shown from it). None when the record does not fit
    /// this build or these files.
    pub fn into_analysis(self, load: &dyn Fn(&Path) -> Option<SourceText>) -> Option<Analysis> {
        let mut paths: HashMap<PathBuf, Arc<Path>> = HashMap::new();
        let mut arc = |p: PathBuf| -> Arc<Path> {
            paths
                .entry(p)
                .or_insert_with_key(|p| Arc::from(p.as_path()))
                .clone()
        };
        let mut findings = Vec::with_capacity(self.findings.len());
        for f in self.findings {
            let rule = crate::rules::by_id(&f.rule)?.meta().id;
            let fix = match f.fix {
                None => None,
                Some(x) => {
                    let applicability = *APPLICABILITIES
                        .iter()
                        .find(|a| a.as_str() == x.applicability)?;
                    let edits = x
                        .edits
                        .into_iter()
                        .map(|(p, r, c)| Edit::replacement(arc(p), r, c))
                        .collect();
                    let mut fix = Fix::new(applicability, x.title, edits);
                    for (p, r) in x.claims {
                        fix = fix.with_claim(arc(p), r);
                    }
                    Some(fix)
                }
            };
            findings.push(Finding {
                rule,
                path: arc(f.path),
                range: f.range,
                start: LineCol {
                    line: f.start.0,
                    column: f.start.1,
                },
                end: LineCol {
                    line: f.end.0,
                    column: f.end.1,
                },
                message: f.message,
                fix,
                notes: f.notes,
                callers: None,
            });
        }
        let mut problems = Vec::with_capacity(self.problems.len());
        for p in self.problems {
            problems.push(Problem {
                kind: *PROBLEM_KINDS.iter().find(|k| kind_name(**k) == p.kind)?,
                path: arc(p.path),
                message: p.message,
            });
        }
        let mut ignores = Vec::with_capacity(self.ignores.len());
        for i in self.ignores {
            ignores.push(IgnoreFile {
                language: *LANGUAGES
                    .iter()
                    .find(|l| language_name(**l) == i.language)?,
                source: load(&i.path)?,
                path: arc(i.path),
                markers: i
                    .markers
                    .into_iter()
                    .map(|m| Marker::restore(m.line, m.comment, m.rules, m.reason, &m.used))
                    .collect(),
            });
        }
        Some(Analysis {
            findings,
            problems,
            ignores,
        })
    }
}
