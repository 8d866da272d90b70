//! js-release-on-finish: a per-request resource (a pool client put on
//! `req`, a local connection) released in `res.on("finish", ...)` only,
//! which never fires when the client disconnects before the response is
//! sent; or in both `finish` and `close` without a guard, which releases it
//! twice. Fix: `onFinished(res, ...)` from `on-finished` (added to
//! package.json when missing), or a once-guarded pair of listeners where
//! adding a dependency is turned off (`[js] add-dependencies = false`) or
//! not possible.

use tree_sitter::Node;

use crate::analysis::js::JsFile;
use crate::analysis::js::bindings::string_value;
use crate::analysis::js::flow::statements;
use crate::analysis::js::handlers::roles;
use crate::analysis::js::scope::{parameter_names, visit, visit_in_function};
use crate::catalog::js::ModuleValue;
use crate::finding::Finding;
use crate::fix::{Applicability, Edit, Fix};
use crate::lang::js::{enclosing_function, is_function, strip_ts};
use crate::lang::{Language, text};
use crate::rewrite::js::{
    add_dependency, deletion_range, fresh_name, import_insertion, import_statement, line_end,
    line_start, literal_ranges, owns_lines,
};
use crate::rules::Context;
use crate::rules::{FixAvailability, Rule, RuleMeta, Unit};

pub struct JsReleaseOnFinish;

pub const ID: &str = "js-release-on-finish";

static META: RuleMeta = RuleMeta {
    id: ID,
    language: Some(Language::JavaScript),
    summary: "A per-request resource is released in `res.on('finish')`, which never fires when the client disconnects (or in both `finish` and `close`, twice)",
    fix_summary: "Release it with `onFinished(res, ...)` from on-finished (added to package.json), or a once-guarded pair of `finish`/`close` listeners",
    fix_availability: FixAvailability::Sometimes,
    applicability: Applicability::Unsafe,
    docs: DOCS,
};

const DOCS: &str = r#"## What it does
Finds middleware and handlers that acquire a resource per request — a
client from `await pool.connect()` put on `req`, a connection from
`getConnection()`, a file handle — and release it in a listener for the
response's `finish` event only, or in listeners for both `finish` and
`close` with nothing that stops the second from releasing it again.

## Why is this bad?
`finish` fires when the response has been handed to the operating
system. When the client goes away first — a timeout, a closed tab, someone
pressing F5 — the response never finishes and `finish` never fires: the
client stays checked out of the pool. A few hundred impatient users
exhaust the pool and every later request hangs. Listening for `close` as
well fixes that, but since Node 12 `close` also fires after a normal
`finish`, so the client is released twice (node-postgres throws "Release
called on client which has already been released to the pool", from an
event listener, which crashes the process).

## Example
```js
app.use(async (req, res, next) => {
  req.db = await pool.connect();
  res.on("finish", () => {
    req.db.release();
  });
  next();
});
```

## Use instead
```js
const onFinished = require("on-finished");

app.use(async (req, res, next) => {
  req.db = await pool.connect();
  onFinished(res, () => {
    req.db.release();
  });
  next();
});
```
`on-finished` (what Express itself uses) calls the listener exactly once,
when the response finishes or its connection closes, whichever comes
first. The fix adds `"on-finished": "^2.4.1"` to the `dependencies` of the
nearest package.json when it is not there (and `@types/on-finished` to
`devDependencies` in TypeScript projects); run your package manager to
install it, leakfix never touches a lockfile. Where no package may be
added — `add-dependencies = false` under `[js]` in leakfix.toml, no
package.json, or a TypeScript file that cannot import a CommonJS module's
default export — the fix is a pair of listeners guarded by a flag:

```js
  req.db = await pool.connect();
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    req.db.release();
  };
  res.on("finish", release);
  res.on("close", release);
```

