//! js-unhandled-pipe: a file stream (`fs.createReadStream`) piped with
//! `.pipe()` into a response or another stream. `.pipe()` neither closes
//! the source when the destination is destroyed (a client that aborts the
//! download) nor handles its errors (a missing file crashes the process
//! with an unhandled `error` event). Fix: `stream.pipeline`, awaited from
//! `node:stream/promises` where the framework takes rejected handlers, or
//! with a callback that passes the error to `next`.

use tree_sitter::Node;

use crate::analysis::js::JsFile;
use crate::analysis::js::handlers::{HandlerKind, roles};
use crate::analysis::js::package::PackageInfo;
use crate::analysis::js::scope::{UseKind, uses_of, visit};
use crate::finding::Finding;
use crate::fix::{Applicability, Edit, Fix};
use crate::lang::js::{enclosing_function, is_async, strip_ts};
use crate::lang::{Language, text};
use crate::rewrite::js::{import_insertion, named_import_statement, owns_lines};
use crate::rules::Context;
use crate::rules::{FixAvailability, Rule, RuleMeta, Unit};

pub struct JsUnhandledPipe;

pub const ID: &str = "js-unhandled-pipe";

static META: RuleMeta = RuleMeta {
    id: ID,
    language: Some(Language::JavaScript),
    summary: "A file stream is piped with `.pipe()`, which leaks its descriptor when the client aborts and crashes on a read error",
    fix_summary: "Use `pipeline` from stream/promises, awaited or with `.catch(next)`",
    fix_availability: FixAvailability::Sometimes,
    applicability: Applicability::Unsafe,
    docs: DOCS,
};

const DOCS: &str = r#"## What it does
Finds `fs.createReadStream(...)` streams piped with `.pipe()` (directly,
through a chain such as `.pipe(zlib.createGzip()).pipe(res)`, or through a
local variable) in request handlers or into a response.

## Why is this bad?
`.pipe()` forwards data and nothing else. When the destination goes away —
the client aborts the download — the source is unpiped but never closed:
its file descriptor stays open for the life of the process, and enough
aborted downloads exhaust the descriptor limit (`EMFILE`). And an error on
the source (a missing file, `EISDIR`) is an `error` event nobody listens
to, which crashes the process. `stream.pipeline()` destroys every stream
in the chain when any of them fails or closes early, and reports the error
in one place.

## Example
```js
app.get("/files/:name", (req, res, next) => {
  const file = path.join(DIR, path.basename(req.params.name));
  res.type("application/octet-stream");
  fs.createReadStream(file).pipe(res);
});
```

## Use instead
```js
const { pipeline } = require("node:stream/promises");

app.get("/files/:name", (req, res, next) => {
  const file = path.join(DIR, path.basename(req.params.name));
  res.type("application/octet-stream");
  pipeline(fs.createReadStream(file), res).catch(next);
});
```
In an `async` handler whose framework handles a rejected handler (Express
5, Fastify, Koa, Hono, Next.js, Lambda), the fix awaits it instead:
`await pipeline(fs.createReadStream(p), res);`. Where package.json allows
Node versions older than 15 (no `stream/promises`), or the file already
imports the callback `pipeline` from `stream`, the fix uses that:
`pipeline(src, res, (err) => { if (err) next(err); });`. The `node:`
prefix is used where the file already uses it.

## Fix safety
Unsafe: errors that crashed the process, and client aborts that went
unnoticed, now reach `next(err)` (Express logs them, or your error
handler sees them as `ERR_STREAM_PREMATURE_CLOSE` after the headers were
sent) or reject the handler. By then `pipeline` has destroyed the
response, so a read error (a missing file) shows the client a closed
connection rather than an error page: check the file before streaming it
if you want a 404. In the awaited form the handler returns only when the
download is over. Where no form fits — a plain
`http.createServer` listener, an Express 4 `async` handler without `next`
(a rejected handler there is an unhandled rejection), a source with its
own listeners — the finding is reported without a fix, as it is when the
new call would not fit the project's prettier width (prettier would lay it
out over several lines in a way that depends on its version and options).

## References
- https://nodejs.org/api/stream.html#streampipelinesource-transforms-destination-callback ("pipe ... does not destroy the source if the destination emits close or an error")
- https://nodejs.org/api/stream.html#readablepipedestination-options ("if the Readable stream emits an error during processing, the Writable destination is not closed automatically")
"#;

impl Rule for JsUnhandledPipe {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, unit: &Unit<'_>, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let Unit::Js(file) = unit else { return };
        let src = file.text();
        if !src.contains(".pipe(") {
            return;
        }
        let mut stmts = Vec::new();
        visit(file.root(), &mut |n| {
            if n.kind() == "expression_statement" {
                stmts.push(n);
            }
        });
        for s in stmts {
            if let Some(f) = check_statement(file, cx, s) {
                out.push(f);
            }
        }
    }
}

