//! Code that writes JavaScript and TypeScript the way prettier lays it out,
//! in the file's own style: whole-line edits, statements re-indented (never
//! inside a template literal, whose text is a value), blank lines that
//! prettier would drop removed with what leakfix deletes, and imports or
//! requires added beside the file's own.

use std::ops::Range;

use tree_sitter::Node;

use crate::analysis::js::JsFile;
use crate::analysis::js::scope::visit;
use crate::source::SourceText;

/// Byte ranges of the file's multi-line template literals and strings,
/// from the first line break inside them to their end: lines starting
/// there belong to the literal and are never re-indented.
pub fn literal_ranges(file: &JsFile) -> Vec<Range<usize>> {
    let src = file.text();
    let mut out = Vec::new();
    visit(file.root(), &mut |n| {
        if matches!(n.kind(), "template_string" | "string" | "jsx_text")
            && let Some(nl) = src[n.byte_range()].find('\n')
        {
            out.push(n.start_byte() + nl..n.end_byte());
        }
    });
    out
}

/// The start of the line containing `at`.
pub fn line_start(source: &SourceText, at: usize) -> usize {
    source.line_range(source.line_index(at)).start
}

/// The end of the line containing `at`, after its line break.
pub fn line_end(source: &SourceText, at: usize) -> usize {
    source.next_line_start(at).unwrap_or(source.text().len())
}

/// Is `node` the only thing on its lines, but for a trailing comment?
pub fn owns_lines(source: &SourceText, node: Node) -> bool {
    let text = source.text();
    let before = &text[line_start(source, node.start_byte())..node.start_byte()];
    let after_end = source.line_range(source.line_index(node.end_byte())).end;
    let after = text[node.end_byte()..after_end.max(node.end_byte())].trim();
    before.trim().is_empty() && (after.is_empty() || after.starts_with("//"))
}

fn is_blank(source: &SourceText, line: usize) -> bool {
    line < source.line_count() && source.line_text(line).trim().is_empty()
}

/// The lines to delete with `node` (which owns its lines), widened by one
/// blank line where leaving it would give two blank lines in a row or a
/// blank line at the start or end of a block (prettier removes both).
pub fn deletion_range(source: &SourceText, node: Node) -> Range<usize> {
    let first = source.line_index(node.start_byte());
    let last = source.line_index(node.end_byte());
    let mut start = source.line_range(first).start;
    let mut end = line_end(source, node.end_byte());
    let prev_blank = first > 0 && is_blank(source, first - 1);
    let next_blank = is_blank(source, last + 1);
    let prev_opens = first > 0 && {
        let t = source.line_text(first - 1).trim_end();
        t.ends_with('{') || t.ends_with('(') || t.ends_with('[')
    };
    let next_closes = last + 1 < source.line_count() && {
        let t = source.line_text(last + 1).trim_start();
        t.starts_with('}') || t.starts_with(')') || t.starts_with(']')
    };
    if prev_blank && (next_blank || next_closes) {
        start = source.line_range(first - 1).start;
    } else if next_blank && prev_opens {
        end = line_end(source, source.line_range(last + 1).start);
    }
    start..end
}

/// Adds `add` at the start of every non-blank line in `range` of `text`
/// (which starts at byte `base` of the file) that does not start inside one
/// of `literals`. `skip` lists file ranges whose lines are left alone
/// (they are deleted).
pub fn indent_edits(
    text: &str,
    range: Range<usize>,
    add: &str,
    literals: &[Range<usize>],
) -> Vec<(Range<usize>, String)> {
    let mut out = Vec::new();
    let mut at = range.start;
    while at < range.end {
        let line_end = text[at..range.end]
            .find('\n')
            .map(|i| at + i + 1)
            .unwrap_or(range.end);
        let line = &text[at..line_end];
        let inside = literals.iter().any(|r| r.start < at && at < r.end);
        if !line.trim().is_empty() && !inside {
            out.push((at..at, add.to_string()));
        }
        at = line_end;
    }
    out
}

/// Removes up to `remove` (one indentation unit) from the start of every
/// non-blank line in `range` that does not start inside a literal. `None`
/// if a line has less indentation than that.
pub fn dedent_edits(
    text: &str,
    range: Range<usize>,
    remove: &str,
    literals: &[Range<usize>],
) -> Option<Vec<(Range<usize>, String)>> {
    let mut out = Vec::new();
    let mut at = range.start;
    while at < range.end {
        let line_end = text[at..range.end]
            .find('\n')
            .map(|i| at + i + 1)
            .unwrap_or(range.end);
        let line = &text[at..line_end];
        let inside = literals.iter().any(|r| r.start < at && at < r.end);
        if !line.trim().is_empty() && !inside {
            if !line.starts_with(remove) {
                return None;
            }
            out.push((at..at + remove.len(), String::new()));
        }
        at = line_end;
    }
    Some(out)
}

