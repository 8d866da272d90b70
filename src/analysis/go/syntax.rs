//! Facts about Go statements: does a block end the function (or the
//! iteration), is a condition an error check, what follows a statement;
//! small syntax helpers (arguments of a call, identifiers in ranges,
//! package qualifiers and imports of a file).

use std::ops::Range;

use tree_sitter::Node;

use super::GoFile;
use super::deps::{Binding, bind, definition, local_uses};

use crate::lang::go::block_statements;
use crate::lang::text;

/// Calls that never return normally.
const NORETURN_FUNCS: [(&str, &str); 2] = [("os", "Exit"), ("runtime", "Goexit")];
/// Methods that never return normally on loggers and testing.T/B.
const NORETURN_METHODS: [&str; 11] = [
    "Fatal", "Fatalf", "Fatalln", "Panic", "Panicf", "Panicln", "FailNow", "SkipNow", "Skip",
    "Skipf", "Exit",
];

/// Does control never fall off the end of this statement?
pub fn is_terminating(stmt: Node, src: &str) -> bool {
    match stmt.kind() {
        "return_statement" | "goto_statement" | "continue_statement" | "break_statement" => true,
        "expression_statement" => stmt
            .named_child(0)
            .is_some_and(|e| is_noreturn_call(e, src)),
        "block" => block_statements(stmt)
            .last()
            .is_some_and(|s| is_terminating(*s, src)),
        "if_statement" => {
            let cons = stmt.child_by_field_name("consequence");
            let alt = stmt.child_by_field_name("alternative");
            match (cons, alt) {
                (Some(c), Some(a)) => is_terminating(c, src) && is_terminating(a, src),
                _ => false,
            }
        }
        "labeled_statement" => stmt.named_child(1).is_some_and(|s| is_terminating(s, src)),
        _ => false,
    }
}

/// `panic(...)`, `log.Fatal(...)`, `os.Exit(1)`, `t.Fatalf(...)`, `logger.Fatal(...)`.
pub fn is_noreturn_call(expr: Node, src: &str) -> bool {
    if expr.kind() != "call_expression" {
        return false;
    }
    let Some(f) = expr.child_by_field_name("function") else {
        return false;
    };
    match f.kind() {
        "identifier" => text(f, src) == "panic",
        "selector_expression" => {
            let field = f
                .child_by_field_name("field")
                .map(|n| text(n, src))
                .unwrap_or("");
            let operand = f
                .child_by_field_name("operand")
                .map(|n| text(n, src))
                .unwrap_or("");
            NORETURN_FUNCS.contains(&(operand, field))
                || NORETURN_METHODS.contains(&field)
                || ends_fatal_chain(f, src)
        }
        _ => false,
    }
}

/// `log.Fatal().Err(err).Msg("...")`: a zerolog-style event started with
/// `Fatal()` or `Panic()` ends the program when it is sent.
fn ends_fatal_chain(callee: Node, src: &str) -> bool {
    let field = callee
        .child_by_field_name("field")
        .map(|n| text(n, src))
        .unwrap_or("");
    if !matches!(field, "Msg" | "Msgf" | "Send") {
        return false;
    }
    let mut cur = callee.child_by_field_name("operand");
    while let Some(n) = cur {
        if n.kind() != "call_expression" {
            return false;
        }
        let Some(f) = n
            .child_by_field_name("function")
            .filter(|f| f.kind() == "selector_expression")
        else {
            return false;
        };
        if f.child_by_field_name("field")
            .is_some_and(|x| matches!(text(x, src), "Fatal" | "Panic"))
        {
            return true;
        }
        cur = f.child_by_field_name("operand");
    }
    false
}

/// Is `cond` `err != nil` (or `nil != err`, or that `|| something`)?
pub fn is_err_check(cond: Node, err: &str, src: &str) -> bool {
    let cond = strip_parens(cond);
    if cond.kind() != "binary_expression" {
        return false;
    }
    let op = cond.child_by_field_name("operator").map(|o| text(o, src));
    let (Some(l), Some(r)) = (
        cond.child_by_field_name("left"),
        cond.child_by_field_name("right"),
    ) else {
        return false;
    };
    match op {
        Some("!=") => {
            let (l, r) = (text(strip_parens(l), src), text(strip_parens(r), src));
            (l == err && r == "nil") || (l == "nil" && r == err)
        }
        Some("||") => is_err_check(l, err, src),
        _ => false,
    }
}

