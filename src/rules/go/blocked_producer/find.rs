//! Finding: a goroutine that sends in a loop on a channel its function
//! made, and who reads that channel: the function's callers (it returns
//! the channel, and takes a context), or the function itself (and it can
//! return before the producer is done).

use std::collections::HashSet;

use tree_sitter::Node;

use super::ID;
use crate::analysis::go::GoFile;
use crate::analysis::go::channels::{
    Leave, LocalChannel, MANY, Op, Place, Receiver, channels_sent_by, give_up_text, leaves,
    repeats_in_loop, uses_of,
};
use crate::analysis::go::contexts::{
    context_param, enclosing_named, names_a_context_at, request_param,
};
use crate::analysis::go::goroutines::{GoStmt, PackageFacts};
use crate::analysis::go::loops::forever_loops;
use crate::analysis::go::scope;
use crate::analysis::go::types::TypeEnv;
use crate::finding::Finding;
use crate::lang::go::enclosing_function;
use crate::lang::text;

/// Who reads what the producer sends.
pub(super) enum Reader<'a> {
    /// The function returns the channel; its callers cancel this context
    /// (`ctx`, `r.Context()`) when they stop reading.
    Caller { ctx: String },
    /// The function reads it itself, and can return early.
    Owner { leave: Leave<'a> },
}

/// One producer: the goroutine, its blocking sends, and its reader.
pub(super) struct Producer<'a> {
    pub(super) file: &'a GoFile,
    pub(super) go: Node<'a>,
    /// The func literal the goroutine runs.
    pub(super) lit: Node<'a>,
    /// The channel (the first, when the goroutine streams on several
    /// channels with the same reader: one finding and one fix for them all).
    pub(super) ch: LocalChannel<'a>,
    /// The other channels, in source order of their declarations.
    pub(super) more: Vec<LocalChannel<'a>>,
    /// The function that makes the channel and starts the goroutine.
    pub(super) owner: Node<'a>,
    /// A send that runs again on the next iteration of a loop: what makes
    /// it a stream. A goroutine that streams on one channel may send a
    /// one-shot value on another the same reader reads (an error at the
    /// end): that send blocks just the same once the reader is gone, so it
    /// joins the stream's finding and fix, but makes none of its own.
    pub(super) streaming: Option<Node<'a>>,
    /// Every plain send of the goroutine on the channels: once its reader
    /// is gone, the last send before a `return` blocks as surely as one in
    /// the loop, so the fix must reach them all.
    pub(super) sends: Vec<Node<'a>>,
    /// `close(ch)` calls the goroutine makes itself (not deferred): a
    /// reader that ranges to the end must still see the channel closed
    /// when the goroutine gives up.
    pub(super) closes: Vec<String>,
    pub(super) reader: Reader<'a>,
}

impl Reader<'_> {
    /// Readers that one fix can serve together: the same context, or the
    /// function itself.
    fn joins(&self, other: &Reader) -> bool {
        match (self, other) {
            (Reader::Caller { ctx: a }, Reader::Caller { ctx: b }) => a == b,
            (Reader::Owner { .. }, Reader::Owner { .. }) => true,
            _ => false,
        }
    }
}

/// The findings for one go statement.
pub(super) fn check<'a>(facts: &PackageFacts<'a>, g: &GoStmt<'a>) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(lit) = g
        .call
        .child_by_field_name("function")
        .filter(|f| f.kind() == "func_literal")
    else {
        return out; // named producers: no fix could reach them, and they are rare
    };
    let Some(body) = lit.child_by_field_name("body") else {
        return out;
    };
    let env = TypeEnv::for_function(facts.pkg, g.file, facts.catalog, lit);
    if !forever_loops(body, &env).is_empty() || facts.runs_once(g.go, g.file) {
        return out; // go-unstoppable-goroutine's, or meant to live as long as the process
    }
    let mut producers: Vec<Producer> = Vec::new();
    for ch in channels_sent_by(g) {
        let Some(p) = producer(facts, g, lit, ch) else {
            continue;
        };
        match producers.iter_mut().find(|q| q.reader.joins(&p.reader)) {
            Some(q) => {
                if q.streaming.is_none() && p.streaming.is_some() {
                    q.streaming = p.streaming;
                    q.more.insert(0, q.ch);
                    q.ch = p.ch;
                } else {
                    q.more.push(p.ch);
                }
                q.sends.extend(p.sends);
                q.sends.sort_by_key(|n| n.start_byte());
                q.closes.extend(p.closes);
            }
            None => producers.push(p),
        }
    }
    out.extend(
        producers
            .iter()
            .filter(|p| p.streaming.is_some())
            .map(finding),
    );
    out
}