/// `a.pipe(b).pipe(c)` -> ([a, b, c]) when the outermost call is `.pipe`.
fn pipe_chain<'t>(mut e: Node<'t>, src: &str) -> Option<Vec<Node<'t>>> {
    let mut stages = Vec::new();
    loop {
        e = strip_ts(e);
        if e.kind() != "call_expression" {
            break;
        }
        let f = strip_ts(e.child_by_field_name("function")?);
        if f.kind() != "member_expression"
            || f.child_by_field_name("property").map(|p| text(p, src)) != Some("pipe")
        {
            break;
        }
        let args = e.child_by_field_name("arguments")?;
        if args.named_child_count() != 1 {
            return None;
        }
        stages.push(args.named_child(0)?);
        e = f.child_by_field_name("object")?;
    }
    if stages.is_empty() {
        return None;
    }
    stages.push(e);
    stages.reverse();
    Some(stages)
}

/// Is `n` a catalog stream constructor call (`fs.createReadStream(p)`)?
fn is_file_stream(file: &JsFile, cx: &Context<'_>, n: Node) -> bool {
    let n = strip_ts(n);
    n.kind() == "call_expression"
        && n.child_by_field_name("function")
            .and_then(|f| file.resolve(f))
            .is_some_and(|f| cx.js_catalog.stream(&f).is_some())
}

fn check_statement(file: &JsFile, cx: &Context<'_>, stmt: Node) -> Option<Finding> {
    let src = file.text();
    let source = &file.parsed.source;
    let expr = stmt.named_child(0)?;
    let stages = pipe_chain(expr, src)?;
    // `fs.createReadStream(p).on("error", next).pipe(res)`: the listeners
    // handle errors, not an abandoned destination.
    let (first, listeners) = strip_listeners(strip_ts(stages[0]), src);
    let func = enclosing_function(stmt)?;
    // The source: a file stream, here or in a local bound to one.
    let mut via_local = None;
    if !is_file_stream(file, cx, first) {
        if first.kind() != "identifier" {
            return None;
        }
        let name = text(first, src);
        let decl = local_stream(file, cx, func, name, stmt)?;
        via_local = Some((name.to_string(), decl));
    }
    let dest = strip_ts(*stages.last()?);
    let handler = file.handler_of(stmt);
    let to_response = is_response_name(text(dest, src));
    if handler.is_none() && !to_response {
        return None;
    }
    let what = match &via_local {
        Some((n, _)) => format!("`{n}`"),
        None => "the file stream".to_string(),
    };
    let message = if to_response {
        format!(
            "{what} is piped with `.pipe()`: when `{}` closes early (the client aborts) the file stays open, and a read error crashes the process",
            text(dest, src)
        )
    } else {
        format!(
            "{what} is piped with `.pipe()`: when `{}` fails the file stays open, and a read error crashes the process",
            text(dest, src)
        )
    };
    let finding = Finding::new(
        ID,
        file.parsed.path.clone(),
        source,
        expr.byte_range(),
        message,
    );
    let kind = handler.map(|(_, h)| h.kind);
    if listeners {
        return Some(finding.with_note(
            "no automatic fix: the stream has listeners of its own; replace `.pipe()` with `pipeline()` and move their work into its callback",
        ));
    }
    Some(match build_fix(file, stmt, func, &stages, kind) {
        Ok(fix) => finding.with_fix(fix),
        Err(why) => finding.with_note(format!("no automatic fix: {why}")),
    })
}

/// Looks through `.on(...)`/`.once(...)` calls on a stream: the stream,
/// and whether there were any.
fn strip_listeners<'t>(mut n: Node<'t>, src: &str) -> (Node<'t>, bool) {
    let mut any = false;
    loop {
        let Some(f) = (n.kind() == "call_expression")
            .then(|| n.child_by_field_name("function"))
            .flatten()
            .map(strip_ts)
        else {
            return (n, any);
        };
        let is_listener = f.kind() == "member_expression"
            && f.child_by_field_name("property")
                .is_some_and(|p| matches!(text(p, src), "on" | "once" | "addListener"));
        match (is_listener, f.child_by_field_name("object")) {
            (true, Some(o)) => {
                n = strip_ts(o);
                any = true;
            }
            _ => return (n, any),
        }
    }
}

fn is_response_name(t: &str) -> bool {
    matches!(t, "res" | "response" | "resp" | "ctx.res" | "reply.raw")
}

/// `const name = fs.createReadStream(...)` in `func` whose only use is the
/// pipe at `stmt` (an `error` listener or any other use: not followed).
fn local_stream<'t>(
    file: &'t JsFile,
    cx: &Context<'_>,
    func: Node<'t>,
    name: &str,
    stmt: Node<'t>,
) -> Option<Node<'t>> {
    let src = file.text();
    let body = func.child_by_field_name("body")?;
    let mut decl = None;
    visit(body, &mut |n| {
        if decl.is_none()
            && n.kind() == "variable_declarator"
            && n.child_by_field_name("name")
                .is_some_and(|x| text(x, src) == name)
            && n.child_by_field_name("value")
                .is_some_and(|v| is_file_stream(file, cx, v))
            && enclosing_function(n) == Some(func)
        {
            decl = Some(n);
        }
    });
    let decl = decl?;
    let block = decl.parent()?.parent()?;
    let uses = uses_of(name, block, decl.end_byte(), func, src);
    let only_pipe = uses.len() == 1
        && matches!(&uses[0].kind, UseKind::Method(m) if m == "pipe")
        && uses[0].closure.is_none()
        && stmt.start_byte() <= uses[0].node.start_byte()
        && uses[0].node.end_byte() <= stmt.end_byte();
    only_pipe.then_some(decl)
}

