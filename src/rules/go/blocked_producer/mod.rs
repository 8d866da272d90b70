//! go-blocked-producer: a goroutine sends a stream of values on a channel
//! (in a loop) and nothing lets it stop when its reader goes away: the
//! function returns the channel and takes a context its callers cancel,
//! or the function reads the channel itself and can return early. The
//! producer then blocks on its next send forever.
//!
//! Detection (`find`) reads the channel facts of `analysis::go::channels`;
//! the fix (`fix`) turns each send into a select that also returns when the
//! reader is gone.

use crate::analysis::go::goroutines::{PackageFacts, go_statements};
use crate::finding::Finding;
use crate::lang::Language;
use crate::rules::Context;
use crate::rules::{FixAvailability, Rule, RuleMeta, Unit};

mod find;
mod fix;

pub struct GoBlockedProducer;

pub const ID: &str = "go-blocked-producer";

static META: RuleMeta = RuleMeta {
    id: ID,
    language: Some(Language::Go),
    summary: "A goroutine sends values in a loop on a channel whose reader can go away (a cancelled caller, an early return), and blocks forever on its next send",
    fix_summary: "Send in a `select` that also returns when the context is done (or when the reading function has returned)",
    fix_availability: FixAvailability::Sometimes,
    applicability: crate::fix::Applicability::Unsafe,
    docs: DOCS,
};

const DOCS: &str = r#"## What it does
Finds goroutines that produce a stream of values on a channel, sending in
a loop with a plain `out <- v`, when the reader of that channel can stop
reading:

- the function returns the channel to its callers and takes a
  `context.Context` (or is an HTTP handler): a caller cancels the context
  and stops reading, as the context promises it may;
- the function reads the channel itself and can return before the
  producer is done: an early `return` on an error inside the `range`, a
  `select` that gives up on `ctx.Done()` or a timer.

## Why is this bad?
Once nobody reads, the producer's next send waits forever. The goroutine
stays, with whatever it holds (rows, a file, a connection, a subscription),
and so does its `defer close(out)`, which never runs. A handler or a
query helper that does this on each request leaks a goroutine per
cancelled request.

## Example
```go
func Lines(ctx context.Context, r io.Reader) <-chan string {
	out := make(chan string)
	go func() {
		defer close(out)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			out <- sc.Text()
		}
	}()
	return out
}

func FirstError(paths []string) error {
	errs := make(chan error)
	go func() {
		defer close(errs)
		for _, p := range paths {
			errs <- check(p)
		}
	}()
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
```

## Use instead
```go
func Lines(ctx context.Context, r io.Reader) <-chan string {
	out := make(chan string)
	go func() {
		defer close(out)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			select {
			case out <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

func FirstError(paths []string) error {
	errs := make(chan error)
	done := make(chan struct{})
	defer close(done)
	go func() {
		defer close(errs)
		for _, p := range paths {
			select {
			case errs <- check(p):
			case <-done:
				return
			}
		}
	}()
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
```

## Fix safety
Unsafe: the producer now stops early. When its reader is a caller, it
returns once the function's context is done, so a caller that keeps reading
after cancelling gets fewer values (and then the closed channel); that is
what a context means, but it is a change. When its reader is the function
itself, the function closes a new `done` channel when it returns and the
producer returns at its next send after that; nothing it would have sent
could have been read. The producer's `defer close(out)` still runs, later
than before only in that it now runs at all; a producer that closes the
channel itself (not deferred) closes it before it returns on the context.
Every plain send of the goroutine on the channel is changed, the last one
before a `return` too (once the reader is gone it blocks like the others),
and so are one-shot sends on other channels the same reader reads (an
error at the end): one finding and one `done` channel per goroutine.

No fix when the producer is a named function (it would need a new
parameter), the goroutine's code returns values (a bare `return` cannot end
it), a send shares its line with other code, the channel is made inside a
loop, or the names `done`, `stop` and `quit` are all taken. A producer whose
loop never ends is `go-unstoppable-goroutine`'s; a channel that leaves the
function any other way (stored, passed on, except to a goroutine that only
closes it once the producers are done) is not reported, nor are goroutines
started once per process, nor a channel whose capacity is what counts its
reading loop. Sends already written as a `select` are left as they are; a
`close` helper (`SafeClose(ch)`) closes like `close`.

## References
- https://go.dev/blog/pipelines (stopping short: explicit cancellation with a done channel)
- https://go.dev/blog/context (a function that takes a context should stop when it is done)
- https://github.com/uber-go/goleak
"#;

/// Literals in a package that may hold a goroutine (a `go` statement).
const GO_LITERALS: &[&str] = &["\tgo ", " go "];

impl Rule for GoBlockedProducer {
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
                out.extend(find::check(&facts, &g));
            }
        }
    }
}
