//! Planning the fix: which function's context the goroutine gets, the
//! background contexts it replaces, and the functions that gain a `ctx`
//! parameter (their callers are completed in phase two, `call_sites`).

use std::collections::HashSet;
use std::sync::Arc;

use tree_sitter::Node;

use super::call_sites::{GoroutineCallers, NewParam};
use super::find::classify;
use super::held::Held;
use super::*;
use crate::analysis::go::contexts::{
    context_param, declaration_of, declaration_of_name, is_background_call, is_transparent,
    request_param,
};
use crate::analysis::go::goroutines::Worker;
use crate::analysis::go::scope::{self};
use crate::analysis::go::uses::FuncRef;
use crate::fix::Fix;
use crate::lang::go::{
    enclosing_function, identifiers_named, is_function, is_written, named_children_no_comments,
};
use crate::lang::text;
use crate::rewrite::go::{ImportEdit, delete_statement, ensure_import, insert_first};
use crate::rules::callers::CallerFix;

impl<'a> Spawn<'a> {
    // ----- fixes ---------------------------------------------------------

    /// The function whose context the goroutine gets.
    pub(super) fn owner(&self) -> Result<Owner<'a>, String> {
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
    pub(super) fn is_transparent(&self, lit: Node<'a>) -> bool {
        is_transparent(lit, self.pkg, self.file, self.cx.go_catalog)
    }

    /// The whole fix for a goroutine on a background context.
    #[allow(clippy::type_complexity)]
    pub(super) fn thread_fix(
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
        // Trailing comments are lined up by the engine, or once the callers'
        // edits are in.
        let fix = Fix::unsafe_(title, plan.merged_edits()).with_claim(path, self.go.byte_range());
        if fix.has_overlapping_edits() {
            return Err("its edits would overlap (a layout leakfix does not handle)".into());
        }
        Ok((fix, notes, callers))
    }

    /// The worker (`go w(...)`) makes its own background context: it takes
    /// a `ctx` parameter instead, and the spawning function passes its own
    /// (gaining one too if it has none).
    #[allow(clippy::type_complexity)]
    pub(super) fn thread_into_worker(
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
                None if self.facts.is_background_var(name) => {
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
    pub(super) fn check_ctx_name(
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
    pub(super) fn reach(&self, worker: &Worker<'a>, owner: &Owner<'a>) -> Vec<Node<'a>> {
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
    pub(super) fn keeps_context_import(
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
    pub(super) fn new_parameter(
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
}
