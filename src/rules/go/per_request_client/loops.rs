//! Moving a construction out of a loop: the statement and its error check
//! go before the loop, the release after it.

use super::*;

impl<'a> Planner<'a> {
    /// Moves a construction out of a loop.
    pub(super) fn plan_loop(&self, s: &Site<'a>, lp: Node<'a>, usage: &Usage<'a>) -> Outcome<'a> {
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
        let no_release = configs::needs_no_release(&s.resource);
        if !after_loop && !no_release {
            inserted.push_str(&format!("{to}defer {release}{nl}"));
        }
        edits.push(Edit::insertion(path.clone(), insert_at, inserted));
        for st in &usage.releases {
            let Some(l) = full_lines(source, st.byte_range()) else {
                return report("a release shares its line with other code".into());
            };
            edits.push(delete_lines(&path, source, with_comments_above(source, l)));
        }
        if after_loop && !no_release {
            edits.push(Edit::insertion(
                path.clone(),
                target_lines.end,
                format!("{to}{release}{nl}"),
            ));
        }
        if overlapping(&edits) {
            return report("the edits would overlap".into());
        }
        let title = if no_release {
            format!("build `{var}` once before the loop")
        } else if after_loop {
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
    pub(super) fn release_text(&self, s: &Site<'a>) -> Option<String> {
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
    pub(super) fn varies_in_loop(
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

    pub(super) fn file_of(&self, n: Node<'a>) -> Option<&'a GoFile> {
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
}

pub(super) enum Varies {
    Iteration,
    Unknown(String),
}

/// `continue`, `break` or `goto` that leaves `block` (not caught by a loop,
/// switch or select inside it).
pub(super) fn has_loop_jump(block: Node) -> bool {
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
pub(super) fn leaves_function(lp: Node, skip: &Range<usize>) -> bool {
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
pub(super) fn loop_breaks(lp: Node) -> bool {
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
pub(super) fn loop_can_end(lp: Node) -> bool {
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
pub(super) fn next_use_sets(list: Node, name: &str, after: usize, src: &str) -> bool {
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
pub(super) fn redeclares_only(list: Node, name: &str, after: usize, src: &str) -> bool {
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

/// Re-indents every line of whole-line text from `from` to `to`.
pub(super) fn reindent_all(text: &str, from: &str, to: &str) -> Option<String> {
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
