//! rust-unflushed-writer: a `BufWriter`/`LineWriter` (std or tokio) or a
//! written-to `tokio::fs::File` leaves its scope on the normal path without
//! a flush, so the last write's error is lost (std) or the data is (tokio).
//! Fix: `w.flush()?` (`.await?` when async) before the end of the scope,
//! where the function can return the error; otherwise report.

use tree_sitter::Node;

use crate::analysis::rust::RustFile;
use crate::analysis::rust::errors::io_error_converts;
use crate::analysis::rust::flow::{UseKind, VarUse, uses_after};
use crate::analysis::rust::syntax::{
    ExitKind, body_owner, early_exits, in_async_context, simple_binding,
};
use crate::catalog::rust::WriterEntry;
use crate::embedded_query;
use crate::engine::Context;
use crate::finding::Finding;
use crate::fix::{Applicability, Edit, Fix};
use crate::lang::{Language, text};
use crate::rewrite::rust::{before_exit, end_of_block};
use crate::rules::{FixAvailability, Rule, RuleMeta, Unit};

pub struct RustUnflushedWriter;

pub const ID: &str = "rust-unflushed-writer";

static META: RuleMeta = RuleMeta {
    id: ID,
    language: Some(Language::Rust),
    summary: "A buffered writer or tokio file is dropped without a flush, losing the write error (or the data)",
    fix_summary: "Insert `w.flush()?` (`w.flush().await?`) before the end of the scope",
    fix_availability: FixAvailability::Sometimes,
    applicability: Applicability::Safe,
    docs: DOCS,
};

const DOCS: &str = r#"## What it does
Finds `std::io::BufWriter`, `std::io::LineWriter`, `tokio::io::BufWriter`
and written-to `tokio::fs::File` values that reach the end of their scope
on the normal path without `flush()` (or `into_inner()`, `shutdown()`,
`sync_all()`), and that are not returned or handed on.

## Why is this bad?
`BufWriter`'s `Drop` writes what is left in the buffer but ignores any
error: a full disk or a closed pipe makes the last write vanish while the
program reports success. A tokio `BufWriter` dropped unflushed discards its
buffer, and a tokio `File` may not have finished its last write.

## Example
```rust
fn save(path: &Path, rows: &[Row]) -> std::io::Result<()> {
    let mut w = BufWriter::new(File::create(path)?);
    for r in rows {
        writeln!(w, "{},{}", r.id, r.name)?;
    }
    Ok(())
}
```

## Use instead
```rust
fn save(path: &Path, rows: &[Row]) -> std::io::Result<()> {
    let mut w = BufWriter::new(File::create(path)?);
    for r in rows {
        writeln!(w, "{},{}", r.id, r.name)?;
    }
    w.flush()?;
    Ok(())
}
```

## Fix safety
Safe: the flush writes what `Drop` would have written, and only surfaces
its error. It is offered where the function (or closure) can return a
`std::io::Error` with `?`: it returns `io::Result`, `anyhow::Result`,
`Result<_, Box<dyn Error>>`, or an error type with `From<io::Error>` (an
`impl From<io::Error>` or thiserror's `#[from] io::Error` in the file, also
behind a `type Result<T>` alias), or it already applies `?` to an I/O call.
Where it cannot, but every write takes its error with `.unwrap()` (or the
same `.expect(..)`), the flush does too: the code already treats a write
error that way. Elsewhere the finding is reported without a fix. The flush goes at the end
of the writer's scope and before every early `return`, `break` or
`continue` that leaves it on the normal path (a `return Err(..)` keeps its
own error); an early exit inside an expression means no fix.

A writer that is returned (also inside a tuple), stored, or moved into a
callee is handed on, not reported; `tokio::io::copy(&mut r, &mut w)` and
`copy_buf` flush `w` when they finish.

## References
- https://doc.rust-lang.org/std/io/struct.BufWriter.html ("it is critical to call flush before BufWriter<W> is dropped")
- https://docs.rs/tokio/latest/tokio/fs/struct.File.html ("call flush ... before dropping")
"#;

const FLUSHES: [&str; 8] = [
    "flush",
    "into_inner",
    "into_parts",
    "shutdown",
    "sync_all",
    "sync_data",
    "into_std",
    "poll_flush",
];
const WRITES: [&str; 9] = [
    "write",
    "write_all",
    "write_fmt",
    "write_vectored",
    "write_buf",
    "write_all_buf",
    "write_u8",
    "write_u32",
    "write_str",
];

impl Rule for RustUnflushedWriter {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, unit: &Unit<'_>, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let Unit::Rust(file) = unit else { return };
        let query = embedded_query!(Language::Rust, "rust/unflushed_writer.scm");
        for m in file.query_matches(query) {
            let (Some(decl), Some(value)) = (m.capture(query, "let"), m.capture(query, "value"))
            else {
                continue;
            };
            if !cx.include_tests && file.is_test_code(decl.start_byte()) {
                continue;
            }
            let Some((entry, call)) = writer_of(file, cx, value) else {
                continue;
            };
            if let Some(f) = check_writer(file, entry, decl, call) {
                out.push(f);
            }
        }
    }
}

