//! Channels a function makes, and what happens to them: who sends and
//! receives, which goroutines send and how often, and whether the function
//! can return before it has received every value sent to it. A goroutine
//! that sends on an unbuffered channel whose receiver has returned blocks
//! forever; these facts are what tells it.
//!
//! Everything here is syntax plus scopes, one function at a time: a channel
//! that leaves the function (passed to a call other than the goroutines
//! that send on it, stored, returned, captured by a closure that is not
//! such a goroutine) is reported as escaping, and rules leave it alone.

use std::collections::HashSet;

use tree_sitter::Node;

use super::scope;
use super::syntax::{is_noreturn_call, is_terminating};
use crate::lang::go::{block_statements, named_children_no_comments};
use crate::lang::text;

/// `ch := make(chan T)` / `var ch = make(chan T, n)` in a function.
#[derive(Clone, Copy, Debug)]
pub struct LocalChannel<'t> {
    /// The declared name's identifier.
    pub ident: Node<'t>,
    /// The declaring statement (short var declaration or var spec).
    pub decl: Node<'t>,
    /// The `make(...)` call.
    pub make: Node<'t>,
    /// The capacity argument, when written.
    pub capacity: Option<Node<'t>>,
    /// The block whose names it joins.
    pub scope: Node<'t>,
}

impl<'t> LocalChannel<'t> {
    pub fn name<'s>(&self, src: &'s str) -> &'s str {
        text(self.ident, src)
    }

    /// Unbuffered: no capacity, or a literal 0.
    pub fn is_unbuffered(&self, src: &str) -> bool {
        self.capacity.is_none_or(|c| text(c, src).trim() == "0")
    }

    /// A capacity written as an integer literal.
    pub fn literal_capacity(&self, src: &str) -> Option<usize> {
        match self.capacity {
            None => Some(0),
            Some(c) if c.kind() == "int_literal" => text(c, src).replace('_', "").parse().ok(),
            Some(_) => None,
        }
    }
}

/// The channel a `make(chan ...)` declaration makes, when `decl` is one
/// (`ch := make(chan T)`, `var ch = make(chan T, 1)`, one name, one value).
pub fn made_channel<'t>(decl: Node<'t>, src: &str) -> Option<LocalChannel<'t>> {
    let (names, values) = match decl.kind() {
        "short_var_declaration" => (
            named_children_no_comments(decl.child_by_field_name("left")?),
            named_children_no_comments(decl.child_by_field_name("right")?),
        ),
        "var_spec" => {
            let mut c = decl.walk();
            let names: Vec<Node> = decl.children_by_field_name("name", &mut c).collect();
            (
                names,
                named_children_no_comments(decl.child_by_field_name("value")?),
            )
        }
        _ => return None,
    };
    let ([ident], [make]) = (names.as_slice(), values.as_slice()) else {
        return None;
    };
    if ident.kind() != "identifier" || text(*ident, src) == "_" || make.kind() != "call_expression"
    {
        return None;
    }
    let f = make.child_by_field_name("function")?;
    if f.kind() != "identifier" || text(f, src) != "make" {
        return None;
    }
    let args = named_children_no_comments(make.child_by_field_name("arguments")?);
    let (ty, capacity) = match args.as_slice() {
        [t] => (*t, None),
        [t, c] => (*t, Some(*c)),
        _ => return None,
    };
    if ty.kind() != "channel_type" {
        return None;
    }
    let stmt = if decl.kind() == "var_spec" {
        let mut s = decl;
        while let Some(p) = s.parent() {
            s = p;
            if p.kind() == "var_declaration" {
                break;
            }
        }
        s
    } else {
        decl
    };
    Some(LocalChannel {
        ident: *ident,
        decl,
        make: *make,
        capacity,
        scope: super::contexts::decl_scope(stmt),
    })
}

