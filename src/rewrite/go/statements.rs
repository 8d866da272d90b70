//! Inserting and deleting statements in a block.

use std::path::Path;
use std::sync::Arc;

use tree_sitter::Node;

use crate::fix::Edit;
use crate::lang::text;
use crate::source::SourceText;

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