/// Applies edits (file offsets) to the slice `range` of `text`. Where
/// edits overlap, the one that starts first (the longer one, at the same
/// start) wins: a deleted line takes its re-indentation and the edits
/// inside it along.
pub fn splice(text: &str, range: Range<usize>, mut edits: Vec<(Range<usize>, String)>) -> String {
    edits.sort_by_key(|(r, _)| (r.start, std::cmp::Reverse(r.end)));
    let deleted: Vec<Range<usize>> = edits
        .iter()
        .filter(|(r, c)| !r.is_empty() && c.is_empty())
        .map(|(r, _)| r.clone())
        .collect();
    let mut out = String::new();
    let mut at = range.start;
    for (r, content) in edits {
        if r.is_empty()
            && deleted
                .iter()
                .any(|d| d.start <= r.start && r.start < d.end)
        {
            continue;
        }
        if r.start < at {
            continue;
        }
        out.push_str(&text[at..r.start]);
        out.push_str(&content);
        at = r.end;
    }
    out.push_str(&text[at..range.end]);
    out
}

/// Where a new top-level import or require goes, and the text to insert:
/// after the file's last import or require, else before its first
/// statement.
pub fn import_insertion(file: &JsFile, statement: &str) -> (usize, String) {
    let source = &file.parsed.source;
    let nl = source.newline();
    match file.bindings.imports_end {
        Some(end) => (line_end(source, end), format!("{statement}{nl}")),
        None => {
            let at = file
                .bindings
                .first_statement
                .map(|s| line_start(source, s))
                .unwrap_or(0);
            (at, format!("{statement}{nl}{nl}"))
        }
    }
}

/// `import name from 'module';` or `const name = require('module');` in the
/// file's style.
pub fn import_statement(file: &JsFile, name: &str, module: &str) -> String {
    let s = &file.style;
    if file.esm {
        format!("import {name} from {}{}", s.string(module), s.semi())
    } else {
        format!("const {name} = require({}){}", s.string(module), s.semi())
    }
}

/// `import { name } from 'module';` or `const { name } = require('module');`.
pub fn named_import_statement(file: &JsFile, name: &str, module: &str) -> String {
    let s = &file.style;
    if file.esm {
        format!("import {{ {name} }} from {}{}", s.string(module), s.semi())
    } else {
        format!(
            "const {{ {name} }} = require({}){}",
            s.string(module),
            s.semi()
        )
    }
}

/// A name not used anywhere in the file: `base`, `base2`, ...
pub fn fresh_name(file: &JsFile, base: &str) -> String {
    if !file.bindings.all_names.contains(base) {
        return base.to_string();
    }
    (2..)
        .map(|i| format!("{base}{i}"))
        .find(|n| !file.bindings.all_names.contains(n))
        .unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indent_skips_blank_lines_and_literals() {
        let text = "a();\n\nconst s = `x\ny`;\nb();\n";
        let lit = text.find("`x").unwrap() + 2..text.find("y`").unwrap() + 2;
        let edits = indent_edits(text, 0..text.len(), "  ", &[lit]);
        let out = splice(text, 0..text.len(), edits);
        assert_eq!(out, "  a();\n\n  const s = `x\ny`;\n  b();\n");
    }

    #[test]
    fn dedent_refuses_short_lines() {
        let text = "    a();\n  b();\n";
        assert!(dedent_edits(text, 0..text.len(), "    ", &[]).is_none());
        let e = dedent_edits(text, 0..text.len(), "  ", &[]).unwrap();
        assert_eq!(splice(text, 0..text.len(), e), "  a();\nb();\n");
    }
}

