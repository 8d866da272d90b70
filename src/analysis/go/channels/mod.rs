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

mod receiver;
mod runs;

pub use receiver::{Count, Leave, MANY, Receiver, leaves};
pub use runs::{Runs, runs_of, single_flight};

use super::contexts::declaration_of;
use super::goroutines::GoStmt;
use super::scope;
use crate::lang::go::{block_statements, enclosing_function, named_children_no_comments};
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

/// The local channels a go statement sends on: sends in the literal it
/// starts, or channels passed to the package function it starts.
pub fn channels_sent_by<'a>(g: &GoStmt<'a>) -> Vec<LocalChannel<'a>> {
    let src = g.file.text();
    let Some(owner) = enclosing_function(g.go) else {
        return Vec::new();
    };
    let Some(callee) = g.call.child_by_field_name("function") else {
        return Vec::new();
    };
    let mut idents = Vec::new();
    if callee.kind() == "func_literal" {
        let mut stack = vec![callee];
        while let Some(n) = stack.pop() {
            if n.kind() == "send_statement"
                && let Some(c) = n.child_by_field_name("channel")
                && c.kind() == "identifier"
            {
                idents.push(c);
            }
            let mut c = n.walk();
            stack.extend(n.named_children(&mut c));
        }
    } else if let Some(args) = g.call.child_by_field_name("arguments") {
        idents.extend(
            named_children_no_comments(args)
                .into_iter()
                .filter(|a| a.kind() == "identifier"),
        );
    }
    let mut out: Vec<LocalChannel<'a>> = Vec::new();
    for id in idents {
        let Some((_, decl)) = declaration_of(id, src) else {
            continue;
        };
        let decl = match decl.kind() {
            "var_declaration" => {
                let mut found = None;
                let mut stack = vec![decl];
                while let Some(n) = stack.pop() {
                    if n.kind() == "var_spec" {
                        let mut c = n.walk();
                        if n.children_by_field_name("name", &mut c)
                            .any(|x| text(x, src) == text(id, src))
                        {
                            found = Some(n);
                        }
                    }
                    let mut c = n.walk();
                    stack.extend(n.named_children(&mut c));
                }
                match found {
                    Some(s) => s,
                    None => continue,
                }
            }
            _ => decl,
        };
        if enclosing_function(decl).is_none_or(|f| f.id() != owner.id()) {
            continue;
        }
        if let Some(ch) = made_channel(decl, src)
            && !out.iter().any(|c| c.decl.id() == ch.decl.id())
        {
            out.push(ch);
        }
    }
    out
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
    /// `return ch`: the caller reads it.
    Returned,
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
        "return_statement" => Op::Returned,
        "expression_list" if p.parent().is_some_and(|q| q.kind() == "return_statement") => {
            Op::Returned
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

/// Can this send, inside `lp` (a loop of the goroutine), run again on a
/// later iteration? Not when a `return`, `break` or `goto` follows it on
/// its way back to the loop's body: then it sends once and leaves.
pub fn repeats_in_loop(send: Node, lp: Node) -> bool {
    let Some(body) = lp.child_by_field_name("body") else {
        return false;
    };
    let mut cur = send;
    while let Some(p) = cur.parent() {
        if p.kind() == "statement_list" {
            let mut next = cur.next_named_sibling();
            while let Some(n) = next {
                if matches!(
                    n.kind(),
                    "return_statement" | "break_statement" | "goto_statement"
                ) {
                    return false;
                }
                next = n.next_named_sibling();
            }
        }
        if p.id() == body.id() {
            return true;
        }
        cur = p;
    }
    true
}