## Fix safety
Unsafe: it adds a dependency (or changes the listeners), and the release
now also runs when the client disconnects, possibly while a handler is
still using the resource after the response was abandoned. A listener that
uses `this`, its arguments, or is not a function written in place is
reported without a fix; so is a `close` listener that does something other
than the same release.

## References
- https://github.com/jshttp/on-finished ("Execute a callback when a HTTP request closes, finishes, or errors")
- https://nodejs.org/api/http.html#event-close_2 ("Indicates that the response is completed, or its underlying connection was terminated prematurely")
- https://node-postgres.com/apis/pool#releasing-clients
"#;

impl Rule for JsReleaseOnFinish {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, unit: &Unit<'_>, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let Unit::Js(file) = unit else { return };
        let src = file.text();
        if !src.contains("finish") {
            return;
        }
        let mut calls = Vec::new();
        visit(file.root(), &mut |n| {
            if n.kind() == "call_expression" && listener_call(n, src, "finish").is_some() {
                calls.push(n);
            }
        });
        for call in calls {
            if let Some(f) = check_finish(file, cx, call) {
                out.push(f);
            }
        }
    }
}

/// `R.on(event, L)` / `R.once` / `R.addListener`: (R, the event string, L).
fn listener_call<'t>(
    call: Node<'t>,
    src: &str,
    event: &str,
) -> Option<(Node<'t>, Node<'t>, Node<'t>)> {
    let f = strip_ts(call.child_by_field_name("function")?);
    if f.kind() != "member_expression" {
        return None;
    }
    let m = text(f.child_by_field_name("property")?, src);
    if !matches!(m, "on" | "once" | "addListener") {
        return None;
    }
    let args = call.child_by_field_name("arguments")?;
    if args.named_child_count() != 2 {
        return None;
    }
    let ev = args.named_child(0)?;
    if string_value(ev, src).as_deref() != Some(event) {
        return None;
    }
    Some((
        strip_ts(f.child_by_field_name("object")?),
        ev,
        args.named_child(1)?,
    ))
}

/// Is `r` the response: a parameter named like one, or the handler's
/// response parameter, or `ctx.res`?
fn is_response(file: &JsFile, r: Node, func: Node) -> bool {
    let src = file.text();
    let t = text(r, src);
    if t == "ctx.res" || t == "reply.raw" {
        return true;
    }
    if r.kind() != "identifier" {
        return false;
    }
    let mut f = Some(func);
    while let Some(func) = f {
        if parameter_names(func, src).iter().any(|p| p == t) {
            return matches!(t, "res" | "response" | "resp")
                || roles(func, src).response.as_deref() == Some(t);
        }
        f = enclosing_function(func);
    }
    false
}

/// Method names that release a per-request resource.
fn release_methods(cx: &Context<'_>) -> Vec<String> {
    let mut m: Vec<String> = Vec::new();
    for a in &cx.js_catalog.acquire {
        m.extend(a.released_by.iter().cloned());
        m.extend(a.released_by_receiver.iter().cloned());
    }
    for c in &cx.js_catalog.clients {
        m.extend(c.close.iter().cloned());
    }
    m.sort();
    m.dedup();
    m
}

/// Was `target` (`req.db`, a local) given a per-request resource in `func`:
/// `target = await pool.connect()`, `const target = await ...`?
fn acquired_in(file: &JsFile, cx: &Context<'_>, func: Node, target: &str) -> bool {
    let src = file.text();
    let Some(body) = func.child_by_field_name("body") else {
        return false;
    };
    let mut found = false;
    visit_in_function(body, &mut |n| {
        let (lhs, rhs) = match n.kind() {
            "assignment_expression" => (
                n.child_by_field_name("left"),
                n.child_by_field_name("right"),
            ),
            "variable_declarator" => (
                n.child_by_field_name("name"),
                n.child_by_field_name("value"),
            ),
            _ => return,
        };
        let (Some(lhs), Some(rhs)) = (lhs, rhs) else {
            return;
        };
        if text(lhs, src) != target {
            return;
        }
        if is_acquisition(file, cx, rhs) {
            found = true;
        }
    });
    found
}

