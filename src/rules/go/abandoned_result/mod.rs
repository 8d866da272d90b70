//! go-abandoned-result: goroutines send their result on an unbuffered
//! channel that the function which started them can stop reading (it
//! gives up on a timeout or a cancellation, returns on an error, or takes
//! the first of several answers). Each such return leaves the senders
//! blocked on their send forever. Fix: give the channel room for every
//! send (`make(chan T, 1)`, `make(chan T, len(xs))`).
//!
//! Detection (`find`) reads the channel facts of `analysis::go::channels`;
//! the fix (`fix`) only rewrites the `make`.

use crate::analysis::go::channels::channels_sent_by;
use crate::analysis::go::goroutines::{PackageFacts, go_statements};
use crate::finding::Finding;
use crate::lang::Language;
use crate::rules::Context;
use crate::rules::{FixAvailability, Rule, RuleMeta, Unit};

mod find;
mod fix;

pub struct GoAbandonedResult;

pub const ID: &str = "go-abandoned-result";

static META: RuleMeta = RuleMeta {
    id: ID,
    language: Some(Language::Go),
    summary: "Goroutines send on an unbuffered channel that their starter can stop reading (a timeout, a cancellation, the first of several answers): they block forever",
    fix_summary: "Give the channel room for every send: `make(chan T, 1)`, or one slot per goroutine",
    fix_availability: FixAvailability::Sometimes,
    applicability: crate::fix::Applicability::Safe,
    docs: DOCS,
};

const DOCS: &str = r#"## What it does
Finds functions that start goroutines which each send one value on an
unbuffered channel the function made, and that can return without
receiving every value: a `select` that gives up on `ctx.Done()` or
`time.After`, an early `return` on an error, or a race where the first of
several answers wins.

## Why is this bad?
A send on an unbuffered channel waits for a receiver. Once the function
has returned, nobody will ever receive, so the goroutine waits forever,
holding its stack and everything it references. Every timed-out or
cancelled call leaves one more goroutine behind (N-1 of them for a race of
N); a service under load slowly runs out of memory, and goroutine dumps
fill with `chan send` forever.

## Example
```go
func Fetch(ctx context.Context, url string) ([]byte, error) {
	type result struct {
		body []byte
		err  error
	}
	ch := make(chan result)
	go func() {
		body, err := download(url)
		ch <- result{body, err}
	}()
	select {
	case r := <-ch:
		return r.body, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func First(mirrors []string) string {
	ch := make(chan string)
	for _, m := range mirrors {
		go func(m string) {
			ch <- ask(m)
		}(m)
	}
	return <-ch
}
```

## Use instead
```go
func Fetch(ctx context.Context, url string) ([]byte, error) {
	type result struct {
		body []byte
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		body, err := download(url)
		ch <- result{body, err}
	}()
	select {
	case r := <-ch:
		return r.body, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func First(mirrors []string) string {
	ch := make(chan string, len(mirrors))
	for _, m := range mirrors {
		go func(m string) {
			ch <- ask(m)
		}(m)
	}
	return <-ch
}
```

## Fix safety
Safe. The channel gets one slot per send that can happen: 1 for one
goroutine, `len(xs)` (or `n`) for one goroutine per element of the loop
that starts them, the sum for several. A send then never waits, so the
goroutine finishes whether or not anyone receives; what the function
receives, and when, does not change, because every value is still
delivered in the order it was sent and the function still waits for the
first one exactly as before.

The fix is only offered when nothing else can tell the difference: every
goroutine sends at most once, as the last thing it does (only a `return`
and its deferred calls after it, or as the last thing of a closure it
defers: `defer func() { r.panicked = recover(); ch <- r }()`); the channel is used by nothing but those
goroutines and the function's receives (not passed on, stored, returned,
closed by the function, or measured with `len`/`cap`); and the count is
written in the loop header (`range xs` over a slice or map, `range n`,
`for i := 0; i < n; i++`) with the names it uses unchanged between the
`make` and the loop. When a goroutine runs deferred calls other than the
usual bookkeeping (`wg.Done()`, `mu.Unlock()`, `cancel()`, `close(other)`,
`recover`), they would now run before the value is received rather than
after, so that fix is offered as unsafe. When the count cannot be written
down, the finding says how to fix it by hand (buffer for the number of
goroutines, or send in a `select` that also returns on `<-ctx.Done()`).

If every goroutine can fail without sending, and the function waits with a
plain `<-ch`, the function itself can wait forever; the finding notes it
(receive in a `select` with `<-ctx.Done()`): buffering cannot fix that.

Not reported: goroutines started once per process (from `main`, `init`, a
package-level initializer: a server's `errc <- srv.ListenAndServe()` in
`main` is not a leak), sends that are already a `select` case with another
way out, and channels that leave the function.

## References
- https://go.dev/ref/spec#Channel_types (a send on an unbuffered channel blocks until a receiver is ready)
- https://go.dev/blog/pipelines (explicit cancellation; buffered channels for a known number of sends)
- https://github.com/uber-go/goleak (finding goroutines blocked forever in tests)
"#;

/// Literals in a package that may hold a goroutine (a `go` statement).
const GO_LITERALS: &[&str] = &["\tgo ", " go "];

impl Rule for GoAbandonedResult {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn go_literals(&self, _cx: &Context<'_>) -> Option<Vec<String>> {
        Some(GO_LITERALS.iter().map(|s| s.to_string()).collect())
    }

    fn check(&self, unit: &Unit<'_>, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let Unit::Go(pkg) = unit else { return };
        let facts = PackageFacts::new(pkg, cx.go_catalog);
        let mut seen = std::collections::HashSet::new();
        for file in &pkg.files {
            for g in go_statements(file) {
                for ch in channels_sent_by(&g) {
                    if seen.insert(ch.decl.id()) {
                        out.extend(find::check_channel(&facts, file, ch));
                    }
                }
            }
        }
    }
}
