//! Go edits that keep a file gofmt-clean.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use tree_sitter::Node;

use crate::fix::Edit;
use crate::lang::go::unquote;
use crate::lang::text;
use crate::source::SourceText;

/// An import a rule needs.
pub enum ImportEdit {
    /// Already imported under this name: use it, nothing to add.
    Present(String),
    /// Add this edit; the package is then available under `name`.
    Add { edit: Edit, name: String },
    /// Imported under a name that cannot be used (`_`, `.`), or the file is
    /// laid out in a way this helper does not edit.
    Unavailable,
}

/// Makes `path` importable in the file, the way gofmt/goimports would:
/// into the standard-library group of an import block, sorted; a single
/// `import "x"` becomes a block; a file without imports gets one after the
/// package clause. `name` is the package name the import provides.
pub fn ensure_import(
    file_path: &Arc<Path>,
    source: &SourceText,
    root: Node,
    path: &str,
    name: &str,
) -> ImportEdit {
    let src = source.text();
    let nl = source.newline();
    let mut decls = Vec::new();
    let mut package_clause = None;
    let mut c = root.walk();
    for child in root.named_children(&mut c) {
        match child.kind() {
            "import_declaration" => decls.push(child),
            "package_clause" => package_clause = Some(child),
            _ => {}
        }
    }
    // Already there?
    for d in &decls {
        for spec in specs(*d) {
            let Some(p) = spec.child_by_field_name("path") else {
                continue;
            };
            if unquote(text(p, src)) != path {
                continue;
            }
            return match spec.child_by_field_name("name") {
                Some(n) if n.kind() == "package_identifier" => {
                    ImportEdit::Present(text(n, src).to_string())
                }
                Some(_) => ImportEdit::Unavailable,
                None => ImportEdit::Present(name.to_string()),
            };
        }
    }
    // A name clash with another import would change what that name means.
    for d in &decls {
        for spec in specs(*d) {
            let local = match spec.child_by_field_name("name") {
                Some(n) => text(n, src).to_string(),
                None => crate::analysis::go::guess_package_name(unquote(
                    spec.child_by_field_name("path")
                        .map(|p| text(p, src))
                        .unwrap_or(""),
                )),
            };
            if local == name {
                return ImportEdit::Unavailable;
            }
        }
    }
    let line = format!("\"{path}\"");
    let is_std = |p: &str| !p.split('/').next().unwrap_or("").contains('.');
    let add = |edit: Edit| ImportEdit::Add {
        edit,
        name: name.to_string(),
    };

    // Prefer a parenthesised block.
    if let Some(block) = decls.iter().find(|d| {
        text(**d, src)
            .trim_start_matches("import")
            .trim_start()
            .starts_with('(')
    }) {
        let specs = specs(*block);
        // Groups are runs of specs separated by blank lines.
        let mut groups: Vec<Vec<Node>> = Vec::new();
        let mut last_line = None;
        for s in &specs {
            let line_no = s.start_position().row;
            let new_group = match last_line {
                None => true,
                Some(l) => line_no > l + 1 && !has_comment_between(src, source, l, line_no),
            };
            if new_group {
                groups.push(Vec::new());
            }
            groups.last_mut().unwrap().push(*s);
            last_line = Some(s.end_position().row);
        }
        let std_group = groups.iter().find(|g| {
            g.iter().all(|s| {
                is_std(unquote(
                    s.child_by_field_name("path")
                        .map(|p| text(p, src))
                        .unwrap_or(""),
                ))
            })
        });
        let indent = specs
            .first()
            .map(|s| source.indent_at(s.start_byte()).to_string())
            .unwrap_or_else(|| "\t".to_string());
        if is_std(path)
            && let Some(group) = std_group
        {
            // Sorted position within the group.
            let key = |s: &Node| {
                unquote(
                    s.child_by_field_name("path")
                        .map(|p| text(p, src))
                        .unwrap_or(""),
                )
                .to_string()
            };
            let before = group.iter().find(|s| key(s).as_str() > path);
            let at = match before {
                Some(s) => source.line_range(source.line_index(s.start_byte())).start,
                None => match source.next_line_start(group.last().unwrap().end_byte()) {
                    Some(at) => at,
                    None => return ImportEdit::Unavailable,
                },
            };
            return add(Edit::insertion(
                file_path.clone(),
                at,
                format!("{indent}{line}{nl}"),
            ));
        }
        // A non-std path joins a group of imports from the same host
        // (`github.com/aws/...` beside `github.com/aws/...`), sorted.
        let host = |p: &str| p.split('/').next().unwrap_or("").to_string();
        let spec_path = |s: &Node| {
            unquote(
                s.child_by_field_name("path")
                    .map(|p| text(p, src))
                    .unwrap_or(""),
            )
            .to_string()
        };
        if !is_std(path)
            && let Some(group) = groups.iter().rev().find(|g| {
                g.iter().all(|s| !is_std(&spec_path(s)))
                    && g.iter().any(|s| host(&spec_path(s)) == host(path))
            })
        {
            let sorted = group
                .windows(2)
                .all(|w| spec_path(&w[0]) <= spec_path(&w[1]));
            if sorted {
                let before = group.iter().find(|s| spec_path(s).as_str() > path);
                let at = match before {
                    Some(s) => source.line_range(source.line_index(s.start_byte())).start,
                    None => match source.next_line_start(group.last().unwrap().end_byte()) {
                        Some(at) => at,
                        None => return ImportEdit::Unavailable,
                    },
                };
                return add(Edit::insertion(
                    file_path.clone(),
                    at,
                    format!("{indent}{line}{nl}"),
                ));
            }
        }
        // No standard-library group (or a non-std path): a new group first
        // for std paths, or a new group last for others.
        let Some(first) = specs.first() else {
            return ImportEdit::Unavailable;
        };
        if is_std(path) {
            let at = source
                .line_range(source.line_index(first.start_byte()))
                .start;
            return add(Edit::insertion(
                file_path.clone(),
                at,
                format!("{indent}{line}{nl}{nl}"),
            ));
        }
        let last = specs.last().unwrap();
        let Some(at) = source.next_line_start(last.end_byte()) else {
            return ImportEdit::Unavailable;
        };
        return add(Edit::insertion(
            file_path.clone(),
            at,
            format!("{nl}{indent}{line}{nl}"),
        ));
    }

    // A single `import "x"` (only one declaration): make it a block.
    if let [single] = decls.as_slice() {
        let specs = specs(*single);
        if let [spec] = specs.as_slice() {
            let existing = text(*spec, src);
            let existing_path = unquote(
                spec.child_by_field_name("path")
                    .map(|p| text(p, src))
                    .unwrap_or(""),
            );
            let mut lines = [
                (existing_path.to_string(), existing.to_string()),
                (path.to_string(), line.clone()),
            ];
            let same_group = is_std(existing_path) == is_std(path);
            lines.sort_by(|a, b| (!is_std(&a.0), &a.0).cmp(&(!is_std(&b.0), &b.0)));
            let sep = if same_group {
                nl.to_string()
            } else {
                format!("{nl}{nl}")
            };
            let body = format!("import ({nl}\t{}{sep}\t{}{nl})", lines[0].1, lines[1].1);
            return add(Edit::replacement(
                file_path.clone(),
                single.byte_range(),
                body,
            ));
        }
        return ImportEdit::Unavailable;
    }
    if !decls.is_empty() {
        return ImportEdit::Unavailable; // several import declarations: leave the layout alone
    }
    let Some(pkg) = package_clause else {
        return ImportEdit::Unavailable;
    };
    let Some(at) = source.next_line_start(pkg.end_byte()) else {
        return ImportEdit::Unavailable;
    };
    add(Edit::insertion(
        file_path.clone(),
        at,
        format!("{nl}import {line}{nl}"),
    ))
}