/// Does the framework pass a rejected async handler on to its error
/// handling?
fn rejections_handled(pkg: Option<&PackageInfo>, kind: Option<HandlerKind>) -> bool {
    if matches!(kind, Some(HandlerKind::Lambda | HandlerKind::NextApi)) {
        return true;
    }
    let Some(pkg) = pkg else { return false };
    if [
        "fastify",
        "koa",
        "@koa/router",
        "hono",
        "next",
        "@hapi/hapi",
        "express-async-errors",
    ]
    .iter()
    .any(|d| pkg.depends_on(d))
    {
        return true;
    }
    pkg.dependency("express")
        .and_then(PackageInfo::major_of)
        .is_some_and(|m| m >= 5)
}

fn build_fix(
    file: &JsFile,
    stmt: Node,
    func: Node,
    stages: &[Node],
    kind: Option<HandlerKind>,
) -> Result<Fix, String> {
    let src = file.text();
    let source = &file.parsed.source;
    let style = &file.style;
    if !owns_lines(source, stmt) {
        return Err("the pipe shares its line with other code".into());
    }
    if text(stmt, src).contains('\n') {
        return Err("the pipe chain spans lines".into());
    }
    let node_prefix = uses_node_prefix(file);
    let module = |m: &str| {
        if node_prefix {
            format!("node:{m}")
        } else {
            m.to_string()
        }
    };
    let args: Vec<&str> = stages.iter().map(|s| text(*s, src)).collect();
    let args = args.join(", ");
    let semi = style.semi();
    let indent = source.indent_at(stmt.start_byte()).to_string();
    let unit = &style.indent;
    let nl = source.newline();
    let next = roles(func, src).next;
    let awaited = is_async(func, src) && rejections_handled(file.package.as_deref(), kind);
    let bound = file.bindings.module_value("pipeline");
    if bound.is_none() && file.bindings.top_level.contains("pipeline") {
        return Err("`pipeline` already names something else in this file".into());
    }
    // The promise API (Node 15+) unless the file already uses the callback
    // one, or the package supports older Node versions.
    let old_node = file
        .package
        .as_deref()
        .is_some_and(|p| p.node_min.is_some_and(|v| v < 15));
    let callback_api = match bound {
        Some(v) if v.path == "pipeline" && v.module == "stream" => true,
        Some(v) if v.path == "pipeline" && v.module == "stream/promises" => false,
        Some(_) => return Err("`pipeline` already names something else in this file".into()),
        None => old_node,
    };
    let (call, title) = match (&next, awaited, callback_api) {
        (_, true, false) => (
            format!("await pipeline({args}){semi}"),
            "`await pipeline(...)` from stream/promises: every stream is closed when one fails or the client aborts",
        ),
        (Some(next), _, false) => (
            format!("pipeline({args}).catch({next}){semi}"),
            "`pipeline(...).catch(next)` from stream/promises: every stream is closed when one fails or the client aborts, and the error goes to `next`",
        ),
        (Some(next), _, true) => (
            format!(
                "pipeline({args}, {} {{{nl}{indent}{unit}if (err) {next}(err){semi}{nl}{indent}}}){semi}",
                style.arrow_param("err")
            ),
            "`pipeline(..., (err) => ...)`: every stream is closed when one fails or the client aborts, and the error goes to `next`",
        ),
        (None, _, _) => {
            return Err(if is_async(func, src) {
                "there is no `next` to pass the error to, and a rejected handler would go unhandled here; use `pipeline` and decide what an aborted download means".into()
            } else {
                "there is no `next` to pass the error to; use `pipeline` and decide what an aborted download means".into()
            });
        }
    };
    let new = format!("{indent}{call}");
    if !style.fits(&new) {
        return Err(format!(
            "the pipeline call would not fit the print width ({})",
            style.print_width
        ));
    }
    let path = file.parsed.path.clone();
    let mut edits = vec![Edit::replacement(path.clone(), stmt.byte_range(), call)];
    if bound.is_none() {
        let m = if callback_api {
            "stream"
        } else {
            "stream/promises"
        };
        let (at, t) = import_insertion(file, &named_import_statement(file, "pipeline", &module(m)));
        edits.push(Edit::insertion(path.clone(), at, t));
    }
    Ok(Fix::unsafe_(title, edits).with_claim(path, stmt.byte_range()))
}

/// Does the file import Node's built-ins with the `node:` prefix?
fn uses_node_prefix(file: &JsFile) -> bool {
    let src = file.text();
    src.contains("from 'node:")
        || src.contains("from \"node:")
        || src.contains("require('node:")
        || src.contains("require(\"node:")
}
