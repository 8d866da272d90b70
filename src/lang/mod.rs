//! One module per language: its grammar, its embedded queries, and helpers
//! for reading its syntax trees.

pub mod go;
pub mod js;
pub mod rust;

use std::cell::RefCell;
use std::path::Path;

use tree_sitter::{Node, Parser, Tree};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Go,
    Rust,
    /// JavaScript (with JSX): `.js .mjs .cjs .jsx`. Rules for JavaScript and
    /// TypeScript are registered under this one language (ids `js-...`).
    JavaScript,
    /// TypeScript, a dialect of JavaScript to the rules: `.ts .mts .cts`.
    TypeScript,
    /// TypeScript with JSX: `.tsx`.
    Tsx,
}

impl Language {
    pub const ALL: [Language; 5] = [
        Language::Go,
        Language::Rust,
        Language::JavaScript,
        Language::TypeScript,
        Language::Tsx,
    ];

    pub fn from_path(path: &Path) -> Option<Language> {
        match path.extension()?.to_str()? {
            "go" => Some(Language::Go),
            "rs" => Some(Language::Rust),
            "js" | "mjs" | "cjs" | "jsx" => Some(Language::JavaScript),
            // Declaration files hold types only: nothing to release.
            "ts" | "mts" | "cts" if js::is_declaration_file(path) => None,
            "ts" | "mts" | "cts" => Some(Language::TypeScript),
            "tsx" => Some(Language::Tsx),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Language::Go => "go",
            Language::Rust => "rust",
            Language::JavaScript => "js",
            Language::TypeScript => "ts",
            Language::Tsx => "tsx",
        }
    }

    /// The language whose rules run on this language's files: TypeScript
    /// and TSX files get the JavaScript rules.
    pub fn family(self) -> Language {
        match self {
            Language::TypeScript | Language::Tsx => Language::JavaScript,
            other => other,
        }
    }

    /// Syntax-tree kinds of named function declarations (the `name` field
    /// names them): where `analysis::anchor` finds a finding's function.
    pub fn function_kinds(self) -> &'static [&'static str] {
        match self {
            Language::Go => &["function_declaration", "method_declaration"],
            Language::Rust => &["function_item"],
            Language::JavaScript | Language::TypeScript | Language::Tsx => &[
                "function_declaration",
                "generator_function_declaration",
                "method_definition",
            ],
        }
    }

    pub fn grammar(self) -> tree_sitter::Language {
        match self {
            Language::Go => tree_sitter_go::LANGUAGE.into(),
            Language::Rust => tree_sitter_rust::LANGUAGE.into(),
            Language::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
            Language::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            Language::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
        }
    }

    /// Parses `text`. Returns the tree and, if it contains syntax errors, the
    /// byte offset of the first one.
    ///
    /// Go 1.26's `new(expr)` is newer than tree-sitter-go's grammar, which
    /// only takes a type there. When a Go file fails to parse and uses
    /// `new(`, it is parsed again with those calls spelled `_ew(` — the same
    /// length, so every byte offset still points into the real text, and the
    /// call reads as an ordinary call. Node text always comes from the file.
    pub fn parse(self, text: &str) -> (Tree, Option<usize>) {
        let (tree, error) = self.parse_exact(text);
        if error.is_some() && self == Language::Go && text.contains("new(") {
            let masked = mask_new_calls(text);
            let (retry, retry_error) = self.parse_exact(&masked);
            if retry_error.is_none() {
                return (retry, None);
            }
        }
        (tree, error)
    }

    fn parse_exact(self, text: &str) -> (Tree, Option<usize>) {
        thread_local! {
            static PARSERS: RefCell<[Option<Parser>; Language::ALL.len()]> =
                const { RefCell::new([None, None, None, None, None]) };
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

/// `new(` -> `_ew(` where `new` is a whole identifier.
fn mask_new_calls(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (i, _) in text.match_indices("new(") {
        let before = if i == 0 { b' ' } else { bytes[i - 1] };
        if before.is_ascii_alphanumeric() || before == b'_' || before == b'.' {
            continue;
        }
        out.push_str(&text[last..i]);
        out.push_str("_ew(");
        last = i + 4;
    }
    out.push_str(&text[last..]);
    out
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
    fn go_1_26_new_with_an_expression_parses() {
        let src = "package a\nfunc f(id int) *uint64 {\n\tp := new([]int)\n\t_ = p\n\treturn new(uint64(id))\n}\n";
        let (_, err) = Language::Go.parse(src);
        // new([]int) and new(expr) together defeat the retry: reported, not misread.
        assert!(err.is_some());
        let src = "package a\nfunc f(id int) *uint64 {\n\tx := renew(1)\n\t_ = x\n\treturn new(uint64(id))\n}\n";
        let (tree, err) = Language::Go.parse(src);
        assert!(err.is_none());
        assert!(!tree.root_node().has_error());
        assert_eq!(
            mask_new_calls("a := new(x); renew(y); s.new(z)"),
            "a := _ew(x); renew(y); s.new(z)"
        );
    }

    #[test]
    fn syntax_errors_are_located() {
        let (_, err) = Language::Go.parse("package a\nfunc f() {\n");
        assert!(err.is_some());
        let (_, ok) = Language::Go.parse("package a\nfunc f() {}\n");
        assert!(ok.is_none());
    }
}
