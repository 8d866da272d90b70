//! Imports: adding and removing them the way gofmt groups them.

use std::path::Path;
use std::sync::Arc;

use tree_sitter::Node;

use crate::fix::Edit;
use crate::lang::go::unquote;
use crate::lang::text;
use crate::source::SourceText;

use super::lines::{full_lines, line_edits};

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
