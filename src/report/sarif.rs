//! `--format sarif`: SARIF 2.1.0 for code-scanning tools (GitHub code
//! scanning, the SARIF viewers in editors).
//!
//! The output structs below are ours, not the internal types: what they
//! serialize is a promise to the tools that read it.
//!
//! - One `reportingDescriptor` per rule of the registry (the rules leakfix
//!   supports, whether or not they ran), with its documentation as help.
//! - One result per finding: `check` shows every finding; `fix` shows the
//!   findings that remain after fixing (the fixed ones are gone from the
//!   code), with positions in the files as written.
//! - Locations: `uri` relative to the working directory, `/`-separated and
//!   percent-encoded, with `uriBaseId` `%SRCROOT%` (resolved in
//!   `originalUriBaseIds` to the working directory). A file outside the
//!   working directory gets an absolute `file://` URI instead.
//! - Regions use lines and columns only (1-based; columns count Unicode code
//!   points, declared by `columnKind`), for locations and for fixes alike:
//!   no char offsets, so a BOM never shifts anything. An insertion is a
//!   region whose end equals its start.
//! - A finding's fix (safe or unsafe) is a SARIF `fix`: one `artifactChange`
//!   per file, its edits as `replacements` relative to the file as read.
//!   Its applicability is in the description and in `properties`.
//! - Files that could not be analysed are `toolExecutionNotifications`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use serde::Serialize;

use super::{Report, Reported, Status};
use crate::fix::Edit;
use crate::rules::{self, RuleMeta};
use crate::source::{LineCol, SourceText};

pub const SARIF_VERSION: &str = "2.1.0";
pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The base every relative `uri` is resolved against.
pub const SRCROOT: &str = "%SRCROOT%";
/// Where people learn about leakfix (Cargo.toml's `repository`).
pub const INFORMATION_URI: &str = env!("CARGO_PKG_REPOSITORY");

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    invocations: Vec<Invocation>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    original_uri_base_ids: BTreeMap<&'static str, ArtifactLocation>,
    column_kind: &'static str,
    results: Vec<SarifResult>,
}

