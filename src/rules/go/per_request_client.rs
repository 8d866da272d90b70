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
use crate::analysis::go::syntax::{is_err_check, is_terminating};
use crate::analysis::go::types::TypeEnv;
use crate::analysis::go::{GoFile, GoPackage};
use crate::catalog::go::{Lookup, Resource, Target, TypeName};
use crate::embedded_query;
use crate::engine::Context;
use crate::finding::Finding;
use crate::fix::{Applicability, Edit, Fix};
use crate::lang::go::{block_statements, enclosing_function, is_function};
use crate::lang::{Language, text};
use crate::rewrite::go::{
    delete_lines, full_lines, import_edits, reindent, render, tokens, with_comments_above,
};
use crate::rules::{FixAvailability, Rule, RuleMeta, Unit};

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
- functions and methods of the package that such code calls;
- loop bodies.

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

/// Result types the catalog names that are interfaces, not pointers.
const INTERFACE_TYPES: [&str; 13] = [
    "github.com/redis/go-redis/v9.UniversalClient",
    "github.com/go-redis/redis/v8.UniversalClient",
    "github.com/IBM/sarama.Client",
    "github.com/IBM/sarama.SyncProducer",
    "github.com/IBM/sarama.AsyncProducer",
    "github.com/IBM/sarama.ClusterAdmin",
    "github.com/Shopify/sarama.Client",
    "github.com/Shopify/sarama.SyncProducer",
    "github.com/Shopify/sarama.AsyncProducer",
    "github.com/Shopify/sarama.ClusterAdmin",
    "github.com/eclipse/paho.mqtt.golang.Client",
    "github.com/ClickHouse/clickhouse-go/v2/lib/driver.Conn",
    "google.golang.org/api/transport/grpc.ConnPool",
];

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
    var: Node<'a>,
    err: Option<Node<'a>>,
    resource: &'a Resource,
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
        let fixes = self.assemble(&sites, &outcomes);
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

    /// Every construction of a shareable resource inside a function.
    fn collect(&self) -> Vec<Site<'a>> {
        let mut sites = Vec::new();
        let query = embedded_query!(Language::Go, "go/per_request_client.scm");
        for &fi in &self.order {
            let file = self.file(fi);
            if file.generated {
                continue;
            }
            let src = file.text();
            let mut envs: HashMap<usize, TypeEnv<'a>> = HashMap::new();
            // Only the statements around the prefilter's hits can create a resource.
            for (assign, call) in file.acquisitions(query) {
                let Some(func) = enclosing_function(assign) else {
                    continue;
                };
                if !crate::analysis::go::calls::may_be_resource(
                    call,
                    file,
                    self.pkg,
                    self.cx.go_catalog,
                ) {
                    continue;
                }
                let env = envs.entry(func.id()).or_insert_with(|| {
                    TypeEnv::for_function(self.pkg, file, self.cx.go_catalog, func)
                });
                let Some((resource, ty)) = self.shareable_callee(call, env) else {
                    continue;
                };
                // A silenced construction is left out of the shared accessor
                // too. Asked only now, so that the marker counts as used only
                // over a shareable client (`unused-ignore`).
                let line = file.parsed.source.line_index(call.start_byte());
                if file.parsed.suppressions.is_suppressed(ID, line) {
                    continue;
                }
                let stmt = if assign.kind() == "var_spec" {
                    let mut cur = assign;
                    while cur.kind() != "var_declaration" {
                        match cur.parent() {
                            Some(p) => cur = p,
                            None => break,
                        }
                    }
                    cur
                } else {
                    assign
                };
                let lhs: Vec<Node> = if assign.kind() == "var_spec" {
                    let mut c = assign.walk();
                    assign.children_by_field_name("name", &mut c).collect()
                } else {
                    let Some(left) = assign.child_by_field_name("left") else {
                        continue;
                    };
                    let mut c = left.walk();
                    left.named_children(&mut c).collect()
                };
                if resource.result != 0 || lhs.len() != 1 + usize::from(resource.error) {
                    continue; // the call's shape does not match the catalog: do not guess
                }
                let var = lhs[0];
                if var.kind() != "identifier" || text(var, src) == "_" {
                    continue;
                }
                let err = if resource.error {
                    lhs.last().copied()
                } else {
                    None
                };
                let callee = call
                    .child_by_field_name("function")
                    .map(|f| text(f, src).to_string())
                    .unwrap_or_default();
                sites.push(Site {
                    fi,
                    call,
                    stmt,
                    func,
                    var,
                    err,
                    resource,
                    callee,
                    ty,
                });
            }
        }
        sites
    }

    /// The catalog's shareable resource built by `call`, with its result type.
    fn shareable_callee(
        &self,
        call: Node<'a>,
        env: &TypeEnv<'a>,
    ) -> Option<(&'a Resource, Option<TypeName>)> {
        let src = env.file.text();
        let catalog = self.cx.go_catalog;
        let f = call.child_by_field_name("function")?;
        let (lookup, path, name) = match f.kind() {
            "selector_expression" => {
                let operand = f.child_by_field_name("operand")?;
                let name = text(f.child_by_field_name("field")?, src);
                if let Some(path) = env.package_of(operand) {
                    (
                        catalog.lookup_func(path, name),
                        Some(path.to_string()),
                        name,
                    )
                } else {
                    let recv = env.type_of(operand);
                    (catalog.lookup_method(recv.as_ref(), name), None, name)
                }
            }
            "identifier" => {
                let name = text(f, src);
                if env.is_local(name) {
                    return None;
                }
                (
                    catalog.lookup_func(&self.pkg.import_path, name),
                    Some(self.pkg.import_path.clone()),
                    name,
                )
            }
            _ => return None,
        };
        let Lookup::Resource(r) = lookup else {
            return None;
        };
        if !r.shareable {
            return None;
        }
        let ty = r.type_name.clone().or_else(|| {
            // `cloud.google.com/go/...` `New*Client`: the convention is `*XClient`.
            let path = path?;
            if !matches!(r.target, Target::Func { .. }) {
                return None;
            }
            let base = name.strip_prefix("New")?;
            let base = match base.find("With") {
                Some(i) => &base[..i],
                None => base,
            };
            base.ends_with("Client").then(|| TypeName::new(path, base))
        });
        Some((r, ty))
    }

    /// Decides what to do with one site.
    fn plan(&self, s: &Site<'a>) -> Outcome<'a> {
        let file = self.file(s.fi);
        let src = file.text();
        // The variable must be a local of this function, written only here.
        let (decl, scope) = match bind(s.var, src) {
            Binding::Local { decl, scope } => (decl, scope),
            _ => return Outcome::Skip, // a parameter, an outer or package variable: kept elsewhere
        };
        if !scope::contains(s.func, decl) {
            return Outcome::Skip;
        }
        let var = text(s.var, src);
        let uses = local_uses(var, decl, scope, src);
        if uses
            .other_writes
            .iter()
            .any(|w| !(s.stmt.start_byte() <= w.start_byte() && w.end_byte() <= s.stmt.end_byte()))
            || (decl.id() != s.stmt.id() && uses.other_writes.is_empty())
        {
            return Outcome::Skip; // assigned elsewhere too
        }
        let handler = self
            .handlers
            .get_or_init(|| PerRequest::of(self.pkg, self.cx.go_catalog))
            .handler_of(s.fi, s.call, src);
        let in_loop = scope::enclosing_loop(s.stmt, s.func);
        if handler.is_none() && in_loop.is_none() {
            return Outcome::Skip;
        }
        // First where the arguments come from: a client of the request, or
        // of the iteration, is not this rule's business at all.
        let deps = handler.map(|(h, _)| Deps::new(self.pkg, s.fi, h));
        let (origin, ctx_arg) = match &deps {
            Some(d) => self.origin_of_call(s, d),
            None => (Origin::Unknown(String::new()), None),
        };
        let accessor = handler.is_some() && origin == Origin::Process;
        if !accessor {
            match in_loop {
                None if matches!(origin, Origin::Request(_)) => return Outcome::Skip,
                None => {}
                Some(lp) => {
                    if matches!(
                        self.varies_in_loop(&[s.call], lp, s.stmt, src, false),
                        Some(Varies::Iteration)
                    ) {
                        return Outcome::Skip;
                    }
                }
            }
        }
        let usage = match self.usage(s, scope) {
            Ok(u) => u,
            Err(UseProblem::Managed) => return Outcome::Skip,
            Err(UseProblem::Note(n)) => {
                let shown = if accessor || in_loop.is_none() {
                    handler
                } else {
                    None
                };
                return Outcome::Report {
                    message: self.message(s, shown),
                    note: n,
                };
            }
        };
        if let (false, None, Origin::Unknown(why)) = (accessor, in_loop, &origin) {
            return Outcome::Report {
                message: self.message(s, handler),
                note: unknown_note(why),
            };
        }
        if accessor {
            let message = self.message(s, handler);
            if usage.reads == 0 {
                return Outcome::Report {
                    message,
                    note: format!(
                        "`{var}` is only built and released here (a connectivity check?); sharing it would check nothing"
                    ),
                };
            }
            let inlined = deps.map(|d| d.inlined()).unwrap_or_default();
            let key = self.key(s.fi, s.call, ctx_arg, &inlined);
            return Outcome::Accessor(Box::new(AccessorSite {
                message,
                key,
                ctx_arg,
                inlined,
                releases: usage.releases,
            }));
        }
        // In a loop: per request anyway (or not in a handler at all), but at
        // least not per iteration.
        let outcome = self.plan_loop(s, in_loop.unwrap(), &usage);
        match (outcome, origin) {
            (Outcome::Skip, Origin::Unknown(why)) if handler.is_some() => Outcome::Report {
                message: self.message(s, handler),
                note: unknown_note(&why),
            },
            (other, _) => other,
        }
    }

    fn message(&self, s: &Site<'a>, handler: Option<(Node<'a>, Style)>) -> String {
        let src = self.file(s.fi).text();
        let noun = s.resource.kind.noun();
        let var = text(s.var, src);
        let msg = match handler {
            Some((h, style)) => {
                let place = match (h.child_by_field_name("name"), style) {
                    (Some(n), Style::Helper) => {
                        format!("`{}`, which a handler calls", text(n, src))
                    }
                    (Some(n), _) => format!("the {} `{}`", style.describe(), text(n, src)),
                    (None, _) => format!("a func literal {}", style.describe()),
                };
                let every = match style {
                    Style::Event => "event",
                    Style::Lambda => "invocation",
                    _ => "request",
                };
                format!(
                    "{noun} `{var}` from `{}` is built on every {every} (in {place}), though it is meant to be built once and shared",
                    s.callee
                )
            }
            None => format!(
                "{noun} `{var}` from `{}` is built on every iteration of the loop, though it is meant to be built once and reused",
                s.callee
            ),
        };
        capitalise(&msg)
    }

    /// Where the constructor's arguments come from, and the context argument
    /// the accessor replaces.
    fn origin_of_call(&self, s: &Site<'a>, deps: &Deps<'a, 'a>) -> (Origin, Option<Node<'a>>) {
        let file = self.file(s.fi);
        let src = file.text();
        let args = call_args(s.call);
        let mut ctx_arg = None;
        let mut origin = Origin::Process;
        for (i, a) in args.iter().enumerate() {
            if i == 0 && is_context_expr(*a, file, src, 0) {
                // A context from the request is replaced; one that is not stays.
                match deps.origin(*a) {
                    Origin::Process if !is_background(*a, file, src) => {}
                    _ => {
                        ctx_arg = Some(*a);
                        continue;
                    }
                }
            }
            let a = if a.kind() == "variadic_argument" {
                match a.named_child(0) {
                    Some(x) => x,
                    None => continue,
                }
            } else {
                *a
            };
            origin = join(origin, deps.origin(a));
        }
        // A method constructor: its receiver must be shareable too.
        if let Some(f) = s.call.child_by_field_name("function")
            && f.kind() == "selector_expression"
            && let Some(operand) = f.child_by_field_name("operand")
            && deps.package_path(operand).is_none()
        {
            origin = join(origin, deps.origin(operand));
        }
        (origin, ctx_arg)
    }

    /// A canonical text for "the same client": constructor, then arguments
    /// with package names resolved, locals inlined and a replaced context as `<ctx>`.
    fn key(
        &self,
        fi: usize,
        call: Node<'a>,
        ctx_arg: Option<Node<'a>>,
        inlined: &[Inline<'a>],
    ) -> String {
        let file = self.file(fi);
        let defs = inline_map(inlined);
        // Accessors are shared within one package and one build constraint.
        let constraint = file
            .text()
            .lines()
            .take_while(|l| !l.starts_with("package "))
            .find(|l| l.starts_with("//go:build"))
            .unwrap_or("");
        format!(
            "{} {constraint}|{}",
            file.package_name,
            self.key_tokens(fi, call, ctx_arg, &defs, 0)
        )
    }

    fn key_tokens(
        &self,
        fi: usize,
        node: Node<'a>,
        ctx: Option<Node<'a>>,
        defs: &HashMap<(usize, usize), Inline<'a>>,
        depth: usize,
    ) -> String {
        let file = self.file(fi);
        let src = file.text();
        tokens(node, src, &mut |n| {
            if ctx.is_some_and(|c| c.id() == n.id()) {
                return Some("<ctx>".into());
            }
            if let Some(inl) = defs.get(&(fi, n.id()))
                && depth < 8
            {
                return Some(self.key_tokens(inl.def_file, inl.def, None, defs, depth + 1));
            }
            qualifier_path(n, file, src).map(|p| format!("\"{p}\""))
        })
    }

    /// Renders `node` of file `from` as code for file `to`: the context
    /// replaced, inlined names written out, package names translated (and
    /// imported when `to` lacks them).
    #[allow(clippy::too_many_arguments)]
    fn render_for(
        &self,
        to: usize,
        from: usize,
        node: Node<'a>,
        env: &Env<'_, 'a>,
        imports: &mut Vec<(String, String)>,
        qualifiers: &mut HashSet<String>,
        depth: usize,
    ) -> Result<String, String> {
        if depth > 8 {
            return Err("the arguments are defined through too many names".into());
        }
        let file = self.file(from);
        let target = self.file(to);
        let src = file.text();
        let mut failure: Option<String> = None;
        let out = render(node, src, &mut |n| {
            if env.ctx.is_some_and(|c| c.id() == n.id()) {
                return env.ctx_text.clone();
            }
            if let Some(inl) = env.defs.get(&(from, n.id())) {
                let inner = match self.render_for(
                    to,
                    inl.def_file,
                    inl.def,
                    env,
                    imports,
                    qualifiers,
                    depth + 1,
                ) {
                    Ok(t) => t,
                    Err(e) => {
                        failure = Some(e);
                        return Some(String::new());
                    }
                };
                if inner.contains('\n') {
                    failure = Some("a value the call needs spans several lines".into());
                }
                return Some(
                    if matches!(inl.def.kind(), "binary_expression") && needs_parens(n) {
                        format!("({inner})")
                    } else {
                        inner
                    },
                );
            }
            let path = qualifier_path(n, file, src)?;
            let here = text(n, src);
            if from == to {
                qualifiers.insert(here.to_string());
                return None;
            }
            let name = match target.imports.name_of(path) {
                Some(name) => name.to_string(),
                None if import_is_unaliased(file, path) => {
                    if !imports.iter().any(|(p, _)| p == path) {
                        imports.push((path.to_string(), here.to_string()));
                    }
                    here.to_string()
                }
                None => {
                    failure = Some(format!(
                        "a value the call needs uses `{path}` under another name"
                    ));
                    return None;
                }
            };
            qualifiers.insert(name.clone());
            Some(name)
        });
        match failure {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }

    /// How the variable is used: releases to delete, reads left.
    fn usage(&self, s: &Site<'a>, scope: Node<'a>) -> Result<Usage<'a>, UseProblem> {
        let file = self.file(s.fi);
        let src = file.text();
        let var = text(s.var, src);
        let release = &s.resource.release;
        let mut usage = Usage {
            releases: Vec::new(),
            reads: 0,
            in_goroutine: false,
        };
        for r in references(scope, var, src) {
            if is_write(r) {
                continue;
            }
            if in_func_literal_that_may_outlive(r, s.func, src) {
                usage.in_goroutine = true;
            }
            let Some(parent) = r.parent() else {
                return Err(UseProblem::Note(
                    "it is used in a way leakfix does not follow".into(),
                ));
            };
            match parent.kind() {
                "selector_expression"
                    if parent
                        .child_by_field_name("operand")
                        .is_some_and(|o| o.id() == r.id()) =>
                {
                    let field = parent
                        .child_by_field_name("field")
                        .map(|f| text(f, src))
                        .unwrap_or("");
                    let is_release = release.path() == [field.to_string()]
                        || RELEASE_LIKE_METHODS.contains(&field);
                    let call = parent
                        .parent()
                        .filter(|c| c.kind() == "call_expression")
                        .filter(|c| {
                            c.child_by_field_name("function")
                                .is_some_and(|f| f.id() == parent.id())
                        });
                    match (call, is_release) {
                        (Some(call), true) => match removable_statement(call, var, src) {
                            Some(st) => usage.releases.push(st),
                            None => {
                                return Err(UseProblem::Note(format!(
                                    "`{var}` is released in a way leakfix does not remove (`{}`)",
                                    first_line(text(call, src))
                                )));
                            }
                        },
                        (None, true) => {
                            return Err(UseProblem::Note(format!(
                                "`{var}.{field}` is handed on, so something else may release the shared client"
                            )));
                        }
                        (Some(_), false) if LIFECYCLE_METHODS.contains(&field) => {
                            return Err(UseProblem::Note(format!(
                                "`{var}.{field}` is called on every request: the code manages the client's lifecycle itself"
                            )));
                        }
                        _ => usage.reads += 1,
                    }
                }
                "argument_list" => {
                    let Some(call) = parent.parent() else {
                        return Err(UseProblem::Note(
                            "it is used in a way leakfix does not follow".into(),
                        ));
                    };
                    let callee = call.child_by_field_name("function");
                    let callee_name = callee
                        .map(|c| match c.kind() {
                            "selector_expression" => c
                                .child_by_field_name("field")
                                .map(|f| text(f, src))
                                .unwrap_or(""),
                            _ => text(c, src),
                        })
                        .unwrap_or("");
                    if callee_name == "append" {
                        return Err(UseProblem::Managed);
                    }
                    if is_cleanup_name(callee_name) {
                        match removable_statement(call, var, src)
                            .filter(|_| call_args(call).len() == 1)
                        {
                            Some(st) => usage.releases.push(st),
                            None => {
                                return Err(UseProblem::Note(format!(
                                    "`{callee_name}` may release `{var}`, in a way leakfix does not remove"
                                )));
                            }
                        }
                        continue;
                    }
                    let idx = call_args(call).iter().position(|a| a.id() == r.id());
                    if let (Some(callee), Some(idx)) = (callee, idx)
                        && self.callee_releases_param(s.fi, callee, idx, 0)
                    {
                        return Err(UseProblem::Note(format!(
                            "`{}` releases the client it is given, so it cannot be shared",
                            text(callee, src)
                        )));
                    }
                    usage.reads += 1;
                }
                "expression_list" => {
                    // Returned, or assigned to something else: someone else manages it.
                    return Err(UseProblem::Managed);
                }
                "literal_element" | "keyed_element" | "send_statement" | "composite_literal"
                | "literal_value" => return Err(UseProblem::Managed),
                "unary_expression" => {
                    if text(parent, src).starts_with('&') {
                        return Err(UseProblem::Managed);
                    }
                    usage.reads += 1;
                }
                "binary_expression"
                | "parenthesized_expression"
                | "if_statement"
                | "expression_switch_statement"
                | "expression_statement"
                | "index_expression"
                | "type_assertion_expression" => usage.reads += 1,
                _ => {
                    return Err(UseProblem::Note(format!(
                        "`{var}` is used in a way leakfix does not follow (`{}`)",
                        first_line(text(parent, src))
                    )));
                }
            }
        }
        Ok(usage)
    }

    /// Does the package function or method `callee` release its `idx`-th parameter?
    fn callee_releases_param(&self, fi: usize, callee: Node<'a>, idx: usize, depth: usize) -> bool {
        if depth > 2 {
            return false;
        }
        let src = self.file(fi).text();
        let name = match callee.kind() {
            "identifier" => {
                if !matches!(bind(callee, src), Binding::Package) {
                    return false;
                }
                text(callee, src)
            }
            "selector_expression" => {
                let Some(o) = callee.child_by_field_name("operand") else {
                    return false;
                };
                if o.kind() == "identifier"
                    && matches!(bind(o, src), Binding::Package)
                    && self.file(fi).imports.resolve(text(o, src)).is_some()
                {
                    return false; // another package's function
                }
                callee
                    .child_by_field_name("field")
                    .map(|f| text(f, src))
                    .unwrap_or("")
            }
            _ => return false,
        };
        let is_method = callee.kind() == "selector_expression";
        for (gi, file) in self.pkg.files.iter().enumerate() {
            let fsrc = file.text();
            let root = file.root();
            let mut c = root.walk();
            for decl in root.named_children(&mut c) {
                let kind_ok = if is_method {
                    decl.kind() == "method_declaration"
                } else {
                    decl.kind() == "function_declaration"
                };
                if !kind_ok || decl.child_by_field_name("name").map(|n| text(n, fsrc)) != Some(name)
                {
                    continue;
                }
                let Some(params) = decl.child_by_field_name("parameters") else {
                    continue;
                };
                let names: Vec<&str> = {
                    let mut out = Vec::new();
                    let mut c = params.walk();
                    for p in params.named_children(&mut c) {
                        let mut c2 = p.walk();
                        let ns: Vec<_> = p.children_by_field_name("name", &mut c2).collect();
                        if ns.is_empty() {
                            out.push("_");
                        }
                        out.extend(ns.iter().map(|n| text(*n, fsrc)));
                    }
                    out
                };
                let Some(pname) = names.get(idx).copied() else {
                    continue;
                };
                let Some(body) = decl.child_by_field_name("body") else {
                    continue;
                };
                for r in references(decl, pname, fsrc) {
                    let Some(p) = r.parent() else { continue };
                    if p.kind() == "selector_expression"
                        && p.child_by_field_name("operand")
                            .is_some_and(|o| o.id() == r.id())
                        && p.child_by_field_name("field")
                            .is_some_and(|f| RELEASE_LIKE_METHODS.contains(&text(f, fsrc)))
                        && scope::contains(body, r)
                    {
                        return true;
                    }
                    if p.kind() == "argument_list"
                        && let Some(call) = p.parent()
                        && let Some(cal) = call.child_by_field_name("function")
                    {
                        let i = call_args(call).iter().position(|a| a.id() == r.id());
                        let cname = text(cal, fsrc);
                        if is_cleanup_name(cname.rsplit('.').next().unwrap_or(cname))
                            || i.is_some_and(|i| self.callee_releases_param(gi, cal, i, depth + 1))
                        {
                            return true;
                        }
                    }
                }
            }
        }
        false
    }

    /// Moves a construction out of a loop.
    fn plan_loop(&self, s: &Site<'a>, lp: Node<'a>, usage: &Usage<'a>) -> Outcome<'a> {
        let file = self.file(s.fi);
        let src = file.text();
        let source = &file.parsed.source;
        let path = file.parsed.path.clone();
        let var = text(s.var, src);
        let message = self.message(s, None);
        let report = |note: String| Outcome::Report {
            message: message.clone(),
            note,
        };
        // Only loops that repeat: a loop that retries until the client is built is fine.
        if s.stmt.kind() != "short_var_declaration" {
            return report(format!(
                "`{var}` is declared outside the loop; leakfix only moves `{var} := ...` statements"
            ));
        }
        let Some(list) = s.stmt.parent().filter(|p| p.kind() == "statement_list") else {
            return Outcome::Skip;
        };
        let body = list.parent();
        if body.is_none_or(|b| {
            lp.child_by_field_name("body")
                .is_none_or(|lb| lb.id() != b.id())
        }) {
            return report("the call sits in a nested block of the loop body".into());
        }
        // The error check that follows, moved along.
        let mut last = s.stmt;
        let mut check_block = None;
        if let Some(err) = s.err {
            let err_name = text(err, src);
            if err_name == "_" {
                return report("the error is discarded, so the construction cannot be checked once before the loop".into());
            }
            let next = following(s.stmt);
            let Some(check) = next.filter(|n| {
                n.kind() == "if_statement"
                    && n.child_by_field_name("initializer").is_none()
                    && n.child_by_field_name("condition")
                        .is_some_and(|c| is_err_check(c, err_name, src))
            }) else {
                return report("the error is not checked right after the call".into());
            };
            let Some(cons) = check.child_by_field_name("consequence") else {
                return Outcome::Skip;
            };
            if has_loop_jump(cons) {
                // `continue` on error in a loop that stops once it has a
                // client (a break or a return): a retry, per iteration by
                // design. Otherwise an item is skipped when the build fails.
                let check_range = check.byte_range();
                if leaves_function(lp, &check_range) || loop_breaks(lp) {
                    return Outcome::Skip;
                }
                return report(
                    "the error check skips to the next iteration, which cannot happen before the loop; move the construction out by hand".into(),
                );
            }
            if check.child_by_field_name("alternative").is_some() || !is_terminating(cons, src) {
                return report(
                    "the error path carries on in the loop, so it cannot move before it".into(),
                );
            }
            last = check;
            check_block = Some(cons);
        }
        // Nothing the statement or its check reads may change per iteration.
        match self.varies_in_loop(&[s.call], lp, s.stmt, src, false) {
            Some(Varies::Iteration) => return Outcome::Skip,
            Some(Varies::Unknown(why)) => return report(unknown_note(&why)),
            None => {}
        }
        // When the call comes first in the body, its first run sees what the
        // loop later changes as it was before the loop.
        let first = block_statements(list)
            .first()
            .is_some_and(|f| f.id() == s.stmt.id());
        if let Some(cons) = check_block
            && self
                .varies_in_loop(&[cons], lp, s.stmt, src, first)
                .is_some()
        {
            return report(
                "the error check uses values of the iteration, so it cannot move before the loop"
                    .into(),
            );
        }
        if usage.reads == 0 {
            return report(format!(
                "`{var}` is only built and released in the loop (a connectivity check?)"
            ));
        }
        if usage.in_goroutine {
            return report(format!(
                "a goroutine or func literal that may outlive the iteration uses `{var}`, so leakfix cannot tell when to release it"
            ));
        }
        let target = match lp.parent() {
            Some(p) if p.kind() == "labeled_statement" => p,
            _ => lp,
        };
        let Some(target_list) = target.parent().filter(|p| p.kind() == "statement_list") else {
            return report("the loop is not a statement of a block".into());
        };
        // Names: the variable must mean the same thing everywhere it is seen.
        let ours: HashSet<usize> = references(list, var, src).iter().map(|n| n.id()).collect();
        if idents_named(target_list, var, src)
            .iter()
            .any(|n| !ours.contains(&n.id()))
        {
            return report(format!("`{var}` names something else around the loop too"));
        }
        if let Some(err) = s.err {
            let err_name = text(err, src);
            if direct_declaration(list, err_name, s.stmt.start_byte().saturating_sub(1), src)
                .is_some_and(|d| d.id() != s.stmt.id() && d.start_byte() < s.stmt.start_byte())
            {
                return report(format!("`{err_name}` is declared earlier in the loop body"));
            }
            // In the loop body, the next use of err after the check must set it.
            if !next_use_sets(list, err_name, last.end_byte(), src) {
                return report(format!(
                    "`{err_name}` is read later in the loop before it is set again"
                ));
            }
            let declared_before =
                direct_declaration(target_list, err_name, target.start_byte(), src).is_some();
            if !next_use_sets(target_list, err_name, target.end_byte(), src) {
                return report(format!("`{err_name}` is read after the loop"));
            }
            if !declared_before && redeclares_only(target_list, err_name, target.end_byte(), src) {
                return report(format!(
                    "`{err_name}` is declared after the loop; moving the call before it would clash"
                ));
            }
        }
        // Text to move: the statement, its check, and comments above them.
        let Some(lines) = full_lines(source, s.stmt.start_byte()..last.end_byte()) else {
            return report("the code around the call shares its lines with other code".into());
        };
        let moved = with_comments_above(source, lines);
        if has_multiline_raw_string(s.stmt, src)
            || check_block.is_some_and(|c| has_multiline_raw_string(c, src))
        {
            return report("the statement holds a multi-line raw string".into());
        }
        let from = source.indent_at(s.stmt.start_byte());
        let to = source.indent_at(target.start_byte());
        let Some(moved_text) = reindent_all(&src[moved.clone()], from, to) else {
            return report(
                "the code to move is indented in a way leakfix does not re-indent".into(),
            );
        };
        let Some(release) = self.release_text(s) else {
            return report("the release needs a context leakfix cannot reuse".into());
        };
        let nl = source.newline();
        let Some(target_lines) = full_lines(source, target.byte_range()) else {
            return report("the loop shares its lines with other code".into());
        };
        let insert_at = with_comments_above(source, target_lines.clone()).start;
        let after_loop = !leaves_function(lp, &moved) && loop_can_end(lp);
        let mut edits = vec![delete_lines(&path, source, moved.clone())];
        let mut inserted = moved_text;
        if !after_loop {
            inserted.push_str(&format!("{to}defer {release}{nl}"));
        }
        edits.push(Edit::insertion(path.clone(), insert_at, inserted));
        for st in &usage.releases {
            let Some(l) = full_lines(source, st.byte_range()) else {
                return report("a release shares its line with other code".into());
            };
            edits.push(delete_lines(&path, source, with_comments_above(source, l)));
        }
        if after_loop {
            edits.push(Edit::insertion(
                path.clone(),
                target_lines.end,
                format!("{to}{release}{nl}"),
            ));
        }
        if overlapping(&edits) {
            return report("the edits would overlap".into());
        }
        let title = if after_loop {
            format!("build `{var}` once before the loop and release it after")
        } else {
            format!("build `{var}` once before the loop and defer its release")
        };
        Outcome::Loop {
            message,
            fix: Box::new(Fix::unsafe_(title, edits)),
        }
    }

    /// The release statement for the site's variable.
    fn release_text(&self, s: &Site<'a>) -> Option<String> {
        let src = self.file(s.fi).text();
        let var = text(s.var, src);
        let r = &s.resource.release;
        if !r.needs_ctx() {
            return Some(r.render(var, None));
        }
        let first = call_args(s.call).first().copied()?;
        let t = text(first, src);
        (t.chars().all(|c| c.is_alphanumeric() || c == '_') || t == "context.Background()")
            .then(|| r.render(var, Some(t)))
    }

    /// Does anything in `nodes` change from one iteration of `lp` to the next?
    fn varies_in_loop(
        &self,
        nodes: &[Node<'a>],
        lp: Node<'a>,
        own: Node<'a>,
        src: &str,
        outer_writes_ok: bool,
    ) -> Option<Varies> {
        for n in nodes {
            let mut stack = vec![*n];
            while let Some(x) = stack.pop() {
                match x.kind() {
                    "identifier" => {
                        // Keys of struct literals are field names.
                        if x.parent().is_some_and(|p| p.kind() == "literal_element")
                            && x.parent().and_then(|p| p.parent()).is_some_and(|k| {
                                k.kind() == "keyed_element"
                                    && k.named_child(0)
                                        .is_some_and(|first| first.id() == x.parent().unwrap().id())
                            })
                        {
                            continue;
                        }
                        let name = text(x, src);
                        match bind(x, src) {
                            Binding::Local { decl, scope } => {
                                if decl.id() == own.id() {
                                    continue;
                                }
                                if scope::contains(lp, decl) {
                                    return Some(Varies::Iteration);
                                }
                                let uses = local_uses(name, decl, scope, src);
                                if !outer_writes_ok
                                    && uses.other_writes.iter().any(|w| scope::contains(lp, *w))
                                {
                                    return Some(Varies::Iteration);
                                }
                            }
                            Binding::Param { func, decl, .. } => {
                                if scope::contains(lp, func) {
                                    return Some(Varies::Iteration);
                                }
                                let uses = local_uses(name, decl, func, src);
                                if !outer_writes_ok
                                    && uses.other_writes.iter().any(|w| scope::contains(lp, *w))
                                {
                                    return Some(Varies::Iteration);
                                }
                            }
                            Binding::Package => {}
                        }
                    }
                    "call_expression" if x.id() != nodes[0].id() => {
                        if let Some(f) = x.child_by_field_name("function")
                            && f.kind() == "selector_expression"
                            && let (Some(o), Some(field)) = (
                                f.child_by_field_name("operand"),
                                f.child_by_field_name("field"),
                            )
                            && o.kind() == "identifier"
                            && matches!(bind(o, src), Binding::Package)
                            && let Some(path) = self
                                .file_of(x)
                                .and_then(|f| f.imports.resolve(text(o, src)))
                            && (matches!(
                                (path, text(field, src)),
                                ("time", "Now" | "Since" | "Until")
                            ) || path.contains("rand")
                                || path.contains("uuid"))
                        {
                            return Some(Varies::Unknown(format!("`{}`", text(f, src))));
                        }
                    }
                    "unary_expression" if text(x, src).starts_with("<-") => {
                        return Some(Varies::Iteration);
                    }
                    _ => {}
                }
                let mut c = x.walk();
                stack.extend(x.named_children(&mut c));
            }
        }
        None
    }

    fn file_of(&self, n: Node<'a>) -> Option<&'a GoFile> {
        let root = {
            let mut cur = n;
            while let Some(p) = cur.parent() {
                cur = p;
            }
            cur
        };
        self.pkg
            .files
            .iter()
            .find(|f| f.root().id() == root.id())
            .map(|f| &**f)
    }

    /// Builds the accessors and the fixes of the accessor sites. Returns,
    /// per site index, its fix or why there is none.
    fn assemble(
        &self,
        sites: &[Site<'a>],
        outcomes: &[Outcome<'a>],
    ) -> HashMap<usize, Result<Fix, String>> {
        let mut result: HashMap<usize, Result<Fix, String>> = HashMap::new();
        let accessor_sites: Vec<usize> = (0..sites.len())
            .filter(|i| matches!(outcomes[*i], Outcome::Accessor(_)))
            .collect();
        if accessor_sites.is_empty() {
            return result;
        }
        let acc = |i: usize| acc_of(outcomes, i);
        let existing = self.existing_accessors();
        let mut taken = self.words();
        // Keys in the order of their first site.
        let mut accessors: BTreeMap<String, Accessor> = BTreeMap::new();
        let mut key_order: Vec<String> = Vec::new();
        let is_test = |i: usize| {
            self.file(sites[i].fi)
                .parsed
                .path
                .to_string_lossy()
                .ends_with("_test.go")
        };
        for &i in &accessor_sites {
            let key = &acc(i).key;
            if let Some(a) = accessors.get_mut(key) {
                // The accessor goes with non-test code when any uses it.
                if a.first.is_some_and(|f| is_test(f) && !is_test(i)) {
                    a.first = Some(i);
                }
                continue;
            }
            key_order.push(key.clone());
            let a = match existing.get(key) {
                Some(name) => Accessor {
                    name: name.clone(),
                    first: None,
                },
                None => Accessor {
                    name: String::new(),
                    first: Some(i),
                },
            };
            accessors.insert(key.clone(), a);
        }
        // Names for the new ones.
        for key in &key_order {
            let a = accessors.get_mut(key).unwrap();
            let Some(first) = a.first else { continue };
            let s = &sites[first];
            let file = self.file(s.fi);
            let Some(base) = s.ty.as_ref().and_then(|t| accessor_base_name(t, file)) else {
                continue;
            };
            let mut name = base.clone();
            let mut n = 2;
            while taken.contains(&name) || taken.contains(&format!("{name}Cache")) {
                name = format!("{base}{n}");
                n += 1;
            }
            taken.insert(name.clone());
            taken.insert(format!("{name}Cache"));
            a.name = name;
        }

        // Render the new accessors, per file, in the order of their first site.
        let mut rendered: HashMap<String, (usize, Node<'a>, Rendered)> = HashMap::new();
        let mut failed_keys: HashMap<String, String> = HashMap::new();
        for key in &key_order {
            let a = &accessors[key];
            let Some(first) = a.first else { continue };
            if a.name.is_empty() {
                failed_keys.insert(
                    key.clone(),
                    "leakfix does not know the type of the client, which the shared accessor must name".into(),
                );
                continue;
            }
            let s = &sites[first];
            match self.render_accessor(s, acc(first), &a.name) {
                Ok(r) => {
                    rendered.insert(key.clone(), (s.fi, top_level(s.call), r));
                }
                Err(note) => {
                    failed_keys.insert(key.clone(), note);
                }
            }
        }
        for &i in &accessor_sites {
            if let Some(note) = failed_keys.get(&acc(i).key) {
                result.insert(i, Err(note.clone()));
            }
        }
        // Fixes, until no new accessor is written that no fix uses.
        let mut dead: HashSet<String> = HashSet::new();
        loop {
            let (blocks, block_edits, block_imports) = self.blocks(&key_order, &rendered, &dead);
            let mut fixes: HashMap<usize, Result<Fix, String>> = HashMap::new();
            // One fix per file of sites: its call replacements, releases, and
            // the locals and imports they leave unused, plus every new accessor.
            let mut by_file: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
            for &i in &accessor_sites {
                let key = &acc(i).key;
                if failed_keys.contains_key(key) {
                    continue;
                }
                if dead.contains(key) {
                    fixes.insert(i, Err("leakfix could not rewrite the code around the other constructions of this client".into()));
                    continue;
                }
                by_file.entry(sites[i].fi).or_default().push(i);
            }
            for (fi, mut group) in by_file {
                loop {
                    match self.group_fix(
                        fi,
                        &group,
                        sites,
                        outcomes,
                        &accessors,
                        &blocks,
                        &block_edits,
                        &block_imports,
                    ) {
                        Ok(fs) => {
                            for (i, f) in group.iter().zip(fs) {
                                fixes.insert(*i, Ok(f));
                            }
                            break;
                        }
                        Err((culprit, note)) => {
                            // Leave the site out and try the others again.
                            let out = culprit.unwrap_or(group[0]);
                            fixes.insert(out, Err(note.clone()));
                            group.retain(|i| *i != out);
                            if culprit.is_none() {
                                for i in group.drain(..) {
                                    fixes.insert(i, Err(note.clone()));
                                }
                            }
                            if group.is_empty() {
                                break;
                            }
                        }
                    }
                }
            }
            // A new accessor none of whose sites got a fix is not written.
            let unused: Vec<String> = rendered
                .keys()
                .filter(|k| !dead.contains(*k))
                .filter(|k| {
                    !accessor_sites
                        .iter()
                        .any(|i| acc(*i).key == **k && matches!(fixes.get(i), Some(Ok(_))))
                })
                .cloned()
                .collect();
            if unused.is_empty() {
                result.extend(fixes);
                return result;
            }
            dead.extend(unused);
        }
    }

    /// The accessor blocks (per file, after the declaration holding the
    /// first site), their insertion edits, and the imports each file needs.
    #[allow(clippy::type_complexity)]
    fn blocks(
        &self,
        key_order: &[String],
        rendered: &HashMap<String, (usize, Node<'a>, Rendered)>,
        dead: &HashSet<String>,
    ) -> (
        BTreeMap<usize, Block<'a>>,
        Vec<Edit>,
        HashMap<usize, Vec<(String, String)>>,
    ) {
        let mut blocks: BTreeMap<usize, Block<'a>> = BTreeMap::new();
        for key in key_order {
            if dead.contains(key) {
                continue;
            }
            let Some((fi, anchor, r)) = rendered.get(key) else {
                continue;
            };
            let b = blocks.entry(*fi).or_insert_with(|| Block {
                anchor: *anchor,
                text: String::new(),
                imports: Vec::new(),
                qualifiers: HashSet::new(),
            });
            b.text.push_str(&r.text);
            for imp in &r.imports {
                if !b.imports.contains(imp) {
                    b.imports.push(imp.clone());
                }
            }
            b.qualifiers.extend(r.qualifiers.iter().cloned());
        }
        let mut block_edits: Vec<Edit> = Vec::new();
        let mut block_imports: HashMap<usize, Vec<(String, String)>> = HashMap::new();
        for (&fi, b) in &blocks {
            let file = self.file(fi);
            let source = &file.parsed.source;
            let src = file.text();
            let nl = source.newline();
            let end = b.anchor.end_byte();
            let (at, mut text) = match source.next_line_start(end) {
                Some(at) => (at, b.text.clone()),
                None => (src.len(), format!("{nl}{}", b.text)),
            };
            if at < src.len() && !source.line_text(source.line_index(at)).trim().is_empty() {
                text.push_str(nl);
            }
            block_edits.push(Edit::insertion(file.parsed.path.clone(), at, text));
            block_imports.insert(fi, b.imports.clone());
        }
        (blocks, block_edits, block_imports)
    }

    /// The fix for the sites of one file (the same edits for each; titles differ).
    #[allow(clippy::too_many_arguments)]
    fn group_fix(
        &self,
        fi: usize,
        group: &[usize],
        sites: &[Site<'a>],
        outcomes: &[Outcome<'a>],
        accessors: &BTreeMap<String, Accessor>,
        blocks: &BTreeMap<usize, Block<'a>>,
        block_edits: &[Edit],
        block_imports: &HashMap<usize, Vec<(String, String)>>,
    ) -> Result<Vec<Fix>, (Option<usize>, String)> {
        let acc = |i: usize| acc_of(outcomes, i);
        let file = self.file(fi);
        let source = &file.parsed.source;
        let path = file.parsed.path.clone();
        let mut edits: Vec<Edit> = Vec::new();
        let mut removed: Vec<Range<usize>> = Vec::new();
        let mut deleted: Vec<Range<usize>> = Vec::new();
        let mut own: Vec<(usize, Vec<Range<usize>>)> = Vec::new();
        for &i in group {
            let s = &sites[i];
            let a = acc(i);
            let name = &accessors[&a.key].name;
            edits.push(Edit::replacement(
                path.clone(),
                s.call.byte_range(),
                format!("{name}()"),
            ));
            removed.push(s.call.byte_range());
            own.push((i, vec![s.call.byte_range()]));
            for st in &a.releases {
                let Some(l) = full_lines(source, st.byte_range()) else {
                    return Err((
                        Some(i),
                        "a release of the client shares its line with other code".into(),
                    ));
                };
                let l = with_comments_above(source, l);
                removed.push(l.clone());
                own.last_mut().unwrap().1.push(l.clone());
                deleted.push(l);
            }
        }
        // Locals left without readers go, and so do their definitions' readers, in turn.
        let keep: HashSet<String> = blocks
            .get(&fi)
            .map(|b| b.qualifiers.clone())
            .unwrap_or_default();
        let (more, gone_imports) = match self.cleanup(file, &mut removed) {
            Ok(x) => x,
            Err((at, note)) => {
                // The site whose own edits took the local's last read.
                let culprit = own
                    .iter()
                    .find(|(_, rs)| at.iter().any(|a| rs.iter().any(|r| r.contains(a))))
                    .map(|(i, _)| *i);
                return Err((culprit, note));
            }
        };
        deleted.extend(more);
        let gone_imports: Vec<String> = gone_imports
            .into_iter()
            .filter(|(name, _)| !keep.contains(name))
            .map(|(_, p)| p)
            .collect();
        // Deletions, merged again once each has taken its blank line.
        let widened: Vec<Range<usize>> = merge_ranges(deleted)
            .into_iter()
            .map(|r| delete_lines(&path, source, r).range())
            .collect();
        for r in merge_ranges(widened) {
            edits.push(Edit::deletion(path.clone(), r));
        }
        // Imports: this file's, and those of the files that receive accessors.
        let mut files: Vec<usize> = blocks.keys().copied().collect();
        if !files.contains(&fi) {
            files.push(fi);
        }
        for f in files {
            let gf = self.file(f);
            let add: Vec<(&str, &str)> = block_imports
                .get(&f)
                .map(|v| v.iter().map(|(p, n)| (p.as_str(), n.as_str())).collect())
                .unwrap_or_default();
            let remove: Vec<&str> = if f == fi {
                gone_imports.iter().map(String::as_str).collect()
            } else {
                Vec::new()
            };
            if add.is_empty() && remove.is_empty() {
                continue;
            }
            let Some((ie, _)) = import_edits(&gf.parsed.path, &gf.parsed.source, &add, &remove)
            else {
                return Err((
                    None,
                    "the imports the accessor needs clash with this file's".into(),
                ));
            };
            edits.extend(ie);
        }
        edits.extend(block_edits.iter().cloned());
        if overlapping(&edits) {
            return Err((
                None,
                "the edits would overlap; the code is laid out in a way leakfix does not edit"
                    .into(),
            ));
        }
        Ok(group
            .iter()
            .map(|&i| {
                let s = &sites[i];
                let a = acc(i);
                let name = &accessors[&a.key].name;
                let title = format!(
                    "build `{}` once in the shared accessor `{name}()` and reuse it across requests",
                    s.callee
                );
                Fix::unsafe_(title, edits.clone())
            })
            .collect())
    }

    /// Deletes what removing `removed` leaves unused: locals (their
    /// declarations) and imports. Grows `removed` with what it deletes.
    /// Returns the deleted line ranges and the (name, path) of imports to
    /// drop, or the reads of a local that cannot go, and why.
    #[allow(clippy::type_complexity)]
    fn cleanup(
        &self,
        file: &'a GoFile,
        removed: &mut Vec<Range<usize>>,
    ) -> Result<(Vec<Range<usize>>, Vec<(String, String)>), (Vec<usize>, String)> {
        let src = file.text();
        let source = &file.parsed.source;
        let mut deleted = Vec::new();
        let mut done: HashSet<usize> = HashSet::new();
        loop {
            let mut changed = false;
            let idents = idents_in(file.root(), removed);
            for id in idents {
                let name = text(id, src);
                let Binding::Local { decl, scope } = bind(id, src) else {
                    continue;
                };
                if done.contains(&decl.id()) || name == "_" || inside(removed, decl.byte_range()) {
                    continue; // or declared in what is removed, and removed with it
                }
                let uses = local_uses(name, decl, scope, src);
                if uses.reads.iter().any(|r| !inside(removed, r.byte_range())) {
                    continue;
                }
                // Unused from now on: its declaration must go.
                done.insert(decl.id());
                let at: Vec<usize> = uses.reads.iter().map(|r| r.start_byte()).collect();
                let ranges = self.deletable_decl(file, decl, name).ok_or((
                    at.clone(),
                    format!(
                        "`{name}` would be left unused, and leakfix cannot remove its declaration"
                    ),
                ))?;
                if !uses.other_writes.is_empty() {
                    return Err((
                        at,
                        format!("`{name}` would be left unused, and it is assigned elsewhere"),
                    ));
                }
                for r in ranges {
                    let Some(l) = full_lines(source, r) else {
                        return Err((at, format!("`{name}`'s declaration shares its line")));
                    };
                    let l = with_comments_above(source, l);
                    removed.push(l.clone());
                    deleted.push(l);
                }
                changed = true;
            }
            if !changed {
                break;
            }
        }
        // Imports whose every use went.
        let mut gone = Vec::new();
        for (name, path) in import_names(file) {
            let uses = qualifier_uses(file, &name);
            let inside_n = uses
                .iter()
                .filter(|u| inside(removed, u.byte_range()))
                .count();
            if inside_n > 0 && inside_n == uses.len() {
                gone.push((name, path));
            }
        }
        Ok((deleted, gone))
    }

    /// The ranges to delete so that local `name` (declared by `decl`) goes:
    /// `x := <plain expr>`, `var x = <plain expr>`, or `x, cancel :=
    /// context.WithTimeout(...)` with `cancel` only deferred.
    fn deletable_decl(
        &self,
        file: &'a GoFile,
        decl: Node<'a>,
        name: &str,
    ) -> Option<Vec<Range<usize>>> {
        let src = file.text();
        if decl.parent().is_none_or(|p| p.kind() != "statement_list") {
            return None;
        }
        match decl.kind() {
            "short_var_declaration" => {
                let left = decl.child_by_field_name("left")?;
                let right = decl.child_by_field_name("right")?;
                let names: Vec<Node> = {
                    let mut c = left.walk();
                    left.named_children(&mut c).collect()
                };
                let values: Vec<Node> = {
                    let mut c = right.walk();
                    right.named_children(&mut c).collect()
                };
                if names.len() == 1 && values.len() == 1 {
                    return droppable(values[0], self.pkg, file, src, 0)
                        .then(|| vec![decl.byte_range()]);
                }
                // ctx, cancel := context.WithTimeout(parent, d)
                if names.len() == 2 && values.len() == 1 && text(names[0], src) == name {
                    let v = values[0];
                    let f = v.child_by_field_name("function")?;
                    let ft = text(f, src);
                    let ok_call = v.kind() == "call_expression"
                        && ft.starts_with("context.With")
                        && file.imports.resolve("context") == Some("context")
                        && call_args(v)
                            .iter()
                            .all(|a| droppable(*a, self.pkg, file, src, 0));
                    if !ok_call {
                        return None;
                    }
                    let cancel = text(names[1], src);
                    let mut ranges = vec![decl.byte_range()];
                    if cancel != "_" {
                        let Binding::Local { decl: d2, scope } = bind(names[1], src) else {
                            return None;
                        };
                        let uses = local_uses(cancel, d2, scope, src);
                        if !uses.other_writes.is_empty() {
                            return None;
                        }
                        for r in uses.reads {
                            // Only `defer cancel()` or `cancel()`.
                            let call = r.parent().filter(|c| {
                                c.kind() == "call_expression"
                                    && c.child_by_field_name("arguments")
                                        .is_some_and(|a| a.named_child_count() == 0)
                            })?;
                            let st = call.parent().filter(|p| {
                                matches!(p.kind(), "defer_statement" | "expression_statement")
                            })?;
                            ranges.push(st.byte_range());
                        }
                    }
                    return Some(ranges);
                }
                None
            }
            "var_declaration" => {
                let spec = {
                    let mut c = decl.walk();
                    let specs: Vec<Node> = decl.named_children(&mut c).collect();
                    if specs.len() != 1 || specs[0].kind() != "var_spec" {
                        return None;
                    }
                    specs[0]
                };
                let mut c = spec.walk();
                if spec.children_by_field_name("name", &mut c).count() != 1 {
                    return None;
                }
                match definition(decl, name, src) {
                    Some(v) => {
                        droppable(v, self.pkg, file, src, 0).then(|| vec![decl.byte_range()])
                    }
                    None => spec
                        .child_by_field_name("value")
                        .is_none()
                        .then(|| vec![decl.byte_range()]),
                }
            }
            _ => None,
        }
    }

    /// Accessors an earlier run wrote: top-level `func name() ...` whose body
    /// uses `nameCache` and builds one shareable client. Key -> name.
    fn existing_accessors(&self) -> HashMap<String, String> {
        let mut out = HashMap::new();
        for &fi in &self.order {
            let file = self.file(fi);
            let src = file.text();
            let root = file.root();
            let mut c = root.walk();
            for decl in root.named_children(&mut c) {
                if decl.kind() != "function_declaration" {
                    continue;
                }
                let (Some(name), Some(params), Some(body)) = (
                    decl.child_by_field_name("name"),
                    decl.child_by_field_name("parameters"),
                    decl.child_by_field_name("body"),
                ) else {
                    continue;
                };
                let name = text(name, src);
                if params.named_child_count() != 0
                    || !text(body, src).contains(&format!("{name}Cache."))
                {
                    continue;
                }
                let env = TypeEnv::for_function(self.pkg, file, self.cx.go_catalog, decl);
                let mut stack = vec![body];
                let mut calls = Vec::new();
                while let Some(n) = stack.pop() {
                    if n.kind() == "call_expression" && self.shareable_callee(n, &env).is_some() {
                        calls.push(n);
                    }
                    let mut c = n.walk();
                    stack.extend(n.named_children(&mut c));
                }
                if let [call] = calls.as_slice() {
                    let deps = Deps::new(self.pkg, fi, decl);
                    let args = call_args(*call);
                    let ctx = args.first().copied().filter(|a| {
                        is_context_expr(*a, file, src, 0) && is_background(*a, file, src)
                    });
                    for a in &args {
                        let _ = deps.origin(*a);
                    }
                    let key = self.key(fi, *call, ctx, &deps.inlined());
                    out.entry(key).or_insert_with(|| name.to_string());
                }
            }
        }
        out
    }

    /// Every word in the package's Go files (parsed or not): names to avoid.
    fn words(&self) -> HashSet<String> {
        let mut texts: Vec<String> = self
            .pkg
            .files
            .iter()
            .map(|f| f.text().to_string())
            .collect();
        let parsed: HashSet<&Path> = self.pkg.files.iter().map(|f| &*f.parsed.path).collect();
        // The folder's other files (tests, other platforms) are read too.
        crate::analysis::inputs::record_go_files_in(&self.pkg.dir);
        if let Ok(rd) = std::fs::read_dir(&self.pkg.dir) {
            for e in rd.flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "go")
                    && !parsed.iter().any(|q| same_file(q, &p))
                    && let Ok(t) = std::fs::read_to_string(&p)
                {
                    texts.push(t);
                }
            }
        }
        let mut out = HashSet::new();
        for t in &texts {
            for w in t.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
                if !w.is_empty() {
                    out.insert(w.to_string());
                }
            }
        }
        out
    }

    /// The text of a new accessor for site `s`, written in its file.
    fn render_accessor(
        &self,
        s: &Site<'a>,
        a: &AccessorSite<'a>,
        name: &str,
    ) -> Result<Rendered, String> {
        let file = self.file(s.fi);
        let src = file.text();
        let source = &file.parsed.source;
        let nl = source.newline();
        let ty =
            s.ty.as_ref()
                .ok_or("leakfix does not know the client's type")?;
        let pointer = !INTERFACE_TYPES.contains(&ty.to_string().as_str());
        let ty_pkg = file
            .imports
            .name_of(&ty.package)
            .map(str::to_string)
            .filter(|n| qualifier_usable(file, n))
            .ok_or_else(|| {
                format!(
                    "the accessor must name `{}`, whose package this file does not import",
                    ty
                )
            })?;
        let mut imports: Vec<(String, String)> = Vec::new();
        let mut qualifiers: HashSet<String> = HashSet::new();
        qualifiers.insert(ty_pkg.clone());
        let want = |path: &str,
                    default: &str,
                    imports: &mut Vec<(String, String)>|
         -> Result<String, String> {
            let n = file
                .imports
                .name_of(path)
                .map(str::to_string)
                .unwrap_or_else(|| default.to_string());
            if self.top_level_names().contains(&n) {
                return Err(format!(
                    "the name `{n}` is taken in this package, so `{path}` cannot be imported"
                ));
            }
            imports.push((path.to_string(), n.clone()));
            Ok(n)
        };
        let sync = want("sync", "sync", &mut imports)?;
        qualifiers.insert(sync.clone());
        let go_ok = self.pkg.module.as_ref().is_some_and(|m| m.at_least(1, 19));
        let atomic = if pointer && go_ok {
            let n = file
                .imports
                .name_of("sync/atomic")
                .unwrap_or("atomic")
                .to_string();
            let clash = file.imports.resolve(&n).is_some_and(|p| p != "sync/atomic")
                || self.top_level_names().contains(&n);
            if clash {
                None
            } else {
                imports.push(("sync/atomic".into(), n.clone()));
                qualifiers.insert(n.clone());
                Some(n)
            }
        } else {
            None
        };
        let ctx_name = if a.ctx_arg.is_some() {
            let n = want("context", "context", &mut imports)?;
            qualifiers.insert(n.clone());
            Some(n)
        } else {
            None
        };
        // The constructor call, with the request's context replaced, names
        // written out and package names translated.
        let defs = inline_map(&a.inlined);
        let ctx_text = ctx_name.as_ref().map(|n| format!("{n}.Background()"));
        let call_text = self.render_for(
            s.fi,
            s.fi,
            s.call,
            &Env {
                ctx: a.ctx_arg,
                ctx_text: &ctx_text,
                defs: &defs,
            },
            &mut imports,
            &mut qualifiers,
            0,
        )?;
        if call_text.contains('\n') && has_multiline_raw_string(s.call, src) {
            return Err("the constructor's arguments hold a multi-line raw string".into());
        }
        let from = source.indent_at(s.stmt.start_byte());
        let call_text = reindent(&call_text, from, "\t").ok_or(
            "the constructor's arguments are laid out in a way leakfix does not re-indent",
        )?;
        let star = if pointer { "*" } else { "" };
        let t = format!("{star}{ty_pkg}.{}", ty.name);
        let inner_t = format!("{ty_pkg}.{}", ty.name);
        let errors = s.resource.error;
        let (ret_t, ok, fail) = if errors {
            (format!("({t}, error)"), ", nil", "nil, err")
        } else {
            (t.clone(), "", "")
        };
        let ctor = &s.callee;
        let cache = format!("{name}Cache");
        let mut o = String::new();
        o.push_str(nl);
        let noun = s.resource.kind.noun();
        for line in wrap(&format!("{cache} holds the {noun} that {name} shares."), 74) {
            o.push_str(&format!("// {line}{nl}"));
        }
        o.push_str(&format!("var {cache} struct {{{nl}"));
        o.push_str(&format!("\tmu     {sync}.Mutex{nl}"));
        match &atomic {
            Some(at) => o.push_str(&format!("\tclient {at}.Pointer[{inner_t}]{nl}")),
            None => o.push_str(&format!("\tclient {t}{nl}")),
        }
        o.push_str(&format!("}}{nl}{nl}"));
        for line in wrap(
            &format!(
                "{name} returns the {noun} built by {ctor}, building it on first use and sharing it afterwards. It is safe for concurrent use; callers must not close it.{}",
                if errors {
                    " A failed build is not kept: the next call tries again."
                } else {
                    ""
                }
            ),
            74,
        ) {
            o.push_str(&format!("// {line}{nl}"));
        }
        o.push_str(&format!("func {name}() {ret_t} {{{nl}"));
        match &atomic {
            Some(_) => {
                o.push_str(&format!(
                    "\tif c := {cache}.client.Load(); c != nil {{{nl}\t\treturn c{ok}{nl}\t}}{nl}"
                ));
                o.push_str(&format!(
                    "\t{cache}.mu.Lock(){nl}\tdefer {cache}.mu.Unlock(){nl}"
                ));
                o.push_str(&format!(
                    "\tif c := {cache}.client.Load(); c != nil {{{nl}\t\treturn c{ok}{nl}\t}}{nl}"
                ));
            }
            None => {
                o.push_str(&format!(
                    "\t{cache}.mu.Lock(){nl}\tdefer {cache}.mu.Unlock(){nl}"
                ));
                o.push_str(&format!(
                    "\tif {cache}.client != nil {{{nl}\t\treturn {cache}.client{ok}{nl}\t}}{nl}"
                ));
            }
        }
        if errors {
            o.push_str(&format!("\tc, err := {call_text}{nl}"));
            o.push_str(&format!(
                "\tif err != nil {{{nl}\t\treturn {fail}{nl}\t}}{nl}"
            ));
        } else {
            o.push_str(&format!("\tc := {call_text}{nl}"));
        }
        match &atomic {
            Some(_) => o.push_str(&format!("\t{cache}.client.Store(c){nl}")),
            None => o.push_str(&format!("\t{cache}.client = c{nl}")),
        }
        o.push_str(&format!("\treturn c{ok}{nl}}}{nl}"));
        Ok(Rendered {
            text: o,
            imports,
            qualifiers,
        })
    }

    /// Names declared at the top level of the package's files.
    fn top_level_names(&self) -> &HashSet<String> {
        self.top_names
            .get_or_init(|| self.collect_top_level_names())
    }

    fn collect_top_level_names(&self) -> HashSet<String> {
        let mut out = HashSet::new();
        for file in &self.pkg.files {
            let src = file.text();
            let root = file.root();
            let mut c = root.walk();
            for decl in root.named_children(&mut c) {
                if let Some(n) = decl.child_by_field_name("name") {
                    out.insert(text(n, src).to_string());
                }
                let mut stack = vec![decl];
                while let Some(n) = stack.pop() {
                    if is_function(n) {
                        continue;
                    }
                    if matches!(
                        n.kind(),
                        "var_spec" | "const_spec" | "type_spec" | "type_alias"
                    ) {
                        let mut c = n.walk();
                        for name in n.children_by_field_name("name", &mut c) {
                            out.insert(text(name, src).to_string());
                        }
                    }
                    let mut c = n.walk();
                    stack.extend(n.named_children(&mut c));
                }
            }
        }
        out
    }
}

fn acc_of<'o, 'a>(outcomes: &'o [Outcome<'a>], i: usize) -> &'o AccessorSite<'a> {
    match &outcomes[i] {
        Outcome::Accessor(a) => a,
        _ => unreachable!("accessor site"),
    }
}

/// What `render_for` substitutes.
struct Env<'e, 'a> {
    ctx: Option<Node<'a>>,
    ctx_text: &'e Option<String>,
    defs: &'e HashMap<(usize, usize), Inline<'a>>,
}

/// Inlines by (file, node id) of the name they replace.
fn inline_map<'a>(inlined: &[Inline<'a>]) -> HashMap<(usize, usize), Inline<'a>> {
    let mut m = HashMap::new();
    for i in inlined {
        m.insert((i.at_file, i.at.id()), *i);
    }
    m
}

/// Is `path` imported without a name of its own in `file`?
fn import_is_unaliased(file: &GoFile, path: &str) -> bool {
    let src = file.text();
    let mut stack = vec![file.root()];
    while let Some(n) = stack.pop() {
        if n.kind() == "import_spec" {
            if n.child_by_field_name("path")
                .is_some_and(|p| crate::lang::go::unquote(text(p, src)) == path)
            {
                return n.child_by_field_name("name").is_none();
            }
            continue;
        }
        if matches!(
            n.kind(),
            "source_file" | "import_declaration" | "import_spec_list"
        ) {
            let mut c = n.walk();
            stack.extend(n.named_children(&mut c));
        }
    }
    false
}

/// The accessors one file receives.
struct Block<'a> {
    /// The top-level declaration they follow.
    anchor: Node<'a>,
    text: String,
    imports: Vec<(String, String)>,
    /// Package names the text uses.
    qualifiers: HashSet<String>,
}

struct Rendered {
    text: String,
    imports: Vec<(String, String)>,
    qualifiers: HashSet<String>,
}

struct Usage<'a> {
    releases: Vec<Node<'a>>,
    reads: usize,
    in_goroutine: bool,
}

