//! Loops that never end: `for { }` (or `for init; ; post`), a range over a
//! ticker's channel or a subscription's, with nothing inside that leaves
//! the loop (`return`, `break` out of it, `goto`, a call that never returns)
//! or watches a done channel. Also where such a loop waits: selects with no
//! default, and receives that only a value (not a context) can wake.

use tree_sitter::Node;

use super::syntax::{is_err_check, is_noreturn_call};
use super::types::TypeEnv;
use crate::catalog::Kind;
use crate::lang::go::{block_statements, named_children_no_comments};
use crate::lang::text;

/// Loops among the worker's own statements that can never end.
pub fn forever_loops<'a>(body: Node<'a>, env: &TypeEnv) -> Vec<Node<'a>> {
    let src = env.file.text();
    let mut out = Vec::new();
    for stmt in block_statements(body) {
        let (lp, label) = match stmt.kind() {
            "for_statement" => (stmt, None),
            "labeled_statement" => match (stmt.child_by_field_name("label"), stmt.named_child(1)) {
                (Some(l), Some(s)) if s.kind() == "for_statement" => (s, Some(text(l, src))),
                _ => continue,
            },
            _ => continue,
        };
        if !never_ends(lp, src, env) {
            continue;
        }
        let Some(lbody) = lp.child_by_field_name("body") else {
            continue;
        };
        if !has_exit(lbody, src, label) {
            out.push(lp);
        }
    }
    out
}

/// Loops among the worker's own statements that never end by themselves
/// and whose only ways out are error checks (`if err != nil { return }`):
/// they end when a receive fails, which a background context never makes
/// happen.
pub fn error_exit_loops<'a>(body: Node<'a>, env: &TypeEnv) -> Vec<Node<'a>> {
    let src = env.file.text();
    let mut out = Vec::new();
    for stmt in block_statements(body) {
        let (lp, label) = match stmt.kind() {
            "for_statement" => (stmt, None),
            "labeled_statement" => match (stmt.child_by_field_name("label"), stmt.named_child(1)) {
                (Some(l), Some(s)) if s.kind() == "for_statement" => (s, Some(text(l, src))),
                _ => continue,
            },
            _ => continue,
        };
        if !never_ends(lp, src, env) {
            continue;
        }
        let Some(lbody) = lp.child_by_field_name("body") else {
            continue;
        };
        if has_exit(lbody, src, label) && exits_only_on_error(lbody, src) {
            out.push(lp);
        }
    }
    out
}

