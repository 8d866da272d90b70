//! Where a finding sits, in words that survive edits elsewhere in the file:
//! the function around it and the text of its statement, normalised so that
//! reformatting (gofmt, rustfmt, prettier) does not change it. The baseline
//! and new-code filters key findings on these instead of line numbers.
//!
//! Language-independent: a language only names its function-declaration
//! node kinds (`Language::function_kinds`); statements and blocks are found
//! by the shape of the tree-sitter kind names all our grammars share
//! (`..._statement`, `..._declaration`, `block`, `..._body`).

use std::ops::Range;

use tree_sitter::{Node, Tree};

use crate::lang::Language;

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Anchor {
    /// `Type.method`, `function`, `outer.inner`; empty at the top level.
    pub function: String,
    /// The statement around the finding, without whitespace, comments,
    /// trailing commas and semicolons, with nested blocks elided (`{…}`).
    pub statement: String,
}

/// Longer statements are cut and a hash of the rest appended.
const MAX_STATEMENT: usize = 160;

/// The anchors of byte ranges of one file (parsed once).
pub fn anchors(language: Language, text: &str, ranges: &[Range<usize>]) -> Vec<Anchor> {
    let (tree, _) = language.parse(text);
    ranges
        .iter()
        .map(|r| anchor(language, &tree, text, r.clone()))
        .collect()
}

pub fn anchor(language: Language, tree: &Tree, text: &str, range: Range<usize>) -> Anchor {
    let root = tree.root_node();
    let end = range.end.max(range.start);
    let node = root
        .descendant_for_byte_range(range.start, end)
        .unwrap_or(root);
    let kinds = language.function_kinds();
    let function = ancestors(node)
        .find(|n| kinds.contains(&n.kind()))
        .map(|f| function_name(f, text))
        .unwrap_or_default();
    let statement = statement_of(node, kinds);
    Anchor {
        function,
        statement: shorten(normalise(statement, text, range.start)),
    }
}

fn ancestors(node: Node<'_>) -> impl Iterator<Item = Node<'_>> {
    std::iter::successors(Some(node), |n| n.parent())
}

/// `name`, qualified by a Go method's receiver type, or else by the nearest
/// named or typed item around the function (a Rust `impl` or `mod`, an outer
/// function, a class).
fn function_name(f: Node, text: &str) -> String {
    let name = f
        .child_by_field_name("name")
        .map(|n| &text[n.byte_range()])
        .unwrap_or("");
    let qualifier = if let Some(receiver) = f.child_by_field_name("receiver") {
        type_name(receiver, text)
    } else {
        ancestors(f).skip(1).find_map(|a| {
            a.parent()?; // not the file itself
            if let Some(t) = a.child_by_field_name("type") {
                return type_name(t, text);
            }
            a.child_by_field_name("name")
                .map(|n| text[n.byte_range()].to_string())
        })
    };
    match qualifier {
        Some(q) if !q.is_empty() => format!("{q}.{name}"),
        _ => name.to_string(),
    }
}

/// The first type identifier in `node` (`Server` in `(s *Server[T])`).
fn type_name(node: Node, text: &str) -> Option<String> {
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        if n.kind().ends_with("type_identifier") {
            return Some(text[n.byte_range()].to_string());
        }
        let mut cursor = n.walk();
        let children: Vec<Node> = n.named_children(&mut cursor).collect();
        stack.extend(children.into_iter().rev());
    }
    Some(text[node.byte_range()].to_string()).filter(|t| !t.contains(char::is_whitespace))
}

fn is_block(n: Node) -> bool {
    let k = n.kind();
    n.parent().is_none()
        || k.contains("block")
        || k.ends_with("body")
        || k == "statement_list"
        || k == "declaration_list"
}

fn is_statement(k: &str) -> bool {
    k.ends_with("statement") || k.ends_with("declaration")
}

/// The innermost statement around `node`: a `..._statement` or
/// `..._declaration`, or an expression that is a block's item (a Rust tail
/// expression). `node` itself when it is not inside one below a function.
fn statement_of<'t>(node: Node<'t>, function_kinds: &[&str]) -> Node<'t> {
    let mut s = node;
    loop {
        if function_kinds.contains(&s.kind()) {
            return node;
        }
        if is_statement(s.kind()) {
            return s;
        }
        match s.parent() {
            Some(p) if is_block(p) => return s,
            Some(p) => s = p,
            None => return node,
        }
    }
}

/// The text of `node` without whitespace, comments, semicolons and commas
/// before a closing bracket, single quotes read as double ones, and the
/// blocks nested in it elided unless they hold `keep` (the finding).
fn normalise(node: Node, text: &str, keep: usize) -> String {
    let mut tokens: Vec<String> = Vec::new();
    if node.kind().contains("comment") {
        push(&mut tokens, &text[node.byte_range()]);
    } else {
        collect(node, node, text, keep, &mut tokens);
    }
    let mut out = String::new();
    for (i, t) in tokens.iter().enumerate() {
        if t == ";" {
            continue;
        }
        if t == ","
            && tokens[i + 1..]
                .iter()
                .find(|n| n.as_str() != ";")
                .is_some_and(|n| n.starts_with([')', ']', '}']))
        {
            continue;
        }
        out.push_str(t);
    }
    out.replace('\'', "\"")
}

