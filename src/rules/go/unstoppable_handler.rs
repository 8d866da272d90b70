//! go-unstoppable-handler: an HTTP handler that streams in a loop (server-
//! sent events, a long poll, a websocket writer) and never watches the
//! request's context. When the client goes away, net/http cancels
//! `r.Context()`, but the loop keeps waiting for the next event; it ends
//! only if a write fails, which needs an event first, and with a loop that
//! ignores write errors it never ends. Each abandoned request keeps its
//! goroutine (and whatever the loop holds) for good.
//!
//! Detection: a function whose parameters are `(http.ResponseWriter,
//! *http.Request)` has, among its own statements, a loop that never ends by
//! itself (`for { }`, a range over a ticker) whose only ways out are none
//! or error checks, that waits (a select, a receive, a sleep, a ticker) and
//! writes to the client. The fix (shared with go-unstoppable-goroutine,
//! `loop_exits`) returns from the loop when the request's context is done.

use tree_sitter::Node;

use crate::analysis::go::GoFile;
use crate::analysis::go::contexts::{is_qualified, request_param};
use crate::analysis::go::loops::{error_exit_loops, forever_loops};
use crate::analysis::go::types::TypeEnv;
use crate::finding::Finding;
use crate::fix::Fix;
use crate::lang::go::{block_statements, is_function};
use crate::lang::{Language, text};
use crate::rules::Context;
use crate::rules::{FixAvailability, Rule, RuleMeta, Unit};

pub struct GoUnstoppableHandler;

pub const ID: &str = "go-unstoppable-handler";

static META: RuleMeta = RuleMeta {
    id: ID,
    language: Some(Language::Go),
    summary: "An HTTP handler streams in a loop that never watches the request's context: it keeps running after the client has gone",
    fix_summary: "Return from the loop when `r.Context()` is done",
    fix_availability: FixAvailability::Sometimes,
    applicability: crate::fix::Applicability::Unsafe,
    docs: DOCS,
};

const DOCS: &str = r#"## What it does
Finds HTTP handlers (`func(w http.ResponseWriter, r *http.Request)`) that
stream to the client in a loop — server-sent events, long polls, a
websocket writer — where the loop waits for the next event (a `select`, a
channel receive, a sleep, a ticker) and never looks at `r.Context()`: it
has no way out, or its only ways out are failed writes.

## Why is this bad?
When the client disconnects, net/http cancels the request's context and
nothing else. A loop that does not watch it keeps waiting for the next
event; only then does it write, and only if it checks the write's error
does it leave. With a quiet event source, or with write errors ignored, the
handler never returns: each abandoned request keeps a goroutine, its
buffers and whatever it subscribed to, until the server restarts.

## Example
```go
func Events(w http.ResponseWriter, r *http.Request) {
	flusher := w.(http.Flusher)
	w.Header().Set("Content-Type", "text/event-stream")
	ticker := time.NewTicker(time.Second)
	defer ticker.Stop()
	for {
		select {
		case ev := <-broker.events:
			fmt.Fprintf(w, "data: %s\n\n", ev)
		case <-ticker.C:
			fmt.Fprint(w, ": ping\n\n")
		}
		flusher.Flush()
	}
}
```

## Use instead
```go
func Events(w http.ResponseWriter, r *http.Request) {
	flusher := w.(http.Flusher)
	w.Header().Set("Content-Type", "text/event-stream")
	ticker := time.NewTicker(time.Second)
	defer ticker.Stop()
	for {
		if r.Context().Err() != nil {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case ev := <-broker.events:
			fmt.Fprintf(w, "data: %s\n\n", ev)
		case <-ticker.C:
			fmt.Fprint(w, ": ping\n\n")
		}
		flusher.Flush()
	}
}
```

## Fix safety
Unsafe: the handler now returns as soon as the client is gone (or the
server shuts down and cancels requests), which is the point, but ends the
stream where it did not before. The loop gets a check of the context at the
top of each iteration, a `case <-ctx.Done(): return` in each select that
would otherwise wait, and each plain send on a channel becomes a select that
also returns. A local `ctx := r.Context()` is used when the handler has one.

