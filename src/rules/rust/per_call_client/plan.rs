//! Where the one client goes: a client the module already shares, a new
//! field of a struct that owns its runtime, before the loop, or a new
//! `static` (`hoist`). Also what the construction depends on, which decides
//! whether it can move at all.

use tree_sitter::Node;

use super::{Form, Site, hoist};
use crate::analysis::rust::flow::{UseKind, uses_after};
use crate::analysis::rust::items::{
    SharedClient, SharedKind, construction_key, has_self, impl_type, owns_runtime, shared_clients,
    struct_fields, struct_item, struct_literals,
};
use crate::analysis::rust::syntax::{
    contains, local_bindings, outermost_fn, simple_binding, statement_of, value_identifiers,
};
use crate::analysis::rust::visit;
use crate::fix::{Edit, Fix};
use crate::lang::text;
use crate::rewrite::rust::{
    Chain, chain_top, module_of, reindent, replace_chain_root, replace_value, whole_lines,
};

/// The fix for a construction that repeats, `Ok(None)` when it is not a
/// finding after all, or `Err` with the reason there is no fix.
pub(super) fn fix(
    site: &Site,
    lp: Option<Node>,
    request: bool,
    handler: bool,
) -> Result<Option<Fix>, String> {
    let deps = dependencies(site)?;
    if !deps.is_empty() {
        return match lp {
            Some(lp) => {
                loop_invariant(site, lp, &deps)?;
                loop_fix(site, lp, &deps).map(Some)
            }
            // Only "takes arguments": a client per distinct argument may be the point.
            None if !handler => Ok(None),
            None => Err(format!(
                "its arguments depend on this call ({}), so leakfix does not rewrite it: keep one client per distinct value (a map, or a field of your state) or build it from configuration at startup",
                deps.iter()
                    .map(|d| format!("`{d}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        };
    }
    let file = site.file;
    let src = site.src();
    let e = site.ctor.expr;
    let outer = outermost_fn(e).ok_or("not in a function")?;
    let module = module_of(outer).ok_or("not in a module")?;
    let method = Some(outer).filter(|f| has_self(*f) && impl_type(*f, src).is_some());
    let ty = site.client_type();
    let want = ty
        .as_deref()
        .map(|t| file.resolve(t, e.start_byte()))
        .unwrap_or_default();
    let key = construction(site);
    // Fields of the receiver first: the home the code already gives it.
    let mut same_type: Vec<SharedClient> = shared_clients(file, module, method)
        .into_iter()
        .filter(|s| !want.is_empty() && s.ty == want)
        .collect();
    same_type.sort_by_key(|s| s.kind != SharedKind::Field);
    let same_build = |s: &&SharedClient| key.is_some() && s.init == key;

    // A struct that owns its runtime keeps its client in a field.
    let owner = method
        .and_then(|m| impl_type(m, src))
        .filter(|s| owns_runtime(file, s));
    if let Some(strukt) = owner {
        if let Some(s) = same_type
            .iter()
            .filter(|s| s.kind == SharedKind::Field)
            .find(same_build)
        {
            return reuse_fix(site, s).map(Some);
        }
        if let Some(s) = same_type.iter().find(|s| s.kind == SharedKind::Field) {
            return Err(differently_built(s));
        }
        return field_fix(site, &strukt, ty.as_deref()).map(Some);
    }
    if let Some(s) = same_type.iter().find(same_build) {
        return reuse_fix(site, s).map(Some);
    }
    // One built differently stops a new one, unless it is one leakfix
    // names for another construction (`HTTP_CLIENT`, `http_client_2()`).
    let base = site.base_name();
    if let Some(s) = same_type.iter().find(|s| !named_like(&s.name, &base)) {
        return Err(differently_built(s));
    }
    if let Some(lp) = lp
        && !request
        && let Ok(f) = loop_fix(site, lp, &deps)
    {
        return Ok(Some(f));
    }
    hoist::static_fix(site, ty.as_deref()).map(Some)
}

/// Is `name` the name leakfix gives a shared client for `base`
/// (`http_client`, `HTTP_CLIENT`, `http_client_2`, `HTTP_CLIENT_3`)?
fn named_like(name: &str, base: &str) -> bool {
    let lower = name.to_lowercase();
    lower == base
        || lower
            .strip_prefix(base)
            .and_then(|r| r.strip_prefix('_'))
            .is_some_and(|n| n.parse::<u32>().is_ok_and(|n| n >= 2))
}

fn differently_built(s: &SharedClient) -> String {
    let what = match s.kind {
        SharedKind::Static => format!("the static `{}`", s.name),
        SharedKind::Accessor => format!("`{}()`", s.name),
        SharedKind::Field => format!("the field `self.{}`", s.name),
    };
    let how = if s.init.is_some() {
        "built differently"
    } else {
        "built where leakfix cannot compare"
    };
    format!(
        "the code already shares a client of this type in {what} ({how}): reuse it (`{}`) if its configuration fits this call; leakfix does not add a second one beside it",
        s.access
    )
}

/// How the construction builds the client, comparable with `construction_key`.
fn construction(site: &Site) -> Option<String> {
    match &site.ctor.form {
        Form::Expr => construction_key(site.file, site.ctor.expr),
        Form::Shortcut { shortcut, .. } => Some(format!("{}()", shortcut.client)),
        Form::Split { .. } => None,
    }
}

/// The code the construction is made of: for a split builder, the values
/// of its statements too.
pub(super) fn parts<'t>(site: &Site<'_, 't>) -> Vec<Node<'t>> {
    match &site.ctor.form {
        Form::Expr => vec![site.ctor.expr],
        Form::Shortcut { .. } => Vec::new(),
        Form::Split { stmts, .. } => {
            let mut v: Vec<Node> = stmts.clone();
            v.push(site.ctor.expr);
            v
        }
    }
}

/// Locals the construction reads, or why it cannot be moved at all.
fn dependencies(site: &Site) -> Result<Vec<String>, String> {
    let e = site.ctor.expr;
    let src = site.src();
    let Some(outer) = outermost_fn(e) else {
        return Ok(Vec::new());
    };
    let skip = match &site.ctor.form {
        Form::Split { var, stmts } => {
            check_split(site, var, stmts)?;
            Some(var.clone())
        }
        _ => None,
    };
    let parts = parts(site);
    let locals: Vec<String> = local_bindings(outer, src)
        .into_iter()
        .map(|(n, _)| n)
        .filter(|n| Some(n) != skip.as_ref())
        .collect();
    let mut deps: Vec<String> = Vec::new();
    let mut inner = false;
    for p in &parts {
        let value = if p.kind() == "let_declaration" {
            p.child_by_field_name("value")
        } else {
            Some(*p)
        };
        if let Some(v) = value {
            visit(v, &mut |n| {
                if matches!(
                    n.kind(),
                    "try_expression" | "await_expression" | "return_expression"
                ) {
                    inner = true;
                }
            });
        }
    }
    if inner {
        return Err(
            "its arguments use `?`, `.await` or `return`, which cannot move into shared state"
                .into(),
        );
    }
    let mut idents = Vec::new();
    for p in &parts {
        idents.extend(value_identifiers(*p, src));
    }
    for (name, _) in &idents {
        if (name == "self" || locals.contains(name)) && !deps.contains(name) {
            deps.push(name.clone());
        }
    }
    // Names that only exist inside the function: items and `use`s in its body.
    let body = outer.child_by_field_name("body");
    let mut block_items = Vec::new();
    if let Some(body) = body {
        visit(body, &mut |n| {
            if matches!(
                n.kind(),
                "const_item" | "static_item" | "function_item" | "struct_item" | "enum_item"
            ) && let Some(name) = n.child_by_field_name("name")
            {
                block_items.push(text(name, src).to_string());
            }
        });
    }
    let module_start = outer.start_byte();
    let mut first_segments: Vec<(String, usize)> = Vec::new();
    for p in &parts {
        visit(*p, &mut |n| {
            if n.kind() == "scoped_identifier"
                && n.parent().is_none_or(|p| p.kind() != "scoped_identifier")
            {
                let t = text(n, src);
                first_segments.push((
                    t.split("::").next().unwrap_or(t).to_string(),
                    n.start_byte(),
                ));
            }
        });
    }
    for (name, n) in &idents {
        if !locals.contains(name) && Some(name) != skip.as_ref() {
            first_segments.push((name.clone(), n.start_byte()));
        }
    }
    for (seg, at) in &first_segments {
        if block_items.contains(seg) {
            return Err(format!(
                "it uses `{seg}`, which is declared inside the function"
            ));
        }
        let local_use =
            site.file.uses.iter().any(|u| {
                &u.alias == seg && u.scope.contains(at) && !u.scope.contains(&module_start)
            });
        if local_use {
            return Err(format!(
                "it uses `{seg}`, imported by a `use` inside the function"
            ));
        }
    }
    Ok(deps)
}

/// A split builder leakfix can move: `let [mut] b = <start>;`, then only
/// `b = b.step(..);` or `let [mut] b = b.step(..);`, each on lines of its
/// own, and `b` used nowhere after the finishing call.
fn check_split(site: &Site, var: &str, stmts: &[Node]) -> Result<(), String> {
    let src = site.src();
    let source = &site.file.parsed.source;
    let not_moved = || {
        format!(
            "the builder `{var}` is configured in statements leakfix does not move (only `{var} = {var}.method(..);` steps are)"
        )
    };
    for (i, s) in stmts.iter().enumerate() {
        whole_lines(source, *s).ok_or_else(not_moved)?;
        if i == 0 {
            continue;
        }
        let (left, right) = match s.kind() {
            "let_declaration" => (simple_binding(*s, src), s.child_by_field_name("value")),
            "expression_statement" => {
                let a = s
                    .named_child(0)
                    .filter(|a| a.kind() == "assignment_expression")
                    .ok_or_else(not_moved)?;
                (
                    a.child_by_field_name("left")
                        .map(|l| text(l, src).to_string()),
                    a.child_by_field_name("right"),
                )
            }
            _ => return Err(not_moved()),
        };
        let root = right.map(crate::analysis::rust::items::chain_root);
        if left.as_deref() != Some(var)
            || root.is_none_or(|r| r.kind() != "identifier" || text(r, src) != var)
        {
            return Err(not_moved());
        }
    }
    // Nothing after the finishing statement uses the builder.
    let last = statement_of(site.ctor.expr).ok_or_else(not_moved)?;
    let block = last.parent().ok_or_else(not_moved)?;
    let mut later = false;
    visit(block, &mut |n| {
        later |=
            n.start_byte() >= last.end_byte() && n.kind() == "identifier" && text(n, src) == var;
    });
    if later {
        return Err(format!(
            "the builder `{var}` is used again after it builds the client"
        ));
    }
    Ok(())
}

/// Do `deps` keep their values for the whole loop?
fn loop_invariant(site: &Site, lp: Node, deps: &[String]) -> Result<(), String> {
    let src = site.src();
    let inside: Vec<String> = local_bindings(lp, src)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    for d in deps {
        if d == "self" {
            continue;
        }
        if inside.contains(d) {
            return Err(format!(
                "it depends on `{d}`, which changes on every iteration, so it is reported, not rewritten"
            ));
        }
        let mut changed = false;
        visit(lp, &mut |n| {
            let target = match n.kind() {
                "assignment_expression" | "compound_assignment_expr" => {
                    n.child_by_field_name("left")
                }
                "reference_expression"
                    if text(n, src)
                        .trim_start_matches('&')
                        .trim_start()
                        .starts_with("mut ") =>
                {
                    n.child_by_field_name("value")
                }
                _ => None,
            };
            if target.is_some_and(|t| text(t, src) == d) {
                changed = true;
            }
        });
        if changed {
            return Err(format!(
                "it depends on `{d}`, which the loop changes, so it is reported, not rewritten"
            ));
        }
    }
    Ok(())
}

/// Moves `let client = ...;` to just before the loop.
fn loop_fix(site: &Site, lp: Node, deps: &[String]) -> Result<Fix, String> {
    if !matches!(site.ctor.form, Form::Expr) {
        return Err("only a construction in one `let` moves before the loop".into());
    }
    loop_invariant(site, lp, deps)?;
    let src = site.src();
    let source = &site.file.parsed.source;
    let e = site.ctor.expr;
    let stmt = statement_of(e)
        .filter(|s| s.kind() == "let_declaration")
        .ok_or("the client is not bound with `let` directly in the loop body")?;
    let body = lp.child_by_field_name("body").ok_or("malformed loop")?;
    if stmt.parent().is_none_or(|p| p.id() != body.id()) {
        return Err("the client is built inside a nested block of the loop".into());
    }
    let name = simple_binding(stmt, src).ok_or("the client is bound to a pattern")?;
    let uses = uses_after(stmt, &name, src)
        .ok_or_else(|| format!("`{name}` is bound again in the loop"))?;
    if uses
        .iter()
        .any(|u| matches!(u.kind, UseKind::Moved | UseKind::Reassigned))
    {
        return Err(format!(
            "`{name}` is moved or reassigned in the loop, so one client cannot serve every iteration"
        ));
    }
    // The name must mean nothing else in the function: moving the `let`
    // out of the loop must not shadow another binding.
    let outer = outermost_fn(e).ok_or("not in a function")?;
    let mut elsewhere = false;
    visit(outer, &mut |n| {
        if n.kind() == "identifier"
            && text(n, src) == name
            && !contains(stmt, n)
            && !(contains(body, n) && n.start_byte() > stmt.end_byte())
        {
            elsewhere = true;
        }
    });
    if elsewhere {
        return Err(format!("`{name}` is also used outside the loop"));
    }
    let loop_stmt = statement_of(lp).ok_or("the loop is not a statement")?;
    let nl = source.newline();
    let (del_start, del_end) =
        whole_lines(source, stmt).ok_or("the `let` shares its line with other code")?;
    let stmt_text = src[stmt.start_byte()..del_end].trim_end();
    let loop_line_start = source
        .line_range(source.line_index(loop_stmt.start_byte()))
        .start;
    if !src[loop_line_start..loop_stmt.start_byte()]
        .trim()
        .is_empty()
    {
        return Err("the loop shares its line with other code".into());
    }
    let from = source.indent_at(stmt.start_byte());
    let to = source.indent_at(loop_stmt.start_byte());
    if from.contains('\t') || to.contains('\t') {
        return Err("tab-indented code".into());
    }
    let moved = reindent(stmt_text, from.len(), to.len(), nl).ok_or("unusual indentation")?;
    let path = site.file.parsed.path.clone();
    let edits = vec![
        Edit::insertion(path.clone(), loop_line_start, format!("{to}{moved}{nl}")),
        Edit::deletion(path.clone(), del_start..del_end),
    ];
    Ok(
        Fix::unsafe_(format!("build `{name}` once, before the loop"), edits)
            .with_claim(path, e.byte_range()),
    )
}

/// Splits a catalog call template (`.get({args}).send()`) into chain links.
pub(super) fn template_links(template: &str, args: &str) -> Vec<String> {
    let filled = template.replace("{args}", args);
    let mut links = Vec::new();
    let mut depth = 0i32;
    let mut cur = String::new();
    for ch in filled.chars() {
        match ch {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            '.' if depth == 0 && !cur.is_empty() => links.push(std::mem::take(&mut cur)),
            _ => {}
        }
        cur.push(ch);
    }
    if !cur.is_empty() {
        links.push(cur);
    }
    links
}

/// Replaces the construction with the shared client `s`.
fn reuse_fix(site: &Site, s: &SharedClient) -> Result<Fix, String> {
    let file = site.file;
    let src = site.src();
    let source = &file.parsed.source;
    let style = file.style();
    let e = site.ctor.expr;
    let entry = site.ctor.entry;
    let path = file.parsed.path.clone();
    let layout = "the chain around the constructor is laid out in a way leakfix does not rewrite";
    let mut edits = Vec::new();
    match &site.ctor.form {
        Form::Shortcut { shortcut, args } => {
            if s.fallible {
                return Err(differently_built(s));
            }
            let recv = s.access.strip_suffix(".clone()").unwrap_or(&s.access);
            let chain = Chain {
                root: recv.to_string(),
                links: template_links(&shortcut.call, args),
            };
            let (range, text) =
                replace_chain_root(chain_top(e), e, &chain, source, style).ok_or(layout)?;
            edits.push(Edit::replacement(path.clone(), range, text));
        }
        Form::Expr | Form::Split { .. } => {
            let access_core = s.access.strip_suffix(".await").unwrap_or(&s.access);
            let (node, replacement) = if s.fallible == entry.fallible()
                && s.is_async == entry.is_async
            {
                (e, access_core.to_string())
            } else if !s.fallible && !s.is_async {
                (unwrapped(e, entry.is_async, entry.fallible(), src).ok_or_else(|| {
                    format!(
                        "the shared client `{}` cannot fail, and leakfix only rewrites a construction whose error is taken with `?`, `unwrap` or `expect`",
                        s.access
                    )
                })?, s.access.clone())
            } else {
                return Err(differently_built(s));
            };
            let receiver = replacement.strip_suffix(".clone()");
            let (range, text) =
                replace_value(node, &replacement, receiver, source, style).ok_or(layout)?;
            edits.push(Edit::replacement(path.clone(), range, text));
            if let Form::Split { stmts, .. } = &site.ctor.form {
                for st in stmts {
                    let (a, b) = whole_lines(source, *st).ok_or(layout)?;
                    edits.push(Edit::deletion(path.clone(), a..b));
                }
            }
        }
    }
    let title = match s.kind {
        SharedKind::Field => format!("reuse the client in `self.{}`", s.name),
        SharedKind::Static => format!("reuse the shared client `{}`", s.name),
        SharedKind::Accessor => format!("reuse the shared client from `{}()`", s.name),
    };
    Ok(Fix::unsafe_(title, edits).with_claim(path, e.byte_range()))
}

/// `e` with the `.await` and the `?` / `.unwrap()` / `.expect(..)` that
/// take its value out of the future and the `Result`.
fn unwrapped<'t>(e: Node<'t>, is_async: bool, fallible: bool, src: &str) -> Option<Node<'t>> {
    let mut n = e;
    if is_async {
        n = n.parent().filter(|p| p.kind() == "await_expression")?;
    }
    if fallible {
        let p = n.parent()?;
        n = match p.kind() {
            "try_expression" => p,
            "field_expression"
                if matches!(
                    p.child_by_field_name("field").map(|f| text(f, src)),
                    Some("unwrap" | "expect")
                ) =>
            {
                p.parent().filter(|g| g.kind() == "call_expression")?
            }
            _ => return None,
        };
    }
    Some(n)
}

/// A struct that owns its runtime: the client becomes a field, built
/// wherever the struct is, and the method clones it.
fn field_fix(site: &Site, strukt: &str, ty: Option<&str>) -> Result<Fix, String> {
    let file = site.file;
    let src = site.src();
    let source = &file.parsed.source;
    let nl = source.newline();
    let entry = site.ctor.entry;
    let e = site.ctor.expr;
    let why = format!(
        "`{strukt}` owns its own async runtime, so a `static` would share one pool across runtimes (which can hang): keep the client in a field of `{strukt}`"
    );
    if entry.fallible() || entry.is_async || !matches!(site.ctor.form, Form::Expr) {
        return Err(format!(
            "{why}; leakfix only adds a field for a constructor that cannot fail and is not async"
        ));
    }
    let ty = ty.ok_or_else(|| format!("{why}; its type is inferred from its use"))?;
    let item = struct_item(file, strukt).ok_or_else(|| why.clone())?;
    let attrs = crate::analysis::rust::syntax::attributes(item, src);
    if attrs.iter().any(|a| a.contains("Default")) {
        return Err(format!(
            "{why}; it derives `Default`, which leakfix cannot extend"
        ));
    }
    let body = item
        .child_by_field_name("body")
        .filter(|b| b.kind() == "field_declaration_list")
        .ok_or_else(|| why.clone())?;
    let existing: Vec<String> = struct_fields(file, strukt)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let base = site.base_name();
    let name = (1..10)
        .map(|i| {
            if i == 1 {
                base.clone()
            } else {
                format!("{base}_{i}")
            }
        })
        .find(|n| !existing.contains(n))
        .ok_or("no free field name")?;
    let lits = struct_literals(file, strukt);
    if lits.is_empty() {
        return Err(format!("{why}; it is built outside this file"));
    }
    let path = file.parsed.path.clone();
    let mut edits = Vec::new();
    // The field, after the last one.
    let mut c = body.walk();
    let last = body
        .named_children(&mut c)
        .filter(|f| f.kind() == "field_declaration")
        .last()
        .ok_or_else(|| why.clone())?;
    let after_last = &src[last.end_byte()..body.end_byte()];
    if !after_last.trim_start().starts_with(',') || !text(body, src).contains('\n') {
        return Err(format!(
            "{why}; its fields are laid out in a way leakfix does not extend"
        ));
    }
    let comma = last.end_byte() + after_last.find(',').unwrap() + 1;
    let indent = source.indent_at(last.start_byte()).to_string();
    edits.push(Edit::insertion(
        path.clone(),
        comma,
        format!("{nl}{indent}{name}: {ty},"),
    ));
    // Every literal builds it.
    let built = text(e, src);
    if built.contains('\n') {
        return Err(format!("{why}; the constructor spans lines"));
    }
    for lit in &lits {
        let fields = lit.child_by_field_name("body").ok_or_else(|| why.clone())?;
        let mut c = fields.walk();
        let items: Vec<Node> = fields.named_children(&mut c).collect();
        if items.iter().any(|i| i.kind() == "base_field_initializer") {
            return Err(format!(
                "{why}; a literal of it uses `..`, which leakfix does not extend"
            ));
        }
        let last = items.last().ok_or_else(|| why.clone())?;
        let after = &src[last.end_byte()..fields.end_byte()];
        if text(fields, src).contains('\n') {
            if !after.trim_start().starts_with(',') {
                return Err(format!(
                    "{why}; a literal of it is laid out in a way leakfix does not extend"
                ));
            }
            let comma = last.end_byte() + after.find(',').unwrap() + 1;
            let ind = source.indent_at(last.start_byte());
            edits.push(Edit::insertion(
                path.clone(),
                comma,
                format!("{nl}{ind}{name}: {built},"),
            ));
        } else {
            // One line: rustfmt lays the longer literal out one field per line.
            let base_ind = source.indent_at(lit.start_byte()).to_string();
            let ind = format!("{base_ind}{}", file.style().indent_unit());
            let mut out = format!("{{{nl}");
            for i in &items {
                let t = text(*i, src);
                if t.contains('\n') {
                    return Err(why.clone());
                }
                out.push_str(&format!("{ind}{t},{nl}"));
            }
            out.push_str(&format!("{ind}{name}: {built},{nl}{base_ind}}}"));
            edits.push(Edit::replacement(path.clone(), fields.byte_range(), out));
        }
    }
    edits.push(Edit::replacement(
        path.clone(),
        e.byte_range(),
        format!("self.{name}.clone()"),
    ));
    Ok(Fix::unsafe_(
        format!("keep the client in a new field `{name}` of `{strukt}` (it owns its runtime, so no `static`), built with the struct"),
        edits,
    )
    .with_claim(path.clone(), e.byte_range())
    .with_claim(path, item.byte_range()))
}
