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
