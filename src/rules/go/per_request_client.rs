//! go-per-request-client: a client that is safe to share and meant to be
//! built once (a cloud client, a gRPC connection, a `*sql.DB`, a redis or
//! mongo client) is built in code that runs per request — a handler, a
//! function a handler calls — or per iteration of a loop.
//!
//! Fix (unsafe): in per-request code the construction moves into a
//! package-level accessor that builds the client on first use and shares it
//! (one accessor per distinct constructor call in the package, reused by
//! every handler that builds the same client); in a loop the construction
//! and its error check move before the loop and the release after it.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;
use std::path::Path;

use tree_sitter::Node;

use crate::analysis::go::deps::{
    Binding, Deps, Inline, Origin, bind, definition, is_context_expr, is_env_helper, is_pure_call,
    is_write, local_uses,
};
use crate::analysis::go::flow::{RELEASE_LIKE_METHODS, is_cleanup_name};
use crate::analysis::go::handlers::{PerRequest, Style};
use crate::analysis::go::scope::{self, direct_declaration, references};
use crate::analysis::go::syntax::{
    call_args, following, has_multiline_raw_string, idents_in, idents_named, import_is_unaliased,
    import_names, inside, is_background, is_err_check, is_terminating, merge_ranges,
    qualifier_path, qualifier_usable, qualifier_uses, top_level,
};
use crate::analysis::go::types::TypeEnv;
use crate::analysis::go::{GoFile, GoPackage};
use crate::catalog::go::{Lookup, Resource, Target, TypeName};
use crate::embedded_query;
use crate::finding::Finding;
use crate::fix::{Applicability, Edit, Fix};
use crate::lang::go::{block_statements, enclosing_function, is_function};
use crate::lang::{Language, text};
use crate::rewrite::go::{
    delete_lines, full_lines, import_edits, reindent, render, tokens, with_comments_above,
};
use crate::rules::Context;
use crate::rules::{FixAvailability, Rule, RuleMeta, Unit};

mod configs;
mod factories;
mod injection;
mod loops;
mod placement;
mod plan;
mod render;
mod reuse;
mod sites;

use self::loops::*;
use self::placement::*;
use self::plan::*;
use self::render::*;

pub struct GoPerRequestClient;

pub const ID: &str = "go-per-request-client";

static META: RuleMeta = RuleMeta {
    id: ID,
    language: Some(Language::Go),
    summary: "A client meant to be built once and shared is built per request or per loop iteration",
    fix_summary: "Build it once in a shared, lazily built accessor (or before the loop) and reuse it",
    fix_availability: FixAvailability::Sometimes,
    applicability: Applicability::Unsafe,
    docs: DOCS,
};

const DOCS: &str = r#"## What it does
Finds clients that are safe for concurrent use and meant to be built once
per process — Google Cloud clients, gRPC connections, `*sql.DB` and other
pools, redis, mongo, kafka and etcd clients (the catalog marks them
`shareable`) — that are built in code that runs per request or per loop
iteration:

- net/http handlers (functions and methods taking `(http.ResponseWriter,
  *http.Request)`, func literals given to `HandleFunc`, `Handle` or a router
  method), chi and gorilla routes, gin, echo and fiber handlers;
- Cloud Functions: HTTP functions, background and CloudEvent functions
  (`func(ctx context.Context, e Event) error`, the event's type named like
  one: `PubSubMessage`, `GCSEvent`, `event.Event`), functions registered
  with the Functions Framework, AWS Lambda handlers given to `lambda.Start`,
  Pub/Sub `Receive` callbacks;
- gRPC service methods: methods of a type registered with
  `pb.RegisterXServer(s, impl)` or embedding the generated
  `pb.UnimplementedXServer`;
- functions and methods of the package that such code calls;
- loop bodies.

