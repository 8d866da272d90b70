//! go-missing-release: a value that must be released (client, conn, file,
//! response body, ticker, cancel func...) is created in a function and never
//! released there, and does not escape it. Fix: `defer x.Close()` (or the
//! catalog's release) right after the error check.

use std::collections::HashMap;
use std::sync::Arc;

use tree_sitter::Node;

use crate::analysis::go::cfg::{Cfg, Exit};
use crate::analysis::go::flow::{FlowCx, ReleaseSpec};
use crate::analysis::go::ownership::{self, Acquired, Verdict};
use crate::analysis::go::resources::{self, Acquisition};
use crate::analysis::go::scope::{self, Resolution};
use crate::analysis::go::syntax::{
    can_exit_early, following_statements, is_err_check, is_terminating, mentions,
};
use crate::analysis::go::types::TypeEnv;
use crate::analysis::go::{GoFile, GoPackage};
use crate::catalog::go::{Lookup, Resource};
use crate::embedded_query;
use crate::finding::Finding;
use crate::fix::{Applicability, Edit, Fix};
use crate::lang::go::enclosing_function;
use crate::lang::{Language, text};
use crate::rules::Context;
use crate::rules::{FixAvailability, Rule, RuleMeta, Unit};

pub struct GoMissingRelease;

pub const ID: &str = "go-missing-release";

static META: RuleMeta = RuleMeta {
    id: ID,
    language: Some(Language::Go),
    summary: "A client, connection, file, response body, ticker or cancel func is created and never released",
    fix_summary: "Insert `defer x.Close()` (or the right release) after the error check",
    fix_availability: FixAvailability::Sometimes,
    applicability: Applicability::Safe,
    docs: DOCS,
};

const DOCS: &str = r#"## What it does
Finds values that must be released — cloud and gRPC clients, database
handles and rows, files, network connections, HTTP response bodies, tickers,
context cancel functions — that a function creates and never releases, and
that do not leave the function (they are not returned, stored in a field or
a package variable, sent on a channel, or used by a goroutine or a
long-lived func literal).

What must be released, and how, comes from leakfix's catalog
(`leakfix explain` lists its source; `docs/catalog.md` its format), from
`[[go.resource]]` tables in `leakfix.toml`, and from the scanned code itself:
a function `NewStore(...) (*Store, error)` whose `Store` has a `Close()`
method counts too.

## Why is this bad?
Each unreleased client keeps its connections, buffers and background
goroutines until the process dies. In a handler that runs per request, memory
and goroutines grow until the service is OOM-killed or restarted. Unclosed
response bodies keep connections out of the pool; un-cancelled contexts keep
timers alive.

## Example
```go
func listBuckets(ctx context.Context, w io.Writer, projectID string) error {
	client, err := storage.NewClient(ctx)
	if err != nil {
		return fmt.Errorf("storage.NewClient: %w", err)
	}
	it := client.Buckets(ctx, projectID)
	return printAll(w, it)
}
```

## Use instead
```go
func listBuckets(ctx context.Context, w io.Writer, projectID string) error {
	client, err := storage.NewClient(ctx)
	if err != nil {
		return fmt.Errorf("storage.NewClient: %w", err)
	}
	defer client.Close()
	it := client.Buckets(ctx, projectID)
	return printAll(w, it)
}
```

## Fix safety
Safe. The release is deferred on its own line right after the error check
(or right after the assignment when the call returns no error), so it runs
only for a value that was successfully created and only when the function
returns. In a loop, where a deferred call would pile up until the function
returns, the release goes at the end of the iteration instead — only when no
`return`, `break`, `continue` or `goto` can skip it. No fix is offered when
the error is discarded (`client, _ :=`), when the error path carries on with
a nil value, or when leakfix does not know the release method; the finding
is still reported.

## References
- https://pkg.go.dev/cloud.google.com/go#hdr-Client_Options (clients must be closed)
- https://pkg.go.dev/net/http#Client.Do (the caller must close the response body)
- https://pkg.go.dev/context#WithCancel (call cancel as soon as the operations complete)
"#;

impl Rule for GoMissingRelease {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn go_literals(&self, cx: &Context<'_>) -> Option<Vec<String>> {
        let mut lits = cx.go_catalog.call_literals();
        // Constructors of the scanned code, called from their own package too.
        lits.extend(cx.index.learned_names.iter().map(|n| format!("{n}(")));
        // Functions and methods whose results may have a release method.
        lits.extend(cx.index.releasing_names.iter().map(|n| format!("{n}(")));
        // `pkg.NewFooClient(...)` the catalog does not know is still reported.
        lits.push("Client(".into());
        Some(lits)
    }

    fn check(&self, unit: &Unit<'_>, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let Unit::Go(pkg) = unit else { return };
        for file in &pkg.files {
            if file.generated {
                continue;
            }
            let mut facts = HashMap::new();
            let query = embedded_query!(Language::Go, "go/missing_release.scm");
            // Only the statements around the prefilter's hits can create a resource.
            for (assign, call) in file.acquisitions(query) {
                let site = Site {
                    pkg,
                    file,
                    cx,
                    assign,
                    call,
                };
                if let Some(f) = site.check(&mut facts) {
                    out.push(f);
                }
            }
        }
    }
}