enum UseProblem {
    /// Returned, stored, sent: someone else manages its lifetime.
    Managed,
    Note(String),
}

enum Varies {
    Iteration,
    Unknown(String),
}

fn unknown_note(why: &str) -> String {
    format!("it depends on {why}; leakfix cannot tell that it is the same for every request")
}

fn join(a: Origin, b: Origin) -> Origin {
    match (a, b) {
        (r @ Origin::Request(_), _) | (_, r @ Origin::Request(_)) => r,
        (u @ Origin::Unknown(_), _) | (_, u @ Origin::Unknown(_)) => u,
        _ => Origin::Process,
    }
}

fn call_args(call: Node) -> Vec<Node> {
    call.child_by_field_name("arguments")
        .map(|a| {
            let mut c = a.walk();
            a.named_children(&mut c)
                .filter(|n| n.kind() != "comment")
                .collect()
        })
        .unwrap_or_default()
}

/// `context.Background()` / `context.TODO()`.
fn is_background(n: Node, file: &GoFile, src: &str) -> bool {
    // A local bound once to one: `ctx := context.Background()`.
    if n.kind() == "identifier"
        && let Binding::Local { decl, scope } = bind(n, src)
        && let Some(def) = definition(decl, text(n, src), src)
        && local_uses(text(n, src), decl, scope, src)
            .other_writes
            .is_empty()
    {
        return is_background(def, file, src);
    }
    if n.kind() != "call_expression" {
        return false;
    }
    let Some(f) = n.child_by_field_name("function") else {
        return false;
    };
    let Some(o) = f.child_by_field_name("operand") else {
        return false;
    };
    let field = f
        .child_by_field_name("field")
        .map(|x| text(x, src))
        .unwrap_or("");
    file.imports.resolve(text(o, src)) == Some("context") && matches!(field, "Background" | "TODO")
}

