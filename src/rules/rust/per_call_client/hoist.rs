//! A new `static` for a client nobody shares yet: which lock type the
//! crate can use (its `rust-version`, its dependencies), the text of the
//! static and its accessor laid out as rustfmt would, the import it needs,
//! and the edit that makes the per-call code use it.

use super::plan::template_links;
use super::{Form, Site};
use crate::analysis::rust::RustVersion;
use crate::analysis::rust::items::prelude_name_holds;
use crate::analysis::rust::syntax::{in_async_context, outermost_fn};
use crate::fix::{Edit, Fix};
use crate::lang::text;
use crate::rewrite::rust::{
    Chain, UseEdit, add_use, before_item, chain_top, declared_names, module_of, reindent,
    replace_chain_root, replace_value, top_item, whole_lines,
};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// `static X: LazyLock<T> = LazyLock::new(..);`, used as `X.clone()`.
    Lazy,
    /// `static X: OnceLock<T>` and `fn x() -> T` (or `Result<T, E>`).
    OnceLockFn,
    /// `static X: tokio::sync::OnceCell<T>` and `async fn x()`.
    TokioCell,
}

/// The lock type a shape uses, by library.
fn lock_path(shape: Shape, once_cell: bool) -> &'static str {
    match (shape, once_cell) {
        (Shape::Lazy, false) => "std::sync::LazyLock",
        (Shape::Lazy, true) => "once_cell::sync::Lazy",
        (Shape::OnceLockFn, false) => "std::sync::OnceLock",
        (Shape::OnceLockFn, true) => "once_cell::sync::OnceCell",
        (Shape::TokioCell, _) => "tokio::sync::OnceCell",
    }
}

