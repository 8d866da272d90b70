//! The call sites of the functions a goroutine fix gives a `ctx` parameter:
//! completed by the engine's phase two (`crate::engine::callers`) in every package
//! of the module. Each call passes the caller's context; a function value,
//! an interface method of the same name or a receiver of unknown type stops
//! the whole fix.

use std::path::Path;
use std::sync::Arc;

use super::NEW_CTX;
use crate::analysis::go::GoPackage;
use crate::analysis::go::contexts::{CallerCtx, caller_context, enclosing_named};
use crate::analysis::go::scope::{self, Resolution};
use crate::analysis::go::uses::{FuncRef, FuncUse, UseKind};
use crate::fix::Edit;
use crate::lang::go::{enclosing_function, named_children_no_comments};
use crate::rewrite::go::{ImportEdit, ensure_import, insert_first};
use crate::rules::Context;
use crate::rules::callers::{CallerEdits, CallerFix};

/// A function that gains a `ctx context.Context` first parameter.
#[derive(Debug)]
pub(super) struct NewParam {
    pub(super) target: FuncRef,
    /// Parameters before the new one (`f(g())` with a multi-value `g` cannot take one more).
    pub(super) param_count: usize,
    /// The function itself: a call inside it passes its new `ctx`.
    pub(super) path: Arc<Path>,
    pub(super) range: std::ops::Range<usize>,
    /// For an exported function: the API change, told once the fix is complete.
    pub(super) api_note: Option<String>,
}

/// The call sites of the functions a fix gives a `ctx` parameter.
#[derive(Debug)]
pub(super) struct GoroutineCallers {
    targets: Vec<FuncRef>,
    changed: Vec<NewParam>,
}

impl GoroutineCallers {
    pub(super) fn new(changed: Vec<NewParam>) -> Self {
        GoroutineCallers {
            targets: changed.iter().map(|c| c.target.clone()).collect(),
            changed,
        }
    }
}

impl CallerFix for GoroutineCallers {
    fn targets(&self) -> &[FuncRef] {
        &self.targets
    }

    fn notes_when_fixed(&self) -> Vec<String> {
        self.changed
            .iter()
            .filter_map(|c| c.api_note.clone())
            .collect()
    }

    fn visit(&self, pkg: &GoPackage, uses: &[FuncUse<'_>], cx: &Context<'_>) -> CallerEdits {
        let mut out = CallerEdits::default();
        for u in uses {
            let changed = &self.changed[u.target];
            let target = changed.target.display();
            let line = u.node.start_position().row + 1;
            let at = format!("{}:{line}", shown_path(pkg, &u.file.parsed.path));
            match &u.kind {
                UseKind::Value => out.blockers.push(format!(
                    "`{target}` is used as a value at {at} (a callback or a method value), which a new parameter would break"
                )),
                UseKind::InterfaceMethod => out.blockers.push(format!(
                    "the interface at {at} declares a method `{}`: a type implementing it through `{target}` would stop doing so",
                    changed.target.name
                )),
                UseKind::Unresolved(why) => out.blockers.push(format!(
                    "at {at} leakfix cannot tell whether `{target}` is called ({why})"
                )),
                UseKind::Call => match self.call_site(pkg, u, changed, cx) {
                    Ok((edits, note)) => {
                        out.edits.extend(edits);
                        out.notes.extend(note);
                    }
                    Err(why) => out.blockers.push(format!("the call at {at} cannot be updated: {why}")),
                },
            }
        }
        out
    }
}

impl GoroutineCallers {
    fn call_site(
        &self,
        pkg: &GoPackage,
        u: &FuncUse<'_>,
        changed: &NewParam,
        cx: &Context<'_>,
    ) -> Result<(Vec<Edit>, Option<String>), String> {
        let file = u.file;
        let src = file.text();
        let source = &file.parsed.source;
        let path = &file.parsed.path;
        let call = u.call.ok_or("not a call")?;
        let args = call
            .child_by_field_name("arguments")
            .ok_or("no arguments")?;
        let arg_nodes = named_children_no_comments(args);
        if arg_nodes.len() == 1
            && arg_nodes[0].kind() == "call_expression"
            && changed.param_count >= 2
        {
            return Err("it passes the results of another call as all of its arguments".into());
        }
        // Inside a function that gains `ctx` itself, that is what it passes.
        let inside_owner = self.changed.iter().any(|c| {
            path == &c.path && c.range.start <= call.start_byte() && call.end_byte() <= c.range.end
        });
        let mut edits = Vec::new();
        let mut note = None;
        let found = match caller_context(call, pkg, file, cx.go_catalog) {
            // Its background context, or none yet: it is getting `ctx`.
            CallerCtx::None | CallerCtx::Background(_) if inside_owner => {
                CallerCtx::Live(NEW_CTX.to_string())
            }
            other => other,
        };
        let caller = || enclosing_named(call, src).unwrap_or_else(|| "package-level code".into());
        let arg = if let CallerCtx::Live(ctx) = found {
            ctx
        } else if let CallerCtx::Background(ctx) = found {
            note = Some(format!(
                "{}:{}: `{}` passes `{ctx}`, a background context: what it starts runs until the program ends",
                shown_path(pkg, path),
                call.start_position().row + 1,
                caller()
            ));
            ctx
        } else {
            let name = match ensure_import(path, source, file.root(), "context", "context") {
                ImportEdit::Present(n) => n,
                ImportEdit::Add { edit, name } => {
                    edits.push(edit);
                    name
                }
                ImportEdit::Unavailable => {
                    return Err("the `context` package cannot be imported there".into());
                }
            };
            let func = enclosing_function(call).unwrap_or(file.root());
            if !matches!(scope::resolve(func, &name, call, src), Resolution::Package) {
                return Err(format!("`{name}` names something else there"));
            }
            let at = format!(
                "{}:{}",
                shown_path(pkg, path),
                call.start_position().row + 1
            );
            note = Some(if matches!(found, CallerCtx::Later) {
                format!(
                    "{at}: the call is in a func literal that may run after `{}` returns, so it now passes `{name}.TODO()`; pass it a context that lasts as long as its work",
                    caller()
                )
            } else {
                format!(
                    "{at}: `{}` has no context to pass, so it now passes `{name}.TODO()`; give it the context of its own caller",
                    caller()
                )
            });
            format!("{name}.TODO()")
        };
        edits.push(
            insert_first(path, source, args, &arg)
                .ok_or("its arguments are laid out in a way leakfix does not edit")?,
        );
        Ok((edits, note))
    }
}

fn shown_path(pkg: &GoPackage, path: &Path) -> String {
    crate::rules::callers::shown_path(pkg.module.as_deref(), path)
}
