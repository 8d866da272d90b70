//! go-unstoppable-goroutine: a goroutine whose loop has no way out. Started
//! per call (`go func() { for { ... } }()`), it piles up: each call leaves
//! one more goroutine, and whatever it holds (a subscription, a ticker),
//! running until the process dies.
//!
//! Detection: the goroutine's code (a func literal, or a function or method
//! of the package started with `go f(...)`) has, among its own statements,
//! a loop that can never end: `for { ... }` (or `for init; ; post`), or a
//! range over a ticker's channel, with no `return`, `break`, `goto` or
//! call that never returns inside it, and nothing that watches a done
//! channel (`.Done()`). What makes it fixable is the context it uses:
//!
//! - **a background context made in the enclosing function**
//!   (`ctx := context.Background()`, `context.TODO()` inline, or a package
//!   variable holding one): the enclosing function takes the caller's
//!   context instead (a new `ctx context.Context` first parameter, or the
//!   context parameter / `r.Context()` it already has), and every call of it
//!   in the module passes its caller's context (`crate::callers`);
//! - **a context that can be cancelled** (a parameter, `context.With*`, a
//!   field): nothing to thread, the loop only has to look at it.
//!
//! Either way the loop returns when the context is done (a check at the top
//! of each iteration, so that a receive failing at once after cancellation
//! cannot spin, and a `case <-ctx.Done()` in a select that would otherwise
//! wait forever), and what the goroutine acquired is released when it
//! returns (`defer sub.Close()`). A goroutine that loops forever with no
//! context at all is reported without a fix.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use streaming_iterator::StreamingIterator;
use tree_sitter::{Node, QueryCursor};

use crate::analysis::go::contexts::{
    ContextDecl, classify_decl, context_param, declaration_of, declaration_of_name,
    is_background_call, is_context_param, is_transparent, names_a_context_at, request_param,
};
use crate::analysis::go::loops::{
    blocking_selects, blocking_sends, forever_loops, subscription_range, unstoppable_wait,
};
use crate::analysis::go::scope::{self, Resolution};
use crate::analysis::go::syntax::{following_statements, is_err_check, is_terminating};
use crate::analysis::go::types::TypeEnv;
use crate::analysis::go::uses::{FuncRef, UseKind};
use crate::analysis::go::{GoFile, GoPackage};
use crate::callers::CallerFix;
use crate::catalog::Kind;
use crate::catalog::go::{Lookup, Resource};
use crate::embedded_query;
use crate::engine::Context;
use crate::finding::Finding;
use crate::fix::{Edit, Fix};
use crate::lang::go::{
    block_statements, enclosing_function, identifiers_named, is_function, is_written,
    named_children_no_comments, param_names,
};
use crate::lang::{Language, text};
use crate::rewrite::go::{ImportEdit, delete_statement, ensure_import, insert_first};
use crate::rules::{FixAvailability, Rule, RuleMeta, Unit};

mod call_sites;
mod held;

use call_sites::{GoroutineCallers, NewParam};
use held::{acquisition, is_method_receiver, kept_by};

pub struct GoUnstoppableGoroutine;

pub const ID: &str = "go-unstoppable-goroutine";

static META: RuleMeta = RuleMeta {
    id: ID,
    language: Some(Language::Go),
    summary: "A goroutine loops forever with no way to stop it (often on `context.Background()`)",
    fix_summary: "Thread the caller's context, return from the loop when it is done, release what the goroutine holds",
    fix_availability: FixAvailability::Sometimes,
    applicability: crate::fix::Applicability::Unsafe,
    docs: DOCS,
};

const DOCS: &str = r#"## What it does
Finds goroutines whose loop can never end — `for { ... }`, or a range over
a ticker's or a subscription's channel, with no `return`, `break` or done
channel in it — while they use a
context made on the spot with `context.Background()` or `context.TODO()`, or
a context the loop never looks at. Goroutines that loop forever with no
context at all are reported too, without a fix.

## Why is this bad?
A function that starts such a goroutine leaves it running after it returns,
with everything it holds: a Redis subscription and its connection, a
ticker, buffers. Called per job or per request, it adds one goroutine (and
one subscription) each time until the process runs out of memory. Cancelling
the caller's context does nothing, because the goroutine never sees it; and
a loop that `continue`s on a receive error spins at full speed once that
context is done.

## Example
```go
func WatchCancels(rdb *redis.Client, jobID string, cancelled func()) {
	ctx := context.Background()
	go func() {
		sub := rdb.Subscribe(ctx, "cancel:"+jobID)
		for {
			if _, err := sub.ReceiveMessage(ctx); err != nil {
				continue
			}
			cancelled()
		}
	}()
}

func (r *Runner) Run(ctx context.Context, job Job) error {
	WatchCancels(r.rdb, job.ID, job.Cancel)
	return job.Do(ctx)
}
```

## Use instead
```go
func WatchCancels(ctx context.Context, rdb *redis.Client, jobID string, cancelled func()) {
	go func() {
		sub := rdb.Subscribe(ctx, "cancel:"+jobID)
		defer sub.Close()
		for {
			if ctx.Err() != nil {
				return
			}
			if _, err := sub.ReceiveMessage(ctx); err != nil {
				continue
			}
			cancelled()
		}
	}()
}

func (r *Runner) Run(ctx context.Context, job Job) error {
	WatchCancels(ctx, r.rdb, job.ID, job.Cancel)
	return job.Do(ctx)
}
```

## Fix safety
Unsafe: the goroutine now stops when the caller's context is done, which is
the point, but is a change of lifetime, and a function that gains a
parameter changes its signature.

What the fix does to the goroutine: a check of `ctx.Err()` at the top of
each iteration (a receive that fails at once after cancellation cannot
spin); a `case <-ctx.Done(): return` in each select that would otherwise
wait forever; a send on a channel (`out <- v`) becomes a select that also
returns when the context is done; a range over a subscription's channel
gets the subscription closed when the context is done (`context.AfterFunc`
from Go 1.21, a small goroutine before); and what the goroutine acquired,
or was handed by the function that starts it and by nothing else, is
released when it returns (`defer sub.Close()`, `defer t.Stop()`).

Where the context comes from: the function that starts the goroutine keeps
the context parameter it has, uses `r.Context()` in an HTTP handler, or
gains a `ctx context.Context` first parameter. A worker started with
`go worker(...)` that makes its own background context gains one too. Every
call of a function that gains a parameter is updated, in every package of
the module and in its test files, to pass the caller's context: its
`context.Context` parameter (or a context derived from it in scope), or
`r.Context()` in a handler; where the caller has none, or the call sits in
a callback that may run later, the call gets `context.TODO()` and the
finding lists it for a person to finish. An exported function that gains a
parameter is an API change for code outside the module, and the fix says so.

No fix is offered when a signature change could break code leakfix cannot
rewrite: the function is used as a value (passed as a callback, assigned, a
method value), an interface in the module declares a method of that name,
the method's name is one a standard interface uses, a call's receiver type
cannot be told, or a caller lies outside the scanned paths, in an excluded
or generated file, or in a file that does not parse. Nor when the loop
waits on a channel that the context cannot interrupt (`<-ch` outside a
select), the goroutine's function returns values, the name `ctx` already
means something else there, or the goroutine is started from a func literal
that cannot take a parameter. Goroutines started in `main`, `init` or a
`sync.Once` are meant to live as long as the process and are not reported.

## References
- https://go.dev/blog/context (cancellation is passed down as the first parameter)
- https://pkg.go.dev/context (do not store contexts; pass them explicitly, named `ctx`)
- https://go.dev/wiki/CodeReviewComments#goroutine-lifetimes (make it clear when or whether goroutines exit)
"#;

/// Literals in a package that may hold a goroutine (a `go` statement).
const GO_LITERALS: &[&str] = &["\tgo ", " go "];

/// Method names of standard-library interfaces (io, fmt, sort, heap,
/// net/http, sync, database/sql, encoding, context, log/slog, flag, errors),
/// plus `Run` and `Do` of common job and client interfaces: a method of
/// such a name may implement an interface declared outside the module,
/// which leakfix cannot see, so its signature is left alone.
const STD_INTERFACE_METHODS: &[&str] = &[
    "Close",
    "Read",
    "Write",
    "ReadFrom",
    "WriteTo",
    "Seek",
    "String",
    "GoString",
    "Error",
    "Len",
    "Less",
    "Swap",
    "Push",
    "Pop",
    "ServeHTTP",
    "RoundTrip",
    "Lock",
    "Unlock",
    "Scan",
    "Value",
    "MarshalJSON",
    "UnmarshalJSON",
    "MarshalText",
    "UnmarshalText",
    "MarshalBinary",
    "UnmarshalBinary",
    "Format",
    "Deadline",
    "Done",
    "Err",
    "Is",
    "As",
    "Unwrap",
    "Handle",
    "Enabled",
    "WithAttrs",
    "WithGroup",
    "Get",
    "Set",
    "Accept",
    "Serve",
    "Run",
    "Do",
];