fn is_acquisition(file: &JsFile, cx: &Context<'_>, value: Node) -> bool {
    let src = file.text();
    let mut v = strip_ts(value);
    if v.kind() == "await_expression" {
        match v.named_child(0) {
            Some(inner) => v = strip_ts(inner),
            None => return false,
        }
    }
    match v.kind() {
        "call_expression" => {
            let Some(callee) = v.child_by_field_name("function").map(strip_ts) else {
                return false;
            };
            if let Some(f) = file.resolve(callee)
                && (cx.js_catalog.acquire_function(&f).is_some()
                    || cx.js_catalog.client(&f, false).is_some())
            {
                return true;
            }
            callee.kind() == "member_expression"
                && callee
                    .child_by_field_name("property")
                    .is_some_and(|p| cx.js_catalog.acquire_methods(text(p, src)).next().is_some())
        }
        "new_expression" => v
            .child_by_field_name("constructor")
            .and_then(|c| file.resolve(c))
            .is_some_and(|c| cx.js_catalog.client(&c, true).is_some()),
        _ => false,
    }
}

/// The releases a listener makes: (target text, method).
fn releases_in(listener: Node, src: &str, methods: &[String]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Some(body) = listener.child_by_field_name("body") else {
        return out;
    };
    visit_in_function(body, &mut |n| {
        if n.kind() != "call_expression" {
            return;
        }
        let Some(f) = n.child_by_field_name("function").map(strip_ts) else {
            return;
        };
        if f.kind() != "member_expression" {
            return;
        }
        let (Some(o), Some(p)) = (
            f.child_by_field_name("object"),
            f.child_by_field_name("property"),
        ) else {
            return;
        };
        let m = text(p, src);
        if methods.iter().any(|x| x == m) {
            out.push((text(strip_ts(o), src).to_string(), m.to_string()));
        }
        // pool.release(resource)
        if m == "release"
            && let Some(a) = n
                .child_by_field_name("arguments")
                .and_then(|a| a.named_child(0))
        {
            out.push((text(strip_ts(a), src).to_string(), m.to_string()));
        }
    });
    out
}

/// Does a listener guard against running twice (`if (released) return`)?
fn is_guarded(listener: Node, src: &str) -> bool {
    let Some(body) = listener.child_by_field_name("body") else {
        return false;
    };
    body.kind() == "statement_block"
        && statements(body)
            .first()
            .is_some_and(|s| s.kind() == "if_statement" && text(*s, src).contains("return"))
}

fn check_finish(file: &JsFile, cx: &Context<'_>, call: Node) -> Option<Finding> {
    let src = file.text();
    let source = &file.parsed.source;
    let (res, event, listener) = listener_call(call, src, "finish")?;
    let func = enclosing_function(call)?;
    if !is_response(file, res, func) {
        return None;
    }
    let listener = strip_ts(listener);
    if !is_function(listener) {
        return None;
    }
    let methods = release_methods(cx);
    let releases = releases_in(listener, src, &methods);
    let (target, method) = releases
        .iter()
        .find(|(t, _)| acquired_in(file, cx, func, t))?
        .clone();
    // Other listeners on the same response in the same function.
    let res_text = text(res, src);
    let mut close = Vec::new();
    let fbody = func.child_by_field_name("body")?;
    visit_in_function(fbody, &mut |n| {
        if n.kind() == "call_expression"
            && let Some((r, _, l)) = listener_call(n, src, "close")
            && text(r, src) == res_text
        {
            close.push((n, strip_ts(l)));
        }
    });
    // A `close` listener that releases it too, unguarded: twice.
    let twice = close.iter().find(|(_, l)| {
        is_function(*l)
            && releases_in(*l, src, &methods)
                .iter()
                .any(|(t, m)| *t == target && *m == method)
            && !is_guarded(*l, src)
            && !is_guarded(listener, src)
    });
    if !close.is_empty() && twice.is_none() {
        // Something else listens for `close`: it may already release.
        return None;
    }
    let release = format!("{target}.{method}()");
    let message = match twice {
        Some(_) => format!(
            "`{release}` runs in both `finish` and `close` listeners: since Node 12 a response emits both, so it is released twice"
        ),
        None => format!(
            "`{release}` runs only when the response finishes: when the client disconnects first, `finish` never fires and it is never released"
        ),
    };
    let finding = Finding::new(
        ID,
        file.parsed.path.clone(),
        source,
        call.byte_range(),
        message,
    );
    let close_stmt = twice.map(|(c, _)| *c);
    Some(
        match build_fix(file, cx, call, res, event, listener, close_stmt) {
            Ok(fix) => {
                let mut f = finding.with_fix(fix.0);
                if let Some(n) = fix.1 {
                    f = f.with_note(n);
                }
                f
            }
            Err(why) => finding.with_note(format!("no automatic fix: {why}")),
        },
    )
}

