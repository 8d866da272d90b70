//! What a goroutine holds: resources it acquires before its loop (or that
//! the spawning function hands to it alone), which it must release when it
//! returns. The goroutine owns a value only when every use of it there is
//! a method call or field read on it; what those give (messages, results)
//! may go anywhere.

use tree_sitter::Node;

use crate::analysis::go::scope;
use crate::catalog::go::Resource;
use crate::lang::go::{enclosing_function, is_written, named_children_no_comments};
use crate::lang::text;

/// `x := call(...)` / `x, err := call(...)` / `var x = call(...)`: the name,
/// the call, and the error variable.
pub(super) fn acquisition<'t>(
    stmt: Node<'t>,
    src: &str,
) -> Option<(String, Node<'t>, Option<String>)> {
    if stmt.kind() != "short_var_declaration" {
        return None;
    }
    let left = named_children_no_comments(stmt.child_by_field_name("left")?);
    let right = named_children_no_comments(stmt.child_by_field_name("right")?);
    if right.len() != 1 || right[0].kind() != "call_expression" || left.is_empty() || left.len() > 2
    {
        return None;
    }
    let name = text(left[0], src);
    if name == "_" || left[0].kind() != "identifier" {
        return None;
    }
    let err = (left.len() == 2).then(|| text(left[1], src).to_string());
    if err.as_deref() == Some("_") {
        return None;
    }
    Some((name.to_string(), right[0], err))
}

/// `sub.Subscribe(...)`-style use: the value is the receiver of a method
/// call that does not release it.
pub(super) fn is_method_receiver(r: Node, src: &str, resource: &Resource) -> bool {
    let Some(sel) = r.parent().filter(|p| p.kind() == "selector_expression") else {
        return false;
    };
    if sel
        .child_by_field_name("operand")
        .is_none_or(|o| o.id() != r.id())
    {
        return false;
    }
    let method = sel
        .child_by_field_name("field")
        .map(|f| text(f, src))
        .unwrap_or("");
    let called = sel.parent().is_some_and(|c| {
        c.kind() == "call_expression"
            && c.child_by_field_name("function")
                .is_some_and(|f| f.id() == sel.id())
    });
    called
        && resource.release.method() != Some(method)
        && !crate::analysis::go::flow::RELEASE_LIKE_METHODS.contains(&method)
        && !resource.also_released_by.iter().any(|m| m == method)
}

/// Does the goroutine `func` keep the value `name` (declared in `scope`) to
/// itself, never releasing it? Every use must be a method call on it in the
/// goroutine's own code: what those calls return (messages, results) may go
/// anywhere, the value itself may not. A release, or any other use (passed,
/// stored, sent, returned, captured by a nested func literal), and the
/// goroutine is not the one to release it.
pub(super) fn kept_by(
    func: Node,
    scope: Node,
    decl: Node,
    name: &str,
    src: &str,
    resource: &Resource,
) -> bool {
    let mut used = false;
    for r in scope::references(scope, name, src) {
        if scope::contains(decl, r) {
            continue; // the declaration
        }
        if !scope::contains(func, r) {
            continue; // uses before the goroutine starts: checked by the caller
        }
        if is_written(r) || enclosing_function(r).is_some_and(|f| f.id() != func.id()) {
            return false;
        }
        if !is_selector_operand(r, src, resource) {
            return false; // released, or handed on
        }
        used = true;
    }
    used
}

/// `t.C`, `sub.Channel()`: the value is read through, not released or
/// handed on (what the field or call gives may go anywhere).
pub(super) fn is_selector_operand(r: Node, src: &str, resource: &Resource) -> bool {
    let Some(sel) = r.parent().filter(|p| p.kind() == "selector_expression") else {
        return false;
    };
    if sel
        .child_by_field_name("operand")
        .is_none_or(|o| o.id() != r.id())
    {
        return false;
    }
    let called = sel.parent().is_some_and(|c| {
        c.kind() == "call_expression"
            && c.child_by_field_name("function")
                .is_some_and(|f| f.id() == sel.id())
    });
    if called {
        return is_method_receiver(r, src, resource);
    }
    // A method value (`sub.Close` passed on) may release it elsewhere.
    let member = sel
        .child_by_field_name("field")
        .map(|f| text(f, src))
        .unwrap_or("");
    resource.release.method() != Some(member)
        && !crate::analysis::go::flow::RELEASE_LIKE_METHODS.contains(&member)
}
