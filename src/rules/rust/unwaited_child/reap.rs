//! The edits that reap a child: the statement (a wait, or a wait in the
//! background where blocking would hurt), placed at the end of the child's
//! scope and before every early exit from it, or written into the `Ok`
//! case of `if let Err(e) = cmd.spawn()` and `cmd.spawn().map(|_| ())`.

use tree_sitter::Node;

use crate::analysis::rust::syntax::{early_exits, outermost_fn};
use crate::analysis::rust::{RustFile, visit};
use crate::fix::{Edit, Fix};
use crate::lang::text;
use crate::rewrite::rust::{Chain, before_exit, chain_top, end_of_block, reindent, relayout};

pub(super) struct Reap<'t> {
    pub file: &'t RustFile,
    /// A tokio child: waiting is `.wait().await`.
    pub is_async: bool,
    /// The spawn is in an async context.
    pub can_await: bool,
    /// The wait's error can be returned with `?`.
    pub propagate: bool,
    /// Why waiting would block a caller that must not block: reap in the
    /// background instead.
    pub background: Option<String>,
}

const TOKIO_OUTSIDE_ASYNC: &str = "a tokio child outside an async context: set `kill_on_drop(true)` on the command, or await `child.wait()` where you can";

impl Reap<'_> {
    /// Does the crate's tokio have a runtime to spawn a waiting task on?
    fn tokio_rt(&self) -> bool {
        self.file
            .krate
            .as_ref()
            .and_then(|k| k.dependency("tokio"))
            .is_some_and(|d| {
                d.has_feature("full") || d.has_feature("rt") || d.has_feature("rt-multi-thread")
            })
    }

    /// The statement that reaps `var`.
    fn stmt(&self, var: &str) -> Result<String, String> {
        if self.background.is_some() {
            if !self.is_async {
                return Ok(format!("std::thread::spawn(move || {var}.wait());"));
            }
            if self.can_await && self.tokio_rt() {
                return Ok(format!(
                    "tokio::spawn(async move {{ {var}.wait().await }});"
                ));
            }
        }
        Ok(match (self.is_async, self.can_await, self.propagate) {
            (false, _, true) => format!("{var}.wait()?;"),
            (false, _, false) => format!("let _ = {var}.wait();"),
            (true, true, true) => format!("{var}.wait().await?;"),
            (true, true, false) => format!("let _ = {var}.wait().await;"),
            (true, false, _) => return Err(TOKIO_OUTSIDE_ASYNC.into()),
        })
    }

    /// `what` says "reap"; a synchronous wait says "wait for" instead.
    fn title(&self, what: &str, stmt: &str) -> String {
        match &self.background {
            Some(why) if stmt.contains("spawn(") => {
                format!("{what} in the background (`{stmt}`): {why}")
            }
            _ => format!(
                "{} (`{stmt}`)",
                what.replacen("reap it", "wait for it", 1)
                    .replacen("reap `", "wait for `", 1)
                    .replacen("and reap the child", "and wait for the child", 1)
            ),
        }
    }

    /// The insertions that run `stmt` before every early exit from `block`
    /// after `from`. A background reap moves the child into the thread, so
    /// the block's value and the exits must not use `var` after it.
    fn at_exits(
        &self,
        block: Node,
        from: usize,
        stmt: &str,
        var: &str,
    ) -> Result<Vec<Edit>, String> {
        let source = &self.file.parsed.source;
        let src = self.file.text();
        let path = self.file.parsed.path.clone();
        let exits = early_exits(block, from, src);
        if stmt.contains("move ") {
            let mentions = |n: Node| {
                let mut hit = false;
                visit(n, &mut |x| {
                    hit |= x.kind() == "identifier" && text(x, src) == var
                });
                hit
            };
            let tail = crate::analysis::rust::syntax::block_tail(block);
            if tail.is_some_and(mentions) || exits.iter().any(|(e, _)| mentions(*e)) {
                return Err(format!(
                    "waiting here would block ({}), and the value the scope returns uses `{var}`, so it cannot be reaped in the background before that: reap it in a thread after its last use",
                    self.background.as_deref().unwrap_or("")
                ));
            }
        }
        let mut edits = Vec::new();
        for (exit, _) in exits {
            let (at, indent) = before_exit(exit, source).ok_or(
                "an early `return`, `break` or `continue` inside an expression leaves the child's scope where leakfix cannot add the wait",
            )?;
            edits.push(Edit::insertion(
                path.clone(),
                at,
                format!("{indent}{stmt}{}", source.newline()),
            ));
        }
        Ok(edits)
    }

    /// `let child = ...spawn()?;` -> `let mut child = ...;` and a reap at
    /// the end of the block (and before early exits).
    pub fn wait_in_scope(&self, decl: Node, name: &str) -> Result<Fix, String> {
        let source = &self.file.parsed.source;
        let block = decl
            .parent()
            .filter(|b| b.kind() == "block")
            .ok_or("not in a block")?;
        let stmt = self.stmt(name)?;
        let (at, indent) =
            end_of_block(block, source).ok_or("the block is laid out on one line")?;
        let path = self.file.parsed.path.clone();
        let mut edits = self.at_exits(block, decl.end_byte(), &stmt, name)?;
        edits.push(Edit::insertion(
            path.clone(),
            at,
            format!("{indent}{stmt}{}", source.newline()),
        ));
        if !crate::analysis::rust::syntax::is_mut_let(decl) {
            let pat = decl.child_by_field_name("pattern").ok_or("no pattern")?;
            edits.push(Edit::insertion(path.clone(), pat.start_byte(), "mut "));
        }
        Ok(Fix::unsafe_(
            self.title(&format!("reap `{name}` before the end of its scope"), &stmt),
            edits,
        )
        .with_claim(path, decl.byte_range()))
    }

    /// A name for the child that the function does not use yet.
    fn free_name(&self, at: Node) -> Result<&'static str, String> {
        let src = self.file.text();
        let outer = outermost_fn(at).ok_or("not in a function")?;
        let mut used = Vec::new();
        visit(outer, &mut |n| {
            if n.kind() == "identifier" {
                used.push(text(n, src).to_string());
            }
        });
        ["child", "spawned_child", "child_process"]
            .into_iter()
            .find(|n| !used.iter().any(|u| u == n))
            .ok_or_else(|| "no free name for the child".to_string())
    }

    /// `cmd.spawn()?;` -> `let mut child = cmd.spawn()?;` and a reap at the
    /// end of the block (and before early exits).
    pub fn bind_and_reap(&self, stmt: Node, child: Node) -> Result<Fix, String> {
        let source = &self.file.parsed.source;
        let block = stmt
            .parent()
            .filter(|b| b.kind() == "block")
            .ok_or("not in a block")?;
        let name = self.free_name(stmt)?;
        let reap = self.stmt(name)?;
        let (at, indent) =
            end_of_block(block, source).ok_or("the block is laid out on one line")?;
        if at <= stmt.start_byte() {
            return Err(
                "the spawn is the block's last statement in a layout leakfix does not edit".into(),
            );
        }
        let path = self.file.parsed.path.clone();
        let prefix = if stmt.kind() == "let_declaration" {
            // `let _ = X;`: replace `let _ =` with `let mut child =`.
            let pat = stmt.child_by_field_name("pattern").ok_or("no pattern")?;
            Edit::replacement(path.clone(), pat.byte_range(), format!("mut {name}"))
        } else {
            let lead = format!("let mut {name} = ");
            let line = source.line_range(source.line_index(stmt.start_byte()));
            if line.end - line.start + lead.len() > self.file.style().max_width {
                return Err(
                    "binding the child would make the line too long for rustfmt's layout".into(),
                );
            }
            Edit::insertion(path.clone(), child.start_byte(), lead)
        };
        let mut edits = vec![prefix];
        edits.extend(self.at_exits(block, stmt.end_byte(), &reap, name)?);
        edits.push(Edit::insertion(
            path.clone(),
            at,
            format!("{indent}{reap}{}", source.newline()),
        ));
        Ok(Fix::unsafe_(
            self.title(
                &format!("bind the child to `{name}` and reap it before the end of the scope"),
                &reap,
            ),
            edits,
        )
        .with_claim(path, stmt.byte_range()))
    }

    /// `if let Err(e) = cmd.spawn() { body }` -> `match cmd.spawn() {
    /// Ok(mut child) => { reap } Err(e) => { body } }`.
    pub fn if_let_err(&self, cond: Node) -> Result<Fix, String> {
        let file = self.file;
        let src = file.text();
        let source = &file.parsed.source;
        let style = file.style();
        let nl = source.newline();
        let if_expr = cond
            .parent()
            .filter(|p| p.kind() == "if_expression")
            .ok_or("not an `if let`")?;
        if if_expr.child_by_field_name("alternative").is_some() {
            return Err("an `if let Err(..) = ..spawn() { } else { }` is not rewritten; bind the child in a `match` and wait for it".into());
        }
        let in_block = if_expr
            .parent()
            .is_some_and(|p| p.kind() == "block" || p.kind() == "expression_statement");
        if !in_block {
            return Err("the `if let` is part of a larger expression".into());
        }
        let pat = cond.child_by_field_name("pattern").ok_or("no pattern")?;
        let value = cond.child_by_field_name("value").ok_or("no value")?;
        let body = if_expr
            .child_by_field_name("consequence")
            .ok_or("no body")?;
        let value_text = crate::rewrite::rust::one_line(text(value, src))
            .ok_or("the spawn spans lines in a way leakfix does not rewrite")?;
        let name = self.free_name(if_expr)?;
        let reap = self.stmt(name)?;
        let line = source.line_range(source.line_index(if_expr.start_byte()));
        if !src[line.start..if_expr.start_byte()].trim().is_empty() {
            return Err("the `if let` shares its line with other code".into());
        }
        let ind = source.indent_at(if_expr.start_byte()).to_string();
        if ind.contains('\t') {
            return Err("tab-indented code".into());
        }
        let unit = style.indent_unit();
        let head = format!("{ind}match {value_text} {{");
        if head.len() > style.max_width {
            return Err("the `match` would not fit on one line".into());
        }
        let body_text = reindent(text(body, src), ind.len(), ind.len() + unit.len(), nl)
            .ok_or("the body is indented unusually")?;
        let new_text = format!(
            "match {value_text} {{{nl}{ind}{unit}Ok(mut {name}) => {{{nl}{ind}{unit}{unit}{reap}{nl}{ind}{unit}}}{nl}{ind}{unit}{} => {body_text}{nl}{ind}}}",
            text(pat, src)
        );
        let path = file.parsed.path.clone();
        Ok(Fix::unsafe_(
            self.title(
                &format!("match on the spawn and reap the child (`Ok(mut {name})`)"),
                &reap,
            ),
            vec![Edit::replacement(
                path.clone(),
                if_expr.byte_range(),
                new_text,
            )],
        )
        .with_claim(path, if_expr.byte_range()))
    }

    /// `cmd.spawn().map(|_| ())`: wait in the chain, or reap in the closure.
    pub fn map_discard(&self, map_call: Node) -> Result<Fix, String> {
        let file = self.file;
        let src = file.text();
        let source = &file.parsed.source;
        let nl = source.newline();
        let path = file.parsed.path.clone();
        let closure = map_call
            .child_by_field_name("arguments")
            .and_then(|a| a.named_child(0))
            .ok_or("no closure")?;
        let body = closure
            .child_by_field_name("body")
            .ok_or("no closure body")?;
        if self.is_async {
            return Err(
                "a tokio child dropped in `.map(..)` is not rewritten; await its `wait()`".into(),
            );
        }
        let unit_body = matches!(text(body, src).replace(' ', "").as_str(), "()" | "{}");
        if self.background.is_some() {
            if !unit_body {
                return Err(
                    "the closure returns a value; reap the child before returning it".into(),
                );
            }
            let reap = self.stmt("child")?;
            let line = source.line_range(source.line_index(closure.start_byte()));
            let ind = source.indent_at(line.start).to_string();
            let unit = file.style().indent_unit();
            let new = format!("|mut child| {{{nl}{ind}{unit}{reap}{nl}{ind}}}");
            return Ok(Fix::unsafe_(
                self.title("reap the child the `.map(..)` drops", &reap),
                vec![Edit::replacement(path.clone(), closure.byte_range(), new)],
            )
            .with_claim(path, map_call.byte_range()));
        }
        // Wait in the chain: `.and_then(|mut child| child.wait())` before the map.
        let top = chain_top(map_call);
        let chain =
            Chain::of(top, src).ok_or("the chain spans lines in a way leakfix does not rewrite")?;
        let map_link = format!(
            ".map{}",
            crate::rewrite::rust::one_line(text(
                map_call
                    .child_by_field_name("arguments")
                    .ok_or("no arguments")?,
                src
            ))
            .ok_or("the closure spans lines")?
        );
        let i = chain
            .links
            .iter()
            .position(|l| l.trim_end_matches('?') == map_link)
            .ok_or("the chain is laid out in a way leakfix does not rewrite")?;
        let mut links = chain.links.clone();
        links.insert(i, ".and_then(|mut child| child.wait())".into());
        let new = Chain {
            root: chain.root.clone(),
            links,
        };
        let (range, text) = relayout(top, &new, source, file.style())
            .ok_or("the chain is laid out in a way leakfix does not rewrite")?;
        Ok(Fix::unsafe_(
            "wait for the child the `.map(..)` drops (`.and_then(|mut child| child.wait())`)",
            vec![Edit::replacement(path.clone(), range, text)],
        )
        .with_claim(path, map_call.byte_range()))
    }
}
