//! rust-unwaited-child: `Command::spawn()` whose `Child` is never waited,
//! killed or handed on — bound and dropped, dropped at once, dropped in the
//! `Ok` case of `if let Err(e) = cmd.spawn()` or `cmd.spawn().map(|_| ())`,
//! or coming out of an `if`/`else` or `match`. Fix: reap it before the
//! scope ends (and before every early `return`): wait for it, or, where
//! waiting would block a caller that must not block (a GUI, a launcher, a
//! request handler, async code), wait for it in the background.
//!
//! Stages: here, finding the spawn and what happens to its child; `reap`,
//! the statements and edits that reap it.

mod reap;

use tree_sitter::Node;

use crate::analysis::rust::RustFile;
use crate::analysis::rust::context::waiting_blocks;
use crate::analysis::rust::flow::{UseKind, uses_after};
use crate::analysis::rust::items::chain_root;
use crate::analysis::rust::syntax::{
    block_items, block_tail, body_owner, enclosing_loop, in_async_context, outermost_fn,
    returns_io_error, simple_binding, windows_only,
};
use crate::catalog::rust::ProcessEntry;
use crate::embedded_query;
use crate::engine::Context;
use crate::finding::Finding;
use crate::fix::Applicability;
use crate::lang::{Language, text};
use crate::rules::{FixAvailability, Rule, RuleMeta, Unit};

use reap::Reap;

pub struct RustUnwaitedChild;

pub const ID: &str = "rust-unwaited-child";

static META: RuleMeta = RuleMeta {
    id: ID,
    language: Some(Language::Rust),
    summary: "A child process is spawned and never waited, killed or handed on",
    fix_summary: "Reap the child before the scope ends: `child.wait()?` (`.wait().await?` for tokio), or a background wait where blocking would hurt",
    fix_availability: FixAvailability::Sometimes,
    applicability: Applicability::Unsafe,
    docs: DOCS,
};

const DOCS: &str = r#"## What it does
Finds `Command::spawn()` calls (std and tokio) whose `Child` is dropped
without `wait`, `wait_with_output`, `try_wait` or `kill`, and that is not
returned, stored or passed on: a child bound to a local and dropped, one
dropped at once (`cmd.spawn()?;`), one dropped in the `Ok` case of
`if let Err(e) = cmd.spawn()` or `cmd.spawn().map(|_| ())`, and one that
comes out of an `if`/`else` or `match` into a local that is dropped.

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
Where waiting would block a caller that must not block — the crate runs a
GUI event loop (winit, egui, gtk, iced, tauri...), the code handles a
request or runs in an async function, or the program is a launcher such as
`xdg-open` — the child is reaped in the background instead:
`std::thread::spawn(move || child.wait());` (for a tokio child in async
code, `tokio::spawn(async move { child.wait().await });`).
`if let Err(e) = cmd.spawn() { .. }` becomes a `match` whose `Ok` arm reaps
the child; `cmd.spawn().map(|_| ())` becomes
`cmd.spawn().and_then(|mut child| child.wait()).map(|_| ())`, or
`.map(|mut child| { std::thread::spawn(move || child.wait()); })`.

## Fix safety
Unsafe: a synchronous wait makes the function last as long as the child
(at the end of the scope that holds it, and before every early `return`,
`break` or `continue` that leaves that scope); a background wait adds a
thread (or task) per child that ends when the child does. The wait's error
is propagated with `?` where the function returns an error that accepts
`std::io::Error` (or where the spawn's own error is propagated); otherwise
it is ignored with `let _ =`. A child dropped on a path leakfix cannot
reach (an early exit inside an expression) gets no fix; a tokio child
outside an async context is reported without one (use `kill_on_drop(true)`
or await it); children whose output is piped and never read are reported
(waiting could block forever: use `wait_with_output()`).

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
        let _src = file.text();
        let mut seen = Vec::new();
        for m in file.query_matches(query) {
            let Some(call) = m.capture(query, "call") else {
                continue;
            };
            if !cx.include_tests && file.is_test_code(call.start_byte()) {
                continue;
            }
            let Some(spawn) = command_of(file, cx, call) else {
                continue;
            };
            if let Some(f) = check_spawn(file, &spawn, &mut seen) {
                out.push(f);
            }
        }
    }
}