fn producer<'a>(
    facts: &PackageFacts<'a>,
    g: &GoStmt<'a>,
    lit: Node<'a>,
    ch: LocalChannel<'a>,
) -> Option<Producer<'a>> {
    let file = g.file;
    let src = file.text();
    let owner = enclosing_function(ch.decl)?;
    let name = ch.name(src);
    let uses: Vec<_> = uses_of(ch.scope, name, owner, src)
        .into_iter()
        .filter(|u| u.node.id() != ch.ident.id())
        .collect();
    let refs: HashSet<usize> = uses.iter().map(|u| u.node.id()).collect();
    // The producer's plain sends, and one that sits in a loop of its own.
    let mut sends = Vec::new();
    let mut streaming = None;
    let mut closes = Vec::new();
    let (mut returned, mut read) = (false, false);
    for u in &uses {
        match (u.op, u.place) {
            (Op::Send { stmt, select }, Place::Goroutine(x)) if x.id() == g.go.id() => {
                if select.is_some() {
                    return None; // already a select case: it decides its own ways out
                }
                // Sends that run again on the next iteration make a stream;
                // a goroutine whose sends are all followed by `return` sends
                // a one-shot result (go-abandoned-result's).
                if streaming.is_none()
                    && scope::enclosing_loop(stmt, lit).is_some_and(|lp| repeats_in_loop(stmt, lp))
                {
                    streaming = Some(stmt);
                }
                sends.push(stmt);
            }
            (Op::Close { call }, Place::Goroutine(x)) if x.id() == g.go.id() => {
                if call.parent().is_some_and(|s| s.kind() != "defer_statement") {
                    closes.push(format!("close({name})"));
                }
            }
            (Op::Recv { .. } | Op::Range { .. }, Place::Owner) => read = true,
            (Op::Returned, Place::Owner) => returned = true,
            _ => return None,
        }
    }
    if sends.is_empty() {
        return None;
    }
    sends.sort_by_key(|n| n.start_byte());
    closes.dedup();
    let reader = match (returned, read) {
        (true, false) => {
            let ctx = context_param(owner, file)
                .or_else(|| request_param(owner, file).map(|r| format!("{r}.Context()")))?;
            // What the sends would watch must mean the function's context there.
            if !sends
                .iter()
                .all(|s| names_a_context_at(*s, &ctx, None, file))
            {
                return None;
            }
            // Every caller in the package reads it to the end: none stops early.
            if callers_drain(facts, owner, file) {
                return None;
            }
            Reader::Caller { ctx }
        }
        (false, true) => {
            if sized_for_every_read(&ch, owner, &refs, src) {
                return None;
            }
            let counts = [(g.go, MANY)];
            let mut receiver = Receiver::new(src, &refs, &counts);
            receiver.closed_at_end = closed_at_end(lit, owner, src);
            receiver.finished_flags = written_outside(lit, src);
            let leave = receiver.leaves_early(owner.child_by_field_name("body")?)?;
            // A function that runs once per process returns once: what it
            // leaves behind is left once.
            if facts.function_runs_once(owner, file) {
                return None;
            }
            Reader::Owner { leave }
        }
        _ => return None,
    };
    Some(Producer {
        file,
        go: g.go,
        lit,
        ch,
        more: Vec::new(),
        owner,
        streaming,
        sends,
        closes,
        reader,
    })
}

