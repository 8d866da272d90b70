//! The edits that make a loop return when a context is done, shared by the
//! goroutine rules: a check of `ctx.Err()` at the top of each iteration (a
//! receive that fails at once after cancellation cannot spin), a `case
//! <-ctx.Done(): return` in each select that would otherwise wait forever,
//! and each plain send turned into a select that also returns.

use tree_sitter::Node;

use crate::analysis::go::GoFile;
use crate::analysis::go::loops::{blocking_selects, blocking_sends, unstoppable_wait};
use crate::fix::Edit;
use crate::lang::go::block_statements;
use crate::rewrite::go::{line_after, send_or_return};

/// The edits for one loop `lp` of `file`, returning when `ctx` (an
/// expression naming a context there: `ctx`, `r.Context()`) is done.
pub(super) fn loop_exits(file: &GoFile, lp: Node, ctx: &str) -> Result<Vec<Edit>, String> {
    let source = &file.parsed.source;
    let src = file.text();
    let path = file.parsed.path.clone();
    let nl = source.newline();
    let mut edits = Vec::new();
    let body = lp
        .child_by_field_name("body")
        .ok_or("a loop without a body")?;
    if let Some(wait) = unstoppable_wait(body, src) {
        return Err(format!(
            "the loop waits on `{wait}`, which the context cannot interrupt"
        ));
    }
    let first = block_statements(body)
        .into_iter()
        .next()
        .ok_or("the loop is empty")?;
    let indent = source.indent_at(first.start_byte());
    let at = line_after(source, body.start_byte() + 1)
        .ok_or("the loop's body starts on the line of other code")?;
    if source.line_index(first.start_byte()) == source.line_index(body.start_byte()) {
        return Err("the loop is written on one line".into());
    }
    edits.push(Edit::insertion(
        path.clone(),
        at,
        format!("{indent}if {ctx}.Err() != nil {{{nl}{indent}\treturn{nl}{indent}}}{nl}"),
    ));
    for send in blocking_sends(body) {
        // `out <- v` becomes a select that also returns when the context is done.
        edits.push(
            send_or_return(&path, source, send, &format!("<-{ctx}.Done()"), &[])
                .ok_or("a send in the loop shares its line with other code")?,
        );
    }
    for sel in blocking_selects(body) {
        let mut c = sel.walk();
        let first_case = sel
            .named_children(&mut c)
            .find(|n| n.kind() == "communication_case")
            .ok_or("an empty select")?;
        let case_indent = source.indent_at(first_case.start_byte());
        let line_start = source
            .line_range(source.line_index(first_case.start_byte()))
            .start;
        if src[line_start..first_case.start_byte()].trim() != "" {
            return Err("a select is laid out in a way leakfix does not edit".into());
        }
        edits.push(Edit::insertion(
            path.clone(),
            line_start,
            format!("{case_indent}case <-{ctx}.Done():{nl}{case_indent}\treturn{nl}"),
        ));
    }
    Ok(edits)
}