impl Rule for GoUnstoppableGoroutine {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn go_literals(&self, _cx: &Context<'_>) -> Option<Vec<String>> {
        Some(GO_LITERALS.iter().map(|s| s.to_string()).collect())
    }

    fn check(&self, unit: &Unit<'_>, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let Unit::Go(pkg) = unit else { return };
        let decls = Decls::new(pkg);
        for file in &pkg.files {
            if file.generated || file.parsed.path.to_string_lossy().ends_with("_test.go") {
                continue;
            }
            let query = embedded_query!(Language::Go, "go/unstoppable_goroutine.scm");
            let mut cursor = QueryCursor::new();
            let names = query.capture_names();
            // Only the go statements the prefilter found.
            for range in file.ranges_around_hits(&["go_statement"]) {
                cursor.set_byte_range(range);
                let mut matches = cursor.matches(query, file.root(), file.text().as_bytes());
                while let Some(m) = matches.next() {
                    let (mut go, mut call) = (None, None);
                    for c in m.captures() {
                        match names[c.index as usize] {
                            "go" => go = Some(c.node),
                            "call" => call = Some(c.node),
                            _ => {}
                        }
                    }
                    let (Some(go), Some(call)) = (go, call) else {
                        continue;
                    };
                    let spawn = Spawn {
                        decls: &decls,
                        pkg,
                        file,
                        cx,
                        go,
                        call,
                    };
                    if let Some(f) = spawn.check() {
                        out.push(f);
                    }
                }
            }
        }
    }
}

/// The package's top-level functions and methods by name, built once per
/// package (a `go f()` statement looks its worker up here).
struct Decls<'a> {
    by_name: HashMap<&'a str, Vec<(&'a GoFile, Node<'a>)>>,
}

impl<'a> Decls<'a> {
    fn new(pkg: &'a GoPackage) -> Decls<'a> {
        let mut by_name: HashMap<&'a str, Vec<(&'a GoFile, Node<'a>)>> = HashMap::new();
        for file in &pkg.files {
            let root = file.root();
            let mut c = root.walk();
            for d in root.named_children(&mut c) {
                if matches!(d.kind(), "function_declaration" | "method_declaration")
                    && let Some(n) = d.child_by_field_name("name")
                {
                    by_name
                        .entry(text(n, file.text()))
                        .or_default()
                        .push((file, d));
                }
            }
        }
        Decls { by_name }
    }

    fn named(&self, name: &str) -> &[(&'a GoFile, Node<'a>)] {
        self.by_name.get(name).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// The code that runs as the goroutine.
struct Worker<'a> {
    /// A func literal, or a function or method declaration of the package.
    func: Node<'a>,
    file: &'a GoFile,
    literal: bool,
}

impl<'a> Worker<'a> {
    fn src(&self) -> &'a str {
        self.file.text()
    }

    fn body(&self) -> Option<Node<'a>> {
        self.func.child_by_field_name("body")
    }

    fn name(&self) -> String {
        match self.func.child_by_field_name("name") {
            Some(n) => text(n, self.src()).to_string(),
            None => "func literal".into(),
        }
    }
}

/// Where a context the goroutine uses comes from.
#[derive(Clone, Debug)]
enum Source<'a> {
    /// `context.Background()` / `context.TODO()` written in the spawning file.
    Inline(Node<'a>),
    /// A local variable set once to a background context.
    BgVar {
        name: String,
        /// The declaring statement (short var declaration or var declaration).
        stmt: Node<'a>,
        /// The value `context.Background()`.
        value: Node<'a>,
        scope: Node<'a>,
    },
    /// A package-level variable holding a background context.
    BgPkgVar { name: String },
    /// A context that can be done: a parameter, `context.With*`, a field.
    Live,
    /// A background context made inside a named worker function.
    InWorker,
    /// Looks like a context, but leakfix cannot tell where it comes from.
    Opaque,
}

impl Source<'_> {
    fn is_background(&self) -> bool {
        matches!(
            self,
            Source::Inline(_) | Source::BgVar { .. } | Source::BgPkgVar { .. }
        )
    }
}

/// A context used by the goroutine.
#[derive(Clone, Debug)]
struct CtxUse<'a> {
    source: Source<'a>,
    /// How the goroutine's loop can name it (a name visible at the top of
    /// the loop), if it can.
    at_loop: Option<String>,
}

/// The function whose context the goroutine should get.
struct Owner<'a> {
    func: Node<'a>,
    ctx: OwnerCtx,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum OwnerCtx {
    /// A `context.Context` parameter it already has.
    Param(String),
    /// An HTTP handler: `r.Context()`.
    Request(String),
    /// It gets a new first parameter `ctx context.Context`.
    New,
}

/// A new parameter's name.
pub(super) const NEW_CTX: &str = "ctx";

struct Spawn<'a> {
    decls: &'a Decls<'a>,
    pkg: &'a GoPackage,
    file: &'a GoFile,
    cx: &'a Context<'a>,
    go: Node<'a>,
    call: Node<'a>,
}

/// Edits and their description, gathered while building a fix.
#[derive(Default)]
struct Plan {
    edits: Vec<Edit>,
    /// Short phrases for the fix title, in order.
    steps: Vec<String>,
    notes: Vec<String>,
    released: Vec<String>,
}