No fix when the loop waits somewhere the context cannot interrupt (a plain
`<-ch` outside a select: rewrite it as a select by hand), or when the
handler returns values. Loops that already watch a done channel, loops
that end by themselves (a range over a slice) and loops that do not write
to the client are not reported.

## References
- https://pkg.go.dev/net/http#Request.Context (the context is canceled when the client's connection closes)
- https://html.spec.whatwg.org/multipage/server-sent-events.html
- https://go.dev/blog/context
"#;

/// Literals a Go file must contain for a handler to be in it.
const LITERALS: &[&str] = &["ResponseWriter"];

/// Calls that write to a client: the response, a flusher, a websocket.
const WRITES: &[&str] = &[
    "Write",
    "WriteString",
    "WriteHeader",
    "Flush",
    "Encode",
    "WriteMessage",
    "WriteJSON",
    "NextWriter",
    "Send",
    "Fprint",
    "Fprintf",
    "Fprintln",
];

impl Rule for GoUnstoppableHandler {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn go_literals(&self, _cx: &Context<'_>) -> Option<Vec<String>> {
        Some(LITERALS.iter().map(|s| s.to_string()).collect())
    }

    fn check(&self, unit: &Unit<'_>, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let Unit::Go(pkg) = unit else { return };
        for file in &pkg.files {
            if file.generated
                || file.parsed.path.to_string_lossy().ends_with("_test.go")
                || !file.text().contains("ResponseWriter")
            {
                continue;
            }
            let mut stack = vec![file.root()];
            while let Some(n) = stack.pop() {
                let mut c = n.walk();
                stack.extend(n.named_children(&mut c));
                if !is_function(n) {
                    continue;
                }
                let Some((w, r)) = handler_params(n, file) else {
                    continue;
                };
                let Some(body) = n.child_by_field_name("body") else {
                    continue;
                };
                let env = TypeEnv::for_function(pkg, file, cx.go_catalog, n);
                let mut loops: Vec<(Node, bool)> = forever_loops(body, &env)
                    .into_iter()
                    .map(|l| (l, true))
                    .collect();
                // A loop that leaves on a failed write leaves soon after the
                // client when a timer makes it write: only one that waits
                // for events alone can wait forever.
                loops.extend(
                    error_exit_loops(body, &env)
                        .into_iter()
                        .filter(|lp| !wakes_by_itself(*lp, file.text()))
                        .map(|l| (l, false)),
                );
                for (lp, forever) in loops {
                    if streams(lp, &w, file.text()) && waits(lp, file.text()) {
                        out.push(finding(file, n, lp, &r, forever));
                    }
                }
            }
        }
    }
}

/// `(w http.ResponseWriter, r *http.Request)`: the two names.
fn handler_params(func: Node, file: &GoFile) -> Option<(String, String)> {
    let r = request_param(func, file)?;
    let src = file.text();
    let params = func.child_by_field_name("parameters")?;
    let mut c = params.walk();
    let w = params.named_children(&mut c).find_map(|d| {
        let t = d.child_by_field_name("type")?;
        if !is_qualified(t, file, "net/http", "ResponseWriter") {
            return None;
        }
        d.child_by_field_name("name")
            .map(|n| text(n, src).to_string())
    })?;
    Some((w, r))
}