/// The import path of a package qualifier node (`firestore` in
/// `firestore.NewClient`, `redis` in `redis.Options{}`).
fn qualifier_path<'f>(n: Node, file: &'f GoFile, src: &str) -> Option<&'f str> {
    let parent = n.parent()?;
    match n.kind() {
        "identifier"
            if parent.kind() == "selector_expression"
                && parent
                    .child_by_field_name("operand")
                    .is_some_and(|o| o.id() == n.id())
                && matches!(bind(n, src), Binding::Package) =>
        {
            file.imports.resolve(text(n, src))
        }
        "package_identifier" if parent.kind() == "qualified_type" => {
            file.imports.resolve(text(n, src))
        }
        _ => None,
    }
}

/// Can `name` be used as a package qualifier at the top level of the file?
fn qualifier_usable(file: &GoFile, name: &str) -> bool {
    file.imports.resolve(name).is_some()
}

/// Every use of import `name` as a qualifier in the file.
fn qualifier_uses<'f>(file: &'f GoFile, name: &str) -> Vec<Node<'f>> {
    let src = file.text();
    let mut out = Vec::new();
    let mut stack = vec![file.root()];
    while let Some(n) = stack.pop() {
        if matches!(n.kind(), "identifier" | "package_identifier")
            && text(n, src) == name
            && qualifier_path(n, file, src).is_some()
        {
            out.push(n);
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    out
}

/// (local name, path) of the file's named imports (not `_` or `.`).
fn import_names(file: &GoFile) -> Vec<(String, String)> {
    let src = file.text();
    let mut out = Vec::new();
    let mut stack = vec![file.root()];
    while let Some(n) = stack.pop() {
        if n.kind() == "import_spec" {
            let Some(p) = n.child_by_field_name("path") else {
                continue;
            };
            let path = crate::lang::go::unquote(text(p, src)).to_string();
            match n.child_by_field_name("name") {
                Some(x) if x.kind() == "package_identifier" => {
                    out.push((text(x, src).to_string(), path))
                }
                Some(_) => {}
                None => {
                    // The name the file uses for it.
                    if let Some(name) = file.imports.name_of(&path) {
                        out.push((name.to_string(), path));
                    }
                }
            }
            continue;
        }
        if matches!(
            n.kind(),
            "source_file" | "import_declaration" | "import_spec_list"
        ) {
            let mut c = n.walk();
            stack.extend(n.named_children(&mut c));
        }
    }
    out
}

/// The statement that releases (`defer x.Close()`, `x.Close()`, `_ =
/// x.Close()`, `if err := x.Close(); err != nil {...}`, `defer func() {
/// x.Close() }()`, `if x != nil { x.Close() }`), when it can be deleted whole.
fn removable_statement<'t>(call: Node<'t>, var: &str, src: &str) -> Option<Node<'t>> {
    let parent = call.parent()?;
    let mut st = match parent.kind() {
        "expression_statement" | "defer_statement" => parent,
        "expression_list" => {
            let owner = parent.parent()?;
            match owner.kind() {
                "assignment_statement"
                    if owner
                        .child_by_field_name("left")
                        .is_some_and(|l| text(l, src).trim() == "_") =>
                {
                    owner
                }
                "short_var_declaration" => {
                    // if err := x.Close(); err != nil { ... }
                    let ifs = owner.parent().filter(|p| p.kind() == "if_statement")?;
                    if ifs
                        .child_by_field_name("initializer")
                        .is_none_or(|i| i.id() != owner.id())
                        || ifs.child_by_field_name("alternative").is_some()
                    {
                        return None;
                    }
                    ifs
                }
                _ => return None,
            }
        }
        _ => return None,
    };
    // Lift out of a wrapper that holds nothing else.
    loop {
        let list = st.parent()?;
        if list.kind() != "statement_list" || block_statements(list).len() != 1 {
            break;
        }
        let block = list.parent()?;
        let holder = block.parent()?;
        match holder.kind() {
            // defer func() { x.Close() }()
            "func_literal" => {
                let call = holder.parent().filter(|c| c.kind() == "call_expression")?;
                let d = call.parent().filter(|d| d.kind() == "defer_statement")?;
                st = d;
            }
            // if x != nil { x.Close() }
            "if_statement"
                if holder.child_by_field_name("alternative").is_none()
                    && holder.child_by_field_name("initializer").is_none()
                    && holder
                        .child_by_field_name("condition")
                        .is_some_and(|c| text(c, src).contains(var)) =>
            {
                st = holder;
            }
            _ => break,
        }
    }
    (st.parent()?.kind() == "statement_list").then_some(st)
}

