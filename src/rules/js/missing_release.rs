//! js-missing-release: a pool client, pooled connection, pooled resource or
//! `FileHandle` acquired with `await` in a function and not released on
//! every path (an early `return`, a `throw`, a rejected `await` skips the
//! release). Fix: the code after the acquisition goes into `try { ... }
//! finally { release }` and the release calls it replaces are dropped.

use tree_sitter::Node;

use crate::analysis::js::JsFile;
use crate::analysis::js::flow::{Leak, LeakWhy, Outcome, Releases, released_on_every_path};
use crate::analysis::js::scope::{Use, UseKind, runs_inline, uses_of, visit, visit_in_function};
use crate::catalog::js::AcquireEntry;
use crate::finding::Finding;
use crate::fix::{Applicability, Edit, Fix};
use crate::lang::js::{enclosing_function, strip_ts};
use crate::lang::{Language, text};
use crate::rewrite::js::{
    deletion_range, indent_edits, line_end, line_start, literal_ranges, owns_lines, splice,
};
use crate::rules::Context;
use crate::rules::{FixAvailability, Rule, RuleMeta, Unit};

pub struct JsMissingRelease;

pub const ID: &str = "js-missing-release";

static META: RuleMeta = RuleMeta {
    id: ID,
    language: Some(Language::JavaScript),
    summary: "A pool client, pooled connection or file handle is not released on every path (an early return, a throw or a rejected await skips the release)",
    fix_summary: "Wrap the code after the acquisition in `try { ... } finally { client.release(); }` and drop the release calls it replaces",
    fix_availability: FixAvailability::Sometimes,
    applicability: Applicability::Safe,
    docs: DOCS,
};

const DOCS: &str = r#"## What it does
Finds values acquired with `await` inside a function that must be given
back — a node-postgres client from `await pool.connect()`, a mysql2
connection from `await pool.getConnection()`, a generic-pool resource from
`await pool.acquire()`, a `FileHandle` from `fs.promises.open()` — and that
some path out of the function does not release: an early `return`, a
`throw`, an `await` that rejects or a call that throws before the
`release()` / `close()` line.

## Why is this bad?
A client that is never released stays checked out of the pool for good.
After `max` such requests (10 by default in node-postgres) every later
`pool.connect()` waits forever and the service stops answering, usually
under the load of a bad deploy or a flaky database, when a query starts
failing. A leaked `FileHandle` keeps its descriptor until the garbage
collector happens to close it (Node prints a warning, and plans to make it
an error).

## Example
```js
app.get("/users/:id", async (req, res) => {
  const client = await pool.connect();
  const { rows } = await client.query("SELECT * FROM users WHERE id = $1", [
    req.params.id,
  ]);
  if (rows.length === 0) {
    return res.sendStatus(404);
  }
  client.release();
  res.json(rows[0]);
});
```

## Use instead
```js
app.get("/users/:id", async (req, res) => {
  const client = await pool.connect();
  try {
    const { rows } = await client.query("SELECT * FROM users WHERE id = $1", [
      req.params.id,
    ]);
    if (rows.length === 0) {
      return res.sendStatus(404);
    }
    res.json(rows[0]);
  } finally {
    client.release();
  }
});
```
When the only code that uses the value is one `try` statement, the
release becomes its `finally` clause, and a `catch` left with nothing but
`throw err;` is removed.

`try`/`finally` rather than `await using`: explicit resource management
needs Node 24 (or a flag on Node 20 and 22, both still maintained), a
TypeScript 5.2 `target`/`lib` set up for it, and `Symbol.asyncDispose` on
the value, which node-postgres and mysql2 clients do not have. `try`/
`finally` works on every Node version and reads the same to everyone.

## Fix safety
Safe: the release now runs on every path, and runs where it ran before on
the normal path (at the end of the code that uses the value; statements
after the last use stay outside the `try`, unless they use a name declared
inside it). Release calls with arguments (`client.release(err)`, which
destroys the client) are kept as the author wrote them: the finding is
reported without a fix. No fix either when the value is returned, stored,
captured by a callback that outlives the function, or handed to a function
(unless this function also releases it), nor when it is released inside a
loop, a `switch` or an expression: ownership there is the author's call.
The finding is only reported when the function owns the value: it calls
the release method itself, or the value comes from a pool built in the same
file (or from `fs.promises.open`).