/// Edits that add `"name": "version"` to the `section` table
/// (`dependencies`, `devDependencies`) of a package.json laid out the way
/// npm writes it (one entry per line, sorted): in sorted position, with
/// the file's indentation and line breaks. `None` when the file is laid out
/// otherwise (the caller then offers a fix that needs no new package).
pub fn add_dependency(
    manifest: &str,
    section: &str,
    name: &str,
    version: &str,
) -> Option<Vec<(Range<usize>, String)>> {
    let nl = if manifest.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let lines: Vec<(usize, &str)> = {
        let mut at = 0;
        manifest
            .split_inclusive('\n')
            .map(|l| {
                let start = at;
                at += l.len();
                (start, l)
            })
            .collect()
    };
    let indent_of = |l: &str| l.len() - l.trim_start_matches([' ', '\t']).len();
    // The root object's key indentation: the first indented line.
    let (_, first_key) = lines
        .iter()
        .find(|(_, l)| l.trim_start().starts_with('"'))?;
    let unit = &first_key[..indent_of(first_key)];
    if unit.is_empty() || !manifest.trim_start().starts_with('{') {
        return None;
    }
    let key = format!("{unit}\"{section}\":");
    let entry = |ind: &str| format!("{ind}\"{name}\": \"{version}\"");
    let Some(pos) = lines.iter().position(|(_, l)| l.starts_with(&key)) else {
        // No such table: a new one before the root's closing brace.
        let close = manifest.rfind('}')?;
        let before = manifest[..close].trim_end();
        let last = before.len();
        let comma = if before.ends_with('{') { "" } else { "," };
        return Some(vec![(
            last..close,
            format!(
                "{comma}{nl}{unit}\"{section}\": {{{nl}{}{nl}{unit}}}{nl}",
                entry(&unit.repeat(2))
            ),
        )]);
    };
    let (start, header) = lines[pos];
    let rest = header[key.len()..].trim();
    if rest != "{" {
        // `"dependencies": {}` and one-line tables.
        if rest == "{}" || rest == "{}," {
            let open = start + header.find('{')?;
            return Some(vec![(
                open..open + 2,
                format!("{{{nl}{}{nl}{unit}}}", entry(&unit.repeat(2))),
            )]);
        }
        return None;
    }
    let inner_indent = unit.repeat(2);
    let mut entries = Vec::new();
    let mut close_line = None;
    for (i, (s, l)) in lines.iter().enumerate().skip(pos + 1) {
        let t = l.trim();
        if t.starts_with('}') && indent_of(l) == unit.len() {
            close_line = Some(i);
            break;
        }
        if !l.starts_with(&inner_indent) || !t.starts_with('"') {
            return None;
        }
        let n = t[1..].split('"').next()?;
        entries.push((*s, l, n.to_string()));
    }
    close_line?;
    if entries.iter().any(|(_, _, n)| n == name) {
        return Some(Vec::new());
    }
    match entries.iter().position(|(_, _, n)| n.as_str() > name) {
        Some(i) => {
            let at = entries[i].0;
            Some(vec![(at..at, format!("{},{nl}", entry(&inner_indent)))])
        }
        None => match entries.last() {
            Some((s, l, _)) => {
                let content_end = s + l.trim_end().len();
                Some(vec![(
                    content_end..content_end,
                    format!(",{nl}{}", entry(&inner_indent)),
                )])
            }
            None => None,
        },
    }
}

#[cfg(test)]
mod dependency_tests {
    use super::*;

    fn apply(text: &str, edits: Vec<(Range<usize>, String)>) -> String {
        splice(text, 0..text.len(), edits)
    }

    #[test]
    fn adds_in_sorted_position_with_the_files_layout() {
        let pkg = "{\n  \"name\": \"svc\",\n  \"dependencies\": {\n    \"express\": \"^4.18.2\",\n    \"pg\": \"^8.11.0\"\n  }\n}\n";
        let out = apply(
            pkg,
            add_dependency(pkg, "dependencies", "on-finished", "^2.4.1").unwrap(),
        );
        assert_eq!(
            out,
            "{\n  \"name\": \"svc\",\n  \"dependencies\": {\n    \"express\": \"^4.18.2\",\n    \"on-finished\": \"^2.4.1\",\n    \"pg\": \"^8.11.0\"\n  }\n}\n"
        );
        let last = "{\n  \"dependencies\": {\n    \"express\": \"^4.18.2\"\n  }\n}\n";
        let out = apply(
            last,
            add_dependency(last, "dependencies", "on-finished", "^2.4.1").unwrap(),
        );
        assert!(
            out.contains("\"express\": \"^4.18.2\",\n    \"on-finished\": \"^2.4.1\"\n  }"),
            "{out}"
        );
        let none = "{\n  \"name\": \"svc\"\n}\n";
        let out = apply(
            none,
            add_dependency(none, "devDependencies", "@types/on-finished", "^2.3.4").unwrap(),
        );
        assert_eq!(
            out,
            "{\n  \"name\": \"svc\",\n  \"devDependencies\": {\n    \"@types/on-finished\": \"^2.3.4\"\n  }\n}\n"
        );
        let empty = "{\n  \"dependencies\": {}\n}\n";
        let out = apply(
            empty,
            add_dependency(empty, "dependencies", "a", "1").unwrap(),
        );
        assert_eq!(out, "{\n  \"dependencies\": {\n    \"a\": \"1\"\n  }\n}\n");
        let inline = "{\n  \"dependencies\": { \"x\": \"1\" }\n}\n";
        assert!(add_dependency(inline, "dependencies", "a", "1").is_none());
        let there = "{\n  \"dependencies\": {\n    \"on-finished\": \"2\"\n  }\n}\n";
        assert!(
            add_dependency(there, "dependencies", "on-finished", "1")
                .unwrap()
                .is_empty()
        );
    }
}