/// Is `r` inside a func literal that may run after the function that
/// built the value (a goroutine, a callback kept for later)?
fn in_func_literal_that_may_outlive(r: Node, func: Node, src: &str) -> bool {
    let mut cur = r;
    while let Some(p) = cur.parent() {
        if p.id() == func.id() {
            return false;
        }
        if p.kind() == "go_statement" {
            return true;
        }
        if p.kind() == "func_literal" {
            let parent = p.parent();
            let called_now = parent.is_some_and(|c| {
                c.kind() == "call_expression"
                    && c.child_by_field_name("function")
                        .is_some_and(|f| f.id() == p.id())
                    && c.parent().is_none_or(|g| g.kind() != "go_statement")
            });
            if !called_now {
                // Passed to something: a synchronous callback or not, we cannot tell cheaply.
                let passed = parent.is_some_and(|a| a.kind() == "argument_list");
                if !passed {
                    return true;
                }
                let call = parent.and_then(|a| a.parent());
                let name = call
                    .and_then(|c| c.child_by_field_name("function"))
                    .map(|f| text(f, src))
                    .unwrap_or("");
                if !(name.ends_with("RunTransaction")
                    || name.ends_with("Receive")
                    || name.starts_with("sort.")
                    || name.ends_with(".Walk")
                    || name.ends_with("WalkDir"))
                {
                    return true;
                }
            }
        }
        cur = p;
    }
    false
}

