//! Rust analysis. A Rust file is the unit: rules see the parsed file, the
//! paths its `use` declarations bring in, which parts are test code, and the
//! crate it belongs to (`Cargo.toml`: minimum Rust version, dependencies).

pub mod cargo;
pub mod context;
pub mod errors;
pub mod flow;
pub mod items;
pub mod rustfmt;
pub mod syntax;
pub mod tasks;
#[cfg(test)]
pub(crate) mod test_support;

use std::ops::Range;
use std::sync::Arc;

use tree_sitter::Node;

use crate::lang::text;
use crate::parse::ParsedFile;
pub use cargo::{CrateFinder, CrateInfo, RustVersion};

/// One `use` binding: `alias` names `path` inside `scope`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UseBinding {
    pub alias: String,
    pub path: String,
    /// Byte range of the module or block the declaration sits in.
    pub scope: Range<usize>,
}

pub struct RustFile {
    pub parsed: ParsedFile,
    pub krate: Option<Arc<CrateInfo>>,
    pub uses: Vec<UseBinding>,
    /// `#[cfg(test)]` modules and `#[test]` functions.
    pub test_ranges: Vec<Range<usize>>,
}

impl RustFile {
    pub fn new(parsed: ParsedFile, krate: Option<Arc<CrateInfo>>) -> RustFile {
        let src = parsed.text();
        let root = parsed.tree.root_node();
        let mut uses = Vec::new();
        let mut test_ranges = Vec::new();
        visit(root, &mut |n| match n.kind() {
            "use_declaration" => {
                let scope = n
                    .parent()
                    .map(|p| p.byte_range())
                    .unwrap_or(root.byte_range());
                if let Some(arg) = n.child_by_field_name("argument") {
                    collect_use(arg, "", src, &scope, &mut uses);
                }
            }
            "mod_item" | "function_item" if is_test_item(n, src) => {
                test_ranges.push(n.byte_range())
            }
            _ => {}
        });
        RustFile {
            parsed,
            krate,
            uses,
            test_ranges,
        }
    }

    pub fn text(&self) -> &str {
        self.parsed.text()
    }

    pub fn root(&self) -> Node<'_> {
        self.parsed.tree.root_node()
    }

    /// How rustfmt lays out this file's crate.
    pub fn style(&self) -> &rustfmt::RustfmtStyle {
        static DEFAULT: std::sync::LazyLock<rustfmt::RustfmtStyle> =
            std::sync::LazyLock::new(rustfmt::RustfmtStyle::default);
        self.krate.as_ref().map(|k| &k.rustfmt).unwrap_or(&DEFAULT)
    }

    pub fn is_test_code(&self, at: usize) -> bool {
        self.test_ranges.iter().any(|r| r.contains(&at))
    }

    /// Does the file's crate depend on `name` (as code names it)?
    pub fn depends_on(&self, name: &str) -> bool {
        self.krate
            .as_ref()
            .is_some_and(|k| k.dependency(name).is_some())
    }

    /// The full path a path written at byte `at` names, after the `use`
    /// declarations in scope there: `Client::new` under `use reqwest::Client;`
    /// is `reqwest::Client::new`. Generic arguments (`Vec::<u8>::new`) are
    /// dropped. Paths not brought in by a `use` are returned as written.
    pub fn resolve(&self, written: &str, at: usize) -> String {
        let cleaned = strip_generics(written);
        let written = cleaned.trim_start_matches("::");
        let (first, rest) = match written.split_once("::") {
            Some((f, r)) => (f, Some(r)),
            None => (written, None),
        };
        let binding = self
            .uses
            .iter()
            .filter(|u| u.alias == first && u.scope.contains(&at))
            .min_by_key(|u| u.scope.len());
        match (binding, rest) {
            (Some(b), Some(r)) => format!("{}::{r}", b.path),
            (Some(b), None) => b.path.clone(),
            (None, _) => written.to_string(),
        }
    }
}

fn strip_generics(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut depth = 0usize;
    for c in s.chars() {
        match c {
            '<' => depth += 1,
            '>' => depth = depth.saturating_sub(1),
            _ if depth == 0 && !c.is_whitespace() => out.push(c),
            _ => {}
        }
    }
    out.replace("::::", "::").trim_end_matches("::").to_string()
}

/// Calls `f` on every node of the tree, in order.
pub fn visit<'t>(root: Node<'t>, f: &mut dyn FnMut(Node<'t>)) {
    let mut cursor = root.walk();
    loop {
        f(cursor.node());
        if cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return;
            }
        }
    }
}

