//! rust-detached-task: a task (or thread) that runs a loop nothing ends,
//! spawned by a constructor that drops its `JoinHandle` — the task outlives
//! the value it works for — or spawned per request. Fix (tokio, in a
//! constructor): keep the handle in a new field and abort it in `Drop`.

use tree_sitter::Node;

use crate::analysis::rust::flow::{UseKind, uses_after};
use crate::analysis::rust::items::{struct_fields, struct_item, struct_literals};
use crate::analysis::rust::syntax::{
    attributes, body_owner, outermost_fn, per_request_reason, simple_binding, statement_of,
};
use crate::analysis::rust::tasks::{constructs, endless_loop, spawned_body};
use crate::analysis::rust::{RustFile, visit};
use crate::catalog::rust::TaskEntry;
use crate::embedded_query;
use crate::engine::Context;
use crate::finding::Finding;
use crate::fix::{Applicability, Edit, Fix};
use crate::lang::{Language, text};
use crate::rules::{FixAvailability, Rule, RuleMeta, Unit};

pub struct RustDetachedTask;

pub const ID: &str = "rust-detached-task";

static META: RuleMeta = RuleMeta {
    id: ID,
    language: Some(Language::Rust),
    summary: "A task or thread running a loop that never ends is spawned by a constructor that drops its handle, or per request",
    fix_summary: "Keep the task's `JoinHandle` in a field of the value that starts it, and abort it in `Drop`",
    fix_availability: FixAvailability::Sometimes,
    applicability: Applicability::Unsafe,
    docs: DOCS,
};

const DOCS: &str = r#"## What it does
Finds `tokio::spawn` (and `tokio::task::spawn`, `spawn_local`) and
`std::thread::spawn` calls whose task runs a loop that nothing ends — a
`loop` (or `while true`) without `break`, `return` or `?` — and whose
`JoinHandle` is dropped, when they are spawned:
- by a constructor (a function of `impl T` that returns `Self`/`T`, also
  inside `Arc`, `Result`...): the task keeps running after the `T` it works
  for is dropped, holding whatever it captured (often an `Arc` of the
  value's own state) for the rest of the process;
- by a request handler: every request starts one more task that never ends.
Loops that end (`while let Some(x) = rx.recv().await`, a `break` on a
shutdown signal, a `?`) and tasks spawned once at startup are not reported.

## Why is this bad?
Dropping a `JoinHandle` detaches the task; it is not cancelled. A cache
that refreshes itself every minute, a connection that pings its server, a
metrics reporter: each instance created and dropped leaves its loop behind,
with its memory, its sockets and its CPU time. Tests that build many
instances, and services that build one per tenant or per request, grow
without bound.

## Example
```rust
pub struct Cache {
    inner: Arc<Inner>,
}

impl Cache {
    pub fn new() -> Self {
        let inner = Arc::new(Inner::default());
        let bg = inner.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                bg.refresh().await;
            }
        });
        Self { inner }
    }
}
```

## Use instead
```rust
pub struct Cache {
    inner: Arc<Inner>,
    background_task: tokio::task::JoinHandle<()>,
}

impl Cache {
    pub fn new() -> Self {
        let inner = Arc::new(Inner::default());
        let bg = inner.clone();
        let background_task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                bg.refresh().await;
            }
        });
        Self {
            inner,
            background_task,
        }
    }
}

impl Drop for Cache {
    fn drop(&mut self) {
        self.background_task.abort();
    }
}
```
An existing `impl Drop` gets the `abort()` as its first statement.

## Fix safety
Unsafe: the task now stops at its next `.await` when the value is dropped,
so work it was in the middle of is abandoned there (a loop that must finish
an iteration should watch a `tokio_util::sync::CancellationToken` that
`Drop` cancels instead). The fix is offered for tokio tasks spawned in a
constructor of a struct in the same file, with named fields, no generic
parameters and no derives other than `Debug` (a `Clone` value would abort
the task when its first clone is dropped), whose literal is built after the
spawn in the same function. Threads cannot be aborted and per-request tasks
have no owner to stop them: those are reported without a fix.

## References
- https://docs.rs/tokio/latest/tokio/task/struct.JoinHandle.html ("A JoinHandle detaches the associated task when it is dropped")
- https://docs.rs/tokio/latest/tokio/task/struct.JoinHandle.html#method.abort
- https://docs.rs/tokio-util/latest/tokio_util/sync/struct.CancellationToken.html
"#;

impl Rule for RustDetachedTask {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, unit: &Unit<'_>, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let Unit::Rust(file) = unit else { return };
        let query = embedded_query!(Language::Rust, "rust/detached_task.scm");
        let src = file.text();
        for m in file.query_matches(query) {
            let Some(call) = m.capture(query, "call") else {
                continue;
            };
            if !cx.include_tests && file.is_test_code(call.start_byte()) {
                continue;
            }
            let Some(f) = call.child_by_field_name("function") else {
                continue;
            };
            let path = file.resolve(text(f, src), call.start_byte());
            let Some(entry) = cx.rust_catalog.task(&path) else {
                continue;
            };
            if let Some(f) = check_spawn(file, entry, call) {
                out.push(f);
            }
        }
    }
}