/// The catalog writer a `let` value constructs: `BufWriter::new(f)`,
/// `File::create(p).await?`, `LineWriter::new(out).unwrap()`.
fn writer_of<'a, 't>(
    file: &RustFile,
    cx: &'a Context<'_>,
    value: Node<'t>,
) -> Option<(&'a WriterEntry, Node<'t>)> {
    let src = file.text();
    let mut v = value;
    loop {
        match v.kind() {
            "try_expression" | "await_expression" => v = v.named_child(0)?,
            "call_expression" => {
                let f = v.child_by_field_name("function")?;
                if f.kind() == "field_expression"
                    && matches!(
                        f.child_by_field_name("field").map(|x| text(x, src)),
                        Some("unwrap" | "expect")
                    )
                {
                    v = f.child_by_field_name("value")?;
                    continue;
                }
                if f.kind() != "scoped_identifier" {
                    return None;
                }
                let path = file.resolve(text(f, src), v.start_byte());
                return cx.rust_catalog.writer(&path).map(|e| (e, v));
            }
            _ => return None,
        }
    }
}

fn check_writer(file: &RustFile, entry: &WriterEntry, decl: Node, call: Node) -> Option<Finding> {
    let src = file.text();
    let source = &file.parsed.source;
    let name = simple_binding(decl, src)?;
    let uses = uses_after(decl, &name, src)?;
    if uses.is_empty() {
        return None;
    }
    let mut written = false;
    for u in &uses {
        match &u.kind {
            UseKind::Method(m) if FLUSHES.contains(&m.as_str()) => return None,
            UseKind::Method(m) if WRITES.contains(&m.as_str()) => written = true,
            UseKind::Macro(m) if matches!(m.as_str(), "write" | "writeln") => written = true,
            UseKind::Macro(_) | UseKind::Moved | UseKind::Reassigned => return None,
            // `tokio::io::copy(&mut r, &mut w)` flushes `w` when it is done.
            UseKind::BorrowMut if copied_into(file, u) => return None,
            UseKind::BorrowMut => written = true,
            _ => {}
        }
    }
    if entry.written && !written {
        return None;
    }
    let owner = body_owner(decl)?;
    let doc = entry
        .doc
        .as_deref()
        .map(|d| format!(": {d}"))
        .unwrap_or_default();
    let finding = Finding::new(
        ID,
        file.parsed.path.clone(),
        source,
        call.byte_range(),
        format!("`{name}` is never flushed before it goes out of scope{doc}"),
    );
    // Can the flush's error be returned from here?
    let tried_write = uses.iter().any(|u| is_tried_write(u, owner));
    let returns = tried_write || io_error_converts(file, owner);
    // Otherwise, where every write takes its error with `.unwrap()` or the
    // same `.expect(..)`, the flush does the same.
    let unwrap = if returns {
        None
    } else {
        match write_error_handling(&uses, src) {
            Some(how) => Some(how),
            None => {
                return Some(finding.with_note(format!(
                    "the enclosing function cannot return the flush's `std::io::Error`; call `{name}.flush()` and handle its error before `{name}` is dropped"
                )));
            }
        }
    };
    if entry.is_async && !in_async_context(decl, src) {
        return Some(
            finding.with_note(
                "the writer is async but its scope is not; flush it in an async context",
            ),
        );
    }
    // `flush` needs the `Write` (or `AsyncWriteExt`) trait in scope: a
    // write method or `write!` on it shows that it is.
    let trait_in_scope = uses.iter().any(|u| match &u.kind {
        UseKind::Method(m) => WRITES.contains(&m.as_str()),
        UseKind::Macro(_) => !entry.is_async,
        _ => false,
    }) || file.uses.iter().any(|b| {
        let want = if entry.is_async {
            "AsyncWriteExt"
        } else {
            "Write"
        };
        b.alias == want && b.scope.contains(&decl.start_byte())
    });
    if !trait_in_scope {
        return Some(finding.with_note(format!(
            "`{name}` is only written through other functions, and leakfix cannot tell that the `Write` trait is in scope for `{name}.flush()`"
        )));
    }
    let mut c = decl.walk();
    if !decl
        .children(&mut c)
        .any(|n| n.kind() == "mutable_specifier")
    {
        return Some(finding.with_note(format!(
            "`{name}` is not `mut`, so it cannot be flushed where it is"
        )));
    }
    let block = decl.parent().filter(|b| b.kind() == "block")?;
    let Some((at, indent)) = end_of_block(block, source) else {
        return Some(finding.with_note("the block is laid out on one line"));
    };
    // The flush goes before the block's value and before early returns:
    // a write there would come after it.
    let mentions = |n: Node| {
        let mut hit = false;
        crate::analysis::rust::visit(n, &mut |x| {
            hit |= x.kind() == "identifier" && text(x, src) == name;
        });
        hit
    };
    let tail = crate::analysis::rust::syntax::block_tail(block).or_else(|| {
        let last = crate::analysis::rust::syntax::block_items(block)
            .into_iter()
            .last()?;
        (last.kind() == "expression_statement"
            && last
                .named_child(0)
                .is_some_and(|r| r.kind() == "return_expression"))
        .then_some(last)
    });
    if tail.is_some_and(mentions)
        || early_exits(block, decl.end_byte(), src)
            .iter()
            .any(|(e, _)| mentions(*e))
    {
        return Some(finding.with_note(format!(
            "the value the scope returns uses `{name}` (its last write), so a flush before it would not cover that write: keep the result, flush, then return it"
        )));
    }
    let take = unwrap.unwrap_or_else(|| "?".to_string());
    let stmt = if entry.is_async {
        format!("{name}.flush().await{take};")
    } else {
        format!("{name}.flush(){take};")
    };
    let path = file.parsed.path.clone();
    let mut edits = vec![Edit::insertion(
        path.clone(),
        at,
        format!("{indent}{stmt}{}", source.newline()),
    )];
    // Also before every early exit on the normal path (an error return
    // keeps its own error).
    for (exit, kind) in early_exits(block, decl.end_byte(), src) {
        if kind == (ExitKind::Return { error: true }) {
            continue;
        }
        let Some((at, indent)) = before_exit(exit, source) else {
            return Some(finding.with_note(format!(
                "an early `return`, `break` or `continue` inside an expression leaves `{name}`'s scope where leakfix cannot add the flush"
            )));
        };
        edits.push(Edit::insertion(
            path.clone(),
            at,
            format!("{indent}{stmt}{}", source.newline()),
        ));
    }
    let fix = Fix::safe(
        format!("flush `{name}` before the end of its scope (`{stmt}`)"),
        edits,
    )
    .with_claim(path, call.byte_range());
    Some(finding.with_fix(fix))
}