/// The statement a call is.
fn statement_of(call: Node) -> Option<Node> {
    call.parent().filter(|p| p.kind() == "expression_statement")
}

fn uses_this_or_params(listener: Node, src: &str) -> bool {
    if !parameter_names(listener, src).is_empty() {
        return true;
    }
    if listener.kind() == "arrow_function" {
        return false;
    }
    let mut found = false;
    if let Some(b) = listener.child_by_field_name("body") {
        visit_in_function(b, &mut |n| {
            if n.kind() == "this" || (n.kind() == "identifier" && text(n, src) == "arguments") {
                found = true;
            }
        });
    }
    found
}

#[allow(clippy::too_many_arguments)]
fn build_fix(
    file: &JsFile,
    cx: &Context<'_>,
    call: Node,
    res: Node,
    event: Node,
    listener: Node,
    close: Option<Node>,
) -> Result<(Fix, Option<String>), String> {
    let src = file.text();
    let source = &file.parsed.source;
    let style = &file.style;
    let stmt = statement_of(call).ok_or("the listener is registered inside an expression")?;
    if !owns_lines(source, stmt) {
        return Err("the listener shares its lines with other code".into());
    }
    let close_stmt = match close {
        Some(c) => {
            let s =
                statement_of(c).ok_or("the close listener is registered inside an expression")?;
            if !owns_lines(source, s) || s.parent() != stmt.parent() {
                return Err(
                    "the close listener is not a statement beside the finish listener".into(),
                );
            }
            Some(s)
        }
        None => None,
    };
    if uses_this_or_params(listener, src) {
        return Err(
            "the listener uses `this` or its arguments, which on-finished passes differently"
                .into(),
        );
    }
    let body = listener.child_by_field_name("body").ok_or("no body")?;
    if body.kind() != "statement_block" && text(listener, src).contains('\n') && style.enforce_width
    {
        return Err("the listener spans lines; prettier may lay it out differently".into());
    }
    let path = file.parsed.path.clone();
    let on_finished = ModuleValue::new("on-finished", "");
    let existing = file.bindings.name_of(&on_finished).map(str::to_string);
    let package = file.package.as_deref();
    let interop_ok = !file.is_typescript()
        || !file.esm
        || package.and_then(|p| p.es_module_interop) == Some(true)
        || default_imports_cjs(file);
    let dep = cx.js_catalog.dependency("on-finished");
    let can_add = existing.is_some()
        || (cx.js_add_dependencies && package.is_some() && interop_ok && dep.is_some());
    let res_text = text(res, src);
    if can_add {
        let name = existing
            .clone()
            .unwrap_or_else(|| fresh_name(file, "onFinished"));
        let mut edits = vec![Edit::replacement(
            path.clone(),
            call.start_byte()..event.end_byte(),
            format!("{name}({res_text}"),
        )];
        if let Some(s) = close_stmt {
            edits.push(Edit::deletion(path.clone(), deletion_range(source, s)));
        }
        let mut note = None;
        if existing.is_none() {
            let (at, text_) = import_insertion(file, &import_statement(file, &name, "on-finished"));
            edits.push(Edit::insertion(path.clone(), at, text_));
            let pkg = package.ok_or("no package.json")?;
            let dep = dep.ok_or("no on-finished in the catalog")?;
            let manifest_text = &pkg.text;
            let manifest: std::sync::Arc<std::path::Path> =
                std::sync::Arc::from(pkg.manifest.as_path());
            let mut added = Vec::new();
            if !pkg.depends_on(&dep.name) {
                let e = add_dependency(manifest_text, "dependencies", &dep.name, &dep.version)
                    .ok_or("package.json is not laid out the way npm writes it")?;
                edits.extend(
                    e.into_iter()
                        .map(|(r, c)| Edit::replacement(manifest.clone(), r, c)),
                );
                added.push(dep.name.clone());
            }
            if file.is_typescript()
                && let Some((types, version)) = &dep.types
                && !pkg.depends_on(types)
            {
                let e = add_dependency(manifest_text, "devDependencies", types, version)
                    .ok_or("package.json is not laid out the way npm writes it")?;
                edits.extend(
                    e.into_iter()
                        .map(|(r, c)| Edit::replacement(manifest.clone(), r, c)),
                );
                added.push(types.clone());
            }
            if !added.is_empty() {
                note = Some(format!(
                    "adds {} to {}: run your package manager (npm install) to install it",
                    added.join(" and "),
                    relative_manifest(file, &pkg.manifest)
                ));
            }
        }
        let fix = Fix::unsafe_(
            format!("release it with `{name}({res_text}, ...)` from on-finished"),
            edits,
        )
        .with_claim(path, call.byte_range());
        if fix.has_overlapping_edits() {
            return Err("the edits overlap".into());
        }
        return Ok((fix, note));
    }
    guarded_pair(file, stmt, res_text, event, listener, close_stmt).map(|f| (f, None))
}