/// Hoists the construction into a `static`.
pub(super) fn static_fix(site: &Site, ty: Option<&str>) -> Result<Fix, String> {
    let file = site.file;
    let src = site.src();
    let source = &file.parsed.source;
    let style = file.style();
    let nl = source.newline();
    let e = site.ctor.expr;
    let entry = site.ctor.entry;
    let ty = ty.ok_or(
        "its type is inferred from how it is used, and the code does not write it on the `let`, so leakfix cannot declare the shared value",
    )?;
    let outer = outermost_fn(e).ok_or("not in a function")?;
    let module = module_of(outer).ok_or("not in a module")?;
    let item = top_item(outer, module).ok_or("not in a module item")?;
    let indent = source.indent_at(item.start_byte()).to_string();
    if indent.contains('\t') || style.hard_tabs {
        return Err("tab-indented code".into());
    }
    let ind = indent.len();
    let krate = file.krate.as_deref();
    let lazy_ok = krate.is_some_and(|k| k.allows(RustVersion(1, 80)));
    let old = krate
        .and_then(|k| k.rust_version)
        .filter(|v| *v < RustVersion(1, 70));
    let once_cell = old.is_some();
    if let Some(v) = old
        && !file.depends_on("once_cell")
    {
        return Err(format!(
            "the crate's rust-version ({}.{}) is older than 1.70, which has no `OnceLock`, and it does not depend on once_cell: raise the rust-version or add once_cell, then share the client in a static",
            v.0, v.1
        ));
    }
    let tokio_cell = krate.and_then(|k| k.dependency("tokio")).is_some_and(|d| {
        (d.has_feature("full") || d.has_feature("sync"))
            && krate
                .and_then(|k| k.locked.get(&d.package))
                .is_none_or(|v| *v >= RustVersion(1, 30))
    });
    if entry.is_async && !in_async_context(e, src) {
        return Err(
            "the constructor is awaited outside an async context leakfix understands".into(),
        );
    }
    let split = matches!(site.ctor.form, Form::Split { .. });
    if split && entry.is_async {
        return Err("an async builder configured over several statements is not moved".into());
    }
    let shape = if entry.is_async {
        if tokio_cell {
            Shape::TokioCell
        } else {
            Shape::OnceLockFn
        }
    } else if entry.fallible() || split || !(lazy_ok || once_cell) {
        Shape::OnceLockFn
    } else {
        Shape::Lazy
    };

    let chain = match &site.ctor.form {
        Form::Shortcut { shortcut, .. } => Chain {
            root: format!("{}()", shortcut.client),
            links: Vec::new(),
        },
        _ => Chain::of(e, src)
            .ok_or("the constructor spans lines in a way leakfix does not rewrite")?,
    };
    let prelude = match &site.ctor.form {
        Form::Split { stmts, .. } => {
            let mut lines = Vec::new();
            let to = ind + style.tab_spaces;
            for s in stmts {
                let from = source.indent_at(s.start_byte()).len();
                lines.push(
                    reindent(text(*s, src), from, to, "\n")
                        .ok_or("the builder's statements are indented unusually")?,
                );
            }
            lines
        }
        _ => Vec::new(),
    };
    let result = if prelude_name_holds(file, module, "Result") {
        "Result"
    } else {
        "std::result::Result"
    };
    // The import the lock type needs, or its full path.
    let path = file.parsed.path.clone();
    let render_with = |shape: Shape| -> Result<(Rendered, Option<Edit>), String> {
        let lock_full = lock_path(shape, once_cell);
        let (lock, edit) = match add_use(file, module, lock_full) {
            Ok(UseEdit::InScope) => (last_segment(lock_full).to_string(), None),
            Ok(UseEdit::Insert { at, text }) => (
                last_segment(lock_full).to_string(),
                Some(Edit::insertion(path.clone(), at, text)),
            ),
            Ok(UseEdit::Replace { range, text }) => (
                last_segment(lock_full).to_string(),
                Some(Edit::replacement(path.clone(), range, text)),
            ),
            Ok(UseEdit::Qualify) | Err(_) => (lock_full.to_string(), None),
        };
        Ok((
            Rendered {
                shape,
                lock,
                result: result.to_string(),
            },
            edit,
        ))
    };

    let existing = declared_names(file.root(), src);
    let planned = site.planned.borrow();
    let taken_by_plan = |n: &str| planned.iter().any(|p| p.names.iter().any(|x| x == n));
    let base = site.base_name();
    for n in 1.. {
        let (stat, func) = if n == 1 {
            (base.to_uppercase(), base.clone())
        } else {
            (
                format!("{}_{n}", base.to_uppercase()),
                format!("{base}_{n}"),
            )
        };
        let (mut r, mut use_edit) = render_with(shape)?;
        let mut plan = r.render(site, &stat, &func, ty, &chain, &prelude, ind, nl);
        if plan.is_none() && shape == Shape::TokioCell {
            (r, use_edit) = render_with(Shape::OnceLockFn)?;
            plan = r.render(site, &stat, &func, ty, &chain, &prelude, ind, nl);
        }
        let (item_text, access, receiver) =
            plan.ok_or("the shared value would need a layout leakfix does not write")?;
        let taken = existing.contains(&stat) || existing.contains(&func);
        let reuse = taken && src.contains(item_text.trim_end());
        // The same item planned by another fix of this run: this one waits
        // for the next round, where it reuses it.
        let same_plan = planned
            .iter()
            .find(|p| p.text == item_text)
            .map(|p| p.claim.clone());
        if (taken && !reuse)
            || (taken_by_plan(&stat) || taken_by_plan(&func)) && same_plan.is_none()
        {
            if n > 9 {
                return Err("no free name for the shared client".into());
            }
            continue;
        }
        let layout =
            "the chain around the constructor is laid out in a way leakfix does not rewrite";
        let (range, new_text) = match &site.ctor.form {
            Form::Shortcut { shortcut, args } => {
                let c = Chain {
                    root: receiver.clone(),
                    links: template_links(&shortcut.call, args),
                };
                replace_chain_root(chain_top(e), e, &c, source, style).ok_or(layout)?
            }
            _ => replace_value(e, &access, Some(&receiver), source, style).ok_or(layout)?,
        };
        let mut edits = vec![Edit::replacement(path.clone(), range, new_text)];
        if let Form::Split { stmts, .. } = &site.ctor.form {
            for st in stmts {
                let (a, b) = whole_lines(source, *st).ok_or(layout)?;
                edits.push(Edit::deletion(path.clone(), a..b));
            }
        }
        let adds_import = use_edit.is_some();
        edits.extend(use_edit);
        if !reuse {
            let at = before_item(item, source, src);
            edits.push(Edit::insertion(
                path.clone(),
                at,
                format!("{item_text}{nl}{nl}"),
            ));
        }
        let lock = &r.lock;
        let title = match r.shape {
            Shape::Lazy => format!(
                "build the client once, in `static {stat}: {lock}<{ty}>`, and clone it per call"
            ),
            Shape::OnceLockFn if entry.fallible() => format!(
                "build the client once, in `{func}()` backed by `static {stat}: {lock}<{ty}>`; its error still reaches the caller"
            ),
            Shape::OnceLockFn => format!(
                "build the client once, in `{func}()` backed by `static {stat}: {lock}<{ty}>`"
            ),
            Shape::TokioCell => format!(
                "build the client once, in `{func}()` backed by `static {stat}: {lock}<{ty}>`"
            ),
        };
        let title = match (&site.ctor.form, r.shape) {
            (Form::Shortcut { .. }, Shape::Lazy) => format!(
                "send the request with one client, built once in `static {stat}: {lock}<{ty}>`"
            ),
            (Form::Shortcut { .. }, _) => format!(
                "send the request with one client, built once in `{func}()` backed by `static {stat}: {lock}<{ty}>`"
            ),
            _ => title,
        };
        // Names are chosen against the current text and the other fixes
        // of this run, so hoists of different clients can land in one
        // round. Two that add the same import, or the same item, cannot:
        // those claim the file's first byte, and the next round takes the
        // later one (which then finds the import, or reuses the item).
        let mut fix = Fix::unsafe_(title, edits).with_claim(path.clone(), e.byte_range());
        if adds_import {
            fix = fix.with_claim(path.clone(), 0..1);
        }
        match same_plan {
            // Conflicts with the fix that adds the item.
            Some(claim) => fix = fix.with_claim(path, claim),
            None if !reuse => {
                drop(planned);
                site.planned.borrow_mut().push(super::Planned {
                    names: [stat.clone(), func.clone()],
                    text: item_text.clone(),
                    claim: e.byte_range(),
                });
            }
            None => {}
        }
        return Ok(fix);
    }
    unreachable!()
}

