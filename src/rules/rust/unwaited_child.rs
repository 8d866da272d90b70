//! rust-unwaited-child: `Command::spawn()` whose `Child` is never waited,
//! killed or handed on. Fix: wait for it before the scope ends
//! (`child.wait()?`, `.wait().await?` for tokio), propagating the error
//! where the function can.

use streaming_iterator::StreamingIterator;
use tree_sitter::{Node, QueryCursor};

use super::per_call_client::simple_binding;
use crate::analysis::rust::RustFile;
use crate::analysis::rust::flow::{UseKind, uses_after};
use crate::analysis::rust::syntax::{
    block_items, body_owner, in_async_context, outermost_fn, returns_io_error,
};
use crate::analysis::rust::visit;
use crate::catalog::rust::ProcessEntry;
use crate::embedded_query;
use crate::engine::Context;
use crate::finding::Finding;
use crate::fix::{Applicability, Edit, Fix};
use crate::lang::{Language, text};
use crate::rewrite::rust::end_of_block;
use crate::rules::{FixAvailability, Rule, RuleMeta, Unit};

pub struct RustUnwaitedChild;

pub const ID: &str = "rust-unwaited-child";

static META: RuleMeta = RuleMeta {
    id: ID,
    language: Language::Rust,
    summary: "A child process is spawned and never waited, killed or handed on",
    fix_summary: "Wait for the child before the scope ends (`child.wait()?`, `.wait().await?` for tokio)",
    fix_availability: FixAvailability::Sometimes,
    applicability: Applicability::Unsafe,
    docs: DOCS,
};

const DOCS: &str = r#"## What it does
Finds `Command::spawn()` calls (std and tokio) whose `Child` is dropped
without `wait`, `wait_with_output`, `try_wait` or `kill`, and that is not
returned, stored or passed on.

## Why is this bad?
Dropping a `std::process::Child` neither waits for nor kills the process.
When it exits, the kernel keeps its entry as a zombie until the parent waits
for it; a long-running service that spawns per request fills the process
table. The exit status, and with it any failure of the command, is lost.

## Example
```rust
fn convert(input: &Path) -> std::io::Result<()> {
    let child = Command::new("convert").arg(input).spawn()?;
    log::info!("started {}", child.id());
    Ok(())
}
```

## Use instead
```rust
fn convert(input: &Path) -> std::io::Result<()> {
    let mut child = Command::new("convert").arg(input).spawn()?;
    log::info!("started {}", child.id());
    child.wait()?;
    Ok(())
}
```

## Fix safety
Unsafe: the function now blocks (or, for tokio, awaits) until the child
exits, at the end of the scope that holds it, so a long-running child makes
the function long-running. The wait's error is propagated with `?` where the
function returns a `Result` that accepts `std::io::Error` (or where the
spawn's own error is propagated); otherwise it is ignored with `let _ =`.
A tokio child outside an async context is reported without a fix (use
`kill_on_drop(true)` or await it). The wait goes on the normal path at the
end of the scope; an early `return` before it still leaves the child
unwaited.

## References
- https://doc.rust-lang.org/std/process/struct.Child.html ("no implementation of Drop ... wait for the process")
- https://docs.rs/tokio/latest/tokio/process/struct.Command.html#method.kill_on_drop
"#;

const HANDLED: [&str; 7] = [
    "wait",
    "wait_with_output",
    "try_wait",
    "kill",
    "start_kill",
    "wait_timeout",
    "into_inner",
];

impl Rule for RustUnwaitedChild {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, unit: &Unit<'_>, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let Unit::Rust(file) = unit else { return };
        let query = embedded_query!(Language::Rust, "rust/unwaited_child.scm");
        let mut cursor = QueryCursor::new();
        let src = file.text();
        let mut matches = cursor.matches(query, file.root(), src.as_bytes());
        let names = query.capture_names();
        while let Some(m) = matches.next() {
            let Some(call) = m
                .captures()
                .iter()
                .find(|c| names[c.index as usize] == "call")
                .map(|c| c.node)
            else {
                continue;
            };
            if !cx.include_tests && file.is_test_code(call.start_byte()) {
                continue;
            }
            let Some(entry) = command_of(file, cx, call) else {
                continue;
            };
            if let Some(f) = check_spawn(file, entry, call) {
                out.push(f);
            }
        }
    }
}