/// What a use of a channel does.
#[derive(Clone, Copy, Debug)]
pub enum Op<'t> {
    /// `ch <- v`; `select` is the select statement when the send is one of its cases.
    Send {
        stmt: Node<'t>,
        select: Option<Node<'t>>,
    },
    /// `<-ch`; `case_` is the select case whose header it is.
    Recv {
        expr: Node<'t>,
        case_: Option<Node<'t>>,
    },
    /// `for v := range ch`.
    Range { lp: Node<'t> },
    /// `close(ch)`.
    Close { call: Node<'t> },
    /// `len(ch)`, `cap(ch)`: what buffering would change.
    LenCap { call: Node<'t> },
    /// An argument of the call a go statement starts.
    GoArg { go: Node<'t>, index: usize },
    /// Anything else: passed, stored, returned, assigned, compared.
    Other,
}

/// Where a use of a channel runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place<'t> {
    /// In the function that made the channel (or a literal it calls at once).
    Owner,
    /// In the func literal a go statement starts.
    Goroutine(Node<'t>),
    /// In another func literal: a callback, a deferred closure.
    Closure(Node<'t>),
}

#[derive(Clone, Copy, Debug)]
pub struct ChanUse<'t> {
    /// The identifier.
    pub node: Node<'t>,
    pub op: Op<'t>,
    pub place: Place<'t>,
}

/// Every use of a name in `scope` (the references `scope::references`
/// finds), classified. `owner` is the function the name is declared in.
pub fn uses_of<'t>(
    scope_node: Node<'t>,
    name: &str,
    owner: Node<'t>,
    src: &str,
) -> Vec<ChanUse<'t>> {
    scope::references(scope_node, name, src)
        .into_iter()
        .map(|r| ChanUse {
            node: r,
            op: op_of(r, src),
            place: place_of(r, owner),
        })
        .collect()
}

fn op_of<'t>(r: Node<'t>, src: &str) -> Op<'t> {
    let Some(p) = r.parent() else {
        return Op::Other;
    };
    match p.kind() {
        "send_statement"
            if p.child_by_field_name("channel")
                .is_some_and(|c| c.id() == r.id()) =>
        {
            let select = p
                .parent()
                .filter(|c| c.kind() == "communication_case")
                .and_then(|c| c.parent());
            Op::Send { stmt: p, select }
        }
        "unary_expression"
            if p.child_by_field_name("operator")
                .is_some_and(|o| text(o, src) == "<-") =>
        {
            let header = p
                .parent()
                .filter(|s| s.kind() == "receive_statement")
                .and_then(|s| s.parent())
                .filter(|c| c.kind() == "communication_case");
            Op::Recv {
                expr: p,
                case_: header,
            }
        }
        "range_clause"
            if p.child_by_field_name("right")
                .is_some_and(|c| c.id() == r.id()) =>
        {
            match p.parent() {
                Some(lp) => Op::Range { lp },
                None => Op::Other,
            }
        }
        "argument_list" => {
            let Some(call) = p.parent() else {
                return Op::Other;
            };
            let callee = call
                .child_by_field_name("function")
                .map(|f| text(f, src))
                .unwrap_or("");
            match callee {
                "close" => Op::Close { call },
                "len" | "cap" => Op::LenCap { call },
                _ => match call.parent().filter(|g| g.kind() == "go_statement") {
                    Some(go) => {
                        let index = named_children_no_comments(p)
                            .iter()
                            .position(|a| a.id() == r.id())
                            .unwrap_or(usize::MAX);
                        Op::GoArg { go, index }
                    }
                    None => Op::Other,
                },
            }
        }
        _ => Op::Other,
    }
}

fn place_of<'t>(r: Node<'t>, owner: Node<'t>) -> Place<'t> {
    let mut cur = r;
    let mut place = Place::Owner;
    while let Some(p) = cur.parent() {
        if p.id() == owner.id() {
            break;
        }
        if p.kind() == "func_literal" {
            let call = p.parent().filter(|c| {
                c.kind() == "call_expression"
                    && c.child_by_field_name("function")
                        .is_some_and(|f| f.id() == p.id())
            });
            place = match call.and_then(|c| c.parent()) {
                Some(g) if g.kind() == "go_statement" => Place::Goroutine(g),
                Some(s) if s.kind() == "defer_statement" => Place::Closure(p),
                Some(_) if call.is_some() && place == Place::Owner => Place::Owner,
                _ => Place::Closure(p),
            };
            if !matches!(place, Place::Owner) {
                // The innermost literal that runs apart decides; an outer
                // goroutine around it does not make it run at once.
                let mut up = p;
                while let Some(q) = up.parent() {
                    if q.id() == owner.id() {
                        break;
                    }
                    if q.kind() == "func_literal" {
                        return Place::Closure(q);
                    }
                    up = q;
                }
                return place;
            }
        }
        cur = p;
    }
    place
}

/// How the code of one goroutine sends on a channel.
#[derive(Debug)]
pub struct Sends<'t> {
    /// The send statements, in order.
    pub sends: Vec<Node<'t>>,
    /// Each send is the last thing the goroutine does (nothing but a
    /// `return` after it, outside any loop): at most one runs, and after
    /// it the goroutine only runs its deferred calls and ends.
    pub last_action: bool,
    /// Some path through the goroutine sends nothing (the sends sit in
    /// branches: only on success, only on failure).
    pub conditional: bool,
    /// Every send is a case of a select with another way on (a done
    /// channel, a timer, a default): the goroutine can give up.
    pub can_give_up: bool,
}

