//! GitHub annotations.

use super::*;

/// `::warning k=v,k=v::message` -> (properties, message), unescaped.
pub(super) fn parse_annotation(line: &str) -> (BTreeMap<String, String>, String) {
    let rest = line
        .strip_prefix("::warning ")
        .unwrap_or_else(|| panic!("not an annotation: {line:?}"));
    let (props, message) = rest.split_once("::").unwrap();
    let props = props
        .split(',')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k.to_string(), unescape(v))
        })
        .collect();
    (props, unescape(message))
}

fn unescape(s: &str) -> String {
    s.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
}

#[test]
fn github_annotations_carry_position_rule_and_escaped_message() {
    let ws = mixed_workspace();
    let text = run_ok(ws.path(), &["check", "--format", "github"], 1);
    let doc = json(&run_ok(ws.path(), &["check", "--format", "json"], 1));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), doc.findings.len(), "{text}");
    assert_eq!(lines.len(), labelled(ws.path()).len());
    for (line, f) in lines.iter().zip(&doc.findings) {
        assert!(!line.contains('\r'), "a raw line break in {line:?}");
        let (props, message) = parse_annotation(line);
        let keys: Vec<&str> = props.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["col", "endColumn", "endLine", "file", "line", "title"]
        );
        assert_eq!(props["file"], f.path);
        assert_eq!(props["line"], f.range.start.line.to_string());
        assert_eq!(props["col"], f.range.start.column.to_string());
        assert_eq!(props["endLine"], f.range.end.line.to_string());
        assert_eq!(props["endColumn"], f.range.end.column.to_string());
        assert_eq!(props["title"], f.rule);
        assert!(message.starts_with(&f.message), "{message:?}");
        match &f.fix {
            Some(fix) => assert!(message.contains(&format!("\nfix (safe): {}", fix.title))),
            None => assert!(message.contains("\nnote: "), "why there is no fix"),
        }
    }
    // Property escaping: `,` `:` `%` in a path.
    assert!(
        text.contains("file=odd dir%2C a%3Ab 100%25/store.go,"),
        "{text}"
    );
}

#[test]
fn github_annotations_in_fix_mode_show_only_what_remains() {
    let ws = workspace();
    let text = run_ok(ws.path(), &["fix", "--format", "github"], 1);
    let remaining: Vec<Leak> = labelled(ws.path()).into_iter().filter(|l| !l.fix).collect();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), remaining.len(), "{text}");
    let (props, _) = parse_annotation(lines[0]);
    assert_eq!(props["line"], remaining[0].line.to_string());
}