/// The process builder `.spawn()` is called on, when the catalog knows it.
fn command_of<'a>(file: &RustFile, cx: &'a Context<'_>, call: Node) -> Option<&'a ProcessEntry> {
    let src = file.text();
    let recv = call
        .child_by_field_name("function")?
        .child_by_field_name("value")?;
    let root = chain_root(recv);
    let root = match root.kind() {
        "identifier" => {
            let decl = find_let(text(root, src), call, src)?;
            chain_root(decl.child_by_field_name("value")?)
        }
        _ => root,
    };
    if root.kind() != "call_expression" {
        return None;
    }
    let f = root.child_by_field_name("function")?;
    if f.kind() != "scoped_identifier"
        || f.child_by_field_name("name").map(|n| text(n, src)) != Some("new")
    {
        return None;
    }
    let ty = file.resolve(text(f.child_by_field_name("path")?, src), call.start_byte());
    cx.rust_catalog.process(&ty)
}

/// The innermost receiver of a method chain.
fn chain_root(mut n: Node) -> Node {
    loop {
        if n.kind() == "call_expression"
            && let Some(f) = n.child_by_field_name("function")
            && f.kind() == "field_expression"
            && let Some(v) = f.child_by_field_name("value")
        {
            n = v;
            continue;
        }
        return n;
    }
}

/// The last `let name = ...` before `at` in the blocks around it.
fn find_let<'t>(name: &str, at: Node<'t>, src: &str) -> Option<Node<'t>> {
    let mut cur = at;
    while let Some(p) = cur.parent() {
        if p.kind() == "block" {
            let hit = block_items(p)
                .into_iter()
                .filter(|i| i.end_byte() <= at.start_byte() && i.kind() == "let_declaration")
                .rfind(|i| simple_binding(*i, src).as_deref() == Some(name));
            if hit.is_some() {
                return hit;
            }
        }
        if matches!(p.kind(), "function_item" | "closure_expression") {
            return None;
        }
        cur = p;
    }
    None
}