/// One candidate acquisition.
struct Site<'a, 't> {
    pkg: &'a GoPackage,
    file: &'a GoFile,
    cx: &'a Context<'a>,
    assign: Node<'t>,
    call: Node<'t>,
}

/// What the callee is.
enum Callee {
    Resource(Box<Acquisition>, String),
    /// A `New*Client` the catalog does not know.
    UnknownClient(String),
}

/// Per function: its type environment and control-flow graph.
struct FuncFacts<'a, 't> {
    env: TypeEnv<'a>,
    cfg: Option<Cfg<'t>>,
}

impl<'a, 't> Site<'a, 't>
where
    'a: 't,
{
    fn src(&self) -> &'a str {
        self.file.text()
    }

    fn check(&self, facts: &mut HashMap<usize, FuncFacts<'a, 't>>) -> Option<Finding> {
        let func = enclosing_function(self.assign)?;
        if !self.may_be_resource() || self.runs_once(func) {
            if std::env::var_os("LEAKFIX_DEBUG_OWNERSHIP").is_some() {
                eprintln!(
                    "acquisition: {}:{}: not looked at (prefilter or run-once code)",
                    self.file.parsed.path.display(),
                    self.call.start_position().row + 1
                );
            }
            return None;
        }
        let src = self.src();
        let f = facts.entry(func.id()).or_insert_with(|| FuncFacts {
            env: TypeEnv::for_function(self.pkg, self.file, self.cx.go_catalog, func),
            cfg: Cfg::build(func, src),
        });
        let env = &f.env;
        let callee = self.callee(env)?;
        let names = self.lhs();
        // An ignore marker is applied by the engine to the finding, so that
        // a marker over a call that is no longer a leak counts as unused.
        let (acq, callee_text) = match callee {
            Callee::Resource(a, t) => (Some(*a), t),
            Callee::UnknownClient(t) => (None, t),
        };
        let resource = acq.as_ref().map(|a| &a.resource);
        let result = resource.map_or(0, |r| r.result);
        let var = *names.get(result)?;
        let var_name = text(var, src);
        if var.kind() != "identifier" {
            return None; // assigned straight into a field or element: stored
        }
        let has_error = resource.map_or(names.len() >= 2, |r| r.error);
        let err = if has_error {
            if names.len() < 2 || names.len() <= result {
                return None; // the call shape does not match the catalog: do not guess
            }
            names.last().copied()
        } else {
            None
        };

        if var_name == "_" {
            // `ctx, _ := context.WithTimeout(...)`, `_, err := os.Open(p)`: nothing can release it.
            let r = resource?;
            return Some(
                self.finding(format!(
                    "The {} from `{callee_text}` is discarded, so it can never be released",
                    r.kind.noun()
                ))
                .with_note("assign it to a variable and release it"),
            );
        }

        // Where is the variable declared? Assigning to anything but a local is keeping it.
        let decl_scope = match scope::resolve(func, var_name, var, src) {
            Resolution::Local { scope, .. } => scope,
            _ => return None,
        };
        // `x = wrap(x)`: the new value wraps the old one, which came from elsewhere.
        if let Some(args) = self.call.child_by_field_name("arguments")
            && crate::analysis::go::syntax::mentions(args, var_name, src)
        {
            return None;
        }
        // A constructor the catalog does not know that is handed another
        // releasable value builds a view over it, and we cannot see whether
        // its Close closes what it was given (a RowReader closing the caller's
        // Reader): leave it to people.
        if let Some(r) = resource
            && matches!(r.origin, crate::catalog::Origin::Learned(_))
            && self.has_releasable_argument(env)
        {
            return None;
        }
        let mut spec = match resource {
            Some(r) => ReleaseSpec::exact(r.release.clone(), &r.also_released_by),
            None => ReleaseSpec::loose(),
        };
        // A timer that fired holds nothing.
        if resource
            .and_then(|r| r.type_name.as_ref())
            .is_some_and(|t| t.package == "time" && t.name == "Timer")
        {
            spec.released_by_receive = Some("C".into());
        }
        // The other results of the call live as long as the resource does
        // (the context a cancel func cancels).
        let mut companions = Vec::new();
        for (i, c) in names.iter().enumerate() {
            if i == result || Some(*c) == err || c.kind() != "identifier" || text(*c, src) == "_" {
                continue;
            }
            let name = text(*c, src);
            match scope::resolve(func, name, *c, src) {
                Resolution::Local { scope, .. } => companions.push((name.to_string(), scope)),
                // A parameter given a derived value (`ctx, cancel =
                // context.WithTimeout(ctx, d)`) is a local of the function.
                Resolution::Param if func.child_by_field_name("body").is_some() => {
                    let body = func.child_by_field_name("body").expect("checked");
                    companions.push((name.to_string(), body));
                }
                _ => {
                    return Some(
                        self.finding_for(resource, var_name, &callee_text).with_note(format!(
                            "`{name}`, which `{var_name}` governs, outlives this function (it is stored outside the function), so releasing `{var_name}` here would break it"
                        )),
                    );
                }
            }
        }
        let acquired = Acquired {
            func,
            stmt: self.statement()?,
            var: var_name.to_string(),
            scope: decl_scope,
            err: err.map(|e| text(e, src).to_string()),
            companions,
        };
        let flow = FlowCx { env, src, func };
        let analysis = ownership::analyse(&flow, f.cfg.as_ref(), &acquired, &spec);
        let basis = acq
            .as_ref()
            .filter(|a| a.basis != "the catalog")
            .map(|a| format!("leakfix knows this needs a release because {}", a.basis));
        let with_basis = |f: Finding| match &basis {
            Some(b) => f.with_note(b.clone()),
            None => f,
        };
        let last_use = match analysis.verdict {
            Verdict::Owned => return None,
            Verdict::Escapes {
                companion: None, ..
            } => return None,
            // A learned resource is reported only when it stays here (its
            // companion leaving may mean the pair was handed on together).
            Verdict::Escapes {
                companion: Some(_), ..
            } if basis.is_some() => return None,
            Verdict::Escapes {
                companion: Some(name),
                escape,
            } => {
                return Some(self.finding_for(resource, var_name, &callee_text).with_note(format!(
                    "`{name}`, which `{var_name}` governs, outlives this function ({}), so releasing `{var_name}` here would break it",
                    escape.describe()
                )));
            }
            Verdict::DeferredInLoop { defer } => {
                let line = self.file.parsed.source.line_index(defer.start_byte()) + 1;
                return Some(with_basis(
                    self.deferred_in_loop_finding(resource, var_name, &callee_text)
                        .with_note(format!(
                            "the `defer` at line {line} runs only when the function returns, so one open value piles up per iteration; release it at the end of each iteration (or move the loop body into a function)"
                        )),
                ));
            }
            Verdict::LeaksOn { exits, last_use } => {
                let finding =
                    with_basis(self.path_finding(resource, var_name, &callee_text, &exits));
                let Some(resource) = resource else {
                    return Some(finding);
                };
                let release_text = match self.release_text(resource, var_name) {
                    Ok(t) => t,
                    Err(why) => return Some(finding.with_note(why)),
                };
                if let Some(fix) = self.idempotent_fix(
                    resource,
                    func,
                    decl_scope,
                    var_name,
                    err.map(|e| text(e, src)),
                    &release_text,
                    &exits,
                    &analysis.fate,
                    last_use,
                ) {
                    return Some(finding.with_fix(fix));
                }
                return Some(
                    match self.path_fix(
                        func,
                        err.map(|e| text(e, src)),
                        var_name,
                        &release_text,
                        &exits,
                        &analysis.fate,
                        last_use,
                    ) {
                        Ok(fix) => finding.with_fix(fix),
                        Err(why) => finding.with_note(why),
                    },
                );
            }
            Verdict::LeaksEverywhere { last_use } => last_use,
        };

        let Some(resource) = resource else {
            return Some(
                self.finding(format!(
                    "`{var_name}` from `{callee_text}` is never closed, and leakfix does not know how this type is released"
                ))
                .with_note(
                    "if it has a Close (or Stop) method, declare it in leakfix.toml ([[go.resource]]) to get a fix; if it needs no release, add a [[go.ignore]] entry",
                ),
            );
        };
        let release_text = match self.release_text(resource, var_name) {
            Ok(t) => t,
            Err(why) => {
                return Some(with_basis(
                    self.leak_finding(resource, var_name, &callee_text)
                        .with_note(why),
                ));
            }
        };
        let finding = with_basis(self.leak_finding(resource, var_name, &callee_text));
        match self.placement(
            func,
            decl_scope,
            var_name,
            err.map(|e| text(e, src)),
            last_use,
        ) {
            Ok(p) => {
                let fix = self.build_fix(p, &release_text);
                Some(match fix {
                    Some(fix) => finding.with_fix(fix),
                    None => finding.with_note(
                        "the code around the call is laid out in a way leakfix does not edit",
                    ),
                })
            }
            Err(why) => Some(finding.with_note(why)),
        }
    }

    fn finding_for(&self, r: Option<&Resource>, var: &str, callee: &str) -> Finding {
        match r {
            Some(r) => self.leak_finding(r, var, callee),
            None => self.finding(format!("`{var}` from `{callee}` is never closed")),
        }
    }

    /// A finding for a value made in a loop and released by a `defer` there:
    /// released, but only when the function returns.
    fn deferred_in_loop_finding(&self, r: Option<&Resource>, var: &str, callee: &str) -> Finding {
        let noun = r
            .map(|r| capitalise(r.kind.noun()))
            .unwrap_or_else(|| "Value".into());
        let verb = r
            .and_then(|r| r.release.method())
            .map(past_tense)
            .unwrap_or_else(|| "released".into());
        self.finding(format!(
            "{noun} `{var}` from `{callee}` is {verb} by a `defer` in the loop that makes it: each one stays open until the function returns"
        ))
    }

    /// A finding for a value released or handed on on some paths only.
    fn path_finding(
        &self,
        r: Option<&Resource>,
        var: &str,
        callee: &str,
        exits: &[Exit<'t>],
    ) -> Finding {
        let source = &self.file.parsed.source;
        let mut lines: Vec<String> = exits
            .iter()
            .map(|e| match e {
                Exit::Return(ret) => format!(
                    "the return at line {}",
                    source.line_index(ret.start_byte()) + 1
                ),
                Exit::End => "the end of the function".to_string(),
                Exit::Stopped(_) => "the next iteration, which makes a new one".to_string(),
            })
            .collect();
        lines.sort();
        lines.dedup();
        let noun = r
            .map(|r| capitalise(r.kind.noun()))
            .unwrap_or_else(|| "Value".into());
        let verb = r
            .and_then(|r| r.release.method())
            .map(past_tense)
            .unwrap_or_else(|| "released".into());
        self.finding(format!(
            "{noun} `{var}` from `{callee}` is {verb} on some paths but not on the way to {}",
            lines.join(", ")
        ))
    }

    /// Releases the value on the paths that leak it: moves a later `defer`
    /// up to the error check when only early returns before it leak, or
    /// inserts the release before each leaking `return`.
    /// A release that may run twice (a context's cancel func, a timer's
    /// or ticker's Stop), for a value that leaks on some exits and escapes
    /// on none: `defer` it right after the acquisition, as for a value that
    /// leaks everywhere. The paths that already release it (an explicit
    /// `cancel()`, a timer that fired) are unchanged by a second release,
    /// and the function's end, which has no `return` to put a release
    /// before, is covered too.
    #[allow(clippy::too_many_arguments)]
    fn idempotent_fix(
        &self,
        resource: &Resource,
        func: Node<'t>,
        decl_scope: Node<'t>,
        var: &str,
        err: Option<&str>,
        release: &str,
        exits: &[Exit<'t>],
        fate: &crate::analysis::go::flow::Fate<'t>,
        last_use: usize,
    ) -> Option<Fix> {
        let idempotent = matches!(resource.origin, crate::catalog::Origin::BuiltIn)
            && resource.type_name.as_ref().is_some_and(|t| {
                matches!(
                    (t.package.as_str(), t.name.as_str()),
                    ("time", "Timer" | "Ticker") | ("context", "CancelFunc" | "CancelCauseFunc")
                )
            });
        if !idempotent || !fate.escapes.is_empty() || !fate.handoffs.is_empty() {
            return None;
        }
        // Every leaking exit is a `return` after the acquisition or the end of
        // the body: none is reached by jumping back above it (a `goto` retry
        // loop would defer once per pass) or by assigning the variable again.
        let stmt = self.statement()?;
        let after = exits.iter().all(|e| match e {
            Exit::Return(r) => r.start_byte() >= stmt.end_byte(),
            Exit::End => true,
            Exit::Stopped(_) => false,
        });
        if !after {
            return None;
        }
        match self.placement(func, decl_scope, var, err, last_use).ok()? {
            p @ Placement::After { .. } => self.build_fix(p, release),
            _ => None,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn path_fix(
        &self,
        func: Node<'t>,
        err: Option<&str>,
        var: &str,
        release: &str,
        exits: &[Exit<'t>],
        fate: &crate::analysis::go::flow::Fate<'t>,
        last_use: usize,
    ) -> Result<Fix, String> {
        let src = self.src();
        let stmt = self.statement().ok_or("no statement")?;
        let (anchor, _) = self.error_anchor(stmt, var, err)?;
        let rets: Vec<Node> = exits
            .iter()
            .map(|e| match e {
                Exit::Return(r) => Ok(*r),
                Exit::End => Err("it leaks where the function ends without a `return`".to_string()),
                Exit::Stopped(_) => Err("it leaks when the loop makes a new one".to_string()),
            })
            .collect::<Result<_, _>>()?;
        if rets.iter().any(|r| r.start_byte() < anchor.end_byte()) {
            return Err(format!(
                "a leaking return comes before the error check, where `{var}` may be nil"
            ));
        }
        // `f` assigned again after it was made (`f, err = os.Create(tmp)`):
        // at a later return it may name another value, or nil.
        if crate::lang::go::identifiers_named(func, var, src)
            .iter()
            .any(|i| {
                i.start_byte() > stmt.end_byte()
                    && i.parent().is_some_and(|l| {
                        l.kind() == "expression_list"
                            && l.parent().is_some_and(|a| {
                                matches!(a.kind(), "assignment_statement" | "short_var_declaration")
                                    && a.child_by_field_name("left")
                                        .is_some_and(|x| x.id() == l.id())
                            })
                    })
            })
        {
            return Err(format!(
                "`{var}` is assigned again later, so a release before a later return could release another value"
            ));
        }
        // Move a later `defer <release>` in the same block up, when every
        // leaking return sits between the error check and it.
        if let Some(defer) = fate.releases.iter().find_map(|(site, _)| {
            let d = site.parent().filter(|p| p.kind() == "defer_statement")?;
            (d.parent()?.id() == stmt.parent()?.id()
                && text(d, src).trim() == format!("defer {release}"))
            .then_some(d)
        }) && rets.iter().all(|r| r.end_byte() <= defer.start_byte())
        {
            let between: Vec<Node> = following_statements(anchor)
                .into_iter()
                .take_while(|s| s.id() != defer.id())
                .collect();
            let other_defer = between.iter().any(|s| contains_kind(*s, "defer_statement"));
            let reassigned = between.iter().any(|s| assigns_name(*s, var, src));
            if !other_defer && !reassigned {
                let p = self.placement(func, stmt_scope(stmt), var, err, last_use)?;
                let Placement::After { anchor, indent_of } = p else {
                    return Err(
                        "the value is made in a loop or the error is handled in an `else`".into(),
                    );
                };
                let source = &self.file.parsed.source;
                let nl = source.newline();
                let indent = source.indent_at(indent_of.start_byte());
                let at = line_end_insert_point(src, source, anchor.end_byte())
                    .ok_or("the code around the call is laid out in a way leakfix does not edit")?;
                let line = source.line_index(defer.start_byte());
                let del = source.line_range(line);
                let del_end = source.next_line_start(del.start).unwrap_or(del.end);
                if source.line_text(line).trim() != text(defer, src).trim() {
                    return Err("the `defer` shares its line with other code".into());
                }
                let path = self.file.parsed.path.clone();
                return Ok(Fix::safe(
                    format!("move `defer {release}` up to right after the error check"),
                    vec![
                        Edit::insertion(path.clone(), at, format!("{indent}defer {release}{nl}")),
                        Edit::deletion(path.clone(), del.start..del_end),
                    ],
                )
                .with_claim(path, self.call.byte_range()));
            }
        }
        // Insert the release before each leaking return.
        let source = &self.file.parsed.source;
        let nl = source.newline();
        let path = self.file.parsed.path.clone();
        let decl = match scope::resolve(func, var, stmt, src) {
            Resolution::Local { decl, .. } => decl,
            _ => return Err("the variable is not a local".into()),
        };
        let mut edits = Vec::new();
        for ret in &rets {
            if mentions(*ret, var, src) {
                return Err(format!("a leaking `return` uses `{var}`"));
            }
            // The name must still mean this variable where the release goes.
            let same = matches!(
                scope::resolve(func, var, *ret, src),
                Resolution::Local { decl: d, .. } if d.id() == decl.id()
            );
            if !same {
                return Err(format!(
                    "it leaks at a `return` where `{var}` is out of scope (or another variable)"
                ));
            }
            if ret.parent().is_none_or(|p| p.kind() != "statement_list") {
                return Err("a leaking `return` is not a statement of its own block".into());
            }
            let line = source.line_index(ret.start_byte());
            let start = source.line_range(line).start;
            if !src[start..ret.start_byte()].trim().is_empty() {
                return Err("a leaking `return` shares its line with other code".into());
            }
            let indent = source.indent_at(ret.start_byte());
            edits.push(Edit::insertion(
                path.clone(),
                start,
                format!("{indent}{release}{nl}"),
            ));
        }
        edits.sort_by_key(|e| e.start());
        edits.dedup_by_key(|e| e.start());
        let n = edits.len();
        Ok(Fix::safe(
            if n == 1 {
                format!("call `{release}` before the return that leaks it")
            } else {
                format!("call `{release}` before the {n} returns that leak it")
            },
            edits,
        )
        .with_claim(path, self.call.byte_range()))
    }

    fn finding(&self, message: String) -> Finding {
        Finding::new(
            ID,
            self.file.parsed.path.clone(),
            &self.file.parsed.source,
            self.call.byte_range(),
            message,
        )
    }

    fn leak_finding(&self, r: &Resource, var: &str, callee: &str) -> Finding {
        let what = r
            .doc
            .as_deref()
            .map(|d| format!(": {d}"))
            .unwrap_or_default();
        let msg = match r.release.method() {
            None => format!(
                "{} `{var}` from `{callee}` is never called{what}",
                r.kind.noun()
            ),
            Some(m) => format!(
                "{} `{var}` from `{callee}` is never {}{what}",
                r.kind.noun(),
                past_tense(m)
            ),
        };
        self.finding(capitalise(&msg))
    }

    /// Code that runs once per process (`init()`, a `sync.Once` callback):
    /// values built there are meant to be kept.
    fn runs_once(&self, func: Node) -> bool {
        crate::analysis::go::syntax::runs_once(func, self.src(), false)
    }

    /// The assignment statement (for `var`, the declaration).
    fn statement(&self) -> Option<Node<'t>> {
        if self.assign.kind() == "var_spec" {
            let mut cur = self.assign.parent()?;
            while cur.kind() != "var_declaration" {
                cur = cur.parent()?;
            }
            Some(cur)
        } else {
            Some(self.assign)
        }
    }

    /// The names the statement assigns, in order.
    fn lhs(&self) -> Vec<Node<'t>> {
        if self.assign.kind() == "var_spec" {
            let mut c = self.assign.walk();
            self.assign.children_by_field_name("name", &mut c).collect()
        } else {
            let Some(left) = self.assign.child_by_field_name("left") else {
                return Vec::new();
            };
            let mut c = left.walk();
            left.named_children(&mut c).collect()
        }
    }

    /// A cheap look at the callee before any type inference: most calls
    /// (`fmt.Sprintf`, `s.helper()`) cannot be resources.
    fn may_be_resource(&self) -> bool {
        let src = self.src();
        if crate::analysis::go::calls::may_be_resource(
            self.call,
            self.file,
            self.pkg,
            self.cx.go_catalog,
        ) {
            return true;
        }
        // A function or method whose declared results may have a release method.
        let name = match self.call.child_by_field_name("function") {
            Some(f) if f.kind() == "identifier" => text(f, src),
            Some(f) if f.kind() == "selector_expression" => f
                .child_by_field_name("field")
                .map(|n| text(n, src))
                .unwrap_or(""),
            _ => "",
        };
        if self.cx.index.releasing_names.contains(name) {
            return true;
        }
        // `pkg.NewFooClient(...)` the catalog does not know is still reported.
        crate::lang::go::selector_call(self.call)
            .filter(|(o, _)| o.kind() == "identifier")
            .and_then(|(o, n)| Some((self.file.imports.resolve(text(o, src))?, text(n, src))))
            .is_some_and(|(path, name)| self.looks_like_unknown_client(path, name))
    }

    fn callee(&self, env: &TypeEnv<'a>) -> Option<Callee> {
        let src = self.src();
        let f = self.call.child_by_field_name("function")?;
        let callee_text = text(f, src).to_string();
        if let Some(a) = resources::acquisition(env, self.call) {
            return Some(Callee::Resource(Box::new(a), callee_text));
        }
        // `pkg.NewFooClient(...)` that nothing knows: reported without a fix,
        // unless its type's source shows it needs no release.
        let (operand, name) = crate::lang::go::selector_call(self.call)?;
        let path = env.package_of(operand)?;
        let name = text(name, src);
        if !matches!(self.cx.go_catalog.lookup_func(path, name), Lookup::Unknown) {
            return None;
        }
        if let Some(crate::analysis::go::GoType::Named(t)) = env
            .call_results(self.call)
            .and_then(|r| r.into_iter().next())
            && resources::needs_no_release(env, &t)
        {
            return None;
        }
        self.looks_like_unknown_client(path, name)
            .then_some(Callee::UnknownClient(callee_text))
    }

    /// `pkg.NewFooClient(...)` from outside the scanned module, that is not a
    /// generated gRPC stub (`pb.NewFooClient(conn)`; the conn is what closes).
    fn looks_like_unknown_client(&self, path: &str, name: &str) -> bool {
        let is_client_ctor =
            name.starts_with("New") && (name.ends_with("Client") || name.contains("Client"));
        if !is_client_ctor || name.ends_with("ClientOptions") || name.ends_with("ClientConfig") {
            return false;
        }
        if self.cx.index.knows_no_release(path, name) {
            return false;
        }
        if let Some(m) = &self.pkg.module
            && (path == m.path || path.starts_with(&format!("{}/", m.path)))
        {
            return false;
        }
        let last = path.rsplit('/').next().unwrap_or(path);
        if last.ends_with("pb")
            || path.contains("genproto")
            || path.contains("/proto")
            || last.starts_with("grpc_")
        {
            return false;
        }
        // A stub takes exactly one argument, a connection.
        let src = self.src();
        let args: Vec<Node> = self
            .call
            .child_by_field_name("arguments")
            .map(|a| {
                let mut c = a.walk();
                a.named_children(&mut c).collect()
            })
            .unwrap_or_default();
        if args.len() == 1 {
            let a = text(args[0], src).to_ascii_lowercase();
            if a.contains("conn") || a == "cc" || a.ends_with(".cc") {
                return false;
            }
        }
        true
    }

    /// Is one of the call's arguments a value with a release method of its own?
    fn has_releasable_argument(&self, env: &TypeEnv<'a>) -> bool {
        let Some(args) = self.call.child_by_field_name("arguments") else {
            return false;
        };
        let mut c = args.walk();
        let args: Vec<Node> = args.named_children(&mut c).collect();
        args.into_iter().any(|a| {
            env.type_of(a).is_some_and(|t| {
                self.cx.index.releasable_types.contains(&t)
                    || self
                        .cx
                        .go_catalog
                        .resources()
                        .iter()
                        .any(|r| r.type_name.as_ref() == Some(&t))
            })
        })
    }

    /// The release statement, or why it cannot be written.
    fn release_text(&self, r: &Resource, var: &str) -> Result<String, String> {
        let text = self.release_with_ctx(r, var)?;
        // `context.Background()` in a release needs the file to import context.
        if text.contains("context.") && self.file.imports.resolve("context") != Some("context") {
            return Err(format!(
                "the release `{text}` needs the `context` package, which this file does not import"
            ));
        }
        Ok(text)
    }

    fn release_with_ctx(&self, r: &Resource, var: &str) -> Result<String, String> {
        if !r.release.needs_ctx() {
            return Ok(r.release.render(var, None));
        }
        let src = self.src();
        let first = self
            .call
            .child_by_field_name("arguments")
            .and_then(|a| a.named_child(0))
            .filter(|a| a.kind() != "comment");
        let ctx = first.map(|a| text(a, src)).filter(|t| {
            t.chars().all(|c| c.is_alphanumeric() || c == '_')
                || *t == "context.Background()"
                || *t == "context.TODO()"
        });
        match ctx {
            Some(ctx) if !ctx.is_empty() => Ok(r.release.render(var, Some(ctx))),
            _ => Err(format!(
                "the release needs a context (`{}`) and the call's first argument is not one leakfix can reuse",
                r.release.render(var, Some("ctx"))
            )),
        }
    }

    /// Where the release goes, or why there is no safe place.
    fn placement(
        &self,
        func: Node<'t>,
        decl_scope: Node<'t>,
        var: &str,
        err: Option<&str>,
        last_use: usize,
    ) -> Result<Placement<'t>, String> {
        let stmt = self.statement().ok_or("no statement")?;
        if stmt.parent().is_none_or(|p| p.kind() != "statement_list") {
            return Err(
                "the call is not a statement of its own (it sits in an `if`/`for`/`switch` header)"
                    .into(),
            );
        }
        let (anchor, into_else) = self.error_anchor(stmt, var, err)?;

        if let Some(lp) = scope::enclosing_loop(stmt, func) {
            // A deferred call in a loop runs only when the function returns.
            if into_else.is_some() {
                return Err("in a loop, with the error handled by an `else` branch".into());
            }
            let list = stmt.parent().ok_or("no block")?;
            let block = list.parent().ok_or("no block")?;
            if !scope::contains(lp, decl_scope) || !same_scope(block, decl_scope) {
                return Err(format!(
                    "`{var}` is declared outside the loop that creates it"
                ));
            }
            // Release right after the last statement that uses it, if nothing
            // before that can jump out of the iteration.
            let rest = following_statements(anchor);
            let upto: Vec<Node> = rest
                .iter()
                .copied()
                .take_while(|s| s.start_byte() < last_use)
                .collect();
            if upto.iter().any(|s| can_exit_early(*s)) {
                return Err(
                    "in a loop, and a return, break, continue or goto before its last use could skip the release".into(),
                );
            }
            let last = upto.last().copied().unwrap_or(anchor);
            return Ok(Placement::EndOfIteration {
                after: last,
                indent_of: stmt,
            });
        }
        Ok(match into_else {
            Some(block) => Placement::StartOfBlock { block },
            None => Placement::After {
                anchor,
                indent_of: stmt,
            },
        })
    }

    /// After which statement may the value be used: its error check (and
    /// the `else` block when the check has one), or the statement itself.
    fn error_anchor(
        &self,
        stmt: Node<'t>,
        var: &str,
        err: Option<&str>,
    ) -> Result<(Node<'t>, Option<Node<'t>>), String> {
        let src = self.src();
        let Some(err) = err else {
            return Ok((stmt, None));
        };
        if err == "_" {
            return Err(format!(
                "the error is discarded: a failed call would leave `{var}` nil and a deferred release would panic"
            ));
        }
        for next in following_statements(stmt).into_iter().take(4) {
            if next.kind() == "if_statement"
                && next.child_by_field_name("initializer").is_none()
                && next
                    .child_by_field_name("condition")
                    .is_some_and(|c| is_err_check(c, err, src))
            {
                let cons = next
                    .child_by_field_name("consequence")
                    .ok_or("malformed if")?;
                let into_else = match next.child_by_field_name("alternative") {
                    Some(alt) if alt.kind() == "block" => Some(alt),
                    Some(_) => return Err("the error check continues with `else if`".into()),
                    None if is_terminating(cons, src) => None,
                    None => {
                        return Err(format!(
                            "the error path does not return, so `{var}` may be nil after the check"
                        ));
                    }
                };
                return Ok((next, into_else));
            }
            if is_check_call(next, err, src) {
                return Ok((next, None));
            }
            if mentions(next, err, src) || mentions(next, var, src) || is_terminating(next, src) {
                break;
            }
        }
        Err(format!(
            "the error from this call is not checked right after it, so `{var}` may be nil"
        ))
    }

    fn build_fix(&self, p: Placement<'t>, release: &str) -> Option<Fix> {
        let source = &self.file.parsed.source;
        let src = self.src();
        let nl = source.newline();
        let path: Arc<std::path::Path> = self.file.parsed.path.clone();
        let (at, line, title) = match p {
            Placement::After { anchor, indent_of } => {
                let indent = source.indent_at(indent_of.start_byte());
                let at = line_end_insert_point(src, source, anchor.end_byte())?;
                let title = if anchor.id() == indent_of.id() {
                    format!("insert `defer {release}` after the call")
                } else {
                    format!("insert `defer {release}` after the error check")
                };
                (at, format!("{indent}defer {release}{nl}"), title)
            }
            Placement::StartOfBlock { block } => {
                let first = crate::lang::go::block_statements(block)
                    .into_iter()
                    .next()?;
                let indent = source.indent_at(first.start_byte());
                let brace = block.start_byte();
                let at = line_end_insert_point(src, source, brace + 1)?;
                (
                    at,
                    format!("{indent}defer {release}{nl}"),
                    format!("insert `defer {release}` in the `else` branch of the error check"),
                )
            }
            Placement::EndOfIteration { after, indent_of } => {
                let indent = source.indent_at(indent_of.start_byte());
                let at = line_end_insert_point(src, source, after.end_byte())?;
                (
                    at,
                    format!("{indent}{release}{nl}"),
                    format!("call `{release}` after its last use in the loop body"),
                )
            }
        };
        // The fix claims the constructor call: a fix that rewrites the call
        // (hoisting it into shared state) must not also get a close.
        let call = self.call.byte_range();
        Some(Fix::safe(title, vec![Edit::insertion(path.clone(), at, line)]).with_claim(path, call))
    }
}

enum Placement<'t> {
    /// `defer` on the line after `anchor`, indented like `indent_of`.
    After {
        anchor: Node<'t>,
        indent_of: Node<'t>,
    },
    /// `defer` as the first statement of an `else` block.
    StartOfBlock { block: Node<'t> },
    /// A plain release (no defer: in a loop) after the statement holding the last use.
    EndOfIteration {
        after: Node<'t>,
        indent_of: Node<'t>,
    },
}

/// The block (statement list) a statement sits in.
fn stmt_scope(stmt: Node) -> Node {
    stmt.parent().unwrap_or(stmt)
}

fn contains_kind(n: Node, kind: &str) -> bool {
    if n.kind() == kind {
        return true;
    }
    if n.kind() == "func_literal" {
        return false;
    }
    let mut c = n.walk();
    n.named_children(&mut c).any(|ch| contains_kind(ch, kind))
}

/// Does this statement (or one inside it) assign to `name`?
fn assigns_name(n: Node, name: &str, src: &str) -> bool {
    crate::lang::go::identifiers_named(n, name, src)
        .iter()
        .any(|i| crate::lang::go::is_written(*i))
}

/// `check(err)`, `must(err)`, `fatalIf(err)`: helpers that stop on error.
fn is_check_call(stmt: Node, err: &str, src: &str) -> bool {
    if stmt.kind() != "expression_statement" {
        return false;
    }
    let Some(call) = stmt
        .named_child(0)
        .filter(|c| c.kind() == "call_expression")
    else {
        return false;
    };
    let Some(f) = call.child_by_field_name("function") else {
        return false;
    };
    let name = match f.kind() {
        "identifier" => text(f, src),
        "selector_expression" => f
            .child_by_field_name("field")
            .map(|n| text(n, src))
            .unwrap_or(""),
        _ => return false,
    }
    .to_ascii_lowercase();
    let args = call
        .child_by_field_name("arguments")
        .map(|a| text(a, src))
        .unwrap_or("");
    let starts = ["check", "must", "fatal", "panic"]
        .iter()
        .any(|p| name.starts_with(p));
    starts && args.trim_matches(|c| c == '(' || c == ')').trim() == err
}

/// Is `block` (a block or case clause holding the statement) the scope the
/// variable was declared in?
fn same_scope(block: Node, decl_scope: Node) -> bool {
    block.id() == decl_scope.id()
        || decl_scope.kind() == "statement_list"
            && decl_scope.parent().is_some_and(|p| p.id() == block.id())
}

/// The start of the line after `offset`'s line, if the rest of that line is
/// empty or a `//` comment (so an inserted line lands cleanly after it).
fn line_end_insert_point(
    src: &str,
    source: &crate::source::SourceText,
    offset: usize,
) -> Option<usize> {
    let line = source.line_index(offset);
    let end = source.line_range(line).end;
    let rest = src[offset..end].trim();
    if !(rest.is_empty() || rest.starts_with("//")) {
        return None;
    }
    source.next_line_start(offset)
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// "closed", "stopped", "disconnected"...
fn past_tense(method: &str) -> String {
    match method {
        "Close" => "closed".into(),
        "Stop" => "stopped".into(),
        "Disconnect" => "disconnected".into(),
        "Shutdown" => "shut down".into(),
        "Release" => "released".into(),
        "Unsubscribe" => "unsubscribed".into(),
        other => format!("released with `{other}`"),
    }
}