/// `static NAME: Lock<T> = Lock::new();`, broken after `=` as rustfmt
/// does when it does not fit.
fn static_line(
    pad: &str,
    body: &str,
    stat: &str,
    lock: &str,
    ty: &str,
    new: &str,
    max: usize,
) -> String {
    let one = format!("{pad}static {stat}: {lock}<{ty}> = {lock}::{new}();");
    if one.len() <= max {
        one
    } else {
        format!("{pad}static {stat}: {lock}<{ty}> =\n{body}{lock}::{new}();")
    }
}

fn last_segment(p: &str) -> &str {
    p.rsplit("::").next().unwrap_or(p)
}

/// A shape with the names it writes.
struct Rendered {
    shape: Shape,
    /// The lock type as written: imported (`OnceLock`) or in full.
    lock: String,
    /// `Result`, or `std::result::Result` where that name may mean
    /// something else.
    result: String,
}

impl Rendered {
    /// The shared item(s), the expression that yields an owned client, and
    /// one that can receive a method call.
    #[allow(clippy::too_many_arguments)]
    fn render(
        &self,
        site: &Site,
        stat: &str,
        func: &str,
        ty: &str,
        chain: &Chain,
        prelude: &[String],
        ind: usize,
        nl: &str,
    ) -> Option<(String, String, String)> {
        let style = site.file.style();
        let entry = site.ctor.entry;
        let lock = &self.lock;
        let result = &self.result;
        let unit = style.tab_spaces;
        let pad = " ".repeat(ind);
        let body = " ".repeat(ind + unit);
        let fits = |s: &str| s.lines().all(|l| l.len() <= style.max_width);
        let finish = |t: String| t.replace('\n', nl).replace("\r\r", "\r");
        match self.shape {
            Shape::Lazy => {
                let head = format!("{pad}static {stat}: {lock}<{ty}> = ");
                let plain_path = chain.links.is_empty()
                    && chain.root.ends_with("()")
                    && !chain.root.contains('<');
                let init = if plain_path {
                    format!("{lock}::new({});", chain.root.trim_end_matches("()"))
                } else {
                    let one = chain.format(style, 0, 0, "")?;
                    if one.contains('\n') {
                        String::new()
                    } else {
                        format!("{lock}::new(|| {one});")
                    }
                };
                let text = if !init.is_empty() && head.len() + init.len() <= style.max_width {
                    format!("{head}{init}")
                } else if !init.is_empty() && ind + unit + init.len() <= style.max_width {
                    format!("{}\n{body}{init}", head.trim_end())
                } else {
                    let inner = chain.format(style, ind + unit, 0, "")?;
                    format!("{head}{lock}::new(|| {{\n{body}{inner}\n{pad}}});")
                };
                let text = finish(text);
                fits(&text).then(|| (text, format!("{stat}.clone()"), stat.to_string()))
            }
            Shape::OnceLockFn => {
                let is_async = entry.is_async;
                let (ret, ok_open, ok_close) = match &entry.error {
                    Some(err) => (format!("{result}<{ty}, {err}>"), "Ok(", ")"),
                    None => (ty.to_string(), "", ""),
                };
                let suffix = if entry.fallible() { "?;" } else { ";" };
                let lead = "let client = ".len();
                let built = if is_async {
                    let mut c = Chain {
                        root: chain.root.clone(),
                        links: chain.links.clone(),
                    };
                    c.links.push(".await".into());
                    c.format(style, ind + unit, lead, suffix)?
                } else {
                    chain.format(style, ind + unit, lead, suffix)?
                };
                let kw = if is_async { "async fn" } else { "fn" };
                let mut lines = vec![
                    static_line(&pad, &body, stat, lock, ty, "new", style.max_width),
                    String::new(),
                    format!("{pad}{kw} {func}() -> {ret} {{"),
                    format!("{body}if let Some(client) = {stat}.get() {{"),
                    format!(
                        "{body}{}return {ok_open}client.clone(){ok_close};",
                        " ".repeat(unit)
                    ),
                    format!("{body}}}"),
                ];
                for p in prelude {
                    lines.push(format!("{body}{p}"));
                }
                lines.push(format!("{body}let client = {built}"));
                lines.push(format!(
                    "{body}{ok_open}{stat}.get_or_init(|| client).clone(){ok_close}"
                ));
                lines.push(format!("{pad}}}"));
                let text = finish(lines.join("\n"));
                let call = format!("{func}()");
                fits(&text).then(|| (text, call.clone(), call))
            }
            Shape::TokioCell => {
                let (ret, method, take) = match &entry.error {
                    Some(err) => (
                        format!("{result}<{ty}, {err}>"),
                        "get_or_try_init",
                        ".cloned()",
                    ),
                    None => (ty.to_string(), "get_or_init", ".clone()"),
                };
                let one = chain.format(style, 0, 0, "")?;
                if one.contains('\n') {
                    return None;
                }
                let call = Chain {
                    root: stat.to_string(),
                    links: vec![format!(".{method}(|| {one})"), ".await".into(), take.into()],
                };
                let laid = call.format(style, ind + unit, 0, "")?;
                let text = [
                    static_line(&pad, &body, stat, lock, ty, "const_new", style.max_width),
                    String::new(),
                    format!("{pad}async fn {func}() -> {ret} {{"),
                    format!("{body}{laid}"),
                    format!("{pad}}}"),
                ]
                .join("\n");
                let text = finish(text);
                fits(&text).then(|| (text, format!("{func}()"), format!("{func}()")))
            }
        }
    }
}