fn strip_parens(mut n: Node) -> Node {
    while n.kind() == "parenthesized_expression" {
        match n.named_child(0) {
            Some(c) => n = c,
            None => break,
        }
    }
    n
}

/// Does `node`'s subtree mention identifier `name` (not crossing into
/// nodes that only look like it, such as field names)?
pub fn mentions(node: Node, name: &str, src: &str) -> bool {
    if node.kind() == "identifier" {
        return text(node, src) == name;
    }
    let mut c = node.walk();
    node.named_children(&mut c)
        .any(|ch| mentions(ch, name, src))
}

/// The statements after `stmt` in its statement list.
pub fn following_statements<'t>(stmt: Node<'t>) -> Vec<Node<'t>> {
    let mut out = Vec::new();
    let mut cur = stmt.next_named_sibling();
    while let Some(n) = cur {
        if n.kind() != "comment" {
            out.push(n);
        }
        cur = n.next_named_sibling();
    }
    out
}

/// Does code in `func` (a function node) run once per process: inside
/// `init()` (or `main()` of package main, when `main_counts`), a
/// `sync.Once.Do(func(){...})` callback or a `sync.OnceFunc/OnceValue(s)`
/// literal, at any depth of nested functions?
pub fn runs_once(func: Node, src: &str, main_counts: bool) -> bool {
    let mut cur = Some(func);
    while let Some(f) = cur {
        if f.kind() == "function_declaration"
            && let Some(n) = f.child_by_field_name("name")
        {
            let name = text(n, src);
            if name == "init" || (main_counts && name == "main") {
                return true;
            }
        }
        if f.kind() == "func_literal"
            && let Some(call) = f
                .parent()
                .filter(|p| p.kind() == "argument_list")
                .and_then(|a| a.parent())
            && let Some(callee) = call.child_by_field_name("function")
        {
            let c = text(callee, src);
            if c.ends_with(".Do") || c.starts_with("sync.Once") {
                return true;
            }
        }
        cur = crate::lang::go::enclosing_function(f);
    }
    false
}

/// Can control leave the enclosing block early from `stmt` (return, goto,
/// or a break/continue that is not caught by a loop/switch/select inside it)?
pub fn can_exit_early(stmt: Node) -> bool {
    fn walk(n: Node, in_loop: bool, in_breakable: bool) -> bool {
        match n.kind() {
            "func_literal" => return false,
            "return_statement" | "goto_statement" => return true,
            "break_statement" => return n.named_child(0).is_some() || !in_breakable,
            "continue_statement" => return n.named_child(0).is_some() || !in_loop,
            _ => {}
        }
        let (in_loop, in_breakable) = match n.kind() {
            "for_statement" => (true, true),
            "expression_switch_statement" | "type_switch_statement" | "select_statement" => {
                (in_loop, true)
            }
            _ => (in_loop, in_breakable),
        };
        let mut c = n.walk();
        n.named_children(&mut c)
            .any(|ch| walk(ch, in_loop, in_breakable))
    }
    walk(stmt, false, false)
}

pub fn call_args(call: Node) -> Vec<Node> {
    call.child_by_field_name("arguments")
        .map(|a| {
            let mut c = a.walk();
            a.named_children(&mut c)
                .filter(|n| n.kind() != "comment")
                .collect()
        })
        .unwrap_or_default()
}

/// The next statement after `stmt`, skipping comments.
pub fn following(stmt: Node) -> Option<Node> {
    let mut cur = stmt.next_named_sibling();
    while let Some(n) = cur {
        if n.kind() != "comment" {
            return Some(n);
        }
        cur = n.next_named_sibling();
    }
    None
}

/// Identifiers named `name` under `n`.
pub fn idents_named<'t>(n: Node<'t>, name: &str, src: &str) -> Vec<Node<'t>> {
    let mut out = Vec::new();
    let mut stack = vec![n];
    while let Some(x) = stack.pop() {
        if x.kind() == "identifier" && text(x, src) == name {
            out.push(x);
        }
        let mut c = x.walk();
        stack.extend(x.named_children(&mut c));
    }
    out
}