/// Adds and removes imports of one file at once, the way gofmt/goimports
/// would lay them out: `add` are (path, package name) pairs (see
/// `ensure_import`), `remove` are paths whose import spec goes (a group left
/// empty loses its blank line; a declaration left empty goes entirely).
/// Returns the edits, as few and as small as possible (so that two fixes
/// making the same change produce identical edits), and the name under
/// which each added path is available. None when an import cannot be added.
pub fn import_edits(
    file_path: &Arc<Path>,
    source: &SourceText,
    add: &[(&str, &str)],
    remove: &[&str],
) -> Option<(Vec<Edit>, Vec<String>)> {
    let mut scratch = source.clone();
    let mut names = Vec::new();
    for (path, name) in add {
        let (tree, err) = crate::lang::Language::Go.parse(scratch.text());
        if err.is_some() {
            return None;
        }
        match ensure_import(file_path, &scratch, tree.root_node(), path, name) {
            ImportEdit::Present(n) => names.push(n),
            ImportEdit::Add { edit, name } => {
                let text = crate::apply::splice(scratch.text(), vec![&edit]);
                scratch = scratch.with_text(text);
                names.push(name);
            }
            ImportEdit::Unavailable => return None,
        }
    }
    for path in remove {
        let text = remove_import(&scratch, path)?;
        scratch = scratch.with_text(text);
    }
    Some((line_edits(file_path, source.text(), scratch.text()), names))
}

/// The text without the import of `path` (None: not removable as laid out).
fn remove_import(source: &SourceText, path: &str) -> Option<String> {
    let src = source.text();
    let (tree, err) = crate::lang::Language::Go.parse(src);
    if err.is_some() {
        return None;
    }
    let root = tree.root_node();
    let mut c = root.walk();
    let decls: Vec<Node> = root
        .named_children(&mut c)
        .filter(|d| d.kind() == "import_declaration")
        .collect();
    for decl in decls {
        let all = specs(decl);
        let Some(spec) = all.iter().find(|s| {
            s.child_by_field_name("path")
                .is_some_and(|p| unquote(text(p, src)) == path)
        }) else {
            continue;
        };
        if spec
            .child_by_field_name("name")
            .is_some_and(|n| n.kind() != "package_identifier")
        {
            return None; // `_` and `.` imports are kept for their effects
        }
        let (start, end) = if all.len() == 1 {
            (decl.start_byte(), decl.end_byte())
        } else {
            (spec.start_byte(), spec.end_byte())
        };
        let lines = full_lines(source, start..end)?;
        let mut out = String::with_capacity(src.len());
        out.push_str(&src[..lines.start]);
        out.push_str(&src[lines.end..]);
        return Some(tidy_blank_lines(&out, lines.start));
    }
    None
}

/// After removing lines at `at`: no two blank lines in a row there, and no
/// blank line left just inside an import block's parentheses.
fn tidy_blank_lines(text: &str, at: usize) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut offset = 0;
    let mut idx = lines.len();
    for (i, l) in lines.iter().enumerate() {
        if offset >= at {
            idx = i;
            break;
        }
        offset += l.len();
    }
    let blank = |i: usize| lines.get(i).is_some_and(|l| l.trim().is_empty());
    let mut drop: Option<usize> = None;
    if idx > 0 && blank(idx - 1) && (idx == lines.len() || blank(idx)) {
        drop = Some(if idx < lines.len() { idx } else { idx - 1 });
    } else if blank(idx) && idx > 0 && lines[idx - 1].trim_end().ends_with('(') {
        drop = Some(idx);
    } else if idx > 0 && blank(idx - 1) && lines.get(idx).is_some_and(|l| l.trim() == ")") {
        drop = Some(idx - 1);
    }
    let mut out = String::with_capacity(text.len());
    for (i, l) in lines.iter().enumerate() {
        if Some(i) != drop {
            out.push_str(l);
        }
    }
    out
}

/// Line-level edits turning `old` into `new`.
pub fn line_edits(file_path: &Arc<Path>, old: &str, new: &str) -> Vec<Edit> {
    use similar::{DiffOp, TextDiff};
    let diff = TextDiff::from_lines(old, new);
    let old_starts = line_offsets(old);
    let new_starts = line_offsets(new);
    let mut edits = Vec::new();
    for op in diff.ops() {
        let (o, ol, n, nl) = match *op {
            DiffOp::Equal { .. } => continue,
            DiffOp::Delete {
                old_index,
                old_len,
                new_index,
            } => (old_index, old_len, new_index, 0),
            DiffOp::Insert {
                old_index,
                new_index,
                new_len,
            } => (old_index, 0, new_index, new_len),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => (old_index, old_len, new_index, new_len),
        };
        let range = old_starts[o]..old_starts[o + ol];
        let content = &new[new_starts[n]..new_starts[n + nl]];
        edits.push(Edit::replacement(file_path.clone(), range, content));
    }
    edits
}

