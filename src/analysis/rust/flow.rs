//! What happens to a local after its `let`: every later use of the name in
//! its block, classified (method call, borrow, macro argument, moved away).
//! A name that is bound again inside that block (shadowing, a closure
//! parameter, a match arm) makes the answer "don't know": rules then leave
//! the code alone.

use tree_sitter::Node;

use super::syntax::{block_items, contains, pattern_names};
use super::visit;
use crate::lang::text;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UseKind {
    /// `x.method(...)`
    Method(String),
    /// `x.field`
    Field,
    /// `&x`
    Borrow,
    /// `&mut x`
    BorrowMut,
    /// `name!(... x ...)`
    Macro(String),
    /// Passed by value, returned, stored, aliased, captured by a `move`
    /// closure: the value is handed on.
    Moved,
    /// `x = ...`: the variable is given another value.
    Reassigned,
    /// Anything else (compared, matched on...).
    Other,
}

#[derive(Clone, Debug)]
pub struct VarUse<'t> {
    pub node: Node<'t>,
    pub kind: UseKind,
}

/// The uses of the variable `name` bound by the `let` statement `decl`, up
/// to the end of the block holding it. `None` when the name is bound again
/// in that range.
pub fn uses_after<'t>(decl: Node<'t>, name: &str, src: &str) -> Option<Vec<VarUse<'t>>> {
    let block = decl.parent().filter(|b| b.kind() == "block")?;
    let from = decl.end_byte();
    let mut rebound = false;
    let mut found = Vec::new();
    for item in block_items(block) {
        if item.end_byte() <= from {
            continue;
        }
        visit(item, &mut |n| match n.kind() {
            "let_declaration" | "for_expression" | "let_condition" | "match_pattern"
            | "parameter" | "closure_parameters" => {
                let pat = match n.kind() {
                    "closure_parameters" => Some(n),
                    _ => n.child_by_field_name("pattern"),
                };
                if let Some(p) = pat {
                    let mut names = Vec::new();
                    pattern_names(p, src, &mut names);
                    if names.iter().any(|(b, _)| b == name) {
                        rebound = true;
                    }
                }
            }
            "identifier" if text(n, src) == name && !is_path_segment(n) => found.push(n),
            "string_content"
                if n.parent()
                    .and_then(|p| p.parent())
                    .is_some_and(|g| g.kind() == "token_tree") =>
            {
                let s = text(n, src);
                if s.contains(&format!("{{{name}}}")) || s.contains(&format!("{{{name}:")) {
                    found.push(n);
                }
            }
            _ => {}
        });
    }
    if rebound {
        return None;
    }
    Some(
        found
            .into_iter()
            .map(|n| VarUse {
                kind: classify(n, block, src),
                node: n,
            })
            .collect(),
    )
}

/// The uses of `name` inside `scope` (a match arm's value, a closure body),
/// where it is bound by a pattern just outside it. `None` when it is bound
/// again inside.
pub fn uses_in<'t>(scope: Node<'t>, name: &str, src: &str) -> Option<Vec<VarUse<'t>>> {
    let mut rebound = false;
    let mut found = Vec::new();
    visit(scope, &mut |n| match n.kind() {
        "let_declaration" | "for_expression" | "let_condition" | "match_pattern"
        | "closure_parameters" => {
            let pat = match n.kind() {
                "closure_parameters" => Some(n),
                _ => n.child_by_field_name("pattern"),
            };
            if let Some(p) = pat {
                let mut names = Vec::new();
                pattern_names(p, src, &mut names);
                rebound |= names.iter().any(|(b, _)| b == name);
            }
        }
        "identifier" if text(n, src) == name && !is_path_segment(n) => found.push(n),
        _ => {}
    });
    if rebound {
        return None;
    }
    Some(
        found
            .into_iter()
            .map(|n| VarUse {
                kind: classify(n, scope, src),
                node: n,
            })
            .collect(),
    )
}

fn is_path_segment(n: Node) -> bool {
    n.parent().is_some_and(|p| {
        matches!(p.kind(), "scoped_identifier" | "scoped_type_identifier")
            || (p.kind() == "macro_invocation"
                && p.child_by_field_name("macro")
                    .is_some_and(|m| m.id() == n.id()))
            || (p.kind() == "field_initializer"
                && p.child_by_field_name("field")
                    .is_some_and(|m| m.id() == n.id()))
    })
}

