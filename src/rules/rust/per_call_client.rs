//! rust-per-call-client: a pooled client (reqwest, AWS SDK, redis, tonic,
//! sqlx, mongodb) built inside code that runs per request or per loop
//! iteration. Fix: build it once, in shared state (`static` + `LazyLock`,
//! `OnceLock` with an accessor, or `tokio::sync::OnceCell` for async
//! constructors), or move it before the loop when it depends on values that
//! do not change in the loop. Clients built from per-call values are
//! reported, never rewritten.

use streaming_iterator::StreamingIterator;
use tree_sitter::{Node, QueryCursor};

use crate::analysis::rust::flow::{UseKind, uses_after};
use crate::analysis::rust::syntax::{
    body_owner, contains, enclosing_loop, in_async_context, local_bindings, outermost_fn,
    pattern_names, per_call, statement_of, value_identifiers,
};
use crate::analysis::rust::{RustFile, RustVersion, visit};
use crate::catalog::rust::ClientEntry;
use crate::embedded_query;
use crate::engine::Context;
use crate::finding::Finding;
use crate::fix::{Applicability, Edit, Fix};
use crate::lang::{Language, text};
use crate::rewrite::rust::{
    Chain, MAX_WIDTH, before_item, chain_top, declared_names, ensure_use, module_of, reindent,
    replace_in_chain, top_item,
};
use crate::rules::{FixAvailability, Rule, RuleMeta, Unit};

pub struct RustPerCallClient;

pub const ID: &str = "rust-per-call-client";

static META: RuleMeta = RuleMeta {
    id: ID,
    language: Language::Rust,
    summary: "A pooled client (reqwest, AWS SDK, redis, tonic, sqlx, mongodb) is built per request or per loop iteration",
    fix_summary: "Build it once: a `static` (`LazyLock`, `OnceLock` accessor, `tokio::sync::OnceCell`), or before the loop",
    fix_availability: FixAvailability::Sometimes,
    applicability: Applicability::Unsafe,
    docs: DOCS,
};

const DOCS: &str = r#"## What it does
Finds clients that own a connection pool — `reqwest::Client`, AWS SDK
clients, `redis::Client`, tonic channels and generated clients, sqlx pools,
`mongodb::Client` — built inside code that runs once per request (axum,
actix-web, warp and rocket handlers, `lambda_runtime::service_fn` closures,
functions with a request-like parameter) or once per loop iteration.

## Why is this bad?
Each new client starts with an empty pool: every request pays for DNS, TCP
and TLS again, keeps sockets in TIME_WAIT, and, under load, runs out of file
descriptors or ports. reqwest's documentation says to create one `Client`
and reuse it; the AWS SDK says the same of its clients. Clones of these
clients share one pool, so one shared value serves every caller.

## Example
```rust
async fn get_user(Path(id): Path<u64>) -> Result<String, AppError> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()?;
    Ok(client.get(format!("{BASE}/users/{id}")).send().await?.text().await?)
}
```

## Use instead
```rust
static HTTP_CLIENT: OnceLock<reqwest::Client> = OnceLock::new();

fn http_client() -> Result<reqwest::Client, reqwest::Error> {
    if let Some(client) = HTTP_CLIENT.get() {
        return Ok(client.clone());
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()?;
    Ok(HTTP_CLIENT.get_or_init(|| client).clone())
}

async fn get_user(Path(id): Path<u64>) -> Result<String, AppError> {
    let client = http_client()?;
    Ok(client.get(format!("{BASE}/users/{id}")).send().await?.text().await?)
}
```
An infallible constructor becomes `static NAME: LazyLock<T>` when the crate
builds with Rust 1.80 or later (`rust-version`, or edition 2024), and an
`OnceLock` accessor otherwise. A fallible one keeps returning its error
from the accessor, so the caller's `?`, `match` or `expect` is unchanged.
An async constructor uses `tokio::sync::OnceCell` when the crate depends on
tokio with its `sync` feature. In a loop (outside a handler), a construction
whose arguments do not change in the loop moves before the loop.

