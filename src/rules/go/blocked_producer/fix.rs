//! The fix: each blocking send becomes a select that also returns when the
//! reader is gone (the function's context is done, or the reading function
//! has returned and closed a `done` channel).

use super::find::{Producer, Reader};
use crate::analysis::go::scope;
use crate::fix::{Edit, Fix};
use crate::lang::go::identifiers_named;
use crate::rewrite::go::{line_after, send_or_return};

/// Names tried for the new done channel, in order.
const DONE_NAMES: &[&str] = &["done", "stop", "quit"];

pub(super) fn fix(p: &Producer) -> Result<Fix, String> {
    let src = p.file.text();
    let path = p.file.parsed.path.clone();
    let source = &p.file.parsed.source;
    if p.lit.child_by_field_name("result").is_some() {
        return Err(
            "the goroutine's func literal returns values, so a bare `return` cannot end it".into(),
        );
    }
    let mut edits = Vec::new();
    let (wait, title) = match &p.reader {
        Reader::Caller { ctx } => (
            format!("<-{ctx}.Done()"),
            format!(
                "return from the goroutine when `{ctx}` is done instead of blocking on its send"
            ),
        ),
        Reader::Owner { .. } => {
            let name = DONE_NAMES
                .iter()
                .find(|n| identifiers_named(p.owner, n, src).is_empty())
                .ok_or("the names `done`, `stop` and `quit` are all taken")?;
            // After the last of the channels' declarations: all of them are
            // in scope at the go statement, and so is the new channel.
            let mut stmt = None;
            for ch in std::iter::once(&p.ch).chain(&p.more) {
                let s = if ch.decl.kind() == "var_spec" {
                    ch.decl
                        .parent()
                        .filter(|d| d.kind() == "var_declaration")
                        .ok_or("the channel is declared in a `var` block")?
                } else {
                    ch.decl
                };
                if scope::enclosing_loop(s, p.owner).is_some() {
                    return Err("the channel is made inside a loop".into());
                }
                if stmt.is_none_or(|x: tree_sitter::Node| x.end_byte() < s.end_byte()) {
                    stmt = Some(s);
                }
            }
            let stmt = stmt.expect("at least one channel");
            let at = line_after(source, stmt.end_byte())
                .ok_or("the channel's declaration shares its line with other code")?;
            let indent = source.indent_at(stmt.start_byte());
            let nl = source.newline();
            edits.push(Edit::insertion(
                path.clone(),
                at,
                format!(
                    "{indent}{name} := make(chan struct{{}}){nl}{indent}defer close({name}){nl}"
                ),
            ));
            (
                format!("<-{name}"),
                format!(
                    "close a `{name}` channel when the function returns, and return from the goroutine on it instead of blocking on its send"
                ),
            )
        }
    };
    // A reader that keeps ranging after it cancels waits for the close the
    // goroutine would have made on its way out.
    let closes: &[String] = match p.reader {
        Reader::Caller { .. } => &p.closes,
        Reader::Owner { .. } => &[],
    };
    for send in &p.sends {
        edits.push(
            send_or_return(&path, source, *send, &wait, closes)
                .ok_or("a send shares its line with other code")?,
        );
    }
    let fix = Fix::unsafe_(title, edits).with_claim(path, p.go.byte_range());
    if fix.has_overlapping_edits() {
        return Err("its edits would overlap (a layout leakfix does not handle)".into());
    }
    // The engine lines up trailing comments after it, as gofmt does.
    Ok(fix)
}
