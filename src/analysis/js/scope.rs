//! Scopes and the uses of a local: which names a block or function
//! declares, whether a name is declared again between a use and the top
//! level, and every reference to a local after its declaration, each
//! classified by what the code does with the value there.

use tree_sitter::Node;

use super::bindings::pattern_names;
use crate::lang::js::{is_function, strip_ts};
use crate::lang::text;

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

/// Names a function's parameters declare.
pub fn parameter_names(func: Node, src: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(p) = func.child_by_field_name("parameter") {
        out.extend(pattern_names(p, src));
    }
    if let Some(params) = func.child_by_field_name("parameters") {
        let mut c = params.walk();
        for p in params.named_children(&mut c) {
            out.extend(pattern_names(p, src));
        }
    }
    out
}

/// The parameters of a function, in order, as nodes (identifiers or patterns).
pub fn parameters(func: Node) -> Vec<Node> {
    if let Some(p) = func.child_by_field_name("parameter") {
        return vec![p];
    }
    let Some(params) = func.child_by_field_name("parameters") else {
        return Vec::new();
    };
    let mut c = params.walk();
    params
        .named_children(&mut c)
        .filter(|p| p.kind() != "comment")
        .map(|p| match p.kind() {
            "required_parameter" | "optional_parameter" => {
                p.child_by_field_name("pattern").unwrap_or(p)
            }
            _ => p,
        })
        .collect()
}

/// Names declared directly in a block-like node (statement block, program,
/// switch body, function body): `let`/`const`/`var`/function/class
/// declarations among its statements. (`var`s nested deeper in the same
/// function are found by `declares_var`.)
pub fn block_declarations(block: Node, src: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut c = block.walk();
    for stmt in block.named_children(&mut c) {
        let stmt = if stmt.kind() == "export_statement" {
            stmt.child_by_field_name("declaration").unwrap_or(stmt)
        } else {
            stmt
        };
        match stmt.kind() {
            "lexical_declaration" | "variable_declaration" => {
                let mut dc = stmt.walk();
                for d in stmt.named_children(&mut dc) {
                    if let Some(name) = d.child_by_field_name("name") {
                        out.extend(pattern_names(name, src));
                    }
                }
            }
            "function_declaration"
            | "generator_function_declaration"
            | "class_declaration"
            | "abstract_class_declaration" => {
                if let Some(n) = stmt.child_by_field_name("name") {
                    out.push(text(n, src).to_string());
                }
            }
            _ => {}
        }
    }
    out
}

/// Does `scope` (a function, block, catch clause or for statement)
/// declare `name` itself?
pub fn scope_declares(scope: Node, name: &str, src: &str) -> bool {
    match scope.kind() {
        k if is_function(scope) || k == "function" => {
            if parameter_names(scope, src).iter().any(|n| n == name) {
                return true;
            }
            // A named function expression binds its own name inside.
            if matches!(k, "function_expression" | "function" | "generator_function")
                && scope
                    .child_by_field_name("name")
                    .is_some_and(|n| text(n, src) == name)
            {
                return true;
            }
            declares_var(scope, name, src)
        }
        "statement_block" | "program" | "switch_body" | "class_body" => {
            block_declarations(scope, src).iter().any(|n| n == name)
        }
        "catch_clause" => scope
            .child_by_field_name("parameter")
            .is_some_and(|p| pattern_names(p, src).iter().any(|n| n == name)),
        "for_statement" | "for_in_statement" => {
            let init = scope
                .child_by_field_name("initializer")
                .or_else(|| scope.child_by_field_name("left"));
            init.is_some_and(|i| {
                if matches!(i.kind(), "lexical_declaration" | "variable_declaration") {
                    let mut c = i.walk();
                    i.named_children(&mut c).any(|d| {
                        d.child_by_field_name("name")
                            .is_some_and(|n| pattern_names(n, src).iter().any(|x| x == name))
                    })
                } else {
                    // for (const x of ...): the left side is the pattern.
                    scope
                        .child(1)
                        .is_some_and(|k| matches!(text(k, src), "const" | "let" | "var"))
                        && pattern_names(i, src).iter().any(|x| x == name)
                }
            })
        }
        _ => false,
    }
}

/// Does a `var name` appear anywhere in the function's body (outside
/// nested functions)?
fn declares_var(func: Node, name: &str, src: &str) -> bool {
    let Some(body) = func.child_by_field_name("body") else {
        return false;
    };
    let mut found = false;
    visit_in_function(body, &mut |n| {
        if n.kind() == "variable_declaration" {
            let mut c = n.walk();
            for d in n.named_children(&mut c) {
                if d.child_by_field_name("name")
                    .is_some_and(|p| pattern_names(p, src).iter().any(|x| x == name))
                {
                    found = true;
                }
            }
        }
    });
    found
}