/// Byte offsets of line starts, plus the end of the text.
fn line_offsets(s: &str) -> Vec<usize> {
    let mut v = vec![0];
    let mut acc = 0;
    for l in s.split_inclusive('\n') {
        acc += l.len();
        v.push(acc);
    }
    if v.len() == 1 {
        v.push(0);
    }
    v
}

/// The whole lines holding `range`, when nothing else shares them (a
/// trailing `//` comment may): from the start of the first line to the
/// start of the line after the last.
pub fn full_lines(
    source: &SourceText,
    range: std::ops::Range<usize>,
) -> Option<std::ops::Range<usize>> {
    let src = source.text();
    let first = source.line_index(range.start);
    let start = source.line_range(first).start;
    if !src[start..range.start].trim().is_empty() {
        return None;
    }
    let last = source.line_index(range.end.max(range.start + 1) - 1);
    let line = source.line_range(last);
    let rest = src[range.end.min(line.end)..line.end].trim();
    if !(rest.is_empty() || rest.starts_with("//")) {
        return None;
    }
    let end = source.next_line_start(line.start).unwrap_or(src.len());
    Some(start..end)
}

/// Extends whole lines upwards over the `//` comment lines right above
/// them (a comment about a statement goes with it).
pub fn with_comments_above(
    source: &SourceText,
    lines: std::ops::Range<usize>,
) -> std::ops::Range<usize> {
    let mut start = lines.start;
    let mut line = source.line_index(start);
    while line > 0 {
        let prev = source.line_text(line - 1).trim();
        if !prev.starts_with("//") || prev.starts_with("//go:") || prev.contains("leakfix:ignore") {
            break;
        }
        line -= 1;
        start = source.line_range(line).start;
    }
    start..lines.end
}

/// A deletion of whole lines that leaves the file gofmt-clean: when the
/// lines sit between two blank lines (or between a blank line and the end
/// of a block), one of those blank lines goes too.
pub fn delete_lines(
    file_path: &Arc<Path>,
    source: &SourceText,
    lines: std::ops::Range<usize>,
) -> Edit {
    let src = source.text();
    let first = source.line_index(lines.start);
    let prev_blank = first > 0 && source.line_text(first - 1).trim().is_empty();
    let prev_opens = first > 0 && source.line_text(first - 1).trim_end().ends_with('{');
    let mut range = lines.clone();
    if lines.end < src.len() {
        let next = source.line_index(lines.end);
        let next_text = source.line_text(next).trim();
        if next_text.is_empty() && (prev_blank || prev_opens) {
            range.end = source.next_line_start(lines.end).unwrap_or(src.len());
        } else if prev_blank && next_text.starts_with('}') {
            range.start = source.line_range(first - 1).start;
        }
    }
    Edit::deletion(file_path.clone(), range)
}

/// Re-indents the lines after the first of `text` from `from` to `to`
/// (None when a line does not start with `from`, as inside a raw string).
pub fn reindent(text: &str, from: &str, to: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if i == 0 || line.trim().is_empty() {
            out.push_str(if i > 0 && line.ends_with("\r\n") {
                "\r\n"
            } else if i > 0 && line.ends_with('\n') {
                "\n"
            } else {
                line
            });
            continue;
        }
        out.push_str(to);
        out.push_str(line.strip_prefix(from)?);
    }
    Some(out)
}

/// The text of `node` with some nodes replaced: `subst` returns the
/// replacement for a node, or None to keep it (its children are then
/// visited). Whitespace and comments between children are kept.
pub fn render(node: Node, src: &str, subst: &mut dyn FnMut(Node) -> Option<String>) -> String {
    if let Some(s) = subst(node) {
        return s;
    }
    if node.child_count() == 0 {
        return text(node, src).to_string();
    }
    let mut out = String::new();
    let mut last = node.start_byte();
    let mut c = node.walk();
    for child in node.children(&mut c) {
        out.push_str(&src[last..child.start_byte()]);
        out.push_str(&render(child, src, subst));
        last = child.end_byte();
    }
    out.push_str(&src[last..node.end_byte()]);
    out
}

/// Like `render`, but as a canonical token string (layout and comments
/// dropped): equal for two expressions that differ only in formatting.
pub fn tokens(node: Node, src: &str, subst: &mut dyn FnMut(Node) -> Option<String>) -> String {
    let mut out = Vec::new();
    collect_tokens(node, src, subst, &mut out);
    out.join(" ")
}

fn collect_tokens(
    node: Node,
    src: &str,
    subst: &mut dyn FnMut(Node) -> Option<String>,
    out: &mut Vec<String>,
) {
    if node.kind() == "comment" {
        return;
    }
    if let Some(s) = subst(node) {
        out.push(s);
        return;
    }
    if node.child_count() == 0 {
        out.push(text(node, src).to_string());
        return;
    }
    let mut c = node.walk();
    for child in node.children(&mut c) {
        collect_tokens(child, src, subst, out);
    }
}

/// Puts `item` first in a parameter or argument list (`(a, b)` ->
/// `(item, a, b)`), the way gofmt lays it out: on the same line when the
/// list starts there, on a line of its own when the list is one per line.
/// `list` is a `parameter_list` or `argument_list`.
pub fn insert_first(
    file_path: &Arc<Path>,
    source: &SourceText,
    list: Node,
    item: &str,
) -> Option<Edit> {
    let src = source.text();
    if !text(list, src).starts_with('(') {
        return None;
    }
    let open = list.start_byte();
    let mut c = list.walk();
    let first = list.named_children(&mut c).find(|n| n.kind() != "comment");
    let Some(first) = first else {
        // `()`, or only comments inside: nothing to separate from.
        let inner = &src[open + 1..list.end_byte() - 1];
        if !inner.trim().is_empty() {
            return None;
        }
        return Some(Edit::insertion(file_path.clone(), open + 1, item));
    };
    let same_line = source.line_index(open) == source.line_index(first.start_byte());
    if same_line {
        return Some(Edit::insertion(
            file_path.clone(),
            first.start_byte(),
            format!("{item}, "),
        ));
    }
    let indent = source.indent_at(first.start_byte());
    if src[source
        .line_range(source.line_index(first.start_byte()))
        .start..first.start_byte()]
        .trim()
        != ""
    {
        return None;
    }
    Some(Edit::insertion(
        file_path.clone(),
        first.start_byte(),
        format!("{item},{}{indent}", source.newline()),
    ))
}