/// The manifest's path as seen from the file's folder (`package.json`,
/// `../package.json`).
fn relative_manifest(file: &JsFile, manifest: &std::path::Path) -> String {
    let dir = std::path::absolute(&file.parsed.path)
        .ok()
        .and_then(|p| p.parent().map(|d| d.to_path_buf()));
    let Some(dir) = dir else {
        return manifest.display().to_string();
    };
    let mut ups = 0;
    let mut d = dir.as_path();
    loop {
        if let Ok(rest) = manifest.strip_prefix(d) {
            let mut out = "../".repeat(ups);
            out.push_str(&rest.to_string_lossy());
            return out;
        }
        match d.parent() {
            Some(p) => {
                d = p;
                ups += 1;
            }
            None => return manifest.display().to_string(),
        }
    }
}

/// Does a TypeScript file already default-import a CommonJS package
/// (`import express from "express"`), so esModuleInterop is on?
fn default_imports_cjs(file: &JsFile) -> bool {
    let src = file.text();
    let mut found = false;
    let mut c = file.root().walk();
    for stmt in file.root().named_children(&mut c) {
        if stmt.kind() != "import_statement" {
            continue;
        }
        let t = text(stmt, src);
        if t.starts_with("import type") {
            continue;
        }
        let default = t
            .trim_start_matches("import ")
            .chars()
            .next()
            .is_some_and(|ch| ch.is_alphabetic() || ch == '_' || ch == '$');
        let module = stmt
            .child_by_field_name("source")
            .and_then(|s| string_value(s, src))
            .unwrap_or_default();
        if default
            && matches!(
                module.as_str(),
                "express" | "on-finished" | "pg" | "cors" | "body-parser" | "morgan"
            )
        {
            found = true;
        }
    }
    found
}