## Fix safety
Unsafe: the client now lives for the whole process (or the whole loop), its
constructor's side effects happen once, and the first caller's error (for a
fallible constructor) is returned only to that caller; later callers retry.
A client whose arguments depend on the call (a parameter, a request field, a
loop variable) is reported and never rewritten: which clients to share is the
author's decision. No fix is offered when the constructor's code refers to
names that exist only inside the function, or when leakfix cannot lay the
new code out the way rustfmt would.

## References
- https://docs.rs/reqwest/latest/reqwest/struct.Client.html ("create one and reuse it")
- https://docs.aws.amazon.com/sdk-for-rust/latest/dg/client-config.html
- https://doc.rust-lang.org/std/sync/struct.LazyLock.html
"#;

impl Rule for RustPerCallClient {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, unit: &Unit<'_>, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let Unit::Rust(file) = unit else { return };
        let query = embedded_query!(Language::Rust, "rust/per_call_client.scm");
        let mut cursor = QueryCursor::new();
        let src = file.text();
        let mut matches = cursor.matches(query, file.root(), src.as_bytes());
        let names = query.capture_names();
        let mut seen = Vec::new();
        while let Some(m) = matches.next() {
            let (mut call, mut path) = (None, None);
            for c in m.captures() {
                match names[c.index as usize] {
                    "call" => call = Some(c.node),
                    "path" => path = Some(c.node),
                    _ => {}
                }
            }
            let (Some(call), Some(path)) = (call, path) else {
                continue;
            };
            if !cx.include_tests && file.is_test_code(call.start_byte()) {
                continue;
            }
            let Some(ctor) = recognise(file, cx, call, path) else {
                continue;
            };
            if seen.contains(&ctor.expr.id()) {
                continue;
            }
            seen.push(ctor.expr.id());
            if let Some(f) = (Site { file, ctor }).check() {
                out.push(f);
            }
        }
    }
}

/// A recognised client construction.
struct Ctor<'a, 't> {
    entry: &'a ClientEntry,
    /// The expression that yields the client (or, for async constructors,
    /// the future that does): what the fix replaces.
    expr: Node<'t>,
    /// The resolved path of the first call (`reqwest::Client::builder`).
    resolved: String,
    /// The type the first call is made on, as written (`Client`).
    self_written: String,
}

fn recognise<'a, 't>(
    file: &'t RustFile,
    cx: &'a Context<'_>,
    call: Node<'t>,
    path: Node<'t>,
) -> Option<Ctor<'a, 't>> {
    let src = file.text();
    let written = text(path, src);
    let resolved = file.resolve(written, call.start_byte());
    let self_written = path
        .child_by_field_name("path")
        .map(|p| text(p, src).to_string())
        .unwrap_or_default();
    let depends = |name: &str| file.depends_on(name);
    let catalog = cx.rust_catalog;
    if let Some(entry) = catalog.client_constructor(&resolved, &depends)
        && entry.finish.is_empty()
    {
        return Some(Ctor {
            entry,
            expr: call,
            resolved,
            self_written,
        });
    }
    // A builder: follow the method chain up to a finishing call.
    let mut cur = call;
    loop {
        let field = cur.parent().filter(|p| p.kind() == "field_expression")?;
        let outer = field.parent().filter(|g| {
            g.kind() == "call_expression"
                && g.child_by_field_name("function")
                    .is_some_and(|f| f.id() == field.id())
        })?;
        let method = text(field.child_by_field_name("field")?, src);
        if let Some(entry) = catalog.client_builder(&resolved, method, &depends) {
            return Some(Ctor {
                entry,
                expr: outer,
                resolved,
                self_written,
            });
        }
        cur = outer;
    }
}

struct Site<'a, 't> {
    file: &'t RustFile,
    ctor: Ctor<'a, 't>,
}

