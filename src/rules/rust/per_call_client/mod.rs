//! rust-per-call-client: a pooled client (reqwest, hyper, AWS SDK, redis,
//! tonic, sqlx, mongodb) built inside code that runs per request or per loop
//! iteration, directly, through a builder configured over several
//! statements, or through a convenience function (`reqwest::get`).
//!
//! The stages, one module each:
//! - here: recognising the construction and deciding whether it repeats
//!   (the per-request scopes themselves are facts in `analysis::rust::syntax`);
//! - `plan`: where the one client goes: a client the code already shares
//!   (a static, an accessor, a field of the receiver), a new field of a
//!   struct that owns its runtime, before the loop, or a new `static`;
//! - `hoist`: writing the new `static` and its accessor.

mod hoist;
mod plan;

use tree_sitter::Node;

use crate::analysis::rust::flow::{UseKind, uses_after};
use crate::analysis::rust::syntax::{
    block_items, body_owner, enclosing_loop, per_call, simple_binding, statement_of,
};
use crate::analysis::rust::{RustFile, visit};
use crate::catalog::rust::{ClientEntry, ShortcutEntry};
use crate::embedded_query;
use crate::engine::Context;
use crate::finding::Finding;
use crate::fix::Applicability;
use crate::lang::{Language, text};
use crate::rules::{FixAvailability, Rule, RuleMeta, Unit};

pub struct RustPerCallClient;

pub const ID: &str = "rust-per-call-client";

static META: RuleMeta = RuleMeta {
    id: ID,
    language: Some(Language::Rust),
    summary: "A pooled client (reqwest, hyper, AWS SDK, redis, tonic, sqlx, mongodb) is built per request or per loop iteration",
    fix_summary: "Build it once: reuse the client the code already shares, or a `static` (`LazyLock`, `OnceLock` accessor, `tokio::sync::OnceCell`), a field, or before the loop",
    fix_availability: FixAvailability::Sometimes,
    applicability: Applicability::Unsafe,
    docs: DOCS,
};

const DOCS: &str = r#"## What it does
Finds clients that own a connection pool — `reqwest::Client`, hyper's
legacy `Client`, AWS SDK clients, `redis::Client`, tonic channels and
generated clients, sqlx pools, `mongodb::Client` — built inside code that
runs once per request (axum, actix-web, warp and rocket handlers,
`lambda_runtime::service_fn` closures, functions with a request-like
parameter) or once per loop iteration: directly, through a builder
configured over several statements, inside a struct literal, or through a
convenience function that builds one per call (`reqwest::get`,
`reqwest::blocking::get`).

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
Where the client goes, in order:
- A client of the same type the module already shares — a `static`
  (`LazyLock`, `once_cell::sync::Lazy`, a `OnceLock` behind an accessor
  function) or a field of the method's `self` — built the same way is
  reused (`SHARED.clone()`, `self.http.clone()`). One built differently is
  named in the report and nothing is added beside it: whether its
  configuration fits is the author's call.
- A struct that owns its own async runtime (a blocking wrapper around a
  tokio `Runtime`) gets the client as a new field, built where the struct
  is: sharing one pool across runtimes through a `static` can hang.
- In a loop (outside a handler), a construction whose arguments do not
  change in the loop moves before the loop.
- Otherwise a new `static`: `LazyLock` for an infallible constructor when
  the crate builds with Rust 1.80 or later (`rust-version`, or edition
  2024), an `OnceLock` accessor otherwise (its error still reaches the
  caller, so `?`, `match` and `expect` are unchanged), `tokio::sync::OnceCell`
  for an async constructor when the crate has tokio's `sync` feature, and
  `once_cell::sync::{Lazy, OnceCell}` when `rust-version` is older than
  1.70 and the crate depends on once_cell. `reqwest::get(url)` becomes
  `HTTP_CLIENT.get(url).send()`.
Signatures use `std::result::Result` where `Result` may not be the
prelude's (an alias, a glob import, an item-level macro). Imports join the
module's existing `use` group where the crate's rustfmt.toml puts them;
where it would nest them (`imports_granularity = "Crate"`) the new code
names the full path instead.