/// How the handle is dropped: the statement that spawns, and the binding
/// it is given (`None` for `tokio::spawn(..);`, `_` or an unused name).
struct Dropped<'t> {
    stmt: Node<'t>,
    binding: Option<String>,
}

/// Is the spawn's handle dropped? Its statement, when it is.
fn dropped_handle<'t>(call: Node<'t>, src: &str) -> Option<Dropped<'t>> {
    let parent = call.parent()?;
    match parent.kind() {
        "expression_statement" => Some(Dropped {
            stmt: parent,
            binding: None,
        }),
        "block"
            if crate::analysis::rust::syntax::block_tail(parent)
                .is_some_and(|t| t.id() == call.id()) =>
        {
            // The block's value: dropped only when the block is a statement
            // whose value nobody takes; leave those alone.
            None
        }
        "let_declaration" => {
            let pat = parent.child_by_field_name("pattern")?;
            if text(pat, src) == "_" {
                return Some(Dropped {
                    stmt: parent,
                    binding: Some("_".into()),
                });
            }
            let name = simple_binding(parent, src)?;
            let uses = uses_after(parent, &name, src)?;
            let kept = uses.iter().any(|u| {
                !matches!(&u.kind, UseKind::Macro(m) if matches!(m.as_str(), "println" | "eprintln" | "info" | "debug" | "trace" | "warn" | "error"))
            });
            (!kept).then_some(Dropped {
                stmt: parent,
                binding: Some(name),
            })
        }
        _ => None,
    }
}

fn check_spawn(file: &RustFile, entry: &TaskEntry, call: Node) -> Option<Finding> {
    let src = file.text();
    let arg = call.child_by_field_name("arguments")?.named_child(0)?;
    let (body, fn_name) = spawned_body(file, arg)?;
    endless_loop(body, src)?;
    // The task's value: `()`, or the endless loop's `!`.
    let unit_output = match &fn_name {
        Some(_) => body
            .parent()
            .and_then(|f| f.child_by_field_name("return_type"))
            .is_none_or(|r| text(r, src).replace(' ', "") == "()"),
        None => crate::analysis::rust::syntax::block_tail(body)
            .is_none_or(|t| matches!(t.kind(), "loop_expression" | "while_expression")),
    };
    let dropped = dropped_handle(call, src)?;
    let owner = body_owner(call)?;
    let doc = entry
        .doc
        .as_deref()
        .map(|d| format!(": {d}"))
        .unwrap_or_default();
    let what = if entry.abortable { "task" } else { "thread" };
    let new = |msg: String| {
        Finding::new(
            ID,
            file.parsed.path.clone(),
            &file.parsed.source,
            call.byte_range(),
            msg,
        )
    };
    // A constructor: the task belongs to the value it returns.
    let ctor = outermost_fn(call).filter(|f| owner.id() == f.id());
    if let Some(f) = ctor
        && let Some(ty) = constructs(f, src)
    {
        let finding = new(format!(
            "This {what} runs a loop that never ends, and `{ty}` drops its handle: the {what} outlives every `{ty}` that starts it{doc}"
        ));
        if !entry.abortable {
            return Some(finding.with_note(format!(
                "a thread cannot be stopped from outside: give its loop a stop flag or channel that `impl Drop for {ty}` sets, and join it there"
            )));
        }
        if !unit_output {
            return Some(finding.with_note(format!(
                "the task returns a value; keep its handle in a field of `{ty}` and abort it in `impl Drop for {ty}`"
            )));
        }
        return Some(
            match abort_on_drop(file, f, &ty, &dropped, fn_name.as_deref()) {
                Ok(fix) => finding.with_fix(fix),
                Err(why) => finding.with_note(why),
            },
        );
    }
    if let Some(why) = per_request_reason(file, owner) {
        return Some(
            new(format!(
                "This {what} runs a loop that never ends, and is started on every call of {why}: one more {what} per request, none ever stops{doc}"
            ))
            .with_note(
                "start it once at startup, or end its loop when the request is done (a `tokio_util::sync::CancellationToken` cancelled when the request ends, or a channel the handler closes)",
            ),
        );
    }
    None
}