/// How the construction can be made once.
enum Plan {
    Static,
    BeforeLoop,
}

impl<'a, 't> Site<'a, 't> {
    fn src(&self) -> &'t str {
        self.file.text()
    }

    fn check(&self) -> Option<Finding> {
        let e = self.ctor.expr;
        let src = self.src();
        if self.ctor.entry.is_async && e.parent().is_none_or(|p| p.kind() != "await_expression") {
            return None; // a future stored or joined elsewhere: don't know
        }
        let owner = body_owner(e)?;
        if self.runs_once(e) {
            return None;
        }
        // A client that is returned, stored or handed on is kept by someone:
        // building it may be the point (a factory, a pool of clients).
        if let Some(stmt) = statement_of(e).filter(|s| s.kind() == "let_declaration")
            && let Some(name) = simple_binding(stmt, src)
        {
            let uses = uses_after(stmt, &name, src)?;
            if uses
                .iter()
                .any(|u| matches!(u.kind, UseKind::Moved | UseKind::Reassigned))
            {
                return None;
            }
        }
        let lp = enclosing_loop(e);
        let call = per_call(self.file, owner);
        if lp.is_none() && call.is_none() {
            return None;
        }
        // Inside a loop, only a request handler makes sharing across calls
        // the better fix; otherwise the loop is what repeats it.
        let request = call
            .as_ref()
            .filter(|c| c.handler || lp.is_none())
            .map(|c| c.why.clone());
        let handler = call.as_ref().is_some_and(|c| c.handler);
        let shown = shorten(text(e, src));
        let doc = self
            .ctor
            .entry
            .doc
            .as_deref()
            .map(|d| format!(": {d}"))
            .unwrap_or_default();
        let message = match (&request, lp) {
            (Some(why), _) => format!("`{shown}` builds a new client on every call of {why}{doc}"),
            (None, _) => {
                format!("`{shown}` builds a new client on every iteration of this loop{doc}")
            }
        };
        let finding = Finding::new(
            ID,
            self.file.parsed.path.clone(),
            &self.file.parsed.source,
            e.byte_range(),
            message,
        );

        let deps = match self.dependencies() {
            Ok(d) => d,
            Err(why) => return Some(finding.with_note(why)),
        };
        let plan = match (deps.is_empty(), lp, &request) {
            (true, Some(_), None) => {
                if self.loop_fix(lp.unwrap(), &deps).is_ok() {
                    Plan::BeforeLoop
                } else {
                    Plan::Static
                }
            }
            (true, _, _) => Plan::Static,
            (false, Some(lp), _) => match self.loop_invariant(lp, &deps) {
                Ok(()) => Plan::BeforeLoop,
                Err(why) => return Some(finding.with_note(why)),
            },
            // Only "takes arguments": a client per distinct argument may be the point.
            (false, None, _) if !handler => return None,
            (false, None, _) => {
                return Some(finding.with_note(format!(
                    "its arguments depend on this call ({}), so leakfix does not rewrite it: keep one client per distinct value (a map, or a field of your state) or build it from configuration at startup",
                    deps.iter().map(|d| format!("`{d}`")).collect::<Vec<_>>().join(", ")
                )));
            }
        };
        let fix = match plan {
            Plan::Static => self.static_fix(),
            Plan::BeforeLoop => self.loop_fix(lp.unwrap(), &deps),
        };
        Some(match fix {
            Ok(fix) => finding.with_fix(fix),
            Err(why) => finding.with_note(why),
        })
    }

    /// Code that runs once by construction: the initialiser of a `LazyLock`,
    /// `OnceLock::get_or_init`, `OnceCell`, `Once::call_once`, and a value
    /// built only to be stored in one.
    fn runs_once(&self, e: Node) -> bool {
        let src = self.src();
        let once_call = |call: Node| -> bool {
            let Some(f) = call.child_by_field_name("function") else {
                return false;
            };
            let t = text(f, src);
            let last = t.rsplit(['.', ':']).next().unwrap_or(t);
            matches!(
                last,
                "get_or_init"
                    | "get_or_try_init"
                    | "call_once"
                    | "get_or_insert_with"
                    | "call_once_force"
            ) || (last == "new" && (t.contains("Lazy") || t.contains("Once")))
        };
        let mut cur = e.parent();
        while let Some(n) = cur {
            if n.kind() == "closure_expression"
                && let Some(call) = n
                    .parent()
                    .filter(|p| p.kind() == "arguments")
                    .and_then(|a| a.parent())
                && once_call(call)
            {
                return true;
            }
            cur = n.parent();
        }
        // `let client = ...; CELL.get_or_init(|| client)`.
        if let Some(stmt) = statement_of(e).filter(|s| s.kind() == "let_declaration")
            && let Some(name) = simple_binding(stmt, src)
            && let Some(uses) = uses_after(stmt, &name, src)
        {
            return uses.iter().any(|u| {
                let mut cur = u.node.parent();
                while let Some(n) = cur {
                    if n.kind() == "call_expression" && once_call(n) {
                        return true;
                    }
                    if n.id() == stmt.parent().map(|p| p.id()).unwrap_or(0) {
                        break;
                    }
                    cur = n.parent();
                }
                false
            });
        }
        false
    }

    /// Locals the construction reads, or why it cannot be moved at all.
    fn dependencies(&self) -> Result<Vec<String>, String> {
        let e = self.ctor.expr;
        let src = self.src();
        let Some(outer) = outermost_fn(e) else {
            return Ok(Vec::new());
        };
        let locals: Vec<String> = local_bindings(outer, src)
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        let mut deps: Vec<String> = Vec::new();
        let mut inner = false;
        visit(e, &mut |n| {
            if matches!(
                n.kind(),
                "try_expression" | "await_expression" | "return_expression"
            ) {
                inner = true;
            }
        });
        if inner {
            return Err(
                "its arguments use `?`, `.await` or `return`, which cannot move into shared state"
                    .into(),
            );
        }
        for (name, _) in value_identifiers(e, src) {
            if (name == "self" || locals.contains(&name)) && !deps.contains(&name) {
                deps.push(name);
            }
        }
        // Names that only exist inside the function: items and `use`s in its body.
        let body = outer.child_by_field_name("body");
        let mut block_items = Vec::new();
        if let Some(body) = body {
            visit(body, &mut |n| {
                if matches!(
                    n.kind(),
                    "const_item" | "static_item" | "function_item" | "struct_item" | "enum_item"
                ) && let Some(name) = n.child_by_field_name("name")
                {
                    block_items.push(text(name, src).to_string());
                }
            });
        }
        let module_start = outer.start_byte();
        let mut first_segments: Vec<(String, usize)> = Vec::new();
        visit(e, &mut |n| {
            if n.kind() == "scoped_identifier"
                && n.parent().is_none_or(|p| p.kind() != "scoped_identifier")
            {
                let t = text(n, src);
                first_segments.push((
                    t.split("::").next().unwrap_or(t).to_string(),
                    n.start_byte(),
                ));
            }
        });
        for (name, _) in value_identifiers(e, src) {
            if !locals.contains(&name) {
                first_segments.push((name, e.start_byte()));
            }
        }
        for (seg, at) in &first_segments {
            if block_items.contains(seg) {
                return Err(format!(
                    "it uses `{seg}`, which is declared inside the function"
                ));
            }
            let local_use = self.file.uses.iter().any(|u| {
                &u.alias == seg && u.scope.contains(at) && !u.scope.contains(&module_start)
            });
            if local_use {
                return Err(format!(
                    "it uses `{seg}`, imported by a `use` inside the function"
                ));
            }
        }
        Ok(deps)
    }

    /// Do `deps` keep their values for the whole loop?
    fn loop_invariant(&self, lp: Node, deps: &[String]) -> Result<(), String> {
        let src = self.src();
        let inside: Vec<String> = local_bindings(lp, src)
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        for d in deps {
            if d == "self" {
                continue;
            }
            if inside.contains(d) {
                return Err(format!(
                    "it depends on `{d}`, which changes on every iteration, so it is reported, not rewritten"
                ));
            }
            let mut changed = false;
            visit(lp, &mut |n| {
                let target = match n.kind() {
                    "assignment_expression" | "compound_assignment_expr" => {
                        n.child_by_field_name("left")
                    }
                    "reference_expression"
                        if text(n, src)
                            .trim_start_matches('&')
                            .trim_start()
                            .starts_with("mut ") =>
                    {
                        n.child_by_field_name("value")
                    }
                    _ => None,
                };
                if target.is_some_and(|t| text(t, src) == d) {
                    changed = true;
                }
            });
            if changed {
                return Err(format!(
                    "it depends on `{d}`, which the loop changes, so it is reported, not rewritten"
                ));
            }
        }
        Ok(())
    }

    /// Moves `let client = ...;` to just before the loop.
    fn loop_fix(&self, lp: Node, deps: &[String]) -> Result<Fix, String> {
        self.loop_invariant(lp, deps)?;
        let src = self.src();
        let source = &self.file.parsed.source;
        let e = self.ctor.expr;
        let stmt = statement_of(e)
            .filter(|s| s.kind() == "let_declaration")
            .ok_or("the client is not bound with `let` directly in the loop body")?;
        let body = lp.child_by_field_name("body").ok_or("malformed loop")?;
        if stmt.parent().is_none_or(|p| p.id() != body.id()) {
            return Err("the client is built inside a nested block of the loop".into());
        }
        let name = simple_binding(stmt, src).ok_or("the client is bound to a pattern")?;
        let uses = uses_after(stmt, &name, src)
            .ok_or_else(|| format!("`{name}` is bound again in the loop"))?;
        if uses
            .iter()
            .any(|u| matches!(u.kind, UseKind::Moved | UseKind::Reassigned))
        {
            return Err(format!(
                "`{name}` is moved or reassigned in the loop, so one client cannot serve every iteration"
            ));
        }
        // The name must mean nothing else in the function: moving the `let`
        // out of the loop must not shadow another binding.
        let outer = outermost_fn(e).ok_or("not in a function")?;
        let mut elsewhere = false;
        visit(outer, &mut |n| {
            if n.kind() == "identifier"
                && text(n, src) == name
                && !contains(stmt, n)
                && !(contains(body, n) && n.start_byte() > stmt.end_byte())
            {
                elsewhere = true;
            }
        });
        if elsewhere {
            return Err(format!("`{name}` is also used outside the loop"));
        }
        let loop_stmt = statement_of(lp).ok_or("the loop is not a statement")?;
        let nl = source.newline();
        let (del_start, del_end) =
            whole_lines(source, stmt).ok_or("the `let` shares its line with other code")?;
        let stmt_text = src[stmt.start_byte()..del_end].trim_end();
        let loop_line_start = source
            .line_range(source.line_index(loop_stmt.start_byte()))
            .start;
        if !src[loop_line_start..loop_stmt.start_byte()]
            .trim()
            .is_empty()
        {
            return Err("the loop shares its line with other code".into());
        }
        let from = source.indent_at(stmt.start_byte());
        let to = source.indent_at(loop_stmt.start_byte());
        if from.contains('\t') || to.contains('\t') {
            return Err("tab-indented code".into());
        }
        let moved = reindent(stmt_text, from.len(), to.len(), nl).ok_or("unusual indentation")?;
        let path = self.file.parsed.path.clone();
        let edits = vec![
            Edit::insertion(path.clone(), loop_line_start, format!("{to}{moved}{nl}")),
            Edit::deletion(path.clone(), del_start..del_end),
        ];
        Ok(
            Fix::unsafe_(format!("build `{name}` once, before the loop"), edits)
                .with_claim(path, e.byte_range()),
        )
    }

    /// Hoists the construction into a `static`.
    fn static_fix(&self) -> Result<Fix, String> {
        let file = self.file;
        let src = self.src();
        let source = &file.parsed.source;
        let nl = source.newline();
        let e = self.ctor.expr;
        let entry = self.ctor.entry;
        let outer = outermost_fn(e).ok_or("not in a function")?;
        let module = module_of(outer).ok_or("not in a module")?;
        let item = top_item(outer, module).ok_or("not in a module item")?;
        let indent = source.indent_at(item.start_byte()).to_string();
        if indent.contains('\t') {
            return Err("tab-indented code".into());
        }
        let ind = indent.len();
        let krate = file.krate.as_deref();
        let lazy_ok = krate.is_some_and(|k| k.allows(RustVersion(1, 80)));
        let once_ok = krate.is_none_or(|k| k.rust_version.is_none_or(|v| v >= RustVersion(1, 70)));
        let tokio_cell = krate.and_then(|k| k.dependency("tokio")).is_some_and(|d| {
            (d.has_feature("full") || d.has_feature("sync"))
                && krate
                    .and_then(|k| k.locked.get(&d.package))
                    .is_none_or(|v| *v >= RustVersion(1, 30))
        });
        if !once_ok {
            return Err(
                "the crate's rust-version is older than 1.70, which has no `OnceLock`".into(),
            );
        }
        if entry.is_async && !in_async_context(e, src) {
            return Err(
                "the constructor is awaited outside an async context leakfix understands".into(),
            );
        }

        let ty = self.client_type();
        let chain = Chain::of(e, src)
            .ok_or("the constructor spans lines in a way leakfix does not rewrite")?;
        let existing = declared_names(file.root(), src);
        let base = self.base_name();
        let shape = if entry.is_async {
            if tokio_cell {
                Shape::TokioCell
            } else {
                Shape::OnceLockFn
            }
        } else if entry.fallible() || !lazy_ok {
            Shape::OnceLockFn
        } else {
            Shape::Lazy
        };

        // Pick a name; reuse an identical shared value made by an earlier fix.
        for n in 1.. {
            let (stat, func) = if n == 1 {
                (base.to_uppercase(), base.clone())
            } else {
                (
                    format!("{}_{n}", base.to_uppercase()),
                    format!("{base}_{n}"),
                )
            };
            let mut plan = self.render(shape, &stat, &func, &ty, &chain, ind, nl);
            if plan.is_none() && shape == Shape::TokioCell {
                plan = self.render(Shape::OnceLockFn, &stat, &func, &ty, &chain, ind, nl);
            }
            let (item_text, replacement, lock) =
                plan.ok_or("the shared value would need a layout leakfix does not write")?;
            let taken = existing.contains(&stat) || existing.contains(&func);
            let reuse = taken && src.contains(item_text.trim_end());
            if taken && !reuse {
                if n > 9 {
                    return Err("no free name for the shared client".into());
                }
                continue;
            }
            let path = file.parsed.path.clone();
            let (range, new_text) = replace_in_chain(chain_top(e), e, &replacement, source).ok_or(
                "the chain around the constructor is laid out in a way leakfix does not rewrite",
            )?;
            let mut edits = vec![Edit::replacement(path.clone(), range, new_text)];
            let (lock_path, lock_name) = lock;
            match ensure_use(module, source, lock_path, lock_name) {
                Ok(Some((at, t))) => edits.push(Edit::insertion(path.clone(), at, t)),
                Ok(None) => {}
                Err(why) => return Err(why),
            }
            if !reuse {
                let at = before_item(item, source, src);
                edits.push(Edit::insertion(
                    path.clone(),
                    at,
                    format!("{item_text}{nl}{nl}"),
                ));
            }
            let title = match shape {
                Shape::Lazy => format!(
                    "build the client once, in `static {stat}: LazyLock<{ty}>`, and clone it per call"
                ),
                Shape::OnceLockFn if entry.fallible() => format!(
                    "build the client once, in `{func}()` backed by `static {stat}: OnceLock<{ty}>`; its error still reaches the caller"
                ),
                Shape::OnceLockFn => format!(
                    "build the client once, in `{func}()` backed by `static {stat}: OnceLock<{ty}>`"
                ),
                Shape::TokioCell => format!(
                    "build the client once, in `{func}()` backed by `static {stat}: tokio::sync::OnceCell<{ty}>`"
                ),
            };
            // One new shared item per file and round: names are chosen
            // against the current text, so two hoists in one round could
            // pick the same one. The claim on the file's first byte makes
            // them conflict; the next round takes the other.
            return Ok(Fix::unsafe_(title, edits)
                .with_claim(path.clone(), e.byte_range())
                .with_claim(path, 0..1));
        }
        unreachable!()
    }

    /// The shared item(s), the text that replaces the construction, and the
    /// lock type to import.
    #[allow(clippy::too_many_arguments)]
    fn render(
        &self,
        shape: Shape,
        stat: &str,
        func: &str,
        ty: &str,
        chain: &Chain,
        ind: usize,
        nl: &str,
    ) -> Option<(String, String, (&'static str, &'static str))> {
        let entry = self.ctor.entry;
        let pad = " ".repeat(ind);
        let body = " ".repeat(ind + 4);
        let fits = |s: &str| s.lines().all(|l| l.len() <= MAX_WIDTH);
        match shape {
            Shape::Lazy => {
                let head = format!("{pad}static {stat}: LazyLock<{ty}> = ");
                let plain_path = chain.links.is_empty()
                    && chain.root.ends_with("()")
                    && !chain.root.contains('<');
                let init = if plain_path {
                    format!("LazyLock::new({});", chain.root.trim_end_matches("()"))
                } else {
                    let one = chain.format(0, 0, "")?;
                    if one.contains('\n') {
                        String::new()
                    } else {
                        format!("LazyLock::new(|| {one});")
                    }
                };
                let text = if !init.is_empty() && head.len() + init.len() <= MAX_WIDTH {
                    format!("{head}{init}")
                } else if !init.is_empty() && ind + 4 + init.len() <= MAX_WIDTH {
                    format!("{}{nl}{body}{init}", head.trim_end())
                } else {
                    let inner = chain.format(ind + 4, 0, "")?;
                    format!("{head}LazyLock::new(|| {{{nl}{body}{inner}{nl}{pad}}});")
                };
                let text = text.replace('\n', nl).replace("\r\r", "\r");
                fits(&text).then(|| {
                    (
                        text,
                        format!("{stat}.clone()"),
                        ("std::sync::LazyLock", "LazyLock"),
                    )
                })
            }
            Shape::OnceLockFn => {
                let is_async = entry.is_async;
                let (ret, ok_open, ok_close) = match &entry.error {
                    Some(err) => (format!("Result<{ty}, {err}>"), "Ok(", ")"),
                    None => (ty.to_string(), "", ""),
                };
                let suffix = if entry.fallible() { "?;" } else { ";" };
                let lead = "let client = ".len();
                let built = if is_async {
                    let mut c = Chain {
                        root: chain.root.clone(),
                        links: chain.links.clone(),
                    };
                    c.links.push(".await".into());
                    c.format(ind + 4, lead, suffix)?
                } else {
                    chain.format(ind + 4, lead, suffix)?
                };
                let kw = if is_async { "async fn" } else { "fn" };
                let text = [
                    format!("{pad}static {stat}: OnceLock<{ty}> = OnceLock::new();"),
                    String::new(),
                    format!("{pad}{kw} {func}() -> {ret} {{"),
                    format!("{body}if let Some(client) = {stat}.get() {{"),
                    format!("{body}    return {ok_open}client.clone(){ok_close};"),
                    format!("{body}}}"),
                    format!("{body}let client = {built}"),
                    format!("{body}{ok_open}{stat}.get_or_init(|| client).clone(){ok_close}"),
                    format!("{pad}}}"),
                ]
                .join("\n");
                let text = text.replace('\n', nl).replace("\r\r", "\r");
                fits(&text).then(|| {
                    (
                        text,
                        format!("{func}()"),
                        ("std::sync::OnceLock", "OnceLock"),
                    )
                })
            }
            Shape::TokioCell => {
                let (ret, method, take) = match &entry.error {
                    Some(err) => (
                        format!("Result<{ty}, {err}>"),
                        "get_or_try_init",
                        ".cloned()",
                    ),
                    None => (ty.to_string(), "get_or_init", ".clone()"),
                };
                let one = chain.format(0, 0, "")?;
                if one.contains('\n') {
                    return None;
                }
                let call = Chain {
                    root: stat.to_string(),
                    links: vec![format!(".{method}(|| {one})"), ".await".into(), take.into()],
                };
                let laid = call.format(ind + 4, 0, "")?;
                let text = [
                    format!("{pad}static {stat}: OnceCell<{ty}> = OnceCell::const_new();"),
                    String::new(),
                    format!("{pad}async fn {func}() -> {ret} {{"),
                    format!("{body}{laid}"),
                    format!("{pad}}}"),
                ]
                .join("\n");
                let text = text.replace('\n', nl).replace("\r\r", "\r");
                fits(&text).then(|| {
                    (
                        text,
                        format!("{func}()"),
                        ("tokio::sync::OnceCell", "OnceCell"),
                    )
                })
            }
        }
    }

    fn client_type(&self) -> String {
        let t = &self.ctor.entry.type_template;
        t.replace("{self}", &self.ctor.self_written)
    }

    fn base_name(&self) -> String {
        let name = &self.ctor.entry.name;
        let first = self.ctor.resolved.split("::").next().unwrap_or("");
        let krate = first.strip_prefix("aws_sdk_").unwrap_or(first);
        let ty_last = self
            .ctor
            .self_written
            .rsplit("::")
            .next()
            .unwrap_or("client");
        name.replace("{crate}", krate)
            .replace("{type}", &snake(ty_last))
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Lazy,
    OnceLockFn,
    TokioCell,
}