/// The fallback without a new package: one release guarded by a flag,
/// registered for both `finish` and `close`.
fn guarded_pair(
    file: &JsFile,
    stmt: Node,
    res_text: &str,
    event: Node,
    listener: Node,
    close_stmt: Option<Node>,
) -> Result<Fix, String> {
    let src = file.text();
    let source = &file.parsed.source;
    let style = &file.style;
    let nl = source.newline();
    let unit = &style.indent;
    let semi = style.semi();
    let indent = source.indent_at(stmt.start_byte()).to_string();
    let body = listener.child_by_field_name("body").ok_or("no body")?;
    let inner = format!("{indent}{unit}");
    let body_text = if body.kind() == "statement_block" {
        let stmts = statements(body);
        let (Some(first), Some(last)) = (stmts.first(), stmts.last()) else {
            return Err("the listener is empty".into());
        };
        if !owns_lines(source, *first) || !owns_lines(source, *last) {
            // `() => { req.db.release() }` on one line.
            if stmts.len() == 1 {
                let t = text(*first, src).trim_end_matches(';');
                format!("{inner}{t}{semi}")
            } else {
                return Err("the listener's statements share lines".into());
            }
        } else {
            let from = source.indent_at(first.start_byte()).to_string();
            let start = line_start(source, first.start_byte());
            let end = line_end(source, last.end_byte());
            let literals = literal_ranges(file);
            let mut out = String::new();
            let mut at = start;
            for line in src[start..end].split_inclusive('\n') {
                let inside = literals.iter().any(|r| r.start < at && at < r.end);
                if inside || line.trim().is_empty() {
                    out.push_str(line);
                } else {
                    let rest = line
                        .strip_prefix(from.as_str())
                        .ok_or("uneven indentation")?;
                    out.push_str(&inner);
                    out.push_str(rest);
                }
                at += line.len();
            }
            out.trim_end_matches(['\n', '\r']).to_string()
        }
    } else {
        format!("{inner}{}{semi}", text(body, src))
    };
    // A comment after the statement stays at the end of its line.
    let line_rest =
        &src[stmt.end_byte()..source.line_range(source.line_index(stmt.end_byte())).end];
    let trailing = match line_rest.trim() {
        t if t.starts_with("//") => format!(" {t}"),
        _ => String::new(),
    };
    let flag = fresh_name(file, "released");
    let func = fresh_name(file, "release");
    let q = style.quote;
    let finish = text(event, src);
    let new = format!(
        "{indent}let {flag} = false{semi}{nl}\
         {indent}const {func} = {arrow} {{{nl}\
         {inner}if ({flag}) return{semi}{nl}\
         {inner}{flag} = true{semi}{nl}\
         {body_text}{nl}\
         {indent}}}{semi}{nl}\
         {indent}{res_text}.on({finish}, {func}){semi}{trailing}{nl}\
         {indent}{res_text}.on({q}close{q}, {func}){semi}{nl}",
        arrow = "() =>",
    );
    if !style.fits(&new) {
        return Err("the guarded listeners would not fit the print width".into());
    }
    let path = file.parsed.path.clone();
    let start = line_start(source, stmt.start_byte());
    let end = line_end(source, stmt.end_byte());
    let mut edits = vec![Edit::replacement(path.clone(), start..end, new)];
    if let Some(s) = close_stmt {
        edits.push(Edit::deletion(path.clone(), deletion_range(source, s)));
    }
    let fix = Fix::unsafe_(
        format!("release it once, on `finish` or `close`, whichever comes first (`{func}` guarded by `{flag}`)"),
        edits,
    )
    .with_claim(path, stmt.byte_range());
    if fix.has_overlapping_edits() {
        return Err("the edits overlap".into());
    }
    Ok(fix)
}