/// Is every way out of this loop body (a return, a break, a goto, a call
/// that never returns) inside `if err != nil { ... }`, and nothing watches
/// a done channel?
fn exits_only_on_error(body: Node, src: &str) -> bool {
    let mut any = false;
    let mut stack = vec![body];
    while let Some(n) = stack.pop() {
        match n.kind() {
            "func_literal" => continue,
            "return_statement" | "goto_statement" | "break_statement" => {
                if n.kind() == "break_statement" && in_inner_breakable(n, body) {
                    continue;
                }
                if !under_err_check(n, body, src) {
                    return false;
                }
                any = true;
                continue;
            }
            "call_expression" => {
                if n.child_by_field_name("function").is_some_and(|f| {
                    f.kind() == "selector_expression"
                        && f.child_by_field_name("field")
                            .is_some_and(|x| text(x, src) == "Done")
                }) {
                    return false;
                }
                if (is_noreturn_call(n, src) || calls_noreturn_closure(n, src))
                    && !under_err_check(n, body, src)
                {
                    return false;
                }
            }
            _ => {}
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    any
}

/// A `break` that leaves a switch, select or loop inside the body, not the body's loop.
fn in_inner_breakable(brk: Node, body: Node) -> bool {
    if brk.named_child(0).is_some() {
        return false; // labelled: assume it leaves
    }
    let mut cur = brk;
    while let Some(p) = cur.parent() {
        if p.id() == body.id() {
            return false;
        }
        if matches!(
            p.kind(),
            "for_statement"
                | "expression_switch_statement"
                | "type_switch_statement"
                | "select_statement"
        ) {
            return true;
        }
        cur = p;
    }
    false
}

/// Is `n` inside the consequence of `if err != nil` (any error variable),
/// within `body`?
fn under_err_check(n: Node, body: Node, src: &str) -> bool {
    let mut cur = n;
    while let Some(p) = cur.parent() {
        if p.id() == body.id() {
            return false;
        }
        if p.kind() == "if_statement"
            && p.child_by_field_name("consequence")
                .is_some_and(|c| c.id() == cur.id())
            && let Some(cond) = p.child_by_field_name("condition")
            && cond.kind() == "binary_expression"
            && let Some(l) = cond.child_by_field_name("left")
            && l.kind() == "identifier"
            && is_err_check(cond, text(l, src), src)
        {
            return true;
        }
        cur = p;
    }
    false
}

/// `for { }`, `for init; ; post { }`, `for range ticker.C { }`, `for range time.Tick(d) { }`,
/// `for m := range sub.Channel()` (a subscription that is never closed).
pub fn never_ends(lp: Node, src: &str, env: &TypeEnv) -> bool {
    let mut c = lp.walk();
    let clause = lp
        .named_children(&mut c)
        .find(|n| n.kind() != "block" && n.kind() != "comment");
    match clause {
        None => true,
        Some(cl) if cl.kind() == "for_clause" => cl.child_by_field_name("condition").is_none(),
        Some(cl) if cl.kind() == "range_clause" => {
            let Some(right) = cl.child_by_field_name("right") else {
                return false;
            };
            is_ticker_channel(right, src, env)
                || is_subscription_channel(right, src, env) && !handed_in(right, src, env)
        }
        Some(_) => false,
    }
}

/// `time.Tick(d)`, `t.C` for a `*time.Ticker`: channels never closed.
pub fn is_ticker_channel(e: Node, src: &str, env: &TypeEnv) -> bool {
    match e.kind() {
        "call_expression" => e.child_by_field_name("function").is_some_and(|f| {
            f.kind() == "selector_expression"
                && f.child_by_field_name("operand")
                    .is_some_and(|o| env.package_of(o) == Some("time"))
                && f.child_by_field_name("field")
                    .is_some_and(|x| text(x, src) == "Tick")
        }),
        "selector_expression" => {
            e.child_by_field_name("field")
                .is_some_and(|x| text(x, src) == "C")
                && e.child_by_field_name("operand")
                    .and_then(|o| env.type_of(o))
                    .is_some_and(|t| t.package == "time" && t.name == "Ticker")
        }
        _ => false,
    }
}

/// `sub.Channel()` on a catalog subscription: closed only by `sub.Close()`.
pub fn is_subscription_channel(e: Node, src: &str, env: &TypeEnv) -> bool {
    subscription_var(e, src, env).is_some()
}

/// Is the ranged-over subscription handed in (a parameter of the code, or a
/// name from outside it) rather than acquired there? Whoever handed it in
/// may close it, which ends the range.
fn handed_in(e: Node, src: &str, env: &TypeEnv) -> bool {
    let Some(var) = subscription_var(e, src, env) else {
        return false;
    };
    let at = channel_source(e, src);
    match super::contexts::declaration_of_name(at, var, src) {
        None => true, // a package-level subscription
        Some((_, decl)) => decl.kind() == "parameter_declaration",
    }
}

/// What a ranged-over channel is: `ch` declared as `ch := sub.Channel()`
/// is that call; anything else is itself.
fn channel_source<'t>(e: Node<'t>, src: &str) -> Node<'t> {
    if e.kind() != "identifier" {
        return e;
    }
    let Some((_, decl)) = super::contexts::declaration_of(e, src) else {
        return e;
    };
    let (names, values) = match decl.kind() {
        "short_var_declaration" => (
            decl.child_by_field_name("left"),
            decl.child_by_field_name("right"),
        ),
        _ => return e,
    };
    let (Some(names), Some(values)) = (names, values) else {
        return e;
    };
    let names = named_children_no_comments(names);
    let values = named_children_no_comments(values);
    match (names.as_slice(), values.as_slice()) {
        ([_], [v]) if v.kind() == "call_expression" => *v,
        _ => e,
    }
}