fn check_spawn(file: &RustFile, entry: &ProcessEntry, call: Node) -> Option<Finding> {
    let src = file.text();
    let source = &file.parsed.source;
    // The node that yields the Child: `spawn()?`, `spawn().unwrap()`, `spawn().expect(..)`.
    let mut child = call;
    let mut propagated = false;
    if let Some(p) = call.parent() {
        if p.kind() == "try_expression" {
            child = p;
            propagated = true;
        } else if p.kind() == "field_expression"
            && let Some(g) = p.parent().filter(|g| g.kind() == "call_expression")
            && matches!(
                p.child_by_field_name("field").map(|f| text(f, src)),
                Some("unwrap" | "expect")
            )
        {
            child = g;
        }
    }
    let unwrapped = child.id() != call.id();
    let doc = entry
        .doc
        .as_deref()
        .map(|d| format!(": {d}"))
        .unwrap_or_default();
    let finding =
        |msg: String| Finding::new(ID, file.parsed.path.clone(), source, call.byte_range(), msg);
    let parent = child.parent()?;
    let owner = body_owner(call)?;
    let is_async = entry.is_async;
    let can_await = in_async_context(call, src);
    let propagate =
        propagated || (owner.kind() == "function_item" && returns_io_error(file, owner));
    let wait_stmt = |var: &str| -> Option<String> {
        match (is_async, can_await, propagate) {
            (false, _, true) => Some(format!("{var}.wait()?;")),
            (false, _, false) => Some(format!("let _ = {var}.wait();")),
            (true, true, true) => Some(format!("{var}.wait().await?;")),
            (true, true, false) => Some(format!("let _ = {var}.wait().await;")),
            (true, false, _) => None,
        }
    };
    match parent.kind() {
        "let_declaration" => {
            let pat = parent.child_by_field_name("pattern")?;
            if text(pat, src) == "_" {
                let f = finding(format!(
                    "The child process from `spawn()` is dropped at once and never waited{doc}"
                ));
                if !unwrapped {
                    return Some(f.with_note("the spawn's error is discarded too; bind the child, wait for it, and handle both errors"));
                }
                return Some(match bind_and_wait(file, parent, child, wait_stmt) {
                    Ok(fix) => f.with_fix(fix),
                    Err(why) => f.with_note(why),
                });
            }
            if !unwrapped {
                return None; // `let r = cmd.spawn();`: a Result, matched on later
            }
            let name = simple_binding(parent, src)?;
            let uses = uses_after(parent, &name, src)?;
            let handled = uses.iter().any(|u| match &u.kind {
                UseKind::Method(m) => HANDLED.contains(&m.as_str()),
                UseKind::Moved | UseKind::Reassigned => true,
                UseKind::Macro(m) => !matches!(
                    m.as_str(),
                    "println"
                        | "print"
                        | "eprintln"
                        | "eprint"
                        | "info"
                        | "debug"
                        | "warn"
                        | "error"
                        | "trace"
                        | "format"
                ),
                _ => false,
            });
            if handled {
                return None;
            }
            let f = finding(format!(
                "The child process `{name}` is never waited, killed or handed on{doc}"
            ));
            let reads_pipes = uses.iter().any(|u| {
                u.kind == UseKind::Field
                    && u.node
                        .parent()
                        .and_then(|p| p.child_by_field_name("field"))
                        .is_some_and(|f| matches!(text(f, src), "stdout" | "stderr"))
            });
            if piped_output(file, call) && !reads_pipes {
                return Some(f.with_note(format!(
                    "its output is piped: waiting without reading it can block forever once the pipe fills; read it with `{name}.wait_with_output()`"
                )));
            }
            let Some(stmt) = wait_stmt(&name) else {
                return Some(f.with_note("a tokio child outside an async context: set `kill_on_drop(true)` on the command, or await `child.wait()` where you can"));
            };
            Some(match wait_fix(file, parent, &name, &stmt) {
                Ok(fix) => f.with_fix(fix),
                Err(why) => f.with_note(why),
            })
        }
        "expression_statement" => {
            let f = finding(format!(
                "The child process from `spawn()` is dropped at once and never waited{doc}"
            ));
            if !unwrapped {
                return Some(f.with_note("the spawn's error is discarded too; bind the child, wait for it, and handle both errors"));
            }
            Some(match bind_and_wait(file, parent, child, wait_stmt) {
                Ok(fix) => f.with_fix(fix),
                Err(why) => f.with_note(why),
            })
        }
        "field_expression" => {
            let m = parent
                .child_by_field_name("field")
                .map(|f| text(f, src))
                .unwrap_or("");
            if HANDLED.contains(&m) || !unwrapped {
                return None;
            }
            Some(finding(format!("The child process from `spawn()` is used once (`.{m}()`) and dropped without a wait{doc}"))
                .with_note("bind the child to a variable and wait for it"))
        }
        _ => None,
    }
}

/// `let child = ...spawn()?;` -> `let mut child = ...;` and a wait at the end of the block.
fn wait_fix(file: &RustFile, decl: Node, name: &str, stmt: &str) -> Result<Fix, String> {
    let source = &file.parsed.source;
    let block = decl
        .parent()
        .filter(|b| b.kind() == "block")
        .ok_or("not in a block")?;
    let (at, indent) = end_of_block(block, source).ok_or("the block is laid out on one line")?;
    let path = file.parsed.path.clone();
    let mut edits = vec![Edit::insertion(
        path.clone(),
        at,
        format!("{indent}{stmt}{}", source.newline()),
    )];
    let mut c = decl.walk();
    let is_mut = decl
        .children(&mut c)
        .any(|n| n.kind() == "mutable_specifier");
    if !is_mut {
        let pat = decl.child_by_field_name("pattern").ok_or("no pattern")?;
        edits.push(Edit::insertion(path.clone(), pat.start_byte(), "mut "));
    }
    Ok(Fix::unsafe_(
        format!("wait for `{name}` before the end of its scope (`{stmt}`)"),
        edits,
    )
    .with_claim(path, decl.byte_range()))
}