/// The next statement after `stmt`, skipping comments.
fn following(stmt: Node) -> Option<Node> {
    let mut cur = stmt.next_named_sibling();
    while let Some(n) = cur {
        if n.kind() != "comment" {
            return Some(n);
        }
        cur = n.next_named_sibling();
    }
    None
}

/// `continue`, `break` or `goto` that leaves `block` (not caught by a loop,
/// switch or select inside it).
fn has_loop_jump(block: Node) -> bool {
    fn walk(n: Node, in_loop: bool, in_breakable: bool) -> bool {
        match n.kind() {
            "func_literal" => return false,
            "goto_statement" => return true,
            "break_statement" => return n.named_child(0).is_some() || !in_breakable,
            "continue_statement" => return n.named_child(0).is_some() || !in_loop,
            _ => {}
        }
        let (l, b) = match n.kind() {
            "for_statement" => (true, true),
            "expression_switch_statement" | "type_switch_statement" | "select_statement" => {
                (in_loop, true)
            }
            _ => (in_loop, in_breakable),
        };
        let mut c = n.walk();
        n.named_children(&mut c).any(|ch| walk(ch, l, b))
    }
    walk(block, false, false)
}

/// Can control leave the function from inside loop `lp` (return, goto, a
/// labelled break or continue), outside the code in `skip` (being moved out)?
fn leaves_function(lp: Node, skip: &Range<usize>) -> bool {
    fn walk(n: Node, skip: &Range<usize>) -> bool {
        if skip.start <= n.start_byte() && n.end_byte() <= skip.end {
            return false;
        }
        match n.kind() {
            "func_literal" => false,
            "return_statement" | "goto_statement" => true,
            "break_statement" | "continue_statement" => n.named_child(0).is_some(),
            _ => {
                let mut c = n.walk();
                n.named_children(&mut c).any(|ch| walk(ch, skip))
            }
        }
    }
    lp.child_by_field_name("body")
        .is_some_and(|b| walk(b, skip))
}