fn join(prefix: &str, seg: &str) -> String {
    if prefix.is_empty() {
        seg.to_string()
    } else {
        format!("{prefix}::{seg}")
    }
}

fn collect_use(n: Node, prefix: &str, src: &str, scope: &Range<usize>, out: &mut Vec<UseBinding>) {
    let push = |out: &mut Vec<UseBinding>, alias: &str, path: String| {
        if alias != "_" {
            out.push(UseBinding {
                alias: alias.to_string(),
                path: path.trim_start_matches("::").to_string(),
                scope: scope.clone(),
            });
        }
    };
    match n.kind() {
        "identifier" | "scoped_identifier" | "crate" | "super" | "self" => {
            let t = text(n, src);
            let path = join(prefix, t);
            if t == "self" {
                // `use a::b::{self}` binds `b`.
                if let Some(last) = prefix.rsplit("::").next() {
                    push(out, last, prefix.to_string());
                }
                return;
            }
            let alias = path.rsplit("::").next().unwrap_or(&path).to_string();
            push(out, &alias, path);
        }
        "use_as_clause" => {
            let (Some(p), Some(a)) = (
                n.child_by_field_name("path"),
                n.child_by_field_name("alias"),
            ) else {
                return;
            };
            push(out, text(a, src), join(prefix, text(p, src)));
        }
        "scoped_use_list" => {
            let p = n
                .child_by_field_name("path")
                .map(|p| text(p, src))
                .unwrap_or("");
            let prefix = join(prefix, p);
            if let Some(list) = n.child_by_field_name("list") {
                collect_use(list, &prefix, src, scope, out);
            }
        }
        "use_list" => {
            let mut c = n.walk();
            for child in n.named_children(&mut c) {
                collect_use(child, prefix, src, scope, out);
            }
        }
        _ => {} // globs: not resolved
    }
}

/// `#[cfg(test)] mod ...`, `#[test] fn ...`, `#[tokio::test] async fn ...`.
fn is_test_item(item: Node, src: &str) -> bool {
    let mut prev = item.prev_sibling();
    while let Some(p) = prev {
        match p.kind() {
            "attribute_item" => {
                let t: String = text(p, src)
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect();
                let inner = t.trim_start_matches("#[").trim_end_matches(']');
                if inner == "test"
                    || inner.ends_with("::test")
                    || inner.starts_with("cfg(test")
                    || (inner.starts_with("cfg(")
                        && inner.contains("test")
                        && !inner.contains("not(test"))
                    || inner.starts_with("bench")
                {
                    return true;
                }
            }
            "line_comment" | "block_comment" => {}
            _ => break,
        }
        prev = p.prev_sibling();
    }
    false
}

#[cfg(test)]
mod tests {

    use crate::analysis::rust::test_support::file;

    #[test]
    fn uses_resolve_paths() {
        let f = file(
            "use reqwest::Client;\nuse std::io::{self, BufWriter as BW};\nuse tokio::process::Command;\nfn f() { use redis::Client; }\n",
        );
        assert_eq!(f.resolve("Client::new", 0), "reqwest::Client::new");
        assert_eq!(
            f.resolve("io::BufWriter::new", 0),
            "std::io::BufWriter::new"
        );
        assert_eq!(f.resolve("BW::new", 0), "std::io::BufWriter::new");
        assert_eq!(f.resolve("Command", 0), "tokio::process::Command");
        assert_eq!(
            f.resolve("::reqwest::Client::new", 0),
            "reqwest::Client::new"
        );
        let inside = f.text().find("use redis").unwrap();
        assert_eq!(f.resolve("Client::open", inside + 5), "redis::Client::open");
        assert_eq!(f.resolve("Vec::<u8>::new", 0), "Vec::new");
    }

    #[test]
    fn test_code_is_found() {
        let f = file(
            "fn a() {}\n#[cfg(test)]\nmod tests {\n    fn b() {}\n}\n#[tokio::test]\nasync fn c() {}\n#[cfg(not(test))]\nfn d() {}\n",
        );
        let at = |s: &str| f.text().find(s).unwrap();
        assert!(!f.is_test_code(at("fn a")));
        assert!(f.is_test_code(at("fn b")));
        assert!(f.is_test_code(at("fn c")));
        assert!(!f.is_test_code(at("fn d")));
    }
}
