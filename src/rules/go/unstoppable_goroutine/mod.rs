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
//!   in the module passes its caller's context (`crate::engine::callers`);
//! - **a context that can be cancelled** (a parameter, `context.With*`, a
//!   field): nothing to thread, the loop only has to look at it.
//!
//! Either way the loop returns when the context is done (a check at the top
//! of each iteration, so that a receive failing at once after cancellation
//! cannot spin, and a `case <-ctx.Done()` in a select that would otherwise
//! wait forever), and what the goroutine acquired is released when it
//! returns (`defer sub.Close()`). A goroutine that loops forever with no
//! context at all is reported without a fix.
//!
//! Two more shapes end the same way (issue 12, shapes 4 and 5):
//!
//! - a loop whose only ways out are error checks, after a receive on a
//!   subscription the goroutine holds and never closes, on a background
//!   context: the receive never fails, so it is a forever loop;
//! - a one-shot goroutine that waits for a context first (`<-ctx.Done()`,
//!   then cleanup), started per call: on a background context it waits
//!   forever (the context is threaded as above); on one that lasts as long
//!   as its owner or the process (`s.ctx`, a package-level context) it
//!   waits that long, one more per call, for cleanup that only concerns the
//!   call. The spawning function then closes a `done` channel when it
//!   returns, and the goroutine stops waiting on it.

use tree_sitter::Node;

use crate::analysis::go::GoFile;
use crate::analysis::go::GoPackage;
use crate::analysis::go::goroutines::{PackageFacts, go_statements};
use crate::finding::Finding;
use crate::fix::Edit;
use crate::lang::Language;
use crate::rules::Context;
use crate::rules::{FixAvailability, Rule, RuleMeta, Unit};

mod call_sites;
mod find;
mod held;
mod plan;
mod render;

pub struct GoUnstoppableGoroutine;

pub const ID: &str = "go-unstoppable-goroutine";

static META: RuleMeta = RuleMeta {
    id: ID,
    language: Some(Language::Go),
    summary: "A goroutine loops forever, or waits for a context that never ends, with no way to stop it (often on `context.Background()`)",
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

The same goes for a loop whose only ways out are error checks after a
receive on a subscription the goroutine holds, on a background context (the
receive never fails), and for a goroutine started per call that first waits
for a context to be done and then cleans up: on `context.Background()` it
waits forever; on a context that lasts as long as a server or the process
(`s.ctx`, a package-level context), with cleanup that only concerns the
call (a connection the call has finished with), one more waits per call.

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
that cannot take a parameter.

Not reported: goroutines started once per process, which are meant to live
as long as it — from `main`, `init`, a `sync.Once`, a package-level
initializer (a singleton's janitor), a command's action
(`cli.Command{Action: serve}`), or an unexported function that only such
code calls (followed up through the package's calls, and through callbacks
that a helper calls before it returns); and loops whose way out is ending
the process (a signal handler that calls `os.Exit`, directly or through a
local `exit` closure). A goroutine started inside an endless loop of
`main` (one per accepted connection) is per call, and is reported.
Nor are goroutines that serve the process wherever they are started: work
on package-level state only (`go hub.run()` on a package-level `hub`, a
literal that captures nothing of its function, a method of a type whose
only value is a package-level variable), unless the code that starts it is
known to run again and again (an HTTP handler, a callback, a function used
as a value, an endless loop); and a plugin's init callback registered in
`init` (`Registration{InitFn: ...}`).

A goroutine that waits for a long-lived context to clean up after one
call gets a way out when the call ends: the function closes a new `done`
channel when it returns (`done := make(chan struct{})`, `defer
close(done)`), and the wait becomes a `select` on both. The cleanup still
runs if the context ends during the call, and no longer after it: this is
only offered when the values it cleans up are the call's own (locals used
only through their methods, or parameters the function releases itself with
a `defer`), not returned or handed on, and never for a cleanup that
concerns the owner (`s.listener.Close()`: a shutdown hook) or a context
that comes from the caller.

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
        let facts = PackageFacts::new(pkg, cx.go_catalog);
        for file in &pkg.files {
            for g in go_statements(file) {
                let spawn = Spawn {
                    facts: &facts,
                    pkg,
                    file,
                    cx,
                    go: g.go,
                    call: g.call,
                };
                if let Some(f) = spawn.check() {
                    out.push(f);
                }
            }
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
    facts: &'a PackageFacts<'a>,
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