/// The start of the line after `offset`'s, when the rest of that line is
/// empty or a comment.
pub fn line_after(source: &SourceText, offset: usize) -> Option<usize> {
    let src = source.text();
    let line = source.line_index(offset);
    let end = source.line_range(line).end;
    let rest = src[offset.min(end)..end].trim();
    if !(rest.is_empty() || rest.starts_with("//")) {
        return None;
    }
    source.next_line_start(offset)
}

/// A send on lines of its own (`out <- v`) becomes a select that also
/// leaves when `done` is ready (a `<-ctx.Done()` or `<-done` receive):
///
/// `select { case out <- v: case <-ctx.Done(): return }`, laid out as
/// gofmt does, one case per line at the send's indentation (a send over
/// several lines keeps its continuation lines, already where gofmt puts
/// them under the `case`). `before_return` are statements run before that
/// `return` (`close(out)`); a send followed by `return`, or the last
/// statement of its function, leaves anyway, and then the case needs
/// nothing. A trailing comment stays on the send's
/// last line. None when the send shares a line with other code.
pub fn send_or_return(
    file_path: &Arc<Path>,
    source: &SourceText,
    send: Node,
    done: &str,
    before_return: &[String],
) -> Option<Edit> {
    let src = source.text();
    let first = source.line_range(source.line_index(send.start_byte()));
    let last = source.line_range(source.line_index(send.end_byte()));
    let rest = src[send.end_byte()..last.end].trim_end_matches(['\r', '\n']);
    if !src[first.start..send.start_byte()].trim().is_empty()
        || !(rest.trim().is_empty() || rest.trim_start().starts_with("//"))
    {
        return None;
    }
    // A trailing comment about the send stays on the send's line.
    let (end, comment) = match rest.trim() {
        "" => (send.end_byte(), String::new()),
        c => (send.end_byte() + rest.len(), format!(" {c}")),
    };
    let ind = source.indent_at(send.start_byte());
    let nl = source.newline();
    // A send the code already follows with `return` needs none of its own.
    let mut next = send.next_named_sibling();
    while let Some(n) = next.filter(|n| n.kind() == "comment") {
        next = n.next_named_sibling();
    }
    // The last statement of a function's body leaves it next, as a
    // `return` would.
    let last_of_func = next.is_none()
        && send
            .parent()
            .and_then(|l| {
                if l.kind() == "statement_list" {
                    l.parent()
                } else {
                    Some(l)
                }
            })
            .filter(|b| b.kind() == "block")
            .and_then(|b| b.parent())
            .is_some_and(|f| {
                matches!(
                    f.kind(),
                    "func_literal" | "function_declaration" | "method_declaration"
                )
            });
    let then_returns = last_of_func || next.is_some_and(|n| n.kind() == "return_statement");
    let leave = if then_returns && before_return.is_empty() {
        String::new()
    } else {
        before_return
            .iter()
            .map(String::as_str)
            .chain(["return"])
            .map(|s| format!("{ind}\t{s}{nl}"))
            .collect()
    };
    Some(Edit::replacement(
        file_path.clone(),
        send.start_byte()..end,
        format!(
            "select {{{nl}{ind}case {}:{comment}{nl}{ind}case {done}:{nl}{leave}{ind}}}",
            text(send, src)
        ),
    ))
}

/// Deletes a statement that has its lines to itself, with its line break.
/// When that would leave two blank lines together, or a blank line right
/// after an opening brace, the blank line after it goes too (gofmt's layout).
pub fn delete_statement(file_path: &Arc<Path>, source: &SourceText, stmt: Node) -> Option<Edit> {
    let src = source.text();
    let first = source.line_index(stmt.start_byte());
    let last = source.line_index(stmt.end_byte());
    let first_range = source.line_range(first);
    let last_range = source.line_range(last);
    let rest = src[stmt.end_byte()..last_range.end].trim();
    // A trailing `// comment` is about the statement: it goes with it.
    if !src[first_range.start..stmt.start_byte()].trim().is_empty()
        || !(rest.is_empty() || rest.starts_with("//"))
    {
        return None;
    }
    let start = first_range.start;
    let mut end = source.next_line_start(stmt.end_byte()).unwrap_or(src.len());
    let before_blank_or_open = first == 0 || {
        let prev = source.line_text(first - 1).trim_end();
        prev.trim().is_empty() || prev.ends_with('{')
    };
    if before_blank_or_open
        && last + 1 < source.line_count()
        && source.line_text(last + 1).trim().is_empty()
    {
        end = source.next_line_start(end).unwrap_or(src.len());
    }
    Some(Edit::deletion(file_path.clone(), start..end))
}