#[derive(Serialize)]
struct Tool {
    driver: ToolComponent,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ToolComponent {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    information_uri: &'static str,
    rules: Vec<ReportingDescriptor>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportingDescriptor {
    id: &'static str,
    name: String,
    short_description: Message,
    full_description: Message,
    help: MultiformatMessage,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct RuleProperties {
    tags: Vec<&'static str>,
    /// What its fixes may change: `safe`, `unsafe`.
    applicability: &'static str,
    /// `always`, `sometimes`, `never`.
    fix_availability: rules::FixAvailability,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct Message {
    text: String,
}

#[derive(Serialize)]
struct MultiformatMessage {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
struct Notification {
    level: &'static str,
    message: Message,
    locations: Vec<Location>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Message,
    locations: Vec<Location>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fixes: Vec<SarifFix>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
    /// The lines around `region`, for viewers that do not have the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    context_region: Option<Region>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

/// A text region in lines and columns; the end is exclusive, so an empty
/// region (end == start) is an insertion point.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    snippet: Option<ArtifactContent>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifFix {
    description: Message,
    artifact_changes: Vec<ArtifactChange>,
    properties: FixProperties,
}

#[derive(Serialize)]
struct FixProperties {
    applicability: &'static str,
    /// `--verify` only: `verified` or `unverifiable` (a withheld fix is
    /// not offered as a fix; the result's message says why).
    #[serde(skip_serializing_if = "Option::is_none")]
    verification: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactChange {
    artifact_location: ArtifactLocation,
    replacements: Vec<Replacement>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Replacement {
    deleted_region: Region,
    #[serde(skip_serializing_if = "Option::is_none")]
    inserted_content: Option<ArtifactContent>,
}

#[derive(Serialize)]
struct ArtifactContent {
    text: String,
}

pub fn emit(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let rules: Vec<&RuleMeta> = rules::all().iter().map(|r| r.meta()).collect();
    let results = report
        .findings
        .iter()
        .filter(|r| r.status != Status::Fixed)
        .map(|r| result(report, &rules, r))
        .collect();
    let notifications = report
        .problems
        .iter()
        .map(|p| Notification {
            level: "warning",
            message: Message {
                text: p.message.clone(),
            },
            locations: vec![Location {
                physical_location: PhysicalLocation {
                    artifact_location: artifact(&report.display_path(&p.path)),
                    region: None,
                    context_region: None,
                },
            }],
        })
        .collect();
    let mut base_ids = BTreeMap::new();
    if let Some(root) = directory_uri(report.cwd) {
        base_ids.insert(
            SRCROOT,
            ArtifactLocation {
                uri: root,
                uri_base_id: None,
            },
        );
    }
    let log = Log {
        schema: SARIF_SCHEMA,
        version: SARIF_VERSION,
        runs: vec![Run {
            tool: Tool {
                driver: ToolComponent {
                    name: "leakfix",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: INFORMATION_URI,
                    rules: rules.iter().map(|m| descriptor(m)).collect(),
                },
            },
            invocations: vec![Invocation {
                execution_successful: true,
                tool_execution_notifications: notifications,
            }],
            original_uri_base_ids: base_ids,
            column_kind: "unicodeCodePoints",
            results,
        }],
    };
    serde_json::to_writer_pretty(&mut *out, &log)?;
    writeln!(out)
}

fn descriptor(m: &RuleMeta) -> ReportingDescriptor {
    let what = section(m.docs, "## What it does")
        .map(prose)
        .unwrap_or_else(|| format!("{}.", m.summary));
    let fix = match m.fix_availability {
        rules::FixAvailability::Never => "No automatic fix.".to_string(),
        rules::FixAvailability::Always => {
            format!("Fix ({}): {}.", m.applicability.as_str(), m.fix_summary)
        }
        rules::FixAvailability::Sometimes => format!(
            "Fix ({}, when it can be made without guessing): {}.",
            m.applicability.as_str(),
            m.fix_summary
        ),
    };
    let body = m.docs.trim_end();
    ReportingDescriptor {
        id: m.id,
        name: pascal_case(m.id),
        short_description: Message {
            text: format!("{}.", m.summary),
        },
        full_description: Message { text: what },
        help: MultiformatMessage {
            text: format!("{}.\n\n{fix}\n\n{body}\n", m.summary),
            markdown: format!("**{}.**\n\n{fix}\n\n{body}\n", m.summary),
        },
        default_configuration: Configuration { level: "warning" },
        properties: RuleProperties {
            tags: match m.language {
                Some(l) => vec![l.name(), "resource-leak"],
                None => vec!["suppression"],
            },
            applicability: m.applicability.as_str(),
            fix_availability: m.fix_availability,
        },
    }
}

fn result(report: &Report, rules: &[&RuleMeta], r: &Reported) -> SarifResult {
    let f = &r.finding;
    let mut text = f.message.clone();
    if !text.ends_with('.') {
        text.push('.');
    }
    for n in &f.notes {
        text.push('\n');
        text.push_str(n);
    }
    let withheld = matches!(r.verdict, Some(crate::verify::Verdict::Withheld(_)));
    let fixes = f
        .fix
        .iter()
        .filter(|_| !withheld)
        .map(|fix| {
            let mut changes: Vec<ArtifactChange> = Vec::new();
            for path in fix.paths() {
                let source = report.source_of(r, path);
                let replacements = fix
                    .edits()
                    .iter()
                    .filter(|e| e.path() == path)
                    .map(|e| replacement(source.as_ref(), e))
                    .collect();
                changes.push(ArtifactChange {
                    artifact_location: artifact(&report.display_path(path)),
                    replacements,
                });
            }
            let applicability = fix.applicability().as_str();
            SarifFix {
                description: Message {
                    text: format!("{} ({applicability} fix)", fix.title()),
                },
                artifact_changes: changes,
                properties: FixProperties {
                    applicability,
                    verification: r.verdict.as_ref().map(|v| v.label()),
                },
            }
        })
        .collect();
    let mut region = region(f.start, f.end);
    let mut context_region = None;
    if let Some(src) = report.source_of(r, &f.path)
        && f.range.end <= src.text().len()
        && src.text().is_char_boundary(f.range.start)
        && src.text().is_char_boundary(f.range.end)
    {
        region.snippet = Some(ArtifactContent {
            text: src.text()[f.range.clone()].to_string(),
        });
        context_region = Some(context(&src, f.start.line - 1, f.end.line - 1));
    }
    SarifResult {
        rule_id: f.rule,
        rule_index: rules.iter().position(|m| m.id == f.rule).unwrap_or(0),
        level: "warning",
        message: Message { text },
        locations: vec![Location {
            physical_location: PhysicalLocation {
                artifact_location: artifact(&r.path),
                region: Some(region),
                context_region,
            },
        }],
        fixes,
    }
}

/// Whole lines from `CONTEXT_LINES` before the first to as many after the
/// last (0-based) line, with their text.
fn context(src: &SourceText, first: usize, last: usize) -> Region {
    const CONTEXT_LINES: usize = 2;
    let first = first.saturating_sub(CONTEXT_LINES);
    let last = (last + CONTEXT_LINES).min(src.line_count() - 1);
    let start = src.line_range(first).start;
    let end = src.line_range(last).end;
    let mut r = region(src.line_col(start), src.line_col(end));
    r.snippet = Some(ArtifactContent {
        text: src.text()[start..end].to_string(),
    });
    r
}

fn replacement(source: Option<&SourceText>, e: &Edit) -> Replacement {
    let pos = |o| {
        source
            .map(|s| s.line_col(o))
            .unwrap_or(LineCol { line: 1, column: 1 })
    };
    Replacement {
        deleted_region: region(pos(e.start()), pos(e.end())),
        inserted_content: (!e.content().is_empty()).then(|| ArtifactContent {
            text: e.content().to_string(),
        }),
    }
}

fn region(start: LineCol, end: LineCol) -> Region {
    Region {
        start_line: start.line,
        start_column: start.column,
        end_line: end.line,
        end_column: end.column,
        snippet: None,
    }
}

/// A shown path as an artifact location: relative ones against `%SRCROOT%`,
/// absolute ones (outside the working directory) as `file://` URIs.
fn artifact(display: &str) -> ArtifactLocation {
    if Path::new(display).is_absolute() || display.starts_with('/') {
        ArtifactLocation {
            uri: file_uri(display),
            uri_base_id: None,
        }
    } else {
        ArtifactLocation {
            uri: percent_encode(display),
            uri_base_id: Some(SRCROOT),
        }
    }
}

/// `file:///...` for an absolute path (`\` becomes `/`, a drive letter gets
/// a leading `/`).
fn file_uri(path: &str) -> String {
    let mut p = path.replace('\\', "/");
    if !p.starts_with('/') {
        p.insert(0, '/');
    }
    format!("file://{}", percent_encode(&p))
}

/// The working directory as a `file://` URI ending in `/`, as SARIF wants
/// for a base.
fn directory_uri(dir: &Path) -> Option<String> {
    if !dir.is_absolute() {
        return None;
    }
    let mut uri = file_uri(&dir.to_string_lossy());
    if !uri.ends_with('/') {
        uri.push('/');
    }
    Some(uri)
}

/// Percent-encodes everything but unreserved characters, `/` and a drive
/// letter's `:` (RFC 3986 path segments), byte by byte in UTF-8.
fn percent_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let bytes = path.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/')
            || (b == b':' && i == 2 && bytes[0] == b'/' && bytes[1].is_ascii_alphabetic());
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The text of one `## ` section of a rule's docs, without its heading.
fn section<'d>(docs: &'d str, heading: &str) -> Option<&'d str> {
    let start = docs.find(heading)? + heading.len();
    let rest = &docs[start..];
    let end = rest.find("\n## ").unwrap_or(rest.len());
    Some(rest[..end].trim())
}

/// Markdown paragraphs as plain sentences: one line per paragraph, inline
/// code marks dropped.
fn prose(md: &str) -> String {
    md.split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
        .replace('`', "")
}

/// `go-missing-release` -> `GoMissingRelease` (SARIF's `name` is an
/// identifier-like form of the id).
fn pascal_case(id: &str) -> String {
    id.split('-')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect::<String>(),
                None => String::new(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris() {
        assert_eq!(percent_encode("a b/ç%.go"), "a%20b/%C3%A7%25.go");
        assert_eq!(file_uri("/x y/a.go"), "file:///x%20y/a.go");
        assert_eq!(file_uri("C:\\src\\a.go"), "file:///C:/src/a.go");
        assert_eq!(
            directory_uri(Path::new("/work/repo")).as_deref(),
            Some("file:///work/repo/")
        );
        let a = artifact("pkg/a.go");
        assert_eq!((a.uri.as_str(), a.uri_base_id), ("pkg/a.go", Some(SRCROOT)));
        let a = artifact("../other/a.go");
        assert_eq!(a.uri, "../other/a.go");
        assert_eq!(artifact("/elsewhere/a.go").uri_base_id, None);
    }

    #[test]
    fn docs_sections() {
        let docs = "## What it does\nFinds `x`\nthat leak.\n\nMore.\n\n## Why is this bad?\nBad.\n";
        assert_eq!(
            section(docs, "## What it does").map(prose).as_deref(),
            Some("Finds x that leak.\nMore.")
        );
        assert_eq!(pascal_case("go-missing-release"), "GoMissingRelease");
    }
}
