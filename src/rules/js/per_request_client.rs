//! js-per-request-client: a pool or client meant to be built once per
//! process (`new Pool()`, `mysql.createPool()`, `new MongoClient()`, redis
//! `createClient()`, `new PrismaClient()`, AWS SDK v3 clients...) built
//! inside a route handler, request listener, Lambda handler or message
//! consumer. Fix: a module-level, lazily built shared instance behind an
//! accessor (`getPool()`), retrying after a failed asynchronous connect,
//! and the per-request `connect()` and `end()`/`close()` calls dropped.

use std::collections::HashSet;

use tree_sitter::Node;

use crate::analysis::js::JsFile;
use crate::analysis::js::flow::statements;
use crate::analysis::js::scope::{
    UseKind, block_declarations, is_shadowed, runs_inline, uses_of, visit,
};
use crate::catalog::js::{ClientEntry, ModuleValue};
use crate::finding::Finding;
use crate::fix::{Applicability, Edit, Fix};
use crate::lang::js::{enclosing_function, is_async, strip_ts};
use crate::lang::{Language, text};
use crate::rewrite::js::{
    dedent_edits, deletion_range, line_end, line_start, literal_ranges, owns_lines, splice,
};
use crate::rules::Context;
use crate::rules::{FixAvailability, Rule, RuleMeta, Unit};

pub struct JsPerRequestClient;

pub const ID: &str = "js-per-request-client";

static META: RuleMeta = RuleMeta {
    id: ID,
    language: Some(Language::JavaScript),
    summary: "A pool or client meant to be shared (pg Pool, mysql2 pool, MongoClient, redis, Prisma, AWS SDK) is built per request or message",
    fix_summary: "Build it once: a module-level, lazily built instance behind an accessor; drop the per-request connect and close calls",
    fix_availability: FixAvailability::Sometimes,
    applicability: Applicability::Unsafe,
    docs: DOCS,
};

const DOCS: &str = r#"## What it does
Finds connection pools and clients that are meant to be built once per
process — node-postgres `new Pool()`, mysql2 `createPool()`, `new
MongoClient()`, redis `createClient()` and ioredis, `new PrismaClient()`,
AWS SDK v3 clients (`new S3Client()`), Elasticsearch, Sequelize, knex —
built inside code that runs once per request or message: Express,
Fastify, Koa and Hono route handlers and middleware, `http.createServer`
listeners, Next.js API routes, AWS Lambda handlers, and kafkajs, amqplib,
BullMQ, Bull and sqs-consumer callbacks.

## Why is this bad?
A pool built per request opens fresh connections (TCP, TLS, authentication)
on every request and never reuses one; if it is not ended it keeps them
open until the database refuses new ones, and if it is ended, every request
pays the full connection set-up. MongoDB's, Prisma's and AWS's
documentation all say to create one client and reuse it.

## Example
```js
app.get("/orders", async (req, res) => {
  const pool = new Pool({ connectionString: process.env.DATABASE_URL });
  const { rows } = await pool.query("SELECT * FROM orders");
  await pool.end();
  res.json(rows);
});
```

## Use instead
```js
let pool;

function getPool() {
  if (!pool) {
    pool = new Pool({ connectionString: process.env.DATABASE_URL });
  }
  return pool;
}

app.get("/orders", async (req, res) => {
  const pool = getPool();
  const { rows } = await pool.query("SELECT * FROM orders");
  res.json(rows);
});
```
A client the handler connects (`await client.connect()` for MongoDB and
redis) gets an accessor that returns a promise of the connected client and
forgets a failed attempt, so the next request retries:

```js
let mongoClientPromise;

function getMongoClient() {
  if (!mongoClientPromise) {
    const client = new MongoClient(process.env.MONGO_URL);
    mongoClientPromise = client.connect().then(() => client);
    mongoClientPromise.catch(() => {
      mongoClientPromise = undefined;
    });
  }
  return mongoClientPromise;
}
```
and the handler's `new MongoClient(...)` + `await client.connect()` become
`await getMongoClient()`. In TypeScript the shared variable is typed
(`let pool: Pool | undefined;`).