/// The name a `let` binds when its pattern is a plain (possibly `mut`) identifier.
pub(crate) fn simple_binding(stmt: Node, src: &str) -> Option<String> {
    let pat = stmt.child_by_field_name("pattern")?;
    if pat.kind() != "identifier" {
        return None;
    }
    let mut names = Vec::new();
    pattern_names(pat, src, &mut names);
    names.into_iter().next().map(|(n, _)| n)
}

/// The byte range of the whole lines `node` occupies, when nothing else shares them.
pub(crate) fn whole_lines(
    source: &crate::source::SourceText,
    node: Node,
) -> Option<(usize, usize)> {
    let src = source.text();
    let first = source.line_range(source.line_index(node.start_byte()));
    let last = source.line_range(source.line_index(node.end_byte()));
    let rest = src[node.end_byte()..last.end].trim();
    if !src[first.start..node.start_byte()].trim().is_empty()
        || !(rest.is_empty() || rest.starts_with("//"))
    {
        return None;
    }
    let end = source.next_line_start(node.end_byte()).unwrap_or(src.len());
    Some((first.start, end))
}

fn snake(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A one-line rendering of code for a message.
fn shorten(t: &str) -> String {
    let one: String = t
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace(" .", ".");
    if one.len() > 60 {
        let cut = one
            .char_indices()
            .take_while(|(i, _)| *i < 57)
            .last()
            .map(|(i, c)| i + c.len_utf8())
            .unwrap_or(0);
        format!("{}...", &one[..cut])
    } else {
        one
    }
}
