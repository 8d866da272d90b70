//! Finding: the channels a go statement sends on, who else uses them, how
//! many values are sent, and whether the function can return before it
//! has received them all.

use std::collections::HashSet;

use tree_sitter::Node;

use super::ID;
use crate::analysis::go::GoFile;
use crate::analysis::go::channels::{
    LocalChannel, MANY, Op, Place, Receiver, Runs, give_up_text, runs_of, sends_in, uses_of,
};
use crate::analysis::go::contexts::enclosing_named;
use crate::analysis::go::goroutines::{GoStmt, PackageFacts};
use crate::analysis::go::scope;
use crate::analysis::go::types::TypeEnv;
use crate::analysis::go::{GoType, channels};
use crate::finding::Finding;
use crate::lang::go::{enclosing_function, named_children_no_comments, param_names};
use crate::lang::text;

/// One goroutine that sends on the channel.
pub(super) struct Sender<'a> {
    pub(super) go: Node<'a>,
    pub(super) runs: Runs,
    /// The loop that starts it once per iteration.
    pub(super) lp: Option<Node<'a>>,
    pub(super) conditional: bool,
    /// Deferred calls that would run before the value is received.
    pub(super) odd_defers: Vec<String>,
}

/// The finding for one channel, if its senders can be left blocked.
pub(super) fn check_channel<'a>(
    facts: &PackageFacts<'a>,
    file: &'a GoFile,
    ch: LocalChannel<'a>,
) -> Option<Finding> {
    let src = file.text();
    let owner = enclosing_function(ch.decl)?;
    let body = owner.child_by_field_name("body")?;
    let name = ch.name(src);
    let capacity = ch.literal_capacity(src)?; // a computed capacity: cannot compare
    let uses: Vec<_> = uses_of(ch.scope, name, owner, src)
        .into_iter()
        .filter(|u| u.node.id() != ch.ident.id())
        .collect();
    let refs: HashSet<usize> = uses.iter().map(|u| u.node.id()).collect();

    // Who uses it: goroutines that send once, goroutines that close it
    // after the others, and the function's own receives. Anything else
    // and the channel is not ours to reason about.
    let mut goroutines: Vec<Node<'a>> = Vec::new();
    let mut senders: Vec<Sender<'a>> = Vec::new();
    let mut receives = false;
    let mut plain_receive = false;
    for u in &uses {
        match (u.op, u.place) {
            (Op::Recv { case_, .. }, Place::Owner) => {
                receives = true;
                plain_receive |= case_.is_none();
            }
            (Op::Range { .. }, Place::Owner) => receives = true,
            (Op::Send { .. } | Op::Close { .. }, Place::Goroutine(g)) => {
                if !goroutines.iter().any(|x| x.id() == g.id()) {
                    goroutines.push(g);
                }
            }
            (Op::GoArg { go, index }, Place::Owner) => {
                let sender = worker_sender(facts, file, go, index, ch.scope)?;
                senders.push(sender);
            }
            _ => return None,
        }
    }
    if !receives || has_goto(body) {
        return None;
    }
    let env = TypeEnv::for_function(facts.pkg, file, facts.catalog, owner);
    let is_slice_or_map = |e: Node| {
        matches!(
            env.full_type_of(e),
            Some(GoType::Slice(_) | GoType::Map(..))
        )
    };
    for g in goroutines {
        let lit = g
            .named_child(0)
            .and_then(|c| c.child_by_field_name("function"))?;
        let lit_body = lit.child_by_field_name("body")?;
        let sends = sends_in(lit_body, &refs);
        let closes = uses
            .iter()
            .any(|u| matches!(u.op, Op::Close { .. }) && u.place == Place::Goroutine(g));
        if sends.sends.is_empty() {
            continue; // closes it after the others: not a sender
        }
        if sends.can_give_up {
            continue;
        }
        if !sends.last_action || streams_elsewhere(lit_body) {
            return None; // a producer that sends many values: another rule's
        }
        let (mut runs, lp) = runs_of(g, ch.scope, src, is_slice_or_map);
        if lp.is_some_and(|lp| channels::single_flight(g, lp, &sends.sends, src)) {
            runs = Runs::Times("1".into()); // one in flight, and none after one sends
        }
        senders.push(Sender {
            go: g,
            runs,
            lp,
            // A goroutine that closes the channel when it sends nothing
            // still wakes the receiver.
            conditional: sends.conditional && !closes,
            odd_defers: odd_defers(lit_body, src),
        });
    }
    // A loop that starts a goroutine and then receives its value before the
    // iteration can end takes every value, one per iteration.
    let probe = Receiver::new(src, &refs, &[]);
    senders.retain(|s| {
        !s.lp
            .is_some_and(|lp| probe.received_each_iteration(s.go, lp))
    });
    if senders.is_empty() {
        return None;
    }
    if senders.iter().all(|s| facts.runs_once(s.go, file)) {
        return None; // started once per process
    }
    let counts: Vec<(Node<'a>, usize)> = senders
        .iter()
        .map(|s| {
            let n = match &s.runs {
                Runs::Once => 1,
                Runs::Times(t) => t.parse().unwrap_or(MANY),
                Runs::Unknown => MANY,
            };
            (s.go, n)
        })
        .collect();
    let total: usize = counts.iter().map(|c| c.1).fold(0, usize::saturating_add);
    if capacity >= total {
        return None;
    }
    let mut receiver = Receiver::new(src, &refs, &counts);
    let leave = receiver.leaves_early(body)?;
    // A function that runs once per process (`run` called from `main`)
    // leaves its senders behind once, as the process ends its work.
    if facts.function_runs_once(owner, file) {
        return None;
    }
    // A capacity that covers what the senders send by the time of the
    // return leaves nothing blocked.
    if capacity.saturating_add(leave.received) >= leave.sent {
        return None;
    }

    let func_name = enclosing_named(ch.decl, src).unwrap_or_else(|| "the function".into());
    let line = |n: Node| n.start_position().row + 1;
    let how = match leave.gave_up_on.and_then(|c| give_up_text(c, src)) {
        Some("default") => "takes the `default` case of a select".to_string(),
        Some(w) => format!("gives up on `{w}`"),
        None if leave.at.kind() == "return_statement" && leave.received == 1 => {
            format!("returns (line {}) after the first value", line(leave.at))
        }
        None if leave.at.kind() == "return_statement" && leave.received > 0 => {
            format!(
                "returns (line {}) after {} values",
                line(leave.at),
                leave.received
            )
        }
        None if leave.at.kind() == "return_statement" => {
            format!("returns (line {})", line(leave.at))
        }
        None => format!("ends (line {})", leave.at.end_position().row + 1),
    };
    let who = if senders.len() == 1 && senders[0].runs == Runs::Once {
        format!(
            "the goroutine started at line {} then blocks on its send",
            line(senders[0].go)
        )
    } else if senders.len() == 1 {
        format!(
            "the goroutines started at line {} (one per iteration) that lost then block on their sends",
            line(senders[0].go)
        )
    } else {
        "the goroutines that send on it then block on their sends".to_string()
    };
    let buffered = if capacity == 0 {
        "an unbuffered channel".to_string()
    } else {
        format!("a channel with room for {capacity}")
    };
    let message = format!(
        "`{func_name}` {how} before it has received every value sent on `{name}`, {buffered}: {who} forever, on every such call"
    );
    let stmt = if ch.decl.kind() == "var_spec" {
        ch.decl
            .parent()
            .filter(|p| p.kind() == "var_declaration")
            .unwrap_or(ch.decl)
    } else {
        ch.decl
    };
    let mut finding = Finding::new(
        ID,
        file.parsed.path.clone(),
        &file.parsed.source,
        stmt.start_byte()..ch.make.end_byte(),
        message,
    );
    if senders.iter().all(|s| s.conditional) && plain_receive {
        finding = finding.with_note(format!(
            "when every goroutine fails without sending, `{func_name}` waits on `<-{name}` forever: receive in a `select` that also returns on `<-ctx.Done()` (buffering cannot fix that)"
        ));
    }
    Some(match super::fix::capacity_fix(file, &ch, owner, &senders) {
        Ok(fix) => finding.with_fix(fix),
        Err(why) => finding.with_note(format!("no fix: {why}")),
    })
}

/// `go worker(..., ch, ...)`: the worker, a function of the package, sends
/// on its parameter once, as the last thing it does.
fn worker_sender<'a>(
    facts: &PackageFacts<'a>,
    file: &'a GoFile,
    go: Node<'a>,
    index: usize,
    scope: Node<'a>,
) -> Option<Sender<'a>> {
    let call = go.named_child(0)?;
    let worker = facts.worker(&GoStmt { file, go, call })?;
    if worker.literal {
        return None;
    }
    let wsrc = worker.src();
    let params = param_names(worker.func, wsrc);
    let args = named_children_no_comments(call.child_by_field_name("arguments")?);
    if params.len() != args.len() {
        return None; // variadic or multi-value: cannot line them up
    }
    let p = params
        .get(index)
        .filter(|p| !p.is_empty() && p.as_str() != "_")?;
    let body = worker.body()?;
    let refs: Vec<Node> = scope::references(worker.func, p, wsrc)
        .into_iter()
        .filter(|r| scope::contains(body, *r))
        .collect();
    let ids: HashSet<usize> = refs.iter().map(|r| r.id()).collect();
    // Every use in the worker is a send of its own (not in a closure).
    for r in &refs {
        let is_send = r.parent().is_some_and(|s| {
            s.kind() == "send_statement"
                && s.child_by_field_name("channel")
                    .is_some_and(|c| c.id() == r.id())
        });
        if !is_send || enclosing_function(*r).is_none_or(|f| f.id() != worker.func.id()) {
            return None;
        }
    }
    let sends = sends_in(body, &ids);
    if sends.sends.is_empty() || sends.can_give_up || !sends.last_action {
        return None;
    }
    let owner = enclosing_function(go)?;
    let env = TypeEnv::for_function(facts.pkg, file, facts.catalog, owner);
    let (runs, lp) = runs_of(go, scope, file.text(), |e| {
        matches!(
            env.full_type_of(e),
            Some(GoType::Slice(_) | GoType::Map(..))
        )
    });
    Some(Sender {
        go,
        runs,
        lp,
        conditional: sends.conditional,
        odd_defers: odd_defers(body, wsrc),
    })
}