## Fix safety
Unsafe: the client now lives for the whole process, its settings are the
first request's, and the per-request `end()`/`close()` calls are removed
(with a `finally` clause left empty by that). A client built from values
of the request (a parameter, a header, a local) is reported and never
rewritten: which tenants share a pool is the author's decision. No fix
either when the client is returned or stored, when its close call is part
of an expression or a callback, or when the moved code would not fit the
project's prettier width. In Next.js development mode, modules are
reloaded on every change, so each reload builds one more client; Prisma's
documentation keeps the instance on `globalThis` for that case.

## References
- https://node-postgres.com/features/pooling ("create one pool ... for the whole application")
- https://www.mongodb.com/docs/drivers/node/current/fundamentals/connection/connect/ ("reuse your client")
- https://www.prisma.io/docs/orm/prisma-client/setup-and-configuration/databases-connections
- https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/
"#;

/// Names that are the same in every request: globals.
const GLOBALS: [&str; 18] = [
    "process",
    "JSON",
    "Number",
    "String",
    "Boolean",
    "parseInt",
    "parseFloat",
    "undefined",
    "Infinity",
    "Buffer",
    "URL",
    "Math",
    "Date",
    "Object",
    "Array",
    "globalThis",
    "__dirname",
    "__filename",
];

impl Rule for JsPerRequestClient {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, unit: &Unit<'_>, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let Unit::Js(file) = unit else { return };
        if file.handlers.is_empty() {
            return;
        }
        let mut calls = Vec::new();
        visit(file.root(), &mut |n| {
            if matches!(n.kind(), "new_expression" | "call_expression") {
                calls.push(n);
            }
        });
        let found: Vec<(Construction, Node, &crate::analysis::js::handlers::Handler)> = calls
            .into_iter()
            .filter_map(|call| {
                let c = construction(file, cx, call)?;
                let (handler_fn, handler) = file.handler_of(call)?;
                (!stored_outside(file, call, handler_fn)).then_some((c, handler_fn, handler))
            })
            .collect();
        let plan = Plan::make(file, &found);
        for (c, handler_fn, handler) in &found {
            out.push(finding(file, c, *handler_fn, handler, &plan));
        }
    }
}

/// (constructor text, connects).
type PlanKey = (String, bool);
/// (shared variable, accessor, where the accessor goes: None when it exists).
type Shared = (String, String, Option<usize>);

/// The shared value each distinct construction gets: clients built with
/// the same code share one accessor (inserted once, before the first of
/// them); different ones get different names.
struct Plan {
    /// (constructor text, connects) -> shared variable, accessor, where the
    /// accessor goes (None: it exists already).
    entries: Vec<(PlanKey, Shared)>,
}

impl Plan {
    fn make(
        file: &JsFile,
        found: &[(Construction, Node, &crate::analysis::js::handlers::Handler)],
    ) -> Plan {
        let src = file.text();
        let source = &file.parsed.source;
        let mut plan = Plan {
            entries: Vec::new(),
        };
        for (c, _, _) in found {
            let ctor_text = text(c.call, src).to_string();
            let connects = connects_in(file, c);
            let key = (ctor_text.clone(), connects);
            if plan.entries.iter().any(|(k, _)| *k == key) {
                continue;
            }
            let base = c.entry.shared_name(c.ctor.last_name());
            if let Some(existing) = existing_accessor(file, &ctor_text, connects, &base) {
                plan.entries.push((key, (String::new(), existing, None)));
                continue;
            }
            let taken: Vec<String> = plan
                .entries
                .iter()
                .flat_map(|(_, (v, a, _))| [v.clone(), a.clone()])
                .collect();
            let local = c
                .call
                .parent()
                .filter(|d| d.kind() == "variable_declarator")
                .and_then(|d| d.child_by_field_name("name"))
                .filter(|n| n.kind() == "identifier")
                .map(|n| text(n, src));
            let (var, accessor) = shared_names(file, &base, local, connects, &taken);
            let at = top_level_statement(c.call)
                .map(|top| line_start(source, comment_start(top, source)));
            plan.entries.push((key, (var, accessor, at)));
        }
        plan
    }