/// How `body` (a goroutine's code) sends on the channel whose references
/// are `refs` (the identifiers naming it there).
pub fn sends_in<'t>(body: Node<'t>, refs: &HashSet<usize>) -> Sends<'t> {
    let mut sends = Vec::new();
    let mut in_select = true;
    let mut stack = vec![body];
    while let Some(n) = stack.pop() {
        if n.kind() == "send_statement"
            && n.child_by_field_name("channel")
                .is_some_and(|c| refs.contains(&c.id()))
        {
            sends.push(n);
            let others = n
                .parent()
                .filter(|c| c.kind() == "communication_case")
                .and_then(|c| c.parent())
                .is_some_and(|sel| {
                    let mut c = sel.walk();
                    sel.named_children(&mut c)
                        .filter(|x| matches!(x.kind(), "communication_case" | "default_case"))
                        .count()
                        > 1
                });
            in_select &= others;
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    sends.sort_by_key(|n| n.start_byte());
    let last_action = !sends.is_empty() && sends.iter().all(|s| is_last_action(*s, body));
    let top = block_statements(body);
    let conditional = !sends.iter().any(|s| top.iter().any(|t| t.id() == s.id()));
    Sends {
        last_action,
        conditional,
        can_give_up: !sends.is_empty() && in_select,
        sends,
    }
}

/// Is `stmt` the last thing `body` does on its path: followed only by a
/// `return` at every level up to `body`, and inside no loop?
pub fn is_last_action(stmt: Node, body: Node) -> bool {
    let mut cur = stmt;
    loop {
        if cur.id() == body.id() {
            return true;
        }
        let Some(p) = cur.parent() else {
            return false;
        };
        match p.kind() {
            "statement_list" => {
                let mut next = cur.next_named_sibling();
                while let Some(n) = next {
                    match n.kind() {
                        "comment" => {}
                        "return_statement" => return true,
                        _ => return false,
                    }
                    next = n.next_named_sibling();
                }
            }
            "for_statement" | "func_literal" => return false,
            "communication_case" if cur.kind() == "send_statement" => {} // the select's own case
            _ => {}
        }
        if p.id() == body.id() {
            return true;
        }
        cur = p;
    }
}

/// How many times a go statement runs per run of `func`: once, once per
/// element or count of the loop around it (the expression that gives the
/// count, valid where the loop starts), or cannot tell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Runs {
    Once,
    /// `len(xs)` / `n`: the loop runs this many times at most.
    Times(String),
    Unknown,
}

/// How many times `go_stmt` runs for one run of `stop` (the block that
/// declares the channel: a channel made inside a loop is a new one each
/// time), and the loop that repeats it.
pub fn runs_of<'t>(
    go_stmt: Node<'t>,
    stop: Node<'t>,
    src: &str,
    is_slice_or_map: impl Fn(Node<'t>) -> bool,
) -> (Runs, Option<Node<'t>>) {
    let mut found: Option<Node> = None;
    let mut cur = go_stmt;
    while let Some(p) = cur.parent() {
        if p.id() == stop.id() {
            break;
        }
        if p.kind() == "for_statement"
            && p.child_by_field_name("body")
                .is_some_and(|b| b.id() == cur.id())
        {
            if found.is_some() {
                return (Runs::Unknown, None); // nested loops
            }
            found = Some(p);
        }
        if p.kind() == "func_literal" {
            return (Runs::Unknown, None);
        }
        cur = p;
    }
    let Some(lp) = found else {
        return (Runs::Once, None);
    };
    (loop_count(lp, src, is_slice_or_map), Some(lp))
}

