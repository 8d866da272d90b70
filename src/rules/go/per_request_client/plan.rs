//! Deciding what becomes of one construction: where its arguments come
//! from (the request, the process, something unknown), how the client is
//! used (released, read, handed on, returned), and whether it can come from
//! a shared accessor.

use super::*;

impl<'a> Planner<'a> {
    /// Decides what to do with one site.
    pub(super) fn plan(&self, s: &Site<'a>) -> Outcome<'a> {
        let file = self.file(s.fi);
        let src = file.text();
        // The variable must be a local of this function, written only here.
        let scope = if s.direct_return {
            None
        } else {
            let (decl, scope) = match bind(s.var, src) {
                Binding::Local { decl, scope } => (decl, scope),
                _ => return Outcome::Skip, // a parameter, an outer or package variable: kept elsewhere
            };
            if !scope::contains(s.func, decl) {
                return Outcome::Skip;
            }
            let uses = local_uses(text(s.var, src), decl, scope, src);
            if uses.other_writes.iter().any(|w| {
                !(s.stmt.start_byte() <= w.start_byte() && w.end_byte() <= s.stmt.end_byte())
            }) || (decl.id() != s.stmt.id() && uses.other_writes.is_empty())
            {
                return Outcome::Skip; // assigned elsewhere too
            }
            Some(scope)
        };
        let var = text(s.var, src);
        let handler = self
            .handlers
            .get_or_init(|| PerRequest::of(self.pkg, self.cx.go_catalog))
            .handler_of(s.fi, s.call, src);
        let in_loop = scope::enclosing_loop(s.stmt, s.func);
        if s.direct_return && (handler.is_none() || in_loop.is_some()) {
            return Outcome::Skip;
        }
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
        let usage = match scope {
            None => Ok(Usage {
                releases: Vec::new(),
                reads: 1,
                in_goroutine: false,
                returns: vec![s.stmt],
                passed: 0,
            }),
            Some(scope) => self.usage(s, scope, true),
        };
        let usage = match usage {
            Ok(u) if !u.returns.is_empty() => {
                // A factory hands the client to its callers: shared there, or not at all.
                if !accessor || in_loop.is_some() {
                    return Outcome::Skip;
                }
                let (Some(handler), Some(deps)) = (handler, deps) else {
                    return Outcome::Skip;
                };
                return self.plan_factory(s, handler, &deps, ctx_arg, u);
            }
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
                caller_releases: Vec::new(),
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

    pub(super) fn message(&self, s: &Site<'a>, handler: Option<(Node<'a>, Style)>) -> String {
        let src = self.file(s.fi).text();
        let noun = s.resource.kind.noun();
        let var = if s.direct_return {
            String::new()
        } else {
            format!(" `{}`", text(s.var, src))
        };
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
                    "{noun}{var} from `{}` is built on every {every} (in {place}), though it is meant to be built once and shared",
                    s.callee
                )
            }
            None => format!(
                "{noun}{var} from `{}` is built on every iteration of the loop, though it is meant to be built once and reused",
                s.callee
            ),
        };
        capitalise(&msg)
    }

    /// Where the constructor's arguments come from, and the context argument
    /// the accessor replaces.
    pub(super) fn origin_of_call(
        &self,
        s: &Site<'a>,
        deps: &Deps<'a, 'a>,
    ) -> (Origin, Option<Node<'a>>) {
        let file = self.file(s.fi);
        let src = file.text();
        if s.call.kind() != "call_expression" {
            // A literal: what its fields read.
            return (deps.origin(s.call), None);
        }
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
    pub(super) fn key(
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
            .unwrap_or("")
            .to_string();
        // Files that are programs of their own (`go run update.go`) share nothing.
        let constraint = if self.one_file_programs() {
            format!("{constraint} {}", file.parsed.path.display())
        } else {
            constraint
        };
        format!(
            "{} {constraint}|{}",
            file.package_name,
            self.key_tokens(fi, call, ctx_arg, &defs, 0)
        )
    }

    /// Do files of the package declare the same function (`main`,
    /// `Handler`) without build constraints telling them apart? Then each
    /// is a program of its own, built alone.
    pub(super) fn one_file_programs(&self) -> bool {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (fi, file) in self.pkg.files.iter().enumerate() {
            let src = file.text();
            if src
                .lines()
                .take_while(|l| !l.starts_with("package "))
                .any(|l| l.starts_with("//go:build"))
            {
                continue;
            }
            let root = file.root();
            let mut c = root.walk();
            for decl in root.named_children(&mut c) {
                if decl.kind() != "function_declaration" {
                    continue;
                }
                let Some(name) = decl.child_by_field_name("name").map(|n| text(n, src)) else {
                    continue;
                };
                if name == "init" || name == "_" {
                    continue;
                }
                if seen.insert(name, fi).is_some_and(|other| other != fi) {
                    return true;
                }
            }
        }
        false
    }

    pub(super) fn key_tokens(
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

    /// How the variable is used: releases to delete, reads left.
    /// `returns`: a `return v` of the site's own function is followed (the
    /// function is a factory) rather than taken as handing the client on.
    pub(super) fn usage(
        &self,
        s: &Site<'a>,
        scope: Node<'a>,
        returns: bool,
    ) -> Result<Usage<'a>, UseProblem> {
        let file = self.file(s.fi);
        let src = file.text();
        let var = text(s.var, src);
        let release = &s.resource.release;
        let mut usage = Usage {
            releases: Vec::new(),
            reads: 0,
            in_goroutine: false,
            returns: Vec::new(),
            passed: 0,
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
                    usage.passed += 1;
                }
                "expression_list" => {
                    // `return v, nil` from the function that built it: a factory.
                    if returns
                        && let Some(ret) =
                            parent.parent().filter(|p| p.kind() == "return_statement")
                        && parent.named_child(0).is_some_and(|f| f.id() == r.id())
                        && enclosing_function(ret).is_some_and(|f| f.id() == s.func.id())
                    {
                        usage.returns.push(ret);
                        continue;
                    }
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
    pub(super) fn callee_releases_param(
        &self,
        fi: usize,
        callee: Node<'a>,
        idx: usize,
        depth: usize,
    ) -> bool {
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

    /// Accessors an earlier run wrote: top-level `func name() ...` whose body
    /// uses `nameCache` and builds one shareable client. Key -> name.
    pub(super) fn existing_accessors(&self) -> HashMap<String, String> {
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
}

pub(super) struct Usage<'a> {
    pub(super) releases: Vec<Node<'a>>,
    pub(super) reads: usize,
    pub(super) in_goroutine: bool,
    /// `return v` statements of the function that built it.
    pub(super) returns: Vec<Node<'a>>,
    /// Reads that pass it to a call (which may keep it).
    pub(super) passed: usize,
}

pub(super) enum UseProblem {
    /// Returned, stored, sent: someone else manages its lifetime.
    Managed,
    Note(String),
}

pub(super) fn unknown_note(why: &str) -> String {
    format!("it depends on {why}; leakfix cannot tell that it is the same for every request")
}

pub(super) fn join(a: Origin, b: Origin) -> Origin {
    match (a, b) {
        (r @ Origin::Request(_), _) | (_, r @ Origin::Request(_)) => r,
        (u @ Origin::Unknown(_), _) | (_, u @ Origin::Unknown(_)) => u,
        _ => Origin::Process,
    }
}

/// The statement that releases (`defer x.Close()`, `x.Close()`, `_ =
/// x.Close()`, `if err := x.Close(); err != nil {...}`, `defer func() {
/// x.Close() }()`, `if x != nil { x.Close() }`), when it can be deleted whole.
pub(super) fn removable_statement<'t>(call: Node<'t>, var: &str, src: &str) -> Option<Node<'t>> {
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
pub(super) fn in_func_literal_that_may_outlive(r: Node, func: Node, src: &str) -> bool {
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

pub(super) fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

pub(super) fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}