/// A `.spawn()` on a process builder the catalog knows.
pub(super) struct Spawn<'a, 't> {
    pub call: Node<'t>,
    pub entry: &'a ProcessEntry,
    /// The program, when `Command::new` is given a string literal.
    pub program: Option<String>,
}

/// The process builder `.spawn()` is called on, when the catalog knows it.
fn command_of<'a, 't>(
    file: &RustFile,
    cx: &'a Context<'_>,
    call: Node<'t>,
) -> Option<Spawn<'a, 't>> {
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
    let entry = cx.rust_catalog.process(&ty)?;
    let program = root
        .child_by_field_name("arguments")
        .and_then(|a| a.named_child(0))
        .filter(|a| a.kind() == "string_literal")
        .map(|a| text(a, src).trim_matches('"').to_string());
    Some(Spawn {
        call,
        entry,
        program,
    })
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

/// The expression an `if`/`else` or `match` yields when `n` is the value
/// of one of its branches (the tail of a branch block, or an arm's value).
fn branch_owner(n: Node) -> Option<Node> {
    let p = n.parent()?;
    match p.kind() {
        "block" if block_tail(p).is_some_and(|t| t.id() == n.id()) => {
            let g = p.parent()?;
            match g.kind() {
                "if_expression" if g.child_by_field_name("alternative").is_some() => Some(g),
                "else_clause" => {
                    // `else { .. }` of an `if`, possibly an `else if` chain.
                    let mut top = g.parent()?;
                    while let Some(up) = top
                        .parent()
                        .filter(|u| u.kind() == "else_clause")
                        .and_then(|u| u.parent())
                    {
                        top = up;
                    }
                    Some(top)
                }
                "match_arm" => g
                    .parent()?
                    .parent()
                    .filter(|m| m.kind() == "match_expression"),
                _ => None,
            }
        }
        "match_arm"
            if p.child_by_field_name("value")
                .is_some_and(|v| v.id() == n.id()) =>
        {
            p.parent()?
                .parent()
                .filter(|m| m.kind() == "match_expression")
        }
        _ => None,
    }
}

fn check_spawn(file: &RustFile, spawn: &Spawn, seen: &mut Vec<usize>) -> Option<Finding> {
    let src = file.text();
    let source = &file.parsed.source;
    let call = spawn.call;
    let entry = spawn.entry;
    // On Windows a dropped child leaves no zombie: its handle is closed.
    if windows_only(call, src) {
        return None;
    }
    // A child spawned once in `main` goes away with the process.
    if outermost_fn(call)
        .and_then(|f| f.child_by_field_name("name"))
        .is_some_and(|n| text(n, src) == "main")
        && enclosing_loop(call).is_none()
    {
        return None;
    }
    // The node that yields the Child: `spawn()?`, `spawn().unwrap()`,
    // `spawn().expect(..)`, `spawn().ok()?`.
    let mut child = call;
    let mut propagated = false;
    if let Some(p) = call.parent() {
        let method = |f: Node| f.child_by_field_name("field").map(|f| text(f, src));
        if p.kind() == "try_expression" {
            child = p;
            propagated = true;
        } else if p.kind() == "field_expression"
            && let Some(g) = p.parent().filter(|g| g.kind() == "call_expression")
        {
            match method(p) {
                Some("unwrap" | "expect") => child = g,
                Some("ok") => {
                    if let Some(t) = g.parent().filter(|t| t.kind() == "try_expression") {
                        child = t;
                    }
                }
                _ => {}
            }
        }
    }
    let unwrapped = child.id() != call.id();
    // Through `if`/`else` and `match` branches: the whole expression yields it.
    if unwrapped {
        while let Some(top) = branch_owner(child) {
            child = top;
        }
        if seen.contains(&child.id()) {
            return None;
        }
        seen.push(child.id());
    }
    let doc = entry
        .doc
        .as_deref()
        .map(|d| format!(": {d}"))
        .unwrap_or_default();
    let finding =
        |msg: String| Finding::new(ID, file.parsed.path.clone(), source, call.byte_range(), msg);
    let parent = child.parent()?;
    let owner = body_owner(call)?;
    let can_await = in_async_context(call, src);
    let propagate = propagated
        || (owner.kind() == "function_item" && returns_io_error(file, owner))
        || crate::analysis::rust::errors::io_error_converts(file, owner)
            && owner.kind() == "function_item"
            && returns_result(owner, src);
    let background = waiting_blocks(file, owner, call, spawn.program.as_deref(), entry.is_async);
    let reap = Reap {
        file,
        is_async: entry.is_async,
        can_await,
        propagate,
        background,
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
                return Some(match reap.bind_and_reap(parent, child) {
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
            // A pipe moved out of the child (`child.stdin.unwrap()`) leaves it
            // partly moved: it can no longer be waited for where it is.
            let moved_pipe = uses.iter().find_map(|u| {
                let field = u.node.parent().filter(|p| p.kind() == "field_expression")?;
                let name = text(field.child_by_field_name("field")?, src);
                if !matches!(name, "stdin" | "stdout" | "stderr") {
                    return None;
                }
                let outer = field.parent()?;
                let consumed = match outer.kind() {
                    "field_expression" => matches!(
                        outer.child_by_field_name("field").map(|f| text(f, src)),
                        Some("unwrap" | "expect" | "unwrap_or_default")
                    ),
                    "let_declaration" | "arguments" => true,
                    _ => false,
                };
                consumed.then(|| name.to_string())
            });
            if let Some(pipe) = moved_pipe {
                return Some(f.with_note(format!(
                    "its `{pipe}` is moved out of it, so it cannot be waited for where it is; take the pipe with `{name}.{pipe}.take()`, drop it when done, then wait"
                )));
            }
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
            Some(match reap.wait_in_scope(parent, &name) {
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
            Some(match reap.bind_and_reap(parent, child) {
                Ok(fix) => f.with_fix(fix),
                Err(why) => f.with_note(why),
            })
        }
        "let_condition" if !unwrapped => {
            // `if let Err(e) = cmd.spawn() { .. }`: the child of `Ok` is dropped.
            let pat = parent.child_by_field_name("pattern")?;
            if !text(pat, src).starts_with("Err(") {
                return None;
            }
            let f = finding(format!(
                "The child process from `spawn()` is dropped when the spawn succeeds, and never waited{doc}"
            ));
            Some(match reap.if_let_err(parent) {
                Ok(fix) => f.with_fix(fix),
                Err(why) => f.with_note(why),
            })
        }
        "field_expression" => {
            let m = parent
                .child_by_field_name("field")
                .map(|f| text(f, src))
                .unwrap_or("");
            if unwrapped {
                if HANDLED.contains(&m) {
                    return None;
                }
                return Some(finding(format!("The child process from `spawn()` is used once (`.{m}()`) and dropped without a wait{doc}"))
                    .with_note("bind the child to a variable and wait for it"));
            }
            match m {
                "map" => {
                    let f = finding(format!(
                        "The child process from `spawn()` is dropped by `.map(..)` and never waited{doc}"
                    ));
                    let map_call = parent.parent().filter(|g| g.kind() == "call_expression")?;
                    if !discards_argument(map_call, src) {
                        return None;
                    }
                    Some(match reap.map_discard(map_call) {
                        Ok(fix) => f.with_fix(fix),
                        Err(why) => f.with_note(why),
                    })
                }
                "ok" if parent
                    .parent()
                    .and_then(|g| g.parent())
                    .is_none_or(|s| s.kind() != "expression_statement") =>
                {
                    None
                }
                "is_ok" | "is_err" | "ok" => Some(
                    finding(format!(
                        "The child process from `spawn()` is dropped after checking the spawn (`.{m}()`) and never waited{doc}"
                    ))
                    .with_note("bind the child (`match cmd.spawn() { Ok(mut child) => .., Err(e) => .. }`) and wait for it"),
                ),
                _ => None,
            }
        }
        "match_expression" if !unwrapped => {
            // `match cmd.spawn() { Ok(_) => .., Err(e) => .. }`, or an
            // `Ok(child)` arm that only looks at the child.
            let body = parent.child_by_field_name("body")?;
            let mut c = body.walk();
            let arms: Vec<Node> = body.named_children(&mut c).collect();
            for arm in arms {
                let Some(pat) = arm.child_by_field_name("pattern") else {
                    continue;
                };
                let p = text(pat, src).replace(' ', "");
                let Some(bound) = p.strip_prefix("Ok(").and_then(|r| r.strip_suffix(')')) else {
                    continue;
                };
                let bound = bound.trim_start_matches("mut");
                // An arm that ends the process (`std::process::exit`) takes
                // the child with it.
                let exits = arm.child_by_field_name("value").is_some_and(|v| {
                    let mut hit = false;
                    crate::analysis::rust::visit(v, &mut |n| {
                        if n.kind() == "call_expression"
                            && let Some(f) = n.child_by_field_name("function")
                        {
                            let t = text(f, src);
                            hit |= t == "exit" || t.ends_with("process::exit");
                        }
                    });
                    hit
                });
                if exits {
                    continue;
                }
                let dropped = if bound == "_" {
                    true
                } else if bound.chars().all(|ch| ch.is_alphanumeric() || ch == '_') {
                    let Some(value) = arm.child_by_field_name("value") else {
                        continue;
                    };
                    let Some(uses) = crate::analysis::rust::flow::uses_in(value, bound, src) else {
                        continue;
                    };
                    !uses.iter().any(|u| match &u.kind {
                        UseKind::Method(m) => HANDLED.contains(&m.as_str()),
                        UseKind::Moved | UseKind::Reassigned => true,
                        _ => false,
                    })
                } else {
                    false
                };
                if dropped {
                    let what = if bound == "_" {
                        "by the `Ok(_)` arm".to_string()
                    } else {
                        format!("at the end of the `Ok({bound})` arm")
                    };
                    let how = if reap.background.is_some() {
                        "bind it mutably in the arm and reap it in the background (`std::thread::spawn(move || child.wait());`)"
                    } else {
                        "bind it mutably in the arm (`Ok(mut child)`) and wait for it"
                    };
                    return Some(
                        finding(format!(
                            "The child process from `spawn()` is dropped {what} and never waited{doc}"
                        ))
                        .with_note(how),
                    );
                }
            }
            None
        }
        _ => None,
    }
}

/// Does the function return a `Result` (so `?` is possible)?
fn returns_result(f: Node, src: &str) -> bool {
    f.child_by_field_name("return_type").is_some_and(|r| {
        let t = text(r, src);
        let head = t.split('<').next().unwrap_or(t).trim();
        head.rsplit("::").next() == Some("Result")
    })
}

/// `.map(|_| ..)`: a closure that ignores its argument.
fn discards_argument(map_call: Node, src: &str) -> bool {
    map_call
        .child_by_field_name("arguments")
        .and_then(|a| a.named_child(0))
        .filter(|c| c.kind() == "closure_expression")
        .and_then(|c| c.child_by_field_name("parameters"))
        .is_some_and(|p| text(p, src).replace(' ', "") == "|_|")
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