Besides catalog constructors, it knows `&http.Transport{...}` (each keeps a
pool of idle connections of its own) and `&http.Client{...}` with a
transport built right there, AWS sessions (`session.NewSession`,
`session.Must(...)`) and v2 configs (`config.LoadDefaultConfig`), and
factories: a call of a function of another package or of a dependency
whose result (read from its source, however many calls down) is a fresh
client of a shareable type (`gcp.NewStorage(ctx)`). A factory of the
package itself (`func (s *Server) store(ctx) (*storage.Client, error)`)
is fixed where it builds the client, and its callers stop closing what it
returns, when every caller is known and uses the client as a shared one may
be used. A library that go.mod replaces with a folder of the scanned tree
keeps the catalog's knowledge.

A client whose arguments come from the request (a handler parameter or
anything computed from one) is left alone: sharing it would mix requests.
Its release is go-missing-release's business.

## Why is this bad?
Each construction dials connections, performs a TLS handshake and looks up
credentials; closing the client afterwards stops the leak but still pays all
of that on every request. Services built this way slow down under load and
have been OOM-restarted. Client libraries document that these clients should
be created once and reused.

## Example
```go
func profile(w http.ResponseWriter, r *http.Request) {
	client, err := firestore.NewClient(r.Context(), projectID)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer client.Close()
	// ... use client
}
```

## Use instead
```go
func profile(w http.ResponseWriter, r *http.Request) {
	client, err := firestoreClient()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	// ... use client
}

// firestoreClientCache holds the client that firestoreClient shares.
var firestoreClientCache struct {
	mu     sync.Mutex
	client atomic.Pointer[firestore.Client]
}

// firestoreClient returns the client built by firestore.NewClient, building
// it on first use and sharing it afterwards. It is safe for concurrent use;
// callers must not close it. A failed build is not kept: the next call tries
// again.
func firestoreClient() (*firestore.Client, error) {
	if c := firestoreClientCache.client.Load(); c != nil {
		return c, nil
	}
	firestoreClientCache.mu.Lock()
	defer firestoreClientCache.mu.Unlock()
	if c := firestoreClientCache.client.Load(); c != nil {
		return c, nil
	}
	c, err := firestore.NewClient(context.Background(), projectID)
	if err != nil {
		return nil, err
	}
	firestoreClientCache.client.Store(c)
	return c, nil
}
```

When the package already keeps a client built the same way (same
constructor, same arguments) — a package variable set once in `init`, or
a field of the handler's receiver set where the receiver is built — the
handler reads that one, and nothing new is written.

Where the code already has a home for the client, it goes there instead:
when the handler is a method whose receiver's type (unexported, or in
package main) is built by exactly one composite literal, in a function that
can report a failed build (it returns an error, or it is `main`), the
client is built there, once, next to the literal, kept in a new field of
the receiver, and the handler reads the field (its construction and error
check go). Otherwise, a package-level accessor:

The accessor is written once per package for each distinct constructor call
(same constructor, same arguments), named after the client's type
(`firestoreClient`, `sqlDB`, `redisClient`; a number is added when the name
is taken), and placed after the first function that needed it. Every handler
that builds the same client calls the same accessor; a later run reuses it.

Its shape:
- **Lazily built**: nothing runs at package initialisation, so a service
  that never serves a request never dials, and configuration set up in
  `main` (flags, package variables) is in place by the first call.
- **A failed build is not cached**: a mutex, not `sync.Once` (nor
  `sync.OnceValues`, which keeps the first error forever), guards the
  construction, so a transient error at start-up does not poison the
  process; the next call tries again. The handler keeps its own error
  handling.
- **Cheap once built**: with a `go` directive of 1.19 or later and a pointer
  result, the built client sits in an `atomic.Pointer` and is read without
  locking; otherwise (older Go, or a constructor returning an interface) the
  mutex is taken on each call, for a nil check.
- **A context that outlives the request**: the constructor gets
  `context.Background()` instead of the request's context. Many clients keep
  their creation context for credential refresh and background work, so a
  request-scoped context would break the shared client as soon as the first
  request ends. `context.WithoutCancel(ctx)` is not used: the accessor is
  shared by every request, and tying the process-wide client to the values
  (trace spans, deadlines, auth) of whichever request happened to come first
  would be wrong. A context that does not come from the request (say
  `context.WithValue(context.Background(), ...)`) is kept as written.