## References
- https://node-postgres.com/features/pooling ("you must always return the client to the pool ... use a try/finally")
- https://sidorares.github.io/node-mysql2/docs#using-connection-pools
- https://nodejs.org/api/fs.html#class-filehandle ("if a FileHandle is not closed using the filehandle.close() method, it will try to automatically close the file descriptor ... please do not rely on this behavior")
"#;

impl Rule for JsMissingRelease {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, unit: &Unit<'_>, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let Unit::Js(file) = unit else { return };
        let mut decls = Vec::new();
        visit(file.root(), &mut |n| {
            if n.kind() == "lexical_declaration" {
                decls.push(n);
            }
        });
        for decl in decls {
            if let Some(f) = check_declaration(file, cx, decl) {
                out.push(f);
            }
        }
    }
}

/// One acquisition: `const v = await recv.method(...)` or `const v = await
/// open(...)`.
struct Acquisition<'t> {
    entry: &'t AcquireEntry,
    decl: Node<'t>,
    name: String,
    call: Node<'t>,
    /// The receiver's text (`pool`), for methods.
    recv: Option<String>,
    /// The receiver was built with one of the entry's pools in this file,
    /// or the acquisition is a catalog function.
    known: bool,
}

fn acquisition<'a>(file: &JsFile, cx: &'a Context<'_>, decl: Node<'a>) -> Option<Acquisition<'a>> {
    let src = file.text();
    let mut c = decl.walk();
    let declarators: Vec<Node> = decl
        .named_children(&mut c)
        .filter(|d| d.kind() == "variable_declarator")
        .collect();
    if declarators.len() != 1 {
        return None;
    }
    let d = declarators[0];
    let name = d.child_by_field_name("name")?;
    if name.kind() != "identifier" {
        return None;
    }
    let value = strip_ts(d.child_by_field_name("value")?);
    if value.kind() != "await_expression" {
        return None;
    }
    let call = strip_ts(value.named_child(0)?);
    if call.kind() != "call_expression" {
        return None;
    }
    let callee = strip_ts(call.child_by_field_name("function")?);
    if let Some(f) = file.resolve(callee)
        && let Some(entry) = cx.js_catalog.acquire_function(&f)
    {
        return Some(Acquisition {
            entry,
            decl,
            name: text(name, src).to_string(),
            call,
            recv: None,
            known: true,
        });
    }
    if callee.kind() != "member_expression" {
        return None;
    }
    let method = text(callee.child_by_field_name("property")?, src);
    let recv = strip_ts(callee.child_by_field_name("object")?);
    let entry = cx.js_catalog.acquire_methods(method).next()?;
    let known = recv.kind() == "identifier"
        && file
            .bindings
            .built(text(recv, src))
            .is_some_and(|b| entry.pools.iter().any(|p| p.matches(&b.ctor, b.with_new)))
        && !crate::analysis::js::scope::is_shadowed(recv, text(recv, src), src);
    Some(Acquisition {
        entry,
        decl,
        name: text(name, src).to_string(),
        call,
        recv: Some(text(recv, src).to_string()),
        known,
    })
}

/// What the function does with the value after acquiring it.
#[derive(Default)]
struct Ownership<'t> {
    /// Release calls (the calls themselves).
    releases: Vec<Node<'t>>,
    /// Some release call passes arguments (`client.release(err)`).
    release_with_args: bool,
    /// Handed to a function as an argument (not the release).
    handed: bool,
}

/// Reads the uses: None when the value escapes (returned, stored, released
/// or kept by a callback, handed to a stream), so the function does not
/// own it alone.
fn ownership<'t>(file: &JsFile, acq: &Acquisition, uses: &[Use<'t>]) -> Option<Ownership<'t>> {
    let src = file.text();
    let entry = acq.entry;
    let mut own = Ownership::default();
    for u in uses {
        let outlives = u.closure.is_some_and(|c| !runs_inline(c, src));
        match &u.kind {
            UseKind::Method(m) if entry.released_by.contains(m) => {
                if u.closure.is_some() {
                    return None; // released by a callback
                }
                let call = u.call?;
                let args = call.child_by_field_name("arguments")?;
                if args.named_child_count() > 0 {
                    own.release_with_args = true;
                }
                own.releases.push(call);
            }
            UseKind::Method(m) if entry.handed_by.contains(m) => return None,
            UseKind::Argument { index } => {
                let call = u.call?;
                if outlives {
                    return None;
                }
                if is_receiver_release(file, acq, call, *index) {
                    own.releases.push(call);
                } else {
                    own.handed = true;
                }
            }
            UseKind::Method(_) | UseKind::Member | UseKind::Tested => {
                if outlives {
                    return None;
                }
            }
            UseKind::Returned | UseKind::Stored | UseKind::Reassigned | UseKind::Other => {
                return None;
            }
        }
    }
    Some(own)
}

