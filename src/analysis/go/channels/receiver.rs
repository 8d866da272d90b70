//! The receiving side of a channel in the function that made it: can the
//! function return before it has received every value its goroutines send?
//! A walk from the first sender over the statements that run after it,
//! counting the receives that come before each return (and before the end
//! of the function) on its path.

use std::collections::HashSet;

use tree_sitter::Node;

use super::case_statements;
use crate::analysis::go::syntax::{is_noreturn_call, is_terminating};
use crate::lang::go::block_statements;
use crate::lang::text;

/// A count of values: a number, or "as many as there are" (a drain).
pub type Count = usize;
/// Receives that take everything (a range over the channel, a loop that
/// receives every iteration), or sends that cannot be counted.
pub const MANY: Count = usize::MAX / 4;

/// Why the function can return with values still unreceived.
#[derive(Clone, Copy, Debug)]
pub struct Leave<'t> {
    /// The return statement, or the function's body when it falls off the end.
    pub at: Node<'t>,
    /// The select case the return sits in, when it is another case than
    /// the receive (`case <-ctx.Done():`, `case <-time.After(d):`).
    pub gave_up_on: Option<Node<'t>>,
    /// Values received before it, on that path.
    pub received: Count,
    /// Values sent by then.
    pub sent: Count,
}

/// The receiving side of one channel in the function that made it.
pub struct Receiver<'a, 't> {
    pub src: &'a str,
    /// The channel's references (identifier ids).
    pub refs: &'a HashSet<usize>,
    /// The go statements that send on it, and how many sends each starts.
    pub senders: &'a [(Node<'t>, Count)],
    /// Set when the function does something this analysis cannot follow
    /// (a goto).
    pub unknown: bool,
    /// The first select case passed on the way that did not receive (how
    /// the function gets past its receive without it).
    pub bypass: Option<Node<'t>>,
    /// References of other channels the senders close when they end
    /// (`defer close(decoded)`): ranging over one to its end proves they
    /// are done, so nothing of theirs is left to receive.
    pub closed_at_end: HashSet<usize>,
    /// Names the senders assign before they end (`decodeErr = err;
    /// return`): a return under a condition on one of them comes after
    /// the senders reported, and is not taken to leave them behind.
    pub finished_flags: HashSet<String>,
}

