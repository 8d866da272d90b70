//! Re-rendering a syntax node with some of its parts replaced.

use tree_sitter::Node;

use crate::lang::text;

/// The text of `node` with some nodes replaced: `subst` returns the
/// replacement for a node, or None to keep it (its children are then
/// visited). Whitespace and comments between children are kept.
pub fn render(node: Node, src: &str, subst: &mut dyn FnMut(Node) -> Option<String>) -> String {
    if let Some(s) = subst(node) {
        return s;
    }
    if node.child_count() == 0 {
        return text(node, src).to_string();
    }
    let mut out = String::new();
    let mut last = node.start_byte();
    let mut c = node.walk();
    for child in node.children(&mut c) {
        out.push_str(&src[last..child.start_byte()]);
        out.push_str(&render(child, src, subst));
        last = child.end_byte();
    }
    out.push_str(&src[last..node.end_byte()]);
    out
}

/// Like `render`, but as a canonical token string (layout and comments
/// dropped): equal for two expressions that differ only in formatting.
pub fn tokens(node: Node, src: &str, subst: &mut dyn FnMut(Node) -> Option<String>) -> String {
    let mut out = Vec::new();
    collect_tokens(node, src, subst, &mut out);
    out.join(" ")
}

fn collect_tokens(
    node: Node,
    src: &str,
    subst: &mut dyn FnMut(Node) -> Option<String>,
    out: &mut Vec<String>,
) {
    if node.kind() == "comment" {
        return;
    }
    if let Some(s) = subst(node) {
        out.push(s);
        return;
    }
    if node.child_count() == 0 {
        out.push(text(node, src).to_string());
        return;
    }
    let mut c = node.walk();
    for child in node.children(&mut c) {
        collect_tokens(child, src, subst, out);
    }
}