    fn get(&self, ctor_text: &str, connects: bool) -> Option<&(String, String, Option<usize>)> {
        self.entries
            .iter()
            .find(|((t, c), _)| t == ctor_text && *c == connects)
            .map(|(_, v)| v)
    }
}

/// A top-level accessor leakfix wrote earlier for the same construction.
fn existing_accessor(file: &JsFile, ctor_text: &str, connects: bool, base: &str) -> Option<String> {
    let src = file.text();
    let root = file.root();
    let mut cap = base.chars();
    let prefix = format!("get{}{}", cap.next()?.to_uppercase(), cap.as_str());
    let mut c = root.walk();
    for stmt in root.named_children(&mut c) {
        if stmt.kind() != "function_declaration" {
            continue;
        }
        let name = text(stmt.child_by_field_name("name")?, src);
        let body = text(stmt, src);
        if name.starts_with(&prefix)
            && name[prefix.len()..].chars().all(|ch| ch.is_ascii_digit())
            && body.contains(ctor_text)
            && body.contains(".then(() =>") == connects
        {
            return Some(name.to_string());
        }
    }
    None
}

/// Does the handler connect the client it builds (`await client.connect()`)?
fn connects_in(file: &JsFile, c: &Construction) -> bool {
    let src = file.text();
    let Some(d) = c
        .call
        .parent()
        .filter(|d| d.kind() == "variable_declarator")
    else {
        return false;
    };
    let (Some(name), Some(decl)) = (d.child_by_field_name("name"), d.parent()) else {
        return false;
    };
    let (Some(block), Some(func)) = (decl.parent(), enclosing_function(decl)) else {
        return false;
    };
    uses_of(text(name, src), block, decl.end_byte(), func, src)
        .iter()
        .any(|u| matches!(&u.kind, UseKind::Method(m) if c.entry.connect.contains(m)))
}

struct Construction<'t> {
    entry: &'t ClientEntry,
    ctor: ModuleValue,
    call: Node<'t>,
    callee: Node<'t>,
}

fn construction<'a>(
    file: &JsFile,
    cx: &'a Context<'_>,
    call: Node<'a>,
) -> Option<Construction<'a>> {
    let (callee, with_new) = match call.kind() {
        "new_expression" => (call.child_by_field_name("constructor")?, true),
        _ => (call.child_by_field_name("function")?, false),
    };
    let callee = strip_ts(callee);
    let ctor = file.resolve(callee)?;
    let entry = cx.js_catalog.client(&ctor, with_new)?;
    Some(Construction {
        entry,
        ctor,
        call,
        callee,
    })
}

/// Is the new client stored somewhere that outlives the call (a property,
/// a module variable), directly or through the local it is first put in:
/// a lazily built shared client, not a per-request one.
fn stored_outside(file: &JsFile, call: Node, handler_fn: Node) -> bool {
    let src = file.text();
    let mut e = call;
    while let Some(p) = e.parent() {
        match p.kind() {
            "parenthesized_expression"
            | "as_expression"
            | "non_null_expression"
            | "satisfies_expression"
            | "await_expression"
            | "binary_expression"
            | "ternary_expression" => e = p,
            "assignment_expression" | "augmented_assignment_expression" => {
                return p
                    .child_by_field_name("left")
                    .is_some_and(|left| assigns_outside(left, handler_fn, src));
            }
            "variable_declarator" => {
                // const client = new MongoClient(uri); ...; cached = client;
                let (Some(name), Some(decl)) = (p.child_by_field_name("name"), p.parent()) else {
                    return false;
                };
                let (Some(block), Some(func)) = (decl.parent(), enclosing_function(decl)) else {
                    return false;
                };
                if name.kind() != "identifier" {
                    return false;
                }
                return uses_of(text(name, src), block, decl.end_byte(), func, src)
                    .iter()
                    .filter(|u| u.kind == UseKind::Stored)
                    .filter_map(|u| {
                        let mut x = u.node;
                        while let Some(q) = x.parent() {
                            if q.kind() == "assignment_expression" {
                                return q.child_by_field_name("left");
                            }
                            if !matches!(
                                q.kind(),
                                "parenthesized_expression"
                                    | "binary_expression"
                                    | "ternary_expression"
                            ) {
                                return None;
                            }
                            x = q;
                        }
                        None
                    })
                    .any(|left| assigns_outside(left, handler_fn, src));
            }
            _ => return false,
        }
    }
    false
}

