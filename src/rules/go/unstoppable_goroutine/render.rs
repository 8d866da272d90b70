//! Rendering the edits: the loop's ways out when the context is done, the
//! releases of what the goroutine holds, and the fix's title.

use tree_sitter::Node;

use super::held::{Held, HeldAt};
use super::*;
use crate::analysis::go::contexts::names_a_context_at;
use crate::analysis::go::goroutines::Worker;
use crate::analysis::go::loops::subscription_range;
use crate::analysis::go::syntax::{following_statements, is_err_check, is_terminating};
use crate::lang::go::{block_statements, enclosing_function};
use crate::lang::text;
use crate::rewrite::go::{ImportEdit, ensure_import, line_after};

impl<'a> Spawn<'a> {
    /// Every forever loop returns when the context is done: a check at the
    /// top of each iteration, and a `case <-ctx.Done()` in each select that
    /// would otherwise wait forever.
    pub(super) fn loop_exits(
        &self,
        worker: &Worker<'a>,
        loops: &[Node<'a>],
        ctx: &str,
        new_param: Option<&str>,
        holds: &[Held<'a>],
        plan: &mut Plan,
    ) -> Result<(), String> {
        if worker.func.child_by_field_name("result").is_some() {
            return Err(format!(
                "`{}` returns values, so a bare `return` cannot end it",
                worker.name()
            ));
        }
        for lp in loops {
            if !names_a_context_at(*lp, ctx, new_param, worker.file) {
                return Err(format!(
                    "`{ctx}` does not name the context where the loop starts"
                ));
            }
            plan.edits.extend(crate::rules::go::loop_exits::loop_exits(
                worker.file,
                *lp,
                ctx,
            )?);
            if let Some(v) = subscription_range(*lp, worker.src()) {
                self.close_when_done(worker, *lp, &v, ctx, holds, plan)?;
            }
        }
        if !loops.is_empty() {
            plan.steps
                .push(format!("return from the loop when `{ctx}` is done"));
        }
        Ok(())
    }

    /// The goroutine stops waiting when the call that started it returns:
    /// the spawning function closes a new `done` channel when it returns,
    /// and the wait (`<-s.ctx.Done()`) becomes a select that also returns
    /// on it.
    pub(super) fn tie_to_call(
        &self,
        worker: &Worker<'a>,
        wait: Node<'a>,
        plan: &mut Plan,
    ) -> Result<(), String> {
        if worker.func.child_by_field_name("result").is_some() {
            return Err(
                "the goroutine's func literal returns values, so a bare `return` cannot end it"
                    .into(),
            );
        }
        let spawner = enclosing_function(self.go).ok_or("not in a function")?;
        let src = self.src();
        let name = ["done", "stop", "quit"]
            .into_iter()
            .find(|n| crate::lang::go::identifiers_named(spawner, n, src).is_empty())
            .ok_or("the names `done`, `stop` and `quit` are all taken")?;
        let source = &self.file.parsed.source;
        let path = self.path();
        let nl = source.newline();
        let line = source.line_range(source.line_index(self.go.start_byte()));
        if !src[line.start..self.go.start_byte()].trim().is_empty() {
            return Err("the go statement shares its line with other code".into());
        }
        let indent = source.indent_at(self.go.start_byte());
        plan.edits.push(Edit::insertion(
            path.clone(),
            line.start,
            format!("{indent}{name} := make(chan struct{{}}){nl}{indent}defer close({name}){nl}"),
        ));
        let wline = source.line_range(source.line_index(wait.start_byte()));
        if !src[wline.start..wait.start_byte()].trim().is_empty()
            || source.line_index(wait.end_byte()) != source.line_index(wait.start_byte())
        {
            return Err("the wait shares its line with other code".into());
        }
        let ind = source.indent_at(wait.start_byte());
        plan.edits.push(Edit::replacement(
            path,
            wait.byte_range(),
            format!(
                "select {{{nl}{ind}case {}:{nl}{ind}case <-{name}:{nl}{ind}\treturn{nl}{ind}}}",
                text(wait, src)
            ),
        ));
        plan.steps.push(format!(
            "close a `{name}` channel when {} returns, and stop waiting on it",
            self.spawner_name()
        ));
        Ok(())
    }

    /// A range over `sub.Channel()` ends only when `sub` is closed: close it
    /// when the context is done (`context.AfterFunc` from Go 1.21, a small
    /// goroutine before).
    pub(super) fn close_when_done(
        &self,
        worker: &Worker<'a>,
        lp: Node<'a>,
        var: &str,
        ctx: &str,
        holds: &[Held<'a>],
        plan: &mut Plan,
    ) -> Result<(), String> {
        let h = holds.iter().find(|h| h.name == var).ok_or_else(|| {
            format!(
                "the loop ranges over `{var}.Channel()`, and leakfix cannot tell who closes `{var}`"
            )
        })?;
        let source = &worker.file.parsed.source;
        let path = worker.file.parsed.path.clone();
        let nl = source.newline();
        let stmt = lp
            .parent()
            .filter(|p| p.kind() == "labeled_statement")
            .unwrap_or(lp);
        let line_start = source
            .line_range(source.line_index(stmt.start_byte()))
            .start;
        if worker.src()[line_start..stmt.start_byte()].trim() != "" {
            return Err("the loop shares its line with other code".into());
        }
        let indent = source.indent_at(stmt.start_byte());
        let release = h.resource.release.render(&h.name, None);
        let after_func = self.pkg.module.as_ref().is_some_and(|m| m.at_least(1, 21));
        let text = if after_func {
            let ctx_pkg =
                match ensure_import(&path, source, worker.file.root(), "context", "context") {
                    ImportEdit::Present(n) => n,
                    ImportEdit::Add { edit, name } => {
                        plan.edits.push(edit);
                        name
                    }
                    ImportEdit::Unavailable => {
                        return Err(
                            "the `context` package cannot be imported in the goroutine's file"
                                .into(),
                        );
                    }
                };
            format!("{indent}{ctx_pkg}.AfterFunc({ctx}, func() {{ {release} }}){nl}")
        } else {
            format!(
                "{indent}go func() {{{nl}{indent}\t<-{ctx}.Done(){nl}{indent}\t{release}{nl}{indent}}}(){nl}"
            )
        };
        plan.edits.push(Edit::insertion(path, line_start, text));
        plan.steps.push(format!(
            "close `{var}` when `{ctx}` is done, which ends the range over its channel"
        ));
        Ok(())
    }

    /// `defer x.Close()` for what the goroutine holds.
    pub(super) fn releases(
        &self,
        worker: &Worker<'a>,
        holds: &[Held<'a>],
        plan: &mut Plan,
    ) -> Result<(), String> {
        let source = &worker.file.parsed.source;
        let wsrc = worker.src();
        let path = worker.file.parsed.path.clone();
        let nl = source.newline();
        for h in holds {
            let release = h.resource.release.render(&h.name, None);
            match &h.place {
                HeldAt::InWorker { stmt, err } => {
                    let stmt = *stmt;
                    let mut anchor = stmt;
                    if let Some(err) = err {
                        let next = following_statements(stmt).into_iter().next();
                        match next {
                            Some(n)
                                if n.kind() == "if_statement"
                                    && n.child_by_field_name("initializer").is_none()
                                    && n.child_by_field_name("alternative").is_none()
                                    && n.child_by_field_name("condition")
                                        .is_some_and(|c| is_err_check(c, err, wsrc))
                                    && n.child_by_field_name("consequence")
                                        .is_some_and(|c| is_terminating(c, wsrc)) =>
                            {
                                anchor = n;
                            }
                            _ => {
                                plan.notes.push(format!(
                                    "`{}` is not released: its error is not checked right after it is made",
                                    h.name
                                ));
                                continue;
                            }
                        }
                    }
                    let indent = source.indent_at(stmt.start_byte());
                    let at = line_after(source, anchor.end_byte())
                        .ok_or("the acquisition shares its line with other code")?;
                    plan.edits.push(Edit::insertion(
                        path.clone(),
                        at,
                        format!("{indent}defer {release}{nl}"),
                    ));
                }
                HeldAt::HandedOver => {
                    let body = worker.body().ok_or("no body")?;
                    let first = block_statements(body)
                        .into_iter()
                        .next()
                        .ok_or("empty goroutine")?;
                    let indent = source.indent_at(first.start_byte());
                    let at = line_after(source, body.start_byte() + 1)
                        .ok_or("the goroutine's body starts on the line of other code")?;
                    plan.edits.push(Edit::insertion(
                        path.clone(),
                        at,
                        format!("{indent}defer {release}{nl}"),
                    ));
                }
            }
            plan.released.push(release);
        }
        Ok(())
    }
}

/// "subscription `sub`, timer `t`" between `before` and `after`, or nothing.
pub(super) fn what_held(holds: &[Held], before: &str, after: &str) -> String {
    if holds.is_empty() {
        return String::new();
    }
    let list: Vec<String> = holds
        .iter()
        .map(|h| format!("{} `{}`", h.resource.kind.noun(), h.name))
        .collect();
    format!("{before}{}{after}", list.join(", "))
}

impl Plan {
    /// The edits, with insertions at one point joined into one edit (a
    /// `defer` first), since a fix cannot insert twice at the same place.
    pub(super) fn merged_edits(&self) -> Vec<Edit> {
        let mut out: Vec<Edit> = Vec::new();
        let mut inserts: Vec<&Edit> = Vec::new();
        for e in &self.edits {
            if e.is_insertion() {
                if !inserts.contains(&e) {
                    inserts.push(e);
                }
            } else {
                out.push(e.clone());
            }
        }
        let mut groups: Vec<Vec<&Edit>> = Vec::new();
        for e in inserts {
            match groups
                .iter_mut()
                .find(|g| g[0].path() == e.path() && g[0].start() == e.start())
            {
                Some(g) => g.push(e),
                None => groups.push(vec![e]),
            }
        }
        for mut g in groups {
            g.sort_by_key(|e| !e.content().trim_start().starts_with("defer "));
            let content: String = g.iter().map(|e| e.content()).collect();
            out.push(Edit::insertion(g[0].path().clone(), g[0].start(), content));
        }
        out
    }

    pub(super) fn title(&self) -> String {
        let mut steps: Vec<String> = self
            .steps
            .iter()
            .filter(|s| !s.starts_with('('))
            .cloned()
            .collect();
        if !self.released.is_empty() {
            let last = steps.len().saturating_sub(1).min(steps.len());
            steps.insert(
                last.max(1).min(steps.len()),
                format!(
                    "defer {}",
                    self.released
                        .iter()
                        .map(|r| format!("`{r}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        let mut title = match steps.len() {
            0 => String::new(),
            1 => steps[0].clone(),
            n => format!("{}, and {}", steps[..n - 1].join(", "), steps[n - 1]),
        };
        for s in self.steps.iter().filter(|s| s.starts_with('(')) {
            title.push(' ');
            title.push_str(s);
        }
        title
    }
}