impl<'a, 't> Receiver<'a, 't> {
    pub fn new(
        src: &'a str,
        refs: &'a HashSet<usize>,
        senders: &'a [(Node<'t>, Count)],
    ) -> Receiver<'a, 't> {
        Receiver {
            src,
            refs,
            senders,
            unknown: false,
            bypass: None,
            closed_at_end: HashSet::new(),
            finished_flags: HashSet::new(),
        }
    }

    /// Can the function return, after the first sender starts, before it
    /// has received every value the senders started by then send? The
    /// first such way out, in source order.
    pub fn leaves_early(&mut self, func_body: Node<'t>) -> Option<Leave<'t>> {
        let first = self
            .senders
            .iter()
            .map(|s| s.0)
            .min_by_key(|g| g.start_byte())?;
        let mut cur = first;
        let mut cov: Count = 0;
        let mut need: Count = self.sent_by(first);
        // Up from the first sender: at each statement list on the way, the
        // statements after the one we come from run next.
        loop {
            let parent = cur.parent()?;
            if parent.kind() == "statement_list" {
                let mut next = cur.next_named_sibling();
                let mut flags = HashSet::new();
                while let Some(s) = next {
                    next = s.next_named_sibling();
                    if s.kind() == "comment" {
                        continue;
                    }
                    if let Some(l) = self.scan(s, cov, need) {
                        return Some(l);
                    }
                    let mut got = self.definite(s);
                    if got == 0 && self.bypass.is_none() {
                        self.bypass = self.non_receiving_case(s);
                    }
                    got = self.after_range(s, &mut flags, got);
                    cov = cov.saturating_add(got).min(MANY);
                    need = need.saturating_add(self.starts(s)).min(MANY);
                    if is_terminating(s, self.src) || self.never_falls_through(s) {
                        return None;
                    }
                }
            }
            if self.unknown {
                return None;
            }
            if parent.id() == func_body.id() {
                // Falls off the end of the function.
                return (cov < need).then_some(Leave {
                    at: func_body,
                    gave_up_on: self.bypass,
                    received: cov,
                    sent: need,
                });
            }
            cur = parent;
        }
    }

    /// Does the loop `lp` receive, in the same iteration, the value the
    /// goroutine `go` (a statement of its body) sends: a statement after
    /// `go` that receives on every path through it, with nothing before it
    /// that can end the iteration or the function? Then the goroutines the
    /// loop starts are received one by one, however many it starts.
    pub fn received_each_iteration(&self, go: Node, lp: Node) -> bool {
        let Some(body) = lp.child_by_field_name("body") else {
            return false;
        };
        let in_body = go.parent().is_some_and(|l| {
            l.id() == body.id()
                || l.kind() == "statement_list" && l.parent().is_some_and(|b| b.id() == body.id())
        });
        if !in_body {
            return false;
        }
        let mut next = go.next_named_sibling();
        while let Some(s) = next {
            next = s.next_named_sibling();
            if s.kind() == "comment" {
                continue;
            }
            let receives = if s.kind() == "select_statement" {
                let mut c = s.walk();
                let cases: Vec<Node> = s
                    .named_children(&mut c)
                    .filter(|x| matches!(x.kind(), "communication_case" | "default_case"))
                    .collect();
                !cases.is_empty() && cases.iter().all(|c| self.case_receives(*c))
            } else {
                self.definite(s) > 0
            };
            if receives {
                return true;
            }
            if self.may_leave(s) || ends_iteration(s) {
                return false;
            }
        }
        false
    }

    /// A `for { }` with no break out of it: what follows never runs.
    fn never_falls_through(&self, s: Node) -> bool {
        let (lp, label) = match s.kind() {
            "for_statement" => (s, None),
            "labeled_statement" => match (s.child_by_field_name("label"), s.named_child(1)) {
                (Some(l), Some(x)) if x.kind() == "for_statement" => (x, Some(text(l, self.src))),
                _ => return false,
            },
            _ => return false,
        };
        let mut c = lp.walk();
        let endless = match lp
            .named_children(&mut c)
            .find(|n| n.kind() != "block" && n.kind() != "comment")
        {
            None => true,
            Some(cl) => cl.kind() == "for_clause" && cl.child_by_field_name("condition").is_none(),
        };
        endless && !breaks_out(lp, self.src, label)
    }

    /// A case of this select that does not receive from the channel, when
    /// another one does.
    fn non_receiving_case(&self, s: Node<'t>) -> Option<Node<'t>> {
        if s.kind() != "select_statement" {
            return None;
        }
        let mut c = s.walk();
        let cases: Vec<Node> = s
            .named_children(&mut c)
            .filter(|x| matches!(x.kind(), "communication_case" | "default_case"))
            .collect();
        if !cases.iter().any(|c| self.case_receives(*c)) {
            return None;
        }
        cases
            .into_iter()
            .find(|c| !self.case_receives(*c) && !self.case_ends(*c))
    }

    /// Sends started by this go statement.
    fn sent_by(&self, go: Node) -> Count {
        self.senders
            .iter()
            .find(|(g, _)| g.id() == go.id())
            .map_or(0, |(_, n)| *n)
    }

    /// Sends started by the go statements a simple statement is.
    fn starts(&self, s: Node) -> Count {
        if s.kind() == "go_statement" {
            self.sent_by(s)
        } else {
            0
        }
    }

    /// The first return in `n` reached with fewer values received than
    /// sent (`cov` received and `need` sent on entry).
    fn scan(&mut self, n: Node<'t>, cov: Count, need: Count) -> Option<Leave<'t>> {
        match n.kind() {
            "func_literal" => None,
            "goto_statement" => {
                self.unknown = true;
                None
            }
            "return_statement" => {
                if self.after_close(n) || self.after_flag(n) {
                    return None; // the senders are done: nothing is left to receive
                }
                let got = cov.saturating_add(self.receives_in(n)).min(MANY);
                (got < need).then_some(Leave {
                    at: n,
                    gave_up_on: None,
                    received: got,
                    sent: need,
                })
            }
            "block" | "statement_list" => {
                let mut cov = cov;
                let mut need = need;
                let mut c = n.walk();
                let stmts: Vec<Node> = n.named_children(&mut c).collect();
                let mut flags = HashSet::new();
                for s in stmts {
                    if s.kind() == "comment" {
                        continue;
                    }
                    if let Some(l) = self.scan(s, cov, need) {
                        return Some(l);
                    }
                    let got = self.definite(s);
                    let got = self.after_range(s, &mut flags, got);
                    cov = cov.saturating_add(got).min(MANY);
                    need = need.saturating_add(self.starts(s)).min(MANY);
                    if is_terminating(s, self.src) || self.never_falls_through(s) {
                        break;
                    }
                }
                None
            }
            "if_statement" => {
                let cov = match n.child_by_field_name("initializer") {
                    Some(i) => cov.saturating_add(self.receives_in(i)).min(MANY),
                    None => cov,
                };
                let cov = match n.child_by_field_name("condition") {
                    Some(c) => cov.saturating_add(self.receives_in(c)).min(MANY),
                    None => cov,
                };
                for f in ["consequence", "alternative"] {
                    if let Some(b) = n.child_by_field_name(f)
                        && let Some(l) = self.scan(b, cov, need)
                    {
                        return Some(l);
                    }
                }
                None
            }
            "for_statement" => {
                let body = n.child_by_field_name("body")?;
                self.scan(body, cov, need)
            }
            "labeled_statement" => self.scan(n.named_child(1)?, cov, need),
            "expression_switch_statement" | "type_switch_statement" => {
                let mut c = n.walk();
                let cases: Vec<Node> = n
                    .named_children(&mut c)
                    .filter(|x| {
                        matches!(x.kind(), "expression_case" | "default_case" | "type_case")
                    })
                    .collect();
                for case in cases {
                    for s in case_statements(case) {
                        if let Some(l) = self.scan(s, cov, need) {
                            return Some(l);
                        }
                    }
                }
                None
            }
            "select_statement" => {
                let mut c = n.walk();
                let cases: Vec<Node> = n
                    .named_children(&mut c)
                    .filter(|x| matches!(x.kind(), "communication_case" | "default_case"))
                    .collect();
                for case in cases {
                    let header = case.child_by_field_name("communication");
                    let got = header.map_or(0, |h| self.receives_in(h));
                    let case_cov = cov.saturating_add(got).min(MANY);
                    for s in case_statements(case) {
                        if let Some(mut l) = self.scan(s, case_cov, need) {
                            if got == 0 && l.gave_up_on.is_none() {
                                l.gave_up_on = Some(case);
                            }
                            return Some(l);
                        }
                    }
                }
                None
            }
            _ => None,
        }
    }

    /// Is this return under `if !ok` where `v, ok := <-ch` found the
    /// channel closed (every value sent has been received)?
    fn after_close(&self, ret: Node) -> bool {
        let mut cur = ret;
        while let Some(p) = cur.parent() {
            if p.kind() == "func_literal" {
                return false;
            }
            if p.kind() == "if_statement"
                && p.child_by_field_name("consequence")
                    .is_some_and(|c| c.id() == cur.id())
                && let Some(cond) = p.child_by_field_name("condition")
                && cond.kind() == "unary_expression"
                && cond
                    .child_by_field_name("operator")
                    .is_some_and(|o| text(o, self.src) == "!")
                && let Some(ok) = cond.child_by_field_name("operand")
                && ok.kind() == "identifier"
                && let Some((_, decl)) = crate::analysis::go::contexts::declaration_of(ok, self.src)
                && matches!(decl.kind(), "receive_statement" | "short_var_declaration")
                && let (Some(left), Some(right)) = (
                    decl.child_by_field_name("left"),
                    decl.child_by_field_name("right"),
                )
                && self.receives_in(right) > 0
                && crate::lang::go::named_children_no_comments(left)
                    .get(1)
                    .is_some_and(|x| x.id() == ok.id() || text(*x, self.src) == text(ok, self.src))
            {
                return true;
            }
            cur = p;
        }
        false
    }

    /// Receives on the channel a statement makes on every path through it.
    fn definite(&self, s: Node) -> Count {
        match s.kind() {
            "expression_statement"
            | "short_var_declaration"
            | "assignment_statement"
            | "var_declaration"
            | "send_statement"
            | "inc_statement"
            | "dec_statement" => self.receives_in(s),
            // The header runs on every path.
            "if_statement" | "expression_switch_statement" | "type_switch_statement" => {
                ["initializer", "condition", "value"]
                    .iter()
                    .filter_map(|f| s.child_by_field_name(f))
                    .map(|h| self.receives_in(h))
                    .sum()
            }
            "select_statement" => {
                // Every case receives from it, in its header or first thing
                // in its body.
                let mut c = s.walk();
                let cases: Vec<Node> = s
                    .named_children(&mut c)
                    .filter(|x| matches!(x.kind(), "communication_case" | "default_case"))
                    .collect();
                let all = !cases.is_empty()
                    && cases
                        .iter()
                        .all(|case| self.case_receives(*case) || self.case_ends(*case));
                Count::from(all)
            }
            "for_statement" => {
                if self.leaves_loop(s) {
                    return 0;
                }
                if self.ranges_over(s) {
                    return MANY;
                }
                // A loop that receives on every iteration: trust its count.
                let body = s.child_by_field_name("body");
                let each = body
                    .map(block_statements)
                    .unwrap_or_default()
                    .iter()
                    .any(|x| self.definite(*x) > 0);
                if each { MANY } else { 0 }
            }
            "labeled_statement" => s.named_child(1).map_or(0, |x| self.definite(x)),
            _ => 0,
        }
    }

    /// What `s` is known to receive, given the statements before it in its
    /// list: a range over the channel left by `break`s that each set a
    /// flag first (`seriesErr = err; break Outer`), then an `if` on one of
    /// those flags that ends the function (draining, or not): past that
    /// `if`, the range ran to its end, so every value was received.
    /// `flags` carries the names from the range to the `if`.
    fn after_range(&self, s: Node, flags: &mut HashSet<String>, got: Count) -> Count {
        if got > 0 {
            return got;
        }
        if let Some(f) = self.break_flags(s) {
            *flags = f;
            return 0;
        }
        if !flags.is_empty()
            && s.kind() == "if_statement"
            && s.child_by_field_name("consequence")
                .is_some_and(|c| is_terminating(c, self.src))
            && s.child_by_field_name("condition")
                .is_some_and(|c| mentions(c, flags, self.src))
        {
            flags.clear();
            return MANY;
        }
        0
    }

    /// The names a range over the channel sets before each `break` out of
    /// it, when every way out of the loop but its end is such a break (a
    /// return is a way out of the function, scanned as one).
    fn break_flags(&self, s: Node) -> Option<HashSet<String>> {
        let (lp, label) = match s.kind() {
            "for_statement" => (s, None),
            "labeled_statement" => match (s.child_by_field_name("label"), s.named_child(1)) {
                (Some(l), Some(x)) if x.kind() == "for_statement" => (x, Some(text(l, self.src))),
                _ => return None,
            },
            _ => return None,
        };
        if !self.ranges_over(lp) {
            return None;
        }
        let body = lp.child_by_field_name("body")?;
        let mut breaks = Vec::new();
        let mut stack: Vec<(Node, bool)> = vec![(body, false)];
        while let Some((n, nested)) = stack.pop() {
            match n.kind() {
                "func_literal" => continue,
                "goto_statement" => return None,
                "break_statement" => {
                    let out = match n.named_child(0) {
                        Some(l) => Some(text(l, self.src)) == label,
                        None => !nested,
                    };
                    if out {
                        breaks.push(n);
                    }
                    continue;
                }
                _ => {}
            }
            let nested = nested
                || n.id() != body.id()
                    && matches!(
                        n.kind(),
                        "for_statement"
                            | "expression_switch_statement"
                            | "type_switch_statement"
                            | "select_statement"
                    );
            let mut c = n.walk();
            stack.extend(n.named_children(&mut c).map(|x| (x, nested)));
        }
        if breaks.is_empty() {
            return None;
        }
        let mut names = HashSet::new();
        for b in breaks {
            let mut prev = b.prev_named_sibling();
            while let Some(p) = prev.filter(|p| p.kind() == "comment") {
                prev = p.prev_named_sibling();
            }
            let assign = prev.filter(|p| p.kind() == "assignment_statement")?;
            let left = assign.child_by_field_name("left")?;
            for x in crate::lang::go::named_children_no_comments(left) {
                if x.kind() == "identifier" && text(x, self.src) != "_" {
                    names.insert(text(x, self.src).to_string());
                }
            }
        }
        (!names.is_empty()).then_some(names)
    }

    /// Does every path through this select case receive from the channel
    /// (in its header, or in its body before it can leave)?
    fn case_receives(&self, case: Node) -> bool {
        if case
            .child_by_field_name("communication")
            .is_some_and(|h| self.receives_in(h) > 0)
        {
            return true;
        }
        for s in case_statements(case) {
            if self.definite(s) > 0 {
                return true;
            }
            if self.may_leave(s) {
                return false;
            }
        }
        false
    }

    /// Does this select case end the path: its last statement returns (a
    /// return is checked on its own) or never returns (ends the program or
    /// the test)?
    fn case_ends(&self, case: Node) -> bool {
        case_statements(case).last().is_some_and(|s| {
            s.kind() == "return_statement"
                || s.kind() == "expression_statement"
                    && s.named_child(0)
                        .is_some_and(|c| is_noreturn_call(c, self.src))
        })
    }

    /// Can a statement leave the function (a return in it)?
    fn may_leave(&self, s: Node) -> bool {
        let mut stack = vec![s];
        while let Some(n) = stack.pop() {
            match n.kind() {
                "func_literal" => continue,
                "return_statement" | "goto_statement" => return true,
                _ => {}
            }
            let mut c = n.walk();
            stack.extend(n.named_children(&mut c));
        }
        false
    }

    /// `for v := range ch`.
    fn ranges_over(&self, lp: Node) -> bool {
        let mut c = lp.walk();
        lp.named_children(&mut c).any(|cl| {
            cl.kind() == "range_clause"
                && cl.child_by_field_name("right").is_some_and(|r| {
                    self.refs.contains(&r.id()) || self.closed_at_end.contains(&r.id())
                })
        })
    }

    /// Is this return under an `if` whose condition reads a name the
    /// senders set when they finish?
    fn after_flag(&self, ret: Node) -> bool {
        if self.finished_flags.is_empty() {
            return false;
        }
        let mut cur = ret;
        while let Some(p) = cur.parent() {
            if p.kind() == "func_literal" {
                return false;
            }
            if p.kind() == "if_statement"
                && let Some(cond) = p.child_by_field_name("condition")
            {
                let mut stack = vec![cond];
                while let Some(n) = stack.pop() {
                    if n.kind() == "identifier" && self.finished_flags.contains(text(n, self.src)) {
                        return true;
                    }
                    let mut c = n.walk();
                    stack.extend(n.named_children(&mut c));
                }
            }
            cur = p;
        }
        false
    }

    /// Can control leave this loop other than by its condition: a return,
    /// a break out of it, a goto? (A call that never returns ends the
    /// program or the test, or panics: not a way to go on without the
    /// values.)
    fn leaves_loop(&self, lp: Node) -> bool {
        let Some(body) = lp.child_by_field_name("body") else {
            return false;
        };
        let label = lp
            .parent()
            .filter(|p| p.kind() == "labeled_statement")
            .and_then(|p| p.child_by_field_name("label"))
            .map(|l| text(l, self.src));
        leaves(body, self.src, label)
    }

    /// Receives on the channel in an expression or simple statement (not
    /// in func literals).
    fn receives_in(&self, n: Node) -> Count {
        let mut count = 0;
        let mut stack = vec![n];
        while let Some(x) = stack.pop() {
            if x.kind() == "func_literal" {
                continue;
            }
            if x.kind() == "unary_expression"
                && x.child_by_field_name("operand")
                    .is_some_and(|o| self.refs.contains(&o.id()))
                && x.child_by_field_name("operator")
                    .is_some_and(|o| text(o, self.src) == "<-")
            {
                count += 1;
            }
            let mut c = x.walk();
            stack.extend(x.named_children(&mut c));
        }
        count
    }
}

/// A break (or goto) that leaves this loop.
fn breaks_out(lp: Node, src: &str, label: Option<&str>) -> bool {
    fn walk(n: Node, src: &str, label: Option<&str>, nested: bool) -> bool {
        match n.kind() {
            "func_literal" => return false,
            "goto_statement" => return true,
            "break_statement" => {
                return match n.named_child(0) {
                    Some(l) => Some(text(l, src)) == label,
                    None => !nested,
                };
            }
            _ => {}
        }
        let nested = nested
            || matches!(
                n.kind(),
                "for_statement"
                    | "expression_switch_statement"
                    | "type_switch_statement"
                    | "select_statement"
            );
        let mut c = n.walk();
        let children: Vec<Node> = n.named_children(&mut c).collect();
        children.into_iter().any(|ch| walk(ch, src, label, nested))
    }
    let Some(body) = lp.child_by_field_name("body") else {
        return true;
    };
    let mut c = body.walk();
    let children: Vec<Node> = body.named_children(&mut c).collect();
    children.into_iter().any(|ch| walk(ch, src, label, false))
}

/// A return, goto, or break out of the loop whose body this is (a break
/// inside a nested loop, switch or select stays there, unless labelled
/// with this loop's label or an outer one).
pub fn leaves(body: Node, src: &str, label: Option<&str>) -> bool {
    fn walk(n: Node, src: &str, label: Option<&str>, nested: bool) -> bool {
        match n.kind() {
            "func_literal" => return false,
            "return_statement" | "goto_statement" => return true,
            "break_statement" => {
                return match n.named_child(0) {
                    Some(l) => Some(text(l, src)) == label || label.is_none(),
                    None => !nested,
                };
            }
            _ => {}
        }
        let nested = nested
            || matches!(
                n.kind(),
                "for_statement"
                    | "expression_switch_statement"
                    | "type_switch_statement"
                    | "select_statement"
            );
        let mut c = n.walk();
        let children: Vec<Node> = n.named_children(&mut c).collect();
        children.into_iter().any(|ch| walk(ch, src, label, nested))
    }
    let mut c = body.walk();
    let children: Vec<Node> = body.named_children(&mut c).collect();
    children.into_iter().any(|ch| walk(ch, src, label, false))
}

/// Does `n` read one of `names`?
fn mentions(n: Node, names: &HashSet<String>, src: &str) -> bool {
    let mut stack = vec![n];
    while let Some(x) = stack.pop() {
        if x.kind() == "identifier" && names.contains(text(x, src)) {
            return true;
        }
        let mut c = x.walk();
        stack.extend(x.named_children(&mut c));
    }
    false
}

/// A `break` or `continue` in `n` (outside func literals): it may end the
/// iteration it is in.
fn ends_iteration(n: Node) -> bool {
    let mut stack = vec![n];
    while let Some(x) = stack.pop() {
        match x.kind() {
            "func_literal" => continue,
            "break_statement" | "continue_statement" => return true,
            _ => {}
        }
        let mut c = x.walk();
        stack.extend(x.named_children(&mut c));
    }
    false
}