fn push(out: &mut Vec<String>, s: &str) {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if !s.is_empty() {
        out.push(s);
    }
}

fn collect(node: Node, top: Node, text: &str, keep: usize, out: &mut Vec<String>) {
    if node != top && node.kind().contains("comment") {
        return;
    }
    if node != top && is_block(node) && !(node.start_byte() <= keep && keep < node.end_byte()) {
        push(out, "{…}");
        return;
    }
    if node.child_count() == 0 {
        push(out, &text[node.byte_range()]);
        return;
    }
    let mut at = node.start_byte();
    let mut cursor = node.walk();
    let children: Vec<Node> = node.children(&mut cursor).collect();
    for child in children {
        if child.start_byte() > at {
            push(out, &text[at..child.start_byte()]);
        }
        collect(child, top, text, keep, out);
        at = at.max(child.end_byte());
    }
    if node.end_byte() > at {
        push(out, &text[at..node.end_byte()]);
    }
}

fn shorten(s: String) -> String {
    if s.chars().count() <= MAX_STATEMENT {
        return s;
    }
    let head: String = s.chars().take(MAX_STATEMENT - 20).collect();
    format!("{head}…#{:016x}", fnv1a(s.as_bytes()))
}

/// FNV-1a, 64 bits: stable across platforms and releases (the baseline file
/// keeps it), unlike std's hasher.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
#[allow(clippy::single_range_in_vec_init)]
mod tests {
    use super::*;

    fn at(language: Language, text: &str, needle: &str) -> Anchor {
        let start = text.find(needle).unwrap();
        anchors(language, text, &[start..start + needle.len()]).remove(0)
    }

    #[test]
    fn go_method_and_statement() {
        let src = "package a\n\nfunc (s *Server[T]) Start(ctx context.Context) error {\n\tc, err := storage.NewClient(ctx, option.WithX(1)) // note\n\tgo func() {\n\t\tfor {\n\t\t}\n\t}()\n\treturn err\n}\n";
        let a = at(Language::Go, src, "storage.NewClient(ctx, option.WithX(1))");
        assert_eq!(a.function, "Server.Start");
        assert_eq!(a.statement, "c,err:=storage.NewClient(ctx,option.WithX(1))");
        let g = at(Language::Go, src, "go func");
        assert_eq!(g.statement, "gofunc(){…}()");
    }

    #[test]
    fn reformatting_keeps_the_statement() {
        let one = "package a\n\nfunc f() {\n\tc, err := storage.NewClient(ctx, a, b)\n}\n";
        let two = "package a\n\nfunc f() {\n\tc, err := storage.NewClient(\n\t\tctx,\n\t\ta, // the a\n\t\tb,\n\t)\n}\n";
        let a = at(Language::Go, one, "storage.NewClient(ctx, a, b)");
        let start = two.find("storage").unwrap();
        let end = two.find("\n}").unwrap() - 1;
        let b = anchors(Language::Go, two, &[start..end + 1]).remove(0);
        assert_eq!(a, b);
    }

    #[test]
    fn if_initialiser_is_the_statement_not_the_whole_if() {
        let src =
            "package a\n\nfunc f() {\n\tif c, err := open(); err != nil {\n\t\treturn\n\t}\n}\n";
        assert_eq!(at(Language::Go, src, "open()").statement, "c,err:=open()");
    }

    #[test]
    fn rust_impl_functions_and_tail_expressions() {
        let src = "impl<T> Foo<T> {\n    fn new() -> Self {\n        let c = reqwest::Client::new();\n        spawn(c,)\n    }\n}\nmod m {\n    fn h() {\n        x();\n    }\n}\n";
        let a = at(Language::Rust, src, "reqwest::Client::new()");
        assert_eq!(a.function, "Foo.new");
        assert_eq!(a.statement, "letc=reqwest::Client::new()");
        assert_eq!(at(Language::Rust, src, "spawn(c,)").statement, "spawn(c)");
        assert_eq!(at(Language::Rust, src, "x()").function, "m.h");
    }

    #[test]
    fn top_level_and_comments() {
        let src = "package a\n\nvar c = mk()\n\nfunc f() {\n\t// leakfix:ignore  go-x\n\tx()\n}\n";
        assert_eq!(at(Language::Go, src, "mk()").function, "");
        assert_eq!(at(Language::Go, src, "mk()").statement, "varc=mk()");
        let c = at(Language::Go, src, "// leakfix:ignore  go-x");
        assert_eq!(
            (c.function.as_str(), c.statement.as_str()),
            ("f", "//leakfix:ignorego-x")
        );
    }

    #[test]
    fn long_statements_are_cut_with_a_hash() {
        let arg = "x".repeat(300);
        let src = format!("package a\n\nfunc f() {{\n\tc := open({arg})\n}}\n");
        let a = at(Language::Go, &src, "open(");
        assert!(a.statement.chars().count() < 170, "{}", a.statement);
        assert!(a.statement.contains("…#"));
    }
}