/// `pool.release(resource)` for an entry released through its receiver.
fn is_receiver_release(file: &JsFile, acq: &Acquisition, call: Node, index: usize) -> bool {
    let src = file.text();
    if index != 0 || acq.entry.released_by_receiver.is_empty() {
        return false;
    }
    let Some(f) = call.child_by_field_name("function").map(strip_ts) else {
        return false;
    };
    f.kind() == "member_expression"
        && f.child_by_field_name("object")
            .is_some_and(|o| Some(text(strip_ts(o), src)) == acq.recv.as_deref())
        && f.child_by_field_name("property").is_some_and(|p| {
            acq.entry
                .released_by_receiver
                .iter()
                .any(|m| m == text(p, src))
        })
}

/// The release calls, as `flow` asks about them.
struct ReleaseCalls<'a, 't> {
    calls: &'a [Node<'t>],
    /// The value's name: its own synchronous methods do not throw.
    name: &'a str,
    src: &'a str,
}

impl Releases for ReleaseCalls<'_, '_> {
    fn is_release(&self, stmt: Node) -> bool {
        if stmt.kind() != "expression_statement" {
            return false;
        }
        let Some(mut e) = stmt.named_child(0) else {
            return false;
        };
        if e.kind() == "await_expression"
            && let Some(inner) = e.named_child(0)
        {
            e = inner;
        }
        self.calls.contains(&strip_ts(e))
    }

    fn is_harmless_call(&self, call: Node) -> bool {
        if call
            .parent()
            .is_some_and(|p| p.kind() == "await_expression")
        {
            return false;
        }
        call.child_by_field_name("function")
            .map(strip_ts)
            .filter(|f| f.kind() == "member_expression")
            .and_then(|f| f.child_by_field_name("object"))
            .is_some_and(|o| text(strip_ts(o), self.src) == self.name)
    }

    fn contains_release(&self, node: Node) -> bool {
        let mut found = false;
        visit_in_function(node, &mut |n| {
            if self.calls.contains(&n) {
                found = true;
            }
        });
        found
    }
}

fn check_declaration<'t>(file: &'t JsFile, cx: &Context<'_>, decl: Node<'t>) -> Option<Finding> {
    let src = file.text();
    let acq = acquisition(file, cx, decl)?;
    let block = decl.parent()?;
    if block.kind() != "statement_block" {
        return None;
    }
    let func = enclosing_function(decl)?;
    let uses = uses_of(&acq.name, block, decl.end_byte(), func, src);
    let own = ownership(file, &acq, &uses)?;
    if own.releases.is_empty() && (own.handed || !acq.known) {
        // Handed on without a release here, or a `connect()` on something
        // leakfix cannot tell is a pool: not this function's to release.
        return None;
    }
    let rel = ReleaseCalls {
        calls: &own.releases,
        name: &acq.name,
        src,
    };
    let leak = match released_on_every_path(decl, block, &rel, src) {
        Outcome::Leaks(l) => l,
        Outcome::Released | Outcome::Unknown => return None,
    };
    let source = &file.parsed.source;
    let call_text = one_line(text(acq.call, src));
    let release = release_statement(&acq, file);
    let message = format!(
        "`{}` from `{}` is not released on every path: {}",
        acq.name,
        call_text,
        describe(leak, own.releases.is_empty(), source, &release)
    );
    let mut finding = Finding::new(
        ID,
        file.parsed.path.clone(),
        source,
        acq.call.byte_range(),
        message,
    );
    if let Some(doc) = &acq.entry.doc {
        finding = finding.with_note(doc.clone());
    }
    Some(match build_fix(file, &acq, block, &own, &uses, &release) {
        Ok(fix) => finding.with_fix(fix),
        Err(why) => finding.with_note(format!("no automatic fix: {why}")),
    })
}