/// Extra edits that keep trailing `// comments` lined up the way gofmt lines
/// them up, on the lines `edits` touch. gofmt aligns the comments of
/// consecutive lines that have the same indentation (one space after the
/// longest code); an edit that makes one of them longer or shorter, or
/// removes one, moves that column. Lines the edits do not touch are left
/// as they are, aligned or not.
pub fn realign_trailing_comments(
    file_path: &Arc<Path>,
    source: &SourceText,
    edits: &[Edit],
) -> Vec<Edit> {
    let src = source.text();
    let mut mine: Vec<&Edit> = edits.iter().filter(|e| e.path() == file_path).collect();
    mine.sort_by_key(|e| (e.start(), e.end()));
    mine.dedup();
    if mine.is_empty() {
        return Vec::new();
    }
    let new = crate::apply::splice(src, mine.clone());
    // Where each edit lands in the new text: (new start, new end, old start, old end).
    let mut spans = Vec::new();
    let mut delta: isize = 0;
    for e in &mine {
        let start = (e.start() as isize + delta) as usize;
        spans.push((start, start + e.content().len(), e.start(), e.end()));
        delta += e.content().len() as isize - (e.end() - e.start()) as isize;
    }
    // A new-text offset outside inserted text, back in the old text.
    let to_old = |o: usize| -> Option<usize> {
        let mut shift: isize = 0;
        for &(ns, ne, _, oe) in &spans {
            if o < ns {
                break;
            }
            if o < ne {
                return None;
            }
            shift = oe as isize - ne as isize;
        }
        Some((o as isize + shift) as usize)
    };
    let starts: Vec<usize> = std::iter::once(0)
        .chain(new.match_indices('\n').map(|(i, _)| i + 1))
        .filter(|&i| i <= new.len())
        .collect();
    let line_of = |o: usize| starts.partition_point(|&s| s <= o).saturating_sub(1);
    let mut touched = std::collections::HashSet::new();
    for &(ns, ne, _, _) in &spans {
        let (a, b) = (line_of(ns), line_of(ne));
        touched.extend(a.saturating_sub(1)..=b);
    }

    struct Line {
        indent: String,
        width: usize,
        /// New-text range of the spaces between the code and the comment.
        pad: Range<usize>,
        closes: bool,
    }
    let lines: Vec<Option<Line>> = starts
        .iter()
        .enumerate()
        .map(|(i, &start)| {
            let end = starts.get(i + 1).map(|e| e - 1).unwrap_or(new.len());
            let text = new[start..end].trim_end_matches('\r');
            let body = text.trim_start_matches([' ', '\t']);
            let indent = &text[..text.len() - body.len()];
            let at = trailing_comment(body)?;
            let code = body[..at].trim_end();
            if code.is_empty() || code.contains('\t') {
                return None;
            }
            let code_end = start + indent.len() + code.len();
            Some(Line {
                indent: indent.to_string(),
                width: code.chars().count(),
                pad: code_end..start + indent.len() + at,
                closes: code.starts_with(['}', ')', ']']),
            })
        })
        .collect();

    // Runs of consecutive commented lines with one indentation; a line that
    // closes a multi-line construct stands alone, as in gofmt.
    let mut runs: Vec<Vec<usize>> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let Some(l) = l else { continue };
        let joins = !l.closes
            && runs.last().is_some_and(|r| {
                let last = *r.last().unwrap();
                last + 1 == i
                    && lines[last]
                        .as_ref()
                        .is_some_and(|p| p.indent == l.indent && !p.closes)
            });
        if joins {
            runs.last_mut().unwrap().push(i);
        } else {
            runs.push(vec![i]);
        }
    }
    let mut out = Vec::new();
    for run in runs
        .iter()
        .filter(|r| r.iter().any(|i| touched.contains(i)))
    {
        let col = run
            .iter()
            .map(|&i| lines[i].as_ref().unwrap().width)
            .max()
            .unwrap_or(0)
            + 1;
        for &i in run {
            let l = lines[i].as_ref().unwrap();
            let want = " ".repeat(col - l.width);
            if new[l.pad.clone()] == want {
                continue;
            }
            if let (Some(a), Some(b)) = (to_old(l.pad.start), to_old(l.pad.end))
                && a <= b
                && src[a..b].chars().all(|c| c == ' ' || c == '\t')
            {
                out.push(Edit::replacement(file_path.clone(), a..b, want));
            }
        }
    }
    out
}

/// `fix` plus the edits that keep trailing comments aligned in every Go file
/// it touches (`realign_trailing_comments`); `load` gives a file's text as
/// the fix's edits expect it.
pub fn with_aligned_comments(
    fix: crate::fix::Fix,
    load: impl Fn(&Arc<Path>) -> Option<SourceText>,
) -> crate::fix::Fix {
    let mut extra = Vec::new();
    for path in fix.paths() {
        if path.extension().is_none_or(|x| x != "go") {
            continue;
        }
        if let Some(source) = load(path) {
            extra.extend(realign_trailing_comments(path, &source, fix.edits()));
        }
    }
    if extra.is_empty() {
        fix
    } else {
        fix.with_edits(extra)
    }
}

/// Where a line's trailing `//` comment starts (outside string and rune
/// literals), if it has one; a raw string makes the line unreadable here.
fn trailing_comment(body: &str) -> Option<usize> {
    let bytes = body.as_bytes();
    let mut i = 0;
    let mut quote: Option<u8> = None;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) => {
                if b == b'\\' {
                    i += 1;
                } else if b == q {
                    quote = None;
                }
            }
            None => match b {
                b'"' | b'\'' => quote = Some(b),
                b'`' => return None,
                b'/' if bytes.get(i + 1) == Some(&b'/') => return Some(i),
                b'/' if bytes.get(i + 1) == Some(&b'*') => return None,
                _ => {}
            },
        }
        i += 1;
    }
    None
}

fn specs(decl: Node) -> Vec<Node> {
    let mut out = Vec::new();
    let mut stack = vec![decl];
    while let Some(n) = stack.pop() {
        if n.kind() == "import_spec" {
            out.push(n);
        } else {
            let mut c = n.walk();
            stack.extend(n.named_children(&mut c));
        }
    }
    out.sort_by_key(|n| n.start_byte());
    out
}

