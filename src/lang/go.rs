//! Go: helpers over tree-sitter-go nodes shared by the Go analysis and rules.

use tree_sitter::Node;

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

/// Unquotes a Go string literal (interpreted or raw); good enough for import paths.
pub fn unquote(lit: &str) -> &str {
    lit.trim_matches(|c| c == '"' || c == '`')
}