/// Does the loop write to the client (the response writer, a flush, a
/// websocket message)?
fn streams(lp: Node, w: &str, src: &str) -> bool {
    let mut stack = vec![lp];
    while let Some(n) = stack.pop() {
        match n.kind() {
            "func_literal" => continue,
            "identifier" if text(n, src) == w => return true,
            "call_expression" => {
                let callee = n
                    .child_by_field_name("function")
                    .map(|f| text(f, src))
                    .unwrap_or("");
                let name = callee.rsplit('.').next().unwrap_or("");
                if WRITES.contains(&name) && callee.contains('.') && name != "Write" {
                    return true;
                }
            }
            _ => {}
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    false
}

/// Does the loop wait for something: a select without a default, a
/// receive, a sleep, a ticker's range?
fn waits(lp: Node, src: &str) -> bool {
    let mut stack = vec![lp];
    while let Some(n) = stack.pop() {
        match n.kind() {
            "func_literal" => continue,
            "select_statement" => {
                let mut c = n.walk();
                if !n.named_children(&mut c).any(|x| x.kind() == "default_case") {
                    return true;
                }
            }
            "unary_expression"
                if n.child_by_field_name("operator")
                    .is_some_and(|o| text(o, src) == "<-") =>
            {
                return true;
            }
            "range_clause" => return true,
            "call_expression"
                if n.child_by_field_name("function")
                    .is_some_and(|f| text(f, src) == "time.Sleep") =>
            {
                return true;
            }
            _ => {}
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    false
}

/// Does the loop wake up on a timer (`time.After`, a ticker's or timer's
/// channel, `time.Sleep`, `time.Tick`)?
fn wakes_by_itself(lp: Node, src: &str) -> bool {
    let mut stack = vec![lp];
    while let Some(n) = stack.pop() {
        match n.kind() {
            "func_literal" => continue,
            "call_expression" => {
                let callee = n
                    .child_by_field_name("function")
                    .map(|f| text(f, src))
                    .unwrap_or("");
                if matches!(callee, "time.After" | "time.Sleep" | "time.Tick") {
                    return true;
                }
            }
            "selector_expression"
                if n.child_by_field_name("field")
                    .is_some_and(|f| text(f, src) == "C") =>
            {
                return true;
            }
            _ => {}
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    false
}

/// How the loop names the request's context: a local `ctx := r.Context()`
/// declared before it in the handler's body, or `r.Context()`.
fn context_at(handler: Node, lp: Node, r: &str, src: &str) -> String {
    let call = format!("{r}.Context()");
    let Some(body) = handler.child_by_field_name("body") else {
        return call;
    };
    for stmt in block_statements(body) {
        if stmt.start_byte() >= lp.start_byte() {
            break;
        }
        if stmt.kind() != "short_var_declaration" {
            continue;
        }
        let (Some(left), Some(right)) = (
            stmt.child_by_field_name("left"),
            stmt.child_by_field_name("right"),
        ) else {
            continue;
        };
        if text(right, src).trim() == call && left.named_child_count() == 1 {
            let name = text(left, src).trim().to_string();
            // Not assigned again before the loop.
            let reassigned = crate::lang::go::identifiers_named(body, &name, src)
                .into_iter()
                .any(|id| {
                    id.start_byte() > stmt.end_byte()
                        && id.start_byte() < lp.end_byte()
                        && crate::lang::go::is_written(id)
                });
            if !reassigned {
                return name;
            }
        }
    }
    call
}

fn finding(file: &GoFile, handler: Node, lp: Node, r: &str, forever: bool) -> Finding {
    let src = file.text();
    let ctx = context_at(handler, lp, r, src);
    let name = handler
        .child_by_field_name("name")
        .map(|n| format!("`{}`", text(n, src)))
        .unwrap_or_else(|| "This handler".into());
    let header_end = lp
        .child_by_field_name("body")
        .map_or(lp.end_byte(), |b| b.start_byte())
        .max(lp.start_byte() + 3);
    let message = if forever {
        format!(
            "{name} streams in a loop that never watches `{ctx}` and has no way out: when the client goes away it keeps running, and keeps its goroutine, for good"
        )
    } else {
        format!(
            "{name} streams in a loop that never watches `{ctx}`: when the client goes away it keeps waiting for the next event, and only a failed write to the gone client ends it, which needs an event first"
        )
    };
    let f = Finding::new(
        ID,
        file.parsed.path.clone(),
        &file.parsed.source,
        lp.start_byte()..header_end.min(lp.end_byte()),
        message,
    );
    if handler.child_by_field_name("result").is_some() {
        return f.with_note("no fix: the handler returns values, so a bare `return` cannot end it");
    }
    match super::loop_exits::loop_exits(file, lp, &ctx) {
        Ok(edits) => {
            let fix = Fix::unsafe_(format!("return from the loop when `{ctx}` is done"), edits)
                .with_claim(file.parsed.path.clone(), lp.byte_range());
            // The engine lines up trailing comments after it, as gofmt does.
            f.with_fix(fix)
        }
        Err(why) => f.with_note(format!("no fix: {why}")),
    }
}
