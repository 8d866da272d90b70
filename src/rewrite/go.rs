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
        for &(ns, ne, os, oe) in &spans {
            if o < ns {
                break;
            }
            if o < ne {
                return None;
            }
            shift = oe as isize - ne as isize;
            let _ = os;
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
        let Ok(out) = std::process::Command::new("gofmt").arg("-h").output() else {
            if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
                panic!("gofmt is required in CI");
            }
            eprintln!("SKIPPED: gofmt not on PATH");
            return;
        };
        let _ = out;
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
}