/// Does the loop's body break out of it (an unlabelled `break` not inside a
/// nested loop, switch or select)?
fn loop_breaks(lp: Node) -> bool {
    fn walk(n: Node) -> bool {
        match n.kind() {
            "func_literal"
            | "for_statement"
            | "expression_switch_statement"
            | "type_switch_statement"
            | "select_statement" => false,
            "break_statement" => n.named_child(0).is_none(),
            _ => {
                let mut c = n.walk();
                n.named_children(&mut c).any(walk)
            }
        }
    }
    lp.child_by_field_name("body").is_some_and(walk)
}

/// Does the loop have a way to end (a condition, a range, or a `break`)?
fn loop_can_end(lp: Node) -> bool {
    let mut c = lp.walk();
    for ch in lp.named_children(&mut c) {
        match ch.kind() {
            "range_clause" => return true,
            "for_clause" => return ch.child_by_field_name("condition").is_some(),
            "block" => {}
            _ => return true, // a condition expression
        }
    }
    // for { ... break ... }
    fn has_break(n: Node) -> bool {
        match n.kind() {
            "func_literal"
            | "for_statement"
            | "expression_switch_statement"
            | "type_switch_statement"
            | "select_statement" => false,
            "break_statement" => n.named_child(0).is_none(),
            _ => {
                let mut c = n.walk();
                n.named_children(&mut c).any(has_break)
            }
        }
    }
    lp.child_by_field_name("body").is_some_and(has_break)
}