- Arguments that are package-level names, literals, or computed from them by
  plain calls (`os.Getenv`, `fmt.Sprintf`, `option.With...`) move into the
  accessor. A local defined that way (`projectID := os.Getenv("PROJECT")`,
  in the handler or in the function that registers a closure) is written
  out in the accessor in its place, and so is a field of the method's
  receiver (`s.projectID`) when every value of the receiver's type
  (unexported, or in package main) is built by a composite literal that sets
  the (unexported) field to the same such expression and nothing else
  writes it.

In the handler, the call becomes a call of the accessor, the error handling
stays, and the per-request release (`defer client.Close()`, whether written
by a person or by go-missing-release) goes away; a local or an import that
is no longer used goes with it.

In a loop outside per-request code, the construction and its error check
move before the loop, and the release goes after the loop (or is deferred
right after the check when something in the loop can return).

## Fix safety
Unsafe: it changes the client's lifetime. The shared client is never closed
(it lives as long as the process, which is the point), it is built with a
background context (so a deadline on the request no longer bounds the
dial), and a construction error is reported on every call until a build
succeeds. In a loop, the client is built once even when the loop runs zero
times, and a construction error stops the function before the first
iteration rather than during it.

No fix is offered, and the finding says why, when an argument depends on
something leakfix cannot tell is the same for every request (a receiver
field set to different values or not at all, a parameter of a function that
builds the handler, a local assigned more than once, a method call on a
variable, a call of a function of the package other than an environment
lookup), when the client is released in a way leakfix does not remove, when
a function of the package it is passed to releases it, when the code starts
it per request itself (`Connect`), or when the client is only built and
released (a connectivity check). No finding at all when the client is
returned, stored or sent elsewhere (someone else manages it), when its
arguments come from the request or change per iteration, or when a loop
retries the construction (`continue` on error).

## References
- https://pkg.go.dev/cloud.google.com/go#hdr-Client_Options (clients should be reused instead of created as needed)
- https://pkg.go.dev/database/sql#Open (the returned DB is safe for concurrent use and should rarely be closed)
- https://cloud.google.com/run/docs/tips/general#use_global_variables
- https://cloud.google.com/functions/docs/bestpractices/tips#use_global_variables_to_reuse_objects_in_future_invocations
"#;

impl Rule for GoPerRequestClient {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    /// The shareable clients it hoists are catalog constructors: a package
    /// without one of their calls has nothing for this rule.
    fn go_literals(&self, cx: &Context<'_>) -> Option<Vec<String>> {
        let mut lits = cx.go_catalog.call_literals();
        lits.extend(cx.index.learned_names.iter().map(|n| format!("{n}(")));
        // Factories of the scanned code and of dependencies whose result may
        // be a client (`s.store(ctx)`, `gcp.NewStorageClient(ctx)`).
        lits.extend(cx.index.releasing_names.iter().map(|n| format!("{n}(")));
        lits.push("Client(".into());
        // HTTP transports and clients written as literals, AWS sessions and configs.
        for l in [
            "http.Transport{",
            "http.Client{",
            "NewSession(",
            "NewSessionWithOptions(",
            "LoadDefaultConfig(",
            // Constructors of the program's own client wrappers.
            "New",
            "new",
        ] {
            lits.push(l.into());
        }
        Some(lits)
    }

    fn check(&self, unit: &Unit<'_>, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let Unit::Go(pkg) = unit else {
            return;
        };
        let planner = Planner::new(pkg, cx);
        planner.run(out);
    }
}

/// Methods that start or restart a client: code calling them per request
/// manages the client's lifecycle itself (paho's `Connect`).
const LIFECYCLE_METHODS: [&str; 8] = [
    "Connect",
    "Start",
    "Open",
    "Dial",
    "Init",
    "Initialize",
    "Reset",
    "Reconnect",
];

