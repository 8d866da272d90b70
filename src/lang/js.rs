//! JavaScript and TypeScript: helpers over tree-sitter-javascript and
//! tree-sitter-typescript nodes shared by the JS analysis and rules. The two
//! grammars share node kinds for everything the rules read (calls, members,
//! declarations, statements); TypeScript adds type annotations, `as`
//! expressions and non-null assertions, which `strip_ts` looks through.

use std::path::Path;

use tree_sitter::Node;

/// `x.d.ts`, `x.d.mts`, `x.d.cts`: type declarations only.
pub fn is_declaration_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    [".d.ts", ".d.mts", ".d.cts"]
        .iter()
        .any(|s| name.ends_with(s))
        || (name.contains(".d.") && name.ends_with(".ts"))
}

/// JavaScript/TypeScript test files, skipped unless `--include-tests`:
/// `*.test.*`, `*.spec.*`, anything under a `__tests__/` folder, and, as
/// Node's own test runner and mocha see it, anything under a `test/` or
/// `tests/` folder of its package (a package that itself sits under some
/// `test/` folder, a fixture, is ordinary code).
pub fn is_test_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let mut parts = name.split('.');
    parts.next();
    let mut middle: Vec<&str> = parts.collect();
    middle.pop(); // the extension
    // `*.test-d.ts` and `*.tst.ts`: type tests (tsd, TSTyche).
    if middle
        .iter()
        .any(|p| matches!(*p, "test" | "spec" | "test-d" | "tst"))
    {
        return true;
    }
    let Some(dir) = path.parent() else {
        return false;
    };
    if dir.components().any(|c| c.as_os_str() == "__tests__") {
        return true;
    }
    let within = package_root(dir)
        .and_then(|root| dir.strip_prefix(root).ok())
        .unwrap_or(dir);
    within
        .components()
        .any(|c| matches!(c.as_os_str().to_str(), Some("test" | "tests")))
}

/// The nearest folder at or above `dir` with a package.json.
fn package_root(dir: &Path) -> Option<&Path> {
    dir.ancestors().find(|d| d.join("package.json").is_file())
}

/// Kinds that start a function body.
pub const FUNCTION_KINDS: [&str; 6] = [
    "function_declaration",
    "function_expression",
    "arrow_function",
    "method_definition",
    "generator_function_declaration",
    "generator_function",
];

pub fn is_function(node: Node) -> bool {
    FUNCTION_KINDS.contains(&node.kind()) || node.kind() == "function"
}

/// The nearest enclosing function.
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

/// Looks through TypeScript wrappers and parentheses: `(x as T)`, `x!`,
/// `x satisfies T`, `<T>x`.
pub fn strip_ts(mut node: Node) -> Node {
    loop {
        match node.kind() {
            "parenthesized_expression"
            | "as_expression"
            | "non_null_expression"
            | "satisfies_expression"
            | "type_assertion" => match node.named_child(0) {
                Some(c) => node = c,
                None => return node,
            },
            _ => return node,
        }
    }
}

/// Is the function `async`?
pub fn is_async(func: Node, src: &str) -> bool {
    let mut c = func.walk();
    let found = func
        .children(&mut c)
        .take_while(|ch| ch.kind() != "statement_block" && ch.kind() != "formal_parameters")
        .any(|ch| ch.kind() == "async");
    found || src[func.byte_range()].starts_with("async")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_files() {
        assert!(is_test_file(Path::new("src/db.test.js")));
        assert!(is_test_file(Path::new("src/db.spec.ts")));
        assert!(is_test_file(Path::new("src/__tests__/db.js")));
        assert!(!is_test_file(Path::new("src/test.js")));
        assert!(is_test_file(Path::new("test/pool.js")));
        assert!(is_test_file(Path::new("packages/pg/tests/pool.ts")));
        assert!(!is_test_file(Path::new("src/contest.js")));
        assert!(!is_test_file(Path::new("src/latest.ts")));
    }

    #[test]
    fn a_package_under_a_test_folder_is_not_test_code() {
        let dir = tempfile::tempdir().unwrap();
        let app = dir.path().join("tests/js/apps/svc");
        std::fs::create_dir_all(app.join("test")).unwrap();
        std::fs::write(app.join("package.json"), "{}").unwrap();
        assert!(!is_test_file(&app.join("app.js")));
        assert!(is_test_file(&app.join("test/app.js")));
    }

    #[test]
    fn declaration_files() {
        assert!(is_declaration_file(Path::new("types/index.d.ts")));
        assert!(is_declaration_file(Path::new("a.d.mts")));
        assert!(!is_declaration_file(Path::new("a.ts")));
    }
}