/// Does an assignment to `left` store into something that outlives the
/// handler: a property, or a variable declared outside it?
fn assigns_outside(left: Node, handler_fn: Node, src: &str) -> bool {
    // The object a property chain starts from: `app` in `app.locals.pool`.
    let mut root = strip_ts(left);
    while matches!(root.kind(), "member_expression" | "subscript_expression") {
        match root.child_by_field_name("object") {
            Some(o) => root = strip_ts(o),
            None => return true,
        }
    }
    if root.kind() != "identifier" {
        return true; // this.pool = ...
    }
    // res.locals.pool, req.db: a property of a per-request object does not
    // outlive the request; app.locals.pool, global.prisma do.
    let name = text(root, src);
    let mut scope = root.parent();
    while let Some(s) = scope {
        if crate::analysis::js::scope::scope_declares(s, name, src) {
            return !(handler_fn.start_byte() <= s.start_byte()
                && s.end_byte() <= handler_fn.end_byte());
        }
        scope = s.parent();
    }
    // Not declared anywhere: a global (globalThis.x without the prefix).
    true
}

fn finding(
    file: &JsFile,
    c: &Construction,
    handler_fn: Node,
    handler: &crate::analysis::js::handlers::Handler,
    plan: &Plan,
) -> Finding {
    let call = c.call;
    let source = &file.parsed.source;
    let what = c.ctor.last_name();
    let what = if what == c.ctor.module.rsplit('/').next().unwrap_or("") {
        c.ctor.module.clone()
    } else {
        what.to_string()
    };
    let verb = if call.kind() == "new_expression" {
        format!("new {what}()")
    } else {
        format!("{what}()")
    };
    let line = source.line_col(handler_fn.start_byte()).line;
    let message = format!(
        "`{verb}` builds a {} per request: it runs in {} (line {line}); build it once and share it",
        c.entry.kind.noun(),
        handler.kind.describe(),
    );
    let mut finding = Finding::new(
        ID,
        file.parsed.path.clone(),
        source,
        call.byte_range(),
        message,
    );
    if let Some(doc) = &c.entry.doc {
        finding = finding.with_note(doc.clone());
    }
    match build_fix(file, c, plan) {
        Ok(fix) => finding.with_fix(fix),
        Err(why) => finding.with_note(format!("no automatic fix: {why}")),
    }
}

/// Identifiers in the constructor's arguments that are not the same in
/// every call: locals, parameters, `this`.
fn per_call_names(file: &JsFile, args: Node) -> Vec<String> {
    let src = file.text();
    let mut out = Vec::new();
    visit(args, &mut |n| {
        let name = text(n, src);
        let local = match n.kind() {
            "this" | "super" => true,
            "identifier" | "shorthand_property_identifier" => {
                // Property names are `property_identifier`; an identifier
                // is a name looked up in scope.
                is_shadowed(n, name, src)
                    || !(file.bindings.top_level.contains(name) || GLOBALS.contains(&name))
            }
            _ => false,
        };
        if local && !out.iter().any(|x| x == name) {
            out.push(name.to_string());
        }
    });
    out
}