/// One construction of a shareable client.
struct Site<'a> {
    fi: usize,
    call: Node<'a>,
    /// The assignment or declaration holding the call.
    stmt: Node<'a>,
    /// The function the call is in.
    func: Node<'a>,
    /// The variable holding the client (the call itself when it is
    /// returned directly: `return storage.NewClient(ctx)`).
    var: Node<'a>,
    err: Option<Node<'a>>,
    resource: Cow<'a, Resource>,
    /// `return ctor(...)`: the function hands the client to its callers.
    direct_return: bool,
    /// The constructor as written (`firestore.NewClient`).
    callee: String,
    /// The result type of the constructor.
    ty: Option<TypeName>,
}

/// What becomes of a site.
enum Outcome<'a> {
    Skip,
    Report { message: String, note: String },
    Accessor(Box<AccessorSite<'a>>),
    Loop { message: String, fix: Box<Fix> },
}

/// A site whose client can come from a shared accessor.
struct AccessorSite<'a> {
    message: String,
    key: String,
    /// The first argument, when it is a context to replace.
    ctx_arg: Option<Node<'a>>,
    /// Names (locals, receiver fields) written out in the accessor.
    inlined: Vec<Inline<'a>>,
    /// Release statements to delete.
    releases: Vec<Node<'a>>,
    /// When the site is in a factory: its callers' releases (file, statement).
    caller_releases: Vec<(usize, Node<'a>)>,
}

/// A shared accessor, written now or by an earlier run.
struct Accessor {
    name: String,
    /// Index of the site whose call the accessor is written from (new ones).
    first: Option<usize>,
}

struct Planner<'a> {
    pkg: &'a GoPackage,
    cx: &'a Context<'a>,
    /// Which functions run per request (found once there is a site to place).
    handlers: std::cell::OnceCell<PerRequest>,
    /// Top-level names of the package (cached).
    top_names: std::cell::OnceCell<HashSet<String>>,
    /// Files in path order (indices into pkg.files).
    order: Vec<usize>,
}

impl<'a> Planner<'a> {
    fn new(pkg: &'a GoPackage, cx: &'a Context<'a>) -> Self {
        let mut order: Vec<usize> = (0..pkg.files.len()).collect();
        order.sort_by(|a, b| pkg.files[*a].parsed.path.cmp(&pkg.files[*b].parsed.path));
        Planner {
            pkg,
            cx,
            handlers: std::cell::OnceCell::new(),
            top_names: std::cell::OnceCell::new(),
            order,
        }
    }

    fn file(&self, fi: usize) -> &'a GoFile {
        &self.pkg.files[fi]
    }

    fn run(&self, out: &mut Vec<Finding>) {
        let sites = self.collect();
        if sites.is_empty() {
            return;
        }
        let outcomes: Vec<Outcome<'a>> = sites.iter().map(|s| self.plan(s)).collect();
        // A field of the handler's receiver where the code has one, else an accessor.
        // An instance the package already shares, else a field of the
        // handler's receiver, else an accessor.
        let mut fixes = self.reuse(&sites, &outcomes);
        for (i, f) in self.inject(&sites, &outcomes) {
            fixes.entry(i).or_insert(f);
        }
        let injected: HashSet<usize> = fixes.keys().copied().collect();
        fixes.extend(self.assemble(&sites, &outcomes, &injected));
        for (i, (s, o)) in sites.iter().zip(outcomes).enumerate() {
            let finding = |msg: String| {
                let file = self.file(s.fi);
                Finding::new(
                    ID,
                    file.parsed.path.clone(),
                    &file.parsed.source,
                    s.call.byte_range(),
                    msg,
                )
            };
            match o {
                Outcome::Skip => {}
                Outcome::Report { message, note } => out.push(finding(message).with_note(note)),
                Outcome::Loop { message, fix } => out.push(finding(message).with_fix(*fix)),
                Outcome::Accessor(a) => match fixes.get(&i) {
                    Some(Ok(fix)) => out.push(finding(a.message).with_fix(fix.clone())),
                    Some(Err(note)) => out.push(finding(a.message).with_note(note.clone())),
                    None => {}
                },
            }
        }
    }
}

fn acc_of<'o, 'a>(outcomes: &'o [Outcome<'a>], i: usize) -> &'o AccessorSite<'a> {
    match &outcomes[i] {
        Outcome::Accessor(a) => a,
        _ => unreachable!("accessor site"),
    }
}