impl<'a> Spawn<'a> {
    fn src(&self) -> &'a str {
        self.file.text()
    }

    fn path(&self) -> Arc<Path> {
        self.file.parsed.path.clone()
    }

    fn check(&self) -> Option<Finding> {
        if self.runs_once() {
            return None;
        }
        let worker = self.worker()?;
        let body = worker.body()?;
        let loops = {
            let env = TypeEnv::for_function(self.pkg, worker.file, self.cx.go_catalog, worker.func);
            forever_loops(body, &env)
        };
        if loops.is_empty() {
            return None;
        }
        let uses = self.context_uses(&worker);
        let holds = self.held_resources(&worker, loops[0]);
        let held = what_held(&holds, " (it holds ", ")");
        let what = what_held(&holds, ", holding ", "");

        if uses.iter().any(|u| u.source.is_background()) {
            let bg = uses
                .iter()
                .find_map(|u| match &u.source {
                    Source::Inline(n) => Some(text(*n, self.src()).to_string()),
                    Source::BgVar { value, .. } => Some(text(*value, self.src()).to_string()),
                    Source::BgPkgVar { name } => Some(name.clone()),
                    _ => None,
                })
                .unwrap_or_else(|| "context.Background()".into());
            let finding = self.finding(format!(
                "This goroutine loops forever on `{bg}`: nothing can stop it, so every call of {} leaves it running{what}",
                self.spawner_name()
            ));
            return Some(match self.thread_fix(&worker, &loops, &uses, &holds) {
                Ok((fix, notes, callers)) => {
                    let mut f = finding.with_fix(fix);
                    for n in notes {
                        f = f.with_note(n);
                    }
                    match callers {
                        Some(c) => f.with_callers(c),
                        None => f,
                    }
                }
                Err(why) => finding.with_note(format!("no fix: {why}")),
            });
        }
        let live: Vec<String> = uses
            .iter()
            .filter(|u| matches!(u.source, Source::Live))
            .filter_map(|u| u.at_loop.clone())
            .collect();
        let visible = live.iter().find(|n| {
            loops
                .iter()
                .all(|l| names_a_context_at(*l, n, None, worker.file))
        });
        if let Some(at) = visible.or(live.first()).cloned() {
            let finding = self.finding(format!(
                "This goroutine's loop never looks at `{at}`: once it is done the goroutine keeps running{what}, and a receive that fails at once makes it spin"
            ));
            let mut plan = Plan::default();
            return Some(
                match self
                    .loop_exits(&worker, &loops, &at, None, &holds, &mut plan)
                    .and_then(|()| self.releases(&worker, &holds, &mut plan))
                {
                    Ok(())
                        if {
                            let probe = Fix::unsafe_("", plan.merged_edits());
                            !probe.has_overlapping_edits()
                        } =>
                    {
                        let title = plan.title();
                        let fix = Fix::unsafe_(title, plan.merged_edits())
                            .with_claim(self.path(), self.go.byte_range());
                        let mut f = finding.with_fix(self.aligned(fix));
                        for n in plan.notes {
                            f = f.with_note(n);
                        }
                        f
                    }
                    Ok(()) => finding.with_note(
                        "no fix: its edits would overlap (a layout leakfix does not handle)",
                    ),
                    Err(why) => finding.with_note(format!("no fix: {why}")),
                },
            );
        }
        if uses.iter().any(|u| matches!(u.source, Source::InWorker)) {
            let finding = self.finding(format!(
                "This goroutine loops forever on a background context made in `{}`: nothing can stop it, so every call of {} leaves it running{what}",
                worker.name(),
                self.spawner_name()
            ));
            return Some(match self.thread_into_worker(&worker, &loops, &holds) {
                Ok((fix, notes, callers)) => {
                    let mut f = finding.with_fix(fix).with_callers(callers);
                    for n in notes {
                        f = f.with_note(n);
                    }
                    f
                }
                Err(why) => finding.with_note(format!("no fix: {why}")),
            });
        }
        if uses.iter().any(|u| matches!(u.source, Source::Opaque)) {
            return Some(
                self.finding(format!(
                    "This goroutine loops forever and never checks its context: nothing can stop it{held}"
                ))
                .with_note("no fix: leakfix cannot tell where its context comes from; return from the loop when it is done"),
            );
        }
        Some(
            self.finding(format!(
                "This goroutine loops forever and has no context or other way to stop{held}"
            ))
            .with_note(
                "no fix: pass it a `ctx context.Context` from the caller and return from the loop when `ctx.Done()` is closed",
            ),
        )
    }

    fn finding(&self, message: String) -> Finding {
        let end = match self.call.child_by_field_name("function") {
            Some(f) if f.kind() == "func_literal" => f
                .child_by_field_name("parameters")
                .map(|p| p.end_byte())
                .unwrap_or(f.start_byte()),
            Some(f) => f.end_byte(),
            None => self.call.end_byte(),
        };
        Finding::new(
            ID,
            self.path(),
            &self.file.parsed.source,
            self.go.start_byte()..end,
            message,
        )
    }

    /// The fix with trailing comments kept aligned in the package's files.
    fn aligned(&self, fix: Fix) -> Fix {
        crate::rewrite::go::with_aligned_comments(fix, |p| {
            self.pkg
                .files
                .iter()
                .find(|f| &f.parsed.path == p)
                .map(|f| f.parsed.source.clone())
        })
    }

    /// The function that contains the `go` statement, by name.
    /// "`watch`", or "the func literal in `routes`" (a handler, a callback).
    fn spawner_name(&self) -> String {
        let direct = enclosing_function(self.go);
        let mut cur = direct;
        while let Some(f) = cur {
            if let Some(n) = f.child_by_field_name("name") {
                let name = text(n, self.src());
                return if direct.is_some_and(|d| d.id() != f.id()) {
                    format!("the func literal in `{name}`")
                } else {
                    format!("`{name}`")
                };
            }
            cur = enclosing_function(f);
        }
        "the function".into()
    }

    /// Goroutines started once per process: in `main` (of package main),
    /// `init`, or a `sync.Once`. They are meant to live as long as the process.
    fn runs_once(&self) -> bool {
        let Some(func) = enclosing_function(self.go) else {
            return false;
        };
        crate::analysis::go::syntax::runs_once(func, self.src(), self.file.package_name == "main")
    }

    /// The code the goroutine runs: the literal, or the package's function
    /// or method it calls. None when leakfix cannot see it.
    fn worker(&self) -> Option<Worker<'a>> {
        let callee = self.call.child_by_field_name("function")?;
        let src = self.src();
        match callee.kind() {
            "func_literal" => Some(Worker {
                func: callee,
                file: self.file,
                literal: true,
            }),
            "identifier" => {
                let name = text(callee, src);
                let func = enclosing_function(self.go)?;
                if !matches!(scope::resolve(func, name, callee, src), Resolution::Package) {
                    return None;
                }
                self.find_decl(name, |d, s| {
                    d.kind() == "function_declaration"
                        && d.child_by_field_name("name")
                            .is_some_and(|n| text(n, s) == name)
                })
            }
            "selector_expression" => {
                let operand = callee.child_by_field_name("operand")?;
                let name = text(callee.child_by_field_name("field")?, src);
                let func = enclosing_function(self.go)?;
                let env = TypeEnv::for_function(self.pkg, self.file, self.cx.go_catalog, func);
                if env.package_of(operand).is_some() {
                    return None; // another package's function: not visible here
                }
                let t = env.type_of(operand)?;
                if t.package != self.pkg.import_path {
                    return None;
                }
                self.find_decl(name, |d, s| {
                    d.kind() == "method_declaration"
                        && d.child_by_field_name("name")
                            .is_some_and(|n| text(n, s) == name)
                        && crate::analysis::go::module::receiver_type_name(d, s).as_deref()
                            == Some(t.name.as_str())
                })
            }
            _ => None,
        }
    }

    /// The package's one declaration named `name` that `want` accepts.
    fn find_decl(&self, name: &str, want: impl Fn(Node, &str) -> bool) -> Option<Worker<'a>> {
        let mut found = None;
        for &(file, d) in self.decls.named(name) {
            if want(d, file.text()) {
                if found.is_some() {
                    return None; // build-tagged twins: cannot tell which
                }
                found = Some(Worker {
                    func: d,
                    file,
                    literal: false,
                });
            }
        }
        found
    }

    // ----- contexts ---------------------------------------------------

    /// The contexts the goroutine uses, and where they come from.
    fn context_uses(&self, worker: &Worker<'a>) -> Vec<CtxUse<'a>> {
        let mut out = Vec::new();
        let args = self.call.child_by_field_name("arguments");
        if worker.literal {
            let mut nodes = vec![worker.func];
            nodes.extend(args);
            for n in nodes {
                self.collect_in_spawner(n, worker, &mut out);
            }
            return out;
        }
        // A named worker: its context parameters take the go statement's arguments.
        let params = param_names(worker.func, worker.src());
        let wsrc = worker.src();
        let Some(body) = worker.body() else {
            return out;
        };
        let arg_nodes: Vec<Node> = args.map(named_children_no_comments).unwrap_or_default();
        let mut stack = vec![body];
        while let Some(n) = stack.pop() {
            let mut c = n.walk();
            stack.extend(n.named_children(&mut c));
            if is_background_call(n, worker.file) {
                out.push(CtxUse {
                    source: Source::InWorker,
                    at_loop: None,
                });
                continue;
            }
            if n.kind() != "identifier" {
                continue;
            }
            let name = text(n, wsrc);
            let Some((scope_node, decl)) = declaration_of(n, wsrc) else {
                if self.package_background_var(name).is_some() {
                    out.push(CtxUse {
                        source: Source::InWorker,
                        at_loop: None,
                    });
                }
                continue;
            };
            if scope_node.id() == worker.func.id() {
                if !is_context_param(decl, worker.file) {
                    continue;
                }
                // A parameter: what the go statement passes for it.
                let Some(i) = params.iter().position(|p| p == name) else {
                    continue;
                };
                let source = match arg_nodes.get(i) {
                    Some(arg) if params.len() == arg_nodes.len() => self.classify_expr(*arg),
                    _ => Source::Opaque,
                };
                out.push(CtxUse {
                    source,
                    at_loop: Some(name.to_string()),
                });
            } else {
                match classify(decl, name, worker.file) {
                    Some(Source::BgVar { .. }) => out.push(CtxUse {
                        source: Source::InWorker,
                        at_loop: None,
                    }),
                    Some(s) => out.push(CtxUse {
                        source: s,
                        at_loop: Some(name.to_string()),
                    }),
                    None => {}
                }
            }
        }
        out
    }

    /// Context uses in code of the spawning file (the literal and the go
    /// statement's arguments).
    fn collect_in_spawner(&self, root: Node<'a>, worker: &Worker<'a>, out: &mut Vec<CtxUse<'a>>) {
        let src = self.src();
        let env_func = if worker.literal {
            worker.func
        } else {
            enclosing_function(self.go).unwrap_or(self.go)
        };
        let env = TypeEnv::for_function(self.pkg, self.file, self.cx.go_catalog, env_func);
        let args: Vec<Node> = self
            .call
            .child_by_field_name("arguments")
            .map(named_children_no_comments)
            .unwrap_or_default();
        let lit_params = if worker.literal {
            param_names(worker.func, src)
        } else {
            Vec::new()
        };
        let mut stack = vec![root];
        while let Some(n) = stack.pop() {
            if is_background_call(n, self.file) {
                out.push(CtxUse {
                    source: Source::Inline(n),
                    at_loop: None,
                });
                continue;
            }
            let mut c = n.walk();
            stack.extend(n.named_children(&mut c));
            match n.kind() {
                "identifier" => {
                    let name = text(n, src);
                    match declaration_of(n, src) {
                        Some((scope_node, decl))
                            if worker.literal && scope_node.id() == worker.func.id() =>
                        {
                            // The literal's own parameter: what the go statement passes.
                            if !is_context_param(decl, self.file) {
                                continue;
                            }
                            let i = lit_params.iter().position(|p| p == name);
                            let source = match i.and_then(|i| args.get(i)) {
                                Some(arg) if lit_params.len() == args.len() => {
                                    self.classify_expr(*arg)
                                }
                                _ => Source::Opaque,
                            };
                            out.push(CtxUse {
                                source,
                                at_loop: Some(name.to_string()),
                            });
                        }
                        Some((_, decl)) => {
                            if let Some(s) = classify(decl, name, self.file) {
                                out.push(CtxUse {
                                    source: s,
                                    at_loop: Some(name.to_string()),
                                });
                            }
                        }
                        None => {
                            if self.package_background_var(name).is_some() {
                                out.push(CtxUse {
                                    source: Source::BgPkgVar {
                                        name: name.to_string(),
                                    },
                                    at_loop: Some(name.to_string()),
                                });
                            }
                        }
                    }
                }
                "selector_expression" => {
                    let Some(operand) = n.child_by_field_name("operand") else {
                        continue;
                    };
                    if operand.kind() != "identifier" || env.package_of(operand).is_some() {
                        continue;
                    }
                    if env
                        .type_of(n)
                        .is_some_and(|t| t.package == "context" && t.name == "Context")
                    {
                        out.push(CtxUse {
                            source: Source::Live,
                            at_loop: Some(text(n, src).to_string()),
                        });
                    }
                }
                _ => {}
            }
        }
    }

    /// What an expression in the spawning function is, as a context.
    fn classify_expr(&self, e: Node<'a>) -> Source<'a> {
        let src = self.src();
        if is_background_call(e, self.file) {
            return Source::Inline(e);
        }
        if e.kind() == "identifier" {
            let name = text(e, src);
            return match declaration_of(e, src) {
                Some((_, decl)) => classify(decl, name, self.file).unwrap_or(Source::Opaque),
                None if self.package_background_var(name).is_some() => Source::BgPkgVar {
                    name: name.to_string(),
                },
                None => Source::Opaque,
            };
        }
        // `r.Context()`, `context.WithTimeout(ctx, d)` (its cancel is lost,
        // but that is another finding), `s.ctx` of type context.Context.
        if crate::analysis::go::contexts::is_context_making_call(e, self.file) {
            return Source::Live;
        }
        if e.kind() == "selector_expression"
            && let Some(func) = enclosing_function(self.go)
        {
            let env = TypeEnv::for_function(self.pkg, self.file, self.cx.go_catalog, func);
            if env
                .type_of(e)
                .is_some_and(|t| t.package == "context" && t.name == "Context")
            {
                return Source::Live;
            }
        }
        Source::Opaque
    }

    /// A package-level `var name = context.Background()`.
    fn package_background_var(&self, name: &str) -> Option<()> {
        for file in &self.pkg.files {
            let root = file.root();
            let mut c = root.walk();
            for d in root.named_children(&mut c) {
                if d.kind() != "var_declaration" {
                    continue;
                }
                let mut stack = vec![d];
                while let Some(n) = stack.pop() {
                    if n.kind() == "var_spec" {
                        if let Some(Source::BgVar { .. }) = classify(n, name, file) {
                            return Some(());
                        }
                    } else {
                        let mut c = n.walk();
                        stack.extend(n.named_children(&mut c));
                    }
                }
            }
        }
        None
    }

    // ----- what the goroutine holds -------------------------------------

    /// Resources the goroutine acquires before its loop (or that the
    /// spawning function acquires for it alone), never released.
    fn held_resources(&self, worker: &Worker<'a>, first_loop: Node<'a>) -> Vec<Held<'a>> {
        let mut out = Vec::new();
        let Some(body) = worker.body() else {
            return out;
        };
        let env = TypeEnv::for_function(self.pkg, worker.file, self.cx.go_catalog, worker.func);
        let wsrc = worker.src();
        for stmt in block_statements(body) {
            if stmt.start_byte() >= first_loop.start_byte() {
                break;
            }
            let Some((name, call, err)) = acquisition(stmt, wsrc) else {
                continue;
            };
            let Some(resource) = self.resource_of(&env, call) else {
                continue;
            };
            if !kept_by(worker.func, body, stmt, &name, wsrc, resource) {
                continue;
            }
            out.push(Held {
                name,
                resource,
                place: HeldAt::InWorker { stmt, err },
            });
        }
        out.extend(self.handed_over(worker));
        out
    }

    /// Resources the spawning function acquires and then hands to the
    /// goroutine alone (captured by the literal, or passed to a worker that
    /// nothing else calls): the goroutine should release them.
    fn handed_over(&self, worker: &Worker<'a>) -> Vec<Held<'a>> {
        let mut out = Vec::new();
        let src = self.src();
        let Some(func) = enclosing_function(self.go) else {
            return out;
        };
        let Some(list) = self.go.parent() else {
            return out;
        };
        let env = TypeEnv::for_function(self.pkg, self.file, self.cx.go_catalog, func);
        let mut c = list.walk();
        for stmt in list.named_children(&mut c) {
            if stmt.start_byte() >= self.go.start_byte() {
                break;
            }
            let Some((name, call, err)) = acquisition(stmt, src) else {
                continue;
            };
            if err.is_some() {
                continue; // an error path that returns would leave it open; keep it simple
            }
            let Some(resource) = self.resource_of(&env, call) else {
                continue;
            };
            // Used outside the goroutine only before it starts, and only as `name.M(...)`.
            let Resolution::Local {
                scope: decl_scope, ..
            } = scope::resolve(func, &name, stmt, src)
            else {
                continue;
            };
            let refs = scope::references(decl_scope, &name, src);
            let inside = |r: &Node| scope::contains(self.go, *r);
            let outside_ok = refs.iter().filter(|r| !inside(r)).all(|r| {
                if r.start_byte() >= stmt.start_byte() && r.end_byte() <= stmt.end_byte() {
                    return true; // the declaration
                }
                r.start_byte() < self.go.start_byte() && is_method_receiver(*r, src, resource)
            });
            if !outside_ok || refs.iter().all(|r| !inside(r)) {
                continue;
            }
            if worker.literal {
                if scope::direct_declaration(worker.func, &name, usize::MAX, src).is_some()
                    || !kept_by(worker.func, decl_scope, stmt, &name, src, resource)
                {
                    continue;
                }
                out.push(Held {
                    name,
                    resource,
                    place: HeldAt::HandedOver,
                });
            } else if let Some(param) = self.worker_param_for(worker, &refs, resource) {
                out.push(Held {
                    name: param,
                    resource,
                    place: HeldAt::HandedOver,
                });
            }
        }
        out
    }

    /// `go listen(ctx, sub)`: the name `sub` has in `listen`, when the value
    /// is passed there and nowhere else, `listen` only calls its methods,
    /// and nothing else in the module starts or calls `listen`.
    fn worker_param_for(
        &self,
        worker: &Worker<'a>,
        refs: &[Node<'a>],
        resource: &Resource,
    ) -> Option<String> {
        let args = named_children_no_comments(self.call.child_by_field_name("arguments")?);
        let passed: Vec<&Node> = refs
            .iter()
            .filter(|r| scope::contains(self.go, **r))
            .collect();
        let [arg] = passed.as_slice() else {
            return None;
        };
        let i = args.iter().position(|a| a.id() == arg.id())?;
        let wsrc = worker.src();
        let params = param_names(worker.func, wsrc);
        if params.len() != args.len() {
            return None;
        }
        let p = params
            .get(i)
            .filter(|p| !p.is_empty() && p.as_str() != "_")?
            .clone();
        let (_, decl) = declaration_of_name(worker.body()?, &p, wsrc)?;
        if decl.kind() != "parameter_declaration" {
            return None;
        }
        let wname = worker.name();
        if !wname.starts_with(|c: char| c.is_ascii_lowercase() || c == '_') {
            return None; // exported: other packages may call it
        }
        let receiver = (worker.func.kind() == "method_declaration")
            .then(|| crate::analysis::go::module::receiver_type_name(worker.func, wsrc))
            .flatten();
        if worker.func.kind() == "method_declaration" && receiver.is_none() {
            return None;
        }
        let target = FuncRef {
            package: self.pkg.import_path.clone(),
            dir: self.pkg.dir.clone(),
            package_name: worker.file.package_name.clone(),
            receiver,
            name: wname,
        };
        let uses = crate::analysis::go::uses::uses_in(self.pkg, &target, self.cx.go_catalog);
        let only_here = uses.len() == 1
            && uses[0].kind == UseKind::Call
            && uses[0].call.is_some_and(|c| c.id() == self.call.id());
        (only_here && kept_by(worker.func, worker.func, decl, &p, wsrc, resource)).then_some(p)
    }

    /// The catalog resource a call returns, when its release needs nothing
    /// but the value (and it is a leak for this module's Go version).
    fn resource_of(&self, env: &TypeEnv<'a>, call: Node<'a>) -> Option<&'a Resource> {
        let src = env.file.text();
        let catalog = self.cx.go_catalog;
        let f = call.child_by_field_name("function")?;
        let lookup = match f.kind() {
            "selector_expression" => {
                let operand = f.child_by_field_name("operand")?;
                let name = text(f.child_by_field_name("field")?, src);
                match env.package_of(operand) {
                    Some(path) => catalog.lookup_func(path, name),
                    None => catalog.lookup_method(env.type_of(operand).as_ref(), name),
                }
            }
            "identifier" => catalog.lookup_func(&self.pkg.import_path, text(f, src)),
            _ => return None,
        };
        let Lookup::Resource(r) = lookup else {
            return None;
        };
        if r.release.needs_ctx() || r.kind == Kind::Cancel || r.result != 0 {
            return None;
        }
        if let (Some((major, minor)), Some(m)) = (r.go_before, &self.pkg.module)
            && m.at_least(major, minor)
        {
            return None;
        }
        Some(r)
    }

    // ----- fixes ---------------------------------------------------------

    /// The function whose context the goroutine gets.
    fn owner(&self) -> Result<Owner<'a>, String> {
        let mut cur = enclosing_function(self.go);
        while let Some(f) = cur {
            if let Some(name) = context_param(f, self.file) {
                return Ok(Owner {
                    func: f,
                    ctx: OwnerCtx::Param(name),
                });
            }
            if let Some(r) = request_param(f, self.file) {
                return Ok(Owner {
                    func: f,
                    ctx: OwnerCtx::Request(r),
                });
            }
            match f.kind() {
                "function_declaration" | "method_declaration" => {
                    return Ok(Owner {
                        func: f,
                        ctx: OwnerCtx::New,
                    });
                }
                _ => {
                    if !self.is_transparent(f) {
                        return Err(
                            "the goroutine is started from a func literal that has no context parameter and cannot be given one"
                                .into(),
                        );
                    }
                    cur = enclosing_function(f);
                }
            }
        }
        Err("the goroutine is not inside a function".into())
    }

    /// Does this func literal run while its enclosing function runs (called
    /// at once, deferred, started as a goroutine, or a catalog callback that
    /// runs before the call returns)?
    fn is_transparent(&self, lit: Node<'a>) -> bool {
        is_transparent(lit, self.pkg, self.file, self.cx.go_catalog)
    }

    /// The whole fix for a goroutine on a background context.
    #[allow(clippy::type_complexity)]
    fn thread_fix(
        &self,
        worker: &Worker<'a>,
        loops: &[Node<'a>],
        uses: &[CtxUse<'a>],
        holds: &[Held<'a>],
    ) -> Result<(Fix, Vec<String>, Option<Arc<dyn CallerFix>>), String> {
        let src = self.src();
        let path = self.path();
        let owner = self.owner()?;
        let mut plan = Plan::default();

        // The name (or expression) that stands for the caller's context.
        let (ctx_name, ctx_expr) = match &owner.ctx {
            OwnerCtx::Param(n) => (Some(n.clone()), n.clone()),
            OwnerCtx::New => (Some(NEW_CTX.to_string()), NEW_CTX.to_string()),
            OwnerCtx::Request(r) => (None, format!("{r}.Context()")),
        };
        let owner_name = owner
            .func
            .child_by_field_name("name")
            .map(|n| text(n, src).to_string())
            .unwrap_or_else(|| "the enclosing function".into());

        // The background contexts in the goroutine's reach.
        let reach = self.reach(worker, &owner);
        let mut bg_vars: Vec<(String, Node<'a>, Node<'a>, Node<'a>)> = Vec::new();
        let mut inline: Vec<Node<'a>> = Vec::new();
        let mut pkg_vars: HashSet<String> = HashSet::new();
        for r in &reach {
            let mut found = Vec::new();
            self.collect_in_spawner(*r, worker, &mut found);
            for u in found {
                match u.source {
                    Source::BgVar {
                        name,
                        stmt,
                        value,
                        scope,
                    } if !bg_vars.iter().any(|(_, s, _, _)| s.id() == stmt.id()) => {
                        bg_vars.push((name, stmt, value, scope));
                    }
                    Source::Inline(n) if !inline.iter().any(|x| x.id() == n.id()) => {
                        inline.push(n);
                    }
                    Source::BgPkgVar { name } => {
                        pkg_vars.insert(name);
                    }
                    _ => {}
                }
            }
        }
        if uses
            .iter()
            .any(|u| matches!(u.source, Source::InWorker | Source::Opaque))
            && !uses.iter().any(|u| u.source.is_background())
        {
            return Err(
                "leakfix cannot tell where all of the goroutine's contexts come from".into(),
            );
        }

        // Each background variable becomes the caller's context.
        let mut renamed: HashSet<usize> = HashSet::new();
        for (name, stmt, value, scope_node) in &bg_vars {
            if !scope::contains(owner.func, *stmt) {
                return Err(format!(
                    "`{name}` is declared outside `{owner_name}`, the function that would take the context"
                ));
            }
            let refs = scope::references(*scope_node, name, src);
            let decl_ident = refs.iter().find(|r| scope::contains(*stmt, **r));
            if refs
                .iter()
                .any(|r| is_written(*r) && !scope::contains(*stmt, *r))
            {
                return Err(format!("`{name}` is assigned again after it is made"));
            }
            match &ctx_name {
                Some(n) => {
                    let del = delete_statement(&path, &self.file.parsed.source, *stmt).ok_or_else(
                        || {
                            format!(
                                "the statement that makes `{name}` shares its line with other code"
                            )
                        },
                    )?;
                    plan.edits.push(del);
                    for r in &refs {
                        renamed.insert(r.id());
                        if Some(r) == decl_ident || scope::contains(*stmt, *r) {
                            continue;
                        }
                        if name != n {
                            plan.edits.push(Edit::replacement(
                                path.clone(),
                                r.byte_range(),
                                n.clone(),
                            ));
                        }
                    }
                }
                None => {
                    plan.edits.push(Edit::replacement(
                        path.clone(),
                        value.byte_range(),
                        ctx_expr.clone(),
                    ));
                }
            }
        }
        for n in &inline {
            if bg_vars
                .iter()
                .any(|(_, stmt, _, _)| scope::contains(*stmt, *n))
            {
                continue; // the variable's own value: handled with the variable
            }
            plan.edits.push(Edit::replacement(
                path.clone(),
                n.byte_range(),
                ctx_expr.clone(),
            ));
        }
        for name in &pkg_vars {
            if Some(name) == ctx_name.as_ref() {
                continue; // the parameter of the same name takes over
            }
            for r in &reach {
                for id in identifiers_named(*r, name, src) {
                    if declaration_of(id, src).is_none() {
                        plan.edits.push(Edit::replacement(
                            path.clone(),
                            id.byte_range(),
                            ctx_expr.clone(),
                        ));
                    }
                }
            }
        }

        // The name must mean the caller's context wherever it is used.
        if let Some(n) = &ctx_name {
            self.check_ctx_name(
                self.src(),
                &owner,
                n,
                &owner_name,
                &bg_vars,
                &pkg_vars,
                &renamed,
            )?;
        }
        if ctx_name.is_none() && !self.keeps_context_import(&inline, &bg_vars) {
            // `r.Context()` took the place of the file's only `context.` uses.
            let (edits, _) = crate::rewrite::go::import_edits(
                &path,
                &self.file.parsed.source,
                &[],
                &["context"],
            )
            .ok_or("the file would no longer use the `context` package, whose import leakfix cannot remove")?;
            plan.edits.extend(edits);
        }

        // A new first parameter, and the callers to update.
        let mut callers: Option<Arc<dyn CallerFix>> = None;
        let mut notes = Vec::new();
        match &owner.ctx {
            OwnerCtx::New => {
                let changed = self.new_parameter(owner.func, self.file, &mut plan)?;
                callers = Some(Arc::new(GoroutineCallers::new(vec![changed])));
                plan.steps.insert(
                    0,
                    format!("give `{owner_name}` a `ctx context.Context` first parameter and use it instead of the background context"),
                );
            }
            OwnerCtx::Param(n) => plan
                .steps
                .push(format!("use `{n}` instead of the background context")),
            OwnerCtx::Request(r) => plan.steps.push(format!(
                "use `{r}.Context()` instead of the background context"
            )),
        }

        // The loop looks at the context; what it holds is released.
        let at_loop = uses
            .iter()
            .filter(|u| u.source.is_background())
            .find_map(|u| match &u.source {
                Source::BgVar { name, .. } if u.at_loop.as_deref() == Some(name) => {
                    Some(ctx_name.clone().unwrap_or_else(|| name.clone()))
                }
                Source::BgPkgVar { .. } => Some(ctx_expr.clone()),
                Source::Inline(_) if worker.literal => Some(ctx_expr.clone()),
                _ => u.at_loop.clone(),
            })
            .or_else(|| worker.literal.then(|| ctx_expr.clone()))
            .ok_or("leakfix cannot tell how the goroutine names its context")?;
        let new_param = (owner.ctx == OwnerCtx::New).then_some(NEW_CTX);
        self.loop_exits(worker, loops, &at_loop, new_param, holds, &mut plan)?;
        self.releases(worker, holds, &mut plan)?;
        if let Some(c) = &callers {
            plan.steps.push(format!(
                "pass the callers' contexts to `{}`",
                c.targets()
                    .first()
                    .map(|t| t.name.as_str())
                    .unwrap_or(&owner_name)
            ));
        }
        notes.extend(plan.notes.iter().cloned());
        let title = plan.title();
        let mut fix =
            Fix::unsafe_(title, plan.merged_edits()).with_claim(path, self.go.byte_range());
        if callers.is_none() {
            fix = self.aligned(fix); // otherwise done once the callers' edits are in
        }
        if fix.has_overlapping_edits() {
            return Err("its edits would overlap (a layout leakfix does not handle)".into());
        }
        Ok((fix, notes, callers))
    }

    /// The worker (`go w(...)`) makes its own background context: it takes
    /// a `ctx` parameter instead, and the spawning function passes its own
    /// (gaining one too if it has none).
    #[allow(clippy::type_complexity)]
    fn thread_into_worker(
        &self,
        worker: &Worker<'a>,
        loops: &[Node<'a>],
        holds: &[Held<'a>],
    ) -> Result<(Fix, Vec<String>, Arc<dyn CallerFix>), String> {
        let wfile = worker.file;
        let wsrc = worker.src();
        let wpath = wfile.parsed.path.clone();
        let wname = worker.name();
        if worker.literal {
            return Err("the goroutine's own context cannot be threaded".into());
        }
        if context_param(worker.func, wfile).is_some() {
            return Err(format!(
                "`{wname}` takes a context and makes a background one too"
            ));
        }
        let owner = self.owner()?;
        if owner.func.id() == worker.func.id() {
            return Err(format!("`{wname}` starts itself"));
        }
        let body = worker.body().ok_or("the worker has no body")?;
        let mut plan = Plan::default();

        // The background contexts the worker makes become its parameter.
        let mut bg_vars: Vec<(String, Node<'a>, Node<'a>, Node<'a>)> = Vec::new();
        let mut inline: Vec<Node<'a>> = Vec::new();
        let mut pkg_refs: Vec<Node<'a>> = Vec::new();
        let mut pkg_vars: HashSet<String> = HashSet::new();
        let mut stack = vec![body];
        while let Some(n) = stack.pop() {
            if is_background_call(n, wfile) {
                inline.push(n);
                continue;
            }
            let mut c = n.walk();
            stack.extend(n.named_children(&mut c));
            if n.kind() != "identifier" {
                continue;
            }
            let name = text(n, wsrc);
            match declaration_of(n, wsrc) {
                Some((_, decl)) => {
                    if let Some(Source::BgVar {
                        name,
                        stmt,
                        value,
                        scope,
                    }) = classify(decl, name, wfile)
                        && !bg_vars.iter().any(|(_, s, _, _)| s.id() == stmt.id())
                    {
                        bg_vars.push((name, stmt, value, scope));
                    }
                }
                None if self.package_background_var(name).is_some() => {
                    pkg_vars.insert(name.to_string());
                    pkg_refs.push(n);
                }
                None => {}
            }
        }
        let mut renamed: HashSet<usize> = HashSet::new();
        for (name, stmt, _, scope_node) in &bg_vars {
            let refs = scope::references(*scope_node, name, wsrc);
            if refs
                .iter()
                .any(|r| is_written(*r) && !scope::contains(*stmt, *r))
            {
                return Err(format!("`{name}` is assigned again after it is made"));
            }
            plan.edits.push(
                delete_statement(&wpath, &wfile.parsed.source, *stmt).ok_or_else(|| {
                    format!("the statement that makes `{name}` shares its line with other code")
                })?,
            );
            for r in refs {
                renamed.insert(r.id());
                if !scope::contains(*stmt, r) && name != NEW_CTX {
                    plan.edits
                        .push(Edit::replacement(wpath.clone(), r.byte_range(), NEW_CTX));
                }
            }
        }
        for n in &inline {
            if !bg_vars
                .iter()
                .any(|(_, stmt, _, _)| scope::contains(*stmt, *n))
            {
                plan.edits
                    .push(Edit::replacement(wpath.clone(), n.byte_range(), NEW_CTX));
            }
        }
        for r in &pkg_refs {
            if text(*r, wsrc) != NEW_CTX {
                plan.edits
                    .push(Edit::replacement(wpath.clone(), r.byte_range(), NEW_CTX));
            }
        }
        let as_owner = Owner {
            func: worker.func,
            ctx: OwnerCtx::New,
        };
        self.check_ctx_name(
            wsrc, &as_owner, NEW_CTX, &wname, &bg_vars, &pkg_vars, &renamed,
        )?;
        let mut changed = vec![self.new_parameter(worker.func, wfile, &mut plan)?];
        plan.steps.push(format!(
            "give `{wname}` a `ctx context.Context` first parameter and use it instead of the background context"
        ));

        // The spawning function passes its context (a new one if it has none).
        let owner_name = owner
            .func
            .child_by_field_name("name")
            .map(|n| text(n, self.src()).to_string())
            .unwrap_or_else(|| "the enclosing function".into());
        match &owner.ctx {
            OwnerCtx::New => {
                changed.push(self.new_parameter(owner.func, self.file, &mut plan)?);
                plan.steps
                    .push(format!("give `{owner_name}` one too, to pass on"));
            }
            OwnerCtx::Param(n) => plan.steps.push(format!("pass it `{n}`")),
            OwnerCtx::Request(r) => plan.steps.push(format!("pass it `{r}.Context()`")),
        }
        self.loop_exits(worker, loops, NEW_CTX, Some(NEW_CTX), holds, &mut plan)?;
        self.releases(worker, holds, &mut plan)?;
        plan.steps.push("pass the callers' contexts".into());
        let notes = plan.notes.clone();
        let title = plan.title();
        let fix =
            Fix::unsafe_(title, plan.merged_edits()).with_claim(self.path(), self.go.byte_range());
        if fix.has_overlapping_edits() {
            return Err("its edits would overlap (a layout leakfix does not handle)".into());
        }
        Ok((fix, notes, Arc::new(GoroutineCallers::new(changed))))
    }

    /// After the edits, `n` must name the owner's context at every place
    /// that now uses it, and mean what it meant everywhere else.
    #[allow(clippy::too_many_arguments)]
    fn check_ctx_name(
        &self,
        src: &str,
        owner: &Owner<'a>,
        n: &str,
        owner_name: &str,
        bg_vars: &[(String, Node<'a>, Node<'a>, Node<'a>)],
        pkg_vars: &HashSet<String>,
        renamed: &HashSet<usize>,
    ) -> Result<(), String> {
        let conflict = || {
            Err(format!(
                "`{n}` already names something else in `{owner_name}`"
            ))
        };
        // Where `n` is seen from `at`: the owner's context?
        let is_owner_ctx = |found: Option<(Node, Node)>| match (&owner.ctx, found) {
            (OwnerCtx::New, None) => true,
            (OwnerCtx::Param(_), Some((scope_node, _))) => scope_node.id() == owner.func.id(),
            _ => false,
        };
        for (name, stmt, _, scope_node) in bg_vars {
            if name == n {
                // Its uses fall through to the next declaration outwards.
                if !is_owner_ctx(declaration_of_name(*scope_node, n, src)) {
                    return conflict();
                }
                continue;
            }
            for r in scope::references(*scope_node, name, src) {
                if !scope::contains(*stmt, r) && !is_owner_ctx(declaration_of_name(r, n, src)) {
                    return conflict();
                }
            }
        }
        if owner.ctx != OwnerCtx::New {
            return Ok(()); // nothing new is declared
        }
        let body = owner.func.child_by_field_name("body");
        for id in identifiers_named(owner.func, n, src) {
            if renamed.contains(&id.id()) {
                continue;
            }
            match declaration_of(id, src) {
                // A package-level name the new parameter would hide.
                None if pkg_vars.contains(n) => {}
                None => return conflict(),
                Some((scope_node, decl)) => {
                    let top_level = scope_node.id() == owner.func.id()
                        || body.is_some_and(|b| {
                            scope_node.id() == b.id()
                                || scope_node.parent().is_some_and(|p| p.id() == b.id())
                        });
                    let deleted = bg_vars.iter().any(|(_, stmt, _, _)| stmt.id() == decl.id());
                    if top_level && !deleted {
                        return conflict(); // it would redeclare the parameter
                    }
                }
            }
        }
        Ok(())
    }

    /// The code whose contexts become the caller's: the goroutine (a
    /// literal), the go statement's arguments, and the statements of the
    /// owner that declare what those use.
    fn reach(&self, worker: &Worker<'a>, owner: &Owner<'a>) -> Vec<Node<'a>> {
        let src = self.src();
        let mut out: Vec<Node<'a>> = Vec::new();
        if worker.literal {
            out.push(worker.func);
        }
        if let Some(a) = self.call.child_by_field_name("arguments") {
            out.push(a);
        }
        let mut i = 0;
        while i < out.len() && out.len() < 32 {
            let n = out[i];
            i += 1;
            let mut stack = vec![n];
            while let Some(x) = stack.pop() {
                let mut c = x.walk();
                stack.extend(x.named_children(&mut c));
                if x.kind() != "identifier" {
                    continue;
                }
                let Some((scope_node, decl)) = declaration_of(x, src) else {
                    continue;
                };
                if !scope::contains(owner.func, decl)
                    || worker.literal && scope::contains(worker.func, decl)
                    || is_function(scope_node)
                    || !matches!(decl.kind(), "short_var_declaration" | "var_declaration")
                    || out.iter().any(|o| o.id() == decl.id())
                {
                    continue;
                }
                if let Some(value) = decl.child_by_field_name("right") {
                    out.push(value);
                } else {
                    out.push(decl);
                }
            }
        }
        out
    }

    /// After the edits, does the file still use the `context` package?
    fn keeps_context_import(
        &self,
        inline: &[Node<'a>],
        bg_vars: &[(String, Node<'a>, Node<'a>, Node<'a>)],
    ) -> bool {
        let src = self.src();
        let Some(name) = self.file.imports.name_of("context") else {
            return true;
        };
        let replaced: HashSet<usize> = inline
            .iter()
            .copied()
            .chain(bg_vars.iter().map(|(_, _, v, _)| *v))
            .filter_map(|n| {
                n.child_by_field_name("function")?
                    .child_by_field_name("operand")
            })
            .map(|n| n.id())
            .collect();
        let mut stack = vec![self.file.root()];
        while let Some(n) = stack.pop() {
            if matches!(n.kind(), "identifier" | "package_identifier")
                && text(n, src) == name
                && !replaced.contains(&n.id())
                && n.parent().is_some_and(|p| p.kind() != "import_spec")
            {
                return true;
            }
            let mut c = n.walk();
            stack.extend(n.named_children(&mut c));
        }
        false
    }

    /// `ctx context.Context` as the first parameter of `func` (declared in
    /// `file`), and what its callers need to know.
    fn new_parameter(
        &self,
        func: Node<'a>,
        file: &'a GoFile,
        plan: &mut Plan,
    ) -> Result<NewParam, String> {
        let src = file.text();
        let path = file.parsed.path.clone();
        let name = func
            .child_by_field_name("name")
            .map(|n| text(n, src).to_string())
            .ok_or("a func literal cannot take a new parameter")?;
        let params = func
            .child_by_field_name("parameters")
            .ok_or("the function has no parameter list")?;
        let decls = named_children_no_comments(params);
        if decls
            .iter()
            .any(|d| d.child_by_field_name("name").is_none())
        {
            return Err(format!("the parameters of `{name}` have no names"));
        }
        let param_count: usize = decls
            .iter()
            .map(|d| {
                let mut c = d.walk();
                d.children_by_field_name("name", &mut c).count()
            })
            .sum();
        let receiver = if func.kind() == "method_declaration" {
            let r = crate::analysis::go::module::receiver_type_name(func, src)
                .ok_or("the method's receiver type cannot be told")?;
            if STD_INTERFACE_METHODS.contains(&name.as_str()) {
                return Err(format!(
                    "`{name}` may implement a standard interface, whose signature cannot change"
                ));
            }
            Some(r)
        } else {
            None
        };
        let ctx_pkg = match ensure_import(
            &path,
            &file.parsed.source,
            file.root(),
            "context",
            "context",
        ) {
            ImportEdit::Present(n) => n,
            ImportEdit::Add { edit, name } => {
                plan.edits.push(edit);
                name
            }
            ImportEdit::Unavailable => {
                return Err("the `context` package cannot be imported in this file".into());
            }
        };
        let edit = insert_first(
            &path,
            &file.parsed.source,
            params,
            &format!("{NEW_CTX} {ctx_pkg}.Context"),
        )
        .ok_or("the parameter list is laid out in a way leakfix does not edit")?;
        plan.edits.push(edit);

        let exported = name.starts_with(|c: char| c.is_ascii_uppercase())
            && file.package_name != "main"
            && receiver
                .as_deref()
                .is_none_or(|r| r.starts_with(|c: char| c.is_ascii_uppercase()));
        let shown = match &receiver {
            Some(r) => format!("{r}.{name}"),
            None => name.clone(),
        };
        let api_note = exported.then(|| {
            format!(
                "API change: exported `{}.{shown}` now takes a `ctx context.Context` first parameter; callers outside this module must pass one",
                file.package_name
            )
        });
        if exported {
            plan.steps.push(format!(
                "(API change: exported `{shown}` gains a parameter)"
            ));
        }
        Ok(NewParam {
            target: FuncRef {
                package: self.pkg.import_path.clone(),
                dir: self.pkg.dir.clone(),
                package_name: file.package_name.clone(),
                receiver,
                name,
            },
            param_count,
            path,
            range: func.byte_range(),
            api_note,
        })
    }

    /// Every forever loop returns when the context is done: a check at the
    /// top of each iteration, and a `case <-ctx.Done()` in each select that
    /// would otherwise wait forever.
    fn loop_exits(
        &self,
        worker: &Worker<'a>,
        loops: &[Node<'a>],
        ctx: &str,
        new_param: Option<&str>,
        holds: &[Held<'a>],
        plan: &mut Plan,
    ) -> Result<(), String> {
        if worker.func.child_by_field_name("result").is_some() {
            return Err(format!(
                "`{}` returns values, so a bare `return` cannot end it",
                worker.name()
            ));
        }
        let source = &worker.file.parsed.source;
        let wsrc = worker.src();
        let path = worker.file.parsed.path.clone();
        let nl = source.newline();
        for lp in loops {
            if !names_a_context_at(*lp, ctx, new_param, worker.file) {
                return Err(format!(
                    "`{ctx}` does not name the context where the loop starts"
                ));
            }
            let body = lp
                .child_by_field_name("body")
                .ok_or("a loop without a body")?;
            if let Some(wait) = unstoppable_wait(body, wsrc) {
                return Err(format!(
                    "the loop waits on `{wait}`, which the context cannot interrupt"
                ));
            }
            let first = block_statements(body)
                .into_iter()
                .next()
                .ok_or("the loop is empty")?;
            let indent = source.indent_at(first.start_byte());
            let at = line_after(source, body.start_byte() + 1)
                .ok_or("the loop's body starts on the line of other code")?;
            if source.line_index(first.start_byte()) == source.line_index(body.start_byte()) {
                return Err("the loop is written on one line".into());
            }
            plan.edits.push(Edit::insertion(
                path.clone(),
                at,
                format!("{indent}if {ctx}.Err() != nil {{{nl}{indent}\treturn{nl}{indent}}}{nl}"),
            ));
            for send in blocking_sends(body) {
                // `out <- v` becomes a select that also returns when the context is done.
                if source.line_index(send.start_byte()) != source.line_index(send.end_byte()) {
                    return Err("a send in the loop spans several lines".into());
                }
                let ind = source.indent_at(send.start_byte());
                let line_start = source
                    .line_range(source.line_index(send.start_byte()))
                    .start;
                if wsrc[line_start..send.start_byte()].trim() != "" {
                    return Err("a send in the loop shares its line with other code".into());
                }
                plan.edits.push(Edit::replacement(
                    path.clone(),
                    send.byte_range(),
                    format!(
                        "select {{{nl}{ind}case {}:{nl}{ind}case <-{ctx}.Done():{nl}{ind}\treturn{nl}{ind}}}",
                        text(send, wsrc)
                    ),
                ));
            }
            if let Some(v) = subscription_range(*lp, worker.src()) {
                self.close_when_done(worker, *lp, &v, ctx, holds, plan)?;
            }
            for sel in blocking_selects(body) {
                let mut c = sel.walk();
                let first_case = sel
                    .named_children(&mut c)
                    .find(|n| n.kind() == "communication_case")
                    .ok_or("an empty select")?;
                let case_indent = source.indent_at(first_case.start_byte());
                let line_start = source
                    .line_range(source.line_index(first_case.start_byte()))
                    .start;
                if wsrc[line_start..first_case.start_byte()].trim() != "" {
                    return Err("a select is laid out in a way leakfix does not edit".into());
                }
                plan.edits.push(Edit::insertion(
                    path.clone(),
                    line_start,
                    format!("{case_indent}case <-{ctx}.Done():{nl}{case_indent}\treturn{nl}"),
                ));
            }
        }
        plan.steps
            .push(format!("return from the loop when `{ctx}` is done"));
        Ok(())
    }

    /// A range over `sub.Channel()` ends only when `sub` is closed: close it
    /// when the context is done (`context.AfterFunc` from Go 1.21, a small
    /// goroutine before).
    fn close_when_done(
        &self,
        worker: &Worker<'a>,
        lp: Node<'a>,
        var: &str,
        ctx: &str,
        holds: &[Held<'a>],
        plan: &mut Plan,
    ) -> Result<(), String> {
        let h = holds.iter().find(|h| h.name == var).ok_or_else(|| {
            format!(
                "the loop ranges over `{var}.Channel()`, and leakfix cannot tell who closes `{var}`"
            )
        })?;
        let source = &worker.file.parsed.source;
        let path = worker.file.parsed.path.clone();
        let nl = source.newline();
        let stmt = lp
            .parent()
            .filter(|p| p.kind() == "labeled_statement")
            .unwrap_or(lp);
        let line_start = source
            .line_range(source.line_index(stmt.start_byte()))
            .start;
        if worker.src()[line_start..stmt.start_byte()].trim() != "" {
            return Err("the loop shares its line with other code".into());
        }
        let indent = source.indent_at(stmt.start_byte());
        let release = h.resource.release.render(&h.name, None);
        let after_func = self.pkg.module.as_ref().is_some_and(|m| m.at_least(1, 21));
        let text = if after_func {
            let ctx_pkg =
                match ensure_import(&path, source, worker.file.root(), "context", "context") {
                    ImportEdit::Present(n) => n,
                    ImportEdit::Add { edit, name } => {
                        plan.edits.push(edit);
                        name
                    }
                    ImportEdit::Unavailable => {
                        return Err(
                            "the `context` package cannot be imported in the goroutine's file"
                                .into(),
                        );
                    }
                };
            format!("{indent}{ctx_pkg}.AfterFunc({ctx}, func() {{ {release} }}){nl}")
        } else {
            format!(
                "{indent}go func() {{{nl}{indent}\t<-{ctx}.Done(){nl}{indent}\t{release}{nl}{indent}}}(){nl}"
            )
        };
        plan.edits.push(Edit::insertion(path, line_start, text));
        plan.steps.push(format!(
            "close `{var}` when `{ctx}` is done, which ends the range over its channel"
        ));
        Ok(())
    }

    /// `defer x.Close()` for what the goroutine holds.
    fn releases(
        &self,
        worker: &Worker<'a>,
        holds: &[Held<'a>],
        plan: &mut Plan,
    ) -> Result<(), String> {
        let source = &worker.file.parsed.source;
        let wsrc = worker.src();
        let path = worker.file.parsed.path.clone();
        let nl = source.newline();
        for h in holds {
            let release = h.resource.release.render(&h.name, None);
            match &h.place {
                HeldAt::InWorker { stmt, err } => {
                    let stmt = *stmt;
                    let mut anchor = stmt;
                    if let Some(err) = err {
                        let next = following_statements(stmt).into_iter().next();
                        match next {
                            Some(n)
                                if n.kind() == "if_statement"
                                    && n.child_by_field_name("initializer").is_none()
                                    && n.child_by_field_name("alternative").is_none()
                                    && n.child_by_field_name("condition")
                                        .is_some_and(|c| is_err_check(c, err, wsrc))
                                    && n.child_by_field_name("consequence")
                                        .is_some_and(|c| is_terminating(c, wsrc)) =>
                            {
                                anchor = n;
                            }
                            _ => {
                                plan.notes.push(format!(
                                    "`{}` is not released: its error is not checked right after it is made",
                                    h.name
                                ));
                                continue;
                            }
                        }
                    }
                    let indent = source.indent_at(stmt.start_byte());
                    let at = line_after(source, anchor.end_byte())
                        .ok_or("the acquisition shares its line with other code")?;
                    plan.edits.push(Edit::insertion(
                        path.clone(),
                        at,
                        format!("{indent}defer {release}{nl}"),
                    ));
                }
                HeldAt::HandedOver => {
                    let body = worker.body().ok_or("no body")?;
                    let first = block_statements(body)
                        .into_iter()
                        .next()
                        .ok_or("empty goroutine")?;
                    let indent = source.indent_at(first.start_byte());
                    let at = line_after(source, body.start_byte() + 1)
                        .ok_or("the goroutine's body starts on the line of other code")?;
                    plan.edits.push(Edit::insertion(
                        path.clone(),
                        at,
                        format!("{indent}defer {release}{nl}"),
                    ));
                }
            }
            plan.released.push(release);
        }
        Ok(())
    }
}

/// "subscription `sub`, timer `t`" between `before` and `after`, or nothing.
fn what_held(holds: &[Held], before: &str, after: &str) -> String {
    if holds.is_empty() {
        return String::new();
    }
    let list: Vec<String> = holds
        .iter()
        .map(|h| format!("{} `{}`", h.resource.kind.noun(), h.name))
        .collect();
    format!("{before}{}{after}", list.join(", "))
}

impl Plan {
    /// The edits, with insertions at one point joined into one edit (a
    /// `defer` first), since a fix cannot insert twice at the same place.
    fn merged_edits(&self) -> Vec<Edit> {
        let mut out: Vec<Edit> = Vec::new();
        let mut inserts: Vec<&Edit> = Vec::new();
        for e in &self.edits {
            if e.is_insertion() {
                if !inserts.contains(&e) {
                    inserts.push(e);
                }
            } else {
                out.push(e.clone());
            }
        }
        let mut groups: Vec<Vec<&Edit>> = Vec::new();
        for e in inserts {
            match groups
                .iter_mut()
                .find(|g| g[0].path() == e.path() && g[0].start() == e.start())
            {
                Some(g) => g.push(e),
                None => groups.push(vec![e]),
            }
        }
        for mut g in groups {
            g.sort_by_key(|e| !e.content().trim_start().starts_with("defer "));
            let content: String = g.iter().map(|e| e.content()).collect();
            out.push(Edit::insertion(g[0].path().clone(), g[0].start(), content));
        }
        out
    }

    fn title(&self) -> String {
        let mut steps: Vec<String> = self
            .steps
            .iter()
            .filter(|s| !s.starts_with('('))
            .cloned()
            .collect();
        if !self.released.is_empty() {
            let last = steps.len().saturating_sub(1).min(steps.len());
            steps.insert(
                last.max(1).min(steps.len()),
                format!(
                    "defer {}",
                    self.released
                        .iter()
                        .map(|r| format!("`{r}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        let mut title = match steps.len() {
            0 => String::new(),
            1 => steps[0].clone(),
            n => format!("{}, and {}", steps[..n - 1].join(", "), steps[n - 1]),
        };
        for s in self.steps.iter().filter(|s| s.starts_with('(')) {
            title.push(' ');
            title.push_str(s);
        }
        title
    }
}

/// A resource the goroutine should release.
struct Held<'a> {
    name: String,
    resource: &'a Resource,
    place: HeldAt<'a>,
}

enum HeldAt<'a> {
    /// Acquired by the goroutine's own statement (and checked by `err`).
    InWorker { stmt: Node<'a>, err: Option<String> },
    /// Acquired by the spawning function and used only by the goroutine
    /// (`name` is what the goroutine calls it).
    HandedOver,
}

/// The start of the line after `offset`'s, when the rest of that line is
/// empty or a comment.
fn line_after(source: &crate::source::SourceText, offset: usize) -> Option<usize> {
    let src = source.text();
    let line = source.line_index(offset);
    let end = source.line_range(line).end;
    let rest = src[offset.min(end)..end].trim();
    if !(rest.is_empty() || rest.starts_with("//")) {
        return None;
    }
    source.next_line_start(offset)
}

/// A declaration's context, as this rule tracks it.
fn classify<'a>(decl: Node<'a>, name: &str, file: &GoFile) -> Option<Source<'a>> {
    Some(match classify_decl(decl, name, file)? {
        ContextDecl::Background { stmt, value, scope } => Source::BgVar {
            name: name.to_string(),
            stmt,
            value,
            scope,
        },
        ContextDecl::Live => Source::Live,
        ContextDecl::Shared => Source::Opaque,
    })
}