fn has_comment_between(src: &str, source: &SourceText, from_row: usize, to_row: usize) -> bool {
    (from_row + 1..to_row).any(|r| {
        let range = source.line_range(r);
        src[range].trim_start().starts_with("//")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::Language;

    fn add(src: &str, path: &str, name: &str) -> Option<String> {
        let source = SourceText::new(src.to_string());
        let (tree, _) = Language::Go.parse(src);
        let p: Arc<Path> = Arc::from(Path::new("a.go"));
        match ensure_import(&p, &source, tree.root_node(), path, name) {
            ImportEdit::Add { edit, .. } => Some(crate::apply::splice(src, vec![&edit])),
            ImportEdit::Present(n) => Some(format!("present as {n}")),
            ImportEdit::Unavailable => None,
        }
    }

    fn first(src: &str, kind: &str, nth: usize, item: &str) -> Option<String> {
        let source = SourceText::new(src.to_string());
        let (tree, _) = Language::Go.parse(src);
        let mut found = Vec::new();
        let mut stack = vec![tree.root_node()];
        while let Some(n) = stack.pop() {
            if n.kind() == kind {
                found.push(n);
            }
            let mut c = n.walk();
            stack.extend(n.named_children(&mut c));
        }
        found.sort_by_key(|n| n.start_byte());
        let p: Arc<Path> = Arc::from(Path::new("a.go"));
        let edit = insert_first(&p, &source, found[nth], item)?;
        Some(crate::apply::splice(src, vec![&edit]))
    }

    #[test]
    fn first_parameters_and_arguments() {
        assert_eq!(
            first(
                "package a\n\nfunc f() {}\n",
                "parameter_list",
                0,
                "ctx context.Context"
            )
            .unwrap(),
            "package a\n\nfunc f(ctx context.Context) {}\n"
        );
        assert_eq!(
            first(
                "package a\n\nfunc f(a, b int) {}\n",
                "parameter_list",
                0,
                "ctx context.Context"
            )
            .unwrap(),
            "package a\n\nfunc f(ctx context.Context, a, b int) {}\n"
        );
        assert_eq!(
            first(
                "package a\n\nfunc f() {\n\tg(\n\t\t1,\n\t\t2,\n\t)\n}\n",
                "argument_list",
                0,
                "ctx"
            )
            .unwrap(),
            "package a\n\nfunc f() {\n\tg(\n\t\tctx,\n\t\t1,\n\t\t2,\n\t)\n}\n"
        );
        assert_eq!(
            first(
                "package a\n\nfunc f() {\n\tg()\n}\n",
                "argument_list",
                0,
                "ctx"
            )
            .unwrap(),
            "package a\n\nfunc f() {\n\tg(ctx)\n}\n"
        );
    }

    #[test]
    fn statements_are_deleted_with_their_line() {
        let del = |src: &str| {
            let source = SourceText::new(src.to_string());
            let (tree, _) = Language::Go.parse(src);
            let mut stack = vec![tree.root_node()];
            let mut stmt = None;
            while let Some(n) = stack.pop() {
                if n.kind() == "short_var_declaration" {
                    stmt = Some(n);
                    break;
                }
                let mut c = n.walk();
                stack.extend(n.named_children(&mut c));
            }
            let p: Arc<Path> = Arc::from(Path::new("a.go"));
            let edit = delete_statement(&p, &source, stmt.unwrap())?;
            Some(crate::apply::splice(src, vec![&edit]))
        };
        assert_eq!(
            del("package a\n\nfunc f() {\n\tx := 1\n\tg()\n}\n").unwrap(),
            "package a\n\nfunc f() {\n\tg()\n}\n"
        );
        assert_eq!(
            del("package a\n\nfunc f() {\n\tx := 1\n\n\tg()\n}\n").unwrap(),
            "package a\n\nfunc f() {\n\tg()\n}\n"
        );
        assert_eq!(
            del("package a\n\nfunc f() {\n\tg()\n\n\tx := 1\n\n\th()\n}\n").unwrap(),
            "package a\n\nfunc f() {\n\tg()\n\n\th()\n}\n"
        );
        assert_eq!(del("package a\n\nfunc f() {\n\tx := 1; g()\n}\n"), None);
        assert_eq!(
            del("package a\n\nfunc f() {\n\tx := 1 // one\n\tg()\n}\n").unwrap(),
            "package a\n\nfunc f() {\n\tg()\n}\n"
        );
    }

    fn realigned(src: &str, edits: Vec<Edit>) -> String {
        let source = SourceText::new(src.to_string());
        let p: Arc<Path> = Arc::from(Path::new("a.go"));
        let mut all = edits.clone();
        all.extend(realign_trailing_comments(&p, &source, &edits));
        crate::apply::splice(src, all.iter().collect())
    }

    #[test]
    fn trailing_comments_stay_aligned() {
        let p: Arc<Path> = Arc::from(Path::new("a.go"));
        // Deleting the widest line of a run.
        let src = "package a\n\nfunc f() {\n\tctx := context.Background() // shared\n\tgo g()                      // leak\n\tx := 1                      // x\n}\n";
        let at = src.find("\tctx").unwrap();
        let end = src.find("\tgo").unwrap();
        assert_eq!(
            realigned(src, vec![Edit::deletion(p.clone(), at..end)]),
            "package a\n\nfunc f() {\n\tgo g() // leak\n\tx := 1 // x\n}\n"
        );
        // Making one line longer.
        let src = "package a\n\nfunc f() {\n\twatch(a) // one\n\tx := 12 // two\n\ty := \"//\" // three\n}\n";
        let at = src.find("watch(").unwrap() + 6;
        assert_eq!(
            realigned(src, vec![Edit::insertion(p.clone(), at, "ctx, ")]),
            "package a\n\nfunc f() {\n\twatch(ctx, a) // one\n\tx := 12       // two\n\ty := \"//\"     // three\n}\n"
        );
        // A different indentation and a closing line are runs of their own.
        let src =
            "package a\n\nfunc f() {\n\tx := 1 // a\n\tif x > 0 { // b\n\t\tg(x) // c\n\t}\n}\n";
        let at = src.find("g(x)").unwrap() + 2;
        assert_eq!(
            realigned(src, vec![Edit::insertion(p.clone(), at, "ctx, ")]),
            "package a\n\nfunc f() {\n\tx := 1     // a\n\tif x > 0 { // b\n\t\tg(ctx, x) // c\n\t}\n}\n"
        );
    }

    /// What the realignment writes, gofmt leaves alone.
    #[test]
    fn realigned_comments_are_gofmt_clean() {
        let Ok(_) = std::process::Command::new("gofmt").arg("-h").output() else {
            if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
                panic!("gofmt is required in CI");
            }
            eprintln!("SKIPPED: gofmt not on PATH");
            return;
        };
        let p: Arc<Path> = Arc::from(Path::new("a.go"));
        let src = "package a\n\nfunc g(xs ...int) {}\n\nfunc f() {\n\tx := 1     // a\n\tif x > 0 { // b\n\t\tg(x)    // c\n\t\tg(1, 2) // d\n\t}\n\tw := 123456789 // wide\n\ty := \"//\"      // e\n\tz := 'x'       // f\n\t_, _ = y, z\n}\n";
        let line = |needle: &str| {
            let start = src.find(needle).unwrap();
            start..start + src[start..].find('\n').unwrap() + 1
        };
        for edit in [
            Edit::insertion(p.clone(), src.find("g(x)").unwrap() + 2, "3, "),
            Edit::insertion(p.clone(), src.find("g(1, 2)").unwrap() + 2, "4, 5, 6, "),
            Edit::deletion(p.clone(), line("\tw := ")),
            Edit::insertion(p.clone(), src.find("\ty := ").unwrap(), "\tg()\n"),
        ] {
            let new = realigned(src, vec![edit]);
            let dir = tempfile::tempdir().unwrap();
            let f = dir.path().join("a.go");
            std::fs::write(&f, &new).unwrap();
            let out = std::process::Command::new("gofmt")
                .arg("-d")
                .arg(&f)
                .output()
                .unwrap();
            assert!(
                out.stdout.is_empty(),
                "not gofmt-clean:\n{new}\n{}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
    }

    #[test]
    fn into_the_std_group_sorted() {
        let src = "package a\n\nimport (\n\t\"context\"\n\t\"fmt\"\n\n\t\"cloud.google.com/go/storage\"\n)\n";
        assert_eq!(
            add(src, "sync", "sync").unwrap(),
            "package a\n\nimport (\n\t\"context\"\n\t\"fmt\"\n\t\"sync\"\n\n\t\"cloud.google.com/go/storage\"\n)\n"
        );
        assert_eq!(
            add(src, "errors", "errors").unwrap(),
            "package a\n\nimport (\n\t\"context\"\n\t\"errors\"\n\t\"fmt\"\n\n\t\"cloud.google.com/go/storage\"\n)\n"
        );
    }

    #[test]
    fn present_and_clashing() {
        let src = "package a\n\nimport (\n\tctx \"context\"\n\t\"sync\"\n)\n";
        assert_eq!(add(src, "context", "context").unwrap(), "present as ctx");
        assert_eq!(add(src, "sync", "sync").unwrap(), "present as sync");
        let clash = "package a\n\nimport (\n\tsync \"example.com/mysync\"\n)\n";
        assert_eq!(add(clash, "sync", "sync"), None);
    }

    #[test]
    fn single_import_becomes_a_block() {
        assert_eq!(
            add("package a\n\nimport \"fmt\"\n", "sync", "sync").unwrap(),
            "package a\n\nimport (\n\t\"fmt\"\n\t\"sync\"\n)\n"
        );
        assert_eq!(
            add(
                "package a\n\nimport \"cloud.google.com/go/storage\"\n",
                "sync",
                "sync"
            )
            .unwrap(),
            "package a\n\nimport (\n\t\"sync\"\n\n\t\"cloud.google.com/go/storage\"\n)\n"
        );
    }

    #[test]
    fn no_imports_yet() {
        assert_eq!(
            add("package a\n\nfunc f() {}\n", "sync", "sync").unwrap(),
            "package a\n\nimport \"sync\"\n\nfunc f() {}\n"
        );
    }

    #[test]
    fn no_std_group() {
        let src = "package a\n\nimport (\n\t\"cloud.google.com/go/storage\"\n)\n";
        assert_eq!(
            add(src, "sync", "sync").unwrap(),
            "package a\n\nimport (\n\t\"sync\"\n\n\t\"cloud.google.com/go/storage\"\n)\n"
        );
    }

    /// Whatever the helper writes, gofmt leaves alone.
    #[test]
    fn output_is_gofmt_clean() {
        let Ok(_) = std::process::Command::new("gofmt").arg("-h").output() else {
            if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
                panic!("gofmt is required in CI");
            }
            eprintln!("SKIPPED: gofmt not on PATH");
            return;
        };
        for (src, path) in [
            (
                "package a\n\nimport (\n\t\"context\"\n\t\"fmt\"\n\n\t\"cloud.google.com/go/storage\"\n)\n",
                "sync",
            ),
            ("package a\n\nimport \"fmt\"\n", "sync"),
            (
                "package a\n\nimport \"cloud.google.com/go/storage\"\n",
                "context",
            ),
            ("package a\n\nfunc f() {}\n", "sync"),
            (
                "package a\n\nimport (\n\t\"cloud.google.com/go/storage\"\n)\n",
                "sync",
            ),
        ] {
            let new = add(src, path, path).unwrap();
            let dir = tempfile::tempdir().unwrap();
            let f = dir.path().join("a.go");
            std::fs::write(&f, &new).unwrap();
            let out = std::process::Command::new("gofmt")
                .arg("-l")
                .arg(&f)
                .output()
                .unwrap();
            assert!(out.stdout.is_empty(), "not gofmt-clean:\n{new}");
        }
    }

    fn edit_imports(src: &str, add: &[(&str, &str)], remove: &[&str]) -> Option<String> {
        let source = SourceText::new(src.to_string());
        let p: Arc<Path> = Arc::from(Path::new("a.go"));
        let (edits, _) = import_edits(&p, &source, add, remove)?;
        Some(crate::apply::splice(src, edits.iter().collect()))
    }

    #[test]
    fn imports_added_and_removed_together() {
        let src = "package a\n\nimport (\n\t\"context\"\n\t\"fmt\"\n\n\t\"cloud.google.com/go/firestore\"\n\t\"cloud.google.com/go/storage\"\n)\n";
        assert_eq!(
            edit_imports(
                src,
                &[("sync", "sync"), ("sync/atomic", "atomic")],
                &["cloud.google.com/go/storage"]
            )
            .unwrap(),
            "package a\n\nimport (\n\t\"context\"\n\t\"fmt\"\n\t\"sync\"\n\t\"sync/atomic\"\n\n\t\"cloud.google.com/go/firestore\"\n)\n"
        );
    }

    #[test]
    fn a_group_left_empty_loses_its_blank_line() {
        let src = "package a\n\nimport (\n\t\"fmt\"\n\n\t\"cloud.google.com/go/firestore\"\n)\n\nvar x = 1\n";
        assert_eq!(
            edit_imports(src, &[], &["cloud.google.com/go/firestore"]).unwrap(),
            "package a\n\nimport (\n\t\"fmt\"\n)\n\nvar x = 1\n"
        );
        let first =
            "package a\n\nimport (\n\t\"context\"\n\n\t\"cloud.google.com/go/firestore\"\n)\n";
        assert_eq!(
            edit_imports(first, &[], &["context"]).unwrap(),
            "package a\n\nimport (\n\t\"cloud.google.com/go/firestore\"\n)\n"
        );
        let middle =
            "package a\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/x\"\n\n\t\"example.com/y\"\n)\n";
        assert_eq!(
            edit_imports(middle, &[], &["example.com/x"]).unwrap(),
            "package a\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/y\"\n)\n"
        );
    }

    #[test]
    fn the_last_import_takes_its_declaration_along() {
        assert_eq!(
            edit_imports("package a\n\nimport \"fmt\"\n\nvar x = 1\n", &[], &["fmt"]).unwrap(),
            "package a\n\nvar x = 1\n"
        );
        assert_eq!(
            edit_imports(
                "package a\n\nimport (\n\t\"fmt\"\n)\n\nvar x = 1\n",
                &[],
                &["fmt"]
            )
            .unwrap(),
            "package a\n\nvar x = 1\n"
        );
        // `_` imports stay: they are there for their effects.
        assert!(edit_imports("package a\n\nimport _ \"embed\"\n", &[], &["embed"]).is_none());
    }

    #[test]
    fn deleting_lines_keeps_one_blank_line() {
        let p: Arc<Path> = Arc::from(Path::new("a.go"));
        let src = "func f() {\n\ta()\n\n\tdefer c.Close()\n\n\tb()\n}\n";
        let source = SourceText::new(src.to_string());
        let at = src.find("defer").unwrap();
        let lines = full_lines(&source, at..at + 15).unwrap();
        let e = delete_lines(&p, &source, lines);
        assert_eq!(
            crate::apply::splice(src, vec![&e]),
            "func f() {\n\ta()\n\n\tb()\n}\n"
        );
        let tail = "func f() {\n\ta()\n\n\tdefer c.Close()\n}\n";
        let source = SourceText::new(tail.to_string());
        let at = tail.find("defer").unwrap();
        let e = delete_lines(&p, &source, full_lines(&source, at..at + 15).unwrap());
        assert_eq!(
            crate::apply::splice(tail, vec![&e]),
            "func f() {\n\ta()\n}\n"
        );
        // Code sharing the line: not whole lines.
        let shared = "func f() { defer c.Close() }\n";
        let source = SourceText::new(shared.to_string());
        assert!(full_lines(&source, 11..26).is_none());
    }

    #[test]
    fn comments_above_go_with_their_statement() {
        let src = "func f() {\n\ta()\n\t// Close when done.\n\tdefer c.Close()\n}\n";
        let source = SourceText::new(src.to_string());
        let at = src.find("defer").unwrap();
        let lines = with_comments_above(&source, full_lines(&source, at..at + 15).unwrap());
        assert_eq!(&src[lines], "\t// Close when done.\n\tdefer c.Close()\n");
    }

    #[test]
    fn reindenting() {
        assert_eq!(
            reindent("f(&O{\n\t\t\tA: 1,\n\n\t\t})", "\t\t", "\t").unwrap(),
            "f(&O{\n\t\tA: 1,\n\n\t})"
        );
        assert!(reindent("f(`\nraw`)", "\t", "").is_none());
    }

    #[test]
    fn rendering_with_substitutions_and_tokens() {
        let src = "package a\n\nvar x = f(ctx,  a+b) // c\n";
        let (tree, _) = Language::Go.parse(src);
        let at = src.find("f(").unwrap();
        let call = tree
            .root_node()
            .descendant_for_byte_range(at, at + 1)
            .unwrap()
            .parent()
            .unwrap();
        assert_eq!(call.kind(), "call_expression");
        let out = render(call, src, &mut |n| {
            (text(n, src) == "ctx").then(|| "context.Background()".to_string())
        });
        assert_eq!(out, "f(context.Background(),  a+b)");
        assert_eq!(tokens(call, src, &mut |_| None), "f ( ctx , a + b )");
    }

    /// What the import helpers write, gofmt leaves alone.
    #[test]
    fn import_edits_are_gofmt_clean() {
        if std::process::Command::new("gofmt")
            .arg("-h")
            .output()
            .is_err()
        {
            if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
                panic!("gofmt is required in CI");
            }
            eprintln!("SKIPPED: gofmt not on PATH");
            return;
        }
        type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a [&'a str]);
        let cases: [Case; 4] = [
            (
                "package a\n\nimport (\n\t\"fmt\"\n\n\t\"cloud.google.com/go/firestore\"\n)\n\nvar _ = fmt.Sprint\n",
                &[("sync", "sync")],
                &["cloud.google.com/go/firestore"],
            ),
            (
                "package a\n\nimport \"cloud.google.com/go/firestore\"\n\nvar _ = firestore.X\n",
                &[("sync", "sync"), ("context", "context")],
                &[],
            ),
            (
                "package a\n\nimport (\n\t\"context\"\n\n\t\"example.com/x\"\n\n\t\"example.com/y\"\n)\n",
                &[],
                &["example.com/x", "context"],
            ),
            (
                "package a\n\nfunc f() {}\n",
                &[("sync", "sync"), ("sync/atomic", "atomic")],
                &[],
            ),
        ];
        for (src, add, remove) in cases {
            let new = edit_imports(src, add, remove).unwrap();
            let dir = tempfile::tempdir().unwrap();
            let f = dir.path().join("a.go");
            std::fs::write(&f, &new).unwrap();
            let out = std::process::Command::new("gofmt")
                .arg("-l")
                .arg(&f)
                .output()
                .unwrap();
            assert!(out.stdout.is_empty(), "not gofmt-clean:\n{new}");
        }
    }
}