/// After `after`, is the first use of `name` in `list` (a statement list)
/// a write by a statement of the list itself (so every later read sees it)?
/// Uses in nested scopes that declare their own `name` do not count.
fn next_use_sets(list: Node, name: &str, after: usize, src: &str) -> bool {
    let mut uses: Vec<Node> = references(list, name, src)
        .into_iter()
        .filter(|n| n.start_byte() >= after)
        .collect();
    uses.sort_by_key(|n| n.start_byte());
    let Some(first) = uses.first() else {
        return true;
    };
    if !is_write(*first) {
        return false;
    }
    // The writing statement is a direct child of the list.
    let mut cur = *first;
    while let Some(p) = cur.parent() {
        if p.id() == list.id() {
            return matches!(cur.kind(), "short_var_declaration" | "assignment_statement");
        }
        cur = p;
    }
    false
}

/// Does a `:=` after `after` in `list` declare `name` and nothing else new?
fn redeclares_only(list: Node, name: &str, after: usize, src: &str) -> bool {
    for st in block_statements(list) {
        if st.start_byte() < after || st.kind() != "short_var_declaration" {
            continue;
        }
        let Some(left) = st.child_by_field_name("left") else {
            continue;
        };
        let mut c = left.walk();
        let names: Vec<&str> = left.named_children(&mut c).map(|n| text(n, src)).collect();
        if names.contains(&name)
            && names.iter().filter(|n| **n != name && **n != "_").all(|n| {
                direct_declaration(list, n, st.start_byte().saturating_sub(1), src).is_some()
            })
        {
            return true;
        }
    }
    false
}