fn build_fix(file: &JsFile, c: &Construction, plan: &Plan) -> Result<Fix, String> {
    let src = file.text();
    let source = &file.parsed.source;
    let style = &file.style;
    let nl = source.newline();
    let unit = &style.indent;
    let args = c.call.child_by_field_name("arguments");
    if let Some(args) = args {
        let locals = per_call_names(file, args);
        if !locals.is_empty() {
            return Err(format!(
                "its arguments depend on this call ({}); decide which requests may share a client",
                locals
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    // const client = new X(...);
    let declarator = c
        .call
        .parent()
        .filter(|d| {
            d.kind() == "variable_declarator" && d.child_by_field_name("value") == Some(c.call)
        })
        .ok_or("the client is not assigned to a local variable")?;
    let decl = declarator.parent().ok_or("no declaration")?;
    if decl.kind() != "lexical_declaration" || decl.named_child_count() != 1 {
        return Err("the client is not declared on its own with `const` or `let`".into());
    }
    let name_node = declarator.child_by_field_name("name").ok_or("no name")?;
    if name_node.kind() != "identifier" {
        return Err("the client is destructured".into());
    }
    let name = text(name_node, src).to_string();
    let block = decl
        .parent()
        .filter(|b| b.kind() == "statement_block")
        .ok_or("the declaration is not in a block")?;
    let func = enclosing_function(decl).ok_or("not in a function")?;
    if !owns_lines(source, decl) {
        return Err("the declaration shares its line with other code".into());
    }
    let uses = uses_of(&name, block, decl.end_byte(), func, src);
    let mut connect_stmts = Vec::new();
    let mut close_stmts = Vec::new();
    for u in &uses {
        let outlives = u.closure.is_some_and(|cl| !runs_inline(cl, src));
        match &u.kind {
            UseKind::Method(m) if c.entry.connect.contains(m) || c.entry.close.contains(m) => {
                if outlives {
                    return Err(format!("`{name}.{m}()` is called from a callback"));
                }
                let stmt = statement_of_call(u.call.ok_or("no call")?)
                    .ok_or_else(|| format!("`{name}.{m}()` is part of a larger expression"))?;
                if stmt.parent().is_none_or(|p| p.kind() != "statement_block")
                    || !owns_lines(source, stmt)
                {
                    return Err(format!("`{name}.{m}()` is not a statement of its own"));
                }
                if c.entry.connect.contains(m) {
                    if stmt
                        .named_child(0)
                        .is_none_or(|e| e.kind() != "await_expression")
                    {
                        return Err(format!("`{name}.{m}()` is not awaited"));
                    }
                    connect_stmts.push(stmt);
                } else {
                    close_stmts.push(stmt);
                }
            }
            UseKind::Method(_) | UseKind::Member | UseKind::Tested | UseKind::Argument { .. } => {}
            UseKind::Returned | UseKind::Stored | UseKind::Reassigned | UseKind::Other => {
                return Err(format!(
                    "`{name}` is handed out or stored; sharing it changes who owns it"
                ));
            }
        }
    }
    if connect_stmts.len() > 1 {
        return Err(format!("`{name}` is connected more than once"));
    }
    let connects = !connect_stmts.is_empty();
    if connects && !is_async(func, src) {
        return Err("the handler connects without `await`".into());
    }

    // The shared value and its accessor.
    let ctor_text = text(c.call, src);
    let (var, accessor, insert_at) = plan
        .get(ctor_text, connects)
        .cloned()
        .ok_or("no shared name planned")?;
    let ts_type = file.is_typescript().then(|| ts_type_of(c, src));
    let body_indent = format!("{unit}{unit}");
    let moved = reindent_moved(
        ctor_text,
        source.indent_at(c.call.start_byte()),
        &body_indent,
    )
    .ok_or("the constructor's arguments are laid out in a way leakfix cannot move")?;
    if moved.contains('\n') && style.enforce_width && !hugs_expanded_object(c.call, src) {
        return Err(
            "the constructor call spans lines; prettier may lay it out differently once moved"
                .into(),
        );
    }
    let semi = style.semi();
    let local = if ctor_text.contains("client") {
        "instance"
    } else {
        "client"
    };
    let decl_type = |t: &Option<String>, promise: bool| match t {
        Some(t) if promise => format!(": Promise<{t}> | undefined"),
        Some(t) => format!(": {t} | undefined"),
        None => String::new(),
    };
    let shared = if connects {
        let connect = text(
            connect_stmts[0]
                .named_child(0)
                .and_then(|e| {
                    if e.kind() == "await_expression" {
                        e.named_child(0)
                    } else {
                        Some(e)
                    }
                })
                .and_then(|call| call.child_by_field_name("function"))
                .and_then(|f| f.child_by_field_name("property"))
                .ok_or("no connect method")?,
            src,
        );
        let moved_local = reindent_moved(
            ctor_text,
            source.indent_at(c.call.start_byte()),
            &body_indent,
        )
        .ok_or("cannot move the constructor")?;
        format!(
            "let {var}{ty}{semi}{nl}{nl}function {accessor}() {{{nl}\
             {unit}if (!{var}) {{{nl}\
             {unit}{unit}const {local} = {moved_local}{semi}{nl}\
             {unit}{unit}{var} = {local}.{connect}().then(() => {local}){semi}{nl}\
             {unit}{unit}{var}.catch(() => {{{nl}\
             {unit}{unit}{unit}{var} = undefined{semi}{nl}\
             {unit}{unit}}}){semi}{nl}\
             {unit}}}{nl}\
             {unit}return {var}{semi}{nl}}}{nl}{nl}",
            ty = decl_type(&ts_type, true),
        )
    } else {
        format!(
            "let {var}{ty}{semi}{nl}{nl}function {accessor}() {{{nl}\
             {unit}if (!{var}) {{{nl}\
             {unit}{unit}{var} = {moved}{semi}{nl}\
             {unit}}}{nl}\
             {unit}return {var}{semi}{nl}}}{nl}{nl}",
            ty = decl_type(&ts_type, false),
        )
    };
    if !style.fits(&shared) {
        return Err(format!(
            "the shared accessor would not fit the print width ({})",
            style.print_width
        ));
    }

    // The handler: the constructor call becomes the accessor call; the
    // connect and close statements go (a `finally` left empty with them).
    let path = file.parsed.path.clone();
    let replacement = if connects {
        format!("await {accessor}()")
    } else {
        format!("{accessor}()")
    };
    let mut local_edits: Vec<(std::ops::Range<usize>, String)> =
        vec![(c.call.byte_range(), replacement)];
    for s in connect_stmts.iter().chain(&close_stmts) {
        local_edits.push((deletion_range(source, *s), String::new()));
    }
    let mut region = line_start(source, decl.start_byte())..line_end(source, decl.end_byte());
    for s in connect_stmts.iter().chain(&close_stmts) {
        region.start = region.start.min(line_start(source, s.start_byte()));
        region.end = region.end.max(line_end(source, s.end_byte()));
    }
    let literals = literal_ranges(file);
    for tr in emptied_finally(&close_stmts) {
        // Edits inside the dropped lines give way to it (`splice`).
        let (range, edits) = drop_finally(file, tr, &literals)?;
        region.start = region.start.min(range.start);
        region.end = region.end.max(range.end);
        local_edits.extend(edits);
    }
    let new_text = splice(src, region.clone(), local_edits);
    if !style.fits(&new_text) {
        return Err("the edited handler would not fit the print width".into());
    }
    let noun = c.entry.kind.noun();
    let title = if connects {
        format!(
            "share one connected {noun}, built and connected once in `{accessor}()` (a failed connect is retried)"
        )
    } else {
        format!("share one {noun}, built once in `{accessor}()`")
    };
    let mut edits = vec![Edit::replacement(path.clone(), region, new_text)];
    // Before the top-level statement that holds the first such handler.
    if let Some(at) = insert_at {
        edits.push(Edit::insertion(path.clone(), at, shared));
    }
    let fix = Fix::unsafe_(title, edits).with_claim(path, c.call.byte_range());
    if fix.has_overlapping_edits() {
        return Err("the handler is not inside a top-level statement".into());
    }
    Ok(fix)
}

/// The statement a call is (`x.end();`, `await x.end();`).
fn statement_of_call(call: Node) -> Option<Node> {
    let mut p = call.parent()?;
    if p.kind() == "await_expression" {
        p = p.parent()?;
    }
    (p.kind() == "expression_statement").then_some(p)
}

/// `pool`/`getPool`, or `mongoClientPromise`/`getMongoClient`, with names
/// the file does not use.
fn shared_names(
    file: &JsFile,
    base: &str,
    local: Option<&str>,
    promise: bool,
    planned: &[String],
) -> (String, String) {
    let cap = |s: &str| {
        let mut c = s.chars();
        match c.next() {
            Some(f) => format!("{}{}", f.to_uppercase(), c.as_str()),
            None => String::new(),
        }
    };
    let pair = |name: &str| {
        let var = if promise {
            format!("{name}Promise")
        } else {
            name.to_string()
        };
        (var, format!("get{}", cap(name)))
    };
    // A name is taken when the top level declares it or some code refers
    // to it without declaring it (a global); locals named alike are fine.
    let used = |n: &str| {
        file.bindings.top_level.contains(n)
            || refers_to_global(file, n)
            || planned.iter().any(|p| p == n)
    };
    let free = |(v, a): &(String, String)| !used(v) && !used(a);
    // `pool`, then the handler's own name for it (`statsPool` for a local
    // `stats`), then `pool2`, `pool3`...
    let mut candidates = vec![pair(base)];
    if let Some(local) = local
        && local != base
    {
        let lower = local.to_lowercase();
        let name = if lower.ends_with(&base.to_lowercase()) {
            local.to_string()
        } else {
            format!("{local}{}", cap(base))
        };
        candidates.push(pair(&name));
    }
    if let Some(c) = candidates.iter().find(|c| free(c)) {
        return c.clone();
    }
    (2..)
        .map(|i| pair(&format!("{base}{i}")))
        .find(|c| free(c))
        .unwrap()
}

/// Does some identifier `name` in the file resolve to no local declaration?
fn refers_to_global(file: &JsFile, name: &str) -> bool {
    if !file.bindings.all_names.contains(name) {
        return false;
    }
    let src = file.text();
    let mut found = false;
    visit(file.root(), &mut |n| {
        if !found && n.kind() == "identifier" && text(n, src) == name && !is_shadowed(n, name, src)
        {
            found = true;
        }
    });
    found
}

/// The TypeScript type of the client: `Pool`, `pg.Pool`, or
/// `ReturnType<typeof createClient>` for a factory.
fn ts_type_of(c: &Construction, src: &str) -> String {
    let callee = text(c.callee, src);
    if c.call.kind() == "new_expression" {
        callee.to_string()
    } else {
        format!("ReturnType<typeof {callee}>")
    }
}

/// Re-indents a moved expression: its first line goes where the caller
/// puts it, later lines move by the difference between `from` and `to`.
fn reindent_moved(t: &str, from: &str, to: &str) -> Option<String> {
    let mut out = String::new();
    for (i, line) in t.split('\n').enumerate() {
        if i == 0 {
            out.push_str(line);
            continue;
        }
        out.push('\n');
        let rest = line.strip_prefix(from)?;
        if !line.trim().is_empty() {
            out.push_str(to);
            out.push_str(rest);
        }
    }
    Some(out)
}

/// `new Pool({\n  ...\n})`: prettier keeps an object literal expanded when
/// its first property starts a new line, so the call keeps its layout at
/// any depth.
fn hugs_expanded_object(call: Node, src: &str) -> bool {
    let Some(args) = call.child_by_field_name("arguments") else {
        return false;
    };
    if args.named_child_count() != 1 {
        return false;
    }
    let Some(obj) = args.named_child(0) else {
        return false;
    };
    obj.kind() == "object" && {
        let t = text(obj, src);
        t.starts_with("{\n") || t.starts_with("{\r\n")
    }
}

/// The statement at the top level that contains `node`.
fn top_level_statement(node: Node) -> Option<Node> {
    let mut cur = node;
    while let Some(p) = cur.parent() {
        if p.kind() == "program" {
            return Some(cur);
        }
        cur = p;
    }
    None
}

/// Where a top-level statement's leading comments start.
fn comment_start(stmt: Node, source: &crate::source::SourceText) -> usize {
    let mut start = stmt.start_byte();
    let mut prev = stmt.prev_sibling();
    while let Some(p) = prev {
        if p.kind() != "comment" {
            break;
        }
        // Only a comment directly above (no blank line between).
        let gap = &source.text()[p.end_byte()..start];
        if gap.matches('\n').count() > 1 {
            break;
        }
        start = p.start_byte();
        prev = p.prev_sibling();
    }
    start
}

/// Try statements whose `finally` holds nothing but close calls.
fn emptied_finally<'t>(close_stmts: &[Node<'t>]) -> Vec<Node<'t>> {
    let mut out: Vec<Node> = Vec::new();
    for s in close_stmts {
        let Some(block) = s.parent() else { continue };
        let Some(fin) = block.parent().filter(|f| f.kind() == "finally_clause") else {
            continue;
        };
        let Some(tr) = fin.parent() else { continue };
        if statements(block).iter().all(|x| close_stmts.contains(x)) && !out.contains(&tr) {
            out.push(tr);
        }
    }
    out
}

/// Removes a `finally` clause: with a `catch`, just the clause; without,
/// the `try` goes and its body moves out one level. Returns the range the
/// edits cover and the edits.
#[allow(clippy::type_complexity)]
fn drop_finally(
    file: &JsFile,
    tr: Node,
    literals: &[std::ops::Range<usize>],
) -> Result<
    (
        std::ops::Range<usize>,
        Vec<(std::ops::Range<usize>, String)>,
    ),
    String,
> {
    let src = file.text();
    let source = &file.parsed.source;
    let fin = tr.child_by_field_name("finalizer").ok_or("no finally")?;
    let body = tr.child_by_field_name("body").ok_or("no body")?;
    if let Some(h) = tr.child_by_field_name("handler") {
        let range = h.end_byte()..fin.end_byte();
        return Ok((range.clone(), vec![(range, String::new())]));
    }
    // Unwrap: `try {` alone on its line, `} finally {` ... `}` on lines of
    // their own.
    if !owns_lines(source, tr) {
        return Err("the try statement shares its lines with other code".into());
    }
    let try_line = source.line_index(tr.start_byte());
    let body_first = source.line_index(body.start_byte());
    if try_line != body_first || !source.line_text(try_line).trim().ends_with('{') {
        return Err("the try statement is laid out in an unusual way".into());
    }
    // Names declared in the try body must not collide with the block's.
    let outer = tr.parent().ok_or("no parent")?;
    let inner: HashSet<String> = block_declarations(body, src).into_iter().collect();
    let outer_names: HashSet<String> = block_declarations(outer, src).into_iter().collect();
    if inner.intersection(&outer_names).next().is_some() {
        return Err("unwrapping the try would declare a name twice".into());
    }
    let start = line_start(source, tr.start_byte());
    let inner_start = line_end(source, tr.start_byte());
    let close_line_start = line_start(source, body.end_byte() - 1);
    let end = line_end(source, fin.end_byte());
    let unit = &file.style.indent;
    let mut edits = vec![
        (start..inner_start, String::new()),
        (close_line_start..end, String::new()),
    ];
    edits.extend(
        dedent_edits(src, inner_start..close_line_start, unit, literals)
            .ok_or("the try body is not indented by one level")?,
    );
    Ok((start..end, edits))
}