/// Identifiers lying inside any of `ranges`.
pub fn idents_in<'t>(root: Node<'t>, ranges: &[Range<usize>]) -> Vec<Node<'t>> {
    let mut out = Vec::new();
    for r in ranges {
        let Some(top) = root.descendant_for_byte_range(r.start, r.end.max(r.start + 1) - 1) else {
            continue;
        };
        let mut cover = top;
        while cover.start_byte() > r.start || cover.end_byte() < r.end {
            match cover.parent() {
                Some(p) => cover = p,
                None => break,
            }
        }
        let mut stack = vec![cover];
        while let Some(x) = stack.pop() {
            if x.end_byte() <= r.start || x.start_byte() >= r.end {
                continue;
            }
            if x.kind() == "identifier" && r.start <= x.start_byte() && x.end_byte() <= r.end {
                out.push(x);
            }
            let mut c = x.walk();
            stack.extend(x.named_children(&mut c));
        }
    }
    out.sort_by_key(|n| n.start_byte());
    out.dedup_by_key(|n| n.id());
    out
}

pub fn inside(ranges: &[Range<usize>], r: Range<usize>) -> bool {
    ranges.iter().any(|x| x.start <= r.start && r.end <= x.end)
}

/// The top-level declaration holding `n`.
pub fn top_level(n: Node) -> Node {
    let mut cur = n;
    while let Some(p) = cur.parent() {
        if p.kind() == "source_file" {
            return cur;
        }
        cur = p;
    }
    cur
}