/// Visits the nodes of `root` without entering nested functions.
pub fn visit_in_function<'t>(root: Node<'t>, f: &mut dyn FnMut(Node<'t>)) {
    f(root);
    let mut c = root.walk();
    for ch in root.children(&mut c) {
        if is_function(ch) || ch.kind() == "class_declaration" || ch.kind() == "class" {
            continue;
        }
        visit_in_function(ch, f);
    }
}

/// Is `name`, used at `at`, declared in some scope between `at` and the
/// top level (so it is not the top-level binding)?
pub fn is_shadowed(at: Node, name: &str, src: &str) -> bool {
    let mut cur = at.parent();
    while let Some(n) = cur {
        if n.kind() == "program" {
            return false;
        }
        if scope_declares(n, name, src) {
            return true;
        }
        cur = n.parent();
    }
    false
}

/// What the code does with a local at one reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UseKind {
    /// `v.m(...)`: a method call.
    Method(String),
    /// `v.p`, `v[k]`: a property read (or write).
    Member,
    /// `f(v)`, `new C(v)`: handed to a call as argument `index`.
    Argument { index: usize },
    /// `return v`, `=> v`.
    Returned,
    /// `x.p = v`, `x = v`, `const w = v`, `{ v }`, `[v]`, `...v`, `yield v`.
    Stored,
    /// `v = ...`.
    Reassigned,
    /// `if (v)`, `!v`, `v === null`, `typeof v`, `${v}`.
    Tested,
    /// Anything else: treated as an escape.
    Other,
}

#[derive(Clone, Debug)]
pub struct Use<'t> {
    /// The identifier.
    pub node: Node<'t>,
    pub kind: UseKind,
    /// For `Method`: the call; for `Argument`: the call or `new`.
    pub call: Option<Node<'t>>,
    /// The innermost function literal between the use and the declaring
    /// function, if the use is inside one.
    pub closure: Option<Node<'t>>,
}

/// References to `name` inside `within` that start at or after `from`,
/// skipping nested scopes that declare `name` again. `owner` is the
/// function that declares the local.
pub fn uses_of<'t>(
    name: &str,
    within: Node<'t>,
    from: usize,
    owner: Node<'t>,
    src: &str,
) -> Vec<Use<'t>> {
    let mut out = Vec::new();
    collect_uses(name, within, from, owner, src, &mut out);
    out
}

fn collect_uses<'t>(
    name: &str,
    node: Node<'t>,
    from: usize,
    owner: Node<'t>,
    src: &str,
    out: &mut Vec<Use<'t>>,
) {
    if node.end_byte() <= from {
        return;
    }
    let mut c = node.walk();
    for ch in node.children(&mut c) {
        if ch.end_byte() <= from {
            continue;
        }
        match ch.kind() {
            "identifier" | "shorthand_property_identifier" if text(ch, src) == name => {
                if ch.start_byte() >= from && !is_declaration_name(ch) {
                    out.push(classify(ch, owner, src));
                }
            }
            _ => {
                let opens_scope = is_function(ch)
                    || matches!(
                        ch.kind(),
                        "statement_block" | "catch_clause" | "for_statement" | "for_in_statement"
                    );
                if opens_scope && ch.start_byte() >= from && scope_declares(ch, name, src) {
                    continue;
                }
                collect_uses(name, ch, from, owner, src, out);
            }
        }
    }
}

/// Is this identifier the name being declared (`const v`, a parameter, a
/// function's name), or a label?
fn is_declaration_name(id: Node) -> bool {
    let Some(p) = id.parent() else { return false };
    match p.kind() {
        "variable_declarator" => p.child_by_field_name("name") == Some(id),
        "function_declaration" | "class_declaration" | "function_expression" => {
            p.child_by_field_name("name") == Some(id)
        }
        "formal_parameters" | "required_parameter" | "optional_parameter" => true,
        "labeled_statement" | "break_statement" | "continue_statement" => true,
        "import_specifier" | "import_clause" | "namespace_import" => true,
        _ => false,
    }
}

/// Looks up from an identifier through `(v)`, `v!`, `v as T`.
fn outer_expression(id: Node) -> Node {
    let mut n = id;
    while let Some(p) = n.parent() {
        if matches!(
            p.kind(),
            "parenthesized_expression"
                | "non_null_expression"
                | "as_expression"
                | "satisfies_expression"
        ) {
            n = p;
        } else {
            break;
        }
    }
    n
}