/// Does the goroutine also send on a channel other than as its last
/// action (a stream of values before its result)? Then it can block there
/// first, and a slot for the result does not free it.
fn streams_elsewhere(body: Node) -> bool {
    let mut stack = vec![body];
    while let Some(n) = stack.pop() {
        if n.kind() == "func_literal" && n.id() != body.id() {
            continue;
        }
        if n.kind() == "send_statement"
            && n.parent().is_none_or(|p| p.kind() != "communication_case")
            && !channels::is_last_action(n, body)
        {
            return true;
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    false
}

/// A goto: paths this analysis does not follow.
fn has_goto(body: Node) -> bool {
    let mut stack = vec![body];
    while let Some(n) = stack.pop() {
        match n.kind() {
            "func_literal" => continue,
            "goto_statement" => return true,
            _ => {}
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    false
}

/// Deferred calls in a goroutine other than bookkeeping that does not care
/// when it runs (`wg.Done()`, `mu.Unlock()`, `cancel()`, `close(x)`, a
/// `recover`).
fn odd_defers(body: Node, src: &str) -> Vec<String> {
    const BOOKKEEPING: &[&str] = &[
        "Done", "Unlock", "RUnlock", "Release", "End", "Finish", "Stop", "Close", "Cancel", "Add",
        "Dec", "Inc", "Observe",
    ];
    let mut out = Vec::new();
    let mut stack = vec![body];
    while let Some(n) = stack.pop() {
        if n.kind() == "func_literal" && n.id() != body.id() {
            continue;
        }
        if n.kind() == "defer_statement" {
            let t = text(n, src);
            let call = n.named_child(0);
            let callee = call
                .and_then(|c| c.child_by_field_name("function"))
                .map(|f| text(f, src))
                .unwrap_or("");
            let method = callee.rsplit('.').next().unwrap_or("");
            let ok = BOOKKEEPING.contains(&method)
                || callee == "close"
                || callee.to_ascii_lowercase().starts_with("cancel")
                || callee.starts_with("func") && t.contains("recover()");
            if !ok {
                out.push(t.to_string());
            }
            continue;
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    out
}