/// `cmd.spawn()?;` -> `let mut child = cmd.spawn()?;` and a wait at the end of the block.
fn bind_and_wait(
    file: &RustFile,
    stmt: Node,
    child: Node,
    wait_stmt: impl Fn(&str) -> Option<String>,
) -> Result<Fix, String> {
    let src = file.text();
    let source = &file.parsed.source;
    let block = stmt
        .parent()
        .filter(|b| b.kind() == "block")
        .ok_or("not in a block")?;
    // A name the function does not use yet.
    let outer = outermost_fn(stmt).ok_or("not in a function")?;
    let mut used = Vec::new();
    visit(outer, &mut |n| {
        if n.kind() == "identifier" {
            used.push(text(n, src).to_string());
        }
    });
    let name = ["child", "spawned_child", "child_process"]
        .into_iter()
        .find(|n| !used.iter().any(|u| u == n))
        .ok_or("no free name for the child")?;
    let wait = wait_stmt(name).ok_or("a tokio child outside an async context: set `kill_on_drop(true)` on the command, or await `child.wait()` where you can")?;
    let (at, indent) = end_of_block(block, source).ok_or("the block is laid out on one line")?;
    if at <= stmt.start_byte() {
        return Err(
            "the spawn is the block's last statement in a layout leakfix does not edit".into(),
        );
    }
    let path = file.parsed.path.clone();
    let prefix = if stmt.kind() == "let_declaration" {
        // `let _ = X;`: replace `let _ =` with `let mut child =`.
        let pat = stmt.child_by_field_name("pattern").ok_or("no pattern")?;
        Edit::replacement(path.clone(), pat.byte_range(), format!("mut {name}"))
    } else {
        let lead = format!("let mut {name} = ");
        let line = source.line_range(source.line_index(stmt.start_byte()));
        if line.end - line.start + lead.len() > crate::rewrite::rust::MAX_WIDTH {
            return Err(
                "binding the child would make the line too long for rustfmt's layout".into(),
            );
        }
        Edit::insertion(path.clone(), child.start_byte(), lead)
    };
    let edits = vec![
        prefix,
        Edit::insertion(
            path.clone(),
            at,
            format!("{indent}{wait}{}", source.newline()),
        ),
    ];
    Ok(Fix::unsafe_(
        format!(
            "bind the child to `{name}` and wait for it before the end of the scope (`{wait}`)"
        ),
        edits,
    )
    .with_claim(path, stmt.byte_range()))
}

/// Does the command pipe the child's stdout or stderr (on the spawn's chain,
/// or on the builder variable's statements)?
fn piped_output(file: &RustFile, call: Node) -> bool {
    let src = file.text();
    let recv = call
        .child_by_field_name("function")
        .and_then(|f| f.child_by_field_name("value"));
    let Some(recv) = recv else { return false };
    let piped = |t: &str| {
        t.contains(".stdout(") && t.contains("piped")
            || t.contains(".stderr(") && t.contains("piped")
    };
    if piped(text(recv, src)) {
        return true;
    }
    let root = chain_root(recv);
    if root.kind() == "identifier" {
        let name = text(root, src);
        let Some(block) = statement_of_block(call) else {
            return false;
        };
        return block_items(block)
            .into_iter()
            .filter(|i| i.end_byte() <= call.start_byte())
            .any(|i| text(i, src).contains(name) && piped(text(i, src)));
    }
    false
}

fn statement_of_block(n: Node) -> Option<Node> {
    let mut cur = n.parent();
    while let Some(p) = cur {
        if p.kind() == "block" {
            return Some(p);
        }
        cur = p.parent();
    }
    None
}