/// Merges overlapping or touching line ranges.
pub fn merge_ranges(mut v: Vec<Range<usize>>) -> Vec<Range<usize>> {
    v.sort_by_key(|r| (r.start, r.end));
    let mut out: Vec<Range<usize>> = Vec::new();
    for r in v {
        match out.last_mut() {
            Some(l) if r.start <= l.end => l.end = l.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

pub fn has_multiline_raw_string(n: Node, src: &str) -> bool {
    let mut stack = vec![n];
    while let Some(x) = stack.pop() {
        if x.kind() == "raw_string_literal" && text(x, src).contains('\n') {
            return true;
        }
        let mut c = x.walk();
        stack.extend(x.named_children(&mut c));
    }
    false
}

/// `context.Background()` / `context.TODO()`.
pub fn is_background(n: Node, file: &GoFile, src: &str) -> bool {
    // A local bound once to one: `ctx := context.Background()`.
    if n.kind() == "identifier"
        && let Binding::Local { decl, scope } = bind(n, src)
        && let Some(def) = definition(decl, text(n, src), src)
        && local_uses(text(n, src), decl, scope, src)
            .other_writes
            .is_empty()
    {
        return is_background(def, file, src);
    }
    if n.kind() != "call_expression" {
        return false;
    }
    let Some(f) = n.child_by_field_name("function") else {
        return false;
    };
    let Some(o) = f.child_by_field_name("operand") else {
        return false;
    };
    let field = f
        .child_by_field_name("field")
        .map(|x| text(x, src))
        .unwrap_or("");
    file.imports.resolve(text(o, src)) == Some("context") && matches!(field, "Background" | "TODO")
}

/// The import path of a package qualifier node (`firestore` in
/// `firestore.NewClient`, `redis` in `redis.Options{}`).
pub fn qualifier_path<'f>(n: Node, file: &'f GoFile, src: &str) -> Option<&'f str> {
    let parent = n.parent()?;
    match n.kind() {
        "identifier"
            if parent.kind() == "selector_expression"
                && parent
                    .child_by_field_name("operand")
                    .is_some_and(|o| o.id() == n.id())
                && matches!(bind(n, src), Binding::Package) =>
        {
            file.imports.resolve(text(n, src))
        }
        "package_identifier" if parent.kind() == "qualified_type" => {
            file.imports.resolve(text(n, src))
        }
        _ => None,
    }
}

/// Can `name` be used as a package qualifier at the top level of the file?
pub fn qualifier_usable(file: &GoFile, name: &str) -> bool {
    file.imports.resolve(name).is_some()
}

/// Every use of import `name` as a qualifier in the file.
pub fn qualifier_uses<'f>(file: &'f GoFile, name: &str) -> Vec<Node<'f>> {
    let src = file.text();
    let mut out = Vec::new();
    let mut stack = vec![file.root()];
    while let Some(n) = stack.pop() {
        if matches!(n.kind(), "identifier" | "package_identifier")
            && text(n, src) == name
            && qualifier_path(n, file, src).is_some()
        {
            out.push(n);
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    out
}

/// (local name, path) of the file's named imports (not `_` or `.`).
pub fn import_names(file: &GoFile) -> Vec<(String, String)> {
    let src = file.text();
    let mut out = Vec::new();
    let mut stack = vec![file.root()];
    while let Some(n) = stack.pop() {
        if n.kind() == "import_spec" {
            let Some(p) = n.child_by_field_name("path") else {
                continue;
            };
            let path = crate::lang::go::unquote(text(p, src)).to_string();
            match n.child_by_field_name("name") {
                Some(x) if x.kind() == "package_identifier" => {
                    out.push((text(x, src).to_string(), path))
                }
                Some(_) => {}
                None => {
                    // The name the file uses for it.
                    if let Some(name) = file.imports.name_of(&path) {
                        out.push((name.to_string(), path));
                    }
                }
            }
            continue;
        }
        if matches!(
            n.kind(),
            "source_file" | "import_declaration" | "import_spec_list"
        ) {
            let mut c = n.walk();
            stack.extend(n.named_children(&mut c));
        }
    }
    out
}

/// Is `path` imported without a name of its own in `file`?
pub fn import_is_unaliased(file: &GoFile, path: &str) -> bool {
    let src = file.text();
    let mut stack = vec![file.root()];
    while let Some(n) = stack.pop() {
        if n.kind() == "import_spec" {
            if n.child_by_field_name("path")
                .is_some_and(|p| crate::lang::go::unquote(text(p, src)) == path)
            {
                return n.child_by_field_name("name").is_none();
            }
            continue;
        }
        if matches!(
            n.kind(),
            "source_file" | "import_declaration" | "import_spec_list"
        ) {
            let mut c = n.walk();
            stack.extend(n.named_children(&mut c));
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::Language;

    fn first<'t>(n: Node<'t>, kind: &str) -> Option<Node<'t>> {
        if n.kind() == kind {
            return Some(n);
        }
        let mut c = n.walk();
        let children: Vec<_> = n.named_children(&mut c).collect();
        children.into_iter().find_map(|ch| first(ch, kind))
    }

    fn if_of(body: &str) -> (tree_sitter::Tree, String) {
        let src = format!("package a\nfunc f() {{\n{body}\n}}\n");
        (Language::Go.parse(&src).0, src)
    }

    #[test]
    fn error_checks() {
        for (body, want) in [
            ("if err != nil { return }", true),
            ("if nil != err { return }", true),
            ("if (err != nil) || x { return }", true),
            ("if err == nil { return }", false),
            ("if err != nil && x { return }", false),
            ("if e != nil { return }", false),
        ] {
            let (tree, src) = if_of(body);
            let stmt = first(tree.root_node(), "if_statement").unwrap();
            let cond = stmt.child_by_field_name("condition").unwrap();
            assert_eq!(is_err_check(cond, "err", &src), want, "{body}");
        }
    }

    #[test]
    fn terminating_blocks() {
        for (body, want) in [
            ("if err != nil { return err }", true),
            ("if err != nil { log.Fatal(err) }", true),
            ("if err != nil { log.Fatalf(\"x %v\", err) }", true),
            ("if err != nil { t.Fatal(err) }", true),
            ("if err != nil { panic(err) }", true),
            ("if err != nil { os.Exit(1) }", true),
            ("if err != nil { continue }", true),
            ("if err != nil { log.Print(err) }", false),
            ("if err != nil { if x { return } }", false),
            ("if err != nil { if x { return } else { return } }", true),
        ] {
            let (tree, src) = if_of(body);
            let stmt = first(tree.root_node(), "if_statement").unwrap();
            let cons = stmt.child_by_field_name("consequence").unwrap();
            assert_eq!(is_terminating(cons, &src), want, "{body}");
        }
    }

    #[test]
    fn early_exits() {
        for (body, want) in [
            ("x()", false),
            ("if a { return }", true),
            ("for { break }", false),
            ("for { continue }", false),
            ("switch { case a: break }", false),
            ("if a { break }", true),
            ("if a { continue }", true),
            ("func() { return }()", false),
            ("for { break outer }", true),
        ] {
            let (tree, _) = if_of(body);
            let stmts = block_statements(first(tree.root_node(), "block").unwrap());
            assert_eq!(can_exit_early(stmts[0]), want, "{body}");
        }
    }
}