fn one_line(s: &str) -> String {
    let mut out = String::new();
    for (i, l) in s.lines().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(l.trim());
    }
    if out.len() > 60 {
        let cut = out
            .char_indices()
            .take_while(|(i, _)| *i < 57)
            .last()
            .map(|(i, c)| i + c.len_utf8())
            .unwrap_or(0);
        out.truncate(cut);
        out.push_str("...");
    }
    out
}

/// `client.release()`, `await fh.close()`, `pool.release(resource)`.
fn release_statement(acq: &Acquisition, file: &JsFile) -> String {
    let r = acq
        .entry
        .release
        .replace("{v}", &acq.name)
        .replace("{recv}", acq.recv.as_deref().unwrap_or(""));
    format!("{r}{}", file.style.semi())
}

fn describe(leak: Leak, never: bool, source: &crate::source::SourceText, release: &str) -> String {
    let line = source.line_col(leak.at).line;
    let release = release.trim_end_matches(';');
    match (leak.why, never) {
        (LeakWhy::End, true) => "it is never released".to_string(),
        (LeakWhy::End, false) => format!("the block ends on line {line} without `{release}`"),
        (LeakWhy::Rejects, _) => {
            format!("the `await` on line {line} may reject before `{release}` runs")
        }
        (LeakWhy::Throws, _) => {
            format!("the call on line {line} may throw before `{release}` runs")
        }
        (LeakWhy::Return, _) => format!("the `return` on line {line} skips `{release}`"),
        (LeakWhy::Throw, _) => format!("the `throw` on line {line} skips `{release}`"),
        (LeakWhy::Break, _) => {
            format!("the jump on line {line} leaves the block without `{release}`")
        }
    }
}

/// The try/finally fix.
fn build_fix(
    file: &JsFile,
    acq: &Acquisition,
    block: Node,
    own: &Ownership,
    uses: &[Use],
    release: &str,
) -> Result<Fix, String> {
    let src = file.text();
    let source = &file.parsed.source;
    let style = &file.style;
    if own.release_with_args {
        return Err(
            "a release call passes arguments; keep it as written and add a `finally` by hand"
                .into(),
        );
    }
    if !owns_lines(source, acq.decl) {
        return Err("the acquisition shares its line with other code".into());
    }
    // The release statements, each on its own lines, directly in a block.
    let mut release_stmts = Vec::new();
    for call in &own.releases {
        let mut stmt = call.parent();
        if stmt.is_some_and(|s| s.kind() == "await_expression") {
            stmt = stmt.and_then(|s| s.parent());
        }
        let stmt = stmt
            .filter(|s| s.kind() == "expression_statement")
            .ok_or("a release call is part of a larger expression")?;
        if stmt.parent().is_none_or(|p| p.kind() != "statement_block") {
            return Err("a release call is the body of an `if` without braces".into());
        }
        if !owns_lines(source, stmt) {
            return Err("a release call shares its line with other code".into());
        }
        release_stmts.push(stmt);
    }
    // The statements to wrap: from the one after the acquisition to the
    // last that uses the value, or to the end of the block when a name
    // declared in them is used after.
    let stmts: Vec<Node> = crate::analysis::js::flow::statements(block)
        .into_iter()
        .filter(|s| s.start_byte() >= acq.decl.end_byte())
        .collect();
    let last_use = uses
        .iter()
        .map(|u| u.node.start_byte())
        .max()
        .ok_or("the value is never used")?;
    let mut last = stmts
        .iter()
        .position(|s| s.start_byte() <= last_use && last_use < s.end_byte())
        .ok_or("the value is used outside its block")?;
    let first = 0;
    if declared_then_used_after(&stmts, last, src) {
        last = stmts.len() - 1;
    }
    let region = &stmts[first..=last];
    let (r_first, r_last) = (region[0], region[region.len() - 1]);
    if !owns_lines(source, r_first) || !owns_lines(source, r_last) {
        return Err("the code after the acquisition shares its lines with other code".into());
    }
    let indent = source.indent_at(r_first.start_byte()).to_string();
    let unit = style.indent.clone();
    let nl = source.newline();
    let literals = literal_ranges(file);

    // One try statement that uses it all: give it a `finally`.
    if region.len() == 1
        && r_first.kind() == "try_statement"
        && r_first.child_by_field_name("finalizer").is_none()
    {
        return finally_for_try(file, acq, r_first, &release_stmts, release, &indent);
    }

    let start = line_start(source, r_first.start_byte());
    let end = line_end(source, r_last.end_byte());
    let mut edits = indent_edits(src, start..end, &unit, &literals);
    // An inner `finally` that only released it goes: the clause, or the
    // whole `try` when it has no `catch` (its body keeps its indentation,
    // one level in and one out).
    let mut emptied: Vec<Node> = Vec::new();
    for stmt in &release_stmts {
        if let Some(tr) = emptied_finally(*stmt, &release_stmts)
            && !emptied.contains(&tr)
        {
            emptied.push(tr);
        }
    }
    for tr in &emptied {
        let fin = tr.child_by_field_name("finalizer").ok_or("no finally")?;
        match tr.child_by_field_name("handler") {
            Some(h) => edits.push((h.end_byte()..fin.end_byte(), String::new())),
            None => {
                let (keep, drop) = unwrap_try(file, *tr)?;
                edits.retain(|(r, _)| !(r.is_empty() && keep.contains(&r.start)));
                edits.extend(drop);
            }
        }
    }
    for stmt in &release_stmts {
        if emptied_finally(*stmt, &release_stmts).is_some() {
            continue;
        }
        let r = deletion_range(source, *stmt);
        edits.push((r.start.max(start)..r.end.min(end), String::new()));
    }
    let body = splice(src, start..end, edits);
    let body = trim_blank_lines(&body);
    let new = format!(
        "{indent}try {{{nl}{body}{nl}{indent}}} finally {{{nl}{indent}{unit}{release}{nl}{indent}}}{nl}"
    );
    if !style.fits(&new) {
        return Err(format!(
            "the re-indented code would be longer than the print width ({}); wrap it by hand",
            style.print_width
        ));
    }
    let path = file.parsed.path.clone();
    Ok(Fix::safe(
        format!(
            "wrap the code after `{}` in `try {{ ... }} finally {{ {} }}`",
            one_line(text(acq.call, src)),
            release
        ),
        vec![Edit::replacement(path.clone(), start..end, new)],
    )
    .with_claim(path, acq.call.byte_range()))
}

