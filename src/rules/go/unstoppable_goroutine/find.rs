//! Finding: what a go statement starts, whether it can ever stop, and
//! where the contexts it uses come from.

use std::path::Path;
use std::sync::Arc;

use tree_sitter::Node;

use super::render::what_held;
use super::*;
use crate::analysis::go::contexts::{
    ContextDecl, classify_decl, declaration_of, is_background_call, is_context_param,
    names_a_context_at,
};
use crate::analysis::go::goroutines::{GoStmt, Worker};
use crate::analysis::go::loops::{error_exit_loops, forever_loops};
use crate::analysis::go::scope;
use crate::analysis::go::types::TypeEnv;
use crate::fix::Fix;
use crate::lang::go::{
    block_statements, enclosing_function, named_children_no_comments, param_names,
};
use crate::lang::text;
use crate::rules::callers::WithCallers;

impl<'a> Spawn<'a> {
    pub(super) fn src(&self) -> &'a str {
        self.file.text()
    }

    pub(super) fn path(&self) -> Arc<Path> {
        self.file.parsed.path.clone()
    }

    pub(super) fn check(&self) -> Option<Finding> {
        if self.runs_once() {
            return None;
        }
        let worker = self.worker()?;
        if self.handles_signals(&worker) {
            return None; // signals are the process's: so is their handler
        }
        let body = worker.body()?;
        let env = TypeEnv::for_function(self.pkg, worker.file, self.cx.go_catalog, worker.func);
        let mut loops = forever_loops(body, &env);
        let mut error_only = false;
        if loops.is_empty() {
            // A loop that ends only when a receive fails, on a background
            // context and a subscription nobody else closes: it never does.
            let candidates = error_exit_loops(body, &env);
            if let Some(first) = candidates.first()
                && !self.held_resources(&worker, *first).is_empty()
                && self
                    .context_uses(&worker)
                    .iter()
                    .any(|u| u.source.is_background())
            {
                loops = candidates;
                error_only = true;
            }
        }
        if loops.is_empty() {
            return self.check_wait(&worker);
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
            let finding = self.finding(if error_only {
                format!(
                    "This goroutine's loop only ends when a receive fails, which on `{bg}` and a subscription nobody closes never happens: every call of {} leaves it running{what}",
                    self.spawner_name()
                )
            } else {
                format!(
                    "This goroutine loops forever on `{bg}`: nothing can stop it, so every call of {} leaves it running{what}",
                    self.spawner_name()
                )
            });
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
            // A loop that hands the context to a call (a receive that fails
            // at once after it is done) and waits on no timer may spin on
            // that failure.
            let root = at.split(['.', '(']).next().unwrap_or(&at);
            let spins = loops.iter().any(|l| {
                let t = text(*l, self.src());
                !crate::lang::go::identifiers_named(*l, root, self.src()).is_empty()
                    && ![
                        "time.Sleep",
                        "time.After",
                        "time.Tick",
                        ".C:",
                        "<-t.C",
                        ".C\n",
                    ]
                    .iter()
                    .any(|w| t.contains(w))
            });
            let finding = self.finding(if spins {
                format!(
                    "This goroutine's loop never looks at `{at}`: once it is done the goroutine keeps running{what}, and a receive that fails at once makes it spin"
                )
            } else {
                format!(
                    "This goroutine's loop never looks at `{at}`: once it is done the goroutine keeps running{what}"
                )
            });
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
                        let mut f = finding.with_fix(fix);
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

    /// Does the goroutine wait for operating-system signals (a receive or
    /// range over a channel of `os.Signal`, or one given to
    /// `signal.Notify`)? A signal handler lives as long as the process.
    fn handles_signals(&self, worker: &Worker<'a>) -> bool {
        let Some(body) = worker.body() else {
            return false;
        };
        let wsrc = worker.src();
        let spawner_text = enclosing_function(self.go)
            .map(|f| text(f, self.src()))
            .unwrap_or("");
        let mut stack = vec![body];
        while let Some(n) = stack.pop() {
            let mut c = n.walk();
            stack.extend(n.named_children(&mut c));
            let operand = match n.kind() {
                "unary_expression"
                    if n.child_by_field_name("operator")
                        .is_some_and(|o| text(o, wsrc) == "<-") =>
                {
                    n.child_by_field_name("operand")
                }
                "range_clause" => n.child_by_field_name("right"),
                _ => None,
            };
            let Some(ch) = operand.filter(|o| o.kind() == "identifier") else {
                continue;
            };
            let name = text(ch, wsrc);
            let typed =
                declaration_of(ch, wsrc).is_some_and(|(_, d)| text(d, wsrc).contains("os.Signal"));
            let notified = spawner_text.contains(&format!("signal.Notify({name},"))
                || text(worker.func, wsrc).contains(&format!("signal.Notify({name},"));
            if typed || notified {
                return true;
            }
        }
        false
    }

    /// A one-shot goroutine that waits for a context that never ends
    /// (`<-ctx.Done()` first, then cleanup), started per call: on a
    /// background context it waits forever; on one that lasts as long as
    /// its owner or the process (`s.ctx`, a package-level context) it
    /// waits that long, one more per call, for cleanup that only concerns
    /// the call.
    fn check_wait(&self, worker: &Worker<'a>) -> Option<Finding> {
        if !worker.literal {
            return None;
        }
        let body = worker.body()?;
        let stmts = block_statements(body);
        let i = stmts.iter().position(|s| s.kind() != "defer_statement")?;
        let wait = stmts[i];
        let done = done_wait(wait, self.src())?;
        let src = self.src();
        let ctx = done
            .child_by_field_name("function")?
            .child_by_field_name("operand")?;
        let ctx_text = text(ctx, src).to_string();
        let uses = self.context_uses(worker);
        let background = is_background_call(ctx, self.file)
            || ctx.kind() == "identifier"
                && uses.iter().any(|u| {
                    u.source.is_background() && u.at_loop.as_deref() == Some(ctx_text.as_str())
                });
        if background {
            let bg = uses
                .iter()
                .find_map(|u| match &u.source {
                    Source::BgVar { name, value, .. } if *name == ctx_text => {
                        Some(format!("`{name}` (`{}`)", text(*value, src)))
                    }
                    _ => None,
                })
                .unwrap_or_else(|| format!("`{ctx_text}`"));
            let finding = self.finding(format!(
                "This goroutine waits for {bg} to be done, which never happens: every call of {} leaves it waiting",
                self.spawner_name()
            ));
            return Some(match self.thread_fix(worker, &[], &uses, &[]) {
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
        let lifetime = self.process_long(ctx)?;
        let cleanup = &stmts[i + 1..];
        let locals = self.call_locals(worker, cleanup)?;
        let finding = self.finding(format!(
            "This goroutine waits for `{ctx_text}` to be done, which happens only when {lifetime} ends, to clean up after one call of {} (`{}`): every call leaves one more waiting",
            self.spawner_name(),
            locals.join("`, `")
        ));
        let mut plan = Plan::default();
        Some(match self.tie_to_call(worker, wait, &mut plan) {
            Ok(()) => {
                let fix = Fix::unsafe_(plan.title(), plan.merged_edits())
                    .with_claim(self.path(), self.go.byte_range());
                finding.with_fix(fix)
            }
            Err(why) => finding.with_note(format!("no fix: {why}")),
        })
    }

    /// A context that lasts as long as an owner or the process: a field of
    /// the method's receiver (`s.ctx`), or a package-level variable.
    /// Its owner, for messages.
    fn process_long(&self, ctx: Node<'a>) -> Option<String> {
        let src = self.src();
        let spawner = enclosing_function(self.go)?;
        let env = TypeEnv::for_function(self.pkg, self.file, self.cx.go_catalog, spawner);
        let is_ctx = |n: Node| {
            env.type_of(n)
                .is_some_and(|t| t.package == "context" && t.name == "Context")
        };
        match ctx.kind() {
            "identifier" => {
                let name = text(ctx, src);
                (declaration_of(ctx, src).is_none()
                    && self.pkg.decls.vars.contains_key(name)
                    && !self.facts.is_background_var(name))
                .then(|| "the process".to_string())
            }
            "selector_expression" => {
                let operand = ctx.child_by_field_name("operand")?;
                if operand.kind() != "identifier" || !is_ctx(ctx) {
                    return None;
                }
                let mut top = spawner;
                while let Some(f) = enclosing_function(top) {
                    top = f;
                }
                let recv = top.child_by_field_name("receiver")?;
                let is_receiver = recv.named_child(0).is_some_and(|d| {
                    d.child_by_field_name("name")
                        .is_some_and(|n| text(n, src) == text(operand, src))
                });
                is_receiver.then(|| format!("`{}`", text(operand, src)))
            }
            _ => None,
        }
    }

    /// The spawning function's own values the cleanup uses, when none of
    /// them outlives the call: values the function releases itself with a
    /// `defer` (`defer conn.Close()`), and locals used only through their
    /// methods and fields. None when there are none (the cleanup concerns the
    /// owner: a shutdown hook) or one may outlive the call.
    fn call_locals(&self, worker: &Worker<'a>, cleanup: &[Node<'a>]) -> Option<Vec<String>> {
        let src = self.src();
        let spawner = enclosing_function(self.go)?;
        let mut names: Vec<String> = Vec::new();
        for stmt in cleanup {
            let mut stack = vec![*stmt];
            while let Some(n) = stack.pop() {
                let mut c = n.walk();
                stack.extend(n.named_children(&mut c));
                if n.kind() != "identifier" {
                    continue;
                }
                let name = text(n, src);
                let Some((scope_node, decl)) = declaration_of(n, src) else {
                    continue;
                };
                if scope::contains(worker.func, decl) || !scope::contains(spawner, decl) {
                    continue;
                }
                if names.iter().any(|x| x == name) {
                    continue;
                }
                let refs = scope::references(scope_node, name, src);
                let outside: Vec<&Node> = refs
                    .iter()
                    .filter(|r| !scope::contains(worker.func, **r) && !scope::contains(decl, **r))
                    .collect();
                let through_members = outside.iter().all(|r| {
                    r.parent().is_some_and(|p| {
                        p.kind() == "selector_expression"
                            && p.child_by_field_name("operand")
                                .is_some_and(|o| o.id() == r.id())
                    })
                });
                // Released by the function's own `defer v.Close()`: done
                // for once it returns, wherever else it was passed.
                let released_here = outside.iter().any(|r| {
                    let mut cur = **r;
                    while let Some(p) = cur.parent() {
                        if p.kind() == "defer_statement" {
                            return true;
                        }
                        if p.id() == spawner.id() || p.kind() == "func_literal" {
                            break;
                        }
                        cur = p;
                    }
                    false
                });
                let local = decl.kind() != "parameter_declaration";
                if !(released_here || local && through_members) {
                    return None;
                }
                names.push(name.to_string());
            }
        }
        (!names.is_empty()).then_some(names)
    }

    pub(super) fn finding(&self, message: String) -> Finding {
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

    /// The function that contains the `go` statement, by name.
    /// "`watch`", or "the func literal in `routes`" (a handler, a callback).
    pub(super) fn spawner_name(&self) -> String {
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

    /// Goroutines started once per process (`analysis::go::once`) are
    /// meant to live as long as the process.
    pub(super) fn runs_once(&self) -> bool {
        self.facts.runs_once(self.go, self.file)
            || self.facts.serves_the_process(self.go, self.call, self.file)
    }

    /// The code the goroutine runs: the literal, or the package's function
    /// or method it calls. None when leakfix cannot see it.
    pub(super) fn worker(&self) -> Option<Worker<'a>> {
        self.facts.worker(&GoStmt {
            file: self.file,
            go: self.go,
            call: self.call,
        })
    }

    // ----- contexts ---------------------------------------------------

    /// The contexts the goroutine uses, and where they come from.
    pub(super) fn context_uses(&self, worker: &Worker<'a>) -> Vec<CtxUse<'a>> {
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
                if self.facts.is_background_var(name) {
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
    pub(super) fn collect_in_spawner(
        &self,
        root: Node<'a>,
        worker: &Worker<'a>,
        out: &mut Vec<CtxUse<'a>>,
    ) {
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
                            if self.facts.is_background_var(name) {
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
    pub(super) fn classify_expr(&self, e: Node<'a>) -> Source<'a> {
        let src = self.src();
        if is_background_call(e, self.file) {
            return Source::Inline(e);
        }
        if e.kind() == "identifier" {
            let name = text(e, src);
            return match declaration_of(e, src) {
                Some((_, decl)) => classify(decl, name, self.file).unwrap_or(Source::Opaque),
                None if self.facts.is_background_var(name) => Source::BgPkgVar {
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
}

/// A declaration's context, as this rule tracks it.
/// `<-x.Done()` as a statement of its own: the `x.Done()` call.
fn done_wait<'t>(stmt: Node<'t>, src: &str) -> Option<Node<'t>> {
    if stmt.kind() != "expression_statement" {
        return None;
    }
    let recv = stmt.named_child(0)?;
    if recv.kind() != "unary_expression"
        || recv.child_by_field_name("operator").map(|o| text(o, src)) != Some("<-")
    {
        return None;
    }
    let call = recv.child_by_field_name("operand")?;
    let (_, field) = crate::lang::go::selector_call(call)?;
    (text(field, src) == "Done").then_some(call)
}

pub(super) fn classify<'a>(decl: Node<'a>, name: &str, file: &GoFile) -> Option<Source<'a>> {
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
