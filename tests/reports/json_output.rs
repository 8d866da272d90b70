//! JSON: a typed parse that rejects unknown fields (docs/json-output.md).

use super::*;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct JsonDoc {
    pub(crate) version: u32,
    pub(crate) tool: JsonTool,
    pub(crate) mode: String,
    pub(crate) findings: Vec<JsonFinding>,
    pub(crate) changed_files: Vec<JsonChange>,
    pub(crate) problems: Vec<JsonProblem>,
    pub(crate) summary: JsonSummary,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct JsonTool {
    pub(crate) name: String,
    pub(crate) version: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct JsonFinding {
    pub(crate) rule: String,
    pub(crate) path: String,
    pub(crate) range: JsonRange,
    pub(crate) message: String,
    pub(crate) status: String,
    pub(crate) fix: Option<JsonFix>,
    pub(crate) notes: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct JsonRange {
    pub(crate) start: JsonPosition,
    pub(crate) end: JsonPosition,
    pub(crate) byte_start: usize,
    pub(crate) byte_end: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct JsonPosition {
    pub(crate) line: usize,
    pub(crate) column: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct JsonFix {
    pub(crate) applicability: String,
    pub(crate) title: String,
    pub(crate) edits: Vec<JsonEdit>,
    pub(crate) diff: String,
    /// `--verify` only (tests/verify.rs reads it untyped).
    #[allow(dead_code)]
    pub(crate) verification: Option<JsonVerification>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub(crate) struct JsonVerification {
    pub(crate) status: String,
    pub(crate) message: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub(crate) struct JsonVerifySummary {
    pub(crate) verified: usize,
    pub(crate) withheld: usize,
    pub(crate) unverifiable: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct JsonEdit {
    pub(crate) path: String,
    pub(crate) range: JsonRange,
    pub(crate) content: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct JsonChange {
    pub(crate) path: String,
    pub(crate) diff: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct JsonProblem {
    pub(crate) path: String,
    pub(crate) kind: String,
    pub(crate) message: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct JsonSummary {
    pub(crate) findings: usize,
    pub(crate) fixed: usize,
    pub(crate) remaining: usize,
    pub(crate) fixable_safe: usize,
    pub(crate) fixable_unsafe: usize,
    pub(crate) without_fix: usize,
    pub(crate) files_changed: usize,
    pub(crate) problems: usize,
    /// `--verify` only (tests/verify.rs reads it untyped).
    #[allow(dead_code)]
    pub(crate) verification: Option<JsonVerifySummary>,
}

/// Every field name above, for the docs check.
const JSON_FIELDS: &[&str] = &[
    "version",
    "tool",
    "mode",
    "findings",
    "changed_files",
    "problems",
    "summary",
    "name",
    "rule",
    "path",
    "range",
    "message",
    "status",
    "fix",
    "notes",
    "start",
    "end",
    "byte_start",
    "byte_end",
    "line",
    "column",
    "applicability",
    "title",
    "edits",
    "diff",
    "content",
    "kind",
    "fixed",
    "remaining",
    "fixable_safe",
    "fixable_unsafe",
    "without_fix",
    "files_changed",
    "verification",
    "verified",
    "withheld",
    "unverifiable",
];

pub(crate) fn json(text: &str) -> JsonDoc {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}:\n{text}"))
}

#[test]
fn json_document_in_check_mode() {
    let ws = mixed_workspace();
    let doc = json(&run_ok(ws.path(), &["check", "--format", "json"], 1));
    assert_eq!(doc.version, 1);
    assert_eq!(doc.tool.name, "leakfix");
    assert_eq!(doc.tool.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(doc.mode, "check");
    let leaks = labelled(ws.path());
    assert_eq!(doc.findings.len(), leaks.len());
    let rules: Vec<&str> = leakfix::rules::all().iter().map(|r| r.meta().id).collect();
    for f in &doc.findings {
        assert!(rules.contains(&f.rule.as_str()));
        assert_eq!(f.status, "open");
        assert!(!f.message.is_empty());
        // Byte offsets count in the file as stored (BOM included); columns
        // count code points in the line.
        let bytes = std::fs::read(ws.path().join(&f.path)).unwrap();
        let text = std::str::from_utf8(&bytes).unwrap();
        let line_start = text[..f.range.byte_start].rfind('\n').map_or(0, |i| i + 1);
        let before = text[line_start..f.range.byte_start].trim_start_matches('\u{feff}');
        assert_eq!(
            before.chars().count() + 1,
            f.range.start.column,
            "{}",
            f.path
        );
        assert_eq!(
            text[..f.range.byte_start].matches('\n').count() + 1,
            f.range.start.line
        );
        let covered = &text[f.range.byte_start..f.range.byte_end];
        assert!(covered.ends_with(')'), "the constructor call: {covered:?}");
        match &f.fix {
            Some(fix) => {
                assert_eq!(fix.applicability, "safe");
                assert!(!fix.title.is_empty() && !fix.edits.is_empty());
                assert!(
                    fix.diff.starts_with(&format!("--- a/{}\n", f.path)),
                    "{}",
                    fix.diff
                );
            }
            None => assert!(!f.notes.is_empty(), "a finding without a fix says why"),
        }
    }
    let with_fix = leaks.iter().filter(|l| l.fix).count();
    let s = &doc.summary;
    assert_eq!(
        (
            s.findings,
            s.fixed,
            s.remaining,
            s.fixable_safe,
            s.fixable_unsafe,
            s.without_fix
        ),
        (leaks.len(), 0, 0, with_fix, 0, leaks.len() - with_fix)
    );
    assert_eq!(s.files_changed, doc.changed_files.len());
    assert_eq!(s.problems, doc.problems.len());

    // All edits, applied to the files' bytes at their byte offsets, give
    // what `fix` writes; so do the changed files' diffs (below, with git).
    let fixed = snapshot(fixed_copy(ws.path(), &[]).path());
    let mut edits: BTreeMap<&str, BTreeSet<(usize, usize, &str)>> = BTreeMap::new();
    for f in &doc.findings {
        for e in f.fix.iter().flat_map(|x| &x.edits) {
            edits.entry(&e.path).or_default().insert((
                e.range.byte_start,
                e.range.byte_end,
                e.content.as_str(),
            ));
        }
    }
    let changed: Vec<&str> = doc.changed_files.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(edits.keys().copied().collect::<Vec<_>>(), changed);
    for (path, edits) in edits {
        let mut bytes = std::fs::read(ws.path().join(path)).unwrap();
        for (start, end, content) in edits.iter().rev() {
            bytes.splice(start..end, content.bytes());
        }
        assert!(bytes == fixed[path].0, "{path}");
    }
    if require_tool("git") {
        for f in doc.findings.iter().filter_map(|f| f.fix.as_ref()) {
            git_apply(ws.path(), &f.diff, true);
        }
        let patch: String = doc.changed_files.iter().map(|c| c.diff.as_str()).collect();
        assert_eq!(patch, run_ok(ws.path(), &["check", "--format", "diff"], 1));
        let copy = tempfile::tempdir().unwrap();
        copy_dir(ws.path(), copy.path());
        git_apply(copy.path(), &patch, false);
        assert!(snapshot(copy.path()) == fixed);
    }
}

#[test]
fn json_document_in_fix_mode() {
    let ws = workspace();
    let leaks = labelled(ws.path());
    let doc = json(&run_ok(ws.path(), &["fix", "--format", "json"], 1));
    assert_eq!(doc.mode, "fix");
    let fixed = doc.findings.iter().filter(|f| f.status == "fixed").count();
    let remaining = doc
        .findings
        .iter()
        .filter(|f| f.status == "remaining")
        .count();
    assert_eq!(fixed, leaks.iter().filter(|l| l.fix).count());
    assert_eq!(remaining, leaks.iter().filter(|l| !l.fix).count());
    assert_eq!(fixed + remaining, doc.findings.len());
    assert_eq!(
        (doc.summary.fixed, doc.summary.remaining),
        (fixed, remaining)
    );
    // main.go, store/store.go, web/users.js
    assert_eq!(doc.summary.files_changed, 3);
}

#[test]
fn json_schema_is_documented() {
    let docs = std::fs::read_to_string(repo_root().join("docs/json-output.md")).unwrap();
    for field in JSON_FIELDS {
        assert!(
            docs.contains(&format!("`{field}`")),
            "docs/json-output.md lacks `{field}`"
        );
    }
    assert!(docs.contains(&format!("`\"version\": {}`", 1)));
}