/// `results := make(chan T, n)` read by a loop counted by the same `n`
/// (`for ; n > 0; n--`, `for i := 0; i < n; i++`): the reader expects `n`
/// values and the channel has room for all of them, so a producer that
/// sends no more than its reader expects never waits, whenever the reader
/// stops.
fn sized_for_every_read(ch: &LocalChannel, owner: Node, refs: &HashSet<usize>, src: &str) -> bool {
    let Some(cap) = ch.capacity.filter(|c| c.kind() != "int_literal") else {
        return false;
    };
    let cap = text(cap, src);
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mentions = |hay: &str| {
        hay.match_indices(cap).any(|(i, _)| {
            let b = hay.as_bytes();
            (i == 0 || !is_word(b[i - 1])) && b.get(i + cap.len()).is_none_or(|c| !is_word(*c))
        })
    };
    let receives = |n: Node| {
        let mut stack = vec![n];
        while let Some(x) = stack.pop() {
            if x.kind() == "func_literal" {
                continue;
            }
            if x.kind() == "unary_expression"
                && x.child_by_field_name("operand")
                    .is_some_and(|o| refs.contains(&o.id()))
            {
                return true;
            }
            let mut c = x.walk();
            stack.extend(x.named_children(&mut c));
        }
        false
    };
    let mut stack = vec![owner];
    while let Some(n) = stack.pop() {
        if n.kind() == "func_literal" && n.id() != owner.id() {
            continue;
        }
        if n.kind() == "for_statement"
            && let Some(body) = n.child_by_field_name("body")
            && n.named_child(0)
                .filter(|cl| cl.kind() == "for_clause" || cl.kind() == "range_clause")
                .is_some_and(|cl| mentions(text(cl, src)))
            && receives(body)
        {
            return true;
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    false
}

/// Does every call of the function in the package read what it returns to
/// the end (`for v := range ch` with no way out of the loop, on the value
/// the call returned)? False when there is no call to look at.
fn callers_drain(facts: &PackageFacts, func: Node, file: &GoFile) -> bool {
    let src = file.text();
    let Some(name) = func.child_by_field_name("name").map(|n| text(n, src)) else {
        return false;
    };
    let mut calls = 0;
    for &(i, n) in facts.names().named(name) {
        let f = &facts.pkg.files[i];
        let fsrc = f.text();
        // The callee of a call: `f(...)` or `x.f(...)`.
        let callee = match n.parent() {
            Some(p) if p.kind() == "selector_expression" => p,
            Some(p) if p.kind() == "call_expression" => n,
            _ => continue,
        };
        let Some(call) = callee.parent().filter(|c| {
            c.kind() == "call_expression"
                && c.child_by_field_name("function")
                    .is_some_and(|x| x.id() == callee.id())
        }) else {
            continue;
        };
        calls += 1;
        if !drained(call, fsrc) {
            return false;
        }
    }
    calls > 0
}

/// Is the channel this call returns ranged over to the end: `for v := range
/// f()`, or `ch, err := f()` and later `for v := range ch` with no way out?
fn drained(call: Node, src: &str) -> bool {
    let Some(p) = call.parent() else {
        return false;
    };
    let lp = if p.kind() == "range_clause" {
        p.parent()
    } else {
        let stmt = if p.kind() == "expression_list" {
            p.parent()
        } else {
            Some(p)
        };
        let Some(stmt) =
            stmt.filter(|s| matches!(s.kind(), "short_var_declaration" | "assignment_statement"))
        else {
            return false;
        };
        let Some(var) = stmt
            .child_by_field_name("left")
            .and_then(|l| l.named_child(0))
            .filter(|v| v.kind() == "identifier")
        else {
            return false;
        };
        let name = text(var, src);
        let mut next = stmt.next_named_sibling();
        let mut found = None;
        while let Some(s) = next {
            if s.kind() == "for_statement"
                && s.named_child(0).is_some_and(|cl| {
                    cl.kind() == "range_clause"
                        && cl
                            .child_by_field_name("right")
                            .is_some_and(|r| r.kind() == "identifier" && text(r, src) == name)
                })
            {
                found = Some(s);
                break;
            }
            next = s.next_named_sibling();
        }
        found
    };
    let Some(lp) = lp.filter(|l| l.kind() == "for_statement") else {
        return false;
    };
    lp.child_by_field_name("body")
        .is_some_and(|b| !leaves(b, src, None))
}

/// The references, in the owner, of the channels the goroutine closes
/// with `defer close(x)` (so they are closed when it ends).
fn closed_at_end(lit: Node, owner: Node, src: &str) -> HashSet<usize> {
    let mut out = HashSet::new();
    let Some(body) = lit.child_by_field_name("body") else {
        return out;
    };
    for stmt in crate::lang::go::block_statements(body) {
        if stmt.kind() != "defer_statement" {
            continue;
        }
        let Some(call) = stmt.named_child(0) else {
            continue;
        };
        let is_close = call
            .child_by_field_name("function")
            .is_some_and(|f| text(f, src) == "close");
        let arg = call
            .child_by_field_name("arguments")
            .and_then(|a| a.named_child(0))
            .filter(|a| a.kind() == "identifier");
        if let (true, Some(arg)) = (is_close, arg)
            && let Some((scope_node, _)) = crate::analysis::go::contexts::declaration_of(arg, src)
            && scope::contains(owner, scope_node)
        {
            out.extend(
                scope::references(scope_node, text(arg, src), src)
                    .iter()
                    .filter(|r| !scope::contains(lit, **r))
                    .map(|r| r.id()),
            );
        }
    }
    out
}

/// Names declared outside the goroutine that it assigns (`decodeErr = err`).
fn written_outside(lit: Node, src: &str) -> HashSet<String> {
    let mut out = HashSet::new();
    let mut stack = vec![lit];
    while let Some(n) = stack.pop() {
        if n.kind() == "identifier"
            && crate::lang::go::is_written(n)
            && n.parent().is_some_and(|p| {
                p.parent()
                    .is_some_and(|a| a.kind() == "assignment_statement")
            })
            && crate::analysis::go::contexts::declaration_of(n, src)
                .is_some_and(|(_, d)| !scope::contains(lit, d))
        {
            out.insert(text(n, src).to_string());
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    out
}

fn finding(p: &Producer) -> Finding {
    let src = p.file.text();
    let names = std::iter::once(&p.ch)
        .chain(&p.more)
        .map(|c| format!("`{}`", c.name(src)))
        .collect::<Vec<_>>()
        .join(" and ");
    let owner = owner_name(p.owner, src);
    let send = one_line(text(p.streaming.unwrap_or(p.sends[0]), src));
    let line = |n: Node| n.start_position().row + 1;
    let message = match &p.reader {
        Reader::Caller { ctx } => format!(
            "This goroutine sends on {names} in a loop without watching `{ctx}`: when a caller of {owner} cancels and stops reading, it blocks on `{send}` forever"
        ),
        Reader::Owner { leave } => {
            let how = match leave.gave_up_on.and_then(|c| give_up_text(c, src)) {
                Some("default") => "takes the `default` case of a select".to_string(),
                Some(w) => format!("gives up on `{w}`"),
                None if leave.at.kind() == "return_statement" => {
                    format!("returns (line {})", line(leave.at))
                }
                None => format!("ends (line {})", leave.at.end_position().row + 1),
            };
            let mut owner = owner;
            if let Some(first) = owner.get_mut(..1) {
                first.make_ascii_uppercase();
            }
            format!(
                "{owner} {how} while this goroutine may still be sending on {names} in a loop: it then blocks on `{send}` forever, on every such call"
            )
        }
    };
    let end = p
        .lit
        .child_by_field_name("parameters")
        .map_or(p.lit.start_byte(), |x| x.end_byte());
    let f = Finding::new(
        ID,
        p.file.parsed.path.clone(),
        &p.file.parsed.source,
        p.go.start_byte()..end,
        message,
    );
    match super::fix::fix(p) {
        Ok(fix) => f.with_fix(fix),
        Err(why) => f.with_note(format!("no fix: {why}")),
    }
}

/// How a message names the function that makes the channel: `` `Watch` ``,
/// or the func literal it is (`the goroutine started at line 12`).
fn owner_name(owner: Node, src: &str) -> String {
    if let Some(name) = owner.child_by_field_name("name") {
        return format!("`{}`", text(name, src));
    }
    let line = owner.start_position().row + 1;
    let started = owner
        .parent()
        .filter(|c| c.kind() == "call_expression")
        .and_then(|c| c.parent())
        .is_some_and(|g| g.kind() == "go_statement");
    let within = enclosing_named(owner, src)
        .map(|n| format!(" in `{n}`"))
        .unwrap_or_default();
    if started {
        format!("the goroutine started at line {line}{within}")
    } else {
        format!("the func literal at line {line}{within}")
    }
}

/// Code over several lines, shortened to one: its first line and its last
/// (`out <- &Stats{…}`).
fn one_line(code: &str) -> String {
    let mut lines = code.lines();
    let first = lines.next().unwrap_or("").trim_end();
    match lines.last() {
        Some(last) => format!("{first}…{}", last.trim()),
        None => first.to_string(),
    }
}