## Fix safety
Unsafe: the client now lives for the whole process (or the whole loop, or
the struct), its constructor's side effects happen once, and the first
caller's error (for a fallible constructor) is returned only to that
caller; later callers retry. A client whose arguments depend on the call (a
parameter, a request field, a loop variable) is reported and never
rewritten: which clients to share is the author's decision. No fix is
offered when the constructor's code refers to names that exist only inside
the function, when the client's type is inferred from its use and the code
does not write it, or when leakfix cannot lay the new code out the way
rustfmt would.

## References
- https://docs.rs/reqwest/latest/reqwest/struct.Client.html ("create one and reuse it")
- https://docs.rs/reqwest/latest/reqwest/fn.get.html ("for multiple requests, use a Client")
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
        let _src = file.text();
        let mut seen = Vec::new();
        let planned = std::cell::RefCell::new(Vec::new());
        for m in file.query_matches(query) {
            let (Some(call), Some(path)) = (m.capture(query, "call"), m.capture(query, "path"))
            else {
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
            if let Some(f) = (Site {
                file,
                ctor,
                planned: &planned,
            })
            .check()
            {
                out.push(f);
            }
        }
    }
}

/// How the code builds the client.
pub(super) enum Form<'a, 't> {
    /// `expr` builds it: a constructor call, or a builder chain ending in
    /// its finishing call.
    Expr,
    /// A function that builds a client for one request (`reqwest::get(url)`):
    /// `expr` is that call, `args` its arguments as written.
    Shortcut {
        shortcut: &'a ShortcutEntry,
        args: String,
    },
    /// A builder bound to `var`, configured in `stmts` (the `let` first),
    /// finished in `expr` (`var.build()`), all in one block.
    Split { var: String, stmts: Vec<Node<'t>> },
}

/// A recognised client construction.
pub(super) struct Ctor<'a, 't> {
    pub entry: &'a ClientEntry,
    /// The expression that yields the client (or, for async constructors,
    /// the future that does; for shortcuts, the request): what the fix replaces.
    pub expr: Node<'t>,
    /// Where the finding points: the construction's first call.
    pub report: Node<'t>,
    /// The resolved path of the first call (`reqwest::Client::builder`).
    pub resolved: String,
    /// The type the first call is made on, as written (`Client`).
    pub self_written: String,
    pub form: Form<'a, 't>,
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
    if let Some((shortcut, entry)) = catalog.shortcut(&resolved, &depends) {
        let args = call.child_by_field_name("arguments")?;
        let inner = text(args, src);
        let args = inner
            .strip_prefix('(')?
            .strip_suffix(')')?
            .trim()
            .trim_end_matches(',')
            .to_string();
        let client_path = &shortcut.client;
        return Some(Ctor {
            entry,
            expr: call,
            report: call,
            resolved: client_path.clone(),
            self_written: client_path
                .rsplit_once("::")
                .map(|(t, _)| t.to_string())
                .unwrap_or_default(),
            form: Form::Shortcut { shortcut, args },
        });
    }
    if let Some(entry) = catalog.client_constructor(&resolved, &depends)
        && entry.finish.is_empty()
    {
        return Some(Ctor {
            entry,
            expr: call,
            report: call,
            resolved,
            self_written,
            form: Form::Expr,
        });
    }
    // A builder: follow the method chain up to a finishing call.
    let mut cur = call;
    loop {
        let field = cur.parent().filter(|p| p.kind() == "field_expression");
        // `.build_http::<B>()`: the method with type arguments.
        let callee = field.map(|f| {
            f.parent()
                .filter(|g| g.kind() == "generic_function")
                .unwrap_or(f)
        });
        let outer = callee.and_then(|callee| {
            callee.parent().filter(|g| {
                g.kind() == "call_expression"
                    && g.child_by_field_name("function")
                        .is_some_and(|f| f.id() == callee.id())
            })
        });
        let (Some(field), Some(outer)) = (field, outer) else {
            break;
        };
        let method = text(field.child_by_field_name("field")?, src);
        if let Some(entry) = catalog.client_builder(&resolved, method, &depends) {
            return Some(Ctor {
                entry,
                expr: outer,
                report: call,
                resolved,
                self_written,
                form: Form::Expr,
            });
        }
        cur = outer;
    }
    // The chain ends unfinished: a builder kept in a local and finished later.
    if !catalog.clients.iter().any(|c| {
        c.builders.iter().any(|p| p.matches(&resolved)) && c.requires.as_deref().is_none_or(depends)
    }) {
        return None;
    }
    split_builder(file, cx, call, cur, resolved, self_written)
}

/// `let mut b = Client::builder(); b = b.timeout(t); let c = b.build()?;`:
/// the statements that configure the builder and the call that finishes it.
fn split_builder<'a, 't>(
    file: &'t RustFile,
    cx: &'a Context<'_>,
    call: Node<'t>,
    top: Node<'t>,
    resolved: String,
    self_written: String,
) -> Option<Ctor<'a, 't>> {
    let src = file.text();
    let decl = top.parent().filter(|p| p.kind() == "let_declaration")?;
    let var = simple_binding(decl, src)?;
    let block = decl.parent().filter(|b| b.kind() == "block")?;
    let depends = |name: &str| file.depends_on(name);
    let mut stmts = vec![decl];
    for item in block_items(block) {
        if item.start_byte() < decl.end_byte() {
            continue;
        }
        let mut mentions = false;
        visit(item, &mut |n| {
            mentions |= n.kind() == "identifier" && text(n, src) == var;
        });
        if !mentions {
            continue;
        }
        // The finishing call somewhere in this statement: `var...finish()`.
        let mut finish = None;
        visit(item, &mut |n| {
            if finish.is_some() || n.kind() != "call_expression" {
                return;
            }
            let Some(f) = n
                .child_by_field_name("function")
                .filter(|f| f.kind() == "field_expression")
            else {
                return;
            };
            let root = crate::analysis::rust::items::chain_root(n);
            let method = f.child_by_field_name("field").map(|m| text(m, src));
            if root.kind() == "identifier"
                && text(root, src) == var
                && let Some(m) = method
                && let Some(entry) = cx.rust_catalog.client_builder(&resolved, m, &depends)
            {
                finish = Some((n, entry));
            }
        });
        if let Some((expr, entry)) = finish {
            return Some(Ctor {
                entry,
                expr,
                report: call,
                resolved,
                self_written,
                form: Form::Split { var, stmts },
            });
        }
        stmts.push(item);
    }
    None
}

/// A shared item a fix of this run adds: its names and its text.
pub(super) struct Planned {
    pub names: [String; 2],
    pub text: String,
    /// The construction the planning fix claims.
    pub claim: std::ops::Range<usize>,
}

pub(super) struct Site<'a, 't> {
    pub file: &'t RustFile,
    /// Items the fixes already made for this file add, so that fixes
    /// applied in the same round never pick the same name.
    pub planned: &'t std::cell::RefCell<Vec<Planned>>,
    pub ctor: Ctor<'a, 't>,
}

impl<'a, 't> Site<'a, 't> {
    pub fn src(&self) -> &'t str {
        self.file.text()
    }