/// The try statement whose `finally` holds nothing but release calls, if
/// `stmt` is one of them.
fn emptied_finally<'t>(stmt: Node<'t>, releases: &[Node<'t>]) -> Option<Node<'t>> {
    let block = stmt.parent()?;
    let fin = block.parent().filter(|f| f.kind() == "finally_clause")?;
    crate::analysis::js::flow::statements(block)
        .iter()
        .all(|x| releases.contains(x))
        .then(|| fin.parent())
        .flatten()
}

/// Edits that remove a catch-less `try { ... } finally { ... }` around its
/// body: the `try {` line and the `} finally { ... }` lines go. Returns the
/// body's line starts (whose indentation stays) and the deletions.
#[allow(clippy::type_complexity)]
fn unwrap_try(
    file: &JsFile,
    tr: Node,
) -> Result<(Vec<usize>, Vec<(std::ops::Range<usize>, String)>), String> {
    let src = file.text();
    let source = &file.parsed.source;
    let body = tr.child_by_field_name("body").ok_or("no body")?;
    let fin = tr.child_by_field_name("finalizer").ok_or("no finally")?;
    if !owns_lines(source, tr)
        || source.line_index(tr.start_byte()) != source.line_index(body.start_byte())
        || !source
            .line_text(source.line_index(body.start_byte()))
            .trim()
            .ends_with('{')
        || !source
            .line_text(source.line_index(body.end_byte() - 1))
            .trim_start()
            .starts_with('}')
    {
        return Err("an inner try/finally is laid out in an unusual way".into());
    }
    let outer = tr.parent().ok_or("no parent")?;
    let inner: std::collections::HashSet<String> =
        crate::analysis::js::scope::block_declarations(body, src)
            .into_iter()
            .collect();
    if crate::analysis::js::scope::block_declarations(outer, src)
        .iter()
        .any(|n| inner.contains(n))
    {
        return Err("removing an inner try would declare a name twice".into());
    }
    let try_line = line_start(source, tr.start_byte());
    let inner_start = line_end(source, tr.start_byte());
    let close_line = line_start(source, body.end_byte() - 1);
    let end = line_end(source, fin.end_byte());
    let mut keep = Vec::new();
    let mut at = inner_start;
    while at < close_line {
        keep.push(at);
        at = line_end(source, at);
    }
    Ok((
        keep,
        vec![
            (try_line..inner_start, String::new()),
            (close_line..end, String::new()),
        ],
    ))
}

/// Without blank lines at the start and the end.
fn trim_blank_lines(s: &str) -> &str {
    let mut s = s.trim_end_matches(['\n', '\r', ' ', '\t']);
    while let Some(nl) = s.find('\n') {
        if s[..nl].trim().is_empty() {
            s = &s[nl + 1..];
        } else {
            break;
        }
    }
    s
}

/// Does a statement up to `last` declare a name that a later statement uses?
fn declared_then_used_after(stmts: &[Node], last: usize, src: &str) -> bool {
    let mut names = Vec::new();
    for s in &stmts[..=last] {
        if matches!(
            s.kind(),
            "lexical_declaration"
                | "variable_declaration"
                | "function_declaration"
                | "class_declaration"
        ) {
            if let Some(n) = s.child_by_field_name("name") {
                names.push(text(n, src).to_string());
            }
            let mut c = s.walk();
            for d in s.named_children(&mut c) {
                if let Some(p) = d.child_by_field_name("name") {
                    names.extend(crate::analysis::js::bindings::pattern_names(p, src));
                }
            }
        }
    }
    if names.is_empty() {
        return false;
    }
    stmts[last + 1..].iter().any(|s| {
        let mut used = false;
        visit(*s, &mut |n| {
            if matches!(n.kind(), "identifier" | "shorthand_property_identifier")
                && names.iter().any(|x| x == text(n, src))
            {
                used = true;
            }
        });
        used
    })
}

/// The value's code is one `try` statement: the release becomes its
/// `finally`; a `catch` that only rethrows after dropping the release goes.
fn finally_for_try(
    file: &JsFile,
    acq: &Acquisition,
    try_stmt: Node,
    release_stmts: &[Node],
    release: &str,
    indent: &str,
) -> Result<Fix, String> {
    let src = file.text();
    let source = &file.parsed.source;
    let nl = source.newline();
    let unit = &file.style.indent;
    let body = try_stmt
        .child_by_field_name("body")
        .ok_or("a try without a body")?;
    let handler = try_stmt.child_by_field_name("handler");
    let path = file.parsed.path.clone();
    let finally = format!(" finally {{{nl}{indent}{unit}{release}{nl}{indent}}}");
    let mut edits = Vec::new();
    let mut handler_goes = false;
    if let Some(h) = handler
        && let Some(hb) = h.child_by_field_name("body")
    {
        let left: Vec<Node> = crate::analysis::js::flow::statements(hb)
            .into_iter()
            .filter(|s| !release_stmts.contains(s))
            .collect();
        let param = h.child_by_field_name("parameter").map(|p| text(p, src));
        handler_goes = left.len() == 1
            && left[0].kind() == "throw_statement"
            && param.is_some_and(|p| left[0].named_child(0).is_some_and(|t| text(t, src) == p));
    }
    for stmt in release_stmts {
        let in_handler = handler.is_some_and(|h| {
            h.start_byte() <= stmt.start_byte() && stmt.end_byte() <= h.end_byte()
        });
        if handler_goes && in_handler {
            continue;
        }
        edits.push(Edit::deletion(path.clone(), deletion_range(source, *stmt)));
    }
    match (handler, handler_goes) {
        (Some(h), true) => edits.push(Edit::replacement(
            path.clone(),
            body.end_byte()..h.end_byte(),
            finally,
        )),
        (Some(h), false) => edits.push(Edit::insertion(path.clone(), h.end_byte(), finally)),
        (None, _) => edits.push(Edit::insertion(path.clone(), body.end_byte(), finally)),
    }
    let fix = Fix::safe(
        format!(
            "release `{}` in a `finally` clause: `{}`",
            acq.name,
            release.trim_end_matches(';')
        ),
        edits,
    )
    .with_claim(path, acq.call.byte_range());
    if fix.has_overlapping_edits() {
        return Err("the release calls overlap the catch clause".into());
    }
    Ok(fix)
}