pub fn subscription_var<'s>(e: Node, src: &'s str, env: &TypeEnv) -> Option<&'s str> {
    let e = channel_source(e, src);
    if e.kind() != "call_expression" {
        return None;
    }
    let f = e.child_by_field_name("function")?;
    if f.kind() != "selector_expression" || text(f.child_by_field_name("field")?, src) != "Channel"
    {
        return None;
    }
    let operand = f.child_by_field_name("operand")?;
    let t = env.type_of(operand)?;
    let is_sub = env
        .catalog
        .resources()
        .iter()
        .any(|r| r.kind == Kind::Subscription && r.type_name.as_ref() == Some(&t));
    (is_sub && operand.kind() == "identifier").then(|| text(operand, src))
}

/// The subscription a range loop waits on, if it is one.
pub fn subscription_range(lp: Node, src: &str) -> Option<String> {
    let mut c = lp.walk();
    let clause = lp
        .named_children(&mut c)
        .find(|n| n.kind() == "range_clause")?;
    let right = channel_source(clause.child_by_field_name("right")?, src);
    let f = right.child_by_field_name("function")?;
    let operand = f.child_by_field_name("operand")?;
    (right.kind() == "call_expression"
        && f.child_by_field_name("field")
            .is_some_and(|x| text(x, src) == "Channel"))
    .then(|| text(operand, src).to_string())
}

/// Can control leave the loop whose body this is: a return, a goto, a break
/// out of it, a call that never returns, or something watching a done
/// channel (`.Done()`, read as an intended way out)?
pub fn has_exit(body: Node, src: &str, label: Option<&str>) -> bool {
    fn walk(
        n: Node,
        src: &str,
        label: Option<&str>,
        in_breakable: bool,
        inner_labels: &mut Vec<String>,
    ) -> bool {
        match n.kind() {
            "func_literal" => return false,
            "return_statement" | "goto_statement" => return true,
            "break_statement" | "continue_statement" => {
                return match n.named_child(0) {
                    Some(l) => {
                        let l = text(l, src);
                        if n.kind() == "continue_statement" && Some(l) == label {
                            false
                        } else {
                            !inner_labels.iter().any(|x| x == l)
                        }
                    }
                    None => n.kind() == "break_statement" && !in_breakable,
                };
            }
            "labeled_statement" => {
                if let Some(l) = n.child_by_field_name("label") {
                    inner_labels.push(text(l, src).to_string());
                }
            }
            "call_expression" => {
                if is_noreturn_call(n, src) || calls_noreturn_closure(n, src) {
                    return true;
                }
                if n.child_by_field_name("function").is_some_and(|f| {
                    f.kind() == "selector_expression"
                        && f.child_by_field_name("field")
                            .is_some_and(|x| text(x, src) == "Done")
                }) {
                    return true;
                }
            }
            _ => {}
        }
        let in_breakable = in_breakable
            || matches!(
                n.kind(),
                "for_statement"
                    | "expression_switch_statement"
                    | "type_switch_statement"
                    | "select_statement"
            );
        let mut c = n.walk();
        let children: Vec<Node> = n.named_children(&mut c).collect();
        children
            .into_iter()
            .any(|ch| walk(ch, src, label, in_breakable, inner_labels))
    }
    let mut labels = Vec::new();
    let mut c = body.walk();
    let children: Vec<Node> = body.named_children(&mut c).collect();
    children
        .into_iter()
        .any(|ch| walk(ch, src, label, false, &mut labels))
}