    fn check(&self) -> Option<Finding> {
        let e = self.ctor.expr;
        let src = self.src();
        let shortcut = matches!(self.ctor.form, Form::Shortcut { .. });
        if self.ctor.entry.is_async
            && !shortcut
            && e.parent().is_none_or(|p| p.kind() != "await_expression")
        {
            return None; // a future stored or joined elsewhere: don't know
        }
        let owner = body_owner(e)?;
        if self.runs_once(e) {
            return None;
        }
        // A client that is returned, stored or handed on is kept by someone:
        // building it may be the point (a factory, a pool of clients).
        if !shortcut {
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
            if handed_on(e, src) {
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
        let shown = shorten(text(self.ctor.report_span(), src));
        let doc = match &self.ctor.form {
            Form::Shortcut { shortcut, .. } => shortcut.doc.as_deref(),
            _ => self.ctor.entry.doc.as_deref(),
        }
        .map(|d| format!(": {d}"))
        .unwrap_or_default();
        let what = if shortcut {
            "builds a new client for this one request"
        } else {
            "builds a new client"
        };
        let message = match &request {
            Some(why) => format!("`{shown}` {what} on every call of {why}{doc}"),
            None => format!("`{shown}` {what} on every iteration of this loop{doc}"),
        };
        let finding = Finding::new(
            ID,
            self.file.parsed.path.clone(),
            &self.file.parsed.source,
            self.ctor.report.start_byte()..self.ctor.report_end(),
            message,
        );
        let result = plan::fix(self, lp, request.is_some(), handler);
        Some(match result {
            Ok(Some(fix)) => finding.with_fix(fix),
            Ok(None) => return None,
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

    /// The client's type as the shared value names it.
    pub fn client_type(&self) -> Option<String> {
        let entry = self.ctor.entry;
        if entry.type_inferred() {
            // Only the type the code writes on its `let`, when its names
            // mean the same at module level.
            let stmt = statement_of(self.ctor.expr).filter(|s| s.kind() == "let_declaration")?;
            let ty = stmt.child_by_field_name("type")?;
            let outer = crate::analysis::rust::syntax::outermost_fn(stmt)?;
            let mut local = false;
            visit(ty, &mut |n| {
                if n.kind() == "type_identifier" {
                    local |= self.file.uses.iter().any(|u| {
                        u.alias == text(n, self.src())
                            && u.scope.contains(&n.start_byte())
                            && !u.scope.contains(&outer.start_byte())
                    });
                }
            });
            return (!local).then(|| text(ty, self.src()).to_string());
        }
        Some(
            entry
                .type_template
                .replace("{self}", &self.ctor.self_written),
        )
    }

    pub fn base_name(&self) -> String {
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

impl Ctor<'_, '_> {
    /// What the message shows: the construction (for a split builder, its
    /// first statement's value).
    fn report_span(&self) -> Node<'_> {
        match &self.form {
            Form::Split { stmts, .. } => stmts
                .first()
                .and_then(|s| s.child_by_field_name("value"))
                .unwrap_or(self.report),
            _ => self.expr,
        }
    }

    fn report_end(&self) -> usize {
        match &self.form {
            Form::Split { .. } => self.report_span().end_byte(),
            _ => self.expr.end_byte(),
        }
    }
}

/// Is the value of `e` handed to someone who keeps it: returned by its
/// function (directly, or inside a struct literal, a tuple, `Ok(..)`,
/// `Arc::new(..)`), or passed to a call (`clients.push(Client::new())`)?
fn handed_on(e: Node, src: &str) -> bool {
    let mut cur = e;
    while let Some(p) = cur.parent() {
        match p.kind() {
            "field_initializer"
            | "shorthand_field_initializer"
            | "field_initializer_list"
            | "struct_expression"
            | "tuple_expression"
            | "array_expression"
            | "parenthesized_expression"
            | "await_expression"
            | "try_expression" => cur = p,
            "field_expression"
                if matches!(
                    p.child_by_field_name("field").map(|f| text(f, src)),
                    Some("unwrap" | "expect")
                ) && p.parent().is_some_and(|g| g.kind() == "call_expression") =>
            {
                cur = p.parent().unwrap();
            }
            "arguments" => {
                let Some(call) = p.parent().filter(|c| c.kind() == "call_expression") else {
                    return true;
                };
                let f = call
                    .child_by_field_name("function")
                    .map(|f| (f.kind(), text(f, src)))
                    .unwrap_or(("", ""));
                let last = f.1.rsplit("::").next().unwrap_or(f.1);
                let wraps = matches!(f.0, "identifier" | "scoped_identifier")
                    && (matches!(last, "Ok" | "Some" | "Err")
                        || (last == "new"
                            && ["Arc::", "Rc::", "Box::", "Mutex::", "RwLock::"]
                                .iter()
                                .any(|w| f.1.contains(w))));
                if !wraps {
                    return true;
                }
                cur = call;
            }
            "return_expression" => return true,
            "block" => {
                return crate::analysis::rust::syntax::block_tail(p)
                    .is_some_and(|t| t.id() == cur.id())
                    && p.parent().is_some_and(|o| {
                        matches!(o.kind(), "function_item" | "closure_expression")
                    });
            }
            _ => return false,
        }
    }
    false
}

pub(super) fn snake(s: &str) -> String {
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