fn classify<'t>(id: Node<'t>, owner: Node<'t>, src: &str) -> Use<'t> {
    let closure = closure_between(id, owner);
    let mk = |kind: UseKind, call: Option<Node<'t>>| Use {
        node: id,
        kind,
        call,
        closure,
    };
    if id.kind() == "shorthand_property_identifier" {
        return mk(UseKind::Stored, None);
    }
    let e = outer_expression(id);
    let Some(p) = e.parent() else {
        return mk(UseKind::Other, None);
    };
    match p.kind() {
        "member_expression" | "subscript_expression"
            if p.child_by_field_name("object") == Some(e) =>
        {
            let prop = p
                .child_by_field_name("property")
                .map(|x| text(x, src).to_string())
                .unwrap_or_default();
            if let Some(call) = p.parent()
                && call.kind() == "call_expression"
                && call.child_by_field_name("function") == Some(p)
            {
                return mk(UseKind::Method(prop), Some(call));
            }
            mk(UseKind::Member, None)
        }
        "arguments" => {
            let call = p.parent();
            let mut c = p.walk();
            let index = p.named_children(&mut c).position(|a| a == e).unwrap_or(0);
            mk(UseKind::Argument { index }, call)
        }
        "return_statement" => mk(UseKind::Returned, None),
        "arrow_function" if p.child_by_field_name("body") == Some(e) => mk(UseKind::Returned, None),
        "assignment_expression" | "augmented_assignment_expression" => {
            if p.child_by_field_name("left") == Some(e) {
                mk(UseKind::Reassigned, None)
            } else {
                mk(UseKind::Stored, None)
            }
        }
        "variable_declarator" | "pair" | "array" | "spread_element" | "yield_expression" => {
            mk(UseKind::Stored, None)
        }
        "if_statement"
        | "while_statement"
        | "unary_expression"
        | "binary_expression"
        | "template_substitution"
        | "ternary_expression"
            if !is_value_position(p, e) =>
        {
            mk(UseKind::Tested, None)
        }
        "parenthesized_expression" => match p.parent().map(|g| g.kind()) {
            Some("if_statement" | "while_statement" | "do_statement") => mk(UseKind::Tested, None),
            _ => mk(UseKind::Other, None),
        },
        "expression_statement" => mk(UseKind::Tested, None),
        _ => mk(UseKind::Other, None),
    }
}

/// In a ternary, the branches carry the value on (an escape); the
/// condition only tests it. `a || v` / `a ?? v` carry it too.
fn is_value_position(p: Node, e: Node) -> bool {
    match p.kind() {
        "ternary_expression" => p.child_by_field_name("condition") != Some(e),
        "binary_expression" => p
            .child_by_field_name("operator")
            .is_some_and(|op| matches!(op.kind(), "||" | "&&" | "??")),
        _ => false,
    }
}

/// The innermost function between `node` and `owner` (exclusive).
pub fn closure_between<'t>(node: Node<'t>, owner: Node<'t>) -> Option<Node<'t>> {
    let mut cur = node.parent();
    while let Some(n) = cur {
        if n == owner {
            return None;
        }
        if is_function(n) {
            return Some(n);
        }
        cur = n.parent();
    }
    None
}

/// Does a function literal run before the call it is passed to returns
/// (an array method's callback, a Promise executor)?
pub fn runs_inline(closure: Node, src: &str) -> bool {
    let Some(args) = closure.parent() else {
        return false;
    };
    if args.kind() != "arguments" {
        return false;
    }
    let Some(call) = args.parent() else {
        return false;
    };
    let callee = match call.kind() {
        "call_expression" => call.child_by_field_name("function"),
        _ => None,
    };
    let Some(callee) = callee.map(strip_ts) else {
        return false;
    };
    if callee.kind() != "member_expression" {
        return false;
    }
    let method = callee
        .child_by_field_name("property")
        .map(|p| text(p, src))
        .unwrap_or("");
    matches!(
        method,
        "map"
            | "forEach"
            | "filter"
            | "reduce"
            | "some"
            | "every"
            | "find"
            | "findIndex"
            | "flatMap"
            | "sort"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::js::test_support::{file, find};

    #[test]
    fn uses_are_classified_and_shadowing_respected() {
        let f = file(
            "a.js",
            "async function h(pool) {\n  const c = await pool.connect();\n  await c.query('x');\n  c.id;\n  save(c);\n  if (!c) return c;\n  store.c = c;\n  rows.map((r) => c.query(r));\n  setTimeout(() => c.release());\n  { const c = 1; use(c); }\n  c.release();\n}\n",
        );
        let func = find(&f, "function_declaration", f.text().trim_end());
        let decl = find(&f, "lexical_declaration", "const c = await pool.connect();");
        let body = func.child_by_field_name("body").unwrap();
        let uses = uses_of("c", body, decl.end_byte(), func, f.text());
        let kinds: Vec<UseKind> = uses.iter().map(|u| u.kind.clone()).collect();
        assert_eq!(
            kinds,
            vec![
                UseKind::Method("query".into()),
                UseKind::Member,
                UseKind::Argument { index: 0 },
                UseKind::Tested,
                UseKind::Returned,
                UseKind::Stored,
                UseKind::Method("query".into()),
                UseKind::Method("release".into()),
                UseKind::Method("release".into()),
            ]
        );
        assert!(uses[6].closure.is_some_and(|c| runs_inline(c, f.text())));
        assert!(uses[7].closure.is_some_and(|c| !runs_inline(c, f.text())));
        assert!(uses[8].closure.is_none());
    }
}