/// `exit(code)` where `exit := func(...) { ...; os.Exit(code) }` is a
/// local func literal whose last statement never returns (a signal
/// handler's way out).
fn calls_noreturn_closure(call: Node, src: &str) -> bool {
    let Some(callee) = call
        .child_by_field_name("function")
        .filter(|f| f.kind() == "identifier")
    else {
        return false;
    };
    let Some((_, decl)) = super::contexts::declaration_of(callee, src) else {
        return false;
    };
    if decl.kind() != "short_var_declaration" {
        return false;
    }
    let values = decl
        .child_by_field_name("right")
        .map(named_children_no_comments)
        .unwrap_or_default();
    let [lit] = values.as_slice() else {
        return false;
    };
    if lit.kind() != "func_literal" {
        return false;
    }
    let last = lit
        .child_by_field_name("body")
        .and_then(|b| block_statements(b).into_iter().last());
    last.is_some_and(|l| {
        l.kind() == "expression_statement"
            && l.named_child(0).is_some_and(|c| is_noreturn_call(c, src))
    })
}

/// A receive in the loop, outside any select, from a channel that is not a
/// timer's: nothing but a value (or closing the channel) wakes it.
pub fn unstoppable_wait(body: Node, src: &str) -> Option<String> {
    let mut stack = vec![body];
    while let Some(n) = stack.pop() {
        match n.kind() {
            "func_literal" => continue,
            "select_statement" => {
                stack.extend(case_bodies(n));
                continue;
            }
            "unary_expression"
                if n.child_by_field_name("operator")
                    .is_some_and(|o| text(o, src) == "<-") =>
            {
                let operand = n.child_by_field_name("operand")?;
                if !is_timer_channel(operand, src) {
                    return Some(text(n, src).to_string());
                }
            }
            "range_clause" => {
                if let Some(right) = n.child_by_field_name("right")
                    && !is_timer_channel(right, src)
                    && !matches!(
                        right.kind(),
                        "int_literal" | "identifier" | "selector_expression" | "composite_literal"
                    )
                {
                    // Ranging over a call may range over a channel: cannot tell.
                    if right.kind() == "call_expression" {
                        return Some(format!("range {}", text(right, src)));
                    }
                }
            }
            _ => {}
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    None
}

/// The statements of a select's cases (not the channel operations in their
/// headers, which the select itself waits on).
fn case_bodies(select: Node) -> Vec<Node> {
    let mut out = Vec::new();
    let mut c = select.walk();
    for case in select.named_children(&mut c) {
        let mut c2 = case.walk();
        out.extend(
            case.named_children(&mut c2)
                .filter(|x| x.kind() == "statement_list"),
        );
    }
    out
}

/// Sends in the loop that are statements of their own (`out <- v`, not a
/// select's case): one blocks until someone receives, which may be never.
pub fn blocking_sends(body: Node) -> Vec<Node> {
    let mut out = Vec::new();
    let mut stack = vec![body];
    while let Some(n) = stack.pop() {
        match n.kind() {
            "func_literal" => continue,
            "select_statement" => {
                stack.extend(case_bodies(n));
                continue;
            }
            "send_statement" if n.parent().is_some_and(|p| p.kind() == "statement_list") => {
                out.push(n);
                continue;
            }
            _ => {}
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    out.sort_by_key(|n| n.start_byte());
    out
}

/// `time.After(d)`, `time.Tick(d)`, `t.C`: wakes up by itself.
pub fn is_timer_channel(e: Node, src: &str) -> bool {
    match e.kind() {
        "call_expression" => e.child_by_field_name("function").is_some_and(|f| {
            let t = text(f, src);
            t == "time.After" || t == "time.Tick"
        }),
        "selector_expression" => e
            .child_by_field_name("field")
            .is_some_and(|x| text(x, src) == "C"),
        _ => false,
    }
}

/// Selects in the loop body (not in nested func literals) with no default:
/// they wait until one of their cases is ready.
pub fn blocking_selects(body: Node) -> Vec<Node> {
    let mut out = Vec::new();
    let mut stack = vec![body];
    while let Some(n) = stack.pop() {
        if n.kind() == "func_literal" {
            continue;
        }
        if n.kind() == "select_statement" {
            let mut c = n.walk();
            if !n.named_children(&mut c).any(|x| x.kind() == "default_case") {
                out.push(n);
            }
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    out.sort_by_key(|n| n.start_byte());
    out
}