/// The number of iterations of a loop as an expression, when it is
/// written in its header: `range xs` (a slice or map: `len(xs)`),
/// `range n` / `range 3`, `for i := 0; i < n; i++`.
fn loop_count<'t>(lp: Node<'t>, src: &str, is_slice_or_map: impl Fn(Node<'t>) -> bool) -> Runs {
    let mut c = lp.walk();
    let Some(clause) = lp
        .named_children(&mut c)
        .find(|n| n.kind() != "block" && n.kind() != "comment")
    else {
        return Runs::Unknown;
    };
    let simple = |e: Node| {
        matches!(
            e.kind(),
            "identifier" | "selector_expression" | "int_literal"
        ) && !text(e, src).contains('(')
    };
    match clause.kind() {
        "range_clause" => {
            let Some(right) = clause.child_by_field_name("right") else {
                return Runs::Unknown;
            };
            if right.kind() == "int_literal" {
                return Runs::Times(text(right, src).to_string());
            }
            if simple(right) && is_slice_or_map(right) {
                return Runs::Times(format!("len({})", text(right, src)));
            }
            Runs::Unknown
        }
        "for_clause" => {
            let (Some(init), Some(cond), Some(update)) = (
                clause.child_by_field_name("initializer"),
                clause.child_by_field_name("condition"),
                clause.child_by_field_name("update"),
            ) else {
                return Runs::Unknown;
            };
            // `i := 0`, `i < n`, `i++`.
            let init_ok = init.kind() == "short_var_declaration"
                && init
                    .child_by_field_name("right")
                    .is_some_and(|r| text(r, src).trim() == "0");
            let Some(var) = init
                .child_by_field_name("left")
                .map(|l| text(l, src).trim().to_string())
            else {
                return Runs::Unknown;
            };
            let upd_ok = text(update, src).replace(' ', "") == format!("{var}++");
            if !init_ok || !upd_ok || cond.kind() != "binary_expression" {
                return Runs::Unknown;
            }
            let (Some(l), Some(op), Some(r)) = (
                cond.child_by_field_name("left"),
                cond.child_by_field_name("operator"),
                cond.child_by_field_name("right"),
            ) else {
                return Runs::Unknown;
            };
            if text(l, src) != var || text(op, src) != "<" {
                return Runs::Unknown;
            }
            let is_len = r.kind() == "call_expression"
                && r.child_by_field_name("function")
                    .is_some_and(|f| text(f, src) == "len")
                && r.child_by_field_name("arguments")
                    .map(named_children_no_comments)
                    .is_some_and(|a| a.len() == 1 && simple(a[0]));
            if simple(r) || is_len {
                // The body must not move the counter.
                let body = lp.child_by_field_name("body");
                let moved = body.is_some_and(|b| {
                    scope::references(b, &var, src)
                        .iter()
                        .any(|x| crate::lang::go::is_written(*x))
                });
                if moved {
                    return Runs::Unknown;
                }
                return Runs::Times(text(r, src).to_string());
            }
            Runs::Unknown
        }
        _ => Runs::Unknown,
    }
}

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
}

impl<'a, 't> Receiver<'a, 't> {
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
                while let Some(s) = next {
                    next = s.next_named_sibling();
                    if s.kind() == "comment" {
                        continue;
                    }
                    if let Some(l) = self.scan(s, cov, need) {
                        return Some(l);
                    }
                    let got = self.definite(s);
                    if got == 0 && self.bypass.is_none() {
                        self.bypass = self.non_receiving_case(s);
                    }
                    cov = cov.saturating_add(got).min(MANY);
                    need = need.saturating_add(self.starts(s)).min(MANY);
                    if is_terminating(s, self.src) {
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
                for s in stmts {
                    if s.kind() == "comment" {
                        continue;
                    }
                    if let Some(l) = self.scan(s, cov, need) {
                        return Some(l);
                    }
                    cov = cov.saturating_add(self.definite(s)).min(MANY);
                    need = need.saturating_add(self.starts(s)).min(MANY);
                    if is_terminating(s, self.src) {
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
                && cl
                    .child_by_field_name("right")
                    .is_some_and(|r| self.refs.contains(&r.id()))
        })
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

/// A return, goto, or break out of the loop whose body this is (a break
/// inside a nested loop, switch or select stays there, unless labelled
/// with this loop's label or an outer one).
fn leaves(body: Node, src: &str, label: Option<&str>) -> bool {
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

/// The statements of a case clause.
pub fn case_statements(case: Node) -> Vec<Node> {
    let mut out = Vec::new();
    let mut c = case.walk();
    for x in case.named_children(&mut c) {
        if x.kind() == "statement_list" {
            out.extend(named_children_no_comments(x));
        }
    }
    out
}

/// A select case that waits for something other than a value: a done
/// channel (`<-ctx.Done()`, `<-done`), a timer (`<-time.After(d)`,
/// `<-t.C`). The text of what it waits on.
pub fn give_up_text<'s>(case: Node, src: &'s str) -> Option<&'s str> {
    if case.kind() == "default_case" {
        return Some("default");
    }
    let header = case.child_by_field_name("communication")?;
    let recv = match header.kind() {
        "receive_statement" => header.child_by_field_name("right")?,
        _ => return None,
    };
    Some(text(recv, src))
}