/// How the writes take their errors when they all do it the same way:
/// `.unwrap()` or `.expect("..")` (with its message).
fn write_error_handling(uses: &[VarUse], src: &str) -> Option<String> {
    let mut how: Option<String> = None;
    for u in uses {
        let call = match &u.kind {
            UseKind::Method(m) if WRITES.contains(&m.as_str()) => {
                u.node.parent().and_then(|f| f.parent())
            }
            UseKind::Macro(m) if matches!(m.as_str(), "write" | "writeln") => {
                let mut cur = u.node.parent();
                while let Some(n) = cur {
                    if n.kind() == "macro_invocation" {
                        break;
                    }
                    cur = n.parent();
                }
                cur
            }
            _ => continue,
        };
        let mut n = call?;
        if n.parent().is_some_and(|p| p.kind() == "await_expression") {
            n = n.parent()?;
        }
        let field = n.parent().filter(|p| p.kind() == "field_expression")?;
        let method = text(field.child_by_field_name("field")?, src);
        let outer = field.parent().filter(|g| g.kind() == "call_expression")?;
        let this = match method {
            "unwrap" => ".unwrap()".to_string(),
            "expect" => format!(
                ".expect{}",
                crate::rewrite::rust::one_line(text(outer.child_by_field_name("arguments")?, src))?
            ),
            _ => return None,
        };
        match &how {
            Some(h) if *h != this => return None,
            _ => how = Some(this),
        }
    }
    how
}

/// Is the use `&mut w` the writer of `tokio::io::copy(&mut r, &mut w)`
/// (or `copy_buf`), which flushes it?
fn copied_into(file: &RustFile, u: &VarUse) -> bool {
    let src = file.text();
    let Some(arg) = u.node.parent() else {
        return false;
    };
    let Some(args) = arg.parent().filter(|a| a.kind() == "arguments") else {
        return false;
    };
    if args
        .named_child(1)
        .is_none_or(|second| second.id() != arg.id())
    {
        return false;
    }
    let Some(f) = args
        .parent()
        .and_then(|c| c.child_by_field_name("function"))
        .filter(|f| matches!(f.kind(), "scoped_identifier" | "identifier"))
    else {
        return false;
    };
    matches!(
        file.resolve(text(f, src), f.start_byte()).as_str(),
        "tokio::io::copy" | "tokio::io::copy_buf"
    )
}

/// `w.write_all(..)?`, `w.write_all(..).await?`, `writeln!(w, ..)?` in the
/// same function or closure as the writer: its `io::Error` converts with `?`.
fn is_tried_write(u: &VarUse, owner: Node) -> bool {
    let call = match &u.kind {
        UseKind::Method(m) if WRITES.contains(&m.as_str()) => {
            u.node.parent().and_then(|f| f.parent())
        }
        UseKind::Macro(m) if matches!(m.as_str(), "write" | "writeln") => {
            let mut cur = u.node.parent();
            while let Some(n) = cur {
                if n.kind() == "macro_invocation" {
                    break;
                }
                cur = n.parent();
            }
            cur
        }
        _ => None,
    };
    let Some(mut n) = call else { return false };
    if n.parent().is_some_and(|p| p.kind() == "await_expression") {
        n = n.parent().unwrap();
    }
    n.parent().is_some_and(|p| p.kind() == "try_expression")
        && body_owner(n).is_some_and(|o| o.id() == owner.id())
}