fn classify(n: Node, block: Node, src: &str) -> UseKind {
    // Captured by a `move` closure or `async move` block inside the scope:
    // the value goes with it.
    let mut cur = n.parent();
    while let Some(p) = cur {
        if p.id() == block.id() {
            break;
        }
        if matches!(p.kind(), "closure_expression" | "async_block") && contains(block, p) {
            let t = text(p, src);
            if t.starts_with("move") || t.starts_with("async move") {
                return UseKind::Moved;
            }
        }
        cur = p.parent();
    }
    if n.kind() == "string_content" {
        return macro_name(n, src)
            .map(UseKind::Macro)
            .unwrap_or(UseKind::Other);
    }
    let Some(p) = n.parent() else {
        return UseKind::Other;
    };
    match p.kind() {
        "field_expression"
            if p.child_by_field_name("value")
                .is_some_and(|v| v.id() == n.id()) =>
        {
            let field = p
                .child_by_field_name("field")
                .map(|f| text(f, src).to_string())
                .unwrap_or_default();
            match p.parent() {
                Some(g)
                    if g.kind() == "call_expression"
                        && g.child_by_field_name("function")
                            .is_some_and(|f| f.id() == p.id()) =>
                {
                    UseKind::Method(field)
                }
                _ => UseKind::Field,
            }
        }
        "reference_expression" => {
            if text(p, src)
                .trim_start_matches('&')
                .trim_start()
                .starts_with("mut ")
            {
                UseKind::BorrowMut
            } else {
                UseKind::Borrow
            }
        }
        "token_tree" => macro_name(n, src)
            .map(UseKind::Macro)
            .unwrap_or(UseKind::Other),
        "assignment_expression" | "compound_assignment_expr"
            if p.child_by_field_name("left")
                .is_some_and(|l| l.id() == n.id()) =>
        {
            if p.kind() == "assignment_expression" {
                UseKind::Reassigned
            } else {
                UseKind::Other
            }
        }
        "binary_expression" | "unary_expression" | "if_expression" | "match_expression"
        | "index_expression" | "range_expression" => UseKind::Other,
        "expression_statement" => UseKind::Other,
        "block" => {
            // A block's tail is its value.
            if super::syntax::block_tail(p).is_some_and(|t| t.id() == n.id()) {
                UseKind::Moved
            } else {
                UseKind::Other
            }
        }
        _ => UseKind::Moved,
    }
}

fn macro_name(n: Node, src: &str) -> Option<String> {
    let mut cur = n.parent();
    while let Some(p) = cur {
        if p.kind() == "macro_invocation" {
            return p
                .child_by_field_name("macro")
                .map(|m| text(m, src).to_string());
        }
        cur = p.parent();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::Language;

    #[test]
    fn uses_are_classified() {
        let src = "fn f() {\n    let w = make();\n    w.write(1);\n    writeln!(w, \"x\");\n    g(&mut w);\n    let s = w.len;\n    h(w);\n}\n";
        let (tree, _) = Language::Rust.parse(src);
        let at = src.find("let w").unwrap();
        let decl = tree
            .root_node()
            .descendant_for_byte_range(at, at + 3)
            .unwrap();
        let decl = if decl.kind() == "let_declaration" {
            decl
        } else {
            decl.parent().unwrap()
        };
        let uses = uses_after(decl, "w", src).unwrap();
        let kinds: Vec<UseKind> = uses.into_iter().map(|u| u.kind).collect();
        assert_eq!(
            kinds,
            vec![
                UseKind::Method("write".into()),
                UseKind::Macro("writeln".into()),
                UseKind::BorrowMut,
                UseKind::Field,
                UseKind::Moved
            ]
        );
    }

    #[test]
    fn shadowing_means_dont_know() {
        let src = "fn f() {\n    let w = make();\n    let w = 2;\n}\n";
        let (tree, _) = Language::Rust.parse(src);
        let at = src.find("let w").unwrap();
        let decl = tree
            .root_node()
            .descendant_for_byte_range(at, at + 3)
            .unwrap()
            .parent()
            .unwrap();
        let decl = if decl.kind() == "let_declaration" {
            decl
        } else {
            decl.parent().unwrap()
        };
        assert!(uses_after(decl, "w", src).is_none());
    }
}
