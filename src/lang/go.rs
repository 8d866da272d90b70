//! Go: helpers over tree-sitter-go nodes shared by the Go analysis and rules.

use tree_sitter::Node;

use crate::lang::text;

/// Kinds that start a new function body (and so a new `defer` scope).
pub const FUNCTION_KINDS: [&str; 3] =
    ["function_declaration", "method_declaration", "func_literal"];

pub fn is_function(node: Node) -> bool {
    FUNCTION_KINDS.contains(&node.kind())
}

/// The nearest enclosing function (declaration, method or literal).
pub fn enclosing_function(node: Node) -> Option<Node> {
    let mut cur = node.parent();
    while let Some(n) = cur {
        if is_function(n) {
            return Some(n);
        }
        cur = n.parent();
    }
    None
}

/// The statements of a block, skipping comments.
pub fn block_statements(block: Node) -> Vec<Node> {
    let list = if block.kind() == "statement_list" {
        Some(block)
    } else {
        let mut cursor = block.walk();
        block
            .named_children(&mut cursor)
            .find(|c| c.kind() == "statement_list")
    };
    let Some(list) = list else { return Vec::new() };
    let mut cursor = list.walk();
    list.named_children(&mut cursor)
        .filter(|c| c.kind() != "comment")
        .collect()
}

/// The operand and field of a call whose callee is a selector: `x` and `F`
/// in `x.F(...)` (a package function or a method), or None for other calls.
pub fn selector_call(call: Node) -> Option<(Node, Node)> {
    let f = call.child_by_field_name("function")?;
    if f.kind() != "selector_expression" {
        return None;
    }
    Some((
        f.child_by_field_name("operand")?,
        f.child_by_field_name("field")?,
    ))
}

/// Unquotes a Go string literal (interpreted or raw); good enough for import paths.
pub fn unquote(lit: &str) -> &str {
    lit.trim_matches(|c| c == '"' || c == '`')
}

/// Parameter names of a function, in order, one per parameter (`""` for
/// an unnamed one).
pub fn param_names(func: Node, src: &str) -> Vec<String> {
    let Some(params) = func.child_by_field_name("parameters") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut c = params.walk();
    for d in params.named_children(&mut c) {
        if d.kind() == "comment" {
            continue;
        }
        let mut c2 = d.walk();
        let names: Vec<String> = d
            .children_by_field_name("name", &mut c2)
            .map(|n| text(n, src).to_string())
            .collect();
        if names.is_empty() {
            out.push(String::new());
        }
        out.extend(names);
    }
    out
}

pub fn named_children_no_comments(n: Node) -> Vec<Node> {
    let mut c = n.walk();
    n.named_children(&mut c)
        .filter(|x| x.kind() != "comment")
        .collect()
}

/// Identifiers with this text under `root`.
pub fn identifiers_named<'t>(root: Node<'t>, name: &str, src: &str) -> Vec<Node<'t>> {
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(n) = stack.pop() {
        if n.kind() == "identifier" && text(n, src) == name {
            out.push(n);
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    out
}

/// Is this identifier assigned to (`x = ...`, `x, y := ...`, `x++`)?
pub fn is_written(id: Node) -> bool {
    let Some(p) = id.parent() else { return false };
    match p.kind() {
        "expression_list" => p.parent().is_some_and(|o| {
            matches!(o.kind(), "short_var_declaration" | "assignment_statement")
                && o.child_by_field_name("left")
                    .is_some_and(|l| l.id() == p.id())
        }),
        "inc_statement" | "dec_statement" => true,
        "unary_expression" => p
            .child_by_field_name("operator")
            .is_some_and(|o| o.kind() == "&"),
        _ => false,
    }
}