/// Identifiers named `name` under `n`.
fn idents_named<'t>(n: Node<'t>, name: &str, src: &str) -> Vec<Node<'t>> {
    let mut out = Vec::new();
    let mut stack = vec![n];
    while let Some(x) = stack.pop() {
        if x.kind() == "identifier" && text(x, src) == name {
            out.push(x);
        }
        let mut c = x.walk();
        stack.extend(x.named_children(&mut c));
    }
    out
}

/// Identifiers lying inside any of `ranges`.
fn idents_in<'t>(root: Node<'t>, ranges: &[Range<usize>]) -> Vec<Node<'t>> {
    let mut out = Vec::new();
    for r in ranges {
        let Some(top) = root.descendant_for_byte_range(r.start, r.end.max(r.start + 1) - 1) else {
            continue;
        };
        let mut cover = top;
        while cover.start_byte() > r.start || cover.end_byte() < r.end {
            match cover.parent() {
                Some(p) => cover = p,
                None => break,
            }
        }
        let mut stack = vec![cover];
        while let Some(x) = stack.pop() {
            if x.end_byte() <= r.start || x.start_byte() >= r.end {
                continue;
            }
            if x.kind() == "identifier" && r.start <= x.start_byte() && x.end_byte() <= r.end {
                out.push(x);
            }
            let mut c = x.walk();
            stack.extend(x.named_children(&mut c));
        }
    }
    out.sort_by_key(|n| n.start_byte());
    out.dedup_by_key(|n| n.id());
    out
}

fn inside(ranges: &[Range<usize>], r: Range<usize>) -> bool {
    ranges.iter().any(|x| x.start <= r.start && r.end <= x.end)
}

/// The top-level declaration holding `n`.
fn top_level(n: Node) -> Node {
    let mut cur = n;
    while let Some(p) = cur.parent() {
        if p.kind() == "source_file" {
            return cur;
        }
        cur = p;
    }
    cur
}

/// Can an expression be deleted without losing an effect (`r.Context()`,
/// `os.Getenv("X")`, literals)?
fn droppable(expr: Node, pkg: &GoPackage, file: &GoFile, src: &str, depth: usize) -> bool {
    if depth > 8 {
        return false;
    }
    let all = |n: Node| {
        let mut c = n.walk();
        let kids: Vec<Node> = n.named_children(&mut c).collect();
        kids.into_iter()
            .all(|k| k.kind() == "comment" || droppable(k, pkg, file, src, depth + 1))
    };
    match expr.kind() {
        "identifier"
        | "interpreted_string_literal"
        | "raw_string_literal"
        | "int_literal"
        | "float_literal"
        | "imaginary_literal"
        | "rune_literal"
        | "true"
        | "false"
        | "nil"
        | "iota"
        | "field_identifier"
        | "type_identifier"
        | "qualified_type"
        | "pointer_type" => true,
        "literal_value"
        | "literal_element"
        | "keyed_element"
        | "composite_literal"
        | "parenthesized_expression"
        | "binary_expression"
        | "argument_list" => all(expr),
        "unary_expression" => !text(expr, src).starts_with("<-") && all(expr),
        "selector_expression" => expr
            .child_by_field_name("operand")
            .is_some_and(|o| droppable(o, pkg, file, src, depth + 1)),
        "call_expression" => {
            let Some(f) = expr.child_by_field_name("function") else {
                return false;
            };
            let args_ok = expr.child_by_field_name("arguments").is_none_or(all);
            match f.kind() {
                "selector_expression" => {
                    let (Some(o), Some(field)) = (
                        f.child_by_field_name("operand"),
                        f.child_by_field_name("field"),
                    ) else {
                        return false;
                    };
                    let field = text(field, src);
                    if o.kind() == "identifier"
                        && matches!(bind(o, src), Binding::Package)
                        && let Some(path) = file.imports.resolve(text(o, src))
                    {
                        return args_ok
                            && (is_pure_call(path, field)
                                || path == "context"
                                    && matches!(field, "WithoutCancel" | "WithValue"));
                    }
                    // r.Context(), c.Request.Context(), c.Request().Context(), c.UserContext()
                    let no_args = expr
                        .child_by_field_name("arguments")
                        .is_some_and(|a| a.named_child_count() == 0);
                    no_args
                        && matches!(field, "Context" | "UserContext" | "Request")
                        && droppable(o, pkg, file, src, depth + 1)
                }
                "identifier" => {
                    let name = text(f, src);
                    args_ok
                        && matches!(bind(f, src), Binding::Package)
                        && (matches!(name, "string" | "int" | "int64" | "len")
                            || is_env_helper(pkg, name, 0))
                }
                _ => false,
            }
        }
        _ => false,
    }
}

/// Merges overlapping or touching line ranges.
fn merge_ranges(mut v: Vec<Range<usize>>) -> Vec<Range<usize>> {
    v.sort_by_key(|r| (r.start, r.end));
    let mut out: Vec<Range<usize>> = Vec::new();
    for r in v {
        match out.last_mut() {
            Some(l) if r.start <= l.end => l.end = l.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

/// Do any two edits of one fix overlap (which splicing cannot handle)?
fn overlapping(edits: &[Edit]) -> bool {
    let mut v: Vec<&Edit> = edits.iter().collect();
    v.sort_by_key(|e| (e.path().clone(), e.start(), e.end()));
    v.dedup();
    v.windows(2).any(|w| {
        w[0].path() == w[1].path()
            && (w[1].start() < w[0].end()
                || (w[0].start() == w[1].start() && w[0].is_insertion() && w[1].is_insertion()))
    })
}

fn has_multiline_raw_string(n: Node, src: &str) -> bool {
    let mut stack = vec![n];
    while let Some(x) = stack.pop() {
        if x.kind() == "raw_string_literal" && text(x, src).contains('\n') {
            return true;
        }
        let mut c = x.walk();
        stack.extend(x.named_children(&mut c));
    }
    false
}

/// Re-indents every line of whole-line text from `from` to `to`.
fn reindent_all(text: &str, from: &str, to: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        if line.trim().is_empty() {
            out.push_str(if line.ends_with("\r\n") { "\r\n" } else { "\n" });
            continue;
        }
        out.push_str(to);
        out.push_str(line.strip_prefix(from)?);
    }
    Some(out)
}

/// Would an inlined binary expression need parentheses where `n` stands?
fn needs_parens(n: Node) -> bool {
    n.parent().is_some_and(|p| {
        !matches!(
            p.kind(),
            "argument_list" | "expression_list" | "literal_element" | "parenthesized_expression"
        )
    })
}

/// The accessor's name for a client of type `t`: `firestoreClient`, `sqlDB`,
/// `pgxPool`.
fn accessor_base_name(t: &TypeName, file: &GoFile) -> Option<String> {
    let mut pkg = file.imports.name_of(&t.package)?;
    // `pgxpool.Pool` -> `pgxPool`, not `pgxpoolPool`.
    let (lp, lt) = (pkg.to_ascii_lowercase(), t.name.to_ascii_lowercase());
    if lp.len() > lt.len() && lp.ends_with(&lt) {
        pkg = &pkg[..pkg.len() - lt.len()];
    }
    let mut c = pkg.chars();
    let first = c.next()?;
    Some(format!("{}{}{}", first.to_lowercase(), c.as_str(), t.name))
}

fn same_file(a: &Path, b: &Path) -> bool {
    a == b
        || std::fs::canonicalize(a)
            .ok()
            .zip(std::fs::canonicalize(b).ok())
            .is_some_and(|(x, y)| x == y)
}

/// Words of `text` in lines of at most `width` characters.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for w in text.split_whitespace() {
        if !cur.is_empty() && cur.len() + 1 + w.len() > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(w);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
