//! How many times a go statement runs for one run of the code that made
//! its channel: once, or once per iteration of a loop whose count is
//! written in its header.

use tree_sitter::Node;

use crate::analysis::go::scope;
use crate::lang::go::named_children_no_comments;
use crate::lang::text;

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

/// Does at most one goroutine of `go` (started in the loop `lp`) ever send,
/// however often the loop runs? The single-flight writer:
///
/// ```go
/// if done == nil && len(queue) > 0 {
///     done = make(chan struct{})
///     go func() {
///         if err := send(batch); err != nil {
///             fail <- err
///             return
///         }
///         close(done)
///     }()
/// }
/// select {
/// case <-done:
///     done = nil
/// case <-fail:
///     failed = true
/// ...
/// ```
///
/// The go statement is under `if x == nil` and after `x = ...` there, the
/// loop sets `x` back to nil only where it receives from it, and the
/// goroutine closes `x` only on paths that do not send (each of its
/// `sends` is followed by `return`): a goroutine that sends never closes
/// `x`, so none starts after it.
pub fn single_flight(go: Node, lp: Node, sends: &[Node], src: &str) -> bool {
    let Some(lit) = go
        .named_child(0)
        .and_then(|c| c.child_by_field_name("function"))
        .filter(|f| f.kind() == "func_literal")
    else {
        return false;
    };
    let Some(lit_body) = lit.child_by_field_name("body") else {
        return false;
    };
    if sends.is_empty() || !sends.iter().all(|s| super::is_last_action(*s, lit_body)) {
        return false;
    }
    let mut cur = go;
    while let Some(p) = cur.parent() {
        if p.id() == lp.id() {
            return false;
        }
        if p.kind() == "if_statement"
            && p.child_by_field_name("consequence")
                .is_some_and(|c| scope::contains(c, go))
            && let Some(cond) = p.child_by_field_name("condition")
        {
            for x in nil_checked(cond, src) {
                if assigned_before(p, x, go, src)
                    && closes_only(lit, x, src)
                    && reset_only_on_receive(lp, lit, x, src)
                {
                    return true;
                }
            }
        }
        cur = p;
    }
    false
}

/// The names `x` of the `x == nil` conjuncts of a condition.
fn nil_checked<'s>(cond: Node, src: &'s str) -> Vec<&'s str> {
    let mut out = Vec::new();
    let mut stack = vec![cond];
    while let Some(n) = stack.pop() {
        if n.kind() == "parenthesized_expression" {
            stack.extend(n.named_child(0));
            continue;
        }
        if n.kind() != "binary_expression" {
            continue;
        }
        let (Some(l), Some(op), Some(r)) = (
            n.child_by_field_name("left"),
            n.child_by_field_name("operator"),
            n.child_by_field_name("right"),
        ) else {
            continue;
        };
        match text(op, src) {
            "&&" => stack.extend([l, r]),
            "==" if l.kind() == "identifier" && text(r, src) == "nil" => out.push(text(l, src)),
            _ => {}
        }
    }
    out
}

/// Is `x` assigned in the `if` before `go`?
fn assigned_before(guard: Node, x: &str, go: Node, src: &str) -> bool {
    assignments_to(guard, x, src)
        .iter()
        .any(|a| a.end_byte() <= go.start_byte())
}

/// Does the goroutine name `x` only to close it (not deferred)?
fn closes_only(lit: Node, x: &str, src: &str) -> bool {
    let refs = scope::references(lit, x, src);
    !refs.is_empty()
        && refs.iter().all(|r| {
            r.parent()
                .filter(|a| a.kind() == "argument_list")
                .and_then(|a| a.parent())
                .is_some_and(|call| {
                    call.child_by_field_name("function")
                        .is_some_and(|f| text(f, src) == "close")
                        && call
                            .parent()
                            .is_some_and(|s| s.kind() == "expression_statement")
                })
        })
}

/// Is every `x = nil` in the loop (outside the goroutine) in a select case
/// that receives from `x`?
fn reset_only_on_receive(lp: Node, lit: Node, x: &str, src: &str) -> bool {
    assignments_to(lp, x, src)
        .into_iter()
        .filter(|a| !scope::contains(lit, *a))
        .filter(|a| {
            a.child_by_field_name("right")
                .is_some_and(|r| text(r, src).trim() == "nil")
        })
        .all(|a| {
            let mut cur = a;
            while let Some(p) = cur.parent() {
                if p.kind() == "communication_case" {
                    return p.child_by_field_name("communication").is_some_and(|c| {
                        text(c, src).replace(' ', "").ends_with(&format!("<-{x}"))
                    });
                }
                if p.id() == lp.id() {
                    return false;
                }
                cur = p;
            }
            false
        })
}

/// The assignments `x = ...` in `n` (one name on the left).
fn assignments_to<'t>(n: Node<'t>, x: &str, src: &str) -> Vec<Node<'t>> {
    let mut out = Vec::new();
    let mut stack = vec![n];
    while let Some(m) = stack.pop() {
        if m.kind() == "assignment_statement"
            && m.child_by_field_name("left")
                .is_some_and(|l| text(l, src).trim() == x)
        {
            out.push(m);
        }
        let mut c = m.walk();
        stack.extend(m.named_children(&mut c));
    }
    out
}