/// Keeps the handle in a new field of `ty` and aborts it in `Drop`.
fn abort_on_drop(
    file: &RustFile,
    ctor: Node,
    ty: &str,
    dropped: &Dropped,
    fn_name: Option<&str>,
) -> Result<Fix, String> {
    let src = file.text();
    let source = &file.parsed.source;
    let style = file.style();
    let nl = source.newline();
    let unit = style.indent_unit();
    let path = file.parsed.path.clone();
    let fail = |why: &str| {
        format!(
            "keep the handle in a field of `{ty}` and abort it in `impl Drop`; leakfix does not: {why}"
        )
    };
    let item = struct_item(file, ty).ok_or_else(|| fail("the struct is not in this file"))?;
    if item.child_by_field_name("type_parameters").is_some() {
        return Err(fail("the struct has generic parameters"));
    }
    let derives: Vec<String> = attributes(item, src)
        .into_iter()
        .filter(|a| a.starts_with("#[derive("))
        .collect();
    let derived: Vec<&str> = derives
        .iter()
        .flat_map(|d| {
            d.trim_start_matches("#[derive(")
                .trim_end_matches(")]")
                .split(',')
        })
        .map(|x| x.rsplit("::").next().unwrap_or(x))
        .collect();
    if derived.contains(&"Clone") {
        return Err(format!(
            "`{ty}` is `Clone`, and its clones share the task: keep the handle in the state they share (an `Arc`) and abort it in that state's `Drop`, when the last clone goes"
        ));
    }
    if derived.iter().any(|x| *x != "Debug") {
        return Err(fail("it derives traits a `JoinHandle` does not have"));
    }
    let body = item
        .child_by_field_name("body")
        .filter(|b| b.kind() == "field_declaration_list" && text(*b, src).contains('\n'))
        .ok_or_else(|| fail("its fields are not laid out one per line"))?;
    // The spawn is a statement of the constructor's body; the literal of
    // `ty` comes after it in the same function.
    let fn_body = ctor.child_by_field_name("body").ok_or("no body")?;
    if dropped.stmt.parent().is_none_or(|p| p.id() != fn_body.id()) {
        return Err(fail("the spawn is inside a nested block"));
    }
    let lits: Vec<Node> = struct_literals(file, ty)
        .into_iter()
        .filter(|l| l.start_byte() >= dropped.stmt.end_byte() && l.end_byte() <= fn_body.end_byte())
        .collect();
    let [lit] = lits.as_slice() else {
        return Err(fail(
            "it is built in more than one place after the spawn, or before it",
        ));
    };
    if statement_of(*lit).is_none() {
        return Err(fail("its literal is inside a closure"));
    }
    // A field name nobody uses.
    let fields: Vec<String> = struct_fields(file, ty)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let mut used = Vec::new();
    visit(ctor, &mut |n| {
        if n.kind() == "identifier" {
            used.push(text(n, src).to_string());
        }
    });
    let base = match (&dropped.binding, fn_name) {
        (Some(b), _) if b != "_" && !b.trim_start_matches('_').is_empty() => {
            b.trim_start_matches('_').to_string()
        }
        (_, Some(f)) => format!("{f}_task"),
        _ => "background_task".to_string(),
    };
    let name = (1..10)
        .map(|i| {
            if i == 1 {
                base.clone()
            } else {
                format!("{base}_{i}")
            }
        })
        .find(|n| !fields.contains(n) && (Some(n) == dropped.binding.as_ref() || !used.contains(n)))
        .ok_or_else(|| fail("no free field name"))?;
    // The async block's value must be `()` (or the loop's `!`).
    let mut edits = Vec::new();
    // 1. Bind the handle.
    match &dropped.binding {
        None => {
            let line = source.line_range(source.line_index(dropped.stmt.start_byte()));
            let first = &src[line.clone()];
            if first.trim_end().len() + "let  = ".len() + name.len() > style.max_width {
                return Err(fail("binding the handle would make the line too long"));
            }
            edits.push(Edit::insertion(
                path.clone(),
                dropped.stmt.start_byte(),
                format!("let {name} = "),
            ));
        }
        Some(b) if *b != name => {
            let pat = dropped
                .stmt
                .child_by_field_name("pattern")
                .ok_or("no pattern")?;
            edits.push(Edit::replacement(
                path.clone(),
                pat.byte_range(),
                name.clone(),
            ));
        }
        Some(_) => {}
    }
    // 2. The field.
    let mut c = body.walk();
    let last = body
        .named_children(&mut c)
        .filter(|f| f.kind() == "field_declaration")
        .last()
        .ok_or_else(|| fail("it has no named fields"))?;
    let after = &src[last.end_byte()..body.end_byte()];
    if !after.trim_start().starts_with(',') {
        return Err(fail("its last field has no trailing comma"));
    }
    let comma = last.end_byte() + after.find(',').unwrap() + 1;
    let ind = source.indent_at(last.start_byte()).to_string();
    edits.push(Edit::insertion(
        path.clone(),
        comma,
        format!("{nl}{ind}{name}: tokio::task::JoinHandle<()>,"),
    ));
    // 3. The literal takes it.
    let fields_node = lit.child_by_field_name("body").ok_or("no fields")?;
    let mut c = fields_node.walk();
    let items: Vec<Node> = fields_node.named_children(&mut c).collect();
    if items.iter().any(|i| i.kind() == "base_field_initializer") {
        return Err(fail("its literal uses `..`"));
    }
    let last_item = items.last().ok_or_else(|| fail("its literal is empty"))?;
    if text(fields_node, src).contains('\n') {
        let after = &src[last_item.end_byte()..fields_node.end_byte()];
        if !after.trim_start().starts_with(',') {
            return Err(fail(
                "its literal is laid out in a way leakfix does not extend",
            ));
        }
        let comma = last_item.end_byte() + after.find(',').unwrap() + 1;
        let ind = source.indent_at(last_item.start_byte());
        edits.push(Edit::insertion(
            path.clone(),
            comma,
            format!("{nl}{ind}{name},"),
        ));
    } else {
        let inside: Vec<&str> = items.iter().map(|i| text(*i, src)).collect();
        let one = format!("{}, {name}", inside.join(", "));
        let line = source.line_range(source.line_index(lit.start_byte()));
        let line_len = line.end - line.start + name.len() + 2;
        if one.len() <= style.struct_lit_width && line_len <= style.max_width {
            edits.push(Edit::replacement(
                path.clone(),
                fields_node.byte_range(),
                format!("{{ {one} }}"),
            ));
        } else {
            let base_ind = source.indent_at(lit.start_byte()).to_string();
            let mut out = format!("{{{nl}");
            for t in inside {
                if t.contains('\n') {
                    return Err(fail("a field of its literal spans lines"));
                }
                out.push_str(&format!("{base_ind}{unit}{t},{nl}"));
            }
            out.push_str(&format!("{base_ind}{unit}{name},{nl}{base_ind}}}"));
            edits.push(Edit::replacement(
                path.clone(),
                fields_node.byte_range(),
                out,
            ));
        }
    }
    // 4. Drop aborts it.
    let abort = format!("self.{name}.abort();");
    match drop_impl(file, ty) {
        Some(drop_fn_body) => {
            let first = crate::analysis::rust::syntax::block_items(drop_fn_body)
                .into_iter()
                .next();
            let (at, ind) = match first {
                Some(f) => (
                    source.line_range(source.line_index(f.start_byte())).start,
                    source.indent_at(f.start_byte()).to_string(),
                ),
                None => return Err(fail("its `Drop` is empty on one line")),
            };
            edits.push(Edit::insertion(
                path.clone(),
                at,
                format!("{ind}{abort}{nl}"),
            ));
        }
        None => {
            let imp = ctor
                .parent()
                .and_then(|p| p.parent())
                .filter(|p| p.kind() == "impl_item")
                .ok_or("not in an impl")?;
            let ind = source.indent_at(imp.start_byte()).to_string();
            let at = source.next_line_start(imp.end_byte()).unwrap_or(src.len());
            let at_end = at == src.len() && !src.ends_with('\n');
            let lead = if at_end {
                nl.to_string()
            } else {
                String::new()
            };
            edits.push(Edit::insertion(
                path.clone(),
                at,
                format!(
                    "{lead}{nl}{ind}impl Drop for {ty} {{{nl}{ind}{unit}fn drop(&mut self) {{{nl}{ind}{unit}{unit}{abort}{nl}{ind}{unit}}}{nl}{ind}}}{nl}"
                ),
            ));
        }
    }
    Ok(Fix::unsafe_(
        format!("keep the task's handle in `{ty}.{name}` and abort it when the `{ty}` is dropped"),
        edits,
    )
    .with_claim(path.clone(), dropped.stmt.byte_range())
    .with_claim(path, item.byte_range()))
}

/// The body of `fn drop` in the file's `impl Drop for ty`.
fn drop_impl<'t>(file: &'t RustFile, ty: &str) -> Option<Node<'t>> {
    let src = file.text();
    let mut found = None;
    visit(file.root(), &mut |n| {
        if found.is_some() || n.kind() != "impl_item" {
            return;
        }
        let tr = n.child_by_field_name("trait").map(|t| text(t, src));
        let t = n.child_by_field_name("type").map(|t| text(t, src));
        if tr.is_some_and(|t| t == "Drop" || t.ends_with("::Drop")) && t == Some(ty) {
            let mut inner = None;
            visit(n, &mut |f| {
                if inner.is_none() && f.kind() == "function_item" {
                    inner = f.child_by_field_name("body");
                }
            });
            found = inner;
        }
    });
    found
}
