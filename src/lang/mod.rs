//! One module per language: its grammar, its embedded queries, and helpers
//! for reading its syntax trees.

pub mod go;
pub mod rust;

use std::cell::RefCell;
use std::path::Path;

use tree_sitter::{Node, Parser, Tree};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Go,
    Rust,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::Go, Language::Rust];

    pub fn from_path(path: &Path) -> Option<Language> {
        match path.extension()?.to_str()? {
            "go" => Some(Language::Go),
            "rs" => Some(Language::Rust),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Language::Go => "go",
            Language::Rust => "rust",
        }
    }

    pub fn grammar(self) -> tree_sitter::Language {
        match self {
            Language::Go => tree_sitter_go::LANGUAGE.into(),
            Language::Rust => tree_sitter_rust::LANGUAGE.into(),
        }
    }

    /// Parses `text`. Returns the tree and, if it contains syntax errors, the
    /// byte offset of the first one.
    pub fn parse(self, text: &str) -> (Tree, Option<usize>) {
        thread_local! {
            static PARSERS: RefCell<[Option<Parser>; 2]> = const { RefCell::new([None, None]) };
        }
        let tree = PARSERS.with(|cell| {
            let mut parsers = cell.borrow_mut();
            let parser = parsers[self as usize].get_or_insert_with(|| {
                let mut p = Parser::new();
                p.set_language(&self.grammar())
                    .expect("grammar version matches the tree-sitter library");
                p
            });
            parser
                .parse(text, None)
                .expect("parsing without a timeout or cancellation flag always yields a tree")
        });
        let error = first_error(tree.root_node());
        (tree, error)
    }
}

fn first_error(root: Node) -> Option<usize> {
    if !root.has_error() {
        return None;
    }
    let mut cursor = root.walk();
    loop {
        let node = cursor.node();
        if node.is_error() || node.is_missing() {
            return Some(node.start_byte());
        }
        if node.has_error() && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return Some(root.start_byte());
            }
        }
    }
}

/// The text of a node.
pub fn text<'s>(node: Node, source: &'s str) -> &'s str {
    &source[node.byte_range()]
}

/// An S-expression dump of a file's tree with byte ranges, for people
/// writing queries (`leakfix dump-ast FILE`).
pub fn dump(language: Language, source: &str) -> String {
    let (tree, _) = language.parse(source);
    let mut out = String::new();
    let mut cursor = tree.walk();
    let mut depth = 0usize;
    loop {
        let node = cursor.node();
        if node.is_named() {
            let field = cursor
                .field_name()
                .map(|f| format!("{f}: "))
                .unwrap_or_default();
            let leaf = if node.named_child_count() == 0 {
                format!(" {:?}", text(node, source))
            } else {
                String::new()
            };
            out.push_str(&format!(
                "{:indent$}{field}{} [{}..{}]{leaf}\n",
                "",
                node.kind(),
                node.start_byte(),
                node.end_byte(),
                indent = depth * 2
            ));
        }
        if cursor.goto_first_child() {
            depth += 1;
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return out;
            }
            depth -= 1;
        }
    }
}

/// Compiles an embedded query once per process. Queries are part of the
/// binary, so a query that does not compile is a bug caught by the tests.
#[macro_export]
macro_rules! embedded_query {
    ($lang:expr, $file:literal) => {{
        static QUERY: std::sync::LazyLock<tree_sitter::Query> = std::sync::LazyLock::new(|| {
            tree_sitter::Query::new(
                &$lang.grammar(),
                include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/queries/", $file)),
            )
            .unwrap_or_else(|e| panic!("queries/{} does not compile: {e}", $file))
        });
        &*QUERY
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_are_located() {
        let (_, err) = Language::Go.parse("package a\nfunc f() {\n");
        assert!(err.is_some());
        let (_, ok) = Language::Go.parse("package a\nfunc f() {}\n");
        assert!(ok.is_none());
    }
}
